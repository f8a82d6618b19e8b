"""Sizes asked for on the command line or in a call, checked against memory before any
large allocation: ``--draws 10**12`` or ``gsa --n 2**30`` is a clear message, not a
MemoryError after minutes of swapping."""

from __future__ import annotations

import os

__all__ = ["ROW_BYTES", "available_bytes", "check_rows"]

_GIB = 2**30
#: Bytes per number an analysis keeps per row of its design: a float64 in about four
#: copies (design, table, engine results, summaries). An estimate for refusing sizes that
#: cannot fit, not an accounting.
ROW_BYTES = 8 * 4


def available_bytes() -> int | None:
    """Memory this process could still use (bytes): MemAvailable of /proc/meminfo, else
    the free physical pages; None where neither is known."""
    try:
        with open("/proc/meminfo", encoding="ascii") as f:
            for line in f:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    try:
        return os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (ValueError, OSError, AttributeError):
        return None


def check_rows(func: str, option: str, value, n_rows: int, bytes_per_row: int,
               fewer: str) -> None:
    """ValueError if ``n_rows`` rows of ``bytes_per_row`` bytes (what the analysis keeps
    per row of its design) exceed the memory available; ``option`` and ``value`` are what
    the user asked for, ``fewer`` what to do instead."""
    need = n_rows * bytes_per_row
    free = available_bytes()
    if free is None or need <= free:
        return
    raise ValueError(f"{func}: {option} {value:,} makes {n_rows:,} model rows, whose results "
                     f"need about {need / _GIB:,.1f} GiB; this machine has "
                     f"{free / _GIB:,.1f} GiB available. {fewer}")
