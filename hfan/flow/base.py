"""The interface every optical-flow estimator implements."""
from abc import ABC, abstractmethod

import numpy as np


class FlowEstimator(ABC):
    """Dense optical flow between two frames.

    ``estimator(img1, img2)`` takes two BGR ``uint8`` images of the same
    shape ``(H, W, 3)`` (as ``cv2.imread`` returns them) and returns the flow
    from ``img1`` to ``img2``: a C-contiguous ``float32`` array ``(H, W, 2)``
    holding ``(dx, dy)`` in pixels, so that the content at ``(x, y)`` in
    ``img1`` is found at ``(x + dx, y + dy)`` in ``img2``.

    Subclasses implement :meth:`estimate`; ``__call__`` checks the inputs and
    the output.
    """

    #: short name used by :func:`hfan.flow.builder.build_flow_estimator`
    name = 'base'

    def __call__(self, img1: np.ndarray, img2: np.ndarray) -> np.ndarray:
        for img in (img1, img2):
            if not (isinstance(img, np.ndarray) and img.dtype == np.uint8
                    and img.ndim == 3 and img.shape[2] == 3):
                raise ValueError(
                    'expected BGR uint8 images of shape (H, W, 3), got '
                    f'{getattr(img, "dtype", type(img))} '
                    f'{getattr(img, "shape", "")}')
        if img1.shape != img2.shape:
            raise ValueError(
                f'frames differ in shape: {img1.shape} vs {img2.shape}')
        flow = self.estimate(img1, img2)
        if flow.shape != img1.shape[:2] + (2, ):
            raise RuntimeError(f'{type(self).__name__} returned a flow of '
                               f'shape {flow.shape} for frames of shape '
                               f'{img1.shape}')
        return np.ascontiguousarray(flow, dtype=np.float32)

    @abstractmethod
    def estimate(self, img1: np.ndarray, img2: np.ndarray) -> np.ndarray:
        """Flow ``(H, W, 2)`` from ``img1`` to ``img2`` (inputs checked)."""

    def __repr__(self) -> str:
        return f'{type(self).__name__}()'
