"""hfan.preparation.cutouts (tools/prepare_cutouts.py) on generated trees
of the four layouts: detection, masks against the planted shapes, the
index, resuming, and refusals that name the file."""
import hashlib
import json
import os
import os.path as osp

import cv2
import numpy as np
import pytest
from scipy.io import savemat

from hfan.cli.prepare_cutouts import main
from hfan.preparation.cutouts import (
    LICENCES,
    detect_cutout_layout,
    iter_cutout_pairs,
    prepare_cutouts,
)
from hfan.preparation.sources import PrepareError
from hfan.utils.paths import OutputPathError

H, W = 40, 60
# the planted rectangle, (y0, y1, x0, x1) as fractions of the image
RECT = (0.2, 0.6, 0.2, 0.5)


def _image(seed):
    rng = np.random.default_rng(seed)
    return rng.integers(0, 256, (H, W, 3), dtype=np.uint8)


def _rect_mask(h, w, value=255):
    """``h x w`` uint8 with RECT filled with ``value``."""
    y0, y1, x0, x1 = RECT
    mask = np.zeros((h, w), np.uint8)
    mask[round(y0 * h):round(y1 * h), round(x0 * w):round(x1 * w)] = value
    return mask


def _write(path, img, params=()):
    os.makedirs(osp.dirname(path), exist_ok=True)
    assert cv2.imwrite(path, img, list(params))


def make_duts(root, n=2):
    base = osp.join(root, 'Training-Datasets', 'DUTS-train')
    for i in range(n):
        stem = f'ILSVRC_{i:03d}'
        _write(osp.join(base, 'img', 'part_000', stem + '.jpg'), _image(i))
        # grey values on both sides of the threshold: 100 is background
        mask = np.full((H, W), 100, np.uint8)
        mask[_rect_mask(H, W) > 0] = 200
        _write(osp.join(base, 'gt', 'part_000', stem + '.png'), mask)
    return root


def make_weizmann(root, n=2):
    base = osp.join(root, 'weizmann_horse_db')
    for i in range(1, n + 1):
        _write(osp.join(base, 'rgb', f'horse{i:03d}.jpg'), _image(i))
        # half the size, same aspect ratio, stored as JPEG
        _write(osp.join(base, 'figure_ground', f'horse{i:03d}.jpg'),
               _rect_mask(H // 2, W // 2), [cv2.IMWRITE_JPEG_QUALITY, 95])
    return root


def make_ccp(root, n=2):
    for i in range(1, n + 1):
        _write(osp.join(root, 'photos', f'{i:04d}.jpg'), _image(10 + i))
        labels = np.zeros((H, W), np.uint8)
        labels[5:15, 10:30] = 3  # two garments, both foreground
        labels[20:35, 40:55] = 41
        folder = osp.join(root, 'annotations', 'pixel-level')
        os.makedirs(folder, exist_ok=True)
        savemat(osp.join(folder, f'{i:04d}.mat'), {'groundtruth': labels})
    # a photo without a pixel-level annotation is not an item
    _write(osp.join(root, 'photos', '0999.jpg'), _image(99))
    return root


def make_human_seg(root):
    _write(osp.join(root, 'Training_Images', '1.jpg'), _image(21))
    _write(osp.join(root, 'Ground_Truth', '1.png'), _rect_mask(H, W))
    # a mask at another size (same aspect ratio), resized to the image
    _write(osp.join(root, 'Training_Images', '2.jpg'), _image(22))
    _write(osp.join(root, 'Ground_Truth', '2.png'),
           _rect_mask(2 * H, 2 * W))
    return root


def _tree_md5(folder):
    digests = {}
    for dirpath, _, files in os.walk(folder):
        for name in files:
            path = osp.join(dirpath, name)
            with open(path, 'rb') as f:
                digests[osp.relpath(path, folder)] = hashlib.md5(
                    f.read()).hexdigest()
    return digests


def _assert_rect(mask):
    """``mask`` is 0/255 and covers RECT of its size, up to 1 pixel at the
    border."""
    h, w = mask.shape
    assert set(np.unique(mask)) <= {0, 255}
    y0, y1, x0, x1 = RECT
    inner = np.zeros((h, w), bool)
    inner[round(y0 * h) + 1:round(y1 * h) - 1,
          round(x0 * w) + 1:round(x1 * w) - 1] = True
    outer = np.zeros((h, w), bool)
    outer[round(y0 * h) - 1:round(y1 * h) + 1,
          round(x0 * w) - 1:round(x1 * w) + 1] = True
    assert (mask[inner] == 255).all()
    assert (mask[~outer] == 0).all()


@pytest.fixture
def roots(tmp_path):
    return {
        'duts': make_duts(str(tmp_path / 'DAVSOD')),
        'weizmann': make_weizmann(str(tmp_path / 'horses')),
        'ccp': make_ccp(str(tmp_path / 'ccp')),
        'human-seg': make_human_seg(str(tmp_path / 'human')),
    }


def test_layouts_are_detected(roots, tmp_path):
    for layout, root in roots.items():
        assert detect_cutout_layout(root) == layout
    # the alternative roots: DUTS's img/gt folder, the horse db itself
    assert detect_cutout_layout(osp.join(
        roots['duts'], 'Training-Datasets', 'DUTS-train')) == 'duts'
    assert detect_cutout_layout(osp.join(
        roots['weizmann'], 'weizmann_horse_db')) == 'weizmann'
    flat = str(tmp_path / 'flat')
    _write(osp.join(flat, 'img', 'a.jpg'), _image(0))
    _write(osp.join(flat, 'gt', 'a.png'), _rect_mask(H, W))
    assert [p.id for p in iter_cutout_pairs(flat)] == ['duts_a']
    # ccp: only annotated photos
    assert [p.id for p in iter_cutout_pairs(roots['ccp'])] == [
        'ccp_0001', 'ccp_0002']


def test_all_layouts_into_one_set(roots, tmp_path):
    out = str(tmp_path / 'out')
    stats = prepare_cutouts(list(roots.values()), out)
    assert stats.written == 8 and stats.complete == 0
    assert stats.per_source == {'duts': 2, 'weizmann': 2, 'ccp': 2,
                                'human-seg': 2}
    index = json.load(open(osp.join(out, 'index.json')))['items']
    by_id = {item['id']: item for item in index}
    assert sorted(by_id) == sorted(
        n[:-len('.json')] for n in os.listdir(osp.join(out, 'records')))
    for item in index:
        assert item['licence'] == LICENCES[item['source']]
        assert item['id'].startswith(item['source'] + '_')
        assert item['size'] == [H, W]
        img = cv2.imread(osp.join(out, 'images', item['id'] + '.jpg'))
        mask = cv2.imread(osp.join(out, 'masks', item['id'] + '.png'),
                          cv2.IMREAD_UNCHANGED)
        assert img.shape == (H, W, 3) and mask.shape == (H, W)
        assert mask.dtype == np.uint8
        assert item['foreground'] == pytest.approx(
            np.count_nonzero(mask) / mask.size, abs=1e-6)
        if item['source'] != 'ccp':
            _assert_rect(mask)
    assert by_id['weizmann_horse001']['image'] == \
        'weizmann_horse_db/rgb/horse001.jpg'
    assert by_id['weizmann_horse001']['mask'] == \
        'weizmann_horse_db/figure_ground/horse001.jpg'
    assert by_id['duts_ILSVRC_000']['mask'] == \
        'Training-Datasets/DUTS-train/gt/part_000/ILSVRC_000.png'
    assert by_id['ccp_0001']['mask'] == 'annotations/pixel-level/0001.mat'
    # ccp: every label > 0 is foreground, label 0 background
    ccp = cv2.imread(osp.join(out, 'masks', 'ccp_0001.png'),
                     cv2.IMREAD_UNCHANGED)
    expected = np.zeros((H, W), np.uint8)
    expected[5:15, 10:30] = 255
    expected[20:35, 40:55] = 255
    np.testing.assert_array_equal(ccp, expected)
    # the image is the one read (JPEG re-encoded at quality 95)
    src = cv2.imread(osp.join(roots['human-seg'], 'Training_Images',
                              '2.jpg')).astype(int)
    got = cv2.imread(osp.join(out, 'images', 'human-seg_2.jpg')).astype(int)
    assert np.abs(src - got).mean() < 8


def test_second_run_changes_nothing(roots, tmp_path):
    out = str(tmp_path / 'out')
    prepare_cutouts(list(roots.values()), out)
    before = _tree_md5(out)
    stats = prepare_cutouts(list(roots.values()), out)
    assert stats.written == 0 and stats.complete == 8
    assert _tree_md5(out) == before
    # a lost mask is written again, the rest left as it was
    os.remove(osp.join(out, 'masks', 'ccp_0002.png'))
    stats = prepare_cutouts(list(roots.values()), out)
    assert stats.written == 1 and stats.complete == 7
    assert _tree_md5(out) == before


def test_empty_and_full_masks_are_skipped_and_counted(tmp_path):
    root = str(tmp_path / 'human')
    _write(osp.join(root, 'Training_Images', '1.jpg'), _image(1))
    _write(osp.join(root, 'Ground_Truth', '1.png'), np.zeros((H, W),
                                                             np.uint8))
    _write(osp.join(root, 'Training_Images', '2.jpg'), _image(2))
    _write(osp.join(root, 'Ground_Truth', '2.png'),
           np.full((H, W), 255, np.uint8))
    _write(osp.join(root, 'Training_Images', '3.jpg'), _image(3))
    _write(osp.join(root, 'Ground_Truth', '3.png'), _rect_mask(H, W))
    out = str(tmp_path / 'out')
    for _ in range(2):  # counted again on a resumed run
        stats = prepare_cutouts([root], out)
        assert (stats.skipped_empty, stats.skipped_full) == (1, 1)
    assert sorted(os.listdir(osp.join(out, 'images'))) == ['human-seg_3.jpg']
    index = json.load(open(osp.join(out, 'index.json')))['items']
    assert [item['id'] for item in index] == ['human-seg_3']


def test_max_items_per_root(roots, tmp_path):
    out = str(tmp_path / 'out')
    stats = prepare_cutouts([roots['duts'], roots['weizmann']], out,
                            max_items=1)
    assert stats.per_source == {'duts': 1, 'weizmann': 1}


def _no_files(folder):
    return not osp.exists(folder) or not any(
        files for _, _, files in os.walk(folder))


def test_missing_mask_is_named(roots, tmp_path):
    mask = osp.join(roots['weizmann'], 'weizmann_horse_db', 'figure_ground',
                    'horse002.jpg')
    os.remove(mask)
    out = str(tmp_path / 'out')
    with pytest.raises(PrepareError, match='horse002.jpg.*has no mask'):
        prepare_cutouts([roots['duts'], roots['weizmann']], out)
    assert _no_files(out)  # pairs are all listed before any write


def test_unknown_layout_is_named(tmp_path):
    root = tmp_path / 'stuff'
    (root / 'images').mkdir(parents=True)
    with pytest.raises(PrepareError, match=f'{root}.*Training_Images'):
        detect_cutout_layout(str(root))
    assert main([str(root), str(tmp_path / 'out'), '--no-progress']) == 1


def test_corrupt_image_is_named_and_nothing_half_written(roots, tmp_path,
                                                         capsys):
    bad = osp.join(roots['human-seg'], 'Training_Images', '2.jpg')
    data = open(bad, 'rb').read()
    with open(bad, 'wb') as f:
        f.write(data[:len(data) // 2])
    out = str(tmp_path / 'out')
    code = main([roots['human-seg'], out, '--no-progress'])
    assert code == 1
    assert '2.jpg' in capsys.readouterr().err
    names = [n for _, _, files in os.walk(out) for n in files]
    assert not any('human-seg_2' in n or 'hfantmp' in n for n in names)
    assert not osp.exists(osp.join(out, 'index.json'))


def test_aspect_ratio_mismatch_names_both_files(tmp_path):
    root = str(tmp_path / 'horses')
    make_weizmann(root, n=1)
    mask = osp.join(root, 'weizmann_horse_db', 'figure_ground',
                    'horse001.jpg')
    _write(mask, _rect_mask(H // 2, W // 3))
    with pytest.raises(PrepareError, match='horse001.jpg.*horse001.jpg'):
        prepare_cutouts([root], str(tmp_path / 'out'))


def test_out_inside_root_is_refused(roots):
    out = osp.join(roots['ccp'], 'cutouts')
    with pytest.raises(OutputPathError, match='inside'):
        prepare_cutouts([roots['ccp']], out)
    assert not osp.exists(out)


def test_command_line(roots, tmp_path, capsys):
    out = str(tmp_path / 'out')
    assert main([roots['ccp'], roots['human-seg'], out, '--no-progress',
                 '--max-items', '1']) == 0
    err = capsys.readouterr().err
    assert 'ccp: 1' in err and 'human-seg: 1' in err
    assert len(json.load(open(osp.join(out, 'index.json')))['items']) == 2
