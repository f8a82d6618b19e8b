"""The blank template (``cea template PATH``) documents the workbook in plain words.

Read back from the written file with openpyxl: no cell shows Python internals or
reStructuredText markup; the README lists every function with its signature, every
distribution with each of its inputs (from the classes' declared keyword sets), and every
setting with whether it is required, its default and its allowed values.
"""

from __future__ import annotations

import openpyxl
import pytest

from cea.api import write_template
from cea.cli import main
from cea.model.distributions import DISTRIBUTIONS
from cea.model.functions import FUNCTIONS
from cea.model.setting_rules import SETTING_BY_KEY, SETTINGS
from cea.model.settings import DISCOUNT_TIMING, WITHIN_CYCLE
from cea.workbook.template import distribution_inputs

MARKUP = ("_Function(", "Function(", "Keywords(", "``", ":func:", ":class:", ":data:",
          ":mod:", ":meth:", "`")


@pytest.fixture(scope="module")
def book(tmp_path_factory):
    path = tmp_path_factory.mktemp("template") / "template.xlsx"
    assert main(["template", str(path)]) == 0
    return openpyxl.load_workbook(path)


@pytest.fixture(scope="module")
def readme(book) -> list[list[str]]:
    """The README's rows, as text, blank cells as ''."""
    return [["" if v is None else str(v) for v in row]
            for row in book["README"].iter_rows(values_only=True)]


def _section(readme, header: str) -> dict[str, list[str]]:
    """The rows of the README table whose first column header is ``header``, by first cell."""
    start = next(i for i, row in enumerate(readme) if row and row[0] == header)
    rows = {}
    for row in readme[start + 1:]:
        if not any(row):
            break
        rows[row[0]] = row
    return rows


def test_no_cell_shows_python_internals_or_markup(book):
    found = []
    for ws in book.worksheets:
        for row in ws.iter_rows():
            for cell in row:
                texts = [str(cell.value)] if cell.value is not None else []
                if cell.comment is not None:
                    texts.append(cell.comment.text)
                found += [(ws.title, cell.coordinate, m) for t in texts for m in MARKUP
                          if m in t]
    assert found == []


def test_every_function_is_listed_with_its_signature_and_description(readme):
    functions = _section(readme, "function")
    assert list(functions) == list(FUNCTIONS)
    for name, function in FUNCTIONS.items():
        row = functions[name]
        assert function.signature in row and function.doc in row


def test_every_distribution_is_listed_with_each_of_its_inputs(readme):
    distributions = _section(readme, "distribution")
    assert list(distributions) == list(DISTRIBUTIONS)
    for name, cls in DISTRIBUTIONS.items():
        inputs = distributions[name][1]
        names = set(cls.name_keywords).union(*(k.names() for k in cls.signatures))
        names |= set(cls.aliases)
        for keyword in names:
            assert keyword in inputs, (name, keyword, inputs)
        fitted = distributions[name][3]
        assert fitted, f"{name}: no 'Fitted:' paragraph in its docstring"


def test_distribution_inputs_follow_the_declared_keyword_sets():
    assert distribution_inputs(DISTRIBUTIONS["beta"]) == "mean, se  or  events, total"
    assert distribution_inputs(DISTRIBUTIONS["lognormal"]) == \
        "mean, se  or  estimate, low, high, optional level (default 0.95)"
    assert distribution_inputs(DISTRIBUTIONS["dirichlet"]) == "group, count"
    assert distribution_inputs(DISTRIBUTIONS["fixed"]) == "none"
    assert "se may be written for sd" in distribution_inputs(DISTRIBUTIONS["normal"])


def test_every_setting_is_listed_with_required_default_and_allowed_values(readme):
    settings = _section(readme, "setting")
    assert list(settings) == [s.key for s in SETTINGS]
    for setting in SETTINGS:
        key, required, default, allowed, meaning = settings[setting.key][:5]
        assert required == ("yes" if setting.required else "no")
        assert meaning == setting.doc
        assert allowed == setting.allowed()
        if setting.default not in (None, ()):
            assert default == str(setting.default)
        for choice in setting.choices:
            assert choice in allowed


@pytest.mark.parametrize(("key", "choices"), [("within_cycle", WITHIN_CYCLE),
                                               ("discount_timing", DISCOUNT_TIMING)])
def test_choice_settings_list_all_their_choices(readme, key, choices):
    allowed = _section(readme, "setting")[key][3]
    assert allowed == "one of: " + ", ".join(choices)


def test_number_settings_give_their_bounds(readme):
    settings = _section(readme, "setting")
    assert settings["discount_costs"][3] == "a number (or arithmetic such as 1/52) from 0 to 1"
    assert settings["cycle_length"][3] == "a number (or arithmetic such as 1/52) greater than 0"
    assert settings["price_year"][3] == "a whole number from 1900 to 2100"
    assert settings["psa_draws"][3] == "a whole number from 1 to 10,000,000"
    assert "power of two" in settings["sobol_n"][3]


def test_the_settings_sheet_holds_every_setting_with_its_default_and_allowed_values(book):
    rows = list(book["settings"].iter_rows(min_row=2, values_only=True))
    assert [r[0] for r in rows] == [s.key for s in SETTINGS]
    for key, value, description in rows:
        setting = SETTING_BY_KEY[key]
        assert value == (None if setting.default in (None, ()) else setting.default)
        assert description.startswith(setting.doc) and setting.allowed() in description


def test_excluded_costs_is_documented(readme):
    row = _section(readme, "setting")["excluded_costs"]
    assert row[1] == "no" and row[2] == "none"
    assert "counted in no perspective" in row[4]


def test_write_template_gives_the_same_readme(tmp_path, readme):
    path = write_template(tmp_path / "t.xlsx")
    again = openpyxl.load_workbook(path)["README"]
    assert [["" if v is None else str(v) for v in row]
            for row in again.iter_rows(values_only=True)] == readme
