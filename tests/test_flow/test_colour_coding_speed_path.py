"""hfan.flow.colorize computes mmcv's flow2rgb floats in place, for speed:
its bytes must be floor(255 x) of mmcv's floats, bit for bit (mmcv itself
is the reference), with RAFT's wheel and divisor."""
import numpy as np
import pytest
from mmcv.visualization import flow2rgb

from hfan.flow.colorize import RAFT_COLOR_WHEEL, flow_to_bgr, flow_to_color


def flows():
    rng = np.random.default_rng(0)
    smooth = rng.normal(0, 3, (40, 60, 2)).astype(np.float32)
    with_invalid = smooth.copy()
    with_invalid[0, :5] = np.nan
    with_invalid[1, :5, 0] = 2e6  # beyond mmcv's unknown threshold
    # every direction, including the wheel's wrap-around at angle 1
    angle = np.linspace(-np.pi, np.pi, 2401, dtype=np.float32)
    ring = np.stack([np.cos(angle), np.sin(angle)], -1)[None] * 5
    axis = np.array([[[1, 0], [-1, 0], [0, 1], [0, -1], [0, 0]]],
                    np.float32)
    # smooth, like real flow, over a larger field
    y, x = np.mgrid[0:120, 0:200].astype(np.float32)
    vortex = np.stack([np.sin(y / 9) * 4 - 1, np.cos(x / 13) * 3], -1)
    # ~1e5 pixels: + 1e-5 is lost in float32, and this largest vector
    # lands just beyond the unit circle (mmcv's 0.75 branch)
    beyond = np.array([[[77532.3828125, 19363.28515625], [1e4, -2e4],
                        [0, 0]]], np.float32)
    return {
        'smooth': smooth,
        'invalid': with_invalid,
        'ring': ring.astype(np.float32),
        'axes': axis,
        'zero': np.zeros((8, 8, 2), np.float32),
        'large': smooth * 1e4,
        'vortex': vortex,
        'beyond the unit circle': beyond,
        'all invalid': np.full((3, 4, 2), np.nan, np.float32),
    }


def mmcv_reference(flow: np.ndarray) -> np.ndarray:
    """floor(255 * mmcv.flow2rgb) with RAFT's wheel, normalised by RAFT's
    divisor (the largest valid magnitude + 1e-5, in float32): one extra
    vector of that magnitude makes mmcv divide by it."""
    flat = flow.reshape(-1, 2)
    valid = ~(np.isnan(flat).any(1) | (np.abs(flat) > 1e6).any(1))
    rad = np.sqrt(np.square(flat[valid, 0]) + np.square(flat[valid, 1]))
    divisor = np.float32(rad.max() if rad.size else 0) + np.float32(1e-5)
    extended = np.concatenate([flat, [[divisor, 0]]]).astype(np.float32)
    rgb = flow2rgb(extended[None], color_wheel=RAFT_COLOR_WHEEL)[0, :-1]
    return (255 * rgb).astype(np.uint8).reshape(flow.shape[:2] + (3, ))


@pytest.mark.parametrize('name,flow', list(flows().items()))
def test_same_bytes_as_mmcv(name, flow):
    expected = mmcv_reference(flow)
    rgb = flow_to_color(flow)
    assert rgb.dtype == np.uint8
    np.testing.assert_array_equal(rgb, expected)
    np.testing.assert_array_equal(flow_to_bgr(flow), expected[..., ::-1])
    if name == 'all invalid':
        assert (rgb == 0).all()
    if name == 'beyond the unit circle':  # 0.75 of a saturated colour
        assert rgb[0, 0].max() == int(255 * 0.75)


def test_input_left_unchanged():
    flow = flows()['invalid']
    before = flow.copy()
    flow_to_bgr(flow)
    np.testing.assert_array_equal(flow, before)


def test_flow_to_color_of_known_vectors():
    """Hand-computed: zero flow is white. The largest vector, pointing
    left, has atan2(-dy, -dx) = 0, so fk = (0 + 1) / 2 * 54 = 27: wheel
    entry 27 is the 3rd of the cyan-to-blue ramp (CB = 11 entries from
    25), RAFT's (0, 255 - floor(255 * 2 / 11), 255) = (0, 209, 255), at
    radius 4 / (4 + 1e-5), i.e. fully saturated up to rounding."""
    flow = np.zeros((1, 2, 2), np.float32)
    flow[0, 1] = (-4, 0)
    rgb = flow_to_color(flow)
    assert rgb[0, 0].tolist() == [255, 255, 255]
    np.testing.assert_array_equal(rgb[0, 1], [0, 209, 255])
