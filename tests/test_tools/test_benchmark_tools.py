"""tools/benchmark_{dataloader,eval,flow,memory}.py: each runs once on tiny
inputs and prints (or writes) the figures its docstring documents, with
sane values. (tools/benchmark.py: tests/test_tools/test_test_tool.py.)"""
import json
import os
import os.path as osp
import re

import pytest
from testkit import ROOT, load_tool

# tiny tensors: one torch thread (see conftest)
pytestmark = pytest.mark.usefixtures('one_torch_thread')

TINY = osp.join(ROOT, 'tests', 'configs', 'hfan_tiny.py')
NUM = r'([0-9.e+-]+)'


def figures(pattern, text):
    match = re.search(pattern, text)
    assert match, f'{pattern!r} not in:\n{text}'
    return [float(g) for g in match.groups()]


def test_benchmark_dataloader(vos_root, capsys):
    tool = load_tool('benchmark_dataloader')
    tool.main([TINY, '--samples', '3', '--repeats', '2', '--workers', '1',
               '--cfg-options', f'synthetic_root={vos_root}'])
    out = capsys.readouterr().out
    # conftest's train split: 2 videos x 4 frames; the tiny config crops
    # 48x48 out of its 96x64 (x0.8-1.2) resize
    assert re.search(r'hfan_tiny\.py: 8 samples, first \S*video0_00000\.jpg'
                     r' -> inputs \(6, 48, 48\)', out), out
    median, a, b = figures(
        rf'training pipeline, 1 process: {NUM} frames/s \(median of 2 x 3; '
        rf'{NUM}, {NUM}\)', out)
    assert min(a, b) > 0
    assert median == pytest.approx((a + b) / 2, abs=0.1)  # two passes
    rate, = figures(rf'DataLoader, 1 workers: {NUM} frames/s', out)
    assert rate > 0


def test_benchmark_eval(capsys):
    tool = load_tool('benchmark_eval')
    assert tool.main(['--seqs', '1', '--frames', '4', '--runs', '1',
                      '--workers', '1']) == 0
    out = capsys.readouterr().out
    # davis16: the first and last frame left out
    assert '1 sequences x 4 frames of 854x480, 2 frames evaluated' in out
    ours, = figures(rf'evaluate_davis \(1 workers\):\s+{NUM} frames/s', out)
    ref, = figures(rf'per-frame reference \(1 process\):\s+{NUM} frames/s',
                   out)
    assert ours > 0 and ref > 0
    diff, = figures(rf'largest difference between the two: {NUM}', out)
    assert diff <= 1e-9
    jf, j, f = figures(rf'J&F {NUM}  J {NUM}/\S+  F {NUM}/', out)
    # predictions are the GT ellipses moved by a few pixels: high, not 100
    assert 50 < j < 100 and 50 < f <= 100
    assert jf == pytest.approx((j + f) / 2, abs=0.1)


def test_benchmark_flow(capsys):
    tool = load_tool('benchmark_flow')
    tool.main(['--size', '64x96', '--runs', '2', '--warmup', '0',
               '--presets', 'ultrafast', '--colorize', '--raft', 'random',
               '--raft-updates', '1', '--device', 'cpu'])
    out = capsys.readouterr().out
    assert '2 timed frame pairs at 64x96' in out
    for label in (r'DIS ultrafast', r'colour \+ JPEG', r'RAFT x1\s+\(cpu\)'):
        fps, slowest, fastest = figures(
            rf'{label}\s+{NUM} frames/s\s+\[{NUM} / {NUM}\]', out)
        assert 0 < slowest <= fps <= fastest


def test_benchmark_memory(tmp_path, monkeypatch, capsys):
    # the child process imports hfan and infer from this checkout
    monkeypatch.setenv('PYTHONPATH', os.pathsep.join(
        [ROOT, os.environ.get('PYTHONPATH', '')]).rstrip(os.pathsep))
    tool = load_tool('benchmark_memory')
    report = tmp_path / 'memory.json'
    assert tool.main([
        '--frames', '3', '--size', '48x64', '--config', TINY, '--overlay',
        'none', '--work-dir', str(tmp_path / 'work'), '--json', str(report)
    ]) == 0
    out = capsys.readouterr().out
    result = json.loads(report.read_text())
    assert result['flat'] is True and result['growth_mb'] == 0
    row, = result['results']
    assert row['n'] == row['frames'] == 3
    assert row['fps'] > 0 and row['seconds'] > 0
    assert 0 < row['rss_loaded_kb'] <= row['peak_loaded_kb'] <= row['peak_kb']
    assert row['rss_end_kb'] <= row['peak_kb']
    fps, peak = figures(rf'N=\s+3\s+{NUM} frames/s .* peak RSS \(VmHWM\)\s+'
                        rf'{NUM} MB', out)
    assert fps == pytest.approx(row['fps'], abs=0.01)
    assert peak == pytest.approx(row['peak_kb'] / 1024, abs=0.1)
    assert 'flat' in out.splitlines()[-1]
