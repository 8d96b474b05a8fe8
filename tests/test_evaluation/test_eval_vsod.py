"""VSOD S / E / F / MAE, checked against hand-worked values and against the
toolbox formulas of docs/evaluation.md, section 2 written out plainly here."""
import math

import cv2
import numpy as np
import pytest

from hfan.evaluation import (
    evaluate_vsod,
    frame_measures,
    gt_from_image,
    saliency_from_image,
    toolbox_thresholds,
)

EPS = np.spacing(1)


# ---- the toolbox's formulas, per pixel, straight from docs/evaluation.md --
def toolbox_E(fm, gt):
    """Enhanced-alignment measure of a binary map ``fm`` (sum / (N-1+eps))."""
    fm, g = fm.astype(float), gt.astype(float)
    if not gt.any():
        phi = 1 - fm
    elif gt.all():
        phi = fm
    else:
        f_hat, g_hat = fm - fm.mean(), g - g.mean()
        align = 2 * g_hat * f_hat / (g_hat ** 2 + f_hat ** 2 + EPS)
        phi = (align + 1) ** 2 / 4
    return phi.sum() / (gt.size - 1 + EPS)


def toolbox_F(binary, gt):
    tp = np.count_nonzero(binary & gt)
    if tp == 0:
        return 0.0
    p, r = tp / np.count_nonzero(binary), tp / np.count_nonzero(gt)
    return 1.3 * p * r / (0.3 * p + r)


def toolbox_S(sal, gt):
    """S-measure (alpha 0.5) with MATLAB's centroid: round half away."""
    def obj(v):
        m = v.mean()
        s = v.std(ddof=1) if v.size > 1 else 0.0
        return 2 * m / (m * m + 1 + s + EPS)

    def ssim(x, y):
        n = x.size
        mx, my = x.mean(), y.mean()
        sx = ((x - mx) ** 2).sum() / (n - 1 + EPS)
        sy = ((y - my) ** 2).sum() / (n - 1 + EPS)
        sxy = ((x - mx) * (y - my)).sum() / (n - 1 + EPS)
        a, b = 4 * mx * my * sxy, (mx * mx + my * my) * (sx + sy)
        return a / (b + EPS) if a != 0 else (1.0 if b == 0 else 0.0)

    y = gt.mean()
    if y == 0:
        return 1 - sal.mean()
    if y == 1:
        return sal.mean()
    s_obj = y * obj(sal[gt]) + (1 - y) * obj((1 - sal)[~gt])
    h, w = gt.shape
    rows, cols = np.nonzero(gt)
    X = math.floor((cols + 1).mean() + 0.5)   # 1-based, half away from 0
    Y = math.floor((rows + 1).mean() + 0.5)
    g = gt.astype(float)
    weights = [X * Y / (h * w), (w - X) * Y / (h * w), X * (h - Y) / (h * w)]
    weights.append(1 - sum(weights))
    blocks = [(slice(0, Y), slice(0, X)), (slice(0, Y), slice(X, w)),
              (slice(Y, h), slice(0, X)), (slice(Y, h), slice(X, w))]
    s_reg = sum(wt * ssim(sal[b], g[b]) for wt, b in zip(weights, blocks))
    return max(0.0, 0.5 * s_obj + 0.5 * s_reg)


def blob(shape, rows, cols):
    m = np.zeros(shape, bool)
    m[rows[0]:rows[1], cols[0]:cols[1]] = True
    return m


def write(path, img):
    path.parent.mkdir(parents=True, exist_ok=True)
    cv2.imwrite(str(path), img)


# --------------------------------------------------------------------------
def test_thresholds_run_from_one_to_zero():
    t = toolbox_thresholds()
    assert t.shape == (256,) and t[0] == 1.0 and t[-1] == 0.0
    assert np.all(np.diff(t) < 0)
    assert np.allclose(t, 1 - np.arange(256) / 255, rtol=0, atol=1e-15)


def test_gt_and_saliency_decoding():
    assert gt_from_image(np.array([[128, 129, 0, 255]], np.uint8)).tolist() \
        == [[False, True, False, True]]
    # colour GT: MATLAB rgb2gray, pure red = 76 (bg), yellow = 226 (fg)
    rgb = np.array([[[255, 0, 0], [255, 255, 0]]], np.uint8)
    assert gt_from_image(rgb).tolist() == [[False, True]]
    # min-max over the frame: {50, 100} -> {0, 1}
    assert saliency_from_image(np.array([[50, 100]], np.uint8)).tolist() \
        == [[0.0, 1.0]]
    # constant maps are left as they are (mapminmax semantics)
    assert saliency_from_image(np.full((2, 2), 255, np.uint8)).max() == 1.0
    assert saliency_from_image(np.zeros((2, 2), np.uint8)).max() == 0.0
    assert saliency_from_image(np.full((1, 1), 77, np.uint8))[0, 0] == 77 / 255
    # 16-bit maps are divided by 65535; colour maps use the first channel
    assert saliency_from_image(
        np.array([[0, 65535]], np.uint16)).tolist() == [[0.0, 1.0]]
    col = np.zeros((1, 2, 3), np.uint8)
    col[0, 1, 0] = 200
    col[0, 0, 1] = 255  # ignored: not the first channel
    assert saliency_from_image(col).tolist() == [[0.0, 1.0]]


def test_perfect_binary_prediction():
    gt = blob((20, 30), (4, 12), (6, 20))
    m = frame_measures(saliency_from_image(gt.astype(np.uint8) * 255), gt)
    n = gt.size
    assert m['S'] == pytest.approx(1.0, abs=1e-12)
    assert m['MAE'] == 0.0
    assert max(m['F_curve']) == 1.0
    # every pixel aligned: phi = 1 -> E = N / (N - 1), a hair above 1
    assert max(m['E_curve']) == pytest.approx(n / (n - 1), rel=1e-13)
    assert max(m['E_curve']) > 1.0


def test_s_measure_worked_by_hand():
    # GT [[1,0],[0,0]], saliency [[1,0],[0,1]] (raw 255/0 -> min-max same).
    # y = 1/4. Object part: on the GT pixel sal = [1] -> O = 2/(1+1+0) = 1;
    # on the background 1 - sal = [1, 1, 0]: mean 2/3, std (N-1) sqrt(1/3),
    # O_bg = (4/3) / (4/9 + 1 + sqrt(1/3)). S_obj = 1/4 + 3/4 O_bg.
    # Region part: centroid (1,1) 1-based splits into four 1-pixel blocks;
    # each has zero variances -> alpha' = beta' = 0 -> ssim 1 -> S_reg = 1.
    # S = (S_obj + S_reg) / 2.
    gt = np.array([[1, 0], [0, 0]], bool)
    sal = saliency_from_image(np.array([[255, 0], [0, 255]], np.uint8))
    o_bg = (4 / 3) / (4 / 9 + 1 + math.sqrt(1 / 3))
    expected = 0.5 * (0.25 + 0.75 * o_bg) + 0.5
    m = frame_measures(sal, gt)
    assert m['S'] == pytest.approx(expected, abs=1e-12)
    assert m['MAE'] == pytest.approx(0.25)   # one wrong pixel of four


def test_s_measure_with_empty_or_full_gt():
    sal = saliency_from_image(np.array([[0, 255], [51, 102]], np.uint8))
    # values 0, 1, 0.2, 0.4: mean 0.4
    empty, full = np.zeros((2, 2), bool), np.ones((2, 2), bool)
    assert frame_measures(sal, empty)['S'] == pytest.approx(0.6)
    assert frame_measures(sal, empty)['MAE'] == pytest.approx(0.4)
    assert frame_measures(sal, full)['S'] == pytest.approx(0.4)


def test_s_measure_uses_matlab_centroid_rounding_on_ties():
    # GT pixels at rows 0 and 1 (0-based), so the row centroid is 0.5:
    # MATLAB rounds the 1-based 1.5 up to 2 (split after row 2), numpy's
    # half-to-even would give 0 + 1 = 1 (split after row 1).
    rng = np.random.default_rng(7)
    gt = np.zeros((5, 7), bool)
    gt[0:2, 3] = True
    sal = rng.random((5, 7))
    got = frame_measures(sal, gt)['S']
    assert got == pytest.approx(toolbox_S(sal, gt), abs=1e-12)
    import py_sod_metrics
    plain = py_sod_metrics.Smeasure(alpha=0.5).cal_sm(sal, gt)
    assert abs(plain - got) > 1e-4  # the override matters on this frame
    # and on random frames (ties or not) it agrees with the toolbox formula
    for _ in range(30):
        gt = rng.random((6, 9)) < 0.3
        sal = rng.random((6, 9))
        assert frame_measures(sal, gt)['S'] == pytest.approx(
            toolbox_S(sal, gt), abs=1e-12)


def test_curves_match_toolbox_formulas_on_gray_maps():
    # gray map with values in 11..244 (range 233, prime): no threshold ties
    rng = np.random.default_rng(1)
    gt = blob((24, 32), (5, 17), (8, 25))
    raw = np.clip(gt * 150 + rng.normal(60, 30, gt.shape), 11, 244)
    raw = raw.astype(np.uint8)
    raw[0, 0], raw[-1, -1] = 11, 244
    sal = saliency_from_image(raw)
    m = frame_measures(sal, gt)
    t = toolbox_thresholds()
    assert np.allclose(m['E_curve'], [toolbox_E(sal > x, gt) for x in t],
                       rtol=0, atol=1e-12)
    assert np.allclose(m['F_curve'], [toolbox_F(sal >= x, gt) for x in t],
                       rtol=0, atol=1e-12)
    thr = 2 * sal.mean()
    assert m['adpE'] == pytest.approx(toolbox_E(sal > thr, gt), abs=1e-12)
    assert m['adpF'] == pytest.approx(toolbox_F(sal >= min(thr, 1), gt))


def test_adaptive_e_is_strict_and_adaptive_f_is_not():
    # Half the pixels are 1: 2*mean = 1 exactly. adpF binarises sal >= 1
    # (the prediction), adpE sal > 1 (an empty map).
    gt = blob((4, 4), (0, 4), (0, 2))
    sal = gt.astype(float)
    m = frame_measures(sal, gt)
    assert m['adpF'] == 1.0
    assert m['adpE'] == pytest.approx(toolbox_E(np.zeros_like(gt), gt))
    # an empty map against a non-trivial GT: phi = 1/4 everywhere
    assert m['adpE'] == pytest.approx(16 / 4 / 15)


def _binary_seq_expectations(preds, gts):
    """Toolbox curves of binary maps: E = [E(empty), E(pred) x 255],
    F = [F(pred) x 255, F(all ones)], averaged over the frames."""
    e_pred = np.mean([toolbox_E(p, g) for p, g in zip(preds, gts)])
    e_empty = np.mean([toolbox_E(np.zeros_like(g), g) for g in gts])
    f_pred = np.mean([toolbox_F(p, g) for p, g in zip(preds, gts)])
    f_ones = np.mean([toolbox_F(np.ones_like(g), g) for g in gts])
    return e_pred, e_empty, f_pred, f_ones


def test_binary_maps_and_aggregation(tmp_path):
    shape = (16, 24)
    # 'good': 5 frames, decent predictions; 'bad': 7 frames, predictions
    # are the GT's complement (E(pred) ~ 0 < E(empty) = 1/4, F(pred) = 0).
    # First and last frames are garbage (all foreground) and must not count.
    seqs = {}
    for name, n, make in (
            ('good', 5, lambda g: np.roll(g, 1, axis=1)),
            ('bad', 7, lambda g: ~g)):
        gts = [blob(shape, (3 + t % 3, 10 + t % 3), (4, 12 + t))
               for t in range(n)]
        preds = [make(g) for g in gts]
        preds[0] = preds[-1] = np.ones(shape, bool)
        seqs[name] = (gts, preds)
        for t in range(n):
            write(tmp_path / 'gt' / name / f'{t:05d}.png',
                  gts[t].astype(np.uint8) * 255)
            write(tmp_path / 'pred' / name / f'{t:05d}.png',
                  preds[t].astype(np.uint8) * 255)
    res = evaluate_vsod(str(tmp_path / 'pred'), str(tmp_path / 'gt'),
                        workers=1)
    exp = {name: _binary_seq_expectations(p[1:-1], g[1:-1])
           for name, (g, p) in seqs.items()}
    for name, (e_pred, e_empty, f_pred, f_ones) in exp.items():
        row = res['sequences'][name]
        assert row['E'] == pytest.approx(max(e_pred, e_empty), abs=1e-12)
        assert row['meanE'] == pytest.approx((e_empty + 255 * e_pred) / 256,
                                             abs=1e-12)
        assert row['F'] == pytest.approx(max(f_pred, f_ones), abs=1e-12)
        assert row['meanF'] == pytest.approx((255 * f_pred + f_ones) / 256,
                                             abs=1e-12)
        gts, preds = seqs[name]
        assert row['S'] == pytest.approx(np.mean(
            [toolbox_S(p.astype(float), g)
             for p, g in zip(preds[1:-1], gts[1:-1])]), abs=1e-12)
        assert row['MAE'] == pytest.approx(np.mean(
            [np.mean(p != g) for p, g in zip(preds[1:-1], gts[1:-1])]))
    # dataset: uniform over sequences, curves averaged before the max
    e_pred = np.mean([v[0] for v in exp.values()])
    e_empty = np.mean([v[1] for v in exp.values()])
    f_pred = np.mean([v[2] for v in exp.values()])
    f_ones = np.mean([v[3] for v in exp.values()])
    assert res['E'] == pytest.approx(max(e_pred, e_empty), abs=1e-12)
    assert res['F'] == pytest.approx(max(f_pred, f_ones), abs=1e-12)
    # ... which is not the mean of the per-sequence maxima here
    assert abs(res['E'] - np.mean([r['E'] for r in
                                   res['sequences'].values()])) > 0.05
    assert res['S'] == pytest.approx(
        np.mean([r['S'] for r in res['sequences'].values()]))
    assert res['num_frames_evaluated'] == 3 + 5
    assert len(res['curves']['E']) == 256


def test_zero_one_gt_is_read_as_empty_with_a_warning(tmp_path):
    for t in range(3):
        write(tmp_path / 'gt' / 'a' / f'{t}.png',
              blob((8, 8), (2, 5), (2, 5)).astype(np.uint8))  # 0/1 labels
        write(tmp_path / 'pred' / 'a' / f'{t}.png',
              blob((8, 8), (2, 5), (2, 5)).astype(np.uint8) * 255)
    with pytest.warns(UserWarning, match='128'):
        res = evaluate_vsod(str(tmp_path / 'pred'), str(tmp_path / 'gt'),
                            workers=1)
    # toolbox semantics: the GT is empty, so S = 1 - mean(sal)
    assert res['S'] == pytest.approx(1 - 9 / 64)
