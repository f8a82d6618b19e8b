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

__all__ = ["MIN_SCALE", "ROW_PT", "TEXT_WIDTH", "Page", "lines", "width_pt"]

#: Widest a column gets for text (characters); longer text wraps.
TEXT_WIDTH = 28
#: Widest a column gets for a header (characters); longer headers wrap.
HEADER_WIDTH = 11
#: Height of one line of 11-point text (points).
ROW_PT = 15.0
#: Smallest print scale (below it, text is too small to read; wide sheets spill across).
MIN_SCALE = 0.6
#: A4 landscape less 0.5 inch margins left and right, 0.4 inch top and bottom (points).
PAGE_WIDTH_PT, PAGE_HEIGHT_PT = 11.69 * 72 - 72, 8.27 * 72 - 57.6
_SAFETY = 0.95  # of the page height, for LibreOffice's own rounding
_WIDTH_SAFETY = 1.03  # for font metrics


def width_pt(width: float) -> float:
    """Printed width (points) of a column of ``width`` characters, as LibreOffice prints it
    (measured: 15 columns of width 7, 5 of width 20 and 3 of 30 fit on an A4 landscape
    page with 0.5-inch margins at 100%)."""
    return 7.2 * width


def lines(text: str, width: float) -> int:
    """Lines ``text`` wraps to in a column of ``width`` characters."""
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
        """Give ``row`` its height and advance on the page (a long table breaks by
        itself)."""
        self.ws.row_dimensions[row].height = height
        self.used_pt += height
        if self.used_pt > self.height_pt:
            self.used_pt = height

    def keep(self, row: int, height: float) -> None:
        """Start a new page at ``row`` unless ``height`` points still fit on this one."""
        if self.used_pt > 0 and self.used_pt + height > self.height_pt:
            self.ws.row_breaks.append(Break(id=row - 1))
            self.used_pt = 0.0

    def finish(self) -> None:
        """Page setup: landscape A4, the scale, margins."""
        setup = self.ws.page_setup
        setup.orientation, setup.paperSize = "landscape", self.ws.PAPERSIZE_A4
        setup.scale = int(self.scale * 100)
        self.ws.sheet_properties.pageSetUpPr.fitToPage = False
        margins = self.ws.page_margins
        margins.left = margins.right = 0.5
        margins.top = margins.bottom = 0.4
        margins.header = margins.footer = 0.2
        if not self.ws.row_breaks.brk:
            self.ws.row_breaks = RowBreak()
