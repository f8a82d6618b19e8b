"""The report's Markdown tables and the sections of the analyses' results.

Workbook text (strategy names, sources, descriptions) is escaped for Markdown and HTML
(:func:`escape`) before it enters a table or a line, so a ``|`` stays in its cell and
``<b>`` is shown, not rendered. Numbers are formatted per column (:func:`table`); text that
is a number formatted already is a :class:`Number`: not escaped, and right-aligned.

Each ``*_section`` function gives the (title, Markdown) of one result type; it reads the
result's own tables and methods and computes nothing new.
"""

from __future__ import annotations

import html
import numbers
import re
from collections import Counter
from collections.abc import Callable, Mapping
from urllib.parse import quote

import numpy as np
import pandas as pd

from cea.analyses.base_case import BaseCase
from cea.analyses.budget import BudgetResult
from cea.analyses.one_way import OneWayResult
from cea.analyses.psa import PSAResult, population_factor
from cea.analyses.ranges import MONEY, OUTCOMES
from cea.analyses.scenarios import ScenarioResults
from cea.analyses.voi import EVPPIResult
from cea.export import budget as present_budget
from cea.export.labels import STATUS_LABELS, icer_words, parameter_words
from cea.export.text import qaly_text

__all__ = ["Number", "budget_section", "escape", "evppi_section", "icer_frame", "one_way_section",
           "optimal_frame", "psa_section", "scenario_section", "table"]

#: Rows of the EVPPI and tornado tables shown in the report.
TOP = 10
#: The incremental analysis' status identifiers in words.
STATUS = STATUS_LABELS

_SPECIAL = re.compile(r"([\\`*\[\]|])")
_EDGE_UNDERSCORE = re.compile(r"(?<![0-9A-Za-z])_|_(?![0-9A-Za-z])")


class Number(str):
    """The text of a number, formatted already: not escaped, right-aligned in a table."""


def escape(text) -> str:
    """Workbook text as literal Markdown: one line, Markdown's markers backslash-escaped
    (``_`` only where it could start or end emphasis), ``& < >`` as HTML entities."""
    text = _SPECIAL.sub(r"\\\1", " ".join(str(text).split()))
    return html.escape(_EDGE_UNDERSCORE.sub(r"\\_", text), quote=False)


def general(v) -> str:
    """The report's default: whole numbers as they are, others to 4 significant digits
    (10,000 and more to the unit)."""
    if isinstance(v, numbers.Integral):
        return str(v)
    return f"{v:,.4g}" if abs(v) < 1e4 else f"{v:,.0f}"


def money(v) -> str:
    return f"{v:,.2f}"


def whole(v) -> str:
    return f"{v:,.0f}"


def qalys(v) -> str:
    return f"{v:,.4f}"


def increment(v) -> str:
    """Incremental QALYs: 4 significant digits (they are often small), as on the terminal."""
    return qaly_text(v)


def probability(v) -> str:
    return f"{v:.3f}"


def share(v) -> str:
    return f"{v:.1%}"


def value(v) -> str:
    """A parameter's value: 6 significant digits."""
    return f"{v:,.6g}"


def _is_number(v) -> bool:
    return isinstance(v, numbers.Real) and not isinstance(v, (bool, np.bool_))


def _cell(v, fmt: Callable) -> tuple[str, int]:
    """(Markdown of a cell, "number", "text" or "" if empty)."""
    if isinstance(v, Number):
        return str(v), "number"
    if v is None or (_is_number(v) and np.isnan(v)):
        return "", ""
    if isinstance(v, (bool, np.bool_)):
        return ("yes" if v else "no"), "text"
    if _is_number(v):
        return fmt(v), "number"
    text = escape(v)
    return text, "text" if text else ""


def table(frame: pd.DataFrame, formats: Mapping[str, Callable] | None = None) -> str:
    """A Markdown table: cells formatted by ``formats[column]`` (default :func:`general`),
    text escaped; a column with at least as many numbers as words is right-aligned."""
    formats = formats or {}
    columns = list(frame.columns)
    body, kinds = [], [Counter() for _ in columns]
    for row in frame.itertuples(index=False):
        cells = []
        for i, (column, v) in enumerate(zip(columns, row)):
            text, kind = _cell(v, formats.get(column, general))
            cells.append(text)
            kinds[i][kind] += 1
        body.append("| " + " | ".join(cells) + " |")
    head = "| " + " | ".join(escape(c) for c in columns) + " |"
    right = [k["number"] and k["number"] >= k["text"] for k in kinds]
    rule = "|" + "".join("---:|" if r else "---|" for r in right)
    return "\n".join([head, rule, *body])


def icer_frame(base: BaseCase, perspective: str) -> tuple[pd.DataFrame, dict]:
    """The base case's incremental analysis in plain words: costs by category, total,
    QALYs, increments against the comparator column, ICER (or why none) and status."""
    s = base.spec.settings
    m = s.money
    t = base.icer_table(perspective)
    frame = pd.DataFrame({"strategy": t["strategy"]})
    for category in s.perspectives[perspective]:
        frame[f"{category} cost ({m})"] = t[f"cost_{category}"]
    frame[f"total cost ({m})"] = t["cost"]
    frame["QALYs"] = t["qaly"]
    frame["compared with"] = t["comparator"]
    frame[f"incremental cost ({m})"] = t["inc_cost"]
    frame["incremental QALYs"] = t["inc_qaly"]
    frame[f"ICER ({m} per QALY)"] = icer_words(t)
    frame["status"] = [STATUS.get(x, x) for x in t["status"]]
    formats = {c: money for c in frame.columns if c.endswith(f"({m})")}
    formats.update({"QALYs": qalys, "incremental QALYs": increment,
                    f"ICER ({m} per QALY)": whole})
    return frame, formats


def optimal_frame(base: BaseCase) -> pd.DataFrame:
    """The optimal strategy (highest NMB) per threshold (rows) and perspective (columns)."""
    wide = base.optimal().pivot(index="wtp", columns="perspective", values="optimal")
    frame = pd.DataFrame({f"threshold ({base.spec.settings.money} per QALY)":
                          [Number(whole(w)) for w in wide.index]})
    for perspective in base.perspectives:
        frame[f"optimal, {perspective} perspective"] = wide[perspective].to_numpy()
    return frame


def _icer_or_verdict(icer: float, verdict: str):
    if not np.isfinite(icer):
        return verdict
    if verdict == "less costly, less effective":
        return Number(f"{whole(icer)} (less costly, less effective)")
    return float(icer)


def scenario_section(result: ScenarioResults) -> tuple[str, str]:
    """Per perspective, each scenario's strategies against its comparator; then the optimal
    strategy by scenario and threshold, and what each scenario changes."""
    m = result.spec.settings.money
    rows = []
    for scenario, base in result.results:
        for perspective in base.perspectives:
            for r in base.pairwise(perspective).itertuples(index=False):
                if r.verdict != "reference":
                    rows.append({"perspective": perspective, "scenario": scenario.name,
                                 "strategy": r.strategy, "comparator": r.reference,
                                 f"incremental cost ({m})": r.inc_cost,
                                 "incremental QALYs": r.inc_qaly,
                                 f"ICER ({m} per QALY) or verdict":
                                     _icer_or_verdict(r.icer, r.verdict)})
    formats = {f"incremental cost ({m})": money, "incremental QALYs": increment,
               f"ICER ({m} per QALY) or verdict": whole}
    parts = ["Each scenario's base case (the first line is the model as given); each strategy "
             "against the scenario's comparator (its first strategy)."]
    frame = pd.DataFrame(rows)
    for perspective in dict.fromkeys(frame["perspective"]) if rows else ():
        part = frame[frame["perspective"] == perspective].drop(columns="perspective")
        parts += ["", f"### {escape(perspective)} perspective", "", table(part, formats)]
    optimal = result.summary()
    optimal.columns = [c if isinstance(c, str) else f"optimal at {whole(c)}"
                       for c in optimal.columns]
    changes = pd.DataFrame([{"scenario": sc.name, "description": sc.description,
                             "changes": "; ".join(f"{c.target} = {c.value}"
                                                  for c in sc.changes)}
                            for sc, _ in result.results[1:]],
                           columns=["scenario", "description", "changes"])
    parts += ["", f"### Optimal strategy (highest net monetary benefit) by scenario, "
              f"thresholds in {m} per QALY", "", table(optimal)]
    if len(changes):
        parts += ["", "### What each scenario changes", "", table(changes)]
    return "Scenario analysis", "\n".join(parts)


def _interval(mean: float, low: float, high: float, fmt: Callable) -> Number:
    return Number(f"{fmt(mean)} ({fmt(low)} to {fmt(high)})")


def psa_section(result: PSAResult) -> tuple[str, str]:
    """Per perspective: mean costs and QALYs with 95% intervals, then per threshold the
    probability each strategy is cost-effective and the EVPI."""
    s = result.spec.settings
    m = s.money
    summary, decision = result.summary(), result.decision()
    first = result.strategies[0]
    factor = population_factor(result.spec)
    parts = [f"{result.n_draws:,} draws (seed {result.seed}). Means with 95% intervals "
             "(2.5th to 97.5th percentiles of the draws); increments against "
             f"{escape(first)}; ICER = mean incremental cost / mean incremental QALYs. "
             "P(cost-effective): the share of draws in which the strategy has the highest net "
             "monetary benefit; EVPI per person = E[max NMB] - max E[NMB]."]
    if not np.isnan(factor):
        parts[0] += (f" Population EVPI = EVPI per person x {whole(factor)} "
                     f"({s.population:,.0f} people a year over {s.decision_horizon:g} years, "
                     f"discounted at {s.discount_outcomes:.3g} a year).")
    for perspective in result.perspectives:
        part = summary[summary["perspective"] == perspective]
        means = pd.DataFrame({"strategy": part["strategy"]})
        for key, label, fmt in (("cost", f"cost ({m})", money), ("qaly", "QALYs", qalys),
                                ("inc_cost", f"incremental cost ({m})", money),
                                ("inc_qaly", "incremental QALYs", increment)):
            means[label] = [
                "" if key.startswith("inc") and r.strategy == first else
                _interval(getattr(r, key), getattr(r, f"{key}_low"), getattr(r, f"{key}_high"),
                          fmt) for r in part.itertuples(index=False)]
        means[f"ICER ({m} per QALY)"] = part["icer"].to_numpy()
        d = decision[decision["perspective"] == perspective]
        probs = pd.DataFrame({f"threshold ({m} per QALY)": d["wtp"].to_numpy()})
        for x in result.strategies:
            probs[f"P({x} cost-effective)"] = d[f"p_{x}"].to_numpy()
        probs["optimal (highest expected NMB)"] = d["optimal"].to_numpy()
        probs[f"EVPI per person ({m})"] = d["evpi"].to_numpy()
        formats = {f"threshold ({m} per QALY)": whole, f"ICER ({m} per QALY)": whole,
                   f"EVPI per person ({m})": money, f"EVPI, population ({m})": whole,
                   **{f"P({x} cost-effective)": probability for x in result.strategies}}
        if "evpi_population" in d:
            probs[f"EVPI, population ({m})"] = d["evpi_population"].to_numpy()
        parts += ["", f"### {escape(perspective)} perspective", "", table(means, formats), "",
                  table(probs, formats)]
    return "Probabilistic sensitivity analysis", "\n".join(parts)


def evppi_section(result: EVPPIResult) -> tuple[str, str]:
    """Per perspective and threshold, the parameters and groups of highest EVPPI."""
    m = result.spec.settings.money
    t = result.table
    parts = [f"Expected value of partial perfect information per person, from the PSA's "
             f"{result.psa.n_draws:,} draws: {escape(t.attrs.get('method', 'regression'))}. "
             f"The {TOP} parameters or groups of highest EVPPI per perspective and threshold; "
             "share = EVPPI / EVPI."]
    if t.attrs.get("skipped"):
        parts += ["", "Not estimated: " + escape("; ".join(t.attrs["skipped"])) + "."]
    population = not np.isnan(population_factor(result.spec))
    formats = {f"EVPPI per person ({m})": money, f"standard error ({m})": money,
               "share of EVPI": share, f"EVPPI, population ({m})": whole}
    for (perspective, wtp), part in t.groupby(["perspective", "wtp"], sort=False):
        top = part.sort_values("evppi", ascending=False, kind="stable").head(TOP)
        words = parameter_words(result.spec)
        frame = pd.DataFrame({"parameter or group": [
                                  words(v) if k == "parameter" else v
                                  for v, k in zip(top["label"], top["kind"])],
                              "kind": top["kind"],
                              "members": np.where(top["kind"] == "parameter", "",
                                                  top["parameters"]),
                              f"EVPPI per person ({m})": top["evppi"],
                              f"standard error ({m})": top["se"],
                              "share of EVPI": top["share"]})
        if population:
            frame[f"EVPPI, population ({m})"] = top["evppi_population"]
        parts += ["", f"### {escape(perspective)} perspective, threshold {whole(wtp)} {m} per "
                  "QALY", "", f"EVPI per person {money(part['evpi'].iloc[0])} {m}.", "",
                  table(frame, formats)]
    if t.empty:
        parts += ["", "No EVPPI was estimated."]
    return "Value of information (EVPPI)", "\n".join(parts)


def one_way_section(result: OneWayResult) -> tuple[str, str]:
    """Per perspective, the tornado's top parameters: range, outcome at each end, swing."""
    m = result.spec.settings.money
    parts = ["Each parameter at its low and high value, every other free parameter at its "
             f"base value; the {TOP} of largest swing (|outcome at high - outcome at low|)."]
    if result.skipped:
        parts[0] += " Not varied (no range or distribution): " + escape(
            ", ".join(result.skipped)) + "."
    for perspective in result.spec.settings.perspectives:
        t = result.tornado(perspective=perspective)
        sel = t.attrs["selection"]
        unit, after = (f" ({m})", f" {m}") if sel.outcome in MONEY else ("", "")
        fmt = money if sel.outcome in MONEY else increment
        words = OUTCOMES[sel.outcome]
        top = t.head(TOP)
        frame = pd.DataFrame({"parameter": [parameter_words(result.spec)(p)
                                            for p in top["parameter"]],
                              "range from": top["range_source"],
                              "low value": top["low_value"], "base value": top["base_value"],
                              "high value": top["high_value"],
                              f"{words} at low{unit}": top["outcome_low"],
                              f"{words} at high{unit}": top["outcome_high"],
                              f"swing{unit}": top["swing"],
                              "decision changes": np.where(top["decision_changes"], "yes", "")})
        formats = {"low value": value, "base value": value, "high value": value,
                   f"{words} at low{unit}": fmt, f"{words} at high{unit}": fmt,
                   f"swing{unit}": fmt}
        base = (f"; base case {fmt(t['outcome_base'].iloc[0])}{after}, optimal "
                f"{escape(t['optimal_base'].iloc[0])}" if len(t) else "")
        parts += ["", f"### {escape(perspective)} perspective", "",
                  f"Outcome: {escape(t.attrs['description'])}{base}. Decision changes: the "
                  "optimal strategy at the low or high value differs from the base case's.", "",
                  table(frame, formats)]
    return "One-way sensitivity analysis", "\n".join(parts)


def budget_section(result: BudgetResult, figure: str | None = None) -> tuple[str, str]:
    """The report's section: the financial table, the outcomes averted, the inputs that move
    the budget most, and the figure."""
    def whole(v):
        return Number(f"{v:,.0f}") if np.isfinite(v) else ""

    formats = dict.fromkeys([*present_budget.years(result), present_budget.all_years(result)],
                            whole)
    averted = present_budget.averted(result)
    tornado = present_budget.tornado_table(result).head(8)
    parts = [escape(present_budget.title(result)) + ".", "",
             escape(present_budget.method_note(result)), "",
             table(present_budget.financial_table(result), formats), "",
             *(["**Averted** (the whole eligible population, undiscounted):", "",
                table(averted, formats), ""] if len(averted) else []),
             f"**Inputs that move the budget most** (net budget impact over "
             f"{present_budget.all_years(result)}):", "",
             table(tornado, {"net at low": whole, "net at high": whole, "net swing": whole})]
    if figure:
        parts = [f"![budget impact]({quote(figure)})", "", *parts]
    return "Budget impact", "\n".join(parts)
