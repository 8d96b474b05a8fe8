"""Export an HFAN model to ONNX and check it against PyTorch.

    python tools/export_onnx.py CONFIG CHECKPOINT OUT.onnx \\
        [--check-frames demo/frames/blackswan] [--shared-frames]

The graph holds the encoder, the fusion modules and the decoder: input
``inputs`` (N, 6, H, W) float32 -- the frame and its colour-coded flow, each
BGR->RGB and normalised with the ImageNet mean/std, what the data
preprocessor gives -- and output ``logits`` (N, 2, H/4, W/4). Batch, height
and width are dynamic. The opset, the weights' digest, mean/std and the
output stride are in the file's metadata. docs/deployment.md says how to
feed it and what stays outside (flow, colour coding, resize, softmax).
"""
import argparse
import os.path as osp
from typing import List, Optional

from hfan.cli.arguments import add_cfg_options, add_trust_checkpoint_arg
from hfan.cli.report import CLIError, run_cli
from hfan.utils.paths import check_output_not_input, check_writable_file

PROG = 'export_onnx.py'


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=PROG,
        description='Export an HFAN model to ONNX (encoder + fusion + '
        'decoder) and check its logits against PyTorch.',
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog=__doc__.split('\n\n', 1)[1])
    parser.add_argument('config', help='config file')
    parser.add_argument('checkpoint', help='weights')
    parser.add_argument('out', help='the .onnx file to write')
    parser.add_argument(
        '--check-frames', metavar='DIR',
        help='folder of consecutive frames to check the export on (the first '
        '3, DIS flow; default: the bundled demo clip when it exists)')
    parser.add_argument(
        '--tolerance', type=float, default=1e-4,
        help='largest |logit difference| accepted, relative to the largest '
        '|logit| when that is above 1 (default: 1e-4; the float32 model '
        'itself is that far from float64 on real frames)')
    parser.add_argument(
        '--shared-frames', action='store_true',
        help='export the graph the ONNX Runtime backend runs (inputs frames, '
        'flows, frame_index: each distinct frame encoded once)')
    parser.add_argument('--opset', type=int, default=None,
                        help='ONNX opset (default: hfan.deploy.ONNX_OPSET)')
    add_trust_checkpoint_arg(parser)
    add_cfg_options(parser)
    return parser


def parse_args(argv: Optional[List[str]] = None) -> argparse.Namespace:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not args.out.endswith('.onnx'):
        parser.error(f'OUT {args.out!r} must end in .onnx')
    if args.tolerance <= 0:
        parser.error('--tolerance must be > 0')
    return args


def _main(argv: Optional[List[str]]) -> int:
    args = parse_args(argv)
    from hfan.deploy.check import export_and_check
    for what, path in (('config', args.config),
                       ('checkpoint', args.checkpoint)):
        if not osp.isfile(path):
            raise CLIError(f'{what} file {path} does not exist')
    # before the minutes of export: OUT may replace none of the inputs
    check_output_not_input(args.out, 'OUT', [
        ('config', args.config), ('checkpoint', args.checkpoint),
        ('--check-frames folder', args.check_frames)])
    check_writable_file(args.out, 'OUT')
    check = export_and_check(
        args.config, args.checkpoint, args.out,
        frames_dir=args.check_frames, shared_frames=args.shared_frames,
        opset=args.opset, cfg_options=args.cfg_options,
        trust_checkpoint=args.trust_checkpoint)
    print(f'Wrote {args.out} (opset {check.opset}, '
          f'{osp.getsize(args.out) / 2**20:.1f} MB).')
    print(f'Checked on {check.inputs} frames of {check.frames_dir} at '
          f'{check.input_shape[2]}x{check.input_shape[3]}: largest '
          f'|logit difference| to PyTorch {check.max_abs_diff:.2e} '
          f'(largest |logit| {check.max_abs_logit:.1f}), '
          f'classes agree on {100 * check.class_agreement:.3f}% of '
          'pixels.')
    allowed = check.allowed_difference(args.tolerance)
    if check.max_abs_diff > allowed:
        raise CLIError(f'the export differs from PyTorch by '
                       f'{check.max_abs_diff:.2e} > {allowed:.2e} '
                       f'(--tolerance {args.tolerance:g} x the largest '
                       f'|logit| {check.max_abs_logit:.1f}); {args.out} '
                       'is kept for inspection')
    return 0


def main(argv: Optional[List[str]] = None) -> int:
    """Export and check; 1 when the export differs from PyTorch by more
    than the tolerance (the file is kept), 2 for a usage error."""
    return run_cli(_main, argv, PROG)
