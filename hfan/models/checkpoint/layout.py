"""Checkpoint layouts: what a state dict holds, and the published -> ours map.

``detect_layout`` tells apart ``hfan_published`` (the released mmseg-0.11
files: SegFormer's MiT names, ``linear_c{s}`` / ``linear_fuse`` /
``linear_pred`` and ``hfan{s}`` / ``fam{s}`` / ``fat{s}`` fusion modules),
``hfan`` (this project's ``VOSEncoderDecoder``), ``segformer`` (a plain MMSeg
SegFormer segmentor: not HFAN, though its MiT can initialise one) and a bare
MiT (``mit_original``: SegFormer's ImageNet ``mit_b*.pth``; ``mit_mmseg``).
Only the forward map exists (to this project's layout); the segmentor's
``load_state_dict`` pre-hook applies it. Key tables: docs/checkpoints.md.
"""
import re
from collections import OrderedDict
from dataclasses import dataclass
from typing import Dict, Mapping, Optional, Tuple

import torch
from torch import Tensor

from ..fusion import PARAMETER_FREE_METHODS

# Stage widths/depths of the released MiT variants (SegFormer, Xie et al.
# 2021). Here rather than in mix_transformer.py so that the model imports
# this module and not the reverse (mix_transformer loads ImageNet files).
MIT_SETTINGS = {
    'b0': dict(embed_dims=32, num_layers=[2, 2, 2, 2]),
    'b1': dict(embed_dims=64, num_layers=[2, 2, 2, 2]),
    'b2': dict(embed_dims=64, num_layers=[3, 4, 6, 3]),
    'b3': dict(embed_dims=64, num_layers=[3, 4, 18, 3]),
    'b4': dict(embed_dims=64, num_layers=[3, 8, 27, 3]),
    'b5': dict(embed_dims=64, num_layers=[3, 6, 40, 3]),
}
MIT_NUM_HEADS = [1, 2, 5, 8]
BACKBONE_PREFIX = 'backbone.backbone.'  # the MiT inside DualStreamEncoder
# the released HFAN sizes: local_configs/hfan/hfan.{size}.512x512.refine.py
HFAN_SIZE_BY_ARCH = dict(b1='small', b2='medium', b3='large')

# SegFormer's MiT names -> MMSeg's (docs/checkpoints.md, section 4), matched
# at the start of a key; {i} is the 0-based stage, {j} the block, and the
# rest of the key (parameter name) follows unchanged. attn.q + attn.kv are
# merged separately; the catch-all block row covers norm1/norm2/attn.sr/
# attn.norm, which keep their names.
_MIT_RENAMES = [(re.compile(p), t) for p, t in (
    (r'patch_embed(\d+)\.proj\.', 'layers.{i}.0.projection.'),
    (r'patch_embed(\d+)\.norm\.', 'layers.{i}.0.norm.'),
    (r'block(\d+)\.(\d+)\.attn\.proj\.',
     'layers.{i}.1.{j}.attn.attn.out_proj.'),
    (r'block(\d+)\.(\d+)\.mlp\.fc1\.', 'layers.{i}.1.{j}.ffn.layers.0.'),
    (r'block(\d+)\.(\d+)\.mlp\.dwconv\.dwconv\.',
     'layers.{i}.1.{j}.ffn.layers.1.'),
    (r'block(\d+)\.(\d+)\.mlp\.fc2\.', 'layers.{i}.1.{j}.ffn.layers.4.'),
    (r'block(\d+)\.(\d+)\.', 'layers.{i}.1.{j}.'),
    (r'norm(\d+)\.', 'layers.{i}.2.'),
)]
_QKV = re.compile(r'block(\d+)\.(\d+)\.attn\.(q|kv)\.(weight|bias)')
_ORIGINAL_MIT = re.compile(r'(patch_embed|block|norm)\d+\.|head\.')
_MMSEG_MIT = re.compile(r'layers\.\d+\.[012]\.')

# Published fusion sub-modules -> ours, per select_method (section 2.3).
FUSION_RENAMES: Dict[str, Dict[str, str]] = {
    'hfan': dict(ca_layers='adaptation.local_branch',
                 pa_layers='adaptation.global_branch',
                 poc='alignment.object_context',
                 object_pred='alignment.object_pred'),
    'fam': dict(poc='object_context', object_pred='object_pred'),
    'fat': dict(ca_layers='local_branch', pa_layers='global_branch'),
}
# Our fusion sub-module ('alignment', 'object_pred' ...) -> its method.
_OURS_METHOD = {ours.split('.')[0]: method
                for method, renames in FUSION_RENAMES.items()
                for ours in renames.values()}
_PUBLISHED_FUSION = re.compile(r'decode_head\.(hfan|fam|fat)([1-4])\.(\w+)\.')
_OURS_FUSION = re.compile(r'decode_head\.fusions\.\d+\.(\w+)\.')
_PUBLISHED_HEAD = ('decode_head.linear_c', 'decode_head.linear_fuse.',
                   'decode_head.linear_pred.')
# Created by mmseg-0.11's BaseDecodeHead and never called: dropped.
PUBLISHED_UNUSED = ('decode_head.conv_seg.weight', 'decode_head.conv_seg.bias')


def mit_name(arch, dims, depths) -> str:
    """'MiT-b1 (dims 64,128,320,512, depths 2,2,2,2)' for messages."""
    shape = ', '.join(f'{what} {",".join(map(str, values))}'
                      for what, values in (('dims', dims), ('depths', depths))
                      if values)
    name = f'MiT-{arch}' if arch else 'MiT'
    return f'{name} ({shape})' if shape else name


def mit_arch_of(dims, depths) -> Optional[str]:
    """The released MiT variant ('b0'..'b5') with these stage widths and
    depths, or ``None``."""
    for arch, setting in MIT_SETTINGS.items():
        if (tuple(dims or ()) == tuple(setting['embed_dims'] * h
                                       for h in MIT_NUM_HEADS)
                and tuple(depths or ()) == tuple(setting['num_layers'])):
            return arch
    return None


@dataclass
class CheckpointLayout:
    """What a state dict holds (see the module docstring for ``kind``).

    ``select_method`` is 'hfan', 'fam' or 'fat' when fusion weights are
    present, ``None`` for im/fw/base (identical key sets); ``methods_found``
    lists every fusion type seen (several = a corrupt or hand-merged file).
    ``mit_*`` describe the MiT (``backbone_naming`` 'original' or 'mmseg'),
    ``embed_dim`` is the decoder width E, ``unused`` the published keys
    that conversion drops.
    """
    kind: str = 'unknown'
    select_method: Optional[str] = None
    methods_found: Tuple[str, ...] = ()
    mit_arch: Optional[str] = None
    mit_dims: Optional[Tuple[int, ...]] = None
    mit_depths: Optional[Tuple[int, ...]] = None
    backbone_naming: Optional[str] = None
    embed_dim: Optional[int] = None
    num_tensors: int = 0
    unused: Tuple[str, ...] = ()

    @property
    def is_backbone_only(self) -> bool:
        return self.kind in ('mit_original', 'mit_mmseg')

    def variant(self) -> str:
        """'hfan'/'fam'/'fat', or 'im/fw/base' without fusion weights."""
        return self.select_method or '/'.join(PARAMETER_FREE_METHODS)

    def describe(self) -> str:
        parts = [{
            'hfan_published': 'published HFAN checkpoint (mmseg-0.11 layout)',
            'hfan': "HFAN checkpoint in this project's layout",
            'segformer': 'plain SegFormer checkpoint (MMSeg SegformerHead), '
            'not an HFAN model',
            'mit_original': "MiT backbone with SegFormer's original names",
            'mit_mmseg': 'MiT backbone with MMSeg 1.x names',
        }.get(self.kind, 'unrecognised state dict')]
        if self.kind in ('hfan_published', 'hfan'):
            parts.append(f'select_method={self.variant()}')
        if self.mit_dims:
            parts.append(mit_name(self.mit_arch, self.mit_dims,
                                  self.mit_depths))
        if self.embed_dim:
            parts.append(f'embed dim E={self.embed_dim}')
        parts.append(f'{self.num_tensors} tensors')
        return ', '.join(parts)


def extract_state_dict(checkpoint: Mapping) -> 'OrderedDict[str, Tensor]':
    """The tensors of a checkpoint container.

    Accepts ``{'state_dict': ...}`` (mmcv/mmengine), ``{'model': ...}``
    (timm/DeiT) or a raw state dict; other entries (meta, optimizer,
    message_hub ...) are ignored and a DDP ``module.`` prefix is stripped.
    """
    if not isinstance(checkpoint, Mapping):
        raise TypeError('a checkpoint must be a dict, got '
                        f'{type(checkpoint).__name__}')
    inner = next((checkpoint[k] for k in ('state_dict', 'model')
                  if isinstance(checkpoint.get(k), Mapping)), checkpoint)
    tensors = OrderedDict(
        (k, v) for k, v in inner.items() if isinstance(v, Tensor))
    if not tensors:
        raise ValueError(
            'no tensors found in the checkpoint (top-level keys: '
            f'{sorted(map(str, checkpoint))[:10]}); expected a state dict, '
            "or a dict with 'state_dict' or 'model'")
    if all(k.startswith('module.') for k in tensors):
        tensors = OrderedDict((k[7:], v) for k, v in tensors.items())
    return tensors


def select_method_in_meta(checkpoint: Mapping) -> Optional[str]:
    """``select_method`` in the config text of a checkpoint's ``meta`` (the
    only way to tell the im/fw/base files apart)."""
    meta = checkpoint.get('meta') if isinstance(checkpoint, Mapping) else None
    for key in ('config', 'cfg'):
        text = meta.get(key) if isinstance(meta, Mapping) else None
        m = isinstance(text, str) and re.search(
            r"""['"]?select_method['"]?\s*[=:]\s*['"](\w+)['"]""", text)
        if m:
            return m[1]
    return None


def _mit_structure(state_dict: Mapping[str, Tensor], prefix: str):
    """(dims, depths, naming) of the MiT under ``prefix``, or ``None``."""
    dims, blocks, naming = {}, {}, None
    for key, value in state_dict.items():
        if not key.startswith(prefix):
            continue
        name = key[len(prefix):]
        m = (re.fullmatch(r'patch_embed(\d+)\.proj\.weight', name)
             or re.fullmatch(r'layers\.(\d+)\.0\.projection\.weight', name))
        if m:
            original = name.startswith('patch_embed')
            dims[int(m[1]) - original] = int(value.shape[0])
            naming = naming or ('original' if original else 'mmseg')
        m = (re.match(r'block(\d+)\.(\d+)\.', name)
             or re.match(r'layers\.(\d+)\.1\.(\d+)\.', name))
        if m:
            stage = int(m[1]) - name.startswith('block')
            blocks.setdefault(stage, set()).add(int(m[2]))
    if not dims:
        return None
    stages = sorted(set(dims) | set(blocks))
    return (tuple(dims.get(s) for s in stages),
            tuple(len(blocks.get(s, ())) for s in stages), naming)


def detect_layout(state_dict: Mapping[str, Tensor]) -> CheckpointLayout:
    """Recognise the layout of a (container-free) state dict."""
    keys = list(state_dict)
    layout = CheckpointLayout(num_tensors=len(keys))
    published = [m[1] for m in map(_PUBLISHED_FUSION.match, keys) if m]
    ours = [_OURS_METHOD.get(m[1], 'unknown')
            for m in map(_OURS_FUSION.match, keys) if m]
    is_published = published or any(
        k.startswith(_PUBLISHED_HEAD) for k in keys)
    # fusion_conv is shared with SegformerHead: projections/fusions are ours.
    is_ours = any(
        k.startswith(('decode_head.projections.', 'decode_head.fusions.'))
        for k in keys)
    is_segformer = any(k.startswith('decode_head.convs.') for k in keys)
    if sum(map(bool, (is_published, is_ours, is_segformer))) == 1:
        layout.kind = ('hfan_published' if is_published else
                       'hfan' if is_ours else 'segformer')
    elif not any(k.startswith('decode_head.') for k in keys):
        original = any(map(_ORIGINAL_MIT.match, keys))
        if original != any(map(_MMSEG_MIT.match, keys)):
            layout.kind = 'mit_original' if original else 'mit_mmseg'
    # else: several head namings at once, or an unknown head -> 'unknown'

    prefix = {'segformer': 'backbone.', 'mit_original': '',
              'mit_mmseg': ''}.get(layout.kind, BACKBONE_PREFIX)
    structure = _mit_structure(state_dict, prefix)
    if structure:
        layout.mit_dims, layout.mit_depths, layout.backbone_naming = structure
        layout.mit_arch = mit_arch_of(layout.mit_dims, layout.mit_depths)
    if not layout.is_backbone_only:
        layout.methods_found = tuple(dict.fromkeys(published or ours))
        if len(layout.methods_found) == 1 and (layout.methods_found[0]
                                               in FUSION_RENAMES):
            layout.select_method = layout.methods_found[0]
        proj = next((state_dict[k] for k in (
            'decode_head.linear_c1.proj.weight',
            'decode_head.projections.0.weight',
            'decode_head.convs.0.conv.weight') if k in state_dict), None)
        if proj is not None:
            layout.embed_dim = int(proj.shape[0])
    if layout.kind == 'hfan_published':
        layout.unused = tuple(k for k in PUBLISHED_UNUSED if k in state_dict)
    return layout


def mit_original_to_mmseg(state_dict: Mapping[str, Tensor],
                          prefix: str = '') -> 'OrderedDict[str, Tensor]':
    """SegFormer's MiT keys under ``prefix`` -> MMSeg 1.x's, as MMSeg's
    ``mit2mmseg.py``: ``attn.q`` + ``attn.kv`` -> ``in_proj`` (rows q|k|v),
    FFN Linear (out, in) -> 1x1 conv, classifier ``head.*`` dropped; other
    keys pass through."""
    out = OrderedDict()
    for key, value in state_dict.items():
        name = key[len(prefix):] if key.startswith(prefix) else None
        if name is None or not _ORIGINAL_MIT.match(name):
            out[key] = value
            continue
        qkv = _QKV.fullmatch(name)
        if qkv:
            i, j, which, param = qkv.groups()
            q, kv = (
                state_dict.get(key.replace(f'.attn.{which}.', f'.attn.{x}.'))
                for x in ('q', 'kv'))
            if q is None or kv is None:
                missing = 'kv' if q is not None else 'q'
                raise KeyError(f'{key} has no attn.{missing} partner: q and '
                               'kv merge into in_proj together')
            if kv.shape[0] != 2 * q.shape[0] or q.shape[1:] != kv.shape[1:]:
                raise ValueError(f'attn.q {tuple(q.shape)} and attn.kv '
                                 f'{tuple(kv.shape)} of {key} do not stack '
                                 'into q | k | v')
            if which == 'q':
                out[f'{prefix}layers.{int(i) - 1}.1.{j}.attn.attn.in_proj_'
                    f'{param}'] = torch.cat([q, kv])
            continue
        if name.startswith('head.'):
            continue  # the ImageNet classifier
        for regex, template in _MIT_RENAMES:
            m = regex.match(name)
            if m:
                j = m[2] if m.re.groups > 1 else None
                new = template.format(i=int(m[1]) - 1, j=j) + name[m.end():]
                if '.ffn.layers.' in new and value.dim() == 2:
                    value = value[:, :, None, None]  # Linear -> 1x1 conv
                out[prefix + new] = value
                break
    return out


def _published_head_key(key: str, method: Optional[str]) -> Optional[str]:
    """This project's name of a published ``decode_head.`` key."""
    m = re.match(r'decode_head\.(linear_c([1-4])\.proj|linear_fuse|'
                 r'linear_pred)\.', key)
    if m:
        new = (f'projections.{int(m[2]) - 1}' if m[2] else
               dict(linear_fuse='fusion_conv', linear_pred='conv_seg')[m[1]])
        return f'decode_head.{new}.' + key[m.end():]
    m = _PUBLISHED_FUSION.match(key)
    if m and m[1] == method and m[3] in FUSION_RENAMES[method]:
        return (f'decode_head.fusions.{int(m[2]) - 1}.'
                f'{FUSION_RENAMES[method][m[3]]}.' + key[m.end():])
    return None


@dataclass
class Conversion:
    """Result of :func:`convert_to_hfan`."""
    state_dict: 'OrderedDict[str, Tensor]'
    layout: CheckpointLayout  # of the source
    dropped: Tuple[str, ...]  # source keys left out (the unused conv_seg)
    converted: bool  # False: the source needed no change


def convert_to_hfan(state_dict: Mapping[str, Tensor]) -> Conversion:
    """An HFAN state dict of any layout -> this project's.

    Converts the published layout (MiT, head and fusion names; Linear
    ``linear_c{s}`` -> 1x1 convs; the unused ``conv_seg`` dropped) and
    renames SegFormer-named MiTs inside HFAN state dicts; anything else is
    returned as it is, for a strict load to report. ValueError: fusion
    modules of several ``select_method``s.
    """
    layout = detect_layout(state_dict)
    if len(layout.methods_found) > 1:
        raise ValueError(
            'the checkpoint holds fusion modules of several select_methods '
            f'({", ".join(layout.methods_found)}); an HFAN model has one '
            'fusion type. The file is corrupt or was merged by hand.')
    published = layout.kind == 'hfan_published'
    if not (published or (layout.kind == 'hfan'
                          and layout.backbone_naming == 'original')):
        return Conversion(OrderedDict(state_dict), layout, (), False)
    out = OrderedDict()
    for key, value in mit_original_to_mmseg(state_dict,
                                            BACKBONE_PREFIX).items():
        if key in layout.unused:
            continue
        new = _published_head_key(key, layout.select_method) if published \
            else None
        if new and '.projections.' in new and value.dim() == 2:
            value = value[:, :, None, None]  # Linear -> 1x1 conv
        out[new or key] = value
    return Conversion(out, layout, layout.unused, True)
