"""Reading checkpoint files and loading them into HFAN models.

* :func:`read_checkpoint`: ``torch.load`` with ``weights_only=True`` first;
  the published files are full pickles whose ``meta`` may hold numpy
  scalars (allowed next), and only a trusted local file may fall back to a
  full unpickling, with a warning (docs/checkpoints.md, section 1).
* :func:`load_hfan_checkpoint`: a strict loader for inference/test tools.
  It converts the published layout in memory and, on any mismatch, raises
  :class:`CheckpointMismatchError` naming the missing / unexpected /
  shape-mismatched keys and the likely cause (wrong MiT size, wrong
  ``select_method``, wrong decoder width, a backbone-only file ...).
* :func:`load_mit_pretrained`: ImageNet MiT initialisation (SegFormer's raw
  ``mit_b*.pth`` or MMSeg's ``mit2mmseg`` output), strict after dropping
  the classifier; used by ``OriginalMixVisionTransformer.init_weights``.
"""
import os
import os.path as osp
import pickle
import warnings
import zipfile
from collections import OrderedDict
from typing import Dict, List, Mapping, Optional, Tuple, Union

import torch
from mmengine.logging import print_log
from mmengine.model import is_model_wrapper
from torch import Tensor, nn

from hfan.models.checkpoint_layout import (BACKBONE_PREFIX, CONFIG_BY_ARCH,
                                           PARAMETER_FREE_METHODS,
                                           CheckpointLayout, convert_to_hfan,
                                           detect_layout, extract_state_dict,
                                           mit_arch_of, select_method_in_meta)
from hfan.models.mit_key_mapping import mit_original_to_mmseg

CHECKPOINT_HELP = ('see checkpoint/README.md for the released files and '
                   'where to put them')
MAX_LISTED = 12


# ---------------------------------------------------------------------------
# Files
# ---------------------------------------------------------------------------
def _numpy_safe_globals() -> list:
    """numpy types an mmcv ``meta`` may hold (seed, iter counters, small
    arrays): data containers, no callables."""
    import numpy as np
    found = []
    for module in ('numpy._core.multiarray', 'numpy.core.multiarray'):
        try:
            mod = __import__(module, fromlist=['scalar'])
            found += [mod.scalar, mod._reconstruct]
            break
        except (ImportError, AttributeError):
            continue
    found += [np.dtype, np.ndarray]
    for scalar in (np.float64, np.float32, np.int64, np.int32, np.bool_):
        found.append(type(np.dtype(scalar)))
    return found


def _refused_globals(path: str) -> List[str]:
    try:
        return list(torch.serialization.get_unsafe_globals_in_checkpoint(path))
    except Exception:  # older torch / not a zip file
        return []


def read_checkpoint(path: str,
                    map_location: Union[str, torch.device] = 'cpu',
                    trusted: bool = True):
    """Load a local checkpoint file as safely as its contents allow.

    1. ``torch.load(weights_only=True)``;
    2. the same with numpy scalar/dtype types allowed (mmcv ``meta``);
    3. only if ``trusted``: a full unpickling (``weights_only=False``),
       with a warning naming the types that forced it. Only load files you
       trust this way: unpickling can run code.

    Never downloads: URLs are refused.
    """
    path = str(path)
    if '://' in path:
        raise ValueError(
            f'{path!r} is a URL; HFAN never downloads weights. Download the '
            f'file yourself and pass its local path ({CHECKPOINT_HELP}).')
    path = osp.expanduser(path)
    check_checkpoint_file(path)
    try:
        return torch.load(path, map_location=map_location, weights_only=True)
    except pickle.UnpicklingError:
        pass
    except (RuntimeError, EOFError, OSError) as error:  # damaged archive
        raise CheckpointFileError(
            f'cannot read checkpoint {path}: {error}'.splitlines()[0] +
            ' (truncated or damaged?)') from None
    try:
        with torch.serialization.safe_globals(_numpy_safe_globals()):
            return torch.load(path,
                              map_location=map_location,
                              weights_only=True)
    except pickle.UnpicklingError as error:
        refused = _refused_globals(path) or [str(error).splitlines()[0]]
        if not trusted:
            raise pickle.UnpicklingError(
                f'{path} holds Python objects that torch.load('
                f'weights_only=True) refuses ({", ".join(refused)}). Pass '
                'trusted=True (or convert it with tools/convert_checkpoint.py '
                'on a machine where you trust it) to unpickle it fully.'
            ) from error
        warnings.warn(
            f'{path}: weights_only loading refused {", ".join(refused)}; '
            'falling back to a full unpickling (weights_only=False) of this '
            'local file. Only do this for files you trust; '
            'tools/convert_checkpoint.py writes a weights-only copy.',
            stacklevel=2)
        try:
            return torch.load(path, map_location=map_location,
                              weights_only=False)
        except Exception as err:  # noqa: BLE001  (unpickling raises anything)
            raise CheckpointFileError(
                f'cannot read checkpoint {path}: {type(err).__name__}: '
                f'{err}'.splitlines()[0]) from None


class CheckpointFileError(ValueError):
    """A file given as a checkpoint that is not one (empty, text, a
    truncated archive); the message names it."""


def check_checkpoint_file(path: str) -> None:
    """Refuse, cheaply and before any work, a file that cannot be a
    ``torch.save`` checkpoint: missing, empty, neither a zip archive (the
    format since torch 1.6) nor a legacy pickle, or a truncated archive.

    Raises:
        FileNotFoundError, CheckpointFileError: naming the file.
    """
    if not osp.isfile(path):
        raise FileNotFoundError(
            f'checkpoint file not found: {path!r} (absolute: '
            f'{osp.abspath(path)!r}); {CHECKPOINT_HELP}')
    expected = 'a .pth file written by torch.save is expected'
    with open(path, 'rb') as f:
        head = f.read(4)
    if not head:
        raise CheckpointFileError(f'checkpoint {path} is empty (0 bytes); '
                                  f'{expected}')
    if head.startswith(b'PK'):
        if not zipfile.is_zipfile(path):
            raise CheckpointFileError(
                f'checkpoint {path} is a truncated or damaged archive; '
                're-download or re-save it')
    elif head[0] != 0x80:  # every pickle protocol >= 2 starts with PROTO
        raise CheckpointFileError(
            f'{path} is not a PyTorch checkpoint (it starts with {head!r}); '
            f'{expected}')


# ---------------------------------------------------------------------------
# What the model expects
# ---------------------------------------------------------------------------
def _unwrap(model: nn.Module) -> nn.Module:
    return model.module if is_model_wrapper(model) else model


def _model_facts(model: nn.Module) -> dict:
    """select_method, inner backbone, MiT arch/dims/depths and E."""
    facts = dict(select_method=None,
                 backbone=None,
                 mit_arch=None,
                 mit_dims=None,
                 mit_depths=None,
                 embed_dim=None)
    head = getattr(model, 'decode_head', None)
    if head is not None:
        facts['select_method'] = getattr(head, 'select_method', None)
        facts['embed_dim'] = getattr(head, 'channels', None)
    backbone = getattr(model, 'backbone', None)
    inner = getattr(backbone, 'backbone', backbone)
    if inner is not None:
        facts['backbone'] = type(inner).__name__
        layers = getattr(inner, 'layers', None)
        num_layers = getattr(inner, 'num_layers', None)
        if (layers is not None and isinstance(num_layers, (list, tuple))
                and hasattr(inner, 'embed_dims')):  # MiT
            facts['mit_depths'] = tuple(num_layers)
            facts['mit_dims'] = tuple(inner.embed_dims * h
                                      for h in inner.num_heads)
            facts['mit_arch'] = getattr(inner, 'arch', None) or mit_arch_of(
                facts['mit_dims'], facts['mit_depths'])
    return facts


def _arch_name(arch, dims, depths) -> str:
    name = f'MiT-{arch}' if arch else 'MiT'
    if depths:
        name += f' (depths {",".join(map(str, depths))}'
        if dims:
            name += f'; dims {",".join(map(str, dims))}'
        name += ')'
    return name


def diagnose(layout: CheckpointLayout,
             model: nn.Module,
             meta_select_method: Optional[str] = None) -> List[str]:
    """Likely causes of a mismatch between a checkpoint and a model."""
    facts = _model_facts(_unwrap(model))
    ckpt_mit = _arch_name(layout.mit_arch, layout.mit_dims, layout.mit_depths)
    model_mit = _arch_name(facts['mit_arch'], facts['mit_dims'],
                           facts['mit_depths'])
    causes = []
    if layout.is_backbone_only:
        arch = layout.mit_arch or '?'
        causes.append(
            f'this is a bare {ckpt_mit} '
            f'backbone file (e.g. SegFormer\'s ImageNet mit_{arch}.pth), not '
            'a trained HFAN model: it is the backbone initialisation for '
            f'training (init_cfg, checkpoint/mit_{arch}.pth). For inference '
            'use a released HFAN checkpoint, e.g. checkpoint/'
            'HFAN-s-converted.pth')
        return causes
    if layout.kind == 'unknown':
        causes.append(
            f'the state dict is neither a published HFAN checkpoint nor one '
            f'in this project\'s layout ({layout.describe()})')
    # backbone
    if layout.mit_depths and facts['mit_depths'] is None and facts['backbone']:
        causes.append(f'this checkpoint holds an {ckpt_mit} backbone but '
                      f'the model\'s backbone is {facts["backbone"]}')
    elif layout.mit_depths and (
            tuple(layout.mit_depths) != tuple(facts['mit_depths'])
            or tuple(layout.mit_dims) != tuple(facts['mit_dims'])):
        hint = ''
        if layout.mit_arch in CONFIG_BY_ARCH:
            size = dict(b1='small', b2='medium', b3='large')[layout.mit_arch]
            hint = (f': use the {size} config '
                    f'({CONFIG_BY_ARCH[layout.mit_arch]})')
        elif layout.mit_arch:
            hint = (f': set model.backbone.backbone.arch='
                    f"'{layout.mit_arch}'")
        causes.append(f'this looks like an {ckpt_mit} checkpoint but the '
                      f'model has {model_mit}' + hint)
    # fusion modules
    model_method = facts['select_method']
    if model_method is not None:
        ckpt_method = layout.select_method
        published = layout.kind == 'hfan_published'
        if ckpt_method and ckpt_method != model_method:
            where = (f'{ckpt_method}{{s}} modules'
                     if published else f'{ckpt_method} fusion modules')
            causes.append(
                f'this checkpoint has {where}: select_method='
                f"'{ckpt_method}', but the model was built with "
                f"select_method='{model_method}' (pass --cfg-options "
                f'model.decode_head.select_method={ckpt_method})')
        elif ckpt_method is None and not layout.methods_found and (
                model_method not in PARAMETER_FREE_METHODS):
            known = (f" (its meta says select_method='{meta_select_method}')"
                     if meta_select_method else '')
            choice = meta_select_method or 'im, fw or base'
            causes.append(
                'this checkpoint has no fusion modules: it is an im/fw/base '
                f'ablation model{known}, but the model was built with '
                f"select_method='{model_method}' (pass --cfg-options "
                f'model.decode_head.select_method={choice})')
    # decoder width
    if (layout.embed_dim and facts['embed_dim']
            and layout.embed_dim != facts['embed_dim']):
        hint = (' (HFAN-Small uses 256, Medium/Large 768: use the config '
                'matching the checkpoint)')
        causes.append(
            f'decoder embed dim {layout.embed_dim} in the checkpoint vs '
            f'{facts["embed_dim"]} in the model (decode_head.channels)' + hint)
    return causes


class CheckpointMismatchError(RuntimeError):
    """A checkpoint does not fit a model; lists the keys and likely causes."""

    def __init__(self, source: str, layout: CheckpointLayout,
                 missing: List[str], unexpected: List[str],
                 mismatched: List[Tuple[str, tuple,
                                        tuple]], causes: List[str]):
        self.source = source
        self.layout = layout
        self.missing = missing
        self.unexpected = unexpected
        self.mismatched = mismatched
        self.causes = causes
        super().__init__(self._message())

    def _message(self) -> str:
        lines = [
            f'checkpoint {self.source} does not match the model '
            f'(detected: {self.layout.describe()}).'
        ]
        if self.causes:
            lines.append('Likely cause:')
            lines += [f'  - {c}' for c in self.causes]
        for title, items in (
            ('missing in the checkpoint', self.missing),
            ('unexpected in the checkpoint', self.unexpected),
            ('shape mismatch (checkpoint vs model)',
             [f'{k}: {tuple(a)} vs {tuple(b)}'
              for k, a, b in self.mismatched]),
        ):
            if items:
                lines.append(f'{len(items)} key(s) {title}:')
                lines += [f'  {item}' for item in items[:MAX_LISTED]]
                if len(items) > MAX_LISTED:
                    lines.append(f'  ... and {len(items) - MAX_LISTED} more')
        return '\n'.join(lines)


def compare_state_dicts(
    source: Mapping[str, Tensor], target: Mapping[str, Tensor]
) -> Tuple[List[str], List[str], List[Tuple[str, tuple, tuple]]]:
    """(missing, unexpected, shape-mismatched) keys of ``source`` against
    ``target``; a missing ``num_batches_tracked`` is tolerated."""
    missing = [
        k for k in target
        if k not in source and not k.endswith('num_batches_tracked')
    ]
    unexpected = [k for k in source if k not in target]
    mismatched = [(k, tuple(v.shape), tuple(target[k].shape))
                  for k, v in source.items()
                  if k in target and tuple(v.shape) != tuple(target[k].shape)]
    return missing, unexpected, mismatched


# ---------------------------------------------------------------------------
# Loaders
# ---------------------------------------------------------------------------
def load_hfan_checkpoint(model: nn.Module,
                         checkpoint: Union[str, Mapping],
                         strict: bool = True,
                         map_location: Union[str, torch.device] = 'cpu',
                         trusted: bool = True,
                         logger: Optional[str] = 'current') -> dict:
    """Load an HFAN checkpoint of any supported layout into ``model``.

    Args:
        model: A ``VOSEncoderDecoder`` (or a wrapper of one).
        checkpoint: A file path, or an already loaded checkpoint dict
            (``{'state_dict': ...}``, ``{'model': ...}`` or a raw state dict).
        strict: Raise :class:`CheckpointMismatchError` on any missing,
            unexpected or shape-mismatched key. With ``strict=False`` the
            matching tensors are loaded and the report is logged.
        map_location: As ``torch.load``.
        trusted: Allow a full unpickling of a file whose ``meta`` needs it
            (see :func:`read_checkpoint`).

    Returns:
        The checkpoint container (a dict; ``meta`` when the file had one).
    """
    source = checkpoint if isinstance(checkpoint, str) else '<state dict>'
    if isinstance(checkpoint, (str, os.PathLike)):
        source = str(checkpoint)
        checkpoint = read_checkpoint(source,
                                     map_location=map_location,
                                     trusted=trusted)
    state_dict = extract_state_dict(checkpoint)
    meta_method = select_method_in_meta(checkpoint)
    target_model = _unwrap(model)
    layout = detect_layout(state_dict)
    if layout.is_backbone_only:
        raise CheckpointMismatchError(source, layout, [], [], [],
                                      diagnose(layout, target_model))
    conversion = convert_to_hfan(state_dict)
    if conversion.converted:
        print_log(
            f'{source}: {layout.describe()}; converted to this project\'s '
            f'layout ({len(conversion.state_dict)} tensors' +
            (f', dropped unused {", ".join(conversion.dropped)}'
             if conversion.dropped else '') + ')',
            logger=logger)
    converted = conversion.state_dict
    target = target_model.state_dict()
    missing, unexpected, mismatched = compare_state_dicts(converted, target)
    if missing or unexpected or mismatched:
        error = CheckpointMismatchError(
            source, layout, missing, unexpected, mismatched,
            diagnose(layout, target_model, meta_method))
        if strict:
            raise error
        print_log(str(error), logger=logger, level=30)
        bad = {k for k, _, _ in mismatched} | set(unexpected)
        converted = OrderedDict(
            (k, v) for k, v in converted.items() if k not in bad)
    model_method = getattr(getattr(target_model, 'decode_head', None),
                           'select_method', None)
    if (meta_method and model_method and meta_method != model_method
            and layout.select_method is None):
        warnings.warn(
            f'{source} was trained with select_method={meta_method!r} (its '
            f'meta config) but the model uses {model_method!r}; both have '
            'the same weights, so the load succeeds, but the outputs differ.',
            stacklevel=2)
    # A missing num_batches_tracked keeps the model's own counter.
    for key in target:
        if key not in converted and key.endswith('num_batches_tracked'):
            converted[key] = target[key]
    target_model.load_state_dict(converted, strict=strict)
    return dict(checkpoint) if not isinstance(checkpoint, dict) else checkpoint


def mit_state_dict_for_backbone(
    checkpoint: Mapping,
    prefix: Optional[str] = None
) -> Tuple['OrderedDict[str, Tensor]', List[str]]:
    """MMSeg-named MiT weights in a checkpoint, and the keys left out.

    Handles SegFormer's raw ImageNet files (original names + ``head.*``),
    MMSeg's ``mit2mmseg`` output, and full segmentor checkpoints (the MiT
    under ``backbone.backbone.`` or ``backbone.``, either naming). An
    explicit ``prefix`` (init_cfg's ``prefix``) selects the sub-dict.
    """
    state_dict = extract_state_dict(checkpoint)
    if prefix is not None:
        if prefix and not prefix.endswith('.'):
            prefix += '.'
        candidates = [prefix]
    else:
        candidates = ['', BACKBONE_PREFIX, 'backbone.']
    for candidate in candidates:
        sub = OrderedDict((k[len(candidate):], v)
                          for k, v in state_dict.items()
                          if k.startswith(candidate))
        layout = detect_layout(sub)
        if layout.mit_dims and (candidate or layout.is_backbone_only):
            break
    else:
        raise ValueError(
            'no MiT backbone weights found in the checkpoint (looked at '
            f'prefixes {candidates}; first keys: {list(state_dict)[:5]})')
    left_out = [k for k in state_dict if not k.startswith(candidate)]
    if layout.backbone_naming == 'original':
        dropped = [k for k in sub if k.startswith('head.')]
        sub = mit_original_to_mmseg(sub)
        left_out += [candidate + k for k in dropped]
    return sub, left_out


def load_mit_pretrained(backbone: nn.Module,
                        filename: str,
                        prefix: Optional[str] = None,
                        map_location: Union[str, torch.device] = 'cpu',
                        logger: Optional[str] = 'current') -> List[str]:
    """Initialise an MMSeg-named MiT from an ImageNet (or HFAN) checkpoint.

    The file is converted to MMSeg names and loaded with ``strict=True``
    once the ImageNet classifier (``head.*``) and any non-backbone entries
    are left out. Returns the keys left out.
    """
    if not osp.isfile(osp.expanduser(str(filename))):
        raise FileNotFoundError(
            f'MiT pretrained weights not found: {filename!r} (absolute: '
            f'{osp.abspath(osp.expanduser(str(filename)))!r}), named by the '
            "backbone's init_cfg. Download the ImageNet-1k MiT weights "
            "(mit_b0.pth ... mit_b5.pth) from the SegFormer release "
            "(NVlabs/SegFormer, 'imagenet_pretrained') and put them in "
            'checkpoint/ (see checkpoint/README.md). To build the model '
            'without them set model.backbone.backbone.init_cfg=None; '
            'evaluating a trained HFAN checkpoint does not need them.')
    checkpoint = read_checkpoint(filename, map_location=map_location)
    state_dict, left_out = mit_state_dict_for_backbone(checkpoint, prefix)
    target = backbone.state_dict()
    missing, unexpected, mismatched = compare_state_dicts(state_dict, target)
    if missing or unexpected or mismatched:
        ckpt = detect_layout(state_dict)
        dims = tuple(backbone.embed_dims * h for h in backbone.num_heads)
        depths = tuple(backbone.num_layers)
        causes = []
        if ckpt.mit_depths and (ckpt.mit_depths != depths
                                or ckpt.mit_dims != dims):
            causes.append(
                f'{filename} is '
                f'{_arch_name(ckpt.mit_arch, ckpt.mit_dims, ckpt.mit_depths)}'
                ' but the backbone is '
                f'{_arch_name(mit_arch_of(dims, depths), dims, depths)}: '
                'point init_cfg at the matching mit_b*.pth')
        raise CheckpointMismatchError(filename, ckpt, missing, unexpected,
                                      mismatched, causes)
    backbone.load_state_dict(state_dict, strict=True)
    print_log(f'MiT initialised from {filename} ({len(state_dict)} tensors' +
              (f'; left out {len(left_out)}: {", ".join(left_out[:4])}' +
               (' ...' if len(left_out) > 4 else '') if left_out else '') +
              ')',
              logger=logger)
    return left_out


def summarize(layout: CheckpointLayout) -> Dict[str, object]:
    """A JSON-friendly summary of a detected layout."""
    return dict(kind=layout.kind,
                select_method=layout.variant(),
                mit_arch=layout.mit_arch,
                mit_depths=layout.mit_depths,
                mit_dims=layout.mit_dims,
                embed_dim=layout.embed_dim,
                num_tensors=layout.num_tensors,
                unused=list(layout.unused))
