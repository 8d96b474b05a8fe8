"""Helpers shared by the tests: where the repository is, tools as modules,
tiny data trees and videos, tiny HFAN models, training-run folders.

Fixtures live in ``tests/conftest.py``; this package holds plain functions
that test modules import (``from testkit import ...``). ``tests/`` is on
``sys.path`` because pytest puts the folder of ``tests/conftest.py`` there.
"""
import importlib.util
import os.path as osp

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))


def load_tool(name):
    """A ``tools/<name>.py`` script as a module (tools/ is not a package;
    a plain ``import test`` could also find the standard library's)."""
    spec = importlib.util.spec_from_file_location(
        f'hfan_tools_{name}', osp.join(ROOT, 'tools', f'{name}.py'))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


from .data import (  # noqa: E402
    NAMES,
    SIZE,
    N,
    archive_path,
    read_pair,
    synthetic_frame,
    write_test_video,
    write_vos_split,
)
from .models import (  # noqa: E402
    MIT_B0,
    MIT_B0_CHANNELS,
    REFINE,
    make_batch,
    run_infer,
    save_tiny_checkpoint,
    tiny_model_cfg,
    write_tiny_config,
)
from .runs import write_run  # noqa: E402

__all__ = [
    'ROOT', 'load_tool', 'N', 'NAMES', 'SIZE', 'archive_path', 'read_pair',
    'synthetic_frame', 'write_test_video', 'write_vos_split', 'MIT_B0',
    'MIT_B0_CHANNELS', 'REFINE', 'make_batch', 'run_infer',
    'save_tiny_checkpoint', 'tiny_model_cfg', 'write_tiny_config',
    'write_run'
]
