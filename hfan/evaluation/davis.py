"""DAVIS-16 unsupervised VOS measures: J (region), F (boundary), and their
per-sequence Mean / Recall / Decay and dataset figures.

This follows the protocol in docs/evaluation.md (the MATLAB davis-2016
toolbox and the python DAVIS tools) exactly:

* per frame, a single-object binary pair (arrays: any nonzero pixel =
  foreground; files, as the MATLAB tool reads them: a prediction with more
  than 0 and one value is thresholded at half its maximum, label maps are
  refused, see :func:`hfan.evaluation.io.prediction_mask`):
  ``J = |G & P| / |G | P|`` (1 when both are empty) and the boundary
  F-measure of D. Martin's ``seg2bmap`` maps with a disk tolerance of
  ``r = ceil(0.008 * image diagonal)`` pixels;
* per sequence, over the *evaluated* frames (protocol ``'davis16'``: all but
  the first and the last; ``'all-frames'``: every frame): Mean, Recall
  (fraction of frames with a value strictly above 0.5) and Decay (mean of the
  first minus mean of the last of 4 overlapping bins) -- with no uint8
  wrap-around of the bin edges, so it is right for any length;
* dataset figures: uniform mean over sequences, ``JF_mean = (J_mean +
  F_mean) / 2``.

The implementation is vectorised (counts with ``np.count_nonzero``, boundary
maps by array slicing, the tolerance test by one ``cv2.dilate`` per map on the
bounding box of the boundaries) and runs sequences in a process pool.
"""
import math
import warnings
from functools import lru_cache
from typing import Dict, List, Mapping, Optional, Sequence, Tuple, Union

import cv2
import numpy as np

from hfan.utils.image_io import (
    image_file_size,
    read_image_rgb,
    read_image_rgb_and_palette,
)

from .io import (
    gt_mask,
    pair_frames,
    prediction_mask,
    results_tables,
    size_mismatch,
)
from .parallel import map_sequences

PROTOCOLS = ('davis16', 'all-frames', 'annotated')
#: How a prediction of another size than its GT is treated (None: error).
RESIZE_MODES = (None, 'nearest')
#: Dataset / per-sequence figures, as fractions (multiply by 100 to print).
METRIC_KEYS = ('J_mean', 'J_recall', 'J_decay', 'F_mean', 'F_recall',
               'F_decay', 'JF_mean')
#: Default boundary tolerance, as a fraction of the image diagonal.
BOUND_TH = 0.008

ArrayLike = Union[np.ndarray, Sequence[float]]


# --------------------------------------------------------------------------
# Per frame
# --------------------------------------------------------------------------
def boundary_radius(shape: Tuple[int, int], bound_th: float = BOUND_TH):
    """Tolerance radius in pixels for an image of ``shape = (H, W)``.

    ``ceil(bound_th * sqrt(H^2 + W^2))``; a ``bound_th >= 1`` is a radius in
    pixels already. 480x854 gives 8, 1080x1920 gives 18. The radius follows
    the resolution at which masks are compared.
    """
    if bound_th >= 1:
        return bound_th
    h, w = int(shape[0]), int(shape[1])
    # h*h + w*w is an exact integer, so this is the correctly rounded diagonal
    # (the same float as np.linalg.norm(shape)).
    return int(math.ceil(bound_th * math.sqrt(h * h + w * w)))


@lru_cache(maxsize=32)
def disk_kernel(radius: float) -> np.ndarray:
    """Structuring element: every offset with ``dy^2 + dx^2 <= radius^2``.

    Returns a ``(2R+1) x (2R+1)`` uint8 array (R = floor(radius)), 1 inside.
    ``radius = 8`` has 197 ones. Read-only (cached).
    """
    reach = int(math.floor(radius))
    off = np.arange(-reach, reach + 1)
    kernel = ((off[:, None] ** 2 + off[None, :] ** 2) <= radius * radius)
    kernel = kernel.astype(np.uint8)
    kernel.setflags(write=False)
    return kernel


def seg2bmap(mask: np.ndarray) -> np.ndarray:
    """One-pixel boundary map of a binary mask (D. Martin's ``seg2bmap``).

    A pixel is a boundary pixel when its label differs from that of its
    right, lower or lower-right neighbour; in the last row only the right
    neighbour is compared, in the last column only the lower one, and the
    bottom-right pixel is never a boundary. Consequences: the boundary sits
    half a pixel toward the origin (background pixels on an object's top and
    left edges, foreground pixels on its bottom and right edges), and the
    image border is never a boundary.

    Args:
        mask: ``H x W`` array, nonzero = foreground.

    Returns:
        ``H x W`` bool boundary map.
    """
    m = np.asarray(mask).astype(bool, copy=False)
    if m.ndim != 2:
        raise ValueError(f'seg2bmap expects a 2-D mask, got shape {m.shape}')
    b = np.zeros(m.shape, dtype=bool)
    np.not_equal(m[:, :-1], m[:, 1:], out=b[:, :-1])      # right
    b[:-1, :] |= m[:-1, :] != m[1:, :]                     # below
    b[:-1, :-1] |= m[:-1, :-1] != m[1:, 1:]                # below-right
    return b


def _bbox_with_margin(fg: np.ndarray) -> Tuple[slice, slice]:
    """Rows/cols of ``fg``'s bounding box, grown by one pixel each side.

    Every ``seg2bmap`` boundary pixel of a mask inside this box lies in the
    box (the top/left edge marks the background pixel just outside), and the
    map computed on the crop equals the full map restricted to it: a crop
    edge that is not an image edge is a background row/column whose
    comparisons all give 0 either way.
    """
    rows = np.flatnonzero(fg.any(axis=1))
    cols = np.flatnonzero(fg.any(axis=0))
    h, w = fg.shape
    return (slice(max(rows[0] - 1, 0), min(rows[-1] + 2, h)),
            slice(max(cols[0] - 1, 0), min(cols[-1] + 2, w)))


def _check_pair(pred: np.ndarray, gt: np.ndarray) -> Tuple[np.ndarray,
                                                           np.ndarray]:
    pred = np.asarray(pred)
    gt = np.asarray(gt)
    if pred.shape != gt.shape or pred.ndim != 2:
        raise ValueError(f'prediction shape {pred.shape} differs from GT '
                         f'shape {gt.shape} (both must be H x W)')
    return pred.astype(bool, copy=False), gt.astype(bool, copy=False)


def frame_scores(pred: np.ndarray,
                 gt: np.ndarray,
                 bound_th: float = BOUND_TH) -> Tuple[float, float]:
    """J and F of one frame.

    Args:
        pred, gt: ``H x W`` masks, nonzero = foreground.
        bound_th: boundary tolerance (fraction of the diagonal, or pixels if
            >= 1), see :func:`boundary_radius`.

    Returns:
        ``(J, F)`` as floats in [0, 1].

    F case table (n_fg / n_gt: boundary pixels of prediction / GT): both 0
    -> P = R = 1; only n_fg = 0 -> P = 1, R = 0; only n_gt = 0 -> P = 0,
    R = 1; F = 2PR / (P + R), 0 when P + R = 0. Note a mask covering the
    whole image has no boundary (the border is not one).
    """
    pred, gt = _check_pair(pred, gt)
    union_mask = pred | gt
    union = np.count_nonzero(union_mask)
    if union == 0:  # both empty: no region, no boundary
        return 1.0, 1.0
    j = np.count_nonzero(pred & gt) / union

    # All boundary pixels lie in the union's grown bounding box, and the
    # tolerance test only ever looks at boundary pixels, so the boundary maps
    # and their dilations can be computed on that crop alone (a dilation on
    # the crop with a zero border equals the full one at every pixel of the
    # crop, since every boundary pixel within reach is inside it).
    rs, cs = _bbox_with_margin(union_mask)
    b_pred = seg2bmap(pred[rs, cs])
    b_gt = seg2bmap(gt[rs, cs])
    n_fg = np.count_nonzero(b_pred)
    n_gt = np.count_nonzero(b_gt)
    if n_fg == 0 and n_gt > 0:
        precision, recall = 1, 0
    elif n_fg > 0 and n_gt == 0:
        precision, recall = 0, 1
    elif n_fg == 0 and n_gt == 0:
        precision, recall = 1, 1
    else:
        kernel = disk_kernel(boundary_radius(pred.shape, bound_th))
        dil_pred = cv2.dilate(b_pred.view(np.uint8), kernel,
                              borderType=cv2.BORDER_CONSTANT, borderValue=0)
        dil_gt = cv2.dilate(b_gt.view(np.uint8), kernel,
                            borderType=cv2.BORDER_CONSTANT, borderValue=0)
        fg_match = np.count_nonzero(dil_gt.view(bool) & b_pred)
        gt_match = np.count_nonzero(dil_pred.view(bool) & b_gt)
        precision = fg_match / float(n_fg)
        recall = gt_match / float(n_gt)
    if precision + recall == 0:
        f = 0.0
    else:
        f = 2 * precision * recall / (precision + recall)
    return float(j), float(f)


def jaccard(pred: np.ndarray, gt: np.ndarray) -> float:
    """Region similarity J = |G & P| / |G | P| (1 when both are empty)."""
    pred, gt = _check_pair(pred, gt)
    union = np.count_nonzero(pred | gt)
    return 1.0 if union == 0 else np.count_nonzero(pred & gt) / union


def f_measure(pred: np.ndarray, gt: np.ndarray,
              bound_th: float = BOUND_TH) -> float:
    """Boundary F-measure of one frame (see :func:`frame_scores`)."""
    return frame_scores(pred, gt, bound_th)[1]


# --------------------------------------------------------------------------
# Per sequence
# --------------------------------------------------------------------------
def decay_bins(n: int) -> List[Tuple[int, int]]:
    """The 4 Decay bins of ``n`` frames as 0-based ``(start, stop)`` slices.

    The 1-based edges are ``round(linspace(1, n, 5))`` with MATLAB's rounding
    (half away from zero); bin k covers edges k..k+1 *inclusive*, so adjacent
    bins share a frame. Computed in integers: ``1 + k(n-1)/4`` rounded half up
    is ``1 + (k(n-1) + 2) // 4``. No uint8 cast, so n > 256 is fine.
    n = 10 gives 1-based edges [1, 3, 6, 8, 10].
    """
    if n < 1:
        return []
    edges = [(k * (n - 1) + 2) // 4 for k in range(5)]  # 0-based
    return [(edges[k], edges[k + 1] + 1) for k in range(4)]


def sequence_stats(values: ArrayLike) -> Dict[str, float]:
    """Mean, Recall and Decay of per-frame values (J or F) of the frames
    that are evaluated.

    Returns:
        ``{'mean', 'recall', 'decay'}``; Recall counts values strictly above
        0.5; Decay = mean(bin 1) - mean(bin 4) (see :func:`decay_bins`),
        0 for one frame. All NaN for no frames.
    """
    x = np.asarray(values, dtype=np.float64).ravel()
    if x.size == 0:
        return dict(mean=float('nan'), recall=float('nan'),
                    decay=float('nan'))
    bins = decay_bins(x.size)
    first, last = bins[0], bins[3]
    return dict(mean=float(np.mean(x)),
                recall=float(np.mean(x > 0.5)),
                decay=float(np.mean(x[first[0]:first[1]])
                            - np.mean(x[last[0]:last[1]])))


def evaluated_frames(num_frames: int, protocol: str = 'davis16') -> slice:
    """Which of a sequence's frames a protocol evaluates.

    'davis16': all but the first and the last (the official DAVIS-16 U-VOS
    protocol; empty for fewer than 3 frames). 'all-frames': every frame
    (davis2017-evaluation's unsupervised task). 'annotated': every frame
    given, which are exactly the frames with a GT file (sparse benchmarks:
    Long-Videos, FBMS-59, YouTube-Objects; predictions of other frames are
    dropped when pairing, see :func:`hfan.evaluation.io.pair_frames`).
    """
    if protocol == 'davis16':
        return slice(1, max(num_frames - 1, 1))
    if protocol in ('all-frames', 'annotated'):
        # 'annotated' pairs only the frames that have a GT file, so every
        # paired frame counts (no first/last skip)
        return slice(0, num_frames)
    raise ValueError(f'unknown protocol {protocol!r}; expected one of '
                     f'{PROTOCOLS}')


def summarize(per_frame: Mapping[str, Tuple[ArrayLike, ArrayLike]],
              protocol: str = 'davis16') -> dict:
    """Per-sequence and dataset figures from per-frame J and F.

    Args:
        per_frame: ``{sequence: (J values, F values)}`` over *all* frames of
            the sequence in temporal order; the protocol picks the frames
            (values of frames it skips are ignored and may be NaN).
        protocol: 'davis16' or 'all-frames'.

    Returns:
        A dict with the dataset figures ``J_mean, J_recall, J_decay, F_mean,
        F_recall, F_decay, JF_mean`` (fractions; uniform mean over the
        sequences that have evaluated frames), ``protocol``,
        ``num_sequences``, ``num_frames_evaluated`` and ``sequences: {name:
        {same keys, num_frames, num_frames_evaluated}}``. A sequence without
        evaluated frames (fewer than 3 frames under 'davis16') gets NaN
        figures, is left out of the dataset means, and is warned about.
    """
    evaluated_frames(0, protocol)  # validates the protocol name
    sequences = {}
    for name, (j_all, f_all) in per_frame.items():
        j_all = np.asarray(j_all, dtype=np.float64).ravel()
        f_all = np.asarray(f_all, dtype=np.float64).ravel()
        if j_all.shape != f_all.shape:
            raise ValueError(f'sequence {name}: {j_all.size} J values but '
                             f'{f_all.size} F values')
        sel = evaluated_frames(j_all.size, protocol)
        js, fs = sequence_stats(j_all[sel]), sequence_stats(f_all[sel])
        row = {f'J_{k}': v for k, v in js.items()}
        row.update({f'F_{k}': v for k, v in fs.items()})
        row['JF_mean'] = (row['J_mean'] + row['F_mean']) / 2
        row['num_frames'] = int(j_all.size)
        row['num_frames_evaluated'] = int(j_all[sel].size)
        sequences[name] = {k: row[k] for k in METRIC_KEYS + (
            'num_frames', 'num_frames_evaluated')}

    used = [s for s in sequences.values() if s['num_frames_evaluated'] > 0]
    skipped = [n for n, s in sequences.items()
               if s['num_frames_evaluated'] == 0]
    if skipped:
        warnings.warn(
            f'{len(skipped)} sequence(s) have no frame to evaluate under '
            f'protocol {protocol!r} (it drops the first and last frame) and '
            f'are left out of the dataset figures: {", ".join(skipped)}')
    result = {'protocol': protocol}
    for key in METRIC_KEYS[:-1]:
        result[key] = (float(np.mean([s[key] for s in used])) if used
                       else float('nan'))
    result['JF_mean'] = (result['J_mean'] + result['F_mean']) / 2
    result['num_sequences'] = len(used)
    result['num_frames_evaluated'] = sum(s['num_frames_evaluated']
                                         for s in used)
    result['sequences'] = sequences
    return {k: result[k] for k in METRIC_KEYS + (
        'protocol', 'num_sequences', 'num_frames_evaluated', 'sequences')}


# --------------------------------------------------------------------------
# Folders
# --------------------------------------------------------------------------
def score_sequence(task: tuple) -> dict:
    """Per-frame J and F of one sequence, and what was noticed reading it.

    Args:
        task: ``(pairs, bound_th, protocol[, resize_pred])``. ``resize_pred``
            None (default): a prediction whose size differs from its GT's is
            an error; 'nearest': it is resized to the GT's size with nearest
            neighbour first.

    Returns:
        ``{'J', 'F'}``: float64 arrays with one value per pair, NaN for the
        frames the protocol does not evaluate (they are not decoded -- PNG
        decoding is most of the cost -- but their sizes are still checked
        unless predictions are resized); ``'nonbinary_gt'``: GT files of
        evaluated frames holding more than 0 and one foreground value;
        ``'resized'``: how many predictions were resized.

    Raises:
        ValueError: a prediction and its GT differ in size (both named), a
            prediction is a label map, or a file is unreadable.
    """
    pairs, bound_th, protocol = task[:3]
    resize_pred = task[3] if len(task) > 3 else None
    j = np.full(len(pairs), np.nan)
    f = np.full(len(pairs), np.nan)
    nonbinary_gt: List[str] = []
    resized = 0
    sel = evaluated_frames(len(pairs), protocol)
    for i, (_, pred_path, gt_path) in enumerate(pairs):
        if not sel.start <= i < sel.stop:
            pred_hw = image_file_size(pred_path)
            gt_hw = image_file_size(gt_path)
            if pred_hw != gt_hw and resize_pred is None:
                raise _size_error(pred_path, pred_hw, gt_path, gt_hw)
            continue
        pred = _read_prediction(pred_path)
        gt, binary = gt_mask(read_image_rgb(gt_path))
        if not binary:
            nonbinary_gt.append(gt_path)
        if pred.shape != gt.shape:
            if resize_pred is None:
                raise _size_error(pred_path, pred.shape, gt_path, gt.shape)
            pred = resize_nearest(pred, gt.shape)
            resized += 1
        j[i], f[i] = frame_scores(pred, gt, bound_th)
    return dict(J=j, F=f, nonbinary_gt=nonbinary_gt, resized=resized)


def _size_error(pred_path, pred_hw, gt_path, gt_hw) -> ValueError:
    return ValueError(f'{size_mismatch(pred_path, pred_hw, gt_path, gt_hw)}'
                      ' (--resize-pred nearest resizes predictions)')


def _read_prediction(path: str) -> np.ndarray:
    img, palette = read_image_rgb_and_palette(path)
    return prediction_mask(img, path, palette)


def resize_nearest(mask: np.ndarray, shape: Tuple[int, int]) -> np.ndarray:
    """Resize an ``H x W`` bool mask to ``shape = (H', W')`` with nearest
    neighbour (OpenCV's ``INTER_NEAREST``: source pixel ``floor(x * W /
    W')``), as the published evaluation scripts resize predictions."""
    out = cv2.resize(mask.view(np.uint8), (int(shape[1]), int(shape[0])),
                     interpolation=cv2.INTER_NEAREST)
    return out.astype(bool)


def nonbinary_gt_warning(nonbinary: Mapping[str, Sequence[str]]) -> str:
    """The warning for GT files that are not binary, naming each sequence
    and its first such file."""
    parts = [f'{name} ({len(files)} frame(s), e.g. {files[0]})'
             for name, files in nonbinary.items() if files]
    return ('GT is not binary (more than 0 and one foreground value: '
            'stray values or several object labels); read as any nonzero = '
            'foreground, check the data: ' + '; '.join(parts))


def evaluate_davis(pred_root: str,
                   gt_root: str,
                   layout: Optional[str] = None,
                   gt_layout: Optional[str] = None,
                   protocol: str = 'davis16',
                   workers: Optional[int] = None,
                   sequences: Optional[Sequence[str]] = None,
                   bound_th: float = BOUND_TH,
                   progress: bool = False,
                   resize_pred: Optional[str] = None,
                   class_mean: bool = False,
                   classes: Optional[Mapping[str, str]] = None) -> dict:
    """Evaluate a folder of predicted masks against a folder of GT masks.

    Args:
        pred_root, gt_root: the two trees; layouts 'per-video' or 'flat'
            (None: detected, separately for each), see
            :mod:`hfan.evaluation.io`.
        protocol: 'davis16' (first and last frame excluded), 'all-frames'
            (every frame) or 'annotated' (exactly the frames that have a GT
            file; predictions of other frames are ignored).
        workers: processes (None: min(4, CPUs)).
        sequences: evaluate only these GT sequences.
        bound_th: boundary tolerance (see :func:`boundary_radius`), > 0.
        progress: show a progress bar.
        resize_pred: None (a size mismatch is an error) or 'nearest'.
        class_mean: add the class means (:func:`add_class_means`); video
            classes from ``classes`` (``{video: class}``) or, when None, the
            video name without its trailing digits.

    Returns:
        the dict of :func:`summarize`, plus ``resize_pred`` (and, with
        ``class_mean``, the keys of :func:`add_class_means`). Non-binary GT
        is warned about (``UserWarning``) naming the sequences.
    """
    from .classes import add_class_means
    evaluated_frames(0, protocol)  # fail fast on a bad protocol name
    if not bound_th > 0:
        raise ValueError(f'bound_th must be > 0 (a fraction of the image '
                         f'diagonal, or pixels if >= 1), got {bound_th}')
    if resize_pred not in RESIZE_MODES:
        raise ValueError(f'unknown resize_pred {resize_pred!r}; expected '
                         f'one of {RESIZE_MODES}')
    pairs = pair_frames(pred_root, gt_root, layout, gt_layout, sequences,
                        ignore_unannotated=protocol == 'annotated')
    scores = map_sequences(
        score_sequence,
        [(name, (p, bound_th, protocol, resize_pred))
         for name, p in pairs.items()],
        workers=workers, sizes=[len(p) for p in pairs.values()],
        progress=progress, desc='J&F')
    nonbinary = {n: s['nonbinary_gt'] for n, s in scores.items()
                 if s['nonbinary_gt']}
    if nonbinary:
        warnings.warn(nonbinary_gt_warning(nonbinary))
    results = summarize({n: (s['J'], s['F']) for n, s in scores.items()},
                        protocol)
    results['resize_pred'] = resize_pred
    results['num_resized'] = sum(s['resized'] for s in scores.values())
    if class_mean or classes is not None:
        results = add_class_means(results, classes)
    return results


def format_davis_table(results: dict, per_sequence: bool = True) -> str:
    """Plain-text tables (x100, one decimal) like the published README."""
    cols = ('J&F', 'J-Mean', 'J-Recall', 'J-Decay', 'F-Mean', 'F-Recall',
            'F-Decay')
    keys = ('JF_mean', 'J_mean', 'J_recall', 'J_decay', 'F_mean',
            'F_recall', 'F_decay')

    def fmt(v):
        if v is None or v != v:
            return '-'
        text = f'{100 * v:.1f}'
        return '0.0' if text == '-0.0' else text

    note = ''
    if results.get('resize_pred'):
        note = (f"; {results.get('num_resized', 0)} predictions resized to "
                f"the GT size ({results['resize_pred']} neighbour)")
    return results_tables(results, keys, cols, fmt, 8, per_sequence, note)
