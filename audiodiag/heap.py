"""Memory a long run has freed, handed back to the operating system (glibc's malloc; elsewhere nothing happens).

glibc keeps what a process frees for reuse: free pages inside its heap, up to tens of MB at the heap's top (the
trim threshold rises as large arrays are freed) and each thread's own heap (an "arena"), which no other thread
reuses and `malloc_trim` does not shrink. The comparison's fits (on threads), its bootstrap and the audit's forest
each need memory in proportion to the clips, so a streamed run held more of it the more clips it had.
`one_arena()` at the start of `report --out-dir` makes threads allocate from the main heap, and `release()` after
each large stage of the decision returns the free pages. Measured with `report --out-dir` on the P7s synthetic
clips (benchmarks/bench_stream.py, 1-s clips, baseline only, peak RSS of the process; this and the audit's forest
grown on one thread): 385.9 MB at 2,500 clips and 506.1 MB at 10,000 before, 337.1 MB and 386.8 MB after.

>>> release() in (True, False)  # safe anywhere: a no-op where the C library is not glibc
True
"""
from __future__ import annotations

import ctypes
import ctypes.util
import platform
from functools import cache

M_ARENA_MAX = -8  # mallopt parameter (malloc.h): the most arenas (heaps) threads may spread over


@cache
def _glibc() -> ctypes.CDLL | None:
    if platform.system() != "Linux" or platform.libc_ver()[0] != "glibc":
        return None
    try:
        return ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
    except OSError:
        return None


def one_arena() -> bool:
    """Make threads allocate from the main heap (glibc's M_ARENA_MAX = 1), so memory one frees is reusable by all
    and `release()` can return it. Call it before any thread starts: glibc fixes the limit when the first thread
    allocates. The decision on 10,000 clips took as long with it as without (16-20 s either way on a busy 2-core
    machine). Returns whether mallopt accepted it (False: not glibc)."""
    libc = _glibc()
    return bool(libc and libc.mallopt(M_ARENA_MAX, 1))


def release() -> bool:
    """Return the free pages of every heap to the operating system (`malloc_trim(0)`); True if any were."""
    libc = _glibc()
    return bool(libc and libc.malloc_trim(0))
