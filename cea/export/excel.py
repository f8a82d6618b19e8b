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


def write_results(path: str | Path, base: BaseCase, extra: Sequence[SheetSpec] = (),
                  summary: Sequence[Block] = ()) -> Path:
    """Write the results workbook: summary, base case, analyses, inputs, trace, provenance.

    ``extra`` are the analyses' sheets, in reading order; ``summary`` are blocks
    the analyses add to the one-screen summary (e.g. the probability of being
    cost-effective). Returns the path written, which differs from ``path`` if
    that file is open in a spreadsheet application or was saved by one since
    ``cea`` wrote it (see :func:`safe_target`).
    """
    spec = base.spec
    currency = f"{spec.settings.currency} {spec.settings.price_year}"
    sheets = [summary_sheet(base, summary), base_case_sheet(base), *extra,
              inputs_sheet(spec), trace_sheet(base), provenance_sheet(spec)]

    def write(tmp: Path) -> None:
        book = openpyxl.Workbook()
        book.remove(book.active)
        book.properties.creator = CREATOR
        book.properties.lastModifiedBy = CREATOR
        for sheet in sheets:
            _write_sheet(book, sheet, currency)
        book.save(tmp)

    return write_atomically(safe_target(Path(path)), write)


CREATOR = "cea"


def write_sheets(path: str | Path, sheets: Sequence[SheetSpec], currency: str) -> Path:
    """Write a workbook of the given sheets only (e.g. a calibration report)."""

    def write(tmp: Path) -> None:
        book = openpyxl.Workbook()
        book.remove(book.active)
        book.properties.creator = book.properties.lastModifiedBy = CREATOR
        for sheet in sheets:
            _write_sheet(book, sheet, currency)
        book.save(tmp)

    return write_atomically(safe_target(Path(path)), write)


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


def summary_sheet(base: BaseCase, extra: Sequence[Block] = ()) -> SheetSpec:
    """The decision on one screen: per perspective the ICER table and the optimal strategy."""
    spec = base.spec
    s = spec.settings
    sheet = SheetSpec("summary")
    for perspective in base.perspectives:
        table = base.icer_table(perspective)
        shown = table[["strategy", "cost", "qaly", "inc_cost", "inc_qaly"]].copy()
        shown["icer"] = icer_words(table)
        pair = base.pairwise(perspective)
        verdicts = dict(zip(pair["strategy"], pair["verdict"]))
        shown[f"against {pair['reference'][0]}"] = [verdicts[x] for x in table["strategy"]]
        categories = ", ".join(s.perspectives[perspective])
        sheet.blocks.append(Block(f"{perspective} perspective: costs ({categories}) and "
                                  "QALYs, discounted", shown,
                                  "Rows in order of cost; ICERs along the cost-effectiveness "
                                  "frontier."))
    optimal = base.optimal().pivot(index="wtp", columns="perspective", values="optimal")
    sheet.blocks.append(Block("Optimal strategy (highest net monetary benefit) at each "
                              "threshold", optimal.reset_index()))
    sheet.blocks.extend(extra)
    settings = pd.DataFrame([
        ("time horizon", f"{s.horizon:g} {s.horizon_unit}(s) ({s.horizon_years:.2f} years), "
                         f"{s.n_cycles} cycles of {s.cycle_length:g} {s.cycle_unit}(s)"),
        ("discount rates", f"costs {s.discount_costs:.1%}, outcomes {s.discount_outcomes:.1%} "
                           "a year"),
        ("perspectives", "; ".join(f"{k}: {', '.join(v)}" for k, v in s.perspectives.items())),
        ("currency and price year", f"{s.currency} {s.price_year}"),
        ("thresholds (per QALY)", ", ".join(f"{w:,.0f}" for w in s.wtp)),
        ("input workbook", f"{spec.source} (SHA-256 {spec.source_sha256[:16]}...)"),
    ], columns=["setting", "value"])
    sheet.blocks.append(Block("Key settings (all conventions in the provenance sheet)",
                              settings))
    return sheet


def base_case_sheet(base: BaseCase) -> SheetSpec:
    sheet = SheetSpec("base case")
    for perspective in base.perspectives:
        table = base.icer_table(perspective)
        table["icer"] = icer_words(table)
        sheet.blocks.append(Block(f"Incremental analysis, {perspective} perspective", table,
                                  "Rows in order of cost; ICERs along the frontier, each "
                                  "against the comparator column."))
        pair = base.pairwise(perspective)
        pair["icer"] = _pair_icer(pair)
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


def inputs_sheet(spec: ModelSpec) -> SheetSpec:
    """Every input as the workbook gave it: parameters, states, transitions, strategies."""
    rows = []
    for p in spec.parameters:
        rows.append({
            "name": p.name, "value": p.value if p.is_free else p.expression.text,
            "unit": p.unit, "description": p.description, "source": p.source,
            "low": p.low, "high": p.high,
            "distribution": p.distribution.describe() if p.distribution else "",
            "group": p.group,
        })
    states = pd.DataFrame([
        {"state": st.name, "description": st.description, "initial": st.initial,
         "dead": "yes" if st.dead else "", "tunnel": st.tunnel if st.tunnel > 1 else None,
         **{k: e.text for k, e in st.rewards.items()}} for st in spec.states])
    transitions = pd.DataFrame([
        {"from": t.from_state, "to": t.to_state,
         **{name: ("C" if e is None else e.text) for name, e in t.expressions.items()}}
        for t in spec.transitions])
    rewards = pd.DataFrame([
        {"from": r.from_state, "to": r.to_state, "reward": r.reward, "value": r.value.text,
         "description": r.description} for r in spec.transition_rewards])
    strategies = pd.DataFrame([
        {"strategy": s.name, "description": s.description,
         "one-off at time 0": "; ".join(f"{k} = {e.text}" for k, e in s.oneoff.items()),
         "parameter overrides": "; ".join(f"{k} = {e.text}" for k, e in s.overrides.items())}
        for s in spec.strategies])
    blocks = [
        Block("Parameters (a value that is an expression is derived from other parameters)",
              pd.DataFrame(rows)),
        Block("States (rewards per cycle)", states),
        Block("Transitions: probability per cycle, by strategy (C = the remainder)",
              transitions),
    ]
    if len(rewards):
        blocks.append(Block("Transition rewards (one-off, per transition)", rewards))
    blocks.append(Block("Strategies (the first is the comparator)", strategies))
    return SheetSpec("inputs", blocks)


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
