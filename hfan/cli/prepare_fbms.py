"""Prepare the FBMS-59 test set (30 videos) for infer.py and
tools/eval_vos.py.

Input, the download as unpacked:
    ROOT/Testset/<video>/<video>_<NN>.jpg          every frame
    ROOT/Testset/<video>/GroundTruth/*_gt.pgm|ppm  sparse annotations, the
        frame given by the number at the end of the name (001_gt.pgm,
        cars1_01_gt.ppm); files named *PROB* are skipped
Ground truth: all objects merged into one foreground; .pgm: any nonzero gray
level; .ppm: any colour but the white (and black) background.
Output (the frames the GT file names list; see
hfan/preparation/sparse_benchmarks.py):
    OUT/frame/<split>/<video>_<00000>.jpg, OUT/flow/<split>/...,
    OUT/mask/<split>/...                   the 2SEG layout infer.py reads
    OUT/gt/<video>/<00000>.png             ground truth, 0/255, own size
<00000> is the frame number zero-padded. Flow: frame t -> t+1 of the full
video. Resumable and atomic.

Example (then segment and score, see docs/sparse_benchmarks.md):
    python tools/prepare_fbms.py data/FBMS data/FBMS2SEG
    python infer.py --config CONFIG --checkpoint CKPT \\
        --input data/FBMS2SEG --output_dir output/fbms
    python tools/eval_vos.py output/fbms-DAVIS-16 data/FBMS2SEG/gt \\
        --protocol annotated
"""
import argparse
from typing import List, Optional

from hfan.cli._preparation import (
    build_sparse_parser,
    prepare_sparse,
    video_list,
)
from hfan.cli.report import run_cli
from hfan.preparation.sparse_benchmarks import fbms_videos

PROG = 'prepare_fbms.py'


def build_parser() -> argparse.ArgumentParser:
    parser = build_sparse_parser(PROG, __doc__,
                                 'FBMS-59 root (holds Testset/)')
    parser.add_argument('--subset', default='Testset',
                        help='sub-folder of ROOT to read (default: Testset, '
                        'the 30 test videos)')
    return parser


def _main(argv: Optional[List[str]]) -> int:
    args = build_parser().parse_args(argv)
    return prepare_sparse(
        args,
        lambda: fbms_videos(args.root, args.split, video_list(args.videos),
                            args.subset),
        desc='FBMS-59')


def main(argv: Optional[List[str]] = None) -> int:
    """Prepare; 0 on success, 1 for unusable input (named), 2 for a usage
    error."""
    return run_cli(_main, argv, PROG)
