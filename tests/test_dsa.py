"""Deterministic sensitivity analysis: one-way and tornado, two-way, threshold, value-based price.

Expected numbers come from hand calculations written out in each test's docstring, from a
short numpy reference implementation of the Briggs HIV model, or from the engine run with a
changed input (for the value-based price identity).
"""

from __future__ import annotations

import numpy as np
import openpyxl
import pandas as pd
import pytest

from cea import engine
from cea.analyses.base_case import run_base_case
from cea.analyses.one_way import INTERVAL_SOURCE, one_way
from cea.analyses.threshold import NO_THRESHOLD, threshold, value_based_price
from cea.analyses.two_way import two_way
from cea.engine import ModelError
from cea.export.excel import write_results
from cea.workbook.reader import load_workbook
from tests.conftest import ROOT, build_script, two_state_sheets

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(scope="module")
def walkback():
    return load_workbook(ROOT / "inputs" / "walkback.xlsx")


_build_script = build_script


def _count_engine_calls(monkeypatch) -> list[int]:
    """Replace cea.engine.run by a wrapper recording the rows of each call."""
    calls: list[int] = []
    real = engine.run

    def counting(spec, table=None, **kwargs):
        calls.append(1 if table is None else len(table))
        return real(spec, table, **kwargs)

    monkeypatch.setattr(engine, "run", counting)
    return calls


def linear_sheets(*, third: bool = False) -> dict:
    """Two strategies, a (p_die 0.2) and b (p_die 0.1 and a one-off cost c_x), 2 annual cycles,
    start-of-cycle counting, no discounting, cost 1 and utility 1 per cycle alive.

    By hand: alive at the start of cycles 1 and 2 is 1 and 1 - p, so a has QALYs = state
    costs = 1.8 and b has 1.9 (+ c_x). At wtp 50,000:
    incremental NMB of b = 50,000 x 0.1 - (0.1 + c_x) = 4,999.9 - c_x, linear in c_x.
    With ``third``, strategy c is b with a one-off cost c_x + 500 (always worse than b).
    """
    sheets = two_state_sheets(0.2, within_cycle="start", cycles=2)
    sheets["parameters"] += [["p_die_b", 0.1, "per cycle", "death probability under b", "test"],
                             ["c_x", 1000, "AUD", "one-off cost of b", "test"]]
    sheets["parameters"][0] += ["low", "high"]
    sheets["parameters"][-1] += [0, 10000]
    sheets["parameters"][-2] += [0.05, 0.15]
    sheets["strategies"] = [["name", "description", "cost_care", "p_die"],
                            ["a", "comparator", 0, None], ["b", "new", "c_x", "p_die_b"]]
    sheets["transitions"] = [["from", "to", "a", "b"], ["alive", "alive", "C", "C"],
                             ["alive", "dead", "p_die", "p_die"]]
    if third:
        sheets["strategies"].append(["c", "b, dearer", "c_x + 500", "p_die_b"])
        for row, value in zip(sheets["transitions"], ["c", "C", "p_die"]):
            row.append(value)
    return sheets


# --------------------------------------------------------------------------- one-way
def test_one_way_of_walkback_is_one_engine_call(walkback, monkeypatch):
    """All WalkBack parameters with a range: 2 x n_varied + 1 rows in a single engine call."""
    calls = _count_engine_calls(monkeypatch)
    result = one_way(walkback)
    with_range = [p.name for p in walkback.parameters if p.is_free and p.low is not None]
    assert [r.parameter for r in result.ranges] == with_range
    assert set(result.skipped) == {"n_sessions", "cpi_health_2024", "c_wage_week", "n_ae_excess",
                                   "wane_start_years", "wane_end_years"}
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
        one_way(walkback, parameters=["cs_share_arm"])
    with pytest.raises(ValueError, match="no range for n_sessions"):
        one_way(walkback, parameters=["n_sessions"])


# --------------------------------------------------------------------------- two-way
def test_two_way_grid_and_base_point(walkback, monkeypatch):
    """11 x 11 grid in one engine call; hr_al 0.62-0.82 and c_pedometer 10-50 put the base
    (0.72, 30) at grid point (5, 5), where the result is the base case's."""
    calls = _count_engine_calls(monkeypatch)
    result = two_way(walkback, "hr_al", "c_pedometer", points=11,
                     ranges={"hr_al": (0.62, 0.82), "c_pedometer": (10, 50)})
    assert calls == [121]
    grid = result.grid()
    assert grid.shape == (11, 11)
    assert grid.index[5] == 0.72 and grid.columns[5] == 30
    base = one_way(walkback, parameters=["hr_al"]).tornado().iloc[0]
    np.testing.assert_allclose(grid.iloc[5, 5], base.outcome_base, rtol=1e-12)
    assert result.grid(value="optimal").iloc[5, 5] == base.optimal_base
    s = walkback.settings
    assert len(result.to_frame()) == 121 * len(s.perspectives) * len(s.wtp) * 2
    # inc NMB falls one-for-one with the pedometer cost (a one-off cost at time 0)
    np.testing.assert_allclose(np.diff(grid.to_numpy(), axis=1), -4.0, rtol=1e-9)


# --------------------------------------------------------------------------- threshold
def test_threshold_of_a_linear_model_is_analytic(make_workbook):
    """From :func:`linear_sheets`: 4,999.9 - c_x = 0 at c_x = 4,999.9; b is preferred below."""
    spec = load_workbook(make_workbook(linear_sheets()))
    result = threshold(spec, "c_x")
    (line,) = result.to_frame().itertuples()
    assert line.result == "threshold"
    np.testing.assert_allclose(line.threshold, 4999.9, rtol=1e-10)
    np.testing.assert_allclose([line.inc_nmb_low, line.inc_nmb_base, line.inc_nmb_high],
                               [4999.9, 3999.9, -5000.1], rtol=1e-10)
    assert (line.preferred_below, line.preferred_above) == ("b", "a")


def test_no_threshold_in_range(make_workbook):
    """inc NMB of b = 50,000 (0.2 - p) - (0.2 - p) - 1,000 = 49,999 (0.2 - p) - 1,000 with
    p = p_die_b: positive over 0.05-0.15 (6,499.85 at 0.05, 1,499.95 at 0.15)."""
    spec = load_workbook(make_workbook(linear_sheets()))
    (line,) = threshold(spec, "p_die_b").to_frame().itertuples()
    assert line.result == NO_THRESHOLD and np.isnan(line.threshold)
    np.testing.assert_allclose([line.inc_nmb_low, line.inc_nmb_high], [6499.85, 1499.95],
                               rtol=1e-10)
    wide = threshold(spec, "p_die_b", ranges={"p_die_b": (0.05, 0.19)}).to_frame()
    np.testing.assert_allclose(wide["threshold"], 0.2 - 1000 / 49999, rtol=1e-10)


def test_value_based_price_is_the_threshold_of_the_one_off_cost(make_workbook):
    """price = c_x + inc NMB = 1,000 + 3,999.9 = 4,999.9, the threshold of c_x."""
    spec = load_workbook(make_workbook(linear_sheets()))
    (line,) = value_based_price(spec).itertuples()
    assert (line.one_off_cost, line.one_off_categories) == (1000, "care")
    np.testing.assert_allclose(line.price, 4999.9, rtol=1e-12)


def test_walkback_value_based_price_verified_by_the_engine(walkback):
    """Setting WalkBack's one-off cost to the price makes its incremental NMB 0.

    The intervention cost is strategies!D3 = c_physio_initial + (n_sessions - 1) x
    c_physio_standard + c_pedometer + c_training (86.70 + 5 x 66.06 + 30 + 20 = 467);
    c_pedometer enters nothing else, so raising it by (price - one-off cost) moves the one-off
    cost to the price.
    """
    v = {p.name: p.value for p in walkback.parameters if p.is_free}
    one_off = v["c_physio_initial"] + (v["n_sessions"] - 1) * v["c_physio_standard"] \
        + v["c_pedometer"] + v["c_training"]
    prices = value_based_price(walkback)
    np.testing.assert_allclose(prices["one_off_cost"], one_off, rtol=1e-12)
    s = walkback.settings
    assert len(prices) == len(s.perspectives) * len(s.wtp)
    for line in prices.itertuples():
        shifted = v["c_pedometer"] + line.price - one_off
        table = walkback.table_from(pd.DataFrame({"c_pedometer": [shifted]}))
        out = engine.run(walkback, table)
        cost = out.cost(s.perspectives[line.perspective])[0]
        inc = line.wtp * (out["qaly"][0, 1] - out["qaly"][0, 0]) - (cost[1] - cost[0])
        assert abs(inc) < 1e-9


# --------------------------------------------------------------------------- exports
def test_sheets_and_figures(walkback, tmp_path):
    """Every result gives sheets the results workbook takes, and non-empty PNGs."""
    results = [one_way(walkback), two_way(walkback, "hr_al", "c_physio_standard", points=5),
               threshold(walkback, "hr_al")]
    sheets = [sheet for r in results for sheet in r.to_sheets()]
    path = write_results(tmp_path / "results.xlsx", run_base_case(walkback), sheets)
    book = openpyxl.load_workbook(path)
    assert {"one-way", "threshold hr_al"} <= set(book.sheetnames)
    assert len(book["one-way"]._charts) == len(walkback.settings.perspectives)
    figures = [p for r in results for p in r.write_figures(tmp_path, "walkback")]
    assert len(figures) == 2 + 2 + 1
    for figure in figures:
        data = figure.read_bytes()
        assert data.startswith(PNG_MAGIC) and len(data) > 10_000, figure
