"""Budget impact: the payer's financial estimates, laid out as a submission's financial
sheet (line items in rows, budget years in columns), with a native chart, a PNG, a CSV,
the report's section and the terminal's table."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from cea.analyses.budget import INTERVAL, BudgetResult
from cea.export.excel import Block, Chart, SheetSpec
from cea.export.present import figures, files, owned, sheets, summary
from cea.export.tables import write_csv
from cea.model.budget_items import ITEM_BY_KEY

#: Inputs shown in the printed one-way table and tornado chart.
TOP = 10
#: Inputs drawn in the tornado chart (it prints beside the costs chart, under the table).
TOP_CHART = 6

__all__ = ["all_years", "assumptions", "financial_table", "method_note", "outcome_table",
           "title", "tornado_table", "years"]


def title(result: BudgetResult) -> str:
    b = result.budget
    rate = "undiscounted" if not b.discount else f"discounted at {b.discount:.1%} a year"
    return (f"Budget impact of funding {b.new_strategy}, {b.perspective} perspective "
            f"({_money(result)}, {rate})")


def _money(result: BudgetResult) -> str:
    s = result.spec.settings
    year = result.budget.price_year or s.price_year
    return f"{s.currency} {year}".strip() if year else s.currency


def years(result: BudgetResult) -> list[str]:
    return [f"year {y}" for y in range(1, result.budget.years + 1)]


def all_years(result: BudgetResult) -> str:
    n = result.budget.years
    return f"years 1-{n}" if n > 1 else "all years"


def financial_table(result: BudgetResult) -> pd.DataFrame:
    """Line items by budget year and over all years: people eligible and treated, each
    world's cost by category and in total, the net budget impact and its PSA interval."""
    t = result.table()
    columns, total = years(result), all_years(result)
    b = result.budget
    lines: list[tuple[str, np.ndarray]] = [
        ("people eligible", t["eligible"].to_numpy()),
        (f"people treated with {b.new_strategy}", t["treated"].to_numpy()),
    ]
    costs = result.costs()
    for world, column in (("without", "cost_without"), ("with", "cost_with")):
        for category in result.categories:
            part = costs[costs["category"] == category][column].to_numpy()
            if not part.any():
                continue  # a category this world does not pay for (e.g. no programme)
            lines.append((f"{category} cost, {world} {b.new_strategy}",
                          np.r_[part, part.sum()]))
        lines.append((f"total cost, {world} {b.new_strategy}", t[column].to_numpy()))
    lines.append(("net budget impact", t["net_budget_impact"].to_numpy()))
    if result.draws is not None:
        lines += [("net budget impact, 95% interval low", t["net_low"].to_numpy()),
                  ("net budget impact, 95% interval high", t["net_high"].to_numpy())]
    for category in result.spec.cost_categories:
        if category not in result.categories:  # shown for the reader, not counted
            part = costs[costs["category"] == category]["difference"].to_numpy()
            lines.append((f"{category} cost difference (not counted by this payer)",
                          np.r_[part, part.sum()]))
    return pd.DataFrame([[name, *values] for name, values in lines],
                        columns=["line", *columns, total])


def outcome_table(result: BudgetResult) -> pd.DataFrame:
    """Each outcome the model counts, by year: in each world and the number averted."""
    frame = result.outcomes()
    columns, total = years(result), all_years(result)
    new = result.budget.new_strategy
    rows = []
    for outcome, part in frame.groupby("outcome", sort=False):
        words = outcome.replace("_", " ")
        for column, label in (("without", f"{words}, without {new}"),
                              ("with", f"{words}, with {new}"),
                              ("averted", f"{words} averted")):
            values = part[column].to_numpy()
            rows.append([label, *values, values.sum()])
    return pd.DataFrame(rows, columns=["line", *columns, total])


def averted(result: BudgetResult) -> pd.DataFrame:
    """The lines of :func:`outcome_table` that count what is averted."""
    table = outcome_table(result)
    return table[table["line"].str.endswith(" averted")].reset_index(drop=True)


def method_note(result: BudgetResult) -> str:
    """How the budget is counted, in words."""
    b, s = result.budget, result.spec.settings
    followed = result.n_cycles * s.cycle_years
    entry = ("spread evenly through their year of entry" if b.entry == "spread"
             else "on the first day of their year of entry")
    others = [c for c in result.spec.cost_categories if c not in result.categories]
    parts = [
        f"Each year's eligible people enter the model {entry}; their costs fall in the "
        f"calendar year in which they are incurred, each cohort followed for "
        f"{followed:.3g} years ({result.n_cycles} cycles"
        + (", the model's horizon extended to the budget years" if result.n_cycles
           > s.n_cycles else "") + ").",
        f"The payer counts {', '.join(result.categories)}"
        + (f"; {', '.join(others)} is shown but not counted." if others else "."),
        "Net budget impact = total cost with minus total cost without; negative = savings.",
    ]
    if b.existing:
        parts.append(f"{sum(b.existing.values()):,.0f} people already in the model's states "
                     "at the start of year 1 are counted in year 1, on year 1's shares.")
    if result.draws is not None:
        parts.append(f"Interval: {INTERVAL[0]:g}th to {INTERVAL[1]:g}th percentiles of "
                     f"{len(result.draws):,} PSA draws (seed {result.seed}); eligible people "
                     "and uptake are not sampled (see the one-way and scenario tables).")
    return " ".join(parts)


def assumptions(spec) -> pd.DataFrame:
    """The budget sheet's inputs of ``spec``: item, value, range, derivation and source (as
    the inputs sheet prints them)."""
    b = spec.budget
    categories = ", ".join(spec.settings.perspectives.get(b.perspective, ()))
    rows = [("budget years", str(b.years), "", "", ""),
            ("new strategy", b.new_strategy, "", "", ""),
            ("payer's perspective", b.perspective, "", categories, ""),
            ("entry in the year", b.entry, "", ITEM_BY_KEY["entry"].doc, ""),
            ("discount rate", f"{b.discount:.1%}", "", "", "")]
    rows += _yearly_rows("eligible people", b.eligible, share=False)
    for world in ("with", "without"):
        for name, values in b.uptake[world].items():
            rows += _yearly_rows(f"uptake of {name}, world {world}", values, share=True)
    for state, count in b.existing.items():
        rows.append((f"existing people in {state}", f"{count:,.0f}", "", "", ""))
    frame = pd.DataFrame(rows, columns=["input", "value", "range", "derivation", "source"])
    frame["derivation and source"] = [
        "; ".join(part for part in (d, f"Source: {src}" if src else "") if part)
        for d, src in zip(frame["derivation"], frame["source"])]
    return frame.drop(columns=["derivation", "source"])


def _yearly_rows(label: str, values, share: bool) -> list[tuple]:
    """One row per yearly input: its value (first and last year where it changes), its
    range, and its derivations and sources, each said once."""
    def fmt(v):
        return f"{v:.1%}" if share else f"{v:,.0f}"

    n = len(values)
    first, last = values[0], values[-1]
    same = all(v.value == first.value and v.low == first.low and v.high == first.high
               for v in values)
    when = "year 1" if n == 1 else f"years 1-{n}"
    if same:
        value = fmt(first.value)
        span = "" if first.low is None else f"{fmt(first.low)} to {fmt(first.high)}"
    else:
        value = f"{fmt(first.value)} in year 1 to {fmt(last.value)} in year {n}"
        span = "" if first.low is None or last.low is None else (
            f"{fmt(first.low)} to {fmt(first.high)} in year 1; {fmt(last.low)} to "
            f"{fmt(last.high)} in year {n}")
    words = "; ".join(dict.fromkeys(v.description for v in values if v.description))
    sources = "; ".join(dict.fromkeys(v.source for v in values if v.source))
    return [(f"{label}, {when}", value, span, words, sources)]

def tornado_table(result: BudgetResult) -> pd.DataFrame:
    """The inputs that move the budget, largest swing first."""
    t = result.tornado()
    t = t[t["swing"] > 0]
    return pd.DataFrame({"input": t["input"], "low": t["low"], "high": t["high"],
                         "net at low": t["net_at_low"], "net at high": t["net_at_high"],
                         "net swing": t["swing"]})


def _distinct_scenarios(result: BudgetResult) -> tuple[pd.DataFrame, list[str]]:
    """The scenarios whose budget differs from the base case's, and the names of those
    that give the same budget (rounded to the unit)."""
    table = result.scenarios
    years = [c for c in table.columns if c.startswith("year")]
    values = table[years].to_numpy(dtype=float).round(0)
    same = [i for i in range(1, len(table)) if np.array_equal(values[i], values[0])]
    names = table["scenario"].iloc[same].tolist()
    table = table.drop(index=table.index[same]).reset_index(drop=True)
    if not table["note"].astype(bool).any():
        table = table.drop(columns="note")
    return table, names


def _unmoved(result: BudgetResult) -> str:
    flat = int((result.tornado()["swing"] == 0).sum())
    return (f" {flat} inputs leave it unchanged at both ends (utilities and work absence, "
            "which the payer does not count, among them)." if flat and
            _payer_excludes(result) else
            f" {flat} inputs leave it unchanged at both ends." if flat else "")


def _payer_excludes(result: BudgetResult) -> bool:
    return any(c not in result.categories for c in result.spec.cost_categories)


@sheets.register
def _sheets(result: BudgetResult) -> list[SheetSpec]:
    """One printed sheet ``budget impact``: the financial table and its chart, the outcomes,
    the one-way and scenario analyses, and the inputs with their sources."""
    money = _money(result)
    yearly = result.table().iloc[:-1]
    chart_data = pd.DataFrame({"year": yearly["year"],
                               "total cost, world without": yearly["cost_without"],
                               "total cost, world with": yearly["cost_with"],
                               "net budget impact": yearly["net_budget_impact"]})
    chart = Chart(kind="column", x="year", y=tuple(chart_data.columns[1:]),
                  title="Costs to the payer by year", x_title="budget year",
                  y_title=money, y_format="#,##0", overlap=False)
    tornado = result.tornado()
    tornado = tornado[tornado["swing"] > 0].head(TOP_CHART)
    tornado_chart = pd.DataFrame({
        "input": tornado["input"],
        "change_at_low": tornado["net_at_low"] - tornado["net_base"],
        "change_at_high": tornado["net_at_high"] - tornado["net_base"],
    }).iloc[::-1].reset_index(drop=True)
    base_total = float(result.net.sum())
    moving = tornado_table(result)
    scenarios, same = _distinct_scenarios(result)
    blocks = [
        Block(title(result), financial_table(result), method_note(result)),
        Block("Costs to the payer by year", chart_data,
              chart=chart, data=True),
        Block(f"Tornado: net budget impact, {all_years(result)}", tornado_chart, chart=Chart(
                  kind="bar", x="input", y=("change_at_low", "change_at_high"),
                  title="Net budget impact",
                  y_title=f"change from {base_total:,.0f} ({money})", y_format="#,##0"),
              data=True),
        *([Block(f"Averted by funding {result.budget.new_strategy}, by year (undiscounted)",
                 averted(result), "What the model counts, in the whole eligible population: "
                 "the world without minus the world with (each world's counts are in the "
                 "table below, not printed)."),
           Block("What the model counts in each world, by year", outcome_table(result),
                 data=True)] if result.spec.outcomes else []),
        Block(f"One-way analysis of the net budget impact over {all_years(result)} "
              f"({money}): each input at its low and high value", moving.head(TOP),
              f"Base case {base_total:,.0f}. Model parameters vary on their one-way ranges; "
              "eligible people and uptake on the budget sheet's ranges, every year at once. "
              "Ranked by swing" + (f"; the {TOP} largest of {len(moving)} shown, all in the "
                                   "table of every input" if len(moving) > TOP else "")
              + "." + _unmoved(result) + " The budget's inputs and their sources are on "
              "the inputs sheet."),
        Block(f"Scenario analysis: net budget impact by year ({money})", scenarios,
              "Each scenario of the scenarios sheet, run over the budget."
              + (f" The same as the base case, to the unit in every year: {', '.join(same)} "
                 "(what they change is not in the payer's budget: discounting, the model's "
                 "horizon, utilities or work absence)." if same else "")),
        Block("One-way analysis of the net budget impact: every input", result.tornado(),
              data=True),
    ]
    return [SheetSpec("budget impact", blocks)]


@summary.register
def _summary(result: BudgetResult) -> list[Block]:
    t = financial_table(result)
    keep = t["line"].str.startswith(("people treated", "net budget impact"))
    return [Block(title(result), t[keep].reset_index(drop=True),
                  "The budget impact sheet has the costs by category, the outcomes averted, "
                  "the one-way and scenario analyses and the inputs' sources.")]


@figures.register
def _figures(result: BudgetResult, out_dir: Path, name: str) -> list[Path]:
    """``<model>_budget.png``: each world's cost and the net budget impact by year."""
    # matplotlib is imported where figures are drawn, not when the package loads (start-up)
    from cea.export.figures.budget import budget_figure

    return [budget_figure(result, Path(out_dir) / f"{name}_budget.png",
                          title=f"{name}: {title(result)}", currency=_money(result))]


@files.register
def _files(result: BudgetResult, out_dir: Path, name: str) -> list[Path]:
    """``<model>_budget.csv``: the yearly table (tidy), for R or a spreadsheet."""
    return [write_csv(result.to_frame(), Path(out_dir) / f"{name}_budget.csv")]


@owned.register
def _owned(result: BudgetResult, name: str) -> list[str]:
    return [f"{name}_budget.png", f"{name}_budget.csv"]

