"""The engine's counting and discounting conventions, pinned by closed forms.

Source of every expected number: ../shared VALIDATION.md §4, "Closed forms for the
engine's conventions": a two-state model (alive -> dead) with constant per-cycle death
probability p, reward 1 per cycle alive, discount factor d per cycle: the occupancy
after t transitions is (1 - p)^t, so each convention's total is a geometric sum.

Notation (q = 1 - p, d = 1 / (1 + r), 1-year cycles, T cycles, m_t = q^t alive):

    g(x, n) = sum_{k=0}^{n-1} x^k = (1 - x^n) / (1 - x)

Cycle t counts alpha_t q^{t-1} + beta_t q^t, the start count discounted by d^{t-1+a} and
the end count by d^{t-1+b}, with (a, b) = start (0, 0), middle (1/2, 1/2), end (1, 1),
time_point (0, 1). Summing over t = 1..T:

    A = sum_t q^{t-1} d^{t-1+a} = d^a g(qd, T)          (every start count)
    B = sum_t q^t     d^{t-1+b} = q d^b g(qd, T)        (every end count)

    start: A     end: B     half_cycle: (A + B) / 2     custom weight w: w A + (1 - w) B

Simpson (T even; odd cycles t = 2k + 1 get (1/3, 2/3), even ones (2/3, 1/3)), with
h = g((qd)^2, T/2) = (1 - (qd)^T) / (1 - (qd)^2):

    (1/3) d^a h + (2/3) q d^{a+1} h + (2/3) q d^b h + (1/3) q^2 d^{b+1} h

and for odd T the first T - 1 cycles so, plus the last cycle's trapezoid
(1/2) q^{T-1} d^{T-1+a} + (1/2) q^T d^{T-1+b}.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from cea.engine import run
from tests.helpers.builders import two_state_sheets

P, RATE, T = 0.1, 0.05, 10
METHODS = ("start", "end", "half_cycle", "simpson", "custom")
TIMINGS = ("start", "middle", "end", "time_point")
#: (a, b): extra cycles after t - 1 at which the start / end count of cycle t is discounted
SHIFT = {"start": (0.0, 0.0), "middle": (0.5, 0.5), "end": (1.0, 1.0), "time_point": (0.0, 1.0)}
#: the constant weight used for within_cycle = custom in the closed-form grid
CUSTOM_W = 0.25
REL = 1e-12


def _g(x: float, n: int) -> float:
    """Geometric sum sum_{k=0}^{n-1} x^k = (1 - x^n) / (1 - x), for x != 1."""
    return (1.0 - x**n) / (1.0 - x)


def closed_form(method: str, timing: str, p: float, rate: float, n: int,
                w: float = CUSTOM_W) -> float:
    """Total reward of the two-state model (see the module docstring for the derivation)."""
    q, d = 1.0 - p, 1.0 / (1.0 + rate)
    a, b = SHIFT[timing]
    qd = q * d
    start_counts = d**a * _g(qd, n)  # A
    end_counts = q * d**b * _g(qd, n)  # B
    if method == "start":
        return start_counts
    if method == "end":
        return end_counts
    if method == "half_cycle":
        return (start_counts + end_counts) / 2
    if method == "custom":
        return w * start_counts + (1 - w) * end_counts
    assert method == "simpson"
    even = n - n % 2
    h = (1.0 - qd**even) / (1.0 - qd**2)
    total = (d**a * h / 3 + 2 * q * d ** (a + 1) * h / 3
             + 2 * q * d**b * h / 3 + q**2 * d ** (b + 1) * h / 3)
    if n % 2:  # last odd cycle t = n: trapezoid
        total += (q ** (n - 1) * d ** (n - 1 + a) + q**n * d ** (n - 1 + b)) / 2
    return total


def _set(sheets: dict, key: str, value) -> dict:
    """Set (or add) one row of the settings sheet."""
    for row in sheets["settings"][1:]:
        if row[0] == key:
            row[1] = value
            return sheets
    sheets["settings"].append([key, value])
    return sheets


def _sheets(method: str, timing: str, *, rate: float = RATE, cycles: int = T,
            weight=CUSTOM_W, p: float = P) -> dict:
    sheets = two_state_sheets(p, within_cycle=method, timing=timing, rate=rate, cycles=cycles)
    if method == "custom":
        _set(sheets, "within_cycle_weight", weight)
    return sheets




@pytest.fixture
def model(load):
    """``model(sheets) -> Outcomes`` of the base case."""
    return lambda sheets: run(load(sheets))


def _with_rate(spec, rate: float):
    """The same model with both discount rates set to ``rate`` (no workbook round trip)."""
    settings = dataclasses.replace(spec.settings, discount_costs=rate, discount_outcomes=rate)
    return dataclasses.replace(spec, settings=settings)


# ------------------------------------------------------------------ the grid of conventions
@pytest.mark.parametrize("timing", TIMINGS)
@pytest.mark.parametrize("method", METHODS)
def test_every_method_and_timing_matches_closed_form(model, method, timing):
    """cost_care (cost rate r) and qaly (outcome rate r, utility 1 x 1-year cycles) and ly
    equal the closed form of VALIDATION.md §4; the undiscounted measures equal it with d = 1.
    T = 10 (even, so Simpson pairs every cycle)."""
    out = model(_sheets(method, timing))
    expected = closed_form(method, timing, P, RATE, T)
    undiscounted = closed_form(method, timing, P, 0.0, T)
    for measure in ("cost_care", "qaly", "ly"):
        assert out[measure][0, 0] == pytest.approx(expected, rel=REL), measure
        assert out[f"{measure}_undiscounted"][0, 0] == pytest.approx(undiscounted, rel=REL)


@pytest.mark.parametrize("timing", TIMINGS)
def test_simpson_odd_horizon_ends_with_trapezoid(model, timing):
    """T = 9: cycles 1-8 in Simpson pairs, cycle 9 with (1/2, 1/2) (closed form above)."""
    out = model(_sheets("simpson", timing, cycles=9))
    assert out["cost_care"][0, 0] == pytest.approx(closed_form("simpson", timing, P, RATE, 9),
                                                   rel=REL)
    assert out["qaly"][0, 0] == pytest.approx(closed_form("simpson", timing, P, RATE, 9),
                                              rel=REL)


def test_simpson_single_cycle_is_trapezoid(model):
    """T = 1: a lone (odd) cycle is the trapezoid (1 + q d) / 2 with time_point timing."""
    out = model(_sheets("simpson", "time_point", cycles=1))
    q, d = 1 - P, 1 / (1 + RATE)
    assert out["cost_care"][0, 0] == pytest.approx((1 + q * d) / 2, rel=REL)


def test_closed_forms_written_out(model):
    """Three cells of the grid with their sums written out in full, as a check on the
    A / B decomposition used above (VALIDATION.md §4):

    end + end:           sum_{t=1}^T (qd)^t           = qd (1 - (qd)^T) / (1 - qd)
    start + start:       sum_{t=1}^T (qd)^{t-1}       = (1 - (qd)^T) / (1 - qd)
    half_cycle + middle: sum_t (q^{t-1} + q^t)/2 d^{t-1/2} = (1 + q) sqrt(d) (1 - (qd)^T)
                                                             / (2 (1 - qd))
    """
    q, d = 1 - P, 1 / (1 + RATE)
    qd = q * d
    cases = {
        ("end", "end"): qd * (1 - qd**T) / (1 - qd),
        ("start", "start"): (1 - qd**T) / (1 - qd),
        ("half_cycle", "middle"): (1 + q) * d**0.5 * (1 - qd**T) / (2 * (1 - qd)),
    }
    for (method, timing), expected in cases.items():
        assert model(_sheets(method, timing))["cost_care"][0, 0] == pytest.approx(expected,
                                                                                 rel=REL)


def test_custom_weight_may_vary_with_cycle(model):
    """within_cycle_weight = if_else(cycle <= 5, 1, 0): start counting in cycles 1-5, end
    counting in 6-10. With time_point timing (a, b) = (0, 1):
    sum_{t=1}^{5} (qd)^{t-1} + sum_{t=6}^{10} (qd)^t = g(qd, 5) + (qd)^6 g(qd, 5)."""
    out = model(_sheets("custom", "time_point", weight="if_else(cycle <= 5, 1, 0)"))
    qd = (1 - P) / (1 + RATE)
    assert out["cost_care"][0, 0] == pytest.approx(_g(qd, 5) + qd**6 * _g(qd, 5), rel=REL)


# ------------------------------------------------------------------ transition rewards
@pytest.mark.parametrize("timing", TIMINGS)
def test_transition_reward_timing(model, timing):
    """A cost of 1 on each death: the flow of cycle t is q^{t-1} p, discounted at
    (t - 1 + c) years with c = 0 (start), 1/2 (middle, and time_point: an event falls on
    average mid-cycle), 1 (end), so the total is p d^c g(qd, T); undiscounted, 1 - q^T
    (everyone who died). Independent of the within-cycle method (the flow is not a state
    count)."""
    sheets = _sheets("half_cycle", timing)
    sheets["transition_rewards"] = [["from", "to", "reward", "value"],
                                    ["*", "dead", "cost_death", 1]]
    sheets["settings"].append(["excluded_costs", "death"])  # read from the engine directly
    out = model(sheets)
    q, d = 1 - P, 1 / (1 + RATE)
    c = {"start": 0.0, "middle": 0.5, "end": 1.0, "time_point": 0.5}[timing]
    assert out["cost_death"][0, 0] == pytest.approx(P * d**c * _g(q * d, T), rel=REL)
    assert out["cost_death_undiscounted"][0, 0] == pytest.approx(1 - q**T, rel=REL)


# ------------------------------------------------------------------ discounting properties
@pytest.mark.parametrize("timing", TIMINGS)
@pytest.mark.parametrize("method", METHODS)
def test_discounting_never_increases_a_total(load, method, timing):
    """With positive rewards, a higher rate never gives a larger total, and every
    discounted total is at most its undiscounted one."""
    spec = load(_sheets(method, timing))
    totals = []
    for rate in (0.0, 0.015, 0.05, 0.1):
        out = run(_with_rate(spec, rate))
        for measure in ("cost_care", "qaly", "ly"):
            assert out[measure][0, 0] <= out[f"{measure}_undiscounted"][0, 0]
        totals.append(out["cost_care"][0, 0])
    assert all(later <= earlier for earlier, later in zip(totals, totals[1:]))


@pytest.mark.parametrize("timing", TIMINGS)
@pytest.mark.parametrize("method", METHODS)
def test_rate_zero_discounted_equals_undiscounted(load, method, timing):
    """(1 + 0)^-tau = 1 exactly, so the discounted measures are the undiscounted ones."""
    out = run(_with_rate(load(_sheets(method, timing)), 0.0))
    for measure in ("cost_care", "qaly", "ly"):
        assert np.array_equal(out[measure], out[f"{measure}_undiscounted"]), measure


@pytest.mark.parametrize("timing", TIMINGS)
def test_custom_weights_reproduce_named_methods(model, timing):
    """custom with weight 0.5 is half_cycle and with weight 1 is start, exactly (the same
    weights (alpha_t, beta_t) = (1/2, 1/2) and (1, 0))."""
    half = model(_sheets("half_cycle", timing))
    start = model(_sheets("start", timing))
    assert np.array_equal(model(_sheets("custom", timing, weight=0.5)).values, half.values)
    assert np.array_equal(model(_sheets("custom", timing, weight=1)).values, start.values)


def test_weekly_cycles_discount_by_elapsed_years(model):
    """52 weekly cycles, end counting, end timing: cycle t is discounted by
    (1 + r)^-(7 t / 365.25) (years elapsed, a year being 365.25 days), not by whole years.
    With x = q (1 + r)^-(7/365.25): cost_care = sum_{t=1}^{52} x^t = x (1 - x^52) / (1 - x);
    QALYs and life-years count 7/365.25 years per cycle alive."""
    p, rate = 0.01, 0.05
    sheets = _sheets("end", "end", rate=rate, p=p)
    for key, value in (("cycle_unit", "week"), ("horizon", 52), ("horizon_unit", "week")):
        _set(sheets, key, value)
    out = model(sheets)
    week = 7 / 365.25
    x = (1 - p) * (1 + rate) ** -week
    expected = x * (1 - x**52) / (1 - x)
    assert out["cost_care"][0, 0] == pytest.approx(expected, rel=REL)
    assert out["qaly"][0, 0] == pytest.approx(week * expected, rel=REL)
    assert out["ly"][0, 0] == pytest.approx(week * expected, rel=REL)
    # whole-year discounting would give no discount at all within the first year
    assert out["cost_care"][0, 0] < out["cost_care_undiscounted"][0, 0]


def test_one_off_strategy_cost_at_time_zero(model):
    """A strategies-sheet cost_<category> is added once, undiscounted, at time 0."""
    sheets = _sheets("half_cycle", "time_point")
    sheets["strategies"] = [["name", "description", "cost_care"], ["only", "", 1000]]
    out = model(sheets)
    expected = 1000 + closed_form("half_cycle", "time_point", P, RATE, T)
    assert out["cost_care"][0, 0] == pytest.approx(expected, rel=REL)
    assert out["cost_care_undiscounted"][0, 0] == pytest.approx(
        1000 + closed_form("half_cycle", "time_point", P, 0.0, T), rel=REL)
