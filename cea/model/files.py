"""Writing files whole or not at all, and text that a spreadsheet can never run.

Two promises that every stage which writes keeps: the input workbooks it builds (the
template, a calibrated copy) and the results it exports are written to a temporary file
and renamed into place, and text from an input never becomes a formula.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from pathlib import Path

#: Text that a spreadsheet would take for a formula when it starts a cell.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def write_atomically(path: str | Path, write: Callable[[Path], None]) -> Path:
    """Call ``write(tmp)`` on a temporary file beside ``path``, then rename it into place.

    If ``write`` raises, the temporary file is removed and an existing ``path``
    is left exactly as it was.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, tmp = tempfile.mkstemp(prefix=f".{path.stem}-", suffix=path.suffix, dir=path.parent)
    os.close(handle)
    tmp = Path(tmp)
    try:
        write(tmp)
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)  # as an ordinary new file, not mkstemp's 0600
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return path


def set_cell(cell, value) -> None:
    """Assign ``value`` to an openpyxl cell; text is always stored as text, never a formula."""
    if isinstance(value, str):
        cell.value = value
        cell.data_type = "s"
        if value.startswith(FORMULA_STARTS):
            cell.quotePrefix = True
    else:
        cell.value = value


def safe_text(text: str) -> str:
    """Text that a spreadsheet opening a CSV cannot take for a formula (prefixed ``'``)."""
    return "'" + text if text.startswith(FORMULA_STARTS) else text
