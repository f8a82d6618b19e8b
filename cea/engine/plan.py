"""Compile a :class:`~cea.model.spec.ModelSpec` into the arrays the engine loops over.

The plan is everything about a model that does not depend on parameter
values: the expanded state space (tunnel sub-states), the sparse edge list of
each strategy's transition matrix, the order in which derived parameters are
evaluated, the reward bookkeeping and the within-cycle and discount weights.
It is built once per spec and cached.
"""

from __future__ import annotations

import weakref
from dataclasses import dataclass, field
from functools import cached_property

import numpy as np

from cea.engine.weights import (
    COST,
    OUTCOME,
    UNDISCOUNTED,
    WeightSet,
    discount,
    discount_times,
    rates,
    transition_weights,
    weight_sets,
)
from cea.model.dependencies import derived_order
from cea.model.expressions import Expression, parse
from cea.model.spec import ModelSpec, State

_CACHE: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
_ONE = parse(1)


@dataclass
class Edges:
    """Sparse transition structure: edge e moves mass from ``src[e]`` to ``dst[e]``."""

    src: np.ndarray
    dst: np.ndarray
    n_states: int  # expanded states
    absorbing: np.ndarray  # edges of dead states, probability 1

    @cached_property
    def inflows(self) -> np.ndarray:
        """(n_expanded, max in-degree) edge numbers into each state, padded with n_edges."""
        into: dict[int, list[int]] = {}
        for e, d in enumerate(self.dst):
            into.setdefault(int(d), []).append(e)
        n_states = self.n_states
        width = max(len(v) for v in into.values())
        table = np.full((n_states, width), len(self.dst))
        for d, edges in into.items():
            table[d, :len(edges)] = edges
        return table


@dataclass
class Block:
    """The transitions out of one declared state under one strategy."""

    state: State
    n_sub: int
    expressions: list[Expression | None]  # None = complement
    targets: list[str]
    cells: list[str]
    complement: int | None
    edge_ids: np.ndarray  # (n_sub, k)

    def edges_of(self, j: int) -> slice:
        """The edges of transition j, one per sub-state: consecutive, so a slice (a view)."""
        return slice(int(self.edge_ids[0, j]), int(self.edge_ids[0, j]) + self.n_sub)


@dataclass
class StateReward:
    key: str
    per_state: list[tuple[State, Expression | None]]
    targets: list[tuple[WeightSet, int]]  # (weights, measure column)
    scale: float


@dataclass
class TransitionRewardPlan:
    key: str
    per_edge: list[tuple[int, State, Expression]]  # (position among rewarded edges, from, value)
    sub_index: dict[int, int]
    targets: list[tuple[np.ndarray, int]]  # (discount per cycle, measure column)
    cell: str = ""  # the value's cell, for messages


@dataclass
class Plan:
    spec: ModelSpec
    strategies: tuple[str, ...]
    measures: tuple[str, ...]
    n_cycles: int
    tables: dict
    free: tuple[str, ...]
    expanded: list[str]
    tunnel_length: dict[str, int]
    initial: np.ndarray
    aggregate: np.ndarray
    reserved: dict
    shared: list[tuple[str, Expression]] = field(default_factory=list)
    derived: dict[str, list[tuple[str, Expression]]] = field(default_factory=dict)
    state_time_dependent: dict[str, list[tuple[str, Expression]]] = field(default_factory=dict)
    edges: dict[str, Edges] = field(default_factory=dict)
    blocks: dict[str, list[Block]] = field(default_factory=dict)
    rewarded_edges: dict[str, np.ndarray] = field(default_factory=dict)
    weight_sets: dict[str, WeightSet] = field(default_factory=dict)
    state_rewards: list[StateReward] = field(default_factory=list)
    transition_rewards: dict[str, list[TransitionRewardPlan]] = field(default_factory=dict)
    oneoff: dict[str, list[tuple[int, Expression]]] = field(default_factory=dict)

    @property
    def n_expanded(self) -> int:
        return len(self.expanded)

    def default_chunk_size(self, budget: int) -> int:
        """Rows per chunk so that one chunk's arrays take about ``budget`` bytes."""
        n_edges = max(len(e.src) for e in self.edges.values())
        t, s = self.n_cycles, self.n_expanded
        per_row = 8 * (2 * t * n_edges + 4 * (t + 1) * s + 4 * t)
        return int(min(max(budget // per_row, 16), 1 << 16))

    def shared_names(self, params: np.ndarray) -> dict:
        """Names whose values are the same under every strategy, for one chunk of rows.

        Every free parameter is an array over the chunk's rows, even where all rows
        agree: numpy may round a transcendental function of a scalar differently in
        the last bit, and a row must give the same numbers whichever table it is in.
        """
        ns = dict(self.reserved)
        n_rows = params.shape[0]
        for j, name in enumerate(self.free):
            ns[name] = np.ascontiguousarray(params[:, j]).reshape(1, 1, n_rows)
        for name, expression in self.shared:
            ns[name] = expression.evaluate(ns, self.tables)
        return ns

    def environment(self, strategy: str, shared: dict) -> Environment:
        return Environment(self, strategy, shared)

    def column(self, measure: str) -> int:
        return self.measures.index(measure)


class Environment:
    """The names an expression can read, for one strategy and one chunk of rows."""

    def __init__(self, plan: Plan, strategy: str, shared: dict):
        ns = dict(shared)
        for name, expression in plan.derived[strategy]:
            ns[name] = expression.evaluate(ns, plan.tables)
        self.base = ns
        self.strategy = strategy
        self._plan = plan
        self._contexts: dict[int, dict] = {}

    def context(self, state: State) -> dict:
        """Names as seen from ``state``: ``state_time`` runs over its tunnel sub-states."""
        n = self._plan.tunnel_length[state.name]
        if n == 1:
            return self.base
        if n not in self._contexts:
            ns = dict(self.base)
            ns["state_time"] = np.arange(1.0, n + 1).reshape(1, n, 1)
            for name, expression in self._plan.state_time_dependent[self.strategy]:
                ns[name] = expression.evaluate(ns, self._plan.tables)
            self._contexts[n] = ns
        return self._contexts[n]


def compile_plan(spec: ModelSpec) -> Plan:
    """The engine's plan for ``spec`` (cached per spec object)."""
    plan = _CACHE.get(spec)
    if plan is None:
        plan = _build(spec)
        _CACHE[spec] = plan
    return plan


def _build(spec: ModelSpec) -> Plan:
    settings = spec.settings
    n_cycles = settings.n_cycles
    cycles = np.arange(1.0, n_cycles + 1)
    reserved = {
        "cycle": cycles.reshape(-1, 1, 1),
        "year": ((cycles - 1) * settings.cycle_years).reshape(-1, 1, 1),
        "cycle_years": settings.cycle_years,
        "state_time": 1.0,
        **settings.readable(),
    }
    expanded, tunnel, initial, aggregate = _expand_states(spec)
    plan = Plan(
        spec=spec,
        strategies=spec.strategy_names,
        measures=_measures(spec),
        n_cycles=n_cycles,
        tables=dict(spec.tables),
        free=spec.free_parameters,
        expanded=expanded,
        tunnel_length=tunnel,
        initial=initial,
        aggregate=aggregate,
        reserved=reserved,
    )
    orders = {s.name: derived_order(spec.parameters, s.overrides) for s in spec.strategies}
    plan.shared = _shared(spec, orders)
    shared = {name for name, _ in plan.shared}
    for strategy in spec.strategies:
        order = orders[strategy.name]
        plan.derived[strategy.name] = [(n, e) for n, e in order if n not in shared]
        plan.state_time_dependent[strategy.name] = _state_time_dependent(order)
        _transition_blocks(plan, strategy.name)
    plan.weight_sets = weight_sets(spec)
    plan.state_rewards = _state_rewards(plan)
    for strategy in spec.strategies:
        plan.transition_rewards[strategy.name] = _transition_rewards(plan, strategy.name)
        plan.oneoff[strategy.name] = [
            (plan.column(f"cost_{c}{suffix}"), e)
            for c, e in strategy.oneoff.items()
            for suffix in ("", "_undiscounted")
        ] + ([(plan.column(m), strategy.oneoff_qaly) for m in ("qaly", "qaly_undiscounted")]
             if strategy.oneoff_qaly is not None else [])
    return plan


def _measures(spec: ModelSpec) -> tuple[str, ...]:
    costs = [f"cost_{c}" for c in spec.cost_categories]
    discounted = [*costs, "qaly", "ly"]
    return (
        *discounted,
        *(f"outcome_{o}" for o in spec.outcomes),
        *(f"{m}_undiscounted" for m in discounted),
    )


def _expand_states(spec: ModelSpec):
    expanded, tunnel, initial, owner = [], {}, [], []
    for i, state in enumerate(spec.states):
        tunnel[state.name] = state.tunnel
        for k in range(state.tunnel):
            expanded.append(state.name if state.tunnel == 1 else f"{state.name}[{k + 1}]")
            initial.append(state.initial if k == 0 else 0.0)
            owner.append(i)
    aggregate = np.zeros((len(expanded), len(spec.states)))
    aggregate[np.arange(len(expanded)), owner] = 1.0
    return expanded, tunnel, np.array(initial), aggregate


def _shared(spec: ModelSpec, orders: dict) -> list[tuple[str, Expression]]:
    """Derived parameters that no strategy's override reaches, in evaluation order."""
    varying = {name for s in spec.strategies for name in s.overrides} | {"state_time"}
    any_order = next(iter(orders.values()), [])
    shared = []
    for name, expression in any_order:
        if name in varying or expression.names & varying:
            varying.add(name)
        else:
            shared.append((name, expression))
    return shared


def _state_time_dependent(order):
    dependent, names = [], {"state_time"}
    for name, expression in order:
        if expression.names & names:
            dependent.append((name, expression))
            names.add(name)
    return dependent


def _transition_blocks(plan: Plan, strategy: str) -> None:
    spec = plan.spec
    index = {name: i for i, name in enumerate(plan.expanded)}
    first = {s.name: index[s.name if s.tunnel == 1 else f"{s.name}[1]"] for s in spec.states}
    src, dst, blocks, absorbing = [], [], [], []
    for state in spec.states:
        rows = [t for t in spec.transitions if t.from_state == state.name]
        n = state.tunnel
        if state.dead or not rows:
            for k in range(n):  # absorbing: stays, one edge per sub-state
                absorbing.append(len(src))
                src.append(first[state.name] + k)
                dst.append(first[state.name] + min(k + 1, n - 1))
            continue
        ids = np.empty((n, len(rows)), dtype=int)
        for j, row in enumerate(rows):
            for k in range(n):
                ids[k, j] = len(src)
                src.append(first[state.name] + k)
                if row.to_state == state.name:
                    dst.append(first[state.name] + min(k + 1, n - 1))
                else:
                    dst.append(first[row.to_state])
        exprs = [row.expressions[strategy] for row in rows]
        complement = next((j for j, e in enumerate(exprs) if e is None), None)
        blocks.append(Block(state, n, exprs, [r.to_state for r in rows],
                            [r.cells[strategy] for r in rows], complement, ids))
    plan.edges[strategy] = Edges(np.array(src), np.array(dst), plan.n_expanded,
                                 np.array(absorbing, dtype=int))
    plan.blocks[strategy] = blocks


def reward_targets(key: str) -> list[tuple[str, str]]:
    """(weight set, measure) pairs that a reward named ``key`` adds to; the first is the
    measure it is reported under, with the weight set whose rate discounts it."""
    if key.startswith("cost_"):
        return [(COST, key), (UNDISCOUNTED, f"{key}_undiscounted")]
    if key in ("utility", "qaly"):
        return [(OUTCOME, "qaly"), (UNDISCOUNTED, "qaly_undiscounted")]
    if key == "ly":
        return [(OUTCOME, "ly"), (UNDISCOUNTED, "ly_undiscounted")]
    return [(UNDISCOUNTED, key)]


def _state_rewards(plan: Plan) -> list[StateReward]:
    spec = plan.spec
    keys = sorted({k for s in spec.states for k in s.rewards})
    rewards = []
    for key in [*keys, "ly"]:
        if key == "ly":
            per_state = [(s, None if s.dead else _ONE) for s in spec.states]
        else:
            per_state = [(s, s.rewards.get(key)) for s in spec.states]
        scale = spec.settings.cycle_years if key in ("utility", "ly") else 1.0
        targets = [(plan.weight_sets[w], plan.column(m)) for w, m in reward_targets(key)]
        rewards.append(StateReward(key, per_state, targets, scale))
    return rewards


def _transition_rewards(plan: Plan, strategy: str) -> list[TransitionRewardPlan]:
    spec = plan.spec
    edges = plan.edges[strategy]
    states = {s.name: s for s in spec.states}
    owner = [name.split("[")[0] for name in plan.expanded]
    first_of = {s.name: plan.expanded.index(s.name if s.tunnel == 1 else f"{s.name}[1]")
                for s in spec.states}
    rewarded: list[int] = []
    plans = []
    _, _, at_transition = discount_times(spec)
    weights = transition_weights(spec)
    rate = rates(spec)
    for reward in spec.transition_rewards:
        entry = first_of[reward.to_state]
        per_edge, sub_index = [], {}
        for e, (a, b) in enumerate(zip(edges.src, edges.dst)):
            from_state = owner[a]
            if b != entry or from_state == reward.to_state:
                continue
            if reward.from_state not in ("*", from_state):
                continue
            if e not in rewarded:
                rewarded.append(e)
            position = rewarded.index(e)
            per_edge.append((position, states[from_state], reward.value))
            sub_index[position] = a - first_of[from_state]
        targets = [(_weighted(discount(rate[w], at_transition), weights), plan.column(m))
                   for w, m in reward_targets(reward.reward)]
        plans.append(TransitionRewardPlan(reward.reward, per_edge, sub_index, targets,
                                          reward.cell))
    plan.rewarded_edges[strategy] = np.array(rewarded, dtype=int)
    return plans


def _weighted(factors: np.ndarray, weights: np.ndarray | None) -> np.ndarray:
    """Discount factors times the transition weights (none: weight 1, factors unchanged)."""
    return factors if weights is None else factors * weights
