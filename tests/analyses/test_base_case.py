"""The base case's cost-consequence table against a hand calculation."""

from __future__ import annotations

import numpy as np
import pytest

from cea.analyses.base_case import run_base_case
from tests.helpers.builders import deaths_sheets, linear_sheets


def test_consequences_per_1000_by_hand(load):
    """Deaths over 2 cycles: a 0.2 + 0.8 x 0.2 = 0.36, b 0.1 + 0.9 x 0.1 = 0.19; 170 averted
    per 1,000. Undiscounted incremental cost of b: payer (1.9 - 1.8) + 1,000 = 1,000.1, per
    death averted 1,000.1 / 0.17 = 5,883; society also 100 x (0.19 - 0.36) = -17, so
    983.1 / 0.17 = 5,783."""
    base = run_base_case(load(deaths_sheets()))
    frame = base.consequences().set_index("perspective")
    assert set(frame["outcome"]) == {"deaths"} and set(frame["strategy"]) == {"b"}
    np.testing.assert_allclose(frame["comparator_count"], 360, rtol=1e-12)
    np.testing.assert_allclose(frame["strategy_count"], 190, rtol=1e-12)
    np.testing.assert_allclose(frame["averted"], 170, rtol=1e-12)
    np.testing.assert_allclose(frame.loc[["payer", "society"], "inc_cost"], [1000.1, 983.1],
                               rtol=1e-12)
    np.testing.assert_allclose(frame.loc[["payer", "society"], "cost_per_averted"],
                               [1000.1 / 0.17, 983.1 / 0.17], rtol=1e-12)


def test_saving_strategy_has_negative_cost_per_averted(load):
    """c_x = 0: payer increment 0.1 (positive), society 0.1 - 17 = -16.9: negative."""
    frame = run_base_case(load(deaths_sheets(c_x=0))).consequences().set_index("perspective")
    assert frame.loc["society", "cost_per_averted"] == pytest.approx(-16.9 / 0.17)
    assert frame.loc["payer", "cost_per_averted"] == pytest.approx(0.1 / 0.17)


def test_no_outcomes_no_lines(load):
    sheets = linear_sheets()
    assert run_base_case(load(sheets)).consequences().empty
