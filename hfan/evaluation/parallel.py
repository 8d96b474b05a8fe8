"""Running a per-sequence function over many sequences in a process pool."""
import multiprocessing as mp
import os
from concurrent.futures import FIRST_EXCEPTION, ProcessPoolExecutor, wait
from contextlib import contextmanager
from typing import Any, Callable, Dict, Optional, Sequence, Tuple


def default_workers() -> int:
    """``min(4, number of CPUs)``: beyond 4 processes PNG decoding from one
    disk stops scaling on the machines we measured."""
    return max(1, min(4, os.cpu_count() or 1))


def _init_worker() -> None:
    # One OpenCV thread per process: the pool already uses every core, and
    # OpenCV's own threads would only fight over them.
    import cv2
    cv2.setNumThreads(1)


@contextmanager
def _no_opencv_threads():
    """Stop OpenCV's thread pool in this process while workers are forked.

    A child forked while one of OpenCV's native pool threads holds its lock
    waits for that lock forever (seen in long pytest runs); with one thread
    the pool has no threads to hold it. mmengine does the same before its
    data loaders fork (``env_cfg.mp_cfg.opencv_num_threads``).
    """
    import cv2
    threads = cv2.getNumThreads()
    cv2.setNumThreads(1)
    try:
        yield
    finally:
        cv2.setNumThreads(threads)


def map_sequences(fn: Callable[[Any], Any],
                  items: Sequence[Tuple[str, Any]],
                  workers: Optional[int] = None,
                  sizes: Optional[Sequence[int]] = None,
                  progress: bool = False,
                  desc: str = 'evaluating') -> Dict[str, Any]:
    """Compute ``{name: fn(arg)}`` for ``items = [(name, arg), ...]``.

    Args:
        fn: a module-level (picklable) function of one argument.
        workers: number of processes (None: :func:`default_workers`); 1 runs
            everything in this process.
        sizes: work per item (e.g. frames), for the progress bar and for
            submitting the largest items first (better load balance).
        progress: show a tqdm progress bar (on stderr) counting ``sizes``.

    Returns:
        results keyed by name, in the order of ``items``.

    The first exception raised by ``fn`` is re-raised here (same type and
    message) and the remaining work is cancelled.
    """
    from tqdm import tqdm

    workers = default_workers() if workers is None else int(workers)
    if workers < 1:
        raise ValueError(f'workers must be >= 1, got {workers}')
    sizes = list(sizes) if sizes is not None else [1] * len(items)
    results: Dict[str, Any] = {}
    bar = tqdm(total=sum(sizes), unit='frame', desc=desc, disable=not progress,
               dynamic_ncols=True, leave=False)
    try:
        if workers == 1 or len(items) <= 1:
            for (name, arg), size in zip(items, sizes):
                results[name] = fn(arg)
                bar.update(size)
        else:
            # fork: workers inherit the imported modules instead of
            # re-importing the whole package (torch, mmseg) as spawn would.
            ctx = (mp.get_context('fork')
                   if 'fork' in mp.get_all_start_methods() else None)
            order = sorted(range(len(items)), key=lambda i: -sizes[i])
            with _no_opencv_threads(), ProcessPoolExecutor(
                    max_workers=min(workers, len(items)),
                    mp_context=ctx,
                    initializer=_init_worker) as pool:
                futures = {pool.submit(fn, items[i][1]): i for i in order}
                pending = set(futures)
                while pending:
                    done, pending = wait(pending, return_when=FIRST_EXCEPTION)
                    for fut in done:
                        i = futures[fut]
                        if fut.exception() is not None:
                            for other in pending:
                                other.cancel()
                            raise fut.exception()
                        results[items[i][0]] = fut.result()
                        bar.update(sizes[i])
    finally:
        bar.close()
    return {name: results[name] for name, _ in items}
