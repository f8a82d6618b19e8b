"""What a reviewer checks line by line: the rewards of every cycle, and the transition
matrices, of one parameter row.

:func:`per_cycle` lays the base case (or any row) out as a tidy table, one line per
strategy, cycle, state, reward and count, with the count of the cohort, the reward's
value, the within-cycle weight and the discount factor used, so that

    undiscounted = count x value x weight x scale,   discounted = undiscounted x discount

and each measure's lines sum to the engine's totals (a test checks it on every shipped
workbook). It runs the engine's own pieces (the plan, the probabilities, the cohort
update and the reward values) on one row; only the final sums are laid out, not taken.
:func:`transition_matrix` gives the matrix of any strategy, cycle and row.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from cea.engine.plan import compile_plan, reward_targets
from cea.engine.probabilities import transition_probabilities
from cea.engine.rewards import reward_matrix
from cea.engine.run import parameter_matrix, propagate_cohort
from cea.engine.weights import (
    counting_weights,
    discount,
    discount_times,
    rates,
    transition_weights,
)
from cea.model.spec import ModelSpec

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["COLUMNS", "per_cycle", "transition_matrices", "transition_matrix"]

#: The columns of :func:`per_cycle`.
COLUMNS = ("strategy", "cycle", "state", "reward", "measure", "count", "cohort", "value",
           "weight", "discount", "undiscounted", "discounted")


def per_cycle(spec: ModelSpec, table: pd.DataFrame | None = None, row: int = 0
              ) -> pd.DataFrame:
    """The rewards of every cycle of one parameter row, one line per count.

    Columns (see :data:`COLUMNS`): ``strategy``; ``cycle`` t = 1..T as expressions number
    it (0 for one-off strategy costs at time 0); ``state`` (a tunnel's sub-state as
    ``name[k]``; for a transition reward the state it leaves); ``reward`` (the states or
    transition_rewards column: ``cost_<category>``, ``utility``, ``ly``, ``qaly``,
    ``outcome_<name>``); ``measure`` (the total it adds to: ``cost_<category>``, ``qaly``,
    ``ly`` or ``outcome_<name>``); ``count`` (``start`` m_{t-1}, ``end`` m_t, ``transition``
    the share moving in cycle t, ``one-off``); ``cohort`` (that share of the cohort);
    ``value`` (the reward per cycle, times the cycle length in years for utilities and
    life-years); ``weight`` (the within-cycle weight, or the transition weight); ``discount``
    (the factor at the time the conventions give, 1 for outcome counts); ``undiscounted``
    and ``discounted``. Summed by measure they give the totals of :func:`cea.engine.run`
    (``<measure>_undiscounted`` and ``<measure>``; outcome counts are undiscounted).
    Results are per person; multiply by the ``cohort_size`` setting for the cohort.
    """
    import pandas as pd

    plan = compile_plan(spec)
    rows = np.repeat(parameter_matrix(spec, table)[row:row + 1], 2, axis=0)
    shared = plan.shared_names(rows)
    alpha, beta = counting_weights(spec)
    at_start, at_end, at_transition = discount_times(spec)
    rate = rates(spec)
    moved = transition_weights(spec)
    cycles = np.arange(1, plan.n_cycles + 1)
    parts = []
    for strategy in plan.strategies:
        env = plan.environment(strategy, shared)
        probs = transition_probabilities(plan, strategy, env, 2, row)
        trace, flows = propagate_cohort(plan, strategy, probs, plan.rewarded_edges[strategy], 2)
        for reward in plan.state_rewards:
            value = np.broadcast_to(reward_matrix(plan, env, reward, 2, row)[..., 0],
                                    (plan.n_cycles, plan.n_expanded)) * reward.scale
            kind, measure = reward_targets(reward.key)[0]
            for count, weight, cohort, times in (("start", alpha, trace[:-1, :, 0], at_start),
                                                 ("end", beta, trace[1:, :, 0], at_end)):
                factor = discount(rate[kind], times)
                parts.append(_lines(strategy, cycles, plan.expanded, reward.key, measure,
                                    count, cohort, value, weight, factor))
        edges = plan.edges[strategy]
        for reward in plan.transition_rewards[strategy]:
            kind, measure = reward_targets(reward.key)[0]
            factor = discount(rate[kind], at_transition)
            weight = np.ones(plan.n_cycles) if moved is None else moved
            for position, state, expression in reward.per_edge:
                sub = reward.sub_index[position]
                v = expression.evaluate(env.context(state), plan.tables)
                v = _cycles(v, plan.n_cycles, plan.tunnel_length[state.name], sub)
                source = plan.expanded[edges.src[plan.rewarded_edges[strategy][position]]]
                parts.append(_lines(strategy, cycles, [source], reward.key, measure,
                                    "transition",
                                    flows[:, position, :1], v[:, None], weight, factor))
        for column, expression in plan.oneoff[strategy]:
            measure = plan.measures[column]
            if measure.endswith("_undiscounted"):
                continue
            v = float(np.asarray(expression.evaluate(env.base, plan.tables)).reshape(-1)[0])
            parts.append(_lines(strategy, np.array([0]), ["(strategy)"], measure, measure,
                                "one-off", np.ones((1, 1)), np.full((1, 1), v), np.ones(1),
                                np.ones(1)))
    return pd.concat([pd.DataFrame(p) for p in parts], ignore_index=True)[list(COLUMNS)]


def transition_matrix(spec: ModelSpec, strategy: str, cycle: int = 1,
                      table: pd.DataFrame | None = None, row: int = 0) -> pd.DataFrame:
    """The transition matrix P_t of ``strategy`` in cycle ``cycle`` (1..T, as expressions
    number cycles) for one parameter row: from-states as rows, to-states as columns, tunnel
    sub-states as ``name[k]``; each row sums to 1."""
    import pandas as pd

    n_cycles = compile_plan(spec).n_cycles
    if not 1 <= cycle <= n_cycles:
        raise ValueError(f"cycle must be in 1..{n_cycles}; got {cycle}")
    states, matrices = transition_matrices(spec, strategy, table, row)
    return pd.DataFrame(matrices[min(cycle, len(matrices)) - 1], index=states, columns=states)


def transition_matrices(spec: ModelSpec, strategy: str, table: pd.DataFrame | None = None,
                        row: int = 0) -> tuple[list[str], np.ndarray]:
    """The expanded state names and the matrices P_1..P_T of one strategy and parameter row,
    shape (T, S, S); a model whose probabilities do not change with time gives one matrix,
    shape (1, S, S), the same in every cycle."""
    plan = compile_plan(spec)
    if strategy not in plan.strategies:
        raise ValueError(f"unknown strategy {strategy!r}; the model has {list(plan.strategies)}")
    rows = np.repeat(parameter_matrix(spec, table)[row:row + 1], 2, axis=0)
    env = plan.environment(strategy, plan.shared_names(rows))
    probs = transition_probabilities(plan, strategy, env, 2, row)[:, :, 0]
    edges = plan.edges[strategy]
    matrices = np.zeros((probs.shape[0], plan.n_expanded, plan.n_expanded))
    for t in range(probs.shape[0]):
        np.add.at(matrices[t], (edges.src, edges.dst), probs[t])
    return list(plan.expanded), matrices


def _cycles(value, n_cycles: int, n_sub: int, sub: int) -> np.ndarray:
    """A transition reward's value per cycle for one sub-state (first row), shape (T,)."""
    v = np.asarray(value, dtype=float)
    v = v.reshape((1,) * (3 - v.ndim) + v.shape)
    v = np.broadcast_to(v, (v.shape[0], n_sub, v.shape[2]))[:, sub, 0]
    return np.broadcast_to(v, (n_cycles,))


def _lines(strategy, cycles, states, reward, measure, count, cohort, value, weight, factor):
    """Lines of the table for (cycles x states) arrays of cohort and value."""
    n_t, n_s = len(cycles), len(states)
    cohort = np.broadcast_to(cohort, (n_t, n_s))
    value = np.broadcast_to(value, (n_t, n_s))
    weight = np.broadcast_to(np.asarray(weight)[:, None], (n_t, n_s))
    factor = np.broadcast_to(np.asarray(factor)[:, None], (n_t, n_s))
    undiscounted = cohort * value * weight
    return {"strategy": strategy, "cycle": np.repeat(cycles, n_s),
            "state": np.tile(states, n_t), "reward": reward, "measure": measure,
            "count": count, "cohort": cohort.ravel(), "value": value.ravel(),
            "weight": weight.ravel(), "discount": factor.ravel(),
            "undiscounted": undiscounted.ravel(), "discounted": (undiscounted * factor).ravel()}
