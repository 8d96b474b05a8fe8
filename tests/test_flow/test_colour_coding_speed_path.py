"""hfan.flow.colorize.mmcv_flow2rgb restates mmcv's flow2rgb for speed:
its floats must be mmcv's, bit for bit (mmcv itself is the reference)."""
import numpy as np
import pytest
from mmcv.visualization import flow2rgb

from hfan.flow.colorize import RAFT_COLOR_WHEEL, flow_to_color, mmcv_flow2rgb


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
    return {
        'smooth': smooth,
        'invalid': with_invalid,
        'ring': ring.astype(np.float32),
        'axes': axis,
        'zero': np.zeros((8, 8, 2), np.float32),
        'large': smooth * 1e4,
    }


@pytest.mark.parametrize('name,flow', list(flows().items()))
def test_same_floats_as_mmcv(name, flow):
    expected = flow2rgb(flow, color_wheel=RAFT_COLOR_WHEEL)
    got = mmcv_flow2rgb(flow, RAFT_COLOR_WHEEL)
    assert got.dtype == expected.dtype == np.float64
    np.testing.assert_array_equal(got, expected)


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
