"""Pixel agreement of two mask folders (e.g. a fast path's masks against
the eager path's), per video and over all frames.

    python tools/compare_masks.py output/fast-DAVIS-16 output/eager-DAVIS-16
    python tools/compare_masks.py NEW REFERENCE --min-agreement 0.999

Masks are binary PNGs (any nonzero value is foreground) in the per-video
(<video>/<frame>.png) or flat (<video>_<frame>.png) layout; both folders
must hold the same frames. With --min-agreement the exit status is 1 when
the overall agreement is below it.
"""
import argparse
import json
from typing import List, Optional

from tqdm import tqdm

from hfan.cli.report import CLIError, run_cli
from hfan.evaluation.io import LAYOUTS
from hfan.evaluation.mask_agreement import mask_agreement
from hfan.utils.atomic_io import atomic_write_text

PROG = 'compare_masks.py'


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=PROG,
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('masks', help='the masks to check')
    parser.add_argument('reference', help='the reference masks')
    parser.add_argument('--layout', choices=LAYOUTS,
                        help='layout of MASKS (default: detected)')
    parser.add_argument('--reference-layout', choices=LAYOUTS,
                        help='layout of REFERENCE (default: detected)')
    parser.add_argument('--min-agreement', type=float, metavar='SHARE',
                        help='exit with status 1 when the share of agreeing '
                        'pixels over all frames is below SHARE (0-1)')
    parser.add_argument('--json', metavar='FILE',
                        help='also write the figures as JSON')
    parser.add_argument('--no-progress', action='store_true',
                        help='no progress bar')
    return parser


def _main(argv: Optional[List[str]]) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.min_agreement is not None and not 0 <= args.min_agreement <= 1:
        parser.error(f'--min-agreement must be between 0 and 1, got '
                     f'{args.min_agreement}')
    with tqdm(unit='frame', disable=args.no_progress,
              dynamic_ncols=True) as bar:
        try:
            result = mask_agreement(args.masks, args.reference, args.layout,
                                    args.reference_layout,
                                    on_frame=lambda: bar.update(1))
        except (FileNotFoundError, ValueError) as err:
            raise CLIError(str(err)) from None
    print(f'{"video":<24} {"frames":>7} {"identical":>9} {"agreement":>11}')
    rows = list(result['videos'].items()) + [('all', result)]
    for name, figures in rows:
        print(f'{name:<24} {figures["frames"]:>7} '
              f'{figures["identical_frames"]:>9} '
              f'{100 * figures["agreement"]:>10.4f}%')
    if args.json:
        atomic_write_text(args.json, json.dumps(result, indent=2) + '\n')
    if (args.min_agreement is not None
            and result['agreement'] < args.min_agreement):
        print(f'agreement {100 * result["agreement"]:.4f}% is below '
              f'{100 * args.min_agreement:.4f}%')
        return 1
    return 0


def main(argv: Optional[List[str]] = None) -> int:
    """Print the agreement; 1 when it is below --min-agreement or a folder
    cannot be read."""
    return run_cli(_main, argv, PROG)
