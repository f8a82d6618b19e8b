"""Two-way sensitivity analysis: two parameters over a grid, one engine call.

Row ``i * n2 + j`` of the design holds the first parameter's i-th grid value and
the second's j-th (the first varies slowest); every other free parameter stays
at its base value. Ranges are found as for the one-way analysis
(:func:`cea.analyses.ranges.parameter_range`).
"""

from __future__ import annotations

from collections.abc import Mapping
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
from cea.model.arguments import Integer, check
from cea.model.memory import ROW_BYTES, check_rows
from cea.model.spec import ModelSpec

__all__ = ["TwoWayResult", "grid_values", "two_way"]


@dataclass(frozen=True)
class TwoWayResult:
    """Result of :func:`two_way`: row ``i * n2 + j`` of ``table`` holds ``values1[i]`` and
    ``values2[j]`` (the first parameter varies slowest)."""

    spec: ModelSpec
    ranges: tuple[Range, Range]
    values1: np.ndarray
    values2: np.ndarray
    table: pd.DataFrame
    outcomes: Outcomes
    summary: pd.DataFrame
    selection: Selection

    def to_frame(self) -> pd.DataFrame:
        """One line per grid cell x perspective x wtp x strategy: the two parameters' values,
        then the columns of :func:`summarise` (without ``row``)."""
        p1, p2 = (r.parameter for r in self.ranges)
        design = pd.DataFrame({"row": np.arange(len(self.table)),
                               p1: self.table[p1].to_numpy(), p2: self.table[p2].to_numpy()})
        return design.merge(self.summary, on="row", sort=False).drop(columns="row")

    def grid(self, *, value: str = "inc_nmb", perspective: str | None = None,
             wtp: float | None = None, strategy: str | None = None) -> pd.DataFrame:
        """A table with the first parameter down the rows and the second across.

        ``value`` is ``optimal`` (the strategy with the highest NMB) or a column of
        :func:`summarise` such as ``inc_nmb``.
        """
        d = self.selection
        sel = Selection(perspective or d.perspective, d.wtp if wtp is None else float(wtp),
                        strategy or d.strategy, d.outcome)
        part = pick(self.summary, sel)
        if part.empty:
            raise ValueError(f"no results for {sel}; perspective, wtp or strategy not analysed")
        cells = part[value].to_numpy().reshape(len(self.values1), len(self.values2))
        p1, p2 = (r.parameter for r in self.ranges)
        return pd.DataFrame(cells, index=pd.Index(self.values1, name=p1),
                            columns=pd.Index(self.values2, name=p2))


def grid_values(r: Range, points: int) -> np.ndarray:
    """``points`` evenly spaced values from low to high; the base value exactly if on the grid."""
    values = np.linspace(r.low, r.high, points)
    values[np.isclose(values, r.base, rtol=1e-12, atol=0)] = r.base
    return values


def two_way(spec: ModelSpec, parameter1: str, parameter2: str, *, points: int = 11,
            ranges: Mapping[str, tuple[float, float]] | None = None,
            perspective: str | None = None, wtp: float | None = None,
            strategy: str | None = None, seed: int | None = None, executor=None,
            progress=None) -> TwoWayResult:
    """Two-way sensitivity analysis over a grid of two parameters' values.

    Parameters
    ----------
    spec : ModelSpec
    parameter1, parameter2 : str
        Free parameters, each swept from its low to its high value (ranges as in
        :func:`one_way`).
    points : int
        Values per axis (>= 2), evenly spaced, ends included: ``points**2`` rows
        in one engine call.
    ranges, perspective, wtp, strategy : optional
        As in :func:`one_way`; the selection sets what the grids and heat maps show.
    seed, executor, progress : optional
        As in :func:`one_way`.

    Returns
    -------
    TwoWayResult
    """
    if parameter1 == parameter2:
        raise ValueError(f"two_way needs two different parameters; got {parameter1!r} twice")
    check("two_way", "points", points, Integer(2))
    check_rows("two_way", "points", points, points**2,
               ROW_BYTES * (len(spec.free_parameters) + 4 * len(spec.strategies)),
               "Use fewer points per axis.")
    varied, _ = resolve_ranges(spec, [parameter1, parameter2], ranges)
    sel = select(spec, perspective=perspective, wtp=wtp, strategy=strategy, outcome="inc_nmb"
                 if len(spec.strategies) > 1 else "nmb")
    v1, v2 = (grid_values(r, points) for r in varied)
    table = spec.table_from(pd.DataFrame({parameter1: np.repeat(v1, points),
                                          parameter2: np.tile(v2, points)}))

    def describe(row: int) -> str:
        return (f"{parameter1} = {v1[row // points]:g} and {parameter2} = "
                f"{v2[row % points]:g}")

    outcomes = run_rows(spec, table, describe, executor=executor, progress=progress)
    summary = summarise(spec, outcomes, wtp_values(spec, wtp))
    return TwoWayResult(spec, (varied[0], varied[1]), v1, v2, table, outcomes, summary, sel)
