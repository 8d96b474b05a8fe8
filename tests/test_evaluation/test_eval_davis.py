"""DAVIS-16 J / F and their statistics, checked against facts worked out by
hand from the protocol (docs/evaluation.md, section 1), not against the
code itself."""
import math
import warnings
from fractions import Fraction

import cv2
import numpy as np
import pytest

from hfan.evaluation import (
    boundary_radius,
    decay_bins,
    disk_kernel,
    evaluate_davis,
    evaluated_frames,
    f_measure,
    frame_scores,
    jaccard,
    seg2bmap,
    sequence_stats,
    summarize,
)
from hfan.utils.image_io import read_mask


def square(shape, rows, cols):
    m = np.zeros(shape, bool)
    m[rows[0]:rows[1] + 1, cols[0]:cols[1] + 1] = True
    return m


def pixels(mask):
    return {(int(r), int(c)) for r, c in zip(*np.nonzero(mask))}


# --------------------------------------------------------------------------
# seg2bmap
# --------------------------------------------------------------------------
def test_seg2bmap_square_marks_top_left_background_and_bottom_right_fg():
    # 3x3 square at rows 2..4, cols 2..4 of an 8x10 image. A pixel is marked
    # when it differs from its right, lower or lower-right neighbour:
    # - row 1 (above): (1,j) sees fg below for j=2..4 and fg below-right for
    #   j=1..3 -> j = 1..4;
    # - col 1 (left), rows 2..4: right neighbour is fg -> marked;
    # - col 4 (last fg column), rows 2..4: right neighbour is bg -> marked;
    # - row 4 (last fg row), cols 2..3: pixel below is bg -> marked;
    # - interior (2..3, 2..3) and everything right/below the square: no.
    gt = square((8, 10), (2, 4), (2, 4))
    expected = {(1, 1), (1, 2), (1, 3), (1, 4), (2, 1), (3, 1), (4, 1),
                (4, 2), (4, 3), (2, 4), (3, 4), (4, 4)}
    assert pixels(seg2bmap(gt)) == expected


def test_seg2bmap_image_border_is_never_a_boundary():
    # Left half of a 4x4 image (cols 0..1). Only column 1 differs from its
    # right neighbour; column 0 never differs from anything; the top, left
    # and bottom image borders do not count. The last row compares only to
    # the right, so (3,1) is marked too.
    m = np.zeros((4, 4), bool)
    m[:, :2] = True
    assert pixels(seg2bmap(m)) == {(0, 1), (1, 1), (2, 1), (3, 1)}
    # a mask covering the whole image has no boundary at all
    assert not seg2bmap(np.ones((5, 7), bool)).any()


def test_seg2bmap_single_pixel_has_four_boundary_pixels():
    # pixel (2,2): marked by its up-left (below-right sees it), up (below
    # sees it), left (right sees it), and itself (its right is bg).
    m = np.zeros((5, 5), bool)
    m[2, 2] = True
    assert pixels(seg2bmap(m)) == {(1, 1), (1, 2), (2, 1), (2, 2)}


def test_seg2bmap_bottom_right_pixel_is_zero():
    m = np.zeros((3, 3), bool)
    m[2, 2] = True
    # (2,2) is the bottom-right pixel: never marked; (1,1), (1,2), (2,1)
    # see it below-right / below / right.
    assert pixels(seg2bmap(m)) == {(1, 1), (1, 2), (2, 1)}


# --------------------------------------------------------------------------
# Tolerance radius and disk
# --------------------------------------------------------------------------
@pytest.mark.parametrize('shape,radius', [
    ((480, 854), 8),     # diagonal 979.65 -> 7.84 -> 8
    ((241, 379), 4),
    ((360, 640), 6),
    ((512, 512), 6),
    ((120, 160), 2),
    ((1080, 1920), 18),
    ((8, 10), 1),        # tiny images still get a 1-pixel tolerance
])
def test_boundary_radius(shape, radius):
    assert boundary_radius(shape) == radius


def test_bound_th_of_one_or_more_is_pixels():
    assert boundary_radius((480, 854), 3) == 3


def test_disk_sizes():
    # offsets with dy^2 + dx^2 <= r^2: r=1 is the 5-pixel plus, r=8 has 197
    assert disk_kernel(1).tolist() == [[0, 1, 0], [1, 1, 1], [0, 1, 0]]
    assert int(disk_kernel(8).sum()) == 197
    assert disk_kernel(8).dtype == np.uint8


# --------------------------------------------------------------------------
# J and F on tiny masks worked out by hand
# --------------------------------------------------------------------------
def test_square_shifted_by_two_pixels():
    # GT: 3x3 square rows 2..4, cols 2..4; prediction: same square shifted
    # right by 2 (cols 4..6), 8x10 image so the tolerance r is 1 pixel
    # (the plus-shaped disk).
    # J: overlap = column 4 x 3 rows = 3; union = 9 + 9 - 3 = 15 -> 1/5.
    # Boundaries (see the seg2bmap test): B_G has 12 pixels, B_P is B_G
    # shifted right by 2. A B_P pixel matches if a B_G pixel is itself or a
    # 4-neighbour:
    #   (1,3) (1,4) (4,3) (4,4) are in B_G; (1,5), (4,5) have (1,4), (4,4)
    #   on their left; (2,3) has (1,3) above; (3,3) has (3,4) on its right;
    #   (1,6), (2,6), (3,6), (4,6) have no B_G neighbour -> 8 of 12.
    # By symmetry (shift left by 2) 8 of the 12 B_G pixels match: (1,1),
    # (2,1), (3,1), (4,1) do not. P = R = 2/3, F = 2PR/(P+R) = 2/3.
    gt = square((8, 10), (2, 4), (2, 4))
    pred = square((8, 10), (2, 4), (4, 6))
    j, f = frame_scores(pred, gt)
    assert j == pytest.approx(float(Fraction(1, 5)), abs=1e-15)
    assert f == pytest.approx(float(Fraction(2, 3)), abs=1e-15)
    assert jaccard(pred, gt) == j and f_measure(pred, gt) == f
    # F is symmetric in (P, G)
    assert frame_scores(gt, pred) == (j, f)


def test_square_shifted_by_one_pixel_is_within_tolerance():
    # Shift by 1: overlap 6, union 12 -> J = 1/2. Every boundary pixel of one
    # map is the other's shifted by one column, i.e. a 4-neighbour, so all
    # match with r = 1: P = R = 1, F = 1.
    gt = square((8, 10), (2, 4), (2, 4))
    pred = square((8, 10), (2, 4), (3, 5))
    assert frame_scores(pred, gt) == (0.5, 1.0)


def test_bound_th_in_pixels_overrides_the_diagonal_rule():
    # A 480x854 image normally gets r = 8; bound_th = 1 means r = 1 pixel,
    # and the shift-by-2 square of above (far from the border) gives 2/3.
    gt = square((480, 854), (100, 102), (100, 102))
    pred = square((480, 854), (100, 102), (102, 104))
    assert frame_scores(pred, gt, bound_th=1)[1] == pytest.approx(2 / 3)
    # with the default r = 8 every boundary pixel is within reach
    assert frame_scores(pred, gt)[1] == 1.0


def test_case_table():
    empty = np.zeros((6, 6), bool)
    blob = square((6, 6), (1, 3), (1, 3))
    # both empty: J = 1, P = R = 1 -> F = 1
    assert frame_scores(empty, empty) == (1.0, 1.0)
    # only the GT empty: J = 0; n_gt = 0 -> P = 0, R = 1 -> F = 0
    assert frame_scores(blob, empty) == (0.0, 0.0)
    # only the prediction empty: J = 0; n_fg = 0 -> P = 1, R = 0 -> F = 0
    assert frame_scores(empty, blob) == (0.0, 0.0)
    # a prediction covering the whole image has no boundary (the border is
    # not one), so against an empty GT both boundary counts are 0 -> F = 1
    # while J = 0: the official tools' case table, kept as is.
    assert frame_scores(np.ones((6, 6), bool), empty) == (0.0, 1.0)


def test_one_pixel_prediction_has_a_boundary():
    gt = square((20, 20), (5, 9), (5, 9))
    pred = np.zeros((20, 20), bool)
    pred[7, 7] = True  # inside the GT, far (> r = 1) from its boundary
    j, f = frame_scores(pred, gt)
    assert j == 1 / 25
    # n_fg = 4 (the single-pixel boundary), none within 1 px of B_G
    # -> P = 0, R = 0 -> F = 0 (and not the "n_fg = 0" case)
    assert f == 0.0


def _brute_force_f(pred, gt, r):
    """F straight from the definitions, with loops (slow, tiny masks)."""
    def bmap(m):
        h, w = m.shape
        b = np.zeros_like(m)
        for y in range(h):
            for x in range(w):
                nb = []
                if x + 1 < w:
                    nb.append(m[y, x + 1])
                if y + 1 < h:
                    nb.append(m[y + 1, x])
                if x + 1 < w and y + 1 < h:
                    nb.append(m[y + 1, x + 1])
                b[y, x] = any(v != m[y, x] for v in nb)
        return b

    bp, bg = bmap(pred), bmap(gt)
    p_pts, g_pts = np.argwhere(bp), np.argwhere(bg)

    def matched(a, b):
        if len(a) == 0 or len(b) == 0:
            return 0
        d2 = ((a[:, None, :] - b[None, :, :]) ** 2).sum(-1)
        return int((d2.min(1) <= r * r).sum())

    n_fg, n_gt = len(p_pts), len(g_pts)
    if n_fg == 0 and n_gt == 0:
        prec = rec = 1.0
    elif n_fg == 0:
        prec, rec = 1.0, 0.0
    elif n_gt == 0:
        prec, rec = 0.0, 1.0
    else:
        prec = matched(p_pts, g_pts) / n_fg
        rec = matched(g_pts, p_pts) / n_gt
    return 0.0 if prec + rec == 0 else 2 * prec * rec / (prec + rec)


def test_f_agrees_with_brute_force_on_random_masks():
    rng = np.random.default_rng(0)
    for trial in range(60):
        h, w = rng.integers(3, 24, size=2)
        if trial % 2:
            pred = rng.random((h, w)) < rng.random()
            gt = rng.random((h, w)) < rng.random()
        else:  # blobs, often touching the border
            pred = square((h, w), sorted(rng.integers(0, h, 2)),
                          sorted(rng.integers(0, w, 2)))
            gt = square((h, w), sorted(rng.integers(0, h, 2)),
                        sorted(rng.integers(0, w, 2)))
        r = int(rng.integers(1, 4))
        assert frame_scores(pred, gt, bound_th=r)[1] == pytest.approx(
            _brute_force_f(pred, gt, r), abs=1e-12)


def test_shape_mismatch_is_an_error():
    with pytest.raises(ValueError, match='shape'):
        frame_scores(np.zeros((4, 5), bool), np.zeros((5, 4), bool))


# --------------------------------------------------------------------------
# Mean / Recall / Decay
# --------------------------------------------------------------------------
def one_based_edges(n):
    bins = decay_bins(n)
    return [bins[0][0] + 1] + [b[1] for b in bins]


@pytest.mark.parametrize('n,edges', [
    (10, [1, 3, 6, 8, 10]),      # round(1, 3.25, 5.5, 7.75, 10), half up
    (48, [1, 13, 25, 36, 48]),   # round(1, 12.75, 24.5, 36.25, 48)
    (2, [1, 1, 2, 2, 2]),        # round(1, 1.25, 1.5, 1.75, 2)
    (1, [1, 1, 1, 1, 1]),
    (300, [1, 76, 151, 225, 300]),  # no uint8 wrap: the last edge is 300
])
def test_decay_edges(n, edges):
    assert one_based_edges(n) == edges


def test_decay_values():
    x = np.arange(10, dtype=float)
    # bins 1 and 4 are frames 1..3 and 8..10 (1-based): mean 1 - mean 8
    assert sequence_stats(x)['decay'] == 1.0 - 8.0
    assert sequence_stats([0.9, 0.4])['decay'] == pytest.approx(0.5)
    assert sequence_stats([0.7])['decay'] == 0.0
    assert math.isnan(sequence_stats([])['decay'])
    assert decay_bins(0) == []
    # n = 300: bin 4 is frames 225..300, not empty (the uint8 tools give NaN)
    x = np.linspace(1, 0, 300)
    expected = x[0:76].mean() - x[224:300].mean()
    assert sequence_stats(x)['decay'] == pytest.approx(expected)


def test_recall_is_strictly_above_half():
    s = sequence_stats([0.5, 0.5, 0.5000001, 1.0])
    assert s['recall'] == 0.5
    assert s["mean"] == pytest.approx((0.5 + 0.5 + 0.5000001 + 1.0) / 4)


def test_frames_per_protocol():
    assert evaluated_frames(10, 'davis16') == slice(1, 9)
    assert evaluated_frames(10, 'all-frames') == slice(0, 10)
    assert list(range(2))[evaluated_frames(2, 'davis16')] == []
    with pytest.raises(ValueError, match='protocol'):
        evaluated_frames(10, 'semi')


def test_first_and_last_frame_excluded_under_davis16():
    j = [0.0, 1.0, 1.0, 1.0, 0.0]
    f = [0.0, 0.8, 0.8, 0.8, 0.0]
    d16 = summarize({'a': (j, f)}, 'davis16')
    assert d16['J_mean'] == 1.0 and d16['F_mean'] == pytest.approx(0.8)
    assert d16['num_frames_evaluated'] == 3
    assert d16['JF_mean'] == pytest.approx(0.9)
    allf = summarize({'a': (j, f)}, 'all-frames')
    assert allf['J_mean'] == pytest.approx(0.6)
    assert allf['num_frames_evaluated'] == 5
    # Decay over all 5: bins [1,2] and [4,5] (1-based): 0.5 - 0.5 = 0
    assert allf['J_decay'] == 0.0


def test_dataset_is_a_uniform_mean_over_sequences():
    # 'short' has 3 evaluated frames at J = 1, 'long' 10 at J = 0: the
    # dataset J is 1/2 (per sequence), not 3/13 (per frame).
    per_frame = {'short': (np.ones(5), np.ones(5)),
                 'long': (np.zeros(12), np.zeros(12))}
    res = summarize(per_frame, 'davis16')
    assert res['J_mean'] == 0.5 and res['F_mean'] == 0.5
    assert res['J_recall'] == 0.5
    assert res['num_sequences'] == 2 and res['num_frames_evaluated'] == 13
    assert res['sequences']['short']['J_mean'] == 1.0
    assert res['sequences']['long']['num_frames'] == 12


def test_too_short_sequence_is_warned_about_and_left_out():
    per_frame = {'ok': ([0.2, 0.4, 0.6], [0.2, 0.4, 0.6]),
                 'two': ([1.0, 1.0], [1.0, 1.0])}
    with pytest.warns(UserWarning, match='two'):
        res = summarize(per_frame, 'davis16')
    assert res['J_mean'] == pytest.approx(0.4)
    assert math.isnan(res['sequences']['two']['J_mean'])
    assert res['num_sequences'] == 1
    with warnings.catch_warnings():
        warnings.simplefilter('error')
        res = summarize(per_frame, 'all-frames')
    assert res['J_mean'] == pytest.approx((0.4 + 1.0) / 2)


# --------------------------------------------------------------------------
# Folders, reading, parallel == serial
# --------------------------------------------------------------------------
def test_read_mask_variants(tmp_path):
    from PIL import Image
    m = np.zeros((6, 7), np.uint8)
    m[2:4, 3:6] = 1
    cv2.imwrite(str(tmp_path / 'bin01.png'), m)
    cv2.imwrite(str(tmp_path / 'bin255.png'), m * 255)
    # palette whose index 1 is *black*: the index still marks foreground
    p = Image.fromarray(m, mode='P')
    p.putpalette([0, 0, 0] * 256)
    p.save(tmp_path / 'palette.png')
    rgb = np.zeros((6, 7, 3), np.uint8)
    rgb[..., 2] = m * 7  # only the blue channel is nonzero
    cv2.imwrite(str(tmp_path / 'rgb.png'), rgb[..., ::-1])
    for name in ('bin01.png', 'bin255.png', 'palette.png', 'rgb.png'):
        got = read_mask(str(tmp_path / name))
        assert got.dtype == bool and (got == (m > 0)).all(), name


def _write_tree(root, masks, flat=False):
    """masks: {video: [H x W bool]} -> PNG files (0/255)."""
    for video, frames in masks.items():
        for t, m in enumerate(frames):
            if flat:
                path = root / f'{video}_{t:05d}.png'
            else:
                path = root / video / f'{t:05d}.png'
            path.parent.mkdir(parents=True, exist_ok=True)
            cv2.imwrite(str(path), m.astype(np.uint8) * 255)


def test_evaluate_folders_serial_equals_pool(tmp_path):
    rng = np.random.default_rng(3)
    gt, pred, shifts = {}, {}, {}
    for v, n in (('bear', 6), ('dance_twirl', 4), ('cows', 9)):
        gt[v] = [square((30, 40), (5 + t, 15 + t), (8, 20 + t))
                 for t in range(n)]
        shifts[v] = [int(rng.integers(-3, 4)) for _ in range(n)]
        pred[v] = [np.roll(g, k, axis=1) for g, k in zip(gt[v], shifts[v])]
    _write_tree(tmp_path / 'gt', gt)
    _write_tree(tmp_path / 'pred', pred, flat=True)
    serial = evaluate_davis(str(tmp_path / 'pred'), str(tmp_path / 'gt'),
                            workers=1)
    pooled = evaluate_davis(str(tmp_path / 'pred'), str(tmp_path / 'gt'),
                            workers=2)
    assert serial == pooled
    assert list(serial['sequences']) == ['bear', 'cows', 'dance_twirl']
    assert serial['num_frames_evaluated'] == 4 + 2 + 7
    # by hand: a box of width w shifted by k columns (never reaching the
    # border) keeps w - |k| of its columns, so J = (w - |k|) / (w + |k|);
    # the box of frame t is 13 + t wide; first and last frame excluded
    for v in gt:
        js = [(13 + t - abs(k)) / (13 + t + abs(k))
              for t, k in enumerate(shifts[v])][1:-1]
        assert serial['sequences'][v]['J_mean'] == pytest.approx(np.mean(js))
    assert serial['J_mean'] == pytest.approx(
        np.mean([serial['sequences'][v]['J_mean'] for v in gt]))


# --------------------------------------------------------------------------
# VOSMetric (mmseg evaluator)
# --------------------------------------------------------------------------
def _sample(video, frame, pred, gt):
    import torch
    return {'img_path': f'data/DAVIS2SEG/frame/val/{video}_{frame:05d}.jpg',
            'pred_sem_seg': {'data': torch.from_numpy(pred[None].astype(
                np.int64))},
            'gt_sem_seg': {'data': torch.from_numpy(gt[None].astype(
                np.uint8))}}


def test_vos_metric_groups_sorts_and_excludes_first_last():
    from mmseg.registry import METRICS

    from hfan.evaluation import VOSMetric
    assert METRICS.get('VOSMetric') is VOSMetric
    gt = square((30, 40), (5, 15), (10, 25))
    wrong = np.zeros_like(gt)
    samples = []
    # 'car_shadow' (underscore in the name): 6 frames, first and last are
    # empty predictions (J = F = 0), the middle ones perfect; 'bear': 4
    # frames, all perfect. Fed in a scrambled order, two batches.
    for t in (3, 0, 5, 1, 4, 2):
        pred = wrong if t in (0, 5) else gt
        samples.append(_sample('car_shadow', t, pred, gt))
    samples += [_sample('bear', t, gt, gt) for t in (2, 1, 3, 0)]
    metric = METRICS.build(dict(type='VOSMetric'))
    metric.process({}, samples[:5])
    metric.process({}, samples[5:])
    res = metric.compute_metrics(metric.results)
    assert set(res) == {'J_mean', 'J_recall', 'J_decay', 'F_mean',
                        'F_recall', 'F_decay', 'JF_mean'}
    assert res['J_mean'] == 1.0 and res['F_mean'] == 1.0
    assert res['J_decay'] == 0.0 and res['JF_mean'] == 1.0
    # all frames: car_shadow J = 4/6 with decay 0 (first and last bins each
    # hold one bad frame: bins [1,2] and [5,6] -> 0.5 - 0.5)
    metric = VOSMetric(protocol='all-frames')
    metric.process({}, samples)
    res = metric.compute_metrics(metric.results)
    assert res['J_mean'] == pytest.approx((4 / 6 + 1) / 2)
    assert res['J_recall'] == pytest.approx((4 / 6 + 1) / 2)
    assert res['J_decay'] == 0.0


def test_vos_metric_short_sequence_does_not_crash():
    from hfan.evaluation import VOSMetric
    gt = square((20, 20), (5, 10), (5, 10))
    metric = VOSMetric()
    metric.process({}, [_sample('tiny', t, gt, gt) for t in range(2)]
                   + [_sample('ok', t, gt, gt) for t in range(3)])
    with pytest.warns(UserWarning, match='tiny'):
        res = metric.compute_metrics(metric.results)
    assert res['J_mean'] == 1.0


def test_vos_metric_rejects_unparsable_names():
    from hfan.evaluation import VOSMetric
    gt = square((20, 20), (5, 10), (5, 10))
    s = _sample('x', 0, gt, gt)
    s['img_path'] = 'frames/nounderscore.jpg'
    with pytest.raises(ValueError, match='nounderscore'):
        VOSMetric().process({}, [s])
