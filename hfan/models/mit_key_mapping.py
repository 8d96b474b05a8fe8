"""Key mapping between SegFormer's original MiT names and MMSeg 1.x's MiT.

The released HFAN checkpoints and SegFormer's ImageNet files (``mit_b*.pth``)
name the Mix Transformer as the original code did (``patch_embed{i}``,
``block{i}.{j}.attn.q``/``attn.kv``, ``mlp.fc1`` as ``nn.Linear`` ...);
MMSeg 1.x's ``MixVisionTransformer`` (which this project uses) has
``layers.{i-1}.{0,1,2}``, one ``nn.MultiheadAttention`` and 1x1 convs in the
FFN. For stage i = 1..4 and block j (docs/checkpoints.md, section 4), original
-> MMSeg 1.x:

* ``patch_embed{i}.proj.*`` -> ``layers.{i-1}.0.projection.*``;
  ``patch_embed{i}.norm.*`` -> ``layers.{i-1}.0.norm.*``
* ``block{i}.{j}.X`` -> ``layers.{i-1}.1.{j}.Y`` with X -> Y:
  ``norm1``/``norm2`` unchanged; ``attn.q.{w,b}`` + ``attn.kv.{w,b}`` ->
  ``attn.attn.in_proj_{w,b}`` (rows concatenated: q | k | v);
  ``attn.proj`` -> ``attn.attn.out_proj``; ``attn.sr``/``attn.norm``
  unchanged (stages with sr > 1); ``mlp.fc1`` -> ``ffn.layers.0`` and
  ``mlp.fc2`` -> ``ffn.layers.4`` (weights (out, in) -> (out, in, 1, 1));
  ``mlp.dwconv.dwconv`` -> ``ffn.layers.1``
* ``norm{i}.*`` -> ``layers.{i-1}.2.*``
* ``head.*`` (the ImageNet classifier) is dropped.

Both directions work on the keys under a ``prefix`` (e.g.
``'backbone.backbone.'`` in an HFAN checkpoint, ``''`` for a backbone file);
keys outside the prefix pass through unchanged, and keys under it that are
not MiT keys pass through too (a strict load then reports them). The
converted keys come out in the target layout's natural order, so a round
trip returns the source dict in its original order.
"""
import re
from collections import OrderedDict
from typing import Callable, Dict, Iterable, List, Mapping, Optional, Tuple

from torch import Tensor

# ---------------------------------------------------------------------------
# One-to-one renames. Each row: (original pattern, MMSeg template, transform)
# with {i} the 1-based stage, {j} the block and {p} the parameter name.
# ---------------------------------------------------------------------------
_LINEAR_TO_CONV = 'linear_to_conv'
_RENAMES: List[Tuple[str, str, Optional[str]]] = [
    (r'patch_embed(?P<i>\d+)\.proj\.(?P<p>\w+)',
     'layers.{i0}.0.projection.{p}', None),
    (r'patch_embed(?P<i>\d+)\.norm\.(?P<p>\w+)', 'layers.{i0}.0.norm.{p}',
     None),
    (r'block(?P<i>\d+)\.(?P<j>\d+)\.norm1\.(?P<p>\w+)',
     'layers.{i0}.1.{j}.norm1.{p}', None),
    (r'block(?P<i>\d+)\.(?P<j>\d+)\.attn\.proj\.(?P<p>\w+)',
     'layers.{i0}.1.{j}.attn.attn.out_proj.{p}', None),
    (r'block(?P<i>\d+)\.(?P<j>\d+)\.attn\.sr\.(?P<p>\w+)',
     'layers.{i0}.1.{j}.attn.sr.{p}', None),
    (r'block(?P<i>\d+)\.(?P<j>\d+)\.attn\.norm\.(?P<p>\w+)',
     'layers.{i0}.1.{j}.attn.norm.{p}', None),
    (r'block(?P<i>\d+)\.(?P<j>\d+)\.norm2\.(?P<p>\w+)',
     'layers.{i0}.1.{j}.norm2.{p}', None),
    (r'block(?P<i>\d+)\.(?P<j>\d+)\.mlp\.fc1\.(?P<p>\w+)',
     'layers.{i0}.1.{j}.ffn.layers.0.{p}', _LINEAR_TO_CONV),
    (r'block(?P<i>\d+)\.(?P<j>\d+)\.mlp\.dwconv\.dwconv\.(?P<p>\w+)',
     'layers.{i0}.1.{j}.ffn.layers.1.{p}', None),
    (r'block(?P<i>\d+)\.(?P<j>\d+)\.mlp\.fc2\.(?P<p>\w+)',
     'layers.{i0}.1.{j}.ffn.layers.4.{p}', _LINEAR_TO_CONV),
    (r'norm(?P<i>\d+)\.(?P<p>\w+)', 'layers.{i0}.2.{p}', None),
]
_Q = re.compile(r'block(?P<i>\d+)\.(?P<j>\d+)\.attn\.q\.(?P<p>weight|bias)')
_KV = re.compile(r'block(?P<i>\d+)\.(?P<j>\d+)\.attn\.kv\.(?P<p>weight|bias)')
_IN_PROJ = re.compile(r'layers\.(?P<i0>\d+)\.1\.(?P<j>\d+)\.attn\.attn\.'
                      r'in_proj_(?P<p>weight|bias)')
_HEAD = re.compile(r'head\.\w+')


def _template_to_regex(template: str) -> re.Pattern:
    """'layers.{i0}.1.{j}.norm1.{p}' -> a regex with named groups."""
    pattern = re.escape(template)
    for name, group in (('i0', r'(?P<i0>\d+)'), ('j', r'(?P<j>\d+)'),
                        ('p', r'(?P<p>\w+)')):
        pattern = pattern.replace(re.escape('{' + name + '}'), group)
    return re.compile(pattern)


def _original_template(pattern: str) -> str:
    """The original-name template of a row: 'block{i}.{j}.norm1.{p}'."""
    out = pattern.replace(r'(?P<i>\d+)', '{i}').replace(r'(?P<j>\d+)', '{j}')
    out = out.replace(r'(?P<p>\w+)', '{p}')
    return out.replace('\\.', '.')


_FORWARD = [(re.compile(p), t, f) for p, t, f in _RENAMES]
_BACKWARD = [(_template_to_regex(t), _original_template(p), f)
             for p, t, f in _RENAMES]


def _to_conv(value: Tensor) -> Tensor:
    return value.reshape(*value.shape, 1, 1) if value.dim() == 2 else value


def _to_linear(value: Tensor) -> Tensor:
    if value.dim() == 4 and value.shape[2:] == (1, 1):
        return value.reshape(value.shape[0], value.shape[1])
    return value


# ---------------------------------------------------------------------------
# Key-level mapping
# ---------------------------------------------------------------------------
def original_key_to_mmseg(key: str) -> Optional[str]:
    """MMSeg name of one original MiT key; ``None`` for keys without a
    one-to-one counterpart (``attn.q``/``attn.kv`` merge into ``in_proj``,
    ``head.*`` is dropped) and for non-MiT keys."""
    for regex, template, _ in _FORWARD:
        match = regex.fullmatch(key)
        if match:
            i = int(match['i'])
            return template.format(i0=i - 1,
                                   j=match.groupdict().get('j'),
                                   p=match['p'])
    return None


def mmseg_key_to_original(key: str) -> Optional[str]:
    """Original name of one MMSeg MiT key; ``None`` for ``in_proj_*`` (it
    splits into ``attn.q`` + ``attn.kv``) and for non-MiT keys."""
    for regex, template, _ in _BACKWARD:
        match = regex.fullmatch(key)
        if match:
            i = int(match['i0']) + 1
            return template.format(i=i,
                                   j=match.groupdict().get('j'),
                                   p=match['p'])
    return None


def is_original_mit_key(key: str) -> bool:
    return bool(
        original_key_to_mmseg(key) or _Q.fullmatch(key) or _KV.fullmatch(key)
        or _HEAD.fullmatch(key))


def is_mmseg_mit_key(key: str) -> bool:
    return bool(mmseg_key_to_original(key) or _IN_PROJ.fullmatch(key))


# ---------------------------------------------------------------------------
# Canonical orders (state-dict order of each implementation)
# ---------------------------------------------------------------------------
_PARAM_ORDER = ('weight', 'bias', 'running_mean', 'running_var',
                'num_batches_tracked')
_ORIGINAL_BLOCK_ORDER = ('norm1', 'attn.q', 'attn.kv', 'attn.proj', 'attn.sr',
                         'attn.norm', 'norm2', 'mlp.fc1', 'mlp.dwconv.dwconv',
                         'mlp.fc2')
_MMSEG_BLOCK_ORDER = ('norm1', 'attn.attn.in_proj_weight',
                      'attn.attn.in_proj_bias', 'attn.attn.out_proj',
                      'attn.sr', 'attn.norm', 'norm2', 'ffn.layers.0',
                      'ffn.layers.1', 'ffn.layers.4')
_LATE = (9, )


def _param_rank(name: str) -> int:
    return _PARAM_ORDER.index(name) if name in _PARAM_ORDER else len(
        _PARAM_ORDER)


def _module_rank(module: str, order: Tuple[str, ...]) -> int:
    return order.index(module) if module in order else len(order)


def original_sort_key(key: str) -> tuple:
    """Order of SegFormer's MiT: patch_embed1..4, then per stage the blocks
    and the stage norm; head last."""
    m = re.fullmatch(r'patch_embed(\d+)\.(proj|norm)\.(\w+)', key)
    if m:
        return (0, int(m[1]), 0, 0, m[2] == 'norm', _param_rank(m[3]))
    m = re.fullmatch(r'block(\d+)\.(\d+)\.(.+)\.(\w+)', key)
    if m:
        return (1, int(m[1]), 0, int(m[2]),
                _module_rank(m[3], _ORIGINAL_BLOCK_ORDER), _param_rank(m[4]))
    m = re.fullmatch(r'norm(\d+)\.(\w+)', key)
    if m:
        return (1, int(m[1]), 1, 0, 0, _param_rank(m[2]))
    return _LATE


def mmseg_sort_key(key: str) -> tuple:
    """Order of MMSeg's MiT: per stage patch embedding, blocks, norm."""
    m = re.fullmatch(r'layers\.(\d+)\.0\.(projection|norm)\.(\w+)', key)
    if m:
        return (0, int(m[1]), 0, 0, m[2] == 'norm', _param_rank(m[3]))
    m = re.fullmatch(r'layers\.(\d+)\.1\.(\d+)\.attn\.attn\.(in_proj_\w+)',
                     key)
    if m:
        return (0, int(m[1]), 1, int(m[2]),
                _module_rank('attn.attn.' + m[3], _MMSEG_BLOCK_ORDER), 0)
    m = re.fullmatch(r'layers\.(\d+)\.1\.(\d+)\.(.+)\.(\w+)', key)
    if m:
        return (0, int(m[1]), 1, int(m[2]),
                _module_rank(m[3], _MMSEG_BLOCK_ORDER), _param_rank(m[4]))
    m = re.fullmatch(r'layers\.(\d+)\.2\.(\w+)', key)
    if m:
        return (0, int(m[1]), 2, 0, 0, _param_rank(m[2]))
    return _LATE


# ---------------------------------------------------------------------------
# State-dict conversion
# ---------------------------------------------------------------------------
def _convert_under_prefix(
        state_dict: Mapping[str, Tensor], prefix: str,
        convert: Callable[[Dict[str, Tensor]], Dict[str, Tensor]],
        sort_key: Callable[[str], tuple]) -> 'OrderedDict[str, Tensor]':
    """Convert the keys under ``prefix`` as one group, sorted by
    ``sort_key`` and placed where the group started; others unchanged."""
    inside = OrderedDict((k[len(prefix):], v) for k, v in state_dict.items()
                         if k.startswith(prefix))
    converted = convert(inside)
    ordered = sorted(converted, key=sort_key)  # stable: unknowns keep order
    out = OrderedDict()
    placed = False
    for key, value in state_dict.items():
        if key.startswith(prefix):
            if not placed:
                for new_key in ordered:
                    out[prefix + new_key] = converted[new_key]
                placed = True
        else:
            out[key] = value
    return out


def _original_to_mmseg(sd: Dict[str, Tensor]) -> Dict[str, Tensor]:
    out = OrderedDict()
    for key, value in sd.items():
        q = _Q.fullmatch(key)
        if q:
            kv_key = key.replace('.attn.q.', '.attn.kv.')
            if kv_key not in sd:
                raise KeyError(f'MiT checkpoint has {key} but not {kv_key}: '
                               'q and kv merge into in_proj_* together')
            new_key = (f'layers.{int(q["i"]) - 1}.1.{q["j"]}.attn.attn.'
                       f'in_proj_{q["p"]}')
            out[new_key] = _cat(value, sd[kv_key])
            continue
        kv = _KV.fullmatch(key)
        if kv:
            if key.replace('.attn.kv.', '.attn.q.') not in sd:
                raise KeyError(f'MiT checkpoint has {key} but not its '
                               'attn.q partner')
            continue  # merged with q
        if _HEAD.fullmatch(key):
            continue  # ImageNet classifier
        for regex, template, transform in _FORWARD:
            match = regex.fullmatch(key)
            if match:
                new_key = template.format(i0=int(match['i']) - 1,
                                          j=match.groupdict().get('j'),
                                          p=match['p'])
                if transform == _LINEAR_TO_CONV and match['p'] == 'weight':
                    value = _to_conv(value)
                out[new_key] = value
                break
        else:
            out[key] = value  # not an MiT key: leave it for the caller
    return out


def _mmseg_to_original(sd: Dict[str, Tensor]) -> Dict[str, Tensor]:
    out = OrderedDict()
    for key, value in sd.items():
        m = _IN_PROJ.fullmatch(key)
        if m:
            if value.shape[0] % 3:
                raise ValueError(f'{key} has {value.shape[0]} rows; in_proj '
                                 'stacks q, k, v (3C rows)')
            channels = value.shape[0] // 3
            stem = f'block{int(m["i0"]) + 1}.{m["j"]}.attn'
            out[f'{stem}.q.{m["p"]}'] = value[:channels].clone()
            out[f'{stem}.kv.{m["p"]}'] = value[channels:].clone()
            continue
        for regex, template, transform in _BACKWARD:
            match = regex.fullmatch(key)
            if match:
                new_key = template.format(i=int(match['i0']) + 1,
                                          j=match.groupdict().get('j'),
                                          p=match['p'])
                if transform == _LINEAR_TO_CONV and match['p'] == 'weight':
                    value = _to_linear(value)
                out[new_key] = value
                break
        else:
            out[key] = value
    return out


def _cat(q: Tensor, kv: Tensor) -> Tensor:
    import torch
    if q.shape[1:] != kv.shape[1:] or kv.shape[0] != 2 * q.shape[0]:
        raise ValueError(f'attn.q {tuple(q.shape)} and attn.kv '
                         f'{tuple(kv.shape)} do not stack into q | k | v')
    return torch.cat([q, kv], dim=0)


def mit_original_to_mmseg(state_dict: Mapping[str, Tensor],
                          prefix: str = '') -> 'OrderedDict[str, Tensor]':
    """Original SegFormer MiT keys under ``prefix`` -> MMSeg 1.x MiT keys.

    ``attn.q`` and ``attn.kv`` merge into ``attn.attn.in_proj_*`` (rows
    q | k | v), the FFN linears become 1x1 convs and ``head.*`` (the
    ImageNet classifier) is dropped. The same function as MMSeg's
    ``tools/model_converters/mit2mmseg.py``, plus a prefix.
    """
    return _convert_under_prefix(state_dict, prefix, _original_to_mmseg,
                                 mmseg_sort_key)


def mit_mmseg_to_original(state_dict: Mapping[str, Tensor],
                          prefix: str = '') -> 'OrderedDict[str, Tensor]':
    """MMSeg 1.x MiT keys under ``prefix`` -> original SegFormer names
    (the exact inverse of :func:`mit_original_to_mmseg` except the dropped
    ``head.*``)."""
    return _convert_under_prefix(state_dict, prefix, _mmseg_to_original,
                                 original_sort_key)


def mit_structure(keys_and_shapes: Mapping[str, Tensor],
                  prefix: str = '') -> Optional[dict]:
    """Stage widths, depths and spatial-reduction ratios of the MiT under
    ``prefix`` (either naming): ``dict(dims, depths, sr_ratios, naming)`` or
    ``None`` when there is no MiT there."""
    dims: Dict[int, int] = {}
    blocks: Dict[int, set] = {}
    srs: Dict[int, int] = {}
    naming = None
    for key, value in keys_and_shapes.items():
        if not key.startswith(prefix):
            continue
        key = key[len(prefix):]
        m = (re.fullmatch(r'patch_embed(\d+)\.proj\.weight', key)
             or re.fullmatch(r'layers\.(\d+)\.0\.projection\.weight', key))
        if m:
            original = key.startswith('patch_embed')
            stage = int(m[1]) - (1 if original else 0)
            dims[stage] = int(value.shape[0])
            naming = naming or ('original' if original else 'mmseg')
            continue
        m = re.match(r'block(\d+)\.(\d+)\.', key)
        if m:
            stage, block = int(m[1]) - 1, int(m[2])
        else:
            m = re.match(r'layers\.(\d+)\.1\.(\d+)\.', key)
            if not m:
                continue
            stage, block = int(m[1]), int(m[2])
        blocks.setdefault(stage, set()).add(block)
        if key.endswith('attn.sr.weight'):
            srs[stage] = int(value.shape[-1])
    if not dims:
        return None
    stages = sorted(set(dims) | set(blocks))
    return dict(dims=tuple(dims.get(s) for s in stages),
                depths=tuple(len(blocks.get(s, ())) for s in stages),
                sr_ratios=tuple(srs.get(s, 1) for s in stages),
                naming=naming)


def count_original_keys(keys: Iterable[str], prefix: str = '') -> int:
    return sum(
        1 for k in keys
        if k.startswith(prefix) and is_original_mit_key(k[len(prefix):]))


def count_mmseg_keys(keys: Iterable[str], prefix: str = '') -> int:
    return sum(1 for k in keys
               if k.startswith(prefix) and is_mmseg_mit_key(k[len(prefix):]))
