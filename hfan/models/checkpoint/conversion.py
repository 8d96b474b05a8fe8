"""Converting a checkpoint file to this project's layout, weights only
(``tools/convert_checkpoint.py``): reading and recognising the source, the
``meta`` of the output, float16 storage and the atomic write.

The steps, in the order the converter takes them::

    check_output_path(src, dst)
    checkpoint, state_dict, layout = read_source(src)
    conversion = convert_to_hfan(state_dict)        # .layout
    meta = output_meta(checkpoint, layout, src)
    save_weights(dst, conversion.state_dict, meta)
"""
import os.path as osp
from collections import OrderedDict
from typing import Any, Dict, Mapping, Optional, Sequence, Tuple

import torch
from torch import Tensor

from hfan.utils.atomic_io import atomic_path
from hfan.utils.errors import HFANError
from hfan.utils.paths import (
    OutputPathError,
    check_output_not_input,
    check_writable_file,
    same_file,
)

from .layout import (
    CheckpointLayout,
    detect_layout,
    extract_state_dict,
    select_method_in_meta,
)
from .loading import read_checkpoint

#: What ``init_model`` reads from ``meta['dataset_meta']`` when the source
#: names no classes or palette.
DATASET_META = dict(classes=('background', 'foreground'),
                    palette=[[0, 0, 0], [255, 0, 0]])


class CheckpointConversionError(HFANError):
    """A source that cannot be converted, or an output path that would
    overwrite it; nothing is written."""


def check_output_path(src: str, dst: str, *, overwrite: bool = True,
                      others: Sequence[Tuple[str, Optional[str]]] = ()
                      ) -> None:
    """Refuse, before reading anything, a ``dst`` that is ``src`` (by any
    spelling: relative, absolute, a symlink, a hard link) or a folder: the
    source would be overwritten (e.g. by its own float16 copy).

    Args:
        src, dst: the source checkpoint and the output file.
        overwrite: whether an existing ``dst`` (another file than the
            inputs) may be replaced; ``False`` refuses it, naming the
            option that allows it.
        others: ``(label, path)`` of the other inputs (the ``--config``),
            which ``dst`` may not be either.

    Raises:
        CheckpointConversionError: naming ``dst`` and what to give instead.
    """
    if osp.isdir(dst):
        raise CheckpointConversionError(
            f'DST {dst} is a folder; give the output file name, e.g. ' +
            osp.join(dst, osp.basename(src)))
    if same_file(src, dst):
        raise CheckpointConversionError(
            f'DST {dst} is the source file {src}: converting would '
            'overwrite the input; give another output file')
    try:
        check_output_not_input(dst, 'DST', others)
        check_writable_file(dst, 'DST')
    except OutputPathError as err:
        raise CheckpointConversionError(str(err)) from None
    if not overwrite and osp.lexists(dst):
        raise CheckpointConversionError(
            f'DST {dst} already exists; pass --overwrite to replace it, or '
            'give another output file')


def read_source(
    src: str,
    trust: bool = False
) -> Tuple[Dict[str, Any], 'OrderedDict[str, Tensor]', CheckpointLayout]:
    """Read ``src`` and recognise it as an HFAN model or a bare MiT.

    Args:
        src: a local checkpoint file.
        trust: unpickle a file that weights-only loading refuses.

    Returns:
        ``(checkpoint, state_dict, layout)``: the file's dict, its tensors
        (:func:`extract_state_dict`) and their layout
        (:func:`detect_layout`: ``kind`` one of ``hfan_published``,
        ``hfan``, ``mit_original``, ``mit_mmseg``).

    Raises:
        CheckpointConversionError: not a checkpoint dict, no tensors, a
            SegFormer model or tensors of no HFAN model.
        CheckpointFileError: unreadable, or refused without ``trust``.
    """
    checkpoint = read_checkpoint(src, trust=trust)
    if not isinstance(checkpoint, dict):
        raise CheckpointConversionError(
            f'{src} holds a {type(checkpoint).__name__}, not a checkpoint '
            "dict (a state dict, or a dict with 'state_dict' or 'model')")
    try:
        state_dict = extract_state_dict(checkpoint)
    except ValueError as err:
        raise CheckpointConversionError(
            f'{src} is not a model checkpoint: {err}') from None
    layout = detect_layout(state_dict)
    if layout.kind == 'segformer':
        raise CheckpointConversionError(
            f'{src} is a {layout.describe()}; nothing written')
    if layout.kind == 'unknown':
        keys = ', '.join(list(state_dict)[:3])
        raise CheckpointConversionError(
            f'{src} is not an HFAN checkpoint: none of its '
            f'{len(state_dict)} tensors ({keys}...) has the names of an HFAN '
            "model (backbone.*, decode_head.*) in this project's or the "
            'published layout; nothing written')
    return checkpoint, state_dict, layout


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


def output_meta(checkpoint: Mapping, layout: CheckpointLayout,
                src: str) -> Dict[str, Any]:
    """The ``meta`` of a converted file, built of plain values only (what
    ``torch.load(weights_only=True)`` accepts).

    Returns:
        ``dict(converted_from, source_layout, hfan_layout, select_method,
        mit_arch, embed_dim, dataset_meta[, source_config])``:
        ``hfan_layout`` is ``'mit_mmseg'`` for a bare MiT, else ``'hfan'``;
        ``dataset_meta`` (classes, palette) is the source's
        (``CLASSES``/``PALETTE`` of mmseg 0.x, or ``dataset_meta``), else
        :data:`DATASET_META`; ``source_config`` is the source's config text.
    """
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


def to_float16(state_dict: Mapping[str, Tensor]) -> Dict[str, Tensor]:
    """Floating-point tensors as float16 (half the size; they load into
    float32 models unchanged otherwise); the others as they are."""
    return {
        k: v.half() if v.is_floating_point() else v
        for k, v in state_dict.items()
    }


def save_weights(path: str, state_dict: Mapping[str, Tensor],
                 meta: Dict[str, Any]) -> None:
    """``torch.save(dict(meta, state_dict))`` to a temporary file beside
    ``path``, then renamed to it: ``path`` is complete or absent."""
    with atomic_path(path) as tmp:
        torch.save(dict(meta=meta, state_dict=state_dict), tmp)
