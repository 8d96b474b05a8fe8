"""Released weights (issue 6): layouts, conversion, strict loading, MiT init.

The published checkpoints are rebuilt here from docs/checkpoints.md's key
tables and shapes (sections 2 and 5), independently of the converter, with
seeded random values; every tensor is then traced to the model parameter
that must hold it, addressed through the model's modules (not through the
converter's key names).
"""
import argparse
import importlib.util
import logging
import os
import os.path as osp
import re
import warnings
from collections import OrderedDict

import numpy as np
import pytest
import torch
from mmengine.registry import init_default_scope
from mmseg.registry import MODELS
from testkit import ROOT, load_tool, make_batch, tiny_model_cfg

import hfan  # noqa: F401
from hfan.apis import load_config
from hfan.models.checkpoint import (
    DATASET_META,
    CheckpointConversionError,
    CheckpointMismatchError,
    UntrustedCheckpointError,
    check_output_path,
    convert_to_hfan,
    detect_layout,
    load_hfan_checkpoint,
    mit_original_to_mmseg,
    output_meta,
    read_checkpoint,
    read_source,
    save_weights,
    to_float16,
)

init_default_scope('mmseg')
SMALL_REFINE = osp.join(ROOT,
                        'local_configs/hfan/hfan.small.512x512.refine.py')
B0 = dict(dims=(32, 64, 160, 256), depths=(2, 2, 2, 2))
B1 = dict(dims=(64, 128, 320, 512), depths=(2, 2, 2, 2))
B2 = dict(dims=(64, 128, 320, 512), depths=(3, 4, 6, 3))
SR_RATIOS = (8, 4, 2, 1)


# ---------------------------------------------------------------------------
# The published layout, written from docs/checkpoints.md (not from the code)
# ---------------------------------------------------------------------------
def _bn(prefix, channels):
    return [(prefix + n, (channels, ))
            for n in ('weight', 'bias', 'running_mean', 'running_var')
            ] + [(prefix + 'num_batches_tracked', ())]


def mit_rows(dims, depths, head=False):
    """Section 2.1 (and 5 for the ImageNet classifier): (key, shape)."""
    rows = []
    for i in range(1, 5):
        c, c_in = dims[i - 1], 3 if i == 1 else dims[i - 2]
        k = 7 if i == 1 else 3
        rows += [(f'patch_embed{i}.proj.weight', (c, c_in, k, k)),
                 (f'patch_embed{i}.proj.bias', (c, )),
                 (f'patch_embed{i}.norm.weight', (c, )),
                 (f'patch_embed{i}.norm.bias', (c, ))]
    for i in range(1, 5):
        c, sr = dims[i - 1], SR_RATIOS[i - 1]
        for j in range(depths[i - 1]):
            b = f'block{i}.{j}.'
            rows += [(b + 'norm1.weight', (c, )), (b + 'norm1.bias', (c, )),
                     (b + 'attn.q.weight', (c, c)), (b + 'attn.q.bias', (c, )),
                     (b + 'attn.kv.weight', (2 * c, c)),
                     (b + 'attn.kv.bias', (2 * c, )),
                     (b + 'attn.proj.weight', (c, c)),
                     (b + 'attn.proj.bias', (c, ))]
            if sr > 1:
                rows += [(b + 'attn.sr.weight', (c, c, sr, sr)),
                         (b + 'attn.sr.bias', (c, )),
                         (b + 'attn.norm.weight', (c, )),
                         (b + 'attn.norm.bias', (c, ))]
            rows += [(b + 'norm2.weight', (c, )), (b + 'norm2.bias', (c, )),
                     (b + 'mlp.fc1.weight', (4 * c, c)),
                     (b + 'mlp.fc1.bias', (4 * c, )),
                     (b + 'mlp.dwconv.dwconv.weight', (4 * c, 1, 3, 3)),
                     (b + 'mlp.dwconv.dwconv.bias', (4 * c, )),
                     (b + 'mlp.fc2.weight', (c, 4 * c)),
                     (b + 'mlp.fc2.bias', (c, ))]
        rows += [(f'norm{i}.weight', (c, )), (f'norm{i}.bias', (c, ))]
    if head:
        rows += [('head.weight', (1000, dims[3])), ('head.bias', (1000, ))]
    return rows


def _conv_act(prefix, c_out, c_in):  # ConvModule without norm: has a bias
    return [(prefix + 'conv.weight', (c_out, c_in, 1, 1)),
            (prefix + 'conv.bias', (c_out, ))]


def _conv_bn(prefix, c_out, c_in):  # ConvModule with BN: no conv bias
    return [(prefix + 'conv.weight',
             (c_out, c_in, 1, 1))] + _bn(prefix + 'bn.', c_out)


def fusion_rows(method, s, c, inner=16):
    """Section 2.3/2.4: the ``{method}{s}.`` module of one stage."""
    p = f'decode_head.{method}{s}.'
    ca = (_conv_act(p + 'ca_layers.0.', inner, c) +
          _bn(p + 'ca_layers.1.', inner) +
          _conv_act(p + 'ca_layers.3.', c, inner) + _bn(p + 'ca_layers.4.', c))
    pa = (_conv_act(p + 'pa_layers.1.', inner, c) +
          _bn(p + 'pa_layers.2.', inner) +
          _conv_act(p + 'pa_layers.4.', c, inner) + _bn(p + 'pa_layers.5.', c))
    poc = (_conv_bn(p + 'poc.key_project.0.', inner, c) +
           _conv_bn(p + 'poc.key_project.1.', inner, inner) +
           _conv_bn(p + 'poc.query_project.0.', inner, c) +
           _conv_bn(p + 'poc.query_project.1.', inner, inner) +
           _conv_bn(p + 'poc.value_project.', inner, c) +
           _conv_bn(p + 'poc.out_project.', c, inner) +
           _conv_bn(p + 'poc.bottleneck.', c, 2 * c))
    pred = [(p + 'object_pred.conv.weight', (2, c, 1, 1)),
            (p + 'object_pred.conv.bias', (2, ))]
    return {
        'hfan': ca + pa + poc + pred,
        'fam': poc + pred,
        'fat': ca + pa,
    }.get(method, [])


def published_rows(method, arch=B1, embed=256, conv_seg=True):
    rows = [('backbone.backbone.' + k, s)
            for k, s in mit_rows(arch['dims'], arch['depths'])]
    if conv_seg:  # section 2.2: mmseg-0.11's unused classifier
        rows += [('decode_head.conv_seg.weight', (2, 128, 1, 1)),
                 ('decode_head.conv_seg.bias', (2, ))]
    for s in (4, 3, 2, 1):
        rows += [(f'decode_head.linear_c{s}.proj.weight',
                  (embed, arch['dims'][s - 1])),
                 (f'decode_head.linear_c{s}.proj.bias', (embed, ))]
    rows += [('decode_head.linear_fuse.conv.weight', (embed, 4 * embed, 1, 1))]
    rows += _bn('decode_head.linear_fuse.bn.', embed)
    rows += [('decode_head.linear_pred.weight', (2, embed, 1, 1)),
             ('decode_head.linear_pred.bias', (2, ))]
    for s in range(1, 5):
        rows += fusion_rows(method, s, arch['dims'][s - 1])
    return rows


def make_tensors(rows, seed=0, zeros=False):
    g = torch.Generator().manual_seed(seed)
    out = OrderedDict()
    for key, shape in rows:
        if key.endswith('num_batches_tracked'):
            out[key] = torch.tensor(
                int(torch.randint(0, 9999, (), generator=g)))
        elif zeros:
            out[key] = torch.zeros(shape)
        elif key.endswith('running_var'):
            out[key] = 0.5 + torch.rand(shape, generator=g)
        elif key.endswith('.weight') and len(shape) == 1:  # LN / BN scales
            out[key] = 1 + 0.1 * torch.randn(shape, generator=g)
        else:
            out[key] = 0.05 * torch.randn(shape, generator=g)
    return out


def published_meta(method='hfan'):
    return dict(
        seed=np.int64(1208),  # numpy scalar: weights_only needs an allowlist
        CLASSES=('Background', 'Foreground'),
        PALETTE=[[0, 0, 0], [255, 0, 0]],
        mmseg_version='0.11.0',
        config=f"model = dict(decode_head=dict(select_method='{method}'))",
        iter=4000)


def n_params(rows):
    return sum(
        int(np.prod(s)) for k, s in rows
        if not k.endswith(('running_mean', 'running_var',
                           'num_batches_tracked')))


# ---------------------------------------------------------------------------
# Where each published tensor must land, through the model's modules
# ---------------------------------------------------------------------------
def _walk(module, path):
    for name in path.split('.'):
        module = module[int(name)] if name.isdigit() else getattr(module, name)
    return module


def destination(model, key):
    """(model tensor, view of it that must equal the published tensor)."""
    mit = model.backbone.backbone
    head = model.decode_head
    parts = key.split('.')
    if key.startswith('backbone.backbone.'):
        k = key[len('backbone.backbone.'):]
        name = k.split('.')
        if name[0].startswith('patch_embed'):
            i = int(name[0][len('patch_embed'):]) - 1
            sub = {'proj': 'projection', 'norm': 'norm'}[name[1]]
            t = getattr(getattr(mit.layers[i][0], sub), name[2])
            return t, t
        if name[0].startswith('norm'):
            t = getattr(mit.layers[int(name[0][4:]) - 1][2], name[1])
            return t, t
        i, j = int(name[0][len('block'):]) - 1, int(name[1])
        block = mit.layers[i][1][j]
        rest, param = '.'.join(name[2:-1]), name[-1]
        c = mit.embed_dims * mit.num_heads[i]
        if rest == 'attn.q':
            t = getattr(block.attn.attn, f'in_proj_{param}')
            return t, t[:c]
        if rest == 'attn.kv':
            t = getattr(block.attn.attn, f'in_proj_{param}')
            return t, t[c:]
        module = _walk(
            block, {
                'norm1': 'norm1',
                'norm2': 'norm2',
                'attn.proj': 'attn.attn.out_proj',
                'attn.sr': 'attn.sr',
                'attn.norm': 'attn.norm',
                'mlp.fc1': 'ffn.layers.0',
                'mlp.dwconv.dwconv': 'ffn.layers.1',
                'mlp.fc2': 'ffn.layers.4'
            }[rest])
        t = getattr(module, param)
        if rest in ('mlp.fc1', 'mlp.fc2') and param == 'weight':
            return t, t[:, :, 0, 0]  # Linear (out, in) -> 1x1 conv
        return t, t
    assert parts[0] == 'decode_head', key
    if parts[1].startswith('linear_c'):
        t = getattr(head.projections[int(parts[1][-1]) - 1], parts[3])
        return t, (t[:, :, 0, 0] if parts[3] == 'weight' else t)
    if parts[1] == 'linear_fuse':
        t = _walk(head.fusion_conv, '.'.join(parts[2:]))
        return t, t
    if parts[1] == 'linear_pred':
        t = getattr(head.conv_seg, parts[2])
        return t, t
    method, s = parts[1][:-1], int(parts[1][-1])
    fusion = head.fusions[s - 1]
    if method == 'hfan':
        where = dict(ca_layers=fusion.adaptation.local_branch,
                     pa_layers=fusion.adaptation.global_branch,
                     poc=fusion.alignment.object_context,
                     object_pred=fusion.alignment.object_pred)
    elif method == 'fam':
        where = dict(poc=fusion.object_context, object_pred=fusion.object_pred)
    else:
        assert method == 'fat', key
        where = dict(ca_layers=fusion.local_branch,
                     pa_layers=fusion.global_branch)
    t = _walk(where[parts[2]], '.'.join(parts[3:]))
    return t, t


def assert_every_tensor_placed(model,
                               source,
                               skip=('decode_head.conv_seg.', ),
                               scope=''):
    """Each source tensor equals its model destination, and every model
    tensor (under ``scope``) is covered (q and kv share in_proj; the
    published conv_seg is dropped)."""
    names = {
        id(t): n
        for n, t in model.state_dict(keep_vars=True).items()
        if n.startswith(scope)
    }
    covered = {}
    for key, value in source.items():
        if key.startswith(skip):
            continue
        tensor, view = destination(model, key)
        assert tuple(view.shape) == tuple(value.shape), key
        assert torch.equal(view.detach(), value), f'{key} not in place'
        covered.setdefault(names[id(tensor)], []).append(key)
    assert set(covered) == set(names.values()), (set(names.values())
                                                 ^ set(covered))
    merged = [k for k, v in covered.items() if len(v) > 1]
    assert all(k.endswith(('in_proj_weight', 'in_proj_bias')) for k in merged)


def tiny_model(method, embed=32):
    return MODELS.build(tiny_model_cfg(method, channels=embed)).eval()


# ---------------------------------------------------------------------------
# The generator against the documented counts (section 2.4), read back by
# the project's layout detection
# ---------------------------------------------------------------------------
def test_detect_layout_on_documented_checkpoints():
    documented = [  # (method, MiT, E, entries, params incl. conv_seg)
        ('hfan', B1, 256, 482, 14_594_508), ('im', B1, 256, 194, 13_678_020),
        ('fw', B1, 256, 194, 13_678_020), ('base', B1, 256, 194, 13_678_020),
        ('fam', B1, 256, 370, 14_522_444), ('fat', B1, 256, 306, 13_750_084),
        ('hfan', B2, 768, 638, 28_264_908)
    ]
    for method, arch, embed, entries, params in documented:
        rows = published_rows(method, arch, embed=embed)
        assert (len(rows), n_params(rows)) == (entries, params), method
        layout = detect_layout(make_tensors(rows, zeros=True))
        assert layout.kind == 'hfan_published', method
        assert layout.variant() == (method if method in ('fam', 'fat', 'hfan')
                                    else 'im/fw/base')
        assert layout.mit_arch == ('b1' if arch is B1 else 'b2')
        assert (layout.mit_dims, layout.mit_depths) == (arch['dims'],
                                                        arch['depths'])
        assert layout.embed_dim == embed and layout.num_tensors == entries
        assert layout.unused == ('decode_head.conv_seg.weight',
                                 'decode_head.conv_seg.bias')
    # SegFormer's ImageNet file (section 5): 176 MiT tensors + the classifier
    rows = mit_rows(**B1, head=True)
    assert (len(rows), n_params(rows)) == (178, 13_664_424)
    layout = detect_layout(make_tensors(rows, zeros=True))
    assert (layout.kind, layout.mit_arch) == ('mit_original', 'b1')
    assert layout.is_backbone_only and layout.backbone_naming == 'original'


# ---------------------------------------------------------------------------
# published -> model: every tensor in its place, all six variants
# ---------------------------------------------------------------------------
@pytest.mark.parametrize(
    'method,conv_seg',
    # with and without the unused conv_seg, each for a parameter-free, a
    # one-module and the full fusion
    [('im', True), ('fw', False), ('base', False), ('fam', True),
     ('fat', False), ('hfan', True), ('hfan', False)])
def test_published_checkpoint_loads_into_model(method, conv_seg, tmp_path):
    source = make_tensors(published_rows(method,
                                         B0,
                                         embed=32,
                                         conv_seg=conv_seg),
                          seed=1)
    path = str(tmp_path / f'{method}-converted.pth')
    torch.save(dict(meta=published_meta(method), state_dict=source), path)
    layout = detect_layout(source)
    assert layout.kind == 'hfan_published'
    assert layout.mit_arch == 'b0' and layout.embed_dim == 32
    assert layout.select_method == (method if method in ('fam', 'fat',
                                                         'hfan') else None)
    model = tiny_model(method)
    with warnings.catch_warnings():
        warnings.simplefilter('error')  # numpy meta needs no full unpickling
        ckpt = load_hfan_checkpoint(model, path, strict=True)
    assert ckpt['meta']['CLASSES'] == ('Background', 'Foreground')
    assert_every_tensor_placed(model, source)
    # no key left unused: the converted dict is the model's key set exactly
    conversion = convert_to_hfan(source)
    assert set(conversion.state_dict) == set(model.state_dict())
    assert conversion.dropped == (('decode_head.conv_seg.weight',
                                   'decode_head.conv_seg.bias')
                                  if conv_seg else ())


def test_container_variants_and_module_prefix():
    source = make_tensors(published_rows('fat', B0, embed=32), seed=3)
    model = tiny_model('fat')
    for container in (source, dict(state_dict=source,
                                   optimizer={}), dict(model=source),
                      OrderedDict(
                          ('module.' + k, v) for k, v in source.items())):
        load_hfan_checkpoint(model, container)
        assert_every_tensor_placed(model, source)


# ---------------------------------------------------------------------------
# The tool, init_model and mmengine's loaders
# ---------------------------------------------------------------------------
def _tool():
    return load_tool('convert_checkpoint')


def test_tool_init_model_and_load_checkpoint_agree(tmp_path, capsys):
    from mmengine.runner import load_checkpoint
    from mmseg.apis import init_model
    source = make_tensors(published_rows('hfan', B1, embed=256), seed=4)
    src = str(tmp_path / 'HFAN-s-converted.pth')
    dst = str(tmp_path / 'hfan_small.pth')
    torch.save(dict(meta=published_meta('hfan'), state_dict=source), src)
    tool = _tool()
    assert tool.main([src, dst, '--config', SMALL_REFINE]) == 0
    out = capsys.readouterr().out
    assert 'published HFAN checkpoint' in out and 'MiT-b1' in out
    assert 'select_method=hfan' in out and '482 tensors' in out
    # 482 - the unused conv_seg (2) - 8 blocks x (kv weight, kv bias) merged
    # into in_proj with q
    assert 'wrote' in out and '464 tensors' in out

    written = torch.load(dst, map_location='cpu', weights_only=True)
    assert written['meta']['dataset_meta']['classes'] == ('Background',
                                                          'Foreground')
    via_tool = init_model(SMALL_REFINE, dst, device='cpu')
    assert set(written['state_dict']) == set(via_tool.state_dict())
    via_tool.load_state_dict(written['state_dict'], strict=True)
    direct = init_model(SMALL_REFINE, src, device='cpu')  # published file
    assert_every_tensor_placed(direct, source)
    # what the Runner's load_from calls, strict: no key left over
    load_checkpoint(direct, src, map_location='cpu', strict=True)

    x = torch.randn(1, 6, 64, 64, generator=torch.Generator().manual_seed(0))
    with torch.no_grad():
        outs = [m.eval()._forward(x) for m in (via_tool, direct)]
    assert outs[0].shape == (1, 2, 16, 16) and torch.isfinite(outs[0]).all()
    torch.testing.assert_close(outs[0], outs[1], rtol=0, atol=0)


def test_tool_fp16_halves_floats_and_still_loads(tmp_path):
    source = make_tensors(published_rows('fam', B1, embed=256), seed=5)
    src = str(tmp_path / 'FAM-converted.pth')
    dst = str(tmp_path / 'fam_fp16.pth')
    torch.save(dict(meta=published_meta('fam'), state_dict=source), src)
    assert _tool().main([src, dst, '--fp16']) == 0
    written = torch.load(dst, map_location='cpu', weights_only=True)
    dtypes = {v.dtype for v in written['state_dict'].values()}
    assert dtypes == {torch.float16, torch.int64}  # + num_batches_tracked
    model = MODELS.build(
        load_config(SMALL_REFINE,
                    {'model.decode_head.select_method': 'fam'}).model)
    load_hfan_checkpoint(model, dst, strict=True)
    weight = model.decode_head.fusions[0].object_pred.conv.weight
    assert weight.dtype == torch.float32
    expected = source['decode_head.fam1.object_pred.conv.weight']
    torch.testing.assert_close(weight, expected.half().float())


def test_runner_load_from_accepts_published_layout(tmp_path):
    """``load_from`` in a config: mmengine's Runner, through the pre-hook."""
    from mmengine.runner import Runner
    source = make_tensors(published_rows('fat', B0, embed=32), seed=7)
    path = str(tmp_path / 'FAT-converted.pth')
    torch.save(dict(meta=published_meta('fat'), state_dict=source), path)
    runner = Runner(model=tiny_model_cfg('fat'),
                    work_dir=str(tmp_path / 'work'),
                    load_from=path,
                    default_scope='mmseg')
    runner.load_or_resume()
    assert_every_tensor_placed(runner.model, source)


def test_tool_refuses_mismatched_config(tmp_path, capsys):
    source = make_tensors(published_rows('fam', B0, embed=32), zeros=True)
    src = str(tmp_path / 'FAM-converted.pth')
    torch.save(source, src)
    assert _tool().main(
        [src, str(tmp_path / 'x.pth'), '--config', SMALL_REFINE]) == 2
    err = capsys.readouterr().err
    assert "select_method='fam'" in err and 'MiT-b0' in err
    assert not osp.exists(tmp_path / 'x.pth')


# ---------------------------------------------------------------------------
# The converter's steps (hfan.models.checkpoint.conversion)
# ---------------------------------------------------------------------------
def test_output_meta_is_plain_and_keeps_the_source_classes(tmp_path):
    source = make_tensors(published_rows('fat', B0, embed=32), zeros=True)
    checkpoint = dict(meta=published_meta('fat'), state_dict=source)
    layout = detect_layout(source)
    meta = output_meta(checkpoint, layout, '/weights/FAT-converted.pth')
    assert meta == dict(
        converted_from='FAT-converted.pth', source_layout='hfan_published',
        hfan_layout='hfan', select_method='fat', mit_arch='b0', embed_dim=32,
        dataset_meta=dict(classes=('Background', 'Foreground'),
                          palette=[[0, 0, 0], [255, 0, 0]]),
        source_config=published_meta('fat')['config'])
    # what weights-only loading accepts, with no allowlist
    path = str(tmp_path / 'meta.pth')
    save_weights(path, {'w': torch.zeros(1)}, meta)
    loaded = torch.load(path, map_location='cpu', weights_only=True)
    assert loaded['meta'] == meta and list(loaded) == ['meta', 'state_dict']
    # a numpy scalar in the source's own dataset_meta becomes a Python value
    odd = dict(meta=dict(dataset_meta=dict(classes=['bg', np.str_('fg')],
                                           palette=[[np.int64(1), 2, 3]])))
    meta = output_meta(odd, layout, 'x.pth')
    assert meta['dataset_meta'] == dict(classes=('bg', 'fg'),
                                        palette=[[1, 2, 3]])
    assert type(meta['dataset_meta']['palette'][0][0]) is int
    # nothing about classes in the source: background / foreground
    bare = output_meta(source, layout, 'x.pth')
    assert bare['dataset_meta'] == dict(
        classes=DATASET_META['classes'], palette=DATASET_META['palette'])
    assert 'source_config' not in bare


def test_output_meta_of_a_bare_mit():
    raw = make_tensors(mit_rows(**B0, head=True), zeros=True)
    layout = detect_layout(raw)
    meta = output_meta(raw, layout, 'mit_b0.pth')
    assert meta['hfan_layout'] == 'mit_mmseg'
    assert meta['source_layout'] == 'mit_original'
    assert meta['mit_arch'] == 'b0'


def test_output_path_may_not_be_the_source_or_a_folder(tmp_path):
    src = tmp_path / 'a.pth'
    src.write_bytes(b'x')
    (tmp_path / 'hard.pth').hardlink_to(src)
    (tmp_path / 'soft.pth').symlink_to(src)
    for dst in (src, tmp_path / 'hard.pth', tmp_path / 'soft.pth',
                tmp_path / '.' / 'a.pth'):
        with pytest.raises(CheckpointConversionError, match='overwrite'):
            check_output_path(str(src), str(dst))
    with pytest.raises(CheckpointConversionError,
                       match='is a folder.*' + re.escape(str(tmp_path /
                                                             'a.pth'))):
        check_output_path(str(src), str(tmp_path))
    check_output_path(str(src), str(tmp_path / 'b.pth'))


def test_read_source_refuses_what_is_no_hfan_model(tmp_path):
    path = str(tmp_path / 'x.pth')
    torch.save([torch.zeros(1)], path)
    with pytest.raises(CheckpointConversionError, match='holds a list'):
        read_source(path)
    torch.save(dict(meta=dict(iter=3)), path)
    with pytest.raises(CheckpointConversionError,
                       match='not a model checkpoint'):
        read_source(path)
    torch.save(dict(state_dict={'fc.weight': torch.zeros(2, 2)}), path)
    with pytest.raises(CheckpointConversionError,
                       match='not an HFAN checkpoint.*fc.weight'):
        read_source(path)
    source = make_tensors(published_rows('fam', B0, embed=32), zeros=True)
    torch.save(dict(state_dict=source), path)
    checkpoint, state_dict, layout = read_source(path)
    assert list(state_dict) == list(source)
    assert (layout.kind, layout.select_method) == ('hfan_published', 'fam')


def test_float16_keeps_integer_tensors():
    state = dict(w=torch.ones(2), n=torch.tensor(7))
    half = to_float16(state)
    assert half['w'].dtype == torch.float16 and half['n'].dtype == torch.int64
    assert state['w'].dtype == torch.float32  # the input is not changed


def test_save_weights_is_all_or_nothing(tmp_path, monkeypatch):
    path = tmp_path / 'out.pth'
    save_weights(str(path), {'w': torch.ones(1)}, {})
    before = path.read_bytes()

    def broken_save(obj, f):
        with open(f, 'wb') as out:
            out.write(b'half')
        raise KeyboardInterrupt

    monkeypatch.setattr(torch, 'save', broken_save)
    with pytest.raises(KeyboardInterrupt):
        save_weights(str(path), {'w': torch.zeros(1)}, {})
    assert path.read_bytes() == before
    assert sorted(os.listdir(tmp_path)) == ['out.pth']


# ---------------------------------------------------------------------------
# Mismatch messages
# ---------------------------------------------------------------------------
def test_medium_checkpoint_into_small_config_names_the_cause():
    source = make_tensors(published_rows('hfan', B2, embed=768), zeros=True)
    model = MODELS.build(load_config(SMALL_REFINE).model)
    with pytest.raises(CheckpointMismatchError) as info:
        load_hfan_checkpoint(model, source)
    message = str(info.value)
    assert 'MiT-b2 (dims 64,128,320,512, depths 3,4,6,3)' in message
    assert 'use the medium config' in message
    assert 'hfan.medium.512x512.refine.py' in message
    assert 'embed dim 768 in the checkpoint vs 256' in message
    assert 'unexpected in the checkpoint' in message  # b2's extra blocks
    assert 'shape mismatch' in message


def test_fam_checkpoint_into_hfan_config_names_the_cause():
    source = make_tensors(published_rows('fam', B0, embed=32), zeros=True)
    with pytest.raises(CheckpointMismatchError) as info:
        load_hfan_checkpoint(tiny_model('hfan'), source)
    message = str(info.value)
    assert "this checkpoint has fam{s} modules: select_method='fam'" in message
    assert "built with select_method='hfan'" in message
    # an im/fw/base file into an hfan model, told apart by its meta
    base = make_tensors(published_rows('im', B0, embed=32), zeros=True)
    with pytest.raises(CheckpointMismatchError,
                       match='no fusion modules.*'
                       "meta says select_method='im'"):
        load_hfan_checkpoint(tiny_model('hfan'),
                             dict(meta=published_meta('im'), state_dict=base))
    with pytest.warns(UserWarning, match="select_method='im'"):
        load_hfan_checkpoint(tiny_model('base'),
                             dict(meta=published_meta('im'), state_dict=base))


def test_backbone_only_file_is_refused_with_advice():
    raw = make_tensors(mit_rows(**B0, head=True), zeros=True)
    with pytest.raises(CheckpointMismatchError, match='mit_b0.pth'):
        load_hfan_checkpoint(tiny_model('hfan'), raw)


def test_non_strict_load_reports_and_loads_the_rest(caplog):
    """A fam checkpoint into an hfan model, non-strict: the report names the
    keys on each side and the cause; every tensor that fits is loaded and
    the hfan fusion weights keep their initial values."""
    source = make_tensors(published_rows('fam', B0, embed=32), seed=5)
    model = tiny_model('hfan')
    before = {k: v.clone() for k, v in model.state_dict().items()}
    logger = logging.getLogger('test_checkpoint.non_strict')
    with caplog.at_level(logging.WARNING, logger=logger.name):
        load_hfan_checkpoint(model, source, strict=False, logger=logger)
    report = '\n'.join(r.getMessage() for r in caplog.records
                       if r.levelno >= logging.WARNING)
    assert "this checkpoint has fam{s} modules: select_method='fam'" in report
    fusion = [k for k in before if k.startswith('decode_head.fusions.')]
    missing = [k for k in fusion if not k.endswith('num_batches_tracked')]
    assert f'{len(missing)} key(s) missing in the checkpoint' in report
    assert 'decode_head.fusions.0.alignment.object_pred.conv.weight' in report
    unexpected = [k for k in source if k.startswith('decode_head.fam')]
    assert f'{len(unexpected)} key(s) unexpected in the checkpoint' in report
    assert ('decode_head.fusions.0.object_context.key_project.0.conv.weight'
            in report)  # fam1.poc.key_project.0, the first one listed
    # loaded: the backbone and the decoder, tensor by tensor
    for key, value in source.items():
        if not key.startswith(('decode_head.fam', 'decode_head.conv_seg.')):
            assert torch.equal(destination(model, key)[1].detach(), value), key
    # not loaded: the hfan fusion weights (and counters) are what they were
    after = model.state_dict()
    assert all(torch.equal(after[k], before[k]) for k in fusion)


def test_segformer_checkpoint_is_not_taken_for_hfan(tmp_path):
    """A plain MMSeg SegFormer model shares ``fusion_conv`` with HFAN's head;
    it is recognised as SegFormer, refused with advice, and its MiT can
    initialise HFAN's backbone as the advice says."""
    segformer = MODELS.build(
        dict(type='EncoderDecoder',
             backbone=dict(type='MixVisionTransformer', embed_dims=32,
                           num_layers=[2, 2, 2, 2], num_heads=[1, 2, 5, 8]),
             decode_head=dict(type='SegformerHead',
                              in_channels=[32, 64, 160, 256],
                              in_index=[0, 1, 2, 3], channels=32,
                              num_classes=2)))
    state = segformer.state_dict()
    assert any(k.startswith('decode_head.fusion_conv.') for k in state)
    layout = detect_layout(state)
    assert (layout.kind, layout.mit_arch, layout.embed_dim) == ('segformer',
                                                                'b0', 32)
    assert 'SegFormer' in layout.describe()
    own = detect_layout(tiny_model('hfan').state_dict())
    assert (own.kind, own.select_method, own.mit_arch) == ('hfan', 'hfan',
                                                           'b0')
    with pytest.raises(CheckpointMismatchError) as info:
        load_hfan_checkpoint(tiny_model('hfan'), state)
    assert 'plain SegFormer segmentor' in str(info.value)
    assert "prefix='backbone.'" in str(info.value)
    path = str(tmp_path / 'segformer.pth')
    torch.save(dict(state_dict=state), path)
    model = _model_with_mit_init(path)
    model.backbone.backbone.init_cfg['prefix'] = 'backbone.'
    model.init_weights()
    mit = model.backbone.backbone.state_dict()
    assert all(torch.equal(mit[k], state['backbone.' + k]) for k in mit)


# ---------------------------------------------------------------------------
# ImageNet MiT initialisation through init_cfg
# ---------------------------------------------------------------------------
def _mit2mmseg():
    import mmseg
    path = osp.join(osp.dirname(mmseg.__file__), '.mim', 'tools',
                    'model_converters', 'mit2mmseg.py')
    if not osp.isfile(path):
        pytest.skip('mmseg ships no mit2mmseg.py here')
    spec = importlib.util.spec_from_file_location('mit2mmseg', path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.convert_mit


def _model_with_mit_init(path, method='base'):
    cfg = tiny_model_cfg(method)
    cfg.backbone.backbone.init_cfg = dict(type='Pretrained', checkpoint=path)
    return MODELS.build(cfg)


def test_imagenet_mit_file_initialises_backbone(tmp_path):
    raw = make_tensors(mit_rows(**B0, head=True), seed=6)  # SegFormer file
    path = str(tmp_path / 'mit_b0.pth')
    torch.save(raw, path)
    model = _model_with_mit_init(path)
    model.init_weights()
    backbone_keys = OrderedDict(('backbone.backbone.' + k, v)
                                for k, v in raw.items()
                                if not k.startswith('head.'))
    assert_every_tensor_placed(model, backbone_keys, scope='backbone.')

    # MMSeg's own converter agrees with ours, and its output loads too
    convert_mit = _mit2mmseg()
    theirs = convert_mit(raw)
    ours = mit_original_to_mmseg(raw)
    assert set(theirs) == set(ours)
    assert all(torch.equal(theirs[k], ours[k]) for k in ours)
    mmseg_path = str(tmp_path / 'mit_b0_mmseg.pth')
    torch.save(theirs, mmseg_path)
    other = _model_with_mit_init(mmseg_path)
    other.init_weights()
    mit_a = model.backbone.backbone.state_dict()
    mit_b = other.backbone.backbone.state_dict()
    assert all(torch.equal(mit_a[k], mit_b[k]) for k in mit_a)


def test_missing_or_wrong_mit_file(tmp_path):
    missing = str(tmp_path / 'checkpoint' / 'mit_b0.pth')
    model = _model_with_mit_init(missing)  # building needs no file
    with pytest.raises(FileNotFoundError) as info:
        model.init_weights()
    assert 'mit_b0.pth' in str(info.value)
    assert 'SegFormer' in str(info.value) and 'checkpoint/' in str(info.value)
    b1 = str(tmp_path / 'mit_b1.pth')
    torch.save(make_tensors(mit_rows(**B1, head=True), zeros=True), b1)
    with pytest.raises(CheckpointMismatchError, match='looks like an MiT-b1'):
        _model_with_mit_init(b1).init_weights()


# ---------------------------------------------------------------------------
# File reading: weights only, unless the caller trusts the file
# ---------------------------------------------------------------------------
def _pickled_meta(path, tensors):
    """A checkpoint whose meta needs a full unpickling (a Namespace)."""
    torch.save(dict(meta=dict(args=argparse.Namespace(lr=1)),
                    state_dict=tensors), path)
    return str(path)


def test_read_checkpoint_weights_only_or_refused(tmp_path):
    from mmengine.logging import MessageHub
    tensors = make_tensors(mit_rows(**B0)[:4])
    plain = tmp_path / 'plain.pth'  # numpy scalars in meta: allowed
    hub = MessageHub.get_instance('test_read_checkpoint')
    hub.update_scalar('train/loss', np.float32(0.5))  # mmengine's own files
    torch.save(dict(meta=published_meta(), message_hub=hub.state_dict(),
                    state_dict=tensors), plain)
    with warnings.catch_warnings():
        warnings.simplefilter('error')
        assert read_checkpoint(str(plain))['meta']['seed'] == 1208
    odd = _pickled_meta(tmp_path / 'odd.pth', tensors)
    with pytest.raises(UntrustedCheckpointError) as info:
        read_checkpoint(odd)
    message = str(info.value)
    assert odd in message and 'argparse.Namespace' in message
    assert 'tools/convert_checkpoint.py' in message
    assert '--trust-checkpoint' in message and 'trust=True' in message
    with pytest.warns(UserWarning, match='trusted'):
        assert read_checkpoint(odd, trust=True)['meta']['args'].lr == 1
    with pytest.raises(FileNotFoundError, match='checkpoint/README.md'):
        read_checkpoint(str(tmp_path / 'HFAN-s-converted.pth'))
    with pytest.raises(ValueError, match='never downloads'):
        read_checkpoint('https://example.com/mit_b1.pth')


def test_untrusted_files_refused_by_loaders_and_converted_by_tool(
        tmp_path, capsys):
    source = make_tensors(published_rows('fat', B0, embed=32), seed=8)
    odd = _pickled_meta(tmp_path / 'FAT-converted.pth', source)
    with pytest.raises(UntrustedCheckpointError, match='FAT-converted.pth'):
        load_hfan_checkpoint(tiny_model('fat'), odd)
    model = tiny_model('fat')
    with pytest.warns(UserWarning, match='trusted'):
        load_hfan_checkpoint(model, odd, trust=True)
    assert_every_tensor_placed(model, source)
    # the tool: refused without the flag, a weights-only copy with it
    tool, dst = _tool(), str(tmp_path / 'fat.pth')
    assert tool.main([odd, dst]) == 1
    assert '--trust-checkpoint' in capsys.readouterr().err
    assert not osp.exists(dst)
    with pytest.warns(UserWarning, match='trusted'):
        assert tool.main([odd, dst, '--trust-checkpoint']) == 0
    model = tiny_model('fat')
    with warnings.catch_warnings():
        warnings.simplefilter('error')
        load_hfan_checkpoint(model, dst)
    assert_every_tensor_placed(model, source)
    # the same for an ImageNet MiT file named by init_cfg
    raw = make_tensors(mit_rows(**B0, head=True), seed=9)
    mit = str(tmp_path / 'mit_b0.pth')
    torch.save(dict(meta=dict(args=argparse.Namespace()), state_dict=raw),
               mit)
    with pytest.raises(UntrustedCheckpointError, match='mit_b0.pth'):
        _model_with_mit_init(mit).init_weights()
    with pytest.warns(UserWarning, match='trusted'):
        assert tool.main([mit, mit + '.mmseg', '--trust-checkpoint']) == 0
    model = _model_with_mit_init(mit + '.mmseg')
    model.init_weights()
    backbone = OrderedDict(('backbone.backbone.' + k, v)
                           for k, v in raw.items() if not k.startswith('head'))
    assert_every_tensor_placed(model, backbone, scope='backbone.')


# ---------------------------------------------------------------------------
# ResNet-101 and Swin-T dual-stream configs
# ---------------------------------------------------------------------------
@pytest.mark.parametrize('name,channels', [
    ('hfan.r101.512x512.refine.py', [256, 512, 1024, 2048]),
    ('hfan.swin-t.512x512.refine.py', [96, 192, 384, 768]),
])
def test_other_backbones_build_and_train_step(name, channels, tmp_path):
    cfg = load_config(osp.join(ROOT, 'local_configs/hfan', name))
    assert cfg.model.decode_head.in_channels == channels
    cfg.model.data_preprocessor.size = (64, 64)  # not the 512 training crop
    init_cfg = cfg.model.backbone.backbone.init_cfg
    assert init_cfg.type == 'Pretrained'
    assert init_cfg.checkpoint.startswith('checkpoint/')
    # MMSeg's own backbones: a missing ImageNet file fails at init_weights
    # (naming the path), never at build
    missing = str(tmp_path / 'checkpoint' / osp.basename(init_cfg.checkpoint))
    init_cfg.checkpoint = missing
    torch.manual_seed(0)
    model = MODELS.build(cfg.model)
    with pytest.raises(FileNotFoundError, match=re.escape(missing)):
        model.backbone.backbone.init_weights()
    model.train()
    # batch 2: FAT's pooled branch has a BN over (B, C, 1, 1)
    data = model.data_preprocessor(make_batch(batch=2), training=True)
    assert data['inputs'].shape == (2, 6, 64, 64)
    feats = model.extract_feat(data['inputs'])
    assert [f.shape[1] for f in feats] == channels
    assert [f.shape[0] for f in feats] == [4] * 4  # frames, then flows
    losses = model.decode_head.loss(feats, data['data_samples'],
                                    model.train_cfg)
    loss = sum(v for k, v in losses.items() if 'loss' in k)
    assert torch.isfinite(loss)
    loss.backward()
    grads = [p.grad for p in model.backbone.parameters() if p.requires_grad]
    assert all(g is not None for g in grads)


def test_output_path_keeps_existing_files_and_other_inputs(tmp_path):
    src = tmp_path / 'a.pth'
    src.write_bytes(b'x')
    old = tmp_path / 'released.pth'
    old.write_bytes(b'an earlier release')
    config = tmp_path / 'model.py'
    config.write_text('model = dict()\n')
    with pytest.raises(CheckpointConversionError,
                       match=f'DST {old} already exists; pass --overwrite'):
        check_output_path(str(src), str(old), overwrite=False)
    check_output_path(str(src), str(old), overwrite=True)
    with pytest.raises(CheckpointConversionError,
                       match=f'DST {config} is the --config {config}'):
        check_output_path(str(src), str(config),
                          others=[('--config', str(config))])
    (tmp_path / 'afile').write_text('x')
    with pytest.raises(CheckpointConversionError,
                       match=f"{tmp_path / 'afile'} is a file, not a "
                       'folder'):
        check_output_path(str(src), str(tmp_path / 'afile' / 'b.pth'))
    assert old.read_bytes() == b'an earlier release'
    assert config.read_text() == 'model = dict()\n'
