"""mmengine's loader of local checkpoint files, made weights-only.

MMSeg's ``Pretrained`` initialisation (``init_cfg`` of the ResNet and Swin
backbones of the r101 / swin-t configs) and anything else that calls
``mmengine.runner.load_checkpoint`` on a local path reads the file through
``CheckpointLoader``'s ``''`` scheme, which tries ``weights_only=True`` and
then, with no more than a warning, falls back to a full unpickling that
runs whatever code the file carries. Importing this module (``import
hfan`` does) registers :func:`read_checkpoint` for that scheme instead: the
same files load, a file needing a full unpickling is refused with
:class:`~hfan.models.checkpoint.UntrustedCheckpointError`, naming it and
how to convert it once (``tools/convert_checkpoint.py SRC DST
--trust-checkpoint``). Other schemes (URLs, ``torchvision://``) are left to
mmengine; HFAN's own loaders never take them.
"""
from mmengine.runner.checkpoint import CheckpointLoader

from .loading import read_checkpoint


@CheckpointLoader.register_scheme(prefixes='', force=True)
def load_local_weights_only(filename: str, map_location=None):
    """The ``''`` (local file) scheme of ``CheckpointLoader``: the file read
    weights-only by :func:`read_checkpoint`."""
    return read_checkpoint(filename, map_location or 'cpu')
