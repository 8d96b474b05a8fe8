"""Speed of the DAVIS-16 evaluator (frames/s, PNG decoding included).

Generates 480x854 0/255 mask folders (``--seqs`` sequences x ``--frames``
frames), then times ``hfan.evaluation.evaluate_davis`` and a per-frame
reference that follows the official davis2017-evaluation python functions
(:mod:`hfan.benchmark.eval_speed`). The official functions themselves ran
at 61.6 frames/s on the project's 2-CPU machine (docs/evaluation.md,
section 3); the ratio to that figure is printed too.

Each is run ``--runs`` times; the medians of wall time (frames/s) and of
CPU time (all processes, ms per frame: what the work costs whatever else
the machine is doing) and their ratios are printed, with the largest
difference between the two sets of figures (should be 0).

    python tools/benchmark_eval.py [--seqs 10] [--frames 40] [--runs 3]
"""
import argparse
import math
import os
from typing import List, Optional

from hfan.benchmark.eval_speed import (
    MASK_SIZE,
    OFFICIAL_FPS,
    compare_evaluators,
)
from hfan.cli.report import run_cli

PROG = 'benchmark_eval.py'


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog=PROG,
                                     description=__doc__.split('\n\n')[0])
    parser.add_argument('--seqs', type=int, default=10)
    parser.add_argument('--frames', type=int, default=40)
    parser.add_argument('--runs', type=int, default=3)
    parser.add_argument('--workers', type=int, default=None,
                        help='evaluator processes (default: min(4, CPUs))')
    return parser


def _main(argv: Optional[List[str]]) -> int:
    args = build_parser().parse_args(argv)
    times = compare_evaluators(args.seqs, args.frames, args.runs,
                               args.workers)
    n_eval = times.frames_evaluated
    diff = times.max_difference
    fps_ours = n_eval / times.ours_wall
    fps_ref = n_eval / times.reference_wall
    h, w = MASK_SIZE
    print(f'{args.seqs} sequences x {args.frames} frames of {w}x{h}, '
          f'{n_eval} frames evaluated (davis16), median of {args.runs} runs, '
          f'{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f}')
    print(f'  hfan.evaluation.evaluate_davis ({times.workers} workers): '
          f'{fps_ours:7.1f} frames/s  ({times.ours_wall:.2f} s wall, '
          f'{1000 * times.ours_cpu / n_eval:.2f} CPU-ms/frame)')
    print(f'  per-frame reference (1 process):       {fps_ref:7.1f} frames/s  '
          f'({times.reference_wall:.2f} s wall, '
          f'{1000 * times.reference_cpu / n_eval:.2f} CPU-ms/frame)')
    print(f'  speed-up: {fps_ours / fps_ref:.1f}x over the reference '
          f'(CPU time: {times.reference_cpu / times.ours_cpu:.1f}x), '
          f'{fps_ours / OFFICIAL_FPS:.1f}x over the official functions '
          f'({OFFICIAL_FPS} frames/s, docs/evaluation.md)')
    print(f'  largest difference between the two: {diff:.2e}')
    figures = [100 * times.ours[k] for k in ('JF_mean', 'J_mean', 'J_recall',
                                             'J_decay', 'F_mean', 'F_recall',
                                             'F_decay')]
    print('  J&F {:.1f}  J {:.1f}/{:.1f}/{:.1f}  F {:.1f}/{:.1f}/{:.1f}'
          .format(*figures))
    return 0 if math.isfinite(diff) and diff < 1e-9 else 1


def main(argv: Optional[List[str]] = None) -> int:
    """Print the figures; 1 when the two evaluators disagree."""
    return run_cli(_main, argv, PROG)
