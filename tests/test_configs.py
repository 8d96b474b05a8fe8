"""Every config builds; published sizes; --options/--cfg-options overrides."""
import glob
import json
import os.path as osp
import subprocess
import sys

import pytest
from conftest import ROOT
from mmengine.registry import init_default_scope

import hfan  # noqa: F401
from hfan.apis import load_config
from mmseg.registry import MODELS

CONFIGS = sorted(
    glob.glob(osp.join(ROOT, 'local_configs', '**', '*.py'), recursive=True))
CONFIGS = [c for c in CONFIGS if '_base_' not in c]


def test_there_are_configs():
    names = {osp.basename(c) for c in CONFIGS}
    for size in ('small', 'medium', 'large'):
        for stage in ('160k', 'refine'):
            assert f'hfan.{size}.512x512.{stage}.py' in names


@pytest.mark.parametrize('path', CONFIGS, ids=osp.basename)
def test_config_builds_model(path):
    cfg = load_config(path)
    init_default_scope(cfg.default_scope)
    model = MODELS.build(cfg.model)
    assert type(model).__name__ == 'VOSEncoderDecoder'
    assert cfg.custom_imports['imports'] == ['hfan']


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
    sys.path.insert(0, osp.join(ROOT, 'tools'))
    from count_params import count_model
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


def test_test_pipelines_give_published_input_sizes():
    """docs/checkpoints.md 3.9: a 480x854 DAVIS frame becomes 512x928 for the
    single-scale test; the multi-scale test (ratios 0.75/1.0/1.75 of the
    test scale) gives 384x704, 512x928 and 896x1600 views."""
    import numpy as np
    from mmengine.dataset import Compose
    cfg = load_config(
        osp.join(ROOT, 'local_configs/hfan/hfan.small.512x512.refine.py'))
    init_default_scope('mmseg')

    def run(transforms):
        img = np.zeros((480, 854, 6), np.uint8)
        out = Compose(transforms)(dict(img=img, img_shape=(480, 854),
                                       ori_shape=(480, 854)))
        return out['img'].shape[:2]

    single = [t for t in cfg.test_pipeline
              if t['type'] in ('Resize', 'ResizeToMultiple')]
    assert run(single) == (512, 928)
    tta = cfg.tta_pipeline[1]['transforms']
    sizes = [run([scale, *tta[2]]) for scale in tta[0]]
    assert sizes == [(384, 704), (512, 928), (896, 1600)]


def test_demo_recipe_trains_on_davis_train_only_from_scratch():
    """The shipped demo model's two configs: no ImageNet weights, stage 1 on
    the composites, stage 2 on DAVIS-16 train starting from stage 1's last
    checkpoint, validation (never training) on DAVIS-16 val."""
    stage1 = load_config(
        osp.join(ROOT, 'local_configs/hfan/hfan_demo_stage1.py'),
        dict(composite_root='/c'))
    stage2 = load_config(osp.join(ROOT, 'local_configs/hfan/hfan_demo.py'),
                         dict(davis_root='/d'))
    for cfg in (stage1, stage2):
        assert cfg.model.backbone.backbone.arch == 'b0'
        assert cfg.model.backbone.backbone.init_cfg is None
        assert cfg.model.decode_head.select_method == 'hfan'
    train1 = stage1.train_dataloader.dataset
    assert (train1.data_root, train1.data_prefix.img_path) == ('/c',
                                                               'frame/train')
    assert stage1.val_dataloader.dataset.data_root == '/c'
    train2 = stage2.train_dataloader.dataset
    assert (train2.data_root, train2.data_prefix.img_path,
            train2.data_prefix.seg_map_path) == ('/d', 'frame/train',
                                                 'mask/train')
    val2 = stage2.val_dataloader.dataset
    assert (val2.data_root, val2.data_prefix.img_path) == ('/d', 'frame/val')
    assert stage2.load_from == (
        f'work_dirs/hfan_demo_stage1/iter_{stage1.train_cfg.max_iters}.pth')


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
