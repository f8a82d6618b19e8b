"""Applying a scenario: settings, parameters and the strategies compared; bad ones refused."""

from __future__ import annotations

import pytest

from cea.model.problems import InputError
from cea.model.scenarios import apply_scenario
from cea.model.spec import Change, Scenario
from cea.workbook import load_workbook
from tests.helpers.builders import build_script
from tests.helpers.paths import ROOT

WORKBOOK = ROOT / "inputs" / "walkback.xlsx"


def test_scenario_changes_apply(walkback):
    """Spot checks: a setting, a parameter, and the strategies compared."""
    scenarios = {s.name: s for s in walkback.scenarios}
    five = apply_scenario(walkback, scenarios["horizon 5 years"])
    assert five.settings.n_cycles == 260
    men = apply_scenario(walkback, scenarios["men"])
    assert men.parameter("p_female").value == 0
    three = apply_scenario(walkback, scenarios["swimming as third strategy"])
    assert three.strategy_names == ("usual care", "walkback", "swimming")
    assert walkback.strategy_names == ("usual care", "walkback")


def test_a_bad_scenario_is_an_input_error(make_workbook):
    sheets = build_script().walkback()
    sheets["scenarios"].append(["broken", "x", "no_such_parameter", 1])

    with pytest.raises(InputError, match="no_such_parameter"):
        load_workbook(make_workbook(sheets))
    half_week = Scenario("bad", "", (Change("settings.horizon", 1.5, "scenarios!D2"),))
    with pytest.raises(InputError, match="whole number of cycles"):
        apply_scenario(load_workbook(WORKBOOK), half_week)
