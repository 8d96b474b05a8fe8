"""A local file backend whose writes are atomic (no truncated checkpoints)."""
import os
from pathlib import Path
from typing import Union

from mmengine.fileio.backends import LocalBackend, register_backend

from hfan.utils.atomic_io import atomic_write_bytes


@register_backend('atomic_local')
class AtomicLocalBackend(LocalBackend):
    """mmengine's ``LocalBackend`` with atomic ``put``/``put_text``.

    Select it for checkpoints with
    ``default_hooks.checkpoint.backend_args=dict(backend='atomic_local')``:
    then neither ``iter_*.pth`` nor ``last_checkpoint`` can be left
    half-written by an interrupted run, so resuming always finds a whole file.
    """

    def put(self, obj: bytes, filepath: Union[str, Path]) -> None:
        atomic_write_bytes(os.fspath(filepath), obj)

    def put_text(self, obj: str, filepath: Union[str, Path],
                 encoding: str = 'utf-8') -> None:
        atomic_write_bytes(os.fspath(filepath), obj.encode(encoding))
