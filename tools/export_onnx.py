"""Export an HFAN model to ONNX and check it against PyTorch.

    python tools/export_onnx.py CONFIG CHECKPOINT OUT.onnx \
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
import sys

from hfan.cli.report import CLIError, run_cli
from hfan.cli.arguments import add_cfg_options, add_trust_checkpoint_arg


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
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
    args = parser.parse_args(argv)
    if not args.out.endswith('.onnx'):
        parser.error(f'OUT {args.out!r} must end in .onnx')
    if args.tolerance <= 0:
        parser.error('--tolerance must be > 0')
    return args


def main(argv=None) -> int:
    args = parse_args(argv)
    from hfan.apis import VideoSegmenter
    from hfan.deploy import ONNX_OPSET, OnnxRuntimeLogits, export_onnx
    from hfan.deploy.check import compare_logits, model_inputs
    from hfan.deploy.onnx_export import file_digest, model_digest
    from hfan.io.video import FrameFolder
    for what, path in (('config', args.config),
                       ('checkpoint', args.checkpoint)):
        if not osp.isfile(path):
            raise CLIError(f'{what} file {path} does not exist')
        if osp.abspath(path) == osp.abspath(args.out):
            raise CLIError(f'OUT {args.out} is the {what}; it would be '
                           'overwritten')
    segmenter = VideoSegmenter(
        args.config, args.checkpoint, cfg_options=args.cfg_options,
        trust_checkpoint=args.trust_checkpoint, cpu_bf16=False,
        prefetch=False)
    frames_dir = args.check_frames or osp.join(
        osp.dirname(osp.dirname(osp.abspath(__file__))), 'demo', 'frames',
        'blackswan')
    folder = FrameFolder(frames_dir)
    frames = [folder.read(path) for path in folder.paths[:3]]
    inputs = model_inputs(segmenter, frames)
    opset = args.opset or ONNX_OPSET
    export_onnx(
        segmenter.model, args.out,
        example_size=tuple(inputs[0].shape[2:]), opset=opset,
        shared_frames=args.shared_frames,
        metadata=dict(config=osp.basename(args.config),
                      checkpoint=osp.basename(args.checkpoint),
                      checkpoint_sha256=file_digest(args.checkpoint)))
    runtime = OnnxRuntimeLogits(args.out, model_digest(segmenter.model))
    result = compare_logits(segmenter.model, runtime, inputs)
    print(f'Wrote {args.out} (opset {opset}, '
          f'{osp.getsize(args.out) / 2**20:.1f} MB).')
    print(f"Checked on {result['inputs']} frames of {frames_dir} at "
          f"{result['input_shape'][2]}x{result['input_shape'][3]}: largest "
          f"|logit difference| to PyTorch {result['max_abs_diff']:.2e} "
          f"(largest |logit| {result['max_abs_logit']:.1f}), "
          f"classes agree on {100 * result['class_agreement']:.3f}% of "
          'pixels.')
    allowed = args.tolerance * max(1.0, result['max_abs_logit'])
    if result['max_abs_diff'] > allowed:
        raise CLIError(f"the export differs from PyTorch by "
                       f"{result['max_abs_diff']:.2e} > {allowed:.2e} "
                       f"(--tolerance {args.tolerance:g} x the largest "
                       f"|logit| {result['max_abs_logit']:.1f}); {args.out} "
                       'is kept for inspection')
    return 0


if __name__ == '__main__':
    sys.exit(run_cli(main, prog='export_onnx.py'))
