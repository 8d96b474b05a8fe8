"""tools/benchmark_user_path.py --rounds: the two code bases alternate,
each run into its own folder, and the medians and ratios are those of the
planted frames/s (the infer.py runs are stood in for: the measurement of
one run is tested in test_benchmark_tools.py)."""
import contextlib
import json

import pytest
from testkit import load_tool

import hfan.benchmark.user_path as user_path


@pytest.fixture
def planted_runs(monkeypatch):
    """Baseline runs at 0.5, 0.7, 0.6 frames/s, this tree's at 2.0, 2.4,
    2.2 (10 frames each); records every call."""
    fps = {'baseline': iter([0.5, 0.7, 0.6]), 'tree': iter([2.0, 2.4, 2.2])}
    calls = []

    def fake_infer(root, inputs, config, checkpoint, output_dir,
                   flow_directions=None, extra=()):
        which = 'tree' if root == user_path.REPO_ROOT else 'baseline'
        calls.append(('infer', which, output_dir, tuple(extra)))
        value = next(fps[which])
        return dict(frames=10, seconds=10 / value, fps=value)

    def fake_stages(root, *args, **kwargs):
        which = 'tree' if root == user_path.REPO_ROOT else 'baseline'
        calls.append(('stages', which))
        return dict(decode=0.1, flow=0.2, model=0.3, write=0.4)

    @contextlib.contextmanager
    def fake_worktree(commit, folder, repo=user_path.REPO_ROOT):
        yield folder

    monkeypatch.setattr(user_path, 'time_infer_in', fake_infer)
    monkeypatch.setattr(user_path, 'time_stages_in', fake_stages)
    monkeypatch.setattr(user_path, 'git_worktree', fake_worktree)
    return calls


def test_rounds_alternate_and_report_medians(planted_runs):
    report = user_path.compare_user_path(
        ['/frames'], 'cfg.py', 'ckpt.pth', 'abc1234', breakdown_frames=2,
        extra=['--batch-size', '2'], rounds=3)
    infer_calls = [c for c in planted_runs if c[0] == 'infer']
    assert [c[1] for c in infer_calls] == ['baseline', 'tree'] * 3
    assert len({c[2] for c in infer_calls}) == 6  # a fresh folder each run
    assert {c[3] for c in infer_calls if c[1] == 'tree'} == {
        ('--batch-size', '2')}
    assert {c[3] for c in infer_calls if c[1] == 'baseline'} == {()}
    # the stages are timed once per code base, in the first round
    assert planted_runs[:4] == [
        infer_calls[0], ('stages', 'baseline'), infer_calls[1],
        ('stages', 'tree')]
    assert [c for c in planted_runs if c[0] == 'stages'] == [
        ('stages', 'baseline'), ('stages', 'tree')]
    old = report['results']['abc1234 (baseline)']
    new = report['results']['this tree']
    assert old['fps_rounds'] == [0.5, 0.7, 0.6]
    assert new['fps_rounds'] == [2.0, 2.4, 2.2]
    assert (old['fps'], new['fps']) == (0.6, 2.2)  # the medians
    assert new['seconds'] == pytest.approx(10 / 2.2)  # of the median run
    assert new['breakdown_s_per_frame']['write'] == 0.4
    assert report['ratio'] == pytest.approx(2.2 / 0.6)
    assert report['round_ratios'] == pytest.approx([4.0, 2.4 / 0.7, 2.2 / 0.6])
    assert report['rounds'] == 3


def test_an_even_count_takes_the_lower_median(planted_runs):
    report = user_path.compare_user_path(
        ['/frames'], 'cfg.py', 'ckpt.pth', 'abc1234', rounds=2)
    assert report['results']['abc1234 (baseline)']['fps'] == 0.5
    assert report['results']['this tree']['fps'] == 2.0
    with pytest.raises(ValueError, match='rounds must be >= 1, got 0'):
        user_path.compare_user_path(['/frames'], 'cfg.py', 'ckpt.pth',
                                    'abc1234', rounds=0)


def test_command_prints_every_run_and_the_median_ratio(
        planted_runs, tmp_path, capsys):
    tool = load_tool('benchmark_user_path')
    out = tmp_path / 'report.json'
    assert tool.main(['--input', str(tmp_path), '--rounds', '3',
                      '--baseline', 'abc1234', '--json', str(out)]) == 0
    printed = capsys.readouterr().out
    assert 'abc1234 (baseline): frames/s of the 3 runs: 0.50, 0.70, 0.60' \
        in printed
    assert 'this tree: frames/s of the 3 runs: 2.00, 2.40, 2.20' in printed
    assert 'ratio of each round: 4.00x, 3.43x, 3.67x' in printed
    assert printed.rstrip().endswith(
        'this tree / baseline: 3.67x median frames/s')
    assert json.loads(out.read_text())['round_ratios'][0] == 4.0
    with pytest.raises(SystemExit):
        tool.main(['--input', str(tmp_path), '--rounds', '0'])
    assert '--rounds must be >= 1, got 0' in capsys.readouterr().err
