"""Global sensitivity analysis of the decision: Sobol indices and Morris screening (SALib).

Every uncertain parameter (a free parameter with a distribution) is one input
of a SALib problem on the unit cube [0, 1]. SALib's design is mapped through
:func:`cea.analyses.sampling.table_from_uniform` — each distribution's inverse CDF, the
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

from collections.abc import Callable, Mapping, Sequence

import numpy as np
import pandas as pd
from SALib.analyze import morris as salib_morris_analyze
from SALib.analyze import sobol as salib_sobol_analyze
from SALib.sample import morris as salib_morris_sample
from SALib.sample import sobol as salib_sobol_sample

from cea.analyses.gsa_design import (
    GSAWarning,
    Inputs,
    as_frame,
    checked_inputs,
    clip_unit,
    common_checks,
    constant,
    decision_outputs,
    keys,
    labels_of,
    model_inputs,
    seeds,
    transform,
)
from cea.analyses.gsa_results import MorrisResult, SobolResult, front, warn_notes
from cea.analyses.sampling import table_from_uniform
from cea.engine.executors import run_table
from cea.model.arguments import require
from cea.model.memory import ROW_BYTES, check_rows
from cea.model.spec import ModelSpec

__all__ = ["GSAWarning", "MorrisResult", "SobolResult", "clip_unit", "decision_outputs", "gsa",
           "model_inputs", "morris", "morris_indices", "sobol", "sobol_indices"]


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
    require(isinstance(n, (int, np.integer)) and n >= 2 and (n & (n - 1)) == 0, func, "n",
             "a power of two >= 2, such as 64, 1024 or 4096", n)
    common_checks(func, num_resamples, conf_level)
    require(isinstance(tolerance, (int, float)) and tolerance > 0, func, "tolerance",
             "a positive number, e.g. 0.1", tolerance)
    inputs = checked_inputs(func, names, groups, notes)
    d = len(inputs.labels)
    check_rows(func, "n", n, int(n) * (2 * d + 2 if second_order else d + 2),
               ROW_BYTES * (d + 4), "Use a smaller n (a power of two).")
    seed, design_seed, boot_seed = seeds(seed)
    u = salib_sobol_sample.sample(inputs.problem(), int(n), calc_second_order=second_order,
                                  seed=design_seed)
    y = as_frame(f(transform(ppfs)(clip_unit(u))), len(u))
    frames, second = [], []
    for key, values in zip(keys(y), y.to_numpy(dtype=float).T):
        label = dict(zip(labels_of(y), key))
        first, pairs = _sobol_one(inputs, values, second_order, num_resamples, conf_level,
                                  boot_seed)
        frames.append(first.assign(**label))
        if pairs is not None:
            second.append(pairs.assign(**label))
    labels = labels_of(y)
    indices = _finish(pd.concat(frames, ignore_index=True), labels, tolerance, inputs.notes)
    return SobolResult(
        indices=indices, labels=labels, n=int(n), n_rows=len(u), n_inputs=len(inputs.labels),
        second_order=second_order, grouped=inputs.groups is not None, tolerance=tolerance,
        conf_level=conf_level, num_resamples=num_resamples, seed=seed, notes=inputs.notes,
        second=(front(pd.concat(second, ignore_index=True), labels) if second else None),
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
    if constant(y):
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
    return front(frame[order + list(labels)], labels)


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
    warn_notes("Morris screening", result.notes, stacklevel=3)
    return result


def _morris_wiring(names, ppfs, f, *, trajectories, levels, groups, seed, num_resamples,
                   conf_level, notes, context) -> MorrisResult:
    func = "morris_indices"
    require(isinstance(trajectories, (int, np.integer)) and trajectories >= 2, func,
             "trajectories", "an integer >= 2", trajectories)
    require(isinstance(levels, (int, np.integer)) and levels >= 2 and levels % 2 == 0,
             func, "levels", "an even integer >= 2, e.g. 4", levels)
    common_checks(func, num_resamples, conf_level)
    inputs = checked_inputs(func, names, groups, notes)
    d = len(inputs.labels)
    check_rows(func, "trajectories", trajectories, int(trajectories) * (d + 1),
               ROW_BYTES * (d + 4), "Use fewer trajectories.")
    seed, design_seed, boot_seed = seeds(seed)
    x = salib_morris_sample.sample(inputs.problem(), int(trajectories), num_levels=levels,
                                   seed=design_seed)
    u = (x * (levels - 1) + 0.5) / levels
    y = as_frame(f(transform(ppfs)(u)), len(x))
    delta = levels / (2 * (levels - 1))
    labels = labels_of(y)
    frames = []
    for key, values in zip(keys(y), y.to_numpy(dtype=float).T):
        frame = pd.DataFrame({"parameter": inputs.labels,
                              "members": [", ".join(inputs.members(g)) for g in inputs.labels]})
        if constant(values):
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
        indices=front(pd.concat(frames, ignore_index=True), labels), labels=labels,
        trajectories=int(trajectories), levels=int(levels), n_rows=len(x),
        n_inputs=len(inputs.labels), grouped=inputs.groups is not None, seed=seed,
        conf_level=conf_level, num_resamples=num_resamples, notes=inputs.notes,
        context=dict(context or {}))


def _decision(spec: ModelSpec, func: str, wtp, perspective, groups: bool, chunk_size,
              executor=None, progress=None):
    """Inputs, transform, evaluation and labels shared by :func:`sobol` and :func:`morris`."""
    require(len(spec.strategies) >= 2, func, "spec", "a model with at least two strategies",
             spec.strategy_names)
    thresholds = spec.settings.wtp if wtp is None else np.atleast_1d(wtp).tolist()
    require(all(np.isfinite(w) and w >= 0 for w in thresholds), func, "wtp",
             "finite thresholds >= 0", wtp)
    known = list(spec.settings.perspectives)
    chosen = known if perspective is None else (
        [perspective] if isinstance(perspective, str) else list(perspective))
    unknown = [p for p in chosen if p not in known]
    require(not unknown and bool(chosen), func, "perspective", f"one of {known}", perspective)
    inputs = model_inputs(spec, groups=groups)

    def to_table(u: np.ndarray) -> pd.DataFrame:
        return table_from_uniform(spec, u, inputs.names)

    def evaluate(table: pd.DataFrame) -> pd.DataFrame:
        # the ONE engine call (its chunks on the executor's workers, if one is given)
        outcomes = run_table(spec, table, executor=executor, chunk_size=chunk_size,
                             progress=progress)
        return decision_outputs(spec, outcomes, wtp=thresholds, perspectives=chosen)

    context = {"model_name": spec.settings.model_name, "currency": spec.settings.money,
               "labels": {p.name: p.label for p in spec.parameters if p.label}}
    return inputs, to_table, evaluate, context


def sobol(spec: ModelSpec, *, n: int | None = None, second_order: bool = False,
          groups: bool = False,
          wtp: float | Sequence[float] | None = None,
          perspective: str | Sequence[str] | None = None, seed: int | None = None,
          num_resamples: int = 100, conf_level: float = 0.95, tolerance: float = 0.1,
          chunk_size: int | None = None, executor=None,
          progress: Callable[[int, int], None] | None = None) -> SobolResult:
    """Sobol indices of the decision's increments over every uncertain parameter.

    Outputs: incremental NMB at each threshold (``settings.wtp`` by default) and incremental
    cost per perspective (all by default), and incremental QALYs, for each strategy against
    the first. The N(D + 2) (or N(2D + 2)) rows of the design go through the engine in one
    call; ``n`` defaults to the workbook's ``sobol_n``. ``seed`` defaults to the workbook's
    seed. ``groups`` uses the parameters sheet's
    group column. ``executor`` (None, a ``concurrent.futures`` executor or a dask client) runs
    the engine's chunks elsewhere, with bit-identical results (:mod:`cea.engine.executors`);
    ``progress(done_rows, total_rows)`` follows the engine. See :func:`sobol_indices` for
    the other parameters.

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
    inputs, to_table, evaluate, context = _decision(spec, "sobol", wtp, perspective, groups,
                                                    chunk_size, executor, progress)
    n = spec.settings.sobol_n if n is None else n
    result = _sobol_wiring(inputs.names, to_table, evaluate, n=n, groups=inputs.groups,
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
           chunk_size: int | None = None, executor=None,
           progress: Callable[[int, int], None] | None = None) -> MorrisResult:
    """Morris screening of the decision's increments (outputs as in :func:`sobol`).

    ``trajectories`` x (D + 1) rows, one engine call (on ``executor`` if given, as in
    :func:`sobol`). μ* is in the outcome's units (e.g. AUD of incremental NMB) per step of
    half a parameter's probability range; see :func:`morris_indices`.
    """
    inputs, to_table, evaluate, context = _decision(spec, "morris", wtp, perspective, groups,
                                                    chunk_size, executor, progress)
    result = _morris_wiring(inputs.names, to_table, evaluate, trajectories=trajectories,
                            levels=levels, groups=inputs.groups,
                            seed=spec.settings.seed if seed is None else seed,
                            num_resamples=num_resamples, conf_level=conf_level,
                            notes=inputs.notes, context=context)
    warn_notes("Morris screening", result.notes, stacklevel=3)
    return result




def gsa(spec: ModelSpec, *, method: str = "sobol", n: int | None = None,
        trajectories: int = 20,
        second_order: bool = False, groups: bool = False, seed: int | None = None,
        executor=None, progress: Callable[[int, int], None] | None = None):
    """Global sensitivity analysis by ``method``: :func:`sobol` (``n``, ``second_order``)
    or :func:`morris` (``trajectories``); ``groups``, ``seed``, ``executor`` and
    ``progress`` as there."""
    if method == "sobol":
        return sobol(spec, n=n, second_order=second_order, groups=groups, seed=seed,
                     executor=executor, progress=progress)
    if method == "morris":
        return morris(spec, trajectories=trajectories, groups=groups, seed=seed,
                      executor=executor, progress=progress)
    raise ValueError(f"The 'method' parameter of gsa must be one of 'sobol', 'morris'. "
                     f"Got {method!r} instead.")
