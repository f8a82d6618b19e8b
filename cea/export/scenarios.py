"""Scenario results: what each scenario changes, then one table per perspective with every
scenario's incremental analysis and optimal strategy at each threshold."""

from __future__ import annotations

import pandas as pd

from cea.analyses.scenarios import ScenarioResults
from cea.export.excel import Block, SheetSpec
from cea.export.labels import icer_words
from cea.export.present import sheets

__all__ = ["scenario_table"]


def scenario_table(result: ScenarioResults, perspective: str) -> pd.DataFrame:
    """Per scenario (the base case first) and strategy: costs, QALYs, increments, the ICER
    in words and status; then the optimal strategy at each threshold, on the scenario's
    first row."""
    parts = []
    for scenario, base in result.results:
        table = base.icer_table(perspective)
        table["icer"] = icer_words(table)
        table = table[["strategy", "cost", "qaly", "inc_cost", "inc_qaly", "icer", "status",
                       "comparator"]].copy()
        table.insert(0, "scenario", scenario.name)
        for _, line in base.optimal().query("perspective == @perspective").iterrows():
            table[f"optimal at {line.wtp:,.0f}"] = [line.optimal] + [""] * (len(table) - 1)
        parts.append(table)
    return pd.concat(parts, ignore_index=True)


@sheets.register
def _sheets(result: ScenarioResults) -> list[SheetSpec]:
    described = pd.DataFrame([
        {"scenario": scenario.name, "what it asks, and what it changes":
            f"{scenario.description} (" + ("; ".join(f"{c.target} = {c.value}" for c in
                                                      scenario.changes) or "no change") + ")"}
        for scenario, _ in result.results])
    sheet = SheetSpec("scenarios", [Block("Scenarios: what each one changes", described)])
    perspectives = result.results[0][1].perspectives
    for perspective in perspectives:
        sheet.blocks.append(Block(
            f"Scenario results, {perspective} perspective", scenario_table(result, perspective),
            "Each scenario changes the base case as listed above and nothing else; rows in "
            "order of cost within a scenario, ICERs along its frontier; the optimal strategy "
            "has the highest net monetary benefit at the threshold."))
    return [sheet]
