"""User-facing APIs: configs, inference on videos."""
from .config import load_config

__all__ = ['load_config']
from .inference import VideoSegmenter  # noqa: E402

__all__ += ['VideoSegmenter']
from hfan.models.checkpoint import (  # noqa: E402
    CheckpointMismatchError, load_hfan_checkpoint, load_mit_pretrained,
    read_checkpoint)

__all__ += [
    'CheckpointMismatchError', 'load_hfan_checkpoint', 'load_mit_pretrained',
    'read_checkpoint'
]
