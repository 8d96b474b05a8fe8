"""Convert HFAN checkpoints between the published layout and this project's.

    # released file -> this project's layout (loads with mmseg's init_model)
    python tools/convert_checkpoint.py checkpoint/HFAN-s-converted.pth \\
        checkpoint/hfan_small_mmseg1x.pth \\
        --config local_configs/hfan/hfan.small.512x512.refine.py

    # back to the published (mmseg-0.11) layout
    python tools/convert_checkpoint.py work_dirs/x/iter_4000.pth out.pth \\
        --to-published

The layout, select_method, MiT size and decoder width are detected from the
keys and shapes and printed. With ``--config`` the result is checked
against the model built from that config (strict key and shape match) and
nothing is written on a mismatch. The output holds ``state_dict`` and a
``meta`` (dataset_meta = classes and palette, what ``init_model`` reads)
that ``torch.load(weights_only=True)`` accepts; it is written atomically
(temporary file, then ``os.replace``).
"""
import argparse
import os.path as osp
import sys

sys.path.insert(0, osp.dirname(osp.dirname(osp.abspath(__file__))))

import torch  # noqa: E402
from hfan.apis.launch import add_cfg_options  # noqa: E402

from hfan.apis.checkpoint import (  # noqa: E402
    CheckpointMismatchError, compare_state_dicts, diagnose, read_checkpoint)
from hfan.utils.atomic_io import atomic_path  # noqa: E402
from hfan.utils.cli import CLIError, run_cli  # noqa: E402
from hfan.models.checkpoint_layout import (  # noqa: E402
    convert_to_hfan, detect_layout, extract_state_dict, hfan_to_published,
    select_method_in_meta)

DATASET_META = dict(classes=('background', 'foreground'),
                    palette=[[0, 0, 0], [255, 0, 0]])


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description='Convert an HFAN checkpoint (published mmseg-0.11 layout '
        "<-> this project's MMSeg 1.x layout)")
    parser.add_argument('src', help='source checkpoint (local file)')
    parser.add_argument('dst', help='output file')
    parser.add_argument(
        '--config',
        help='check the result against the model of this config (strict)')
    parser.add_argument('--to-published',
                        action='store_true',
                        help='write the published (mmseg-0.11) layout instead')
    add_cfg_options(parser, help='overrides of the --config settings')
    parser.add_argument(
        '--fp16',
        action='store_true',
        help='store floating-point tensors as float16 (half the size; they '
        'load into float32 models unchanged otherwise)')
    parser.add_argument(
        '--untrusted',
        action='store_true',
        help='refuse to fully unpickle SRC when weights_only loading fails')
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


def output_meta(checkpoint, layout, src: str, to_published: bool) -> dict:
    meta = checkpoint.get('meta') if isinstance(checkpoint, dict) else None
    meta = meta if isinstance(meta, dict) else {}
    out = dict(converted_from=osp.basename(src),
               source_layout=layout.kind,
               hfan_layout='hfan_published' if to_published else 'hfan',
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
    if to_published:  # what mmseg-0.11 tools read
        out['CLASSES'] = tuple(classes)
        out['PALETTE'] = list(palette)
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
    checkpoint = read_checkpoint(args.src, trusted=not args.untrusted)
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
    if layout.kind == 'unknown':
        keys = ', '.join(list(state_dict)[:3])
        raise CLIError(
            f'{args.src} is not an HFAN checkpoint: none of its '
            f'{len(state_dict)} tensors ({keys}...) has the names of an HFAN '
            "model (backbone.*, decode_head.*) in this project's or the "
            'published layout; nothing written')
    print(f'{args.src}: {layout.describe()}')
    if layout.is_backbone_only:
        print('  a bare MiT backbone (ImageNet initialisation) is not an HFAN '
              "model: use it through the backbone's init_cfg "
              '(checkpoint/mit_b*.pth); MMSeg converts it with '
              'tools/model_converters/mit2mmseg.py if needed')
        return 1
    conversion = convert_to_hfan(state_dict)
    ours = conversion.state_dict
    if conversion.dropped:
        print(f'  dropped (unused in the published model): '
              f'{", ".join(conversion.dropped)}')

    if args.config:
        model = build_model(args.config, args.cfg_options)
        missing, unexpected, mismatched = compare_state_dicts(
            ours, model.state_dict())
        if missing or unexpected or mismatched:
            error = CheckpointMismatchError(
                args.src, layout, missing, unexpected, mismatched,
                diagnose(layout, model, select_method_in_meta(checkpoint)))
            print(str(error), file=sys.stderr)
            return 2
        print(f'  matches {args.config} (strict)')

    if args.to_published:
        out_state = hfan_to_published(ours)
        target = 'published (mmseg-0.11) layout'
    else:
        out_state = ours
        target = "this project's layout"
    if args.fp16:
        out_state = {
            k: v.half() if v.is_floating_point() else v
            for k, v in out_state.items()
        }
        target += ', float16'
    out = dict(meta=output_meta(checkpoint, layout, args.src,
                                args.to_published),
               state_dict=out_state)
    atomic_save(out, args.dst)
    method = layout.select_method or select_method_in_meta(
        checkpoint) or layout.variant()
    print(f'  wrote {args.dst}: {target}, {len(out_state)} tensors, '
          f'select_method={method}, '
          f'MiT-{layout.mit_arch or "?"}, E={layout.embed_dim}')
    return 0


if __name__ == '__main__':
    sys.exit(main())
