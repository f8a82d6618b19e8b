"""The inputs and outputs of a global sensitivity analysis, and the checks of its options.

Every uncertain parameter (a free parameter with a distribution) is one input of a SALib
problem on the unit cube [0, 1] (:class:`Inputs`, :func:`model_inputs`); design points
are kept inside (0, 1) (:func:`clip_unit`) and mapped through each distribution's inverse
CDF. The outputs are the decision's increments (:func:`decision_outputs`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from cea.analyses import incremental
from cea.analyses.sampling import uncertain_parameters
from cea.engine import Outcomes
from cea.model.arguments import require
from cea.model.distributions import Dirichlet
from cea.model.spec import ModelSpec

__all__ = ["EPS", "INDEPENDENCE", "LABELS", "GSAWarning", "Inputs", "as_frame", "clip_unit",
           "constant", "decision_outputs", "keys", "labels_of", "model_inputs", "seeds",
           "transform"]

#: Design points u are mapped to EPS + (1 - 2 EPS) u before the ppf, which needs (0, 1).
EPS = 1e-12
LABELS = ("outcome", "perspective", "comparison", "wtp")
OUTCOME_WORDS = {"inc_nmb": "incremental NMB", "inc_cost": "incremental cost",
                 "inc_qaly": "incremental QALYs"}
INDEPENDENCE = "Sobol and Morris indices assume independent inputs"


class GSAWarning(UserWarning):
    """A global sensitivity result that needs care: ignored correlations, wide intervals."""



@dataclass(frozen=True)
class Inputs:
    """The SALib inputs: one unit-cube column per name, optionally gathered in groups.

    ``groups[i]`` is the SALib group of ``names[i]``; None means every name is its own
    input. The analysed units (``labels``) are the groups in order of first appearance.
    """

    names: tuple[str, ...]
    groups: tuple[str, ...] | None = None
    notes: tuple[str, ...] = ()

    @property
    def labels(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(self.groups or self.names))

    def members(self, label: str) -> tuple[str, ...]:
        if self.groups is None:
            return (label,)
        return tuple(n for n, g in zip(self.names, self.groups) if g == label)

    def problem(self) -> dict:
        """A fresh SALib problem dict (SALib's Morris functions modify the dict they get)."""
        problem = {"num_vars": len(self.names), "names": list(self.names),
                   "bounds": [[0.0, 1.0]] * len(self.names)}
        if self.groups is not None:
            problem["groups"] = list(self.groups)
        return problem


def model_inputs(spec: ModelSpec, *, groups: bool = False) -> Inputs:
    """Every uncertain parameter of ``spec`` as a SALib input, in workbook order.

    With ``groups`` the workbook's ``group`` column gathers parameters (a parameter with a
    blank group is its own input). A Dirichlet group always moves as one input: without
    ``groups`` it becomes a SALib group named ``<group> (dirichlet)``; with ``groups`` its
    members must share one workbook group. Raises ValueError if there is nothing to vary.
    """
    params = uncertain_parameters(spec)
    names = tuple(p.name for p in params)
    dirichlet = {p.name: p.distribution.group for p in params
                 if isinstance(p.distribution, Dirichlet)}
    notes = []
    if groups:
        labels = tuple(p.group or p.name for p in params)
        for group in dict.fromkeys(dirichlet.values()):
            members = [n for n, g in dirichlet.items() if g == group]
            found = sorted({labels[names.index(n)] for n in members})
            if len(found) > 1:
                raise ValueError(
                    f"dirichlet group '{group}' ({', '.join(members)}) is dependent by "
                    f"construction and must lie in one parameter group; its members are in "
                    f"groups {found}. Give them the same value in the parameters sheet's "
                    "group column.")
    elif dirichlet:
        labels = tuple(f"{dirichlet[n]} (dirichlet)" if n in dirichlet else n for n in names)
    else:
        labels = None
    if dirichlet:
        notes.append("dirichlet members move together as one input: "
                     + "; ".join(f"{g}: {', '.join(n for n in dirichlet if dirichlet[n] == g)}"
                                 for g in dict.fromkeys(dirichlet.values())))
    correlations = tuple(getattr(spec, "correlations", ()) or ())
    if correlations:
        pairs = ", ".join(_describe_correlation(c) for c in correlations)
        notes.append(f"{INDEPENDENCE}; the workbook's correlation(s) {pairs} are not imposed "
                     "here (the PSA imposes them): inputs are sampled independently, so "
                     "indices of correlated parameters describe an independent-inputs version "
                     "of the model")
    inputs = Inputs(names, labels, tuple(notes))
    if len(inputs.labels) < 2:
        raise ValueError(f"global sensitivity analysis needs at least two inputs or groups "
                         f"with a distribution; the model has {list(inputs.labels)}.")
    return inputs


def _describe_correlation(c) -> str:
    """``a~b (0.5)`` for a :class:`cea.model.spec.Correlation` (or an (a, b, value) tuple)."""
    try:
        a, b, value = c.parameter_1, c.parameter_2, c.value
    except AttributeError:
        try:
            a, b, value = c
        except (TypeError, ValueError):
            return str(c)
    return f"{a}~{b} ({float(value):g})"


def clip_unit(u: np.ndarray) -> np.ndarray:
    """Map design points from [0, 1] into (0, 1): ``EPS + (1 - 2 EPS) u``, EPS = 1e-12.

    Every point moves by at most 1e-12 (far below any effect on an index); exact 0 and 1,
    where a ppf is infinite for unbounded distributions, become 1e-12 and 1 - 1e-12.
    """
    return EPS + (1.0 - 2.0 * EPS) * np.asarray(u, dtype=float)


def transform(ppfs) -> Callable[[np.ndarray], object]:
    """One callable u (rows, D) -> model inputs, from a callable or a sequence of ppfs."""
    if callable(ppfs):
        return ppfs
    funcs = list(ppfs)
    return lambda u: np.column_stack([f(u[:, j]) for j, f in enumerate(funcs)])



def decision_outputs(spec: ModelSpec, outcomes: Outcomes, *,
                     wtp: Sequence[float], perspectives: Sequence[str]) -> pd.DataFrame:
    """The decision's increments per row: each strategy minus the first strategy.

    Returns a DataFrame of shape (n_rows, n_outputs) whose columns are a MultiIndex
    (outcome, perspective, comparison, wtp): ``inc_nmb`` at each threshold and ``inc_cost``
    per perspective, then ``inc_qaly`` (perspective ``all``: QALYs do not depend on it);
    ``wtp`` is NaN where it does not apply. ``inc_nmb = wtp * inc_qaly - inc_cost``.
    """
    names = outcomes.strategies
    qaly = outcomes["qaly"]
    columns, values = [], []
    for j in range(1, len(names)):
        comparison = f"{names[j]} vs {names[0]}"
        for perspective in perspectives:
            cost = outcomes.cost(spec.settings.perspectives[perspective])
            if len(wtp):
                nmb = incremental.nmb(cost, qaly, np.asarray(wtp, dtype=float))
                for k, w in enumerate(wtp):
                    columns.append(("inc_nmb", perspective, comparison, float(w)))
                    values.append(nmb[:, k, j] - nmb[:, k, 0])
            columns.append(("inc_cost", perspective, comparison, np.nan))
            values.append(cost[:, j] - cost[:, 0])
        columns.append(("inc_qaly", "all", comparison, np.nan))
        values.append(qaly[:, j] - qaly[:, 0])
    index = pd.MultiIndex.from_tuples(columns, names=list(LABELS))
    return pd.DataFrame(np.column_stack(values), columns=index)


def as_frame(y, n_rows: int) -> pd.DataFrame:
    """Outputs as a DataFrame of shape (n_rows, n_outputs); plain arrays get columns y0..."""
    if isinstance(y, pd.Series):
        y = y.to_frame(y.name or "y")
    if not isinstance(y, pd.DataFrame):
        arr = np.asarray(y, dtype=float)
        arr = arr[:, None] if arr.ndim == 1 else arr
        if arr.ndim != 2:
            raise ValueError(f"f must return shape (rows,) or (rows, outputs); got {arr.shape}")
        cols = ["y"] if arr.shape[1] == 1 else [f"y{k}" for k in range(arr.shape[1])]
        y = pd.DataFrame(arr, columns=pd.Index(cols, name="output"))
    if len(y) != n_rows:
        raise ValueError(f"f must return one value per design row ({n_rows}); got {len(y)}")
    if not np.isfinite(y.to_numpy(dtype=float)).all():
        raise ValueError("f returned values that are not finite; sensitivity indices need "
                         "a finite output for every design row")
    return y


def labels_of(y: pd.DataFrame) -> tuple[str, ...]:
    names = y.columns.names
    return tuple(n if n is not None else f"label_{i}" if len(names) > 1 else "output"
                 for i, n in enumerate(names))


def keys(y: pd.DataFrame):
    for key in y.columns:
        yield key if isinstance(key, tuple) else (key,)


def constant(values: np.ndarray) -> bool:
    return np.ptp(values) <= 1e-12 * max(1.0, float(np.abs(values).max()))



def common_checks(func: str, num_resamples: int, conf_level: float) -> None:
    require(isinstance(num_resamples, (int, np.integer)) and num_resamples >= 2,
             func, "num_resamples", "an integer >= 2", num_resamples)
    require(isinstance(conf_level, (int, float)) and 0 < conf_level < 1, func, "conf_level",
             "a number strictly between 0 and 1, e.g. 0.95", conf_level)


def checked_inputs(func: str, names, groups, notes) -> Inputs:
    inputs = Inputs(tuple(names), None if groups is None else tuple(groups), tuple(notes))
    require(groups is None or len(inputs.groups) == len(inputs.names), func, "groups",
             f"one group per name ({len(inputs.names)})", groups)
    require(len(inputs.labels) >= 2, func, "names",
             "at least two inputs (or two groups) to apportion the variance between",
             list(inputs.labels))
    return inputs


def seeds(seed: int | None) -> tuple[int, int, int]:
    """(recorded seed, design seed, bootstrap seed); SALib ignores a seed of 0, so avoid it."""
    if seed is None:
        seed = int(np.random.SeedSequence().entropy)
    design, bootstrap = np.random.SeedSequence(seed).generate_state(2)
    return int(seed), int(design) + 1, int(bootstrap) + 1
