"""The terminal's progress bar: shown on a terminal only, in one line."""

from __future__ import annotations

import io

from cea.console import TerminalProgress


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_bar_only_on_a_terminal():
    quiet = io.StringIO()
    TerminalProgress(stream=quiet, delay=0)(5, 10)
    assert quiet.getvalue() == ""
    screen = _Terminal()
    bar = TerminalProgress(stream=screen, delay=0)
    bar(5, 10)
    bar(10, 10)
    text = screen.getvalue()
    assert text.startswith("\rPSA [") and "10/10 draws" in text and text.endswith("\n")
