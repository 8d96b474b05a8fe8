"""Checkpoints: the released layouts, their conversion, reading and loading.

``layout`` recognises a state dict and maps the published HFAN and
SegFormer MiT names to this project's (applied at load time by
``VOSEncoderDecoder``'s ``load_state_dict`` pre-hook); ``loading`` reads
files weights-only and explains why a checkpoint does not fit a model.
Key tables: docs/checkpoints.md.
"""
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
