"""Weights per time point, transition-reward timing and settings read in expressions,
pinned by closed forms and hand calculations (issue 15, points 1, 2 and 6).

The model is the two-state alive -> dead model of ../shared VALIDATION.md §4: constant
death probability p per 1-year cycle, reward 1 per cycle alive, so the count alive at
time point t is m_t = q^t (q = 1 - p). With d = 1 / (1 + r) and x = q d, a method that
weighs the count at time point t by w_t and discounts it at t years (time_point timing)
totals

    sum_{t=0}^{T} w_t x^t.

Closed forms of the sums used below (geometric series):

    odd points   t = 1, 3, ... <= T - 1:  O = x (1 - x^(2 n_o)) / (1 - x^2),   n_o = T // 2
    even points  t = 2, 4, ... <= T - 1:  E = x^2 (1 - x^(2 n_e)) / (1 - x^2), n_e = (T-1) // 2
    Simpson 1/3 (T even):  (1 + x^T) / 3 + 4 O / 3 + 2 E / 3
    the other parity:      (1 + x^T) / 3 + 2 O / 3 + 4 E / 3
"""

from __future__ import annotations

import numpy as np
import pytest

from cea.engine import run
from cea.model.problems import InputError
from tests.helpers.builders import two_state_sheets

P, RATE = 0.1, 0.05
REL = 1e-12
#: the other parity of the alternating point weights, as an analyst writes it
OTHER_PARITY = "if_else(t == 0 or t == n_cycles, 1/3, if_else(floor(t / 2) * 2 == t, 4/3, 2/3))"
SIMPSON = "if_else(t == 0 or t == n_cycles, 1/3, if_else(floor(t / 2) * 2 == t, 2/3, 4/3))"


def _sheets(method: str, cycles: int, *, rate: float = RATE, weight=None, **settings) -> dict:
    sheets = two_state_sheets(P, within_cycle=method, timing="time_point", rate=rate,
                              cycles=cycles)
    if weight is not None:
        sheets["settings"].append(["within_cycle_weight", weight])
    for key, value in settings.items():
        sheets["settings"].append([key, value])
    return sheets


def _alternating(cycles: int, rate: float, odd: float, even: float) -> float:
    x = (1 - P) / (1 + rate)
    n_o, n_e = cycles // 2, (cycles - 1) // 2
    o = x * (1 - x ** (2 * n_o)) / (1 - x**2)
    e = x**2 * (1 - x ** (2 * n_e)) / (1 - x**2)
    return (1 + x**cycles) / 3 + odd * o + even * e


@pytest.mark.parametrize("rate", [RATE, 0.0])
def test_simpson_1_3_matches_its_closed_form(load, rate):
    out = run(load(_sheets("simpson_1_3", 10, rate=rate)))
    expected = _alternating(10, rate, 4 / 3, 2 / 3)
    for measure in ("cost_care", "qaly", "ly"):
        assert out[measure][0, 0] == pytest.approx(expected, rel=REL), measure
    assert out["cost_care_undiscounted"][0, 0] == pytest.approx(
        _alternating(10, 0.0, 4 / 3, 2 / 3), rel=REL)


@pytest.mark.parametrize("cycles", [10, 9])
@pytest.mark.parametrize(("weight", "odd", "even"), [(SIMPSON, 4 / 3, 2 / 3),
                                                     (OTHER_PARITY, 2 / 3, 4 / 3)])
def test_alternating_point_weights_in_either_parity(load, weight, odd, even, cycles):
    """custom_points with 1/3 at both ends and 4/3, 2/3 alternating between, starting with
    either; on an odd horizon too (where the weights no longer sum to T)."""
    out = run(load(_sheets("custom_points", cycles, weight=weight)))
    assert out["cost_care"][0, 0] == pytest.approx(_alternating(cycles, RATE, odd, even),
                                                   rel=REL)


def test_trapezoid_points_equal_the_half_cycle_rule(load):
    """Trapezoid over time points: sum_t w_t x^t with w = 1/2, 1, ..., 1, 1/2, i.e.
    (1 + x) (1 - x^T) / (2 (1 - x)) (the half-cycle closed form with time_point timing)."""
    x = (1 - P) / (1 + RATE)
    expected = (1 + x) * (1 - x**10) / (2 * (1 - x))
    for method in ("trapezoid", "half_cycle", "life_table"):
        assert run(load(_sheets(method, 10)))["cost_care"][0, 0] == pytest.approx(expected,
                                                                                  rel=REL)
    life, half = (run(load(_sheets(m, 10))).values for m in ("life_table", "half_cycle"))
    assert np.array_equal(life, half)  # the same weights, the same bits


def test_simpson_1_3_refuses_an_odd_number_of_cycles(load):
    with pytest.raises(InputError, match=r"settings!B10: within_cycle simpson_1_3: .*even "
                                         r"number of cycles; the model has 9"):
        load(_sheets("simpson_1_3", 9))


# ------------------------------------------------------------------ bad weights, with cells
def test_an_out_of_range_point_weight_names_its_cell_and_t(load):
    sheets = _sheets("custom_points", 10, weight="if_else(t == 3, -0.5, 1)")
    row = len(sheets["settings"])  # the weight is the last row of the settings sheet
    with pytest.raises(InputError, match=rf"settings!B{row}: within_cycle_weight is -0.5 at "
                                         r"t = 3: a time-point weight must be in \[0, 2\]"):
        load(sheets)


def test_an_out_of_range_cycle_weight_names_its_cell_and_cycle(load):
    sheets = _sheets("custom", 10, weight="if_else(cycle == 75 / 15, 1.5, 0.5)")
    row = len(sheets["settings"])
    with pytest.raises(InputError, match=rf"settings!B{row}: within_cycle_weight is 1.5 at "
                                         r"cycle 5: a start-of-cycle weight must be in \[0, 1\]"):
        load(sheets)


def test_a_weight_of_the_wrong_time_names_what_it_may_read(load):
    sheets = _sheets("custom", 10, weight="if_else(t == 0, 1, 0.5)")
    with pytest.raises(InputError, match=r"uses t; with within_cycle = custom it may read "
                                         r"cycle and n_cycles"):
        load(sheets)


# ------------------------------------------------------------------ transition rewards
def _death_cost(method: str = "half_cycle", cycles: int = 10, **settings) -> dict:
    sheets = _sheets(method, cycles, **settings)
    sheets["transition_rewards"] = [["from", "to", "reward", "value"],
                                    ["alive", "dead", "cost_death", 1]]
    sheets["settings"].append(["excluded_costs", "death"])
    return sheets


def test_transition_reward_timing_by_hand(load):
    """Two cycles, p = 0.1: 0.1 die in cycle 1 and 0.9 x 0.1 = 0.09 in cycle 2; a cost of
    1 per death discounted at 5% a year at the start (0 and 1 years), middle (0.5, 1.5)
    or end (1, 2) of its cycle."""
    expected = {"start": 0.1 + 0.09 / 1.05,
                "middle": 0.1 / 1.05**0.5 + 0.09 / 1.05**1.5,
                "end": 0.1 / 1.05 + 0.09 / 1.05**2}
    for timing, total in expected.items():
        out = run(load(_death_cost(cycles=2, transition_reward_timing=timing)))
        assert out["cost_death"][0, 0] == pytest.approx(total, rel=REL), timing
        assert out["cost_death_undiscounted"][0, 0] == pytest.approx(0.19, rel=REL)


def test_transition_rewards_weighted_like_their_time_point(load):
    """transition_reward_weights = time_point: cycle t's deaths weigh what the count at
    time point t weighs. Half-cycle: 1 for t < T, 1/2 at t = T, so with end timing the
    total is sum_{t=1}^{T} W_t p q^(t-1) d^t = p d (g(x, T) - x^(T-1) / 2). Two cycles by
    hand: 0.1 / 1.05 + 0.09 / 1.05^2 / 2. Simpson 1/3 (T = 2): W_1 = 4/3, W_2 = 1/3."""
    out = run(load(_death_cost(cycles=2, transition_reward_timing="end",
                               transition_reward_weights="time_point")))
    assert out["cost_death"][0, 0] == pytest.approx(0.1 / 1.05 + 0.09 / 1.05**2 / 2, rel=REL)
    out = run(load(_death_cost("simpson_1_3", cycles=2, transition_reward_timing="end",
                               transition_reward_weights="time_point")))
    assert out["cost_death"][0, 0] == pytest.approx(4 / 3 * 0.1 / 1.05
                                                    + 1 / 3 * 0.09 / 1.05**2, rel=REL)
    q, d, T = 1 - P, 1 / (1 + RATE), 10
    x = q * d
    out = run(load(_death_cost(transition_reward_timing="end",
                               transition_reward_weights="time_point")))
    assert out["cost_death"][0, 0] == pytest.approx(
        P * d * ((1 - x**T) / (1 - x) - x ** (T - 1) / 2), rel=REL)


def test_the_provenance_says_how_transition_rewards_are_counted(load):
    spec = load(_death_cost(transition_reward_timing="end",
                            transition_reward_weights="time_point"))
    text = spec.settings.conventions()["transition rewards"]
    assert text == ("transition rewards of cycle t discounted at its end (t cycles), each "
                    "weighted like the count at the time point it ends at (t)")
    default = load(_death_cost()).settings.conventions()["transition rewards"]
    assert "middle" in default and "as the discount timing gives" in default


# ------------------------------------------------------------------ settings in expressions
def test_expressions_read_settings(load):
    """A cost of settings.n_cycles (10) per cycle alive, and a utility of
    settings.discount_outcomes * 20 (= 1): ten times and once the half-cycle closed form."""
    sheets = _sheets("half_cycle", 10)
    sheets["states"][1][2] = "settings.discount_outcomes * 20"
    sheets["states"][1][3] = "settings.n_cycles"
    x = (1 - P) / (1 + RATE)
    half = (1 + x) * (1 - x**10) / (2 * (1 - x))
    out = run(load(sheets))
    assert out["cost_care"][0, 0] == pytest.approx(10 * half, rel=REL)
    assert out["qaly"][0, 0] == pytest.approx(half, rel=REL)


def test_an_unknown_setting_in_an_expression_names_its_cell(load):
    sheets = _sheets("half_cycle", 10)
    sheets["states"][1][3] = "settings.discount_cost * 20"
    with pytest.raises(InputError, match=r"states!D2: .*reads unknown setting "
                                         r"'discount_cost' \(did you mean 'discount_costs'\?\)"):
        load(sheets)


def test_only_settings_may_be_dotted(load):
    sheets = _sheets("half_cycle", 10)
    sheets["states"][1][3] = "alive.cost"
    with pytest.raises(InputError, match=r"states!D2: .*the one dotted name is settings"):
        load(sheets)
