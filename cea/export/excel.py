"""The results workbook: tables a payer reads in a spreadsheet, without Python.

Sheets are blocks (:mod:`cea.export.blocks`) written and laid out for print by
:mod:`cea.export.sheet_writer`: plain headers with the currency and price year on money,
number formats by column, wrapped headers that never print over numbers, charts that
stay whole on a page. Text that came from an input is always written as text, never as a
formula, and the file is written whole or not at all, never over a file someone else
saved.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import openpyxl

from cea.export.blocks import (
    LABELS,
    MONEY_PREFIXES,
    Block,
    Chart,
    SheetSpec,
    header_label,
    number_format,
)
from cea.export.sheet_writer import HEADER_FILL, TITLE_FONT, write_book
from cea.model.files import write_atomically

__all__ = ["CREATOR", "HEADER_FILL", "LABELS", "MONEY_PREFIXES", "TITLE_FONT", "Block",
           "Chart", "SheetSpec", "header_label", "number_format", "safe_target",
           "save_workbook", "write_sheets"]

CREATOR = "cea"


def write_sheets(path: str | Path, sheets: Sequence[SheetSpec], currency: str) -> Path:
    """Write a workbook of ``sheets`` (whole or not at all); ``currency`` labels money.

    Returns the path written, which differs from ``path`` if that file is open in a
    spreadsheet application or was saved by one since ``cea`` wrote it
    (:func:`safe_target`).
    """

    def write(tmp: Path) -> None:
        book = openpyxl.Workbook()
        book.remove(book.active)
        book.properties.creator = book.properties.lastModifiedBy = CREATOR
        write_book(book, sheets, currency)
        book.save(tmp)

    return write_atomically(safe_target(Path(path)), write)


def save_workbook(book, path: str | Path, *, keep: Sequence[str | Path] = ()) -> Path:
    """Save an openpyxl workbook built elsewhere (whole or not at all) to ``path``, or
    beside it when :func:`safe_target` says so, or when ``path`` is one of ``keep`` (e.g.
    the input it was made from)."""
    target = Path(path)
    if target.exists() and any(target.resolve() == Path(k).resolve() for k in keep):
        target = target.with_name(f"{target.stem} (2){target.suffix}")
    return write_atomically(safe_target(target), book.save)


def safe_target(path: Path) -> Path:
    """``path``, unless overwriting it could lose someone's work; then a new name beside it.

    A results file is kept (and the new one written as ``name (2).xlsx``, ``(3)``,
    ...) when a spreadsheet application holds it open (its lock file ``~$name``
    or ``.~lock.name#`` exists) or when it was saved by anything but ``cea``.
    """
    candidate, n = path, 1
    while candidate.exists() and _in_use(candidate):
        n += 1
        candidate = path.with_name(f"{path.stem} ({n}){path.suffix}")
    return candidate


def _in_use(path: Path) -> bool:
    locks = (path.with_name(f"~${path.name}"), path.with_name(f".~lock.{path.name}#"))
    if any(lock.exists() for lock in locks):
        return True
    try:
        book = openpyxl.load_workbook(path, read_only=True)
        modified_by = book.properties.lastModifiedBy
        book.close()
    except Exception:  # not a workbook we can read: not ours to replace
        return True
    return modified_by != CREATOR
