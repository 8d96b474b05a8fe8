"""Peak memory of segmenting a video, against its length: it must be flat.

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
import subprocess
import sys
import tempfile
import time

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))

DEMO_CONFIG = osp.join(ROOT, 'local_configs', 'hfan',
                       'hfan.b0.192x256.synthetic.py')


def memory_kb() -> dict:
    """``VmHWM`` (peak) and ``VmRSS`` (now) of this process, in kB."""
    values = {}
    with open('/proc/self/status') as f:
        for line in f:
            key, _, rest = line.partition(':')
            if key in ('VmHWM', 'VmRSS'):
                values[key] = int(rest.split()[0])
    return values


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description='Peak RSS of streamed video segmentation for videos of '
        'several lengths (it should be flat).',
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog=__doc__.split('\n\n', 1)[1])
    parser.add_argument('--frames', type=int, nargs='+', default=[100, 1000],
                        help='video lengths (default: 100 1000)')
    parser.add_argument('--size', default='480x854',
                        help='frame size HxW (default: 480x854)')
    parser.add_argument('--config', default=DEMO_CONFIG,
                        help='model config (default: the demo config)')
    parser.add_argument('--flow', default='dis', choices=['dis', 'raft'])
    parser.add_argument('--overlay', default='mp4',
                        choices=['mp4', 'webm', 'gif', 'none'],
                        help='overlay written at the end (default: mp4)')
    parser.add_argument('--device', default='cpu')
    parser.add_argument('--work-dir', help='where videos and outputs go '
                        '(default: a temporary folder, removed at the end)')
    parser.add_argument('--tolerance', type=float, default=32.0,
                        help='MB of peak growth still called flat '
                        '(default: 32)')
    parser.add_argument('--json', help='also write the results here')
    parser.add_argument('--child', nargs=5, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    try:
        h, w = (int(v) for v in args.size.lower().split('x'))
    except ValueError:
        parser.error(f'--size {args.size}: expected HxW, e.g. 480x854')
    args.hw = (h, w)
    return args


def synthetic_frames(n: int, hw, seed: int = 0):
    """A textured background with a disc moving across it (streamed)."""
    import cv2
    import numpy as np
    h, w = hw
    rng = np.random.default_rng(seed)
    background = cv2.GaussianBlur(
        rng.integers(0, 255, (h, w, 3), dtype=np.uint8), (0, 0), 3)
    radius = max(4, min(h, w) // 8)
    for t in range(n):
        frame = background.copy()
        x = int(radius + (w - 2 * radius) * (0.5 + 0.45 * np.sin(t / 15)))
        y = int(radius + (h - 2 * radius) * (0.5 + 0.3 * np.cos(t / 23)))
        cv2.circle(frame, (x, y), radius, (40, 200, 240), -1)
        yield frame


def random_checkpoint(config: str, path: str) -> str:
    """Random-init weights of the config's model (memory does not depend on
    the weights' values)."""
    import torch
    from mmengine.registry import init_default_scope

    from hfan.apis import load_config
    from mmseg.registry import MODELS
    cfg = load_config(config)
    init_default_scope('mmseg')
    cfg.model.pretrained = None
    torch.manual_seed(0)
    model = MODELS.build(cfg.model)
    torch.save({'state_dict': model.state_dict(), 'meta': {}}, path)
    return path


def child(video, config, checkpoint, output, options) -> int:
    """Segment one video in this (fresh) process; print one JSON line."""
    from hfan.apis import VideoSegmenter
    from hfan.infer import parse_args as parse_infer_args
    from hfan.infer import run as run_infer
    flow, overlay, device = options.split(',')
    args = parse_infer_args([
        '--config', config, '--checkpoint', checkpoint, '--input', video,
        '--output_dir', output, '--flow', flow, '--overlay', overlay,
        '--device', device, '--overwrite', '--no-progress'
    ])
    segmenter = VideoSegmenter(config, checkpoint, device=device)
    loaded = memory_kb()
    start = time.perf_counter()
    stats = run_infer(args, progress=False, segmenter=segmenter)
    wall = time.perf_counter() - start
    end = memory_kb()
    print(json.dumps(dict(
        frames=stats['frames'], seconds=stats['seconds'], fps=stats['fps'],
        wall=wall, rss_loaded_kb=loaded['VmRSS'],
        peak_loaded_kb=loaded['VmHWM'], rss_end_kb=end['VmRSS'],
        peak_kb=end['VmHWM'], overlays=stats['overlays'])))
    return 0


def main(argv=None) -> int:
    args = parse_args(argv)
    if args.child:
        return child(*args.child)
    from hfan.io import save_video
    work = args.work_dir or tempfile.mkdtemp(prefix='hfan-memory-')
    os.makedirs(work, exist_ok=True)
    checkpoint = random_checkpoint(args.config,
                                   osp.join(work, 'random_init.pth'))
    env = dict(os.environ)
    env.setdefault('OMP_NUM_THREADS', '1')
    results = []
    print(f'config {osp.relpath(args.config, ROOT)} (random weights), '
          f'frames {args.size}, flow {args.flow}, overlay {args.overlay}, '
          f'device {args.device}, OMP_NUM_THREADS={env["OMP_NUM_THREADS"]}')
    try:
        for n in args.frames:
            video = osp.join(work, f'video_{n}.mp4')
            save_video(synthetic_frames(n, args.hw), video, fps=25)
            size_mb = osp.getsize(video) / 2**20
            proc = subprocess.run(
                [sys.executable, osp.abspath(__file__), '--child', video,
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
            import shutil
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


if __name__ == '__main__':
    sys.exit(main())
