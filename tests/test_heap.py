"""audiodiag.heap: threads share one heap after one_arena(), release() hands freed heap pages back, and both are
no-ops where the C library is not glibc. Each check runs in a fresh interpreter: the allocator's state is per
process, and the arena limit must be set before any thread allocates."""
from __future__ import annotations

import platform
import subprocess
import sys

import pytest

from audiodiag import heap

GLIBC = platform.system() == "Linux" and platform.libc_ver()[0] == "glibc"


def _run(code: str) -> str:
    return subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True).stdout


@pytest.mark.skipif(not GLIBC, reason="glibc's malloc only")
def test_threads_started_after_one_arena_allocate_from_the_main_heap():
    code = """
import ctypes, threading, sys
from audiodiag import heap
{setup}
def work():
    blocks = [bytearray(65536) for _ in range(200)]
threads = [threading.Thread(target=work) for _ in range(4)]
[t.start() for t in threads]; [t.join() for t in threads]
sys.stdout.flush()
ctypes.CDLL("libc.so.6").malloc_stats()  # one "Arena N:" block per heap, on stderr
"""
    def arenas(setup: str) -> int:
        out = subprocess.run([sys.executable, "-c", code.format(setup=setup)], check=True, capture_output=True,
                             text=True)
        return out.stderr.count("Arena ")

    assert arenas("assert heap.one_arena()") == 1
    assert arenas("") > 1  # without it the four threads spread over several heaps


@pytest.mark.skipif(not GLIBC, reason="glibc's malloc only")
def test_release_hands_back_the_freed_gaps_between_live_blocks():
    code = """
from audiodiag import heap
def rss_mb():
    return next(int(l.split()[1]) for l in open("/proc/self/status") if l.startswith("VmRSS")) / 1024
blocks, live = [], []
for _ in range(1000):  # 64 MB of heap blocks (each under the mmap threshold), each followed by one that stays
    blocks.append(bytearray(65536))
    live.append(bytearray(1024))
before = rss_mb()
del blocks
freed = rss_mb()
assert heap.release()
print(before - freed, freed - rss_mb())
"""
    kept_by_free, returned_by_release = map(float, _run(code).split())
    assert kept_by_free < 8 and returned_by_release > 48


def test_both_are_no_ops_without_glibc(monkeypatch):
    monkeypatch.setattr(heap, "_glibc", lambda: None)
    assert heap.one_arena() is False and heap.release() is False
