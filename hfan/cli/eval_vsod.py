"""``eval_vsod.py``: VSOD S / E / F / MAE of saliency folders
(:func:`hfan.evaluation.evaluate_vsod`)."""
import argparse
from typing import List, Optional

from hfan.cli._evaluation import build_parser as build_common_parser
from hfan.cli._evaluation import run_evaluation
from hfan.cli.report import run_cli
from hfan.evaluation.vsod import (
    PRED_MODES,
    VSOD_KEYS,
    evaluate_vsod,
    format_vsod_table,
)

PROG = 'eval_vsod.py'

DESCRIPTION = (
    'VSOD evaluation as the FSNet/DAVSOD toolbox: S-measure (alpha 0.5), '
    'max E-measure, max F-measure (beta^2 = 0.3) and MAE, per sequence and '
    'over the dataset (uniform mean over sequences; E/F curves averaged '
    'over sequences before the max).')

EPILOG = (
    'GT: gray scale > 128 (GT with more than 0 and one value is warned '
    'about).\nPredictions (--pred-mode): binary masks in any encoding read '
    'as 0/1;\ngray maps: 8/16-bit gray (first channel of colour files) '
    'divided by the\nmaximum value, min-max normalised per frame. Tables '
    'and JSON/CSV hold\nfractions: S, E, F, MAE, meanE, meanF, adpE, adpF, '
    'plus protocol,\nnum_frames_evaluated, curves and sequences: '
    '{name: {...}}.\n\nexample:\n  python tools/eval_vsod.py '
    'work_dirs/out-DAVIS-16 data/DAVIS/Annotations/480p \\\n'
    '      --sequences val.txt --json vsod.json')


def build_parser() -> argparse.ArgumentParser:
    parser = build_common_parser(PROG, DESCRIPTION, EPILOG)
    parser.add_argument('--pred-mode', choices=PRED_MODES, default='auto',
                        help='binary: masks (0 and one foreground value: '
                        '0/255, 0/1, one-object palette) read as 0/1, an '
                        'all-foreground frame included; gray: saliency '
                        "maps, the toolbox's reading; auto (default): "
                        'binary for palette files and maps within {0,1} or '
                        '{0,255}, gray otherwise')
    return parser


def _main(argv: Optional[List[str]]) -> int:
    args = build_parser().parse_args(argv)
    return run_evaluation(args, evaluate_vsod, format_vsod_table, VSOD_KEYS,
                          pred_mode=args.pred_mode)


def main(argv: Optional[List[str]] = None) -> int:
    """Evaluate; 0 on success, 2 for a problem with the input, 1 for an
    unforeseen error."""
    return run_cli(_main, argv, PROG)
