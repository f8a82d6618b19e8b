"""Scenario results: the optimal strategy by scenario, then each scenario's ICER tables."""

from __future__ import annotations

import pandas as pd

from cea.analyses.scenarios import ScenarioResults
from cea.export.excel import Block, SheetSpec
from cea.export.labels import icer_words
from cea.export.present import sheets

__all__ = []


@sheets.register
def _sheets(result: ScenarioResults) -> list[SheetSpec]:
    sheet = SheetSpec("scenarios", [Block("Optimal strategy by scenario, perspective and "
                                          "threshold", _flat(result.summary()))])
    for scenario, base in result.results:
        changes = "; ".join(f"{c.target} = {c.value}" for c in scenario.changes) or "none"
        for perspective in base.perspectives:
            table = base.icer_table(perspective)
            table["icer"] = icer_words(table)
            table = table[["strategy", "cost", "qaly", "inc_cost", "inc_qaly", "icer",
                           "status", "comparator"]]
            sheet.blocks.append(Block(f"{scenario.name}, {perspective} perspective", table,
                                      f"{scenario.description} (changes: {changes})"))
    return [sheet]


def _flat(frame: pd.DataFrame) -> pd.DataFrame:
    frame = frame.copy()
    frame.columns = [c if isinstance(c, str) else f"optimal at {c:,.0f}" for c in frame.columns]
    return frame
