"""Moved to :mod:`hfan.models.checkpoint` (the models must not import
``hfan.apis``); these names stay importable from here."""
from hfan.models.checkpoint import (CheckpointFileError,  # noqa: F401
                                    CheckpointMismatchError,
                                    check_checkpoint_file,
                                    load_hfan_checkpoint, load_mit_pretrained,
                                    read_checkpoint)
