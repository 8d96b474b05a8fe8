"""Feature maps of the encoder as pictures (``tools/visualize_features.py``):
one (C, h, w) map -> one BGR ``uint8`` image, by channel mean, norm or PCA.
"""
from typing import Optional, Sequence, Tuple

import cv2
import numpy as np

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
