"""hfan.utils.allocator: a freed feature map stays with the process for the
next forward instead of going back to the kernel (glibc's own statistics,
``mallinfo2``, in a fresh process each)."""
import subprocess
import sys

import pytest

from hfan.utils.allocator import glibc, keep_freed_memory_for_reuse

# A worker thread allocates a 16 MB block (the size of a stage-1 feature
# map), then frees it; glibc's statistics are printed while it is held and
# after it is freed: bytes in mmap'ed blocks, bytes free in the heap.
PROGRAM = """
import ctypes, sys, threading
import numpy as np
class MallInfo2(ctypes.Structure):
    _fields_ = [(name, ctypes.c_size_t) for name in (
        'arena', 'ordblks', 'smblks', 'hblks', 'hblkhd', 'usmblks',
        'fsmblks', 'uordblks', 'fordblks', 'keepcost')]
libc = ctypes.CDLL('libc.so.6')
libc.mallinfo2.restype = MallInfo2
if sys.argv[1] == 'tuned':
    from hfan.utils.allocator import keep_freed_memory_for_reuse
    assert keep_freed_memory_for_reuse()
stats = []
def forward():
    block = np.ones(2 * 1024 * 1024)  # 16 MB of float64
    stats.append(libc.mallinfo2().hblkhd)
    del block
    stats.append(libc.mallinfo2().fordblks)
worker = threading.Thread(target=forward)
worker.start()
worker.join()
print(*stats)
"""

MB = 1024 * 1024


def glibc_has_mallinfo2() -> bool:
    libc = glibc()
    return libc is not None and hasattr(libc, 'mallinfo2')


def malloc_stats(mode: str):
    out = subprocess.run([sys.executable, '-c', PROGRAM, mode],
                         capture_output=True, text=True, check=True)
    mmapped_while_held, free_after = map(int, out.stdout.split())
    return mmapped_while_held, free_after


@pytest.mark.skipif(not glibc_has_mallinfo2(),
                    reason='glibc >= 2.33 (mallopt, mallinfo2)')
def test_a_freed_block_stays_for_the_next_forward():
    # glibc's defaults: a block of 16 MB gets its own mmap and is
    # unmapped when freed, so the next forward faults its pages in again
    mmapped, free_after = malloc_stats('default')
    assert mmapped >= 16 * MB
    assert free_after < 16 * MB
    # tuned: it comes from the heap and stays there, free, when freed
    mmapped, free_after = malloc_stats('tuned')
    assert mmapped < 16 * MB
    assert free_after >= 16 * MB


def test_applied_once():
    first = keep_freed_memory_for_reuse()
    assert keep_freed_memory_for_reuse() is first
    if glibc_has_mallinfo2():
        assert first is True
