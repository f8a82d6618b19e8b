"""Input problems: collected so that every problem of a workbook is reported at once.

A problem is one line ``where: what was found; what is allowed``, ``where`` being a
``sheet!cell`` (or a sheet, or a scenario). Readers add problems to a :class:`Problems`
and raise one :class:`InputError` carrying all of them.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable

#: Longest problem line: a huge cell quoted whole would flood the terminal.
MAX_LINE = 400
#: Candidates searched by :func:`suggest` (the search is quadratic in their length).
MAX_CANDIDATES = 2_000


class InputError(ValueError):
    """Inputs have problems; ``problems`` lists each one with its place."""

    def __init__(self, problems: Iterable[str]):
        self.problems = list(problems)
        super().__init__("\n".join(self.problems))


class Problems:
    """Collects ``where: message`` lines, each once, in the order found."""

    def __init__(self) -> None:
        self.items: list[str] = []
        self._seen: set[str] = set()

    def add(self, where: str, message: str) -> None:
        if len(message) > MAX_LINE:
            message = f"{message[:MAX_LINE]}... ({len(message):,} characters in all)"
        line = f"{where}: {message}"
        if line not in self._seen:
            self._seen.add(line)
            self.items.append(line)

    def extend(self, lines: Iterable[str]) -> None:
        """Add lines that already carry their place."""
        for line in lines:
            if line not in self._seen:
                self._seen.add(line)
                self.items.append(line)

    def __len__(self) -> int:
        return len(self.items)

    def raise_if_any(self) -> None:
        if self.items:
            raise InputError(self.items)


def suggest(name: str, known: Iterable[str]) -> str:
    """`` (did you mean 'x'?)`` for the closest known name, or ``""``."""
    candidates = [k for k in known if abs(len(k) - len(name)) <= 3][:MAX_CANDIDATES]
    close = difflib.get_close_matches(name, candidates, n=1)
    return f" (did you mean '{close[0]}'?)" if close else ""
