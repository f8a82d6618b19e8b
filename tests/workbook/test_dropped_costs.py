"""A cost category counted in no perspective is an input error, unless it is excluded.

A ``cost_<category>`` column of ``states`` or ``strategies``, or a ``cost_<category>`` reward
of ``transition_rewards``, that no perspective of ``settings!perspectives`` counts would
vanish from every result (a drug cost left out of the only perspective makes the new drug
dominant). The reader reports it at the cell that declares the category, unless the
``excluded_costs`` setting lists it; ``excluded_costs`` may name only categories of the
model that no perspective counts.
"""

from __future__ import annotations

import pytest

from cea.cli import main
from cea.model.problems import InputError
from tests.helpers.builders import deaths_sheets, linear_sheets, two_state_sheets


def _problems(load, sheets) -> list[str]:
    with pytest.raises(InputError) as info:
        load(sheets)
    return info.value.problems


def _with_setting(sheets: dict, key: str, value) -> dict:
    sheets["settings"] = [r for r in sheets["settings"] if r[0] != key] + [[key, value]]
    return sheets


def _settings_cell(sheets: dict, key: str) -> str:
    row = next(i for i, r in enumerate(sheets["settings"], start=1) if r[0] == key)
    return f"settings!B{row}"


def _drug_in_states() -> dict:
    """two_state_sheets with a drug cost per cycle alive (states!E1) that the only
    perspective, payer = care, does not count."""
    sheets = two_state_sheets()
    sheets["states"] = [["name", "initial", "utility", "cost_care", "cost_drug", "dead"],
                        ["alive", 1, 1, 1, 500, "no"], ["dead", 0, 0, 0, 0, "yes"]]
    return sheets


def _drug_in_strategies() -> dict:
    """linear_sheets with a one-off drug cost of strategy b (strategies!E1), uncounted."""
    sheets = linear_sheets()
    sheets["strategies"] = [["name", "description", "cost_care", "p_die", "cost_drug"],
                            ["a", "comparator", 0, None, 0], ["b", "new", "c_x", "p_die_b", 800]]
    return sheets


def _funeral_in_rewards() -> dict:
    """deaths_sheets with only the payer perspective: the funeral cost (a reward in
    transition_rewards!C3) is counted nowhere."""
    return _with_setting(deaths_sheets(), "perspectives", "payer = care")


DROPPED = [
    pytest.param(_drug_in_states, "states!E1", "drug", id="states column"),
    pytest.param(_drug_in_strategies, "strategies!E1", "drug", id="strategies column"),
    pytest.param(_funeral_in_rewards, "transition_rewards!C3", "funeral",
                 id="transition reward"),
]


@pytest.mark.parametrize(("make", "cell", "category"), DROPPED)
def test_a_category_counted_in_no_perspective_is_an_error_at_its_declaring_cell(
        load, make, cell, category):
    sheets = make()
    problems = _problems(load, sheets)
    perspectives = _settings_cell(sheets, "perspectives")
    assert problems == [
        f"{cell}: cost category '{category}' (cost_{category}) is counted in no perspective, "
        f"so it would be left out of every result; the perspectives ({perspectives}) count "
        "['care']: add it to a perspective, or list it in the excluded_costs setting to "
        "leave it out deliberately"]


@pytest.mark.parametrize(("make", "cell", "category"), DROPPED)
def test_an_excluded_category_is_accepted_and_named_in_the_conventions(
        load, make, cell, category):
    spec = load(_with_setting(make(), "excluded_costs", category))
    assert spec.settings.excluded_costs == (category,)
    assert category in spec.cost_categories
    assert spec.settings.conventions()["cost categories counted in no perspective"] == category


def test_counting_the_category_in_a_perspective_is_accepted(load):
    spec = load(_with_setting(_drug_in_states(), "perspectives",
                              "payer = care; with drugs = care, drug"))
    assert spec.settings.perspectives["with drugs"] == ("care", "drug")
    assert spec.settings.excluded_costs == ()
    assert "cost categories counted in no perspective" not in spec.settings.conventions()


def test_excluded_costs_defaults_to_none(load):
    assert load(two_state_sheets()).settings.excluded_costs == ()


def test_an_unknown_excluded_name_is_an_error_at_the_settings_cell(load):
    sheets = _with_setting(_drug_in_states(), "excluded_costs", "drug, drugs_x")
    problems = _problems(load, sheets)
    assert problems == [
        f"{_settings_cell(sheets, 'excluded_costs')}: excluded_costs names unknown cost "
        "category 'drugs_x' (did you mean 'drug'?); categories (from cost_ columns): "
        "['care', 'drug']"]


def test_an_excluded_name_that_a_perspective_counts_is_an_error(load):
    sheets = _with_setting(two_state_sheets(), "excluded_costs", "care")
    problems = _problems(load, sheets)
    assert problems == [
        f"{_settings_cell(sheets, 'excluded_costs')}: excluded_costs lists 'care', which "
        "perspective 'payer' counts; a cost category is either counted in a perspective or "
        "excluded from all of them"]


def test_a_scenario_that_drops_a_category_from_every_perspective_is_an_error(load):
    sheets = deaths_sheets()  # payer = care; society = care, funeral
    sheets["scenarios"] = [["scenario", "change", "value"],
                           ["payer only", "settings.perspectives", "payer = care"]]
    problems = _problems(load, sheets)
    assert len(problems) == 1
    assert problems[0].startswith("scenarios!C2: cost category 'funeral' (cost_funeral) is "
                                  "counted in no perspective")


def test_cea_validate_exits_2_and_prints_the_problem(make_workbook, capsys):
    path = make_workbook(_drug_in_states())
    assert main(["validate", str(path)]) == 2
    captured = capsys.readouterr()
    assert "no problems found" not in captured.out
    assert "states!E1: cost category 'drug' (cost_drug) is counted in no perspective" in \
        captured.err
    assert "Traceback" not in captured.err


def test_cea_validate_accepts_the_excluded_category(make_workbook, capsys):
    path = make_workbook(_with_setting(_drug_in_states(), "excluded_costs", "drug"))
    assert main(["validate", str(path)]) == 0, capsys.readouterr().err
    assert "no problems found" in capsys.readouterr().out


def test_a_misspelt_excluded_name_is_the_only_problem(load):
    sheets = _with_setting(_drug_in_states(), "excluded_costs", "drgu")
    problems = _problems(load, sheets)
    assert len(problems) == 1 and "unknown cost category 'drgu'" in problems[0]
    assert "(did you mean 'drug'?)" in problems[0]


def test_a_misspelt_perspective_category_is_the_only_problem(load):
    sheets = _with_setting(_drug_in_states(), "perspectives", "payer = care, drgu")
    problems = _problems(load, sheets)
    assert len(problems) == 1 and "counts unknown cost category 'drgu'" in problems[0]
