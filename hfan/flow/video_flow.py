"""Per-frame flows of a video, streamed: the rule the published data follows.

Frame ``t`` gets the flow ``t -> t+1``; the last frame, which has no next
frame, gets the backward flow ``t -> t-1``; a one-frame video gets zero flow
and a warning.

With both directions (:func:`iter_frames_with_flows`, ``directions='both'``)
a frame gets every estimate of its forward motion the video holds: the flow
``t -> t+1`` and the reversed backward flow ``-(t -> t-1)``; the first and
last frames have one of the two, a one-frame video zero flow. Two estimates
of one motion, each from its own frame pair, err in different places, so a
model that is run on both and averaged sees less of either's noise
(``docs/demo_model.md``, "Both flow directions at test time").

:func:`iter_frames_with_forward_flow` is the project's one frame look-ahead: it
reads one frame ahead, keeps at most three frames decoded, and hands each
frame out with its flow, so callers (the segmenter, the app, the
visualisation tools) hold no frame buffers of their own.
"""
import warnings
from typing import Any, Callable, Iterable, Iterator, List, Optional, Tuple

import numpy as np

_END = object()

#: ``directions`` values: the published rule, or both estimates of the motion
FLOW_DIRECTIONS = ('forward', 'both')


def check_flow_directions(value: str, what: str = 'flow directions') -> str:
    """``value`` if it is one of :data:`FLOW_DIRECTIONS`, else a ValueError
    naming ``what`` (the option or config key) and the accepted values."""
    if value not in FLOW_DIRECTIONS:
        raise ValueError(f'{what} is {value!r}; accepted: '
                         f'{", ".join(FLOW_DIRECTIONS)}')
    return value


def configured_flow_directions(cfg: Any,
                               override: Optional[str] = None) -> str:
    """The flow directions a test uses: ``override`` (an option such as
    ``--flow-directions``), else the config's ``test_flow_directions``,
    else ``'forward'``, the published rule; checked."""
    if override:
        return check_flow_directions(override)
    return check_flow_directions(
        cfg.get('test_flow_directions', 'forward'),
        "the config's test_flow_directions")


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


def iter_frames_with_forward_flow(
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
    for t, frame, flows in iter_frames_with_flows(
            frames, estimator, 'forward', load=load, skip=skip):
        yield t, frame, None if flows is None else flows[0]


def iter_frames_with_flows(
    frames: Iterable[Any],
    estimator: Callable[[np.ndarray, np.ndarray], np.ndarray],
    directions: str = 'forward',
    *,
    load: Optional[Callable[[Any], np.ndarray]] = None,
    skip: Optional[Callable[[int], bool]] = None
) -> Iterator[Tuple[int, Optional[np.ndarray],
                    Optional[List[np.ndarray]]]]:
    """Yield ``(t, frame, flows)`` for every frame of a video, in order.

    Args:
        frames, estimator, load, skip: as
            :func:`iter_frames_with_forward_flow`.
        directions: ``'forward'``: one flow a frame, the published rule
            (``t -> t+1``, the last frame ``t -> t-1``). ``'both'``: the
            flow ``t -> t+1`` where frame ``t+1`` exists, then the reversed
            backward flow ``-(t -> t-1)`` where frame ``t-1`` exists (the
            first frame has only the former, the last only the latter).

    Yields:
        ``t``, the decoded frame ``t`` and the list of its flows (``float32``
        ``(H, W, 2)``; one zero flow for a single-frame video); ``(t, None,
        None)`` for a skipped frame.

    With ``'both'`` each frame costs two flow estimates; the previous frame
    stays decoded, so memory stays constant (three frames at most).
    """
    both = check_flow_directions(directions) == 'both'
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
        if nxt is not None and not both:
            prev = None  # frame t-1 is needed only if t is the last frame
        if skip is not None and skip(t):
            yield t, None, None
        else:
            image = cur.decode(load)
            flows = []
            if nxt is not None:
                flows.append(estimator(image, nxt.decode(load)))
            if prev is not None and (both or nxt is None):
                backward = estimator(image, prev.decode(load))
                # both: reversed, an estimate of the forward motion; the
                # published rule gives the last frame its backward flow as is
                flows.append(-backward if both else backward)
            if not flows:
                # HFAN segments what moves: say so rather than hand out an
                # empty mask without a word (infer.py refuses such input)
                warnings.warn(
                    'a video of one frame: it has no motion, its flow is '
                    'zero and the moving object cannot be segmented from '
                    'it (the mask is likely empty)', stacklevel=2)
                flows.append(np.zeros(image.shape[:2] + (2, ), np.float32))
            yield t, image, flows
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
    :func:`iter_frames_with_forward_flow` (same arguments), ``None`` for
    skipped frames."""
    for _, _, flow in iter_frames_with_forward_flow(
            frames, estimator, load=load, skip=skip):
        yield flow


def _identity(x):
    return x
