"""Per-frame flows of a video, streamed: the rule the published data follows.

Frame ``t`` gets the flow ``t -> t+1``; the last frame, which has no next
frame, gets the backward flow ``t -> t-1``; a one-frame video gets zero flow.

:func:`iter_frames_with_flow` is the project's one frame look-ahead: it
reads one frame ahead, keeps at most three frames decoded, and hands each
frame out with its flow, so callers (the segmenter, the app, the
visualisation tools) hold no frame buffers of their own.
"""
from typing import (Any, Callable, Iterable, Iterator, List, Optional,
                    Tuple)

import numpy as np

from .base import FlowEstimator

_END = object()


class _Frame:
    """A frame item, decoded only when a flow needs it."""
    __slots__ = ('item', 'image')

    def __init__(self, item):
        self.item = item
        self.image = None

    def decode(self, load: Callable[[Any], np.ndarray]) -> np.ndarray:
        if self.image is None:
            self.image = load(self.item)
        return self.image


def iter_frames_with_flow(
    frames: Iterable[Any],
    estimator: Callable[[np.ndarray, np.ndarray], np.ndarray],
    *,
    load: Optional[Callable[[Any], np.ndarray]] = None,
    skip: Optional[Callable[[int], bool]] = None
) -> Iterator[Tuple[int, Optional[np.ndarray], Optional[np.ndarray]]]:
    """Yield ``(t, frame, flow)`` for every frame of a video, in order.

    Args:
        frames: the frames in order, any iterable (a generator reading them
            from disk works). Without ``load`` each item is a BGR uint8
            image; with ``load`` an item is whatever ``load`` decodes (a
            path, JPEG bytes...).
        estimator: a :class:`~hfan.flow.base.FlowEstimator` or any callable
            ``(img1, img2) -> flow (H, W, 2)`` from ``img1`` to ``img2``.
        load: decodes an item into an image; it is called only for frames
            that are handed out or that a flow needs, at most once per
            frame.
        skip: ``skip(t)`` true means frame ``t`` is not wanted: ``(t, None,
            None)`` is yielded in its place and nothing is decoded or
            computed for it (used to resume, or to keep only annotated
            frames).

    Yields:
        ``t``, the decoded frame ``t`` and its flow: ``t -> t+1``, for the
        last frame ``t -> t-1``, for a single-frame video zero (``float32``,
        ``(H, W, 2)``).

    The video is read one item ahead and only the current frame and its
    neighbours are kept, so any length streams in constant memory.
    """
    if load is None:
        load = _identity
    it = iter(frames)
    first = next(it, _END)
    if first is _END:
        return

    prev, cur, t = None, _Frame(first), 0
    while True:
        item = next(it, _END)
        nxt = None if item is _END else _Frame(item)
        if nxt is not None:
            prev = None  # frame t-1 is needed only if t is the last frame
        if skip is not None and skip(t):
            yield t, None, None
        else:
            if nxt is not None:
                flow = estimator(cur.decode(load), nxt.decode(load))
            elif prev is not None:
                flow = estimator(cur.decode(load), prev.decode(load))
            else:
                flow = np.zeros(cur.decode(load).shape[:2] + (2, ),
                                np.float32)
            yield t, cur.decode(load), flow
        if nxt is None:
            return
        prev, cur, t = cur, nxt, t + 1


def iter_video_flows(frames: Iterable[Any],
                     estimator: Callable[[np.ndarray, np.ndarray],
                                         np.ndarray],
                     *,
                     load: Optional[Callable[[Any], np.ndarray]] = None,
                     skip: Optional[Callable[[int], bool]] = None
                     ) -> Iterator[Optional[np.ndarray]]:
    """Yield one flow per frame of a video, in order: the flows of
    :func:`iter_frames_with_flow` (same arguments), ``None`` for skipped
    frames."""
    for _, _, flow in iter_frames_with_flow(frames, estimator, load=load,
                                            skip=skip):
        yield flow


def compute_video_flows(frames: Iterable[np.ndarray],
                        estimator: FlowEstimator) -> List[np.ndarray]:
    """All flows of a video as a list (see :func:`iter_video_flows`)."""
    return list(iter_video_flows(frames, estimator))


def _identity(x):
    return x
