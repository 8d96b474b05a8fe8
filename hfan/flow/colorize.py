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
max-radius normalisation (:func:`flow_to_color` computes the same floats
op by op, in place and without mmcv's copies, and converts them to bytes
straight away: 19 ms instead of mmcv's 61 ms for a 480x854 flow,
bit-identical bytes; the tests compare with mmcv itself). Taken as is,
mmcv differs from RAFT's visualiser in three details, which
:func:`flow_to_color` handles:

1. Wheel quantisation: RAFT rounds each wheel entry to an integer level
   (rising ramps ``floor(255 * k / n)``, falling ramps
   ``255 - floor(255 * k / n)``), mmcv keeps the exact fractions ``k / n``.
   This moves colours by up to one level. We use mmcv's algorithm with the
   RAFT-quantised wheel (:data:`RAFT_COLOR_WHEEL`, built from mmcv's own
   wheel).
2. Normalisation: mmcv divides by the largest magnitude itself, so the
   largest vectors land on radius 1, where float rounding can put them just
   beyond it and into the ``0.75`` branch (a 25 % darker pixel). RAFT
   divides by ``max + 1e-5``. We divide by exactly RAFT's divisor (computed
   in float32, as RAFT does); to mmcv this is the same as appending one
   vector of magnitude ``max + 1e-5``, which is how the tests call it.
3. Invalid flow: mmcv paints NaN and components beyond 1e6 black and leaves
   them out of the maximum; RAFT's output is undefined there. We keep
   mmcv's behaviour.

With these, the result equals RAFT's ``flow_to_image`` for float32 flows
(up to one level on rare pixels, where mmcv computes ``1 - w`` in float32
and RAFT in float64). mmcv returns floats in [0, 1]; we convert them with
``floor(255 * x)`` as RAFT does. A zero flow gives white.
"""
from typing import Sequence

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


def _colour_code(flow: np.ndarray, channels: Sequence[int]) -> np.ndarray:
    """``floor(255 * mmcv.flow2rgb(...))`` with RAFT's divisor and wheel,
    the channels in the order ``channels`` (0 = R, 1 = G, 2 = B).

    Each value goes through mmcv's IEEE operations in mmcv's dtypes (the
    flow and ``1 - w`` in float32, the wheel terms and the saturation in
    float64), so the bytes are those of mmcv's floats; what is saved is
    mmcv's boolean-mask copies, its (N, 3) gathers, the ``0.75`` branch
    computed for every pixel and the float64 image (18.7 ms per 480x854
    DIS flow, against 26.3 ms for the earlier op-by-op restatement that
    returned mmcv's float image, and 61 ms for mmcv; docs/benchmarks.md).
    """
    height, width = flow.shape[:2]
    dx = flow[..., 0].reshape(-1)
    dy = flow[..., 1].reshape(-1)
    invalid = None
    if dx.size and not np.abs(flow).max() <= UNKNOWN_FLOW_THRESHOLD:
        # NaN or unknown components (rare): zero, out of the maximum, black
        invalid = (np.isnan(dx) | np.isnan(dy) |
                   (np.abs(dx) > UNKNOWN_FLOW_THRESHOLD) |
                   (np.abs(dy) > UNKNOWN_FLOW_THRESHOLD))
        dx = np.where(invalid, np.float32(0), dx)
        dy = np.where(invalid, np.float32(0), dy)
    rad = np.sqrt(np.square(dx) + np.square(dy))
    rad_max = rad.max() if rad.size else np.float32(0)
    divisor = np.float32(rad_max) + np.float32(RAFT_EPSILON)
    dx = dx / divisor
    dy = dy / divisor
    rad = np.sqrt(dx * dx + dy * dy)
    # the wheel position (angle + 1) / 2 * (K - 1), in float32 as in mmcv
    num_bins = RAFT_COLOR_WHEEL.shape[0]
    position = np.arctan2(-dy, -dx)
    position /= np.float32(np.pi)
    position += 1
    position /= 2
    position *= num_bins - 1
    bin_left = np.floor(position).astype(np.intp)
    weight = position - bin_left.astype(np.float32)
    one_minus_weight = 1 - weight
    bin_right = bin_left + 1
    bin_right[bin_right == num_bins] = 0
    rad64 = rad.astype(np.float64)
    # beyond the unit circle mmcv darkens to 0.75 of the colour: with
    # RAFT's divisor only float rounding can get there
    beyond = np.flatnonzero(rad > 1)
    out = np.empty((height * width, len(channels)), np.uint8)
    colour = np.empty(rad.shape, np.float64)
    term = np.empty(rad.shape, np.float64)
    for i, channel in enumerate(channels):
        wheel = RAFT_COLOR_WHEEL[:, channel]
        np.multiply(one_minus_weight, wheel.take(bin_left), out=colour)
        np.multiply(weight, wheel.take(bin_right), out=term)
        colour += term
        darkened = colour[beyond] * 0.75
        np.subtract(1, colour, out=term)  # 1 - rad * (1 - colour)
        term *= rad64
        np.subtract(1, term, out=term)
        term[beyond] = darkened
        term *= 255
        out[:, i] = term  # x >= 0: the cast truncates, i.e. floors
    if invalid is not None:
        out[invalid] = 0
    return out.reshape(height, width, len(channels))


def _as_flow(flow: np.ndarray) -> np.ndarray:
    flow = np.asarray(flow, dtype=np.float32)
    if flow.ndim != 3 or flow.shape[2] != 2:
        raise ValueError(f'expected a flow of shape (H, W, 2), got '
                         f'{flow.shape}')
    return flow


def flow_to_color(flow: np.ndarray) -> np.ndarray:
    """Colour-code a flow field like RAFT's ``flow_viz.flow_to_image``.

    Args:
        flow: ``(H, W, 2)`` array of ``(dx, dy)``; computed in float32.

    Returns:
        ``uint8`` RGB image ``(H, W, 3)``. The hue is the direction, the
        saturation the magnitude relative to the frame's largest one; zero
        flow is white; NaN / > 1e6 components are black.
    """
    return _colour_code(_as_flow(flow), (0, 1, 2))


def flow_to_bgr(flow: np.ndarray) -> np.ndarray:
    """:func:`flow_to_color` in BGR order, for ``cv2.imwrite``."""
    return _colour_code(_as_flow(flow), (2, 1, 0))
