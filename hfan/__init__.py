"""HFAN (Hierarchical Feature Alignment Network, ECCV 2022) as an MMSeg 1.x
plugin.

Importing the package registers its models, datasets, transforms and metrics
into MMSegmentation's registries. Optional pieces (optical flow with RAFT, the
video API, the Gradio app) are imported only where they are used.
"""
import contextlib
import io
import sys
import warnings

from .version import __version__

# The default install builds onedl-mmcv without its compiled ops (HFAN needs
# none; tools/install.sh says why), and mmcv then warns on every import that
# its deformable attention is missing. The warning names an mmcv module only
# MMSeg heads we do not use need; a run that does need it still fails loudly
# (ModuleNotFoundError: mmcv._ext) where the op is built.
warnings.filterwarnings(
    'ignore',
    message='Fail to import ``MultiScaleDeformableAttention``',
    category=UserWarning)


def _import_mmseg_datasets() -> None:
    # OneDL's mmseg prints a debug notice ("Could not import OneDL") to
    # STDOUT when its optional OneDL data loader is absent, which corrupts
    # the machine-readable output of our tools (CSV, JSON, file lists).
    # Import it once here with that notice dropped; anything else it prints
    # goes to stderr.
    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        import mmseg.datasets  # noqa: F401
    text = buf.getvalue().replace('Could not import OneDL\n', '')
    if text:
        sys.stderr.write(text)


_import_mmseg_datasets()

from . import datasets, engine, evaluation, models  # noqa: F401,E402

__all__ = ['__version__', 'VideoSegmenter']


def __getattr__(name):
    # `from hfan import VideoSegmenter` imports the inference API on first
    # use, so that `import hfan` (what configs do) stays light.
    if name == 'VideoSegmenter':
        from .apis.inference import VideoSegmenter
        return VideoSegmenter
    raise AttributeError(f'module {__name__!r} has no attribute {name!r}')
