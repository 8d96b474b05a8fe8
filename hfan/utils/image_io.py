"""Strict image decoding: a truncated or corrupt image is an error.

libjpeg decodes a truncated JPEG with a warning and fills the missing rows
with grey; a model then segments half a frame and nothing says so. Every
reader of frames, flow images and masks in the project (infer.py's
sources, :mod:`hfan.io.video`, the training pipeline, the preparation
tools) goes through :func:`decode_image` / :func:`read_image_file`, which
check that the encoded bytes are complete before decoding:

* empty data (a 0-byte file) is refused;
* a JPEG must end with its end-of-image marker (``FF D9``; trailing
  padding bytes allowed);
* a PNG must end with its ``IEND`` chunk;
* whatever OpenCV cannot decode is refused.

:func:`file_complete` is the cheap version of the same check for resumable
writers: a file that is empty or has no end marker is not complete and is
written again.
"""
import os
import os.path as osp

import cv2
import numpy as np

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


def decode_image(data: bytes, source: str,
                 flags: int = cv2.IMREAD_COLOR) -> np.ndarray:
    """Decode complete image bytes with ``cv2.imdecode``.

    Raises:
        ImageDecodeError: empty, truncated or undecodable data (``source``
            named).
    """
    check_image_bytes(data, source)
    img = cv2.imdecode(np.frombuffer(data, np.uint8), flags)
    if img is None:
        raise ImageDecodeError(f'cannot decode {source}: corrupt or not an '
                               'image file (.jpg .png ... expected)')
    return img


def read_image_bytes(path: str) -> bytes:
    """The bytes of image ``path``, checked with :func:`check_image_bytes`.

    Raises:
        FileNotFoundError / OSError naming the file; ImageDecodeError.
    """
    try:
        with open(path, 'rb') as f:
            data = f.read()
    except FileNotFoundError:
        raise FileNotFoundError(f'image file not found: {path}') from None
    except OSError as err:
        raise OSError(f'cannot read image {path}: {err.strerror or err}') \
            from None
    check_image_bytes(data, path)
    return data


def read_image_file(path: str, flags: int = cv2.IMREAD_COLOR) -> np.ndarray:
    """Read and strictly decode the image file ``path``."""
    return decode_image(read_image_bytes(path), path, flags)


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
