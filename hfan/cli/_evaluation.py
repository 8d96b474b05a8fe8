"""What ``eval_vos.py`` and ``eval_vsod.py`` share: the arguments (same
interface, different measures) and the run (check the outputs, evaluate,
print the tables, write JSON / CSV).

Input problems are one ``error:`` line on stderr and exit status 2.
"""
import argparse
import os.path as osp
import sys
import warnings
from typing import Callable, Optional, Sequence

from hfan.cli.report import InputError
from hfan.evaluation.davis import PROTOCOLS
from hfan.evaluation.io import (
    LAYOUTS,
    csv_text,
    json_text,
    read_sequence_list,
    write_csv,
    write_json,
)
from hfan.evaluation.outputs import STDOUT, check_output_path
from hfan.evaluation.parallel import default_workers
from hfan.utils.paths import OutputPathError, same_file

_LAYOUT_HELP = ("'per-video' = ROOT/<video>/<frame>.png, 'flat' = "
                'ROOT/<video>_<frame>.png (video = text before the last '
                'underscore)')


class _Parser(argparse.ArgumentParser):
    """Argument errors as one line naming the value (and a pointer to
    ``--help``), not the whole usage block."""

    def error(self, message):
        self.exit(2, f'{self.prog}: error: {message} (see --help)\n')


def _workers(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError('must be >= 1')
    return value


def build_parser(prog: str, description: str,
                 epilog: str) -> argparse.ArgumentParser:
    """Arguments common to both evaluators."""
    parser = _Parser(
        prog=prog, description=description, epilog=epilog,
        formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('pred_dir', metavar='PRED_DIR',
                        help='folder of predicted masks / maps')
    parser.add_argument('gt_dir', metavar='GT_DIR',
                        help='folder of ground-truth masks')
    parser.add_argument('--layout', choices=LAYOUTS, default=None,
                        help='layout of PRED_DIR (default: detected). '
                        + _LAYOUT_HELP)
    parser.add_argument('--gt-layout', choices=LAYOUTS, default=None,
                        help='layout of GT_DIR (default: detected)')
    parser.add_argument('--protocol', choices=PROTOCOLS, default='davis16',
                        help="'davis16' (default): first and last frame of "
                        "each sequence excluded, the official DAVIS-16 "
                        "protocol; 'all-frames': every frame; 'annotated': "
                        'exactly the frames that have a GT file, no '
                        'first/last skip, predictions of other frames '
                        'ignored (sparse GT: Long-Videos, FBMS-59, '
                        'YouTube-Objects)')
    parser.add_argument('--sequences', default=None, metavar='LIST',
                        help='evaluate only these GT sequences: '
                        'comma-separated names or a text file with one name '
                        'a line (default: every GT sequence)')
    parser.add_argument('--json', default=None, metavar='OUT.json',
                        help='write dataset and per-sequence figures '
                        "(fractions) as JSON; '-': to stdout, which then "
                        'holds only the JSON (tables go to stderr)')
    parser.add_argument('--csv', default=None, metavar='OUT.csv',
                        help='write per-sequence and dataset rows as CSV; '
                        "'-': to stdout, alone (tables go to stderr)")
    parser.add_argument('--workers', type=_workers, default=None,
                        help='processes (default: min(4, CPUs) = '
                        f'{default_workers()} here)')
    parser.add_argument('--no-progress', action='store_true',
                        help='no progress bar')
    parser.add_argument('--dataset-only', action='store_true',
                        help='print only the dataset table')
    return parser


def _check_outputs(args: argparse.Namespace) -> None:
    """Refuse ``--json`` / ``--csv`` paths that could not be written, that
    are one of the inputs or inside an input folder (a GT PNG replaced by
    JSON), or that are one file (the CSV would replace the JSON)."""
    inputs = [('PRED_DIR', args.pred_dir), ('GT_DIR', args.gt_dir)]
    if args.sequences is not None and osp.isfile(args.sequences):
        inputs.append(('--sequences file', args.sequences))
    if getattr(args, 'classes', None) is not None:
        inputs.append(('--classes file', args.classes))
    check_output_path(args.json, '--json', inputs)
    check_output_path(args.csv, '--csv', inputs)
    if STDOUT not in (args.json, args.csv) and None not in (
            args.json, args.csv) and same_file(args.json, args.csv):
        raise OutputPathError(
            f'--json {args.json} and --csv {args.csv} are one file: the CSV '
            'would replace the JSON; give two paths')


def run_evaluation(args: argparse.Namespace, evaluate: Callable[..., dict],
                   format_table: Callable[..., str], keys: Sequence[str],
                   extra_tables: Optional[Callable[[dict], str]] = None,
                   **extra) -> int:
    """Check the outputs, evaluate, print and write; every problem is one
    ``error:`` line on stderr and exit status 2.

    Args:
        args: what :func:`build_parser` parsed.
        evaluate: ``evaluate(pred_dir, gt_dir, layout=..., ...)`` giving
            the results dict (``evaluate_davis``, ``evaluate_vsod``).
        format_table: ``format_table(results, per_sequence=...)``.
        keys: the dataset figures, the CSV's columns.
        extra_tables: more tables of the results ('' for none).
        **extra: the evaluator's own keyword arguments.
    """
    if args.json == STDOUT and args.csv == STDOUT:
        raise InputError('--json - and --csv - both ask for stdout; send one '
                         'of them to a file')
    try:
        _check_outputs(args)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter('always')
            results = evaluate(
                args.pred_dir, args.gt_dir, layout=args.layout,
                gt_layout=args.gt_layout, protocol=args.protocol,
                workers=args.workers,
                sequences=read_sequence_list(args.sequences),
                progress=not args.no_progress, **extra)
    except (OSError, ValueError) as err:  # FileNotFoundError is an OSError
        raise InputError(str(err)) from err
    for w in caught:  # the user's concern; library deprecations are not
        if not issubclass(w.category, (DeprecationWarning,
                                       PendingDeprecationWarning)):
            print(f'warning: {w.message}', file=sys.stderr)
    if results['num_frames_evaluated'] == 0:
        raise InputError('no frame was evaluated (every sequence is too '
                         f'short for protocol {args.protocol!r})')
    # stdout carries the machine-readable output alone when asked for it
    to_stdout = STDOUT in (args.json, args.csv)
    human = sys.stderr if to_stdout else sys.stdout
    print(format_table(results, per_sequence=not args.dataset_only),
          file=human)
    if extra_tables is not None:
        text = extra_tables(results)
        if text:
            print('\n' + text, file=human)
    try:
        if args.json == STDOUT:
            sys.stdout.write(json_text(results))
        elif args.json:
            write_json(args.json, results)
            print(f'wrote {args.json}', file=human)
        if args.csv == STDOUT:
            sys.stdout.write(csv_text(results, keys))
        elif args.csv:
            write_csv(args.csv, results, keys)
            print(f'wrote {args.csv}', file=human)
    except OSError as err:
        raise InputError(f'cannot write the results: {err}') from err
    sys.stdout.flush()
    return 0
