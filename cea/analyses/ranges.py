"""What the deterministic sweeps share: parameter ranges, one engine call, the summary.

One-way, two-way and threshold analyses vary free parameters over ranges
(:func:`parameter_range`): a range given in the call; else the ``low``/``high`` of the
workbook; else, for a parameter with a PSA distribution, its 2.5th and 97.5th
percentiles (said in the ``range_source`` column). Their designs run in one engine call
(:func:`run_rows`) and are summarised per perspective, threshold and strategy
(:func:`summarise`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from cea.analyses import incremental
from cea.engine import Outcomes
from cea.engine.executors import run_table
from cea.model.arguments import Real, check
from cea.model.errors import ModelError
from cea.model.spec import ModelSpec

__all__ = ["INTERVAL_SOURCE", "OUTCOMES", "Range", "Selection", "format_pair", "parameter_range",
           "resolve_ranges", "run_rows", "select", "summarise", "wtp_values"]

#: Outcomes a tornado can rank on: column of the results table -> words.
OUTCOMES = {"inc_nmb": "incremental NMB", "inc_cost": "incremental cost",
            "inc_qaly": "incremental QALYs", "icer": "ICER", "nmb": "NMB", "cost": "cost",
            "qaly": "QALYs"}
#: Percentiles used when a parameter has a distribution but no range.
INTERVAL = (0.025, 0.975)
INTERVAL_SOURCE = "distribution 95% interval"
#: Outcomes in money.
MONEY = ("inc_nmb", "inc_cost", "nmb", "cost", "icer")


@dataclass(frozen=True)
class Range:
    """The values one parameter takes in a sweep.

    ``source`` is ``"workbook"`` (its low/high columns), ``"distribution 95%
    interval"`` (2.5th and 97.5th percentiles of its PSA distribution) or
    ``"argument"`` (given in the call).
    """

    parameter: str
    low: float
    base: float
    high: float
    source: str

    def label(self) -> str:
        """Name with its low and high values, e.g. ``hr_al (0.60 / 0.85)``."""
        low, high = format_pair(self.low, self.high)
        return f"{self.parameter} ({low} / {high})"


@dataclass(frozen=True)
class Selection:
    """Which number a tornado or heat map shows: ``outcome`` of ``strategy`` (vs the first
    strategy for incremental outcomes) in ``perspective`` at threshold ``wtp``."""

    perspective: str
    wtp: float
    strategy: str
    outcome: str

    def describe(self, reference: str) -> str:
        versus = f" vs {reference}" if self.outcome in ("inc_nmb", "inc_cost", "inc_qaly",
                                                          "icer") else ""
        return (f"{OUTCOMES[self.outcome]} of {self.strategy}{versus}, {self.perspective} "
                f"perspective, wtp {self.wtp:,.0f}")


def format_pair(low: float, high: float) -> tuple[str, str]:
    """Two values with the same decimals, enough for three significant digits of each."""
    if max(abs(low), abs(high)) >= 100:
        return f"{low:,.0f}", f"{high:,.0f}"
    decimals = 0
    for v in (low, high):
        text = f"{v:.3g}"
        if "e" not in text and "." in text:
            decimals = max(decimals, len(text.split(".")[1]))
    decimals = min(max(decimals, 2 if max(abs(low), abs(high)) < 10 else 1), 6)
    return f"{low:.{decimals}f}", f"{high:.{decimals}f}"


def parameter_range(spec: ModelSpec, name: str, *,
                    ranges: Mapping[str, tuple[float, float]] | None = None) -> Range | None:
    """The range a sweep uses for one free parameter, or None if it has none.

    Raises
    ------
    ValueError
        If ``name`` is not a parameter or is derived (an expression).
    """
    try:
        p = spec.parameter(name)
    except KeyError:
        raise ValueError(f"'{name}' is not a parameter of the model; parameters are "
                         f"{', '.join(spec.free_parameters)}") from None
    if not p.is_free:
        inputs = sorted(n for n in p.expression.names if n in {q.name for q in spec.parameters})
        raise ValueError(f"'{name}' ({p.cell}) is derived from an expression and follows its "
                         f"inputs; vary those instead: {', '.join(inputs) or 'none'}")
    if ranges and name in ranges:
        low, high = (float(v) for v in ranges[name])
        return Range(name, low, p.value, high, "argument")
    if p.low is not None and p.high is not None:
        return Range(name, p.low, p.value, p.high, "workbook")
    if p.distribution is not None and not p.distribution.is_fixed:
        low, high = p.distribution.ppf(np.array(INTERVAL))
        return Range(name, float(low), p.value, float(high), INTERVAL_SOURCE)
    return None


def resolve_ranges(spec: ModelSpec, parameters: Sequence[str] | None,
                   ranges: Mapping[str, tuple[float, float]] | None
                   ) -> tuple[list[Range], list[str]]:
    """Ranges of the parameters to vary and names of free parameters left at base."""
    unknown = [n for n in (ranges or {}) if parameters is not None and n not in parameters]
    if unknown:
        raise ValueError(f"ranges given for parameters that are not varied: {unknown}")
    names = list(spec.free_parameters) if parameters is None else list(parameters)
    varied, skipped = [], []
    for name in names:
        r = parameter_range(spec, name, ranges=ranges)
        (varied if r is not None else skipped).append(r if r is not None else name)
    if parameters is not None and skipped:
        raise ValueError(f"no range for {', '.join(skipped)}: give low and high in the "
                         "workbook, a distribution, or ranges={name: (low, high)}")
    check_ranges(spec, varied)
    return varied, [n for n in spec.free_parameters if n not in {r.parameter for r in varied}]


def check_ranges(spec: ModelSpec, varied: Sequence[Range]) -> None:
    """Every range ordered and inside its parameter's domain; all problems reported at once."""
    problems = []
    for r in varied:
        p = spec.parameter(r.parameter)
        where = f"parameter '{r.parameter}' ({p.cell}, range from {r.source})"
        if not np.isfinite([r.low, r.high]).all() or not r.low <= r.base <= r.high:
            problems.append(f"{where}: low {r.low:g}, base {r.base:g} and high {r.high:g} must "
                            "be finite with low <= base <= high")
        if r.parameter.startswith("p_") and not (0 <= r.low and r.high <= 1):
            problems.append(f"{where}: a probability's range must lie in [0, 1]; got "
                            f"{r.low:g} to {r.high:g}")
        dist = p.distribution
        if dist is not None and not dist.is_fixed and r.source != INTERVAL_SOURCE:
            lo, hi = dist.support
            if r.low < lo or r.high > hi:
                problems.append(f"{where}: {r.low:g} to {r.high:g} leaves the support "
                                f"[{lo:g}, {hi:g}] of its distribution {dist.name}")
    if problems:
        raise ValueError("invalid sensitivity ranges:\n  " + "\n  ".join(problems))


def run_rows(spec: ModelSpec, table: pd.DataFrame, describe: Callable[[int], str], *,
             executor=None, progress=None) -> Outcomes:
    """One engine call (on ``executor`` if given); a ModelError names the varied values
    of the failing row."""
    try:
        return run_table(spec, table, executor=executor, progress=progress)
    except ModelError as error:
        label = f"parameter row {error.row} ({describe(error.row)})"
        raise error.at(label=label) from error


def wtp_values(spec: ModelSpec, wtp: float | Sequence[float] | None) -> tuple[float, ...]:
    """The thresholds of the model, plus any asked for (each a finite number >= 0)."""
    asked = () if wtp is None else tuple(np.atleast_1d(np.asarray(wtp, dtype=float)).tolist())
    for value in asked:
        check("wtp", "wtp", value, Real(0))  # NaN or a negative threshold: no decision
    values = tuple(dict.fromkeys([*spec.settings.wtp, *asked]))
    if not values:
        raise ValueError("the model has no willingness-to-pay thresholds (settings wtp); "
                         "pass wtp=")
    return values


def summarise(spec: ModelSpec, outcomes: Outcomes, wtps: Sequence[float]) -> pd.DataFrame:
    """Tidy results: one line per row x perspective x wtp x strategy.

    Columns ``row, perspective, wtp, strategy, comparator, cost, qaly, inc_cost,
    inc_qaly, icer, nmb, inc_nmb, optimal``. Incrementals are against the first
    strategy (its own lines have ``comparator`` "" and NaN incrementals);
    ``icer = inc_cost / inc_qaly`` (NaN when inc_qaly is 0; a negative ICER is
    either dominance or the south-west quadrant: read inc_cost and inc_qaly).
    ``optimal`` is the strategy with the highest NMB in that row.
    """
    names = np.array(outcomes.strategies)
    n_rows, n_s, n_w = outcomes.n_rows, len(names), len(wtps)
    w = np.asarray(wtps, dtype=float)
    qaly = outcomes["qaly"]
    frames = []
    for perspective, categories in spec.settings.perspectives.items():
        cost = outcomes.cost(categories)
        nmb = incremental.nmb(cost, qaly, w)  # (rows, wtp, strategies)
        best = names[incremental.optimal_strategy(cost, qaly, w)]  # (rows, wtp)
        inc_cost, inc_qaly = cost - cost[:, :1], qaly - qaly[:, :1]
        inc_cost[:, 0] = inc_qaly[:, 0] = np.nan
        with np.errstate(divide="ignore", invalid="ignore"):
            icer = np.where(inc_qaly == 0, np.nan, inc_cost / inc_qaly)

        def per_wtp(x):  # (rows, strategies) -> (rows, wtp, strategies), flattened
            return np.broadcast_to(x[:, None, :], (n_rows, n_w, n_s)).ravel()

        frames.append(pd.DataFrame({
            "row": np.repeat(np.arange(n_rows), n_w * n_s),
            "perspective": perspective,
            "wtp": np.tile(np.repeat(w, n_s), n_rows),
            "strategy": np.tile(names, n_rows * n_w),
            "comparator": np.tile(np.where(np.arange(n_s) == 0, "", names[0]), n_rows * n_w),
            "cost": per_wtp(cost), "qaly": per_wtp(qaly), "inc_cost": per_wtp(inc_cost),
            "inc_qaly": per_wtp(inc_qaly), "icer": per_wtp(icer), "nmb": nmb.ravel(),
            "inc_nmb": (nmb - nmb[:, :, :1]).ravel(),
            "optimal": np.repeat(best.ravel(), n_s),
        }))
    frame = pd.concat(frames, ignore_index=True)
    frame.loc[frame["comparator"] == "", "inc_nmb"] = np.nan
    return frame


def select(spec: ModelSpec, *, perspective: str | None = None, wtp: float | None = None,
           strategy: str | None = None, outcome: str | None = None) -> Selection:
    """Fill in and check the outcome a tornado or heat map shows."""
    s = spec.settings
    names = spec.strategy_names
    perspective = perspective or next(iter(s.perspectives), None)
    if perspective not in s.perspectives:
        raise ValueError(f"perspective must be one of {list(s.perspectives)}; got {perspective!r}")
    strategy = strategy or names[min(1, len(names) - 1)]
    if strategy not in names:
        raise ValueError(f"strategy must be one of {list(names)}; got {strategy!r}")
    outcome = outcome or ("inc_nmb" if len(names) > 1 else "nmb")
    if outcome not in OUTCOMES:
        raise ValueError(f"outcome must be one of {list(OUTCOMES)}; got {outcome!r}")
    if outcome.startswith("inc_") or outcome == "icer":
        if strategy == names[0]:
            raise ValueError(f"outcome {outcome!r} compares a strategy with the first strategy "
                             f"({names[0]}); choose another strategy or an outcome among "
                             "cost, qaly, nmb")
    return Selection(perspective, wtp_values(spec, wtp)[0] if wtp is None else float(wtp),
                     strategy, outcome)


def pick(summary: pd.DataFrame, sel: Selection) -> pd.DataFrame:
    """The summary lines of one selection, one per row, in row order."""
    part = summary[(summary["perspective"] == sel.perspective) & (summary["wtp"] == sel.wtp)
                   & (summary["strategy"] == sel.strategy)]
    return part.sort_values("row")
