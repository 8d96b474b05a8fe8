"""Checkpoints: ``layout`` recognises the released layouts and maps them to
this project's (the segmentor's load pre-hook applies it); ``loading`` reads
files weights-only and explains misfits. Key tables: docs/checkpoints.md."""
from .layout import (BACKBONE_PREFIX, MIT_NUM_HEADS, MIT_SETTINGS,
                     CheckpointLayout, Conversion, convert_to_hfan,
                     detect_layout, extract_state_dict, mit_arch_of,
                     mit_original_to_mmseg, select_method_in_meta)
from .loading import (CheckpointFileError, CheckpointMismatchError,
                      UntrustedCheckpointError, check_checkpoint_file,
                      compare_state_dicts, diagnose, load_hfan_checkpoint,
                      load_mit_pretrained, read_checkpoint)

__all__ = [
    'BACKBONE_PREFIX', 'MIT_NUM_HEADS', 'MIT_SETTINGS', 'CheckpointLayout',
    'Conversion', 'convert_to_hfan', 'detect_layout', 'extract_state_dict',
    'mit_arch_of', 'mit_original_to_mmseg', 'select_method_in_meta',
    'CheckpointFileError', 'CheckpointMismatchError',
    'UntrustedCheckpointError', 'check_checkpoint_file', 'compare_state_dicts',
    'diagnose', 'load_hfan_checkpoint', 'load_mit_pretrained',
    'read_checkpoint'
]
