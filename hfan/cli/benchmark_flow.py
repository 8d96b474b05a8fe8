"""Speed of the flow step of data preparation at DAVIS size (480x854).

Renders a synthetic 480x854 video (tools/make_synthetic_videos.py's
generator: textured, moving scene), then times, per frame pair,

* the DIS estimator (``hfan.flow.dis.DISFlow``) for each ``--presets``, and
* with ``--colorize``, the colour coding (``flow_to_bgr``) plus the JPEG
  encoding of the flow image, the rest of the per-frame flow cost, and
* with ``--raft WEIGHTS`` (or ``--raft random``: its speed does not depend
  on the weights), RAFT-large in the original layout (``RAFTFlow``, padded
  to a multiple of 8) with ``--raft-updates`` iterations on ``--device``.

Each figure is the median over ``--runs`` timed pairs (after ``--warmup``
untimed ones), printed as frames/s with the machine it ran on. Not part of
the test suite.

    python tools/benchmark_flow.py [--runs 20] [--presets medium fast]
    python tools/benchmark_flow.py --presets medium --raft random --runs 3
"""
import argparse
from typing import List, Optional

from hfan.cli.report import run_cli
from hfan.flow.dis import DIS_PRESETS

PROG = 'benchmark_flow.py'


def _size(text: str):
    h, sep, w = text.lower().partition('x')
    if not (sep and h.isdigit() and w.isdigit()):
        raise argparse.ArgumentTypeError(f'expected HxW, got {text!r}')
    return int(h), int(w)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=PROG,
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('--size', type=_size, default=(480, 854),
                        metavar='HxW', help='frame size (default: 480x854)')
    parser.add_argument('--runs', type=int, default=20,
                        help='timed frame pairs (default: 20)')
    parser.add_argument('--warmup', type=int, default=2,
                        help='untimed pairs first (default: 2)')
    parser.add_argument('--presets', nargs='+', default=['medium'],
                        choices=list(DIS_PRESETS),
                        help='DIS presets to time (default: medium)')
    parser.add_argument('--threads', type=int, default=None,
                        help='cv2.setNumThreads (default: OpenCV\'s own)')
    parser.add_argument('--colorize', action='store_true',
                        help='also time colour coding + JPEG encoding')
    parser.add_argument('--raft', metavar='WEIGHTS',
                        help="also time RAFT-large: raft-things.pth, or "
                        "'random' for random weights")
    parser.add_argument('--raft-updates', type=int, default=20,
                        help='RAFT refinement iterations (default: 20)')
    parser.add_argument('--device', default=None,
                        help='RAFT device (default: cuda if available)')
    return parser


def _main(argv: Optional[List[str]]) -> int:
    args = build_parser().parse_args(argv)
    import cv2

    from hfan.benchmark.flow_speed import (
        build_raft,
        colour_and_encode,
        machine_info,
        median_fps,
        synthetic_pairs,
    )
    from hfan.flow.dis import DISFlow

    if args.threads is not None:
        cv2.setNumThreads(args.threads)
    h, w = args.size
    pairs = synthetic_pairs(h, w, args.warmup + args.runs)
    print(machine_info())
    print(f'{args.runs} timed frame pairs at {h}x{w} (median; slowest / '
          'fastest run in brackets)')
    for preset in args.presets:
        fps, lo, hi = median_fps(DISFlow(preset), pairs, args.warmup)
        print(f'DIS {preset:<9} {fps:7.1f} frames/s  [{lo:.1f} / {hi:.1f}]')
    if args.colorize:
        dis = DISFlow(args.presets[0])
        step = colour_and_encode([dis(a, b) for a, b in pairs])
        fps, lo, hi = median_fps(step, pairs, args.warmup)
        print(f'colour + JPEG  {fps:7.1f} frames/s  [{lo:.1f} / {hi:.1f}]')
    if args.raft:
        raft = build_raft(args.raft, args.device, args.raft_updates)
        fps, lo, hi = median_fps(raft, pairs, args.warmup)
        print(f'RAFT x{args.raft_updates:<2} ({raft.device}) {fps:7.2f} '
              f'frames/s  [{lo:.2f} / {hi:.2f}]')
    return 0


def main(argv: Optional[List[str]] = None) -> int:
    """Print the frames/s of each step."""
    return run_cli(_main, argv, PROG)
