"""DIS optical flow (OpenCV), the default estimator: fast, CPU only."""
from typing import Union

import cv2
import numpy as np

from .base import FlowEstimator

#: OpenCV's DIS presets by name
DIS_PRESETS = {
    'ultrafast': cv2.DISOPTICAL_FLOW_PRESET_ULTRAFAST,
    'fast': cv2.DISOPTICAL_FLOW_PRESET_FAST,
    'medium': cv2.DISOPTICAL_FLOW_PRESET_MEDIUM,
}


class DISFlow(FlowEstimator):
    """Dense Inverse Search flow (``cv2.DISOpticalFlow_create``).

    Args:
        preset: ``'ultrafast'``, ``'fast'``, ``'medium'`` (default) or one of
            the ``cv2.DISOPTICAL_FLOW_PRESET_*`` constants.

    The frames are converted to grayscale (DIS works on one channel). The
    OpenCV object is not picklable: build one per process.
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

    def estimate(self, img1: np.ndarray, img2: np.ndarray) -> np.ndarray:
        gray1 = cv2.cvtColor(img1, cv2.COLOR_BGR2GRAY)
        gray2 = cv2.cvtColor(img2, cv2.COLOR_BGR2GRAY)
        return self._dis.calc(gray1, gray2, None)

    def __repr__(self) -> str:
        name = {v: k for k, v in DIS_PRESETS.items()}[self.preset]
        return f'DISFlow(preset={name!r})'
