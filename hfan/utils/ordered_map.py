"""Apply a function to a stream of items in worker threads, in order."""
import collections
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Callable, Deque, Iterable, Iterator, TypeVar

T = TypeVar('T')
R = TypeVar('R')


def ordered_map(fn: Callable[[T], R],
                items: Iterable[T],
                workers: int,
                name: str = 'hfan-worker') -> Iterator[R]:
    """Yield ``fn(item)`` for each item of ``items``, in order, computed by
    ``workers`` threads.

    Used to segment two frames at once on a CPU, each forward with half of
    the cores: one forward's small operators (the decoder's 1x1
    convolutions, norms and activations) leave a second core idle, and two
    forwards side by side fill it (docs/benchmarks.md). PyTorch operators
    release the GIL, so threads run them in parallel.

    At most ``workers`` items are in flight: ``items`` is read one item
    ahead of the slowest worker, never to its end, so a generator of frames
    is consumed as a stream. An exception of ``fn`` is raised here at its
    item's position, after the results before it; an exception of
    ``items`` likewise. Closing the returned generator early (``break``, an
    error downstream) cancels what has not started and waits for the
    running calls, so no thread is left behind.

    Args:
        fn: the function; it must be safe to call from several threads.
        items: any iterable; it is consumed by the calling thread.
        workers: threads, at least 1. With 1, ``fn`` runs in the calling
            thread, item by item.
        name: the threads' name prefix (seen in debuggers and ``py-spy``).
    """
    if workers < 1:
        raise ValueError(f'workers must be at least 1, got {workers}')
    if workers == 1:
        for item in items:
            yield fn(item)
        return
    pool = ThreadPoolExecutor(workers, thread_name_prefix=name)
    pending: Deque[Future] = collections.deque()
    stream = iter(items)
    try:
        while True:
            try:
                item = next(stream)
            except StopIteration:
                break
            except Exception:
                # the items before the one that failed come out first
                while pending:
                    yield pending.popleft().result()
                raise
            pending.append(pool.submit(fn, item))
            if len(pending) >= workers:
                yield pending.popleft().result()
        while pending:
            yield pending.popleft().result()
    finally:
        for future in pending:
            future.cancel()
        pool.shutdown(wait=True)
