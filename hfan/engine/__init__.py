"""Training-time pieces: atomic checkpoint writes and a finite-loss check."""
from .atomic_backend import AtomicLocalBackend
from .hooks import CheckFiniteLossHook

__all__ = ['AtomicLocalBackend', 'CheckFiniteLossHook']
