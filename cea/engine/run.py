"""The cohort engine: one vectorised run of a model over a table of parameter rows.

Every analysis in ``cea`` designs a table of parameter rows (rows = parameter
sets, columns = the model's free parameters) and calls :func:`run`. The engine
evaluates every expression once per chunk of rows, vectorised over rows and
cycles, then loops over cycles only:

    m_0 = initial distribution,   m_t = m_{t-1} P_t   (t = 1..T)

where P_t is the transition matrix of cycle t (cycle numbers start at 1), held
sparsely as one probability per edge. Cycle t's rewards count the cohort as
``alpha_t m_{t-1} + beta_t m_t`` (the within-cycle correction) with discount
factors ``(1 + r)^-tau`` at the times given by the discount timing; see
``docs/methods.md`` for every convention.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING

import numpy as np

from cea.engine.kernels import propagate
from cea.engine.outcomes import Outcomes
from cea.engine.periods import add_period_rewards, period_measures
from cea.engine.plan import Plan, compile_plan
from cea.engine.probabilities import shape, transition_probabilities
from cea.engine.rewards import add_state_rewards, add_transition_rewards
from cea.model.errors import ModelError
from cea.model.expressions import Expression
from cea.model.spec import ModelSpec

if TYPE_CHECKING:  # pandas only in annotations: the engine takes any table with columns
    import pandas as pd

__all__ = ["CHUNK_BYTES", "THREADS", "evaluate_expression", "parameter_matrix", "run"]

#: Memory aimed at for one chunk of rows (bytes); the chunk size follows from the model's size.
CHUNK_BYTES = 64 * 2**20
THREADS = min(4, os.cpu_count() or 1)


def run(
    spec: ModelSpec,
    table: pd.DataFrame | None = None,
    *,
    trace: bool = False,
    chunk_size: int | None = None,
    progress: Callable[[int, int], None] | None = None,
    threads: int | None = None,
    periods: np.ndarray | None = None,
) -> Outcomes:
    """Run the cohort model for every row of a parameter table.

    Parameters
    ----------
    spec : ModelSpec
    table : DataFrame of shape (n_rows, n_free_parameters), optional
        One column per free parameter (``spec.free_parameters``); the base case
        (one row) when omitted. Columns may come in any order.
    trace : bool
        Also return the Markov trace (memory n_rows x strategies x cycles x states).
    chunk_size : int, optional
        Rows per chunk; by default chosen so a chunk needs about 96 MiB.
    progress : callable(done_rows, total_rows), optional
    threads : int, optional
        Chunks run at once in threads (default: the machine's cores, at most 4).
        Each chunk writes its own rows, so results do not depend on it.
    periods : ndarray of shape (n_cycles + 1, K), optional
        Also gather every undiscounted measure into K periods: period k receives
        ``periods[t, k]`` of what cycle t adds (t = 0: the one-off rewards at time 0); see
        :mod:`cea.engine.periods`. A budget bins cycles into calendar years this way.

    Returns
    -------
    Outcomes

    Raises
    ------
    ModelError
        If a row gives an invalid transition matrix; nothing is returned.
    """
    plan = compile_plan(spec)
    params = parameter_matrix(spec, table)
    n_rows = params.shape[0]
    size = chunk_size or plan.default_chunk_size(CHUNK_BYTES)
    values = np.empty((n_rows, len(plan.strategies), len(plan.measures)))
    traces = (
        np.empty((n_rows, len(plan.strategies), plan.n_cycles + 1, len(spec.states)))
        if trace
        else None
    )
    binned = None
    if periods is not None:
        periods = np.asarray(periods, dtype=float)
        if periods.ndim != 2 or periods.shape[0] != plan.n_cycles + 1:
            raise ValueError(f"periods must have shape ({plan.n_cycles + 1}, K), one row per "
                             f"cycle 0..{plan.n_cycles}; got {periods.shape}")
        binned = np.empty((n_rows, len(plan.strategies), len(period_measures(plan.measures)),
                           periods.shape[1]))

    def work(start: int) -> int:
        stop = min(start + size, n_rows)
        rows = params[start:stop]
        if len(rows) == 1:  # run a lone row as two: every sum then runs across rows
            rows = np.repeat(rows, 2, axis=0)
        shared = plan.shared_names(rows)
        for j, strategy in enumerate(plan.strategies):
            result = _run_chunk(plan, strategy, shared, len(rows), start, trace, periods)
            _check_finite(plan, strategy, result[0], start)
            values[start:stop, j] = result[0][: stop - start]
            if traces is not None:
                traces[start:stop, j] = result[1][: stop - start]
            if binned is not None:
                binned[start:stop, j] = result[2][..., : stop - start].transpose(2, 0, 1)
        return stop

    starts = range(0, n_rows, size)
    n_threads = max(1, min(threads if threads is not None else THREADS, len(starts)))
    with ThreadPoolExecutor(n_threads) as pool:  # numpy and the kernel release the GIL
        for stop in pool.map(work, starts):  # in order: the first failing chunk raises
            if progress is not None:
                progress(stop, n_rows)
    return Outcomes(plan.strategies, plan.measures, values, spec.state_names, traces,
                    binned, tuple(name for _, name in period_measures(plan.measures))
                    if binned is not None else ())


def parameter_matrix(spec: ModelSpec, table: pd.DataFrame | None) -> np.ndarray:
    """The table's free parameters as a (rows, free parameters) array, checked finite."""
    free = spec.free_parameters
    if table is None:  # the base case, as spec.base_table() holds it (without pandas)
        matrix = np.array([[spec.parameter(n).value for n in free]], dtype=float)
    else:
        missing = [n for n in free if n not in table.columns]
        extra = [c for c in table.columns if c not in free]
        if missing or extra:
            raise ValueError(
                "the parameter table must have one column per free parameter; "
                f"missing {missing}, unknown {extra}"
            )
        matrix = table[list(free)].to_numpy(dtype=float)
    if not np.isfinite(matrix).all():
        row, col = np.argwhere(~np.isfinite(matrix))[0]
        raise ModelError(f"{free[col]} must be finite; got {matrix[row, col]}", row=row)
    return matrix


def _run_chunk(plan: Plan, strategy: str, shared: dict, n_rows: int, offset: int,
               want_trace: bool, periods: np.ndarray | None = None):
    """Evaluate one strategy for one chunk of rows; returns (values (R, M), trace or None,
    period values (period measures, K, R) or None).

    Arrays are laid out (cycle, state or edge, row) so that each cycle's slice is
    contiguous and each state's or edge's values are contiguous rows.
    """
    env = plan.environment(strategy, shared)
    probs = transition_probabilities(plan, strategy, env, n_rows, offset)
    rewarded = plan.rewarded_edges[strategy]
    trace, flows = propagate_cohort(plan, strategy, probs, rewarded, n_rows)
    del probs
    values = np.zeros((len(plan.measures), n_rows))
    add_state_rewards(plan, env, trace, values, offset)
    if flows is not None:
        add_transition_rewards(plan, strategy, env, flows, values, offset)
    for column, expression in plan.oneoff[strategy]:
        values[column] += _rows(expression.evaluate(env.base, plan.tables), n_rows)
    binned = None
    if periods is not None:
        binned = np.zeros((len(period_measures(plan.measures)), periods.shape[1], n_rows))
        add_period_rewards(plan, strategy, env, trace, flows, periods, binned, offset)
    declared = None
    if want_trace:
        declared = np.stack([trace[:, plan.aggregate[:, d] > 0, :].sum(axis=1)
                             for d in range(plan.aggregate.shape[1])], axis=2).transpose(1, 0, 2)
    return values.T, declared, binned


def _check_finite(plan: Plan, strategy: str, values: np.ndarray, offset: int) -> None:
    """A reward that is nan or infinite (e.g. log of a negative cost input) is an error."""
    bad = ~np.isfinite(values)
    if bad.any():
        r, m = np.argwhere(bad)[0]
        raise ModelError(
            f"{plan.measures[m]} is {values[r, m]}; check the expressions that give it "
            "(states, strategies or transition_rewards) for a logarithm of a negative number, "
            "0/0 or a lookup outside its table.", strategy=strategy, row=offset + r)


def _rows(value, n_rows: int) -> np.ndarray:
    """A value that varies at most by row, as shape (n_rows,)."""
    return np.broadcast_to(np.asarray(value, dtype=float).reshape(-1), (n_rows,))


def propagate_cohort(plan: Plan, strategy: str, probs: np.ndarray, rewarded: np.ndarray,
                     n_rows: int):
    """Propagate the cohort; returns trace (T+1, S, rows) and flows (T, rewarded edges, rows)."""
    edges = plan.edges[strategy]
    trace = np.empty((plan.n_cycles + 1, plan.n_expanded, n_rows))
    trace[0] = plan.initial[:, None]
    propagate(trace, probs, edges.src, edges.inflows)
    if not len(rewarded):
        return trace, None
    flows = trace[:-1][:, edges.src[rewarded], :]
    flows *= probs[:, rewarded, :]
    return trace, flows


def evaluate_expression(
    spec: ModelSpec, expression: Expression, table: pd.DataFrame | None = None, *,
    strategy: str | None = None,
) -> np.ndarray:
    """Evaluate an expression of the model's names per parameter row and cycle.

    For reports and calibration (e.g. a per-cycle event probability under one
    strategy); shape (rows, cycles), or (rows, 1) if it does not change with time.
    """
    plan = compile_plan(spec)
    params = parameter_matrix(spec, table)
    env = plan.environment(strategy or plan.strategies[0], plan.shared_names(params))
    value = shape(expression.evaluate(env.base, plan.tables), plan.n_cycles, 1, len(params))
    return value[:, 0, :].T
