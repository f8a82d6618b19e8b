"""Rewards of one strategy for one chunk of rows: state rewards and transition rewards.

State rewards (costs, utilities, life-years, outcomes per cycle in a state) are summed
over the trace with the within-cycle and discount weights of :mod:`cea.engine.weights`;
transition rewards (one-off on moving between states) over the flows of the cohort.
Every sum runs over leading axes, across rows, so a row's result never depends on which
other rows share its chunk (bit for bit).
"""

from __future__ import annotations

import numpy as np

from cea.engine.plan import Plan
from cea.engine.probabilities import shape
from cea.model.domains import reward_domain
from cea.model.errors import ModelError

__all__ = ["add_state_rewards", "add_transition_rewards"]


def add_state_rewards(plan: Plan, env, trace: np.ndarray, values: np.ndarray,
                      offset: int = 0) -> None:
    """Add state rewards (costs, QALYs, life-years, outcomes) to ``values`` (M, R) in place.

    Every value an expression gives is checked: finite, and in the reward's declared domain
    (costs >= 0, utilities <= 1); ``offset`` is the chunk's first parameter row."""
    n_rows = trace.shape[2]
    sums = {}
    for weights in plan.weight_sets.values():
        # total weight on each time point, for rewards that do not change with time
        w = np.zeros(plan.n_cycles + 1)
        w[:-1] += weights.start
        w[1:] += weights.end
        sums[weights.name] = (w[:, None, None] * trace).sum(axis=0)
    for reward in plan.state_rewards:
        value = reward_matrix(plan, env, reward, n_rows, offset)
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


def reward_matrix(plan: Plan, env, reward, n_rows: int, offset: int) -> np.ndarray:
    """A state reward's value per expanded state, shape (T or 1, S, rows), checked."""
    parts = []
    for state, expression in reward.per_state:
        n = plan.tunnel_length[state.name]
        if expression is None:
            parts.append(np.zeros((1, n, n_rows)))
        else:
            v = shape(expression.evaluate(env.context(state), plan.tables), plan.n_cycles, n,
                      n_rows)
            check_reward(v, reward.key, state.reward_cells.get(reward.key, state.cell),
                         env.strategy, offset, f"in state '{state.name}'")
            parts.append(v)
    t = max(p.shape[0] for p in parts)
    return np.concatenate([np.broadcast_to(p, (t,) + p.shape[1:]) for p in parts], axis=1)


def add_transition_rewards(plan: Plan, strategy: str, env, flows: np.ndarray, values,
                           offset: int = 0) -> None:
    """Add one-off rewards on transitions: sum over cycles of discount x flow x value
    (each value checked as state rewards are)."""
    n_rows = flows.shape[2]
    for reward in plan.transition_rewards[strategy]:
        by_context: dict[int, np.ndarray] = {}  # one evaluation per from-state context
        edge_values = []
        for position, state, expression in reward.per_edge:
            context = env.context(state)
            if id(context) not in by_context:
                by_context[id(context)] = shape(expression.evaluate(context, plan.tables),
                                                 plan.n_cycles,
                                                 plan.tunnel_length[state.name], n_rows)
                check_reward(by_context[id(context)], reward.key, reward.cell, strategy,
                             offset, f"on leaving '{state.name}'")
            edge_values.append(by_context[id(context)][:, reward.sub_index[position], :])
        for discount, column in reward.targets:
            for (position, _, _), v in zip(reward.per_edge, edge_values):
                weighted = discount[:, None] * flows[:, position, :]
                if v.shape[0] == 1:
                    values[column] += weighted.sum(axis=0) * v[0]
                else:
                    values[column] += (weighted * v).sum(axis=0)


def check_reward(value: np.ndarray, key: str, cell: str, strategy: str, offset: int,
                 where: str) -> None:
    """A reward's values (T or 1, sub-states, rows): finite, and within its declared domain
    (:func:`cea.model.domains.reward_domain`); else a ModelError naming the cell, strategy,
    cycle and parameter row of the first bad value."""
    domain = reward_domain(key)
    low, high = (domain[0], domain[1]) if domain else (-np.inf, np.inf)
    lowest, highest = value.min(), value.max()
    if lowest >= low and highest <= high and np.isfinite(lowest) and np.isfinite(highest):
        return  # NaN fails the comparisons
    bad = ~(np.isfinite(value) & (value >= low) & (value <= high))
    t, k, r = np.argwhere(bad)[0]
    v = value[t, k, r]
    if not np.isfinite(v):
        what = (f"{key} {where} is {v}; check its expression for a logarithm of a negative "
                "number, 0/0 or a lookup outside its table")
    else:
        bound = f"must be >= {low:g}" if v < low else f"must be <= {high:g}"
        what = f"{key} {where} is {v:.6g}; {domain[2]} {bound}"
    if value.shape[1] > 1:
        what += f" (state_time {k + 1})"
    cycle = "every cycle" if value.shape[0] == 1 else f"cycle {t + 1}"
    raise ModelError(f"{what}.", row=offset + r, cell=cell, strategy=strategy, cycle=cycle)
