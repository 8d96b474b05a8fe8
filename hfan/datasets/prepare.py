"""Writing the 2SEG layout (DAVIS2SEG, YouTube2SEG) from videos.

The layout HFAN trains and tests on::

    OUT/frame/<split>/<video>_<00000>.jpg   the frame (source JPEG bytes)
    OUT/flow/<split>/<video>_<00000>.jpg    colour-coded flow t -> t+1
                                            (last frame: t -> t-1)
    OUT/mask/<split>/<video>_<00000>.png    binary mask, 0 / 255, one channel
    OUT/flow_raw/<split>/<video>_<00000>.{npy,flo}   optional raw flow

Masks are written 0/255 (docs/data.md); readers should take any nonzero
value as foreground.

This module holds what the preparation tools share: the description of a
video to convert (:class:`VideoJob`), reading inputs with errors that name
the file (:class:`PrepareError`), atomic writes (a temporary file beside the
target, renamed into place, removed on any error), the per-video writer
(:func:`process_video`, resumable: finished files are never rewritten and a
finished video costs only ``stat`` calls) and a process pool with a
progress bar (:func:`run_jobs`).
"""
import argparse
import io
import multiprocessing
import os
import os.path as osp
import sys
from dataclasses import dataclass, field
from functools import partial
from typing import Callable, List, Optional, Sequence, Union

import cv2
import numpy as np
from PIL import Image, UnidentifiedImageError
from tqdm import tqdm

from hfan.flow.builder import build_flow_estimator
from hfan.flow.colorize import flow_to_bgr
from hfan.flow.io import RAW_FLOW_FORMATS, write_flow
from hfan.flow.video_flow import iter_video_flows
from hfan.utils.atomic_io import (atomic_path, atomic_write_bytes,
                                  remove_stale_tmp)
from hfan.utils.image_io import ImageDecodeError, check_image_bytes
from hfan.utils.image_io import decode_image as strict_decode
from hfan.utils.image_io import file_complete
from hfan.utils.natural_sort import natural_key

#: output sub-folders of the 2SEG layout
FRAME_DIR, FLOW_DIR, MASK_DIR, RAW_FLOW_DIR = 'frame', 'flow', 'mask', \
    'flow_raw'


class PrepareError(RuntimeError):
    """Unusable input; the message names the file or folder."""


def atomic_write_image(path: str, img: np.ndarray,
                       params: Sequence[int] = ()) -> None:
    """Encode ``img`` by ``path``'s extension (``cv2.imencode``) and write it
    atomically."""
    ok, buf = cv2.imencode(osp.splitext(path)[1], img, list(params))
    if not ok:
        raise OSError(f'could not encode an image for {path}')
    atomic_write_bytes(path, buf.tobytes())


def atomic_write_flow(path: str, flow: np.ndarray) -> None:
    """Write a raw flow (``.npy`` / ``.flo``) atomically."""
    with atomic_path(path) as tmp:
        write_flow(tmp, flow)


# --------------------------------------------------------------------------
# reading inputs


def read_file(path: str) -> bytes:
    """The bytes of ``path``; :class:`PrepareError` naming it if unreadable."""
    try:
        with open(path, 'rb') as f:
            return f.read()
    except OSError as e:
        raise PrepareError(f'cannot read {path}: {e.strerror or e}') from e


def decode_image(data: bytes, source: str) -> np.ndarray:
    """Decode encoded image bytes to BGR uint8; ``source`` names them in
    the error."""
    try:  # strict: a truncated JPEG is refused, not decoded half grey
        return strict_decode(data, f'the image {source}')
    except ImageDecodeError as err:
        raise PrepareError(str(err)) from None


def image_size(data: bytes, source: str):
    """``(height, width)`` of encoded image bytes, from the header; empty or
    truncated bytes are refused (frames are copied as they are, so this is
    where a damaged source frame is caught)."""
    try:
        check_image_bytes(data, f'the image {source}')
    except ImageDecodeError as err:
        raise PrepareError(str(err)) from None
    try:
        with Image.open(io.BytesIO(data)) as im:
            return im.height, im.width
    except UnidentifiedImageError:
        raise PrepareError(
            f'cannot decode the image {source}: not an image file') from None
    except Exception as e:
        raise PrepareError(f'cannot decode the image {source}: {e}') from e


def read_binary_mask(path: str) -> np.ndarray:
    """Read an annotation as a binary ``uint8`` mask, 0 / 255.

    Palette PNGs (DAVIS, YouTube-VOS) are read as their indices, so every
    object id (any nonzero index) is foreground, whatever its palette
    colour; grayscale 0/255 or 0/1 masks work too; for RGB(A) images any
    nonzero colour channel is foreground.
    """
    data = read_file(path)
    try:
        check_image_bytes(data, f'the annotation {path}')
    except ImageDecodeError as err:
        raise PrepareError(str(err)) from None
    try:
        with Image.open(io.BytesIO(data)) as im:
            im.load()  # decode fully: a corrupt stream raises here
            if im.mode in ('RGB', 'RGBA', 'LA'):
                arr = np.asarray(im.convert('RGB')).any(axis=2)
            else:  # 'P', 'L', '1', 'I', 'I;16': values / indices
                arr = np.asarray(im)
                if arr.ndim != 2:
                    raise ValueError(f'unexpected mode {im.mode}')
    except UnidentifiedImageError:
        raise PrepareError(f'cannot decode the annotation {path}: not an '
                           'image file') from None
    except Exception as e:
        raise PrepareError(f'cannot decode the annotation {path}: {e}') from e
    return np.where(arr != 0, 255, 0).astype(np.uint8)


# --------------------------------------------------------------------------
# what to convert


@dataclass
class FrameSpec:
    """One frame of a source video.

    Attributes:
        image: the JPEG file's path, or the JPEG bytes.
        stem: output name ``<video>_<00000>``; ``None`` for a frame that is
            only used to compute a neighbour's flow (not written).
        mask: the annotation's path or a 0/255 array; needed when ``stem``
            is set.
    """
    image: Union[str, bytes]
    stem: Optional[str] = None
    mask: Union[str, np.ndarray, None] = None

    def jpeg(self) -> bytes:
        return self.image if isinstance(self.image, bytes) \
            else read_file(self.image)

    @property
    def source(self) -> str:
        return self.image if isinstance(self.image, str) \
            else f'<{self.stem or "frame"} in memory>'


@dataclass
class VideoJob:
    """A video to write into the 2SEG layout: its frames in time order."""
    name: str
    split: str
    frames: List[FrameSpec] = field(default_factory=list)


@dataclass
class WriteOptions:
    """Where and how :func:`process_video` writes.

    Attributes:
        out_root: the 2SEG root (``OUT`` above).
        raw_flow: also write raw flows, ``'npy'`` or ``'flo'``; ``None``: no.
        jpeg_quality: quality of the colour-coded flow JPEGs.
    """
    out_root: str
    raw_flow: Optional[str] = None
    jpeg_quality: int = 95

    def paths(self, split: str, stem: str) -> dict:
        """The output files of one frame, by kind."""
        out = {
            'frame': osp.join(self.out_root, FRAME_DIR, split, stem + '.jpg'),
            'flow': osp.join(self.out_root, FLOW_DIR, split, stem + '.jpg'),
            'mask': osp.join(self.out_root, MASK_DIR, split, stem + '.png'),
        }
        if self.raw_flow:
            out['raw_flow'] = osp.join(self.out_root, RAW_FLOW_DIR, split,
                                       f'{stem}.{self.raw_flow}')
        return out


def frame_stem(video: str, frame_name: str) -> str:
    """``<video>_<00000>``: the frame number zero-padded to 5 digits (a
    non-numeric file stem is kept as it is)."""
    stem = osp.splitext(frame_name)[0]
    return f'{video}_{int(stem):05d}' if stem.isdigit() else f'{video}_{stem}'


def video_done(job: VideoJob, opts: WriteOptions) -> bool:
    """Whether every output file of ``job`` exists and is complete.

    Complete, not only present (:func:`hfan.utils.image_io.file_complete`):
    a 0-byte or truncated file (copied in by hand, or left by another tool)
    is written again rather than kept as done.
    """
    return all(
        file_complete(p) for spec in job.frames if spec.stem
        for p in opts.paths(job.split, spec.stem).values())


def process_video(job: VideoJob, estimator: Callable,
                  opts: WriteOptions) -> int:
    """Write one video's frames, masks and flows; returns the number of files
    written (0 when the video was already complete).

    Only missing (or empty or truncated) files are written and only the
    flows still missing are computed, so an interrupted run resumes where
    it stopped. Frames are
    copied byte for byte (no re-encoding); flows are computed on the decoded
    JPEGs with the rule of :func:`hfan.flow.video_flow.iter_video_flows`
    over *all* frames of ``job`` (frames without ``stem`` included).
    """
    if video_done(job, opts):
        return 0
    outs = {
        i: opts.paths(job.split, spec.stem)
        for i, spec in enumerate(job.frames) if spec.stem
    }
    written = 0
    for i, paths in outs.items():
        spec = job.frames[i]
        need_frame = not file_complete(paths['frame'])
        need_mask = not file_complete(paths['mask'])
        if not (need_frame or need_mask):
            continue
        data = spec.jpeg()
        size = image_size(data, spec.source)
        if need_mask:
            mask = _load_mask(spec)
            if mask.shape != size:
                raise PrepareError(
                    f'the annotation {_mask_source(spec)} is '
                    f'{mask.shape[1]}x{mask.shape[0]} but its frame '
                    f'{spec.source} is {size[1]}x{size[0]}')
            atomic_write_image(paths['mask'], mask)
            written += 1
        if need_frame:
            atomic_write_bytes(paths['frame'], data)
            written += 1

    need_flow = {
        i
        for i, paths in outs.items()
        if not (file_complete(paths['flow']) and
                ('raw_flow' not in paths or file_complete(paths['raw_flow'])))
    }
    if need_flow:
        flows = iter_video_flows(
            job.frames,
            estimator,
            load=lambda spec: decode_image(spec.jpeg(), spec.source),
            skip=lambda t: t not in need_flow)
        for i, flow in enumerate(flows):
            if flow is None:
                continue
            paths = outs[i]
            if not file_complete(paths['flow']):
                atomic_write_image(
                    paths['flow'], flow_to_bgr(flow),
                    [cv2.IMWRITE_JPEG_QUALITY, opts.jpeg_quality])
                written += 1
            if 'raw_flow' in paths and not file_complete(paths['raw_flow']):
                atomic_write_flow(paths['raw_flow'], flow)
                written += 1
    return written


def _load_mask(spec: FrameSpec) -> np.ndarray:
    if spec.mask is None:
        raise PrepareError(f'no annotation for the frame {spec.source}')
    if isinstance(spec.mask, np.ndarray):
        return np.where(spec.mask != 0, 255, 0).astype(np.uint8)
    return read_binary_mask(spec.mask)


def _mask_source(spec: FrameSpec) -> str:
    return spec.mask if isinstance(spec.mask, str) else \
        f'<mask of {spec.source}>'


# --------------------------------------------------------------------------
# walking the source datasets


def list_frames(folder: str, ext: str) -> List[str]:
    """File names in ``folder`` ending with ``ext``, in frame order."""
    if not osp.isdir(folder):
        raise PrepareError(f'folder not found: {folder}')
    names = [n for n in os.listdir(folder)
             if n.lower().endswith(ext) and not n.startswith('.')]
    return sorted(names, key=natural_key)


def read_video_list(path: str) -> List[str]:
    """Video names from a list file, one a line (blank lines ignored)."""
    if not osp.isfile(path):
        raise PrepareError(f'list file not found: {path}')
    with open(path) as f:
        names = [line.strip() for line in f if line.strip()]
    if not names:
        raise PrepareError(f'empty split: no video listed in {path}')
    return names


def davis_jobs(root: str,
               splits: Sequence[str] = ('train', 'val'),
               resolution: str = '480p',
               year: str = '2016',
               annotations: Optional[str] = None) -> List[VideoJob]:
    """The videos of a DAVIS download, split by its image-set lists.

    Two release layouts are read, detected from ``root/ImageSets``:

    - DAVIS-2017 trainval: ``ImageSets/<year>/<split>.txt`` lists video
      names; every ``JPEGImages/<resolution>/<video>/*.jpg`` is a frame and
      ``<annotations>/<video>/<00000>.png`` its mask (``annotations``
      defaults to ``root/Annotations/<resolution>``).
    - DAVIS-2016: ``ImageSets/<resolution>/<split>.txt`` lists one frame a
      line as a pair ``/JPEGImages/480p/<video>/<00000>.jpg
      /Annotations/480p/<video>/<00000>.png`` (paths from ``root``); the
      listed pairs are the frames (``annotations``, if given, replaces the
      listed annotation folder).

    Every problem (no list in either layout, empty split, missing video
    folder or listed file, frame without annotation) is raised here, before
    any work, as a :class:`PrepareError` naming the path.
    """
    lists_2017 = osp.join(root, 'ImageSets', year)
    lists_2016 = osp.join(root, 'ImageSets', resolution)
    if osp.isdir(lists_2017):
        read_split = partial(
            _davis2017_split, root, resolution, annotations
            or osp.join(root, 'Annotations', resolution))
        lists = lists_2017
    elif osp.isdir(lists_2016):
        read_split = partial(_davis2016_split, root, annotations)
        lists = lists_2016
    else:
        raise PrepareError(
            f'no DAVIS image-set lists under {root}: expected '
            f'{lists_2017}/<split>.txt (DAVIS-2017 trainval: video names) or '
            f'{lists_2016}/<split>.txt (DAVIS-2016: frame / annotation '
            'pairs)')
    jobs = []
    for split in splits:
        jobs += read_split(osp.join(lists, f'{split}.txt'), split)
    return jobs


def _davis2017_split(root, resolution, annotations, list_path, split):
    jobs = []
    for video in read_video_list(list_path):
        img_dir = osp.join(root, 'JPEGImages', resolution, video)
        ann_dir = osp.join(annotations, video)
        frames = list_frames(img_dir, '.jpg')
        if not frames:
            raise PrepareError(f'no .jpg frames in {img_dir}')
        job = VideoJob(video, split)
        for name in frames:
            ann = osp.join(ann_dir, osp.splitext(name)[0] + '.png')
            if not osp.isfile(ann):
                raise PrepareError(f'missing annotation: {ann}')
            job.frames.append(
                FrameSpec(osp.join(img_dir, name), frame_stem(video, name),
                          ann))
        jobs.append(job)
    return jobs


def _davis2016_split(root, annotations, list_path, split):
    """Jobs from a DAVIS-2016 pair list; ``annotations`` (if set) replaces
    the listed annotation folder."""
    videos = {}  # video -> [(frame name, image path, annotation path)]
    for n, line in enumerate(read_video_list(list_path), 1):
        parts = line.split()
        if len(parts) != 2:
            raise PrepareError(
                f'{list_path}, line {n}: expected "/JPEGImages/<res>/<video>/'
                f'<00000>.jpg /Annotations/<res>/<video>/<00000>.png", got '
                f'{line!r}')
        img, ann = (osp.join(root, p.lstrip('/')) for p in parts)
        video = osp.basename(osp.dirname(img))
        name = osp.basename(img)
        if annotations is not None:
            ann = osp.join(annotations, video, osp.basename(ann))
        for path, what in ((img, 'frame'), (ann, 'annotation')):
            if not osp.isfile(path):
                raise PrepareError(
                    f'missing {what}: {path} (listed in {list_path}, line '
                    f'{n})')
        videos.setdefault(video, []).append((name, img, ann))
    jobs = []
    for video, frames in videos.items():
        job = VideoJob(video, split)
        for name, img, ann in sorted(frames, key=lambda f: natural_key(f[0])):
            job.frames.append(FrameSpec(img, frame_stem(video, name), ann))
        jobs.append(job)
    return jobs


def youtube_jobs(root: str, split: str = 'train') -> List[VideoJob]:
    """The videos of a YouTube-VOS split (``root/<split>/JPEGImages/<video>/``
    and ``root/<split>/Annotations/<video>/``).

    Every JPEG of a video takes part in the flow (frame t -> the next JPEG,
    the last one backwards), so the full-frame-rate ``train_all_frames``
    JPEGs give flows between consecutive frames; only frames with an
    annotation PNG are written. Problems are raised here, before any work,
    as a :class:`PrepareError` naming the path.
    """
    img_root = osp.join(root, split, 'JPEGImages')
    ann_root = osp.join(root, split, 'Annotations')
    for folder in (img_root, ann_root):
        if not osp.isdir(folder):
            raise PrepareError(f'folder not found: {folder}')
    videos = sorted(n for n in os.listdir(img_root)
                    if osp.isdir(osp.join(img_root, n)))
    if not videos:
        raise PrepareError(f'empty split: no video folder in {img_root}')
    jobs = []
    for video in videos:
        img_dir = osp.join(img_root, video)
        ann_dir = osp.join(ann_root, video)
        frames = list_frames(img_dir, '.jpg')
        anns = {osp.splitext(n)[0]: n for n in list_frames(ann_dir, '.png')}
        if not frames:
            raise PrepareError(f'no .jpg frames in {img_dir}')
        if not anns:
            raise PrepareError(f'no .png annotation in {ann_dir}')
        stems = {osp.splitext(n)[0] for n in frames}
        for stem, name in anns.items():
            if stem not in stems:
                raise PrepareError(
                    f'annotation without a frame: {osp.join(ann_dir, name)} '
                    f'(no {stem}.jpg in {img_dir})')
        job = VideoJob(video, split)
        for name in frames:
            ann = anns.get(osp.splitext(name)[0])
            job.frames.append(
                FrameSpec(
                    osp.join(img_dir, name),
                    frame_stem(video, name) if ann else None,
                    osp.join(ann_dir, ann) if ann else None))
        jobs.append(job)
    return jobs


# --------------------------------------------------------------------------
# running many videos

_WORKER_ESTIMATOR = None


def _init_worker(flow: str, flow_kwargs: dict) -> None:
    global _WORKER_ESTIMATOR
    cv2.setNumThreads(1)  # the pool is the parallelism
    _WORKER_ESTIMATOR = build_flow_estimator(flow, **flow_kwargs)


def _run_in_worker(fn: Callable, job):
    return fn(job, _WORKER_ESTIMATOR)


def _pool_context():
    """Workers start from a fresh process (forkserver, else spawn), never by
    forking this one: a fork inherits the locks of OpenCV's, torch's and
    tqdm's threads, and a child that finds one held hangs."""
    if 'forkserver' in multiprocessing.get_all_start_methods():
        ctx = multiprocessing.get_context('forkserver')
        ctx.set_forkserver_preload([__name__])
        return ctx
    return multiprocessing.get_context('spawn')


def run_jobs(fn: Callable,
             jobs: Sequence,
             *,
             flow: str = 'dis',
             flow_kwargs: Optional[dict] = None,
             workers: int = 1,
             desc: str = 'videos',
             progress: bool = True) -> List:
    """Run ``fn(job, estimator)`` for every job, with a progress bar.

    One flow estimator is built per process (``workers`` > 1: a process
    pool, each worker single-threaded in OpenCV; otherwise in this process).
    ``fn`` and the jobs must be picklable for a pool (``fn`` a function of an
    importable module, or a ``functools.partial`` of one). Returns the
    results in completion order. The first exception stops the run and is
    raised here.
    """
    flow_kwargs = dict(flow_kwargs or {})
    results = []
    with tqdm(total=len(jobs), desc=desc, unit='video',
              disable=not progress) as bar:
        if workers <= 1 or len(jobs) <= 1:
            estimator = build_flow_estimator(flow, **flow_kwargs)
            for job in jobs:
                results.append(fn(job, estimator))
                bar.update()
        else:
            with _pool_context().Pool(
                    min(workers, len(jobs)),
                    initializer=_init_worker,
                    initargs=(flow, flow_kwargs)) as pool:
                for r in pool.imap_unordered(
                        partial(_run_in_worker, fn), jobs):
                    results.append(r)
                    bar.update()
    return results


def convert_videos(jobs: Sequence[VideoJob],
                   opts: WriteOptions,
                   *,
                   flow: str = 'dis',
                   flow_kwargs: Optional[dict] = None,
                   workers: int = 1,
                   progress: bool = True,
                   desc: str = 'videos') -> dict:
    """Write ``jobs`` into the 2SEG layout under ``opts.out_root``.

    Complete videos are skipped without being read; the others go through
    :func:`process_video` (in a pool when ``workers`` > 1). Temporary files
    of killed runs are cleared before and after. Returns counts:
    ``{'videos', 'skipped', 'files'}`` (files written).
    """
    todo = [job for job in jobs if not video_done(job, opts)]
    os.makedirs(opts.out_root, exist_ok=True)
    remove_stale_tmp(opts.out_root)
    try:
        written = run_jobs(
            partial(process_video, opts=opts),
            todo,
            flow=flow,
            flow_kwargs=flow_kwargs,
            workers=workers,
            desc=desc,
            progress=progress)
    finally:
        remove_stale_tmp(opts.out_root)
    return {
        'videos': len(jobs),
        'skipped': len(jobs) - len(todo),
        'files': sum(written)
    }


# --------------------------------------------------------------------------
# command-line pieces shared by the tools


def prepare_from_args(args: argparse.Namespace,
                      make_jobs: Callable[[], Sequence[VideoJob]],
                      desc: str) -> dict:
    """The main of the preparation tools: ``make_jobs()`` lists the videos,
    ``args`` carries the flow / output / worker options of
    :func:`add_flow_args` and :func:`add_output_args`. Unusable input exits
    with ``error: <message naming the file>``."""
    try:
        flow, flow_kwargs = flow_spec_from_args(args)
        stats = convert_videos(
            make_jobs(),
            WriteOptions(args.out, args.save_raw_flow, args.jpeg_quality),
            flow=flow,
            flow_kwargs=flow_kwargs,
            workers=args.workers,
            progress=not args.no_progress,
            desc=desc)
    except PrepareError as e:
        sys.exit(f'error: {e}')
    print(f"{stats['videos']} videos ({stats['skipped']} already complete), "
          f"{stats['files']} files written under {args.out}", file=sys.stderr)
    return stats


def add_flow_args(parser: argparse.ArgumentParser) -> None:
    """``--flow``, ``--dis-preset``, ``--raft-weights``, ``--device``,
    ``--workers``."""
    g = parser.add_argument_group('optical flow')
    g.add_argument('--flow', choices=['dis', 'raft'], default='dis',
                   help='flow estimator: OpenCV DIS (default, CPU) or '
                   'RAFT-large (see --raft-weights)')
    g.add_argument('--dis-preset', default='medium',
                   choices=['ultrafast', 'fast', 'medium'],
                   help='DIS preset (default: medium)')
    g.add_argument('--raft-weights', metavar='PATH',
                   help='RAFT: the original raft-things.pth (the published '
                   "data's weights; runs without torchvision) or a "
                   "torchvision raft_large state_dict (.pth); default: "
                   "torchvision's Raft_Large_Weights.C_T_V2, downloaded on "
                   'first use')
    g.add_argument('--device', default=None,
                   help='RAFT: torch device (default: cuda if available)')
    parser.add_argument('--workers', type=int, default=1, metavar='N',
                        help='processes working on videos in parallel '
                        '(default: 1)')


def flow_spec_from_args(args: argparse.Namespace):
    """``(name, kwargs)`` for :func:`build_flow_estimator` from the
    arguments of :func:`add_flow_args`."""
    if args.flow == 'dis':
        if args.raft_weights:
            raise PrepareError('--raft-weights needs --flow raft')
        return 'dis', {'preset': args.dis_preset}
    if args.raft_weights and not osp.isfile(args.raft_weights):
        raise PrepareError(f'RAFT weights not found: {args.raft_weights}')
    return 'raft', {'weights': args.raft_weights, 'device': args.device}


def split_count_arg(text: str):
    """argparse type of ``SPLIT:COUNT`` (e.g. ``train:20``): ``(split,
    count)``. A split name holds no '_' (video names are ``<video>_<frame>``
    and generated videos carry the split in their name)."""
    name, sep, count = text.partition(':')
    if not (sep and name and count.isdigit() and '_' not in name):
        raise argparse.ArgumentTypeError(
            f'expected SPLIT:COUNT (e.g. train:20), got {text!r}')
    return name, int(count)


def size_arg(text: str):
    """argparse type of a frame size ``HxW`` of at least 32x32: ``(h, w)``."""
    h, sep, w = text.lower().partition('x')
    if not (sep and h.isdigit() and w.isdigit() and int(h) >= 32
            and int(w) >= 32):
        raise argparse.ArgumentTypeError(
            f'expected HxW of at least 32x32 (e.g. 192x256), got {text!r}')
    return int(h), int(w)


def add_output_args(parser: argparse.ArgumentParser) -> None:
    """``--save-raw-flow`` and ``--jpeg-quality``."""
    parser.add_argument('--save-raw-flow', choices=list(RAW_FLOW_FORMATS),
                        help='also write the raw flows to '
                        f'OUT/{RAW_FLOW_DIR}/<split>/ (.npy or Middlebury '
                        '.flo)')
    parser.add_argument('--jpeg-quality', type=int, default=95,
                        help='JPEG quality of the colour-coded flows '
                        '(default: 95, as cv2.imwrite)')
