"""The terminal side of the command line: progress bars and one-line warnings."""

from __future__ import annotations

import sys
import time
import warnings

__all__ = ["TerminalProgress", "warning_line"]


class TerminalProgress:
    """A one-line progress bar on stderr, shown only on a terminal and after ``delay`` s."""

    def __init__(self, label: str = "PSA", *, unit: str = "draws", stream=None,
                 delay: float = 1.0):
        self.unit = unit
        self.label, self.stream, self.delay = label, stream or sys.stderr, delay
        self.start = time.perf_counter()
        self.shown = 0.0
        self.active = bool(getattr(self.stream, "isatty", lambda: False)())

    def __call__(self, done: int, total: int) -> None:
        if not self.active:
            return
        now = time.perf_counter()
        elapsed = now - self.start
        finished = done >= total
        if elapsed < self.delay and not self.shown or (now - self.shown < 0.1 and not finished):
            return
        self.shown = now
        share = done / total if total else 1.0
        bar = "#" * int(30 * share)
        left = f", about {elapsed / share - elapsed:.0f} s left" if 0 < share < 1 else ""
        self.stream.write(f"\r{self.label} [{bar:<30}] {100 * share:3.0f}% {done:,}/{total:,} "
                          f"{self.unit}, {elapsed:.1f} s{left}   ")
        if finished:
            self.stream.write("\n")
        self.stream.flush()


def warning_line(warning: warnings.WarningMessage) -> str:
    """A warning as one clean line: its category and message, no file or line number."""
    return f"Note: {warning.message}"
