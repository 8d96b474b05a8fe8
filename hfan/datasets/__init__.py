"""HFAN's datasets and transforms (frame + flow + mask)."""
from .transforms import (
                         LoadBinaryAnnotations,
                         LoadFrameAndFlow,
                         PairedPhotoMetricDistortion,
)
from .vos_dataset import VOSDataset

__all__ = [
    'VOSDataset', 'LoadFrameAndFlow', 'LoadBinaryAnnotations',
    'PairedPhotoMetricDistortion'
]
