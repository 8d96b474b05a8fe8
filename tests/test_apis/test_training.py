"""hfan.apis.training and hfan.apis.launch: what tools/train.py sets up
before and after the Runner is built, called directly on a tmp work dir
(the end-to-end runs are in tests/test_tools/test_train.py)."""
import hashlib
import importlib.util
import logging
import os
import os.path as osp
import pathlib
import re
import shutil
from types import SimpleNamespace

import pytest
import torch
from mmengine.config import Config
from testkit import REFINE, ROOT, save_tiny_checkpoint, write_tiny_config

from hfan.apis import build_model, load_config
from hfan.apis.launch import (
    check_data_roots,
    configure_cpu_distributed,
    set_work_dir,
)
from hfan.apis.training import (
    check_load_from,
    check_resume,
    check_work_dir_free,
    drop_pretrained_init,
    find_stage1_checkpoint,
    find_work_dir_checkpoint,
    planned_checkpoint_names,
    prepare_train_config,
    work_dir_checkpoints,
)
from hfan.engine import WeightsOnlyRunner
from hfan.models.checkpoint import (
    CheckpointFileError,
    CheckpointMismatchError,
    UntrustedCheckpointError,
)
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
    # --resume: the work dir's latest checkpoint, not a --load-from file;
    # named in load_from, so that the Runner resumes from that very file
    cfg = prepare(load_config(TINY), tmp_path, resume=True,
                  load_from=save_checkpoint(tmp_path / 'other.pth'))
    assert cfg.resume is True and cfg.load_from == latest
    # --resume CHECKPOINT (also beside --auto-resume: the file given wins)
    cfg = prepare(load_config(TINY), tmp_path, resume=latest)
    assert cfg.resume is True and cfg.load_from == latest
    (tmp_path / 'elsewhere').mkdir()
    given = save_checkpoint(tmp_path / 'elsewhere' / 'iter_1.pth')
    cfg = prepare(load_config(TINY), tmp_path, resume=given,
                  auto_resume=True)
    assert cfg.resume is True and cfg.load_from == given
    # --auto-resume in an empty work dir: start fresh, no error (resume
    # off: mmengine's own lookup would follow a stale last_checkpoint)
    cfg = prepare(tiny_cfg, tmp_path / 'empty', auto_resume=True)
    assert not cfg.resume and cfg.get('load_from') is None
    # neither: start fresh (in a work dir without checkpoints)
    cfg = prepare(load_config(TINY), tmp_path / 'fresh')
    assert not cfg.get('resume') and cfg.get('load_from') is None


def test_auto_resume_never_resumes_from_the_configs_load_from(tmp_path):
    # a stage-2 config names its initialisation (load_from: another run's
    # iteration 6000); mmengine, given resume=True with it, would resume
    # from it and restore that iteration, so nothing would be trained
    (tmp_path / 'stage1').mkdir()
    initial = save_checkpoint(tmp_path / 'stage1' / 'iter_6000.pth')

    def config_with_load_from():
        cfg = load_config(TINY)
        cfg.load_from = initial
        return cfg

    # nothing in the work dir: a fresh start from the initialisation
    cfg = prepare(config_with_load_from(), tmp_path / 'work',
                  auto_resume=True)
    assert not cfg.resume and cfg.load_from == initial
    # the run's own checkpoint there: resume from it, not from load_from
    (tmp_path / 'work').mkdir()
    own = save_checkpoint(tmp_path / 'work' / 'iter_2.pth')
    for kwargs in (dict(auto_resume=True), dict(resume=True)):
        cfg = prepare(config_with_load_from(), tmp_path / 'work', **kwargs)
        assert cfg.resume is True and cfg.load_from == own, kwargs


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


# ---------------------------------------------------------------------------
# Resuming "from the work dir" takes a checkpoint of that work dir only
# ---------------------------------------------------------------------------
def truncated_copy(source, target):
    """The first half of ``source``'s bytes (an interrupted copy)."""
    data = open(source, 'rb').read()
    with open(target, 'wb') as f:
        f.write(data[:len(data) // 2])
    return str(target)


def test_work_dir_checkpoints_in_natural_order(tmp_path):
    for n in (10, 9, 100):
        save_checkpoint(tmp_path / f'iter_{n}.pth')
    save_checkpoint(tmp_path / 'iter_final.pth')  # not a checkpoint name
    save_checkpoint(tmp_path / 'best_mIoU_iter_50.pth')
    found = work_dir_checkpoints(str(tmp_path))
    assert [osp.basename(p) for p in found] == [
        'iter_9.pth', 'iter_10.pth', 'iter_100.pth']
    # no last_checkpoint: the largest number, not the last in text order
    assert find_work_dir_checkpoint(str(tmp_path)) == found[-1]
    assert work_dir_checkpoints(str(tmp_path / 'missing')) == []
    assert find_work_dir_checkpoint(str(tmp_path / 'missing')) is None


def test_last_checkpoint_outside_the_work_dir_is_ignored(tmp_path):
    """A copied work dir: its last_checkpoint names the original's file."""
    original, copy = tmp_path / 'original', tmp_path / 'copy'
    original.mkdir()
    save_checkpoint(original / 'iter_2.pth')
    elsewhere = save_checkpoint(original / 'iter_4.pth')
    mark_latest(original, elsewhere)
    copy.mkdir()
    shutil.copy(original / 'iter_2.pth', copy / 'iter_2.pth')
    shutil.copy(original / 'last_checkpoint', copy / 'last_checkpoint')
    cfg = Config(dict(work_dir=str(copy), resume=True))
    with pytest.warns(UserWarning, match='outside the work dir') as record:
        check_resume(cfg)
    assert cfg.load_from == str(copy / 'iter_2.pth')
    message = str(record[0].message)
    assert elsewhere in message and str(copy / 'last_checkpoint') in message
    assert f'--resume {elsewhere}' in message
    # nothing of its own: refused, naming the file it did not take
    os.remove(copy / 'iter_2.pth')
    with pytest.warns(UserWarning), pytest.raises(
            HFANError, match='nothing to resume') as info:
        check_resume(Config(dict(work_dir=str(copy), resume=True)))
    assert f'--resume {elsewhere}' in str(info.value)
    # --auto-resume: start fresh (resume off), not from the other dir
    cfg = Config(dict(work_dir=str(copy), resume=True))
    with pytest.warns(UserWarning, match='outside the work dir'):
        check_resume(cfg, auto_resume=True)
    assert cfg.resume is False and cfg.get('load_from') is None


def test_stale_last_checkpoint_falls_back_to_the_latest_file(tmp_path):
    """last_checkpoint names a deleted file: the work dir's latest
    iter_*.pth (natural order) is resumed, not "nothing to resume"."""
    save_checkpoint(tmp_path / 'iter_2.pth')
    latest = save_checkpoint(tmp_path / 'iter_10.pth')
    mark_latest(tmp_path, tmp_path / 'iter_12.pth')  # deleted since
    cfg = Config(dict(work_dir=str(tmp_path), resume=True))
    with pytest.warns(UserWarning, match='iter_12.pth, which does not '
                      'exist'):
        check_resume(cfg)
    assert cfg.resume is True and cfg.load_from == latest


def test_damaged_own_checkpoint_is_an_error_not_a_fallback(tmp_path):
    """The work dir's latest is truncated: an error naming it, neither the
    older one beside it nor the good one last_checkpoint names elsewhere."""
    other = tmp_path / 'other'
    other.mkdir()
    elsewhere = save_checkpoint(other / 'iter_4.pth')
    work = tmp_path / 'work'
    work.mkdir()
    save_checkpoint(work / 'iter_2.pth')
    damaged = truncated_copy(elsewhere, work / 'iter_4.pth')
    mark_latest(work, elsewhere)
    for auto_resume in (False, True):
        cfg = Config(dict(work_dir=str(work), resume=True))
        with pytest.warns(UserWarning), pytest.raises(
                CheckpointFileError, match=re.escape(damaged)):
            check_resume(cfg, auto_resume=auto_resume)
        assert cfg.get('load_from') is None


# ---------------------------------------------------------------------------
# Every checkpoint a run reads is read weights-only
# ---------------------------------------------------------------------------
class Payload:
    """Unpickles as ``Path(marker).touch()``: code run by a full unpickling
    (a harmless stand-in for what an attacker would run)."""

    def __init__(self, marker):
        self.marker = str(marker)

    def __reduce__(self):
        return pathlib.Path.touch, (pathlib.Path(self.marker), )


def plant(path, marker, source=None):
    """``source`` (default: a small checkpoint) saved to ``path`` with a
    :class:`Payload` in its ``meta``."""
    checkpoint = dict(state_dict=dict(w=torch.zeros(2)), meta={})
    if source is not None:
        checkpoint = torch.load(source, map_location='cpu',
                                weights_only=True)
    checkpoint['meta']['note'] = Payload(marker)
    torch.save(checkpoint, str(path))
    return str(path)


def test_payload_refused_on_every_path_a_run_reads(tmp_path):
    marker = tmp_path / 'marker'
    work = tmp_path / 'work'
    work.mkdir()
    planted = plant(work / 'iter_2.pth', marker)
    mark_latest(work, planted)
    outside = plant(tmp_path / 'given.pth', marker)
    stage2 = load_config(TINY)
    stage2.stage1_checkpoint = 'iter_2.pth'
    cases = [
        ('--resume', load_config(TINY), dict(resume=True), planted),
        ('--auto-resume', load_config(TINY), dict(auto_resume=True),
         planted),
        ('--resume FILE', load_config(TINY), dict(resume=outside), outside),
        ('--load-from', load_config(TINY), dict(load_from=outside),
         outside),
        ('stage 1', stage2, dict(), planted),
    ]
    config_load_from = load_config(TINY)
    config_load_from.load_from = outside
    cases.append(('config load_from', config_load_from, dict(), outside))
    for name, cfg, options, file in cases:
        with pytest.raises(UntrustedCheckpointError) as info:
            prepare(cfg, work, **options)
        message = str(info.value)
        assert file in message and '--trust-checkpoint' in message, name
        assert 'pathlib' in message, name  # what the file would run
        assert not marker.exists(), name
    # trusted: the check lets it through (without running it: the Runner
    # reads it once, trusted, when it loads it)
    cfg = prepare(load_config(TINY), work, resume=outside,
                  trust_checkpoint=True)
    assert cfg.load_from == outside and not marker.exists()


def test_runner_loads_weights_only(tmp_path, hfan_and_fat):
    """WeightsOnlyRunner.load_checkpoint (what mmengine's resume and
    load_from call) refuses what mmengine's loader would unpickle in
    full; a weights-only checkpoint loads into the model."""
    marker = tmp_path / 'marker'
    checkpoint, _ = hfan_and_fat
    planted = plant(tmp_path / 'planted.pth', marker, source=checkpoint)
    model = build_model(osp.join(osp.dirname(checkpoint), 'hfan.py'))
    runner = SimpleNamespace(model=model, trust_checkpoint=False,
                             call_hook=lambda *a, **k: None,
                             logger=logging.getLogger('test'))
    with pytest.raises(UntrustedCheckpointError, match=re.escape(planted)):
        WeightsOnlyRunner.load_checkpoint(runner, planted)
    assert not marker.exists()
    WeightsOnlyRunner.load_checkpoint(runner, checkpoint)
    saved = torch.load(checkpoint, map_location='cpu',
                       weights_only=True)['state_dict']
    for key, value in model.state_dict().items():
        assert torch.equal(value, saved[key]), key
    # trusted: unpickled in full, as the user chose (the payload runs)
    runner.trust_checkpoint = True
    with pytest.warns(UserWarning, match='fully unpickling'):
        WeightsOnlyRunner.load_checkpoint(runner, planted)
    assert marker.exists()


# ---------------------------------------------------------------------------
# A fresh run does not overwrite another run's checkpoints
# ---------------------------------------------------------------------------
def digests(folder):
    """{relative path: md5} of every file under ``folder``."""
    out = {}
    for base, _, files in os.walk(folder):
        for name in files:
            path = osp.join(base, name)
            with open(path, 'rb') as f:
                out[osp.relpath(path, folder)] = hashlib.md5(
                    f.read()).hexdigest()
    return out


def test_planned_checkpoint_names_follow_the_checkpoint_hook():
    cfg = load_config(TINY)  # every 2 iterations, 4 in all
    assert planned_checkpoint_names(cfg) == {'iter_2.pth', 'iter_4.pth'}
    cfg.train_cfg.max_iters = 5  # and the last one (save_last)
    assert planned_checkpoint_names(cfg) == {
        'iter_2.pth', 'iter_4.pth', 'iter_5.pth'}
    cfg.default_hooks.checkpoint.save_begin = 3
    assert planned_checkpoint_names(cfg) == {'iter_3.pth', 'iter_5.pth'}
    cfg.default_hooks.checkpoint.type = 'MyCheckpointHook'
    assert planned_checkpoint_names(cfg) is None  # cannot tell
    cfg.default_hooks.checkpoint = None
    assert planned_checkpoint_names(cfg) == set()
    # the published recipe: stage 2's files never clash with stage 1's
    stage1 = planned_checkpoint_names(load_config(osp.join(
        ROOT, 'local_configs', 'hfan', 'hfan.small.512x512.160k.py')))
    stage2 = planned_checkpoint_names(load_config(REFINE))
    assert 'iter_160000.pth' in stage1 and 'iter_4000.pth' in stage2
    assert not stage1 & stage2


def test_fresh_run_over_another_runs_checkpoints_refused(tmp_path):
    work = tmp_path / 'work'
    work.mkdir()
    save_checkpoint(work / 'iter_2.pth')
    mark_latest(work, save_checkpoint(work / 'iter_10.pth'))
    before = digests(work)
    with pytest.raises(HFANError) as info:
        prepare(load_config(TINY), work)
    message = str(info.value)
    assert str(work) in message
    assert 'iter_2.pth, iter_10.pth' in message  # natural order
    for option in ('--resume', '--auto-resume', '--overwrite',
                   '--work-dir'):
        assert option in message
    assert digests(work) == before
    # the options: --overwrite starts fresh, --resume continues
    cfg = prepare(load_config(TINY), work, overwrite=True)
    assert not cfg.get('resume') and cfg.get('load_from') is None
    cfg = prepare(load_config(TINY), work, resume=True)
    assert cfg.load_from == str(work / 'iter_10.pth')
    with pytest.raises(HFANError, match='--overwrite'):
        prepare(load_config(TINY), work, overwrite=True, resume=True)
    assert digests(work) == before


def test_stage2_shares_stage1s_work_dir(tmp_path):
    """The published recipe: stage 2 in stage 1's work dir starts from its
    last checkpoint without a flag; a second stage 2 over the first's
    files is refused; resuming stage 2 takes stage 2's own checkpoint."""
    work = tmp_path / 'work'
    work.mkdir()
    save_checkpoint(work / 'iter_2.pth')
    stage1 = save_checkpoint(work / 'iter_4.pth')
    mark_latest(work, stage1)

    def stage2(**options):
        cfg = load_config(TINY)
        cfg.stage1_checkpoint = 'iter_4.pth'
        cfg.train_cfg.max_iters = 1  # saves iter_1.pth
        return prepare(cfg, work, **options)

    for options in (dict(), dict(resume=True), dict(auto_resume=True)):
        cfg = stage2(**options)
        assert not cfg.resume and cfg.load_from == stage1, options
    mark_latest(work, save_checkpoint(work / 'iter_1.pth'))  # stage 2 ran
    before = digests(work)
    with pytest.raises(HFANError) as info:
        stage2()
    message = str(info.value)
    assert str(work) in message and 'iter_1.pth' in message
    assert 'iter_4.pth' in message and '--overwrite' in message
    assert digests(work) == before
    cfg = stage2(resume=True)
    assert cfg.resume is True and cfg.load_from == str(work / 'iter_1.pth')
    cfg = stage2(overwrite=True)  # start stage 2 over, replacing iter_1
    assert not cfg.resume and cfg.load_from == stage1
    # a checkpoint hook whose file names cannot be told: refused too
    custom = Config(dict(work_dir=str(work), load_from=stage1,
                         train_cfg=dict(max_iters=1),
                         default_hooks=dict(checkpoint=dict(type='MyHook'))))
    with pytest.raises(HFANError, match='default_hooks.checkpoint'):
        check_work_dir_free(custom)
    assert digests(work) == before
