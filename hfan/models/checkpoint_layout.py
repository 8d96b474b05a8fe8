"""State-dict layouts of HFAN checkpoints: detection and conversion.

Three layouts reach this project (docs/checkpoints.md):

``hfan_published``
    The released files (``HFAN-s/m-converted.pth``, the ablation files), made
    by the original mmseg-0.11 code: ``backbone.backbone.`` + SegFormer's MiT
    names, and a head with ``linear_c{s}.proj`` (Linear), ``linear_fuse``,
    ``linear_pred`` (the classifier), an unused ``conv_seg`` (2, 128, 1, 1)
    and one fusion module per stage named after ``select_method``:
    ``hfan{s}.`` (ca_layers, pa_layers, poc, object_pred), ``fam{s}.`` (poc,
    object_pred) or ``fat{s}.`` (ca_layers, pa_layers); im/fw/base have none.
``hfan``
    This project's ``VOSEncoderDecoder``: MMSeg 1.x MiT names and
    ``decode_head.{fusions.{s-1}, projections.{s-1}, fusion_conv, conv_seg}``.
``mit_original`` / ``mit_mmseg``
    A bare MiT backbone: SegFormer's ImageNet ``mit_b*.pth`` (original names,
    plus the ``head.*`` classifier) or MMSeg's ``mit2mmseg`` output.

Functions here work on state dicts only (no files, no models):
:func:`extract_state_dict`, :func:`detect_layout`,
:func:`published_to_hfan` / :func:`hfan_to_published` (exact inverses, the
unused ``conv_seg`` aside) and :func:`convert_to_hfan` (any HFAN layout ->
this project's).
"""
import re
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Dict, Iterable, Mapping, Optional, Tuple

from torch import Tensor

from .mit_key_mapping import (count_mmseg_keys, count_original_keys,
                              mit_mmseg_to_original, mit_original_to_mmseg,
                              mit_structure)
from .mix_transformer import MIT_NUM_HEADS, MIT_SETTINGS

BACKBONE_PREFIX = 'backbone.backbone.'
HEAD_PREFIX = 'decode_head.'
NUM_STAGES = 4

# select_method -> [(published sub-module prefix, this project's prefix)]
# inside one fusion module (published ``{method}{s}.``, ours
# ``fusions.{s-1}.``), in the published state-dict order.
FUSION_RENAMES: Dict[str, Tuple[Tuple[str, str], ...]] = {
    'hfan':
    (('ca_layers.', 'adaptation.local_branch.'), ('pa_layers.',
                                                  'adaptation.global_branch.'),
     ('poc.', 'alignment.object_context.'), ('object_pred.',
                                             'alignment.object_pred.')),
    'fam': (('poc.', 'object_context.'), ('object_pred.', 'object_pred.')),
    'fat': (('ca_layers.', 'local_branch.'), ('pa_layers.', 'global_branch.')),
}
# The order of this project's fusion sub-modules (= module definition order).
_OURS_FUSION_ORDER = {
    'hfan': ('alignment.object_pred.', 'alignment.object_context.',
             'adaptation.local_branch.', 'adaptation.global_branch.'),
    'fam': ('object_pred.', 'object_context.'),
    'fat': ('local_branch.', 'global_branch.'),
}
PARAMETER_FREE_METHODS = ('im', 'fw', 'base')
CONFIG_BY_ARCH = {
    'b1': 'local_configs/hfan/hfan.small.512x512.refine.py',
    'b2': 'local_configs/hfan/hfan.medium.512x512.refine.py',
    'b3': 'local_configs/hfan/hfan.large.512x512.refine.py',
}

_PUBLISHED_FUSION = re.compile(r'decode_head\.(hfan|fam|fat)([1-4])\.(.+)')
_OURS_FUSION = re.compile(r'decode_head\.fusions\.(\d+)\.(.+)')
_PUBLISHED_HEAD = ('decode_head.linear_c', 'decode_head.linear_fuse.',
                   'decode_head.linear_pred.')
_OURS_HEAD = ('decode_head.projections.', 'decode_head.fusion_conv.',
              'decode_head.fusions.')
# The published head's unused classifier (created by mmseg-0.11's
# BaseDecodeHead, never called): dropped on conversion.
PUBLISHED_UNUSED = ('decode_head.conv_seg.weight', 'decode_head.conv_seg.bias')


@dataclass
class CheckpointLayout:
    """What a state dict holds.

    Attributes:
        kind: 'hfan_published', 'hfan', 'mit_original', 'mit_mmseg' or
            'unknown'.
        select_method: 'hfan', 'fam' or 'fat' when fusion weights are
            present; ``None`` for the parameter-free im/fw/base (their key
            sets are identical) or when unknown.
        methods_found: every fusion type whose keys appear (more than one
            means a corrupt or hand-edited file).
        mit_arch: 'b0'..'b5' when the MiT widths/depths match a release.
        mit_dims, mit_depths: the four stage widths and depths of the MiT.
        backbone_naming: 'original' or 'mmseg' names of the MiT.
        embed_dim: the decoder width E (``linear_c*``/``projections``).
        num_tensors: entries in the state dict.
        unused: published keys that the conversion drops (``conv_seg``).
    """
    kind: str
    select_method: Optional[str] = None
    methods_found: Tuple[str, ...] = ()
    mit_arch: Optional[str] = None
    mit_dims: Optional[Tuple[int, ...]] = None
    mit_depths: Optional[Tuple[int, ...]] = None
    backbone_naming: Optional[str] = None
    embed_dim: Optional[int] = None
    num_tensors: int = 0
    unused: Tuple[str, ...] = field(default_factory=tuple)

    @property
    def is_backbone_only(self) -> bool:
        return self.kind in ('mit_original', 'mit_mmseg')

    def variant(self) -> str:
        """'hfan'/'fam'/'fat', or 'im/fw/base' when there are no fusion
        weights."""
        if self.select_method:
            return self.select_method
        return '/'.join(PARAMETER_FREE_METHODS)

    def describe(self) -> str:
        names = {
            'hfan_published': 'published HFAN checkpoint (mmseg-0.11 layout)',
            'hfan': 'HFAN checkpoint in this project\'s layout',
            'mit_original': 'MiT backbone with SegFormer\'s original names',
            'mit_mmseg': 'MiT backbone with MMSeg 1.x names',
            'unknown': 'unrecognised state dict',
        }
        parts = [names.get(self.kind, self.kind)]
        if self.kind in ('hfan_published', 'hfan'):
            parts.append(f'select_method={self.variant()}')
        if self.mit_dims:
            arch = f'MiT-{self.mit_arch}' if self.mit_arch else 'MiT'
            parts.append(f'{arch} (dims {_csv(self.mit_dims)}, depths '
                         f'{_csv(self.mit_depths)})')
        if self.embed_dim:
            parts.append(f'embed dim E={self.embed_dim}')
        parts.append(f'{self.num_tensors} tensors')
        return ', '.join(parts)


def _csv(values: Iterable) -> str:
    return ','.join(str(v) for v in values)


def mit_arch_of(dims: Optional[Tuple[int, ...]],
                depths: Optional[Tuple[int, ...]]) -> Optional[str]:
    """The released MiT variant with these stage widths and depths."""
    if not dims or not depths:
        return None
    for arch, setting in MIT_SETTINGS.items():
        widths = tuple(setting['embed_dims'] * h for h in MIT_NUM_HEADS)
        if widths == tuple(dims) and tuple(
                setting['num_layers']) == tuple(depths):
            return arch
    return None


# ---------------------------------------------------------------------------
# Containers
# ---------------------------------------------------------------------------
def extract_state_dict(checkpoint: Mapping) -> 'OrderedDict[str, Tensor]':
    """The state dict inside a checkpoint container.

    Accepts ``{'state_dict': ...}`` (mmcv/mmengine), ``{'model': ...}``
    (timm/DeiT style) or a raw state dict; other top-level entries (meta,
    optimizer, message_hub ...) are ignored. A ``module.`` prefix (a saved
    DDP wrapper) is stripped.
    """
    if not isinstance(checkpoint, Mapping):
        raise TypeError(f'a checkpoint must be a dict, got '
                        f'{type(checkpoint).__name__}')
    for name in ('state_dict', 'model'):
        inner = checkpoint.get(name)
        if isinstance(inner, Mapping):
            state_dict = inner
            break
    else:
        state_dict = checkpoint
    tensors = OrderedDict(
        (k, v) for k, v in state_dict.items() if isinstance(v, Tensor))
    if not tensors:
        raise ValueError(
            'no tensors found in the checkpoint (top-level keys: '
            f'{sorted(map(str, checkpoint))[:10]}); expected a state dict, '
            "or a dict with 'state_dict' or 'model'")
    if all(k.startswith('module.') for k in tensors):
        tensors = OrderedDict(
            (k[len('module.'):], v) for k, v in tensors.items())
    return tensors


def select_method_in_meta(checkpoint: Mapping) -> Optional[str]:
    """``select_method`` written in the config text of an mmcv/mmengine
    checkpoint's meta (the only way to tell im/fw/base files apart)."""
    if not isinstance(checkpoint, Mapping):
        return None
    meta = checkpoint.get('meta')
    if not isinstance(meta, Mapping):
        return None
    for key in ('config', 'cfg'):
        text = meta.get(key)
        if isinstance(text, str):
            m = re.search(r"select_method\s*=\s*['\"](\w+)['\"]", text)
            if m:
                return m.group(1)
            m = re.search(r"['\"]select_method['\"]\s*:\s*['\"](\w+)['\"]",
                          text)
            if m:
                return m.group(1)
    return None


# ---------------------------------------------------------------------------
# Detection
# ---------------------------------------------------------------------------
def _fusion_methods(keys: Iterable[str]) -> Tuple[Tuple[str, ...], bool]:
    """Fusion types present and whether they are in the published naming."""
    published, ours = [], []
    for key in keys:
        m = _PUBLISHED_FUSION.fullmatch(key)
        if m and m[1] not in published:
            published.append(m[1])
        m = _OURS_FUSION.fullmatch(key)
        if m:
            rest = m[2]
            if rest.startswith(('alignment.', 'adaptation.')):
                method = 'hfan'
            elif rest.startswith(('object_pred.', 'object_context.')):
                method = 'fam'
            elif rest.startswith(('local_branch.', 'global_branch.')):
                method = 'fat'
            else:
                method = 'unknown'
            if method not in ours:
                ours.append(method)
    return tuple(published or ours), bool(published)


def detect_layout(state_dict: Mapping[str, Tensor]) -> CheckpointLayout:
    """Recognise the layout of a (container-free) state dict."""
    keys = list(state_dict)
    published_head = any(k.startswith(_PUBLISHED_HEAD) for k in keys) or any(
        _PUBLISHED_FUSION.fullmatch(k) for k in keys)
    ours_head = any(k.startswith(_OURS_HEAD) for k in keys)
    methods, _ = _fusion_methods(keys)
    layout = CheckpointLayout(kind='unknown', num_tensors=len(keys))

    if published_head and not ours_head:
        layout.kind = 'hfan_published'
    elif ours_head and not published_head:
        layout.kind = 'hfan'
    elif not published_head and not ours_head:
        if count_original_keys(keys) and not count_mmseg_keys(keys):
            layout.kind = 'mit_original'
        elif count_mmseg_keys(keys) and not count_original_keys(keys):
            layout.kind = 'mit_mmseg'
    # else: both head namings at once -> 'unknown'

    prefix = '' if layout.is_backbone_only else BACKBONE_PREFIX
    structure = mit_structure(state_dict, prefix)
    if structure:
        layout.mit_dims = structure['dims']
        layout.mit_depths = structure['depths']
        layout.backbone_naming = structure['naming']
        layout.mit_arch = mit_arch_of(layout.mit_dims, layout.mit_depths)

    if layout.kind in ('hfan_published', 'hfan', 'unknown'):
        layout.methods_found = methods
        if len(methods) == 1 and methods[0] in FUSION_RENAMES:
            layout.select_method = methods[0]
        proj = (state_dict.get('decode_head.linear_c1.proj.weight')
                if layout.kind == 'hfan_published' else
                state_dict.get('decode_head.projections.0.weight'))
        if proj is not None:
            layout.embed_dim = int(proj.shape[0])
    if layout.kind == 'hfan_published':
        layout.unused = tuple(k for k in PUBLISHED_UNUSED if k in state_dict)
    return layout


def _check_single_method(layout: CheckpointLayout) -> None:
    if len(layout.methods_found) > 1:
        raise ValueError(
            'the checkpoint holds fusion modules of several select_methods '
            f'({", ".join(layout.methods_found)}); an HFAN model has one '
            'fusion type. The file is corrupt or was merged by hand.')


# ---------------------------------------------------------------------------
# published <-> this project
# ---------------------------------------------------------------------------
def _head_published_to_ours(key: str, value: Tensor,
                            method: Optional[str]) -> Tuple[str, Tensor]:
    m = re.fullmatch(r'decode_head\.linear_c([1-4])\.proj\.(weight|bias)', key)
    if m:
        if m[2] == 'weight' and value.dim() == 2:
            value = value.reshape(*value.shape, 1, 1)
        return f'decode_head.projections.{int(m[1]) - 1}.{m[2]}', value
    if key.startswith('decode_head.linear_fuse.'):
        return 'decode_head.fusion_conv.' + key[len('decode_head.linear_fuse.'
                                                    ):], value
    if key.startswith('decode_head.linear_pred.'):
        return 'decode_head.conv_seg.' + key[len('decode_head.linear_pred.'
                                                 ):], value
    m = _PUBLISHED_FUSION.fullmatch(key)
    if m and m[1] == method:
        for published, ours in FUSION_RENAMES[method]:
            if m[3].startswith(published):
                rest = ours + m[3][len(published):]
                return f'decode_head.fusions.{int(m[2]) - 1}.{rest}', value
    return key, value  # unknown: a strict load reports it


def _head_ours_to_published(key: str, value: Tensor,
                            method: Optional[str]) -> Tuple[str, Tensor]:
    m = re.fullmatch(r'decode_head\.projections\.(\d+)\.(weight|bias)', key)
    if m:
        if m[2] == 'weight' and value.dim() == 4:
            value = value.reshape(value.shape[0], value.shape[1])
        return f'decode_head.linear_c{int(m[1]) + 1}.proj.{m[2]}', value
    if key.startswith('decode_head.fusion_conv.'):
        return 'decode_head.linear_fuse.' + key[len('decode_head.fusion_conv.'
                                                    ):], value
    if key.startswith('decode_head.conv_seg.'):
        return 'decode_head.linear_pred.' + key[len('decode_head.conv_seg.'
                                                    ):], value
    m = _OURS_FUSION.fullmatch(key)
    if m and method in FUSION_RENAMES:
        for published, ours in FUSION_RENAMES[method]:
            if m[2].startswith(ours):
                rest = published + m[2][len(ours):]
                return f'decode_head.{method}{int(m[1]) + 1}.{rest}', value
    return key, value


def _published_head_rank(key: str) -> tuple:
    """Published decode_head order: conv_seg, linear_c4..c1, linear_fuse,
    linear_pred, then {method}1..4 (inner order per FUSION_RENAMES)."""
    if key.startswith('decode_head.conv_seg.'):
        return (0, )
    m = re.match(r'decode_head\.linear_c([1-4])\.', key)
    if m:
        return (1, 4 - int(m[1]))
    if key.startswith('decode_head.linear_fuse.'):
        return (2, )
    if key.startswith('decode_head.linear_pred.'):
        return (3, )
    m = _PUBLISHED_FUSION.fullmatch(key)
    if m:
        inner = [p for p, _ in FUSION_RENAMES[m[1]]]
        rank = next((i for i, p in enumerate(inner) if m[3].startswith(p)),
                    len(inner))
        return (4, int(m[2]), rank)
    return (5, )


def _ours_head_rank(key: str) -> tuple:
    """This project's decode_head order (module definition order)."""
    if key.startswith('decode_head.conv_seg.'):
        return (0, )
    m = _OURS_FUSION.fullmatch(key)
    if m:
        for order in _OURS_FUSION_ORDER.values():
            for i, prefix in enumerate(order):
                if m[2].startswith(prefix):
                    return (1, int(m[1]), i)
        return (1, int(m[1]), 9)
    m = re.match(r'decode_head\.projections\.(\d+)\.', key)
    if m:
        return (2, int(m[1]))
    if key.startswith('decode_head.fusion_conv.'):
        return (3, )
    return (4, )


def _convert_head(
    state_dict: Mapping[str, Tensor],
    convert,
    rank,
    method: Optional[str],
    drop: Tuple[str, ...] = (),
    extra: Optional[Mapping[str,
                            Tensor]] = None) -> 'OrderedDict[str, Tensor]':
    """Convert the ``decode_head.`` group key by key, add ``extra`` (already
    in the target naming), sort it by ``rank`` and put it where the head
    started (at the end when there was none)."""
    head = [(k, v) for k, v in state_dict.items()
            if k.startswith(HEAD_PREFIX) and k not in drop]
    converted = [convert(k, v, method) for k, v in head]
    if extra:
        clash = set(extra) & {k for k, _ in converted}
        if clash:
            raise ValueError(f'extra keys {sorted(clash)} clash with the '
                             'converted head')
        converted.extend(extra.items())
    converted.sort(key=lambda kv: rank(kv[0]))  # stable
    out = OrderedDict()
    placed = False
    for key, value in state_dict.items():
        if key.startswith(HEAD_PREFIX):
            if not placed:
                out.update(converted)
                placed = True
        else:
            out[key] = value
    if not placed:
        out.update(converted)
    return out


@dataclass
class Conversion:
    """Result of :func:`convert_to_hfan`."""
    state_dict: 'OrderedDict[str, Tensor]'
    layout: CheckpointLayout  # of the source
    dropped: 'OrderedDict[str, Tensor]'  # source entries left out
    converted: bool  # False when the source already had our layout


def published_to_hfan(
    state_dict: Mapping[str, Tensor]
) -> Tuple['OrderedDict[str, Tensor]', 'OrderedDict[str, Tensor]']:
    """Published HFAN layout -> this project's.

    Returns ``(converted, dropped)``: ``dropped`` holds the published,
    never-used ``decode_head.conv_seg.*`` when the file has it (pass it back
    to :func:`hfan_to_published` as ``extra`` to rebuild the exact source).
    ``select_method`` and the MiT size come from the keys and shapes.
    """
    layout = detect_layout(state_dict)
    _check_single_method(layout)
    dropped = OrderedDict((k, state_dict[k]) for k in layout.unused)
    out = mit_original_to_mmseg(state_dict, BACKBONE_PREFIX)
    out = _convert_head(out,
                        _head_published_to_ours,
                        _ours_head_rank,
                        layout.select_method,
                        drop=layout.unused)
    return out, dropped


def hfan_to_published(
    state_dict: Mapping[str, Tensor],
    extra: Optional[Mapping[str,
                            Tensor]] = None) -> 'OrderedDict[str, Tensor]':
    """This project's layout -> the published one (inverse of
    :func:`published_to_hfan`).

    ``extra`` entries already in the published naming (typically the
    ``dropped`` of :func:`published_to_hfan`: the unused ``conv_seg``) are
    put back in their published place.
    """
    layout = detect_layout(state_dict)
    _check_single_method(layout)
    out = mit_mmseg_to_original(state_dict, BACKBONE_PREFIX)
    return _convert_head(out,
                         _head_ours_to_published,
                         _published_head_rank,
                         layout.select_method,
                         extra=extra)


def convert_to_hfan(state_dict: Mapping[str, Tensor]) -> Conversion:
    """Any HFAN state dict -> this project's layout.

    The published layout is converted (backbone and head); a state dict in
    this project's layout passes through, except that a backbone still in
    SegFormer's original names is renamed. Backbone-only files are refused:
    they are ImageNet initialisations, loaded through the backbone's
    ``init_cfg``, not HFAN models.
    """
    layout = detect_layout(state_dict)
    if layout.is_backbone_only:
        raise ValueError(
            f'this is a bare MiT backbone ({layout.describe()}), e.g. '
            "SegFormer's ImageNet mit_b*.pth, not an HFAN model; it belongs "
            "in the backbone's init_cfg (checkpoint/mit_b*.pth) for training")
    if layout.kind == 'hfan_published':
        converted, dropped = published_to_hfan(state_dict)
        return Conversion(converted, layout, dropped, True)
    _check_single_method(layout)
    if layout.backbone_naming == 'original':
        return Conversion(mit_original_to_mmseg(state_dict, BACKBONE_PREFIX),
                          layout, OrderedDict(), True)
    return Conversion(OrderedDict(state_dict), layout, OrderedDict(), False)


def needs_conversion(keys: Iterable[str]) -> bool:
    """Cheap test: does a state dict hold published-layout keys (head or
    original MiT names under ``backbone.backbone.``)?"""
    for key in keys:
        if key.startswith(_PUBLISHED_HEAD) or _PUBLISHED_FUSION.fullmatch(key):
            return True
        if _ORIGINAL_MIT_IN_HFAN.match(key):
            return True
    return False


_ORIGINAL_MIT_IN_HFAN = re.compile(
    re.escape(BACKBONE_PREFIX) + r'(patch_embed\d+|block\d+)\.')
