"""RAFT in the original release's layout, runnable without torchvision.

Facts checked: torchvision lists RAFT-large at 5,257,536 parameters; the
original checkpoints (nn.DataParallel) prefix every key with ``module.`` and
register a strided block's ``norm3`` twice (as itself and ``downsample.1``);
correlation = <f1, f2> / sqrt(C) looked up with x offsets along the first
window axis; convex upsampling reproduces a constant flow times 8.
"""
import sys

import numpy as np
import pytest
import torch

from hfan.flow import RAFTFlow, build_flow_estimator
from hfan.flow.raft_network import (
    RAFT,
    CorrelationPyramid,
    convex_upsample,
    is_original_raft_layout,
    load_raft_state_dict,
)


@pytest.fixture(scope='module')
def raft_things(tmp_path_factory):
    """A randomly initialised RAFT-large saved as raft-things.pth is
    (DataParallel's ``module.`` prefix, BN statistics made non-trivial)."""
    torch.manual_seed(0)
    model = RAFT()
    for m in model.modules():
        if isinstance(m, torch.nn.BatchNorm2d):
            m.running_mean.uniform_(-0.1, 0.1)
            m.running_var.uniform_(0.5, 1.5)
    path = tmp_path_factory.mktemp('raft') / 'raft-things.pth'
    torch.save({f'module.{k}': v for k, v in model.state_dict().items()},
               path)
    return path, model


def test_parameter_count_and_key_layout_of_the_release():
    model = RAFT()
    assert sum(p.numel() for p in model.parameters()) == 5_257_536
    keys = set(model.state_dict())
    for key in ('fnet.layer2.0.downsample.0.weight',
                'cnet.layer2.0.norm3.running_mean',
                'cnet.layer2.0.downsample.1.running_mean',
                'update_block.encoder.convc1.weight',
                'update_block.gru.convq2.weight',
                'update_block.flow_head.conv2.weight',
                'update_block.mask.2.weight'):
        assert key in keys, key
    # the feature encoder uses affine-free instance norm: no norm entries
    assert not [k for k in keys if k.startswith('fnet') and 'norm' in k]
    assert model.state_dict()['update_block.mask.2.weight'].shape[0] == 576


def test_layout_detection_and_prefix():
    state = {f'module.{k}': v for k, v in RAFT().state_dict().items()}
    assert is_original_raft_layout(state)
    assert 'fnet.conv1.weight' in load_raft_state_dict(state)
    tv_like = {'feature_encoder.convnormrelu.0.weight': torch.zeros(1)}
    assert not is_original_raft_layout(tv_like)
    with pytest.raises(KeyError, match='fnet.conv1.weight'):
        load_raft_state_dict(tv_like)


def test_correlation_lookup_finds_a_known_shift():
    # one-hot features (a different unit vector per pixel) and a frame 2
    # whose content moved by dx = +2, dy = +1: the correlation is 1/sqrt(C)
    # exactly at the window entry of that offset and 0 elsewhere
    h, w = 8, 8
    c = h * w
    f1 = torch.eye(c).reshape(c, h, w)[None]
    f2 = torch.zeros_like(f1)
    f2[:, :, 1:, 2:] = f1[:, :, :-1, :-2]
    pyr = CorrelationPyramid(levels=2, radius=4)
    pyr.build(f1, f2)
    ys, xs = torch.meshgrid(torch.arange(h, dtype=torch.float32),
                            torch.arange(w, dtype=torch.float32),
                            indexing='ij')
    coords = torch.stack([xs, ys])[None]
    out = pyr(coords)
    assert out.shape == (1, 2 * 81, h, w)
    level0 = out[0, :81, 2:6, 2:6]  # interior pixels whose match exists
    expected = (2 + 4) * 9 + (1 + 4)  # x offset on the first window axis
    np.testing.assert_allclose(level0[expected], 1 / c**0.5, rtol=1e-6)
    others = torch.cat([level0[:expected], level0[expected + 1:]])
    assert others.abs().max() == 0
    # level 1: targets averaged over 2x2 cells, coordinates halved. For
    # p = (2, 2) the match (4, 3) lies in cell (2, 1) = p/2 + (+1, 0): that
    # window entry holds 1/4 of the peak, no entry holds more
    lvl1 = out[0, 81:, 2, 2]
    np.testing.assert_allclose(lvl1[(1 + 4) * 9 + (0 + 4)], 0.25 / c**0.5,
                               rtol=1e-6)
    assert out[0, 81:].max() <= 0.25 / c**0.5 * (1 + 1e-6)


def test_convex_upsampling():
    torch.manual_seed(0)
    flow = torch.tensor([1.5, -0.5]).view(1, 2, 1, 1).expand(1, 2, 4, 5)
    mask = torch.randn(1, 9 * 64, 4, 5)
    up = convex_upsample(flow, mask)
    assert up.shape == (1, 2, 32, 40)
    # interior: convex combination of equal vectors, times 8
    np.testing.assert_allclose(up[0, 0, 8:24, 8:32], 12.0, rtol=1e-5)
    np.testing.assert_allclose(up[0, 1, 8:24, 8:32], -4.0, rtol=1e-5)
    # all weight on the centre neighbour (index 4): nearest upsampling x 8
    coarse = torch.randn(1, 2, 4, 5)
    onehot = torch.full((1, 9, 64, 4, 5), -1e4)
    onehot[:, 4] = 0
    up = convex_upsample(coarse, onehot.reshape(1, 9 * 64, 4, 5))
    nearest = 8 * coarse.repeat_interleave(8, 2).repeat_interleave(8, 3)
    np.testing.assert_allclose(up, nearest, rtol=1e-5, atol=1e-5)


def test_raft_things_runs_without_torchvision(raft_things, monkeypatch):
    for name in ('torchvision', 'torchvision.models',
                 'torchvision.models.optical_flow'):
        monkeypatch.setitem(sys.modules, name, None)
    path, model = raft_things
    est = build_flow_estimator('raft', weights=str(path), device='cpu',
                               num_flow_updates=2)
    assert est.layout == 'original' and est.num_flow_updates == 2
    assert RAFTFlow(weights=str(path), device='cpu').num_flow_updates == 20
    rng = np.random.default_rng(0)
    img1 = rng.integers(0, 256, (130, 133, 3), dtype=np.uint8)
    img2 = np.roll(img1, 2, axis=1)
    flow = est(img1, img2)  # padded to 136 x 136, cropped back
    assert flow.shape == (130, 133, 2) and flow.dtype == np.float32
    # the same numbers as the network on RAFT's own padding ('sintel'
    # InputPadder: replicate, 3 rows on top / 3 below, 1 left / 2 right)
    rgb = torch.from_numpy(np.stack([img1, img2])[..., ::-1].copy())
    x = rgb.permute(0, 3, 1, 2).float() * (2 / 255) - 1
    x = torch.nn.functional.pad(x, (1, 2, 3, 3), mode='replicate')
    with torch.no_grad():
        ref = model.eval()(x[:1], x[1:], num_flow_updates=2)[-1]
    np.testing.assert_allclose(flow, ref[0, :, 3:133, 1:134].permute(1, 2, 0),
                               rtol=1e-4, atol=1e-4)
    # a frame smaller than RAFT's 128 x 128 is padded up to it
    small = est(img1[:40, :70], img2[:40, :70])
    assert small.shape == (40, 70, 2) and np.isfinite(small).all()


def test_raft_checkpoint_errors(raft_things, tmp_path):
    path, model = raft_things
    state = torch.load(path, weights_only=True)
    state['module.fnet.conv1.weight'] = torch.zeros(64, 3, 3, 3)
    torch.save(state, tmp_path / 'small.pth')
    with pytest.raises(ValueError, match='does not fit RAFT-large'):
        RAFTFlow(weights=str(tmp_path / 'small.pth'), device='cpu')
    with pytest.raises(FileNotFoundError, match='missing.pth'):
        RAFTFlow(weights=str(tmp_path / 'missing.pth'), device='cpu')
    torch.save([1, 2], tmp_path / 'list.pth')
    with pytest.raises(ValueError, match='list.pth holds a list'):
        RAFTFlow(weights=str(tmp_path / 'list.pth'), device='cpu')
    for size in ((130, 128), (128, 120)):  # not a multiple of 8; too small
        with pytest.raises(ValueError,
                           match='multiples of 8 and at least 128'):
            model(torch.zeros(1, 3, *size), torch.zeros(1, 3, *size))
