"""Reading any video as a stream of frames, and writing overlay videos.

HFAN segments a video frame by frame from the frame and its optical flow
(:meth:`hfan.apis.VideoSegmenter.segment_video` computes the flow
when none is given). This module supplies the frames:

* :class:`VideoFile`: an ``.mp4`` / ``.avi`` / ``.mov`` / ... decoded by
  ``cv2.VideoCapture`` one frame at a time -- never the whole video in
  memory;
* :class:`FrameFolder`: a folder of images (``.jpg``, ``.png``, ...) in
  natural order of their names (``2.png`` before ``10.png``);
* :func:`open_video`: either of them, by what the path is.

Both are re-iterable (each ``iter()`` starts again from the first frame),
know their length and frame size before anything is segmented, and check
the input when opened, so that a bad input (unreadable or empty video,
folder without images or with frames of mixed sizes) is refused with a
:class:`VideoIOError` naming the file before any output is written::

    from hfan.apis import VideoSegmenter
    from hfan.io import open_video
    video = open_video('clip.mp4')                  # or a folder of frames
    seg = VideoSegmenter(config, checkpoint)
    for t, mask, prob in seg.segment_video(video):  # DIS flow, streamed
        ...

Output: :func:`save_video` writes a stream of BGR frames as ``.mp4``
(MPEG-4 part 2, what every OpenCV build encodes), ``.webm`` (VP9, plays in
browsers) or ``.gif`` (Pillow; downscaled and with a bounded number of
frames, so its memory does not grow with the video), atomically: the file
appears under its name only once complete.
"""
import math
import os
import os.path as osp
from typing import (
    Callable,
    Iterable,
    Iterator,
    List,
    Optional,
    Tuple,
    Union,
)

import cv2
import numpy as np
from PIL import Image

from hfan.utils.atomic_io import atomic_path
from hfan.utils.image_io import file_complete, read_image_bgr
from hfan.utils.natural_sort import natural_key

#: Extensions read as video files (anything FFmpeg in OpenCV decodes).
VIDEO_EXTENSIONS = ('.mp4', '.avi', '.mov', '.mkv', '.webm', '.m4v', '.mpg',
                    '.mpeg', '.wmv')
#: Extensions read as frames of a folder.
IMAGE_EXTENSIONS = ('.jpg', '.jpeg', '.png', '.bmp', '.tif', '.tiff', '.webp')
#: Formats :func:`save_video` writes, by file extension.
VIDEO_FORMATS = ('mp4', 'webm', 'gif')
#: Frame rate given to frame folders (which have none) when writing videos.
DEFAULT_FPS = 10.0

# OpenCV codecs per container: 'mp4v' is in every FFmpeg build OpenCV ships
# (H.264 is not: no encoder in the pip wheels); VP9 in WebM is what browsers
# play without H.264.
_FOURCC = {'mp4': 'mp4v', 'webm': 'VP90'}
# cv2.imread applies EXIF orientation by default; the folder's sizes are
# checked from image headers (Pillow, no decoding), which do not, so frames
# are read without it to keep the checked size the decoded one.
_IMREAD_FLAGS = cv2.IMREAD_COLOR | cv2.IMREAD_IGNORE_ORIENTATION


class VideoIOError(ValueError):
    """An input or output video that cannot be used; the message names the
    file."""


def frame_id(index: int) -> str:
    """Output name of frame ``index`` (``00000``...), the DAVIS naming."""
    return f'{index:05d}'


def _size_text(hw: Tuple[int, int]) -> str:
    return f'{hw[1]}x{hw[0]}'


# ---------------------------------------------------------------------------
# Reading
# ---------------------------------------------------------------------------
class VideoFile:
    """A video file, decoded frame by frame with ``cv2.VideoCapture``.

    Opening checks that the file decodes and counts its frames by decoding
    them once (``grab``, no colour conversion, constant memory): containers'
    frame-count fields are estimates (wrong for some AVI / variable frame
    rate files) and the outputs are named and checked by frame index, so the
    exact count is needed before segmenting. Iterating decodes the video
    again, from the start, yielding BGR ``uint8`` ``(H, W, 3)`` arrays.

    Args:
        path: the video file.

    Attributes:
        path, name (file name without extension), num_frames, size ``(H,
        W)``, fps (the container's, :data:`DEFAULT_FPS` when it has none).

    Raises:
        VideoIOError: missing file, unknown extension, a file OpenCV cannot
            open, or a video without frames.
    """

    kind = 'video'

    def __init__(self, path: str):
        self.path = str(path)
        self.name = osp.splitext(osp.basename(self.path))[0]
        if not osp.isfile(self.path):
            raise VideoIOError(f'video file {self.path} does not exist')
        ext = osp.splitext(self.path)[1].lower()
        if ext not in VIDEO_EXTENSIONS:
            raise VideoIOError(
                f'{self.path}: not a video file extension ({ext or "none"});'
                f' expected one of {" ".join(VIDEO_EXTENSIONS)}, or a folder '
                'of frames')
        if osp.getsize(self.path) == 0:
            raise VideoIOError(f'video file {self.path} is empty (0 bytes)')
        cap = self._open()
        try:
            fps = cap.get(cv2.CAP_PROP_FPS)
            ok, first = cap.read()
            if not ok or first is None:
                raise VideoIOError(
                    f'video file {self.path} has no frame that can be '
                    'decoded (empty, truncated or an unsupported codec)')
            count = 1
            while cap.grab():
                count += 1
        finally:
            cap.release()
        self.num_frames = count
        self.size: Tuple[int, int] = tuple(first.shape[:2])
        self.fps = float(fps) if fps and math.isfinite(fps) and fps > 0 \
            else DEFAULT_FPS

    def _open(self) -> cv2.VideoCapture:
        cap = _capture(self.path)
        if not cap.isOpened():
            cap.release()
            raise VideoIOError(
                f'cannot read video file {self.path}: OpenCV/FFmpeg cannot '
                'open it (not a video, damaged, or an unsupported format)')
        return cap

    def __len__(self) -> int:
        return self.num_frames

    def __iter__(self) -> Iterator[np.ndarray]:
        cap = self._open()
        try:
            for t in range(self.num_frames):
                ok, frame = cap.read()
                if not ok or frame is None:
                    raise VideoIOError(
                        f'{self.path}: frame {t} could not be decoded (it '
                        f'had {self.num_frames} frames when opened)')
                if frame.shape[:2] != self.size:
                    raise VideoIOError(
                        f'{self.path}: frame {t} is {_size_text(frame.shape)}'
                        f' but the first frame is {_size_text(self.size)}')
                yield frame
        finally:
            cap.release()

    def __repr__(self) -> str:
        return (f'VideoFile({self.path!r}, {self.num_frames} frames, '
                f'{_size_text(self.size)}, {self.fps:g} fps)')


class FrameFolder:
    """A folder of frame images, in natural order of their file names.

    Opening lists the images (``IMAGE_EXTENSIONS``, hidden files ignored)
    and reads every header (no decoding) to check that all frames have one
    size; frames are decoded one at a time when iterated, or by :meth:`read`.

    Args:
        path: the folder.
        fps: the frame rate it is given.
        exclude: ``exclude(name)`` true leaves the file ``name`` out (files
            that are no frames, e.g. masks a run wrote there).

    Attributes:
        path, name (the folder's name), paths (the images in order),
        num_frames, size ``(H, W)``, fps (:data:`DEFAULT_FPS`, a folder has
        none), excluded (the names left out by ``exclude``).

    Raises:
        VideoIOError: not a folder, no images in it, an image whose header
            cannot be read, or images of different sizes (both named).
    """

    kind = 'frames'

    def __init__(self, path: str, fps: float = DEFAULT_FPS,
                 exclude: Optional[Callable[[str], bool]] = None):
        self.path = str(path)
        self.name = osp.basename(osp.normpath(osp.abspath(self.path)))
        if not osp.isdir(self.path):
            raise VideoIOError(f'frame folder {self.path} does not exist')
        names = sorted((n for n in os.listdir(self.path)
                        if not n.startswith('.')
                        and osp.splitext(n)[1].lower() in IMAGE_EXTENSIONS
                        and osp.isfile(osp.join(self.path, n))),
                       key=natural_key)
        self.excluded = [n for n in names if exclude and exclude(n)]
        if self.excluded:
            left_out = set(self.excluded)
            names = [n for n in names if n not in left_out]
        if not names:
            raise VideoIOError(
                f'folder {self.path} holds no images '
                f'({" ".join(IMAGE_EXTENSIONS)}) to read as frames')
        self.paths = [osp.join(self.path, n) for n in names]
        first = None
        for path in self.paths:
            size = _header_size(path)
            # A truncated frame has a valid header: check its end too, so
            # that it is refused before anything is segmented.
            if not file_complete(path):
                raise VideoIOError(
                    f'frame {path} is truncated (no end-of-image marker): '
                    'the file is incomplete or damaged, replace it')
            if first is None:
                first = (path, size)
            elif size != first[1]:
                raise VideoIOError(
                    f'{path} is {_size_text(size)} but {first[0]} is '
                    f'{_size_text(first[1])}: all frames of a folder must '
                    'have the same size')
        self.size: Tuple[int, int] = first[1]
        self.num_frames = len(self.paths)
        self.fps = fps

    @staticmethod
    def read(path: str) -> np.ndarray:
        """Decode one frame (BGR uint8), strictly (a truncated JPEG/PNG is
        refused, not decoded half grey); raises VideoIOError naming it."""
        try:
            return read_image_bgr(path, _IMREAD_FLAGS)
        except (OSError, ValueError) as err:
            raise VideoIOError(f'frame {err}' if str(err).startswith(path)
                               else str(err)) from None

    def __len__(self) -> int:
        return self.num_frames

    def __iter__(self) -> Iterator[np.ndarray]:
        for path in self.paths:
            image = self.read(path)
            if image.shape[:2] != self.size:  # header and pixels disagree
                raise VideoIOError(
                    f'{path} decodes to {_size_text(image.shape)}, not the '
                    f'{_size_text(self.size)} of the other frames')
            yield image

    def __repr__(self) -> str:
        return (f'FrameFolder({self.path!r}, {self.num_frames} frames, '
                f'{_size_text(self.size)})')


def _capture(path: str) -> cv2.VideoCapture:
    """``cv2.VideoCapture`` on FFmpeg, without OpenCV's warning lines for
    a file it cannot open (the caller says so, naming the file)."""
    logging = getattr(cv2.utils, 'logging', None)
    if logging is None:
        return cv2.VideoCapture(path, cv2.CAP_FFMPEG)
    level = logging.getLogLevel()
    logging.setLogLevel(logging.LOG_LEVEL_ERROR)
    try:
        return cv2.VideoCapture(path, cv2.CAP_FFMPEG)
    finally:
        logging.setLogLevel(level)


def _header_size(path: str) -> Tuple[int, int]:
    """(H, W) from an image's header, without decoding its pixels."""
    try:
        with Image.open(path) as image:
            width, height = image.size
    except Exception as err:  # noqa: BLE001  (Pillow raises many kinds)
        raise VideoIOError(f'frame {path} is not a readable image '
                           f'({type(err).__name__}: {err})') from None
    return height, width


Video = Union[VideoFile, FrameFolder]


def open_video(path: str, fps: float = DEFAULT_FPS,
               exclude: Optional[Callable[[str], bool]] = None) -> Video:
    """A :class:`VideoFile` or :class:`FrameFolder`, by what ``path`` is.

    Args:
        path: a video file or a folder of frame images.
        fps: frame rate given to a frame folder.
        exclude: a frame folder's files to leave out (see
            :class:`FrameFolder`).
    """
    path = str(path)
    if osp.isdir(path):
        return FrameFolder(path, fps=fps, exclude=exclude)
    if osp.exists(path):
        return VideoFile(path)
    raise VideoIOError(f'{path} does not exist (expected a video file or a '
                       'folder of frames)')


# ---------------------------------------------------------------------------
# Writing
# ---------------------------------------------------------------------------
def video_format(path: str) -> str:
    """``'mp4'``, ``'webm'`` or ``'gif'`` from ``path``'s extension."""
    fmt = osp.splitext(str(path))[1].lower().lstrip('.')
    if fmt not in VIDEO_FORMATS:
        raise VideoIOError(f'{path}: cannot write a video with extension '
                           f'.{fmt}; use one of .{", .".join(VIDEO_FORMATS)}')
    return fmt


def fit_within(image: np.ndarray, max_side: Optional[int]) -> np.ndarray:
    """Downscale ``image`` (area interpolation) so its longer side is at most
    ``max_side``; smaller images and ``max_side=None`` are kept."""
    h, w = image.shape[:2]
    if not max_side or max(h, w) <= max_side:
        return image
    scale = max_side / max(h, w)
    size = (max(1, round(w * scale)), max(1, round(h * scale)))
    return cv2.resize(image, size, interpolation=cv2.INTER_AREA)


def gif_stride(total: Optional[int], max_frames: int) -> int:
    """Keep every n-th frame so that a GIF of ``total`` frames has at most
    ``max_frames``."""
    if not total or total <= max_frames:
        return 1
    return math.ceil(total / max_frames)


def save_video(frames: Iterable[np.ndarray],
               path: str,
               fps: float = DEFAULT_FPS,
               *,
               total: Optional[int] = None,
               max_side: Optional[int] = None,
               gif_max_side: Optional[int] = 360,
               gif_max_frames: int = 120) -> int:
    """Write BGR ``uint8`` frames to ``path`` (format by extension),
    atomically.

    Args:
        frames: the frames, any iterable (consumed once, streamed).
        path: ``.mp4`` (MPEG-4 part 2), ``.webm`` (VP9) or ``.gif``.
        fps: frames per second of the input.
        total: the number of frames, if known; lets a GIF spread its frames
            over the whole video (otherwise it keeps the first ones).
        max_side: downscale frames to this longest side (mp4 / webm).
        gif_max_side: longest side of GIF frames (GIFs are large; None:
            as given).
        gif_max_frames: at most this many GIF frames: a longer video keeps
            every n-th frame (the GIF then plays at the video's speed), which
            bounds the memory Pillow needs to build it.

    Returns:
        the number of frames written (for a GIF: kept).

    The file is written under a temporary name beside ``path`` and renamed
    when complete; on any error (or interruption) the temporary file is
    removed and ``path`` is left as it was.

    Raises:
        VideoIOError: no frames, frames of different sizes, an unknown
            extension or a format OpenCV cannot encode.
        OSError: ``path`` cannot be written.
    """
    fmt = video_format(path)
    with atomic_path(str(path)) as tmp:
        if fmt == 'gif':
            count = _write_gif(frames, tmp, fps, total, gif_max_side,
                               gif_max_frames, str(path))
        else:
            count = _write_cv2(frames, tmp, fps, fmt, max_side, str(path))
        if count == 0:
            raise VideoIOError(f'{path}: no frames to write')
    return count


def _write_cv2(frames, tmp, fps, fmt, max_side, path) -> int:
    writer = None
    size = None
    count = 0
    try:
        for frame in frames:
            frame = fit_within(_check_frame(frame, path, count), max_side)
            if writer is None:
                size = frame.shape[:2]
                writer = cv2.VideoWriter(tmp,
                                         cv2.VideoWriter_fourcc(*_FOURCC[fmt]),
                                         float(fps), (size[1], size[0]))
                if not writer.isOpened():
                    raise VideoIOError(
                        f'cannot write {path}: OpenCV cannot encode '
                        f'{_FOURCC[fmt]} {fmt} here')
            elif frame.shape[:2] != size:
                raise VideoIOError(
                    f'{path}: frame {count} is {_size_text(frame.shape)}, '
                    f'the first was {_size_text(size)}')
            writer.write(np.ascontiguousarray(frame))
            count += 1
    finally:
        if writer is not None:
            writer.release()
    return count


def _write_gif(frames, tmp, fps, total, max_side, max_frames, path) -> int:
    stride = gif_stride(total, max_frames)
    kept: List[Image.Image] = []
    for index, frame in enumerate(frames):
        frame = _check_frame(frame, path, index)
        if index % stride or len(kept) >= max_frames:
            continue
        rgb = cv2.cvtColor(fit_within(frame, max_side), cv2.COLOR_BGR2RGB)
        # Quantised now (a palette image is a third of the RGB one).
        kept.append(Image.fromarray(rgb).quantize(colors=256))
        if kept[-1].size != kept[0].size:
            raise VideoIOError(f'{path}: frame {index} differs in size '
                               'from the first one')
    if kept:
        duration = max(20, round(1000.0 * stride / float(fps)))
        kept[0].save(tmp, format='GIF', save_all=True,
                     append_images=kept[1:], duration=duration, loop=0,
                     disposal=1)
    return len(kept)


def _check_frame(frame, path, index) -> np.ndarray:
    frame = np.asarray(frame)
    if frame.dtype != np.uint8 or frame.ndim != 3 or frame.shape[2] != 3:
        raise VideoIOError(f'{path}: frame {index} is {frame.dtype} '
                           f'{frame.shape}, expected BGR uint8 (H, W, 3)')
    return frame


def count_frames(path: str) -> int:
    """Frames of a written video or GIF (decoded; for tests and checks)."""
    if video_format(path) == 'gif':
        with Image.open(path) as gif:
            return getattr(gif, 'n_frames', 1)
    cap = _capture(str(path))
    try:
        if not cap.isOpened():
            raise VideoIOError(f'cannot read video file {path}')
        count = 0
        while cap.grab():
            count += 1
        return count
    finally:
        cap.release()
