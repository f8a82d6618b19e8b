"""The budget sheet: what it reads, and a clear error for each kind of bad input, at its
cell, with what was found and what is allowed."""

from __future__ import annotations

import pytest

from cea.model.problems import InputError
from tests.helpers.builders import linear_sheets

HEADER = ["item", "strategy", "state", "year", "value", "low", "high", "description",
          "source"]


def sheets_with(*rows) -> dict:
    """The linear two-strategy model (a, b) with a budget sheet of ``rows``."""
    sheets = linear_sheets()
    sheets["budget"] = [HEADER, *rows]
    return sheets


GOOD = (["years", None, None, None, 2], ["eligible", None, None, None, 100, 80, 120],
        ["uptake_with", "b", None, 1, 0.2], ["uptake_with", "b", None, 2, 0.5, 0.25, 0.75])


def problems(load, *rows) -> list[str]:
    with pytest.raises(InputError) as info:
        load(sheets_with(*rows))
    return info.value.problems


def test_a_good_sheet_is_read_with_defaults(load):
    budget = load(sheets_with(*GOOD)).budget
    assert budget.years == 2 and budget.new_strategy == "b" and budget.perspective == "payer"
    assert [v.value for v in budget.eligible] == [100, 100]
    assert [v.value for v in budget.uptake["with"]["b"]] == [0.2, 0.5]
    assert [v.value for v in budget.uptake["without"]["b"]] == [0.0, 0.0]
    assert (budget.entry, budget.discount, budget.price_year) == ("spread", 0.0, 2024)
    assert budget.uptake["with"]["b"][1].cell == "budget!E5"


def test_no_budget_sheet_means_no_budget(load):
    assert load(linear_sheets()).budget is None


@pytest.mark.parametrize("row, expected", [
    (["eligable", None, None, None, 5],
     "budget!A6: unknown budget item 'eligable' (did you mean 'eligible'?); items:"),
    (["uptake_with", "a", None, None, 0.1],
     "budget!B6: 'a' is the comparator: it takes the share the other strategies do not "
     "have"),
    (["uptake_with", "c", None, 1, 0.1], "budget!B6: 'c' is not a strategy of the base case"),
    (["uptake_with", "b", None, 3, 0.1], "budget!D6: year 3 must be from 1 to 2"),
    (["uptake_with", "b", None, 1, 0.3], "budget!D6: uptake_with of 'b' for year 1 is given "
                                         "twice (also budget!D4)"),
    (["entry", None, None, None, "middle"],
     "budget!E6: 'middle' is not spread or start; allowed: spread, start"),
    (["discount", None, None, None, 1.5], "budget!E6: discount 1.5 must be a rate in [0, 1)"),
    (["existing", None, "limbo", None, 5], "budget!C6: 'limbo' is not a state; states: "
                                           "alive, dead"),
    (["perspective", None, None, None, "society"], "budget!E6: 'society' is not a "
     "perspective of the settings; allowed: payer"),
    (["years", None, None, None, 2], "budget!A6: budget item 'years' is given twice (also "
                                     "budget!A2)"),
])
def test_each_bad_row_is_named_at_its_cell(load, row, expected):
    found = problems(load, *GOOD, row)
    assert any(p.startswith(expected) for p in found), found


def test_shares_over_one_and_bad_ranges(load):
    found = problems(load, ["years", None, None, None, 1],
                     ["eligible", None, None, None, 100, 120, 80],
                     ["uptake_with", "b", None, None, 1.2])
    assert "budget!F3: eligible: low 120, value 100 and high 80 must be in increasing " \
           "order" in found
    assert "budget!E4: uptake_with of 'b' value 1.2 must be in [0, 1]" in found


def test_a_share_sum_over_one_names_the_cells(load):
    sheets = linear_sheets(third=True)
    sheets["budget"] = [HEADER, ["years", None, None, None, 1],
                        ["eligible", None, None, None, 100],
                        ["uptake_with", "b", None, None, 0.7],
                        ["uptake_with", "c", None, None, 0.6]]
    with pytest.raises(InputError) as info:
        load(sheets)
    assert ("budget!E4, budget!E5: uptake_with in year 1: the strategies' shares sum to 1.3, "
            "more than 1; at most 1, the comparator 'a' taking the rest") in info.value.problems


def test_required_rows_and_unknown_columns(load):
    sheets = sheets_with(["years", None, None, None, 2])
    sheets["budget"][0] = [*HEADER, "colour"]
    with pytest.raises(InputError) as info:
        load(sheets)
    found = info.value.problems
    assert "budget!J1: unknown column 'colour'; allowed: item, strategy, state, year, value, " \
           "low, high, description, source" in found
    assert any(p.startswith("budget!A1: no 'eligible' row") for p in found)
    assert any(p.startswith("budget!A1: no 'uptake_with' row") for p in found)


def test_a_year_left_out_is_reported(load):
    found = problems(load, ["years", None, None, None, 3], ["eligible", None, None, 1, 100],
                     ["eligible", None, None, 2, 100], ["uptake_with", "b", None, None, 0.2])
    assert "budget!D3: eligible has no value for year 3; give each year or a blank-year " \
           "row" in found
