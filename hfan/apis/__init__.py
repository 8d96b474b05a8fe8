"""User-facing APIs: configs, inference on videos."""
from .config import load_config

__all__ = ['load_config']
