"""Global sensitivity analysis of the decision: Sobol indices and Morris screening (SALib).

Every uncertain parameter (a free parameter with a distribution) is one input
of a SALib problem on the unit cube [0, 1]. SALib's design is mapped through
:func:`cea.sampling.table_from_uniform` — each distribution's inverse CDF, the
same mapping the PSA uses — so the indices describe the same uncertainty as
the PSA. The whole design is ONE table of parameter rows and ONE
:func:`cea.engine.run` call; the outputs are the decision's increments (each
strategy against the first): incremental net monetary benefit at each
threshold, incremental cost per perspective and incremental QALYs.

The wiring (unit cube -> ppf -> evaluate -> SALib analyze) is exposed for any
vectorised function as :func:`sobol_indices` and :func:`morris_indices`; the
model functions :func:`sobol` and :func:`morris` are that wiring with the
engine as the function. See ``docs/gsa.md``.

Assumptions
-----------
Sobol indices decompose the output variance for *independent* inputs. A
Dirichlet group is dependent by construction (its members sum to one), so it
always enters as one SALib group (its members move together; the joint
transform in ``table_from_uniform`` keeps them a Dirichlet draw). Correlations
declared in the workbook are not imposed: inputs are sampled independently and
a :class:`GSAWarning` and a note in every output table say so.

References
----------
.. [1] Saltelli A, Annoni P, Azzini I, et al. Variance based sensitivity analysis of model
   output. Design and estimator for the total sensitivity index. *Comput Phys Commun*.
   2010;181(2):259-270. doi:10.1016/j.cpc.2009.09.018
.. [2] Morris MD. Factorial sampling plans for preliminary computational experiments.
   *Technometrics*. 1991;33(2):161-174. doi:10.1080/00401706.1991.10484804
.. [3] Campolongo F, Cariboni J, Saltelli A. An effective screening design for sensitivity
   analysis of large models. *Environ Model Softw*. 2007;22(10):1509-1518.
   doi:10.1016/j.envsoft.2006.10.004
.. [4] Herman J, Usher W. SALib: an open-source Python library for sensitivity analysis.
   *J Open Source Softw*. 2017;2(9):97. doi:10.21105/joss.00097
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import ClassVar

import numpy as np
import pandas as pd
from SALib.analyze import morris as salib_morris_analyze
from SALib.analyze import sobol as salib_sobol_analyze
from SALib.sample import morris as salib_morris_sample
from SALib.sample import sobol as salib_sobol_sample

from cea import engine, executors, incremental
from cea.distributions import Dirichlet
from cea.sampling import table_from_uniform, uncertain_parameters
from cea.spec import ModelSpec

__all__ = ["EPS", "GSAWarning", "MorrisResult", "SobolResult", "clip_unit", "decision_outputs",
           "model_inputs", "morris", "morris_indices", "sobol", "sobol_indices"]

#: Design points u are mapped to EPS + (1 - 2 EPS) u before the ppf, which needs (0, 1).
EPS = 1e-12
LABELS = ("outcome", "perspective", "comparison", "wtp")
OUTCOME_WORDS = {"inc_nmb": "incremental NMB", "inc_cost": "incremental cost",
                 "inc_qaly": "incremental QALYs"}
INDEPENDENCE = "Sobol and Morris indices assume independent inputs"


class GSAWarning(UserWarning):
    """A global sensitivity result that needs care: ignored correlations, wide intervals."""


# --- inputs ----------------------------------------------------------------------------------

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
    """``a~b (0.5)`` for a :class:`cea.spec.Correlation` (or an (a, b, value) tuple)."""
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


def _transform(ppfs) -> Callable[[np.ndarray], object]:
    """One callable u (rows, D) -> model inputs, from a callable or a sequence of ppfs."""
    if callable(ppfs):
        return ppfs
    funcs = list(ppfs)
    return lambda u: np.column_stack([f(u[:, j]) for j, f in enumerate(funcs)])


# --- outputs ---------------------------------------------------------------------------------

def decision_outputs(spec: ModelSpec, outcomes: engine.Outcomes, *,
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


def _as_frame(y, n_rows: int) -> pd.DataFrame:
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


def _labels(y: pd.DataFrame) -> tuple[str, ...]:
    names = y.columns.names
    return tuple(n if n is not None else f"label_{i}" if len(names) > 1 else "output"
                 for i, n in enumerate(names))


def _keys(y: pd.DataFrame):
    for key in y.columns:
        yield key if isinstance(key, tuple) else (key,)


def _constant(values: np.ndarray) -> bool:
    return np.ptp(values) <= 1e-12 * max(1.0, float(np.abs(values).max()))


# --- checks and seeds ------------------------------------------------------------------------

def _require(ok: bool, name: str, func: str, must: str, got) -> None:
    if not ok:
        raise ValueError(f"The {name!r} parameter of {func} must be {must}. Got {got!r} instead.")


def _common_checks(func: str, num_resamples: int, conf_level: float) -> None:
    _require(isinstance(num_resamples, (int, np.integer)) and num_resamples >= 2,
             "num_resamples", func, "an integer >= 2", num_resamples)
    _require(isinstance(conf_level, (int, float)) and 0 < conf_level < 1, "conf_level", func,
             "a number strictly between 0 and 1, e.g. 0.95", conf_level)


def _checked_inputs(func: str, names, groups, notes) -> Inputs:
    inputs = Inputs(tuple(names), None if groups is None else tuple(groups), tuple(notes))
    _require(groups is None or len(inputs.groups) == len(inputs.names), "groups", func,
             f"one group per name ({len(inputs.names)})", groups)
    _require(len(inputs.labels) >= 2, "names", func,
             "at least two inputs (or two groups) to apportion the variance between",
             list(inputs.labels))
    return inputs


def _seeds(seed: int | None) -> tuple[int, int, int]:
    """(recorded seed, design seed, bootstrap seed); SALib ignores a seed of 0, so avoid it."""
    if seed is None:
        seed = int(np.random.SeedSequence().entropy)
    design, bootstrap = np.random.SeedSequence(seed).generate_state(2)
    return int(seed), int(design) + 1, int(bootstrap) + 1


# --- the wiring: unit cube -> ppf -> evaluate -> SALib ---------------------------------------

def sobol_indices(names: Sequence[str], ppfs, f: Callable, *, n: int = 1024,
                  groups: Sequence[str] | None = None, second_order: bool = False,
                  seed: int | None = None, num_resamples: int = 100, conf_level: float = 0.95,
                  tolerance: float = 0.1, notes: Sequence[str] = (),
                  context: Mapping | None = None) -> SobolResult:
    """Sobol first-order (S1), total (ST) and optionally second-order (S2) indices of ``f``.

    The steps, the same for the cohort model and for a test function:

    1. SALib's Saltelli/Sobol' design on the unit cube [0, 1]^D (``SALib.sample.sobol``,
       scrambled, seeded): N(2D + 2) rows with second order, N(D + 2) without, where D
       counts the inputs (or groups).
    2. :func:`clip_unit` keeps every point inside (0, 1).
    3. ``ppfs`` maps the uniforms to the model's inputs.
    4. ``f`` evaluates every row at once.
    5. ``SALib.analyze.sobol.analyze`` per output, with bootstrap confidence intervals.

    Parameters
    ----------
    names : sequence of str
        One name per unit-cube column.
    ppfs : callable or sequence of callables
        ``ppfs(u)`` with u of shape (rows, D) returning what ``f`` takes, or one inverse CDF
        per column (the columns are then stacked into an array of shape (rows, D)).
    f : callable
        Vectorised model: returns shape (rows,), (rows, k) or a DataFrame with one column per
        output (MultiIndex column level names become label columns of the result).
    n : int
        Base sample size N, a power of two (the Sobol' sequence's balance needs it).
    groups : sequence of str, optional
        SALib group of each name; indices are then per group.
    second_order : bool
        Also estimate S2 (costs N·D more rows).
    seed : int, optional
        Seeds the design and the bootstrap; recorded in the result.
    num_resamples, conf_level : int, float
        Bootstrap resamples and level of the intervals (SALib: ``S ± z·SD_boot``).
    tolerance : float
        Widest acceptable ST interval (upper minus lower bound); wider ones are flagged and
        warned about with a suggested N.
    notes : sequence of str
        Notes copied into every row of the result (e.g. the independence assumption).

    Returns
    -------
    SobolResult

    Warns
    -----
    GSAWarning
        When a note states the independence assumption over declared correlations, and when
        an ST interval is wider than ``tolerance``.
    """
    result = _sobol_wiring(names, ppfs, f, n=n, groups=groups, second_order=second_order,
                           seed=seed, num_resamples=num_resamples, conf_level=conf_level,
                           tolerance=tolerance, notes=notes, context=context)
    result.warn(stacklevel=3)
    return result


def _sobol_wiring(names, ppfs, f, *, n, groups, second_order, seed, num_resamples,
                  conf_level, tolerance, notes, context) -> SobolResult:
    func = "sobol_indices"
    _require(isinstance(n, (int, np.integer)) and n >= 2 and (n & (n - 1)) == 0, "n", func,
             "a power of two >= 2, such as 64, 1024 or 4096", n)
    _common_checks(func, num_resamples, conf_level)
    _require(isinstance(tolerance, (int, float)) and tolerance > 0, "tolerance", func,
             "a positive number, e.g. 0.1", tolerance)
    inputs = _checked_inputs(func, names, groups, notes)
    seed, design_seed, boot_seed = _seeds(seed)
    u = salib_sobol_sample.sample(inputs.problem(), int(n), calc_second_order=second_order,
                                  seed=design_seed)
    y = _as_frame(f(_transform(ppfs)(clip_unit(u))), len(u))
    frames, second = [], []
    for key, values in zip(_keys(y), y.to_numpy(dtype=float).T):
        label = dict(zip(_labels(y), key))
        first, pairs = _sobol_one(inputs, values, second_order, num_resamples, conf_level,
                                  boot_seed)
        frames.append(first.assign(**label))
        if pairs is not None:
            second.append(pairs.assign(**label))
    labels = _labels(y)
    indices = _finish(pd.concat(frames, ignore_index=True), labels, tolerance, inputs.notes)
    return SobolResult(
        indices=indices, labels=labels, n=int(n), n_rows=len(u), n_inputs=len(inputs.labels),
        second_order=second_order, grouped=inputs.groups is not None, tolerance=tolerance,
        conf_level=conf_level, num_resamples=num_resamples, seed=seed, notes=inputs.notes,
        second=(_front(pd.concat(second, ignore_index=True), labels) if second else None),
        context=dict(context or {}))


def _sobol_one(inputs: Inputs, y: np.ndarray, second_order: bool, num_resamples: int,
               conf_level: float, seed: int) -> tuple[pd.DataFrame, pd.DataFrame | None]:
    """Indices of one output; NaN with a note when the output does not vary."""
    labels = inputs.labels
    step = (2 if second_order else 1) * len(labels) + 2
    sample = np.r_[y[::step], y[step - 1::step]]  # the A and B rows: a plain random sample
    frame = pd.DataFrame({"parameter": labels,
                          "members": [", ".join(inputs.members(g)) for g in labels],
                          "mean": sample.mean(), "sd": sample.std(ddof=1)})
    if _constant(y):
        for column in ("S1", "S1_conf", "ST", "ST_conf"):
            frame[column] = np.nan
        frame["note"] = "the outcome does not vary"
        return frame, None
    s = salib_sobol_analyze.analyze(inputs.problem(), y, calc_second_order=second_order,
                                    num_resamples=num_resamples, conf_level=conf_level,
                                    seed=seed)
    for column in ("S1", "S1_conf", "ST", "ST_conf"):
        frame[column] = np.asarray(s[column], dtype=float)
    frame["note"] = ""
    pairs = None
    if second_order:
        j, k = np.triu_indices(len(labels), 1)
        pairs = pd.DataFrame({"parameter_1": np.asarray(labels)[j],
                              "parameter_2": np.asarray(labels)[k],
                              "S2": s["S2"][j, k], "S2_conf": s["S2_conf"][j, k]})
    return frame, pairs


def _finish(frame: pd.DataFrame, labels, tolerance: float, notes) -> pd.DataFrame:
    """Interval bounds, the convergence flag and notes; label columns first."""
    for index in ("S1", "ST"):
        frame[f"{index}_low"] = frame[index] - frame[f"{index}_conf"]
        frame[f"{index}_high"] = frame[index] + frame[f"{index}_conf"]
    frame["ST_width"] = 2 * frame["ST_conf"]
    frame["converged"] = ~(frame["ST_width"] > tolerance)
    wide = f"ST interval wider than {tolerance:g}: increase n"
    frame["note"] = [
        "; ".join(t for t in (note, "" if ok else wide, *notes) if t)
        for note, ok in zip(frame["note"], frame["converged"])]
    order = ["parameter", "members", "S1", "S1_conf", "S1_low", "S1_high", "ST", "ST_conf",
             "ST_low", "ST_high", "ST_width", "converged", "mean", "sd", "note"]
    return _front(frame[order + list(labels)], labels)


def _front(frame: pd.DataFrame, labels) -> pd.DataFrame:
    return frame[list(labels) + [c for c in frame.columns if c not in labels]]


def morris_indices(names: Sequence[str], ppfs, f: Callable, *, trajectories: int = 20,
                   levels: int = 4, groups: Sequence[str] | None = None,
                   seed: int | None = None, num_resamples: int = 100,
                   conf_level: float = 0.95, notes: Sequence[str] = (),
                   context: Mapping | None = None) -> MorrisResult:
    """Morris elementary-effects screening of ``f``: μ*, μ, σ and a bootstrap interval for μ*.

    SALib's Morris design (``trajectories`` x (D + 1) rows) puts each input on the grid
    0, 1/(p-1), ..., 1 (p = ``levels``, even) and moves one input (or group) at a time by
    Δ = p / (2(p - 1)). The grid level k is mapped to the centre of the k-th of p
    equal-probability bins, u = (k + 1/2)/p (e.g. the 12.5th, 37.5th, 62.5th and 87.5th
    centiles for p = 4), and then through ``ppfs``: every step moves an input by half its
    probability range, and no point falls in an extreme tail. Effects are reported in the
    output's own units per step, i.e. SALib's μ*, μ, σ and μ*_conf multiplied by Δ.

    Parameters are as in :func:`sobol_indices`; ``trajectories`` is Morris's r.

    Returns
    -------
    MorrisResult
    """
    result = _morris_wiring(names, ppfs, f, trajectories=trajectories, levels=levels,
                            groups=groups, seed=seed, num_resamples=num_resamples,
                            conf_level=conf_level, notes=notes, context=context)
    _warn_notes("Morris screening", result.notes, stacklevel=3)
    return result


def _morris_wiring(names, ppfs, f, *, trajectories, levels, groups, seed, num_resamples,
                   conf_level, notes, context) -> MorrisResult:
    func = "morris_indices"
    _require(isinstance(trajectories, (int, np.integer)) and trajectories >= 2, "trajectories",
             func, "an integer >= 2", trajectories)
    _require(isinstance(levels, (int, np.integer)) and levels >= 2 and levels % 2 == 0,
             "levels", func, "an even integer >= 2, e.g. 4", levels)
    _common_checks(func, num_resamples, conf_level)
    inputs = _checked_inputs(func, names, groups, notes)
    seed, design_seed, boot_seed = _seeds(seed)
    x = salib_morris_sample.sample(inputs.problem(), int(trajectories), num_levels=levels,
                                   seed=design_seed)
    u = (x * (levels - 1) + 0.5) / levels
    y = _as_frame(f(_transform(ppfs)(u)), len(x))
    delta = levels / (2 * (levels - 1))
    labels = _labels(y)
    frames = []
    for key, values in zip(_keys(y), y.to_numpy(dtype=float).T):
        frame = pd.DataFrame({"parameter": inputs.labels,
                              "members": [", ".join(inputs.members(g)) for g in inputs.labels]})
        if _constant(values):
            for column in ("mu_star", "mu_star_conf", "mu", "sigma"):
                frame[column] = np.nan
            frame["note"] = "the outcome does not vary"
        else:
            s = salib_morris_analyze.analyze(inputs.problem(), x, values,
                                             num_resamples=num_resamples,
                                             conf_level=conf_level, num_levels=levels,
                                             seed=boot_seed)
            for column in ("mu_star", "mu_star_conf", "mu", "sigma"):
                frame[column] = np.ma.filled(np.ma.asarray(s[column], dtype=float),
                                             np.nan) * delta
            frame["note"] = ""
        frame["note"] = ["; ".join(t for t in (note, *inputs.notes) if t)
                         for note in frame["note"]]
        frames.append(frame.assign(**dict(zip(labels, key))))
    return MorrisResult(
        indices=_front(pd.concat(frames, ignore_index=True), labels), labels=labels,
        trajectories=int(trajectories), levels=int(levels), n_rows=len(x),
        n_inputs=len(inputs.labels), grouped=inputs.groups is not None, seed=seed,
        conf_level=conf_level, num_resamples=num_resamples, notes=inputs.notes,
        context=dict(context or {}))


def _warn_notes(method: str, notes, stacklevel: int) -> None:
    """Warn about every note that qualifies the independence assumption (correlations)."""
    for note in notes:
        if note.startswith(INDEPENDENCE):
            warnings.warn(f"{method}: {note}.", GSAWarning, stacklevel=stacklevel)


# --- the model -------------------------------------------------------------------------------

def _decision(spec: ModelSpec, func: str, wtp, perspective, groups: bool, chunk_size,
              executor=None):
    """Inputs, transform, evaluation and labels shared by :func:`sobol` and :func:`morris`."""
    _require(len(spec.strategies) >= 2, "spec", func, "a model with at least two strategies",
             spec.strategy_names)
    thresholds = spec.settings.wtp if wtp is None else np.atleast_1d(wtp).tolist()
    _require(all(np.isfinite(w) and w >= 0 for w in thresholds), "wtp", func,
             "finite thresholds >= 0", wtp)
    known = list(spec.settings.perspectives)
    chosen = known if perspective is None else (
        [perspective] if isinstance(perspective, str) else list(perspective))
    unknown = [p for p in chosen if p not in known]
    _require(not unknown and bool(chosen), "perspective", func, f"one of {known}", perspective)
    inputs = model_inputs(spec, groups=groups)

    def transform(u: np.ndarray) -> pd.DataFrame:
        return table_from_uniform(spec, u, inputs.names)

    def evaluate(table: pd.DataFrame) -> pd.DataFrame:
        if executor is None:
            outcomes = engine.run(spec, table, chunk_size=chunk_size)  # the ONE engine call
        else:  # the same rows, chunks on the executor's workers (cea.executors)
            outcomes = executors.run_table(spec, table, executor=executor, chunk_size=chunk_size)
        return decision_outputs(spec, outcomes, wtp=thresholds, perspectives=chosen)

    context = {"model_name": spec.settings.model_name,
               "currency": f"{spec.settings.currency} {spec.settings.price_year or ''}".strip()}
    return inputs, transform, evaluate, context


def sobol(spec: ModelSpec, *, n: int = 1024, second_order: bool = False, groups: bool = False,
          wtp: float | Sequence[float] | None = None,
          perspective: str | Sequence[str] | None = None, seed: int | None = None,
          num_resamples: int = 100, conf_level: float = 0.95, tolerance: float = 0.1,
          chunk_size: int | None = None, executor=None) -> SobolResult:
    """Sobol indices of the decision's increments over every uncertain parameter.

    Outputs: incremental NMB at each threshold (``settings.wtp`` by default) and incremental
    cost per perspective (all by default), and incremental QALYs, for each strategy against
    the first. The N(D + 2) (or N(2D + 2)) rows of the design go through the engine in one
    call. ``seed`` defaults to the workbook's seed. ``groups`` uses the parameters sheet's
    group column. ``executor`` (None, a ``concurrent.futures`` executor or a dask client) runs
    the engine's chunks elsewhere, with bit-identical results (:mod:`cea.executors`). See
    :func:`sobol_indices` for the other parameters.

    Returns
    -------
    SobolResult
        ``.to_frame()`` one row per output x parameter; ``.summary()`` one row per output.

    Warns
    -----
    GSAWarning
        When the workbook declares correlations (not imposed), and when an ST interval is
        wider than ``tolerance``.
    """
    inputs, transform, evaluate, context = _decision(spec, "sobol", wtp, perspective, groups,
                                                     chunk_size, executor)
    result = _sobol_wiring(inputs.names, transform, evaluate, n=n, groups=inputs.groups,
                           second_order=second_order,
                           seed=spec.settings.seed if seed is None else seed,
                           num_resamples=num_resamples, conf_level=conf_level,
                           tolerance=tolerance, notes=inputs.notes, context=context)
    result.warn(stacklevel=3)
    return result


def morris(spec: ModelSpec, *, trajectories: int = 20, levels: int = 4, groups: bool = False,
           wtp: float | Sequence[float] | None = None,
           perspective: str | Sequence[str] | None = None, seed: int | None = None,
           num_resamples: int = 100, conf_level: float = 0.95,
           chunk_size: int | None = None) -> MorrisResult:
    """Morris screening of the decision's increments (outputs as in :func:`sobol`).

    ``trajectories`` x (D + 1) rows, one engine call. μ* is in the outcome's units (e.g.
    AUD of incremental NMB) per step of half a parameter's probability range; see
    :func:`morris_indices`.
    """
    inputs, transform, evaluate, context = _decision(spec, "morris", wtp, perspective, groups,
                                                     chunk_size)
    result = _morris_wiring(inputs.names, transform, evaluate, trajectories=trajectories,
                            levels=levels, groups=inputs.groups,
                            seed=spec.settings.seed if seed is None else seed,
                            num_resamples=num_resamples, conf_level=conf_level,
                            notes=inputs.notes, context=context)
    _warn_notes("Morris screening", result.notes, stacklevel=3)
    return result


# --- results ---------------------------------------------------------------------------------

def _title(label: Mapping, context: Mapping) -> str:
    """Readable name of one output, e.g. 'incremental NMB at AUD 2024 28,033 per QALY, ...'."""
    if "outcome" not in label:
        return ", ".join(f"{k} {v}" for k, v in label.items())
    currency = context.get("currency", "")
    words = OUTCOME_WORDS.get(label["outcome"], str(label["outcome"]))
    if label["outcome"] == "inc_nmb":
        words += f" at {currency} {label['wtp']:,.0f} per QALY".replace("  ", " ")
    if label.get("perspective") not in (None, "all"):
        words += f", {label['perspective']} perspective"
    return f"{words}, {label['comparison']}"


def _outputs(frame: pd.DataFrame, labels) -> list[tuple[dict, pd.DataFrame]]:
    """(label dict, rows) per output, in the order of the result; NaN labels become None."""
    out = []
    for key, rows in frame.groupby(list(labels), sort=False, dropna=False):
        key = key if isinstance(key, tuple) else (key,)
        out.append(({k: None if isinstance(v, float) and np.isnan(v) else v
                     for k, v in zip(labels, key)}, rows))
    return out


def _slug(text) -> str:
    return "".join(ch if ch.isalnum() else "_" for ch in str(text)).strip("_").lower()


def _figure_name(model: str, method: str, label: Mapping, multi: bool) -> str:
    parts = [model, method] + [
        f"{v:g}" if isinstance(v, float) else str(v) for k, v in label.items()
        if v is not None and k != "comparison" and v != "all"]
    if multi and "comparison" in label:
        parts.append(label["comparison"])
    return "_".join(_slug(p) for p in parts) + ".png"


def _main_outputs(frame: pd.DataFrame, labels) -> list[tuple[dict, pd.DataFrame]]:
    """The main outcome: first output's outcome and threshold, for every perspective."""
    outputs = _outputs(frame, labels)
    first = outputs[0][0]
    keep = [k for k in ("outcome", "wtp") if k in first]
    return [(label, rows) for label, rows in outputs
            if all(label[k] == first[k] for k in keep)]


@dataclass(frozen=True, kw_only=True)
class _Result:
    """What Sobol and Morris results share: the tidy table and how it is presented."""

    indices: pd.DataFrame
    labels: tuple[str, ...]
    n_rows: int
    n_inputs: int
    grouped: bool
    seed: int
    conf_level: float
    num_resamples: int
    notes: tuple[str, ...] = ()
    context: dict = field(default_factory=dict)

    method: ClassVar[str]
    rank: ClassVar[str]  # the column that orders inputs by importance
    main_columns: ClassVar[tuple[str, ...]]

    def to_frame(self) -> pd.DataFrame:
        """Tidy indices: one row per output x parameter (or group)."""
        return self.indices.copy()

    def _notes_rows(self) -> list[tuple[str, str]]:
        return [("seed", str(self.seed)),
                *(("note", note) for note in (INDEPENDENCE, *self.notes))]

    def _main_blocks(self, note: str, chart_y: tuple[str, ...], y_title: str) -> list:
        """One block with a native bar chart per perspective for the main outcome."""
        from cea.export.excel import Block, Chart

        blocks = []
        for label, part in _main_outputs(self.indices, self.labels):
            title = f"{self.method}: {_title(label, self.context)}"
            frame = part.sort_values(self.rank, ascending=False)[list(self.main_columns)]
            if (frame["members"] == frame["parameter"]).all():
                frame = frame.drop(columns="members")
            blocks.append(Block(title, frame.reset_index(drop=True), note,
                                Chart("bar", "parameter", chart_y, title[:90],
                                      y_title=y_title, reverse=True)))
        return blocks

    def _figure_targets(self, out_dir, model_name):
        """(label, rows, path) per output."""
        model = model_name or self.context.get("model_name", "model")
        outputs = _outputs(self.indices, self.labels)
        multi = len({label.get("comparison") for label, _ in outputs}) > 1
        tag = self.method.split()[0].lower()
        return [(label, rows, Path(out_dir) / _figure_name(model, tag, label, multi))
                for label, rows in outputs]


@dataclass(frozen=True, kw_only=True)
class SobolResult(_Result):
    """Sobol indices per output; built by :func:`sobol` or :func:`sobol_indices`.

    ``indices`` holds one row per output x input: the label columns, ``parameter`` (a
    parameter or group), ``members``, ``S1``/``ST`` with ``_conf`` (SALib's half-width
    z·SD_boot), ``_low``/``_high``, ``ST_width``, ``converged``, the output's ``mean`` and
    ``sd`` over the design's A and B rows, and ``note``.
    """

    n: int
    second_order: bool
    tolerance: float
    second: pd.DataFrame | None = None

    method = "Sobol indices"
    rank = "ST"
    main_columns = ("parameter", "members", "S1", "S1_low", "S1_high", "ST", "ST_low",
                    "ST_high")

    @property
    def converged(self) -> bool:
        return bool(self.indices["converged"].all())

    def suggested_n(self) -> int:
        """A power of two at which every ST interval should meet the tolerance (∝ 1/sqrt N)."""
        widest = float(self.indices["ST_width"].max())
        if not widest > self.tolerance:
            return self.n
        return self.n * 2 ** math.ceil(math.log2((widest / self.tolerance) ** 2))

    def warn(self, stacklevel: int = 2) -> None:
        """Issue the :class:`GSAWarning` s for ignored correlations and wide intervals."""
        _warn_notes("Sobol indices", self.notes, stacklevel + 1)
        wide = self.indices[~self.indices["converged"]]
        if len(wide):
            worst = wide.loc[wide["ST_width"].idxmax()]
            where = _title({k: worst[k] for k in self.labels}, self.context)
            warnings.warn(
                f"Sobol indices: {len(wide)} of {len(self.indices)} total-order (ST) intervals "
                f"are wider than {self.tolerance:g} (widest {worst['ST_width']:.3f}: "
                f"{worst['parameter']} on {where}) at n = {self.n}; run with n = "
                f"{self.suggested_n()} (interval width shrinks like 1/sqrt(n)).",
                GSAWarning, stacklevel=stacklevel)

    def second_order_frame(self) -> pd.DataFrame | None:
        """S2 per output and pair of inputs (None unless run with ``second_order``)."""
        return None if self.second is None else self.second.copy()

    def summary(self) -> pd.DataFrame:
        """One row per output: SD, sum of S1 (near 1: additive), top inputs by ST, widest ST."""
        rows = []
        for label, part in _outputs(self.indices, self.labels):
            top = part.sort_values("ST", ascending=False).head(3)
            rows.append({**label, "sd": part["sd"].iloc[0], "sum_S1": part["S1"].sum(),
                         "top_ST": "; ".join(f"{p} {s:.2f}" for p, s in
                                             zip(top["parameter"], top["ST"])),
                         "max_ST_width": part["ST_width"].max(),
                         "converged": bool(part["converged"].all())})
        return pd.DataFrame(rows)

    def design(self) -> pd.DataFrame:
        """The design and its convergence, as item/value rows."""
        d = "2D + 2" if self.second_order else "D + 2"
        return pd.DataFrame([
            ("method", "Sobol (Saltelli 2010 estimators, SALib)"),
            ("N (base sample)", self.n),
            ("D (inputs" + (" or groups)" if self.grouped else ")"), self.n_inputs),
            (f"model rows N({d})", self.n_rows),
            ("second order", "yes" if self.second_order else "no"),
            ("intervals", f"{self.conf_level:.0%} bootstrap, {self.num_resamples} resamples"),
            ("tolerance on ST interval width", self.tolerance),
            ("widest ST interval", float(self.indices["ST_width"].max())),
            ("converged", "yes" if self.converged else f"no: try n = {self.suggested_n()}"),
            *self._notes_rows(),
        ], columns=["item", "value"])

    def to_sheets(self) -> list:
        """Sheet ``gsa sobol``: main outcome with S1/ST bar charts, summary, design, all."""
        from cea.export.excel import Block, SheetSpec

        blocks = self._main_blocks(
            "S1: share of the variance explained by the input alone; ST: including its "
            f"interactions. {self.conf_level:.0%} bootstrap intervals.", ("ST", "S1"),
            "share of variance")
        blocks += [Block("Summary per outcome", self.summary(),
                         "sum_S1 near 1: the inputs act additively; top_ST: the three inputs "
                         "with the largest total index."),
                   Block("Design and convergence", self.design()),
                   Block("All indices", self.to_frame())]
        if self.second is not None:
            blocks.append(Block("Second-order indices (S2)", self.second_order_frame()))
        return [SheetSpec("gsa sobol", blocks)]

    def write_figures(self, out_dir: str | Path, model_name: str | None = None) -> list[Path]:
        """One PNG of S1/ST bars with interval whiskers per output; returns the paths."""
        from cea.export.figures.gsa import sobol_bars

        note = (f"N = {self.n:,}, {self.n_rows:,} model runs; "
                f"{self.conf_level:.0%} bootstrap intervals")
        return [sobol_bars(rows, path, title=_title(label, self.context), note=note)
                for label, rows, path in self._figure_targets(out_dir, model_name)]


@dataclass(frozen=True, kw_only=True)
class MorrisResult(_Result):
    """Morris screening per output; built by :func:`morris` or :func:`morris_indices`.

    ``indices``: label columns, ``parameter``, ``members``, ``mu_star`` (mean absolute
    elementary effect), ``mu_star_conf`` (bootstrap half-width), ``mu`` (signed mean),
    ``sigma`` (SD of the effects: non-linearity or interactions; NaN for a group of several
    parameters) and ``note``, all in the output's units per step of half a probability range.
    """

    trajectories: int
    levels: int

    method = "Morris screening"
    rank = "mu_star"
    main_columns = ("parameter", "members", "mu_star", "mu_star_conf", "mu", "sigma")

    def summary(self) -> pd.DataFrame:
        """One row per output: the three inputs with the largest μ*."""
        rows = []
        for label, part in _outputs(self.indices, self.labels):
            top = part.sort_values("mu_star", ascending=False).head(3)
            rows.append({**label, "top_mu_star": "; ".join(
                f"{p} {m:.4g}" for p, m in zip(top["parameter"], top["mu_star"]))})
        return pd.DataFrame(rows)

    def design(self) -> pd.DataFrame:
        """The design, as item/value rows."""
        p = self.levels
        return pd.DataFrame([
            ("method", "Morris elementary effects (SALib)"),
            ("trajectories r", self.trajectories),
            ("levels p", p),
            ("D (inputs" + (" or groups)" if self.grouped else ")"), self.n_inputs),
            ("model rows r(D + 1)", self.n_rows),
            ("levels at centiles", ", ".join(f"{(k + 0.5) / p:.1%}" for k in range(p))),
            ("one step", "half of the parameter's probability range; effects in the "
                         "outcome's units per step"),
            ("intervals", f"{self.conf_level:.0%} bootstrap of mu_star, "
                          f"{self.num_resamples} resamples"),
            *self._notes_rows(),
        ], columns=["item", "value"])

    def to_sheets(self) -> list:
        """Sheet ``gsa morris``: main outcome with μ* bar charts, summary, design, all."""
        from cea.export.excel import Block, SheetSpec

        blocks = self._main_blocks(
            "mu_star: mean absolute change in the outcome when the input moves by half its "
            "probability range; sigma: spread of those changes (non-linearity or "
            "interactions).", ("mu_star",), "mean absolute effect")
        blocks += [Block("Summary per outcome", self.summary()),
                   Block("Design", self.design()),
                   Block("All indices", self.to_frame())]
        return [SheetSpec("gsa morris", blocks)]

    def write_figures(self, out_dir: str | Path, model_name: str | None = None) -> list[Path]:
        """One PNG of μ* against σ with labels per output; returns the paths."""
        from cea.export.figures.gsa import morris_scatter

        note = (f"r = {self.trajectories} trajectories, {self.levels} levels, "
                f"{self.n_rows:,} model runs")
        paths = []
        for label, rows, path in self._figure_targets(out_dir, model_name):
            unit = ("QALYs" if label.get("outcome") == "inc_qaly"
                    else self.context.get("currency", "")) if "outcome" in label else ""
            paths.append(morris_scatter(rows, path, title=_title(label, self.context),
                                        unit=unit, note=note))
        return paths
