"""Reading images: the one module every reader of frames, flow images and
masks in the project goes through. The names say what comes back:

* :func:`read_image_bgr` / :func:`decode_image_bgr`: ``H x W x 3`` BGR
  uint8, as OpenCV decodes (frames and flow images: infer.py's sources,
  :mod:`hfan.io.video`, the training pipeline, the preparation);
* :func:`decode_binary_mask`: an annotation as ``H x W`` uint8 0/255, any
  nonzero palette index or colour as foreground (the preparation);
* :func:`encoded_image_size`: ``(H, W)`` of encoded bytes, from the header;
* :func:`read_image_rgb` / :func:`read_image_rgb_and_palette`: a mask or
  label file as stored, as MATLAB's ``imread`` shows it (``H x W`` gray or
  palette indices, ``H x W x 3`` RGB), :func:`read_mask` as ``H x W`` bool,
  :func:`image_file_size` its size (the evaluators).

Decoding of frames and annotations is strict: libjpeg decodes a truncated
JPEG with a warning and fills the missing rows with grey; a model then
segments half a frame and nothing says so. So the encoded bytes are
checked (:func:`check_image_bytes`) before decoding:

* empty data (a 0-byte file) is refused;
* a JPEG must end with its end-of-image marker (``FF D9``; trailing
  padding bytes allowed);
* a PNG must end with its ``IEND`` chunk;
* whatever OpenCV cannot decode is refused;
* a JPEG that libjpeg decodes with a "Corrupt JPEG data" warning is
  refused (:func:`_decode_jpeg_strictly`): data damaged in the middle of
  the entropy-coded segment, end marker intact, decodes without an error
  into grey or garbled areas, and libjpeg's one line on stderr names no
  file.

:func:`file_complete` is the cheap version of the same check for resumable
writers: a file that is empty or has no end marker is not complete and is
written again.
"""
import io
import os
import os.path as osp
import tempfile
import threading
from typing import List, Optional, Tuple

import cv2
import numpy as np
from PIL import Image, UnidentifiedImageError

_JPEG_SOI = b'\xff\xd8\xff'
_JPEG_EOI = b'\xff\xd9'
_PNG_SIGNATURE = b'\x89PNG\r\n\x1a\n'
# Bytes some writers append after the end marker (padding); ignored.
_PADDING = b'\x00\r\n\t '
_TAIL = 64


class ImageDecodeError(ValueError):
    """An image file that is empty, truncated or cannot be decoded; the
    message names it."""


def _truncation(head: bytes, tail: bytes):
    """Why the encoded image is incomplete, or ``None`` if it is not."""
    if head.startswith(_JPEG_SOI):
        if not tail.rstrip(_PADDING).endswith(_JPEG_EOI):
            return 'truncated JPEG (no end-of-image marker)'
    elif head.startswith(_PNG_SIGNATURE):
        if b'IEND' not in tail[-16:]:
            return 'truncated PNG (no IEND chunk)'
    return None


def check_image_bytes(data: bytes, source: str) -> None:
    """Raise :class:`ImageDecodeError` if ``data`` is empty or a truncated
    JPEG/PNG. ``source`` names the image in the message."""
    if not data:
        raise ImageDecodeError(f'{source} is empty (0 bytes); expected an '
                               'image file')
    problem = _truncation(data[:8], data[-_TAIL:])
    if problem:
        raise ImageDecodeError(f'{source}: {problem}; the file is incomplete '
                               'or damaged, replace it')


# libjpeg's warnings that mean the decoded pixels are not the encoded ones
# (jerror.h: JWRN_EXTRANEOUS_DATA, JWRN_HIT_MARKER, JWRN_HUFF_BAD_CODE,
# JWRN_MUST_RESYNC, JWRN_JPEG_EOF, JWRN_BOGUS_PROGRESSION). Others (an
# unknown JFIF version, a thumbnail size) leave the image whole.
_JPEG_DAMAGE = (b'Corrupt JPEG data', b'Premature end of JPEG file',
                b'Inconsistent progression sequence')
# fd 2 is one per process: one capture at a time.
_STDERR_LOCK = threading.Lock()
_capture_file = None


def _reset_after_fork() -> None:
    """A forked child (a data-loader worker) gets its own capture file (the
    parent's is shared with it: one offset, one content) and a free lock
    (another thread may have held it at the fork)."""
    global _STDERR_LOCK, _capture_file
    _STDERR_LOCK = threading.Lock()
    _capture_file = None


if hasattr(os, 'register_at_fork'):
    os.register_at_fork(after_in_child=_reset_after_fork)


def _decode_jpeg_strictly(data: np.ndarray, flags: int):
    """``cv2.imdecode`` of JPEG data, and libjpeg's damage warning if it
    printed one (``None`` otherwise).

    libjpeg reports damaged entropy-coded data (a premature marker, bytes
    left over after the last block, a bad Huffman code) as a warning that
    its default handler writes to stderr, and decodes on: the rest of the
    image is grey or garbled. OpenCV installs no handler of its own and
    has no flag to make warnings errors; Pillow, the other decoder here,
    ignores them too (it raises for some premature markers, not for left
    over bytes). So stderr (file descriptor 2, where the C library writes)
    is pointed at a temporary file for the decode, and what libjpeg wrote
    is read back; anything else written there meanwhile (another thread's
    output) is passed on to the real stderr. Cost: a few system calls,
    measured 0.014 ms a frame on the demo clip's 427x240 JPEGs, whose
    decoding takes 0.38 ms (4%; less for larger frames); the lock
    serialises JPEG decodes of the threads of one process (the
    prefetch thread is the only decoder of infer.py). Where fd 2 cannot be
    redirected (closed), the image is decoded without the check.
    """
    global _capture_file
    with _STDERR_LOCK:
        try:
            if _capture_file is None:
                _capture_file = tempfile.TemporaryFile()
            capture = _capture_file.fileno()
            os.ftruncate(capture, 0)
            os.lseek(capture, 0, os.SEEK_SET)
            saved = os.dup(2)
        except OSError:
            return cv2.imdecode(data, flags), None
        try:
            os.dup2(capture, 2)
            try:
                img = cv2.imdecode(data, flags)
            finally:
                os.dup2(saved, 2)
        finally:
            os.close(saved)
        size = os.lseek(capture, 0, os.SEEK_END)
        if not size:
            return img, None
        os.lseek(capture, 0, os.SEEK_SET)
        lines = os.read(capture, size).splitlines(keepends=True)
    damage: List[bytes] = [x for x in lines if x.startswith(_JPEG_DAMAGE)]
    others = b''.join(x for x in lines if not x.startswith(_JPEG_DAMAGE))
    if others:
        try:
            os.write(2, others)
        except OSError:
            pass
    return img, damage[0].decode(errors='replace').strip() if damage \
        else None


def decode_image_bgr(data: bytes, source: str,
                     flags: int = cv2.IMREAD_COLOR) -> np.ndarray:
    """Decode complete image bytes with ``cv2.imdecode``: ``H x W x 3`` BGR
    uint8 (``flags`` as ``cv2.imdecode``'s, e.g. ``IMREAD_GRAYSCALE`` for
    ``H x W``).

    Raises:
        ImageDecodeError: empty, truncated or undecodable data, or a JPEG
            that libjpeg finds damaged (``source`` named).
    """
    check_image_bytes(data, source)
    buffer = np.frombuffer(data, np.uint8)
    if data.startswith(_JPEG_SOI):
        img, damage = _decode_jpeg_strictly(buffer, flags)
        if damage:
            raise ImageDecodeError(
                f'{source} is a damaged JPEG (libjpeg: "{damage}"): it '
                'would decode with grey or garbled areas; the file is '
                'corrupt, replace it (e.g. extract the frame again)')
    else:
        img = cv2.imdecode(buffer, flags)
    if img is None:
        raise ImageDecodeError(f'cannot decode {source}: corrupt or not an '
                               'image file (.jpg .png ... expected)')
    return img


def read_image_bytes(path: str, backend_args: Optional[dict] = None) -> bytes:
    """The bytes of image ``path``, checked with :func:`check_image_bytes`.

    ``backend_args`` (mmengine's, e.g. for a remote store) reads through
    ``mmengine.fileio``; ``None`` reads the local file.

    Raises:
        FileNotFoundError / OSError naming the file; ImageDecodeError.
    """
    try:
        if backend_args is None:
            with open(path, 'rb') as f:
                data = f.read()
        else:
            from mmengine import fileio
            data = fileio.get(path, backend_args=backend_args)
    except FileNotFoundError:
        raise FileNotFoundError(f'image file not found: {path}') from None
    except OSError as err:
        raise OSError(f'cannot read image {path}: {err.strerror or err}') \
            from None
    check_image_bytes(data, path)
    return data


def read_image_bgr(path: str,
                   flags: int = cv2.IMREAD_COLOR,
                   backend_args: Optional[dict] = None) -> np.ndarray:
    """Read and strictly decode the image file ``path``: ``H x W x 3`` BGR
    uint8, as OpenCV decodes it (see :func:`decode_image_bgr` for
    ``flags``, :func:`read_image_bytes` for ``backend_args``)."""
    return decode_image_bgr(read_image_bytes(path, backend_args), path, flags)


def encoded_image_size(data: bytes, source: str) -> Tuple[int, int]:
    """``(height, width)`` of encoded image bytes, from the header (no
    decoding); empty or truncated bytes are refused.

    Raises:
        ImageDecodeError: naming ``source`` (e.g. ``'the image x.jpg'``).
    """
    check_image_bytes(data, source)
    try:
        with Image.open(io.BytesIO(data)) as im:
            return im.height, im.width
    except UnidentifiedImageError:
        raise ImageDecodeError(
            f'cannot decode {source}: not an image file') from None
    except Exception as e:  # PIL raises many types for broken files
        raise ImageDecodeError(f'cannot decode {source}: {e}') from e


def decode_binary_mask(data: bytes, source: str) -> np.ndarray:
    """Decode an annotation strictly as a binary mask: ``H x W`` uint8,
    0 / 255.

    Palette PNGs (DAVIS, YouTube-VOS) are read as their indices, so every
    object id (any nonzero index) is foreground, whatever its palette
    colour; grayscale 0/255 or 0/1 masks work too; for RGB(A) images any
    nonzero colour channel is foreground.

    Raises:
        ImageDecodeError: empty, truncated or undecodable data, naming
            ``source`` (e.g. ``'the annotation x.png'``).
    """
    check_image_bytes(data, source)
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
        raise ImageDecodeError(
            f'cannot decode {source}: not an image file') from None
    except Exception as e:  # PIL raises many types for broken files
        raise ImageDecodeError(f'cannot decode {source}: {e}') from e
    return np.where(arr != 0, 255, 0).astype(np.uint8)


def file_complete(path: str) -> bool:
    """Whether an output file exists and is complete (cheap: size and the
    last bytes only).

    Empty files are incomplete; a ``.jpg``/``.png`` needs its end marker; a
    ``.npy`` its declared data size; a ``.flo`` ``12 + 8 * w * h`` bytes.
    Other files only need to be non-empty.
    """
    try:
        size = os.stat(path).st_size
    except OSError:
        return False
    if size == 0:
        return False
    ext = osp.splitext(path)[1].lower()
    try:
        with open(path, 'rb') as f:
            if ext in ('.jpg', '.jpeg', '.png'):
                head = f.read(8)
                f.seek(max(0, size - _TAIL))
                return _truncation(head, f.read()) is None
            if ext == '.flo':
                header = np.frombuffer(f.read(12), np.int32)
                return (len(header) == 3 and header[1] > 0 and header[2] > 0
                        and size == 12 + 8 * int(header[1]) * int(header[2]))
    except OSError:
        return False
    if ext == '.npy':
        try:
            np.load(path, mmap_mode='r')  # checks the size against the header
        except (OSError, ValueError):
            return False
    return True


# --------------------------------------------------------------------------
# Mask and label files as stored (the evaluators' reading)


def read_image_rgb_and_palette(path: str) -> Tuple[np.ndarray, bool]:
    """Read an image the way MATLAB's ``imread`` presents it, plus whether
    the file is a palette PNG (whose values are then label indices, not
    intensities).

    Returns:
        ``(img, palette)``: ``img`` is ``H x W`` for gray-scale images and
        for palette images (the palette *index* plane, not the colours: an
        index whose colour happens to be black is still a label), ``H x W x
        3`` in RGB order for colour images (alpha dropped); dtype uint8 or
        uint16 as stored.

    Raises:
        FileNotFoundError: no such file.
        ValueError: the file is empty, a folder, or cannot be decoded.
    """
    try:
        with open(path, 'rb') as f:
            data = f.read()
    except FileNotFoundError:
        raise FileNotFoundError(f'mask file not found: {path}') from None
    except IsADirectoryError:
        raise ValueError(f'cannot read image {path}: it is a folder') \
            from None
    if not data:  # OpenCV asserts on an empty buffer
        raise ValueError(f'cannot read image {path}: the file is empty')
    # PNG colour type 3 (palette) is byte 25 of the file (IHDR). OpenCV would
    # expand the palette to colours, so those go through PIL for the indices.
    if data[:8] == _PNG_SIGNATURE and len(data) > 25 and data[25] == 3:
        return _decode_with_pil(path, data), True
    try:
        img = cv2.imdecode(np.frombuffer(data, np.uint8),
                           cv2.IMREAD_UNCHANGED)
    except cv2.error:
        img = None  # PIL's message below names the problem
    if img is None:
        return _decode_with_pil(path, data), False
    if img.ndim == 3:
        if img.shape[2] == 1:
            img = img[:, :, 0]
        else:  # BGR(A) -> RGB, alpha dropped
            img = img[:, :, 2::-1]
    return img, False


def read_image_rgb(path: str) -> np.ndarray:
    """:func:`read_image_rgb_and_palette` without the palette flag: ``H x W``
    (gray, palette indices) or ``H x W x 3`` RGB, values as stored."""
    return read_image_rgb_and_palette(path)[0]


def read_mask(path: str) -> np.ndarray:
    """Read a binary mask file: ``H x W`` bool, True = foreground = any
    nonzero value (any colour channel for RGB images), so 0/1 and 0/255
    masks and palette indices read alike."""
    img = read_image_rgb(path)
    return np.any(img != 0, axis=2) if img.ndim == 3 else img != 0


def image_file_size(path: str) -> Tuple[int, int]:
    """``(H, W)`` of an image file, from the PNG header when possible (no
    decoding), else by decoding it (:func:`read_image_rgb`)."""
    try:
        with open(path, 'rb') as f:
            head = f.read(24)
    except FileNotFoundError:
        raise FileNotFoundError(f'mask file not found: {path}') from None
    if head[:8] == _PNG_SIGNATURE and head[12:16] == b'IHDR':
        width = int.from_bytes(head[16:20], 'big')
        height = int.from_bytes(head[20:24], 'big')
        return height, width
    return read_image_rgb(path).shape[:2]


def _decode_with_pil(path: str, data: bytes) -> np.ndarray:
    try:
        with Image.open(io.BytesIO(data)) as im:
            if im.mode in ('P', 'L', 'I;16', 'I;16B', 'I;16L', 'I'):
                arr = np.asarray(im)
            elif im.mode == '1':
                arr = np.asarray(im).astype(np.uint8) * 255
            else:
                arr = np.asarray(im.convert('RGB'))
    except Exception as err:  # PIL raises many types for broken files
        raise ValueError(f'cannot read image {path}: {err}') from None
    return arr
