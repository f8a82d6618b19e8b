"""Names are ASCII identifiers and never a word of Python (issue 19, point 3): a letter of
another alphabet that looks Latin would make a second name silently, and ``None`` or
``lambda`` cannot be read back by an expression."""

from __future__ import annotations

import pytest

from cea.model.problems import InputError
from tests.helpers.builders import two_state_sheets


def problems(load, sheets) -> list[str]:
    with pytest.raises(InputError) as info:
        load(sheets)
    return info.value.problems


@pytest.mark.parametrize("name", ["None", "True", "lambda", "import", "for", "match"])
def test_words_of_python_are_refused_as_names(load, name):
    sheets = two_state_sheets()
    sheets["parameters"].append([name, 1, "", "", "test"])
    assert problems(load, sheets) == [
        f"parameters!A3: parameter name '{name}' is a word of the expression language's "
        "syntax (like None, True, lambda or import); choose another name"]


def test_a_cyrillic_letter_in_a_name_is_named(load):
    sheets = two_state_sheets()
    sheets["parameters"].append(["c\u0430re", 1, "", "", "test"])  # CYRILLIC SMALL LETTER A
    assert problems(load, sheets) == [
        "parameters!A3: parameter name 'c\u0430re' is not a valid name (it contains "
        "'\u0430' U+0430); use ASCII letters, digits and underscores, starting with a letter"]


def test_an_override_column_with_a_look_alike_letter_is_not_dropped_silently(load):
    sheets = two_state_sheets()
    sheets["strategies"][0].append("p_di\u0435")  # CYRILLIC SMALL LETTER IE
    sheets["strategies"][1].append(0.5)
    found = problems(load, sheets)
    assert any(p.startswith("strategies!C1: column 'p_di\u0435' is neither") and
               "(did you mean 'p_die'?)" in p for p in found), found
