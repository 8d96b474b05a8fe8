"""The one natural sort order of the project: frames, files and frame ids.

``frame2.png`` comes before ``frame10.png`` and ``2`` before ``10``;
zero-padded names (``00000.jpg`` .. ``00079.jpg``) keep their plain order,
which is the order of the official tools' ``sorted(glob(...))``.
"""
import re
from typing import List, Tuple


def natural_key(name: str) -> Tuple[List[Tuple[int, int, str]], str]:
    """Sort key of ``name``: digit runs compare as numbers, the rest
    case-insensitively; ties (names that differ only in case or in leading
    zeros) are broken by the name itself, so the order never depends on
    the order the names were listed in.

    Example: ``sorted(['x10', 'x9', 'X1'], key=natural_key)`` is
    ``['X1', 'x9', 'x10']``.
    """
    parts = [(0, int(part), part) if part.isdigit() else (1, 0, part.lower())
             for part in re.split(r'(\d+)', name)]
    return parts, name
