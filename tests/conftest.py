"""Shared fixtures: tiny VOS data trees and tiny HFAN model configs."""
import importlib.util
import os
import os.path as osp
import sys

import cv2
import numpy as np
import pytest
from mmengine.config import ConfigDict

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
if ROOT not in sys.path:
    sys.path.insert(0, ROOT)
os.environ.setdefault('OMP_NUM_THREADS', '2')

MIT_B0 = dict(
    type='OriginalMixVisionTransformer', arch='b0', drop_path_rate=0.0)
MIT_B0_CHANNELS = [32, 64, 160, 256]


def tiny_model_cfg(select_method='hfan', channels=32, norm='BN'):
    """An HFAN (MiT-b0) model config small enough for CPU unit tests."""
    return ConfigDict(
        type='VOSEncoderDecoder',
        data_preprocessor=dict(type='FrameFlowDataPreProcessor', size_divisor=32),
        backbone=dict(type='DualStreamEncoder', backbone=dict(MIT_B0)),
        decode_head=dict(
            type='HFANHead',
            select_method=select_method,
            in_channels=MIT_B0_CHANNELS,
            in_index=[0, 1, 2, 3],
            channels=channels,
            num_classes=2,
            out_channels=2,
            norm_cfg=dict(type=norm, requires_grad=True),
            loss_decode=dict(type='CrossEntropyLoss', loss_weight=1.0)),
        train_cfg=dict(),
        test_cfg=dict(mode='whole'))


def write_vos_split(root, split, videos=2, frames=4, size=(64, 96),
                    seed=0, square=16):
    """Write frame/flow/mask folders of one split; a square moves right.

    Frames are noise with a bright square at x = 8 + 4 t, the flow image is
    a constant colour inside the square and white (zero flow) outside, the
    mask is 255 on the square. Returns the sample names.
    """
    rng = np.random.default_rng(seed)
    h, w = size
    names = []
    for sub in ('frame', 'flow', 'mask'):
        os.makedirs(osp.join(root, sub, split), exist_ok=True)
    for v in range(videos):
        for t in range(frames):
            name = f'video{v}_{t:05d}'
            frame = rng.integers(0, 120, (h, w, 3), dtype=np.uint8)
            mask = np.zeros((h, w), np.uint8)
            x0, y0 = 8 + 4 * t, 8 + 4 * v
            mask[y0:y0 + square, x0:x0 + square] = 255
            frame[mask > 0] = (40, 200, 240)
            flow = np.full((h, w, 3), 255, np.uint8)
            flow[mask > 0] = (60, 60, 255)
            cv2.imwrite(osp.join(root, 'frame', split, name + '.jpg'), frame)
            cv2.imwrite(osp.join(root, 'flow', split, name + '.jpg'), flow)
            cv2.imwrite(osp.join(root, 'mask', split, name + '.png'), mask)
            names.append(name)
    return names


@pytest.fixture
def vos_root(tmp_path):
    root = str(tmp_path / 'VOS2SEG')
    write_vos_split(root, 'train', videos=2, frames=4, seed=0)
    write_vos_split(root, 'val', videos=2, frames=4, seed=1)
    return root


def load_tool(name):
    """A ``tools/<name>.py`` script as a module (tools/ is not a package;
    a plain ``import test`` could also find the standard library's)."""
    spec = importlib.util.spec_from_file_location(
        f'hfan_tools_{name}', osp.join(ROOT, 'tools', f'{name}.py'))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


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
    """(config path, checkpoint path) of the tiny HFAN model of
    tests/test_infer.py (MiT-b0, random weights, calibrated classifier)."""
    from test_infer import save_tiny_checkpoint, write_tiny_config
    folder = tmp_path_factory.mktemp('tiny_model')
    config = write_tiny_config(folder / 'tiny_hfan.py')
    return config, save_tiny_checkpoint(config, folder / 'tiny_hfan.pth')
