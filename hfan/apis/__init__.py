"""User-facing APIs: configs, inference on videos."""
from .config import load_config

__all__ = ['load_config']
from .inference import VideoSegmenter  # noqa: E402

__all__ += ['VideoSegmenter']
from .checkpoint import (CheckpointMismatchError,  # noqa: E402
                         load_hfan_checkpoint, load_mit_pretrained,
                         read_checkpoint)

__all__ += [
    'CheckpointMismatchError', 'load_hfan_checkpoint', 'load_mit_pretrained',
    'read_checkpoint'
]
