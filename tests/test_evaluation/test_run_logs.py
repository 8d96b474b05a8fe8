"""hfan.evaluation.run_logs on work dirs written by mmengine's own local
visualizer backend (scalars.json, config.py) and mmengine-format logs."""
import csv
import io

import pytest
from testkit import write_run

from hfan.evaluation.run_logs import (
    RUN_METRICS,
    RunLogError,
    config_value,
    format_runs,
    run_dirs,
    summarize_runs,
    validations,
    wall_minutes,
)


@pytest.fixture
def fam(tmp_path):
    """A run resumed once: the second part re-validates 2000, adds 3000."""
    work = tmp_path / 'abl-fam'
    write_run(work, '20261124_100000', 'fam', {1000: 0.5, 2000: 0.6},
              ['2026/11/24 10:00:00', '2026/11/24 10:30:00'])
    write_run(work, '20261124_110000', 'fam', {2000: 0.65, 3000: 0.75},
              ['2026/11/24 11:00:00', '2026/11/24 11:15:30'])
    return work


def test_run_parts_oldest_first(fam):
    parts = run_dirs(str(fam))
    assert [p[-15:] for p in parts] == ['20261124_100000', '20261124_110000']


def test_later_part_wins_for_the_same_iteration(fam):
    vals = validations(run_dirs(str(fam)))
    assert list(vals) == [1000, 2000, 3000]
    assert [v['J_mean'] for v in vals.values()] == [0.5, 0.65, 0.75]
    # write_run logs F = J - 0.1, J&F = J - 0.05 and constant recalls
    assert vals[3000] == pytest.approx(dict(
        J_mean=0.75, J_recall=1.0, F_mean=0.65, F_recall=0.5,
        JF_mean=0.7))
    assert set(vals[3000]) == {k for k, _ in RUN_METRICS}


def test_config_value_and_wall_time(fam):
    parts = run_dirs(str(fam))
    assert config_value(parts, 'model.decode_head.select_method') == 'fam'
    assert config_value(parts, 'model.decode_head.nope') is None
    assert config_value(parts, 'model.decode_head.select_method.x') is None
    assert wall_minutes(parts) == pytest.approx(30 + 15.5)


def test_rows_and_formats(fam):
    rows = summarize_runs([str(fam)])
    assert len(rows) == 1
    assert rows[0]['run'] == 'abl-fam' and rows[0]['label'] == 'fam'
    assert rows[0]['iteration'] == 3000 and rows[0]['minutes'] == '45.5'
    curve = summarize_runs([str(fam)], curve=True)
    assert [r['iteration'] for r in curve] == [1000, 2000, 3000]
    table = list(csv.DictReader(io.StringIO(format_runs(curve, 'csv'))))
    assert [float(r['J_mean']) for r in table] == [0.5, 0.65, 0.75]
    markdown = format_runs(rows, 'markdown').splitlines()
    assert markdown[2].startswith('| abl-fam | fam | 3000 | 0.750 | 1.000 ')
    with pytest.raises(ValueError, match="'html'"):
        format_runs(rows, 'html')


def test_unreadable_work_dirs(tmp_path):
    with pytest.raises(RunLogError, match='not a directory'):
        run_dirs(str(tmp_path / 'nowhere'))
    with pytest.raises(RunLogError, match='training run'):
        run_dirs(str(tmp_path))
    write_run(tmp_path / 'early', '20261124_130000', 'im', {}, [])
    with pytest.raises(RunLogError, match='no validation yet'):
        summarize_runs([str(tmp_path / 'early')])
    assert wall_minutes(run_dirs(str(tmp_path / 'early'))) is None
