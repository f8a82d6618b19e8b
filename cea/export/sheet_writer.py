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
from cea.export.layout import (
    CHART_COLUMN_WIDTH,
    CHART_COLUMNS,
    FIT_SCALE,
    HEADER_WIDTH,
    MIN_TEXT_WIDTH,
    ROW_PT,
    TAIL_WIDTH,
    TEXT_WIDTH,
    Page,
    fit_widths,
    lines,
    page_chars,
    width_pt,
)
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
            set_cell(self.ws.cell(row=1, column=1), "Data behind the charts, and full "
                     "tables, of the other sheets (not printed; each table names its sheet).")
            self.ws.cell(row=1, column=1).font = TITLE_FONT
            self.row = 3
        set_cell(self.ws.cell(row=self.row, column=1), f"{source}: {block.title}")
        self.ws.cell(row=self.row, column=1).font = Font(bold=True)
        header = self.row + 1
        _widen(self.widths, block, currency)
        end = _write_frame(self.ws, None, block.frame, header, currency, self.widths)
        self.row = end + 1
        return self.ws, header, end - 1

    def finish(self) -> None:
        if self.ws is None:
            return
        for j, width in self.widths.items():
            self.ws.column_dimensions[get_column_letter(j)].width = width
        _print_nothing(self.ws, 2)
        self.book.move_sheet(self.ws, offset=len(self.book.sheetnames))


def write_book(book, sheets: Sequence[SheetSpec], currency: str) -> None:
    """Every sheet of ``sheets`` into ``book``, then the chart data sheet if needed."""
    data = _DataSheet(book)
    for sheet in sheets:
        _write_sheet(book, sheet, currency, data)
    data.finish()


def _write_sheet(book, sheet: SheetSpec, currency: str, data: _DataSheet) -> None:
    """One sheet: its blocks one below the other, laid out for print (:mod:`.layout`);
    two charts in a row print side by side."""
    ws = book.create_sheet(sheet_title(sheet.name))
    ws.sheet_view.showGridLines = False
    if not sheet.printed:
        _write_unprinted(ws, sheet, currency)
        return
    printed = [b for b in sheet.blocks if not b.data]
    if printed:
        # a sheet fitted for a smaller scale has room for wider text
        text_width = TEXT_WIDTH * (FIT_SCALE / sheet.fit_scale) ** 2 if sheet.fit_scale \
            else TEXT_WIDTH
        widths = fit_widths(_widths(printed, currency, tails=True, text_width=text_width),
                            _floors(printed, currency), sheet.fit_scale)
    else:
        widths = dict.fromkeys(range(1, CHART_COLUMNS + 1), CHART_COLUMN_WIDTH)
    if printed and _has_pair(sheet.blocks):  # room for two charts across the page
        while sum(widths.values()) < page_chars(1.0) - CHART_COLUMN_WIDTH:
            widths[max(widths) + 1] = CHART_COLUMN_WIDTH
    for j, width in widths.items():
        ws.column_dimensions[get_column_letter(j)].width = width
    page = Page(ws, widths)
    row, headers = 1, []
    blocks = [b for b in sheet.blocks if not _elsewhere(b)]
    moved = [b for b in sheet.blocks if _elsewhere(b)]
    for block in moved:  # whole tables without a chart: on the data sheet, named here
        data.add(block, currency, ws.title)
    if moved:
        text = (f"Also on sheet '{DATA_SHEET}' (not printed): "
                + "; ".join(b.title + (f" ({b.note.rstrip('.')})" if b.note else "")
                            for b in moved) + ".")
        if blocks:
            _note_cell(ws, row, 1, max(widths), text)
            page.row(row, ROW_PT * lines(text, _span(widths, 1, max(widths))))
            page.row(row + 1)
            row += 2
        else:
            blocks = [Block(moved[0].title if len(moved) == 1 else sheet.name,
                            pd.DataFrame(), text)]
    while blocks:
        block = blocks.pop(0)
        if _chart_only(block) and blocks and _chart_only(blocks[0]):
            row = _write_pair(ws, page, (block, blocks.pop(0)), row, currency, widths, data)
            continue
        row, header = _write_block(ws, page, block, row, currency, widths, data)
        headers.append(header)
    if len(sheet.blocks) == 1 and headers and not sheet.blocks[0].data and not moved:
        ws.freeze_panes = ws.cell(row=headers[0] + 1, column=1)
    page.finish()


def _write_unprinted(ws, sheet: SheetSpec, currency: str) -> None:
    """A sheet of tables that prints no page: each block's title, note and table, one
    below the other, with the header row frozen when there is one table."""
    row, widths = 1, {}
    for block in sheet.blocks:
        set_cell(ws.cell(row=row, column=1), block.title)
        ws.cell(row=row, column=1).font = TITLE_FONT
        set_cell(ws.cell(row=row + 1, column=1), (block.note + " " if block.note else "")
                 + "This sheet does not print.")
        ws.cell(row=row + 1, column=1).font = Font(italic=True)
        _widen(widths, block, currency)
        header = row + 2
        row = _write_frame(ws, None, block.frame, header, currency, widths) + 1
        if len(sheet.blocks) == 1:
            ws.freeze_panes = ws.cell(row=header + 1, column=1)
    for j, width in widths.items():
        ws.column_dimensions[get_column_letter(j)].width = width
    _print_nothing(ws, row + 1)


def _widen(widths: dict[int, float], block: Block, currency: str) -> None:
    """Widen the columns of an unprinted table to fit ``block`` (no wrapping there)."""
    for j, need in _widths([block], currency).items():
        widths[j] = max(widths.get(j, 8), need)


def _print_nothing(ws, empty_row: int) -> None:
    """The sheet prints no page: its print area is one empty cell (row ``empty_row``)."""
    ws.print_area = f"A{empty_row}:A{empty_row}"


def _elsewhere(block: Block) -> bool:
    """A data block without a chart: its table is only on the data sheet (one line at the
    top of its own sheet says so)."""
    return block.data and (block.chart is None or not len(block.frame))


def _has_pair(blocks) -> bool:
    return any(_chart_only(a) and _chart_only(b) for a, b in zip(blocks, blocks[1:]))


def _chart_only(block: Block) -> bool:
    """A block that prints as a chart alone (its table is on the chart data sheet)."""
    return block.data and block.chart is not None and len(block.frame) > 0


def _span(widths, first: int, last: int) -> float:
    return sum(widths.get(j, 12) for j in range(first, last + 1))


def _write_pair(ws, page: Page, pair, row: int, currency: str, widths,
                data: _DataSheet) -> int:
    """Two chart-only blocks side by side, each on half of the printed width."""
    total = min(sum(widths.values()), page_chars(page.scale))
    cut, used = max(widths), 0.0  # the right half starts at the column nearest the middle
    for j in sorted(widths):
        if abs(used - total / 2) <= widths[j] / 2:
            cut = max(j, 2)
            break
        used += widths[j]
    halves = ((1, cut - 1), (cut, max(cut, max(widths))))
    half_cm = width_pt(total / 2) / 72 * 2.54 * 0.95
    parts = []
    for block, (first, last) in zip(pair, halves):
        span = _span(widths, first, last)
        note = _note(block)
        parts.append((block, first, last, ROW_PT * 1.2 * lines(block.title, span * 0.85),
                      ROW_PT * lines(note, span), _chart_pt(block), note))
    title_pt = max(p[3] for p in parts)
    note_pt = max(p[4] for p in parts)
    chart_pt = max(p[5] for p in parts)
    page.keep(row, title_pt + note_pt + chart_pt)
    for block, first, last, _, _, _, note in parts:
        _title(ws, row, first, last, block.title, wrap=title_pt > ROW_PT * 1.2)
        _note_cell(ws, row + 1, first, last, note)
    page.row(row, max(ROW_PT, title_pt))
    page.row(row + 1, note_pt)
    chart_row = row + 2
    rows = math.ceil(chart_pt / ROW_PT)
    for r in range(chart_row, chart_row + rows):
        page.row(r)
    for block, first, *_ in parts:
        source, header, end = data.add(block, currency, ws.title)
        drawn = native_chart(source, block.chart, [str(c) for c in block.frame.columns],
                             header, end)
        drawn.width = half_cm
        ws.add_chart(drawn, ws.cell(row=chart_row, column=first).coordinate)
    return chart_row + rows


def _note(block: Block) -> str:
    if not block.data:
        return block.note
    return (block.note + " " if block.note else "") + f"Table: sheet '{DATA_SHEET}'."


def _title(ws, row: int, first: int, last: int, title: str, wrap: bool) -> None:
    cell = ws.cell(row=row, column=first)
    set_cell(cell, title)
    cell.font = TITLE_FONT
    if wrap:  # a long title wraps across the block's width
        cell.alignment = Alignment(wrap_text=True, vertical="top")
        ws.merge_cells(start_row=row, start_column=first, end_row=row, end_column=last)


def _note_cell(ws, row: int, first: int, last: int, note: str) -> None:
    cell = ws.cell(row=row, column=first)
    set_cell(cell, note)
    cell.font = Font(italic=True)
    cell.alignment = Alignment(wrap_text=True, vertical="top")
    ws.merge_cells(start_row=row, start_column=first, end_row=row, end_column=last)


def _write_block(ws, page: Page, block: Block, row: int, currency: str, widths,
                 data: _DataSheet) -> tuple:
    """Title, note, chart, then the table (or, for a data block, the table on the chart
    data sheet); returns the next free row and the header row."""
    n_cols = max(len(block.frame.columns), 1)
    last_col = max(n_cols, max(widths))
    span = _span(widths, 1, last_col)
    note = _note(block)
    note_pt = ROW_PT * lines(note, span)
    chart = block.chart if block.chart is not None and len(block.frame) else None
    chart_pt = _chart_pt(block) if chart else 0.0
    header_pt = 0.0 if block.data else _header_pt(
        block.frame, currency, {j: w - 1 for j, w in widths.items()})
    first_rows = 0.0 if block.data else ROW_PT * min(len(block.frame), 5)
    title_pt = ROW_PT * 1.2 * lines(block.title, span * 0.85)  # 12-point bold
    page.keep(row, title_pt + note_pt + chart_pt + header_pt + first_rows)
    _title(ws, row, 1, last_col, block.title, wrap=title_pt > ROW_PT * 1.2)
    page.row(row, max(ROW_PT, title_pt))
    row += 1
    _note_cell(ws, row, 1, last_col, note)
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
        end = _write_frame(ws, page, block.columns_frame(), row, currency, widths,
                           None if block.detail is None else block.frame[block.detail])
        last = end - 1
    if chart:
        drawn = native_chart(source, chart, [str(c) for c in block.frame.columns], header,
                             last)
        drawn.width = min(drawn.width, width_pt(span) / 72 * 2.54 * 0.95)
        ws.add_chart(drawn, ws.cell(row=chart_row, column=1).coordinate)
    page.row(end)  # the blank row between blocks takes its space on the page too
    return end + 1, header


def _chart_pt(block: Block) -> float:
    """Height the block's chart takes on the sheet (points); the rows under it round it up
    to whole rows, which leaves a gap before the next block."""
    height = block.chart.height_cm or CHART_HEIGHT_CM
    if block.chart.kind == "bar":
        height = bar_chart_height(len(block.frame))
    return height / 2.54 * 72


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


def _tail(frame: pd.DataFrame) -> bool:
    """The block's last column is text: on a printed sheet it spans every column to the
    sheet's right edge (merged cells), so that long text (a description, a source) wraps
    over the whole width instead of widening a column that other blocks share."""
    return len(frame.columns) > 0 and not _numeric(frame[frame.columns[-1]])


def _widths(blocks: Sequence[Block], currency: str, tails: bool = False,
            text_width: float = TEXT_WIDTH) -> dict[int, float]:
    """Column widths from the blocks' headers and formatted values (text capped at
    ``text_width``, by default :data:`TEXT_WIDTH`). ``tails``: a block's last text column
    may span to the sheet's right edge (:func:`_tail`), so it widens the sheet only if the
    columns there are too narrow for it (up to :data:`TAIL_WIDTH`)."""
    widths: dict[int, float] = {}
    wanted = []
    for block in blocks:
        frame = block.columns_frame()
        last = len(frame.columns)
        for j, column in enumerate(frame.columns, start=1):
            need = _label_width(header_label(str(column), currency))
            values = frame[column]
            if not _numeric(values):
                longest = values.map(lambda v: len(str(v)) if v is not None else 0).max()
                if tails and j == last:
                    wanted.append((j, max(need, min((longest or 0) + 2, TAIL_WIDTH))))
                    continue
                need = max(need, min((longest or 0) + 2, text_width))
            else:
                need = max(need, _number_width(values))
            widths[j] = max(widths.get(j, 8), need)
    for j, need in wanted:  # widen the tail's own column only if its span is too narrow
        span = sum(w for k, w in widths.items() if k >= j)
        if span < need:
            widths[j] = max(8.0, widths.get(j, 0.0) + need - span)
    return widths


def _floors(blocks: Sequence[Block], currency: str) -> dict[int, float]:
    """Narrowest each column may get: its numbers' width, its headers' longest word, and
    :data:`~cea.export.layout.MIN_TEXT_WIDTH` for text."""
    floors: dict[int, float] = {}
    for block in blocks:
        frame = block.columns_frame()
        for j, column in enumerate(frame.columns, start=1):
            # a long header word breaks at its hyphens ("P(cost-" / "effective)")
            words = header_label(str(column), currency).replace("-", "- ").split() or [""]
            need = max(8, max(len(w) for w in words) + 1)
            values = frame[column]
            need = max(need, _number_width(values) if _numeric(values) else MIN_TEXT_WIDTH)
            floors[j] = max(floors.get(j, 8), need)
    return floors


def _header_pt(frame: pd.DataFrame, currency: str, wrap) -> float:
    """Height of the header row: its labels wrapped at ``wrap`` (characters per column)."""
    labels = [header_label(str(c), currency) for c in frame.columns]
    return ROW_PT * max([lines(t, 0.9 * wrap.get(j, 9)) for j, t in
                         enumerate(labels, start=1)] or [1])


def _write_frame(ws, page: Page | None, frame: pd.DataFrame, row: int, currency: str,
                 widths, detail: pd.Series | None = None) -> int:
    """Header and rows from ``row``; ``page`` None: a data table (no wrapping, heights or
    merged text). ``detail``: text printed on a line of its own under each row, in italics
    across the sheet's width (:attr:`Block.detail`)."""
    n_cols = len(frame.columns)
    edge = max(widths) if page is not None and widths else n_cols
    tail = page is not None and _tail(frame) and edge > n_cols
    wrap = {j: widths.get(j, 10) - 1 for j in range(1, n_cols + 1)}
    if tail:
        wrap[n_cols] = sum(widths.get(k, 10) for k in range(n_cols, edge + 1)) - 1
    header_pt = _header_pt(frame, currency, wrap)

    def write_header(r: int) -> None:
        for j, column in enumerate(frame.columns, start=1):
            cell = ws.cell(row=r, column=j)
            set_cell(cell, header_label(str(column), currency))
            cell.font = Font(bold=True)
            cell.fill = HEADER_FILL
            cell.alignment = Alignment(wrap_text=page is not None, vertical="top",
                                       horizontal="right" if _numeric(frame[column])
                                       else "left")
        if tail:
            ws.merge_cells(start_row=r, start_column=n_cols, end_row=r, end_column=edge)
        if page is not None:
            page.row(r, header_pt)

    write_header(row)
    formats = {column: number_format(str(column), currency) or _digits(frame[column])
               or ("#,##0" if pd.api.types.is_integer_dtype(frame[column]) else None)
               for column in frame.columns}
    across = sum(widths.get(k, 10) for k in range(1, edge + 1)) - 1
    for i, values in enumerate(frame.itertuples(index=False)):
        cells, height = [], 1  # (value, indent, wrapped) per column, then the row's lines
        for j, (_column, value) in enumerate(zip(frame.columns, values), start=1):
            if page is not None and isinstance(value, (bool, np.bool_)):
                value = "yes" if value else "no"  # printed: words, not TRUE and FALSE
            value = plain(VALUE_WORDS.get(value, value) if isinstance(value, str) else value)
            # text after a column of numbers is set off from them
            indent = 1 if (page is not None and j > 1 and isinstance(value, str)
                           and _numeric(frame[frame.columns[j - 2]])) else 0
            wrapped = page is not None and isinstance(value, str) and len(value) > wrap[j]
            if wrapped:
                height = max(height, lines(value, wrap[j] - indent))
            cells.append((value, indent, wrapped))
        text = None if detail is None else plain(detail.iloc[i])
        text_pt = ROW_PT * lines(text, across - widths.get(1, 10)) if text else 0.0
        if page is not None and i and not page.fits(ROW_PT * height + text_pt):
            page.new_page(row + 1)  # the table goes on: its header again at the top
            row += 1
            write_header(row)
        row += 1
        for j, (column, (value, indent, wrapped)) in enumerate(zip(frame.columns, cells),
                                                               start=1):
            cell = ws.cell(row=row, column=j)
            set_cell(cell, value)
            if page is not None:  # every cell of a row starts at its top
                cell.alignment = Alignment(vertical="top", indent=indent, wrap_text=wrapped)
            if isinstance(cell.value, (int, float)) and not isinstance(cell.value, bool):
                cell.number_format = formats[column] or (
                    "#,##0" if isinstance(cell.value, int) else "0.0000")
        if tail:
            ws.merge_cells(start_row=row, start_column=n_cols, end_row=row, end_column=edge)
        if page is not None:
            page.row(row, ROW_PT * height)
        if text:
            row += 1
            cell = ws.cell(row=row, column=min(2, edge))
            set_cell(cell, text)
            cell.font = Font(italic=True, color="404040")
            cell.alignment = Alignment(wrap_text=True, vertical="top")
            ws.merge_cells(start_row=row, start_column=min(2, edge), end_row=row,
                           end_column=edge)
            if page is not None:
                page.row(row, text_pt)
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
