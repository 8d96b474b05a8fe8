"""Prepare Long-Videos (AFB-URR, Liang et al. 2020) for infer.py and
tools/eval_vos.py.

Input, the download as unpacked:
    ROOT/JPEGImages/<video>/<00000>.jpg    every frame (blueboy, dressage, rat)
    ROOT/Annotations/<video>/<00000>.png   20 annotated frames per video,
                                           palette PNGs: any nonzero index
                                           (every object) is foreground
Output (annotated frames only; see hfan/preparation/sparse_benchmarks.py):
    OUT/frame/<split>/<video>_<00000>.jpg, OUT/flow/<split>/...,
    OUT/mask/<split>/...                   the 2SEG layout infer.py reads
    OUT/gt/<video>/<00000>.png             ground truth, 0/255, own size
Flow: frame t -> t+1 of the full video (the estimator of --flow).
Resumable (a rerun writes only what is missing) and atomic.

Example (then segment and score, see docs/sparse_benchmarks.md):
    python tools/prepare_long_videos.py data/long_video data/LongVideos2SEG
    python infer.py --config CONFIG --checkpoint CKPT \\
        --input data/LongVideos2SEG --output_dir output/long
    python tools/eval_vos.py output/long-DAVIS-16 data/LongVideos2SEG/gt \\
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
from hfan.preparation.sparse_benchmarks import per_video_folder_videos

PROG = 'prepare_long_videos.py'


def build_parser() -> argparse.ArgumentParser:
    return build_sparse_parser(
        PROG, __doc__,
        'Long-Videos root (holds JPEGImages/ and Annotations/)')


def _main(argv: Optional[List[str]]) -> int:
    args = build_parser().parse_args(argv)
    return prepare_sparse(
        args,
        lambda: per_video_folder_videos(args.root, args.split,
                                        video_list(args.videos)),
        desc='Long-Videos')


def main(argv: Optional[List[str]] = None) -> int:
    """Prepare; 0 on success, 1 for unusable input (named), 2 for a usage
    error."""
    return run_cli(_main, argv, PROG)
