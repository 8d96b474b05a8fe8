"""Shared fixtures: tiny VOS data trees and a tiny HFAN model on disk.

Plain helpers (tiny configs, data writers, ``load_tool``) live in
``tests/testkit``; test modules import them from there.
"""
import os
import sys

import pytest
from testkit import (
    ROOT,
    save_tiny_checkpoint,
    write_tiny_config,
    write_vos_split,
)

if ROOT not in sys.path:  # infer.py, imported by the CLI tests
    sys.path.insert(0, ROOT)
os.environ.setdefault('OMP_NUM_THREADS', '2')
# Float32 by default, whatever the CPU: tests compare masks exactly with
# MMSeg's and with each other; the bf16 path has tests of its own.
os.environ['HFAN_CPU_BF16'] = 'off'


@pytest.fixture
def vos_root(tmp_path):
    root = str(tmp_path / 'VOS2SEG')
    write_vos_split(root, 'train', videos=2, frames=4, seed=0)
    write_vos_split(root, 'val', videos=2, frames=4, seed=1)
    return root


@pytest.fixture(scope='module')
def one_torch_thread():
    """One intra-op thread: the tensors are tiny, and on a shared 2-core
    machine OpenMP threads that wait for a busy core make the first forward
    passes of a process seconds long."""
    import torch
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


@pytest.fixture(scope='session')
def tiny(tmp_path_factory):
    """(config path, checkpoint path) of a tiny HFAN model (MiT-b0, random
    weights, classifier calibrated so that masks are neither empty nor
    full; testkit.models)."""
    folder = tmp_path_factory.mktemp('tiny_model')
    config = write_tiny_config(folder / 'tiny_hfan.py')
    return config, save_tiny_checkpoint(config, folder / 'tiny_hfan.pth')
