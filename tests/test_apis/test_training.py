"""hfan.apis.training and hfan.apis.launch: what tools/train.py sets up
before and after the Runner is built, called directly on a tmp work dir
(the end-to-end runs are in tests/test_tools/test_train.py)."""
import importlib.util
import os.path as osp
from types import SimpleNamespace

import pytest
import torch
from mmengine.config import Config
from testkit import ROOT, save_tiny_checkpoint, write_tiny_config

from hfan.apis import build_model, load_config
from hfan.apis.launch import (
    check_data_roots,
    configure_cpu_distributed,
    set_work_dir,
)
from hfan.apis.training import (
    check_load_from,
    check_resume,
    drop_pretrained_init,
    find_stage1_checkpoint,
    prepare_train_config,
)
from hfan.models.checkpoint import CheckpointFileError, CheckpointMismatchError
from hfan.utils.errors import HFANError

TINY = osp.join(ROOT, 'tests', 'configs', 'hfan_tiny.py')
TINY_PRETRAINED = osp.join(ROOT, 'tests', 'configs',
                           'hfan_tiny_pretrained.py')


def save_checkpoint(path):
    """A small ``torch.save`` file: what check_checkpoint_file accepts."""
    torch.save(dict(state_dict=dict(w=torch.zeros(2)), meta={}), str(path))
    return str(path)


def mark_latest(work_dir, checkpoint):
    """What mmengine's CheckpointHook writes after each save, and what
    ``find_latest_checkpoint`` reads."""
    (work_dir / 'last_checkpoint').write_text(str(checkpoint))


def stage2_cfg(work_dir, **extra):
    """The keys a refine config's stage-1 lookup reads."""
    return Config(dict(dict(work_dir=str(work_dir),
                            stage1_checkpoint='iter_160000.pth'), **extra))


# ---------------------------------------------------------------------------
# The work dir and the data folders (hfan.apis.launch)
# ---------------------------------------------------------------------------
def test_work_dir_given_else_the_configs_else_named_after_it():
    cfg = Config(dict(work_dir='from/config'))
    set_work_dir(cfg, 'given', 'configs/x.py')
    assert cfg.work_dir == 'given'
    cfg = Config(dict(work_dir='from/config'))
    set_work_dir(cfg, None, 'configs/x.py')
    assert cfg.work_dir == 'from/config'
    cfg = Config(dict())
    set_work_dir(cfg, None, 'local_configs/hfan/hfan.small.512x512.py')
    assert cfg.work_dir == osp.join('./work_dirs', 'hfan.small.512x512')


def test_cpu_distributed_uses_gloo_and_no_device_ids(monkeypatch):
    monkeypatch.setattr(torch.cuda, 'is_available', lambda: False)
    cfg = Config(dict(env_cfg=dict(), launcher='pytorch'))
    configure_cpu_distributed(cfg, broadcast_buffers=False)
    assert cfg.env_cfg.dist_cfg.backend == 'gloo'
    assert cfg.model_wrapper_cfg == dict(type='MMDistributedDataParallel',
                                         device_ids=None,
                                         broadcast_buffers=False)
    single = Config(dict(env_cfg=dict(), launcher='none'))
    configure_cpu_distributed(single)
    assert single.get('model_wrapper_cfg') is None
    monkeypatch.setattr(torch.cuda, 'is_available', lambda: True)
    gpu = Config(dict(env_cfg=dict(), launcher='pytorch'))
    configure_cpu_distributed(gpu)
    assert gpu.env_cfg == {} and gpu.get('model_wrapper_cfg') is None


def test_data_roots_checked_through_dataset_wrappers(tmp_path):
    (tmp_path / 'data' / 'frame').mkdir(parents=True)
    root = str(tmp_path / 'data')
    dataset = dict(data_root=root, data_prefix=dict(img_path='frame'))
    cfg = Config(dict(
        synthetic_root=root,
        train_dataloader=dict(dataset=dict(type='RepeatDataset',
                                           dataset=dataset)),
        val_dataloader=None))
    check_data_roots(cfg)  # the folder exists; None loaders are skipped
    dataset['data_prefix']['img_path'] = 'flow'
    cfg.train_dataloader.dataset.dataset = dataset
    with pytest.raises(FileNotFoundError) as info:
        check_data_roots(cfg)
    message = str(info.value)
    assert osp.join(root, 'flow') in message
    assert 'synthetic_root=PATH' in message  # the config value to set


# ---------------------------------------------------------------------------
# Stage 2 starts from stage 1's last checkpoint
# ---------------------------------------------------------------------------
def test_stage1_checkpoint_becomes_load_from(tmp_path):
    stage1 = save_checkpoint(tmp_path / 'iter_160000.pth')
    cfg = stage2_cfg(tmp_path)
    find_stage1_checkpoint(cfg)
    assert cfg.load_from == stage1
    # an absolute name is taken as it is
    cfg = stage2_cfg(tmp_path / 'elsewhere', stage1_checkpoint=stage1)
    find_stage1_checkpoint(cfg)
    assert cfg.load_from == stage1


def test_stage1_checkpoint_left_alone(tmp_path):
    cfg = Config(dict(work_dir=str(tmp_path)))  # a stage-1 config
    find_stage1_checkpoint(cfg)
    assert cfg.get('load_from') is None
    cfg = stage2_cfg(tmp_path, load_from='given.pth')  # --load-from wins
    find_stage1_checkpoint(cfg)
    assert cfg.load_from == 'given.pth'


def test_missing_stage1_checkpoint_says_what_to_do(tmp_path):
    with pytest.raises(FileNotFoundError) as info:
        find_stage1_checkpoint(stage2_cfg(tmp_path))
    message = str(info.value)
    assert osp.join(str(tmp_path), 'iter_160000.pth') in message
    assert '--load-from' in message and 'stage1_checkpoint=None' in message


def test_resume_before_stage2_saved_starts_from_stage1(tmp_path):
    """The shared work dir's latest checkpoint is stage 1's: resuming from it
    would restore iteration 160k, so stage 2 starts fresh from it."""
    stage1 = save_checkpoint(tmp_path / 'iter_160000.pth')
    mark_latest(tmp_path, stage1)
    cfg = stage2_cfg(tmp_path, resume=True)
    find_stage1_checkpoint(cfg)
    assert cfg.resume is False and cfg.load_from == stage1


def test_resume_after_stage2_saved_resumes_stage2(tmp_path):
    save_checkpoint(tmp_path / 'iter_160000.pth')
    mark_latest(tmp_path, save_checkpoint(tmp_path / 'iter_500.pth'))
    cfg = stage2_cfg(tmp_path, resume=True)
    find_stage1_checkpoint(cfg)
    assert cfg.resume is True and cfg.get('load_from') is None


# ---------------------------------------------------------------------------
# What --resume / --auto-resume resume from
# ---------------------------------------------------------------------------
def test_resume_with_nothing_to_resume_is_refused(tmp_path):
    work_dir = tmp_path / 'work'
    cfg = Config(dict(work_dir=str(work_dir), resume=True))
    with pytest.raises(HFANError, match='nothing to resume') as info:
        check_resume(cfg)
    assert str(work_dir) in str(info.value)
    assert '--auto-resume' in str(info.value)
    check_resume(cfg, auto_resume=True)  # starts fresh, as asked
    check_resume(Config(dict(work_dir=str(work_dir), resume=False)))


def test_resume_checks_the_checkpoint_it_would_read(tmp_path):
    text = tmp_path / 'notes.pth'
    text.write_text('not weights\n')
    cfg = Config(dict(work_dir=str(tmp_path), resume=True,
                      load_from=str(text)))
    with pytest.raises(CheckpointFileError, match='not a PyTorch'):
        check_resume(cfg)
    # the work dir's latest, named by last_checkpoint
    mark_latest(tmp_path, text)
    with pytest.raises(CheckpointFileError, match='not a PyTorch'):
        check_resume(Config(dict(work_dir=str(tmp_path), resume=True)))
    mark_latest(tmp_path, save_checkpoint(tmp_path / 'iter_2.pth'))
    check_resume(Config(dict(work_dir=str(tmp_path), resume=True)))


@pytest.fixture
def tiny_cfg():
    return load_config(TINY)


def prepare(cfg, work_dir, **options):
    return prepare_train_config(cfg, config_path=TINY,
                                work_dir=str(work_dir), **options)


def test_resume_policy(tiny_cfg, tmp_path):
    latest = save_checkpoint(tmp_path / 'iter_2.pth')
    mark_latest(tmp_path, latest)
    # --resume: the work dir's latest checkpoint, not a --load-from file
    cfg = prepare(load_config(TINY), tmp_path, resume=True,
                  load_from=save_checkpoint(tmp_path / 'other.pth'))
    assert cfg.resume is True and cfg.load_from is None
    # --resume CHECKPOINT
    cfg = prepare(load_config(TINY), tmp_path, resume=latest)
    assert cfg.resume is True and cfg.load_from == latest
    # --auto-resume in an empty work dir: start fresh, no error
    cfg = prepare(tiny_cfg, tmp_path / 'empty', auto_resume=True)
    assert cfg.resume is True and cfg.get('load_from') is None
    # neither: start fresh
    cfg = prepare(load_config(TINY), tmp_path)
    assert not cfg.get('resume') and cfg.get('load_from') is None


def test_resume_refused_before_anything_is_written(tiny_cfg, tmp_path):
    work_dir = tmp_path / 'work'
    with pytest.raises(HFANError, match='nothing to resume'):
        prepare(tiny_cfg, work_dir, resume=True)
    assert not work_dir.exists()


def test_load_from_checked_and_imagenet_init_dropped(tmp_path):
    missing = str(tmp_path / 'stage1.pth')
    with pytest.raises(FileNotFoundError, match='stage1.pth does not exist'):
        prepare(load_config(TINY_PRETRAINED), tmp_path, load_from=missing)
    cfg = load_config(TINY_PRETRAINED)
    pretrained = []

    def find(node):
        if isinstance(node, dict):
            init = node.get('init_cfg')
            if isinstance(init, dict) and init.get('type') == 'Pretrained':
                pretrained.append(init)
            for value in node.values():
                find(value)

    find(cfg.model)
    assert pretrained  # the config reads an ImageNet file...
    checkpoint = save_checkpoint(tmp_path / 'stage1.pth')
    cfg = prepare(cfg, tmp_path, load_from=checkpoint)
    assert cfg.load_from == checkpoint
    pretrained.clear()
    find(cfg.model)
    assert not pretrained  # ...which a checkpoint makes unnecessary


def test_drop_pretrained_init_searches_lists_too():
    node = dict(init_cfg=dict(type='Pretrained', checkpoint='a.pth'),
                layers=[dict(init_cfg=dict(type='Pretrained')),
                        dict(init_cfg=dict(type='Kaiming'))])
    drop_pretrained_init(node)
    assert node['init_cfg'] is None and node['layers'][0]['init_cfg'] is None
    assert node['layers'][1]['init_cfg'] == dict(type='Kaiming')


def test_randomness_and_launcher(tmp_path):
    own = dict(load_config(TINY).get('randomness', {}))
    cfg = prepare(load_config(TINY), tmp_path, seed=7, deterministic=True,
                  launcher='pytorch')
    assert cfg.randomness == dict(own, seed=7, deterministic=True)
    assert cfg.launcher == 'pytorch'
    cfg = prepare(load_config(TINY), tmp_path)
    assert dict(cfg.get('randomness', {})) == own
    assert cfg.launcher == 'none'


def test_amp_needs_cuda(tiny_cfg, tmp_path, monkeypatch):
    monkeypatch.setattr(torch.cuda, 'is_available', lambda: False)
    with pytest.raises(HFANError, match='--amp .*CUDA'):
        prepare(tiny_cfg, tmp_path, amp=True)
    monkeypatch.setattr(torch.cuda, 'is_available', lambda: True)
    cfg = prepare(load_config(TINY), tmp_path, amp=True)
    assert cfg.optim_wrapper.type == 'AmpOptimWrapper'
    assert cfg.optim_wrapper.loss_scale == 'dynamic'


def test_tensorboard_backend_only_when_installed(monkeypatch, tmp_path):
    def backends(installed):
        monkeypatch.setattr(
            importlib.util, 'find_spec',
            lambda name, *a: object() if installed else None)
        cfg = prepare(load_config(TINY), tmp_path)
        return [b['type'] for b in cfg.visualizer.vis_backends]

    assert backends(False) == ['LocalVisBackend']
    assert backends(True) == ['LocalVisBackend', 'TensorboardVisBackend']


# ---------------------------------------------------------------------------
# load_from is loaded strictly once the Runner is built
# ---------------------------------------------------------------------------
@pytest.fixture(scope='module')
def hfan_and_fat(tmp_path_factory):
    """A tiny `hfan` checkpoint and the config of a `fat` model."""
    folder = tmp_path_factory.mktemp('variants')
    hfan_config = write_tiny_config(folder / 'hfan.py', select_method='hfan')
    checkpoint = save_tiny_checkpoint(hfan_config, folder / 'hfan.pth')
    fat_config = write_tiny_config(folder / 'fat.py', select_method='fat')
    return checkpoint, fat_config


def test_load_from_of_another_variant_refused_or_partly_loaded(
        hfan_and_fat):
    checkpoint, fat_config = hfan_and_fat
    saved = torch.load(checkpoint, map_location='cpu',
                       weights_only=True)['state_dict']
    runner = SimpleNamespace(model=build_model(fat_config))
    before = {k: v.clone() for k, v in runner.model.state_dict().items()}
    cfg = Config(dict(load_from=checkpoint, resume=False))
    with pytest.raises(CheckpointMismatchError, match='fusions.0.'):
        check_load_from(runner, cfg)
    # non-strict: what matches is loaded, the fat modules keep their weights
    check_load_from(runner, cfg, strict=False)
    after = runner.model.state_dict()
    backbone = [k for k in after if k.startswith('backbone.')]
    assert backbone
    for key in backbone:
        torch.testing.assert_close(after[key], saved[key], rtol=0, atol=0)
    fat_only = [k for k in after if k not in saved]
    assert fat_only
    for key in fat_only:
        assert torch.equal(after[key], before[key]), key


def test_load_from_left_to_the_runner_when_resuming(hfan_and_fat):
    checkpoint, fat_config = hfan_and_fat
    runner = SimpleNamespace(model=build_model(fat_config))
    before = {k: v.clone() for k, v in runner.model.state_dict().items()}
    check_load_from(runner, Config(dict(load_from=checkpoint, resume=True)))
    check_load_from(runner, Config(dict(load_from=None, resume=False)))
    after = runner.model.state_dict()
    assert all(torch.equal(after[k], before[k]) for k in before)
