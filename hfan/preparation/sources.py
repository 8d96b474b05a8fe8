"""Reading the inputs of dataset preparation.

Every problem with an input (a folder, list, frame or annotation missing,
empty, truncated or undecodable) is a :class:`PrepareError` whose message
names the file or folder. Decoding is strict
(:mod:`hfan.utils.image_io`): a truncated JPEG is refused, not decoded
half grey.
"""
import os
import os.path as osp
from typing import List, Tuple

import numpy as np

from hfan.utils.errors import HFANError
from hfan.utils.image_io import (
    ImageDecodeError,
    decode_binary_mask,
    decode_image_bgr,
    encoded_image_size,
)
from hfan.utils.natural_sort import natural_key


class PrepareError(HFANError):
    """Unusable input; the message names the file or folder."""


def read_file(path: str) -> bytes:
    """The bytes of ``path``; :class:`PrepareError` naming it if unreadable."""
    try:
        with open(path, 'rb') as f:
            return f.read()
    except OSError as e:
        raise PrepareError(f'cannot read {path}: {e.strerror or e}') from e


def decode_frame(data: bytes, source: str) -> np.ndarray:
    """Decode encoded image bytes to ``H x W x 3`` BGR uint8; ``source``
    names them in the error."""
    try:  # strict: a truncated JPEG is refused, not decoded half grey
        return decode_image_bgr(data, f'the image {source}')
    except ImageDecodeError as err:
        raise PrepareError(str(err)) from None


def frame_size(data: bytes, source: str) -> Tuple[int, int]:
    """``(height, width)`` of encoded image bytes, from the header; empty or
    truncated bytes are refused (frames are copied as they are, so this is
    where a damaged source frame is caught)."""
    try:
        return encoded_image_size(data, f'the image {source}')
    except ImageDecodeError as err:
        raise PrepareError(str(err)) from None


def read_binary_mask(path: str) -> np.ndarray:
    """Read an annotation as a binary ``H x W`` uint8 mask, 0 / 255 (any
    nonzero index or colour is foreground:
    :func:`hfan.utils.image_io.decode_binary_mask`)."""
    try:
        return decode_binary_mask(read_file(path), f'the annotation {path}')
    except ImageDecodeError as err:
        raise PrepareError(str(err)) from None


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
