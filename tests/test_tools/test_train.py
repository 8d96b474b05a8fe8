"""tools/train.py: 2-process CPU launch, kill + resume, bad input. The
setup it calls is tested in tests/test_apis/test_training.py."""
import glob
import os
import os.path as osp
import signal
import subprocess
import sys
import time
from types import SimpleNamespace

import pytest
import torch
from mmengine.runner.checkpoint import get_torch_safe_globals
from testkit import ROOT, load_tool, write_vos_split

from hfan.apis import load_config
from hfan.apis.training import prepare_train_config
from hfan.engine import CheckFiniteLossHook
from hfan.utils.atomic_io import atomic_write_bytes

NO_VAL = ['val_cfg=None', 'val_dataloader=None', 'val_evaluator=None']


@pytest.fixture(scope='module')
def data_root(tmp_path_factory):
    root = str(tmp_path_factory.mktemp('data') / 'synthetic')
    write_vos_split(root, 'train', videos=2, frames=4, seed=0)
    write_vos_split(root, 'val', videos=1, frames=4, seed=1)
    return root


def env(**extra):
    e = dict(os.environ, OMP_NUM_THREADS='1', PYTHONUNBUFFERED='1')
    e['PYTHONPATH'] = os.pathsep.join(
        [ROOT, osp.join(ROOT, 'tests'),
         e.get('PYTHONPATH', '')]).rstrip(os.pathsep)
    e.update(extra)
    return e


def train_cmd(config, work_dir, data_root, *extra, options=()):
    return [
        sys.executable, 'tools/train.py', config, '--work-dir', work_dir,
        *extra, '--cfg-options', f'synthetic_root={data_root}', *NO_VAL,
        *options
    ]


def load_weights_only(path):
    """torch.load with weights_only=True and only mmengine's allowlist."""
    with torch.serialization.safe_globals(get_torch_safe_globals()):
        return torch.load(path, map_location='cpu', weights_only=True)


def run(cmd, **kwargs):
    proc = subprocess.run(cmd, cwd=ROOT, env=env(), capture_output=True,
                          text=True, timeout=600, **kwargs)
    return proc


def test_dist_train_two_cpu_processes(data_root, tmp_path):
    work_dir = str(tmp_path / 'work')
    proc = subprocess.run(
        ['bash', 'tools/dist_train.sh', 'tests/configs/hfan_tiny_ddp.py', '2',
         '--work-dir', work_dir, '--seed', '1208', '--deterministic',
         '--cfg-options', f'synthetic_root={data_root}', *NO_VAL],
        cwd=ROOT, env=env(PORT='29631'), capture_output=True, text=True,
        timeout=600)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    # rank 0 writes the checkpoints and the log; both ranks finished
    assert osp.isfile(osp.join(work_dir, 'iter_4.pth'))
    logs = glob.glob(osp.join(work_dir, '*', '*.log'))
    assert len(logs) == 1
    log = open(logs[0]).read()
    assert 'Iter(train) [4/4]' in log
    assert log.count('SyncBN falls back to per-process BatchNorm') == 1
    ranks = [
        torch.load(osp.join(work_dir, f'params_rank{r}.pt'))
        for r in range(2)
    ]
    assert ranks[0].keys() == ranks[1].keys() and len(ranks[0]) > 100
    for name, value in ranks[0].items():
        assert torch.equal(value, ranks[1][name]), name
    checkpoint = load_weights_only(osp.join(work_dir, 'iter_4.pth'))
    assert checkpoint['meta']['iter'] == 4
    assert checkpoint['meta']['seed'] == 1208


def _final_state(work_dir):
    ckpt = load_weights_only(osp.join(work_dir, 'iter_8.pth'))
    steps = {int(s['step']) for s in ckpt['optimizer']['state'].values()}
    lrs = sorted({g['lr'] for g in ckpt['optimizer']['param_groups']})
    return ckpt['meta']['iter'], steps, ckpt['param_schedulers'][0], lrs


def test_kill_after_first_checkpoint_then_resume(data_root, tmp_path):
    config = 'tests/configs/hfan_tiny_resume.py'
    reference = str(tmp_path / 'uninterrupted')
    proc = run(train_cmd(config, reference, data_root))
    assert proc.returncode == 0, proc.stderr[-3000:]

    work_dir = str(tmp_path / 'killed')
    child = subprocess.Popen(
        train_cmd(config, work_dir, data_root), cwd=ROOT, env=env(),
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    first = osp.join(work_dir, 'iter_2.pth')
    # the first checkpoint is complete once `last_checkpoint` names it
    marker = osp.join(work_dir, 'last_checkpoint')
    deadline = time.time() + 300
    while not osp.exists(marker) and time.time() < deadline:
        if child.poll() is not None:
            break
        time.sleep(0.02)
    child.send_signal(signal.SIGKILL)
    child.wait()
    assert osp.exists(first)
    assert not osp.exists(osp.join(work_dir, 'iter_8.pth'))
    with open(osp.join(work_dir, 'last_checkpoint')) as f:
        killed_at = f.read().strip()
    # no checkpoint file is left truncated, and no temp file pretends to be one
    for path in glob.glob(osp.join(work_dir, 'iter_*.pth')):
        load_weights_only(path)

    proc = run(train_cmd(config, work_dir, data_root, '--resume'))
    assert proc.returncode == 0, proc.stderr[-3000:]
    output = proc.stdout + proc.stderr
    assert 'resumed' in output.lower()
    # resumed with weights_only=True: mmengine did not fall back to pickle
    assert 'Falling back to weights_only=False' not in output
    assert osp.basename(killed_at) != 'iter_8.pth'
    it, steps, scheduler, lrs = _final_state(work_dir)
    ref_it, ref_steps, ref_scheduler, ref_lrs = _final_state(reference)
    assert it == ref_it == 8
    assert steps == ref_steps == {8}  # Adam's step counter continued
    assert scheduler['last_step'] == ref_scheduler['last_step']
    # LinearLR 1.0 -> 0.1 over 8 iterations: lr 6e-4 * 0.1 (head: x10)
    assert lrs == pytest.approx(ref_lrs)
    assert lrs == pytest.approx([6e-5, 6e-4])


def test_missing_data_root_says_what_to_fix(tmp_path):
    proc = run(
        train_cmd('tests/configs/hfan_tiny.py', str(tmp_path / 'w'),
                  str(tmp_path / 'nowhere')))
    assert proc.returncode != 0
    assert 'does not exist' in proc.stderr and 'nowhere' in proc.stderr


def test_missing_load_from(tmp_path, data_root):
    proc = run(
        train_cmd('tests/configs/hfan_tiny.py', str(tmp_path / 'w'),
                  data_root, '--load-from', str(tmp_path / 'missing.pth')))
    assert proc.returncode != 0
    assert 'missing.pth' in proc.stderr and 'does not exist' in proc.stderr


def test_refine_needs_stage1_checkpoint(tmp_path):
    proc = run([
        sys.executable, 'tools/train.py',
        'local_configs/hfan/hfan.small.512x512.refine.py', '--work-dir',
        str(tmp_path / 'w')
    ])
    assert proc.returncode != 0
    assert 'iter_160000.pth' in proc.stderr
    assert '--load-from' in proc.stderr


def test_amp_is_cuda_only_as_documented(tmp_path, data_root, monkeypatch,
                                        capsys):
    """`--amp` (help: "automatic mixed precision (CUDA)") is mmengine's
    AmpOptimWrapper with dynamic loss scaling where CUDA is available;
    without it, train.py stops at the top with one line that names --amp
    (exit 1, not a crash report, no checkpoint)."""
    train = load_tool('train')
    work = tmp_path / 'w'
    config = osp.join(ROOT, 'tests/configs/hfan_tiny.py')
    argv = [config, '--amp', '--work-dir', str(work), '--cfg-options',
            f'synthetic_root={data_root}', *NO_VAL]
    monkeypatch.setattr(torch.cuda, 'is_available', lambda: False)
    assert train.main(argv) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith('train.py: error: --amp')
    assert 'CUDA' in err[0]
    assert not glob.glob(str(work / '**' / '*.pth'), recursive=True)
    monkeypatch.setattr(torch.cuda, 'is_available', lambda: True)

    def prepared(**options):
        return prepare_train_config(load_config(config),
                                    config_path=config,
                                    work_dir=str(work), **options)

    cfg = prepared(amp=True)
    assert cfg.optim_wrapper.type == 'AmpOptimWrapper'
    assert cfg.optim_wrapper.loss_scale == 'dynamic'
    assert cfg.optim_wrapper.optimizer.type == 'AdamW'
    assert prepared().optim_wrapper.type == 'OptimWrapper'


def test_finite_loss_hook_stops_on_nan():
    hook = CheckFiniteLossHook()
    runner = SimpleNamespace(iter=41)
    hook.after_train_iter(runner, 0, outputs=dict(loss=torch.tensor(0.3)))
    with pytest.raises(RuntimeError, match=r'nan at iteration 42'):
        hook.after_train_iter(
            runner, 0, outputs=dict(loss=torch.tensor(float('nan'))))


def test_atomic_write_keeps_old_file_on_failure(tmp_path, monkeypatch):
    target = tmp_path / 'iter_2.pth'
    atomic_write_bytes(str(target), b'complete checkpoint')

    def broken_replace(src, dst):
        raise KeyboardInterrupt  # killed between write and rename

    monkeypatch.setattr(os, 'replace', broken_replace)
    with pytest.raises(KeyboardInterrupt):
        atomic_write_bytes(str(target), b'half')
    assert target.read_bytes() == b'complete checkpoint'
    assert os.listdir(tmp_path) == ['iter_2.pth']


@pytest.fixture(scope='module')
def hfan_checkpoint(data_root, tmp_path_factory):
    work_dir = str(tmp_path_factory.mktemp('stage1'))
    proc = run(train_cmd('tests/configs/hfan_tiny.py', work_dir, data_root,
                         options=['train_cfg.max_iters=2']))
    assert proc.returncode == 0, proc.stderr[-3000:]
    return osp.join(work_dir, 'iter_2.pth')


def test_load_from_of_another_variant_is_refused(data_root, hfan_checkpoint,
                                                  tmp_path):
    proc = run(
        train_cmd('tests/configs/hfan_tiny.py', str(tmp_path / 'w'),
                  data_root, '--load-from', hfan_checkpoint,
                  options=['model.decode_head.select_method=fat']))
    assert proc.returncode != 0
    # the strict check names the keys the fat model lacks in the file
    assert 'missing' in proc.stderr.lower()
    assert 'fusions.0.local_branch' in proc.stderr


def test_non_strict_load_starts_a_variant_from_another(
        data_root, hfan_checkpoint, tmp_path):
    """--non-strict-load: a `base` model starts from an `hfan` checkpoint;
    the unused fusion weights are listed, the rest is loaded (lr 0: the
    backbone after one step is the checkpoint's, tensor for tensor)."""
    work_dir = str(tmp_path / 'w')
    proc = run(
        train_cmd('tests/configs/hfan_tiny.py', work_dir, data_root,
                  '--load-from', hfan_checkpoint, '--non-strict-load',
                  options=['model.decode_head.select_method=base',
                           'train_cfg.max_iters=1',
                           'optim_wrapper.optimizer.lr=0']))
    assert proc.returncode == 0, proc.stderr[-3000:]
    log = proc.stdout + proc.stderr
    assert 'unexpected' in log.lower() and 'fusions.0.' in log
    before = load_weights_only(hfan_checkpoint)['state_dict']
    after = load_weights_only(osp.join(work_dir, 'iter_1.pth'))['state_dict']
    backbone = [k for k in after if k.startswith('backbone.')]
    assert backbone and not [k for k in after if '.fusions.' in k]
    for key in backbone:
        torch.testing.assert_close(after[key], before[key], rtol=0, atol=0)


def test_load_from_needs_no_imagenet_file(data_root, hfan_checkpoint,
                                          tmp_path):
    """Stage 2 starts from a checkpoint: the backbone's ImageNet init file
    is overwritten anyway and must not be required."""
    work_dir = str(tmp_path / 'w')
    proc = run(
        train_cmd('tests/configs/hfan_tiny_pretrained.py', work_dir,
                  data_root, '--load-from', hfan_checkpoint,
                  options=['train_cfg.max_iters=1']))
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert osp.isfile(osp.join(work_dir, 'iter_1.pth'))
