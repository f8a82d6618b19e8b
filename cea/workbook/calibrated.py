"""A calibrated copy of an input workbook: the fitted values and distributions written in.

The input is read into memory and never written; the copy is an in-memory openpyxl
workbook that the caller saves (``cea.api.write_calibrated_copy``).
"""

from __future__ import annotations

import io
from collections.abc import Mapping, Sequence
from pathlib import Path

import openpyxl

from cea.model.files import set_cell

__all__ = ["calibrated_book"]


def calibrated_book(source: str | Path, values: Mapping[str, tuple[float, str | None]],
                    correlations: Sequence[tuple[str, str, float]] = ()):
    """The input workbook with ``values[name] = (value, distribution text or None)`` in the
    value and distribution cells of each named parameter, and ``correlations`` (pairs of
    those parameters with their rank correlation) in the ``correlations`` sheet, replacing
    any rows there between two of them.

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
    if correlations:
        _write_correlations(book, set(values), correlations)
    return book


def _write_correlations(book, fitted: set[str], correlations) -> None:
    """Replace the correlations sheet's rows between fitted parameters by the fit's."""
    title = next((t for t in book.sheetnames if t.strip().lower() == "correlations"), None)
    header = ["parameter_1", "parameter_2", "correlation", "description"]
    if title is None:
        ws = book.create_sheet("correlations")
        for j, text in enumerate(header, start=1):
            set_cell(ws.cell(row=1, column=j), text)
    else:
        ws = book[title]
    columns = {str(c.value).strip().lower(): c.column for c in ws[1] if c.value is not None}
    for text in header:
        columns.setdefault(text, max(columns.values(), default=0) + 1)
        set_cell(ws.cell(row=1, column=columns[text]), text)
    for row in range(ws.max_row, 1, -1):
        ends = {ws.cell(row=row, column=columns[h]).value for h in header[:2]}
        if ends <= fitted:
            ws.delete_rows(row)
    for a, b, rho in correlations:
        row = ws.max_row + 1
        for column, value in zip(header, (a, b, round(float(rho), 6),
                                          "from the calibration's covariance (cea calibrate)")):
            set_cell(ws.cell(row=row, column=columns[column]), value)
