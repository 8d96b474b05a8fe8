"""Small utilities shared by the package."""
from .atomic_io import (
                        atomic_path,
                        atomic_write_bytes,
                        atomic_write_text,
                        remove_stale_tmp,
)

__all__ = [
    'atomic_path', 'atomic_write_bytes', 'atomic_write_text',
    'remove_stale_tmp'
]
