"""Building the model of a config: the one way every command does it
(inference, the checkpoint converter, the parameter count, the memory
benchmark), as MMSeg's ``init_model`` does."""
import copy
from typing import Any, Dict, Optional, Union

import torch
from mmengine.config import Config
from mmengine.model import revert_sync_batchnorm
from mmengine.registry import init_default_scope
from mmseg.registry import MODELS
from torch import nn

from .config import load_config


def build_model(config: Union[str, Config],
                checkpoint: Optional[str] = None,
                *,
                device: Union[str, torch.device] = 'cpu',
                cfg_options: Optional[Dict[str, Any]] = None,
                trust_checkpoint: bool = False) -> nn.Module:
    """The segmentor of ``config``, in eval mode on ``device``.

    The model is built in the config's registry scope (``default_scope``,
    else ``mmseg``) without its ``pretrained`` file (a checkpoint, or none,
    gives the weights), with SyncBN as plain BN (one process; plain BN runs
    on any device). ``model.test_cfg`` (whole image or sliding windows) is
    the config's.

    Args:
        config: a config file, or a loaded :class:`~mmengine.config.Config`
            (used as it is: not copied; the model's config is not changed).
        checkpoint: weights loaded strictly by
            :func:`~hfan.models.checkpoint.load_hfan_checkpoint` (this
            project's or the published layout). ``None``: the model keeps
            its initial (random) weights.
        device: where the model goes once loaded (``'cpu'``, ``'cuda:1'``).
        cfg_options: overrides of a config file
            (:func:`hfan.apis.load_config` rules); apply them to a loaded
            ``Config`` before.
        trust_checkpoint: unpickle a checkpoint that weights-only loading
            refuses (only for files you trust).

    Returns:
        The segmentor, with the config as ``model.cfg``.

    Raises:
        ValueError: ``cfg_options`` with a loaded ``Config``.
        CheckpointMismatchError: the checkpoint does not fit the model.
    """
    if isinstance(config, Config):
        if cfg_options:
            raise ValueError('build_model: cfg_options are for a config file; '
                             'merge them into a loaded Config first')
        cfg = config
    else:
        cfg = load_config(str(config), cfg_options)
    init_default_scope(cfg.get('default_scope', 'mmseg'))
    model_cfg = copy.deepcopy(cfg.model)
    model_cfg.pretrained = None
    model = revert_sync_batchnorm(MODELS.build(model_cfg))
    if checkpoint is not None:
        from hfan.models.checkpoint import load_hfan_checkpoint
        load_hfan_checkpoint(model, checkpoint, strict=True,
                             trust=trust_checkpoint)
    model.cfg = cfg
    return model.to(device).eval()


def _count(module: nn.Module) -> int:
    return sum(p.numel() for p in module.parameters())


def count_model(cfg: Config) -> Dict[str, Any]:
    """Learnable parameters of the model built from ``cfg``, by component.

    Returns:
        ``dict(total, backbone, head, fusions, projections, fusion_conv,
        classifier)``: ints, ``fusions`` a list of one per level (0 for a
        variant without fusion modules).
    """
    model = build_model(cfg)
    head = model.decode_head
    return dict(
        total=_count(model),
        backbone=_count(model.backbone),
        head=_count(head),
        fusions=[_count(f) for f in head.fusions],
        projections=_count(head.projections),
        fusion_conv=_count(head.fusion_conv),
        classifier=_count(head.conv_seg))
