"""Tests for cea.engine: a published model, a slow reference implementation, invariances,
checks of the transition matrices and transition rewards."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from cea.engine import ModelError, run
from cea.workbook import load_workbook
from tests.helpers.builders import build_script, three_state_sheets
from tests.helpers.paths import ROOT
from tests.helpers.reference import STRATEGIES, reference_run, reference_sheets, reference_table

_build_script = build_script




# =========================================================================== HIV model
@pytest.fixture(params=["script", "shipped"])
def hiv(request, load):
    """The HIV model from scripts/build_workbooks.py and the shipped example workbook."""
    if request.param == "script":
        return load(_build_script().hiv_chancellor())
    return load_workbook(ROOT / "inputs" / "examples" / "hiv_chancellor.xlsx")


def test_hiv_model_reproduces_briggs_example_2_5(hiv):
    """Chancellor et al. 1997, as in Briggs, Claxton & Sculpher (2006) Example 2.5, reproduced
    by heemod's tests/testthat/test_dmhee.R ("exactly match HIV model"); numbers from
    ../shared VALIDATION.md §1: costs 44663.4535637 / 50601.6513312, life-years
    7.9912066 / 8.9373889, ICER 6275.95560 per life-year gained."""
    out = run(hiv)
    assert out.strategies == ("monotherapy", "combination")
    cost = out.cost(["medical", "drugs"])[0]
    ly = out["ly"][0]
    icer = (cost[1] - cost[0]) / (ly[1] - ly[0])
    assert cost == pytest.approx([44663.4535637, 50601.6513312], rel=1e-6)
    assert ly == pytest.approx([7.9912066, 8.9373889], rel=1e-6)
    assert icer == pytest.approx(6275.95560, rel=1e-6)
    # and to the published rounding (7 decimals: half a unit is 5e-8)
    assert cost == pytest.approx([44663.4535637, 50601.6513312], abs=6e-8)
    assert ly == pytest.approx([7.9912066, 8.9373889], abs=6e-8)
    # life-years undiscounted (rate 0), utility 1 in A-C: QALYs are life-years
    assert np.array_equal(out["ly"], out["ly_undiscounted"])
    assert np.array_equal(out["qaly"], out["ly"])


# =========================================================================== reference model
REFERENCE_CASES = [("half_cycle", "time_point"), ("simpson", "start"), ("end", "middle"),
                   ("start", "end")]


@pytest.mark.parametrize(("method", "timing"), REFERENCE_CASES)
def test_engine_matches_reference_implementation(load, method, timing):
    """Every measure and the trace, for five parameter rows and both strategies, equal the
    slow reference above to 1e-12 relative."""
    spec = load(reference_sheets(method, timing))
    table = reference_table()
    out = run(spec, table, trace=True)
    assert out.states == ("well", "sick", "post", "dead")
    assert set(out.measures) == {
        "cost_care", "cost_event", "cost_drug", "qaly", "ly", "outcome_episodes",
        "outcome_sick_cycles", "cost_care_undiscounted", "cost_event_undiscounted",
        "cost_drug_undiscounted", "qaly_undiscounted", "ly_undiscounted"}
    for r, row in enumerate(table.to_dict("records")):
        for j, strategy in enumerate(STRATEGIES):
            expected, trace = reference_run(row, strategy, method, timing)
            for measure, value in expected.items():
                assert out[measure][r, j] == pytest.approx(value, rel=1e-12), \
                    (measure, r, strategy)
            np.testing.assert_allclose(out.trace[r, j], trace, rtol=1e-12, atol=0)
    # the override and the drug cost make the strategies differ in every row
    assert (out["cost_drug"][:, 1] == table["c_trt"]).all()
    assert (out["outcome_episodes"][:, 1] < out["outcome_episodes"][:, 0]).all()


# =========================================================================== invariances
@pytest.fixture
def reference_spec(load):
    return load(reference_sheets("half_cycle", "time_point"))


def _varied_table(spec, n: int = 7, base_at: int = 3) -> pd.DataFrame:
    """n rows; row ``base_at`` is the base case, the others vary every parameter."""
    base = spec.base_table()
    table = pd.concat([base] * n, ignore_index=True)
    factors = np.linspace(0.85, 1.15, n - 1)
    others = [i for i in range(n) if i != base_at]
    for c, name in enumerate(table.columns):
        table.loc[others, name] = base[name][0] * np.roll(factors, c)
    return table


@pytest.mark.parametrize("chunk_size", [1, 2, 3])
def test_chunk_size_gives_bit_identical_results(reference_spec, chunk_size):
    """docs/methods.md: "The same row gives the same numbers whichever table it sits in and
    whatever the chunk size." """
    table = _varied_table(reference_spec)
    whole = run(reference_spec, table, trace=True)
    chunked = run(reference_spec, table, trace=True, chunk_size=chunk_size)
    assert np.array_equal(chunked.values, whole.values)
    assert np.array_equal(chunked.trace, whole.trace)


def test_base_case_row_is_bit_identical_inside_a_larger_table(reference_spec):
    """The base case run alone equals the same row among other rows, exactly."""
    alone = run(reference_spec, trace=True)
    inside = run(reference_spec, _varied_table(reference_spec, base_at=3), trace=True)
    assert np.array_equal(inside.values[3], alone.values[0])
    assert np.array_equal(inside.trace[3], alone.trace[0])


def test_progress_reports_every_chunk(reference_spec):
    calls = []
    run(reference_spec, _varied_table(reference_spec), chunk_size=3,
        progress=lambda done, total: calls.append((done, total)))
    assert calls == [(3, 7), (6, 7), (7, 7)]


def test_trace_is_a_distribution(reference_spec, hiv):
    """Every trace row sums to 1 within 1e-12 and every occupancy is in [0, 1]."""
    for spec, table in ((reference_spec, reference_table()), (hiv, None)):
        trace = run(spec, table, trace=True).trace
        assert trace.shape[2] == spec.settings.n_cycles + 1
        np.testing.assert_allclose(trace.sum(axis=-1), 1.0, rtol=0, atol=1e-12)
        assert trace.min() >= 0.0 and trace.max() <= 1.0


# =========================================================================== invalid matrices
def test_row_not_summing_to_one_without_complement(load):
    """0.9 + 0.3 = 1.2 out of 'well' under strategy 'b'; the error names the first cell of
    that state's rows for the strategy (transitions!D2)."""
    spec = load(three_state_sheets([["well", "well", 0.9, 0.9], ["well", "dead", 0.1, 0.3]]))
    with pytest.raises(ModelError, match=r"transitions!D2: strategy 'b', from 'well' .*every "
                       r"cycle, parameter row 0: probabilities out of this state sum to 1\.2;"):
        run(spec)


def test_negative_complement(load):
    """0.7 + 0.5 with C: the complement would be -0.2; the error names the C cell."""
    spec = load(three_state_sheets([["well", "well", "C", "C"], ["well", "sick", 0.7, 0.7],
                                    ["well", "dead", 0.1, 0.5]]))
    with pytest.raises(ModelError, match=r"transitions!D2: strategy 'b', from 'well' to 'well'"
                       r", every cycle, parameter row 0: the complement C is negative \(-0\.2\)"):
        run(spec)


def test_probability_above_one_in_one_cycle_only(load):
    """if_else(cycle == 3, 1.5, 0.1) is valid in cycles 1-2 and 4-10; the error says cycle 3."""
    spec = load(three_state_sheets([["well", "well", "C", "C"],
                                    ["well", "dead", 0.1, "if_else(cycle == 3, 1.5, 0.1)"]]))
    with pytest.raises(ModelError, match=r"transitions!D3: strategy 'b', from 'well' to 'dead', "
                       r"cycle 3, parameter row 0: probability 1\.5 is not in \[0, 1\]"):
        run(spec)


def test_nan_probability(load):
    """log(p_x - 1) with p_x = 0.5 is log(-0.5) = nan, caught as not in [0, 1]."""
    spec = load(three_state_sheets([["well", "well", "C", "C"],
                                    ["well", "sick", "log(p_x - 1)", 0.1]]))
    with pytest.raises(ModelError, match=r"transitions!C3: strategy 'a', from 'well' to 'sick', "
                       r"every cycle, parameter row 0: probability nan is not in \[0, 1\]"):
        run(spec)


@pytest.mark.parametrize("chunk_size", [None, 1, 2])
def test_bad_value_in_one_parameter_row(load, chunk_size):
    """Rows are numbered from 0 as in Outcomes and to_frame(): p_x = 1.5 in the third row of
    three is 'parameter row 2', whichever chunk it falls in."""
    spec = load(three_state_sheets([["well", "well", "C", "C"], ["well", "dead", "p_x", 0.1]]))
    table = pd.DataFrame({"p_x": [0.1, 0.2, 1.5]})
    with pytest.raises(ModelError, match=r"transitions!C3: strategy 'a', from 'well' to 'dead', "
                       r"every cycle, parameter row 2: probability 1\.5 is not in \[0, 1\]"):
        run(spec, table, chunk_size=chunk_size)


def test_tunnel_substate_named_in_error(load):
    """A probability out of range only in sub-state 3 of a tunnel names 'sick[3]'."""
    sheets = three_state_sheets([["well", "well", "C", "C"], ["well", "sick", 0.1, 0.1]])
    sheets["states"][2].append(3)
    sheets["states"][0].append("tunnel")
    sheets["transitions"][-1] = ["sick", "dead", "0.2 * state_time ^ 2", 0.2]
    with pytest.raises(ModelError, match=r"strategy 'a', from 'sick\[3\]' to 'dead', every "
                       r"cycle, parameter row 0: probability 1\.8 is not in \[0, 1\]"):
        run(load(sheets))


# =========================================================================== transition rewards
def _rewards_sheets(rewards: list[list], rate_costs=0.0, rate_outcomes=0.0) -> dict:
    """well -> sick -> dead, end counting and timing, 1-year cycles, 10 cycles."""
    sheets = three_state_sheets([["well", "well", "C", "C"], ["well", "sick", 0.2, 0.2],
                                 ["well", "dead", 0.05, 0.05]])
    for row in sheets["settings"]:
        if row[0] in ("discount_timing", "within_cycle"):
            row[1] = "end"
        if row[0] == "discount_costs":
            row[1] = rate_costs
        if row[0] == "discount_outcomes":
            row[1] = rate_outcomes
    sheets["transition_rewards"] = [["from", "to", "reward", "value"], *rewards]
    return sheets


def test_transition_rewards_on_entering_versus_from_one_state(load):
    """'*' -> dead counts every death (well -> dead and sick -> dead), so its undiscounted
    total is the share dead at the end, trace[T, dead]; 'sick' -> dead counts only deaths
    from sick: sum_t m_{t-1}(sick) x 0.2; '*' -> sick never counts staying in sick."""
    spec = load(_rewards_sheets([["*", "dead", "outcome_deaths", 1],
                                 ["sick", "dead", "outcome_deaths_sick", 1],
                                 ["*", "sick", "outcome_falls_ill", 1]]))
    out = run(spec, trace=True)
    trace = out.trace[0, 0]  # states well, sick, dead
    assert out["outcome_deaths"][0, 0] == pytest.approx(trace[-1, 2], rel=1e-12)
    assert out["outcome_deaths_sick"][0, 0] == pytest.approx(0.2 * trace[:-1, 1].sum(),
                                                             rel=1e-12)
    assert out["outcome_falls_ill"][0, 0] == pytest.approx(0.2 * trace[:-1, 0].sum(),
                                                           rel=1e-12)
    # deaths from well: 0.05 x sum_t q^{t-1}, q = 0.75 (closed form, 10 cycles)
    from_well = out["outcome_deaths"][0, 0] - out["outcome_deaths_sick"][0, 0]
    assert from_well == pytest.approx(0.05 * (1 - 0.75**10) / (1 - 0.75), rel=1e-12)


def test_qaly_transition_reward_is_discounted_at_the_outcomes_rate(load):
    """A one-off QALY loss of 0.3 on falling ill (well -> sick in cycle t: flow 0.2 x 0.75^{t-1},
    end timing so discounted by (1 + r)^-t) uses the outcomes rate (3%), while a cost on the
    same transition uses the costs rate (10%); neither is scaled by the cycle length. With
    utility 0 everywhere but well (1), the state QALYs are sum_t 0.75^t (1.03)^-t (end
    counting)."""
    sheets = _rewards_sheets([["well", "sick", "qaly", -0.3], ["well", "sick", "cost_ill", 100]],
                             rate_costs=0.10, rate_outcomes=0.03)
    sheets["settings"].append(["excluded_costs", "ill"])  # read from the engine, not a perspective
    sheets["states"][2][2] = 0  # sick: utility 0
    out = run(load(sheets))
    q = 0.75

    def flows(d):  # sum_t 0.2 q^{t-1} d^t
        return 0.2 * d * (1 - (q * d) ** 10) / (1 - q * d)

    def alive_in_well(d):  # sum_t (q d)^t
        return q * d * (1 - (q * d) ** 10) / (1 - q * d)

    d_o, d_c = 1 / 1.03, 1 / 1.10
    assert out["qaly"][0, 0] == pytest.approx(alive_in_well(d_o) - 0.3 * flows(d_o), rel=1e-12)
    assert out["qaly_undiscounted"][0, 0] == pytest.approx(alive_in_well(1) - 0.3 * flows(1),
                                                           rel=1e-12)
    assert out["cost_ill"][0, 0] == pytest.approx(100 * flows(d_c), rel=1e-12)
    assert out["cost_ill_undiscounted"][0, 0] == pytest.approx(100 * flows(1), rel=1e-12)
    # life-years are not touched by a QALY reward
    assert out["ly"][0, 0] > out["qaly"][0, 0]
