"""Tests for cea.analyses.incremental."""

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cea.analyses.incremental import STATUS, icer_table, nmb, optimal_strategy, pairwise

COLUMNS = ["strategy", "cost", "effect", "status", "comparator", "inc_cost", "inc_effect", "icer"]

# VA HERC cost-effectiveness example, as used in dampack's tests/testthat/test_calculate_icers.R
# (herc.research.va.gov/include/page.asp?id=cost-effectiveness-analysis).
HERC = {"UC": (5000, 1), "A": (12000, 1.5), "B": (10000, 2), "C": (25000, 3),
        "D": (35000, 4), "E": (55000, 5)}


def _table(d):
    names = list(d)
    return icer_table(names, [d[s][0] for s in names], [d[s][1] for s in names])


def _by_name(t):
    return t.set_index("strategy")


# --------------------------------------------------------------------------- icer_table
def test_herc_golden_table():
    t = _table(HERC)
    assert list(t.columns) == COLUMNS
    # rows sorted by cost: 5000, 10000, 12000, 25000, 35000, 55000
    assert t["strategy"].tolist() == ["UC", "B", "A", "C", "D", "E"]
    s = _by_name(t)
    # dampack expected Status: UC, B, D, E "ND"; C "ED"; A "D"
    assert s.loc[["UC", "B", "D", "E"], "status"].eq("non_dominated").all()
    assert s.loc["C", "status"] == "extended_dominated"
    assert s.loc["A", "status"] == "dominated"
    # dampack expected Inc_Cost 5000, 25000, 20000; Inc_Effect 1, 2, 1; ICER 5000, 12500, 20000
    front = s.loc[["B", "D", "E"]]
    assert front["comparator"].tolist() == ["UC", "B", "D"]
    np.testing.assert_allclose(front["inc_cost"], [5000, 25000, 20000])
    np.testing.assert_allclose(front["inc_effect"], [1, 2, 1])
    np.testing.assert_allclose(front["icer"], [5000, 12500, 20000])
    assert s.loc["UC", "comparator"] == "" and np.isnan(s.loc["UC", ["inc_cost", "icer"]]).all()
    # off-frontier rows: increments against the last frontier strategy before them, no ICER
    assert s.loc["A", "comparator"] == "B"  # 12000 - 10000, 1.5 - 2
    assert (s.loc["A", "inc_cost"], s.loc["A", "inc_effect"]) == (2000, -0.5)
    assert s.loc["C", "comparator"] == "B"  # 25000 - 10000, 3 - 2
    assert (s.loc["C", "inc_cost"], s.loc["C", "inc_effect"]) == (15000, 1)
    assert np.isnan(s.loc[["A", "C"], "icer"]).all()


@pytest.mark.parametrize("seed", range(5))
def test_herc_shuffled_input_same_result(seed):
    names = list(HERC)
    np.random.default_rng(seed).shuffle(names)
    t = _table({k: HERC[k] for k in names})
    pd.testing.assert_frame_equal(t, _table(HERC))


def test_dampack_three_strategies():
    # dampack test "default reference strategy": "Test & treat" is cheapest and ties for the
    # highest effect, so it dominates both others (Treat all: equal effect, higher cost).
    t = icer_table(["No Treat", "Treat all", "Test & treat"], [163771.0, 164848.7, 163765.1],
                   [6.48273, 6.52861, 6.52861])
    assert t["strategy"].tolist() == ["Test & treat", "No Treat", "Treat all"]
    assert t["status"].tolist() == ["non_dominated", "dominated", "dominated"]


def test_new_strategy_dominant():
    # New: cheaper (80 < 100) and more effective (2 > 1) -> Old strongly dominated.
    t = icer_table(["Old", "New"], [100, 80], [1, 2])
    assert t["strategy"].tolist() == ["New", "Old"]
    assert t["status"].tolist() == ["non_dominated", "dominated"]
    assert t.loc[1, "comparator"] == "New"
    assert (t.loc[1, "inc_cost"], t.loc[1, "inc_effect"]) == (20, -1)  # 100-80, 1-2
    assert t["icer"].isna().all()


def test_cost_tie_higher_effect_wins():
    # Same cost 100: effect 3 beats effect 2; the higher effect is listed first.
    t = icer_table(["lo", "hi", "base"], [100, 100, 0], [2, 3, 0])
    assert t["strategy"].tolist() == ["base", "hi", "lo"]
    assert t["status"].tolist() == ["non_dominated", "non_dominated", "dominated"]
    assert t.loc[1, "icer"] == pytest.approx(100 / 3)  # (100-0)/(3-0)
    assert (t.loc[2, "comparator"], t.loc[2, "inc_cost"], t.loc[2, "inc_effect"]) == ("hi", 0, -1)


def test_exact_duplicates_first_in_input_order_kept():
    t = icer_table(["X", "Y", "Z", "W"], [10, 10, 10, 0], [1, 1, 1, 0])
    assert t["strategy"].tolist() == ["W", "X", "Y", "Z"]  # ties keep input order
    assert t["status"].tolist() == ["non_dominated", "non_dominated", "dominated", "dominated"]
    assert t.loc[2, "comparator"] == "X" and t.loc[2, "inc_cost"] == 0


def test_rounding_noise_is_not_a_frontier_point():
    # B is A plus floating noise (relative 1e-13): treated as a duplicate, not a frontier point
    # with a huge ICER 1e-12 / 1e-13.
    t = icer_table(["A", "B", "C"], [1000.0, 1000.0 + 1e-10, 0.0], [2.0, 2.0 + 2e-13, 1.0])
    s = _by_name(t)
    assert s.loc["B", "status"] == "dominated"
    assert s.loc["A", "status"] == "non_dominated" and s.loc["A", "icer"] == 1000.0


def test_single_strategy():
    t = icer_table(["only"], [3.0], [1.0])
    assert list(t.columns) == COLUMNS and len(t) == 1
    assert t.loc[0, "status"] == "non_dominated" and t.loc[0, "comparator"] == ""
    assert t[["inc_cost", "inc_effect", "icer"]].isna().all(axis=None)


def test_all_equal_effects_cheapest_wins():
    t = icer_table(["a", "b", "c"], [30, 10, 20], [5, 5, 5])
    assert t["strategy"].tolist() == ["b", "c", "a"]
    assert t["status"].tolist() == ["non_dominated", "dominated", "dominated"]


def test_extended_dominance_needs_two_passes():
    # (effect, cost): A(0, 0), B(1, 5), C(2, 11), D(3, 12), E(4, 20).
    # Pass 1 ICERs vs previous: B 5, C 6, D 1, E 8 -> only C (6 > 1) is an offender; B is fine
    # (5 < 6). Without C: B 5, D (12-5)/(3-1) = 3.5 -> now B (5 > 3.5) is an offender.
    # Without B: D 12/3 = 4, E 8 -> increasing. Frontier A, D, E (the lower convex hull).
    t = icer_table(list("ABCDE"), [0, 5, 11, 12, 20], [0, 1, 2, 3, 4])
    s = _by_name(t)
    assert s["status"].tolist() == ["non_dominated", "extended_dominated", "extended_dominated",
                                    "non_dominated", "non_dominated"]
    np.testing.assert_allclose(s.loc[["D", "E"], "icer"], [4, 8])
    assert s.loc[["D", "E"], "comparator"].tolist() == ["A", "D"]


def test_collinear_point_stays_on_frontier():
    # B lies on the segment A-C: ICERs 10 and 10 are equal, not greater -> B is kept.
    t = icer_table(["A", "B", "C"], [0, 10, 20], [0, 1, 2])
    assert t["status"].eq("non_dominated").all()
    np.testing.assert_allclose(t["icer"][1:], [10, 10])


@pytest.mark.parametrize(
    ("args", "match"),
    [
        ((["A", "B", "C"], [1, 2], [1, 2, 3]),
         r"cost and effect must have one value per strategy; got 3 strategies, 2 costs\."),
        ((["A", "B"], [1, 2], [1]), r"got 2 strategies, 1 effect\."),
        ((["A"], [1, 2], [1, 2, 3]), r"got 1 strategy, 2 costs, 3 effects\."),
        (([], [], []), "at least one strategy"),
        ((["A", "B"], [1, 2], [1, float("nan")]),
         r"effect of strategy 'B' must be finite; got nan\."),
        ((["A", "B"], [np.inf, 2], [1, 2]), r"cost of strategy 'A' must be finite; got inf\."),
        ((["A", "A"], [1, 2], [1, 2]), "unique"),
        (("AB", [1, 2], [1, 2]), "sequence of names"),
        ((["A"], [[1]], [1]), "1-D"),
    ],
)
def test_icer_table_invalid(args, match):
    with pytest.raises(ValueError, match=match):
        icer_table(*args)


# --------------------------------------------------------------------------- nmb / optimal
def test_nmb_values_and_shapes():
    cost, effect = np.array([100.0, 300.0]), np.array([1.0, 2.0])
    # scalar wtp 150: 150*1-100 = 50, 150*2-300 = 0
    np.testing.assert_array_equal(nmb(cost, effect, 150), [50, 0])
    out = nmb(cost, effect, [0, 200])
    assert out.shape == (2, 2)
    np.testing.assert_array_equal(out, [[-100, -300], [100, 100]])  # 200*1-100, 200*2-300
    psa_c, psa_e = np.ones((7, 3)), np.ones((7, 3))
    assert nmb(psa_c, psa_e, np.arange(5.0)).shape == (7, 5, 3)
    assert nmb(psa_c, psa_e, 1.0).shape == (7, 3)
    with pytest.raises(ValueError, match="same shape"):
        nmb([1, 2], [1], 1)
    with pytest.raises(ValueError, match="scalar or 1-D"):
        nmb([1, 2], [1, 2], [[1]])


def test_optimal_strategy_matches_brute_force():
    rng = np.random.default_rng(1)
    cost, effect = rng.integers(0, 50, (20, 4)), rng.integers(0, 10, (20, 4))
    wtp = np.array([0.0, 1.0, 2.5, 5.0, 100.0])
    got = optimal_strategy(cost, effect, wtp)
    assert got.shape == (20, 5)
    for s in range(20):
        for k, w in enumerate(wtp):
            vals = [w * effect[s, j] - cost[s, j] for j in range(4)]
            best = max(vals)
            assert got[s, k] == next(j for j in range(4) if vals[j] == best)  # lowest index
    assert optimal_strategy([1, 1], [2, 2], 3.0) == 0  # exact tie -> lowest index
    with pytest.raises(ValueError, match="finite"):
        optimal_strategy([1, np.nan], [1, 2], 1.0)


# --------------------------------------------------------------------------- pairwise
def test_pairwise_verdicts():
    names = ["ref", "dom", "domd", "eq", "ne", "sw", "free"]
    cost = [100, 80, 120, 100, 150, 50, 100]
    effect = [2, 3, 1, 2, 3, 1, 2.5]
    t = pairwise(names, cost, effect)
    assert list(t.columns) == ["strategy", "reference", "inc_cost", "inc_effect", "icer", "verdict"]
    assert t["reference"].eq("ref").all()
    assert t["verdict"].tolist() == ["reference", "dominant", "dominated", "equivalent",
                                     "more costly, more effective", "less costly, less effective",
                                     "dominant"]  # free: equal cost, more effect
    # ne: (150-100)/(3-2) = 50; sw: (50-100)/(1-2) = 50
    np.testing.assert_allclose(t["icer"], [np.nan, np.nan, np.nan, np.nan, 50, 50, np.nan])
    np.testing.assert_allclose(t["inc_cost"], [0, -20, 20, 0, 50, -50, 0])
    t2 = pairwise(names, cost, effect, reference="ne")
    assert t2["verdict"].tolist()[4] == "reference"
    assert t2.loc[0, "verdict"] == "less costly, less effective"
    with pytest.raises(ValueError, match="reference must be one of"):
        pairwise(names, cost, effect, reference="nope")


# --------------------------------------------------------------------------- properties
@st.composite
def ce_tables(draw):
    n = draw(st.integers(2, 7))
    cost = draw(st.lists(st.integers(0, 20), min_size=n, max_size=n))
    effect = draw(st.lists(st.integers(0, 8), min_size=n, max_size=n))
    return [f"S{i}" for i in range(n)], np.array(cost, float), np.array(effect, float)


@settings(max_examples=300, deadline=None)
@given(ce_tables(), st.lists(st.floats(0, 50, allow_nan=False), min_size=1, max_size=20))
def test_frontier_properties(table, wtps):
    names, cost, effect = table
    t = icer_table(names, cost, effect)
    assert set(t["status"]) <= set(STATUS) and sorted(t["strategy"]) == sorted(names)
    front = t[t["status"] == "non_dominated"]
    # frontier: cost and effect strictly increasing; ICERs non-decreasing, and equal only
    # where three frontier points are exactly collinear (kept by the ">" rule).
    assert (np.diff(front["cost"]) > 0).all() and (np.diff(front["effect"]) > 0).all()
    icers = front["icer"].to_numpy()[1:]
    for k in range(len(icers) - 1):
        assert icers[k] <= icers[k + 1]
        if icers[k] == icers[k + 1]:
            (c0, c1, c2), (e0, e1, e2) = front["cost"][k:k + 3], front["effect"][k:k + 3]
            assert (c1 - c0) * (e2 - e1) == (c2 - c1) * (e1 - e0)
    # comparators of frontier rows are frontier strategies (the previous one)
    assert front["comparator"].tolist() == [""] + front["strategy"].tolist()[:-1]
    # every off-frontier strategy really is beaten: strongly, or by a mix of two neighbours
    for _, row in t[t["status"] == "dominated"].iterrows():
        i = names.index(row["strategy"])
        assert any((cost[j] <= cost[i] and effect[j] >= effect[i])
                   and ((cost[j], effect[j]) != (cost[i], effect[i]) or j < i)
                   for j in range(len(names)) if j != i)
    # the max-NMB strategy at any wtp >= 0 is on the frontier (or tied with a frontier one)
    on_front = t.set_index("strategy")["status"].eq("non_dominated").loc[names].to_numpy()
    for w in [*wtps, *icers[np.isfinite(icers)]]:
        v = w * effect - cost
        assert math.isclose(v[on_front].max(), v.max(), rel_tol=1e-12, abs_tol=1e-9)
    # and each frontier strategy maximises NMB at wtp = its ICER (wtp = 0 for the cheapest)
    for k, (_, row) in enumerate(front.iterrows()):
        w = 0.0 if k == 0 else row["icer"]
        v = w * effect - cost
        assert math.isclose(w * row["effect"] - row["cost"], v.max(), rel_tol=1e-12, abs_tol=1e-9)
    # extended-dominated strategies are never the unique NMB maximiser
    for _, row in t[t["status"] == "extended_dominated"].iterrows():
        for w in wtps:
            v = w * effect - cost
            assert w * row["effect"] - row["cost"] <= v[on_front].max() + 1e-9
