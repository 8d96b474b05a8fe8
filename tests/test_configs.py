"""Every config builds; published sizes; --options/--cfg-options overrides."""
import glob
import json
import os.path as osp
import subprocess
import sys

import pytest
from mmengine.registry import init_default_scope
from mmseg.registry import MODELS
from testkit import ROOT

import hfan  # noqa: F401
from hfan.apis import load_config

CONFIGS = sorted(
    glob.glob(osp.join(ROOT, 'local_configs', '**', '*.py'), recursive=True))
CONFIGS = [c for c in CONFIGS if '_base_' not in c]


def test_there_are_configs():
    names = {osp.basename(c) for c in CONFIGS}
    for size in ('small', 'medium', 'large'):
        for stage in ('160k', 'refine'):
            assert f'hfan.{size}.512x512.{stage}.py' in names


# --------------------------------------------------------------------------
# Parameter counts by hand, from the published architectures. Each formula
# is checked below against a published count of a whole network, so the
# expectations of test_config_builds_model come from the papers' tables,
# not from this project's code.
# --------------------------------------------------------------------------
# SegFormer (Xie et al. 2021), Table 6 / its released code: MiT stage widths
# and depths; spatial-reduction ratios 8/4/2/1, MLP ratio 4, patch embedding
# 7x7 (stage 1) then 3x3.
MIT = {
    'b0': ((32, 64, 160, 256), (2, 2, 2, 2)),
    'b1': ((64, 128, 320, 512), (2, 2, 2, 2)),
    'b2': ((64, 128, 320, 512), (3, 4, 6, 3)),
    'b3': ((64, 128, 320, 512), (3, 4, 18, 3)),
}
RESNET_CHANNELS = [256, 512, 1024, 2048]
SWIN_T_CHANNELS = [96, 192, 384, 768]


def mit_params(dims, depths, sr_ratios=(8, 4, 2, 1), mlp=4):
    total, prev = 0, 3
    for i, (c, d, r) in enumerate(zip(dims, depths, sr_ratios)):
        k = 7 if i == 0 else 3
        total += k * k * prev * c + c + 2 * c  # patch embedding + LayerNorm
        h = mlp * c
        block = (2 * c + 3 * (c * c + c) + (c * c + c)  # norm1, q/k/v, proj
                 + 2 * c + (c * h + h) + (9 * h + h) + (h * c + c))  # Mix-FFN
        if r > 1:  # spatial-reduction conv (r x r, stride r) + LayerNorm
            block += c * c * r * r + c + 2 * c
        total += d * block + 2 * c  # the blocks and the stage's norm
        prev = c
    return total


def swin_params(dims=96, depths=(2, 2, 6, 2), heads=(3, 6, 12, 24),
                window=7):
    """Swin (Liu et al. 2021): 4x4 patch embedding + LN; per block LN, qkv,
    relative position bias table (2w-1)^2 x heads, proj, LN, MLP 4C;
    patch merging LN(4C) + Linear(4C, 2C) without bias."""
    total, c = 16 * 3 * dims + dims + 2 * dims, dims
    for i, (d, h) in enumerate(zip(depths, heads)):
        total += d * (12 * c * c + 13 * c + (2 * window - 1)**2 * h)
        if i < len(depths) - 1:
            total += 8 * c + 8 * c * c
            c *= 2
    return total


def resnet_params(layers, deep_stem):
    """Bottleneck ResNet (He et al. 2016) without classifier; V1c's deep
    stem is three 3x3 convs 3-32-32-64 instead of one 7x7 (Bag of Tricks)."""
    if deep_stem:
        total = 3 * 32 * 9 + 32 * 32 * 9 + 32 * 64 * 9 + 2 * (32 + 32 + 64)
    else:
        total = 3 * 64 * 49 + 2 * 64
    inp = 64
    for i, n in enumerate(layers):
        p = 64 * 2**i
        for j in range(n):
            total += inp * p + 9 * p * p + 4 * p * p + 2 * (p + p + 4 * p)
            if j == 0:  # projection shortcut + BN
                total += inp * 4 * p + 2 * 4 * p
            inp = 4 * p
    return total


def hfan_head_params(chans, e, method='hfan', inner=16):
    """docs/checkpoints.md 2.2-2.3: per level a Linear(C, E),
    fuse conv 4E->E without bias + BN, classifier E->2 with bias; FAM =
    object_pred (C->2, bias) + key/query (two conv-BN each, C->16->16),
    value (C->16) and out (16->C) conv-BN, bottleneck 2C->C conv-BN; FAT =
    CA and PA branches, each conv C->16 (bias), BN, conv 16->C (bias), BN."""
    decoder = sum(chans) * e + 4 * e + 4 * e * e + 2 * e + 2 * e + 2

    def fam(c):
        return (2 * c + 2 + 2 * (c * inner + inner * inner + 4 * inner) +
                c * inner + 2 * inner + inner * c + 2 * c + 2 * c * c + 2 * c)

    def fat(c):
        return 2 * (c * inner + inner + 2 * inner + inner * c + c + 2 * c)

    fusion = {'hfan': lambda c: fam(c) + fat(c), 'fam': fam, 'fat': fat,
              'base': lambda c: 0}[method]
    return decoder + sum(fusion(c) for c in chans)


def test_hand_counts_reproduce_published_counts():
    """The formulas above against whole-network counts published elsewhere:
    MiT-b1 13,151,424 and HFAN-Small/-Medium/fam/fat/base (docs/checkpoints
    .md, minus the unused conv_seg, 258); Swin-T 28,288,354 with its final
    norm and 1000-class head (Swin paper's 28M, timm's exact count);
    torchvision's ResNet-50 25,557,032 and ResNet-101 44,549,160 (with fc).
    SegFormer's Table 1 encoder sizes 24.2M (b2) and 44.0M (b3)."""
    b1, b2, b3 = (mit_params(*MIT[a]) for a in ('b1', 'b2', 'b3'))
    assert b1 == 13_151_424
    assert (round(b2 / 1e5), round(b3 / 1e5)) == (242, 441)
    assert b1 + hfan_head_params(MIT['b1'][0], 256) == 14_594_508 - 258
    assert b2 + hfan_head_params(MIT['b2'][0], 768) == 28_264_908 - 258
    for method, published in (('fam', 14_522_444), ('fat', 13_750_084),
                              ('base', 13_678_020)):
        assert (b1 + hfan_head_params(MIT['b1'][0], 256, method) ==
                published - 258)
    assert swin_params() + 2 * 768 + 768 * 1000 + 1000 == 28_288_354
    fc = 2048 * 1000 + 1000
    assert resnet_params((3, 4, 6, 3), False) + fc == 25_557_032
    assert resnet_params((3, 4, 23, 3), False) + fc == 44_549_160


def mit_row(arch, e):
    return ('OriginalMixVisionTransformer', arch, list(MIT[arch][0]), e,
            mit_params(*MIT[arch]) + hfan_head_params(MIT[arch][0], e))


# docs/checkpoints.md 2.2 and the configs: Small = MiT-b1 + E 256, Medium =
# MiT-b2 + E 768, Large = MiT-b3 + E 768; the config comments: the CPU demo
# models MiT-b0 + E 128, the backbone ablations ResNet-101 V1c / Swin-T with
# Small's E = 256. MMSeg's Swin adds a LayerNorm per output level
# (2 x (96+192+384+768)) and has no final norm or classifier.
PUBLISHED = {
    'hfan.small.512x512.160k.py': mit_row('b1', 256),
    'hfan.small.512x512.refine.py': mit_row('b1', 256),
    'hfan.medium.512x512.160k.py': mit_row('b2', 768),
    'hfan.medium.512x512.refine.py': mit_row('b2', 768),
    'hfan.large.512x512.160k.py': mit_row('b3', 768),
    'hfan.large.512x512.refine.py': mit_row('b3', 768),
    'hfan.b0.192x256.synthetic.py': mit_row('b0', 128),
    'hfan_demo.py': mit_row('b0', 128),
    'hfan_demo_davis_only.py': mit_row('b0', 128),
    'hfan_demo_stage1.py': mit_row('b0', 128),
    'hfan_demo_stage1b.py': mit_row('b0', 128),
    'hfan_demo_objectness.py': mit_row('b0', 128),
    # + FrameStreamHead: 3x3 conv 160 -> 64 without bias (BN follows), BN's
    # weight and bias, a 1x1 classifier 64 -> 2 with bias
    'hfan_demo_objectness_aux.py': mit_row('b0', 128)[:4] + (
        mit_row('b0', 128)[4] + 160 * 64 * 9 + 2 * 64 + 64 * 2 + 2, ),
    'hfan.r101.512x512.refine.py': (
        'ResNetV1c', 101, RESNET_CHANNELS, 256,
        resnet_params((3, 4, 23, 3), True) +
        hfan_head_params(RESNET_CHANNELS, 256)),
    'hfan.swin-t.512x512.refine.py': (
        'SwinTransformer', None, SWIN_T_CHANNELS, 256,
        swin_params() + 2 * sum(SWIN_T_CHANNELS) +
        hfan_head_params(SWIN_T_CHANNELS, 256)),
}


def test_every_config_has_a_published_row():
    assert sorted(osp.basename(c) for c in CONFIGS) == sorted(PUBLISHED)


@pytest.mark.parametrize('path', CONFIGS, ids=osp.basename)
def test_config_builds_model(path):
    """Backbone, head widths and the parameter count of the built model."""
    kind, arch, in_channels, channels, params = PUBLISHED[osp.basename(path)]
    cfg = load_config(path)
    init_default_scope(cfg.default_scope)
    model = MODELS.build(cfg.model)
    assert type(model).__name__ == 'VOSEncoderDecoder'
    assert cfg.custom_imports['imports'] == ['hfan']
    backbone = model.backbone.backbone
    assert type(backbone).__name__ == kind
    if kind == 'OriginalMixVisionTransformer':
        assert backbone.arch == arch
    elif kind == 'ResNetV1c':
        assert backbone.depth == arch
    head = model.decode_head
    assert list(head.in_channels) == in_channels
    assert head.channels == channels
    assert head.select_method == 'hfan'
    assert sum(p.numel() for p in model.parameters()) == params


def test_published_hyper_parameters():
    small = load_config(
        osp.join(ROOT, 'local_configs/hfan/hfan.small.512x512.160k.py'))
    assert small.optim_wrapper.optimizer.lr == 6e-5
    assert small.optim_wrapper.optimizer.weight_decay == 0.01
    assert small.optim_wrapper.paramwise_cfg.custom_keys.head.lr_mult == 10
    assert small.train_cfg.max_iters == 160000
    assert small.train_cfg.val_interval == 16000
    warmup, poly = small.param_scheduler
    assert (warmup.end, warmup.start_factor) == (3000, 1e-6)
    assert (poly.power, poly.eta_min, poly.end) == (1.0, 0.0, 160000)
    assert small.train_dataloader.batch_size == 8
    assert small.randomness.seed == 1208
    assert small.model.test_cfg.mode == 'whole'
    assert small.model.decode_head.norm_cfg.type == 'SyncBN'
    refine = load_config(
        osp.join(ROOT, 'local_configs/hfan/hfan.small.512x512.refine.py'))
    assert refine.optim_wrapper.optimizer.lr == 1e-5
    assert refine.param_scheduler == []
    assert refine.train_cfg.max_iters == 4000
    assert refine.train_dataloader.dataset.type == 'RepeatDataset'
    assert refine.train_dataloader.dataset.times == 15
    assert refine.model.test_cfg == dict(
        mode='slide', crop_size=(512, 512), stride=(271, 271))
    medium = load_config(
        osp.join(ROOT, 'local_configs/hfan/hfan.medium.512x512.refine.py'))
    assert medium.model.backbone.backbone.arch == 'b2'
    assert medium.model.decode_head.channels == 768


def test_data_root_override_reaches_datasets():
    cfg = load_config(
        osp.join(ROOT, 'local_configs/hfan/hfan.small.512x512.160k.py'),
        dict(davis_root='/x/DAVIS', youtube_root='/y/YT'))
    assert cfg.train_dataloader.dataset.data_root == '/y/YT'
    assert cfg.val_dataloader.dataset.data_root == '/x/DAVIS'
    assert cfg.test_dataloader.dataset.data_root == '/x/DAVIS'
    refine = load_config(
        osp.join(ROOT, 'local_configs/hfan/hfan.small.512x512.refine.py'),
        dict(davis_root='/x/DAVIS'))
    assert refine.train_dataloader.dataset.dataset.data_root == '/x/DAVIS'


def test_distractor_root_override_reaches_datasets():
    cfg = load_config(
        osp.join(ROOT, 'local_configs/hfan/hfan_demo_objectness.py'),
        dict(distractor_root='/z/DST'))
    assert cfg.train_dataloader.dataset.data_root == '/z/DST'
    assert cfg.train_dataloader.dataset.data_prefix.img_path == 'frame/train'
    assert cfg.val_dataloader.dataset.data_root == '/z/DST'
    assert cfg.val_dataloader.dataset.data_prefix.img_path == 'frame/val'
    # fine-tunes the shipped model
    assert cfg.load_from == 'checkpoint/hfan_demo.pth'


def test_param_counts_match_published_models(tmp_path):
    """Counts from docs/checkpoints.md: HFAN-Small 14,594,508 learnable
    parameters of which MiT-b1 13,151,424, HFAN-Medium 28,264,908; both
    include the published, never-used `conv_seg` (2x128 + 2 = 258), which
    this implementation does not have (its classifier is `linear_pred`)."""
    out = tmp_path / 'counts.json'
    configs = [
        osp.join(ROOT, 'local_configs/hfan/hfan.small.512x512.refine.py'),
        osp.join(ROOT, 'local_configs/hfan/hfan.medium.512x512.refine.py'),
    ]
    proc = subprocess.run(
        [sys.executable, 'tools/count_params.py', *configs, '--json',
         str(out)],
        cwd=ROOT, capture_output=True, text=True, check=True)
    assert '14,594,250' in proc.stdout
    counts = json.loads(out.read_text())
    small, medium = (counts[c] for c in configs)
    assert small['backbone'] == 13_151_424
    assert small['total'] == 14_594_508 - 258
    assert small['fusions'] == [17_922, 51_458, 250_370, 596_738]
    assert small['projections'] == 263_168
    assert small['fusion_conv'] == 262_656
    assert medium['total'] == 28_264_908 - 258


def test_options_alias_overrides_select_method(tmp_path):
    out = tmp_path / 'counts.json'
    cfg = osp.join(ROOT, 'local_configs/hfan/hfan.small.512x512.refine.py')
    subprocess.run(
        [sys.executable, 'tools/count_params.py', cfg, '--options',
         'model.decode_head.select_method=im', '--json', str(out)],
        cwd=ROOT, check=True, capture_output=True)
    counts = json.loads(out.read_text())[cfg]
    # docs/checkpoints.md 2.3: the im/fw/base models have 13,678,020 params
    # including the unused conv_seg (258).
    assert counts['total'] == 13_678_020 - 258
    assert counts['fusions'] == [0, 0, 0, 0]


@pytest.mark.parametrize('method,published', [('base', 13_678_020),
                                              ('fam', 14_522_444),
                                              ('fat', 13_750_084),
                                              ('hfan', 14_594_508)])
def test_variant_param_counts(method, published):
    """docs/checkpoints.md 2.3 (small config), minus the unused conv_seg."""
    from hfan.apis.model import count_model
    cfg = load_config(
        osp.join(ROOT, 'local_configs/hfan/hfan.small.512x512.refine.py'),
        {'model.decode_head.select_method': method})
    assert count_model(cfg)['total'] == published - 258


def test_import_hfan_stays_light():
    """`import hfan` (what configs' custom_imports do) registers the modules
    without importing optional or inference-only dependencies."""
    code = ('import sys, hfan; from mmseg.registry import MODELS, METRICS; '
            "assert MODELS.get('HFANHead') and METRICS.get('VOSMetric'); "
            "print(sorted(m for m in ('pysodmetrics', 'gradio', 'torchvision',"
            " 'selenium', 'hfan.flow', 'hfan.apis.inference') "
            'if m in sys.modules))')
    out = subprocess.run([sys.executable, '-c', code], cwd=ROOT, check=True,
                         capture_output=True, text=True).stdout
    assert out.strip().splitlines()[-1] == '[]'


def davis_frame_size_after(transforms):
    """The (H, W) a 480x854 DAVIS frame has after the Resize /
    ResizeToMultiple steps of ``transforms`` (the other steps are skipped:
    they need files)."""
    import numpy as np
    from mmengine.dataset import Compose
    init_default_scope('mmseg')
    resize = [t for t in transforms
              if t['type'] in ('Resize', 'ResizeToMultiple')]
    img = np.zeros((480, 854, 6), np.uint8)
    out = Compose(resize)(dict(img=img, img_shape=(480, 854),
                               ori_shape=(480, 854)))
    return out['img'].shape[:2]


def test_test_pipelines_give_published_input_sizes():
    """docs/checkpoints.md 3.9: a 480x854 DAVIS frame becomes 512x928 for the
    single-scale test; the multi-scale test (ratios 0.75/1.0/1.75 of the
    test scale) gives 384x704, 512x928 and 896x1600 views."""
    cfg = load_config(
        osp.join(ROOT, 'local_configs/hfan/hfan.small.512x512.refine.py'))
    assert davis_frame_size_after(cfg.test_pipeline) == (512, 928)
    tta = cfg.tta_pipeline[1]['transforms']
    sizes = [davis_frame_size_after([scale, *tta[2]]) for scale in tta[0]]
    assert sizes == [(384, 704), (512, 928), (896, 1600)]


def test_demo_model_tests_at_the_top_of_its_training_scales():
    """The demo model trains on short sides 192-384 (256 by 0.75-1.5) and,
    from the user path (the test dataloader's pipeline, as infer.py takes
    it), is tested at 384: a 480x854 frame -> 384x683 -> 384x704; its
    stage 1b tests the composites at 256: 256x455 -> 256x480."""
    from hfan.apis.inference import test_pipeline_of

    def config(name):
        return load_config(osp.join(ROOT, f'local_configs/hfan/{name}.py'))

    stage2 = config('hfan_demo')
    assert davis_frame_size_after(test_pipeline_of(stage2)) == (384, 704)
    assert stage2.val_dataloader == stage2.test_dataloader
    stage1b = config('hfan_demo_stage1b')
    assert davis_frame_size_after(test_pipeline_of(stage1b)) == (256, 480)
    for dataset in stage2.train_dataloader.dataset.datasets:
        resize, = [t for t in dataset.pipeline if t.type == 'RandomResize']
        short = min(resize.scale)
        assert [short * r for r in resize.ratio_range] == [192, 384]


def test_demo_recipe_trains_on_davis_train_only_from_scratch():
    """The shipped demo model's three configs: no ImageNet weights, stage 1
    and its continuation 1b on the composites, stage 2 on DAVIS-16 train
    with the composites beside it; each starts from the last checkpoint of
    the one before; validation (never training) on DAVIS-16 val."""
    stage1, stage1b = (load_config(
        osp.join(ROOT, f'local_configs/hfan/hfan_demo_{name}.py'),
        dict(composite_root='/c')) for name in ('stage1', 'stage1b'))
    stage2 = load_config(osp.join(ROOT, 'local_configs/hfan/hfan_demo.py'),
                         dict(davis_root='/d', composite_root='/c'))
    for cfg in (stage1, stage1b, stage2):
        assert cfg.model.backbone.backbone.arch == 'b0'
        assert cfg.model.backbone.backbone.init_cfg is None
        assert cfg.model.decode_head.select_method == 'hfan'
    for cfg in (stage1, stage1b):
        train1 = cfg.train_dataloader.dataset
        assert (train1.data_root, train1.data_prefix.img_path) == (
            '/c', 'frame/train')
        assert cfg.val_dataloader.dataset.data_root == '/c'
    assert stage1.get('load_from') is None  # from scratch
    assert stage1b.load_from == (
        f'work_dirs/hfan_demo_stage1/iter_{stage1.train_cfg.max_iters}.pth')
    # a warm restart: a new warm-up and decay to 0 over its own iterations
    lrs = [cfg.optim_wrapper.optimizer.lr for cfg in (stage1, stage1b)]
    assert lrs[1] < lrs[0]
    # the decay ends with the run: no `end`, mmengine's Runner takes
    # train_cfg.max_iters (checked on a real run by test_train.py's resume)
    assert 'end' not in stage1b.param_scheduler[-1]
    assert stage1b.train_cfg.max_iters == 6000
    train2 = stage2.train_dataloader.dataset
    assert train2.type == 'ConcatDataset'
    assert [(d.data_root, d.data_prefix.img_path, d.data_prefix.flow_path,
             d.data_prefix.seg_map_path) for d in train2.datasets] == [
                 ('/d', 'frame/train', 'flow/train', 'mask/train'),
                 ('/c', 'frame/train', 'flow/train', 'mask/train')]
    # both halves see the same training augmentation
    assert train2.datasets[0].pipeline == train2.datasets[1].pipeline
    # the comparison config: the same stage 2 on DAVIS-16 train alone, in
    # stage 1's crops (the previous recipe)
    alone = load_config(
        osp.join(ROOT, 'local_configs/hfan/hfan_demo_davis_only.py'),
        dict(davis_root='/d'))

    def crop(cfg, dataset):
        crops = [t.crop_size for t in dataset.pipeline
                 if t.type == 'RandomCrop']
        assert crops == [cfg.model.data_preprocessor.size]
        return crops[0]

    assert crop(stage1, stage1.train_dataloader.dataset) == (192, 192)
    assert crop(stage2, train2.datasets[0]) == (256, 256)
    assert crop(alone, alone.train_dataloader.dataset) == (192, 192)
    alone_train = alone.train_dataloader.dataset.copy()
    stage2_davis = train2.datasets[0].copy()
    for dataset in (alone_train, stage2_davis):
        dataset.pipeline = [t for t in dataset.pipeline
                            if t.type != 'RandomCrop']
    assert alone_train == stage2_davis
    for key in ('load_from', 'optim_wrapper', 'param_scheduler', 'train_cfg',
                'val_dataloader'):
        assert alone[key] == stage2[key], key
    val2 = stage2.val_dataloader.dataset
    assert (val2.data_root, val2.data_prefix.img_path) == ('/d', 'frame/val')
    assert stage2.load_from == (
        f'work_dirs/hfan_demo_stage1b/iter_{stage1b.train_cfg.max_iters}.pth')


def test_overrides_must_name_existing_keys_unless_added_with_plus():
    path = osp.join(ROOT, 'local_configs/hfan/hfan.small.512x512.160k.py')
    with pytest.raises(KeyError) as err:
        load_config(path, {'model.decode_head.selct_method': 'im'})
    assert "'select_method'" in str(err.value)  # the close match is named
    with pytest.raises(KeyError) as err:
        load_config(path, {'model.test_cfg.crop_size': (512, 512)})
    assert '+model.test_cfg.crop_size' in str(err.value)
    cfg = load_config(path, {'model.test_cfg.mode': 'slide',
                             '+model.test_cfg.crop_size': (512, 512),
                             '+model.test_cfg.stride': (271, 271)})
    assert cfg.model.test_cfg == dict(mode='slide', crop_size=(512, 512),
                                      stride=(271, 271))
    with pytest.raises(KeyError):  # the parent must exist
        load_config(path, {'+model.tset_cfg.stride': (271, 271)})
    # a new key under a new dict: one + per new level, and the error of a
    # single + says how many are needed
    key = 'optim_wrapper.paramwise_cfg.custom_keys.backbone.lr_mult'
    with pytest.raises(KeyError) as err:
        load_config(path, {'+' + key: 0.1})
    assert "no key 'backbone'" in str(err.value)
    assert f'write ++{key}=' in str(err.value)
    cfg = load_config(path, {'++' + key: 0.1})
    assert cfg.optim_wrapper.paramwise_cfg.custom_keys.backbone == dict(
        lr_mult=0.1)
    assert cfg.optim_wrapper.paramwise_cfg.custom_keys.head == dict(
        lr_mult=10.0)  # the siblings are kept
    with pytest.raises(KeyError):  # still, only the last two parts are new
        load_config(path, {'++optim_wrapper.paramwse_cfg.x.y': 1})
    with pytest.raises(KeyError):
        load_config(path, {'+++model': 1})
