"""The results workbook: tables a payer reads in a spreadsheet, without Python.

Every sheet has a bold, frozen header row, sensible widths and number formats
(costs in the model's currency and price year, QALYs to 3 decimals, ICERs as
currency per QALY or in words). Text that came from an input is always written
as text, never as a formula, and the file is written whole or not at all.
"""

from __future__ import annotations

import datetime as dt
import platform
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

import cea
from cea.analyses.deterministic import BaseCase
from cea.export.atomic import set_cell, write_atomically
from cea.spec import ModelSpec

HEADER_FILL = PatternFill("solid", fgColor="DDEBF7")
TITLE_FONT = Font(bold=True, size=12)
STATUS_WORDS = {"dominated": "dominated", "extended_dominated": "extendedly dominated"}


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
    if column in ("icer", "wtp"):
        return "#,##0"
    if column.startswith(MONEY_PREFIXES):
        return "#,##0.00;-#,##0.00"
    if column in ("qaly", "inc_qaly", "ly", "qaly_undiscounted", "ly_undiscounted"):
        return "0.000"
    return None


def header_label(column: str, currency: str) -> str:
    """Readable header: costs carry the currency and price year."""
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


def write_results(path: str | Path, base: BaseCase, extra: Sequence[SheetSpec] = ()) -> Path:
    """Write the results workbook for a base case (and any further analysis sheets)."""
    spec = base.spec
    currency = f"{spec.settings.currency} {spec.settings.price_year}"
    sheets = [base_case_sheet(base), *extra, trace_sheet(base), parameters_sheet(spec),
              provenance_sheet(spec)]

    def write(tmp: Path) -> None:
        book = openpyxl.Workbook()
        book.remove(book.active)
        for sheet in sheets:
            _write_sheet(book, sheet, currency)
        book.save(tmp)

    return write_atomically(path, write)


def base_case_sheet(base: BaseCase) -> SheetSpec:
    sheet = SheetSpec("base case")
    for perspective in base.perspectives:
        table = base.icer_table(perspective)
        table["icer"] = icer_words(table)
        sheet.blocks.append(Block(f"Incremental analysis, {perspective} perspective", table,
                                  "Rows in order of cost; ICERs along the frontier, each "
                                  "against the comparator column."))
        pair = base.pairwise(perspective)
        pair["icer"] = [v if isinstance(v, str) else v for v in _pair_icer(pair)]
        sheet.blocks.append(Block(f"Each strategy against {pair['reference'][0]}, "
                                  f"{perspective} perspective", pair))
    sheet.blocks.append(Block("Optimal strategy by threshold (highest net monetary benefit)",
                              base.optimal()))
    results = base.results()
    sheet.blocks.append(Block("All outcomes per strategy (discounted, and undiscounted where "
                              "marked)", results))
    return sheet


def icer_words(table: pd.DataFrame) -> list:
    """ICER column for payers: a number, or the words for a strategy without one."""
    words = []
    for status, icer, comparator in zip(table["status"], table["icer"], table["comparator"]):
        if status in STATUS_WORDS:
            words.append(STATUS_WORDS[status])
        elif not comparator:
            words.append("reference (cheapest)")
        else:
            words.append(float(icer))
    return words


def _pair_icer(pair: pd.DataFrame) -> list:
    out = []
    for verdict, icer in zip(pair["verdict"], pair["icer"]):
        out.append(float(icer) if np.isfinite(icer) else verdict)
    return out


def trace_sheet(base: BaseCase) -> SheetSpec:
    return SheetSpec("trace", [Block("Markov trace: share of the cohort in each state at the "
                                     "start of each cycle (cycle 0 = entry)", base.trace())])


def parameters_sheet(spec: ModelSpec) -> SheetSpec:
    rows = []
    for p in spec.parameters:
        rows.append({
            "name": p.name, "value": p.value if p.is_free else p.expression.text,
            "unit": p.unit, "description": p.description, "source": p.source,
            "low": p.low, "high": p.high,
            "distribution": p.distribution.describe() if p.distribution else "",
            "group": p.group,
        })
    strategies = pd.DataFrame([
        {"strategy": s.name, "description": s.description,
         "one-off costs": "; ".join(f"{k} = {e.text}" for k, e in s.oneoff.items()),
         "parameter overrides": "; ".join(f"{k} = {e.text}" for k, e in s.overrides.items())}
        for s in spec.strategies])
    return SheetSpec("parameters", [
        Block("Parameters (base values; expressions are derived parameters)",
              pd.DataFrame(rows)),
        Block("Strategies", strategies),
    ])


def provenance_sheet(spec: ModelSpec) -> SheetSpec:
    s = spec.settings
    rows = [
        ("package", f"cea {cea.__version__}"),
        ("python / numpy / pandas", f"{platform.python_version()} / {np.__version__} / "
                                    f"{pd.__version__}"),
        ("input file", spec.source),
        ("input SHA-256", spec.source_sha256),
        ("run at (UTC)", dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d %H:%M:%S")),
        ("model", s.model_name),
        ("currency and price year", f"{s.currency} {s.price_year}"),
        ("perspectives", "; ".join(f"{k}: {', '.join(v)}" for k, v in s.perspectives.items())),
        ("willingness to pay", ", ".join(f"{w:,.0f}" for w in s.wtp)),
        ("seed", s.seed),
        ("PSA draws (default)", s.psa_draws),
        *s.conventions().items(),
    ]
    return SheetSpec("provenance", [Block("Provenance and conventions",
                                          pd.DataFrame(rows, columns=["item", "value"]))])


def _write_sheet(book, sheet: SheetSpec, currency: str) -> None:
    ws = book.create_sheet(_sheet_title(sheet.name))
    ws.sheet_view.showGridLines = False
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
    from openpyxl.chart import BarChart, LineChart, Reference, ScatterChart, Series

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
