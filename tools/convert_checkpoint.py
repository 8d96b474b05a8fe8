"""Convert an HFAN checkpoint to this project's layout, weights only.

    # released file -> this project's layout (loads with mmseg's init_model)
    python tools/convert_checkpoint.py checkpoint/HFAN-s-converted.pth \\
        checkpoint/hfan_small_mmseg1x.pth \\
        --config local_configs/hfan/hfan.small.512x512.refine.py

The layout, select_method, MiT size and decoder width are detected from the
keys and shapes and printed. With ``--config`` the result is checked
against the model built from that config (strict key and shape match) and
nothing is written on a mismatch. A bare MiT (SegFormer's ImageNet
``mit_b*.pth``) is written with MMSeg's MiT names. The output holds
``state_dict`` and a ``meta`` (dataset_meta = classes and palette, what
``init_model`` reads) that ``torch.load(weights_only=True)`` accepts; it is
written atomically (temporary file, then ``os.replace``). A source that only
a full unpickling can read is refused unless ``--trust-checkpoint`` is given:
converting such a file once is how it becomes loadable weights-only.
"""
import argparse
import os.path as osp
import sys

import torch

from hfan.cli.arguments import add_cfg_options
from hfan.models.checkpoint import (CheckpointMismatchError,
                                    compare_state_dicts, convert_to_hfan,
                                    detect_layout, diagnose,
                                    extract_state_dict,
                                    mit_original_to_mmseg, read_checkpoint,
                                    select_method_in_meta)
from hfan.utils.atomic_io import atomic_path
from hfan.cli.report import CLIError, run_cli

DATASET_META = dict(classes=('background', 'foreground'),
                    palette=[[0, 0, 0], [255, 0, 0]])


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
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
        '--trust-checkpoint',
        action='store_true',
        help='fully unpickle SRC if weights-only loading refuses it (it can '
        'run code: only for files you trust)')
    return parser.parse_args(argv)


def build_model(config: str, cfg_options=None):
    from mmengine.registry import init_default_scope

    import hfan  # noqa: F401
    from hfan.apis import load_config
    from mmseg.registry import MODELS
    cfg = load_config(config, cfg_options)
    init_default_scope(cfg.get('default_scope', 'mmseg'))
    model_cfg = cfg.model.copy()
    model_cfg.pop('pretrained', None)
    return MODELS.build(model_cfg)


def _plain(value):
    """meta values that weights_only loading accepts (no numpy scalars)."""
    if isinstance(value, (str, int, float, bool)) or value is None:
        return value
    if isinstance(value, (list, tuple)):
        return type(value)(_plain(v) for v in value)
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    item = getattr(value, 'item', None)
    if callable(item):
        try:
            return item()
        except (TypeError, ValueError):
            pass
    return str(value)


def output_meta(checkpoint, layout, src: str) -> dict:
    meta = checkpoint.get('meta') if isinstance(checkpoint, dict) else None
    meta = meta if isinstance(meta, dict) else {}
    out = dict(converted_from=osp.basename(src),
               source_layout=layout.kind,
               hfan_layout='mit_mmseg' if layout.is_backbone_only else 'hfan',
               select_method=select_method_in_meta(checkpoint)
               or layout.variant(),
               mit_arch=layout.mit_arch,
               embed_dim=layout.embed_dim)
    classes = meta.get('CLASSES') or (
        meta.get('dataset_meta')
        or {}).get('classes') or DATASET_META['classes']
    palette = meta.get('PALETTE') or (
        meta.get('dataset_meta')
        or {}).get('palette') or DATASET_META['palette']
    out['dataset_meta'] = dict(classes=tuple(classes), palette=list(palette))
    if isinstance(meta.get('config'), str):
        out['source_config'] = meta['config']
    return _plain(out)


def atomic_save(obj, dst: str) -> None:
    """torch.save to a temporary file beside ``dst``, then rename it."""
    with atomic_path(dst) as tmp:
        torch.save(obj, tmp)


def check_paths(src: str, dst: str) -> None:
    """Refuse, before reading anything, a DST that is SRC (by any spelling:
    relative, absolute, a symlink, a hard link) or a folder: the source
    would be overwritten (e.g. by its own --fp16 copy)."""
    if osp.isdir(dst):
        raise CLIError(f'DST {dst} is a folder; give the output file name, '
                       'e.g. ' + osp.join(dst, osp.basename(src)))
    same = osp.realpath(src) == osp.realpath(dst)
    if not same and osp.exists(src) and osp.exists(dst):
        same = osp.samefile(src, dst)
    if same:
        raise CLIError(f'DST {dst} is the source file {src}: converting would '
                       'overwrite the input; give another output file')


def main(argv=None) -> int:
    """The command line; returns the exit status (0 written, 1 refused or
    failed with a message on stderr, 2 a mismatch with --config)."""
    return run_cli(_main, argv, 'convert_checkpoint.py')


def _main(argv=None) -> int:
    args = parse_args(argv)
    check_paths(args.src, args.dst)
    checkpoint = read_checkpoint(args.src, trust=args.trust_checkpoint)
    if not isinstance(checkpoint, dict):
        raise CLIError(f'{args.src} holds a {type(checkpoint).__name__}, '
                       'not a checkpoint dict (a state dict, or a dict with '
                       "'state_dict' or 'model')")
    try:
        state_dict = extract_state_dict(checkpoint)
    except ValueError as err:
        raise CLIError(f'{args.src} is not a model checkpoint: {err}') \
            from None
    layout = detect_layout(state_dict)
    if layout.kind == 'segformer':
        raise CLIError(f'{args.src} is a {layout.describe()}; nothing '
                       'written')
    if layout.kind == 'unknown':
        keys = ', '.join(list(state_dict)[:3])
        raise CLIError(
            f'{args.src} is not an HFAN checkpoint: none of its '
            f'{len(state_dict)} tensors ({keys}...) has the names of an HFAN '
            "model (backbone.*, decode_head.*) in this project's or the "
            'published layout; nothing written')
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
        model = build_model(args.config, args.cfg_options)
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
        out_state = {
            k: v.half() if v.is_floating_point() else v
            for k, v in out_state.items()
        }
        target += ', float16'
    out = dict(meta=output_meta(checkpoint, layout, args.src),
               state_dict=out_state)
    atomic_save(out, args.dst)
    method = layout.select_method or select_method_in_meta(
        checkpoint) or layout.variant()
    print(f'  wrote {args.dst}: {target}, {len(out_state)} tensors, ' + (
        '' if layout.is_backbone_only else f'select_method={method}, ') +
          f'MiT-{layout.mit_arch or "?"}, E={layout.embed_dim}')
    return 0


if __name__ == '__main__':
    sys.exit(main())
