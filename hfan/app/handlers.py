"""What the app does, without Gradio: load a model once, segment an uploaded
video (overlay video + zip of masks) or one frame and its flow image.

These plain functions are what :mod:`hfan.app.interface` wraps in the web
page, and what the tests call.
"""
import atexit
import glob
import os
import os.path as osp
import shutil
import tempfile
import threading
import time
import zipfile
from contextlib import contextmanager
from itertools import islice
from typing import Callable, Dict, Iterator, List, Optional, Tuple

import cv2
import numpy as np

from hfan.io.video import VideoIOError, frame_id, open_video, save_video
from hfan.utils.atomic_io import atomic_path
from hfan.utils.defaults import REPO_ROOT, default_device
from hfan.visualization import overlay_mask

#: Request folders kept in the work dir (older ones are deleted: Gradio has
#: copied their files to its own cache by then).
KEEP_REQUESTS = 4


class AppError(ValueError):
    """A problem to show to the user (bad upload, model that won't load)."""


def _reason(err: BaseException) -> str:
    """What went wrong, in one line: OpenCV's errors carry a multi-line
    text naming its source file; their ``err`` field is the condition."""
    if isinstance(err, cv2.error):
        detail = getattr(err, 'err', '') or str(err)
        return f'OpenCV refused the frames ({detail.strip()})'
    text = ' '.join(str(err).split())
    return text or type(err).__name__


@contextmanager
def _as_app_error(what: str) -> Iterator[None]:
    """Every error inside becomes an :class:`AppError` whose message says
    ``what`` failed and why: the page shows the app's message, never an
    exception escaping a handler (a tiny video's ``cv2.error``, a model's
    ``RuntimeError``). :class:`AppError` passes unchanged."""
    try:
        yield
    except AppError:
        raise
    except Exception as err:  # noqa: B902 -- each becomes the app's message
        raise AppError(f'{what}: {_reason(err)}') from err


def list_files(folder: str, pattern: str,
               extra: Optional[List[str]] = None) -> List[str]:
    """Sorted ``folder/pattern`` files plus ``extra`` ones (kept first)."""
    found = sorted(glob.glob(osp.join(folder, pattern)))
    out = []
    for path in list(extra or []) + found:
        if path and path not in out:
            out.append(path)
    return out


def _short(path: str) -> str:
    """A path as shown in a dropdown: relative to the repository if in it."""
    rel = osp.relpath(osp.abspath(path), REPO_ROOT)
    return path if rel.startswith(os.pardir) else rel


class ModelCache:
    """One loaded :class:`~hfan.apis.VideoSegmenter` at a time.

    Loading takes seconds, so the model stays loaded between requests; a
    request for another config / checkpoint replaces it (one model in
    memory). Requests are served one at a time (the lock), which is what a
    CPU can do anyway.

    Args:
        device: where the models run (default: ``cuda:0`` if available,
            else ``cpu``).
    """

    def __init__(self, device: Optional[str] = None):
        self.device = device or default_device()
        self.lock = threading.Lock()
        self._key: Optional[Tuple[str, str]] = None
        self._segmenter = None

    def get(self, config: str, checkpoint: str):
        """The segmenter of (config, checkpoint); call with :attr:`lock`
        held."""
        for what, path in (('config', config), ('checkpoint', checkpoint)):
            if not path or not osp.isfile(path):
                raise AppError(f'{what} file {path} does not exist')
        key = (osp.abspath(config), osp.abspath(checkpoint))
        if key != self._key:
            from hfan.apis.inference import VideoSegmenter
            self._segmenter = self._key = None  # free the old one first
            try:
                self._segmenter = VideoSegmenter(config, checkpoint,
                                                 device=self.device)
            except Exception as err:  # noqa: B902 -- shown on the page
                raise AppError(f'cannot load {osp.basename(checkpoint)} with '
                               f'{osp.basename(config)}: {err}') from err
            self._key = key
        return self._segmenter


class WorkDir:
    """A temporary folder of per-request output folders, removed at exit."""

    def __init__(self, root: Optional[str] = None):
        self.root = root or tempfile.mkdtemp(prefix='hfan-app-')
        os.makedirs(self.root, exist_ok=True)
        atexit.register(shutil.rmtree, self.root, True)

    def new(self, name: str) -> str:
        folders = sorted(glob.glob(osp.join(self.root, 'req-*')),
                         key=osp.getmtime)
        for old in folders[:max(0, len(folders) - KEEP_REQUESTS + 1)]:
            shutil.rmtree(old, ignore_errors=True)
        return tempfile.mkdtemp(prefix=f'req-{name}-', dir=self.root)


def _png(image: np.ndarray) -> bytes:
    ok, data = cv2.imencode('.png', image)
    if not ok:
        raise RuntimeError('OpenCV could not encode a PNG')
    return data.tobytes()


def segment_video_file(video_path: str,
                       config: str,
                       checkpoint: str,
                       models: ModelCache,
                       work: WorkDir,
                       flow: str = 'dis',
                       max_frames: Optional[int] = None,
                       on_frame: Optional[Callable[[int, int], None]] = None
                       ) -> Dict[str, object]:
    """Segment an uploaded video; write its overlay video and mask zip.

    One streamed pass: each frame is decoded, its flow computed, segmented,
    its mask added to the zip and its overlay to the video, so memory does
    not grow with the video's length. Both files are written under
    temporary names and renamed when complete.

    Args:
        video_path: the uploaded file (or a folder of frames).
        config, checkpoint: the model.
        models: the loaded-model cache.
        work: where the outputs go.
        flow: flow estimator name (``'dis'``, ``'raft'``).
        max_frames: segment only the first frames (``None``/0: all).
        on_frame: ``on_frame(done, total)`` after each frame (progress).

    Returns:
        ``dict(overlay, zip, frames, seconds, fps, message)``.

    Raises:
        AppError: every problem (no upload, an unreadable video, a model
            that won't load, frames the flow estimator refuses such as a
            video under DIS's minimum size), as the message the page shows.
    """
    with _as_app_error(f'cannot segment {video_path}'):
        return _segment_video_file(video_path, config, checkpoint, models,
                                   work, flow, max_frames, on_frame)


def _segment_video_file(video_path, config, checkpoint, models, work,
                        flow, max_frames, on_frame) -> Dict[str, object]:
    """The work of :func:`segment_video_file` (its arguments)."""
    if not video_path:
        raise AppError('upload a video first')
    try:
        video = open_video(video_path)
    except VideoIOError as err:
        raise AppError(str(err)) from None
    total = len(video) if not max_frames else min(len(video), max_frames)
    name = video.name or 'video'
    h, w = video.size
    out = work.new(name)
    overlay_path = osp.join(out, f'{name}_overlay.webm')
    zip_path = osp.join(out, f'{name}_masks.zip')
    with models.lock:
        segmenter = models.get(config, checkpoint)
        start = time.perf_counter()
        count = [0]
        # e.g. frames under DIS's minimum size: a cv2.error mid-stream
        with _as_app_error(f'cannot segment {name} ({w}x{h} pixels, '
                           f'{flow} flow)'):
            try:
                with atomic_path(zip_path) as tmp_zip, zipfile.ZipFile(
                        tmp_zip, 'w', zipfile.ZIP_STORED) as archive:

                    def overlays():
                        # PNGs are compressed already: the zip only stores
                        # them.
                        frames = islice(video, total)
                        for t, frame, mask in _with_frames(
                                frames, segmenter, flow):
                            archive.writestr(f'{name}/{frame_id(t)}.png',
                                             _png(mask * np.uint8(255)))
                            count[0] += 1
                            if on_frame is not None:
                                on_frame(count[0], total)
                            yield overlay_mask(frame, mask)

                    save_video(overlays(), overlay_path, fps=video.fps,
                               total=total)
            except VideoIOError as err:
                raise AppError(str(err)) from None
        seconds = time.perf_counter() - start
    fps = count[0] / seconds if seconds > 0 else 0.0
    message = (f'{name}: {count[0]} frames ({w}x{h}) segmented in '
               f'{seconds:.1f} s, {fps:.2f} frames/s (flow: {flow}, '
               f'{segmenter.flow_directions}); model '
               f'{osp.basename(checkpoint)}')
    if count[0] < len(video):
        message += f' -- first {count[0]} of {len(video)} frames'
    return dict(overlay=overlay_path, zip=zip_path, frames=count[0],
                seconds=seconds, fps=fps, message=message)


def _with_frames(frames, segmenter, flow):
    """``(t, frame, mask)`` for every frame, the flow computed by the
    segmenter's estimator ``flow`` in the segmenter's flow directions.

    :meth:`~hfan.apis.VideoSegmenter.segment_video` streams the frames
    (reading and flow ahead in a thread, two forwards at once on a CPU);
    each frame is kept from when it is read until its mask comes back, for
    the overlay.
    """
    read: Dict[int, np.ndarray] = {}

    def keep(item):
        t, frame = item
        read[t] = frame
        return frame

    for t, mask, _ in segmenter.segment_video(
            enumerate(frames), flow_estimator=flow, load=keep):
        yield t, read.pop(t), mask


def segment_frame_pair(frame_rgb: Optional[np.ndarray],
                       flow_rgb: Optional[np.ndarray], config: str,
                       checkpoint: str,
                       models: ModelCache) -> Tuple[np.ndarray, np.ndarray]:
    """Segment one frame given its colour-coded flow image.

    Args:
        frame_rgb, flow_rgb: (H, W, 3) uint8 RGB images (what Gradio gives).

    Returns:
        the overlay (RGB) and the mask (H, W) uint8 0/255.

    Raises:
        AppError: every problem (a missing or odd image, a model that won't
            load or fails on the frame), as the message the page shows.
    """
    with _as_app_error('cannot segment the frame'):
        return _segment_frame_pair(frame_rgb, flow_rgb, config, checkpoint,
                                   models)


def _segment_frame_pair(frame_rgb, flow_rgb, config, checkpoint, models):
    """The work of :func:`segment_frame_pair` (its arguments)."""
    if frame_rgb is None or flow_rgb is None:
        raise AppError('upload both a frame and its flow image')
    frame, flow = (_to_bgr(im, what)
                   for im, what in ((frame_rgb, 'frame'), (flow_rgb, 'flow')))
    if frame.shape != flow.shape:
        raise AppError(f'the frame is {frame.shape[1]}x{frame.shape[0]} but '
                       f'the flow image is {flow.shape[1]}x{flow.shape[0]}; '
                       'they must have the same size')
    with _as_app_error(f'cannot segment the {frame.shape[1]}x'
                       f'{frame.shape[0]} frame'), models.lock:
        mask, _ = models.get(config, checkpoint).segment_pair(frame, flow)
        overlay = cv2.cvtColor(overlay_mask(frame, mask), cv2.COLOR_BGR2RGB)
    return overlay, mask * np.uint8(255)


def _to_bgr(image: np.ndarray, what: str) -> np.ndarray:
    image = np.asarray(image)
    if image.dtype != np.uint8:
        raise AppError(f'the {what} image is {image.dtype}, expected 8 bits')
    if image.ndim == 2:
        return cv2.cvtColor(image, cv2.COLOR_GRAY2BGR)
    if image.ndim == 3 and image.shape[2] == 4:
        return cv2.cvtColor(image, cv2.COLOR_RGBA2BGR)
    if image.ndim == 3 and image.shape[2] == 3:
        return cv2.cvtColor(image, cv2.COLOR_RGB2BGR)
    raise AppError(f'the {what} image has shape {image.shape}')
