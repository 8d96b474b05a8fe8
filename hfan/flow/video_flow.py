"""Per-frame flows of a video, streamed: the rule the published data follows.

Frame ``t`` gets the flow ``t -> t+1``; the last frame, which has no next
frame, gets the backward flow ``t -> t-1``; a one-frame video gets zero flow.
"""
from typing import Any, Callable, Iterable, Iterator, List, Optional

import numpy as np

from .base import FlowEstimator

_END = object()


class _Frame:
    """A frame item, decoded only when a flow needs it."""
    __slots__ = ('item', 'image')

    def __init__(self, item):
        self.item = item
        self.image = None


def iter_video_flows(frames: Iterable[Any],
                     estimator: Callable[[np.ndarray, np.ndarray],
                                         np.ndarray],
                     *,
                     load: Optional[Callable[[Any], np.ndarray]] = None,
                     skip: Optional[Callable[[int], bool]] = None
                     ) -> Iterator[Optional[np.ndarray]]:
    """Yield one flow per frame of a video, in order.

    Args:
        frames: the frames in order, any iterable (a generator reading them
            from disk works). Without ``load`` each item is a BGR uint8
            image; with ``load`` an item is whatever ``load`` decodes (a
            path, JPEG bytes...).
        estimator: a :class:`~hfan.flow.base.FlowEstimator` or any callable
            ``(img1, img2) -> flow (H, W, 2)`` from ``img1`` to ``img2``.
        load: decodes an item into an image; it is called only for frames a
            flow needs, at most once per frame.
        skip: ``skip(t)`` true means the flow of frame ``t`` is not wanted:
            ``None`` is yielded in its place and nothing is computed for it
            (used to resume, or to keep only annotated frames).

    Yields:
        For frame ``t`` the flow ``t -> t+1``, for the last frame the flow
        ``t -> t-1``, for a single-frame video a zero flow (``float32``,
        ``(H, W, 2)``); ``None`` for skipped frames.

    The video is read one item ahead and only two decoded frames are kept
    (the current one and its neighbour), so any length streams in constant
    memory.
    """
    if load is None:
        load = _identity
    it = iter(frames)
    first = next(it, _END)
    if first is _END:
        return

    def image(frame: _Frame) -> np.ndarray:
        if frame.image is None:
            frame.image = load(frame.item)
        return frame.image

    prev, cur, t = None, _Frame(first), 0
    while True:
        item = next(it, _END)
        nxt = None if item is _END else _Frame(item)
        if nxt is not None:
            prev = None  # frame t-1 is needed only if t is the last frame
        if skip is not None and skip(t):
            yield None
        elif nxt is not None:
            yield estimator(image(cur), image(nxt))
        elif prev is not None:
            yield estimator(image(cur), image(prev))
        else:
            yield np.zeros(image(cur).shape[:2] + (2, ), np.float32)
        if nxt is None:
            return
        prev, cur, t = cur, nxt, t + 1


def compute_video_flows(frames: Iterable[np.ndarray],
                        estimator: FlowEstimator) -> List[np.ndarray]:
    """All flows of a video as a list (see :func:`iter_video_flows`)."""
    return list(iter_video_flows(frames, estimator))


def _identity(x):
    return x
