"""Where a tool may write: never over one of its inputs, never at or under a
regular file.

Every writing tool checks its destination with these before any work: an
output that is one of the tool's input files, or lies inside an input
folder (or, for a dataset root, contains it), would overwrite or mix with
the data it reads; an output at or under a regular file would fail only
after minutes of work, with an ``OSError`` naming neither path. Paths are
compared after resolving symlinks, ``.`` and ``..``; two names of one file
(a hard link) count as the same file.
"""
import os
import os.path as osp
from typing import Iterable, Optional, Tuple

from .errors import HFANError


class OutputPathError(HFANError, ValueError):
    """An output path that would overwrite an input or cannot be written;
    the message names the output and the input (or the blocking file).
    Also a ``ValueError``, which the evaluators report as a usage
    problem."""


def _real(path: str) -> str:
    return osp.realpath(osp.abspath(path))


def same_file(a: str, b: str) -> bool:
    """Whether ``a`` and ``b`` name one file or folder (by any spelling:
    relative, ``..``, a symlink, a hard link)."""
    if _real(a) == _real(b):
        return True
    try:
        return osp.samefile(a, b)
    except OSError:  # one of them does not exist: not the same
        return False


def is_inside(path: str, folder: str) -> bool:
    """Whether ``path`` lies strictly inside ``folder`` (both resolved)."""
    path, folder = _real(path), _real(folder)
    if path == folder:
        return False
    try:
        return osp.commonpath([path, folder]) == folder
    except ValueError:  # different drives
        return False


def check_output_not_input(out: str, out_label: str,
                           inputs: Iterable[Tuple[str, Optional[str]]],
                           *, containing: bool = False) -> None:
    """Refuse an output that is one of the inputs or inside an input folder.

    Args:
        out: the file or folder to write.
        out_label: how the message names it (``'--json'``, ``'OUT'``).
        inputs: ``(label, path)`` of every input (``None`` paths are
            skipped); a file input is refused when ``out`` is that file, a
            folder input when ``out`` is it or lies inside it.
        containing: also refuse an ``out`` folder that contains an input
            (an output *root*, whose sub-folders would mix with the input).

    Raises:
        OutputPathError: naming ``out`` and the input.
    """
    for label, path in inputs:
        if path is None:
            continue
        if same_file(out, path):
            raise OutputPathError(
                f'{out_label} {out} is the {label} {path}: writing there '
                'would overwrite the input; give another path')
        if osp.isdir(path) and is_inside(out, path) and osp.isfile(out):
            raise OutputPathError(
                f'{out_label} {out} is a file in the {label} {path}: '
                'writing there would overwrite an input; give a path '
                'outside it')
        if osp.isdir(path) and is_inside(out, path):
            raise OutputPathError(
                f'{out_label} {out} is inside the {label} {path}: outputs '
                'would be written among the inputs; give a path outside it')
        if containing and is_inside(path, out):
            raise OutputPathError(
                f'{out_label} {out} contains the {label} {path}: outputs '
                'would be written around the inputs; give a folder that '
                'neither is nor contains the input')


def _nearest_existing(path: str) -> str:
    probe = osp.abspath(path)
    while not osp.exists(probe):
        probe = osp.dirname(probe)
    return probe


def check_writable_folder(path: str, label: str) -> None:
    """Refuse an output folder that could not be created or written: one
    that is a regular file, lies under one, or whose nearest existing
    folder is not writable.

    Raises:
        OutputPathError: naming ``path`` and the file in the way.
    """
    if osp.exists(path) and not osp.isdir(path):
        raise OutputPathError(
            f'{label} {path} is a file, not a folder; give a folder to '
            'write into')
    probe = _nearest_existing(path)
    if not osp.isdir(probe):
        raise OutputPathError(
            f'{label} {path} cannot be created: {probe} is a file, not a '
            'folder')
    if not os.access(probe, os.W_OK | os.X_OK):
        raise OutputPathError(
            f'{label} {path} cannot be written: no write permission in '
            f'{probe}')


def check_writable_file(path: str, label: str) -> None:
    """Refuse an output file that could not be written: a folder, a path
    under a regular file, or one whose nearest existing folder is not
    writable.

    Raises:
        OutputPathError: naming ``path`` (and the file in the way).
    """
    if osp.isdir(path):
        raise OutputPathError(f'{label} {path} is a folder; give a file path')
    probe = _nearest_existing(osp.dirname(osp.abspath(path)))
    if not osp.isdir(probe):
        raise OutputPathError(
            f'{label} {path} cannot be written: {probe} is a file, not a '
            'folder')
    if not os.access(probe, os.W_OK | os.X_OK):
        raise OutputPathError(
            f'{label} {path} cannot be written: no write permission in '
            f'{probe}')
