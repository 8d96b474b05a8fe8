"""``tools/benchmark.py``: model and end-to-end frames/s of a config
(:func:`hfan.benchmark.model_speed.measure_speed`), printed as a Markdown
row."""
import argparse
import json
import os
import os.path as osp
import shlex
import sys
from typing import Optional, Sequence

from hfan.benchmark.model_speed import markdown_table, measure_speed
from hfan.cli.arguments import add_cfg_options, add_device_arg
from hfan.cli.report import CLIError, run_cli

PROG = 'benchmark.py'

EPILOG = """\
    python tools/benchmark.py CONFIG [--checkpoint CKPT] [--shape 480 854]
        [--aug-test] [--fp16] [--device cuda] [--repeat 50 --warmup 10]
        [--end-to-end --input data/DAVIS2SEG] [--json [FILE]]

Model FPS, as the published table measures it: one frame + flow of
``--shape`` (default 480x854, a DAVIS-16 frame) goes through the config's
test pipeline once (e.g. resized to 512x928), then the forward is timed
``--repeat`` times after ``--warmup`` untimed runs: normalisation, the
encoder-decoder in the config's test mode (whole or sliding windows), the
resize back to the frame size and the softmax; with ``torch.cuda.synchronize``
around each run on CUDA. FPS = 1 / median time. ``--aug-test`` times the
whole multi-scale + flip test (all views) per frame.

End-to-end FPS (``--end-to-end``): infer.py's code path on a DAVIS2SEG-style
folder: JPEG decoding, the model, PNG encoding and writing, over
``--max-frames`` frames (model building excluded).

The result is printed as a Markdown table row (with the command, device and
date) to paste into docs/benchmarks.md; ``--json`` also writes it as JSON.
"""


def build_parser() -> argparse.ArgumentParser:
    """The ``tools/benchmark.py`` command line."""
    parser = argparse.ArgumentParser(
        description='Model and end-to-end frames/s of an HFAN config.',
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog=EPILOG)
    parser.add_argument('config', help='config file')
    parser.add_argument(
        '--checkpoint',
        help='weights (speed does not depend on them; default: random)')
    parser.add_argument(
        '--shape', type=int, nargs=2, default=[480, 854],
        metavar=('H', 'W'),
        help='frame size before the test pipeline (default: 480 854, DAVIS)')
    parser.add_argument('--aug-test', action='store_true',
                        help='time the multi-scale + flip test')
    parser.add_argument('--fp16', action='store_true',
                        help='CUDA float16 autocast (as published)')
    add_device_arg(parser)
    parser.add_argument('--repeat', type=int, default=50,
                        help='timed forward passes (default: 50)')
    parser.add_argument('--warmup', type=int, default=10,
                        help='untimed passes first (default: 10)')
    parser.add_argument(
        '--end-to-end', action='store_true',
        help='also time infer.py on --input (reading, model, writing)')
    parser.add_argument('--input', help='DAVIS2SEG-style root for '
                        '--end-to-end (default: the config\'s test set)')
    parser.add_argument('--split', default='val',
                        help='split under --input (default: val)')
    parser.add_argument('--max-frames', type=int, default=100,
                        help='frames for --end-to-end (default: 100)')
    parser.add_argument('--output-dir',
                        help='where --end-to-end writes (default: a '
                        'temporary folder, removed afterwards)')
    parser.add_argument('--workers', type=int, default=2,
                        help='PNG writer threads for --end-to-end')
    add_cfg_options(parser)
    parser.add_argument(
        '--json', nargs='?', const='-', default=None, metavar='FILE',
        help='write the result as JSON to FILE (no FILE: to stdout)')
    return parser


def _main(argv: Optional[Sequence[str]] = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.repeat < 1 or args.warmup < 0:
        parser.error('--repeat must be >= 1 and --warmup >= 0')
    if args.end_to_end and not args.checkpoint:
        raise CLIError('--end-to-end runs infer.py, which needs --checkpoint')
    command = ' '.join(['python tools/benchmark.py'] + [
        shlex.quote(a) for a in (argv if argv is not None else sys.argv[1:])
    ])
    end_to_end = dict(input=args.input, split=args.split,
                      max_frames=args.max_frames,
                      output_dir=args.output_dir, workers=args.workers)
    result = measure_speed(
        args.config, args.checkpoint, shape=tuple(args.shape),
        aug_test=args.aug_test, fp16=args.fp16, device=args.device,
        repeat=args.repeat, warmup=args.warmup,
        cfg_options=args.cfg_options, end_to_end=args.end_to_end,
        command=command, **(end_to_end if args.end_to_end else {}))
    print(markdown_table(result))
    if args.json == '-':
        print(json.dumps(result, indent=2))
    elif args.json:
        os.makedirs(osp.dirname(osp.abspath(args.json)), exist_ok=True)
        with open(args.json, 'w') as f:
            json.dump(result, f, indent=2)
    return 0


def main(argv: Optional[Sequence[str]] = None) -> int:
    """The command line; returns the exit status (errors: one
    ``benchmark.py: error: ...`` report, status 1)."""
    return run_cli(_main, argv, PROG)
