"""Convert YouTube-VOS into YouTube2SEG, the layout HFAN pre-trains on.

Input (YouTube-VOS train):
    ROOT/train/JPEGImages/<video>/<frame>.jpg    every frame of the clip, or
                                                 the 6-fps subset
    ROOT/train/Annotations/<video>/<frame>.png   sparse: every 5th frame
Output (annotated frames only):
    OUT/frame/train/<video>_<frame>.jpg  the JPEG, copied byte for byte
    OUT/flow/train/<video>_<frame>.jpg   colour-coded flow from the frame to
                                         the next JPEG of the sequence (the
                                         last JPEG: backward to the one
                                         before)
    OUT/mask/train/<video>_<frame>.png   binary mask, 0/255
<frame> is the original frame number, 5 digits.

Flow is computed between consecutive JPEGs of ROOT/train/JPEGImages: with
the full-frame-rate JPEGs (the train_all_frames download extracted there)
that is t -> t+1 at the video's frame rate; with the 6-fps JPEGs, t -> t+5.
Frames without annotation take part only as flow targets.

Mask: YouTube-VOS annotates several objects per video and names no primary
one; the mask is all annotated objects merged (any nonzero id). Unannotated
movers stay background, so a few masks miss a moving object.

Resumable and atomic as tools/prepare_davis.py.

Example:
    python tools/prepare_youtube.py data/YouTube-VOS data/YouTube2SEG \\
        --workers 4
"""
import argparse
from typing import List, Optional

from hfan.cli._preparation import (
    add_estimator_args,
    add_output_args,
    prepare_2seg,
)
from hfan.cli.report import run_cli
from hfan.preparation.youtube import youtube_jobs

PROG = 'prepare_youtube.py'


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=PROG,
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('root', help='YouTube-VOS root (holds train/)')
    parser.add_argument('out', help='output root (YouTube2SEG)')
    parser.add_argument('--split', default='train',
                        help='split folder to convert (default: train); the '
                        'output split has the same name')
    add_estimator_args(parser)
    add_output_args(parser)
    return parser


def _main(argv: Optional[List[str]]) -> int:
    args = build_parser().parse_args(argv)
    return prepare_2seg(args, lambda: youtube_jobs(args.root, args.split),
                        desc='YouTube-VOS videos',
                        sources=[('ROOT', args.root)])


def main(argv: Optional[List[str]] = None) -> int:
    """Convert; 0 on success, 1 for unusable input (named), 2 for a usage
    error."""
    return run_cli(_main, argv, PROG)
