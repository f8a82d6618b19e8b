"""A calibrated copy of an input workbook: the fitted values and distributions written in.

The input is read into memory and never written; the copy is an in-memory openpyxl
workbook that the caller saves (``cea.api.write_calibrated_copy``).
"""

from __future__ import annotations

import io
from collections.abc import Mapping
from pathlib import Path

import openpyxl

from cea.model.files import set_cell

__all__ = ["calibrated_book"]


def calibrated_book(source: str | Path, values: Mapping[str, tuple[float, str | None]]):
    """The input workbook with ``values[name] = (value, distribution text or None)`` in the
    value and distribution cells of each named parameter.

    Returns
    -------
    openpyxl.Workbook
    """
    book = openpyxl.load_workbook(io.BytesIO(Path(source).read_bytes()))
    title = next(t for t in book.sheetnames if t.strip().lower() == "parameters")
    ws = book[title]
    headers = {str(c.value).strip().lower(): c.column for c in ws[1] if c.value is not None}
    for row in ws.iter_rows(min_row=2):
        name = row[headers["name"] - 1].value
        if name in values:
            value, distribution = values[name]
            set_cell(ws.cell(row=row[0].row, column=headers["value"]), float(value))
            if "distribution" in headers and distribution is not None:
                set_cell(ws.cell(row=row[0].row, column=headers["distribution"]), distribution)
    return book
