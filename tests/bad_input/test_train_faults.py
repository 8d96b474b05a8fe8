"""tools/train.py on checkpoints it must not trust or overwrite (issue 30):
code planted in a checkpoint on each path a run reads, a fresh run over
another run's checkpoints, and resuming in a copied work dir.

Each refusal asserts the exit status, the one-line message naming the file
and what to do, that the planted code did not run (its marker file does
not exist), and that nothing in the work dir changed (the md5 of every
file). Refusals run ``main`` in-process (they stop before the Runner is
built); the runs that train start an interpreter, as tests/test_tools/
test_train.py does. The setup functions are tested one by one in
tests/test_apis/test_training.py.
"""
import hashlib
import os
import os.path as osp
import pathlib
import shutil
import subprocess
import sys

import pytest
import torch
from mmengine.runner.checkpoint import get_torch_safe_globals
from testkit import ROOT, load_tool, write_vos_split

pytestmark = pytest.mark.usefixtures('one_torch_thread')

TINY = osp.join(ROOT, 'tests', 'configs', 'hfan_tiny.py')
NO_VAL = ['val_cfg=None', 'val_dataloader=None', 'val_evaluator=None']


# ---------------------------------------------------------------------------
# helpers
# ---------------------------------------------------------------------------
class Payload:
    """Unpickles as ``Path(marker).touch()``: code that a full unpickling
    runs (a harmless stand-in for an attacker's)."""

    def __init__(self, marker):
        self.marker = str(marker)

    def __reduce__(self):
        return pathlib.Path.touch, (pathlib.Path(self.marker), )


def load_weights_only(path):
    with torch.serialization.safe_globals(get_torch_safe_globals()):
        return torch.load(str(path), map_location='cpu', weights_only=True)


def plant(source, target, marker):
    """A real training checkpoint ``source`` saved to ``target`` with a
    :class:`Payload` in its ``meta``."""
    checkpoint = load_weights_only(source)
    checkpoint['meta']['note'] = Payload(marker)
    torch.save(checkpoint, str(target))
    return str(target)


def digests(folder):
    """{relative path: md5} of every file under ``folder`` ({} if none)."""
    out = {}
    for base, _, files in os.walk(folder):
        for name in files:
            path = osp.join(base, name)
            with open(path, 'rb') as f:
                out[osp.relpath(path, folder)] = hashlib.md5(
                    f.read()).hexdigest()
    return out


def error_line(err):
    """The reported error: one ``train.py: error:`` line, no traceback."""
    lines = [line for line in err.strip().splitlines()
             if 'Could not import OneDL' not in line]
    assert 'Traceback' not in err, err
    assert len(lines) == 1 and lines[0].startswith('train.py: error:'), err
    return lines[0]


def env():
    e = dict(os.environ, OMP_NUM_THREADS='1', PYTHONUNBUFFERED='1')
    e['PYTHONPATH'] = os.pathsep.join(
        [ROOT, osp.join(ROOT, 'tests'),
         e.get('PYTHONPATH', '')]).rstrip(os.pathsep)
    return e


def argv(config, work_dir, data_root, *extra, options=()):
    return [str(config), '--work-dir', str(work_dir), *extra,
            '--cfg-options', f'synthetic_root={data_root}', *NO_VAL,
            *options]


def train_process(*args, **kwargs):
    """tools/train.py in its own interpreter (a real training run)."""
    return subprocess.run(
        [sys.executable, 'tools/train.py', *argv(*args, **kwargs)],
        cwd=ROOT, env=env(), capture_output=True, text=True, timeout=600)


def point_latest(work_dir, checkpoint):
    """last_checkpoint as mmengine's CheckpointHook writes it."""
    (pathlib.Path(work_dir) / 'last_checkpoint').write_text(str(checkpoint))


@pytest.fixture(scope='module')
def train_tool():
    return load_tool('train')


@pytest.fixture(scope='module')
def data_root(tmp_path_factory):
    root = str(tmp_path_factory.mktemp('data') / 'synthetic')
    write_vos_split(root, 'train', videos=2, frames=4, seed=0)
    return root


@pytest.fixture(scope='module')
def stage1(data_root, tmp_path_factory):
    """A real 4-iteration run (iter_2.pth, iter_4.pth, last_checkpoint):
    the checkpoints mmengine writes, with optimizer state and message hub.
    Tests copy it; it stays as it is."""
    work_dir = tmp_path_factory.mktemp('stage1') / 'work'
    proc = train_process(TINY, work_dir, data_root)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert sorted(p for p in os.listdir(work_dir) if p.endswith('.pth')) \
        == ['iter_2.pth', 'iter_4.pth']
    return work_dir


def copy_run(stage1, target, own_latest=True):
    """A copy of the stage-1 work dir; ``own_latest``: its last_checkpoint
    names its own iter_4.pth (else the original's, as after a copy)."""
    shutil.copytree(stage1, target)
    if own_latest:
        point_latest(target, target / 'iter_4.pth')
    return target


def stage2_config(tmp_path):
    """A refine config: stage 2 starts from stage 1's iter_4.pth in the
    work dir and saves iter_1.pth."""
    path = tmp_path / 'tiny_refine.py'
    path.write_text(f'_base_ = [{TINY!r}]\n'
                    "stage1_checkpoint = 'iter_4.pth'\n"
                    'train_cfg = dict(max_iters=1)\n')
    return path


# ---------------------------------------------------------------------------
# Code planted in a checkpoint never runs (without --trust-checkpoint)
# ---------------------------------------------------------------------------
def test_payload_in_resume_file_refused(train_tool, stage1, data_root,
                                        tmp_path, capsys):
    marker = tmp_path / 'marker'
    planted = plant(stage1 / 'iter_2.pth', tmp_path / 'given.pth', marker)
    work = copy_run(stage1, tmp_path / 'work')
    before = digests(work)
    assert train_tool.main(argv(TINY, work, data_root, '--resume',
                                planted)) == 1
    msg = error_line(capsys.readouterr().err)
    assert planted in msg and 'weights-only' in msg
    assert '--trust-checkpoint' in msg and 'convert_checkpoint.py' in msg
    assert not marker.exists()
    assert digests(work) == before


@pytest.mark.parametrize('option', ['--resume', '--auto-resume'])
def test_payload_in_work_dirs_latest_refused(train_tool, stage1, data_root,
                                             tmp_path, capsys, option):
    """--auto-resume does not start fresh over it either."""
    marker = tmp_path / 'marker'
    work = copy_run(stage1, tmp_path / 'work')
    planted = plant(stage1 / 'iter_4.pth', work / 'iter_4.pth', marker)
    before = digests(work)
    assert train_tool.main(argv(TINY, work, data_root, option)) == 1
    msg = error_line(capsys.readouterr().err)
    assert planted in msg and '--trust-checkpoint' in msg
    assert not marker.exists()
    assert digests(work) == before


@pytest.mark.parametrize('how', ['--load-from', 'config'])
def test_payload_in_load_from_refused(train_tool, stage1, data_root,
                                      tmp_path, capsys, how):
    marker = tmp_path / 'marker'
    planted = plant(stage1 / 'iter_4.pth', tmp_path / 'given.pth', marker)
    work = tmp_path / 'work'
    extra, options = (['--load-from', planted], []) if how != 'config' \
        else ([], [f'load_from={planted}'])
    assert train_tool.main(argv(TINY, work, data_root, *extra,
                                options=options)) == 1
    msg = error_line(capsys.readouterr().err)
    assert planted in msg and '--trust-checkpoint' in msg
    assert not marker.exists()
    assert not work.exists()  # nothing written, not even the folder


def test_payload_in_stage1_checkpoint_refused(train_tool, stage1, data_root,
                                              tmp_path, capsys):
    marker = tmp_path / 'marker'
    work = copy_run(stage1, tmp_path / 'work')
    planted = plant(stage1 / 'iter_4.pth', work / 'iter_4.pth', marker)
    before = digests(work)
    assert train_tool.main(argv(stage2_config(tmp_path), work,
                                data_root)) == 1
    msg = error_line(capsys.readouterr().err)
    assert planted in msg and '--trust-checkpoint' in msg
    assert not marker.exists()
    assert digests(work) == before


def test_trust_checkpoint_unpickles_in_full_as_documented(
        stage1, data_root, tmp_path):
    """--trust-checkpoint is the user's word that the file is safe: it is
    unpickled in full (the planted code runs, with a warning) and the run
    resumes from it."""
    marker = tmp_path / 'marker'
    planted = plant(stage1 / 'iter_2.pth', tmp_path / 'given.pth', marker)
    work = tmp_path / 'work'
    proc = train_process(TINY, work, data_root, '--resume', planted,
                         '--trust-checkpoint',
                         options=['train_cfg.max_iters=3'])
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert marker.exists()
    assert 'fully unpickling a trusted file' in proc.stderr
    assert load_weights_only(work / 'iter_3.pth')['meta']['iter'] == 3


# ---------------------------------------------------------------------------
# A fresh run does not overwrite another run's checkpoints
# ---------------------------------------------------------------------------
def test_fresh_run_over_checkpoints_refused_then_overwrite(
        train_tool, stage1, data_root, tmp_path, capsys):
    work = copy_run(stage1, tmp_path / 'work')
    before = digests(work)
    assert train_tool.main(argv(TINY, work, data_root)) == 1
    msg = error_line(capsys.readouterr().err)
    assert str(work) in msg and 'iter_2.pth, iter_4.pth' in msg
    for option in ('--resume', '--auto-resume', '--overwrite',
                   '--work-dir'):
        assert option in msg
    assert digests(work) == before
    # --overwrite and --resume contradict each other: a usage error
    with pytest.raises(SystemExit) as info:
        train_tool.main(argv(TINY, work, data_root, '--overwrite',
                             '--resume'))
    assert info.value.code == 2
    assert '--overwrite' in capsys.readouterr().err
    assert digests(work) == before
    # --overwrite: a fresh 2-iteration run replaces iter_2.pth only
    proc = train_process(TINY, work, data_root, '--overwrite',
                         options=['train_cfg.max_iters=2'])
    assert proc.returncode == 0, proc.stderr[-3000:]
    after = digests(work)
    assert after['iter_2.pth'] != before['iter_2.pth']
    assert after['iter_4.pth'] == before['iter_4.pth']
    assert load_weights_only(work / 'iter_2.pth')['meta']['iter'] == 2
    assert (work / 'last_checkpoint').read_text().strip() == str(
        work / 'iter_2.pth')


def test_stage2_in_stage1s_work_dir_then_a_second_refused(
        train_tool, stage1, data_root, tmp_path, capsys):
    """The published recipe needs no flag: stage 2 starts from stage 1's
    last checkpoint in the shared work dir and leaves stage 1's files as
    they are; running stage 2 again would overwrite its iter_1.pth."""
    work = copy_run(stage1, tmp_path / 'work')
    config = stage2_config(tmp_path)
    before = digests(work)
    proc = train_process(config, work, data_root)
    assert proc.returncode == 0, proc.stderr[-3000:]
    after = digests(work)
    for name in ('iter_2.pth', 'iter_4.pth'):
        assert after[name] == before[name]
    assert load_weights_only(work / 'iter_1.pth')['meta']['iter'] == 1
    assert train_tool.main(argv(config, work, data_root)) == 1
    msg = error_line(capsys.readouterr().err)
    assert str(work) in msg and 'iter_1.pth' in msg and '--resume' in msg
    assert digests(work) == after


# ---------------------------------------------------------------------------
# Resuming without a path: only the work dir's own checkpoints
# ---------------------------------------------------------------------------
def test_resume_in_copied_work_dir_takes_its_own_checkpoint(
        stage1, data_root, tmp_path):
    """The copy's last_checkpoint names the original's iter_4.pth; the
    copy holds iter_2.pth only. It resumes from its own iter_2.pth (had it
    taken the original's iter_4.pth, a 3-iteration run would train nothing
    and save no iter_3.pth), with a warning naming both files."""
    original = digests(stage1)
    work = copy_run(stage1, tmp_path / 'work', own_latest=False)
    os.remove(work / 'iter_4.pth')
    proc = train_process(TINY, work, data_root, '--resume',
                         options=['train_cfg.max_iters=3'])
    assert proc.returncode == 0, proc.stderr[-3000:]
    output = proc.stdout + proc.stderr
    assert str(stage1 / 'iter_4.pth') in proc.stderr
    assert str(work / 'last_checkpoint') in proc.stderr
    # read by WeightsOnlyRunner, not by mmengine's loader
    assert (f'Load checkpoint from {work / "iter_2.pth"} (weights-only)'
            in output)
    assert 'Falling back to weights_only=False' not in output
    assert load_weights_only(work / 'iter_3.pth')['meta']['iter'] == 3
    assert digests(stage1) == original


@pytest.mark.parametrize('option', ['--resume', '--auto-resume'])
def test_damaged_own_checkpoint_refused_not_taken_from_elsewhere(
        train_tool, stage1, data_root, tmp_path, capsys, option):
    """The copy's iter_4.pth is truncated and its last_checkpoint names the
    original's good one: an error naming the damaged file."""
    work = copy_run(stage1, tmp_path / 'work', own_latest=False)
    data = (work / 'iter_4.pth').read_bytes()
    (work / 'iter_4.pth').write_bytes(data[:len(data) // 2])
    before = digests(work)
    with pytest.warns(UserWarning, match='outside the work dir'):
        status = train_tool.main(argv(TINY, work, data_root, option))
    assert status == 1
    msg = error_line(capsys.readouterr().err)
    assert str(work / 'iter_4.pth') in msg and 'truncated' in msg
    assert digests(work) == before
