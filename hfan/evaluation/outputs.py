"""Where the evaluators write their figures: a file, or stdout.

The evaluation takes minutes on a large benchmark, so an output file that
could not be written, or that would overwrite one of the inputs (a
ground-truth PNG, a prediction, the sequence list), is refused before any
work (:func:`check_output_path`) rather than after it.
"""
from typing import Iterable, Optional, Tuple

from hfan.utils.paths import check_output_not_input, check_writable_file

#: The output path that means stdout (``--json -`` / ``--csv -``).
STDOUT = '-'


def check_output_path(
        path: Optional[str], label: str,
        inputs: Iterable[Tuple[str, Optional[str]]] = ()) -> None:
    """Refuse an output file that could not be written or would replace an
    input.

    Args:
        path: the file to write; ``None`` (no output) and :data:`STDOUT`
            pass.
        label: how the message names the path (e.g. ``'--json'``).
        inputs: ``(label, path)`` of the evaluation's inputs (the
            prediction and GT folders, list files); ``path`` may be none of
            them and lie inside none of the folders.

    Raises:
        ValueError: (:class:`hfan.utils.paths.OutputPathError`) ``path`` is
            a folder, lies under a file, its nearest existing folder is not
            writable, or it is an input or inside an input folder; the
            message names both paths.
    """
    if path is None or path == STDOUT:
        return
    check_output_not_input(path, label, inputs)
    check_writable_file(path, label)
