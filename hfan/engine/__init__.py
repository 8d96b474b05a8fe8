"""Runner pieces: atomic checkpoint writes, a finite-loss check, the hook
that writes test predictions as mask files, and the Runner that reads
every checkpoint weights-only (``WeightsOnlyRunner``)."""
from .atomic_backend import AtomicLocalBackend
from .hooks import CheckFiniteLossHook, WriteMasksHook
from .runner import WeightsOnlyRunner

__all__ = [
    'AtomicLocalBackend', 'CheckFiniteLossHook', 'WriteMasksHook',
    'WeightsOnlyRunner'
]
