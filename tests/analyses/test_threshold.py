"""Threshold analysis and the value-based price, against closed forms and the engine."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from cea import engine
from cea.analyses.threshold import NO_THRESHOLD, threshold, value_based_price
from cea.workbook import load_workbook
from tests.helpers.builders import linear_sheets


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

    The one-off costs of walking are the programme (strategies!D3 = c_programme =
    c_physio_initial + p_attend x (n_full_sessions + n_checkins x checkin_share) x
    c_physio_standard x (1 - p_telehealth (1 - tele_fee_ratio)) + c_pedometer + c_training
    = 86.70 + 0.85 x 3.5 x 66.06 + 30 + 20 = 333.23) and the GP visits for its excess
    adverse events (strategies!E3 = 0.1306 x 41.2 = 5.38); c_pedometer enters nothing else,
    so raising it by (price - one-off cost) moves the one-off cost to the price.
    """
    v = {p.name: p.value for p in walkback.parameters if p.is_free}
    programme = v["c_physio_initial"] + v["p_attend"] * (
        v["n_full_sessions"] + v["n_checkins"] * v["checkin_share"]) * v["c_physio_standard"] \
        * (1 - v["p_telehealth"] * (1 - v["tele_fee_ratio"])) + v["c_pedometer"] \
        + v["c_training"]
    one_off = programme + v["n_ae_excess"] * v["c_gp_visit"]
    assert one_off == pytest.approx(333.23 + 5.38, abs=0.01)
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
