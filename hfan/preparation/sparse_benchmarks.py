"""Sparse-annotation test sets in the layout ``infer.py`` reads: Long-Videos,
FBMS-59 (test set) and YouTube-Objects.

These benchmarks annotate a few frames of each video. The preparation writes
the annotated frames into the 2SEG layout of :mod:`hfan.preparation.two_seg`
(frame, colour-coded flow to the next frame of the *full* video, a mask at
the frame's size) and, beside it, the ground truth at its own resolution,
which is what the evaluator scores against::

    OUT/frame/<split>/<video>_<00000>.jpg   annotated frames, JPEG bytes
    OUT/flow/<split>/<video>_<00000>.jpg    flow t -> t+1 over all frames
    OUT/mask/<split>/<video>_<00000>.png    GT at the frame's size, 0/255
    OUT/gt/<video>/<00000>.png              GT at its own size, 0/255

``<00000>`` is the frame number of the source file, zero-padded to 5 digits,
so a prediction of ``infer.py`` (``<out>-DAVIS-16/<video>/<00000>.png``)
pairs with its GT by name. Frames without annotation take part only as flow
targets, as in :func:`hfan.preparation.youtube.youtube_jobs`.

Every problem with the input (a folder, frame or annotation missing or
unreadable, an annotation without its frame) is a
:class:`~hfan.preparation.sources.PrepareError` naming the path, raised while
the videos are listed, before any work, or when the file is read. Writes are
atomic and a rerun only writes what is missing.
"""
import io
import os
import os.path as osp
import re
from dataclasses import dataclass, field
from functools import partial
from typing import Callable, Dict, List, Optional, Sequence, Tuple

import cv2
import numpy as np
from PIL import Image, UnidentifiedImageError

from hfan.evaluation.classes import class_of
from hfan.utils.image_io import ImageDecodeError, check_image_bytes

from .convert import ConvertStats, convert_videos
from .sources import (
    PrepareError,
    frame_size,
    list_frames,
    read_binary_mask,
    read_file,
)
from .two_seg import (
    FrameSpec,
    VideoJob,
    WriteOptions,
    atomic_write_image,
    process_video,
    video_done,
)

#: output folder of the ground truth at its own resolution
GT_DIR = 'gt'

#: The ten YouTube-Objects classes (video names are ``<class><NNNN>``).
YOUTUBE_OBJECTS_CLASSES = ('aeroplane', 'bird', 'boat', 'car', 'cat', 'cow',
                           'dog', 'horse', 'motorbike', 'train')
#: Foreground threshold of masks stored as JPEG (0 / 255 plus compression
#: noise around the edges): the midpoint.
JPEG_MASK_THRESHOLD = 128
#: The 30 FBMS-59 test videos (the ``Testset`` folder).
FBMS_TEST_VIDEOS = (
    'camel01', 'cars1', 'cars10', 'cars4', 'cars5', 'cats01', 'cats03',
    'cats06', 'dogs01', 'dogs02', 'farm01', 'giraffes01', 'goats01',
    'horses02', 'horses04', 'horses05', 'lion01', 'marple12', 'marple2',
    'marple4', 'marple6', 'marple7', 'marple9', 'people03', 'people1',
    'people2', 'rabbits02', 'rabbits03', 'rabbits04', 'tennis')


@dataclass
class SparseVideo:
    """A video whose annotated frames are to be prepared.

    Attributes:
        job: the 2SEG job (all frames in order; annotated ones have a
            ``stem``). The masks are filled in by :func:`process_sparse_video`
            from the written GT.
        gt: ``{frame id: annotation path}`` for the annotated frames.
        read_gt: reads an annotation as ``H x W`` uint8 0/255 at its own
            size, raising :class:`PrepareError` naming the file.
    """
    job: VideoJob
    gt: Dict[str, str] = field(default_factory=dict)
    read_gt: Callable[[str], np.ndarray] = read_binary_mask

    @property
    def name(self) -> str:
        return self.job.name


def gt_path(out_root: str, video: str, frame_id: str) -> str:
    """Where the GT of ``video``'s frame ``frame_id`` is written."""
    return osp.join(out_root, GT_DIR, video, frame_id + '.png')


def frame_number(stem: str) -> Optional[int]:
    """The frame number of a file stem: its trailing digits (a trailing
    ``_gt`` is ignored): ``'cars1_0042'`` -> 42, ``'001_gt'`` -> 1,
    ``'00012'`` -> 12; None without trailing digits."""
    m = re.search(r'(\d+)(?:_gt)?$', stem, flags=re.IGNORECASE)
    return int(m.group(1)) if m else None


def _frame_id(number: int) -> str:
    return f'{number:05d}'


# --------------------------------------------------------------------------
# reading the annotations


def read_fbms_gt(path: str) -> np.ndarray:
    """An FBMS-59 annotation as one foreground, 0/255 at its own size.

    ``.pgm`` files are gray levels, one per object, on a black background:
    any nonzero level is foreground. ``.ppm`` files are colours, one per
    object, on a white background: white (and black) is background, any
    other colour foreground. All objects are merged (U-VOS scores one
    primary foreground).
    """
    data = read_file(path)
    try:
        with Image.open(io.BytesIO(data)) as im:
            im.load()
            if im.mode in ('RGB', 'RGBA'):
                rgb = np.asarray(im.convert('RGB'))
                white = np.all(rgb == 255, axis=2)
                fg = np.any(rgb != 0, axis=2) & ~white
            elif im.mode in ('L', 'P', 'I', 'I;16', 'I;16B', '1'):
                fg = np.asarray(im) != 0
            else:
                raise ValueError(f'unexpected image mode {im.mode}')
    except UnidentifiedImageError:
        raise PrepareError(f'cannot decode the annotation {path}: not an '
                           'image file') from None
    except Exception as e:  # PIL raises many types for broken files
        raise PrepareError(f'cannot decode the annotation {path}: {e}') \
            from None
    return np.where(fg, 255, 0).astype(np.uint8)


def read_jpeg_mask(path: str) -> np.ndarray:
    """A binary mask saved as a JPEG (YouTube-Objects' ``labels/*.jpg``)
    as 0/255 at its own size: foreground where the gray level is at least
    :data:`JPEG_MASK_THRESHOLD`, so the compression noise of a 0/255 mask
    (faint values beside the edges, 250s inside) does not count."""
    data = read_file(path)
    try:
        check_image_bytes(data, f'the annotation {path}')
    except ImageDecodeError as err:
        raise PrepareError(str(err)) from None
    gray = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_GRAYSCALE)
    if gray is None:
        raise PrepareError(f'cannot decode the annotation {path}: not an '
                           'image file')
    return np.where(gray >= JPEG_MASK_THRESHOLD, 255, 0).astype(np.uint8)


# --------------------------------------------------------------------------
# listing the videos of each benchmark


def _video_folders(root: str) -> List[str]:
    if not osp.isdir(root):
        raise PrepareError(f'folder not found: {root}')
    videos = sorted(n for n in os.listdir(root)
                    if not n.startswith('.') and osp.isdir(osp.join(root, n)))
    if not videos:
        raise PrepareError(f'no video folder in {root}')
    return videos


def _select(videos: Sequence[str], wanted: Optional[Sequence[str]],
            where: str) -> List[str]:
    if wanted is None:
        return list(videos)
    missing = [v for v in wanted if v not in videos]
    if missing:
        raise PrepareError(f'video(s) not found in {where}: '
                           f'{", ".join(missing)}')
    return list(wanted)


def per_video_folder_videos(root: str,
                            split: str = 'val',
                            videos: Optional[Sequence[str]] = None,
                            images: str = 'JPEGImages',
                            annotations: str = 'Annotations',
                            ann_ext: str = '.png') -> List[SparseVideo]:
    """Videos in the ``JPEGImages/<video>/<frame>.jpg`` +
    ``Annotations/<video>/<frame>.png`` layout (Long-Videos,
    YouTube-Objects), annotations sparse and named like their frames.

    Annotations are read by index: a palette PNG's nonzero indices are
    foreground whatever their colour (:func:`read_binary_mask`).
    """
    img_root = osp.join(root, images)
    ann_root = osp.join(root, annotations)
    if not osp.isdir(ann_root):
        raise PrepareError(f'folder not found: {ann_root}')
    out = []
    for video in _select(_video_folders(img_root), videos, img_root):
        img_dir = osp.join(img_root, video)
        ann_dir = osp.join(ann_root, video)
        if not osp.isdir(ann_dir):
            raise PrepareError(f'no annotation folder for video {video}: '
                               f'{ann_dir}')
        out.append(_video_with_annotations(video, split, img_dir, ann_dir,
                                           ann_ext, read_binary_mask))
    return out


def _video_with_annotations(video: str, split: str, img_dir: str,
                            ann_dir: str, ann_ext: str,
                            read_gt: Callable) -> SparseVideo:
    """The ``.jpg`` frames of ``img_dir`` with the annotations of
    ``ann_dir`` (files ending with ``ann_ext``), paired by the number that
    ends their names; an annotation without its frame is an error naming
    it."""
    frames = list_frames(img_dir, '.jpg')
    if not frames:
        raise PrepareError(f'no .jpg frames in {img_dir}')
    anns = list_frames(ann_dir, ann_ext)
    if not anns:
        raise PrepareError(f'no {ann_ext} annotation in {ann_dir}')
    by_number = _frames_by_number(img_dir, frames)
    annotated = {}
    for name in anns:
        number = frame_number(osp.splitext(name)[0])
        path = osp.join(ann_dir, name)
        if number is None or number not in by_number:
            raise PrepareError(
                f'annotation without a frame: {path} (no frame numbered '
                f'{number} in {img_dir})')
        annotated[number] = path
    return _sparse_video(video, split, img_dir, by_number, annotated,
                         read_gt)


def is_youtube_objects_release(root: str) -> bool:
    """Whether ``root`` holds the release's per-class tree
    (``<class>/data/``) rather than the per-video layout."""
    return any(osp.isdir(osp.join(root, c, 'data'))
               for c in YOUTUBE_OBJECTS_CLASSES)


def youtube_objects_release_videos(
        root: str,
        split: str = 'val',
        videos: Optional[Sequence[str]] = None,
        frames_root: Optional[str] = None) -> List[SparseVideo]:
    """YouTube-Objects in its release tree: one video per annotated shot.

    The segmentation masks (Jain and Grauman's, the ones U-VOS papers score
    against) sit in
    ``ROOT/<class>/data/<NNNN>/shots/<NNN>/labels/<NNNNN>.jpg``;
    the shot's frames ``frame<NNNN>.jpg`` (same number as their mask) in
    ``images/`` beside ``labels/`` (the package with the frames included),
    or, given ``frames_root``, in ``FRAMES_ROOT/<class>/data/<NNNN>/shots/
    <NNN>/`` (the YouTube-Objects frames downloaded apart). Masks are JPEGs
    (:func:`read_jpeg_mask`), often at a lower resolution than the frames;
    they are kept at their own size.

    Videos are named ``<class>-<NNNN>-<NNN>`` (class, video, shot): the
    class is the part before the first ``-`` (the ``--classes`` map that
    ``tools/prepare_youtube_objects.py`` writes says so for the evaluator).
    """
    found = []
    for cls in sorted(n for n in os.listdir(root)
                      if osp.isdir(osp.join(root, n, 'data'))):
        data = osp.join(root, cls, 'data')
        for vid in _video_folders(data):
            shots = osp.join(data, vid, 'shots')
            if not osp.isdir(shots):
                raise PrepareError(f'no shots folder in {osp.join(data, vid)}'
                                   f': expected {shots}/<NNN>/labels/')
            for shot in _video_folders(shots):
                found.append((f'{cls}-{vid}-{shot}',
                              osp.join(cls, 'data', vid, 'shots', shot)))
    if not found:
        raise PrepareError(f'no <class>/data/<video> folder in {root}')
    by_name = dict(found)
    out = []
    for name in _select([n for n, _ in found], videos, root):
        shot_dir = osp.join(root, by_name[name])
        ann_dir = osp.join(shot_dir, 'labels')
        img_dir = (osp.join(frames_root, by_name[name]) if frames_root
                   else osp.join(shot_dir, 'images'))
        if not osp.isdir(ann_dir):
            raise PrepareError(f'no labels folder for video {name}: '
                               f'{ann_dir}')
        if not osp.isdir(img_dir):
            raise PrepareError(
                f'no frames for video {name}: {img_dir} not found' +
                ('' if frames_root else ' (if the frames were downloaded '
                 'apart, pass their root with --frames-root)'))
        out.append(_video_with_annotations(name, split, img_dir, ann_dir,
                                           '.jpg', read_jpeg_mask))
    return out


def fbms_videos(root: str,
                split: str = 'val',
                videos: Optional[Sequence[str]] = None,
                subset: str = 'Testset') -> List[SparseVideo]:
    """The FBMS-59 test videos: ``ROOT/Testset/<video>/*.jpg`` frames and
    ``ROOT/Testset/<video>/GroundTruth/*.pgm|*.ppm`` annotations.

    An annotation's frame is the one whose file name ends with the same
    number (``cars1_01.jpg`` for ``cars1_01_gt.pgm`` or ``01_gt.pgm``); the
    annotated frames are exactly those the GT file names list. Files whose
    name contains ``PROB`` (probability maps, not annotations) are skipped.
    """
    base = osp.join(root, subset)
    out = []
    for video in _select(_video_folders(base), videos, base):
        vdir = osp.join(base, video)
        gdir = osp.join(vdir, 'GroundTruth')
        frames = list_frames(vdir, '.jpg')
        if not frames:
            raise PrepareError(f'no .jpg frames in {vdir}')
        if not osp.isdir(gdir):
            raise PrepareError(f'no GroundTruth folder for video {video}: '
                               f'{gdir}')
        gts = sorted(n for n in os.listdir(gdir)
                     if n.lower().endswith(('.pgm', '.ppm'))
                     and 'PROB' not in n and not n.startswith('.'))
        if not gts:
            raise PrepareError(f'no .pgm/.ppm annotation in {gdir}')
        by_number = _frames_by_number(vdir, frames)
        annotated = {}
        for name in gts:
            path = osp.join(gdir, name)
            number = frame_number(osp.splitext(name)[0])
            if number is None:
                raise PrepareError(f'cannot tell the frame of {path}: the '
                                   'name has no frame number')
            if number not in by_number:
                raise PrepareError(
                    f'annotation without a frame: {path} (no frame numbered '
                    f'{number} in {vdir})')
            if number in annotated:
                raise PrepareError(f'two annotations of frame {number}: '
                                   f'{annotated[number]} and {path}')
            annotated[number] = path
        out.append(_sparse_video(video, split, vdir, by_number,
                                 annotated, read_fbms_gt))
    return out


def _frames_by_number(folder: str, frames: Sequence[str]) -> Dict[int, str]:
    by_number = {}
    for name in frames:
        number = frame_number(osp.splitext(name)[0])
        if number is None:
            raise PrepareError(f'cannot tell the frame number of '
                               f'{osp.join(folder, name)}')
        if number in by_number:
            raise PrepareError(
                f'two frames numbered {number} in {folder}: '
                f'{by_number[number]} and {name}')
        by_number[number] = name
    return by_number


def _sparse_video(video, split, folder, by_number, annotated,
                  read_gt) -> SparseVideo:
    job = VideoJob(video, split)
    gt = {}
    # time order is the frame number's (names need not be zero-padded)
    for number in sorted(by_number):
        name = by_number[number]
        stem = None
        if number in annotated:
            stem = f'{video}_{_frame_id(number)}'
            gt[_frame_id(number)] = annotated[number]
        job.frames.append(FrameSpec(osp.join(folder, name), stem))
    return SparseVideo(job, gt, read_gt)


# --------------------------------------------------------------------------
# writing


def sparse_video_done(video: SparseVideo, opts: WriteOptions) -> bool:
    """Whether every output file of ``video`` (GT included) exists and is
    not empty."""
    gts = [gt_path(opts.out_root, video.name, f) for f in video.gt]
    return video_done(video.job, opts) and all(
        osp.isfile(p) and osp.getsize(p) > 0 for p in gts)


def process_sparse_video(video: SparseVideo, estimator: Callable,
                         opts: WriteOptions) -> int:
    """Write one video's GT (own size), then its annotated frames, flows and
    frame-size masks (:func:`hfan.preparation.two_seg.process_video`).
    Returns the number of files written; only missing files are written."""
    written = 0
    for frame_id, src in video.gt.items():
        dst = gt_path(opts.out_root, video.name, frame_id)
        if not osp.exists(dst):
            atomic_write_image(dst, video.read_gt(src))
            written += 1
    for spec in video.job.frames:
        if spec.stem is None:
            continue
        if osp.exists(opts.paths(video.job.split, spec.stem)['mask']):
            spec.mask = np.zeros((1, 1), np.uint8)  # not read: file exists
            continue
        frame_id = spec.stem.rsplit('_', 1)[1]
        written_gt = gt_path(opts.out_root, video.name, frame_id)
        gt = cv2.imread(written_gt, cv2.IMREAD_GRAYSCALE)
        if gt is None:  # written atomically above, so only if damaged since
            raise PrepareError(f'cannot read {written_gt}: delete it and '
                               'run again')
        h, w = frame_size(spec.jpeg(), spec.source)
        if gt.shape != (h, w):
            # the 2SEG mask follows the frame; the GT keeps its own size
            gt = cv2.resize(gt, (w, h), interpolation=cv2.INTER_NEAREST)
        spec.mask = gt
    return written + process_video(video.job, estimator, opts)


def write_sparse_videos(videos: Sequence[SparseVideo], opts: WriteOptions,
                        **run) -> ConvertStats:
    """Write ``videos`` under ``opts.out_root`` through the convert loop
    (:func:`hfan.preparation.convert.convert_videos`, whose keyword options
    ``run`` takes); complete videos are skipped without being read."""
    return convert_videos(videos, partial(process_sparse_video, opts=opts),
                          partial(sparse_video_done, opts=opts),
                          opts.out_root, **run)


def split_classes(names: Sequence[str]) -> Tuple[Dict[str, List[str]],
                                                 List[str]]:
    """Group YouTube-Objects video names by class (name up to its trailing
    digits); returns ``({class: videos}, names of no known class)``."""
    groups: Dict[str, List[str]] = {}
    unknown = []
    for name in names:
        cls = class_of(name)
        if cls in YOUTUBE_OBJECTS_CLASSES:
            groups.setdefault(cls, []).append(name)
        else:
            unknown.append(name)
    return groups, unknown


@dataclass
class YouTubeObjectsVideos:
    """The videos of a YouTube-Objects download
    (:func:`youtube_objects_videos`).

    Attributes:
        videos: the videos to prepare.
        release: whether ``root`` is the release tree (one video per
            annotated shot) rather than the per-video layout.
        classes: ``{class: [video names]}``; release tree: the class
            folders, per-video layout: the known classes only.
        unknown: release tree: class folders not among the ten classes;
            per-video layout: videos of no known class.
    """
    videos: List[SparseVideo]
    release: bool
    classes: Dict[str, List[str]]
    unknown: List[str]

    def class_map(self) -> Dict[str, str]:
        """``{video: class}`` in video order, for the videos of a class in
        :attr:`classes` (what ``eval_vos.py --classes`` reads)."""
        cls = {v: c for c, names in self.classes.items() for v in names}
        return {v.name: cls[v.name] for v in self.videos if v.name in cls}


def youtube_objects_videos(root: str,
                           split: str = 'val',
                           videos: Optional[Sequence[str]] = None,
                           frames_root: Optional[str] = None
                           ) -> YouTubeObjectsVideos:
    """YouTube-Objects in either layout, detected: the release tree
    (:func:`youtube_objects_release_videos`) or the per-video layout of
    U-VOS code releases (:func:`per_video_folder_videos`).

    Raises:
        PrepareError: ``root`` is in neither layout (the message says what
            either would hold, or that the tree is one level down), or
            ``frames_root`` is given for the per-video layout.
    """
    if not osp.isdir(root):
        raise PrepareError(f'folder not found: {root}')
    if is_youtube_objects_release(root):
        found = youtube_objects_release_videos(root, split, videos,
                                               frames_root)
        groups: Dict[str, List[str]] = {}
        for v in found:  # <class>-<NNNN>-<NNN>: the class folder is first
            groups.setdefault(v.name.split('-', 1)[0], []).append(v.name)
        unknown = sorted(set(groups) - set(YOUTUBE_OBJECTS_CLASSES))
        return YouTubeObjectsVideos(found, True, groups, unknown)
    if frames_root:
        raise PrepareError(
            f'--frames-root is for the release tree, but {root} has no '
            '<class>/data/ folder (aeroplane/data/, bird/data/, ...)')
    if not osp.isdir(osp.join(root, 'Annotations')):
        nested = osp.join(root, 'youtube_masks')
        if is_youtube_objects_release(nested):
            raise PrepareError(f'{root} holds the release tree one '
                               f'level down: pass {nested}')
        raise PrepareError(
            f'{root} is in neither YouTube-Objects layout: expected '
            '<class>/data/<NNNN>/shots/<NNN>/labels/ (the release tree) or '
            'JPEGImages/ and Annotations/ (the per-video layout)')
    found = per_video_folder_videos(root, split, videos)
    groups, unknown = split_classes([v.name for v in found])
    return YouTubeObjectsVideos(found, False, groups, unknown)
