"""tools/test.py: J/F of a checkpoint on the config's test set (CPU),
through the command and through what it calls (hfan.apis.testing)."""
import json
import math
import os
import os.path as osp
import subprocess

import cv2
import numpy as np
import pytest
from testkit import (
    NAMES,
    ROOT,
    SIZE,
    archive_path,
    load_tool,
    run_infer,
    save_tiny_checkpoint,
    write_tiny_config,
)

from hfan.apis import load_config
from hfan.apis.testing import evaluate_checkpoint, prepare_test_config
from hfan.cli.eval_vos import main as main_vos  # tools/eval_vos.py
from hfan.cli.test import format_metrics
from hfan.evaluation import METRIC_KEYS
from hfan.models.checkpoint import CheckpointMismatchError

# every test here runs tiny models: one torch thread (see conftest)
pytestmark = pytest.mark.usefixtures('one_torch_thread')

test_tool = load_tool('test')


def run_test_tool(config, checkpoint, root, work_dir, *extra):
    """tools/test.py's exit status."""
    return test_tool.main([
        config, checkpoint, '--work-dir',
        str(work_dir), '--cfg-options', f'davis_root={root}', *extra
    ])


def evaluate(config, checkpoint, root, work_dir, out=None):
    """What tools/test.py computes: the metrics of its test run."""
    cfg = prepare_test_config(load_config(config, {'davis_root': root}),
                              config_path=config, work_dir=str(work_dir))
    return evaluate_checkpoint(cfg, checkpoint,
                               out_dir=None if out is None else str(out))


def test_test_tool_j_and_f_and_masks(tiny, vos_root, tmp_path):
    out = tmp_path / 'pred'
    metrics = evaluate(*tiny, vos_root, tmp_path / 'work', out=out)
    assert set(METRIC_KEYS) <= set(metrics)
    assert all(0.0 <= metrics[k] <= 1.0 for k in ('J_mean', 'F_mean'))
    # --out writes what infer.py writes, for the same checkpoint
    infer_out = tmp_path / 'infer'
    assert run_infer(tiny, vos_root, infer_out) == 0
    for name in NAMES:
        mask = cv2.imread(archive_path(out, name), cv2.IMREAD_UNCHANGED)
        assert mask.shape == SIZE
        np.testing.assert_array_equal(
            mask, cv2.imread(archive_path(infer_out, name),
                             cv2.IMREAD_UNCHANGED))
        assert osp.isfile(out / f'{name}.png')
    # its figures are tools/eval_vos.py's on the masks it wrote (DAVIS-16
    # protocol: the first and last frame of each video left out)
    report = tmp_path / 'eval_vos.json'
    assert main_vos([
        f'{out}-DAVIS-16', osp.join(vos_root, 'mask', 'val'), '--json',
        str(report), '--workers', '1', '--no-progress'
    ]) == 0
    offline = json.loads(report.read_text())
    assert offline['num_frames_evaluated'] == 2 * (4 - 2)
    assert 0 < offline['J_mean'] < 1 and 0 < offline['F_mean'] < 1
    for key in METRIC_KEYS:
        if offline[key] is None:  # NaN in the JSON
            assert math.isnan(metrics[key]), key
        else:
            assert metrics[key] == pytest.approx(offline[key], abs=1e-9), key


def test_test_tool_aug_test(tiny, vos_root, tmp_path, capsys):
    """--aug-test: the masks are infer.py --aug-test's on the same video;
    the figures are printed on one line."""
    out = tmp_path / 'pred'
    assert run_test_tool(*tiny, vos_root, tmp_path / 'work', '--aug-test',
                         '--out', str(out)) == 0
    printed = capsys.readouterr().out.strip().splitlines()[-1]
    assert all(f'{key}: ' in printed for key in METRIC_KEYS)
    infer_out = tmp_path / 'infer'
    assert run_infer(tiny, vos_root, infer_out, '--aug-test') == 0
    for name in NAMES:
        mask = cv2.imread(archive_path(out, name), cv2.IMREAD_UNCHANGED)
        assert mask.shape == SIZE
        np.testing.assert_array_equal(
            mask, cv2.imread(archive_path(infer_out, name),
                             cv2.IMREAD_UNCHANGED))


def test_test_tool_refuses_a_checkpoint_of_another_variant(
        tiny, vos_root, tmp_path):
    config = write_tiny_config(tmp_path / 'tiny_fat.py', select_method='fat')
    other = save_tiny_checkpoint(config, tmp_path / 'fat.pth')
    with pytest.raises(CheckpointMismatchError, match='missing'):
        evaluate(tiny[0], other, vos_root, tmp_path / 'work')


def test_format_metrics_shows_fractions_as_percent():
    assert format_metrics({'J_mean': 0.5, 'vos/F_recall': 0.25,
                           'frames': 7, 'seconds': 1.5}) == \
        'J_mean: 50.0  vos/F_recall: 25.0  frames: 7  seconds: 1.5'


def test_dist_test_two_cpu_processes(tiny, vos_root, tmp_path):
    """dist_test.sh: 2 processes on gloo, the same figures as one process."""
    single = evaluate(*tiny, vos_root, tmp_path / 'work1')
    out = tmp_path / 'pred'
    proc = subprocess.run(
        [
            'bash', 'tools/dist_test.sh', tiny[0], tiny[1], '2', '--work-dir',
            str(tmp_path / 'work2'), '--out',
            str(out), '--cfg-options', f'davis_root={vos_root}'
        ],
        cwd=ROOT,
        env=dict(os.environ, OMP_NUM_THREADS='1', PORT='29641'),
        capture_output=True,
        text=True,
        timeout=300)
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    printed = proc.stdout.strip().splitlines()[-1]
    assert printed == format_metrics(single)
    assert len(os.listdir(out)) == len(NAMES)  # both ranks wrote theirs
