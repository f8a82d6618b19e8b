"""One-way analysis: the tornado per perspective (table, native chart, PNG) and every result."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from cea.analyses.one_way import OneWayResult
from cea.analyses.ranges import MONEY, OUTCOMES, Selection
from cea.export.excel import Block, Chart, SheetSpec
from cea.export.labels import parameter_words, slug
from cea.export.present import figures, owned, sheets
from cea.model.spec import ModelSpec

__all__ = []


@sheets.register
def _sheets(result: OneWayResult) -> list[SheetSpec]:
    """One sheet ``one-way``: per perspective a ranked tornado table and its chart, then
    every result."""
    sheet = SheetSpec("one-way")
    tables, charts = [], []  # the tables, then the charts side by side
    for perspective in result.spec.settings.perspectives:
        table, chart = _tornado_blocks(worded(result.tornado(perspective=perspective),
                                              result.spec), result.spec)
        tables.append(table)
        charts.append(chart)
    sheet.blocks += [*tables, *charts]
    note = "Each parameter varied alone, every other free parameter at its base value."
    if result.skipped:
        note += f" Not varied (no range or distribution): {', '.join(result.skipped)}."
    sheet.blocks.append(Block("All one-way results (incrementals against "
                              f"{result.spec.strategy_names[0]})", result.to_frame(),
                              note, data=True))
    return [sheet]


@figures.register
def _figures(result: OneWayResult, out_dir: Path, name: str) -> list[Path]:
    """One tornado PNG per perspective: ``<model>_tornado_<perspective>.png``."""
    # matplotlib is imported where figures are drawn, not when the package loads (start-up)
    from cea.export.figures.tornado import tornado_figure

    paths = []
    for perspective in result.spec.settings.perspectives:
        table = worded(result.tornado(perspective=perspective), result.spec)
        path = Path(out_dir) / f"{name}_tornado_{slug(perspective)}.png"
        paths.append(tornado_figure(table, path, title=f"{name}: one-way sensitivity, "
                                    f"{perspective} perspective",
                                    currency=result.spec.settings.money))
    return paths


def worded(table: pd.DataFrame, spec: ModelSpec) -> pd.DataFrame:
    """The tornado table with parameters in the reader's words (their labels): the
    ``parameter`` column, and ``label`` (``name (low / high)``) with the name replaced."""
    words = parameter_words(spec)
    out = table.copy()
    out["label"] = [words(p) + label[len(p):] if label.startswith(p) else label
                    for p, label in zip(table["parameter"], table["label"])]
    out["parameter"] = [words(p) for p in table["parameter"]]
    return out


#: Parameters shown in the printed tornado (all of them are in the one-way table).
TOP = 15


def _tornado_blocks(table: pd.DataFrame, spec: ModelSpec) -> list[Block]:
    sel: Selection = table.attrs["selection"]
    text = table.attrs["description"]
    ranked = table.drop(columns=["label", "optimal_low", "optimal_high"],
                        errors="ignore").head(TOP)
    note = ("Ranked by swing |high - low|. decision changes: the optimal strategy (highest NMB "
            f"at {sel.wtp:,.0f}) at the low or high value differs from the base case's "
            f"({table['optimal_base'].iloc[0] if len(table) else ''}); the optimal strategy at "
            "each end is in the one-way table.")
    moving = table[table["swing"] > 0].head(TOP)  # zero-swing parameters listed, not drawn
    chart_data = pd.DataFrame({
        "label": moving["label"],
        "change_at_low": moving["outcome_low"] - moving["outcome_base"],
        "change_at_high": moving["outcome_high"] - moving["outcome_base"],
    }).iloc[::-1].reset_index(drop=True)
    unit = f" ({spec.settings.money})" if sel.outcome in MONEY else ""
    chart = Chart(kind="bar", x="label", y=("change_at_low", "change_at_high"),
                  title=f"Tornado: {OUTCOMES[sel.outcome]}, {sel.perspective}",
                  y_title=f"change from base case {table['outcome_base'].iloc[0]:,.4g}{unit}",
                  y_format="#,##0"
                  if len(table) else "")
    if len(table) > TOP:
        note += f" The {TOP} largest swings of {len(table)}; all are in the one-way table."
    return [Block(f"Tornado: {text}", ranked, note),
            Block(f"Tornado chart: change from the base case, {sel.perspective} "
                  "(smallest swing first, so the largest bar is on top)", chart_data,
                  _zero_note(ranked), chart=chart, data=True)]


def _zero_note(ranked) -> str:
    """The parameters left out of the tornado chart because they move nothing."""
    flat = ranked.loc[ranked["swing"] == 0, "parameter"].tolist() if "swing" in ranked else []
    return ("Not drawn (no change at either end): " + ", ".join(flat) + ".") if flat else ""


@owned.register
def _owned(result: OneWayResult, name: str) -> list[str]:
    return [f"{name}_tornado_*.png"]
