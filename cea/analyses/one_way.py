"""One-way sensitivity analysis and its tornado: each parameter at its low and high value.

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

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from cea.analyses.ranges import (
    Range,
    Selection,
    pick,
    resolve_ranges,
    run_rows,
    select,
    summarise,
    wtp_values,
)
from cea.engine import Outcomes
from cea.model.spec import ModelSpec

__all__ = ["OneWayResult", "one_way"]


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
        part = pick(self.summary, sel)
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


def one_way(spec: ModelSpec, *, parameters: Sequence[str] | None = None,
            ranges: Mapping[str, tuple[float, float]] | None = None,
            perspective: str | None = None, outcome: str | None = None,
            wtp: float | None = None, strategy: str | None = None, seed: int | None = None,
            executor=None, progress=None) -> OneWayResult:
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
    seed : ignored
        Accepted so that every analysis takes the same keywords (this one is deterministic).
    executor : None, concurrent.futures.Executor or distributed.Client, optional
        Where the rows run (:mod:`cea.engine.executors`); the numbers are the same.
    progress : callable(done_rows, total_rows), optional

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

    outcomes = run_rows(spec, table, describe, executor=executor, progress=progress)
    summary = summarise(spec, outcomes, wtp_values(spec, wtp))
    return OneWayResult(spec, tuple(varied), tuple(skipped), table, outcomes, summary, sel)
