"""The 2SEG layout (DAVIS2SEG, YouTube2SEG) and the per-video writer.

The layout HFAN trains and tests on::

    OUT/frame/<split>/<video>_<00000>.jpg   the frame (source JPEG bytes)
    OUT/flow/<split>/<video>_<00000>.jpg    colour-coded flow t -> t+1
                                            (last frame: t -> t-1)
    OUT/mask/<split>/<video>_<00000>.png    binary mask, 0 / 255, one channel
    OUT/flow_raw/<split>/<video>_<00000>.{npy,flo}   optional raw flow

Masks are written 0/255 (docs/data.md); readers should take any nonzero
value as foreground.

A video to convert is a :class:`VideoJob`; :func:`process_video` writes it,
resumably (finished files are never rewritten and a finished video costs
only ``stat`` calls) and atomically (a temporary file beside the target,
renamed into place, removed on any error); :func:`write_2seg_videos` runs
many through the convert loop (:mod:`hfan.preparation.convert`).
"""
import os.path as osp
from dataclasses import dataclass, field
from functools import partial
from typing import Callable, List, Optional, Sequence, Union

import cv2
import numpy as np

from hfan.flow.colorize import flow_to_bgr
from hfan.flow.io import write_flow
from hfan.flow.video_flow import iter_video_flows
from hfan.utils.atomic_io import atomic_path, atomic_write_bytes
from hfan.utils.image_io import file_complete

from .convert import ConvertStats, convert_videos
from .sources import (
    PrepareError,
    decode_frame,
    frame_size,
    read_binary_mask,
    read_file,
)

#: output sub-folders of the 2SEG layout
FRAME_DIR, FLOW_DIR, MASK_DIR, RAW_FLOW_DIR = 'frame', 'flow', 'mask', \
    'flow_raw'


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
        size = frame_size(data, spec.source)
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
            load=lambda spec: decode_frame(spec.jpeg(), spec.source),
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


def write_2seg_videos(jobs: Sequence[VideoJob], opts: WriteOptions,
                      **run) -> ConvertStats:
    """Write ``jobs`` into the 2SEG layout under ``opts.out_root``: complete
    videos are skipped without being read, the others go through
    :func:`process_video`. ``run``: the keyword options of
    :func:`hfan.preparation.convert.convert_videos` (flow estimator,
    workers, progress bar)."""
    return convert_videos(jobs, partial(process_video, opts=opts),
                          partial(video_done, opts=opts), opts.out_root,
                          **run)
