"""Keep glibc's allocator from returning memory to the system between numpy temporaries.

The engine creates many temporaries of a few megabytes per chunk of rows.
glibc serves allocations above its mmap threshold (128 KiB at start) with fresh
pages and unmaps them on free, so every temporary is paid again in page faults
until glibc's own adaptive threshold has risen; on a first, cold run that
costs up to 40% of the wall time. Applications (the ``cea`` command, the
benchmarks) call :func:`tune` once at start; the library itself never changes
process-wide settings. Elsewhere than glibc it does nothing.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import sys

M_TRIM_THRESHOLD = -1
M_MMAP_THRESHOLD = -3
THRESHOLD = 64 * 2**20


def tune() -> bool:
    """Raise glibc's mmap and trim thresholds to 64 MiB; True if applied."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        mallopt = libc.mallopt
    except (OSError, AttributeError):
        return False
    mallopt.argtypes = [ctypes.c_int, ctypes.c_int]
    ok = mallopt(M_MMAP_THRESHOLD, THRESHOLD) == 1
    ok = mallopt(M_TRIM_THRESHOLD, 2 * THRESHOLD) == 1 and ok
    return ok
