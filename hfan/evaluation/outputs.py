"""Where the evaluators write their figures: a file, or stdout.

The evaluation takes minutes on a large benchmark, so an output file that
could not be written is refused before any work (:func:`check_output_path`)
rather than after it.
"""
import os
import os.path as osp
from typing import Optional

#: The output path that means stdout (``--json -`` / ``--csv -``).
STDOUT = '-'


def check_output_path(path: Optional[str], label: str) -> None:
    """Refuse an output file that could not be written.

    Args:
        path: the file to write; ``None`` (no output) and :data:`STDOUT`
            pass.
        label: how the message names the path (e.g. ``'--json'``).

    Raises:
        ValueError: ``path`` is a folder, lies under a file, or its nearest
            existing folder is not writable.
    """
    if path is None or path == STDOUT:
        return
    if osp.isdir(path):
        raise ValueError(f'{label} {path} is a folder; give a file path')
    probe = osp.dirname(osp.abspath(path))
    while not osp.exists(probe):  # atomic writes create missing folders
        probe = osp.dirname(probe)
    if not osp.isdir(probe):
        raise ValueError(f'{label} {path} cannot be written: {probe} is a '
                         'file, not a folder')
    if not os.access(probe, os.W_OK | os.X_OK):
        raise ValueError(f'{label} {path} cannot be written: no write '
                         f'permission in {probe}')
