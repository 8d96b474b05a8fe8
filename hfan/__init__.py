"""HFAN (Hierarchical Feature Alignment Network, ECCV 2022) as an MMSeg 1.x plugin.

Importing the package registers its models, datasets, transforms and metrics
into MMSegmentation's registries. Optional pieces (optical flow with RAFT, the
video API, the Gradio app) are imported only where they are used.
"""
from .version import __version__

from . import datasets, engine, evaluation, models  # noqa: F401,E402

__all__ = ['__version__', 'VideoSegmenter']


def __getattr__(name):
    # `from hfan import VideoSegmenter` imports the inference API on first
    # use, so that `import hfan` (what configs do) stays light.
    if name == 'VideoSegmenter':
        from .apis.inference import VideoSegmenter
        return VideoSegmenter
    raise AttributeError(f'module {__name__!r} has no attribute {name!r}')
