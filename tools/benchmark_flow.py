#!/usr/bin/env python
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
import os
import os.path as osp
import platform
import statistics
import time

import cv2
import numpy as np


def size(text):
    h, sep, w = text.lower().partition('x')
    if not (sep and h.isdigit() and w.isdigit()):
        raise argparse.ArgumentTypeError(f'expected HxW, got {text!r}')
    return int(h), int(w)


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('--size', type=size, default=(480, 854),
                        metavar='HxW', help='frame size (default: 480x854)')
    parser.add_argument('--runs', type=int, default=20,
                        help='timed frame pairs (default: 20)')
    parser.add_argument('--warmup', type=int, default=2,
                        help='untimed pairs first (default: 2)')
    parser.add_argument('--presets', nargs='+', default=['medium'],
                        choices=['ultrafast', 'fast', 'medium'],
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
    return parser.parse_args(argv)


def machine_info():
    cpu = platform.processor() or platform.machine()
    try:
        with open('/proc/cpuinfo') as f:
            names = [line.split(':', 1)[1].strip() for line in f
                     if line.startswith('model name')]
        cpu = names[0] if names else cpu
    except OSError:
        pass
    usable = len(os.sched_getaffinity(0)) if hasattr(
        os, 'sched_getaffinity') else os.cpu_count()
    return (f'{platform.platform()}, Python {platform.python_version()}\n'
            f'CPU: {cpu}, {usable} usable of {os.cpu_count()} logical '
            f'cores\nOpenCV {cv2.__version__} ({cv2.getNumThreads()} '
            f'threads), NumPy {np.__version__}')


def median_fps(fn, pairs, warmup):
    for a, b in pairs[:warmup]:
        fn(a, b)
    times = []
    for a, b in pairs[warmup:]:
        t0 = time.perf_counter()
        fn(a, b)
        times.append(time.perf_counter() - t0)
    med = statistics.median(times)
    return 1 / med, 1 / max(times), 1 / min(times)


def main(argv=None):
    args = parse_args(argv)
    from hfan.datasets.synthetic import SyntheticConfig, render_video
    from hfan.flow.colorize import flow_to_bgr
    from hfan.flow.dis import DISFlow

    if args.threads is not None:
        cv2.setNumThreads(args.threads)
    h, w = args.size
    n = args.warmup + args.runs
    video = render_video(0, SyntheticConfig(h, w, n + 1))
    pairs = list(zip(video.frames[:-1], video.frames[1:]))
    print(machine_info())
    print(f'{args.runs} timed frame pairs at {h}x{w} (median; slowest / '
          'fastest run in brackets)')
    for preset in args.presets:
        fps, lo, hi = median_fps(DISFlow(preset), pairs, args.warmup)
        print(f'DIS {preset:<9} {fps:7.1f} frames/s  [{lo:.1f} / {hi:.1f}]')
    if args.colorize:
        flows = [DISFlow(args.presets[0])(a, b) for a, b in pairs]
        it = iter(flows)

        def colour(a, b):
            cv2.imencode('.jpg', flow_to_bgr(next(it)),
                         [cv2.IMWRITE_JPEG_QUALITY, 95])

        fps, lo, hi = median_fps(colour, pairs, args.warmup)
        print(f'colour + JPEG  {fps:7.1f} frames/s  [{lo:.1f} / {hi:.1f}]')
    if args.raft:
        raft = build_raft(args.raft, args.device, args.raft_updates)
        fps, lo, hi = median_fps(raft, pairs, args.warmup)
        print(f'RAFT x{args.raft_updates:<2} ({raft.device}) {fps:7.2f} '
              f'frames/s  [{lo:.2f} / {hi:.2f}]')


def build_raft(weights, device, updates):
    import tempfile

    import torch

    from hfan.flow.raft import RAFTFlow
    from hfan.flow.raft_network import RAFT
    if weights != 'random':
        return RAFTFlow(weights, device=device, num_flow_updates=updates)
    with tempfile.TemporaryDirectory() as tmp:
        path = osp.join(tmp, 'raft-random.pth')
        torch.save(RAFT().state_dict(), path)
        return RAFTFlow(path, device=device, num_flow_updates=updates)


if __name__ == '__main__':
    main()
