"""``eval_vos.py``: DAVIS-16 J / F / J&F of mask folders
(:func:`hfan.evaluation.evaluate_davis`)."""
import argparse
from typing import List, Optional

from hfan.cli._evaluation import build_parser as build_common_parser
from hfan.cli._evaluation import run_evaluation
from hfan.cli.report import InputError, run_cli
from hfan.evaluation.classes import format_class_table, read_class_map
from hfan.evaluation.davis import (
    BOUND_TH,
    METRIC_KEYS,
    RESIZE_MODES,
    evaluate_davis,
    format_davis_table,
)

PROG = 'eval_vos.py'
#: ``--resize-pred`` values (``None``, the default, is no resize).
_RESIZE_CHOICES = [mode for mode in RESIZE_MODES if mode is not None]

DESCRIPTION = (
    'DAVIS-16 unsupervised VOS evaluation: region similarity J, boundary '
    'F-measure F (Mean, Recall, Decay) and J&F, per sequence and over the '
    'dataset (uniform mean over sequences).')

EPILOG = (
    'Predictions: 0 and one other value (0/1, 0/255, a one-object palette '
    'PNG)\nare binary; a gray map with more values (e.g. probabilities) is'
    '\nthresholded at half its maximum, as the official MATLAB tool reads '
    'results;\npalette or colour label maps with several objects are '
    'refused.\nGT: any nonzero pixel is foreground; GT with more than 0 and '
    'one value\nis warned about, naming the sequence.\nEvery GT frame needs '
    'a prediction of the same size (see --resize-pred),\nand predictions '
    'without GT are errors (except under --protocol annotated).\nTables '
    'print x100; JSON/CSV hold fractions:\nJ_mean, J_recall, J_decay, '
    'F_mean, F_recall, F_decay, JF_mean, plus\nprotocol, resize_pred, '
    'num_frames_evaluated and sequences: {name: {...}};\nwith --class-mean '
    'also J_class_mean, F_class_mean, JF_class_mean and\nclasses: {class: '
    '{...}}.\n\nexample:\n  python tools/eval_vos.py '
    'work_dirs/out-DAVIS-16 data/DAVIS/Annotations/480p \\\n'
    '      --sequences val.txt --json davis16.json')


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


def build_parser() -> argparse.ArgumentParser:
    parser = build_common_parser(PROG, DESCRIPTION, EPILOG)
    parser.add_argument('--bound-th', type=_positive_float,
                        default=BOUND_TH,
                        help='boundary tolerance as a fraction of the image '
                        'diagonal, or pixels if >= 1; must be > 0 (default '
                        '%(default)s)')
    parser.add_argument('--resize-pred', choices=_RESIZE_CHOICES, default=None,
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
    return parser


def _class_table(results: dict) -> str:
    return format_class_table(results) if 'classes' in results else ''


def _main(argv: Optional[List[str]]) -> int:
    args = build_parser().parse_args(argv)
    classes = None
    if args.classes is not None:
        try:
            classes = read_class_map(args.classes)
        except (OSError, ValueError) as err:
            raise InputError(str(err)) from err
    return run_evaluation(
        args, evaluate_davis, format_davis_table, METRIC_KEYS,
        extra_tables=_class_table, bound_th=args.bound_th,
        resize_pred=args.resize_pred,
        class_mean=args.class_mean or classes is not None, classes=classes)


def main(argv: Optional[List[str]] = None) -> int:
    """Evaluate; 0 on success, 2 for a problem with the input, 1 for an
    unforeseen error."""
    return run_cli(_main, argv, PROG)
