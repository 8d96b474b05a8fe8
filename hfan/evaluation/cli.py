"""Command-line front ends shared by ``tools/eval_vos.py`` and
``tools/eval_vsod.py`` (same interface, different measures)."""
import argparse
import os
import os.path as osp
import sys
import warnings
from typing import Callable, List, Optional, Sequence

from .davis import (BOUND_TH, METRIC_KEYS, PROTOCOLS, evaluate_davis,
                    format_davis_table)
from .io import (LAYOUTS, csv_text, json_text, read_sequence_list, write_csv,
                 write_json)
from .parallel import default_workers

#: ``--json -`` / ``--csv -``: write to stdout (then tables go to stderr)
STDOUT = '-'


class _Parser(argparse.ArgumentParser):
    """Argument errors as one line naming the value (and a pointer to
    ``--help``), not the whole usage block."""

    def error(self, message):
        self.exit(2, f'{self.prog}: error: {message} (see --help)\n')


def _positive_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f'not a number: {text!r}') from None
    if not value > 0:  # also refuses NaN
        raise argparse.ArgumentTypeError(
            f'must be > 0 (a fraction of the image diagonal, or pixels if '
            f'>= 1), got {text}')
    return value


def check_output_path(path: Optional[str], option: str) -> None:
    """Refuse, before any work, an output file that could not be written:
    a folder, a path under a file, or a folder without write permission.
    ``None`` and ``-`` (stdout) pass."""
    if path is None or path == STDOUT:
        return
    if osp.isdir(path):
        raise ValueError(f'{option} {path} is a folder; give a file path')
    probe = osp.dirname(osp.abspath(path))
    while not osp.exists(probe):  # atomic writes create missing folders
        probe = osp.dirname(probe)
    if not osp.isdir(probe):
        raise ValueError(f'{option} {path} cannot be written: {probe} is a '
                         'file, not a folder')
    if not os.access(probe, os.W_OK | os.X_OK):
        raise ValueError(f'{option} {path} cannot be written: no write '
                         f'permission in {probe}')

_LAYOUT_HELP = ("'per-video' = ROOT/<video>/<frame>.png, 'flat' = "
                'ROOT/<video>_<frame>.png (video = text before the last '
                'underscore)')


def _workers(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError('must be >= 1')
    return value


def build_parser(prog: str, description: str, epilog: str) -> \
        argparse.ArgumentParser:
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


def _run(args: argparse.Namespace, evaluate: Callable[..., dict],
         format_table: Callable[..., str], keys: Sequence[str],
         extra_tables: Callable[[dict], str] = None, **extra) -> int:
    """Check the outputs, evaluate, print and write; every problem is one
    ``error:`` line on stderr and exit status 2."""
    if args.json == STDOUT and args.csv == STDOUT:
        print('error: --json - and --csv - both ask for stdout; send one of '
              'them to a file', file=sys.stderr)
        return 2
    try:
        check_output_path(args.json, '--json')
        check_output_path(args.csv, '--csv')
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter('always')
            results = evaluate(
                args.pred_dir, args.gt_dir, layout=args.layout,
                gt_layout=args.gt_layout, protocol=args.protocol,
                workers=args.workers,
                sequences=read_sequence_list(args.sequences),
                progress=not args.no_progress, **extra)
    except (OSError, ValueError) as err:  # FileNotFoundError is an OSError
        print(f'error: {err}', file=sys.stderr)
        return 2
    for w in caught:  # the user's concern; library deprecations are not
        if not issubclass(w.category, (DeprecationWarning,
                                       PendingDeprecationWarning)):
            print(f'warning: {w.message}', file=sys.stderr)
    if results['num_frames_evaluated'] == 0:
        print('error: no frame was evaluated (every sequence is too short '
              f"for protocol {args.protocol!r})", file=sys.stderr)
        return 2
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
        print(f'error: cannot write the results: {err}', file=sys.stderr)
        return 2
    sys.stdout.flush()
    return 0


def main_vos(argv: Optional[List[str]] = None) -> int:
    """``tools/eval_vos.py``: DAVIS-16 J / F / J&F of mask folders."""
    parser = build_parser(
        'eval_vos.py',
        'DAVIS-16 unsupervised VOS evaluation: region similarity J, '
        'boundary F-measure F (Mean, Recall, Decay) and J&F, per sequence '
        'and over the dataset (uniform mean over sequences).',
        'Predictions: 0 and one other value (0/1, 0/255, a one-object '
        'palette PNG)\nare binary; a gray map with more values (e.g. '
        'probabilities) is\nthresholded at half its maximum, as the '
        'official MATLAB tool reads results;\npalette or colour label maps '
        'with several objects are refused.\nGT: any nonzero pixel is '
        'foreground; GT with more than 0 and one value\nis warned about, '
        'naming the sequence.\nEvery GT frame needs a prediction of the '
        'same size (see --resize-pred),\nand predictions without GT are '
        "errors (except under --protocol annotated).\nTables print x100; "
        'JSON/CSV hold fractions:\nJ_mean, J_recall, J_decay, F_mean, '
        'F_recall, F_decay, JF_mean, plus\nprotocol, resize_pred, '
        'num_frames_evaluated and sequences: {name: {...}};\nwith '
        '--class-mean also J_class_mean, F_class_mean, JF_class_mean and\n'
        'classes: {class: {...}}.\n\nexample:\n  python tools/eval_vos.py '
        'work_dirs/out-DAVIS-16 data/DAVIS/Annotations/480p \\\n'
        '      --sequences val.txt --json davis16.json')
    parser.add_argument('--bound-th', type=_positive_float,
                        default=BOUND_TH,
                        help='boundary tolerance as a fraction of the image '
                        'diagonal, or pixels if >= 1; must be > 0 (default '
                        '%(default)s)')
    parser.add_argument('--resize-pred', choices=['nearest'], default=None,
                        help='predictions of another size than their GT: '
                        'an error by default; nearest = resize them to the '
                        "GT's size with nearest neighbour (as the papers' "
                        'scripts do), stated in the output')
    parser.add_argument('--class-mean', action='store_true',
                        help='also report the class mean (YouTube-Objects): '
                        'mean over the videos of each class, then over '
                        'classes; a class is the video name up to its '
                        'trailing digits (aeroplane0001 -> aeroplane) '
                        'unless --classes names it')
    parser.add_argument('--classes', default=None, metavar='FILE',
                        help="class map, 'video class' a line (# comments); "
                        'implies --class-mean; it must name exactly the '
                        'evaluated videos')
    args = parser.parse_args(argv)
    classes = None
    if args.classes is not None:
        from .classes import read_class_map
        try:
            classes = read_class_map(args.classes)
        except (OSError, ValueError) as err:
            print(f'error: {err}', file=sys.stderr)
            return 2
    return _run(args, evaluate_davis, format_davis_table, METRIC_KEYS,
                extra_tables=_class_table, bound_th=args.bound_th,
                resize_pred=args.resize_pred,
                class_mean=args.class_mean or classes is not None,
                classes=classes)


def _class_table(results: dict) -> str:
    from .classes import format_class_table
    return format_class_table(results) if 'classes' in results else ''


def main_vsod(argv: Optional[List[str]] = None) -> int:
    """``tools/eval_vsod.py``: VSOD S / E / F / MAE of saliency folders."""
    from .vsod import (PRED_MODES, VSOD_KEYS, evaluate_vsod,
                       format_vsod_table)
    parser = build_parser(
        'eval_vsod.py',
        'VSOD evaluation as the FSNet/DAVSOD toolbox: S-measure (alpha '
        '0.5), max E-measure, max F-measure (beta^2 = 0.3) and MAE, per '
        'sequence and over the dataset (uniform mean over sequences; E/F '
        'curves averaged over sequences before the max).',
        'GT: gray scale > 128 (GT with more than 0 and one value is warned '
        'about).\nPredictions (--pred-mode): binary masks in any encoding '
        'read as 0/1;\ngray maps: 8/16-bit gray (first channel of colour '
        'files) divided by the\nmaximum value, min-max normalised per '
        'frame. Tables '
        'and JSON/CSV hold\nfractions: S, E, F, MAE, meanE, meanF, adpE, '
        'adpF, plus protocol,\nnum_frames_evaluated, curves and sequences: '
        '{name: {...}}.\n\nexample:\n  python tools/eval_vsod.py '
        'work_dirs/out-DAVIS-16 data/DAVIS/Annotations/480p \\\n'
        '      --sequences val.txt --json vsod.json')
    parser.add_argument('--pred-mode', choices=PRED_MODES, default='auto',
                        help='binary: masks (0 and one foreground value: '
                        '0/255, 0/1, one-object palette) read as 0/1, an '
                        'all-foreground frame included; gray: saliency '
                        "maps, the toolbox's reading; auto (default): "
                        'binary for palette files and maps within {0,1} or '
                        '{0,255}, gray otherwise')
    args = parser.parse_args(argv)
    return _run(args, evaluate_vsod, format_vsod_table, VSOD_KEYS,
                pred_mode=args.pred_mode)
