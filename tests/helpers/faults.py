"""The corpus of faults: valid shipped models, each changed in one way, and broken files.

Each case of :data:`FAULTS` is (case id, base model, change, expected cell reference,
message fragment, problems added); :data:`FILE_CASES` are files that are not workbooks.
The reader's tests, the command-line corpus and the nothing-lost tests share them.
"""

from __future__ import annotations

import copy
import zipfile
from collections.abc import Callable
from pathlib import Path

from tests.helpers.builders import build_script

BUILD = build_script()
BASES: dict[str, Callable[[], dict]] = {
    "hiv": BUILD.hiv_chancellor,
    "walkback": BUILD.walkback,
}


def find(rows: list[list], key) -> list:
    """The row whose first cell is ``key`` (or first two cells, for a (from, to) tuple)."""
    for row in rows[1:]:
        if (tuple(row[:2]) if isinstance(key, tuple) else row[0]) == key:
            return row
    raise KeyError(key)


def put(rows: list[list], key, header: str, value) -> None:
    """Set the cell of column ``header`` in the row ``key``."""
    row = find(rows, key)
    j = rows[0].index(header)
    row.extend([None] * (j + 1 - len(row)))
    row[j] = value


def drop_column(rows: list[list], header: str) -> None:
    j = rows[0].index(header)
    for row in rows:
        if len(row) > j:
            del row[j]


def put_in(sheet: str, key, header: str, value):
    return lambda d: put(d[sheet], key, header, value)


def setting(key: str, value):
    return put_in("settings", key, "value", value)


def append(sheet: str, *rows: list):
    return lambda d: d[sheet].extend(copy.deepcopy(list(rows)))


def parameter(name, value, *, low=None, high=None, distribution=None) -> list:
    return [name, value, "", "", "test", low, high, distribution, ""]


def many(*changes):
    def apply(d):
        for change in changes:
            change(d)
    return apply


# (case id, base model, change, expected cell reference, message fragment, problems added)
FAULTS = [
    # ---- sheets and columns
    ("missing sheet", "hiv", lambda d: d.pop("states"),
     "model.xlsx", "sheet 'states' is missing; a workbook needs the sheets", 1),
    ("missing required column", "hiv", lambda d: drop_column(d["parameters"], "value"),
     "parameters!1", "column 'value' is missing; the parameters sheet needs ['name', 'value']",
     1),
    ("misspelt states column", "hiv", lambda d: d["states"][0].__setitem__(3, "utilty"),
     "states!D1", "unknown column 'utilty'; allowed: name, description, initial, utility", 1),
    ("blank row inside parameters", "hiv", lambda d: d["parameters"].insert(3, []),
     "parameters!A4", "blank row inside the table; remove it", 1),
    # ---- parameter names and expressions
    ("duplicate parameter", "hiv", append("parameters", parameter("c_a", 1)),
     "parameters!A9", "parameter 'c_a' is defined twice (first at parameters!A3)", 1),
    ("unknown name in a state cell", "hiv", put_in("states", "A", "cost_medical", "c_aa"),
     "states!E2", "uses unknown name 'c_aa' (did you mean 'c_a'?)", 1),
    ("unknown name in a parameter", "hiv", put_in("parameters", "c_a", "value", "c_bb * 2"),
     "parameters!B3", "value of 'c_a' 'c_bb * 2' uses unknown name 'c_bb' (did you mean "
     "'c_b'?)", 1),
    ("reserved word as parameter name", "hiv", append("parameters", parameter("cycle", 1)),
     "parameters!A9", "parameter name 'cycle' is a reserved word; choose another name", 1),
    ("syntax error in a parameter", "hiv", put_in("parameters", "c_a", "value", "2756 *"),
     "parameters!B3", "value of 'c_a' '2756 *' is not valid: syntax error", 1),
    ("syntax error in a state cell", "hiv", put_in("states", "A", "cost_medical", "c_a +* 2"),
     "states!E2", "'c_a +* 2' is not a valid expression: syntax error at character 6", 1),
    ("leading = in an expression", "hiv", put_in("parameters", "c_a", "value", "=c_b"),
     "parameters!B3", "write the expression without a leading '='", 1),
    ("__import__ call", "hiv", put_in("parameters", "c_a", "value", "__import__('os')"),
     "parameters!B3", "unknown function '__import__'; allowed: exp, log", 1),
    ("attribute access", "hiv", put_in("parameters", "c_a", "value", "c_b.real"),
     "parameters!B3", "attribute access (a.b) is not allowed", 1),
    ("attribute access in a state cell", "hiv", put_in("states", "B", "utility", "u.b"),
     "states!D3", "attribute access (a.b) is not allowed", 1),
    ("circular parameters", "hiv",
     append("parameters", parameter("a", "b + 1"), parameter("b", "a * 2")),
     "parameters!B9", "'a' depends on itself (a -> b -> a)", 1),
    # ---- transitions
    ("probability 1.2", "hiv", put_in("transitions", ("A", "B"), "monotherapy", 1.2),
     "transitions!C3", "probability 1.2 must be in [0, 1]", 1),
    ("transition to an unknown state", "hiv", put_in("transitions", ("A", "B"), "to", "E"),
     "transitions!B3", "'E' is not a state; states: ['A', 'B', 'C', 'D']", 1),
    ("duplicate transition row", "hiv",
     append("transitions", ["A", "B", "0.1", "0.1"]),
     "transitions!A11", "transition A -> B is listed twice (first at transitions!A3)", 1),
    ("two C in a row for a strategy", "hiv",
     put_in("transitions", ("A", "B"), "monotherapy", "C"),
     "transitions!C3", "more than one C out of 'A' for 'monotherapy' (also transitions!C2)",
     1),
    ("blank transition cell", "hiv", put_in("transitions", ("A", "B"), "combination", None),
     "transitions!D3", "probability is empty; write 0, a probability expression, or C", 1),
    ("dead state with transitions out", "hiv", append("transitions", ["D", "D", "C", "C"]),
     "transitions!A11", "'D' is dead (absorbing); it has no transitions out", 1),
    ("live state without transitions out", "hiv",
     lambda d: d.__setitem__("transitions", [r for r in d["transitions"] if r[0] != "C"]),
     "transitions", "state 'C' has no transitions out; add rows", 1),
    ("transitions column naming no strategy", "hiv",
     lambda d: d["transitions"][0].__setitem__(3, "combinaton"),
     "transitions!D1", "column 'combinaton' is not a strategy (did you mean 'combination'?)",
     2),  # and: no column for strategy 'combination'
    ("strategy without transitions column", "hiv",
     lambda d: drop_column(d["transitions"], "combination"),
     "transitions!1", "no column for strategy 'combination'; add a column", 1),
    ("lookup of an unknown table in transitions", "hiv",
     put_in("transitions", ("A", "B"), "monotherapy", "lookup(life, qx, 50)"),
     "transitions!C3", "probability uses unknown table 'life'", 1),
    # ---- states
    ("negative constant cost", "hiv", put_in("states", "A", "cost_medical", -5),
     "states!E2", "cost_medical -5 is negative; costs must be >= 0", 1),
    ("utility 1.2", "hiv", put_in("states", "A", "utility", 1.2),
     "states!D2", "utility 1.2 is above 1 (full health); it must be <= 1", 1),
    ("text in a numeric cell", "hiv", put_in("states", "B", "initial", "abc"),
     "states!C3", "initial must be a number; got text 'abc'", 1),
    ("initial proportions not summing to 1", "hiv", put_in("states", "B", "initial", 0.5),
     "states", "initial proportions sum to 1.5; they must sum to 1", 1),
    ("dead is neither yes nor no", "hiv", put_in("states", "A", "dead", "maybe"),
     "states!G2", "dead must be yes or no; got 'maybe'", 1),
    ("lookup of an unknown table in a state", "walkback",
     put_in("states", "pain_free", "utility", "lookup(lif, qx_male, 50)"),
     "states!D2", "unknown table 'lif' (did you mean 'life'?)", 1),
    ("lookup of an unknown table column", "walkback",
     put_in("states", "pain_free", "utility", "lookup(life, qx_mal, 50)"),
     "states!D2", "unknown column 'qx_mal' of table 'life'", 1),
    # ---- strategies
    ("override column naming no parameter", "hiv",
     lambda d: d["strategies"][0].__setitem__(2, "c_lami_armm"),
     "strategies!C1", "column 'c_lami_armm' is neither name, description, cost_<category> nor "
     "a parameter (did you mean 'c_lami_arm'?)", 1),
    # ---- settings
    ("unknown setting key", "hiv", append("settings", ["discount_cost", 0.05, ""]),
     "settings!A17", "unknown setting 'discount_cost' (did you mean 'discount_costs'?)", 1),
    ("cycle_unit fortnight", "hiv", setting("cycle_unit", "fortnight"),
     "settings!B4", "cycle_unit 'fortnight': must be one of day, week, month, year", 1),
    ("discount_costs 1.5", "hiv", setting("discount_costs", 1.5),
     "settings!B7", "discount_costs 1.5: must be in [0, 1]", 1),
    ("cycle_length text", "hiv", setting("cycle_length", "abc"),
     "settings!B3", "cycle_length 'abc': must be a number", 1),
    ("horizon not a whole number of cycles", "hiv", setting("cycle_unit", "week"),
     "settings!B5", "horizon 20 year(s) is 1044 cycles of 1 week(s); it must be a whole number",
     1),
    ("horizon 1 year in weekly cycles", "hiv",
     many(setting("cycle_unit", "week"), setting("horizon", 1)),
     "settings!B5", "horizon 1 year(s) is 52.18 cycles of 1 week(s); it must be a whole "
     "number of cycles", 1),
    ("perspective with unknown cost category", "walkback",
     setting("perspectives", "healthcare system = intervention, healthcare; "
                              "societal = intervention, healthcare, absenteism"),
     "settings!B11", "perspective 'societal' counts unknown cost category 'absenteism'", 1),
    # ---- parameter ranges and distributions
    ("low above high", "hiv", many(put_in("parameters", "rr", "low", 0.71),
                                    put_in("parameters", "rr", "high", 0.365)),
     "parameters!F2", "'rr': low 0.71, base 0.509 and high 0.365 must satisfy "
     "low <= base <= high", 1),
    ("base outside [low, high]", "hiv", put_in("parameters", "rr", "low", 0.6),
     "parameters!F2", "'rr': low 0.6, base 0.509 and high 0.71 must satisfy", 1),
    ("only one of low and high", "hiv", put_in("parameters", "rr", "low", None),
     "parameters!F2", "'rr' has only one of low and high; give both or neither", 1),
    ("p_ parameter 1.3", "hiv", append("parameters", parameter("p_x", 1.3)),
     "parameters!B9", "'p_x' is a probability (prefix p_); its base value 1.3 must be in "
     "[0, 1]", 1),
    ("p_ parameter 1.3 in WalkBack", "walkback",
     many(put_in("parameters", "p_employed", "value", 1.3),
           put_in("parameters", "p_employed", "low", None),
           put_in("parameters", "p_employed", "high", None),
           put_in("parameters", "p_employed", "distribution", None)),
     "parameters!B", "'p_employed' is a probability (prefix p_); its base value 1.3", 1),
    ("beta with SE too large", "hiv",
     append("parameters", parameter("p_x", 0.4, distribution="beta(mean=0.4, se=0.6)")),
     "parameters!H9", "beta: se 0.6 is too large for mean 0.4", 1),
    ("lognormal CI not containing the estimate", "hiv",
     put_in("parameters", "rr", "distribution", "lognormal(estimate=0.509, low=0.6, high=0.71)"),
     "parameters!H2", "lognormal: the interval [low, high] must contain the estimate", 1),
    ("derived parameter with low and high", "hiv",
     append("parameters", parameter("c_d", "c_a * 2", low=1, high=10)),
     "parameters!F9", "'c_d' is derived from an expression, so it follows its inputs; low "
     "must be blank", 2),  # and the same for high (G9)
    ("unknown distribution", "hiv", put_in("parameters", "rr", "distribution", "betta(1, 2)"),
     "parameters!H2", "unknown distribution 'betta'", 1),
]


def olefile(path: Path) -> Path:
    path.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(504))
    return path


def zip_of_text(path: Path) -> Path:
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("notes.txt", "not a workbook")
    return path


def of_bytes(data: bytes):
    def make(path: Path) -> Path:
        path.write_bytes(data)
        return path
    return make


FILE_CASES = [
    ("missing", lambda p: p, "no such file"),
    ("empty", of_bytes(b""), "the file is empty; an .xlsx workbook is expected"),
    ("csv renamed", of_bytes(b"name,value\np_die,0.1\n"),
     "is not an .xlsx workbook (it is not a zip archive; a .csv or text file renamed .xlsx?)"
     "; save it from a spreadsheet application as .xlsx"),
    ("old xls", olefile, "is an old binary .xls (or encrypted) file; save it as .xlsx"),
    ("zip not a workbook", zip_of_text, "cannot be read as an .xlsx workbook"),
    ("damaged zip", of_bytes(b"PK\x03\x04 truncated"),
     "is a damaged archive"),
]
