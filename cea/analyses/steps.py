"""The stepped evaluation: from a published result, one extrapolation step at a time, to
the model's base case and beyond.

Reviewers read a model this way. The first step reproduces the setting of a published
evaluation (for WalkBack, the trial's within-trial analysis: its horizon and
perspective); each later step adds one change (the horizon, later recurrences, waning,
the perspective, harms), so that the reader sees what each step does to the incremental
costs, QALYs and ICER. A step's model is the base case with the changes of every step up
to and including it (:func:`cea.model.scenarios.step_models`), run through the same
engine; its probability of being cost-effective comes from a PSA of that model with the
same seed (common random numbers across steps).

A step that stands beside a published ICER is *reconciled* with it:

* **by component** (:func:`decompose`): with everything else as the model has it, the
  value each cost category, or the QALY gain, would need to reproduce the published ICER
  (R): cost category k needs ``R dQ - (dC - dC_k)``, the QALY gain ``dC / R``;
* **by parameter**: the threshold analysis (:func:`cea.analyses.threshold.threshold`)
  at a willingness to pay equal to R gives the value of each parameter named in the
  step's ``reconcile`` column at which the step's ICER equals R, and the value-based
  price (:func:`cea.analyses.threshold.value_based_price`) the one-off cost that would.

Nothing is tuned to the published result: these are shown, not applied.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from cea import engine
from cea.analyses import incremental
from cea.analyses.psa import run_psa
from cea.analyses.threshold import threshold, value_based_price
from cea.model.domains import domain
from cea.model.scenarios import step_models
from cea.model.spec import ModelSpec, Step

__all__ = ["SteppedResult", "decompose", "stepped"]

#: How far beyond a parameter's one-way range the reconciliation searches (range widths).
EXTEND = 9


@dataclass(frozen=True, eq=False)
class SteppedResult:
    """Result of :func:`stepped`.

    Attributes
    ----------
    table : DataFrame
        One line per step and strategy (against the comparator): ``step`` (its number,
        from 0), ``name``, ``description``, ``perspective``, ``horizon_years``,
        ``strategy``, ``comparator``, ``inc_cost_<category>`` per cost category (NaN where
        the step's perspective does not count it), ``inc_cost``, ``inc_qaly``, ``icer``
        (NaN unless the strategy costs more and gains QALYs, or the reverse), ``verdict``,
        ``p_ce_<wtp>`` (probability of the highest net monetary benefit, from the PSA),
        ``base_case`` (the step's model and perspective are the base case's), and the
        published ``reference_icer``, ``reference_probability``, ``reference_wtp`` and
        ``reference_source``.
    reconciliation : DataFrame
        Per step with a published ICER: ``step``, ``strategy``, ``component``,
        ``model``, ``needed`` (to reproduce the published ICER, the rest as the model has
        it), ``change``.
    thresholds : DataFrame
        Per step with a published ICER and parameter to reconcile: ``step``,
        ``strategy``, ``parameter``, ``base``, ``searched_low``, ``searched_high``,
        ``value`` (NaN if none in the range searched) and ``result``.
    n_draws, seed : int
        Of the PSA of each step.
    """

    spec: ModelSpec
    table: pd.DataFrame
    reconciliation: pd.DataFrame
    thresholds: pd.DataFrame
    n_draws: int
    seed: int

    def to_frame(self) -> pd.DataFrame:
        return self.table.copy()


def stepped(spec: ModelSpec, *, n_draws: int | None = None, seed: int | None = None,
            executor=None, progress: Callable[[int, int], None] | None = None
            ) -> SteppedResult:
    """Run every step of the ``steps`` sheet: base case and PSA of each step's model.

    ``n_draws`` and ``seed`` default to the workbook's PSA settings; ``executor`` runs the
    PSA rows elsewhere (the numbers are the same); ``progress`` is called with (steps
    done, steps in all). Raises ValueError if the model has no steps.
    """
    if not spec.steps:
        raise ValueError("the model has no steps sheet; add one to run a stepped evaluation")
    base = engine.run(spec).values
    lines, parts, limits = [], [], []
    models = step_models(spec)
    for number, (step, model) in enumerate(models):
        perspective = step.perspective or next(iter(model.settings.perspectives))
        out = engine.run(model)
        psa = run_psa(model, n_draws=n_draws, seed=seed, executor=executor)
        is_base = (perspective == next(iter(spec.settings.perspectives))
                   and model.settings == spec.settings and np.array_equal(out.values, base))
        step_lines = _lines(number, step, model, perspective, out, psa, is_base)
        lines += step_lines
        if step.reference is not None and step.reference.icer is not None:
            for line in step_lines:
                parts.append(decompose(line, step.reference.icer, model, perspective)
                             .assign(step=number, strategy=line["strategy"]))
                limits.append(_thresholds(number, step, model, perspective, line))
        if progress is not None:
            progress(number + 1, len(models))
    return SteppedResult(spec, pd.DataFrame(lines), _concat(parts, _RECONCILIATION),
                         _concat(limits, _THRESHOLDS), psa.n_draws, psa.seed)


def _lines(number: int, step: Step, model: ModelSpec, perspective: str, out, psa,
           is_base: bool) -> list[dict]:
    """One line per strategy against the comparator."""
    s = model.settings
    counted = s.perspectives[perspective]
    cost = out.cost(counted)[0]
    pair = incremental.pairwise(out.strategies, cost, out["qaly"][0])
    wtp = sorted({*s.wtp, *([step.reference.wtp] if step.reference and step.reference.wtp
                            else [])})
    ceac = psa.ceac(wtp=wtp)
    ceac = ceac[ceac["perspective"] == perspective]
    reference = step.reference
    lines = []
    for j, strategy in enumerate(out.strategies[1:], start=1):
        line = {"step": number, "name": step.name, "description": step.description,
                "perspective": perspective, "horizon_years": s.horizon_years,
                "strategy": strategy, "comparator": out.strategies[0]}
        for category in model.cost_categories:
            values = out[f"cost_{category}"][0]
            line[f"inc_cost_{category}"] = (values[j] - values[0] if category in counted
                                            else np.nan)
        line.update(inc_cost=pair["inc_cost"][j], inc_qaly=pair["inc_effect"][j],
                    icer=pair["icer"][j], verdict=pair["verdict"][j])
        for w in wtp:
            p = ceac[(ceac["wtp"] == w) & (ceac["strategy"] == strategy)]["probability"]
            line[f"p_ce_{w:g}"] = float(p.iloc[0])
        line.update(base_case=is_base,
                    reference_icer=reference.icer if reference else np.nan,
                    reference_probability=reference.probability if reference else np.nan,
                    reference_wtp=reference.wtp if reference else np.nan,
                    reference_source=reference.source if reference else "")
        lines.append(line)
    return lines


_RECONCILIATION = ["step", "strategy", "component", "model", "needed", "change"]
_THRESHOLDS = ["step", "strategy", "parameter", "base", "searched_low", "searched_high",
               "value", "result"]


def _concat(frames: list[pd.DataFrame], columns: list[str]) -> pd.DataFrame:
    if not frames:
        return pd.DataFrame(columns=columns)
    return pd.concat(frames, ignore_index=True)[columns]


def decompose(line: dict, icer: float, model: ModelSpec, perspective: str) -> pd.DataFrame:
    """What each component would need, the rest as the model has it, for the ICER ``icer``.

    Cost category k needs ``icer * dQ - (dC - dC_k)``; the QALY gain needs ``dC / icer``.
    ``change`` is needed minus model.
    """
    dq, dc = line["inc_qaly"], line["inc_cost"]
    rows = []
    for category in model.settings.perspectives[perspective]:
        own = line[f"inc_cost_{category}"]
        needed = icer * dq - (dc - own)
        rows.append((f"cost_{category}", own, needed, needed - own))
    needed = dc / icer if icer else np.nan
    rows.append(("qaly", dq, needed, needed - dq))
    return pd.DataFrame(rows, columns=["component", "model", "needed", "change"])


def _thresholds(number: int, step: Step, model: ModelSpec, perspective: str,
                line: dict) -> pd.DataFrame:
    """The value of each parameter to reconcile, and the one-off cost, at which the step's
    ICER equals the published one."""
    icer = step.reference.icer
    pair = (line["comparator"], line["strategy"])
    rows = []
    for name in step.reconcile:
        p = model.parameter(name)
        low, high = (p.low, p.high) if p.low is not None else (p.value * 0.5, p.value * 1.5)
        value, searched = np.nan, (low, high)
        for searched in ((low, high), _extended(name, low, high)):
            found = threshold(model, name, wtp=icer, perspective=perspective, strategies=pair,
                              ranges={name: searched}).thresholds
            hits = found["threshold"].dropna()
            if len(hits):
                value = float(hits.iloc[np.argmin(np.abs(hits.to_numpy() - p.value))])
                break
        rows.append((number, line["strategy"], name, p.value, *searched, value,
                     "reproduces the published ICER" if np.isfinite(value)
                     else "no value in the range searched reproduces the published ICER"))
    price = value_based_price(model, wtp=icer, perspective=perspective)
    price = price[price["strategy"] == line["strategy"]]
    if len(price):
        rows.append((number, line["strategy"], "one-off cost of " + line["strategy"],
                     float(price["one_off_cost"].iloc[0]), np.nan, np.nan,
                     float(price["price"].iloc[0]), "value-based price at the published ICER"))
    return pd.DataFrame(rows, columns=_THRESHOLDS)


def _extended(name: str, low: float, high: float) -> tuple[float, float]:
    """The one-way range widened by :data:`EXTEND` widths each way, within the domain its
    name's prefix declares (costs, days and counts at least 0)."""
    width = high - low
    lo, hi = low - EXTEND * width, high + EXTEND * width
    declared = domain(name)
    floor, ceiling = (declared[1][0], declared[1][1]) if declared else (0.0 if low >= 0
                                                                        else -np.inf, np.inf)
    return max(lo, floor), min(hi, ceiling)
