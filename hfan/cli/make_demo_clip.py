"""Make the bundled demo clip from a DAVIS video (how demo/ was made).

    python tools/make_demo_clip.py data/DAVIS blackswan --size 240x427

Writes the video's frames, downscaled with area interpolation, to
``demo/frames/<video>/<00000>.jpg`` and its DAVIS masks, downscaled the same
way and thresholded at half, to ``demo/masks/<video>/<00000>.png`` (0/255).
The video should come from DAVIS-16 val: the demo model never saw it.
"""
import argparse
import os.path as osp
import sys
from typing import List, Optional

from hfan.cli._preparation import check_output_root
from hfan.cli.report import run_cli
from hfan.preparation.demo_clip import make_demo_clip
from hfan.utils.defaults import REPO_ROOT

PROG = 'make_demo_clip.py'


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=PROG,
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('davis', help='DAVIS root (JPEGImages/480p, '
                        'Annotations/480p)')
    parser.add_argument('video', help='video name, e.g. blackswan')
    parser.add_argument('--size', default='240x427', metavar='HxW',
                        help='output size (default: 240x427)')
    parser.add_argument('--frames', type=int, default=None,
                        help='keep the first N frames (default: all)')
    parser.add_argument('--out', default=osp.join(REPO_ROOT, 'demo'),
                        help='output root (default: demo/ of the repository)')
    return parser


def _main(argv: Optional[List[str]]) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    h, _, w = args.size.partition('x')
    if not (h.isdigit() and w.isdigit()):
        parser.error(f'--size: expected HxW, got {args.size!r}')
    check_output_root(args.out, [('DAVIS root', args.davis)])
    count = make_demo_clip(args.davis, args.video, args.out,
                           (int(h), int(w)), args.frames)
    print(f'{count} frames of {args.video} written under {args.out}',
          file=sys.stderr)
    return 0


def main(argv: Optional[List[str]] = None) -> int:
    """Make the clip; 0 on success, 1 for a missing or unreadable input
    (named), 2 for a usage error."""
    return run_cli(_main, argv, PROG)
