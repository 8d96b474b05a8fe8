"""User-facing APIs: configs, the model of a config, inference on videos,
and the setup of training and test runs.

    config      load_config: a config with command-line overrides
    model       build_model: the segmentor of a config (every command's)
    inference   VideoSegmenter: frames, batches and videos -> masks
    launch      the work dir, CPU distributed runs, the data folders
    training    prepare_train_config: resume, load_from, stage 2, AMP
    testing     prepare_test_config, evaluate_checkpoint (J / F)
"""
from hfan.models.checkpoint import (
    CheckpointMismatchError,
    load_hfan_checkpoint,
    load_mit_pretrained,
    read_checkpoint,
)

from .config import load_config
from .inference import VideoSegmenter, VideoStream
from .model import build_model

__all__ = [
    'load_config', 'build_model', 'VideoSegmenter', 'VideoStream',
    'CheckpointMismatchError',
    'load_hfan_checkpoint', 'load_mit_pretrained', 'read_checkpoint'
]
