"""Checkpoints: ``layout`` recognises the released layouts and maps them to
this project's (the segmentor's load pre-hook applies it); ``loading`` reads
files weights-only and explains misfits; ``mmengine_loader`` makes
mmengine's loader of local files weights-only too; ``conversion`` writes a
converted weights-only file and its ``meta``. Key tables:
docs/checkpoints.md."""
from .conversion import (
    DATASET_META,
    CheckpointConversionError,
    check_output_path,
    output_meta,
    read_source,
    save_weights,
    to_float16,
)
from .layout import (
    BACKBONE_PREFIX,
    MIT_NUM_HEADS,
    MIT_SETTINGS,
    CheckpointLayout,
    Conversion,
    convert_to_hfan,
    detect_layout,
    extract_state_dict,
    mit_arch_of,
    mit_original_to_mmseg,
    select_method_in_meta,
)
from .loading import (
    CheckpointFileError,
    CheckpointMismatchError,
    UntrustedCheckpointError,
    check_checkpoint_file,
    check_weights_only,
    compare_state_dicts,
    diagnose,
    load_hfan_checkpoint,
    load_mit_pretrained,
    read_checkpoint,
    without_training_only,
)
from .mmengine_loader import load_local_weights_only

__all__ = [
    'BACKBONE_PREFIX', 'MIT_NUM_HEADS', 'MIT_SETTINGS', 'CheckpointLayout',
    'Conversion', 'convert_to_hfan', 'detect_layout', 'extract_state_dict',
    'mit_arch_of', 'mit_original_to_mmseg', 'select_method_in_meta',
    'CheckpointFileError', 'CheckpointMismatchError',
    'UntrustedCheckpointError', 'check_checkpoint_file', 'check_weights_only',
    'compare_state_dicts', 'diagnose', 'load_hfan_checkpoint',
    'load_local_weights_only', 'load_mit_pretrained',
    'read_checkpoint', 'DATASET_META', 'CheckpointConversionError',
    'check_output_path', 'output_meta', 'read_source', 'save_weights',
    'to_float16', 'without_training_only'
]
