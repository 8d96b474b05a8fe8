"""Reading checkpoint files weights-only (a file that needs a full
unpickling is refused unless trusted), loading them strictly, and saying
why one does not fit a model (:func:`diagnose`): MiT size,
``select_method``, decoder width, a bare backbone or a SegFormer file.
``load_mit_pretrained`` is the ImageNet initialisation of the MiT.
"""
import os
import os.path as osp
import pickle
import warnings
import zipfile
from collections import OrderedDict
from typing import List, Mapping, Optional, Tuple, Union

import torch
from mmengine.logging import print_log
from mmengine.model import is_model_wrapper
from mmengine.runner.checkpoint import get_torch_safe_globals
from torch import Tensor, nn

from .layout import (
    BACKBONE_PREFIX,
    HFAN_SIZE_BY_ARCH,
    PARAMETER_FREE_METHODS,
    CheckpointLayout,
    convert_to_hfan,
    detect_layout,
    extract_state_dict,
    mit_arch_of,
    mit_name,
    mit_original_to_mmseg,
    select_method_in_meta,
)

CHECKPOINT_HELP = ('see checkpoint/README.md for the released files and '
                   'where to put them')
MAX_LISTED = 12


class CheckpointFileError(ValueError):
    """A file that cannot be read as a checkpoint; the message names it."""


class UntrustedCheckpointError(CheckpointFileError):
    """A checkpoint that only a full unpickling could read, not trusted."""


def check_checkpoint_file(path: str) -> None:
    """Refuse, before any work, a file that cannot be a ``torch.save``
    checkpoint: missing, empty, neither a zip archive nor a legacy pickle,
    or a truncated archive (FileNotFoundError / CheckpointFileError)."""
    if not osp.isfile(path):
        raise FileNotFoundError(
            f'checkpoint file not found: {path!r} (absolute: '
            f'{osp.abspath(path)!r}); {CHECKPOINT_HELP}')
    with open(path, 'rb') as f:
        head = f.read(4)
    expected = 'a .pth file written by torch.save is expected'
    if not head:
        raise CheckpointFileError(f'{path} is empty (0 bytes); {expected}')
    if head.startswith(b'PK'):
        if not zipfile.is_zipfile(path):
            raise CheckpointFileError(
                f'checkpoint {path} is a truncated or damaged archive; '
                're-download or re-save it')
    elif head[0] != 0x80:  # every pickle protocol >= 2 starts with PROTO
        raise CheckpointFileError(
            f'{path} is not a PyTorch checkpoint (it starts with {head!r}); '
            f'{expected}')


def read_checkpoint(path: str,
                    map_location: Union[str, torch.device] = 'cpu',
                    trust: bool = False):
    """``torch.load`` of a local file (never a URL) with ``weights_only``.

    A file holding other Python objects is refused with
    :class:`UntrustedCheckpointError` (saying how to convert it once)
    unless ``trust=True`` allows its full unpickling, which can run code.
    """
    path = osp.expanduser(str(path))
    if '://' in path:
        raise ValueError(
            f'{path!r} is a URL; HFAN never downloads weights. Download the '
            f'file yourself and pass its local path ({CHECKPOINT_HELP}).')
    check_checkpoint_file(path)
    checkpoint, refused = _load_weights_only(path, map_location)
    if refused is None:
        return checkpoint
    names = _refused_globals(path, refused)
    if not trust:
        raise _untrusted(path, names) from None
    warnings.warn(f'{path}: fully unpickling a trusted file (it holds '
                  f'{", ".join(names)})', stacklevel=2)
    return torch.load(path, map_location=map_location, weights_only=False)


def _load_weights_only(path: str, map_location, mmap: bool = False):
    """``(checkpoint, None)`` from a weights-only ``torch.load`` of
    ``path``, or ``(None, error)`` when the file holds objects that load
    refuses; a damaged file raises :class:`CheckpointFileError`."""
    try:
        # the data types mmengine resumes its own checkpoints with (numpy
        # scalars in meta, HistoryBuffer): data only, nothing callable
        with torch.serialization.safe_globals(get_torch_safe_globals()):
            return torch.load(path, map_location=map_location,
                              weights_only=True, mmap=mmap), None
    except pickle.UnpicklingError as error:
        return None, error
    except (RuntimeError, EOFError, OSError) as error:  # damaged archive
        raise CheckpointFileError(
            f'cannot read checkpoint {path}: {error}'.splitlines()[0] +
            ' (truncated or damaged?)') from None


def _refused_globals(path: str, refused: Exception) -> List[str]:
    """The names of the globals a weights-only load of ``path`` refuses."""
    try:
        return torch.serialization.get_unsafe_globals_in_checkpoint(path)
    except Exception:  # noqa: BLE001  (a legacy, non-zip file)
        return [str(refused).splitlines()[0]]


def _untrusted(path: str, names: List[str]) -> UntrustedCheckpointError:
    """The refusal of :func:`read_checkpoint` and
    :func:`check_weights_only`, naming the file and what it holds."""
    return UntrustedCheckpointError(
        f'{path} holds Python objects that weights-only loading refuses '
        f'({", ".join(names)}); unpickling them can run code. If you '
        'trust the file, convert it once to a weights-only copy: '
        f'python tools/convert_checkpoint.py {path} OUT.pth '
        '--trust-checkpoint (or pass trust=True / --trust-checkpoint to '
        'load it as it is)')


def check_weights_only(path: str, trust: bool = False) -> None:
    """Refuse, before any work, a checkpoint that :func:`read_checkpoint`
    would refuse: missing, damaged, or (unless ``trust``) holding Python
    objects beyond weights and mmengine's data types.

    The file is unpickled weights-only and thrown away; a zip archive is
    memory-mapped, so a large checkpoint (with its optimizer state) costs
    no memory here. A trusted file that needs a full unpickling is not
    unpickled here (that would run what it holds twice).

    Raises:
        FileNotFoundError, CheckpointFileError: as :func:`read_checkpoint`.
        UntrustedCheckpointError: the file needs a full unpickling and
            ``trust`` is False.
    """
    path = osp.expanduser(str(path))
    check_checkpoint_file(path)
    _, refused = _load_weights_only(path, 'cpu',
                                    mmap=zipfile.is_zipfile(path))
    if refused is not None and not trust:
        raise _untrusted(path, _refused_globals(path, refused)) from None


def _model_mit(model: nn.Module):
    """(arch, dims, depths, backbone class) of a segmentor or a MiT."""
    mit = getattr(model, 'backbone', model)
    mit = getattr(mit, 'backbone', mit)  # inside DualStreamEncoder
    if not isinstance(getattr(mit, 'num_layers', None), (list, tuple)):
        return None, None, None, type(mit).__name__
    dims = tuple(mit.embed_dims * h for h in mit.num_heads)
    depths = tuple(mit.num_layers)
    arch = getattr(mit, 'arch', None) or mit_arch_of(dims, depths)
    return arch, dims, depths, type(mit).__name__


def diagnose(layout: CheckpointLayout,
             model: nn.Module,
             meta_select_method: Optional[str] = None) -> List[str]:
    """Likely causes of a mismatch between a checkpoint and a model (a
    segmentor, or a bare MiT for ImageNet initialisation)."""
    model = model.module if is_model_wrapper(model) else model
    arch, dims, depths, backbone = _model_mit(model)
    ckpt_mit = mit_name(layout.mit_arch, layout.mit_dims, layout.mit_depths)
    head = getattr(model, 'decode_head', None)
    if head is not None and layout.is_backbone_only:
        return [
            f'this is a bare {ckpt_mit} backbone file (e.g. SegFormer\'s '
            f'ImageNet mit_{layout.mit_arch or "b?"}.pth), not a trained HFAN '
            "model: it initialises the backbone for training (init_cfg, "
            'checkpoint/mit_b*.pth). For inference use a released HFAN '
            'checkpoint, e.g. checkpoint/HFAN-s-converted.pth'
        ]
    causes = []
    if layout.kind == 'segformer':
        causes.append(
            'this is a plain SegFormer segmentor (MMSeg SegformerHead), not '
            'an HFAN model; its MiT can initialise HFAN\'s backbone: '
            "model.backbone.backbone.init_cfg=dict(type='Pretrained', "
            "checkpoint=FILE, prefix='backbone.')")
    elif layout.kind == 'unknown':
        causes.append('the state dict is neither a published HFAN '
                      "checkpoint nor one in this project's layout "
                      f'({layout.describe()})')
    if layout.mit_depths and depths is None:
        causes.append(f'this checkpoint holds an {ckpt_mit} backbone but '
                      f"the model's backbone is {backbone}")
    elif layout.mit_depths and (layout.mit_depths, layout.mit_dims) != (
            depths, dims):
        if head is None:
            hint = ': point init_cfg at the matching mit_b*.pth'
        elif layout.mit_arch in HFAN_SIZE_BY_ARCH:
            size = HFAN_SIZE_BY_ARCH[layout.mit_arch]
            hint = (f': use the {size} config (local_configs/hfan/hfan.'
                    f'{size}.512x512.refine.py)')
        else:
            hint = (f": set model.backbone.backbone.arch='{layout.mit_arch}'"
                    if layout.mit_arch else '')
        causes.append(f'this looks like an {ckpt_mit} checkpoint but the '
                      f'model has {mit_name(arch, dims, depths)}' + hint)
    method = getattr(head, 'select_method', None)
    found = layout.select_method
    if method and found and found != method:
        where = (f'{found}{{s}} modules' if layout.kind == 'hfan_published'
                 else f'{found} fusion modules')
        causes.append(
            f"this checkpoint has {where}: select_method='{found}', but the "
            f"model was built with select_method='{method}' (pass "
            f'--cfg-options model.decode_head.select_method={found})')
    elif (method and layout.kind in ('hfan', 'hfan_published')
          and not layout.methods_found
          and method not in PARAMETER_FREE_METHODS):
        known = (f" (its meta says select_method='{meta_select_method}')"
                 if meta_select_method else '')
        causes.append(
            'this checkpoint has no fusion modules: it is an im/fw/base '
            f'ablation model{known}, but the model was built with '
            f"select_method='{method}' (pass --cfg-options model.decode_head."
            f'select_method={meta_select_method or "im, fw or base"})')
    embed = getattr(head, 'channels', None)
    if layout.embed_dim and embed and layout.embed_dim != embed:
        causes.append(
            f'decoder embed dim {layout.embed_dim} in the checkpoint vs '
            f'{embed} in the model (decode_head.channels; HFAN-Small uses '
            '256, Medium/Large 768: use the config matching the checkpoint)')
    return causes


#: keys of a head used in training only (MMSeg's ``auxiliary_head``): a
#: checkpoint may lack them (a new head) or hold them for a model without one
TRAINING_ONLY_PREFIX = 'auxiliary_head.'


def without_training_only(
        state_dict: Mapping[str, Tensor], target: Mapping[str, Tensor]
) -> Tuple["OrderedDict[str, Tensor]", List[str]]:
    """``state_dict`` without the training-only head's tensors that
    ``target`` (a model's state dict) has no place for, and their keys."""
    dropped = [
        k for k in state_dict
        if k.startswith(TRAINING_ONLY_PREFIX) and k not in target
    ]
    kept = OrderedDict((k, v) for k, v in state_dict.items()
                       if k not in dropped)
    return kept, dropped


class CheckpointMismatchError(RuntimeError):
    """A checkpoint does not fit a model: the keys and the likely causes."""

    def __init__(self, source: str, layout: CheckpointLayout,
                 missing: List[str], unexpected: List[str],
                 mismatched: List[Tuple[str, tuple, tuple]],
                 causes: List[str]):
        lines = [f'checkpoint {source} does not match the model '
                 f'(detected: {layout.describe()}).']
        if causes:
            lines += ['Likely cause:'] + [f'  - {c}' for c in causes]
        for title, items in (
            ('missing in the checkpoint', missing),
            ('unexpected in the checkpoint', unexpected),
            ('shape mismatch (checkpoint vs model)',
             [f'{k}: {a} vs {b}' for k, a, b in mismatched]),
        ):
            if items:
                lines.append(f'{len(items)} key(s) {title}:')
                lines += [f'  {item}' for item in items[:MAX_LISTED]]
                if len(items) > MAX_LISTED:
                    lines.append(f'  ... and {len(items) - MAX_LISTED} more')
        super().__init__('\n'.join(lines))


def compare_state_dicts(
    source: Mapping[str, Tensor], target: Mapping[str, Tensor]
) -> Tuple[List[str], List[str], List[Tuple[str, tuple, tuple]]]:
    """(missing, unexpected, shape-mismatched) keys of ``source`` against
    ``target``; a missing ``num_batches_tracked`` is tolerated."""
    missing = [k for k in target if k not in source
               and not k.endswith('num_batches_tracked')]
    unexpected = [k for k in source if k not in target]
    mismatched = [(k, tuple(v.shape), tuple(target[k].shape))
                  for k, v in source.items()
                  if k in target and v.shape != target[k].shape]
    return missing, unexpected, mismatched


def load_hfan_checkpoint(model: nn.Module,
                         checkpoint: Union[str, os.PathLike, Mapping],
                         strict: bool = True,
                         map_location: Union[str, torch.device] = 'cpu',
                         trust: bool = False,
                         logger: Optional[str] = 'current') -> dict:
    """Load an HFAN checkpoint (a file or a loaded dict) of any released
    layout into a ``VOSEncoderDecoder`` and return the container.

    :func:`convert_to_hfan`, which the segmentor's pre-hook applies on every
    other load path, runs first here so that a mismatch is explained before
    anything is loaded: ``strict`` raises :class:`CheckpointMismatchError`;
    otherwise the report is logged and only the tensors that fit are loaded.
    ``trust`` is :func:`read_checkpoint`'s.
    """
    source = '<state dict>'
    if isinstance(checkpoint, (str, os.PathLike)):
        source = str(checkpoint)
        checkpoint = read_checkpoint(source, map_location, trust=trust)
    state_dict = extract_state_dict(checkpoint)
    meta_method = select_method_in_meta(checkpoint)
    model = model.module if is_model_wrapper(model) else model
    conversion = convert_to_hfan(state_dict)
    layout = conversion.layout
    if layout.is_backbone_only:  # never a partial load of a bare MiT
        raise CheckpointMismatchError(source, layout, [], [], [],
                                      diagnose(layout, model))
    if conversion.converted:
        dropped = ', '.join(conversion.dropped)
        print_log(f'{source}: {layout.describe()}; converted to this '
                  f"project's layout ({len(conversion.state_dict)} tensors"
                  + (f', dropped unused {dropped}' if dropped else '') + ')',
                  logger=logger)
    state_dict = conversion.state_dict
    target = model.state_dict()
    missing, unexpected, mismatched = compare_state_dicts(state_dict, target)
    # a training-only head (auxiliary_head) may be new to the checkpoint or
    # absent from the model: it never changes the model's output
    aux_missing = [k for k in missing if k.startswith(TRAINING_ONLY_PREFIX)]
    state_dict, aux_unexpected = without_training_only(state_dict, target)
    if aux_missing or aux_unexpected:
        missing = [k for k in missing if k not in aux_missing]
        unexpected = [k for k in unexpected if k not in aux_unexpected]
        print_log(
            f'{source}: the training-only {TRAINING_ONLY_PREFIX[:-1]} '
            + (f'is new ({len(aux_missing)} tensors keep their '
               'initialisation)' if aux_missing else
               f'is not in this model ({len(aux_unexpected)} tensors '
               'left out)'),
            logger=logger)
    if missing or unexpected or mismatched:
        error = CheckpointMismatchError(source, layout, missing, unexpected,
                                        mismatched,
                                        diagnose(layout, model, meta_method))
        if strict:
            raise error
        print_log(str(error), logger=logger, level=30)
        bad = set(unexpected) | {k for k, _, _ in mismatched}
        state_dict = OrderedDict(
            (k, v) for k, v in state_dict.items() if k not in bad)
    method = getattr(getattr(model, 'decode_head', None), 'select_method',
                     None)
    if (meta_method and method and meta_method != method
            and layout.select_method is None):
        warnings.warn(
            f'{source} was trained with select_method={meta_method!r} (its '
            f'meta config) but the model uses {method!r}; both have the same '
            'weights, so the load succeeds, but the outputs differ.',
            stacklevel=2)
    for key in target:  # a missing counter keeps the model's own
        if key.endswith('num_batches_tracked'):
            state_dict.setdefault(key, target[key])
    model.load_state_dict(state_dict, strict=strict and not aux_missing)
    return checkpoint


def load_mit_pretrained(backbone: nn.Module,
                        filename: str,
                        prefix: Optional[str] = None,
                        map_location: Union[str, torch.device] = 'cpu',
                        trust: bool = False,
                        logger: Optional[str] = 'current') -> List[str]:
    """Initialise an MMSeg-named MiT strictly from the files that
    ``OriginalMixVisionTransformer.init_weights`` accepts; returns the keys
    left out (the classifier, non-backbone entries)."""
    if not osp.isfile(osp.expanduser(str(filename))):
        raise FileNotFoundError(
            f"MiT pretrained weights {filename!r}, named by the backbone's "
            'init_cfg, not found. Put the ImageNet-1k mit_b*.pth of the '
            "SegFormer release (NVlabs/SegFormer, 'imagenet_pretrained') in "
            'checkpoint/ (checkpoint/README.md), or set model.backbone.'
            'backbone.init_cfg=None (a trained HFAN model needs none).')
    state_dict = extract_state_dict(
        read_checkpoint(filename, map_location, trust=trust))
    if prefix and not prefix.endswith('.'):
        prefix += '.'
    candidates = ([prefix] if prefix is not None else
                  ['', BACKBONE_PREFIX, 'backbone.'])
    for candidate in candidates:
        sub = OrderedDict((k[len(candidate):], v)
                          for k, v in state_dict.items()
                          if k.startswith(candidate))
        layout = detect_layout(sub)
        if layout.mit_dims and (candidate or layout.is_backbone_only):
            break
    else:
        raise ValueError(
            f'no MiT backbone weights found in {filename} (looked under '
            f'{candidates}; first keys: {list(state_dict)[:5]})')
    left_out = [k for k in state_dict if not k.startswith(candidate)]
    left_out += [candidate + k for k in sub if k.startswith('head.')]
    sub = mit_original_to_mmseg(sub)
    missing, unexpected, mismatched = compare_state_dicts(
        sub, backbone.state_dict())
    if missing or unexpected or mismatched:
        layout = detect_layout(sub)
        raise CheckpointMismatchError(filename, layout, missing, unexpected,
                                      mismatched, diagnose(layout, backbone))
    backbone.load_state_dict(sub, strict=True)
    shown = ', '.join(left_out[:4]) + (' ...' if len(left_out) > 4 else '')
    print_log(f'MiT initialised from {filename} ({len(sub)} tensors'
              + (f'; left out {len(left_out)}: {shown}' if left_out else '')
              + ')', logger=logger)
    return left_out
