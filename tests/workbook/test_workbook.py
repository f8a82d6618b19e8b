"""Tests for cea.workbook.reader: the input-workbook reader.

Principle under test: every problem of a workbook is reported at once, each as
``sheet!cell: what was found; what is allowed``, in one :class:`InputError`
whose ``problems`` is a list of lines. A fault in one cell gives one line (no
cascade of follow-on errors), and the workbook is only read, never written.

Faults are made by copying a valid model (the WalkBack and HIV definitions of
``scripts/build_workbooks.py``) and changing one thing. The expected messages are
the reader's own wording, pinned by a fragment.
"""

from __future__ import annotations

import copy
import hashlib
import re
import zipfile
from pathlib import Path

import openpyxl
import pytest

from cea.api import write_input_workbook
from cea.model.problems import InputError
from cea.workbook import load_workbook
from tests.helpers.faults import (
    BASES,
    BUILD,
    FAULTS,
    FILE_CASES,
    parameter,
    put,
)
from tests.helpers.paths import ROOT

SCRIPTS = ROOT / "scripts"


def _problems(path: Path) -> list[str]:
    with pytest.raises(InputError) as info:
        load_workbook(path)
    problems = info.value.problems
    assert isinstance(problems, list) and problems
    assert all(isinstance(line, str) for line in problems)
    assert str(info.value) == "\n".join(problems)
    return problems


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture(scope="module")
def baseline(tmp_path_factory) -> dict[str, list[str]]:
    """Problems of each unchanged base model (none when the reader accepts it).

    Fault tests count only the problems a change adds, so that each case tests
    its own fault even while a base model is itself being revised.
    """
    folder = tmp_path_factory.mktemp("baseline")
    result = {}
    for name, make in BASES.items():
        path = write_input_workbook(folder / f"{name}.xlsx", make())
        try:
            load_workbook(path)
            result[name] = []
        except InputError as e:
            result[name] = e.problems
    return result


# =========================================================================== valid models
def test_walkback_definition_loads(make_workbook):
    sheets = BUILD.walkback()
    path = make_workbook(sheets, "walkback.xlsx")
    before = _sha256(path)
    spec = load_workbook(path)
    assert _sha256(path) == before, "loading changed the input file"
    assert spec.source == "walkback.xlsx"
    assert spec.source_sha256 == before

    assert spec.strategy_names[:2] == ("usual care", "walkback")  # comparator first
    assert set(spec.strategy_names) <= {r[0] for r in sheets["strategies"][1:]}
    assert spec.state_names == tuple(r[0] for r in sheets["states"][1:])
    assert [s.name for s in spec.states if s.dead] == ["dead"]
    free = tuple(r[0] for r in sheets["parameters"][1:]
                 if isinstance(r[1], (int, float)) and not isinstance(r[1], bool))
    assert spec.free_parameters == free
    assert {"age0", "hr_al", "u_pain_free", "c_cs_episode_2015"} <= set(free)
    assert "p_death" not in free and "c_cs_episode" not in free  # derived
    assert set(spec.cost_categories) == {"intervention", "healthcare", "absenteeism"}
    assert set(spec.outcomes) == {"recurrences", "care_seeking_recurrences",
                                  "recurrence_days", "work_days_lost"}
    assert list(spec.tables) == ["life"]
    s = spec.settings
    assert (s.cycle_length, s.cycle_unit, s.n_cycles) == (1, "week", 156)
    assert s.perspectives == {
        "healthcare system": ("intervention", "healthcare"),
        "societal": ("intervention", "healthcare", "absenteeism"),
    }
    assert (s.currency, s.price_year, s.wtp) == ("AUD", 2024, (28033.0, 50000.0))


def test_hiv_definition_loads(make_workbook):
    sheets = BUILD.hiv_chancellor()
    path = make_workbook(sheets, "hiv.xlsx")
    before = _sha256(path)
    spec = load_workbook(path)
    assert _sha256(path) == before, "loading changed the input file"
    assert spec.source_sha256 == before

    assert spec.strategy_names == ("monotherapy", "combination")
    assert spec.state_names == ("A", "B", "C", "D")
    assert [s.name for s in spec.states if s.dead] == ["D"]
    assert spec.free_parameters == ("rr", "c_a", "c_b", "c_c", "c_zido", "c_lami",
                                    "c_lami_arm")
    assert spec.cost_categories == ("medical", "drugs")
    assert spec.outcomes == ()
    assert spec.parameter("rr").distribution.name == "lognormal"
    assert spec.parameter("rr").cell == "parameters!B2"
    assert (spec.parameter("rr").low, spec.parameter("rr").high) == (0.365, 0.71)
    assert set(spec.strategies[1].overrides) == {"c_lami_arm"}
    assert len(spec.transitions) == 9
    s = spec.settings
    assert (s.n_cycles, s.discount_costs, s.discount_outcomes) == (20, 0.06, 0.0)
    assert (s.within_cycle, s.discount_timing) == ("end", "end")
    assert s.perspectives == {"health service": ("medical", "drugs")}


# =========================================================================== single faults
# FAULTS: tests/helpers/faults.py


PLACE = re.compile(r"^(?:[a-z_]+(?:![A-Z]*\d+(?::[A-Z]+\d+)?)?|[\w.-]+\.xlsx): \S")


@pytest.mark.parametrize("base, change, ref, fragment, added",
                         [pytest.param(*case[1:], id=case[0]) for case in FAULTS])
def test_single_fault_is_reported_at_its_cell(make_workbook, baseline, base, change, ref,
                                              fragment, added):
    sheets = copy.deepcopy(BASES[base]())
    change(sheets)
    problems = _problems(make_workbook(sheets))
    new = [line for line in problems if line not in baseline[base]]
    assert len(new) == added, "\n".join(problems)
    for line in new:  # sheet!cell (or sheet, or the file), then ": " and the message
        assert PLACE.match(line), line
    matching = [line for line in new if line.startswith(ref) and fragment in line]
    assert matching, f"no line at {ref} containing {fragment!r} in:\n" + "\n".join(problems)
    where = matching[0].split(": ", 1)[0]
    if re.search(r"![A-Z]*\d+$", ref):  # a full cell or row reference: exactly there
        assert where == ref


def test_fault_table_is_broad():
    assert len(FAULTS) >= 30
    assert len({case[0] for case in FAULTS}) == len(FAULTS)


def test_several_faults_are_reported_together(make_workbook):
    sheets = BUILD.hiv_chancellor()
    put(sheets["states"], "A", "utility", 1.2)
    put(sheets["transitions"], ("A", "B"), "monotherapy", 1.2)
    put(sheets["settings"], "cycle_unit", "value", "fortnight")
    put(sheets["parameters"], "c_b", "value", "c_aa + 1")
    problems = _problems(make_workbook(sheets))
    assert len(problems) == 4, problems
    assert {line.split(": ", 1)[0] for line in problems} == {
        "states!D2", "transitions!C3", "settings!B4", "parameters!B4"}


def test_faults_in_every_sheet_are_reported_together(make_workbook):
    sheets = BUILD.walkback()
    put(sheets["parameters"], "age0", "value", "54 +")
    put(sheets["states"], "care_seeking", "initial", "abc")
    put(sheets["transitions"], ("recovered", "dead"), "usual care", None)
    put(sheets["settings"], "discount_costs", "value", 1.5)
    problems = _problems(make_workbook(sheets))
    places = {line.split(": ", 1)[0] for line in problems}
    assert {"parameters!B2", "states!C4", "transitions!C9", "settings!B7"} <= places


# =========================================================================== cells
def test_merged_cells_are_refused(make_workbook):
    path = make_workbook(BUILD.hiv_chancellor())
    book = openpyxl.load_workbook(path)
    book["parameters"].merge_cells("C2:D2")
    book.save(path)
    assert _problems(path) == ["parameters!C2:D2: merged cells are not allowed; unmerge them"]


def test_formula_without_cached_value(make_workbook):
    path = make_workbook(BUILD.hiv_chancellor())
    book = openpyxl.load_workbook(path)
    book["parameters"]["B3"] = "=1+1"  # openpyxl saves the formula, not its value
    book.save(path)
    problems = _problems(path)
    assert len(problems) == 1, problems
    assert problems[0].startswith("parameters!B3: formula '=1+1' has no saved value")
    assert "open and save the workbook in a spreadsheet application" in problems[0]


def test_spreadsheet_error_value(make_workbook):
    sheets = BUILD.hiv_chancellor()
    put(sheets["parameters"], "c_a", "value", "#DIV/0!")
    problems = _problems(make_workbook(sheets))
    assert problems == ["parameters!B3: cell shows a spreadsheet error #DIV/0!; fix the formula"]


def test_sheet_names_are_matched_without_case(make_workbook):
    sheets = BUILD.hiv_chancellor()
    sheets["Settings"] = sheets.pop("settings")
    spec = load_workbook(make_workbook(sheets))
    assert spec.settings.model_name == "hiv_chancellor"


# =========================================================================== files



@pytest.mark.parametrize("make, fragment", [pytest.param(*c[1:], id=c[0]) for c in FILE_CASES])
def test_unreadable_file(tmp_path, make, fragment):
    path = make(tmp_path / "input.xlsx")
    problems = _problems(path)
    assert len(problems) == 1, problems
    assert "input.xlsx" in problems[0].split(": ", 1)[0]
    assert fragment in problems[0]
    if path.exists() and path.stat().st_size:
        assert "xlsx" in problems[0].split(": ", 1)[1]  # says what is allowed


def test_a_folder_is_not_a_workbook(tmp_path):
    (tmp_path / "folder.xlsx").mkdir()
    assert _problems(tmp_path / "folder.xlsx") == [f"{tmp_path / 'folder.xlsx'}: is not a file"]


def test_xml_entity_declarations_are_refused(tmp_path):
    path = tmp_path / "entities.xlsx"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("[Content_Types].xml",
                         '<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "b">]><x/>')
    problems = _problems(path)
    assert len(problems) == 1
    assert "declares an XML document type or entities" in problems[0]


# =========================================================================== known bugs
def test_lookup_of_unknown_table_in_a_parameter(make_workbook):
    sheets = BUILD.hiv_chancellor()
    put(sheets["parameters"], "c_a", "value", "lookup(life, qx, 50)")
    problems = _problems(make_workbook(sheets))
    assert any(line.startswith("parameters!B3") and "unknown table 'life'" in line
               for line in problems)


def test_lookup_of_unknown_column_in_a_parameter(make_workbook, baseline):
    sheets = BUILD.walkback()
    put(sheets["parameters"], "q_death_year", "value",
         "lookup(life, qx_femal, age0 + year)")
    problems = _problems(make_workbook(sheets))
    assert any(line.startswith("parameters!B4") and "qx_femal" in line for line in problems)


def test_misspelt_parameters_column_is_reported(make_workbook):
    sheets = BUILD.hiv_chancellor()
    sheets["parameters"][0][7] = "distribtion"
    problems = _problems(make_workbook(sheets))
    assert any(line.startswith("parameters!H1") for line in problems)


def test_text_in_initial_gives_one_problem(make_workbook):
    sheets = BUILD.hiv_chancellor()
    put(sheets["states"], "A", "initial", "abc")
    assert _problems(make_workbook(sheets)) == [
        "states!C2: initial must be a number; got text 'abc'"]


def test_circular_definition_names_a_cell(make_workbook):
    sheets = BUILD.hiv_chancellor()
    sheets["parameters"] += [parameter("a", "b + 1"), parameter("b", "a * 2")]
    problems = _problems(make_workbook(sheets))
    assert len(problems) == 1
    assert problems[0].split(": ", 1)[0] in ("parameters!B9", "parameters!B10")
