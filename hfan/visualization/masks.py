"""Masks and probabilities as pictures: the overlay of ``infer.py --overlay``
and the app, probability heat maps, masks as panels.

BGR ``uint8`` in and out (what OpenCV reads and writes).
"""
from typing import Tuple

import cv2
import numpy as np

#: The mask colour of the published result GIFs (BGR red).
RED = (0, 0, 255)


def overlay_mask(frame: np.ndarray,
                 mask: np.ndarray,
                 color: Tuple[int, int, int] = RED,
                 alpha: float = 0.45,
                 contour: int = 2) -> np.ndarray:
    """The frame with the mask tinted and outlined.

    Args:
        frame: (H, W, 3) BGR uint8.
        mask: (H, W), nonzero = object (a 0/1 or 0/255 mask).
        color: tint and outline colour (BGR).
        alpha: opacity of the tint.
        contour: outline thickness in pixels (0: none). The outline keeps
            the object's edge visible where the tint is light.

    Returns:
        a new (H, W, 3) BGR uint8 image.
    """
    frame = np.asarray(frame)
    mask = np.asarray(mask)
    if frame.shape[:2] != mask.shape[:2]:
        raise ValueError(f'the frame is {frame.shape[1]}x{frame.shape[0]} '
                         f'but the mask is {mask.shape[1]}x{mask.shape[0]}')
    fg = mask != 0
    out = frame.copy()
    if fg.any():
        tint = np.asarray(color, np.float32)
        out[fg] = (frame[fg].astype(np.float32) * (1 - alpha) +
                   tint * alpha + 0.5).astype(np.uint8)
        if contour > 0:
            contours, _ = cv2.findContours(
                fg.astype(np.uint8), cv2.RETR_EXTERNAL,
                cv2.CHAIN_APPROX_SIMPLE)
            cv2.drawContours(out, contours, -1, color, contour,
                             lineType=cv2.LINE_AA)
    return out


def probability_heatmap(prob: np.ndarray,
                        colormap: int = cv2.COLORMAP_INFERNO) -> np.ndarray:
    """(H, W) probabilities in [0, 1] -> (H, W, 3) BGR colour map."""
    prob = np.clip(np.asarray(prob, np.float32), 0.0, 1.0)
    return cv2.applyColorMap(np.rint(prob * 255).astype(np.uint8), colormap)
