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
from typing import List, Optional

from hfan.cli.report import InputError, run_cli
from hfan.evaluation.run_logs import (
    RUN_TABLE_FORMATS,
    RunLogError,
    format_runs,
    summarize_runs,
)

PROG = 'summarize_runs.py'


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=PROG,
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
    parser.add_argument('--format', choices=RUN_TABLE_FORMATS,
                        default='text')
    return parser


def _main(argv: Optional[List[str]]) -> int:
    args = build_parser().parse_args(argv)
    try:
        rows = summarize_runs(args.work_dirs, args.label_key, args.curve)
    except RunLogError as e:
        raise InputError(str(e)) from e
    print(format_runs(rows, args.format))
    return 0


def main(argv: Optional[List[str]] = None) -> int:
    """Print the table; 2 for a work dir without a readable run."""
    return run_cli(_main, argv, PROG)
