"""Object cut-outs: still images with a foreground mask, from four public
layouts, written as one set (issue 31, "objectness").

Layouts (told apart by the folders present under the given root):

    duts        DUTS-TR as stored in the DAVSOD repository:
                ``Training-Datasets/DUTS-train/{img,gt}/part_*/``
                (``<stem>.jpg`` + ``<stem>.png``), or a folder holding
                ``img/`` and ``gt/`` (with or without ``part_*``)
    weizmann    ``weizmann_horse_db/{rgb,figure_ground}/horseNNN.jpg``
                (JPEG masks, often smaller than the image), or the
                ``weizmann_horse_db`` folder itself
    ccp         Clothing Co-Parsing: ``photos/NNNN.jpg`` with
                ``annotations/pixel-level/NNNN.mat`` (``groundtruth``, a
                label array; label 0 is background)
    human-seg   ``Training_Images/N.jpg`` with ``Ground_Truth/N.png``

Output under ``OUT``::

    images/<source>_<stem>.jpg    the image as read (JPEG quality 95)
    masks/<source>_<stem>.png     0/255 uint8, the image's size
    records/<source>_<stem>.json  the item's index entry (written last:
                                  the item is complete when it exists)
    index.json                    every record, rebuilt from records/

Items whose mask is empty or covers more than 95% of the image are skipped
(a record saying so is kept, so a resumed run counts them again without
reading them).
"""
import json
import os
import os.path as osp
from dataclasses import dataclass, field
from typing import Callable, Dict, Iterator, List, Optional, Sequence, Tuple

import cv2
import numpy as np

from hfan.utils.atomic_io import atomic_write_text
from hfan.utils.image_io import ImageDecodeError, decode_image_bgr
from hfan.utils.image_io import file_complete as _file_complete
from hfan.utils.natural_sort import natural_key
from hfan.utils.paths import check_output_not_input, check_writable_folder

from .sources import PrepareError, decode_frame, read_file
from .two_seg import atomic_write_image

#: layout name -> licence field of its items
LICENCES: Dict[str, str] = {
    'duts': 'DUTS: research use (no licence stated)',
    'weizmann': 'Weizmann Horse Database: research use',
    'ccp': 'Apache-2.0 (Clothing Co-Parsing, Yang et al., CVPR 2014)',
    'human-seg': 'as stated by VikramShenoy97/Human-Segmentation-Dataset '
                 '(masks from a background-removal service)',
}

#: 8-bit masks: a pixel is foreground when its value is above this
MASK_THRESHOLD = 127
#: masks resized to the image may differ from it in aspect ratio by this
ASPECT_TOLERANCE = 0.02
#: masks covering more than this fraction are skipped (not an object)
MAX_FOREGROUND = 0.95
JPEG_QUALITY = 95

_IMAGE_EXTS = ('.jpg', '.jpeg', '.png')
_EXPECTED = (
    'one of: Training-Datasets/DUTS-train/{img,gt}/ or img/ + gt/ (duts); '
    'weizmann_horse_db/{rgb,figure_ground}/ or rgb/ + figure_ground/ '
    '(weizmann); photos/ + annotations/pixel-level/ (ccp); '
    'Training_Images/ + Ground_Truth/ (human-seg)')


@dataclass(frozen=True)
class CutoutPair:
    """One image and its mask file.

    Attributes:
        id: ``<source>_<stem>``, the output name.
        source: the layout (``'duts'``, ``'weizmann'``, ``'ccp'``,
            ``'human-seg'``).
        root: the root the layout was detected in.
        image: the image file path; ``mask``: the mask file path.
    """
    id: str
    source: str
    root: str
    image: str
    mask: str


@dataclass
class CutoutStats:
    """What a :func:`prepare_cutouts` run did.

    Attributes:
        written: items written in this run.
        complete: items found complete (from an earlier run) and skipped.
        skipped_empty / skipped_full: items left out because their mask is
            empty / covers more than ``MAX_FOREGROUND`` of the image.
        per_source: layout -> number of items in the index.
    """
    written: int = 0
    complete: int = 0
    skipped_empty: int = 0
    skipped_full: int = 0
    per_source: Dict[str, int] = field(default_factory=dict)


def _layout_dirs(root: str) -> Optional[Tuple[str, str, str]]:
    """``(layout, image folder, mask folder)`` of ``root``, or ``None``."""
    candidates = [
        ('duts', osp.join(root, 'Training-Datasets', 'DUTS-train', 'img'),
         osp.join(root, 'Training-Datasets', 'DUTS-train', 'gt')),
        ('duts', osp.join(root, 'img'), osp.join(root, 'gt')),
        ('weizmann', osp.join(root, 'weizmann_horse_db', 'rgb'),
         osp.join(root, 'weizmann_horse_db', 'figure_ground')),
        ('weizmann', osp.join(root, 'rgb'), osp.join(root, 'figure_ground')),
        ('ccp', osp.join(root, 'photos'),
         osp.join(root, 'annotations', 'pixel-level')),
        ('human-seg', osp.join(root, 'Training_Images'),
         osp.join(root, 'Ground_Truth')),
    ]
    for layout, img_dir, mask_dir in candidates:
        if osp.isdir(img_dir) and osp.isdir(mask_dir):
            return layout, img_dir, mask_dir
    return None


def detect_cutout_layout(root: str) -> str:
    """The layout of ``root`` (``'duts'``, ``'weizmann'``, ``'ccp'`` or
    ``'human-seg'``), from the folders present.

    Raises:
        PrepareError: ``root`` is not a folder or holds none of the
            layouts (the message names it and lists what was expected).
    """
    if not osp.isdir(root):
        raise PrepareError(f'cut-out root not found: {root} (a folder '
                           f'holding {_EXPECTED} expected)')
    found = _layout_dirs(root)
    if found is None:
        raise PrepareError(f'{root} holds no known cut-out layout: expected '
                           f'{_EXPECTED}')
    return found[0]


def _files(folder: str, exts: Sequence[str]) -> List[str]:
    return sorted((n for n in os.listdir(folder)
                   if n.lower().endswith(tuple(exts))
                   and not n.startswith('.')), key=natural_key)


def _duts_subdirs(img_dir: str) -> List[str]:
    """The ``part_*`` sub-folders of DUTS's ``img/``, or ``['']`` when the
    images lie in ``img/`` itself."""
    parts = [n for n in os.listdir(img_dir)
             if n.startswith('part_') and osp.isdir(osp.join(img_dir, n))]
    return sorted(parts, key=natural_key) if parts else ['']


def iter_cutout_pairs(root: str) -> Iterator[CutoutPair]:
    """The image/mask pairs of ``root`` in natural order of the image
    names (for ``ccp``: of the annotations, since only annotated photos
    are items).

    Raises:
        PrepareError: unknown layout, or an image without its mask (for
            ``ccp``: an annotation without its photo), naming the file and
            where its partner was expected.
    """
    layout = detect_cutout_layout(root)
    _, img_dir, mask_dir = _layout_dirs(root)
    if layout == 'ccp':
        for name in _files(mask_dir, ('.mat', )):
            stem = osp.splitext(name)[0]
            image = osp.join(img_dir, stem + '.jpg')
            if not osp.isfile(image):
                raise PrepareError(
                    f'the annotation {osp.join(mask_dir, name)} has no '
                    f'photo: {image} expected')
            yield CutoutPair(f'ccp_{stem}', layout, root, image,
                             osp.join(mask_dir, name))
        return
    subdirs = _duts_subdirs(img_dir) if layout == 'duts' else ['']
    mask_ext = '.jpg' if layout == 'weizmann' else '.png'
    for sub in subdirs:
        for name in _files(osp.join(img_dir, sub), _IMAGE_EXTS):
            stem = osp.splitext(name)[0]
            image = osp.join(img_dir, sub, name)
            mask = osp.join(mask_dir, sub, stem + mask_ext)
            if not osp.isfile(mask):
                raise PrepareError(f'the image {image} has no mask: {mask} '
                                   f'expected ({layout} layout)')
            yield CutoutPair(f'{layout}_{stem}', layout, root, image, mask)


def _read_mat_mask(path: str) -> np.ndarray:
    """``groundtruth > 0`` of a Clothing Co-Parsing ``.mat``: ``H x W``
    bool."""
    from scipy.io import loadmat  # only this layout needs scipy
    try:
        labels = loadmat(path).get('groundtruth')
    except Exception as e:  # scipy raises many types for broken files
        raise PrepareError(f'cannot read the annotation {path}: {e} (a '
                           'MATLAB file with a "groundtruth" label array '
                           'expected)') from e
    if labels is None or np.ndim(labels) != 2:
        raise PrepareError(f'the annotation {path} holds no 2-D '
                           '"groundtruth" label array')
    return np.asarray(labels) > 0


def _read_gray_mask(path: str) -> np.ndarray:
    """An 8-bit mask file as ``H x W`` uint8 grey values (not yet
    thresholded: a mask that must be resized is resized grey first)."""
    try:
        return decode_image_bgr(read_file(path), f'the mask {path}',
                                cv2.IMREAD_GRAYSCALE)
    except ImageDecodeError as err:
        raise PrepareError(str(err)) from None


def load_cutout(pair: CutoutPair) -> Tuple[np.ndarray, np.ndarray]:
    """Read one pair: the image (``H x W x 3`` BGR uint8) and its mask
    (``H x W`` uint8, 0/255, the image's size).

    8-bit masks are foreground above ``MASK_THRESHOLD``; ``ccp`` labels
    above 0. ``weizmann`` and ``human-seg`` masks of another size are
    resized to the image.

    Raises:
        PrepareError: an unreadable file, a mask of another size (``duts``,
            ``ccp``), or of an aspect ratio more than 2% off (naming both
            files).
    """
    image = decode_frame(read_file(pair.image), pair.image)
    h, w = image.shape[:2]
    if pair.source == 'ccp':
        fg = _read_mat_mask(pair.mask)
    else:
        gray = _read_gray_mask(pair.mask)
        mh, mw = gray.shape
        if (mh, mw) != (h, w):
            if pair.source not in ('weizmann', 'human-seg'):
                raise PrepareError(
                    f'the mask {pair.mask} is {mh}x{mw}, the image '
                    f'{pair.image} {h}x{w}: the same size expected')
            ratio = (w / h) / (mw / mh)
            if abs(ratio - 1) > ASPECT_TOLERANCE:
                raise PrepareError(
                    f'the mask {pair.mask} ({mh}x{mw}) and the image '
                    f'{pair.image} ({h}x{w}) differ in aspect ratio by '
                    f'{abs(ratio - 1):.1%}: at most '
                    f'{ASPECT_TOLERANCE:.0%} expected')
            # Threshold AFTER a linear resize of the grey mask: the edge
            # falls between the source pixels instead of the blocky steps
            # that nearest-neighbour upscaling of a binary mask gives.
            gray = cv2.resize(gray, (w, h), interpolation=cv2.INTER_LINEAR)
        fg = gray > MASK_THRESHOLD
    if fg.shape != (h, w):
        raise PrepareError(
            f'the annotation {pair.mask} is {fg.shape[0]}x{fg.shape[1]}, '
            f'the photo {pair.image} {h}x{w}: the same size expected')
    return image, np.where(fg, 255, 0).astype(np.uint8)


def _paths(out: str, item_id: str) -> Tuple[str, str, str]:
    return (osp.join(out, 'images', item_id + '.jpg'),
            osp.join(out, 'masks', item_id + '.png'),
            osp.join(out, 'records', item_id + '.json'))


def _read_record(path: str) -> Optional[dict]:
    try:
        with open(path, encoding='utf-8') as f:
            return json.load(f)
    except (OSError, ValueError):  # absent or damaged: redo the item
        return None


def _done_record(out: str, item_id: str) -> Optional[dict]:
    """The record of an item an earlier run completed, else ``None``."""
    img_path, mask_path, rec_path = _paths(out, item_id)
    record = _read_record(rec_path)
    if record is None or record.get('id') != item_id:
        return None
    if record.get('skipped'):
        return record
    if _file_complete(img_path) and _file_complete(mask_path):
        return record
    return None


def _rel(path: str, root: str) -> str:
    return osp.relpath(path, root).replace(os.sep, '/')


def prepare_one(pair: CutoutPair, out: str) -> dict:
    """Read ``pair`` and write its image, mask and record under ``out``
    (each atomically, the record last). Returns the record: ``id``,
    ``source``, ``licence``, ``image`` / ``mask`` (relative to the root),
    ``size`` ``[h, w]``, ``foreground`` (fraction), and ``skipped``
    (``'empty'`` / ``'full'``) for an item left out."""
    image, mask = load_cutout(pair)
    h, w = mask.shape
    fraction = float(np.count_nonzero(mask)) / (h * w)
    record = {
        'id': pair.id,
        'source': pair.source,
        'licence': LICENCES[pair.source],
        'image': _rel(pair.image, pair.root),
        'mask': _rel(pair.mask, pair.root),
        'size': [h, w],
        'foreground': round(fraction, 6),
    }
    img_path, mask_path, rec_path = _paths(out, pair.id)
    if fraction == 0 or fraction > MAX_FOREGROUND:
        record['skipped'] = 'empty' if fraction == 0 else 'full'
    else:
        atomic_write_image(img_path, image,
                           [cv2.IMWRITE_JPEG_QUALITY, JPEG_QUALITY])
        atomic_write_image(mask_path, mask)
    atomic_write_text(rec_path, json.dumps(record, indent=1) + '\n')
    return record


def write_index(out: str) -> List[dict]:
    """Rebuild ``OUT/index.json`` (atomically) from ``OUT/records/``: the
    records of the written items, sorted by id. Returns them."""
    rec_dir = osp.join(out, 'records')
    records = []
    if osp.isdir(rec_dir):
        for name in sorted(os.listdir(rec_dir)):
            if not name.endswith('.json') or name.startswith('.'):
                continue
            record = _done_record(out, name[:-len('.json')])
            if record is not None and not record.get('skipped'):
                records.append(record)
    records.sort(key=lambda r: r['id'])
    atomic_write_text(osp.join(out, 'index.json'),
                      json.dumps({'items': records}, indent=1) + '\n')
    return records


def prepare_cutouts(
        roots: Sequence[str],
        out: str,
        max_items: Optional[int] = None,
        progress: bool = False,
        on_plan: Optional[Callable[[int, int], None]] = None
) -> CutoutStats:
    """Write the cut-out set of ``roots`` (each detected separately) under
    ``out``; items complete from an earlier run are skipped.

    Args:
        roots: folders of any of the four layouts.
        out: the output root (``images/``, ``masks/``, ``records/``,
            ``index.json``).
        max_items: the first ``max_items`` pairs of each root (all when
            ``None``), for quick trials.
        progress: show a tqdm bar (stderr).
        on_plan: called with ``(pairs, already complete)`` before writing.

    Raises:
        PrepareError: an unknown layout, a missing or unreadable file, or
            two roots giving the same item id (all pairs are listed and
            checked before anything is written).
        hfan.utils.paths.OutputPathError: ``out`` is, lies in or contains
            a root, or cannot be written.
    """
    check_writable_folder(out, 'the output root')
    check_output_not_input(out, 'the output root',
                           [('cut-out root', r) for r in roots],
                           containing=True)
    pairs: List[CutoutPair] = []
    seen: Dict[str, CutoutPair] = {}
    for root in roots:
        for i, pair in enumerate(iter_cutout_pairs(root)):
            if max_items is not None and i >= max_items:
                break
            if pair.id in seen:
                raise PrepareError(
                    f'{pair.image} and {seen[pair.id].image} would both '
                    f'be written as {pair.id}: give each dataset once')
            seen[pair.id] = pair
            pairs.append(pair)
    stats = CutoutStats()
    todo, records = [], []
    for pair in pairs:
        record = _done_record(out, pair.id)
        if record is None:
            todo.append(pair)
        else:
            stats.complete += 1
            records.append(record)
    if on_plan is not None:
        on_plan(len(pairs), stats.complete)
    from tqdm import tqdm
    for pair in tqdm(todo, desc='cut-outs', unit='image',
                     disable=not progress):
        records.append(prepare_one(pair, out))
        stats.written += 1
    for record in records:
        if record.get('skipped') == 'empty':
            stats.skipped_empty += 1
        elif record.get('skipped') == 'full':
            stats.skipped_full += 1
    for record in write_index(out):
        stats.per_source[record['source']] = \
            stats.per_source.get(record['source'], 0) + 1
    return stats
