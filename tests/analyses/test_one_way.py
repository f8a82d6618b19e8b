"""One-way sensitivity analysis: one engine call, its design, the tornado, closed forms."""

from __future__ import annotations

import numpy as np
import pytest

from cea.analyses.base_case import run_base_case
from cea.analyses.one_way import one_way
from cea.analyses.ranges import INTERVAL_SOURCE
from cea.engine import ModelError
from cea.workbook import load_workbook
from tests.helpers.builders import build_script, linear_sheets, two_state_sheets
from tests.helpers.engine_calls import count_engine_calls

_build_script = build_script


def test_one_way_of_walkback_is_one_engine_call(walkback, monkeypatch):
    """All WalkBack parameters with a range: 2 x n_varied + 1 rows in a single engine call."""
    calls = count_engine_calls(monkeypatch)
    result = one_way(walkback)
    with_range = [p.name for p in walkback.parameters if p.is_free and p.low is not None]
    assert [r.parameter for r in result.ranges] == with_range
    assert set(result.skipped) == {"n_full_sessions", "n_checkins", "cpi_health_2024",
                                   "earnings_index_2024"}
    assert calls == [2 * len(with_range) + 1]
    assert result.outcomes.n_rows == len(result.table) == 2 * len(with_range) + 1


def test_one_way_design_varies_one_parameter_per_row(walkback):
    result = one_way(walkback)
    base = walkback.base_table().iloc[0]
    assert (result.table.iloc[0] == base).all()
    for i, r in enumerate(result.ranges):
        for row, value in ((2 * i + 1, r.low), (2 * i + 2, r.high)):
            changed = result.table.columns[result.table.iloc[row] != base].tolist()
            assert changed == ([r.parameter] if value != r.base else [])
            assert result.table.iloc[row][r.parameter] == value


def test_one_way_base_row_is_the_base_case_exactly(walkback):
    """Row 0 of the design, run among 2k other rows, is bit for bit the base case."""
    base = run_base_case(walkback).outcomes.values
    assert np.array_equal(one_way(walkback).outcomes.values[:1], base)


def test_one_way_frame_is_tidy(walkback):
    result = one_way(walkback)
    frame = result.to_frame()
    s = walkback.settings
    n_lines = len(result.table) * len(s.perspectives) * len(s.wtp) * len(walkback.strategies)
    assert len(frame) == n_lines
    assert {"parameter", "range_source", "end", "value", "perspective", "wtp", "strategy",
            "comparator", "inc_cost", "inc_qaly", "icer", "inc_nmb", "optimal"} <= set(frame)
    hr = frame[(frame["parameter"] == "hr_al") & (frame["end"] == "low")]
    assert (hr["value"] == 0.60).all() and (hr["range_source"] == "workbook").all()
    # incremental NMB = wtp x inc_qaly - inc_cost on every comparison line
    lines = frame[frame["comparator"] != ""]
    np.testing.assert_allclose(lines["inc_nmb"], lines["wtp"] * lines["inc_qaly"]
                               - lines["inc_cost"], rtol=1e-9, atol=1e-7)


def test_distribution_interval_used_without_range(make_workbook):
    """p_die has a beta distribution and no low/high: its 2.5th and 97.5th percentiles."""
    sheets = two_state_sheets(0.1)
    sheets["parameters"][0].append("distribution")
    sheets["parameters"][1].append("beta(mean=0.1, se=0.02)")
    spec = load_workbook(make_workbook(sheets))
    result = one_way(spec)
    (r,) = result.ranges
    expected = spec.parameter("p_die").distribution.ppf(np.array([0.025, 0.975]))
    assert (r.low, r.high) == tuple(expected) and r.source == INTERVAL_SOURCE
    tornado = result.tornado()  # one strategy: the outcome defaults to its NMB
    assert tornado.attrs["selection"].outcome == "nmb"
    assert tornado["range_source"].tolist() == [INTERVAL_SOURCE]


def test_more_than_two_strategies(make_workbook):
    """Incrementals of each strategy against a; optimal = highest NMB of all three.

    From :func:`linear_sheets`: inc NMB of b = 4,999.9 - c_x, of c = 4,499.9 - c_x. At c_x = 0
    (low) and 1,000 (base) b is optimal; at 10,000 (high) a is.
    """
    spec = load_workbook(make_workbook(linear_sheets(third=True)))
    result = one_way(spec, parameters=["c_x"])
    for strategy, offset in (("b", 4999.9), ("c", 4499.9)):
        t = result.tornado(strategy=strategy).iloc[0]
        np.testing.assert_allclose([t.outcome_low, t.outcome_base, t.outcome_high],
                                   [offset, offset - 1000, offset - 10000], rtol=1e-12)
        assert (t.optimal_low, t.optimal_base, t.optimal_high) == ("b", "b", "a")
        assert t.decision_changes
    icer = result.tornado(outcome="icer").iloc[0]  # (0.1 + c_x) / 0.1 QALYs
    np.testing.assert_allclose(icer.outcome_base, 1000.1 / 0.1, rtol=1e-10)


def test_hiv_tornado_ranks_rr_then_drug_costs(make_workbook):
    """Briggs HIV model with c_zido and c_lami at +/-20% (rr 0.365-0.71 as shipped).

    Hand calculation (costs discounted at 6% with end-of-cycle counting, cycle t by 1.06^-t;
    alive_t = share in A, B or C after cycle t, from the base-case trace):

    * c_lami is paid only in the combination arm, cycles 1-2, for people alive, so
      d(inc cost)/d c_lami = sum_{t=1,2} 1.06^-t alive_t(combination), and its swing in
      incremental cost (= swing in incremental NMB, QALYs unchanged) is
      0.4 x 2,086.5 x that sum (about 1,516).
    * c_zido is paid in both arms every cycle: swing 0.4 x 2,278 x
      sum_{t=1..20} 1.06^-t (alive_t(combination) - alive_t(monotherapy)) (about 530).
    * rr changes progression in cycles 1-2 of combination; its swing comes from the numpy
      reference model below (about 11,841 at 20,000 per life-year).

    So the ranking is rr, c_lami, c_zido.
    """
    sheets = _build_script().hiv_chancellor()
    for row in sheets["parameters"]:
        if row[0] in ("c_zido", "c_lami"):
            row[5], row[6] = 0.8 * row[1], 1.2 * row[1]
    spec = load_workbook(make_workbook(sheets))
    result = one_way(spec)
    tornado = result.tornado()
    assert tornado["parameter"].tolist() == ["rr", "c_lami", "c_zido"]

    trace = run_base_case(spec).trace()
    alive = {s: part[["A", "B", "C"]].sum(axis=1).to_numpy()[1:]
             for s, part in trace.groupby("strategy")}
    disc = 1.06 ** -np.arange(1.0, 21)
    lami = 0.4 * 2086.5 * (disc[:2] @ alive["combination"][:2])
    zido = 0.4 * 2278 * (disc @ (alive["combination"] - alive["monotherapy"]))
    rr = _hiv_reference_inc_nmb(0.365) - _hiv_reference_inc_nmb(0.71)
    swing = tornado.set_index("parameter")["swing"]
    np.testing.assert_allclose(swing[["rr", "c_lami", "c_zido"]], [rr, lami, zido], rtol=1e-9)
    inc_cost = result.tornado(outcome="inc_cost").set_index("parameter")["swing"]
    np.testing.assert_allclose(inc_cost[["c_lami", "c_zido"]], [lami, zido], rtol=1e-9)


def _hiv_reference_inc_nmb(rr: float, wtp: float = 20000) -> float:
    """Incremental NMB of combination vs monotherapy in the Briggs HIV model, written out.

    Transition counts of Chancellor et al.; rr multiplies every progression probability in
    cycles 1-2 of combination; costs at 6% (1.06^-t), life-years undiscounted, end-of-cycle.
    """
    base = np.array([[1251, 350, 116, 17], [0, 731, 512, 15], [0, 0, 1312, 437], [0, 0, 0, 1]])
    base = base / base.sum(axis=1, keepdims=True)
    state_cost = np.array([2756, 3052, 9007])

    def arm(combination: bool) -> tuple[float, float]:
        m, cost, ly = np.array([1.0, 0, 0, 0]), 0.0, 0.0
        for t in range(1, 21):
            p = base.copy()
            if combination and t <= 2:
                for i in range(3):
                    p[i, i + 1:] *= rr
                    p[i, i] = 1 - p[i, i + 1:].sum()
            m = m @ p
            drugs = 2278 + (2086.5 if combination and t <= 2 else 0)
            cost += (m[:3] @ state_cost + m[:3].sum() * drugs) / 1.06 ** t
            ly += m[:3].sum()
        return cost, ly

    (c1, e1), (c0, e0) = arm(True), arm(False)
    return wtp * (e1 - e0) - (c1 - c0)


def test_model_error_names_the_parameter_end(make_workbook):
    """k_mult at its high value 20 makes p_die x k_mult = 2 > 1."""
    sheets = two_state_sheets(0.1)
    sheets["parameters"][0] += ["low", "high"]
    sheets["parameters"].append(["k_mult", 1, "ratio", "multiplier", "test", 0.5, 20])
    sheets["transitions"][2][2] = "p_die * k_mult"
    spec = load_workbook(make_workbook(sheets))
    with pytest.raises(ModelError, match=r"parameter k_mult at its high value 20"):
        one_way(spec)


def test_invalid_ranges_are_all_reported(walkback):
    with pytest.raises(ValueError) as info:
        one_way(walkback, ranges={"hr_al": (0.8, 0.9), "p_cs_share": (0.2, 1.3)})
    text = str(info.value)
    assert "'hr_al'" in text and "low <= base <= high" in text
    assert "'p_cs_share'" in text and "[0, 1]" in text
    with pytest.raises(ValueError, match="derived from an expression.*hr_al"):
        one_way(walkback, parameters=["cs_share_first"])
    with pytest.raises(ValueError, match="no range for n_checkins"):
        one_way(walkback, parameters=["n_checkins"])
