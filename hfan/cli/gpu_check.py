"""The GPU check: HFAN-Small/Medium at the published protocol, one table.

    python tools/gpu_check.py [--device cuda] [--repeat 20] [--frames DIR]
    bash tools/gpu_check.sh   # installs from carried wheels, then this

For each config (default: HFAN-Small and -Medium refine configs, sliding
512x512 windows on DAVIS-sized 480x854 frames): frames/s of the model
(``VideoSegmenter.predict`` on a prepared frame: normalisation, forward,
resize, softmax; median of ``--repeat`` after warm-up) in float32 and under
CUDA fp16 autocast (the published numbers' precision), single-scale and with
the multi-scale + flip test; the fp16-vs-fp32 mask agreement on real frames
(``--frames``, default the bundled demo clip, upscaled to 480x854, with DIS
flow); and the ONNX Runtime backend when its CUDA provider is there. Weights:
the released checkpoint when ``checkpoint/HFAN-{s,m}-converted.pth`` exists,
else random (speed does not depend on them; agreement then only shows that
the paths run). ``--device cpu`` runs everything (fp16 and ORT-CUDA rows
marked n/a): the script's smoke test.
"""
import argparse
from typing import Dict, List, Optional, Tuple

from hfan.cli.report import run_cli
from hfan.utils.defaults import DEMO_FRAMES

PROG = 'gpu_check.py'


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=PROG,
        description='HFAN speed and fp16 agreement on a GPU, one table.',
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog=__doc__.split('\n\n', 1)[1])
    parser.add_argument('--device', default='cuda')
    parser.add_argument('--repeat', type=int, default=20)
    parser.add_argument('--frames', default=DEMO_FRAMES)
    parser.add_argument('--agreement-frames', type=int, default=8)
    parser.add_argument('--configs', nargs='+', metavar='NAME=CONFIG[:CKPT]',
                        help='other configs than HFAN-Small/Medium')
    return parser


def parse_args(argv: Optional[List[str]] = None) -> argparse.Namespace:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.repeat < 1 or args.agreement_frames < 2:
        parser.error('--repeat >= 1 and --agreement-frames >= 2')
    return args


def _models(items: List[str]) -> Dict[str, Tuple[str, Optional[str]]]:
    """``{name: (config, checkpoint or None)}`` of ``--configs``."""
    out = {}
    for item in items:
        name, _, rest = item.partition('=')
        config, _, checkpoint = rest.partition(':')
        out[name] = (config, checkpoint or None)
    return out


def _main(argv: Optional[List[str]]) -> int:
    args = parse_args(argv)
    import torch

    from hfan.deploy.gpu_check import (
        FRAME_SIZE,
        GPU_CHECK_MODELS,
        check_model,
        device_description,
        format_gpu_table,
        real_inputs,
    )
    models = _models(args.configs) if args.configs else GPU_CHECK_MODELS
    device = device_description(args.device)
    pairs = real_inputs(args.frames, args.agreement_frames)
    rows = [check_model(name, config, checkpoint, pairs, args.device,
                        args.repeat)
            for name, (config, checkpoint) in models.items()]
    height, width = FRAME_SIZE
    print(f'\nHFAN GPU check on {device}, torch {torch.__version__}, '
          f'{height}x{width} frames, frames/s (MS: multi-scale + flip)')
    print(format_gpu_table(rows))
    return 0


def main(argv: Optional[List[str]] = None) -> int:
    """Print the table."""
    return run_cli(_main, argv, PROG)
