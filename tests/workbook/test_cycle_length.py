"""cycle_length as arithmetic: a model built on 52 weeks a year can be written exactly."""

from __future__ import annotations

import pytest

from cea import api
from cea.model.problems import InputError
from cea.model.setting_rules import arithmetic
from tests.helpers.builders import two_state_sheets


def _weekly(cycle_length, p: float = 0.01) -> dict:
    """The two-state model (utility 1 a year while alive, death probability ``p`` per
    cycle, no discounting, half-cycle correction) on cycles of ``cycle_length`` years over
    one year."""
    sheets = two_state_sheets(p, cycles=1)
    settings = {row[0]: row for row in sheets["settings"][1:]}
    settings["cycle_length"][1] = cycle_length
    return sheets


def test_a_year_of_52_weekly_cycles_matches_the_hand_calculation(make_workbook):
    """52 cycles of 1/52 year. With q = 1 - p the cohort alive at the start of cycle t is
    q^t, and the half-cycle (trapezoid) correction counts (q^t + q^(t+1)) / 2 of each cycle,
    so QALYs = (1/52) * sum_{t=0}^{51} (q^t + q^(t+1)) / 2
             = (1/52) * (1 + q) / 2 * (1 - q^52) / (1 - q)."""
    p = 0.01
    q = 1 - p
    expected = (1 / 52) * (1 + q) / 2 * (1 - q**52) / (1 - q)
    model = api.load(make_workbook(_weekly("1/52", p)))
    assert model.settings.cycle_length == 1 / 52
    assert model.settings.n_cycles == 52
    qaly = api.base_case(model).results()["qaly"].iloc[0]
    assert qaly == pytest.approx(expected, rel=1e-12, abs=0)
    # a 'week' (7/365.25 of a year) is a different model: 0.3% fewer QALYs a cycle
    assert 1 / 52 / (7 / 365.25) == pytest.approx(1.00343, abs=1e-5)


def test_the_provenance_prints_the_exact_cycle_length(make_workbook):
    model = api.load(make_workbook(_weekly("1/52")))
    text = model.settings.conventions()["cycle length"]
    assert text.startswith("0.019230769230769232 years") and "exact" in text


@pytest.mark.parametrize("text, value", [("1/52", 1 / 52), ("7/365.25", 7 / 365.25),
                                         ("(1 + 0.5) * 2", 3.0), ("-2 + 3", 1.0)])
def test_arithmetic_is_evaluated_as_python_evaluates_it(text, value):
    assert arithmetic(text) == value


@pytest.mark.parametrize("text, message", [
    ("2**3", "arithmetic on numbers"), ("abs(1)", "arithmetic on numbers"),
    ("1/0", "divides by zero"), ("one week", "arithmetic on numbers such as 1/52")])
def test_anything_else_is_refused_at_its_cell(make_workbook, text, message):
    with pytest.raises(InputError) as info:
        api.load(make_workbook(_weekly(text)))
    problem = str(info.value)
    assert "settings!B" in problem and "cycle_length" in problem and message in problem
