"""The stepped evaluation: one sheet with the steps, the reconciliation and the thresholds."""

from __future__ import annotations

import numpy as np
import pandas as pd

from cea.analyses.steps import SteppedResult
from cea.export.excel import Block, SheetSpec
from cea.export.labels import parameter_words, with_words
from cea.export.present import sheets

__all__ = ["step_table"]


def step_table(result: SteppedResult) -> pd.DataFrame:
    """The steps as a reader sees them: increments by category, QALYs, ICER in words,
    probability cost-effective, and the published result beside its step."""
    t = result.table
    names = [n + (" (base case)" if b else "") for n, b in zip(t["name"], t["base_case"])]
    frame = pd.DataFrame({"step": t["step"], "step name": names,
                          "perspective, horizon": [
                              f"{p}, {y:.3g} year{'' if y == 1 else 's'}"
                              for p, y in zip(t["perspective"], t["horizon_years"])],
                          "strategy": t["strategy"] + " vs " + t["comparator"]})
    for column in t.columns:
        if column.startswith("inc_cost_"):
            frame[column] = t[column]
    frame["inc_cost"] = t["inc_cost"]
    frame["inc_qaly"] = t["inc_qaly"]
    frame["icer"] = [_icer(v, i) for v, i in zip(t["verdict"], t["icer"])]
    for column in t.columns:
        if column.startswith("p_ce_"):
            frame[f"P(cost-effective) at {float(column[5:]):,.0f}"] = t[column]
    frame["published ICER"] = t["reference_icer"]
    frame["published P(cost-effective)"] = t["reference_probability"]
    return frame


@sheets.register
def _sheets(result: SteppedResult) -> list[SheetSpec]:
    blocks = [Block("Stepped evaluation: from the published result to the model, one step at "
                    "a time", step_table(result),
                    "Each step adds its changes to those of the steps above it; increments "
                    "are against the comparator, discounted as the step says; P(cost-"
                    f"effective) from a PSA of each step ({result.n_draws:,} draws, seed "
                    f"{result.seed}, the same draws for every step).")]
    sources = result.table.loc[result.table["reference_source"] != "", "reference_source"]
    if len(result.reconciliation):
        blocks.append(Block(
            "Reconciliation with the published ICER, by component", result.reconciliation,
            "needed: the value that component alone would need, everything else as the "
            "model has it, for the model to give the published ICER. Published: "
            + "; ".join(dict.fromkeys(sources))))
    if len(result.thresholds):
        blocks.append(Block(
            "Reconciliation by parameter: the value that reproduces the published ICER",
            with_words(result.thresholds, "parameter", parameter_words(result.spec)),
            "Threshold analysis at a willingness to pay equal to the published ICER, over the "
            "parameter's one-way range and then a range nine widths wider; the one-off cost "
            "is the value-based price. Shown, not applied: no input is tuned to the "
            "published result."))
    return [SheetSpec("stepped evaluation", blocks)]


def _icer(verdict: str, icer: float):
    return float(icer) if np.isfinite(icer) else verdict
