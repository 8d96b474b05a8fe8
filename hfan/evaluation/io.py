"""Finding and reading the mask files of VOS / VSOD result and GT trees.

Two layouts are understood (``layout`` arguments take these names):

``'per-video'``
    ``ROOT/<video>/<frame>.png``, e.g. DAVIS
    ``Annotations/480p/bear/00000.png``
    and HFAN's archived ``<out>-DAVIS-16/bear/00000.png``.
``'flat'``
    ``ROOT/<video>_<frame>.png``, e.g. the mmseg output ``bear_00000.png`` and
    the ``DAVIS2SEG/mask/val`` folder. The video name is everything before the
    *last* underscore, so video names may themselves contain underscores.

A frame is identified by ``(video, frame_id)`` where ``frame_id`` is the file
stem (per-video) or the part after the last underscore (flat); predictions
are matched to ground truth by that key, so the two trees may use different
layouts. Frames are ordered naturally (numerically when the id is all
digits), which is the same order as the official tools' sorted file names for
the usual zero-padded names.

Every inconsistency is an error that names the file concerned: a prediction
missing for a GT frame, prediction frames or sequences that the GT does not
have, unreadable files, empty folders. Nothing is skipped silently.
"""
import os
import os.path as osp
import re
from collections import OrderedDict
from typing import Dict, Iterable, List, Optional, Sequence, Tuple

import numpy as np

from hfan.utils.atomic_io import atomic_write_text
from hfan.utils.natural_sort import natural_key

#: File name extensions treated as mask images. JPEG is deliberately absent:
#: lossy compression turns a binary mask into noise around every edge.
MASK_EXTENSIONS = ('.png', '.bmp', '.tif', '.tiff')

LAYOUTS = ('per-video', 'flat')

# How many offending files an error message lists before "... and N more".
_MAX_LISTED = 5


#: ``{video: {frame_id: path}}``, videos sorted by name, frames in order.
SequenceFiles = Dict[str, Dict[str, str]]
#: ``(frame_id, prediction path, ground-truth path)``.
FramePair = Tuple[str, str, str]


def _is_mask_file(name: str) -> bool:
    return (not name.startswith('.')
            and osp.splitext(name)[1].lower() in MASK_EXTENSIONS)


def _list_dir(root: str) -> Tuple[List[str], List[str]]:
    """Return (mask file names, sub-directory names) directly under root."""
    files, dirs = [], []
    with os.scandir(root) as it:
        for entry in it:
            if entry.name.startswith('.'):
                continue
            if entry.is_dir():
                dirs.append(entry.name)
            elif entry.is_file() and _is_mask_file(entry.name):
                files.append(entry.name)
    return sorted(files), sorted(dirs)


def _dir_has_masks(path: str) -> bool:
    with os.scandir(path) as it:
        return any(e.is_file() and _is_mask_file(e.name) for e in it)


def _check_root(root: str, what: str) -> None:
    if not osp.exists(root):
        raise FileNotFoundError(f'{what} folder does not exist: {root}')
    if not osp.isdir(root):
        raise NotADirectoryError(f'{what} path is not a folder: {root}')


def detect_mask_tree_layout(root: str, what: str = 'mask') -> str:
    """Tell whether ``root`` holds the 'per-video' or the 'flat' layout.

    Raises:
        FileNotFoundError: ``root`` does not exist.
        ValueError: no mask files at all, or both layouts at once (then the
            caller must say which one is meant).
    """
    _check_root(root, what)
    files, dirs = _list_dir(root)
    video_dirs = [d for d in dirs if _dir_has_masks(osp.join(root, d))]
    if files and video_dirs:
        raise ValueError(
            f'{what} folder {root} holds both mask files ({files[0]}, ...) '
            f'and video sub-folders with masks ({video_dirs[0]}/, ...); '
            'pass the layout explicitly (per-video or flat).')
    if video_dirs:
        return 'per-video'
    if files:
        return 'flat'
    raise ValueError(
        f'{what} folder {root} is empty: expected mask files '
        f'({"/".join(MASK_EXTENSIONS)}) as <video>/<frame>.png or '
        '<video>_<frame>.png')


def split_flat_name(filename: str) -> Tuple[str, str]:
    """``'dance_twirl_00012.png'`` -> ``('dance_twirl', '00012')``."""
    stem = osp.splitext(osp.basename(filename))[0]
    video, sep, frame = stem.rpartition('_')
    if not sep or not video or not frame:
        raise ValueError(
            f'cannot parse {filename}: flat-layout masks must be named '
            '<video>_<frame>.png (video name, underscore, frame id)')
    return video, frame


def _add(seqs: Dict[str, Dict[str, str]], video: str, frame: str,
         path: str) -> None:
    frames = seqs.setdefault(video, {})
    if frame in frames:
        raise ValueError(f'two files for video {video!r} frame {frame!r}: '
                         f'{frames[frame]} and {path}')
    frames[frame] = path


def list_sequences(root: str,
                   layout: Optional[str] = None,
                   what: str = 'mask') -> Tuple[str, SequenceFiles]:
    """Index the mask files under ``root``.

    Args:
        root: the folder.
        layout: 'per-video', 'flat' or None (auto-detect).
        what: how error messages call this folder ('GT', 'prediction').

    Returns:
        ``(layout, {video: {frame_id: path}})`` with videos sorted by name and
        frames in natural order.
    """
    if layout is None:
        layout = detect_mask_tree_layout(root, what)
    elif layout not in LAYOUTS:
        raise ValueError(f'unknown layout {layout!r}; expected one of '
                         f'{LAYOUTS}')
    _check_root(root, what)
    files, dirs = _list_dir(root)
    seqs: Dict[str, Dict[str, str]] = {}
    if layout == 'flat':
        for name in files:
            video, frame = split_flat_name(name)
            _add(seqs, video, frame, osp.join(root, name))
    else:
        if files:
            raise ValueError(
                f'{what} folder {root} is read as per-video '
                f'(<video>/<frame>.png) but holds mask files directly, e.g. '
                f'{osp.join(root, files[0])}')
        for video in dirs:
            vdir = osp.join(root, video)
            vfiles, _ = _list_dir(vdir)
            if not vfiles:
                raise ValueError(f'{what} video folder {vdir} holds no mask '
                                 'files')
            for name in vfiles:
                _add(seqs, video, osp.splitext(name)[0], osp.join(vdir, name))
    if not seqs:
        raise ValueError(f'{what} folder {root} holds no mask files '
                         f'(layout {layout})')
    return layout, OrderedDict(
        (v, OrderedDict(sorted(seqs[v].items(),
                               key=lambda kv: natural_key(kv[0]))))
        for v in sorted(seqs))


def expected_path(root: str, layout: str, video: str, frame: str) -> str:
    """Where a (PNG) mask for (video, frame) would lie in ``layout``."""
    if layout == 'flat':
        return osp.join(root, f'{video}_{frame}.png')
    return osp.join(root, video, f'{frame}.png')


def _listing(paths: List[str]) -> str:
    shown = ', '.join(paths[:_MAX_LISTED])
    more = len(paths) - _MAX_LISTED
    return shown + (f' ... and {more} more' if more > 0 else '')


def read_sequence_list(spec: Optional[str]) -> Optional[List[str]]:
    """Parse a ``--sequences`` value: a text file (one name a line, ``#``
    comments allowed) or a comma-separated list. None stays None."""
    if spec is None:
        return None
    if osp.isfile(spec):
        with open(spec) as f:
            names = [ln.split('#', 1)[0].strip() for ln in f]
    else:
        names = [s.strip() for s in re.split(r'[,\s]+', spec)]
    names = [n for n in names if n]
    if not names:
        raise ValueError(f'no sequence names in {spec!r}')
    return names


def pair_frames(pred_root: str,
                gt_root: str,
                layout: Optional[str] = None,
                gt_layout: Optional[str] = None,
                sequences: Optional[Iterable[str]] = None,
                ignore_unannotated: bool = False,
                names: Tuple[str, str] = ('prediction', 'GT')
                ) -> Dict[str, List[FramePair]]:
    """Match every GT frame with its prediction.

    Args:
        pred_root: prediction folder; ``layout`` is its layout (None: detect).
        gt_root: ground-truth folder; ``gt_layout`` is its layout (None:
            detect).
        sequences: evaluate only these GT videos (all when None). Prediction
            videos that exist in the GT but are not selected are ignored.
        ignore_unannotated: predictions of frames that have no GT file in a
            GT video are ignored instead of being an error (sparse ground
            truth: a model segments every frame, a few are annotated).
        names: what error messages call the two folders (default:
            ``('prediction', 'GT')``; ``tools/compare_masks.py`` pairs two
            mask folders, ``('mask', 'reference')``).

    Returns:
        ``{video: [(frame_id, pred_path, gt_path), ...]}`` in GT video order
        and GT frame order.

    Raises:
        FileNotFoundError: a folder is missing, a selected video is not in the
            GT, or predictions are missing for GT frames (the message names
            the expected prediction files).
        ValueError: the prediction tree has frames or videos that the GT does
            not have, or a folder is empty / unparsable.
    """
    pred_name, gt_name = names
    _, gt = list_sequences(gt_root, gt_layout, gt_name)
    pred_layout, pred = list_sequences(pred_root, layout, pred_name)

    if sequences is not None:
        sequences = list(dict.fromkeys(sequences))
        unknown = [s for s in sequences if s not in gt]
        if unknown:
            raise FileNotFoundError(
                f'selected sequence(s) not in {gt_name} folder {gt_root}: '
                f'{_listing(unknown)}')
    extra_videos = [v for v in pred if v not in gt]
    if extra_videos:
        raise ValueError(
            f'{pred_name} folder {pred_root} has {len(extra_videos)} '
            f'video(s) that {gt_name} folder {gt_root} does not have: '
            f'{_listing(extra_videos)}')

    selected = list(gt) if sequences is None else sequences
    pairs: Dict[str, List[FramePair]] = OrderedDict()
    missing: List[str] = []
    extra: List[str] = []
    for video in selected:
        pframes = pred.get(video, {})
        for frame in pframes:
            if frame not in gt[video] and not ignore_unannotated:
                extra.append(pframes[frame])
        seq = []
        for frame, gt_path in gt[video].items():
            if frame in pframes:
                seq.append((frame, pframes[frame], gt_path))
            else:
                missing.append(
                    f'{expected_path(pred_root, pred_layout, video, frame)} '
                    f'(for {gt_name} {gt_path})')
        pairs[video] = seq
    if missing:
        raise FileNotFoundError(
            f'{len(missing)} {pred_name} file(s) missing: '
            f'{_listing(missing)}')
    if extra:
        raise ValueError(
            f'{len(extra)} {pred_name} file(s) have no {gt_name} frame in '
            f'{gt_root}: '
            f'{_listing(extra)}')
    return pairs


def size_mismatch(pred_path: str, pred_hw, gt_path: str,
                  gt_hw) -> ValueError:
    """The error for a prediction whose size differs from its GT's."""
    return ValueError(
        f'size mismatch: prediction {pred_path} is {pred_hw[1]}x{pred_hw[0]} '
        f'(WxH) but GT {gt_path} is {gt_hw[1]}x{gt_hw[0]}')


def _value_plane(img: np.ndarray) -> np.ndarray:
    """``H x W`` values to compare: the image itself when gray, the first
    channel of a colour image whose channels are equal (gray saved as RGB),
    else one integer code per colour (``R * 2^16 + G * 2^8 + B``)."""
    if img.ndim == 2:
        return img
    if np.array_equal(img[..., 0], img[..., 1]) and \
            np.array_equal(img[..., 0], img[..., 2]):
        return img[..., 0]
    rgb = img[..., :3].astype(np.uint64)
    return (rgb[..., 0] << 32) | (rgb[..., 1] << 16) | rgb[..., 2]


def is_two_valued(values: np.ndarray) -> bool:
    """Whether an ``H x W`` value plane holds 0 and at most one other value
    (0/1, 0/255, a palette with one object index, all one value)."""
    top = values.max()
    return top == 0 or not np.any((values != 0) & (values != top))


def prediction_mask(img: np.ndarray, path: str,
                    palette: bool = False) -> np.ndarray:
    """A predicted mask as the MATLAB DAVIS-2016 tool reads results.

    Args:
        img: the decoded file
            (:func:`hfan.utils.image_io.read_image_rgb_and_palette`),
            ``H x W`` or ``H x W x 3``.
        path: the file, for messages.
        palette: the file is a palette PNG (values are label indices).

    Returns:
        ``H x W`` bool, True = foreground:

        * 0 and one other value (0/1, 0/255, a one-object palette): that
          value is foreground;
        * a gray map with more values (a probability map saved as 8- or
          16-bit): foreground where it is above half its maximum, the
          official tool's rule for results that are not binary;
        * a palette or colour label map with several objects is refused,
          because thresholding label indices would pick objects by number.

    Raises:
        ValueError: a label map (message names the file and its labels).
    """
    values = _value_plane(img)
    if is_two_valued(values):
        return values != 0
    if palette or values.dtype == np.uint64:
        kind = 'palette (label) map' if palette else 'colour label map'
        labels = np.unique(values)
        shown = ', '.join(str(int(v)) for v in labels[:6])
        more = ' ...' if labels.size > 6 else ''
        raise ValueError(
            f'{path} is a {kind} with {labels.size} labels ({shown}{more}); '
            'expected a binary mask (0 and one foreground value) or a gray '
            'probability map: merge the objects into one foreground first')
    # not binary: the official tool thresholds at half the maximum
    return values > values.max() / 2


def gt_mask(img: np.ndarray) -> Tuple[np.ndarray, bool]:
    """A ground-truth mask: any nonzero value (or colour) is foreground.

    Returns:
        ``(H x W bool mask, binary)`` where ``binary`` is False when the file
        holds more than 0 and one foreground value (stray values, several
        object labels): the caller warns, naming the sequence.
    """
    values = _value_plane(img)
    return values != 0, is_two_valued(values)


# --------------------------------------------------------------------------
# Writing results
# --------------------------------------------------------------------------
def _jsonable(obj):
    """NaN -> None (JSON has no NaN), numpy scalars/arrays -> Python."""
    if isinstance(obj, dict):
        return {str(k): _jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_jsonable(v) for v in obj]
    if isinstance(obj, np.ndarray):
        return _jsonable(obj.tolist())
    if isinstance(obj, np.generic):
        obj = obj.item()
    if isinstance(obj, float) and obj != obj:
        return None
    return obj



def json_text(results: dict) -> str:
    """A results dict as JSON text (NaN written as null)."""
    import json
    return json.dumps(_jsonable(results), indent=2, allow_nan=False) + '\n'


def write_json(path: str, results: dict) -> None:
    """Save a results dict as JSON (NaN written as null), atomically."""
    atomic_write_text(path, json_text(results))


def write_csv(path: str, results: dict, keys: Sequence[str]) -> None:
    """Save :func:`csv_text` atomically."""
    atomic_write_text(path, csv_text(results, keys))


def csv_text(results: dict, keys: Sequence[str]) -> str:
    """Per-sequence rows and one dataset row as CSV text.

    Columns: ``level`` ('sequence' or 'dataset'), ``name`` (the sequence, or
    the protocol for the dataset row), ``keys``..., ``num_frames_evaluated``.
    Values are fractions, NaN left empty.
    """
    import csv
    import io as _io
    buf = _io.StringIO()
    writer = csv.writer(buf, lineterminator='\n')
    cols = list(keys) + ['num_frames_evaluated']
    writer.writerow(['level', 'name'] + cols)

    def cell(v):
        if v is None or (isinstance(v, float) and v != v):
            return ''
        return repr(float(v)) if isinstance(v, float) else str(v)

    for name, row in results['sequences'].items():
        writer.writerow(['sequence', name] + [cell(row.get(k)) for k in cols])
    writer.writerow(['dataset', results['protocol']]
                    + [cell(results.get(k)) for k in cols])
    return buf.getvalue()


def text_table(first_col: str, rows, keys: Sequence[str],
               headers: Sequence[str], fmt, width: int) -> str:
    """A plain-text table: one row per ``(name, {key: value})`` in ``rows``,
    a column per key (titled by ``headers``, right-aligned in ``width``
    characters), values formatted by ``fmt``."""
    name_width = max([len(first_col)] + [len(name) for name, _ in rows])
    head = f'{first_col:<{name_width}} ' + ' '.join(
        f'{h:>{width}}' for h in headers)
    lines = [head, '-' * len(head)]
    for name, values in rows:
        lines.append(f'{name:<{name_width}} ' +
                     ' '.join(f'{fmt(values[k]):>{width}}' for k in keys))
    return '\n'.join(lines)


def results_tables(results: dict, keys: Sequence[str],
                   headers: Sequence[str], fmt, width: int,
                   per_sequence: bool = True, note: str = '') -> str:
    """The per-sequence table (optional), the dataset row and a footer
    line for an evaluation's ``results`` (``sequences``, ``protocol``,
    ``num_sequences``, ``num_frames_evaluated``); ``note`` is appended to
    the protocol in the footer."""
    parts = []
    if per_sequence:
        parts.append(text_table('Sequence', list(results['sequences'].items()),
                                keys, headers, fmt, width))
    parts.append(text_table('Dataset', [(results['protocol'], results)],
                            keys, headers, fmt, width))
    parts.append(f"{results['num_sequences']} sequences, "
                 f"{results['num_frames_evaluated']} frames evaluated "
                 f"(protocol {results['protocol']}{note})")
    return '\n\n'.join(parts)
