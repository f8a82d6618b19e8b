"""Deterministic sensitivity analysis: one-way (with its tornado); two-way is in twoway.py.

Every sweep is a design of parameter rows pushed through the one engine in a
single vectorised call. A one-way analysis of k parameters is ``2k + 1`` rows:
the base case (row 0), then each parameter at its low and at its high value
with every other free parameter at its base value. A two-way analysis of two
parameters on ``n`` points per axis is ``n**2`` rows. Derived parameters
(expressions) are never set directly: the engine evaluates them from the varied
inputs, so they follow automatically.

What is varied (:func:`parameter_range`): a range given in the call; else the
``low``/``high`` of the workbook; else, for a parameter with a PSA
distribution, its 2.5th and 97.5th percentiles (the central 95% interval, said
in the ``range_source`` column); a parameter with none of these is not varied.

Results are read per perspective, per willingness to pay (``settings.wtp``)
and per strategy against the first strategy (the comparator): incremental
cost, QALYs, ICER, incremental net monetary benefit (NMB = wtp x QALYs - cost),
and the optimal strategy (highest NMB among all strategies).

References
----------
.. [1] Briggs AH, Weinstein MC, Fenwick EAL, Karnon J, Sculpher MJ, Paltiel AD.
   Model parameter estimation and uncertainty analysis: a report of the
   ISPOR-SMDM Modeling Good Research Practices Task Force-6. *Med Decis Making*.
   2012;32(5):722-732. doi:10.1177/0272989X12458348
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from cea import engine, incremental
from cea.engine import ModelError, Outcomes
from cea.export.excel import Block, Chart, SheetSpec
from cea.spec import ModelSpec

__all__ = ["OUTCOMES", "OneWayResult", "Range", "Selection", "one_way", "parameter_range"]

#: Outcomes a tornado can rank on: column of the results table -> words.
OUTCOMES = {"inc_nmb": "incremental NMB", "inc_cost": "incremental cost",
            "inc_qaly": "incremental QALYs", "icer": "ICER", "nmb": "NMB", "cost": "cost",
            "qaly": "QALYs"}
#: Percentiles used when a parameter has a distribution but no range.
INTERVAL = (0.025, 0.975)
INTERVAL_SOURCE = "distribution 95% interval"
_MONEY = ("inc_nmb", "inc_cost", "nmb", "cost", "icer")


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


# ----------------------------------------------------------------------------- ranges
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


# ----------------------------------------------------------------------------- engine + summary
def run_rows(spec: ModelSpec, table: pd.DataFrame, describe: Callable[[int], str]) -> Outcomes:
    """One engine call; a ModelError names the varied values of the failing row."""
    try:
        return engine.run(spec, table)
    except ModelError as error:
        text = re.sub(r"parameter row (\d+)",
                      lambda m: f"{m.group(0)} ({describe(int(m.group(1)))})", str(error))
        raise ModelError(text) from error


def wtp_values(spec: ModelSpec, wtp: float | Sequence[float] | None) -> tuple[float, ...]:
    """The thresholds of the model, plus any asked for."""
    asked = () if wtp is None else tuple(np.atleast_1d(np.asarray(wtp, dtype=float)).tolist())
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


def _pick(summary: pd.DataFrame, sel: Selection) -> pd.DataFrame:
    """The summary lines of one selection, one per row, in row order."""
    part = summary[(summary["perspective"] == sel.perspective) & (summary["wtp"] == sel.wtp)
                   & (summary["strategy"] == sel.strategy)]
    return part.sort_values("row")


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9]+", "_", text).strip("_").lower()


# ----------------------------------------------------------------------------- one-way
@dataclass(frozen=True)
class OneWayResult:
    """Result of :func:`one_way`.

    Attributes
    ----------
    spec : ModelSpec
    ranges : tuple of Range
        The varied parameters, in workbook order; row ``2i + 1`` of ``table`` is
        ``ranges[i]`` at its low value and row ``2i + 2`` at its high value.
    skipped : tuple of str
        Free parameters with no range (kept at base).
    table : DataFrame of shape (2 * n_varied + 1, n_free_parameters)
        The design pushed through the engine; row 0 is the base case.
    outcomes : Outcomes
    summary : DataFrame
        :func:`summarise` of the outcomes.
    selection : Selection
        What :meth:`tornado` ranks by default.
    """

    spec: ModelSpec
    ranges: tuple[Range, ...]
    skipped: tuple[str, ...]
    table: pd.DataFrame
    outcomes: Outcomes
    summary: pd.DataFrame
    selection: Selection

    def design(self) -> pd.DataFrame:
        """Per engine row: ``row, parameter, range_source, end, value`` (row 0 the base case)."""
        rows = [(0, "", "", "base", np.nan)]
        for i, r in enumerate(self.ranges):
            rows += [(2 * i + 1, r.parameter, r.source, "low", r.low),
                     (2 * i + 2, r.parameter, r.source, "high", r.high)]
        return pd.DataFrame(rows, columns=["row", "parameter", "range_source", "end", "value"])

    def to_frame(self) -> pd.DataFrame:
        """Every result: one line per parameter end x perspective x wtp x strategy.

        Columns ``parameter, range_source, end`` (``low``, ``high`` or ``base``),
        ``value`` (the parameter's value in that row), then the columns of
        :func:`summarise` (without ``row``).
        """
        frame = self.design().merge(self.summary, on="row", how="left", sort=False)
        return frame.drop(columns="row")

    def tornado(self, *, outcome: str | None = None, perspective: str | None = None,
                wtp: float | None = None, strategy: str | None = None) -> pd.DataFrame:
        """Parameters ranked by swing = |outcome at high - outcome at low|.

        Options default to the analysis' :attr:`selection`. Columns
        ``parameter, label, range_source, low_value, base_value, high_value,
        outcome_low, outcome_base, outcome_high, swing, optimal_low,
        optimal_base, optimal_high, decision_changes`` (the optimal strategy at
        either end differs from the base case's), largest swing first; ties keep
        workbook order.
        """
        d = self.selection
        sel = select(self.spec, perspective=perspective or d.perspective,
                     wtp=d.wtp if wtp is None else wtp, strategy=strategy or d.strategy,
                     outcome=outcome or d.outcome)
        part = _pick(self.summary, sel)
        if part.empty:
            raise ValueError(f"wtp {sel.wtp:g} was not analysed; run one_way(..., wtp=...)")
        value, best = part[sel.outcome].to_numpy(), part["optimal"].to_numpy()
        frame = pd.DataFrame({
            "parameter": [r.parameter for r in self.ranges],
            "label": [r.label() for r in self.ranges],
            "range_source": [r.source for r in self.ranges],
            "low_value": [r.low for r in self.ranges],
            "base_value": [r.base for r in self.ranges],
            "high_value": [r.high for r in self.ranges],
            "outcome_low": value[1::2], "outcome_base": value[0], "outcome_high": value[2::2],
            "swing": np.abs(value[2::2] - value[1::2]),
            "optimal_low": best[1::2], "optimal_base": best[0], "optimal_high": best[2::2],
        })
        frame["decision_changes"] = ((frame["optimal_low"] != best[0])
                                     | (frame["optimal_high"] != best[0]))
        order = np.argsort(-frame["swing"].fillna(-1).to_numpy(), kind="stable")
        frame = frame.iloc[order].reset_index(drop=True)
        frame.attrs["selection"] = sel
        frame.attrs["description"] = sel.describe(self.spec.strategy_names[0])
        return frame

    def to_sheets(self) -> list[SheetSpec]:
        """One sheet ``one-way``: per perspective a ranked tornado table and its chart, then
        every result (:meth:`to_frame`)."""
        s = self.spec.settings
        sheet = SheetSpec("one-way")
        for perspective in s.perspectives:
            table = self.tornado(perspective=perspective)
            sheet.blocks += _tornado_blocks(table, self.spec)
        note = "Each parameter varied alone, every other free parameter at its base value."
        if self.skipped:
            note += f" Not varied (no range or distribution): {', '.join(self.skipped)}."
        sheet.blocks.append(Block("All one-way results (incrementals against "
                                  f"{self.spec.strategy_names[0]})", self.to_frame(), note))
        return [sheet]

    def write_figures(self, out_dir: str | Path, model_name: str) -> list[Path]:
        """One tornado PNG per perspective: ``<model>_tornado_<perspective>.png``."""
        from cea.export.figures.tornado import tornado_figure

        paths = []
        for perspective in self.spec.settings.perspectives:
            table = self.tornado(perspective=perspective)
            path = Path(out_dir) / f"{model_name}_tornado_{_slug(perspective)}.png"
            paths.append(tornado_figure(table, path, title=f"{model_name}: one-way "
                                        f"sensitivity, {perspective} perspective",
                                        currency=_currency(self.spec)))
        return paths


def _currency(spec: ModelSpec) -> str:
    s = spec.settings
    return f"{s.currency} {s.price_year}".strip() if s.price_year else s.currency


def _tornado_blocks(table: pd.DataFrame, spec: ModelSpec) -> list[Block]:
    sel: Selection = table.attrs["selection"]
    text = table.attrs["description"]
    ranked = table.drop(columns="label")
    note = ("Ranked by swing |high - low|. decision_changes: the optimal strategy (highest NMB at "
            f"{sel.wtp:,.0f}) at the low or high value differs from the base case's "
            f"({table['optimal_base'].iloc[0] if len(table) else ''}).")
    chart_data = pd.DataFrame({
        "label": table["label"],
        "change_at_low": table["outcome_low"] - table["outcome_base"],
        "change_at_high": table["outcome_high"] - table["outcome_base"],
    }).iloc[::-1].reset_index(drop=True)
    unit = f" ({_currency(spec)})" if sel.outcome in _MONEY else ""
    chart = Chart(kind="bar", x="label", y=("change_at_low", "change_at_high"),
                  title=f"Tornado: {OUTCOMES[sel.outcome]}, {sel.perspective}",
                  y_title=f"change from base case {table['outcome_base'].iloc[0]:,.4g}{unit}"
                  if len(table) else "")
    return [Block(f"Tornado: {text}", ranked, note),
            Block(f"Tornado chart data: change from the base case, {sel.perspective} "
                  "(smallest swing first, so the largest bar is on top)", chart_data,
                  chart=chart)]


def one_way(spec: ModelSpec, *, parameters: Sequence[str] | None = None,
            ranges: Mapping[str, tuple[float, float]] | None = None,
            perspective: str | None = None, outcome: str | None = None,
            wtp: float | None = None, strategy: str | None = None) -> OneWayResult:
    """One-way sensitivity analysis: each parameter at its low and high value, alone.

    Parameters
    ----------
    spec : ModelSpec
    parameters : sequence of str, optional
        Free parameters to vary (default: every free parameter with a range or
        a distribution; the others are listed in ``skipped``).
    ranges : mapping of name to (low, high), optional
        Ranges that replace the workbook's (``range_source`` "argument").
    perspective, outcome, wtp, strategy : optional
        What the tornado ranks by: default the first perspective, ``inc_nmb``
        (see :data:`OUTCOMES`) at the first threshold, for the second strategy
        against the first. Every perspective, threshold and strategy is in the
        results whatever is chosen; a ``wtp`` not in the workbook is added.

    Returns
    -------
    OneWayResult
        From ``2 * n_varied + 1`` rows run in one engine call.

    Raises
    ------
    ValueError
        If a parameter is unknown, derived or has no range, or a range is invalid.
    ModelError
        If a value makes the model invalid; the message names the parameter and end.
    """
    varied, skipped = resolve_ranges(spec, parameters, ranges)
    sel = select(spec, perspective=perspective, wtp=wtp, strategy=strategy, outcome=outcome)
    columns = {r.parameter: np.r_[r.base, np.full(2 * len(varied), r.base)] for r in varied}
    for i, r in enumerate(varied):
        columns[r.parameter][2 * i + 1: 2 * i + 3] = (r.low, r.high)
    table = spec.table_from(pd.DataFrame(columns, index=range(2 * len(varied) + 1)))

    def describe(row: int) -> str:
        if row == 0:
            return "the base case"
        r = varied[(row - 1) // 2]
        end, value = ("low", r.low) if row % 2 else ("high", r.high)
        return f"parameter {r.parameter} at its {end} value {value:g}"

    outcomes = run_rows(spec, table, describe)
    summary = summarise(spec, outcomes, wtp_values(spec, wtp))
    return OneWayResult(spec, tuple(varied), tuple(skipped), table, outcomes, summary, sel)
