"""tools/summarize_runs.py on work dirs written by mmengine's own local
visualizer backend (scalars.json, config.py) and mmengine-format logs."""
import csv
import io

import pytest
from testkit import load_tool, write_run

summarize_runs = load_tool('summarize_runs')


@pytest.fixture
def runs(tmp_path):
    # a run resumed once: the second part re-validates 2000 and adds 3000
    write_run(tmp_path / 'abl-fam', '20261124_100000', 'fam',
              {1000: 0.5, 2000: 0.6},
              ['2026/11/24 10:00:00', '2026/11/24 10:30:00'])
    write_run(tmp_path / 'abl-fam', '20261124_110000', 'fam',
              {2000: 0.65, 3000: 0.8125},
              ['2026/11/24 11:00:00', '2026/11/24 11:15:30'])
    write_run(tmp_path / 'abl-im', '20261124_120000', 'im', {3000: 0.7},
              ['2026/11/24 12:00:00', '2026/11/24 12:06:00'])
    return tmp_path


def test_last_validation_per_run(runs, capsys):
    rc = summarize_runs.main([str(runs / 'abl-fam'), str(runs / 'abl-im'),
                              '--format', 'markdown'])
    assert rc == 0
    lines = capsys.readouterr().out.strip().splitlines()
    assert lines[0].startswith('| run | variant | iter | J Mean |')
    # 30 + 15.5 minutes over the two parts; 0.8125 rounds half to even
    assert lines[2] == ('| abl-fam | fam | 3000 | 0.812 | 1.000 | 0.713 '
                        '| 0.500 | 0.762 | 45.5 |')
    assert lines[3].startswith('| abl-im | im | 3000 | 0.700 |')
    assert lines[3].endswith('| 6.0 |')
    assert len(lines) == 4


def test_curve_takes_the_resumed_value(runs, capsys):
    summarize_runs.main([str(runs / 'abl-fam'), '--curve', '--format',
                         'csv'])
    rows = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    assert [r['iteration'] for r in rows] == ['1000', '2000', '3000']
    assert [float(r['J_mean']) for r in rows] == [0.5, 0.65, 0.8125]
    assert {r['label'] for r in rows} == {'fam'}
    summarize_runs.main([str(runs / 'abl-im')])  # the plain-text table
    out = capsys.readouterr().out.splitlines()
    assert out[0].split() == ['run', 'variant', 'iter', 'J', 'Mean', 'J',
                              'Recall', 'F', 'Mean', 'F', 'Recall', 'J&F',
                              'wall', 'min']
    assert out[2].split()[:4] == ['abl-im', 'im', '3000', '0.700']


def test_bad_work_dirs(runs, tmp_path, capsys):
    assert summarize_runs.main([str(tmp_path / 'nowhere')]) == 2
    assert 'nowhere: not a directory' in capsys.readouterr().err
    (tmp_path / 'empty').mkdir()
    assert summarize_runs.main([str(tmp_path / 'empty')]) == 2
    assert 'is it the --work-dir of a training run' in capsys.readouterr().err
    write_run(tmp_path / 'early', '20261124_130000', 'im', {}, [])
    assert summarize_runs.main([str(tmp_path / 'early')]) == 2
    assert 'logged no validation yet' in capsys.readouterr().err
    scalars = runs / 'abl-im' / '20261124_120000' / 'vis_data' / 'scalars.json'
    with open(scalars, 'a') as f:
        f.write('{"J_mean": 0.7, "st\n')
    assert summarize_runs.main([str(runs / 'abl-im')]) == 2
    err = capsys.readouterr().err
    assert 'scalars.json, line' in err and 'not JSON' in err
