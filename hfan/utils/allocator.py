"""glibc malloc settings for long runs of CPU forwards."""
import ctypes
import ctypes.util
import sys
import threading
from typing import Optional

# mallopt(3) parameters (malloc.h)
M_TRIM_THRESHOLD = -1
M_MMAP_THRESHOLD = -3
M_ARENA_MAX = -8

#: Blocks up to this size come from the heap instead of their own mmap:
#: glibc's upper limit on 64-bit systems (HEAP_MAX_SIZE / 2).
MMAP_THRESHOLD = 32 * 1024 * 1024
#: Free memory at the top of the heap kept for the next forward.
TRIM_THRESHOLD = 1024 * 1024 * 1024

_lock = threading.Lock()
_applied = []


def keep_freed_memory_for_reuse() -> bool:
    """Let glibc keep and reuse the memory of one forward for the next.

    A CPU forward of HFAN at 384x704 allocates feature maps of 1-26 MB and
    frees them again. With glibc's defaults, blocks above a (dynamic)
    threshold get their own ``mmap`` and every block is returned to the
    kernel when freed, so each forward faults its pages in again, and each
    worker thread has its own arena that grows and shrinks likewise. That
    cost is about a tenth of a frame's time on the user path (minor page
    faults and system time; docs/benchmarks.md). Here blocks up to 32 MB
    come from one shared heap (``M_MMAP_THRESHOLD``, ``M_ARENA_MAX=1``) and
    up to 1 GiB of freed memory stays with the process
    (``M_TRIM_THRESHOLD``): the process keeps its peak memory instead of
    handing it back between frames. Results are unchanged.

    Applied once per process; a no-op (``False``) where the C library is not
    glibc (macOS, Windows, musl).

    Returns:
        whether the settings are in effect.
    """
    with _lock:
        if _applied:
            return _applied[0]
        _applied.append(_apply())
        return _applied[0]


def glibc() -> Optional[ctypes.CDLL]:
    """The C library when it is glibc (Linux), else None."""
    if not sys.platform.startswith('linux'):
        return None
    try:
        libc = ctypes.CDLL(ctypes.util.find_library('c') or 'libc.so.6')
    except OSError:
        return None
    # musl has neither this function nor mallopt's knobs
    return libc if hasattr(libc, 'gnu_get_libc_version') else None


def _apply() -> bool:
    libc = glibc()
    if libc is None:
        return False
    mallopt = libc.mallopt
    mallopt.argtypes = [ctypes.c_int, ctypes.c_int]
    mallopt.restype = ctypes.c_int
    return all(
        mallopt(param, value) == 1
        for param, value in ((M_MMAP_THRESHOLD, MMAP_THRESHOLD),
                             (M_TRIM_THRESHOLD, TRIM_THRESHOLD),
                             (M_ARENA_MAX, 1)))
