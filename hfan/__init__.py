"""HFAN (Hierarchical Feature Alignment Network, ECCV 2022) as an MMSeg 1.x plugin.

Importing the package registers its models, datasets, transforms and metrics
into MMSegmentation's registries. Optional pieces (optical flow with RAFT, the
video API, the Gradio app) are imported only where they are used.
"""
from .version import __version__

from . import datasets, engine, evaluation, models  # noqa: F401,E402

__all__ = ['__version__']
