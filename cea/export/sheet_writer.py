"""Writing sheets of blocks into an openpyxl workbook, laid out for print.

Each block is a title, an optional note, an optional native chart, then its table. The
table of a ``data`` block (a chart's raw data) goes to a ``chart data`` sheet at the end
of the workbook, outside the print area, and its chart, drawn from there, prints on the
block's own sheet; so the CE plane prints as a chart, not as 40 pages of draws.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import pandas as pd
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from cea.export.blocks import Block, SheetSpec, header_label, number_format
from cea.export.charts import CHART_HEIGHT_CM, bar_chart_height, native_chart
from cea.export.labels import STATUS_LABELS
from cea.export.layout import HEADER_WIDTH, ROW_PT, TEXT_WIDTH, Page, lines
from cea.model.files import set_cell

__all__ = ["DATA_SHEET", "HEADER_FILL", "TITLE_FONT", "write_book"]

HEADER_FILL = PatternFill("solid", fgColor="DDEBF7")
TITLE_FONT = Font(bold=True, size=12)
#: The sheet that holds the charts' raw data (not printed).
DATA_SHEET = "chart data"
#: Identifiers shown in plain words wherever they appear as values.
VALUE_WORDS = STATUS_LABELS
QALY_COLUMNS = ("qaly", "inc_qaly", "ly", "qaly_undiscounted", "ly_undiscounted")


class _DataSheet:
    """The ``chart data`` sheet, made when the first data block needs it."""

    def __init__(self, book):
        self.book, self.ws, self.row, self.widths = book, None, 1, {}

    def add(self, block: Block, currency: str, source: str) -> tuple:
        """Write the block's table; return (worksheet, header row, last row)."""
        if self.ws is None:
            self.ws = self.book.create_sheet(DATA_SHEET)
            self.ws.sheet_view.showGridLines = False
            set_cell(self.ws.cell(row=1, column=1), "Data behind the charts of the other "
                     "sheets (not printed; each table names its sheet).")
            self.ws.cell(row=1, column=1).font = TITLE_FONT
            self.row = 3
        set_cell(self.ws.cell(row=self.row, column=1), f"{source}: {block.title}")
        self.ws.cell(row=self.row, column=1).font = Font(bold=True)
        header = self.row + 1
        for j, need in _widths([block], currency).items():
            self.widths[j] = max(self.widths.get(j, 8), need)
        end = _write_frame(self.ws, None, block.frame, header, currency, self.widths)
        self.row = end + 1
        return self.ws, header, end - 1

    def finish(self) -> None:
        if self.ws is None:
            return
        for j, width in self.widths.items():
            self.ws.column_dimensions[get_column_letter(j)].width = width
        self.ws.print_area = "A1:A1"
        self.book.move_sheet(self.ws, offset=len(self.book.sheetnames))


def write_book(book, sheets: Sequence[SheetSpec], currency: str) -> None:
    """Every sheet of ``sheets`` into ``book``, then the chart data sheet if needed."""
    data = _DataSheet(book)
    for sheet in sheets:
        _write_sheet(book, sheet, currency, data)
    data.finish()


def _write_sheet(book, sheet: SheetSpec, currency: str, data: _DataSheet) -> None:
    """One sheet: its blocks one below the other, laid out for print (:mod:`.layout`)."""
    ws = book.create_sheet(sheet_title(sheet.name))
    ws.sheet_view.showGridLines = False
    printed = [b for b in sheet.blocks if not b.data]
    widths = _widths(printed, currency)
    for j, width in widths.items():
        ws.column_dimensions[get_column_letter(j)].width = width
    page = Page(ws, widths)
    row, headers = 1, []
    for block in sheet.blocks:
        row, header = _write_block(ws, page, block, row, currency, widths, data)
        headers.append(header)
    if len(sheet.blocks) == 1 and headers and not sheet.blocks[0].data:
        ws.freeze_panes = ws.cell(row=headers[0] + 1, column=1)
        ws.print_title_rows = f"{headers[0]}:{headers[0]}"
    page.finish()


def _write_block(ws, page: Page, block: Block, row: int, currency: str, widths,
                 data: _DataSheet) -> tuple:
    """Title, note, chart, then the table (or, for a data block, the table on the chart
    data sheet); returns the next free row and the header row."""
    n_cols = max(len(block.frame.columns), 1)
    span = sum(widths.get(j, 12) for j in range(1, max(n_cols, 6) + 1))
    note = block.note
    if block.data:
        note = (note + " " if note else "") + f"Table: sheet '{DATA_SHEET}'."
    note_pt = ROW_PT * lines(note, span)
    chart = block.chart if block.chart is not None and len(block.frame) else None
    chart_pt = _chart_pt(block) if chart else 0.0
    header_pt = 0.0 if block.data else _header_pt(block.frame, currency, widths)
    first_rows = 0.0 if block.data else ROW_PT * min(len(block.frame), 5)
    title_pt = ROW_PT * 1.2 * lines(block.title, span * 0.85)  # 12-point bold
    page.keep(row, title_pt + note_pt + chart_pt + header_pt + first_rows)
    set_cell(ws.cell(row=row, column=1), block.title)
    ws.cell(row=row, column=1).font = TITLE_FONT
    if title_pt > ROW_PT * 1.2:  # a long title wraps across the block's width
        ws.cell(row=row, column=1).alignment = Alignment(wrap_text=True, vertical="top")
        ws.merge_cells(start_row=row, start_column=1, end_row=row,
                       end_column=max(n_cols, 6))
    page.row(row, max(ROW_PT, title_pt))
    row += 1
    set_cell(ws.cell(row=row, column=1), note)
    ws.cell(row=row, column=1).font = Font(italic=True)
    ws.cell(row=row, column=1).alignment = Alignment(wrap_text=True, vertical="top")
    ws.merge_cells(start_row=row, start_column=1, end_row=row, end_column=max(n_cols, 6))
    for j in range(1, max(n_cols, 6) + 1):  # a sheet of charts only: columns for the notes
        if j not in widths:
            ws.column_dimensions[get_column_letter(j)].width = 12
    page.row(row, note_pt)
    row += 1
    chart_row = row
    if chart:
        rows = math.ceil(chart_pt / ROW_PT)
        for r in range(row, row + rows):
            page.row(r)
        row += rows
    if block.data:
        source, header, last = data.add(block, currency, ws.title)
        end = row
    else:
        source, header = ws, row
        end = _write_frame(ws, page, block.frame, row, currency, widths)
        last = end - 1
    if chart:
        drawn = native_chart(source, chart, [str(c) for c in block.frame.columns], header,
                             last)
        ws.add_chart(drawn, ws.cell(row=chart_row, column=1).coordinate)
    return end + 1, header


def _chart_pt(block: Block) -> float:
    """Height the block's chart takes on the sheet (points), plus a spacing row."""
    height = CHART_HEIGHT_CM
    if block.chart.kind == "bar":
        height = bar_chart_height(len(block.frame))
    return height / 2.54 * 72 + ROW_PT


def _numeric(values: pd.Series) -> bool:
    return pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values)


def _label_width(label: str) -> float:
    return max(8, min(len(label), HEADER_WIDTH) + 1)


def _number_width(values: pd.Series) -> float:
    """Width of the longest number as displayed (thousands separators, 2-4 decimals)."""
    numbers = pd.to_numeric(values, errors="coerce").astype(float)
    numbers = numbers[np.isfinite(numbers)]
    if numbers.empty:
        return 8
    return min(16, len(f"{numbers.abs().max():,.2f}") + 3)


def _widths(blocks: Sequence[Block], currency: str) -> dict[int, float]:
    """Column widths from the blocks' headers and formatted values (text capped)."""
    widths: dict[int, float] = {}
    for block in blocks:
        for j, column in enumerate(block.frame.columns, start=1):
            need = _label_width(header_label(str(column), currency))
            values = block.frame[column]
            if not _numeric(values):
                longest = values.map(lambda v: len(str(v)) if v is not None else 0).max()
                need = max(need, min((longest or 0) + 2, TEXT_WIDTH))
            else:
                need = max(need, _number_width(values))
            widths[j] = max(widths.get(j, 8), need)
    return widths


def _header_pt(frame: pd.DataFrame, currency: str, widths) -> float:
    labels = [header_label(str(c), currency) for c in frame.columns]
    return ROW_PT * max([lines(t, widths.get(j, 10) - 1) for j, t in
                         enumerate(labels, start=1)] or [1])


def _write_frame(ws, page: Page | None, frame: pd.DataFrame, row: int, currency: str,
                 widths) -> int:
    """Header and rows from ``row``; ``page`` None: a data table (no wrapping or heights)."""
    if page is not None:
        page.row(row, _header_pt(frame, currency, widths))
    for j, column in enumerate(frame.columns, start=1):
        cell = ws.cell(row=row, column=j)
        set_cell(cell, header_label(str(column), currency))
        cell.font = Font(bold=True)
        cell.fill = HEADER_FILL
        cell.alignment = Alignment(wrap_text=page is not None, vertical="top",
                                   horizontal="right" if _numeric(frame[column]) else "left")
    formats = {column: number_format(str(column), currency) or _digits(frame[column])
               for column in frame.columns}
    for values in frame.itertuples(index=False):
        row += 1
        height = 1
        for j, (column, value) in enumerate(zip(frame.columns, values), start=1):
            cell = ws.cell(row=row, column=j)
            set_cell(cell, plain(VALUE_WORDS.get(value, value) if isinstance(value, str)
                                 else value))
            if isinstance(cell.value, (int, float)) and not isinstance(cell.value, bool):
                cell.number_format = formats[column] or "0.0000"
            elif (page is not None and isinstance(cell.value, str)
                  and len(cell.value) > widths.get(j, 10) - 1):
                cell.alignment = Alignment(wrap_text=True, vertical="top")
                height = max(height, lines(cell.value, widths.get(j, 10) - 1))
        if page is not None:
            page.row(row, ROW_PT * height)
    return row + 1


def _digits(values: pd.Series) -> str | None:
    """QALY columns: enough decimals that the smallest non-zero value shows 4 significant
    digits (3 to 8), so that a displayed ICER follows from the displayed increments."""
    name = str(values.name)
    if name not in QALY_COLUMNS and not name.endswith("qaly") or not _numeric(values):
        return None
    numbers = values.astype(float)
    finite = numbers[np.isfinite(numbers) & (numbers != 0)].abs()
    decimals = 3 if finite.empty else int(min(8, max(3, 3 - math.floor(math.log10(
        finite.min())))))
    return "0." + "0" * decimals


def plain(value):
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


def sheet_title(name: str) -> str:
    """A valid sheet name: no []:*?/\\, at most 31 characters."""
    clean = "".join(ch for ch in name if ch not in "[]:*?/\\")
    return clean[:31]
