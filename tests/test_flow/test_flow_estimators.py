"""Optical flow: DIS estimator, per-video flow rule, colour coding, files."""
import math
import struct
import sys
import types

import cv2
import numpy as np
import pytest
import torch

from hfan.flow.base import FlowEstimator
from hfan.flow.builder import build_flow_estimator
from hfan.flow.colorize import flow_to_bgr, flow_to_color
from hfan.flow.dis import DISFlow
from hfan.flow.io import read_flow, write_flow
from hfan.flow.raft import RAFTFlow
from hfan.flow.video_flow import iter_frames_with_flows, iter_video_flows


def textured(h=96, w=128, seed=0):
    """Smooth colour noise: texture everywhere for the flow to lock on."""
    rng = np.random.default_rng(seed)
    img = cv2.GaussianBlur(
        rng.uniform(0, 255, (h, w, 3)).astype(np.float32), (0, 0), 1.5)
    return cv2.normalize(img, None, 0, 255, cv2.NORM_MINMAX).astype(np.uint8)


def shifted(img, dx, dy):
    """``img`` moved by (dx, dy): the content at (x, y) goes to
    (x + dx, y + dy) (wrapping around)."""
    return np.roll(img, (dy, dx), axis=(0, 1))


# ---------------------------------------------------------------- estimators


def test_dis_recovers_a_known_translation():
    img = textured()
    flow = DISFlow()(img, shifted(img, 3, -2))
    assert flow.dtype == np.float32 and flow.shape == (96, 128, 2)
    interior = flow[16:-16, 16:-16]  # the wrap-around seam stays outside
    err = np.abs(interior - np.array([3, -2], np.float32))
    assert err.max() < 1.0


def test_video_flow_rule_with_dis_on_a_constant_translation():
    base = textured(seed=1)
    frames = [shifted(base, 2 * t, t) for t in range(4)]  # (2, 1) per frame
    flows = list(iter_video_flows(frames, DISFlow()))
    assert len(flows) == 4
    for t, flow in enumerate(flows):
        expected = (-2, -1) if t == 3 else (2, 1)  # last: backward t -> t-1
        np.testing.assert_allclose(
            np.median(flow[16:-16, 16:-16].reshape(-1, 2), axis=0),
            expected, atol=0.25)


def test_builder_and_input_checks():
    est = build_flow_estimator('DIS', preset='fast', device=None)
    assert isinstance(est, DISFlow) and isinstance(est, FlowEstimator)
    with pytest.raises(ValueError, match='unknown flow estimator'):
        build_flow_estimator('farneback')
    with pytest.raises(ValueError, match='unknown DIS preset'):
        DISFlow('slow')
    img = textured(32, 32)
    with pytest.raises(ValueError, match='differ in shape'):
        est(img, textured(32, 48))
    with pytest.raises(ValueError, match='uint8'):
        est(img.astype(np.float32), img)


# ------------------------------------------------------------ per-video rule


class Recorder:
    """A fake estimator: frames are constant images holding their index;
    records (from, to) pairs and returns a flow filled with them."""

    def __init__(self):
        self.pairs = []

    def __call__(self, a, b):
        pair = (int(a[0, 0, 0]), int(b[0, 0, 0]))
        self.pairs.append(pair)
        return np.full(a.shape[:2] + (2, ), pair, np.float32)


def frame(i, h=4, w=5):
    return np.full((h, w, 3), i, np.uint8)


def test_flow_rule_forward_then_backward_for_the_last_frame():
    rec = Recorder()
    flows = list(iter_video_flows([frame(i) for i in range(4)], rec))
    assert rec.pairs == [(0, 1), (1, 2), (2, 3), (3, 2)]
    assert [tuple(f[0, 0]) for f in flows] == rec.pairs


def test_flow_rule_edge_cases():
    rec = Recorder()
    (flow, ) = list(iter_video_flows([frame(7, 3, 2)], rec))
    assert rec.pairs == [] and flow.shape == (3, 2, 2) and not flow.any()
    assert list(iter_video_flows([], rec)) == []
    assert len(list(iter_video_flows([frame(0), frame(1)], rec))) == 2
    assert rec.pairs == [(0, 1), (1, 0)]


def test_both_directions_reverse_the_backward_flow_on_a_known_translation():
    # The content moves by (2, 1) each frame, so every frame's forward
    # motion is (2, 1): the flow t -> t+1 measures it, and the flow
    # t -> t-1 measures (-2, -1), which reversed is (2, 1) again.
    base = textured(seed=2)
    frames = [shifted(base, 2 * t, t) for t in range(4)]
    out = list(iter_frames_with_flows(frames, DISFlow(), 'both'))
    assert [t for t, _, _ in out] == [0, 1, 2, 3]
    assert [len(flows) for _, _, flows in out] == [1, 2, 2, 1]
    for t, image, flows in out:
        assert image is frames[t]
        for flow in flows:
            np.testing.assert_allclose(
                np.median(flow[16:-16, 16:-16].reshape(-1, 2), axis=0),
                (2, 1), atol=0.25)


def test_both_directions_pairs_order_and_edge_cases():
    rec = Recorder()
    out = list(iter_frames_with_flows([frame(i) for i in range(3)], rec,
                                      'both'))
    # each frame: t -> t+1 first, then t -> t-1 (handed out reversed)
    assert rec.pairs == [(0, 1), (1, 2), (1, 0), (2, 1)]
    assert [[tuple(f[0, 0]) for f in flows] for _, _, flows in out] == [
        [(0, 1)], [(1, 2), (-1, -0)], [(-2, -1)]]
    # a single frame: one zero flow, no estimate
    rec = Recorder()
    ((_, _, flows), ) = iter_frames_with_flows([frame(5)], rec, 'both')
    assert rec.pairs == [] and len(flows) == 1 and not flows[0].any()
    # the forward rule through the same function: one flow a frame
    rec = Recorder()
    out = list(iter_frames_with_flows([frame(i) for i in range(3)], rec))
    assert [[tuple(f[0, 0]) for f in flows] for _, _, flows in out] == [
        [(0, 1)], [(1, 2)], [(2, 1)]]
    with pytest.raises(ValueError, match="'backward'.*forward.*both"):
        list(iter_frames_with_flows([frame(0)], rec, 'backward'))


def test_both_directions_stream_skips_and_keeps_three_frames():
    consumed, loaded = [], []

    def source():
        for i in range(5):
            consumed.append(i)
            yield i

    def load(i):
        loaded.append(i)
        return frame(i)

    rec = Recorder()
    for t, image, flows in iter_frames_with_flows(
            source(), rec, 'both', load=load, skip=lambda t: t == 2):
        assert len(consumed) <= t + 2
        assert (flows is None) == (t == 2)
    # frame 2 is skipped, but decoded once as a neighbour of 1 and 3
    assert rec.pairs == [(0, 1), (1, 2), (1, 0), (3, 4), (3, 2), (4, 3)]
    assert loaded == [0, 1, 2, 3, 4]


def test_flow_stream_is_lazy_and_reads_one_frame_ahead():
    consumed = []

    def source():
        for i in range(6):
            consumed.append(i)
            yield i

    loaded = []

    def load(i):
        loaded.append(i)
        return frame(i)

    rec = Recorder()
    for t, flow in enumerate(
            iter_video_flows(source(), rec, load=load,
                             skip=lambda t: t in (1, 2))):
        assert len(consumed) <= t + 2  # frame t and at most the next one
        assert (flow is None) == (t in (1, 2))
    assert rec.pairs == [(0, 1), (3, 4), (4, 5), (5, 4)]
    assert loaded == [0, 1, 3, 4, 5]  # each needed frame decoded once


# ------------------------------------------------------------ colour coding

# The Middlebury wheel has 55 entries: RY=15 (red -> yellow), YG=6, GC=4,
# CB=11, BM=13, MR=6, starting at index 0 with red (255, 0, 0). RAFT's
# levels: a rising ramp of n steps takes floor(255 k / n), a falling one
# 255 - floor(255 k / n), k = 0 .. n-1. Some entries:
#   RY k=6, 7   (index  6,  7): green floor(102)=102, floor(119)=119
#   RY k=13, 14 (index 13, 14): green floor(221)=221, floor(238)=238
#   CB k=2      (index 27):     (0, 255 - floor(46.36) = 209, 255)
#   BM k=4, 5   (index 40, 41): red floor(78.46)=78, floor(98.08)=98
#   MR k=5      (index 54):     (255, 0, 255 - floor(212.5) = 43)
# A flow (u, v) divided by the largest magnitude (+1e-5) gets angle
# a = atan2(-v, -u) / pi and position fk = (a + 1) / 2 * 54 on the wheel,
# interpolated between entries floor(fk) and floor(fk) + 1; colour c at
# radius r <= 1 becomes 1 - r (1 - c); the output is floor(255 x).
# At the largest magnitude r = m / (m + 1e-5), 1 - r ~ 2.5e-6 for m = 4:
# 0 stays 0 and 255 stays 255.
HAND_COLOURS = [
    # +x with v = +0.0: atan2(-0.0, -1) = -pi, fk = 0 -> index 0, red
    ((4.0, 0.0), (255, 0, 0)),
    # +x with v = -0.0: atan2(+0.0, -1) = +pi, fk = 54 -> index 54
    ((4.0, -0.0), (255, 0, 43)),
    # -x: atan2(-0.0, 1) = -0, fk = 27 -> index 27
    ((-4.0, 0.0), (0, 209, 255)),
    # +y (down): a = -1/2, fk = 13.5 -> green (221 + 238) / 2 = 229.5
    ((0.0, 4.0), (255, 229, 0)),
    # -y (up): a = 1/2, fk = 40.5 -> red (78 + 98) / 2 = 88
    ((0.0, -4.0), (88, 0, 255)),
    # down-right diagonal: a = -3/4, fk = 6.75 -> green .25*102 + .75*119
    # = 114.75
    ((2 * math.sqrt(2), 2 * math.sqrt(2)), (255, 114, 0)),
]


@pytest.mark.parametrize('uv, rgb', HAND_COLOURS)
def test_colour_of_a_flow_at_the_largest_magnitude(uv, rgb):
    flow = np.array([[uv]], np.float32)  # one pixel: it is the maximum
    assert tuple(flow_to_color(flow)[0, 0]) == rgb
    assert tuple(flow_to_bgr(flow)[0, 0]) == rgb[::-1]


def test_colour_of_zero_and_half_magnitude():
    assert (flow_to_color(np.zeros((3, 4, 2), np.float32)) == 255).all()
    # half the largest magnitude: 1 - 0.5 (1 - c); red (1, 0, 0) ->
    # (1, .5, .5) -> floor(127.5...) = 127 (r is a hair under 0.5)
    flow = np.array([[[4, 0], [2, 0]]], np.float32)
    rgb = flow_to_color(flow)
    assert tuple(rgb[0, 0]) == (255, 0, 0)
    assert tuple(rgb[0, 1]) == (255, 127, 127)
    # the colour depends on the flow relative to the frame's largest
    np.testing.assert_array_equal(flow_to_color(flow * 10), rgb)


def middlebury_wheel():
    """The 55 x 3 RGB wheel with RAFT's integer levels."""
    def up(n):
        return np.floor(255 * np.arange(n) / n)

    segments = [  # (steps, R, G, B)
        (15, 255, up(15), 0),  # RY
        (6, 255 - up(6), 255, 0),  # YG
        (4, 0, 255, up(4)),  # GC
        (11, 0, 255 - up(11), 255),  # CB
        (13, up(13), 0, 255),  # BM
        (6, 255, 0, 255 - up(6)),  # MR
    ]
    rows = []
    for n, r, g, b in segments:
        seg = np.zeros((n, 3))
        seg[:, 0], seg[:, 1], seg[:, 2] = r, g, b
        rows.append(seg)
    return np.concatenate(rows)


def raft_reference(flow):
    """RAFT's visualiser (flow_viz.flow_to_image) written from its
    definition, in the same float32 / float64 arithmetic."""
    wheel = middlebury_wheel()
    u, v = flow[..., 0], flow[..., 1]
    rad_max = np.max(np.sqrt(np.square(u) + np.square(v)))
    u, v = u / (rad_max + 1e-5), v / (rad_max + 1e-5)
    rad = np.sqrt(np.square(u) + np.square(v))
    fk = (np.arctan2(-v, -u) / np.pi + 1) / 2 * 54
    k0 = np.floor(fk).astype(np.int32)
    k1 = np.where(k0 + 1 == 55, 0, k0 + 1)
    f = fk - k0
    out = np.zeros(flow.shape[:2] + (3, ), np.uint8)
    for i in range(3):
        c = (1 - f) * wheel[k0, i] / 255.0 + f * wheel[k1, i] / 255.0
        c = np.where(rad <= 1, 1 - rad * (1 - c), c * 0.75)
        out[..., i] = np.floor(255 * c)
    return out


def test_reference_matches_the_hand_values():
    wheel = middlebury_wheel()  # the entries listed above
    assert wheel.shape == (55, 3)
    assert tuple(wheel[0]) == (255, 0, 0) and tuple(wheel[54]) == (255, 0, 43)
    assert tuple(wheel[27]) == (0, 209, 255)
    for uv, rgb in HAND_COLOURS:
        assert tuple(raft_reference(np.array([[uv]], np.float32))[0, 0]) \
            == rgb


def test_colour_coding_matches_raft_on_random_fields():
    rng = np.random.default_rng(0)
    for scale in (0.01, 1.0, 30.0):
        flow = (rng.standard_normal((64, 80, 2)) * scale).astype(np.float32)
        ours, ref = flow_to_color(flow), raft_reference(flow)
        diff = np.abs(ours.astype(int) - ref)
        assert diff.max() <= 1 and (diff > 0).mean() < 1e-3


def test_largest_vector_is_never_darkened():
    # dividing by the exact maximum (mmcv's own normalisation) puts a few
    # largest vectors at radius 1 + 1 ulp, in the 0.75 branch; RAFT's
    # divisor max + 1e-5 never does
    rng = np.random.default_rng(1)
    flows = rng.standard_normal((2000, 1, 1, 2)) * rng.uniform(
        0.1, 50, (2000, 1, 1, 1))
    for flow in flows.astype(np.float32):
        assert flow_to_color(flow).max() == 255
        np.testing.assert_array_equal(flow_to_color(flow),
                                      raft_reference(flow))


def test_invalid_flow_is_black_and_ignored_for_the_maximum():
    flow = np.array([[[4, 0], [np.nan, 0], [1e9, 0]]], np.float32)
    rgb = flow_to_color(flow)
    assert tuple(rgb[0, 0]) == (255, 0, 0)
    assert (rgb[0, 1:] == 0).all()


# ---------------------------------------------------------------- raw files


def test_flo_file_layout_and_round_trip(tmp_path):
    flow = np.random.default_rng(0).standard_normal((5, 7, 2)).astype(
        np.float32)
    path = tmp_path / 'a.flo'
    write_flow(path, flow)
    data = path.read_bytes()
    assert struct.unpack('<f', data[:4])[0] == 202021.25  # b'PIEH'
    assert struct.unpack('<ii', data[4:12]) == (7, 5)  # width, height
    np.testing.assert_array_equal(
        np.frombuffer(data[12:], '<f4').reshape(5, 7, 2), flow)
    np.testing.assert_array_equal(read_flow(path), flow)


def test_npy_round_trip_and_unknown_type(tmp_path):
    flow = np.ones((3, 2, 2), np.float32)
    write_flow(tmp_path / 'a.npy', flow)
    assert sorted(p.name for p in tmp_path.iterdir()) == ['a.npy']
    np.testing.assert_array_equal(read_flow(tmp_path / 'a.npy'), flow)
    with pytest.raises(ValueError, match='unknown flow file type'):
        write_flow(tmp_path / 'a.png', flow)


# --------------------------------------------------------------------- RAFT


def test_raft_without_torchvision_says_so(monkeypatch):
    monkeypatch.setitem(sys.modules, 'torchvision', None)
    monkeypatch.setitem(sys.modules, 'torchvision.models', None)
    monkeypatch.setitem(sys.modules, 'torchvision.models.optical_flow', None)
    with pytest.raises(ImportError, match='weights need torchvision.*'
                       'raft-things.pth'):
        RAFTFlow()  # torchvision's own weights


class FakeRaft(torch.nn.Module):
    """Stands in for torchvision's RAFT: same call, checks what RAFT
    requires, returns as its flow (R of img1, B of img2) so the test can see
    the channel order, the scaling and the crop."""

    def __init__(self):
        super().__init__()
        # torchvision raft_large's top-level modules (what the layout is
        # recognised by); their weights are not used
        self.feature_encoder = torch.nn.Conv2d(3, 2, 1)
        self.context_encoder = torch.nn.Conv2d(3, 2, 1)
        self.update_block = torch.nn.Conv2d(2, 2, 1)

    def forward(self, image1, image2, num_flow_updates=12):
        assert image1.shape == image2.shape and image1.shape[0] == 1
        assert image1.shape[2] % 8 == 0 and image1.shape[3] % 8 == 0
        assert image1.min() >= -1 and image1.max() <= 1
        flow = torch.cat([image1[:, :1], image2[:, 2:]], dim=1)
        return [flow * 0, flow]  # RAFT returns every iteration's flow


def fake_torchvision(monkeypatch, calls):
    module = types.ModuleType('torchvision.models.optical_flow')

    def raft_large(*, weights=None, progress=True):
        calls.append(weights)
        return FakeRaft()

    module.raft_large = raft_large
    module.Raft_Large_Weights = types.SimpleNamespace(C_T_V2='C_T_V2')
    for name in ('torchvision', 'torchvision.models'):
        monkeypatch.setitem(sys.modules, name, types.ModuleType(name))
    monkeypatch.setitem(sys.modules, module.__name__, module)


def test_raft_wrapper_with_a_stand_in_model(tmp_path, monkeypatch):
    calls = []
    fake_torchvision(monkeypatch, calls)
    torch.save(FakeRaft().state_dict(), tmp_path / 'w.pth')
    est = RAFTFlow(weights=str(tmp_path / 'w.pth'), device='cpu')
    assert calls == [None]  # local weights: no download
    img1, img2 = textured(30, 45, seed=1), textured(30, 45, seed=2)
    flow = est(img1, img2)  # padded to 32 x 48, cropped back
    assert flow.shape == (30, 45, 2) and flow.dtype == np.float32
    np.testing.assert_allclose(flow[..., 0], img1[..., 2] / 127.5 - 1,
                               atol=1e-6)  # RGB order, [-1, 1]
    np.testing.assert_allclose(flow[..., 1], img2[..., 0] / 127.5 - 1,
                               atol=1e-6)
    torch.save({'state_dict': FakeRaft().state_dict()}, tmp_path / 'c.pth')
    RAFTFlow(weights=str(tmp_path / 'c.pth'), device='cpu')
    torch.save({'other.weight': torch.zeros(1)}, tmp_path / 'bad.pth')
    with pytest.raises(ValueError,
                       match='neither an original RAFT checkpoint'):
        RAFTFlow(weights=str(tmp_path / 'bad.pth'), device='cpu')
    RAFTFlow(device='cpu')
    assert calls[-1] == 'C_T_V2'  # torchvision's default weights


def _bad_raft_file(kind, path):
    if kind == 'text':
        path.write_text('these are my notes, not weights\n')
    elif kind == 'empty':
        path.write_bytes(b'')
    else:
        torch.save({'encoder.weight': torch.zeros(4, 4),
                    'head.bias': torch.zeros(2)}, path)
        if kind == 'truncated':
            data = path.read_bytes()
            path.write_bytes(data[:len(data) // 2])
    return str(path)


@pytest.mark.parametrize('kind, why', [
    ('text', 'it is a text file'), ('empty', 'the file is empty'),
    ('truncated', 'damaged or truncated'),
    ('other keys', 'its 2 keys are encoder.weight, head.bias')])
def test_raft_names_a_file_that_is_no_raft_checkpoint(tmp_path, kind, why):
    """Not '101' (torch's message for a text file) nor advice to install
    torchvision: the file, what is wrong, what a RAFT checkpoint holds;
    before any network is built or torchvision imported."""
    from hfan.flow.raft import RAFTWeightsError, read_raft_weights
    path = _bad_raft_file(kind, tmp_path / 'w.pth')
    for load in (read_raft_weights, lambda p: RAFTFlow(p, device='cpu')):
        with pytest.raises(RAFTWeightsError) as info:
            load(path)
        msg = str(info.value)
        assert msg.startswith(path) and why in msg
        assert 'raft-things.pth' in msg and 'fnet.conv1.weight' in msg
        assert "torchvision's raft_large" in msg and 'install' not in msg
        assert '101' not in msg.replace(path, '')
    with pytest.raises(FileNotFoundError, match='RAFT weights not found'):
        read_raft_weights(str(tmp_path / 'missing.pth'))


def test_raft_layouts_are_recognised_by_their_keys(tmp_path):
    from hfan.flow.raft import read_raft_weights
    from hfan.flow.raft_network import RAFT_SIGNATURE_KEYS
    original = {'module.' + k: torch.zeros(1) for k in RAFT_SIGNATURE_KEYS}
    torch.save(original, tmp_path / 'o.pth')
    assert read_raft_weights(str(tmp_path / 'o.pth'))[1] == 'original'
    torch.save({'model': FakeRaft().state_dict()}, tmp_path / 't.pth')
    state, layout = read_raft_weights(str(tmp_path / 't.pth'))
    assert layout == 'torchvision' and 'feature_encoder.weight' in state


def test_raft_wrapper_pads_small_frames_as_raft(tmp_path):
    """The wrapper on the project's own RAFT-large (original layout, random
    weights) with a planted shift, a 60x70 frame: under RAFT's 128-pixel
    minimum, so padded by replication to 128x128, half on each side (34
    rows above and below, 29 columns left and right), and cropped back.
    Its flow is the network's on that hand-made input, frames in order."""
    from hfan.flow.raft_network import RAFT
    torch.manual_seed(0)
    model = RAFT().eval()
    path = tmp_path / 'raft-things.pth'
    torch.save(model.state_dict(), path)
    est = RAFTFlow(weights=str(path), device='cpu', num_flow_updates=1)
    assert est.layout == 'original'
    img1 = textured(60, 70)
    img2 = shifted(img1, 2, 1)
    flow = est(img1, img2)
    assert flow.shape == (60, 70, 2) and flow.dtype == np.float32
    rgb = torch.from_numpy(np.stack([img1, img2])[..., ::-1].copy())
    x = rgb.permute(0, 3, 1, 2).float() / 127.5 - 1
    x = torch.nn.functional.pad(x, (29, 29, 34, 34), mode='replicate')
    with torch.no_grad():
        ref = model(x[:1], x[1:], num_flow_updates=1)[-1][0]
    ref = ref[:, 34:94, 29:99].permute(1, 2, 0).numpy()
    np.testing.assert_allclose(flow, ref, rtol=1e-4, atol=1e-4)
    assert not np.allclose(est(img2, img1), ref, atol=1e-3)  # order matters


def test_raft_loads_torchvision_weights_and_pads(tmp_path):
    """torchvision's raft_large layout (skipped without torchvision, whose
    PyPI wheels do not import against the CPU torch here; `make test`
    lists the reason with -rs)."""
    pytest.importorskip(
        'torchvision.models.optical_flow',
        reason='torchvision (raft_large) is not installed here')
    from torchvision.models.optical_flow import raft_large
    torch.manual_seed(0)
    path = tmp_path / 'raft.pth'
    torch.save(raft_large(weights=None).state_dict(), path)
    est = RAFTFlow(weights=str(path), device='cpu', num_flow_updates=2)
    assert est.layout == 'torchvision'
    img = textured(60, 70)  # not multiples of 8: padded and cropped back
    flow = est(img, shifted(img, 1, 0))
    assert flow.shape == (60, 70, 2) and flow.dtype == np.float32
    assert np.isfinite(flow).all()
    torch.save({'not': torch.zeros(1)}, tmp_path / 'bad.pth')
    with pytest.raises(ValueError, match='raft_large'):
        RAFTFlow(weights=str(tmp_path / 'bad.pth'), device='cpu')
