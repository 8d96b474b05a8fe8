"""Compare training runs (e.g. an ablation) from their work dirs.

    python tools/summarize_runs.py work_dirs/abl-im work_dirs/abl-fw \\
        work_dirs/abl-base work_dirs/demo4k [--curve] [--format markdown]

Reads what the runs logged themselves, nothing is re-evaluated: the
validation metrics of every ``<timestamp>/vis_data/scalars.json`` of a work
dir (mmengine's local visualizer backend; a resumed run has several, later
ones win for the same iteration), the variant from the run's dumped config
(``--label-key``, default ``model.decode_head.select_method``) and the wall
time from the first to the last line of the text logs.

One row per run with its last validation (``--curve``: a row per
validation). ``--format``: ``text`` (default), ``markdown`` or ``csv``.
"""
import argparse
import csv
import glob
import io
import json
import os.path as osp
import re
import sys
from datetime import datetime
from typing import Dict, List, Optional

from mmengine.config import Config

from hfan.evaluation.io import text_table

#: the VOS metrics VOSMetric logs, with their table headers
METRICS = (('J_mean', 'J Mean'), ('J_recall', 'J Recall'),
           ('F_mean', 'F Mean'), ('F_recall', 'F Recall'),
           ('JF_mean', 'J&F'))

_LOG_TIME = re.compile(r'^(\d{4}/\d\d/\d\d \d\d:\d\d:\d\d) - ')


class RunError(ValueError):
    """A work dir that holds no run this tool can read."""


def _run_dirs(work_dir: str) -> List[str]:
    """The timestamped run folders of a work dir, oldest first."""
    if not osp.isdir(work_dir):
        raise RunError(f'{work_dir}: not a directory')
    found = sorted(
        osp.dirname(osp.dirname(p)) for p in glob.glob(
            osp.join(work_dir, '*', 'vis_data', 'scalars.json')))
    if not found:
        raise RunError(f'{work_dir}: no <timestamp>/vis_data/scalars.json; '
                       'is it the --work-dir of a training run?')
    return found


def validations(runs: List[str]) -> Dict[int, Dict[str, float]]:
    """``{iteration: {metric: value}}`` for every validation logged by
    the run folders ``runs`` (oldest first)."""
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
                    raise RunError(f'{path}, line {number}: not JSON ({e})')
                if 'J_mean' in record and 'step' in record:
                    out[int(record['step'])] = {
                        k: record[k] for k, _ in METRICS if k in record}
    return dict(sorted(out.items()))


def config_value(runs: List[str], key: str) -> Optional[object]:
    """``key`` (dotted) in the newest dumped config of the run folders."""
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


def wall_minutes(runs: List[str]) -> Optional[float]:
    """Minutes between the first and the last time stamp of each text log,
    summed over the run's (resumed) parts."""
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


def summarize(work_dirs: List[str], label_key: str, curve: bool):
    """Rows ``{run, label, iteration, minutes, <metrics>}``."""
    rows = []
    for work_dir in work_dirs:
        runs = _run_dirs(work_dir)
        vals = validations(runs)
        if not vals:
            raise RunError(f'{work_dir}: the run logged no validation yet '
                           '(no J_mean in its scalars.json)')
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


def render(rows, fmt: str) -> str:
    keys = ['label', 'iteration'] + [k for k, _ in METRICS] + ['minutes']
    headers = ['variant', 'iter'] + [h for _, h in METRICS] + ['wall min']
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


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(
        prog='summarize_runs.py',
        description=__doc__.split('\n')[0],
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog=__doc__.split('\n', 1)[1])
    parser.add_argument('work_dirs', nargs='+', metavar='WORK_DIR',
                        help='--work-dir of a training run')
    parser.add_argument('--curve', action='store_true',
                        help='a row per validation, not only the last')
    parser.add_argument('--label-key',
                        default='model.decode_head.select_method',
                        help='config key shown as the variant (default: '
                        '%(default)s)')
    parser.add_argument('--format', choices=['text', 'markdown', 'csv'],
                        default='text')
    args = parser.parse_args(argv)
    try:
        rows = summarize(args.work_dirs, args.label_key, args.curve)
    except RunError as e:
        print(f'summarize_runs.py: error: {e}', file=sys.stderr)
        return 2
    print(render(rows, args.format))
    return 0


if __name__ == '__main__':
    # Anything unexpected is one line too (HFAN_DEBUG=1: the traceback).
    from hfan.cli.report import run_cli
    sys.exit(run_cli(main, None, 'summarize_runs.py'))
