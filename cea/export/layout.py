"""Page layout of a results sheet: column widths, row heights and print setup.

A reviewer prints the results workbook, so a sheet is laid out for A4 landscape:

* **Widths** per column from every block's headers and values: numbers get the width of
  their formatted text, long text wraps at :data:`TEXT_WIDTH` characters instead of
  widening the column (a wide text column would push the numbers of other blocks away
  from their headings).
* **Heights** are set on every row written, from the number of wrapped lines, so that a
  wrapped header never prints over the first row of numbers.
* **Scale** is computed from the sheet's width, never below :data:`MIN_SCALE`.
* **Page breaks** keep a block's title, note, chart, header and first rows on one page,
  and never cut a chart.

Tables that are a chart's raw data (e.g. the PSA draws behind the CE plane) are not laid
out here: they go to the workbook's "chart data" sheet, which is not printed.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from openpyxl.worksheet.pagebreak import Break, RowBreak

__all__ = ["CHART_COLUMNS", "CHART_COLUMN_WIDTH", "FIT_SCALE", "MIN_SCALE", "MIN_TEXT_WIDTH",
           "TAIL_WIDTH", "TEXT_FLOOR",
           "ROW_PT", "TEXT_WIDTH", "Page", "fit_widths", "lines", "page_chars", "width_pt"]

#: Widest a column gets for text (characters); longer text wraps.
TEXT_WIDTH = 28
#: Widest a column gets for a header (characters); longer headers wrap.
HEADER_WIDTH = 11
#: Widest the last text column of a table gets (it spans to the sheet's right edge).
TAIL_WIDTH = 60
#: Narrowest a text column gets when a sheet is narrowed to fit the page (characters):
#: first to :data:`TEXT_FLOOR` at :data:`FIT_SCALE`, then to this at :data:`MIN_SCALE`.
MIN_TEXT_WIDTH = 12
TEXT_FLOOR = 18
#: Smallest print scale a sheet is narrowed for (wrapping its text) before it prints
#: smaller: a sheet of tables prints at this scale or larger whenever it can.
FIT_SCALE = 0.75
#: A sheet of charts only: columns and their width (two charts side by side).
CHART_COLUMNS, CHART_COLUMN_WIDTH = 8, 14.5
#: Characters of 11-point text per unit of column width (a unit is one digit's width;
#: text averages narrower: measured, LibreOffice wraps about 1.25 characters a unit).
TEXT_PER_WIDTH = 1.2
#: Height of one line of 11-point text (points).
ROW_PT = 15.0
#: Smallest print scale (below it, text is too small to read; wide sheets spill across).
MIN_SCALE = 0.6
#: A4 landscape less 0.5 inch margins left and right and 0.4 inch top and bottom
#: (points); the page header and footer print in the margins (measured: LibreOffice
#: prints 35 rows of 15 points on such a page at 100%, with the header and footer).
PAGE_WIDTH_PT, PAGE_HEIGHT_PT = 11.69 * 72 - 72, 8.27 * 72 - 57.6
_SAFETY = 0.965  # of the page height (35 rows of 15 points = 0.976), for rounding
_WIDTH_SAFETY = 1.03  # for font metrics


def width_pt(width: float) -> float:
    """Printed width (points) of a column of ``width`` characters, as LibreOffice prints it
    (measured: 15 columns of width 7, 5 of width 20 and 3 of 30 fit on an A4 landscape
    page with 0.5-inch margins at 100%)."""
    return 7.2 * width


def page_chars(scale: float) -> float:
    """Characters of column width that fit across the page at ``scale``."""
    return PAGE_WIDTH_PT / (width_pt(1) * _WIDTH_SAFETY * scale)


def fit_widths(widths: dict[int, float], floors: dict[int, float],
               scale: float | None = None) -> dict[int, float]:
    """Narrow the widest text columns (their text wraps) until the sheet prints one page
    wide at :data:`FIT_SCALE`, text not below :data:`TEXT_FLOOR`; if that is not enough,
    until it prints one page wide at :data:`MIN_SCALE`, text not below
    :data:`MIN_TEXT_WIDTH`. Never below a column's floor (its numbers, the longest word of
    its header). ``scale``: fit for this scale first instead of :data:`FIT_SCALE`."""
    widths = dict(widths)
    for fit, text_floor in ((scale or FIT_SCALE, TEXT_FLOOR), (MIN_SCALE, MIN_TEXT_WIDTH)):
        floor = {j: min(widths.get(j, f), max(f, text_floor)) if f == MIN_TEXT_WIDTH else f
                 for j, f in floors.items()}
        while sum(widths.values()) > page_chars(fit):
            narrowable = [j for j, w in widths.items() if w > floor.get(j, 8)]
            if not narrowable:
                break
            j = max(narrowable, key=lambda k: widths[k] - floor.get(k, 8))
            widths[j] -= 1
    return widths


def lines(text: str, width: float) -> int:
    """Lines ``text`` (11-point) wraps to in ``width`` units of column width."""
    width = max(1.0, width * TEXT_PER_WIDTH)
    words, count, used = str(text).split(), 1, 0
    for word in words:
        if used and used + 1 + len(word) > width:
            count, used = count + 1, len(word)
        else:
            used += (1 if used else 0) + len(word)
    return max(1, count + sum(max(0, math.ceil(len(w) / width) - 1) for w in words))


@dataclass
class Page:
    """Tracks where rows fall on printed pages and where breaks go."""

    ws: object
    widths: dict[int, float]
    scale: float = 1.0
    used_pt: float = 0.0

    def __post_init__(self) -> None:
        sheet_pt = sum(width_pt(w) for w in self.widths.values()) or PAGE_WIDTH_PT
        self.scale = max(MIN_SCALE, min(1.0, PAGE_WIDTH_PT / (sheet_pt * _WIDTH_SAFETY)))

    @property
    def height_pt(self) -> float:
        """Usable page height in sheet points at this scale."""
        return PAGE_HEIGHT_PT * _SAFETY / self.scale

    def row(self, row: int, height: float = ROW_PT) -> None:
        """Give ``row`` its height and advance on the page; a row that does not fit starts
        the next page (an explicit break, so that the pages are where this layout
        counts them, never where the spreadsheet application would break by itself)."""
        self.ws.row_dimensions[row].height = height
        if self.used_pt > 0 and self.used_pt + height > self.height_pt:
            self.ws.row_breaks.append(Break(id=row - 1))
            self.used_pt = 0.0
        self.used_pt += height

    def fits(self, height: float) -> bool:
        """Whether ``height`` points still fit on this page."""
        return self.used_pt + height <= self.height_pt

    def new_page(self, row: int) -> None:
        """Start a new page at ``row``."""
        self.ws.row_breaks.append(Break(id=row - 1))
        self.used_pt = 0.0

    def keep(self, row: int, height: float) -> None:
        """Start a new page at ``row`` unless ``height`` points still fit on this one."""
        if self.used_pt > 0 and self.used_pt + height > self.height_pt:
            self.ws.row_breaks.append(Break(id=row - 1))
            self.used_pt = 0.0

    def finish(self) -> None:
        """Page setup: landscape A4, the scale, margins; the sheet's name in the page
        header and the page number in the footer, so that a printed page says where it
        comes from."""
        setup = self.ws.page_setup
        setup.orientation, setup.paperSize = "landscape", self.ws.PAPERSIZE_A4
        setup.scale = int(self.scale * 100)
        self.ws.sheet_properties.pageSetUpPr.fitToPage = False
        margins = self.ws.page_margins
        margins.left = margins.right = 0.5
        margins.top = margins.bottom = 0.4
        margins.header = margins.footer = 0.2
        self.ws.oddHeader.left.text = "&F"
        self.ws.oddHeader.right.text = "sheet: &A"
        self.ws.oddFooter.right.text = "page &P of &N"
        if not self.ws.row_breaks.brk:
            self.ws.row_breaks = RowBreak()
