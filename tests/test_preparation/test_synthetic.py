"""Synthetic videos (hfan/preparation/synthetic.py): determinism, exact
masks, the written layouts."""
import os
from pathlib import Path

import cv2
import numpy as np
import pytest
from PIL import Image

from hfan.cli import make_synthetic_videos
from hfan.io import save_video
from hfan.preparation.settings import SETTINGS_FILE
from hfan.preparation.synthetic import (
    SyntheticConfig,
    encode_jpeg,
    render_video,
    video_seed,
)

CFG = SyntheticConfig(height=48, width=64, num_frames=5)


def test_same_seed_same_video_other_seed_other_video():
    a, b, c = render_video(3, CFG), render_video(3, CFG), render_video(4, CFG)
    assert a.jpeg_quality == b.jpeg_quality
    for x, y in zip(a.frames + a.masks, b.frames + b.masks):
        np.testing.assert_array_equal(x, y)
    assert any((x != y).any() for x, y in zip(a.frames, c.frames))
    assert video_seed(0, 'train', 1) == video_seed(0, 'train', 1)
    assert len({video_seed(0, 'train', 1), video_seed(0, 'val', 1),
                video_seed(0, 'train', 2), video_seed(1, 'train', 1)}) == 4


@pytest.mark.parametrize('seed', range(6))
def test_mask_is_exactly_the_pixels_the_object_covers(seed):
    # the same video rendered without its object differs exactly on the mask
    cfg = SyntheticConfig(height=64, width=80, num_frames=6)
    with_obj = render_video(seed, cfg, photometric=False)
    without = render_video(seed, cfg, photometric=False, draw_object=False)
    for fa, fb, mask in zip(with_obj.frames, without.frames, with_obj.masks):
        assert mask.dtype == np.uint8 and set(np.unique(mask)) == {0, 255}
        np.testing.assert_array_equal((fa != fb).any(axis=2), mask > 0)
        assert 0.005 < (mask > 0).mean() < 0.5
    assert not all((m == with_obj.masks[0]).all() for m in with_obj.masks)


def test_object_moves_relative_to_the_background():
    # background-only video vs full video: DIS flow inside the mask differs
    # from the background's flow around it
    from hfan.flow.dis import DISFlow
    cfg = SyntheticConfig(height=96, width=128, num_frames=4)
    est, moving = DISFlow(), 0
    for seed in range(4):
        v = render_video(seed, cfg)
        flow = est(v.frames[1], v.frames[2])
        inside = np.median(flow[v.masks[1] > 0], axis=0)
        outside = np.median(flow[v.masks[1] == 0], axis=0)
        moving += np.linalg.norm(inside - outside) > 0.75
    assert moving >= 3


def run_tool(*args):
    assert make_synthetic_videos.main([str(a) for a in args] +
                                      ['--no-progress']) == 0


def tree(root):
    """The data files under ``root`` with their times (the settings record
    beside them has tests of its own: test_resume_settings.py)."""
    return {
        str(p.relative_to(root)): p.stat().st_mtime_ns
        for p in Path(root).rglob('*')
        if p.is_file() and p.name != SETTINGS_FILE
    }


def test_2seg_layout_is_complete_exact_and_resumable(tmp_path):
    out = tmp_path / 'SYN2SEG'
    run_tool('--out', out, '--splits', 'train:2', 'val:1', '--frames', 3,
             '--size', '48x64', '--seed', 5, '--workers', 2)
    files = tree(out)
    expected = {
        f'{kind}/{split}/syn-{split}-{i:04d}_{t:05d}.{ext}'
        for split, n in (('train', 2), ('val', 1)) for i in range(n)
        for t in range(3)
        for kind, ext in (('frame', 'jpg'), ('flow', 'jpg'), ('mask', 'png'))
    }
    assert set(files) == expected
    video = render_video(video_seed(5, 'val', 0),
                         SyntheticConfig(48, 64, 3))
    for t in range(3):
        stem = f'syn-val-0000_{t:05d}'
        assert (out / 'frame/val' / f'{stem}.jpg').read_bytes() == \
            encode_jpeg(video.frames[t], video.jpeg_quality)
        mask = cv2.imread(str(out / 'mask/val' / f'{stem}.png'),
                          cv2.IMREAD_UNCHANGED)
        np.testing.assert_array_equal(mask, video.masks[t])
        flow = cv2.imread(str(out / 'flow/val' / f'{stem}.jpg'))
        assert flow.shape == (48, 64, 3)
    run_tool('--out', out, '--splits', 'train:2', 'val:1', '--frames', 3,
             '--size', '48x64', '--seed', 5)
    assert tree(out) == files  # nothing rewritten


def test_davis_layout_and_previews(tmp_path):
    out = tmp_path / 'DAVIS'
    run_tool('--out', out, '--splits', 'train:2', 'val:1', '--frames', 2,
             '--size', '40x56', '--layout', 'davis', '--mp4')
    assert (out / 'ImageSets/2016/train.txt').read_text() == \
        'syn-train-0000\nsyn-train-0001\n'
    assert (out / 'ImageSets/2016/val.txt').read_text() == 'syn-val-0000\n'
    ann = Image.open(out / 'Annotations/480p/syn-val-0000/00001.png')
    assert ann.mode == 'P' and ann.getpalette()[3:6] == [128, 0, 0]
    video = render_video(video_seed(0, 'val', 0), SyntheticConfig(40, 56, 2))
    np.testing.assert_array_equal(np.asarray(ann), video.masks[1] // 255)
    assert sorted(os.listdir(out / 'JPEGImages/480p/syn-train-0001')) == \
        ['00000.jpg', '00001.jpg']
    cap = cv2.VideoCapture(str(out / 'preview/train/syn-train-0000.mp4'))
    ok, first = cap.read()
    assert ok and first.shape == (40, 56, 3)


def test_save_video_mp4(tmp_path):
    """The one mp4 writer (hfan.io.save_video, which the preview videos
    use): every frame written, at its size, atomically."""
    frames = [np.full((32, 48, 3), 40 * i, np.uint8) for i in range(5)]
    assert save_video(iter(frames), str(tmp_path / 'a.mp4'), fps=5) == 5
    assert os.listdir(tmp_path) == ['a.mp4']
    cap = cv2.VideoCapture(str(tmp_path / 'a.mp4'))
    n = 0
    while True:
        ok, img = cap.read()
        if not ok:
            break
        assert img.shape == (32, 48, 3)
        n += 1
    assert n == 5
    with pytest.raises(ValueError):
        save_video([frames[0], np.zeros((8, 8, 3), np.uint8)],
                    str(tmp_path / 'b.mp4'))
    assert os.listdir(tmp_path) == ['a.mp4']  # nothing half-written
