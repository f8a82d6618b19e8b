"""Threshold analysis and the value-based price.

*Threshold.* For one parameter θ and two strategies a (comparator) and b, the
threshold is the value θ* in [low, high] where their net monetary benefits are
equal at a willingness to pay λ:

    D(θ) = NMB_b(θ) - NMB_a(θ) = λ (Q_b - Q_a) - (C_b - C_a) = 0.

D is evaluated on an even grid over [low, high] (one engine call); each grid
interval where D changes sign is refined with Brent's method
(:func:`scipy.optimize.brentq`), one engine row per evaluation. Where D keeps
its sign over the whole grid the result says "no threshold in range" and
gives D at both ends (a pair of crossings closer together than the grid step
would be missed; the grid is the ``points`` option).

*Value-based price.* The highest one-off cost at time 0 at which a strategy
is still cost-effective against the comparator at λ (its incremental NMB is
0). A one-off strategy cost is counted at time 0, undiscounted and for the
whole cohort, so it adds one-for-one to the strategy's total cost: raising
it by δ lowers the incremental NMB by exactly δ. Hence

    price_b(λ) = C0_b + ΔNMB_b(λ),

with C0_b the strategy's current one-off cost in the perspective's cost
categories and ΔNMB_b(λ) its incremental NMB against the comparator. A
negative price means the strategy is not cost-effective even if its one-off
cost were zero. The relation assumes the one-off cost changes alone: if a
parameter of the one-off cost also enters state or transition costs, a
threshold on that parameter (:func:`threshold`) is the right question.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.optimize import brentq

from cea import engine
from cea.analyses import incremental
from cea.analyses.ranges import Range, resolve_ranges, run_rows, wtp_values
from cea.analyses.two_way import grid_values
from cea.model.arguments import Integer, Real, check
from cea.model.spec import ModelSpec

__all__ = ["ThresholdResult", "threshold", "value_based_price"]

NO_THRESHOLD = "no threshold in range"


@dataclass(frozen=True)
class ThresholdResult:
    """Result of :func:`threshold`.

    Attributes
    ----------
    spec : ModelSpec
    range : Range
    thresholds : DataFrame
        One line per perspective x wtp x comparison x threshold found (one line
        saying "no threshold in range" where there is none); columns
        ``parameter, perspective, wtp, strategy, comparator, low, base, high,
        inc_nmb_low, inc_nmb_base, inc_nmb_high, threshold, result,
        preferred_below, preferred_above``. ``inc_nmb`` is NMB of ``strategy``
        minus NMB of ``comparator``.
    curve : DataFrame
        The grid: ``value, perspective, wtp, strategy, comparator, inc_nmb``.
    prices : DataFrame
        :func:`value_based_price` of the base case.
    """

    spec: ModelSpec
    range: Range
    thresholds: pd.DataFrame
    curve: pd.DataFrame
    prices: pd.DataFrame

    def to_frame(self) -> pd.DataFrame:
        return self.thresholds.copy()


def _pairs(spec: ModelSpec, strategies: Sequence[str] | None) -> list[tuple[str, str]]:
    names = spec.strategy_names
    if strategies is None:
        if len(names) < 2:
            raise ValueError("a threshold compares two strategies; the model has one")
        return [(names[0], s) for s in names[1:]]
    pair = tuple(strategies)
    if len(pair) != 2 or pair[0] == pair[1] or not set(pair) <= set(names):
        raise ValueError(f"The 'strategies' parameter of threshold must be two different "
                         f"strategies of {list(names)} (comparator first). Got {strategies!r} "
                         "instead.")
    return [pair]


def _perspectives(spec: ModelSpec, perspective: str | None) -> list[str]:
    known = list(spec.settings.perspectives)
    if perspective is not None and perspective not in known:
        raise ValueError(f"perspective must be one of {known}; got {perspective!r}")
    return known if perspective is None else [perspective]


def _inc_nmb(spec, outcomes, perspective: str, wtp: float, pair) -> np.ndarray:
    """NMB of pair[1] minus NMB of pair[0] per row."""
    cost = outcomes.cost(spec.settings.perspectives[perspective])
    value = incremental.nmb(cost, outcomes["qaly"], wtp)
    a, b = (outcomes.strategies.index(s) for s in pair)
    return value[:, b] - value[:, a]


def threshold(spec: ModelSpec, parameter: str, *, wtp: float | Sequence[float] | None = None,
              perspective: str | None = None, strategies: Sequence[str] | None = None,
              ranges: Mapping[str, tuple[float, float]] | None = None, points: int = 21,
              xtol: float | None = None, seed: int | None = None, executor=None,
              progress=None) -> ThresholdResult:
    """Value of ``parameter`` at which two strategies have equal NMB.

    Parameters
    ----------
    spec : ModelSpec
    parameter : str
        A free parameter; searched over its range (as in :func:`cea.analyses.one_way.one_way`).
    wtp : float or sequence of float, optional
        Thresholds λ (default: those of the workbook).
    perspective : str, optional
        Default: every perspective.
    strategies : (comparator, strategy), optional
        Default: each strategy against the first.
    ranges : mapping of name to (low, high), optional
        Replaces the workbook's range.
    points : int
        Grid points for bracketing (>= 2), one engine call.
    xtol : float, optional
        Absolute tolerance of Brent's method (default 1e-10 x (high - low)).
    seed, executor, progress : optional
        As in :func:`cea.analyses.one_way.one_way` (the grid runs on ``executor``; Brent's
        single rows run here).

    Returns
    -------
    ThresholdResult
    """
    check("threshold", "points", points, Integer(2))
    r = resolve_ranges(spec, [parameter], ranges)[0][0]
    wtps = wtp_values(spec, None) if wtp is None else tuple(np.atleast_1d(wtp).astype(float))
    for value in wtps:
        check("threshold", "wtp", float(value), Real(0))  # NaN or negative: no decision
    xs = grid_values(r, points)
    table = spec.table_from(pd.DataFrame({parameter: np.r_[xs, r.base]}))
    outcomes = run_rows(spec, table, lambda row: f"parameter {parameter} = "
                                                 f"{table[parameter].iloc[row]:g}",
                        executor=executor, progress=progress)
    tol = xtol if xtol is not None else 1e-10 * max(r.high - r.low, np.finfo(float).tiny)

    def at(x: float, perspective, w, pair) -> float:
        one = spec.table_from(pd.DataFrame({parameter: [x]}))
        result = run_rows(spec, one, lambda _: f"parameter {parameter} = {x:g}")
        return float(_inc_nmb(spec, result, perspective, w, pair)[0])

    rows, curve = [], []
    for perspective_ in _perspectives(spec, perspective):
        for w in wtps:
            for pair in _pairs(spec, strategies):
                d = _inc_nmb(spec, outcomes, perspective_, w, pair)
                curve.append(pd.DataFrame({"value": xs, "perspective": perspective_, "wtp": w,
                                           "strategy": pair[1], "comparator": pair[0],
                                           "inc_nmb": d[:-1]}))
                head = {"parameter": parameter, "perspective": perspective_, "wtp": w,
                        "strategy": pair[1], "comparator": pair[0], "low": r.low,
                        "base": r.base, "high": r.high, "inc_nmb_low": d[0],
                        "inc_nmb_base": d[-1], "inc_nmb_high": d[-2]}
                roots = _roots(xs, d[:-1], lambda x, p=perspective_, w=w, q=pair: at(x, p, w, q),
                               tol)
                rows += [{**head, **_verdict(x, xs, d[:-1], pair)} for x in roots] or \
                    [{**head, "threshold": np.nan, "result": NO_THRESHOLD,
                      "preferred_below": "", "preferred_above": ""}]
    prices = value_based_price(spec, wtp=wtps, perspective=perspective)
    return ThresholdResult(spec, r, pd.DataFrame(rows), pd.concat(curve, ignore_index=True),
                           prices)


def _roots(xs: np.ndarray, d: np.ndarray, f, xtol: float) -> list[float]:
    """Grid points where d is 0 and Brent roots inside each interval where d changes sign."""
    roots = [float(x) for x, v in zip(xs, d) if v == 0]
    for k in range(len(xs) - 1):
        if d[k] * d[k + 1] < 0:
            roots.append(float(brentq(f, xs[k], xs[k + 1], xtol=xtol)))
    return sorted(roots)


def _verdict(x: float, xs: np.ndarray, d: np.ndarray, pair) -> dict:
    """The threshold line: which strategy has the higher NMB just below and above x."""

    def better(values: np.ndarray) -> str:
        if not len(values) or values[0] == 0:
            return ""
        return pair[1] if values[0] > 0 else pair[0]

    return {"threshold": x, "result": "threshold",
            "preferred_below": better(d[xs < x][::-1]), "preferred_above": better(d[xs > x])}


def one_off_cost(spec: ModelSpec, strategy: str, categories: Sequence[str]) -> float:
    """The base-case one-off (time-0) cost of a strategy in the given cost categories.

    Evaluated by the engine in the strategy's own environment (its parameter
    overrides apply).
    """
    target = next(s for s in spec.strategies if s.name == strategy)
    ordered = dataclasses.replace(
        spec, strategies=(target, *(s for s in spec.strategies if s.name != strategy)))
    total = 0.0
    for category, expression in target.oneoff.items():
        if category in categories:
            total += float(engine.evaluate_expression(ordered, expression)[0, 0])
    return total


def value_based_price(spec: ModelSpec, *, wtp: float | Sequence[float] | None = None,
                      perspective: str | None = None) -> pd.DataFrame:
    """Highest one-off cost at which each strategy is cost-effective against the first.

    ``price = one_off_cost + inc_nmb`` at each threshold and perspective (see
    the module docstring for why this is exact).

    Returns
    -------
    DataFrame
        Columns ``perspective, wtp, strategy, comparator, one_off_categories,
        one_off_cost, inc_nmb, price``; one line per perspective x wtp x
        non-reference strategy.
    """
    wtps = wtp_values(spec, None) if wtp is None else tuple(np.atleast_1d(wtp).astype(float))
    for value in wtps:
        check("threshold", "wtp", float(value), Real(0))  # NaN or negative: no decision
    base = engine.run(spec)
    names = spec.strategy_names
    rows = []
    for perspective_ in _perspectives(spec, perspective):
        categories = spec.settings.perspectives[perspective_]
        for strategy in spec.strategies[1:]:
            counted = [c for c in strategy.oneoff if c in categories]
            c0 = one_off_cost(spec, strategy.name, categories)
            for w in wtps:
                inc = float(_inc_nmb(spec, base, perspective_, w, (names[0], strategy.name))[0])
                rows.append({"perspective": perspective_, "wtp": w, "strategy": strategy.name,
                             "comparator": names[0],
                             "one_off_categories": ", ".join(counted) or "none",
                             "one_off_cost": c0, "inc_nmb": inc, "price": c0 + inc})
    return pd.DataFrame(rows)
