"""Compare training runs (e.g. an ablation) from what they logged.

Nothing is re-evaluated: the validation metrics come from every
``<timestamp>/vis_data/scalars.json`` of a work dir (mmengine's local
visualizer backend; a resumed run has several, later ones win for the same
iteration), the variant from the run's dumped config and the wall time from
the first to the last time stamp of the text logs.
"""
import csv
import glob
import io
import json
import os.path as osp
import re
from datetime import datetime
from typing import Dict, List, Optional, Sequence

from mmengine.config import Config

from hfan.utils.errors import HFANError

from .io import text_table

#: The VOS metrics :class:`~hfan.evaluation.VOSMetric` logs, with their
#: table headers.
RUN_METRICS = (('J_mean', 'J Mean'), ('J_recall', 'J Recall'),
               ('F_mean', 'F Mean'), ('F_recall', 'F Recall'),
               ('JF_mean', 'J&F'))
#: What :func:`format_runs` writes.
RUN_TABLE_FORMATS = ('text', 'markdown', 'csv')

_LOG_TIME = re.compile(r'^(\d{4}/\d\d/\d\d \d\d:\d\d:\d\d) - ')


class RunLogError(HFANError):
    """A work dir that holds no training run whose logs can be read."""


def run_dirs(work_dir: str) -> List[str]:
    """The timestamped run folders of a work dir, oldest first.

    Raises:
        RunLogError: ``work_dir`` is not a folder, or holds no
            ``<timestamp>/vis_data/scalars.json``.
    """
    if not osp.isdir(work_dir):
        raise RunLogError(f'{work_dir}: not a directory')
    found = sorted(
        osp.dirname(osp.dirname(p)) for p in glob.glob(
            osp.join(work_dir, '*', 'vis_data', 'scalars.json')))
    if not found:
        raise RunLogError(f'{work_dir}: no <timestamp>/vis_data/scalars.json;'
                          ' is it the --work-dir of a training run?')
    return found


def validations(runs: Sequence[str]) -> Dict[int, Dict[str, float]]:
    """``{iteration: {metric: value}}`` for every validation logged by
    the run folders ``runs`` (oldest first; a later one wins), sorted by
    iteration.

    Raises:
        RunLogError: a line of a ``scalars.json`` is not JSON.
    """
    out: Dict[int, Dict[str, float]] = {}
    for run in runs:
        path = osp.join(run, 'vis_data', 'scalars.json')
        with open(path) as f:
            for number, line in enumerate(f, 1):
                if not line.strip():
                    continue
                try:
                    record = json.loads(line)
                except json.JSONDecodeError as e:
                    raise RunLogError(
                        f'{path}, line {number}: not JSON ({e})') from None
                if 'J_mean' in record and 'step' in record:
                    out[int(record['step'])] = {
                        k: record[k] for k, _ in RUN_METRICS if k in record}
    return dict(sorted(out.items()))


def config_value(runs: Sequence[str], key: str) -> Optional[object]:
    """``key`` (dotted, e.g. ``model.decode_head.select_method``) in the
    newest dumped config of the run folders; ``None`` when no run dumped
    its config or the config lacks the key."""
    dumped = [osp.join(run, 'vis_data', 'config.py') for run in runs]
    dumped = [p for p in dumped if osp.isfile(p)]
    if not dumped:
        return None
    value = Config.fromfile(dumped[-1]).to_dict()
    for part in key.split('.'):
        if not isinstance(value, dict) or part not in value:
            return None
        value = value[part]
    return value


def wall_minutes(runs: Sequence[str]) -> Optional[float]:
    """Minutes between the first and the last time stamp of each run
    folder's text logs, summed over the run's (resumed) parts; ``None``
    when no log has a time stamp."""
    total, seen = 0.0, False
    for run in runs:
        stamps = []
        for log in glob.glob(osp.join(run, '*.log')):
            with open(log, errors='replace') as f:
                for line in f:
                    m = _LOG_TIME.match(line)
                    if m:
                        stamps.append(
                            datetime.strptime(m.group(1),
                                              '%Y/%m/%d %H:%M:%S'))
        if stamps:
            total += (max(stamps) - min(stamps)).total_seconds() / 60
            seen = True
    return total if seen else None


def summarize_runs(work_dirs: Sequence[str],
                   label_key: str = 'model.decode_head.select_method',
                   curve: bool = False) -> List[dict]:
    """One row per work dir with its last validation (``curve``: a row per
    validation).

    Returns:
        rows ``dict(run, label, iteration, minutes, <RUN_METRICS keys>)``:
        ``run`` the work dir's name, ``label`` the config value of
        ``label_key`` as text (``'-'`` if absent), ``minutes`` the wall time
        as text with one decimal (``None`` if unknown).

    Raises:
        RunLogError: a work dir holds no run, or no validation yet.
    """
    rows = []
    for work_dir in work_dirs:
        runs = run_dirs(work_dir)
        vals = validations(runs)
        if not vals:
            raise RunLogError(f'{work_dir}: the run logged no validation '
                              'yet (no J_mean in its scalars.json)')
        label = config_value(runs, label_key)
        minutes = wall_minutes(runs)
        steps = list(vals) if curve else [max(vals)]
        for step in steps:
            rows.append(dict(run=osp.basename(osp.normpath(work_dir)),
                             label='-' if label is None else str(label),
                             iteration=step,
                             minutes=None if minutes is None else
                             f'{minutes:.1f}', **vals[step]))
    return rows


def _cell(value) -> str:
    if value is None:
        return '-'
    if isinstance(value, float):
        return f'{value:.3f}'
    return str(value)


def format_runs(rows: Sequence[dict], fmt: str = 'text') -> str:
    """The rows of :func:`summarize_runs` as a table, one of
    :data:`RUN_TABLE_FORMATS`: aligned ``text``, ``markdown`` (metrics with
    3 decimals) or ``csv`` (values as logged)."""
    if fmt not in RUN_TABLE_FORMATS:
        raise ValueError(f'table format {fmt!r}: expected one of '
                         f'{", ".join(RUN_TABLE_FORMATS)}')
    keys = ['label', 'iteration'] + [k for k, _ in RUN_METRICS] + ['minutes']
    headers = ['variant', 'iter'] + [h for _, h in RUN_METRICS] + \
        ['wall min']
    if fmt == 'csv':
        buf = io.StringIO()
        writer = csv.writer(buf, lineterminator='\n')
        writer.writerow(['run'] + keys)
        for row in rows:
            writer.writerow([row['run']] + [row.get(k, '') for k in keys])
        return buf.getvalue().rstrip('\n')
    if fmt == 'markdown':
        lines = ['| run | ' + ' | '.join(headers) + ' |',
                 '|---' * (len(headers) + 1) + '|']
        for row in rows:
            lines.append('| ' + ' | '.join(
                [row['run']] + [_cell(row.get(k)) for k in keys]) + ' |')
        return '\n'.join(lines)
    return text_table('run', [(r['run'], r) for r in rows], keys, headers,
                      _cell, 9)
