"""The results workbook: tables a payer reads in a spreadsheet, without Python.

Every sheet has a bold, frozen header row, sensible widths and number formats
(costs in the model's currency and price year, QALYs to 3 decimals, ICERs as
currency per QALY or in words). Text that came from an input is always written
as text, never as a formula, and the file is written whole or not at all.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd
from openpyxl.chart import BarChart, LineChart, Reference, ScatterChart, Series
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from cea.model.files import set_cell, write_atomically

__all__ = ["CREATOR", "Block", "Chart", "SheetSpec", "header_label", "number_format",
           "safe_target", "save_workbook", "write_sheets"]

HEADER_FILL = PatternFill("solid", fgColor="DDEBF7")
TITLE_FONT = Font(bold=True, size=12)


@dataclass
class Chart:
    """A native spreadsheet chart drawn from a block's columns.

    ``kind`` is ``bar`` (horizontal bars, e.g. a tornado), ``column`` (vertical
    bars), ``line`` or ``scatter``; ``x`` names the category (or x) column and
    ``y`` the value columns.
    """

    kind: str
    x: str
    y: tuple[str, ...]
    title: str
    x_title: str = ""
    y_title: str = ""
    reverse: bool = False  # bar charts: first row at the top


@dataclass
class Block:
    """A titled table within a sheet, optionally with a chart beside it."""

    title: str
    frame: pd.DataFrame
    note: str = ""
    chart: Chart | None = None


@dataclass
class SheetSpec:
    name: str
    blocks: list[Block] = field(default_factory=list)


MONEY_PREFIXES = ("cost", "inc_cost", "nmb", "inc_nmb", "c_", "price", "one_off_cost",
                  "change_at", "swing", "evpi", "evppi")


def number_format(column: str, currency: str) -> str | None:
    """Excel number format for a result column, by its name."""
    if column in ("icer", "wtp", "published ICER") or " per 1,000" in column:
        return "#,##0"
    if "P(cost-effective)" in column:
        return "0.00"
    if column.startswith(MONEY_PREFIXES):
        return "#,##0.00;-#,##0.00"
    if column in ("qaly", "inc_qaly", "ly", "qaly_undiscounted", "ly_undiscounted"):
        return "0.000"
    return None


LABELS = {"qaly": "QALYs", "inc_qaly": "incremental QALYs", "ly": "life-years",
          "cost": "total cost", "inc_cost": "incremental cost", "inc_nmb": "incremental NMB",
          "status": "status", "comparator": "compared with"}


def header_label(column: str, currency: str) -> str:
    """Readable header: costs carry the currency and price year."""
    if column in ("cost", "inc_cost", "inc_nmb"):
        return f"{LABELS[column]} ({currency})"
    if column in LABELS:
        return LABELS[column]
    if column == "icer":
        return f"ICER ({currency} per QALY)"
    if column.startswith("nmb_"):
        try:
            return f"NMB at {float(column[4:]):,.0f} ({currency})"
        except ValueError:
            return f"{column} ({currency})"
    if column.startswith(("cost", "inc_cost", "inc_nmb")):
        return f"{column} ({currency})"
    return column


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
        for sheet in sheets:
            _write_sheet(book, sheet, currency)
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


def _write_sheet(book, sheet: SheetSpec, currency: str) -> None:
    ws = book.create_sheet(_sheet_title(sheet.name))
    ws.sheet_view.showGridLines = False
    ws.page_setup.orientation = "landscape"
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    row = 1
    widths: dict[int, float] = {}
    first_header = None
    for block in sheet.blocks:
        set_cell(ws.cell(row=row, column=1), block.title)
        ws.cell(row=row, column=1).font = TITLE_FONT
        row += 1
        if block.note:
            set_cell(ws.cell(row=row, column=1), block.note)
            ws.cell(row=row, column=1).font = Font(italic=True)
            row += 1
        first_header = first_header or row
        end = _write_frame(ws, block.frame, row, currency, widths)
        if block.chart is not None and len(block.frame):
            _add_chart(ws, block, row, end - 1)
        row = end + 1
    for j, width in widths.items():
        ws.column_dimensions[get_column_letter(j)].width = width
    if first_header and len(sheet.blocks) == 1:
        ws.freeze_panes = ws.cell(row=first_header + 1, column=1)


def _write_frame(ws, frame: pd.DataFrame, row: int, currency: str, widths) -> int:
    for j, column in enumerate(frame.columns, start=1):
        cell = ws.cell(row=row, column=j)
        set_cell(cell, header_label(str(column), currency))
        cell.font = Font(bold=True)
        cell.fill = HEADER_FILL
        cell.alignment = Alignment(wrap_text=True, vertical="top")
        widths[j] = max(widths.get(j, 10), min(len(str(cell.value)) * 0.9 + 2, 28))
    for values in frame.itertuples(index=False):
        row += 1
        for j, (column, value) in enumerate(zip(frame.columns, values), start=1):
            cell = ws.cell(row=row, column=j)
            set_cell(cell, _plain(value))
            fmt = number_format(str(column), currency)
            if fmt and isinstance(cell.value, (int, float)):
                cell.number_format = fmt
            elif isinstance(cell.value, float):
                cell.number_format = "0.0000"
            if isinstance(cell.value, str):
                widths[j] = max(widths.get(j, 10), min(len(cell.value) + 2, 60))
    return row + 1


def _add_chart(ws, block: Block, header_row: int, last_row: int) -> None:
    """Draw ``block.chart`` from the cells just written (header at ``header_row``)."""
    spec = block.chart
    columns = list(block.frame.columns)
    x_col = columns.index(spec.x) + 1
    x_ref = Reference(ws, min_col=x_col, min_row=header_row + 1, max_row=last_row)
    if spec.kind == "scatter":
        chart = ScatterChart()
        chart.style = 13
        for name in spec.y:
            col = columns.index(name) + 1
            y_ref = Reference(ws, min_col=col, min_row=header_row + 1, max_row=last_row)
            series = Series(y_ref, x_ref, title=name)
            series.marker.symbol = "circle"
            series.graphicalProperties.line.noFill = True
            chart.series.append(series)
    else:
        chart = LineChart() if spec.kind == "line" else BarChart()
        if spec.kind == "bar":
            chart.type = "bar"
            chart.overlap = 100
            if spec.reverse:
                chart.x_axis.scaling.orientation = "maxMin"
        for name in spec.y:
            col = columns.index(name) + 1
            chart.add_data(Reference(ws, min_col=col, min_row=header_row, max_row=last_row),
                           titles_from_data=True)
        chart.set_categories(x_ref)
    chart.title = spec.title
    chart.x_axis.title = spec.x_title
    chart.y_axis.title = spec.y_title
    chart.height, chart.width = 9, 16
    ws.add_chart(chart, ws.cell(row=header_row, column=len(columns) + 2).coordinate)


def _plain(value):
    """A value openpyxl can store: numpy scalars to Python, NaN and None to blank."""
    if value is None:
        return None
    if isinstance(value, (np.floating, float)):
        return None if not np.isfinite(value) else float(value)
    if isinstance(value, (np.integer,)):
        return int(value)
    if isinstance(value, (np.bool_, bool)):
        return bool(value)
    return value if isinstance(value, (int, str)) else str(value)


def _sheet_title(name: str) -> str:
    clean = "".join(ch for ch in name if ch not in "[]:*?/\\")
    return clean[:31]
