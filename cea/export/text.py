"""What the command line prints: each result as aligned text for the terminal.

``text(result)`` is registered per result type like the other presenters
(:mod:`cea.export.present`); the CLI prints it.
"""

from __future__ import annotations

from functools import singledispatch

import pandas as pd

from cea.analyses.base_case import BaseCase
from cea.analyses.budget import BudgetResult
from cea.analyses.calibration import CalibrationResult, TrialFit
from cea.analyses.gsa_results import MorrisResult, SobolResult
from cea.analyses.one_way import OneWayResult
from cea.analyses.psa import PSAResult
from cea.analyses.scenarios import ScenarioResults
from cea.analyses.steps import SteppedResult
from cea.analyses.threshold import ThresholdResult
from cea.analyses.two_way import TwoWayResult
from cea.analyses.voi import EVPPIResult
from cea.export.base_case import consequence_table
from cea.model.settings import amount
from cea.model.spec import ModelSpec

__all__ = ["header", "icer_text", "number", "text"]


def number(v: float) -> str:
    """Numbers for the terminal: thousands with separators, small ones to 4 digits."""
    return f"{v:,.0f}" if abs(v) >= 1000 else f"{v:.4g}"


def qaly_text(v: float) -> str:
    """A QALY increment with 4 significant digits (at least 4 decimals), so that the ICER
    printed beside it follows from the printed increments."""
    return f"{v:.4f}" if abs(v) >= 0.1 or v == 0 else f"{v:.4g}"


def header(model: ModelSpec) -> str:
    """One line: the model, its strategies, horizon, discounting and money."""
    s = model.settings
    return (f"{s.model_name}: {len(model.strategies)} strategies, horizon "
            f"{amount(s.horizon, s.horizon_unit)} in {s.n_cycles} cycles; discount "
            f"{s.discount_costs:.1%} costs, {s.discount_outcomes:.1%} outcomes; costs in "
            f"{s.money}.")


@singledispatch
def text(result) -> str:
    """The terminal text of ``result``."""
    frame = result.to_frame()
    return frame.to_string(index=False, float_format=number)


def icer_text(base: BaseCase, perspective: str) -> str:
    """The ICER table of one perspective as aligned text for the terminal."""
    s = base.spec.settings
    table = base.icer_table(perspective)
    shown = pd.DataFrame({
        "strategy": table["strategy"],
        f"cost ({s.money})": table["cost"].map(lambda v: f"{v:,.2f}"),
        "QALYs": table["qaly"].map(lambda v: f"{v:.4f}"),
        "inc. cost": table["inc_cost"].map(_blank(lambda v: f"{v:,.2f}")),
        "inc. QALYs": table["inc_qaly"].map(_blank(qaly_text)),
        "ICER (per QALY)": [_icer_words(st, v, c) for st, v, c in
                            zip(table["status"], table["icer"], table["comparator"])],
    })
    pair = base.pairwise(perspective)
    verdicts = dict(zip(pair["strategy"], pair["verdict"]))
    shown[f"vs {pair['reference'][0]}"] = [verdicts[x] for x in table["strategy"]]
    for wtp in s.wtp:
        shown[f"NMB @ {wtp:,.0f}"] = table[f"nmb_{wtp:g}"].map(lambda v: f"{v:,.0f}")
    cats = ", ".join(s.perspectives[perspective])
    size = s.cohort_size
    total = "" if size == 1 else \
        f"\nFor the cohort of {size:,.10g} people: " + "; ".join(
            f"{x} {c * size:,.0f} {s.money}, {q * size:,.1f} QALYs"
            for x, c, q in zip(table["strategy"], table["cost"], table["qaly"]))
    return (f"\n{perspective} perspective (costs: {cats}; discounted; per person)\n"
            + shown.to_string(index=False) + total)


@text.register
def _base(result: BaseCase) -> str:
    parts = [icer_text(result, p) for p in result.perspectives]
    table = consequence_table(result)
    if not table.empty:
        years = result.spec.settings.horizon_years
        parts.append(f"\nConsequences per 1,000 people over {years:.3g} years (undiscounted; "
                     "cost per averted negative = saves money)\n"
                     + table.to_string(index=False, float_format=lambda v: f"{v:,.0f}"))
    return "\n".join(parts)


@text.register
def _trial_fit(result: TrialFit) -> str:
    return ("\nTrial fit (model against published figures)\n"
            + result.table[["target", "observed", "predicted", "difference", "fitted"]]
            .to_string(index=False, float_format=number))


@text.register
def _scenarios(result: ScenarioResults) -> str:
    parts = []
    for scenario, base in result.results[1:]:
        parts.append(f"\nScenario: {scenario.name} ({scenario.description})")
        parts += [icer_text(base, p) for p in base.perspectives]
    return "\n".join(parts)


@text.register
def _steps(result: SteppedResult) -> str:
    t = result.table
    shown = pd.DataFrame({"step": t["step"].astype(str) + " " + t["name"],
                          "perspective": t["perspective"],
                          "years": t["horizon_years"].map(lambda v: f"{v:.2g}")})
    for column in t.columns:
        if column.startswith("inc_cost_"):
            shown[column[4:]] = t[column].map(_blank(lambda v: f"{v:,.2f}"))
    shown["inc. cost"] = t["inc_cost"].map(lambda v: f"{v:,.2f}")
    shown["inc. QALYs"] = t["inc_qaly"].map(qaly_text)
    shown["ICER"] = [f"{i:,.0f}" if pd.notna(i) else v for v, i in zip(t["verdict"], t["icer"])]
    for column in t.columns:
        if column.startswith("p_ce_"):
            shown[f"P(CE) {float(column[5:]):,.0f}"] = t[column].map(_blank(lambda v: f"{v:.2f}"))
    shown["published"] = [
        "" if pd.isna(i) else f"ICER {i:,.0f}" + ("" if pd.isna(p) else f", P(CE) {p:.2f} at "
                                                  f"{w:,.0f}")
        for i, p, w in zip(t["reference_icer"], t["reference_probability"],
                           t["reference_wtp"])]
    shown["base case"] = t["base_case"].map({True: "<- base case", False: ""})
    parts = [f"\nStepped evaluation ({result.n_draws:,} PSA draws per step, seed "
             f"{result.seed}): increments against {t['comparator'].iloc[0]}",
             shown.to_string(index=False)]
    if len(result.reconciliation):
        parts += ["\nReconciliation with the published ICER (what each component alone would "
                  "need)", result.reconciliation.to_string(index=False, float_format=number)]
    if len(result.thresholds):
        parts += ["\nValues that would reproduce the published ICER (threshold analysis)",
                  result.thresholds.to_string(index=False, float_format=number)]
    return "\n".join(parts)


@text.register
def _calibration(result: CalibrationResult) -> str:
    return (f"Calibration of {', '.join(result.parameters['parameter'])}: {result.message}\n"
            + result.parameters.to_string(index=False, float_format=lambda v: f"{v:,.6g}")
            + "\n" + result.fit[["target", "observed", "predicted", "difference", "fitted"]]
            .to_string(index=False, float_format=number))


@text.register
def _one_way(result: OneWayResult) -> str:
    tornado = result.tornado()
    ranked = result.selection.describe(result.spec.strategy_names[0])
    return (f"\nOne-way analysis: {len(result.ranges)} parameters varied in "
            f"{len(result.table)} rows; ranked by {ranked}\n"
            + tornado[["parameter", "low_value", "high_value", "outcome_low", "outcome_high",
                       "swing"]].head(15).to_string(index=False, float_format=number))


@text.register
def _two_way(result: TwoWayResult) -> str:
    p1, p2 = (r.parameter for r in result.ranges)
    n1, n2 = len(result.values1), len(result.values2)
    return (f"\nTwo-way analysis of {p1} x {p2}: {n1} x {n2} grid\n"
            + result.grid(value="optimal").to_string())


@text.register
def _threshold(result: ThresholdResult) -> str:
    return (f"\nThreshold analysis of {result.range.parameter}\n"
            + result.to_frame().to_string(index=False, float_format=lambda v: f"{v:,.6g}")
            + "\n\nValue-based price (highest one-off cost that is cost-effective)\n"
            + result.prices.to_string(index=False, float_format=lambda v: f"{v:,.2f}"))


@text.register
def _psa(result: PSAResult) -> str:
    wtp = result.spec.settings.wtp
    ceac, evpi = result.ceac(), result.evpi()
    return (f"\nProbabilistic analysis: {result.n_draws:,} draws, seed {result.seed}\n"
            + result.summary().to_string(index=False, float_format=number)
            + "\n\nProbability cost-effective and EVPI per person at the workbook's thresholds\n"
            + ceac[ceac["wtp"].isin(wtp)].to_string(index=False, float_format=number) + "\n"
            + evpi[evpi["wtp"].isin(wtp)].to_string(index=False, float_format=number))


@text.register
def _evppi(result: EVPPIResult) -> str:
    return (text(result.psa)
            + "\n\nEVPPI per person (regression on the PSA draws, Strong et al. 2014)\n"
            + result.table.sort_values("evppi", ascending=False).head(20)
            .to_string(index=False, float_format=number))


@text.register
def _sobol(result: SobolResult) -> str:
    return (f"\nSobol indices, N = {result.n:,}: {result.n_rows:,} rows through the engine\n"
            + result.summary().to_string(index=False, float_format=number))


@text.register
def _morris(result: MorrisResult) -> str:
    return (f"\nMorris screening, {result.trajectories} trajectories: {result.n_rows:,} rows "
            "through the engine\n"
            + result.summary().to_string(index=False, float_format=number))


def _blank(fmt):
    return lambda v: "" if pd.isna(v) else fmt(v)


def _icer_words(status: str, icer: float, comparator: str) -> str:
    if status == "dominated":
        return "dominated"
    if status == "extended_dominated":
        return "extendedly dominated"
    if not comparator:
        return "reference"
    return f"{icer:,.0f} vs {comparator}"


@text.register
def _budget(result: BudgetResult) -> str:
    from cea.export.budget import averted, financial_table, title

    def lines(frame: pd.DataFrame) -> str:
        width = int(frame["line"].str.len().max())
        return frame.to_string(index=False, float_format=lambda v: f"{v:,.0f}",
                               formatters={"line": lambda s: s.ljust(width)}, justify="left")

    n = result.budget.years
    saved = averted(result)
    out = f"\n{title(result)}\n" + lines(financial_table(result))
    if len(saved):
        out += (f"\n\nAverted over {n} year{'s' if n > 1 else ''} by funding "
                f"{result.budget.new_strategy}\n" + lines(saved))
    return out
