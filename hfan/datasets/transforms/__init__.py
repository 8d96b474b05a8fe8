from .loading import LoadBinaryAnnotations, LoadFrameAndFlow
from .photometric import PairedPhotoMetricDistortion

__all__ = [
    'LoadFrameAndFlow', 'LoadBinaryAnnotations', 'PairedPhotoMetricDistortion'
]
