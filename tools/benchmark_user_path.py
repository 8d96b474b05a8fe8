"""Frames/s of the whole user path, an older commit's against this tree's.

    python tools/benchmark_user_path.py --input FRAME_DIR [FRAME_DIR ...]
        [--baseline 8749323] [--config CFG --checkpoint CKPT]
        [--flow-directions both|forward] [--breakdown-frames 10] [--json F]

What a user runs: ``infer.py`` on folders of JPEG frames (decoding, DIS
flow, the model, PNG writing; masks and archives written, no overlay).
Each code base runs it in its own process on the same frames, one after
the other on this machine: first the ``--baseline`` commit (checked out
into a temporary git worktree), then this tree. The figure is infer.py's
own: frames over the wall time of its segmentation loop (model loading
excluded). The ratio of the two is printed last.

``--breakdown-frames N`` also times the stages one after the other, in a
process of each code base, on the first N frames of each input: decode
(``cv2.imread``), flow (DIS plus colour coding, per the flow directions),
model (``VideoSegmenter.segment_frames``), write (``FrameWriter``). Their sum
is above the loop's time when the loop overlaps them.
"""
import argparse
import datetime
import json
import os
import os.path as osp
import platform
import re
import subprocess
import sys
import tempfile
import time

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
DEMO_CONFIG = 'local_configs/hfan/hfan_demo.py'
DEMO_CHECKPOINT = 'checkpoint/hfan_demo.pth'
SEGMENTED = re.compile(r'Segmented (\d+) frames in ([0-9.]+) s')


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description='Frames/s of infer.py on frame folders: a baseline '
        'commit against this tree, in one run.',
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog=__doc__.split('\n\n', 1)[1])
    parser.add_argument('--input', nargs='+', required=True,
                        metavar='FRAME_DIR',
                        help='folders of JPEG frames (e.g. DAVIS 480p videos)')
    parser.add_argument('--baseline', default='8749323',
                        help='git commit of the old path (default: 8749323)')
    parser.add_argument('--config', default=DEMO_CONFIG)
    parser.add_argument('--checkpoint', default=DEMO_CHECKPOINT)
    parser.add_argument('--flow-directions', choices=['forward', 'both'],
                        default=None,
                        help="default: the config's test_flow_directions")
    parser.add_argument('--breakdown-frames', type=int, default=0,
                        metavar='N',
                        help='also time decode / flow / model / write on '
                        'the first N frames of each input (default: 0, off)')
    parser.add_argument('--extra', nargs=argparse.REMAINDER, default=[],
                        help='further infer.py options for this tree only '
                        '(e.g. --extra --backend onnxruntime)')
    parser.add_argument('--json', metavar='FILE',
                        help='also write the results as JSON')
    parser.add_argument('--stage-breakdown', action='store_true',
                        help=argparse.SUPPRESS)  # the child process's mode
    args = parser.parse_args(argv)
    for folder in args.input:
        if not osp.isdir(folder):
            parser.error(f'--input {folder}: not a folder of frames')
    # the code bases run in their own folders
    args.input = [osp.abspath(f) for f in args.input]
    args.config = osp.abspath(args.config)
    args.checkpoint = osp.abspath(args.checkpoint)
    if args.breakdown_frames < 0:
        parser.error('--breakdown-frames must be >= 0')
    return args


def frame_files(folder):
    names = sorted(n for n in os.listdir(folder)
                   if n.lower().endswith(('.jpg', '.jpeg', '.png')))
    return [osp.join(folder, n) for n in names]


def stage_breakdown(args) -> dict:
    """Seconds per frame of each stage, run one after the other, with the
    ``hfan`` that this process imports (this tree or the baseline's)."""
    import cv2
    import numpy as np

    from hfan.apis import VideoSegmenter
    from hfan.flow import build_flow_estimator, flow_to_bgr
    from hfan.io.frame_writer import FrameWriter
    segmenter = VideoSegmenter(args.config, args.checkpoint)
    directions = args.flow_directions or segmenter.flow_directions
    estimator = build_flow_estimator('dis')
    totals = dict(decode=0.0, flow=0.0, model=0.0, write=0.0)
    count = 0
    with tempfile.TemporaryDirectory() as tmp:
        writer = FrameWriter(osp.join(tmp, 'masks'), False, 2)
        with writer:
            for folder in args.input:
                files = frame_files(folder)[:args.breakdown_frames + 1]
                start = time.perf_counter()
                frames = [cv2.imread(f) for f in files]
                totals['decode'] += (time.perf_counter() - start) * (
                    len(files) - 1) / len(files)
                for t in range(len(files) - 1):
                    start = time.perf_counter()
                    flows = [flow_to_bgr(estimator(frames[t], frames[t + 1]))]
                    if directions == 'both' and t > 0:
                        flows.append(flow_to_bgr(
                            -estimator(frames[t], frames[t - 1])))
                    totals['flow'] += time.perf_counter() - start
                    start = time.perf_counter()
                    masks, _ = segmenter.segment_frames([frames[t]], [flows])
                    totals['model'] += time.perf_counter() - start
                    start = time.perf_counter()
                    writer.write(osp.basename(folder), f'{t:05d}', masks[0],
                                 np.zeros(masks[0].shape, np.float32))
                    totals['write'] += time.perf_counter() - start
                    count += 1
            start = time.perf_counter()
        totals['write'] += time.perf_counter() - start  # writer drained
    return {k: v / count for k, v in totals.items()}


def run_infer(root: str, args, out: str, extra=()) -> dict:
    cmd = [sys.executable, 'infer.py', '--config', args.config,
           '--checkpoint', args.checkpoint, '--input', *args.input,
           '--output_dir', out, '--overlay', 'none', '--no-progress',
           *(['--flow-directions', args.flow_directions]
             if args.flow_directions else []), *extra]
    proc = subprocess.run(cmd, cwd=root, capture_output=True, text=True,
                          env=code_base_env(root))
    found = SEGMENTED.search(proc.stdout)
    if proc.returncode != 0 or not found:
        raise SystemExit(f'infer.py in {root} failed (exit '
                         f'{proc.returncode}):\n{proc.stderr[-2000:]}')
    frames, seconds = int(found.group(1)), float(found.group(2))
    return dict(frames=frames, seconds=seconds, fps=frames / seconds)


def run_breakdown(root: str, args) -> dict:
    cmd = [sys.executable, osp.join(ROOT, 'tools', 'benchmark_user_path.py'),
           '--stage-breakdown', '--input', *args.input, '--config',
           args.config, '--checkpoint', args.checkpoint,
           '--breakdown-frames', str(args.breakdown_frames),
           *(['--flow-directions', args.flow_directions]
             if args.flow_directions else [])]
    proc = subprocess.run(cmd, cwd=root, capture_output=True, text=True,
                          env=code_base_env(root))
    if proc.returncode != 0:
        raise SystemExit(f'the breakdown in {root} failed:\n'
                         f'{proc.stderr[-2000:]}')
    return json.loads(proc.stdout.strip().splitlines()[-1])


def code_base_env(root: str) -> dict:
    """An environment whose ``import hfan`` is the code base at ``root``."""
    return {**os.environ, 'PYTHONPATH': root}


def main(argv=None) -> int:
    args = parse_args(argv)
    if args.stage_breakdown:
        print(json.dumps(stage_breakdown(args)))
        return 0
    results = {}
    with tempfile.TemporaryDirectory() as tmp:
        baseline = osp.join(tmp, 'baseline')
        subprocess.run(['git', 'worktree', 'add', '--detach', '-q', baseline,
                        args.baseline], cwd=ROOT, check=True)
        try:
            for label, root, extra in (
                    (f'{args.baseline} (baseline)', baseline, ()),
                    ('this tree', ROOT, args.extra)):
                print(f'[benchmark] infer.py of {label} ...', flush=True)
                result = run_infer(root, args, osp.join(tmp, 'out', label),
                                   extra)
                if args.breakdown_frames:
                    result['breakdown_s_per_frame'] = run_breakdown(root, args)
                results[label] = result
        finally:
            subprocess.run(['git', 'worktree', 'remove', '--force', baseline],
                           cwd=ROOT, check=False)
    old, new = results.values()
    report = dict(
        date=datetime.date.today().isoformat(), machine=platform.processor()
        or platform.machine(), cpus=os.cpu_count(),
        command=' '.join(sys.argv), results=results,
        ratio=new['fps'] / old['fps'])
    print('| code | frames | loop s | frames/s | decode | flow | model | '
          'write (s/frame) |')
    print('|---|---|---|---|---|---|---|---|')
    for label, r in results.items():
        b = r.get('breakdown_s_per_frame', {})
        stages = ' | '.join(f'{b[k]:.3f}' if k in b else '-'
                            for k in ('decode', 'flow', 'model', 'write'))
        print(f"| {label} | {r['frames']} | {r['seconds']:.1f} | "
              f"{r['fps']:.2f} | {stages} |")
    print(f"this tree / baseline: {report['ratio']:.2f}x frames/s")
    if args.json:
        with open(args.json, 'w') as f:
            json.dump(report, f, indent=2)
    return 0


if __name__ == '__main__':
    sys.exit(main())
