"""``tools/benchmark_user_path.py``: infer.py's frames/s at an older commit
against this tree's
(:func:`hfan.benchmark.user_path.compare_user_path`)."""
import argparse
import json
import os.path as osp
import sys
from typing import Optional, Sequence

from hfan.benchmark.stage_timing import stage_breakdown
from hfan.benchmark.user_path import compare_user_path, results_table
from hfan.cli.report import run_cli
from hfan.flow.video_flow import FLOW_DIRECTIONS
from hfan.utils.defaults import DEMO_CHECKPOINT, DEMO_CONFIG

PROG = 'benchmark_user_path.py'

EPILOG = """\
    python tools/benchmark_user_path.py --input FRAME_DIR [FRAME_DIR ...]
        [--baseline 8749323] [--config CFG --checkpoint CKPT]
        [--flow-directions both|forward] [--breakdown-frames 10]
        [--rounds 3] [--json F]

What a user runs: ``infer.py`` on folders of JPEG frames (decoding, DIS
flow, the model, PNG writing; masks and archives written, no overlay).
Each code base runs it in its own process on the same frames, one after
the other on this machine: first the ``--baseline`` commit (checked out
into a temporary git worktree), then this tree. The figure is infer.py's
own: frames over the wall time of its segmentation loop (model loading
excluded). The ratio of the two is printed last.

``--rounds N`` runs both N times, alternating (baseline, this tree,
baseline, ...): the table shows each code base's median run and every
run's frames/s, the ratio is that of the medians, and each round's ratio
is printed too. On a shared machine one run can be 20% off.

``--breakdown-frames N`` also times the stages one after the other, in a
process of each code base, on the first N frames of each input: decode
(``cv2.imread``), flow (DIS plus colour coding, per the flow directions),
model (``VideoSegmenter.segment_frames``, one frame at a time, so one
forward: infer.py runs two at once on a CPU), write (``FrameWriter``). Their
sum is above the loop's time when the loop overlaps them.
"""


def build_parser() -> argparse.ArgumentParser:
    """The ``tools/benchmark_user_path.py`` command line."""
    parser = argparse.ArgumentParser(
        description='Frames/s of infer.py on frame folders: a baseline '
        'commit against this tree, in one run.',
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog=EPILOG)
    parser.add_argument('--input', nargs='+', required=True,
                        metavar='FRAME_DIR',
                        help='folders of JPEG frames (e.g. DAVIS 480p videos)')
    parser.add_argument('--baseline', default='8749323',
                        help='git commit of the old path (default: 8749323)')
    parser.add_argument('--config', default=DEMO_CONFIG)
    parser.add_argument('--checkpoint', default=DEMO_CHECKPOINT)
    parser.add_argument('--flow-directions', choices=FLOW_DIRECTIONS,
                        default=None,
                        help="default: the config's test_flow_directions")
    parser.add_argument('--breakdown-frames', type=int, default=0,
                        metavar='N',
                        help='also time decode / flow / model / write on '
                        'the first N frames of each input (default: 0, off)')
    parser.add_argument('--rounds', type=int, default=1, metavar='N',
                        help='run both code bases N times, alternating; '
                        'report the medians (default: 1)')
    parser.add_argument('--extra', nargs=argparse.REMAINDER, default=[],
                        help='further infer.py options for this tree only '
                        '(e.g. --extra --backend onnxruntime)')
    parser.add_argument('--json', metavar='FILE',
                        help='also write the results as JSON')
    # The stages of this tree alone, as one JSON line.
    parser.add_argument('--stage-breakdown', action='store_true',
                        help=argparse.SUPPRESS)
    return parser


def parse_args(argv: Optional[Sequence[str]] = None) -> argparse.Namespace:
    """The command line, with absolute paths (each code base runs in its
    own folder)."""
    parser = build_parser()
    args = parser.parse_args(argv)
    for folder in args.input:
        if not osp.isdir(folder):
            parser.error(f'--input {folder}: not a folder of frames')
    args.input = [osp.abspath(f) for f in args.input]
    args.config = osp.abspath(args.config)
    args.checkpoint = osp.abspath(args.checkpoint)
    if args.breakdown_frames < 0:
        parser.error('--breakdown-frames must be >= 0')
    if args.rounds < 1:
        parser.error(f'--rounds must be >= 1, got {args.rounds}')
    return args


def _main(argv: Optional[Sequence[str]] = None) -> int:
    args = parse_args(argv)
    if args.stage_breakdown:
        print(json.dumps(stage_breakdown(
            args.input, args.config, args.checkpoint, args.flow_directions,
            args.breakdown_frames)))
        return 0
    report = compare_user_path(
        args.input, args.config, args.checkpoint, args.baseline,
        flow_directions=args.flow_directions,
        breakdown_frames=args.breakdown_frames, extra=args.extra,
        command=' '.join(sys.argv),
        log=lambda message: print(message, flush=True), rounds=args.rounds)
    print(results_table(report['results']))
    if args.rounds > 1:
        for label, result in report['results'].items():
            runs = ', '.join(f'{fps:.2f}' for fps in result['fps_rounds'])
            print(f'{label}: frames/s of the {args.rounds} runs: {runs}')
        rounds = ', '.join(f'{r:.2f}x' for r in report['round_ratios'])
        print(f'ratio of each round: {rounds}')
    median = 'median ' if args.rounds > 1 else ''
    print(f"this tree / baseline: {report['ratio']:.2f}x {median}frames/s")
    if args.json:
        with open(args.json, 'w') as f:
            json.dump(report, f, indent=2)
    return 0


def main(argv: Optional[Sequence[str]] = None) -> int:
    """The command line; returns the exit status (errors: one
    ``benchmark_user_path.py: error: ...`` report, status 1)."""
    return run_cli(_main, argv, PROG)
