"""DIS optical flow (OpenCV), the default estimator: fast, CPU only."""
from typing import Optional, Union

import cv2
import numpy as np

from .base import FlowEstimator

#: OpenCV's DIS presets by name
DIS_PRESETS = {
    'ultrafast': cv2.DISOPTICAL_FLOW_PRESET_ULTRAFAST,
    'fast': cv2.DISOPTICAL_FLOW_PRESET_FAST,
    'medium': cv2.DISOPTICAL_FLOW_PRESET_MEDIUM,
}


#: DIS needs one side of at least this many pixels (OpenCV's dis_flow.cpp
#: "either width or height >= 12"); both sides must be >= the patch size.
MIN_LONG_SIDE = 12


class DISFlow(FlowEstimator):
    """Dense Inverse Search flow (``cv2.DISOpticalFlow_create``).

    Args:
        preset: ``'ultrafast'``, ``'fast'``, ``'medium'`` (default) or one of
            the ``cv2.DISOPTICAL_FLOW_PRESET_*`` constants.

    The frames are converted to grayscale (DIS works on one channel). The
    OpenCV object is not picklable: build one per process.

    OpenCV's DIS refuses small frames (measured with OpenCV 4.13, every
    preset): both sides must be at least the patch size (8 pixels) and one
    side at least :data:`MIN_LONG_SIDE` (12); its error names neither the
    input nor these numbers, so :meth:`check_size` says so first.
    """

    name = 'dis'

    def __init__(self, preset: Union[str, int] = 'medium'):
        if isinstance(preset, str):
            if preset.lower() not in DIS_PRESETS:
                raise ValueError(f'unknown DIS preset {preset!r}; choose one '
                                 f'of {sorted(DIS_PRESETS)}')
            preset = DIS_PRESETS[preset.lower()]
        elif preset not in DIS_PRESETS.values():
            raise ValueError(f'unknown DIS preset {preset!r}')
        self.preset = preset
        self._dis = cv2.DISOpticalFlow_create(preset)

    def size_problem(self, height: int, width: int) -> Optional[str]:
        """Why frames of ``height x width`` pixels are too small for DIS,
        or ``None`` when they are not."""
        patch = self._dis.getPatchSize()
        if min(height, width) < patch or max(height, width) < MIN_LONG_SIDE:
            return (f'DIS optical flow needs frames of at least {patch} '
                    f'pixels on each side and {MIN_LONG_SIDE} on one '
                    f'({MIN_LONG_SIDE}x{patch} and {patch}x{MIN_LONG_SIDE} '
                    'are the smallest)')
        return None

    def estimate(self, img1: np.ndarray, img2: np.ndarray) -> np.ndarray:
        problem = self.size_problem(*img1.shape[:2])
        if problem:  # OpenCV's own error names no size
            raise ValueError(f'a frame of {img1.shape[1]}x{img1.shape[0]} '
                             f'pixels: {problem}')
        gray1 = cv2.cvtColor(img1, cv2.COLOR_BGR2GRAY)
        gray2 = cv2.cvtColor(img2, cv2.COLOR_BGR2GRAY)
        return self._dis.calc(gray1, gray2, None)

    def __repr__(self) -> str:
        name = {v: k for k, v in DIS_PRESETS.items()}[self.preset]
        return f'DISFlow(preset={name!r})'
