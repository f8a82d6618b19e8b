"""Undiscounted rewards gathered into periods: what each cycle adds, binned by a matrix.

A budget counts each cost in the calendar year in which it falls, not discounted to the
model's entry. :func:`add_period_rewards` gives, for one strategy and chunk of rows, every
undiscounted measure (costs by category, QALYs, life-years, outcome counts) per period k:

    period_k = sum over t = 0..T of W[t, k] x (what cycle t adds),

where cycle 0 holds the one-off rewards at time 0 and cycle t (1..T) the state rewards
``alpha_t m_{t-1} + beta_t m_t`` (with their within-cycle weights) and the transition
rewards of the moves in cycle t (with their transition weights). W = the identity gives
the rewards cycle by cycle; a W whose rows each sum to 1 keeps every total (the
``<measure>_undiscounted`` of :func:`cea.engine.run`).
"""

from __future__ import annotations

import numpy as np

from cea.engine.plan import Plan
from cea.engine.probabilities import shape
from cea.engine.rewards import reward_matrix
from cea.engine.weights import UNDISCOUNTED

__all__ = ["add_period_rewards", "period_measures"]

_SUFFIX = "_undiscounted"


def period_measures(measures: tuple[str, ...]) -> tuple[tuple[int, str], ...]:
    """(column in ``measures``, name) of every undiscounted measure, named without the
    ``_undiscounted`` suffix: ``cost_<category>``, ``qaly``, ``ly``, ``outcome_<name>``."""
    return tuple((j, m[:-len(_SUFFIX)] if m.endswith(_SUFFIX) else m)
                 for j, m in enumerate(measures)
                 if m.endswith(_SUFFIX) or m.startswith("outcome_"))


def add_period_rewards(plan: Plan, strategy: str, env, trace: np.ndarray,
                       flows: np.ndarray | None, periods: np.ndarray, out: np.ndarray,
                       offset: int = 0) -> None:
    """Add the undiscounted rewards of one strategy, binned by ``periods`` (T + 1, K), to
    ``out`` (period measures, K, rows) in place. ``trace`` (T + 1, S, rows) and ``flows``
    (T, rewarded edges, rows) are the chunk's, as :func:`cea.engine.run` propagates them."""
    position = {j: p for p, (j, _) in enumerate(period_measures(plan.measures))}
    n_rows = trace.shape[2]
    per_cycle = periods[1:].T  # (K, T)
    for reward in plan.state_rewards:
        targets = [(w, position[c]) for w, c in reward.targets if w.name == UNDISCOUNTED]
        if not targets:
            continue
        value = reward_matrix(plan, env, reward, n_rows, offset)
        for weights, p in targets:
            occupancy = (weights.start[:, None, None] * trace[:-1]
                         + weights.end[:, None, None] * trace[1:])
            out[p] += per_cycle @ ((occupancy * value).sum(axis=1) * reward.scale)
    if flows is not None:
        for reward in plan.transition_rewards[strategy]:
            targets = [(f, position[c]) for f, c in reward.targets if c in position]
            for position_edge, state, expression in reward.per_edge:
                v = _edge_value(plan, env, expression, state, reward.sub_index[position_edge],
                                n_rows)
                for factors, p in targets:
                    out[p] += per_cycle @ (factors[:, None] * flows[:, position_edge, :] * v)
    for column, expression in plan.oneoff[strategy]:
        if column in position:
            value = np.broadcast_to(
                np.asarray(expression.evaluate(env.base, plan.tables), dtype=float).reshape(-1),
                (n_rows,))
            out[position[column]] += periods[0][:, None] * value


def _edge_value(plan: Plan, env, expression, state, sub: int, n_rows: int) -> np.ndarray:
    """A transition reward's value for one from-sub-state, shape (T or 1, rows). Its values
    were checked when :func:`cea.engine.run` added the totals."""
    v = shape(expression.evaluate(env.context(state), plan.tables), plan.n_cycles,
              plan.tunnel_length[state.name], n_rows)
    return v[:, sub, :]
