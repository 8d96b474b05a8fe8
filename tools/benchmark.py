"""Measure HFAN's speed: model frames/s and end-to-end frames/s.

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
date) to paste into the README; ``--json`` also writes it as JSON.
"""
import argparse
import datetime
import json
import os
import os.path as osp
import platform
import shlex
import statistics
import sys
import tempfile
import time
import warnings

import numpy as np
import torch
from hfan.cli.arguments import add_cfg_options


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description='Model and end-to-end frames/s of an HFAN config.',
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog=__doc__.split('\n\n', 1)[1])
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
    parser.add_argument('--device', default=None,
                        help='cpu or cuda[:N] (default: cuda if available)')
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
    args = parser.parse_args(argv)
    if args.repeat < 1 or args.warmup < 0:
        parser.error('--repeat must be >= 1 and --warmup >= 0')
    return args


def device_name(device: torch.device) -> str:
    if device.type == 'cuda':
        return torch.cuda.get_device_name(device)
    model = platform.processor() or platform.machine()
    try:
        with open('/proc/cpuinfo') as f:
            for line in f:
                if line.startswith('model name'):
                    model = line.split(':', 1)[1].strip()
                    break
    except OSError:
        pass
    return f'{model} ({torch.get_num_threads()} threads)'


def time_model(segmenter, shape, repeat: int, warmup: int) -> dict:
    """Median forward time of one prepared frame (see the module doc)."""
    rng = np.random.default_rng(0)
    frame = rng.integers(0, 256, (*shape, 3), dtype=np.uint8)
    flow = rng.integers(0, 256, (*shape, 3), dtype=np.uint8)
    prepared = [segmenter.prepare(frame, flow)]
    inputs = prepared[0]['inputs']
    views = inputs if isinstance(inputs, list) else [inputs]
    cuda = segmenter.device.type == 'cuda'
    times = []
    for i in range(warmup + repeat):
        if cuda:
            torch.cuda.synchronize(segmenter.device)
        start = time.perf_counter()
        segmenter.predict(prepared)
        if cuda:
            torch.cuda.synchronize(segmenter.device)
        if i >= warmup:
            times.append(time.perf_counter() - start)
    median = statistics.median(times)
    return dict(
        model_input=[list(v.shape[1:]) for v in views],
        median_ms=1000 * median,
        mean_ms=1000 * statistics.fmean(times),
        min_ms=1000 * min(times),
        model_fps=1.0 / median)


def time_end_to_end(args, device: str) -> dict:
    from hfan.infer import parse_args as parse_infer_args
    from hfan.infer import run as run_infer
    argv = [
        '--config', args.config, '--output_dir', '', '--device', device,
        '--max-frames', str(args.max_frames), '--split', args.split,
        '--workers', str(args.workers), '--checkpoint',
        args.checkpoint or ''
    ]
    if args.input:
        argv += ['--input', args.input]
    if args.aug_test:
        argv.append('--aug-test')
    if args.fp16:
        argv.append('--fp16')
    infer_args = parse_infer_args(argv)
    infer_args.cfg_options = args.cfg_options
    with tempfile.TemporaryDirectory() as tmp:
        infer_args.output_dir = args.output_dir or osp.join(tmp, 'masks')
        infer_args.overwrite = True  # time every frame, not a resume
        stats = run_infer(infer_args, progress=False)
    return dict(e2e_frames=stats['frames'], e2e_seconds=stats['seconds'],
                e2e_fps=stats['fps'])


def markdown(result: dict) -> str:
    header = ('| date | device | config | test | input | model FPS '
              '| end-to-end FPS | command |')
    rule = '|' + '---|' * 8
    test = result['test_mode'] + (' + MS/flip' if result['aug_test'] else '')
    test += ' fp16' if result['fp16'] else ' fp32'
    e2e = (f"{result['e2e_fps']:.2f}" if 'e2e_fps' in result else '-')
    sizes = ['x'.join(map(str, s)) for s in result['model_input']]
    inputs = ', '.join(  # e.g. "384x704 (2), 512x928 (2), 896x1600 (2)"
        size + (f' ({sizes.count(size)})' if sizes.count(size) > 1 else '')
        for size in dict.fromkeys(sizes))
    row = (f"| {result['date']} | {result['device']} | "
           f"{osp.basename(result['config'])} | {test} | {inputs} | "
           f"{result['model_fps']:.2f} ({result['median_ms']:.1f} ms) | "
           f"{e2e} | `{result['command']}` |")
    return '\n'.join([header, rule, row])


def main(argv=None):
    args = parse_args(argv)
    from hfan.apis.inference import VideoSegmenter
    device = args.device or ('cuda' if torch.cuda.is_available() else 'cpu')
    if args.end_to_end and not args.checkpoint:
        raise SystemExit('benchmark.py: error: --end-to-end runs infer.py, '
                         'which needs --checkpoint')
    with warnings.catch_warnings():
        warnings.simplefilter('ignore')  # "random weights" is expected here
        segmenter = VideoSegmenter(
            args.config, args.checkpoint, device=device,
            aug_test=args.aug_test, fp16=args.fp16,
            cfg_options=args.cfg_options)
    result = dict(
        date=datetime.date.today().isoformat(),
        device=device_name(segmenter.device),
        config=args.config,
        checkpoint=args.checkpoint,
        test_mode=segmenter.test_mode,
        aug_test=args.aug_test,
        fp16=args.fp16,
        frame_shape=list(args.shape),
        repeat=args.repeat,
        warmup=args.warmup,
        torch=torch.__version__,
        command=' '.join(
            ['python tools/benchmark.py'] +
            [shlex.quote(a) for a in (argv if argv is not None
                                      else sys.argv[1:])]))
    result.update(time_model(segmenter, args.shape, args.repeat, args.warmup))
    del segmenter
    if args.end_to_end:
        result.update(time_end_to_end(args, device))
    print(markdown(result))
    if args.json == '-':
        print(json.dumps(result, indent=2))
    elif args.json:
        os.makedirs(osp.dirname(osp.abspath(args.json)), exist_ok=True)
        with open(args.json, 'w') as f:
            json.dump(result, f, indent=2)
    return result


if __name__ == '__main__':
    main()
