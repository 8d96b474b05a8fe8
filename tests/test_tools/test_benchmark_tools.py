"""tools/benchmark*.py: each runs once on tiny inputs and prints (or
writes) the figures its docstring documents, with sane values."""
import json
import os
import os.path as osp
import re

import cv2
import pytest
from testkit import ROOT, load_tool, synthetic_frame

from hfan.benchmark.user_path import (
    results_table,
    time_infer_in,
    time_stages_in,
)

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


def test_eval_speed_masks_and_reference(tmp_path):
    import cv2

    from hfan.benchmark.eval_speed import MASK_SIZE, make_masks, reference_eval
    make_masks(str(tmp_path), seqs=2, frames=3)
    assert sorted(os.listdir(tmp_path / 'gt')) == ['seq00', 'seq01']
    assert sorted(os.listdir(tmp_path / 'pred' / 'seq01')) == [
        '00000.png', '00001.png', '00002.png']
    mask = cv2.imread(str(tmp_path / 'gt' / 'seq00' / '00001.png'),
                      cv2.IMREAD_UNCHANGED)
    assert mask.shape == MASK_SIZE and set(mask.ravel()) == {0, 255}
    gt = str(tmp_path / 'gt')
    perfect = reference_eval(gt, gt)  # a prediction equal to its GT
    assert perfect['J_mean'] == perfect['F_mean'] == 1.0
    assert perfect['J_decay'] == perfect['F_decay'] == 0.0


def test_flow_speed_times_only_the_pairs_after_warmup():
    from hfan.benchmark.flow_speed import median_fps
    calls = []
    fps, slowest, fastest = median_fps(lambda a, b: calls.append(a),
                                       [(t, t + 1) for t in range(5)], 2)
    assert calls == [0, 1, 2, 3, 4]
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


def test_benchmark_model_and_end_to_end(tiny, vos_root, tmp_path, capsys):
    benchmark = load_tool('benchmark')
    report = tmp_path / 'bench.json'
    assert benchmark.main([
        tiny[0], '--checkpoint', tiny[1], '--shape', '64', '96', '--repeat',
        '2', '--warmup', '1', '--device', 'cpu', '--end-to-end', '--input',
        vos_root, '--max-frames', '3', '--json',
        str(report)
    ]) == 0
    result = json.loads(report.read_text())
    # the test pipeline resizes 96x64 to 120x80, then to a multiple of 32
    assert result['model_input'] == [[96, 128]]
    assert result['repeat'] == 2 and result['test_mode'] == 'slide'
    assert 0 < result['min_ms'] <= result['median_ms']
    assert result['model_fps'] == pytest.approx(1000 / result['median_ms'])
    assert result['e2e_frames'] == 3 and result['e2e_fps'] > 0
    row = capsys.readouterr().out.strip().splitlines()[-1]
    assert row.startswith(f"| {result['date']} |") and '96x128' in row
    assert f"{result['e2e_fps']:.2f} | `python tools/benchmark.py " in row


def test_benchmark_end_to_end_needs_a_checkpoint(tiny, capsys):
    benchmark = load_tool('benchmark')
    assert benchmark.main([tiny[0], '--end-to-end']) == 1
    assert capsys.readouterr().err == (
        'benchmark.py: error: --end-to-end runs infer.py, which needs '
        '--checkpoint\n')


def test_benchmark_user_path_times_infer_and_its_stages(tiny, tmp_path,
                                                        capsys):
    """The two measurements of tools/benchmark_user_path.py, each in a
    process of this tree (the baseline's worktree aside)."""
    folder = tmp_path / 'walk'
    os.makedirs(folder)
    for t in range(4):
        cv2.imwrite(str(folder / f'{t:05d}.jpg'), synthetic_frame(t))
    config, checkpoint = tiny
    loop = time_infer_in(ROOT, [str(folder)], config, checkpoint,
                         str(tmp_path / 'out'), 'forward')
    assert loop['frames'] == 4
    assert loop['fps'] == pytest.approx(loop['frames'] / loop['seconds'])
    assert len(os.listdir(tmp_path / 'out-DAVIS-16' / 'walk')) == 4
    stages = time_stages_in(ROOT, [str(folder)], config, checkpoint,
                            'forward', frames=2)
    assert sorted(stages) == ['decode', 'flow', 'model', 'write']
    assert all(seconds > 0 for seconds in stages.values())
    table = results_table({'this tree': dict(
        loop, breakdown_s_per_frame=stages)}).splitlines()
    assert table[0].startswith('| code | frames | loop s | frames/s |')
    assert table[2].startswith(f"| this tree | 4 | {loop['seconds']:.1f} |")
    assert table[2].endswith(f"| {stages['write']:.3f} |")
    tool = load_tool('benchmark_user_path')
    with pytest.raises(SystemExit):
        tool.main(['--input', str(tmp_path / 'nowhere')])
    assert 'not a folder of frames' in capsys.readouterr().err
