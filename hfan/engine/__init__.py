"""Runner pieces: atomic checkpoint writes, a finite-loss check, and the
hook that writes test predictions as mask files."""
from .atomic_backend import AtomicLocalBackend
from .hooks import CheckFiniteLossHook, WriteMasksHook

__all__ = ['AtomicLocalBackend', 'CheckFiniteLossHook', 'WriteMasksHook']
