"""Invariants of the engine and of incremental analysis on random models (hypothesis).

Random valid cohort models are built directly as :class:`~cea.model.spec.ModelSpec` objects
(2-5 states, the last one dead; rows of random weights normalised, or a complement C
taking the remainder; probabilities as constants, free parameters, rates through
``rate_to_prob``, time-varying factors and tunnel states read through ``state_time``;
random non-negative state costs (constant or changing with time) and one-off costs on
entering a state, utilities in [0, 1]; 1-3 strategies differing by an override and a
one-off cost; every within-cycle method and discount timing; 1-30 cycles). Properties:

* every trace row sums to 1 (within 1e-9 x cycles) and stays in [0, 1];
* costs, QALYs and life-years are non-negative; discounting never increases a total;
* undiscounted life-years are the within-cycle weighted sum of the trace's live states;
* the base case is bit for bit the same row inside a one-way table and inside a larger
  random table, and results do not depend on the chunk size (1, 2, default);
* incremental analysis of random cost/effect tables: frontier costs, effects and ICERs
  increase, dominated and extendedly dominated strategies are beaten by the frontier,
  and the strategy of highest net benefit at any threshold is on the frontier.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from cea import engine
from cea.analyses import incremental
from cea.analyses.one_way import one_way
from cea.engine.weights import counting_weights
from cea.model.expressions import parse
from cea.model.settings import DISCOUNT_TIMING, Settings
from cea.model.spec import (
    ModelSpec,
    Parameter,
    State,
    Strategy,
    Transition,
    TransitionReward,
)

SETTINGS = settings(max_examples=60, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
METHODS = ("start", "end", "half_cycle", "simpson", "custom")


# =========================================================================== random models
@dataclass
class Built:
    spec: ModelSpec
    ranges: dict[str, tuple[float, float]]  # free parameter -> (low, high)


class _Names:
    """Accumulates free parameters with their ranges and worksheet-like cells."""

    def __init__(self):
        self.parameters: list[Parameter] = []
        self.ranges: dict[str, tuple[float, float]] = {}

    def free(self, name: str, value: float, low: float, high: float) -> str:
        low, high = min(low, value), max(high, value)
        self.parameters.append(Parameter(name, parse(float(value)), low=float(low),
                                         high=float(high),
                                         cell=f"parameters!B{len(self.parameters) + 2}"))
        self.ranges[name] = (float(low), float(high))
        return name


unit = st.floats(0.0, 1.0, allow_nan=False)
weight = st.one_of(st.just(0.0), st.floats(0.01, 1.0))


@st.composite
def models(draw) -> Built:
    n_states = draw(st.integers(2, 5))
    live = [f"s{i}" for i in range(n_states - 1)]
    states_names = [*live, "dead"]
    n_strategies = draw(st.integers(1, 3))
    strategies = [f"st{j}" for j in range(n_strategies)]
    cycles = draw(st.integers(1, 30))
    method = draw(st.sampled_from(METHODS))
    names = _Names()

    k = names.free("k", 1.0, 0.5, 1.0)  # a treatment effect: scales some probabilities
    tunnels = {state: draw(st.integers(1, 3)) for state in live}
    transitions = []
    for i, state in enumerate(live):
        complement = draw(st.booleans())
        weights = draw(st.lists(weight, min_size=n_states, max_size=n_states))
        if not complement:  # explicit constants of a normalised row of weights
            if sum(weights) == 0:
                weights[i] = 1.0
            total = math.fsum(weights)
            for target, w in zip(states_names, weights):
                if w > 0 or target == state:
                    value = parse(w / total)
                    transitions.append((state, target, {s: value for s in strategies}))
            continue
        # a complement C on the self-transition; the others are parameters summing to <= 0.9
        others = [(t, w) for t, w in zip(states_names, weights) if t != state and w > 0]
        total = math.fsum(w for _, w in others) or 1.0
        scale = draw(st.floats(0.0, 0.9))
        transitions.append((state, state, {s: None for s in strategies}))
        for n, (target, w) in enumerate(others):
            p = w / total * scale
            form = draw(st.sampled_from(("probability", "rate", "time")))
            if form == "rate":  # rate_to_prob(r) == p at base, <= 1.1 p at the high end
                r = names.free(f"r_{state}_{target}", -math.log1p(-p), -math.log1p(-p * 0.5),
                               -math.log1p(-p * 1.1))
                text = f"rate_to_prob({r})"
            else:
                name = names.free(f"p_{state}_{target}", p, p * 0.5, p * 1.1)
                text = name if form == "probability" else f"{name} * (1 - 0.5 * exp(-cycle))"
            if n == 0:
                text = f"({text}) * {k}"
            if tunnels[state] > 1 and draw(st.booleans()):  # rises with time in the state
                text = f"({text}) * min(1, state_time / 3)"
            transitions.append((state, target, {s: parse(text) for s in strategies}))

    initial = draw(st.lists(st.floats(0.0, 1.0), min_size=len(live), max_size=len(live)))
    if sum(initial) == 0:
        initial[0] = 1.0
    initial = [w / math.fsum(initial) for w in initial]
    states = []
    for i, state in enumerate(live):
        cost = draw(st.floats(0.0, 10_000.0))
        utility = draw(unit)
        c = names.free(f"c_{state}", cost, cost * 0.8, cost * 1.2)
        u = names.free(f"u_{state}", utility, utility * 0.9, min(1.0, utility * 1.1))
        cost_text = draw(st.sampled_from(
            (c, f"{c} * (1 + 0.02 * cycle)", f"{c} * if_else(state_time == 1, 2, 1)")))
        rewards = {"utility": parse(u), "cost_care": parse(cost_text)}
        states.append(State(state, initial[i], rewards, tunnel=tunnels[state],
                            cell=f"states!A{i + 2}"))
    states.append(State("dead", 0.0, {}, dead=True, cell=f"states!A{n_states + 1}"))
    rewards = []
    for n, target in enumerate(draw(st.lists(st.sampled_from(states_names), max_size=2,
                                             unique=True))):
        event = names.free(f"c_event{n}", draw(st.floats(0.0, 5_000.0)), 0.0, 6_000.0)
        rewards.append(TransitionReward("*", target, "cost_care", parse(event),
                                        cell=f"transition_rewards!D{n + 2}"))

    strategy_specs = []
    for j, name in enumerate(strategies):
        overrides, oneoff = {}, {}
        if j > 0:
            overrides["k"] = parse(draw(st.floats(0.2, 1.0)))
            oneoff["care"] = parse(draw(st.floats(0.0, 5_000.0)))
        strategy_specs.append(Strategy(name, "", oneoff, overrides,
                                       {p: f"strategies!C{j + 2}" for p in overrides}))

    spec = ModelSpec(
        settings=Settings(
            model_name="random", cycle_length=1, cycle_unit="year", horizon=cycles,
            horizon_unit="year", discount_costs=draw(st.floats(0.0, 0.1)),
            discount_outcomes=draw(st.floats(0.0, 0.1)),
            discount_timing=draw(st.sampled_from(DISCOUNT_TIMING)), within_cycle=method,
            within_cycle_weight=parse(draw(unit)) if method == "custom" else None,
            perspectives={"payer": ("care",)}, currency="AUD", price_year=2024,
            wtp=(50_000.0,)),
        parameters=tuple(names.parameters),
        states=tuple(states),
        transitions=tuple(
            Transition(a, b, e, {s: f"transitions!{chr(67 + j)}{n + 2}"
                                 for j, s in enumerate(strategies)})
            for n, (a, b, e) in enumerate(transitions)),
        strategies=tuple(strategy_specs),
        transition_rewards=tuple(rewards),
        cost_categories=("care",),
    )
    return Built(spec, names.ranges)


def _random_table(built: Built, seed: int, n_rows: int) -> pd.DataFrame:
    """``n_rows`` rows drawn uniformly within each free parameter's range."""
    rng = np.random.default_rng(seed)
    columns = {name: rng.uniform(low, high, n_rows) for name, (low, high) in
               built.ranges.items()}
    return pd.DataFrame(columns)[list(built.spec.free_parameters)]


# =========================================================================== engine properties
@SETTINGS
@given(models())
def test_trace_costs_qalys_and_discounting(built: Built):
    spec = built.spec
    out = engine.run(spec, trace=True)
    n_cycles = spec.settings.n_cycles
    trace = out.trace  # (rows, strategies, cycles + 1, states)
    tolerance = 1e-9 * n_cycles
    sums = trace.sum(axis=-1)
    assert np.abs(sums - 1).max() <= tolerance, sums
    assert trace.min() >= 0, trace.min()
    assert trace.max() <= 1 + tolerance, trace.max()

    for measure in ("cost_care", "qaly", "ly"):
        discounted, undiscounted = out[measure], out[f"{measure}_undiscounted"]
        assert (discounted >= 0).all() and (undiscounted >= 0).all(), measure
        # discount factors are <= 1: allow only rounding of the sums (1e-12 relative)
        assert (discounted <= undiscounted * (1 + 1e-12) + 1e-12).all(), \
            (measure, discounted, undiscounted)

    # undiscounted life-years from the trace: within-cycle weights of the live states
    alpha, beta = counting_weights(spec)
    alive = trace[..., :-1].sum(axis=-1)  # dead is the last state
    ly = (alpha * alive[..., :-1] + beta * alive[..., 1:]).sum(axis=-1) \
        * spec.settings.cycle_years
    assert np.allclose(out["ly_undiscounted"], ly, rtol=1e-12, atol=1e-12)


# a probability near 1e-300 makes inc_qaly subnormal and dsa.summarise's ICER overflow to inf
@pytest.mark.filterwarnings("ignore:overflow encountered in divide:RuntimeWarning")
@SETTINGS
@given(models(), st.integers(0, 2**32 - 1), st.integers(1, 12))
def test_base_case_is_the_same_row_everywhere(built: Built, seed: int, n_rows: int):
    spec = built.spec
    base = engine.run(spec).values[0]

    dsa = one_way(spec)
    assert len(dsa.table) == 2 * len(dsa.ranges) + 1
    assert np.array_equal(dsa.outcomes.values[0], base), "one-way row 0 differs from the base"

    table = _random_table(built, seed, n_rows)
    position = seed % (n_rows + 1)
    table = pd.concat([table.iloc[:position], spec.base_table(), table.iloc[position:]],
                      ignore_index=True)
    values = engine.run(spec, table).values
    assert np.array_equal(values[position], base), \
        f"row {position} of {len(table)} differs from the base case"

    # every one-way row also equals its own lone run
    for row in range(len(dsa.table)):
        alone = engine.run(spec, dsa.table.iloc[[row]]).values[0]
        assert np.array_equal(dsa.outcomes.values[row], alone), f"one-way row {row}"


@SETTINGS
@given(models(), st.integers(0, 2**32 - 1), st.integers(2, 9))
def test_results_do_not_depend_on_chunk_size(built: Built, seed: int, n_rows: int):
    spec = built.spec
    table = _random_table(built, seed, n_rows)
    if seed % 2:  # some columns constant across rows (the engine passes those as scalars)
        for name in list(table.columns)[::2]:
            table[name] = spec.parameter(name).value
    reference = engine.run(spec, table, trace=True)
    for size in (1, 2, n_rows - 1):
        other = engine.run(spec, table, trace=True, chunk_size=size)
        assert np.array_equal(other.values, reference.values), f"chunk_size={size}"
        assert np.array_equal(other.trace, reference.trace), f"chunk_size={size} (trace)"


# =========================================================================== incremental analysis
def _close(a: float, b: float) -> bool:
    return bool(np.isclose(a, b, rtol=1e-9, atol=1e-12))


grid_value = st.one_of(st.integers(0, 6).map(float), st.floats(0.0, 10.0))


@st.composite
def cost_effect_tables(draw):
    n = draw(st.integers(1, 8))
    cost = draw(st.lists(grid_value.map(lambda v: v * 1000), min_size=n, max_size=n))
    effect = draw(st.lists(grid_value, min_size=n, max_size=n))
    return [f"S{i}" for i in range(n)], np.array(cost), np.array(effect)


@settings(max_examples=300, deadline=None)
@given(cost_effect_tables())
def test_frontier_is_efficient(table):
    names, cost, effect = table
    result = incremental.icer_table(names, cost, effect)
    assert sorted(result["strategy"]) == sorted(names)
    assert set(result["status"]) <= set(incremental.STATUS)
    frontier = result[result["status"] == "non_dominated"]
    assert len(frontier) >= 1

    # along the frontier: cost and effect strictly increase, ICERs never decrease
    fc, fe, icers = (frontier[c].to_numpy() for c in ("cost", "effect", "icer"))
    assert (np.diff(fc) > 0).all() and (np.diff(fe) > 0).all(), frontier
    assert np.isnan(icers[0]) and not np.isnan(icers[1:]).any()
    for a, b in zip(icers[1:], icers[2:]):
        assert a <= b or _close(a, b), frontier

    on = set(frontier["strategy"])
    points = list(zip(fc, fe))
    for i, row in result[result["status"] != "non_dominated"].iterrows():
        assert row["strategy"] not in on
        c, e = row["cost"], row["effect"]
        if row["status"] == "dominated":  # another strategy costs no more and gains no less
            assert any((c_ <= c or _close(c_, c)) and (e_ >= e or _close(e_, e))
                       for j, (c_, e_) in enumerate(zip(result["cost"], result["effect"]))
                       if j != i), row
        # off the frontier: a frontier strategy, or a mix of two neighbouring ones, costs no
        # more and gains no less
        beaten = any((c_ <= c or _close(c_, c)) and (e_ >= e or _close(e_, e))
                     for c_, e_ in points)
        for (c0, e0), (c1, e1) in zip(points, points[1:]):
            if c0 <= c <= c1:
                mix = e0 + (e1 - e0) * (c - c0) / (c1 - c0)
                beaten = beaten or mix > e or _close(mix, e)
        assert beaten, (row, frontier)

    # the strategy of highest net benefit at any threshold is on the frontier (or ties it)
    for wtp in (0.0, 100.0, 1_000.0, 5_000.0, 1e6):
        nmb = wtp * effect - cost
        best = nmb.max()
        frontier_best = max(wtp * e - c for c, e in points)
        # effects within atol 1e-12 are one effect, so net benefits within wtp x 1e-12 tie
        tie = np.isclose(frontier_best, best, rtol=1e-9, atol=1e-12 * (1 + wtp))
        assert frontier_best >= best or tie, (wtp, result)


@settings(max_examples=60, deadline=None)
@given(cost_effect_tables(), st.permutations(range(8)))
def test_frontier_does_not_depend_on_input_order(table, order):
    names, cost, effect = table
    # (near-)duplicates are one strategy to the algorithm: the first in input order is kept
    for i in range(len(names)):
        for j in range(i):
            assume(not (_close(cost[i], cost[j]) and _close(effect[i], effect[j])))
    order = [i for i in order if i < len(names)]
    a = incremental.icer_table(names, cost, effect)
    b = incremental.icer_table([names[i] for i in order], cost[order], effect[order])
    status_a = dict(zip(a["strategy"], a["status"]))
    status_b = dict(zip(b["strategy"], b["status"]))
    assert status_a == status_b
