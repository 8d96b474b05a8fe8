"""``tools/benchmark_memory.py``: peak memory of segmenting a video,
against its length; it must be flat (:mod:`hfan.benchmark.memory`).

    python tools/benchmark_memory.py [--frames 100 1000] [--size 480x854] \\
        [--config local_configs/hfan/hfan.b0.192x256.synthetic.py]

For each N, a synthetic 480p video of N frames is written (streamed), then a
fresh process segments it through ``infer.py``'s path -- video decoding,
DIS flow, the model, PNG writers, and the overlay video written at the end --
and reports its peak resident memory (``VmHWM`` of ``/proc/self/status``),
both after loading the model and at the end. The model has random weights
(memory does not depend on them). Each length runs in its own process so
that each peak is its own.

The streamed path holds a constant number of frames (the current one, its
flow neighbour, a bounded queue of masks waiting to be written), so the
peak should not grow with N; the script says whether it does (more than
--tolerance MB between the shortest and the longest video).
"""
import argparse
import json
import os
import os.path as osp
import shutil
import subprocess
import sys
import tempfile

from hfan.benchmark.memory import (
    measure_segmentation,
    save_random_checkpoint,
    synthetic_frames,
)
from hfan.cli.arguments import OVERLAY_CHOICES, add_flow_arg
from hfan.cli.report import run_cli
from hfan.utils.defaults import REPO_ROOT

#: What each fresh process runs (``python -m``): this module, ``--child``.
CHILD_MODULE = 'hfan.cli.benchmark_memory'
#: The model measured by default: the small CPU model of the synthetic data.
SYNTHETIC_CONFIG = osp.join(REPO_ROOT, 'local_configs', 'hfan',
                            'hfan.b0.192x256.synthetic.py')


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog='benchmark_memory.py',
        description='Peak RSS of streamed video segmentation for videos of '
        'several lengths (it should be flat).',
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog=__doc__.split('\n\n', 1)[1])
    parser.add_argument('--frames', type=int, nargs='+', default=[100, 1000],
                        help='video lengths (default: 100 1000)')
    parser.add_argument('--size', default='480x854',
                        help='frame size HxW (default: 480x854)')
    parser.add_argument('--config', default=SYNTHETIC_CONFIG,
                        help='model config (default: the synthetic-video '
                        'config, hfan.b0.192x256.synthetic.py)')
    add_flow_arg(parser, help=None)
    parser.add_argument('--overlay', default='mp4', choices=OVERLAY_CHOICES,
                        help='overlay written at the end (default: mp4)')
    parser.add_argument('--device', default='cpu')
    parser.add_argument('--work-dir', help='where videos and outputs go '
                        '(default: a temporary folder, removed at the end)')
    parser.add_argument('--tolerance', type=float, default=32.0,
                        help='MB of peak growth still called flat '
                        '(default: 32)')
    parser.add_argument('--json', help='also write the results here')
    parser.add_argument('--child', nargs=5, help=argparse.SUPPRESS)
    return parser


def parse_args(argv=None) -> argparse.Namespace:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        h, w = (int(v) for v in args.size.lower().split('x'))
    except ValueError:
        parser.error(f'--size {args.size}: expected HxW, e.g. 480x854')
    args.hw = (h, w)
    return args


def child(video, config, checkpoint, output, options) -> int:
    """Segment one video in this (fresh) process; print one JSON line."""
    flow, overlay, device = options.split(',')
    print(json.dumps(measure_segmentation(video, config, checkpoint, output,
                                          flow, overlay, device)))
    return 0


def _main(argv=None) -> int:
    args = parse_args(argv)
    if args.child:
        return child(*args.child)
    from hfan.io import save_video
    work = args.work_dir or tempfile.mkdtemp(prefix='hfan-memory-')
    os.makedirs(work, exist_ok=True)
    checkpoint = save_random_checkpoint(args.config,
                                        osp.join(work, 'random_init.pth'))
    env = dict(os.environ)
    env.setdefault('OMP_NUM_THREADS', '1')
    results = []
    print(f'config {osp.relpath(args.config, REPO_ROOT)} (random weights), '
          f'frames {args.size}, flow {args.flow}, overlay {args.overlay}, '
          f'device {args.device}, OMP_NUM_THREADS={env["OMP_NUM_THREADS"]}')
    try:
        for n in args.frames:
            video = osp.join(work, f'video_{n}.mp4')
            save_video(synthetic_frames(n, args.hw), video, fps=25)
            size_mb = osp.getsize(video) / 2**20
            proc = subprocess.run(
                [sys.executable, '-m', CHILD_MODULE, '--child', video,
                 args.config, checkpoint, osp.join(work, f'out_{n}'),
                 f'{args.flow},{args.overlay},{args.device}'],
                capture_output=True, text=True, env=env)
            if proc.returncode != 0:
                print(proc.stderr[-3000:], file=sys.stderr)
                print(f'benchmark_memory.py: error: the run on {n} frames '
                      'failed', file=sys.stderr)
                return 1
            row = json.loads(proc.stdout.strip().splitlines()[-1])
            row.update(n=n, video_mb=size_mb)
            results.append(row)
            print(f"N={n:5d}  {row['fps']:6.2f} frames/s  "
                  f"RSS after model load {row['rss_loaded_kb'] / 1024:7.1f} "
                  f"MB  peak RSS (VmHWM) {row['peak_kb'] / 1024:7.1f} MB  "
                  f"(+{(row['peak_kb'] - row['rss_loaded_kb']) / 1024:.1f} "
                  f"MB while segmenting; video {size_mb:.1f} MB, "
                  f"{row['wall']:.0f} s)", flush=True)
    finally:
        if not args.work_dir:
            shutil.rmtree(work, ignore_errors=True)
    peaks = [r['peak_kb'] / 1024 for r in results]
    growth = max(peaks) - min(peaks)
    flat = growth <= args.tolerance
    print(f'peak RSS range over N={args.frames}: {growth:.1f} MB -> '
          + ('flat' if flat else f'GROWS (more than {args.tolerance} MB)'))
    if args.json:
        with open(args.json, 'w') as f:
            json.dump(dict(config=args.config, size=args.size,
                           results=results, growth_mb=growth, flat=flat),
                      f, indent=2)
    return 0 if flat else 2


def main(argv=None) -> int:
    """Measure; exit status 0 flat, 2 growing, 1 a failed run or error."""
    return run_cli(_main, argv, 'benchmark_memory.py')


if __name__ == '__main__':  # the per-length child process (--child)
    sys.exit(main())
