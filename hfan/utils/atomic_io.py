"""Atomic file writes: a file either does not exist or is complete.

Every writer of the project (checkpoints, prepared data, masks, overlays,
metrics, converted weights) goes through :func:`atomic_path`: the data is
written to a hidden temporary file beside the target, named
``.<name>.<pid>.hfantmp<ext>`` (the extension is kept because some writers
pick the format by it), then renamed into place with ``os.replace``; on any
exception, ``KeyboardInterrupt`` included, the temporary file is removed.
A process killed outright can leave a temporary file behind, never a
truncated target; :func:`remove_stale_tmp` clears those of dead processes.
"""
import os
import os.path as osp
import re
from contextlib import contextmanager, suppress
from typing import Iterator

_TMP_TAG = '.hfantmp'
_TMP_RE = re.compile(r'^\..+\.(\d+)' + re.escape(_TMP_TAG) + r'(\.\w+)?$')


def _tmp_path(path: str) -> str:
    folder, name = osp.split(path)
    ext = osp.splitext(name)[1]  # kept: some writers pick the format by it
    return osp.join(folder, f'.{name}.{os.getpid()}{_TMP_TAG}{ext}')


@contextmanager
def atomic_path(path: str) -> Iterator[str]:
    """Yield a temporary path beside ``path`` to write to.

    When the block ends normally the file is renamed to ``path``
    (``os.replace``, atomic); on any exception, ``KeyboardInterrupt``
    included, it is removed. ``path`` thus either does not exist or is
    complete. The temporary name is hidden, carries the writer's pid and
    keeps the extension; :func:`remove_stale_tmp` clears those a killed
    process left.
    """
    folder = osp.dirname(path)
    if folder:
        os.makedirs(folder, exist_ok=True)
    tmp = _tmp_path(path)
    try:
        yield tmp
        os.replace(tmp, path)
    except BaseException:
        with suppress(FileNotFoundError):
            os.remove(tmp)
        raise


def atomic_write_bytes(path: str, data: bytes) -> None:
    """Write ``data`` to ``path`` atomically (flushed to disk first)."""
    with atomic_path(path) as tmp, open(tmp, 'wb') as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())


def atomic_write_text(path: str, text: str, encoding: str = 'utf-8') -> None:
    """Write ``text`` to ``path`` atomically."""
    atomic_write_bytes(path, text.encode(encoding))


def remove_stale_tmp(root: str) -> int:
    """Remove temporary files under ``root`` that :func:`atomic_path` left
    behind in processes that no longer run (killed, not interrupted).
    Returns how many were removed."""
    removed = 0
    for folder, _, files in os.walk(root):
        for name in files:
            m = _TMP_RE.match(name)
            if m and not _pid_alive(int(m.group(1))):
                with suppress(FileNotFoundError):
                    os.remove(osp.join(folder, name))
                    removed += 1
    return removed


def _pid_alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
