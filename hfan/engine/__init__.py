"""Training-time pieces: atomic checkpoint writes and a finite-loss check."""
from .atomic_backend import AtomicLocalBackend, atomic_write_bytes
from .hooks import CheckFiniteLossHook

__all__ = ['AtomicLocalBackend', 'atomic_write_bytes', 'CheckFiniteLossHook']
