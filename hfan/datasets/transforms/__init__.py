from .loading import LoadBinaryAnnotations, LoadFrameAndFlow, read_image
from .photometric import PairedPhotoMetricDistortion

__all__ = [
    'LoadFrameAndFlow', 'LoadBinaryAnnotations', 'PairedPhotoMetricDistortion',
    'read_image'
]
