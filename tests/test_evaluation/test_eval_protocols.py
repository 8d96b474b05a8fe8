"""Evaluator protocols for sparse benchmarks (issue 14) and how masks are
read (issue 12): ``--protocol annotated``, class means, ``--resize-pred``,
non-binary predictions, ``--pred-mode`` and machine-readable stdout.

Every expectation is worked out by hand from the shapes drawn here:

* an object is a 10 x 10 square away from the image border;
* "union": the GT square plus an identical square far from it, so
  J = 100 / 200 = 1/2, boundary recall 1 and precision 1/2 (the two squares
  have equally many boundary pixels), F = 2 * 1/2 / (3/2) = 2/3;
* "disjoint": only the far square, J = 0 and F = 0 (no boundary pixel
  within the 1-pixel tolerance of a 40 x 40 image).
"""
import json

import cv2
import numpy as np
import pytest

from hfan.cli.eval_vos import main as main_vos
from hfan.cli.eval_vsod import main as main_vsod
from hfan.evaluation import (
    add_class_means,
    class_of,
    evaluate_davis,
    evaluate_vsod,
    frame_scores,
    prediction_mask,
    prediction_saliency,
)

SHAPE = (40, 40)


def square(top, left, size=10):
    m = np.zeros(SHAPE, bool)
    m[top:top + size, left:left + size] = True
    return m


GT = square(5, 5)
FAR = square(25, 25)
PRED = {'same': GT, 'union': GT | FAR, 'disjoint': FAR}
#: (J, F) of each prediction against GT, by hand (module docstring)
EXPECTED = {'same': (1.0, 1.0), 'union': (0.5, 2 / 3), 'disjoint': (0.0, 0.0)}


def write(path, mask):
    path.parent.mkdir(parents=True, exist_ok=True)
    assert cv2.imwrite(str(path), np.asarray(mask, np.uint8) * 255)


def sparse_tree(root, videos):
    """``videos = {name: (num_frames, {annotated frame: prediction kind})}``;
    every frame gets a prediction (unannotated ones all foreground, which
    would wreck any score they entered), only annotated ones a GT file."""
    for name, (n, annotated) in videos.items():
        for t in range(n):
            kind = annotated.get(t)
            pred = PRED[kind] if kind else np.ones(SHAPE, bool)
            write(root / 'pred' / name / f'{t:05d}.png', pred)
            if kind:
                write(root / 'gt' / name / f'{t:05d}.png', GT)
    return str(root / 'pred'), str(root / 'gt')


def test_hand_computed_cases_hold():
    for kind, (j, f) in EXPECTED.items():
        assert frame_scores(PRED[kind], GT) == pytest.approx((j, f))


# --------------------------------------------------------------------------
# --protocol annotated
# --------------------------------------------------------------------------
def test_annotated_protocol_scores_exactly_the_gt_frames(tmp_path):
    pred, gt = sparse_tree(tmp_path, {
        'a': (16, {0: 'same', 5: 'union', 10: 'disjoint', 15: 'same'}),
        'b': (4, {0: 'same', 3: 'union'}),
    })
    res = evaluate_davis(pred, gt, protocol='annotated', workers=1)
    a, b = res['sequences']['a'], res['sequences']['b']
    # every annotated frame, first and last included; nothing else
    assert a['num_frames_evaluated'] == 4 and b['num_frames_evaluated'] == 2
    assert res['num_frames_evaluated'] == 6
    assert a['J_mean'] == pytest.approx((1 + 0.5 + 0 + 1) / 4)
    assert a['F_mean'] == pytest.approx((1 + 2 / 3 + 0 + 1) / 4)
    assert b['J_mean'] == pytest.approx(0.75)
    assert b['F_mean'] == pytest.approx((1 + 2 / 3) / 2)
    # uniform mean over videos (frame pooling would give 4/6)
    assert res['J_mean'] == pytest.approx((0.625 + 0.75) / 2)
    assert res['F_mean'] == pytest.approx((2 / 3 + 5 / 6) / 2)
    assert res['JF_mean'] == pytest.approx((0.6875 + 0.75) / 2)
    assert res['protocol'] == 'annotated'
    # the dense protocols refuse predictions of unannotated frames
    for protocol in ('all-frames', 'davis16'):
        with pytest.raises(ValueError, match='no GT frame'):
            evaluate_davis(pred, gt, protocol=protocol, workers=1)


def test_annotated_protocol_in_the_cli_json(tmp_path, capsys):
    pred, gt = sparse_tree(tmp_path, {'a': (6, {1: 'union', 4: 'same'})})
    assert main_vos([pred, gt, '--protocol', 'annotated', '--json', '-',
                     '--no-progress', '--workers', '1']) == 0
    out = capsys.readouterr()
    res = json.loads(out.out)  # stdout is the JSON and nothing else
    assert res['J_mean'] == pytest.approx(0.75)
    assert res['num_frames_evaluated'] == 2
    assert 'protocol annotated' in out.err  # the table went to stderr


# --------------------------------------------------------------------------
# class means
# --------------------------------------------------------------------------
@pytest.mark.parametrize('name, cls', [
    ('aeroplane0001', 'aeroplane'), ('cars10', 'cars'), ('cat01', 'cat'),
    ('bmx-trees', 'bmx-trees'), ('0001', '0001')])
def test_class_is_the_name_up_to_trailing_digits(name, cls):
    assert class_of(name) == cls


CLASS_VIDEOS = {'aeroplane0001': (1, {0: 'same'}),
                'aeroplane0002': (1, {0: 'disjoint'}),
                'cat0001': (1, {0: 'same'})}


def test_class_mean_and_video_mean(tmp_path):
    pred, gt = sparse_tree(tmp_path, CLASS_VIDEOS)
    res = evaluate_davis(pred, gt, protocol='annotated', workers=1,
                         class_mean=True)
    assert res['J_mean'] == pytest.approx(2 / 3)            # over videos
    assert res['J_class_mean'] == pytest.approx((0.5 + 1) / 2)
    assert res['F_class_mean'] == pytest.approx(0.75)
    assert res['JF_class_mean'] == pytest.approx(0.75)
    assert res['num_classes'] == 2
    assert res['classes']['aeroplane']['J_mean'] == pytest.approx(0.5)
    assert res['classes']['aeroplane']['num_sequences'] == 2
    assert res['classes']['cat']['sequences'] == ['cat0001']


def test_class_map_file_in_the_cli(tmp_path, capsys):
    pred, gt = sparse_tree(tmp_path, CLASS_VIDEOS)
    cmap = tmp_path / 'classes.txt'
    # regroup: cat0001 with aeroplane0002 -> classes {1} and {0, 1}
    cmap.write_text('# video class\naeroplane0001 plane\n'
                    'aeroplane0002 animal\ncat0001, animal\n')
    out = tmp_path / 'res.json'
    assert main_vos([pred, gt, '--protocol', 'annotated', '--classes',
                     str(cmap), '--json', str(out), '--no-progress',
                     '--workers', '1']) == 0
    res = json.loads(out.read_text())
    assert sorted(res['classes']) == ['animal', 'plane']
    assert res['J_class_mean'] == pytest.approx((1 + 0.5) / 2)
    assert res['J_mean'] == pytest.approx(2 / 3)
    table = capsys.readouterr().out
    assert 'class mean' in table and 'video mean' in table


def test_class_means_skip_videos_without_evaluated_frames():
    nan = float('nan')
    results = {'sequences': {
        'dog1': dict(J_mean=0.2, F_mean=0.4, JF_mean=0.3,
                     num_frames_evaluated=3),
        'dog2': dict(J_mean=nan, F_mean=nan, JF_mean=nan,
                     num_frames_evaluated=0)}}
    res = add_class_means(results)
    assert res['classes']['dog']['num_sequences'] == 1
    assert res['J_class_mean'] == pytest.approx(0.2)


# --------------------------------------------------------------------------
# --resize-pred
# --------------------------------------------------------------------------
def test_resize_pred_nearest(tmp_path, capsys):
    gt = np.zeros((20, 20), bool)
    gt[4:14, 4:19] = True                  # 10 x 15 = 150 pixels
    small = np.zeros((10, 10), bool)
    small[2:7, 2:7] = True                 # x2 nearest: rows/cols 4..13
    write(tmp_path / 'gt' / 'v' / '00000.png', gt)
    write(tmp_path / 'pred' / 'v' / '00000.png', small)
    args = [str(tmp_path / 'pred'), str(tmp_path / 'gt'), '--protocol',
            'annotated', '--no-progress', '--workers', '1']
    # default: a size mismatch is an error naming both files
    assert main_vos(args) == 2
    err = capsys.readouterr().err
    assert 'size mismatch' in err and '00000.png' in err
    out = tmp_path / 'res.json'
    assert main_vos(args + ['--resize-pred', 'nearest', '--json',
                            str(out)]) == 0
    res = json.loads(out.read_text())
    big = np.kron(small, np.ones((2, 2), bool))   # the 2x upsampling by hand
    assert np.count_nonzero(big & gt) == 100
    assert res['J_mean'] == pytest.approx(100 / 150)
    assert res['F_mean'] == pytest.approx(frame_scores(big, gt)[1])
    assert res['resize_pred'] == 'nearest' and res['num_resized'] == 1
    assert '1 predictions resized to the GT size (nearest neighbour)' in \
        capsys.readouterr().out


# --------------------------------------------------------------------------
# how predictions are read
# --------------------------------------------------------------------------
def test_binary_predictions_in_any_encoding():
    m = square(5, 5)
    for fg in (1, 255, 7):
        img = m.astype(np.uint8) * fg
        assert np.array_equal(prediction_mask(img, 'p.png'), m)
    # a one-object palette: index 1 is foreground whatever its colour
    assert np.array_equal(
        prediction_mask(m.astype(np.uint8), 'p.png', palette=True), m)


def test_gray_prediction_is_thresholded_at_half_its_maximum(tmp_path):
    # a probability map: 200 inside the GT square, 90 on the far square and
    # 30 elsewhere -> threshold 100: only the GT square is foreground
    prob = np.full(SHAPE, 30, np.uint8)
    prob[FAR] = 90
    prob[GT] = 200
    assert np.array_equal(prediction_mask(prob, 'p.png'), GT)
    cv2.imwrite(str(tmp_path / 'p.png'), prob)
    write(tmp_path / 'gt' / 'v' / '00000.png', GT)
    (tmp_path / 'pred' / 'v').mkdir(parents=True)
    cv2.imwrite(str(tmp_path / 'pred' / 'v' / '00000.png'), prob)
    res = evaluate_davis(str(tmp_path / 'pred'), str(tmp_path / 'gt'),
                         protocol='annotated', workers=1)
    # "any nonzero" would have given J = 100 / 1600
    assert res['J_mean'] == 1.0


def test_vsod_reads_binary_masks_as_binary_in_every_encoding(tmp_path):
    full = np.ones(SHAPE, bool)
    frames = [GT, full, GT | FAR]     # the middle frame: all foreground
    encodings = {'0-255': lambda m: m.astype(np.uint8) * 255,
                 '0-1': lambda m: m.astype(np.uint8)}
    results = {}
    for enc, encode in encodings.items():
        for t, m in enumerate(frames):
            write(tmp_path / 'gt' / 'v' / f'{t:05d}.png', GT)
            path = tmp_path / enc / 'v' / f'{t:05d}.png'
            path.parent.mkdir(parents=True, exist_ok=True)
            cv2.imwrite(str(path), encode(m))
        results[enc] = evaluate_vsod(str(tmp_path / enc),
                                     str(tmp_path / 'gt'), workers=1,
                                     protocol='all-frames')
    # palette PNGs with indices 0/1
    from PIL import Image
    for t, m in enumerate(frames):
        im = Image.fromarray(m.astype(np.uint8), mode='P')
        im.putpalette([0, 0, 0, 200, 30, 10] + [0] * 762)
        path = tmp_path / 'palette' / 'v' / f'{t:05d}.png'
        path.parent.mkdir(parents=True, exist_ok=True)
        im.save(path)
    results['palette'] = evaluate_vsod(str(tmp_path / 'palette'),
                                       str(tmp_path / 'gt'), workers=1,
                                       protocol='all-frames')
    ref = results['0-255']
    for enc in ('0-1', 'palette'):
        for key in ('S', 'E', 'F', 'MAE'):
            assert results[enc][key] == pytest.approx(ref[key], abs=1e-12)
    # MAE by hand: 0, (1600 - 100) / 1600, 100 / 1600 over three frames
    assert ref['MAE'] == pytest.approx((1500 + 100) / 1600 / 3)
    # read as gray (the toolbox), an all-1 frame of a 0/1 mask would be
    # 1/255 everywhere, not 1
    one = full.astype(np.uint8)
    assert prediction_saliency(one, mode='gray').max() == pytest.approx(
        1 / 255)
    assert prediction_saliency(one).min() == 1.0           # auto: binary
    assert prediction_saliency(one, mode='binary').min() == 1.0


def test_vsod_gray_maps_stay_gray():
    prob = np.full(SHAPE, 30, np.uint8)
    prob[GT] = 200
    prob[FAR] = 115
    sal = prediction_saliency(prob)                  # auto -> gray
    assert sorted(np.unique(sal)) == pytest.approx([0, 85 / 170, 1])


def test_csv_to_stdout_is_only_csv(tmp_path, capsys):
    pred, gt = sparse_tree(tmp_path, {'a': (3, {0: 'same', 2: 'union'})})
    assert main_vsod([pred, gt, '--protocol', 'annotated', '--csv', '-',
                      '--no-progress', '--workers', '1']) == 0
    out = capsys.readouterr()
    lines = out.out.splitlines()
    assert lines[0].startswith('level,name,S,E,F,MAE')
    assert [ln.split(',')[0] for ln in lines[1:]] == ['sequence', 'dataset']
    assert 'Sequence' in out.err
