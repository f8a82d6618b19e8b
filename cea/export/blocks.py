"""The pieces of a results workbook: sheets of titled blocks (tables, optionally with a
chart), and how a column's name becomes its header label and number format."""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

__all__ = ["LABELS", "MONEY_PREFIXES", "Block", "Chart", "SheetSpec", "header_label",
           "number_format"]


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
    x_format: str = ""  # number format of the x-axis labels (blank: general)
    y_format: str = ""
    #: bar charts: series drawn over each other (a tornado's low and high bars, on both
    #: sides of zero) or, when False, side by side (e.g. a bar per threshold)
    overlap: bool = True
    #: value-axis bounds (e.g. (0, 1) for probabilities); None: chosen by the application
    y_range: tuple[float, float] | None = None
    #: height on the sheet (cm); None: the default for the kind
    height_cm: float | None = None


@dataclass
class Block:
    """A titled table within a sheet, optionally with a chart above it.

    A ``data`` block's table is a chart's raw data (e.g. the PSA draws behind the CE
    plane): its chart prints on the sheet, the table goes to the ``chart data`` sheet,
    outside the print area."""

    title: str
    frame: pd.DataFrame
    note: str = ""
    chart: Chart | None = None
    #: the table is the chart's raw data: written, but outside the print area
    data: bool = False
    #: a text column printed on a line of its own under each row, across the table's
    #: width (e.g. a parameter's description and source under its value)
    detail: str | None = None

    def columns_frame(self) -> pd.DataFrame:
        """The table without its :attr:`detail` column (the columns that get headers)."""
        return self.frame.drop(columns=[self.detail]) if self.detail else self.frame


@dataclass
class SheetSpec:
    name: str
    blocks: list[Block] = field(default_factory=list)
    #: print scale the sheet's text columns are fitted for (an appendix of long text,
    #: such as the inputs with their sources, prints smaller with fewer wrapped lines)
    fit_scale: float | None = None
    #: False: a sheet of tables for analysts (e.g. the whole Markov trace), which prints
    #: no page; its tables are written without print layout
    printed: bool = True


#: Columns of a budget impact's tables: people and money to the unit.
BUDGET_PREFIXES = ("year ", "years ", "net ", "total cost, world")

MONEY_PREFIXES = ("cost", "inc_cost", "nmb", "inc_nmb", "c_", "price", "one_off_cost",
                  "change_at", "swing", "evpi", "evppi")


def number_format(column: str, currency: str) -> str | None:
    """Excel number format for a result column, by its name."""
    if column == "value or expression":  # an input as the analyst typed it
        return "General"
    if column in ("icer", "wtp", "published ICER") or " per 1,000" in column:
        return "#,##0"
    if column.startswith(BUDGET_PREFIXES):  # a budget's people and money, by year
        return "#,##0"
    if "P(cost-effective)" in column or column.endswith("(years)"):
        return "0.00"
    if column.startswith(MONEY_PREFIXES) or f"({currency})" in column:
        return "#,##0.00;-#,##0.00"
    return None


LABELS = {"qaly": "QALYs", "inc_qaly": "incremental QALYs", "ly": "life-years",
          "cost": "total cost", "inc_cost": "incremental cost", "inc_nmb": "incremental NMB",
          "status": "status", "comparator": "compared with"}
#: Plain words for other identifiers that appear as column names ({money}: currency).
WORDS = {"qaly_undiscounted": "QALYs, undiscounted", "ly_undiscounted": "life-years, "
         "undiscounted", "evpi": "EVPI per person ({money})", "evpi_population":
         "population EVPI ({money})", "evppi": "EVPPI per person ({money})",
         "evppi_population": "population EVPI of the parameters ({money})",
         "change_at_low": "change at low value", "change_at_high": "change at high value",
         "inc_nmb_low": "incremental NMB at low ({money})", "inc_nmb_high":
         "incremental NMB at high ({money})", "one_off_cost": "one-off cost ({money})",
         "price": "value-based price ({money})", "swing": "swing", "sum_S1": "sum of S1",
         "top_ST": "largest total-order indices (ST)", "max_ST_width": "widest ST interval",
         "decision_changes": "decision changes", "wtp":
         "threshold per QALY", "p_optimal": "probability cost-effective"}


def header_label(column: str, currency: str) -> str:
    """Readable header in plain words; money carries the currency and price year."""
    if column in ("cost", "inc_cost", "inc_nmb"):
        return f"{LABELS[column]} ({currency})"
    if column in LABELS:
        return LABELS[column]
    if column == "icer":
        return f"ICER ({currency} per QALY)"
    for prefix, words in (("nmb_", "NMB at"), ("p_ce_", "P(cost-effective) at")):
        if column.startswith(prefix):
            try:
                tail = f" ({currency})" if prefix == "nmb_" else ""
                return f"{words} {float(column[len(prefix):]):,.0f}{tail}"
            except ValueError:
                break
    for prefix, words in (("inc_cost_", "incremental {} cost"), ("cost_", "{} cost")):
        if column.startswith(prefix):
            name = column[len(prefix):]
            undiscounted = name.endswith("_undiscounted")
            name = name.removesuffix("_undiscounted").replace("_", " ")
            return (words.format(name) + (", undiscounted" if undiscounted else "")
                    + f" ({currency})")
    if column in WORDS:
        text = WORDS[column]
        return text.format(money=currency)
    return column.replace("_", " ")
