"""Tests for cea.workbook.reader: the input-workbook reader.

Principle under test: every problem of a workbook is reported at once, each as
``sheet!cell: what was found; what is allowed``, in one :class:`WorkbookError`
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
from collections.abc import Callable
from pathlib import Path

import openpyxl
import pytest

from cea.workbook.template import write_input_workbook
from cea.workbook.reader import WorkbookError, load_workbook
from tests.conftest import build_script

ROOT = Path(__file__).resolve().parent.parent
SCRIPTS = ROOT / "scripts"


BUILD = build_script()
BASES: dict[str, Callable[[], dict]] = {
    "hiv": BUILD.hiv_chancellor,
    "walkback": BUILD.walkback,
}


# =========================================================================== helpers
def _problems(path: Path) -> list[str]:
    with pytest.raises(WorkbookError) as info:
        load_workbook(path)
    problems = info.value.problems
    assert isinstance(problems, list) and problems
    assert all(isinstance(line, str) for line in problems)
    assert str(info.value) == "\n".join(problems)
    return problems


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _find(rows: list[list], key) -> list:
    """The row whose first cell is ``key`` (or first two cells, for a (from, to) tuple)."""
    for row in rows[1:]:
        if (tuple(row[:2]) if isinstance(key, tuple) else row[0]) == key:
            return row
    raise KeyError(key)


def _put(rows: list[list], key, header: str, value) -> None:
    """Set the cell of column ``header`` in the row ``key``."""
    row = _find(rows, key)
    j = rows[0].index(header)
    row.extend([None] * (j + 1 - len(row)))
    row[j] = value


def _drop_column(rows: list[list], header: str) -> None:
    j = rows[0].index(header)
    for row in rows:
        if len(row) > j:
            del row[j]


def _set(sheet: str, key, header: str, value):
    return lambda d: _put(d[sheet], key, header, value)


def _setting(key: str, value):
    return _set("settings", key, "value", value)


def _append(sheet: str, *rows: list):
    return lambda d: d[sheet].extend(copy.deepcopy(list(rows)))


def _parameter(name, value, *, low=None, high=None, distribution=None) -> list:
    return [name, value, "", "", "test", low, high, distribution, ""]


def _many(*changes):
    def apply(d):
        for change in changes:
            change(d)
    return apply


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
        except WorkbookError as e:
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
    assert set(spec.outcomes) == {"pain_free_days", "recurrences",
                                  "care_seeking_recurrences"}
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
# (case id, base model, change, expected cell reference, message fragment, problems added)
FAULTS = [
    # ---- sheets and columns
    ("missing sheet", "hiv", lambda d: d.pop("states"),
     "model.xlsx", "sheet 'states' is missing; a workbook needs the sheets", 1),
    ("missing required column", "hiv", lambda d: _drop_column(d["parameters"], "value"),
     "parameters!1", "column 'value' is missing; the parameters sheet needs ['name', 'value']",
     1),
    ("misspelt states column", "hiv", lambda d: d["states"][0].__setitem__(3, "utilty"),
     "states!D1", "unknown column 'utilty'; allowed: name, description, initial, utility", 1),
    ("blank row inside parameters", "hiv", lambda d: d["parameters"].insert(3, []),
     "parameters!A4", "blank row inside the table; remove it", 1),
    # ---- parameter names and expressions
    ("duplicate parameter", "hiv", _append("parameters", _parameter("c_a", 1)),
     "parameters!A9", "parameter 'c_a' is defined twice (first at parameters!A3)", 1),
    ("unknown name in a state cell", "hiv", _set("states", "A", "cost_medical", "c_aa"),
     "states!E2", "uses unknown name 'c_aa' (did you mean 'c_a'?)", 1),
    ("unknown name in a parameter", "hiv", _set("parameters", "c_a", "value", "c_bb * 2"),
     "parameters!B3", "value of 'c_a' uses unknown name 'c_bb' (did you mean 'c_b'?)", 1),
    ("reserved word as parameter name", "hiv", _append("parameters", _parameter("cycle", 1)),
     "parameters!A9", "parameter name 'cycle' is a reserved word; choose another name", 1),
    ("syntax error in a parameter", "hiv", _set("parameters", "c_a", "value", "2756 *"),
     "parameters!B3", "value of 'c_a' '2756 *' is not valid: syntax error", 1),
    ("syntax error in a state cell", "hiv", _set("states", "A", "cost_medical", "c_a +* 2"),
     "states!E2", "'c_a +* 2' is not a valid expression: syntax error at character 6", 1),
    ("leading = in an expression", "hiv", _set("parameters", "c_a", "value", "=c_b"),
     "parameters!B3", "write the expression without a leading '='", 1),
    ("__import__ call", "hiv", _set("parameters", "c_a", "value", "__import__('os')"),
     "parameters!B3", "unknown function '__import__'; allowed: exp, log", 1),
    ("attribute access", "hiv", _set("parameters", "c_a", "value", "c_b.real"),
     "parameters!B3", "attribute access (a.b) is not allowed", 1),
    ("attribute access in a state cell", "hiv", _set("states", "B", "utility", "u.b"),
     "states!D3", "attribute access (a.b) is not allowed", 1),
    ("circular parameters", "hiv",
     _append("parameters", _parameter("a", "b + 1"), _parameter("b", "a * 2")),
     "parameters!B9", "'a' depends on itself (a -> b -> a)", 1),
    # ---- transitions
    ("probability 1.2", "hiv", _set("transitions", ("A", "B"), "monotherapy", 1.2),
     "transitions!C3", "probability 1.2 must be in [0, 1]", 1),
    ("transition to an unknown state", "hiv", _set("transitions", ("A", "B"), "to", "E"),
     "transitions!B3", "'E' is not a state; states: ['A', 'B', 'C', 'D']", 1),
    ("duplicate transition row", "hiv",
     _append("transitions", ["A", "B", "0.1", "0.1"]),
     "transitions!A11", "transition A -> B is listed twice (first at transitions!A3)", 1),
    ("two C in a row for a strategy", "hiv",
     _set("transitions", ("A", "B"), "monotherapy", "C"),
     "transitions!C3", "more than one C out of 'A' for 'monotherapy' (also transitions!C2)",
     1),
    ("blank transition cell", "hiv", _set("transitions", ("A", "B"), "combination", None),
     "transitions!D3", "probability is empty; write 0, a probability expression, or C", 1),
    ("dead state with transitions out", "hiv", _append("transitions", ["D", "D", "C", "C"]),
     "transitions!A11", "'D' is dead (absorbing); it has no transitions out", 1),
    ("live state without transitions out", "hiv",
     lambda d: d.__setitem__("transitions", [r for r in d["transitions"] if r[0] != "C"]),
     "transitions", "state 'C' has no transitions out; add rows", 1),
    ("transitions column naming no strategy", "hiv",
     lambda d: d["transitions"][0].__setitem__(3, "combinaton"),
     "transitions!D1", "column 'combinaton' is not a strategy (did you mean 'combination'?)",
     2),  # and: no column for strategy 'combination'
    ("strategy without transitions column", "hiv",
     lambda d: _drop_column(d["transitions"], "combination"),
     "transitions!1", "no column for strategy 'combination'; add a column", 1),
    ("lookup of an unknown table in transitions", "hiv",
     _set("transitions", ("A", "B"), "monotherapy", "lookup(life, qx, 50)"),
     "transitions!C3", "probability uses unknown table 'life'", 1),
    # ---- states
    ("negative constant cost", "hiv", _set("states", "A", "cost_medical", -5),
     "states!E2", "cost_medical -5 is negative; costs must be >= 0", 1),
    ("utility 1.2", "hiv", _set("states", "A", "utility", 1.2),
     "states!D2", "utility 1.2 is above 1 (full health); it must be <= 1", 1),
    ("text in a numeric cell", "hiv", _set("states", "B", "initial", "abc"),
     "states!C3", "initial must be a number; got text 'abc'", 1),
    ("initial proportions not summing to 1", "hiv", _set("states", "B", "initial", 0.5),
     "states", "initial proportions sum to 1.5; they must sum to 1", 1),
    ("dead is neither yes nor no", "hiv", _set("states", "A", "dead", "maybe"),
     "states!G2", "dead must be yes or no; got 'maybe'", 1),
    ("lookup of an unknown table in a state", "walkback",
     _set("states", "pain_free", "utility", "lookup(lif, qx_male, 50)"),
     "states!D2", "unknown table 'lif' (did you mean 'life'?)", 1),
    ("lookup of an unknown table column", "walkback",
     _set("states", "pain_free", "utility", "lookup(life, qx_mal, 50)"),
     "states!D2", "unknown column 'qx_mal' of table 'life'", 1),
    # ---- strategies
    ("override column naming no parameter", "hiv",
     lambda d: d["strategies"][0].__setitem__(2, "c_lami_armm"),
     "strategies!C1", "column 'c_lami_armm' is neither name, description, cost_<category> nor "
     "a parameter (did you mean 'c_lami_arm'?)", 1),
    # ---- settings
    ("unknown setting key", "hiv", _append("settings", ["discount_cost", 0.05, ""]),
     "settings!A17", "unknown setting 'discount_cost' (did you mean 'discount_costs'?)", 1),
    ("cycle_unit fortnight", "hiv", _setting("cycle_unit", "fortnight"),
     "settings!B4", "cycle_unit 'fortnight': must be one of day, week, month, year", 1),
    ("discount_costs 1.5", "hiv", _setting("discount_costs", 1.5),
     "settings!B7", "discount_costs 1.5: must be in [0, 1]", 1),
    ("cycle_length text", "hiv", _setting("cycle_length", "abc"),
     "settings!B3", "cycle_length 'abc': must be a number", 1),
    ("horizon not a whole number of cycles", "hiv", _setting("cycle_unit", "week"),
     "settings!B5", "horizon 20 year(s) is 1044 cycles of 1 week(s); it must be a whole number",
     1),
    ("horizon 1 year in weekly cycles", "hiv",
     _many(_setting("cycle_unit", "week"), _setting("horizon", 1)),
     "settings!B5", "horizon 1 year(s) is 52.18 cycles of 1 week(s); it must be a whole "
     "number of cycles", 1),
    ("perspective with unknown cost category", "walkback",
     _setting("perspectives", "healthcare system = intervention, healthcare; "
                              "societal = intervention, healthcare, absenteism"),
     "settings!B11", "perspective 'societal' counts unknown cost category 'absenteism'", 1),
    # ---- parameter ranges and distributions
    ("low above high", "hiv", _many(_set("parameters", "rr", "low", 0.71),
                                    _set("parameters", "rr", "high", 0.365)),
     "parameters!F2", "'rr': low 0.71, base 0.509 and high 0.365 must satisfy "
     "low <= base <= high", 1),
    ("base outside [low, high]", "hiv", _set("parameters", "rr", "low", 0.6),
     "parameters!F2", "'rr': low 0.6, base 0.509 and high 0.71 must satisfy", 1),
    ("only one of low and high", "hiv", _set("parameters", "rr", "low", None),
     "parameters!F2", "'rr' has only one of low and high; give both or neither", 1),
    ("p_ parameter 1.3", "hiv", _append("parameters", _parameter("p_x", 1.3)),
     "parameters!B9", "'p_x' is a probability (prefix p_); its base value 1.3 must be in "
     "[0, 1]", 1),
    ("p_ parameter 1.3 in WalkBack", "walkback",
     _many(_set("parameters", "p_employed", "value", 1.3),
           _set("parameters", "p_employed", "low", None),
           _set("parameters", "p_employed", "high", None),
           _set("parameters", "p_employed", "distribution", None)),
     "parameters!B", "'p_employed' is a probability (prefix p_); its base value 1.3", 1),
    ("beta with SE too large", "hiv",
     _append("parameters", _parameter("p_x", 0.4, distribution="beta(mean=0.4, se=0.6)")),
     "parameters!H9", "beta: se 0.6 is too large for mean 0.4", 1),
    ("lognormal CI not containing the estimate", "hiv",
     _set("parameters", "rr", "distribution", "lognormal(estimate=0.509, low=0.6, high=0.71)"),
     "parameters!H2", "lognormal: the interval [low, high] must contain the estimate", 1),
    ("derived parameter with low and high", "hiv",
     _append("parameters", _parameter("c_d", "c_a * 2", low=1, high=10)),
     "parameters!F9", "'c_d' is derived from an expression, so it follows its inputs; low "
     "must be blank", 2),  # and the same for high (G9)
    ("unknown distribution", "hiv", _set("parameters", "rr", "distribution", "betta(1, 2)"),
     "parameters!H2", "unknown distribution 'betta'", 1),
]


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
    _put(sheets["states"], "A", "utility", 1.2)
    _put(sheets["transitions"], ("A", "B"), "monotherapy", 1.2)
    _put(sheets["settings"], "cycle_unit", "value", "fortnight")
    _put(sheets["parameters"], "c_b", "value", "c_aa + 1")
    problems = _problems(make_workbook(sheets))
    assert len(problems) == 4, problems
    assert {line.split(": ", 1)[0] for line in problems} == {
        "states!D2", "transitions!C3", "settings!B4", "parameters!B4"}


def test_faults_in_every_sheet_are_reported_together(make_workbook):
    sheets = BUILD.walkback()
    _put(sheets["parameters"], "age0", "value", "54 +")
    _put(sheets["states"], "care_seeking", "initial", "abc")
    _put(sheets["transitions"], ("recovered", "dead"), "usual care", None)
    _put(sheets["settings"], "discount_costs", "value", 1.5)
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
    _put(sheets["parameters"], "c_a", "value", "#DIV/0!")
    problems = _problems(make_workbook(sheets))
    assert problems == ["parameters!B3: cell shows a spreadsheet error #DIV/0!; fix the formula"]


def test_sheet_names_are_matched_without_case(make_workbook):
    sheets = BUILD.hiv_chancellor()
    sheets["Settings"] = sheets.pop("settings")
    spec = load_workbook(make_workbook(sheets))
    assert spec.settings.model_name == "hiv_chancellor"


# =========================================================================== files
def _olefile(path: Path) -> Path:
    path.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(504))
    return path


def _zip_of_text(path: Path) -> Path:
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("notes.txt", "not a workbook")
    return path


def _bytes(data: bytes):
    def make(path: Path) -> Path:
        path.write_bytes(data)
        return path
    return make


FILE_CASES = [
    ("missing", lambda p: p, "no such file"),
    ("empty", _bytes(b""), "the file is empty; an .xlsx workbook is expected"),
    ("csv renamed", _bytes(b"name,value\np_die,0.1\n"),
     "is not an .xlsx workbook (it is not a zip archive; a .csv or text file renamed .xlsx?)"
     "; save it from a spreadsheet application as .xlsx"),
    ("old xls", _olefile, "is an old binary .xls (or encrypted) file; save it as .xlsx"),
    ("zip not a workbook", _zip_of_text, "cannot be read as an .xlsx workbook"),
    ("damaged zip", _bytes(b"PK\x03\x04 truncated"),
     "is a damaged archive"),
]


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
    _put(sheets["parameters"], "c_a", "value", "lookup(life, qx, 50)")
    problems = _problems(make_workbook(sheets))
    assert any(line.startswith("parameters!B3") and "unknown table 'life'" in line
               for line in problems)


def test_lookup_of_unknown_column_in_a_parameter(make_workbook, baseline):
    sheets = BUILD.walkback()
    _put(sheets["parameters"], "q_death_year", "value",
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
    _put(sheets["states"], "A", "initial", "abc")
    assert _problems(make_workbook(sheets)) == [
        "states!C2: initial must be a number; got text 'abc'"]


def test_circular_definition_names_a_cell(make_workbook):
    sheets = BUILD.hiv_chancellor()
    sheets["parameters"] += [_parameter("a", "b + 1"), _parameter("b", "a * 2")]
    problems = _problems(make_workbook(sheets))
    assert len(problems) == 1
    assert problems[0].split(": ", 1)[0] in ("parameters!B9", "parameters!B10")
