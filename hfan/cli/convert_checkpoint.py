"""``tools/convert_checkpoint.py``: convert an HFAN checkpoint to this
project's layout, weights only; the steps are
:mod:`hfan.models.checkpoint.conversion`."""
import argparse
import sys

from hfan.apis import build_model
from hfan.cli.arguments import add_cfg_options
from hfan.cli.report import run_cli
from hfan.models.checkpoint import (
    CheckpointMismatchError,
    check_output_path,
    compare_state_dicts,
    convert_to_hfan,
    diagnose,
    mit_original_to_mmseg,
    output_meta,
    read_source,
    save_weights,
    select_method_in_meta,
    to_float16,
    without_training_only,
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog='convert_checkpoint.py',
        description='Convert an HFAN checkpoint (published mmseg-0.11 layout '
        "or a full pickle) to this project's MMSeg 1.x layout, weights only")
    parser.add_argument('src', help='source checkpoint (local file)')
    parser.add_argument('dst', help='output file')
    parser.add_argument(
        '--config',
        help='check the result against the model of this config (strict)')
    add_cfg_options(parser, help='overrides of the --config settings')
    parser.add_argument(
        '--fp16',
        action='store_true',
        help='store floating-point tensors as float16 (half the size; they '
        'load into float32 models unchanged otherwise)')
    parser.add_argument(
        '--overwrite',
        action='store_true',
        help='replace DST if it exists (default: refuse, so that a released '
        'checkpoint is not replaced by accident)')
    parser.add_argument(
        '--trust-checkpoint',
        action='store_true',
        help='fully unpickle SRC if weights-only loading refuses it (it can '
        'run code: only for files you trust)')
    return parser


def _main(argv=None) -> int:
    args = build_parser().parse_args(argv)
    check_output_path(args.src, args.dst, overwrite=args.overwrite,
                      others=[('--config', args.config)])
    checkpoint, state_dict, layout = read_source(
        args.src, trust=args.trust_checkpoint)
    print(f'{args.src}: {layout.describe()}')
    if layout.is_backbone_only:  # an ImageNet file: MMSeg's MiT names
        out_state = mit_original_to_mmseg(state_dict)
        target = "MMSeg's MiT names (for the backbone's init_cfg)"
    else:
        conversion = convert_to_hfan(state_dict)
        out_state = conversion.state_dict
        target = "this project's layout"
        if conversion.dropped:
            print(f'  dropped (unused in the published model): '
                  f'{", ".join(conversion.dropped)}')
    if args.config and not layout.is_backbone_only:
        model = build_model(args.config, cfg_options=args.cfg_options)
        # a head used only in training (auxiliary_head) has no place in a
        # model without one: left out, as loading would
        out_state, dropped = without_training_only(out_state,
                                                   model.state_dict())
        if dropped:
            print(f'  left out the training-only auxiliary_head '
                  f'({len(dropped)} tensors): {args.config} has none')
        missing, unexpected, mismatched = compare_state_dicts(
            out_state, model.state_dict())
        if missing or unexpected or mismatched:
            error = CheckpointMismatchError(
                args.src, layout, missing, unexpected, mismatched,
                diagnose(layout, model, select_method_in_meta(checkpoint)))
            print(str(error), file=sys.stderr)
            return 2
        print(f'  matches {args.config} (strict)')
    if args.fp16:
        out_state = to_float16(out_state)
        target += ', float16'
    save_weights(args.dst, out_state,
                 output_meta(checkpoint, layout, args.src))
    method = layout.select_method or select_method_in_meta(
        checkpoint) or layout.variant()
    print(f'  wrote {args.dst}: {target}, {len(out_state)} tensors, ' + (
        '' if layout.is_backbone_only else f'select_method={method}, ') +
          f'MiT-{layout.mit_arch or "?"}, E={layout.embed_dim}')
    return 0


def main(argv=None) -> int:
    """The command line; returns the exit status (0 written, 1 refused or
    failed with a message on stderr, 2 a mismatch with --config)."""
    return run_cli(_main, argv, 'convert_checkpoint.py')
