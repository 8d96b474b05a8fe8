"""Convert a DAVIS download into DAVIS2SEG, the layout HFAN reads.

Input, either release layout at 480p (detected from ROOT/ImageSets):
    ROOT/JPEGImages/480p/<video>/<00000>.jpg
    ROOT/Annotations/480p/<video>/<00000>.png   (one per frame)
  DAVIS-2017 trainval:
    ROOT/ImageSets/2016/{train,val}.txt        video names (DAVIS-16: 30 + 20)
  DAVIS-2016 release:
    ROOT/ImageSets/480p/{train,val}.txt        one frame a line:
        /JPEGImages/480p/<video>/<00000>.jpg /Annotations/480p/<video>/<00000>.png
Output:
    OUT/frame/<split>/<video>_<00000>.jpg  the JPEG, copied byte for byte
    OUT/flow/<split>/<video>_<00000>.jpg   colour-coded flow t -> t+1 (the
                                           last frame: backward, t -> t-1)
    OUT/mask/<split>/<video>_<00000>.png   binary mask, 0/255
    OUT/flow_raw/<split>/...               with --save-raw-flow

Masks: any nonzero object id is foreground. On DAVIS-2017 annotations
(palette PNGs, one id per object) this is the union of the annotated
objects, which for the 2016 videos is close to but not always exactly the
DAVIS-2016 single-object ground truth; for the exact DAVIS-16 masks point
--annotations at the DAVIS-2016 download's Annotations/480p (0/255 PNGs,
read the same way).

Flow: OpenCV DIS by default; the published data used RAFT (--flow raft,
needs torchvision). The run is resumable (complete videos are skipped,
missing files of a partial video are filled in) and every file is written
atomically, so an interrupted run leaves no half-written file.

Example:
    python tools/prepare_davis.py data/DAVIS data/DAVIS2SEG --workers 2
"""  # noqa: E501
import argparse
from typing import List, Optional

from hfan.cli._preparation import (
    add_estimator_args,
    add_output_args,
    prepare_2seg,
)
from hfan.cli.report import run_cli
from hfan.preparation.davis import davis_jobs

PROG = 'prepare_davis.py'


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=PROG,
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('root', help='DAVIS root (holds JPEGImages, '
                        'Annotations, ImageSets)')
    parser.add_argument('out', help='output root (DAVIS2SEG)')
    parser.add_argument('--splits', nargs='+', default=['train', 'val'],
                        help='image-set lists to convert (default: train '
                        'val)')
    parser.add_argument('--year', default='2016',
                        help='DAVIS-2017 layout: ImageSets sub-folder '
                        '(default: 2016)')
    parser.add_argument('--resolution', default='480p',
                        help='JPEGImages / Annotations sub-folder '
                        '(default: 480p)')
    parser.add_argument('--annotations', metavar='DIR',
                        help='annotation folder with <video>/<00000>.png '
                        '(default: ROOT/Annotations/<resolution>)')
    add_estimator_args(parser)
    add_output_args(parser)
    return parser


def _main(argv: Optional[List[str]]) -> int:
    args = build_parser().parse_args(argv)
    return prepare_2seg(
        args,
        lambda: davis_jobs(
            args.root, args.splits, args.resolution, args.year,
            annotations=args.annotations),
        desc='DAVIS videos',
        sources=[('ROOT', args.root), ('--annotations', args.annotations)],
        # which frames and masks are read: another choice, other outputs
        extra_settings=dict(resolution=args.resolution, year=args.year))


def main(argv: Optional[List[str]] = None) -> int:
    """Convert; 0 on success, 1 for unusable input (named), 2 for a usage
    error."""
    return run_cli(_main, argv, PROG)
