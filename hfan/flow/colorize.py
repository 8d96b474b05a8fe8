"""Flow -> RGB colour coding, as HFAN's flow inputs are made.

The published HFAN inputs are RAFT flows drawn with RAFT's visualiser
(``core/utils/flow_viz.py``, ``flow_to_image``): the Middlebury colour wheel
(bins RY=15, YG=6, GC=4, CB=11, BM=13, MR=6; 55 colours), the flow divided by
the frame's largest magnitude plus 1e-5, hue from ``atan2(-dy, -dx)`` with
``fk = (a + 1) / 2 * 54`` interpolated between wheel entries ``floor(fk)``
and the next one, saturation ``1 - r * (1 - colour)`` for ``r <= 1`` (and
``0.75 * colour`` beyond), then ``floor(255 * x)``.

We draw with mmcv's :func:`mmcv.visualization.flow2rgb` algorithm, since
mmcv is our field's library and it implements that same Middlebury wheel and
max-radius normalisation (:func:`mmcv_flow2rgb` restates it op by op in
3x less time, with bit-identical floats; the tests compare the two). Taken
as is, it differs from RAFT's visualiser in three
details, which :func:`flow_to_color` handles:

1. Wheel quantisation: RAFT rounds each wheel entry to an integer level
   (rising ramps ``floor(255 * k / n)``, falling ramps
   ``255 - floor(255 * k / n)``), mmcv keeps the exact fractions ``k / n``.
   This moves colours by up to one level. We pass mmcv the RAFT-quantised
   wheel (:data:`RAFT_COLOR_WHEEL`, built from mmcv's own wheel).
2. Normalisation: mmcv divides by the largest magnitude itself, so the
   largest vectors land on radius 1, where float rounding can put them just
   beyond it and into the ``0.75`` branch (a 25 % darker pixel). RAFT
   divides by ``max + 1e-5``. We append one vector of magnitude
   ``max + 1e-5`` (computed in float32, as RAFT does) before calling mmcv
   and drop it afterwards, so mmcv normalises by exactly RAFT's divisor.
3. Invalid flow: mmcv paints NaN and components beyond 1e6 black and leaves
   them out of the maximum; RAFT's output is undefined there. We keep
   mmcv's behaviour.

With these, the result equals RAFT's ``flow_to_image`` for float32 flows
(up to one level on rare pixels, where mmcv computes ``1 - w`` in float32
and RAFT in float64). mmcv returns floats in [0, 1]; we convert them with
``floor(255 * x)`` as RAFT does. A zero flow gives white.
"""
import cv2
import numpy as np
from mmcv.visualization import make_color_wheel

#: RAFT's visualiser divides by the largest magnitude plus this
RAFT_EPSILON = 1e-5
#: mmcv's default threshold beyond which a flow component counts as unknown
UNKNOWN_FLOW_THRESHOLD = 1e6


def _raft_color_wheel() -> np.ndarray:
    """mmcv's Middlebury wheel (55 x 3, RGB) with RAFT's integer levels."""
    wheel = make_color_wheel().astype(np.float64) * 255
    # In each of the six ramps one channel rises or falls; a falling entry is
    # larger than the entry after it (the ramp's next value, or 0 where the
    # next ramp starts). RAFT stores rising values as floor(255 k/n) and
    # falling ones as 255 - floor(255 k/n) = ceil(255 (1 - k/n)). The 1e-3
    # absorbs float32 error in mmcv's fractions (the exact values are
    # multiples of 1/n with n <= 15, never within 1e-3 of an integer unless
    # they are one).
    falling = np.roll(wheel, -1, axis=0) < wheel
    levels = np.where(falling, np.ceil(wheel - 1e-3), np.floor(wheel + 1e-3))
    return levels / 255.0


#: the colour wheel RAFT's visualiser uses, as fractions of 255 (RGB)
RAFT_COLOR_WHEEL = _raft_color_wheel()


def mmcv_flow2rgb(flow: np.ndarray, color_wheel: np.ndarray,
                  unknown_thr: float = UNKNOWN_FLOW_THRESHOLD) -> np.ndarray:
    """:func:`mmcv.visualization.flow2rgb`, the same float operations in the
    same dtypes, without its boolean-mask copies and (N, 3) gathers.

    At 480x854 it takes ~11 ms instead of ~38 ms; with two flows a frame
    that is a sixth of the user path's time on a 2-core CPU. Each value
    is computed by the same IEEE operations as mmcv's (float32 flow,
    ``1 - w`` in float32, the wheel terms in float64), so the result is
    bit-identical (``tests/test_flow``, against mmcv itself).

    Args:
        flow: (H, W, 2) float32.
        color_wheel: (K, 3) float64 wheel.
        unknown_thr: components beyond it (and NaN) are black.

    Returns:
        (H, W, 3) float64 RGB in [0, 1].
    """
    shape = flow.shape[:2]
    dx = flow[..., 0].reshape(-1).copy()
    dy = flow[..., 1].reshape(-1).copy()
    ignore = (np.isnan(dx) | np.isnan(dy) | (np.abs(dx) > unknown_thr) |
              (np.abs(dy) > unknown_thr))
    any_ignored = bool(ignore.any())
    if any_ignored:
        dx[ignore] = 0
        dy[ignore] = 0
    rad = np.sqrt(dx**2 + dy**2)
    if np.any(rad > np.finfo(float).eps):
        max_rad = np.max(rad)
        dx /= max_rad
        dy /= max_rad
    rad = np.sqrt(dx**2 + dy**2)
    angle = np.arctan2(-dy, -dx) / np.pi
    num_bins = color_wheel.shape[0]
    bin_real = (angle + 1) / 2 * (num_bins - 1)
    bin_left = np.floor(bin_real).astype(int)
    bin_right = bin_left + 1
    bin_right[bin_right == num_bins] = 0  # mmcv: (bin_left + 1) % num_bins
    w = bin_real - bin_left.astype(np.float32)
    one_minus_w = 1 - w
    small = rad <= 1
    rad64 = rad.astype(np.float64)  # what numpy promotes rad to in mmcv
    rgb = np.empty((dx.size, 3), np.float64)
    for c in range(3):
        wheel = np.ascontiguousarray(color_wheel[:, c], dtype=np.float64)
        colour = one_minus_w * wheel.take(bin_left) + w * wheel.take(
            bin_right)
        rgb[:, c] = np.where(small, 1 - rad64 * (1 - colour), colour * 0.75)
    if any_ignored:
        rgb[ignore] = 0
    return rgb.reshape(*shape, 3)


def flow_to_color(flow: np.ndarray) -> np.ndarray:
    """Colour-code a flow field like RAFT's ``flow_viz.flow_to_image``.

    Args:
        flow: ``(H, W, 2)`` array of ``(dx, dy)``; computed in float32.

    Returns:
        ``uint8`` RGB image ``(H, W, 3)``. The hue is the direction, the
        saturation the magnitude relative to the frame's largest one; zero
        flow is white; NaN / > 1e6 components are black.
    """
    flow = np.asarray(flow, dtype=np.float32)
    if flow.ndim != 3 or flow.shape[2] != 2:
        raise ValueError(f'expected a flow of shape (H, W, 2), got '
                         f'{flow.shape}')
    h, w = flow.shape[:2]
    flat = flow.reshape(h * w, 2)
    if flat.size and not np.abs(flat).max() <= UNKNOWN_FLOW_THRESHOLD:
        # NaN or unknown values (rare): leave them out of the maximum
        flat_valid = flat[~(np.isnan(flat).any(axis=1) | (
            np.abs(flat) > UNKNOWN_FLOW_THRESHOLD).any(axis=1))]
    else:
        flat_valid = flat
    rad = np.sqrt(np.square(flat_valid[:, 0]) + np.square(flat_valid[:, 1]))
    rad_max = rad.max() if rad.size else np.float32(0)
    divisor = np.float32(rad_max) + np.float32(RAFT_EPSILON)
    # one extra vector of magnitude `divisor` makes mmcv divide by it
    extended = np.concatenate(
        [flat, np.array([[divisor, 0]], np.float32)])[None]
    rgb = mmcv_flow2rgb(
        extended,
        color_wheel=RAFT_COLOR_WHEEL,
        unknown_thr=UNKNOWN_FLOW_THRESHOLD)[0, :h * w]
    # floor(255 x): x >= 0, so truncation is the floor
    return (255 * rgb).astype(np.uint8).reshape(h, w, 3)


def flow_to_bgr(flow: np.ndarray) -> np.ndarray:
    """:func:`flow_to_color` in BGR order, for ``cv2.imwrite``."""
    return cv2.cvtColor(flow_to_color(flow), cv2.COLOR_RGB2BGR)
