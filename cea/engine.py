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
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np
import pandas as pd

from cea.expressions import Expression
from cea.kernels import propagate
from cea.plan import Plan, compile_plan
from cea.spec import ModelSpec

ROW_SUM_TOLERANCE = 1e-9
#: Memory aimed at for one chunk of rows (bytes); the chunk size follows from the model's size.
CHUNK_BYTES = 64 * 2**20
THREADS = min(4, os.cpu_count() or 1)


class ModelError(ValueError):
    """The model gives invalid numbers for a parameter row (e.g. a row not summing to 1)."""


@dataclass(frozen=True)
class Outcomes:
    """Results of one engine run.

    Attributes
    ----------
    strategies, measures : tuple of str
    values : ndarray of shape (n_rows, n_strategies, n_measures)
        Measures are ``cost_<category>``, ``qaly``, ``ly`` (discounted),
        the same with ``_undiscounted`` appended, and ``outcome_<name>``
        (undiscounted counts such as expected recurrences).
    states : tuple of str
        Declared states (tunnel sub-states summed).
    trace : ndarray of shape (n_rows, n_strategies, n_cycles + 1, n_states) or None
        Cohort occupancy at time points 0..T, when requested.
    """

    strategies: tuple[str, ...]
    measures: tuple[str, ...]
    values: np.ndarray
    states: tuple[str, ...]
    trace: np.ndarray | None = None

    def __getitem__(self, measure: str) -> np.ndarray:
        """Values of one measure, shape (n_rows, n_strategies)."""
        return self.values[:, :, self.measures.index(measure)]

    @property
    def n_rows(self) -> int:
        return self.values.shape[0]

    def cost(self, categories: Sequence[str]) -> np.ndarray:
        """Total discounted cost over the given categories, shape (n_rows, n_strategies)."""
        total = np.zeros(self.values.shape[:2])
        for category in categories:
            total += self[f"cost_{category}"]
        return total

    def to_frame(self) -> pd.DataFrame:
        """Tidy table: one line per row x strategy, one column per measure."""
        n_rows, n_strategies, _ = self.values.shape
        frame = pd.DataFrame(self.values.reshape(n_rows * n_strategies, -1), columns=self.measures)
        frame.insert(0, "strategy", np.tile(self.strategies, n_rows))
        frame.insert(0, "row", np.repeat(np.arange(n_rows), n_strategies))
        return frame

    def trace_frame(self, row: int = 0) -> pd.DataFrame:
        """The Markov trace of one parameter row: strategy, cycle, one column per state."""
        if self.trace is None:
            raise ValueError("run the engine with trace=True to get the trace")
        frames = []
        for j, strategy in enumerate(self.strategies):
            f = pd.DataFrame(self.trace[row, j], columns=self.states)
            f.insert(0, "cycle", np.arange(len(f)))
            f.insert(0, "strategy", strategy)
            frames.append(f)
        return pd.concat(frames, ignore_index=True)


def run(
    spec: ModelSpec,
    table: pd.DataFrame | None = None,
    *,
    trace: bool = False,
    chunk_size: int | None = None,
    progress: Callable[[int, int], None] | None = None,
    threads: int | None = None,
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

    Returns
    -------
    Outcomes

    Raises
    ------
    ModelError
        If a row gives an invalid transition matrix; nothing is returned.
    """
    plan = compile_plan(spec)
    params = _parameter_matrix(spec, table)
    n_rows = params.shape[0]
    size = chunk_size or plan.default_chunk_size(CHUNK_BYTES)
    values = np.empty((n_rows, len(plan.strategies), len(plan.measures)))
    traces = (
        np.empty((n_rows, len(plan.strategies), plan.n_cycles + 1, len(spec.states)))
        if trace
        else None
    )

    def work(start: int) -> int:
        stop = min(start + size, n_rows)
        rows = params[start:stop]
        if len(rows) == 1:  # run a lone row as two: every sum then runs across rows
            rows = np.repeat(rows, 2, axis=0)
        shared = plan.shared_names(rows)
        for j, strategy in enumerate(plan.strategies):
            result = _run_chunk(plan, strategy, shared, len(rows), start, trace)
            _check_finite(plan, strategy, result[0], start)
            values[start:stop, j] = result[0][: stop - start]
            if traces is not None:
                traces[start:stop, j] = result[1][: stop - start]
        return stop

    starts = range(0, n_rows, size)
    n_threads = max(1, min(threads if threads is not None else THREADS, len(starts)))
    with ThreadPoolExecutor(n_threads) as pool:  # numpy and the kernel release the GIL
        for stop in pool.map(work, starts):  # in order: the first failing chunk raises
            if progress is not None:
                progress(stop, n_rows)
    return Outcomes(plan.strategies, plan.measures, values, spec.state_names, traces)


def _parameter_matrix(spec: ModelSpec, table: pd.DataFrame | None) -> np.ndarray:
    free = spec.free_parameters
    if table is None:
        table = spec.base_table()
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
        raise ModelError(
            f"parameter row {row}: {free[col]} must be finite; got {matrix[row, col]}"
        )
    return matrix


def _run_chunk(plan: Plan, strategy: str, shared: dict, n_rows: int, offset: int,
               want_trace: bool):
    """Evaluate one strategy for one chunk of rows; returns (values (R, M), trace or None).

    Arrays are laid out (cycle, state or edge, row) so that each cycle's slice is
    contiguous and each state's or edge's values are contiguous rows.
    """
    env = plan.environment(strategy, shared)
    probs = _transition_probabilities(plan, strategy, env, n_rows, offset)
    rewarded = plan.rewarded_edges[strategy]
    trace, flows = _cohort(plan, strategy, probs, rewarded, n_rows)
    del probs
    values = np.zeros((len(plan.measures), n_rows))
    _state_rewards(plan, env, trace, values)
    if flows is not None:
        _transition_rewards(plan, strategy, env, flows, values)
    for column, expression in plan.oneoff[strategy]:
        values[column] += _rows(expression.evaluate(env.base, plan.tables), n_rows)
    declared = None
    if want_trace:
        declared = np.stack([trace[:, plan.aggregate[:, d] > 0, :].sum(axis=1)
                             for d in range(plan.aggregate.shape[1])], axis=2).transpose(1, 0, 2)
    return values.T, declared


def _check_finite(plan: Plan, strategy: str, values: np.ndarray, offset: int) -> None:
    """A reward that is nan or infinite (e.g. log of a negative cost input) is an error."""
    bad = ~np.isfinite(values)
    if bad.any():
        r, m = np.argwhere(bad)[0]
        raise ModelError(
            f"strategy '{strategy}', parameter row {offset + r}: {plan.measures[m]} is "
            f"{values[r, m]}; check the expressions that give it (states, strategies or "
            "transition_rewards) for a logarithm of a negative number, 0/0 or a lookup "
            "outside its table."
        )


def _rows(value, n_rows: int) -> np.ndarray:
    """A value that varies at most by row, as shape (n_rows,)."""
    return np.broadcast_to(np.asarray(value, dtype=float).reshape(-1), (n_rows,))


def _shape(value, n_cycles: int, n_sub: int, n_rows: int) -> np.ndarray:
    """Broadcast an expression's value to (cycles or 1, sub-states, rows)."""
    value = np.asarray(value, dtype=float)
    if value.ndim < 3:
        value = value.reshape((1,) * (3 - value.ndim) + value.shape)
    t = n_cycles if value.shape[0] == n_cycles and n_cycles > 1 else 1
    return np.broadcast_to(value, (t, n_sub, n_rows))


def _transition_probabilities(plan: Plan, strategy: str, env, n_rows: int, offset: int):
    """Probabilities per edge, shape (T or 1, edges, rows), checked row by row."""
    edges = plan.edges[strategy]
    evaluated = []
    for block in plan.blocks[strategy]:
        ctx = env.context(block.state)
        evaluated.append([
            None if e is None else _shape(e.evaluate(ctx, plan.tables), plan.n_cycles,
                                          block.n_sub, n_rows)
            for e in block.expressions
        ])
    time_varying = any(v is not None and v.shape[0] > 1 for vals in evaluated for v in vals)
    probs = np.empty((plan.n_cycles if time_varying else 1, len(edges.src), n_rows))
    probs[:, edges.absorbing, :] = 1.0
    for block, vals in zip(plan.blocks[strategy], evaluated):
        for j, v in enumerate(vals):
            if v is not None:
                probs[:, block.edges_of(j), :] = v
                _check_range(plan, strategy, block, j, v, offset)
        _complete(plan, strategy, block, probs, offset)
    return probs


def _check_range(plan, strategy, block, j, v, offset) -> None:
    low, high = v.min(), v.max()
    if low >= 0 and high <= 1:  # NaN fails both comparisons
        return
    t, k, r = np.argwhere(~((v >= 0) & (v <= 1)))[0]
    value = v[t, k, r]
    hint = (" (nan comes from e.g. a lookup outside its table, the log of a negative number "
            "or 0/0)") if np.isnan(value) else ""
    _fail(plan, strategy, block, (t, k, r), offset, j, v.shape[0] == 1,
          f"probability {value:.6g} is not in [0, 1]{hint}")


def _complete(plan, strategy, block, probs, offset) -> None:
    """Fill the complement C, or check that the row sums to 1."""
    others = [j for j in range(len(block.expressions)) if j != block.complement]
    total = probs[:, block.edges_of(others[0]), :].copy() if others else \
        np.zeros((probs.shape[0], block.n_sub, probs.shape[2]))
    for j in others[1:]:
        total += probs[:, block.edges_of(j), :]
    if block.complement is not None:
        remainder = probs[:, block.edges_of(block.complement), :]
        np.subtract(1.0, total, out=remainder)
        lowest = remainder.min()
        if lowest < -ROW_SUM_TOLERANCE:
            t, k, r = np.argwhere(remainder < -ROW_SUM_TOLERANCE)[0]
            _fail(plan, strategy, block, (t, k, r), offset, block.complement,
                  probs.shape[0] == 1, f"the complement C is negative ({remainder[t, k, r]:.6g}):"
                  " the other probabilities out of this state sum to more than 1")
        if lowest < 0:  # rounding noise within the tolerance
            np.maximum(remainder, 0.0, out=remainder)
        return
    error = np.abs(total - 1.0)
    if error.max() > ROW_SUM_TOLERANCE:
        t, k, r = np.argwhere(error > ROW_SUM_TOLERANCE)[0]
        _fail(plan, strategy, block, (t, k, r), offset, 0, probs.shape[0] == 1,
              f"probabilities out of this state sum to {total[t, k, r]:.10g}; they must sum "
              f"to 1 within {ROW_SUM_TOLERANCE:g} (or use C for the remainder)")


def _fail(plan: Plan, strategy, block, where, offset, i, time_constant, what):
    t, k, r = where
    state = block.state.name + (f"[{k + 1}]" if block.n_sub > 1 else "")
    cycle = "every cycle" if time_constant else f"cycle {t + 1}"
    raise ModelError(
        f"{block.cells[i]}: strategy '{strategy}', from '{state}' to '{block.targets[i]}', "
        f"{cycle}, parameter row {offset + r}: {what}."
    )


def _cohort(plan: Plan, strategy: str, probs: np.ndarray, rewarded: np.ndarray, n_rows: int):
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


def _state_rewards(plan: Plan, env, trace: np.ndarray, values: np.ndarray) -> None:
    """Add state rewards (costs, QALYs, life-years, outcomes) to ``values`` (M, R) in place."""
    n_rows = trace.shape[2]
    sums = {}
    for weights in plan.weight_sets:
        # total weight on each time point, for rewards that do not change with time
        w = np.zeros(plan.n_cycles + 1)
        w[:-1] += weights.start
        w[1:] += weights.end
        sums[weights.name] = (w[:, None, None] * trace).sum(axis=0)
    for reward in plan.state_rewards:
        value = _reward_matrix(plan, env, reward, n_rows)
        for weights, column in reward.targets:
            # sums run over leading axes, across rows: a row's result never depends on
            # which other rows share its chunk (bit for bit)
            if value.shape[0] == 1:
                total = (sums[weights.name] * value[0]).sum(axis=0)
            else:
                occupancy = (weights.start[:, None, None] * trace[:-1]
                             + weights.end[:, None, None] * trace[1:])
                total = (occupancy * value).sum(axis=(0, 1))
            values[column] += total * reward.scale


def _reward_matrix(plan: Plan, env, reward, n_rows: int) -> np.ndarray:
    """A state reward's value per expanded state, shape (T or 1, S, rows)."""
    parts = []
    for state, expression in reward.per_state:
        n = plan.tunnel_length[state.name]
        if expression is None:
            parts.append(np.zeros((1, n, n_rows)))
        else:
            v = expression.evaluate(env.context(state), plan.tables)
            parts.append(_shape(v, plan.n_cycles, n, n_rows))
    t = max(p.shape[0] for p in parts)
    return np.concatenate([np.broadcast_to(p, (t,) + p.shape[1:]) for p in parts], axis=1)


def _transition_rewards(plan: Plan, strategy: str, env, flows: np.ndarray, values) -> None:
    """Add one-off rewards on transitions: sum over cycles of discount x flow x value."""
    n_rows = flows.shape[2]
    for reward in plan.transition_rewards[strategy]:
        by_context: dict[int, np.ndarray] = {}  # one evaluation per from-state context
        edge_values = []
        for position, state, expression in reward.per_edge:
            context = env.context(state)
            if id(context) not in by_context:
                by_context[id(context)] = _shape(expression.evaluate(context, plan.tables),
                                                 plan.n_cycles,
                                                 plan.tunnel_length[state.name], n_rows)
            edge_values.append(by_context[id(context)][:, reward.sub_index[position], :])
        for discount, column in reward.targets:
            for (position, _, _), v in zip(reward.per_edge, edge_values):
                weighted = discount[:, None] * flows[:, position, :]
                if v.shape[0] == 1:
                    values[column] += weighted.sum(axis=0) * v[0]
                else:
                    values[column] += (weighted * v).sum(axis=0)


def evaluate_expression(
    spec: ModelSpec, expression: Expression, table: pd.DataFrame | None = None, *,
    strategy: str | None = None,
) -> np.ndarray:
    """Evaluate an expression of the model's names per parameter row and cycle.

    For reports and calibration (e.g. a per-cycle event probability under one
    strategy); shape (rows, cycles), or (rows, 1) if it does not change with time.
    """
    plan = compile_plan(spec)
    params = _parameter_matrix(spec, table)
    env = plan.environment(strategy or plan.strategies[0], plan.shared_names(params))
    value = _shape(expression.evaluate(env.base, plan.tables), plan.n_cycles, 1, len(params))
    return value[:, 0, :].T
