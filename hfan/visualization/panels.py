"""Labelled side-by-side panels and grids of pictures (BGR ``uint8``).

Text is drawn with OpenCV's built-in Hershey fonts, so nothing here needs a
font file or a display.
"""
from typing import Optional, Sequence, Tuple

import cv2
import numpy as np


def add_label(image: np.ndarray, text: str,
              height: Optional[int] = None) -> np.ndarray:
    """``image`` with a black banner above it holding ``text`` (white).

    The text is shrunk to fit the width. ``height``: banner height in pixels
    (default: about 7% of the image height, at least 16).
    """
    h, w = image.shape[:2]
    height = height or max(16, round(0.07 * h))
    banner = np.zeros((height, w, 3), np.uint8)
    font = cv2.FONT_HERSHEY_SIMPLEX
    scale = height / 30.0
    thickness = 1
    (tw, th), _ = cv2.getTextSize(text, font, scale, thickness)
    if tw > w - 4:
        scale *= (w - 4) / tw
        (tw, th), _ = cv2.getTextSize(text, font, scale, thickness)
    origin = (max(2, (w - tw) // 2), (height + th) // 2)
    cv2.putText(banner, text, origin, font, scale, (255, 255, 255), thickness,
                cv2.LINE_AA)
    return np.concatenate([banner, image], axis=0)


def resize_to_height(image: np.ndarray, height: int) -> np.ndarray:
    h, w = image.shape[:2]
    if h == height:
        return image
    width = max(1, round(w * height / h))
    interp = cv2.INTER_AREA if height < h else cv2.INTER_LINEAR
    return cv2.resize(image, (width, height), interpolation=interp)


def hstack_panels(images: Sequence[np.ndarray],
                  labels: Optional[Sequence[str]] = None,
                  height: Optional[int] = None,
                  gap: int = 4) -> np.ndarray:
    """Images side by side at one height, each under its label.

    Args:
        images: BGR uint8 images (grey (H, W) ones are converted).
        labels: one text per image (or None).
        height: panel height (default: the first image's).
        gap: black pixels between panels.
    """
    if not images:
        raise ValueError('no images to put side by side')
    images = [_bgr(im) for im in images]
    height = height or images[0].shape[0]
    panels = [resize_to_height(im, height) for im in images]
    if labels is not None:
        if len(labels) != len(panels):
            raise ValueError(f'{len(panels)} images but {len(labels)} labels')
        banner = max(16, round(0.07 * height))
        panels = [add_label(p, t, banner) for p, t in zip(panels, labels)]
    return _join(panels, gap, axis=1)


def grid(images: Sequence[np.ndarray],
         cols: int,
         labels: Optional[Sequence[str]] = None,
         cell: Optional[Tuple[int, int]] = None,
         gap: int = 4) -> np.ndarray:
    """Images in rows of ``cols``, each resized to ``cell = (H, W)`` (default
    the first image's size) and labelled."""
    if not images:
        raise ValueError('no images for a grid')
    images = [_bgr(im) for im in images]
    ch, cw = cell or images[0].shape[:2]
    cells = [cv2.resize(im, (cw, ch), interpolation=cv2.INTER_NEAREST
                        if im.shape[0] < ch else cv2.INTER_AREA)
             for im in images]
    if labels is not None:
        banner = max(16, round(0.1 * ch))
        cells = [add_label(c, t, banner) for c, t in zip(cells, labels)]
    blank = np.zeros_like(cells[0])
    while len(cells) % cols:
        cells.append(blank)
    rows = []
    for r in range(0, len(cells), cols):
        rows.append(hstack_panels(cells[r:r + cols], gap=gap))
    return _join(rows, gap, axis=0)


def _join(parts: Sequence[np.ndarray], gap: int, axis: int) -> np.ndarray:
    """Concatenate along ``axis`` (1: side by side, 0: stacked) with
    ``gap`` black pixels between neighbours."""
    shape = list(parts[0].shape)
    shape[axis] = gap
    spacer = np.zeros(shape, np.uint8)
    out = []
    for i, part in enumerate(parts):
        if i and gap:
            out.append(spacer)
        out.append(part)
    return np.concatenate(out, axis=axis)


def _bgr(image: np.ndarray) -> np.ndarray:
    image = np.asarray(image)
    if image.ndim == 2:
        image = cv2.cvtColor(image, cv2.COLOR_GRAY2BGR)
    if image.dtype != np.uint8 or image.ndim != 3 or image.shape[2] != 3:
        raise ValueError(f'expected a BGR uint8 image, got {image.dtype} '
                         f'{image.shape}')
    return image
