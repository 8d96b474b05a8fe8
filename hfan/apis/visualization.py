"""Pictures of HFAN's results: mask overlays, probability and feature maps,
labelled side-by-side panels and grids.

Everything takes and returns BGR ``uint8`` images (what OpenCV reads and
writes), and draws text with OpenCV's built-in Hershey fonts, so nothing here
needs a font file or a display. Used by ``infer.py --overlay``, the Gradio app
and the ``tools/visualize_*.py`` scripts.
"""
from typing import Optional, Sequence, Tuple

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


def mask_to_bgr(mask: np.ndarray) -> np.ndarray:
    """(H, W) mask -> white object on black, 3 channels (for panels)."""
    grey = (np.asarray(mask) != 0).astype(np.uint8) * 255
    return cv2.cvtColor(grey, cv2.COLOR_GRAY2BGR)


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
    spacer = np.zeros((panels[0].shape[0], gap, 3), np.uint8)
    parts = []
    for i, panel in enumerate(panels):
        if i and gap:
            parts.append(spacer)
        parts.append(panel)
    return np.concatenate(parts, axis=1)


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
    spacer = np.zeros((gap, rows[0].shape[1], 3), np.uint8)
    out = []
    for i, row in enumerate(rows):
        if i and gap:
            out.append(spacer)
        out.append(row)
    return np.concatenate(out, axis=0)


def _bgr(image: np.ndarray) -> np.ndarray:
    image = np.asarray(image)
    if image.ndim == 2:
        image = cv2.cvtColor(image, cv2.COLOR_GRAY2BGR)
    if image.dtype != np.uint8 or image.ndim != 3 or image.shape[2] != 3:
        raise ValueError(f'expected a BGR uint8 image, got {image.dtype} '
                         f'{image.shape}')
    return image


# ---------------------------------------------------------------------------
# Feature maps
# ---------------------------------------------------------------------------
FEATURE_MODES = ('mean', 'norm', 'pca')


def feature_maps_to_images(features: Sequence[np.ndarray],
                           mode: str = 'pca',
                           size: Optional[Tuple[int, int]] = None,
                           colormap: int = cv2.COLORMAP_VIRIDIS):
    """Picture several (C, h, w) feature maps of one level on one scale.

    The maps are meant to be compared (a stream before and after FAM / FAT),
    so they share the normalisation: the same value range (``mean``,
    ``norm``) or the same PCA basis and colour range (``pca``).

    Args:
        features: arrays (C, h, w) with the same C (tensors: ``.numpy()``
            them first).
        mode: ``'mean'`` (channel mean, colour map), ``'norm'`` (L2 norm over
            channels: where the features are strong) or ``'pca'`` (the three
            main components over all given maps as R, G, B).
        size: output (H, W) (default: the map's size), nearest-neighbour so
            the feature resolution stays visible.

    Returns:
        a list of (H, W, 3) BGR uint8 images.
    """
    if mode not in FEATURE_MODES:
        raise ValueError(f'unknown mode {mode!r}; choose one of '
                         f'{FEATURE_MODES}')
    feats = [np.asarray(f, np.float32) for f in features]
    for f in feats:
        if f.ndim != 3 or f.shape[0] != feats[0].shape[0]:
            raise ValueError('expected (C, h, w) maps with one C, got '
                             f'{[x.shape for x in feats]}')
    if mode in ('mean', 'norm'):
        maps = [f.mean(0) if mode == 'mean' else np.sqrt((f * f).sum(0))
                for f in feats]
        lo, hi = _robust_range(np.concatenate([m.ravel() for m in maps]))
        images = [
            cv2.applyColorMap(_to_uint8((m - lo) / (hi - lo)), colormap)
            for m in maps
        ]
    else:
        images = _pca_images(feats)
    if size is not None:
        images = [cv2.resize(im, (size[1], size[0]),
                             interpolation=cv2.INTER_NEAREST)
                  for im in images]
    return images


def _pca_images(feats):
    c = feats[0].shape[0]
    flat = [f.reshape(c, -1).T for f in feats]  # (h*w, C) each
    stacked = np.concatenate(flat, axis=0)
    mean = stacked.mean(0, keepdims=True)
    centered = stacked - mean
    # Principal axes from the C x C covariance (C <= 512: cheap and exact).
    cov = centered.T @ centered / max(1, centered.shape[0] - 1)
    values, vectors = np.linalg.eigh(cov.astype(np.float64))
    basis = vectors[:, ::-1][:, :3].astype(np.float32)  # largest first
    if basis.shape[1] < 3:  # fewer than 3 channels
        basis = np.pad(basis, ((0, 0), (0, 3 - basis.shape[1])))
    projected = centered @ basis
    lo = np.percentile(projected, 1, axis=0)
    hi = np.percentile(projected, 99, axis=0)
    hi = np.where(hi > lo, hi, lo + 1e-6)
    images, start = [], 0
    for f, fl in zip(feats, flat):
        part = projected[start:start + fl.shape[0]]
        start += fl.shape[0]
        rgb = _to_uint8((part - lo) / (hi - lo)).reshape(f.shape[1],
                                                         f.shape[2], 3)
        images.append(np.ascontiguousarray(rgb[..., ::-1]))  # RGB -> BGR
    return images


def _robust_range(values: np.ndarray) -> Tuple[float, float]:
    lo, hi = np.percentile(values, [1, 99])
    if not hi > lo:
        lo, hi = float(values.min()), float(values.max())
    if not hi > lo:
        hi = lo + 1e-6
    return float(lo), float(hi)


def _to_uint8(x: np.ndarray) -> np.ndarray:
    return np.rint(np.clip(x, 0.0, 1.0) * 255).astype(np.uint8)
