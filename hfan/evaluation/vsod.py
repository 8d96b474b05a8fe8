"""VSOD measures on DAVIS-16 as HFAN reports them: S, E, F, MAE.

Follows the FSNet / DAVSOD MATLAB toolbox (``eval/main_VSOD.m``) as
described in docs/evaluation.md, section 2:

* frames: per sequence, every frame but the first and the last
  (protocol ``'davis16'``; ``'all-frames'`` keeps them);
* GT: gray scale (MATLAB ``rgb2gray`` for colour files), foreground
  ``> 128``; saliency: first channel / max value of its dtype, then min-max
  normalised over the frame (a constant map is left as it is);
* per frame: S-measure (alpha 0.5), MAE, adaptive F (``sal >= min(2 mean,
  1)``), adaptive E (``sal > 2 mean``), and 256-point F and E curves over the
  thresholds ``t = 1:-1/255:0`` -- F with ``sal >= t`` (beta^2 = 0.3), E with
  ``sal > t``;
* per sequence: means of the scalars and the mean curves; dataset: uniform
  means over sequences, the curves averaged over sequences *before* the max
  (E = max E, F = max F) and the mean are taken.

The per-frame arithmetic is pysodmetrics' (``Smeasure``, ``Fmeasure.cal_pr``
and ``cal_adaptive_fm``, ``MAE``, ``Emeasure.cal_em_with_threshold``) with
one override: on frames where the GT centroid falls exactly half-way between
two pixels, the S-measure's region split uses MATLAB's rounding (half away
from zero) instead of numpy's half-to-even, as the toolbox does.
pysodmetrics is imported lazily, only when VSOD measures are computed.
"""
import math
import warnings
from functools import lru_cache
from typing import Dict, Optional, Sequence, Tuple

import numpy as np

from hfan.utils.image_io import (
    image_file_size,
    read_image_rgb,
    read_image_rgb_and_palette,
)

from .davis import evaluated_frames, nonbinary_gt_warning
from .io import FramePair, gt_mask, pair_frames, results_tables, size_mismatch
from .parallel import map_sequences

VSOD_KEYS = ('S', 'E', 'F', 'MAE', 'meanE', 'meanF', 'adpE', 'adpF')
NUM_THRESHOLDS = 256

# MATLAB rgb2gray luma coefficients (more digits than Rec. 601's 0.299 etc.).
_RGB2GRAY = (0.298936021293775, 0.587043074451121, 0.114020904255103)


def toolbox_thresholds() -> np.ndarray:
    """The toolbox's ``1:-1/255:0`` as MATLAB's colon operator builds it.

    MATLAB fills the first half as ``a + k*d`` and the second half as
    ``b - k*d`` (counted from the end), so both ends are exact. Returns 256
    float64 values from 1 down to 0.
    """
    d = -(1 / 255)
    n = NUM_THRESHOLDS - 1
    t = np.empty(NUM_THRESHOLDS)
    for k in range(n // 2 + 1):
        t[k] = 1 + k * d
        t[n - k] = 0 - k * d
    return t


# --------------------------------------------------------------------------
# Reading
# --------------------------------------------------------------------------
def _dtype_max(img: np.ndarray, path: str) -> float:
    if img.dtype == np.uint8:
        return 255.0
    if img.dtype == np.uint16:
        return 65535.0
    raise ValueError(f'{path}: unsupported image type {img.dtype} '
                     '(expected 8- or 16-bit)')


def gt_from_image(img: np.ndarray) -> np.ndarray:
    """Toolbox GT: ``rgb2gray`` for colour images, then ``> 128``.

    Palette images count by their index plane (MATLAB ``imread`` returns the
    indices), so a 0/1-indexed palette GT reads as all background, exactly as
    in the toolbox; :func:`evaluate_vsod` warns when that happens.
    """
    if img.ndim == 3:
        r, g, b = (img[..., c].astype(np.float64) for c in range(3))
        gray = _RGB2GRAY[0] * r + _RGB2GRAY[1] * g + _RGB2GRAY[2] * b
        # rgb2gray returns the input class: rounded (half away) and clipped.
        img = np.minimum(np.floor(gray + 0.5), np.iinfo(img.dtype).max)
    return img > 128


#: ``--pred-mode`` values: how prediction files are read.
PRED_MODES = ('auto', 'binary', 'gray')


def prediction_saliency(img: np.ndarray, path: str = '<array>',
                        mode: str = 'auto',
                        palette: bool = False) -> np.ndarray:
    """A prediction file's saliency map under ``mode``.

    Args:
        img: the decoded file (``H x W`` or ``H x W x C``).
        path: the file, for messages.
        mode: 'binary': a mask, 0 and one foreground value in any encoding
            (0/255, 0/1, a one-object palette), read as 0.0 / 1.0 -- an
            all-foreground frame is 1 everywhere, whatever its value;
            'gray': the toolbox's reading (:func:`saliency_from_image`);
            'auto': 'binary' for palette files and for maps whose values are
            within {0, 1} or {0, the dtype's maximum}, else 'gray'.
        palette: the file is a palette PNG (values are label indices).

    Returns:
        ``H x W`` float64 in [0, 1].

    Raises:
        ValueError: a map that is not binary read as 'binary', or a palette
            file read as 'gray' (label indices are no saliency).
    """
    from .io import is_two_valued
    if mode not in PRED_MODES:
        raise ValueError(f'unknown pred_mode {mode!r}; expected one of '
                         f'{PRED_MODES}')
    plane = img[..., 0] if img.ndim == 3 else img  # the toolbox's channel
    if mode == 'auto':
        top = _dtype_max(plane, path)
        binary = palette or not np.any((plane != 0) & (plane != 1)) or \
            not np.any((plane != 0) & (plane != top))
        mode = 'binary' if binary else 'gray'
    if mode == 'gray':
        if palette:
            raise ValueError(
                f'{path} is a palette (label) PNG: its values are label '
                'indices, not saliency; read it with --pred-mode binary')
        return saliency_from_image(img, path)
    if not is_two_valued(plane):
        raise ValueError(
            f'{path} is not a binary mask (values {_some_values(plane)}); '
            'read gray maps with --pred-mode gray')
    return (plane != 0).astype(np.float64)


def _some_values(plane: np.ndarray) -> str:
    values = np.unique(plane)
    return ', '.join(str(int(v)) for v in values[:6]) + \
        (' ...' if values.size > 6 else '')


def saliency_from_image(img: np.ndarray, path: str = '<array>') -> np.ndarray:
    """Toolbox saliency: ``mapminmax(im2double(sal(:,:,1)), 0, 1)``.

    Returns ``H x W`` float64 in [0, 1]; a constant map stays as it is (so
    an all-0 map is 0 and an all-255 map is 1). The arithmetic is
    pysodmetrics' ``prepare_data`` (divide, then min-max), which matches
    MATLAB's to an ulp.
    """
    if img.ndim == 3:
        img = img[..., 0]
    sal = img / _dtype_max(img, path)
    lo, hi = sal.min(), sal.max()
    if hi != lo:
        sal = (sal - lo) / (hi - lo)
    return sal


# --------------------------------------------------------------------------
# Per frame
# --------------------------------------------------------------------------
def _half_up_div(num: int, den: int) -> int:
    """round(num / den) with halves rounded up, for num, den >= 0."""
    return (2 * num + den) // (2 * den)


def _half_even_div(num: int, den: int) -> int:
    """round(num / den) with halves rounded to even (numpy), num, den >= 0."""
    q, r = divmod(num, den)
    if 2 * r > den or (2 * r == den and q % 2 == 1):
        q += 1
    return q


@lru_cache(maxsize=1)
def _measures():
    """pysodmetrics objects used only for their per-frame methods."""
    import py_sod_metrics as psm

    class ToolboxSmeasure(psm.Smeasure):
        """pysodmetrics' S-measure with MATLAB's centroid rounding.

        pysodmetrics rounds the 0-based GT centroid half-to-even and adds 1;
        the toolbox rounds the 1-based centroid half away from zero. They
        differ only when a coordinate is exactly k + 0.5 (0-based) with k
        even; on those frames the region score is recomputed with the
        toolbox's split, on all others pysodmetrics' own ``region`` runs.
        """

        def region(self, pred, gt):
            n = np.count_nonzero(gt)
            h, w = gt.shape
            # Integer sums of 0-based coordinates: exact, so ties are exact.
            sum_y = int(np.count_nonzero(gt, axis=1) @ np.arange(h))
            sum_x = int(np.count_nonzero(gt, axis=0) @ np.arange(w))
            # Split after row Y / column X (1-based counts of top/left).
            y_mat = _half_up_div(sum_y + n, n)
            x_mat = _half_up_div(sum_x + n, n)
            y_psm = _half_even_div(sum_y, n) + 1
            x_psm = _half_even_div(sum_x, n) + 1
            if (y_mat, x_mat) == (y_psm, x_psm):
                return super().region(pred, gt)
            return self._split_score(pred, gt, y_mat, x_mat)

        def _split_score(self, pred, gt, y, x):
            # Blocks rows 1..Y / Y+1..H x cols 1..X / X+1..W weighted by
            # their share of the image; the last weight is the remainder.
            h, w = gt.shape
            area = h * w
            w_lt = x * y / area
            w_rt = (w - x) * y / area
            w_lb = x * (h - y) / area
            w_rb = 1 - w_lt - w_rt - w_lb
            return (self.ssim(pred[:y, :x], gt[:y, :x]) * w_lt
                    + self.ssim(pred[:y, x:], gt[:y, x:]) * w_rt
                    + self.ssim(pred[y:, :x], gt[y:, :x]) * w_lb
                    + self.ssim(pred[y:, x:], gt[y:, x:]) * w_rb)

    with warnings.catch_warnings():
        # Fmeasure warns that it is superseded by FmeasureV2; its classic
        # histogram curve is the one that matches the toolbox.
        warnings.simplefilter('ignore')
        fm = psm.Fmeasure(beta=0.3)
    return ToolboxSmeasure(alpha=0.5), fm, psm.Emeasure(), psm.MAE()


def frame_measures(sal: np.ndarray, gt: np.ndarray) -> Dict[str, object]:
    """All toolbox measures of one frame.

    Args:
        sal: ``H x W`` float64 saliency in [0, 1] (already min-max
            normalised, see :func:`saliency_from_image`).
        gt: ``H x W`` bool ground truth.

    Returns:
        ``{'S', 'MAE', 'adpF', 'adpE'}`` floats and ``'F_curve'``,
        ``'E_curve'``: 256 values each, for thresholds 1 down to 0
        (:func:`toolbox_thresholds`).
    """
    sm, fm, em, mae = _measures()
    sal = np.asarray(sal, dtype=np.float64)
    gt = np.asarray(gt, dtype=bool)
    if sal.shape != gt.shape:
        raise ValueError(f'saliency shape {sal.shape} differs from GT shape '
                         f'{gt.shape}')
    _, _, f_curve = fm.cal_pr(sal, gt)
    # cal_em_with_threshold reads the GT statistics from the object.
    em.gt_fg_numel = np.count_nonzero(gt)
    em.gt_size = gt.shape[0] * gt.shape[1]
    return dict(
        S=float(sm.cal_sm(sal, gt)),
        MAE=float(mae.cal_mae(sal, gt)),
        adpF=float(fm.cal_adaptive_fm(sal, gt)),
        # The toolbox binarises sal > 2*mean (no cap needed: > 1 is empty);
        # cal_em_with_threshold binarises >=, and for floats x > t is
        # exactly x >= nextafter(t, +inf).
        adpE=float(em.cal_em_with_threshold(
            sal, gt, np.nextafter(2 * np.mean(sal), np.inf))),
        F_curve=np.asarray(f_curve, dtype=np.float64),
        E_curve=_toolbox_e_curve(em, sal, gt),
    )


def _toolbox_e_curve(em, sal: np.ndarray, gt: np.ndarray) -> np.ndarray:
    """E-measure of ``sal > t`` for the 256 toolbox thresholds.

    ``sal > t`` only changes when t passes one of the map's values, so
    thresholds are grouped by the number of distinct values above them and
    each distinct binary map is scored once (2 maps for a binary
    prediction instead of 256).
    """
    t = toolbox_thresholds()
    levels = np.unique(sal)
    # index of the first level > t; equal index -> identical binary map
    first_above = np.searchsorted(levels, t, side='right')
    curve = np.empty(NUM_THRESHOLDS)
    start = 0
    for i in range(1, NUM_THRESHOLDS + 1):
        if i == NUM_THRESHOLDS or first_above[i] != first_above[start]:
            curve[start:i] = em.cal_em_with_threshold(
                sal, gt, np.nextafter(t[start], np.inf))
            start = i
    return curve


# --------------------------------------------------------------------------
# Per sequence / dataset
# --------------------------------------------------------------------------
def evaluate_vsod_sequence(task: Tuple[Sequence[FramePair], str]) -> dict:
    """Toolbox measures of one sequence read from files.

    Args:
        task: ``(pairs, protocol[, pred_mode])`` with pairs in temporal
            order; ``pred_mode`` (default 'gray', the toolbox's reading) as
            :func:`prediction_saliency`.

    Returns:
        ``{'num_frames', 'num_frames_evaluated', 'S', 'MAE', 'adpF', 'adpE'
        (means over evaluated frames), 'F_curve', 'E_curve' (mean curves),
        'gt_without_fg_over_128'}`` (frames whose GT has nonzero pixels but
        none above 128 -- probably 0/1 labels, read as empty) and
        ``'nonbinary_gt'`` (GT files with more than 0 and one other value).
    """
    pairs, protocol = task[:2]
    pred_mode = task[2] if len(task) > 2 else 'gray'
    pairs = list(pairs)
    sel = evaluated_frames(len(pairs), protocol)
    for _, pred_path, gt_path in pairs[:sel.start] + pairs[sel.stop:]:
        # frames the protocol skips are not decoded, but must still match
        pred_hw = image_file_size(pred_path)
        gt_hw = image_file_size(gt_path)
        if pred_hw != gt_hw:
            raise size_mismatch(pred_path, pred_hw, gt_path, gt_hw)
    scalars = {k: [] for k in ('S', 'MAE', 'adpF', 'adpE')}
    f_curves, e_curves = [], []
    low_gt = 0
    nonbinary_gt = []
    for _, pred_path, gt_path in pairs[sel]:
        pred_img, palette = read_image_rgb_and_palette(pred_path)
        gt_img = read_image_rgb(gt_path)
        if pred_img.shape[:2] != gt_img.shape[:2]:
            raise size_mismatch(pred_path, pred_img.shape, gt_path,
                                 gt_img.shape)
        gt = gt_from_image(gt_img)
        if not gt.any() and np.any(gt_img):
            low_gt += 1
        elif not gt_mask(gt_img)[1]:
            nonbinary_gt.append(gt_path)
        m = frame_measures(
            prediction_saliency(pred_img, pred_path, pred_mode, palette), gt)
        for k in scalars:
            scalars[k].append(m[k])
        f_curves.append(m['F_curve'])
        e_curves.append(m['E_curve'])
    n = len(f_curves)
    out = dict(num_frames=len(pairs), num_frames_evaluated=n,
               gt_without_fg_over_128=low_gt, nonbinary_gt=nonbinary_gt)
    for k, v in scalars.items():
        out[k] = float(np.mean(v)) if n else float('nan')
    # mean over frames, as MATLAB's mean(threshold_X, 1)
    nan_curve = np.full(NUM_THRESHOLDS, np.nan)
    out['F_curve'] = np.mean(f_curves, axis=0) if n else nan_curve
    out['E_curve'] = np.mean(e_curves, axis=0) if n else nan_curve
    return out


def summarize_vsod(per_sequence: Dict[str, dict],
                   protocol: str = 'davis16') -> dict:
    """Dataset figures from per-sequence results.

    Args:
        per_sequence: ``{name: evaluate_vsod_sequence(...) result}``.

    Returns:
        ``S, E (max E), F (max F), MAE, meanE, meanF, adpE, adpF`` (uniform
        means over sequences; E/F curves averaged over sequences before the
        max / mean), ``curves: {'threshold', 'E', 'F'}`` (dataset curves),
        ``protocol``, ``num_sequences``, ``num_frames_evaluated`` and
        ``sequences: {name: {same scalar keys, each from the sequence's own
        curves, num_frames_evaluated}}``. Sequences without evaluated frames
        get NaN, are left out of the dataset figures and are warned about.
    """
    sequences = {}
    used = []
    for name, r in per_sequence.items():
        n = r['num_frames_evaluated']
        row = dict(S=r['S'], MAE=r['MAE'], adpE=r['adpE'], adpF=r['adpF'])
        if n:
            row.update(E=float(np.max(r['E_curve'])),
                       F=float(np.max(r['F_curve'])),
                       meanE=float(np.mean(r['E_curve'])),
                       meanF=float(np.mean(r['F_curve'])))
            used.append(r)
        else:
            row.update(E=math.nan, F=math.nan, meanE=math.nan, meanF=math.nan)
        sequences[name] = {k: row[k] for k in VSOD_KEYS}
        sequences[name]['num_frames_evaluated'] = n
    skipped = [n for n, r in per_sequence.items()
               if not r['num_frames_evaluated']]
    if skipped:
        warnings.warn(
            f'{len(skipped)} sequence(s) have no frame to evaluate under '
            f'protocol {protocol!r} and are left out of the dataset figures: '
            f'{", ".join(skipped)}')
    low = {n: r['gt_without_fg_over_128'] for n, r in per_sequence.items()
           if r.get('gt_without_fg_over_128')}
    if low:
        warnings.warn(
            'GT frames with nonzero pixels but none above 128 were read as '
            'empty (the toolbox takes GT > 128; are these 0/1 label maps?): '
            + ', '.join(f'{n} ({c} frames)' for n, c in low.items()))
    nonbinary = {n: r['nonbinary_gt'] for n, r in per_sequence.items()
                 if r.get('nonbinary_gt')}
    if nonbinary:
        warnings.warn(nonbinary_gt_warning(nonbinary).replace(
            'any nonzero = foreground', 'the toolbox does (> 128)'))
    result: dict = {}
    if used:
        e_curve = np.mean([r['E_curve'] for r in used], axis=0)
        f_curve = np.mean([r['F_curve'] for r in used], axis=0)
        result.update(
            S=float(np.mean([r['S'] for r in used])),
            E=float(np.max(e_curve)),
            F=float(np.max(f_curve)),
            MAE=float(np.mean([r['MAE'] for r in used])),
            meanE=float(np.mean(e_curve)),
            meanF=float(np.mean(f_curve)),
            adpE=float(np.mean([r['adpE'] for r in used])),
            adpF=float(np.mean([r['adpF'] for r in used])))
        curves = dict(threshold=toolbox_thresholds().tolist(),
                      E=e_curve.tolist(), F=f_curve.tolist())
    else:
        result.update({k: math.nan for k in VSOD_KEYS})
        curves = None
    result = {k: result[k] for k in VSOD_KEYS}
    result.update(protocol=protocol, num_sequences=len(used),
                  num_frames_evaluated=sum(r['num_frames_evaluated']
                                           for r in used),
                  curves=curves, sequences=sequences)
    return result


def evaluate_vsod(pred_root: str,
                  gt_root: str,
                  layout: Optional[str] = None,
                  gt_layout: Optional[str] = None,
                  protocol: str = 'davis16',
                  workers: Optional[int] = None,
                  sequences: Optional[Sequence[str]] = None,
                  progress: bool = False,
                  pred_mode: str = 'auto') -> dict:
    """Evaluate saliency maps (or binary masks) against GT masks.

    Args and layouts as :func:`hfan.evaluation.davis.evaluate_davis`;
    ``pred_mode`` as :func:`prediction_saliency` ('auto': binary masks in
    any encoding as 0/1, other maps as gray).

    Returns:
        the dict of :func:`summarize_vsod`.
    """
    evaluated_frames(0, protocol)  # validates the protocol name
    if pred_mode not in PRED_MODES:
        raise ValueError(f'unknown pred_mode {pred_mode!r}; expected one of '
                         f'{PRED_MODES}')
    pairs = pair_frames(pred_root, gt_root, layout, gt_layout, sequences,
                        ignore_unannotated=protocol == 'annotated')
    per_seq = map_sequences(
        evaluate_vsod_sequence,
        [(name, (p, protocol, pred_mode)) for name, p in pairs.items()],
        workers=workers,
        sizes=[len(p[evaluated_frames(len(p), protocol)])
               for p in pairs.values()],
        progress=progress, desc='S/E/F/MAE')
    return summarize_vsod(per_seq, protocol)


def format_vsod_table(results: dict, per_sequence: bool = True) -> str:
    """Plain-text tables (three decimals, as HFAN's README)."""
    keys = ('S', 'E', 'F', 'MAE', 'meanE', 'meanF', 'adpE', 'adpF')

    def fmt(v):
        return '-' if v is None or v != v else f'{v:.3f}'

    return results_tables(results, keys, keys, fmt, 6, per_sequence,
                          note='; E = max E-measure, F = max F-measure '
                          'with beta^2 = 0.3')
