"""Every single-fault workbook of tests/test_workbook.py, through the ``cea`` command.

The reader's own tests (tests/test_workbook.py) pin what :func:`load_workbook`
reports for each fault of its table ``FAULTS``; here the same faults, and the
file-level faults of its ``FILE_CASES``, go through ``cea validate`` and
``cea run`` in process (:func:`cea.cli.main`). For each, both commands must:

* exit with status 2 (an input problem), not crash;
* print on stderr the same ``sheet!cell`` and message fragment, and no traceback;
* write nothing: the ``--out`` folder holds no results file (and no temporary).

The fault table is imported, not copied, so a fault added there is covered here.
A few faults that only the engine can see (a probability expression that goes
out of range, a row that sums to more than 1) are added at the end.
"""

from __future__ import annotations

import copy
import re
from pathlib import Path

import pytest

import tests.helpers.faults as tw
from cea.api import write_input_workbook
from cea.cli import main
from cea.model.problems import InputError
from cea.workbook import load_workbook

COMMANDS = ("validate", "run")
FULL_CELL = re.compile(r"![A-Z]*\d+$")


@pytest.fixture(scope="module")
def baseline(tmp_path_factory) -> dict[str, list[str]]:
    """Problems of each unchanged base model (none when it loads), as in test_workbook.py.

    The base models are revised by others while these tests run; a fault must add
    its own line, whatever the base reports.
    """
    folder = tmp_path_factory.mktemp("baseline")
    result = {}
    for name, make in tw.BASES.items():
        try:
            load_workbook(write_input_workbook(folder / f"{name}.xlsx", make()))
            result[name] = []
        except InputError as e:
            result[name] = e.problems
    return result


def _cli(capsys, argv: list[str]) -> tuple[int, str, str]:
    """Run ``cea argv`` in process; returns (status, stdout, stderr)."""
    try:
        status = main(argv)
    except SystemExit as e:  # argparse; never expected here
        status = e.code
    captured = capsys.readouterr()
    return status, captured.out, captured.err


def _problem_lines(err: str) -> list[str]:
    """The per-problem lines of the CLI's stderr (indented under a header line)."""
    return [line.strip() for line in err.splitlines() if line.startswith("  ")]


def _nothing_written(out: Path) -> None:
    if not out.exists():
        return
    left = sorted(p.name for p in out.rglob("*"))
    assert left == [], f"the out folder is not empty after a refused input: {left}"


def _check_refused(capsys, argv: list[str], out: Path | None) -> str:
    status, stdout, err = _cli(capsys, argv)
    assert "Traceback" not in err and "Traceback" not in stdout, err
    assert status == 2, f"cea {' '.join(argv)} exited {status}\nstdout:\n{stdout}\nstderr:\n{err}"
    assert "Results written" not in stdout
    if out is not None:
        _nothing_written(out)
    return err


# =========================================================================== the fault table
FAULT_IDS = [case[0] for case in tw.FAULTS]


@pytest.mark.parametrize("name, base, change, ref, fragment, added",
                         [pytest.param(*case, id=case[0]) for case in tw.FAULTS])
def test_fault_through_cli(tmp_path, capsys, baseline, name, base, change, ref, fragment,
                           added):
    sheets = copy.deepcopy(tw.BASES[base]())
    change(sheets)
    path = write_input_workbook(tmp_path / "model.xlsx", sheets)
    before = path.read_bytes()
    for command in COMMANDS:
        out = tmp_path / f"out_{command}"
        argv = [command, str(path)] + (["--out", str(out)] if command != "validate" else [])
        err = _check_refused(capsys, argv, out)
        lines = _problem_lines(err)
        assert err.splitlines()[0] == f"{path}: {len(lines)} problem(s) found; nothing was " \
                                      "written.", err
        new = [line for line in lines if line not in baseline[base]]
        assert len(new) == added, f"{command}: {name}\n{err}"
        matching = [line for line in new if line.startswith(ref) and fragment in line]
        assert matching, f"cea {command}: no line at {ref} containing {fragment!r}:\n{err}"
        if FULL_CELL.search(ref):
            assert matching[0].split(": ", 1)[0] == ref
    assert path.read_bytes() == before, "the input workbook was changed"


# =========================================================================== file-level faults
@pytest.mark.parametrize("make, fragment",
                         [pytest.param(*case[1:], id=case[0]) for case in tw.FILE_CASES])
def test_unreadable_file_through_cli(tmp_path, capsys, make, fragment):
    path = make(tmp_path / "input.xlsx")
    for command in COMMANDS:
        out = tmp_path / f"out_{command}"
        argv = [command, str(path)] + (["--out", str(out)] if command != "validate" else [])
        err = _check_refused(capsys, argv, out)
        lines = _problem_lines(err)
        assert len(lines) == 1, err
        assert "input.xlsx" in lines[0].split(": ", 1)[0]
        assert fragment in lines[0]


def _folder(path: Path) -> Path:
    path.mkdir()
    return path


def _xls_named_xls(path: Path) -> Path:
    target = path.with_suffix(".xls")
    target.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(1024))
    return target


def _csv_named_csv(path: Path) -> Path:
    target = path.with_suffix(".csv")
    target.write_text("setting,value\nmodel_name,x\n")
    return target


def _text_with_bom(path: Path) -> Path:
    path.write_bytes("\ufeffname;value\n".encode("utf-8"))
    return path


def _zip_truncated(path: Path) -> Path:
    """A real workbook cut in half (an interrupted download)."""
    write_input_workbook(path, tw.BUILD.hiv_chancellor())
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    return path


MORE_FILE_CASES = [
    ("folder named .xlsx", _folder, "is not a file"),
    ("old xls with .xls suffix", _xls_named_xls, "is an old binary .xls"),
    ("csv with .csv suffix", _csv_named_csv, "is not an .xlsx workbook"),
    ("text with a byte-order mark", _text_with_bom, "is not an .xlsx workbook"),
    ("truncated workbook", _zip_truncated, ".xlsx"),
]


@pytest.mark.parametrize("make, fragment",
                         [pytest.param(*case[1:], id=case[0]) for case in MORE_FILE_CASES])
def test_more_unreadable_files_through_cli(tmp_path, capsys, make, fragment):
    path = make(tmp_path / "input.xlsx")
    for command in COMMANDS:
        out = tmp_path / f"out_{command}"
        argv = [command, str(path)] + (["--out", str(out)] if command != "validate" else [])
        err = _check_refused(capsys, argv, out)
        lines = _problem_lines(err)
        assert len(lines) == 1, err
        assert path.name in lines[0].split(": ", 1)[0], err
        assert fragment in lines[0], err


# =========================================================================== faults the engine sees
def _hiv_transition(key: tuple[str, str], strategy: str, value):
    def change(d):
        tw.put(d["transitions"], key, strategy, value)
    return change


# (name, change, cell named, message fragment): the reader accepts these; the engine refuses
ENGINE_FAULTS = [
    ("complement negative", _hiv_transition(("A", "B"), "monotherapy", "0.9 + rr / 10"),
     "transitions!C2", "the complement C is negative"),
    ("probability expression above 1", _hiv_transition(("B", "C"), "combination",
                                                       "512/1258 * (1 + 3 * rr)"),
     "transitions!D7", "probability 1.02848 is not in [0, 1]"),
    ("probability from log of a negative number", _hiv_transition(("C", "D"), "monotherapy",
                                                                  "log(-rr)"),
     "transitions!C10", "nan"),
    ("time-varying probability leaving [0, 1]",
     _hiv_transition(("A", "D"), "monotherapy", "0.05 * cycle"),
     "transitions!C2", "cycle 15"),
]


@pytest.mark.parametrize("change, ref, fragment",
                         [pytest.param(*case[1:], id=case[0]) for case in ENGINE_FAULTS])
def test_engine_fault_through_cli(tmp_path, capsys, change, ref, fragment):
    sheets = tw.BUILD.hiv_chancellor()
    change(sheets)
    path = write_input_workbook(tmp_path / "model.xlsx", sheets)
    for command in COMMANDS:
        out = tmp_path / f"out_{command}"
        argv = [command, str(path)] + (["--out", str(out)] if command != "validate" else [])
        err = _check_refused(capsys, argv, out)
        assert "nothing was written" in err, err
        assert ref in err and fragment in err, err


# =========================================================================== breadth
def test_corpus_is_broad_and_named():
    names = FAULT_IDS + [c[0] for c in tw.FILE_CASES] + [c[0] for c in MORE_FILE_CASES] \
        + [c[0] for c in ENGINE_FAULTS]
    assert len(set(names)) == len(names), "fault names must be distinct"
    assert len(names) >= 40
