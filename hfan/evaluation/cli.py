"""Command-line front ends shared by ``tools/eval_vos.py`` and
``tools/eval_vsod.py`` (same interface, different measures)."""
import argparse
import sys
import warnings
from typing import Callable, List, Optional, Sequence

from .davis import (BOUND_TH, METRIC_KEYS, PROTOCOLS, evaluate_davis,
                    format_davis_table)
from .io import LAYOUTS, read_sequence_list, write_csv, write_json
from .parallel import default_workers

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
    parser = argparse.ArgumentParser(
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
                        "protocol; 'all-frames': every frame")
    parser.add_argument('--sequences', default=None, metavar='LIST',
                        help='evaluate only these GT sequences: '
                        'comma-separated names or a text file with one name '
                        'a line (default: every GT sequence)')
    parser.add_argument('--json', default=None, metavar='OUT.json',
                        help='write dataset and per-sequence figures '
                        '(fractions) as JSON')
    parser.add_argument('--csv', default=None, metavar='OUT.csv',
                        help='write per-sequence and dataset rows as CSV')
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
         **extra) -> int:
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter('always')
            results = evaluate(
                args.pred_dir, args.gt_dir, layout=args.layout,
                gt_layout=args.gt_layout, protocol=args.protocol,
                workers=args.workers,
                sequences=read_sequence_list(args.sequences),
                progress=not args.no_progress, **extra)
    except (FileNotFoundError, NotADirectoryError, ValueError) as err:
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
    print(format_table(results, per_sequence=not args.dataset_only))
    if args.json:
        write_json(args.json, results)
        print(f'wrote {args.json}')
    if args.csv:
        write_csv(args.csv, results, keys)
        print(f'wrote {args.csv}')
    return 0


def main_vos(argv: Optional[List[str]] = None) -> int:
    """``tools/eval_vos.py``: DAVIS-16 J / F / J&F of mask folders."""
    parser = build_parser(
        'eval_vos.py',
        'DAVIS-16 unsupervised VOS evaluation: region similarity J, '
        'boundary F-measure F (Mean, Recall, Decay) and J&F, per sequence '
        'and over the dataset (uniform mean over sequences).',
        'Masks: any nonzero pixel is foreground (0/1, 0/255 and palette '
        'PNGs).\nEvery GT frame needs a prediction of the same size, and '
        'predictions\nwithout GT are errors. Tables print x100; JSON/CSV '
        'hold fractions:\nJ_mean, J_recall, J_decay, F_mean, F_recall, '
        'F_decay, JF_mean, plus\nprotocol, num_frames_evaluated and '
        'sequences: {name: {...}}.\n\nexample:\n  python tools/eval_vos.py '
        'work_dirs/out-DAVIS-16 data/DAVIS/Annotations/480p \\\n'
        '      --sequences val.txt --json davis16.json')
    parser.add_argument('--bound-th', type=float, default=BOUND_TH,
                        help='boundary tolerance as a fraction of the image '
                        'diagonal, or pixels if >= 1 (default %(default)s)')
    args = parser.parse_args(argv)
    return _run(args, evaluate_davis, format_davis_table, METRIC_KEYS,
                bound_th=args.bound_th)


def main_vsod(argv: Optional[List[str]] = None) -> int:
    """``tools/eval_vsod.py``: VSOD S / E / F / MAE of saliency folders."""
    from .vsod import VSOD_KEYS, evaluate_vsod, format_vsod_table
    parser = build_parser(
        'eval_vsod.py',
        'VSOD evaluation as the FSNet/DAVSOD toolbox: S-measure (alpha '
        '0.5), max E-measure, max F-measure (beta^2 = 0.3) and MAE, per '
        'sequence and over the dataset (uniform mean over sequences; E/F '
        'curves averaged over sequences before the max).',
        'GT: gray scale > 128. Predictions: 8/16-bit gray (first channel of '
        'colour\nfiles) divided by the maximum value, min-max normalised per '
        'frame; binary\n0/255 masks and probability maps both work. Tables '
        'and JSON/CSV hold\nfractions: S, E, F, MAE, meanE, meanF, adpE, '
        'adpF, plus protocol,\nnum_frames_evaluated, curves and sequences: '
        '{name: {...}}.\n\nexample:\n  python tools/eval_vsod.py '
        'work_dirs/out-DAVIS-16 data/DAVIS/Annotations/480p \\\n'
        '      --sequences val.txt --json vsod.json')
    args = parser.parse_args(argv)
    return _run(args, evaluate_vsod, format_vsod_table, VSOD_KEYS)
