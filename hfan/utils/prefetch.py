"""Run an iterator ahead in a background thread."""
import queue
import threading
from typing import Iterable, Iterator, TypeVar

T = TypeVar('T')

_END = object()


class _Raised:
    """An exception of the producer, carried to the consumer."""

    def __init__(self, error: BaseException):
        self.error = error


def prefetch(items: Iterable[T], depth: int = 2,
             name: str = 'hfan-prefetch') -> Iterator[T]:
    """Yield the items of ``items``, produced by a background thread up to
    ``depth`` items ahead.

    Used so that decoding, optical flow and colour coding (OpenCV and numpy,
    which release the GIL) run while the model computes the previous frame.
    The order is kept. An exception raised by ``items`` is raised here, at
    the position where it happened, with its own message (e.g. the frame
    that could not be read). Closing the returned generator early (a
    ``break``, an error downstream) stops the thread: it produces at most
    ``depth + 1`` items more and never blocks.

    Args:
        items: any iterable; it is consumed only by the background thread.
        depth: how many items may wait, at least 1.
        name: the thread's name (seen in debuggers and ``py-spy``).
    """
    if depth < 1:
        raise ValueError(f'prefetch depth must be at least 1, got {depth}')
    ready: 'queue.Queue' = queue.Queue(maxsize=depth)
    stop = threading.Event()

    def offer(item) -> bool:
        while not stop.is_set():
            try:
                ready.put(item, timeout=0.05)
                return True
            except queue.Full:
                continue
        return False

    def produce() -> None:
        try:
            for item in items:
                if not offer(item):
                    return
        except BaseException as error:  # re-raised by the consumer
            offer(_Raised(error))
            return
        offer(_END)

    thread = threading.Thread(target=produce, name=name, daemon=True)
    thread.start()
    try:
        while True:
            item = ready.get()
            if item is _END:
                return
            if isinstance(item, _Raised):
                raise item.error
            yield item
    finally:
        stop.set()
        thread.join()
