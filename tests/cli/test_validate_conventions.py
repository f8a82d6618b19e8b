"""`cea validate` reports the conventions' bad inputs at their cells (issue 15): an
out-of-range within-cycle weight, a cost that an expression makes negative, and an
unknown setting read in an expression; every message names the cell and what is wrong."""

from __future__ import annotations

import pytest

from cea.cli import main
from tests.helpers.builders import two_state_sheets


def _validate(make_workbook, capsys, sheets) -> str:
    assert main(["validate", str(make_workbook(sheets))]) == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err
    return err


def test_out_of_range_weight(make_workbook, capsys):
    sheets = two_state_sheets(within_cycle="custom")
    sheets["settings"].append(["within_cycle_weight", "if_else(cycle == 7, 2, 0.5)"])
    err = _validate(make_workbook, capsys, sheets)
    assert f"settings!B{len(sheets['settings'])}: within_cycle_weight is 2 at cycle 7: a " \
           "start-of-cycle weight must be in [0, 1] (within_cycle = custom)" in err


@pytest.mark.parametrize("where", ["state", "transition"])
def test_negative_computed_cost(make_workbook, capsys, where):
    """c_care * if_else(cycle == 5, -1, 1) is accepted cell by cell (it is not a constant)
    but gives -1 in cycle 5: reported with its cell, strategy, cycle and parameter row."""
    sheets = two_state_sheets()
    sheets["parameters"].append(["c_care", 1, "AUD", "cost per cycle", "test"])
    value = "c_care * if_else(cycle == 5, -1, 1)"
    if where == "state":
        sheets["states"][1][3] = value
        cell, what = "states!D2", "cost_care in state 'alive' is -1"
    else:
        sheets["transition_rewards"] = [["from", "to", "reward", "value"],
                                        ["alive", "dead", "cost_care", value]]
        cell, what = "transition_rewards!D2", "cost_care on leaving 'alive' is -1"
    err = _validate(make_workbook, capsys, sheets)
    assert f"{cell}: strategy 'only', cycle 5, parameter row 0: {what}; a cost must be " \
           ">= 0." in err


def test_unknown_setting_in_an_expression(make_workbook, capsys):
    sheets = two_state_sheets()
    sheets["parameters"].append(["r_disc", "settings.discount_rate", "", "a rate", "test"])
    err = _validate(make_workbook, capsys, sheets)
    assert "parameters!B3: value of 'r_disc' 'settings.discount_rate' reads unknown setting " \
           "'discount_rate'" in err
    assert "settings.discount_costs" in err  # the settings that can be read are listed
