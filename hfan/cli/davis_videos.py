"""Print the frame folders of a DAVIS split, one a line, for infer.py.

    python infer.py --config CONFIG --checkpoint CKPT --output_dir OUT \\
        --input $(python tools/davis_videos.py data/DAVIS val)

Reads either release layout (DAVIS-2016 pair lists in ImageSets/480p, or
DAVIS-2017 video lists in ImageSets/2016), as tools/prepare_davis.py does,
and checks that every listed frame and annotation exists.
"""
import argparse
import os.path as osp
from typing import List, Optional

from hfan.cli.report import run_cli
from hfan.preparation.davis import davis_jobs

PROG = 'davis_videos.py'


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=PROG,
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('root', help='DAVIS root (holds JPEGImages, '
                        'Annotations, ImageSets)')
    parser.add_argument('split', nargs='?', default='val',
                        help='image-set list (default: val)')
    parser.add_argument('--resolution', default='480p',
                        help='JPEGImages sub-folder (default: 480p)')
    return parser


def _main(argv: Optional[List[str]]) -> int:
    args = build_parser().parse_args(argv)
    jobs = davis_jobs(args.root, [args.split], args.resolution)
    for job in jobs:
        print(osp.dirname(job.frames[0].image))
    return 0


def main(argv: Optional[List[str]] = None) -> int:
    """Print the folders; 1 for a DAVIS root or split that cannot be
    read."""
    return run_cli(_main, argv, PROG)
