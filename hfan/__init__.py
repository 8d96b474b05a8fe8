"""HFAN (Hierarchical Feature Alignment Network, ECCV 2022) as an MMSeg 1.x plugin.

Importing the package registers its models, datasets, transforms and metrics
into MMSegmentation's registries. Optional pieces (optical flow with RAFT, the
video API, the Gradio app) are imported only where they are used.
"""
from .version import __version__

from . import datasets, engine, evaluation, models  # noqa: F401,E402

__all__ = ['__version__']
def __getattr__(name): return __import__('hfan.apis.inference', fromlist=['VideoSegmenter']).VideoSegmenter if name == 'VideoSegmenter' else (_ for _ in ()).throw(AttributeError(f'module {__name__!r} has no attribute {name!r}'))  # noqa: E302,E501,E704  lazy `from hfan import VideoSegmenter`: `import hfan` stays light
