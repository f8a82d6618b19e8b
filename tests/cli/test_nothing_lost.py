"""Nothing the user has is ever lost: the input workbook is never written, and results are
written whole or not at all.

DESIGN.md (Errors and safety): "The input workbook is never written to. Outputs are
written to a temporary file and renamed into place, so a crash never leaves half a
results file."

* Every command of ``cea`` that takes a workbook runs on the HIV example (with a range
  and a distribution on a second parameter, so that two-way and global analyses apply,
  and a budget sheet) with its outputs written *into the input's own folder*; the input's
  bytes (SHA-256) and modification time are unchanged afterwards.
* A failure while the results workbook is being written (after its first sheet, inside
  ``Workbook.save``, a figure, or an interrupt) leaves an existing results file byte for
  byte as it was and no partial or temporary file behind.
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import io
import os
import shutil
from pathlib import Path

import matplotlib.figure
import openpyxl
import pytest

import cea.export.sheet_writer as sheet_writer
import tests.helpers.faults as tw
from cea.api import write_input_workbook
from cea.cli import build_parser, main
from tests.helpers.paths import ROOT

WALKBACK = ROOT / "inputs" / "walkback.xlsx"
RESULTS = "hiv_chancellor_results.xlsx"

# extra arguments per command: (positionals before the workbook, options after it);
# commands not listed run with none. Draw counts and grids are small: what is checked here
# (the input's bytes, the exit status, no temporary files) does not depend on them.
ARGUMENTS: dict[str, list[tuple[str, list[str], list[str]]]] = {
    "psa": [("psa", [], ["--draws", "200"])],
    "evppi": [("evppi", [], ["--draws", "200"])],
    "twoway": [("twoway", ["rr", "c_a"], ["--points", "3"])],
    "threshold": [("threshold", ["rr"], [])],
    "gsa": [("gsa sobol", [], ["--n", "8"]),
            ("gsa morris", [], ["--method", "morris", "--trajectories", "4"])],
}
#: commands that cannot run quickly on this model, with the reason
SKIPPED: dict[str, str] = {}
#: commands expected to refuse this model (exit 2) and why
REFUSES = {"calibrate": "the HIV example has no calibration sheet"}


def _hiv(path: Path) -> Path:
    sheets = tw.BUILD.hiv_chancellor()
    tw.put(sheets["parameters"], "c_a", "low", 2000)
    tw.put(sheets["parameters"], "c_a", "high", 3500)
    tw.put(sheets["parameters"], "c_a", "distribution", "gamma(mean=2756, se=275.6)")
    sheets["budget"] = [["item", "strategy", "year", "value"], ["years", None, None, 3],
                        ["eligible", None, None, 1000],
                        ["uptake_with", "combination", None, 0.5]]  # so cea budget runs
    return write_input_workbook(path, sheets)


def _fingerprint(path: Path) -> tuple[str, int, int]:
    stat = path.stat()
    return hashlib.sha256(path.read_bytes()).hexdigest(), stat.st_size, stat.st_mtime_ns


def _listing(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir()) if p.is_file()}


def _model_commands() -> list[str]:
    """The subcommands of ``cea`` that take a workbook, read from the parser."""
    parser = build_parser()
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    return [name for name, p in sub.choices.items()
            if any(a.dest == "workbook" for a in p._actions)]


def _cases():
    cases = []
    for command in _model_commands():
        for label, before, after in ARGUMENTS.get(command, [(command, [], [])]):
            marks = [pytest.mark.skip(reason=SKIPPED[command])] if command in SKIPPED else []
            cases.append(pytest.param(command, before, after, id=label, marks=marks))
    return cases


@pytest.mark.filterwarnings("ignore::UserWarning")  # e.g. wide Sobol intervals at n = 8
@pytest.mark.parametrize("command, before, after", _cases())
def test_input_workbook_is_never_written(tmp_path, capsys, command, before, after):
    folder = tmp_path / "work"
    folder.mkdir()
    path = _hiv(folder / "hiv_chancellor.xlsx")  # named like the model: outputs sit beside it
    fingerprint = _fingerprint(path)
    argv = [command, *before, str(path), *after]
    if command != "validate":
        argv += ["--out", str(folder)]
    status = main(argv)
    captured = capsys.readouterr()
    assert "Traceback" not in captured.err
    expected = 2 if command in REFUSES else 0
    assert status == expected, f"cea {' '.join(argv)} exited {status}:\n{captured.err}"
    assert _fingerprint(path) == fingerprint, f"cea {command} changed its input workbook"
    temporaries = [p.name for p in folder.iterdir() if p.name.startswith(".")]
    assert temporaries == [], f"temporary files left: {temporaries}"


def test_every_command_taking_a_workbook_is_covered():
    covered = {p.values[0] for p in _cases()}
    assert covered == set(_model_commands())
    assert {"run", "validate", "dsa", "twoway", "threshold", "gsa"} <= covered


@pytest.mark.parametrize("command, name", [
    pytest.param("run", "results", id="run"),
    pytest.param("dsa", "one_way", id="dsa"),
])
def test_input_named_like_the_results_file_is_kept(tmp_path, capsys, command, name):
    """An input saved under the results file's name is not a results file of cea's: kept."""
    path = _hiv(tmp_path / f"hiv_chancellor_{name}.xlsx")
    fingerprint = _fingerprint(path)
    assert main([command, str(path), "--out", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert _fingerprint(path) == fingerprint
    assert f"hiv_chancellor_{name} (2).xlsx" in out


def test_calibrate_does_not_replace_its_input(tmp_path, capsys):
    path = tmp_path / "walkback_calibrated.xlsx"
    shutil.copyfile(WALKBACK, path)
    fingerprint = _fingerprint(path)
    status = main(["calibrate", str(path), "--out", str(tmp_path)])
    capsys.readouterr()
    assert status in (0, 1)  # 1: the fit did not converge; still a run
    assert _fingerprint(path) == fingerprint, "calibrate replaced its input workbook"


# =========================================================================== atomic results
@pytest.fixture(scope="module")
def earlier_once(tmp_path_factory):
    """A folder with the HIV input and the results (and figures) of an earlier ``cea run``
    and ``cea dsa``, made once for the module; tests that write get their own copy
    (``earlier``)."""
    folder = tmp_path_factory.mktemp("earlier")
    path = _hiv(folder / "hiv.xlsx")
    out = folder / "out"
    with contextlib.redirect_stdout(io.StringIO()):
        assert main(["run", str(path), "--out", str(out)]) == 0
        assert main(["dsa", str(path), "--out", str(out)]) == 0
    assert (out / RESULTS).is_file() and (out / "hiv_chancellor_one_way.xlsx").is_file()
    return path, out


@pytest.fixture
def earlier(earlier_once, tmp_path):
    """A copy of ``earlier_once`` in the test's own folder: every byte, mode and time kept
    (``shutil.copytree`` copies with ``copy2``), so it is as cea left it."""
    path, out = earlier_once
    shutil.copy2(path, tmp_path / path.name)
    shutil.copytree(out, tmp_path / out.name)
    return tmp_path / path.name, tmp_path / out.name


def _fail_after_first_sheet(monkeypatch, error: BaseException):
    original = sheet_writer._write_sheet
    calls = []

    def write_sheet(book, sheet, *args, **kwargs):
        calls.append(sheet.name)
        if len(calls) > 1:
            raise error
        return original(book, sheet, *args, **kwargs)

    monkeypatch.setattr(sheet_writer, "_write_sheet", write_sheet)
    return calls


def _fail_inside_save(monkeypatch, error: BaseException):
    calls = []

    def save(self, filename):
        calls.append(filename)
        Path(filename).write_bytes(b"PK\x03\x04 half a workbook")  # a partial file
        raise error

    monkeypatch.setattr(openpyxl.Workbook, "save", save)
    return calls


FAILURES = [
    pytest.param(_fail_after_first_sheet, OSError(28, "No space left on device"),
                 id="disk full after the first sheet"),
    pytest.param(_fail_after_first_sheet, KeyboardInterrupt(), id="interrupt after the first "
                 "sheet"),
    pytest.param(_fail_inside_save, OSError(5, "Input/output error"),
                 id="error inside save, partial file"),
    pytest.param(_fail_inside_save, MemoryError(), id="memory error inside save"),
]


@pytest.mark.parametrize("inject, error", FAILURES)
@pytest.mark.parametrize("command", ["run", "dsa"])
def test_failed_write_leaves_earlier_results_intact(earlier, monkeypatch, capsys, inject,
                                                    error, command):
    path, out = earlier
    before = _listing(out)
    input_fingerprint = _fingerprint(path)
    calls = inject(monkeypatch, error)
    with pytest.raises(type(error)):
        main([command, str(path), "--out", str(out)])
    capsys.readouterr()
    assert calls, "the failure was not injected: the results writer changed; update this test"
    after = _listing(out)
    assert sorted(after) == sorted(before), "files appeared or vanished: " \
        f"{sorted(set(after) ^ set(before))}"
    assert after[RESULTS] == before[RESULTS], "the earlier results file was changed"
    assert after == before
    assert _fingerprint(path) == input_fingerprint


@pytest.mark.parametrize("inject, error", FAILURES)
def test_failed_first_write_leaves_nothing(tmp_path, monkeypatch, capsys, inject, error):
    path = _hiv(tmp_path / "hiv.xlsx")
    out = tmp_path / "out"
    inject(monkeypatch, error)
    with pytest.raises(type(error)):
        main(["run", str(path), "--out", str(out)])
    capsys.readouterr()
    left = sorted(p.name for p in out.iterdir()) if out.exists() else []
    assert left == [], f"left behind: {left}"


def test_failed_figure_leaves_earlier_figure_intact(earlier, monkeypatch, capsys):
    path, out = earlier
    figures = {name: data for name, data in _listing(out).items() if name.endswith(".png")}
    assert figures, "cea dsa wrote no figure; update this test"

    def savefig(self, fname, *args, **kwargs):
        Path(fname).write_bytes(b"\x89PNG half a figure")
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(matplotlib.figure.Figure, "savefig", savefig)
    with pytest.raises(OSError):
        main(["dsa", str(path), "--out", str(out)])
    capsys.readouterr()
    after = _listing(out)
    for name, data in figures.items():
        assert after[name] == data, f"{name} was changed by a failed write"
    assert not [n for n in after if n.startswith(".")], "temporary files left"


def test_results_edited_by_the_user_are_kept(earlier, capsys):
    """A results file saved by someone else (not cea) is never replaced: a new name is used."""
    path, out = earlier
    book = openpyxl.load_workbook(out / RESULTS)
    book["summary"]["A1"] = "my notes"
    book.properties.lastModifiedBy = "a reviewer"
    book.save(out / RESULTS)
    edited = (out / RESULTS).read_bytes()
    assert main(["run", str(path), "--out", str(out)]) == 0
    assert "hiv_chancellor_results (2).xlsx" in capsys.readouterr().out
    assert (out / RESULTS).read_bytes() == edited
    assert (out / "hiv_chancellor_results (2).xlsx").is_file()


def test_results_open_in_a_spreadsheet_are_kept(earlier, capsys):
    path, out = earlier
    results = (out / RESULTS).read_bytes()
    (out / f"~${RESULTS}").write_bytes(b"lock")  # Excel's lock file while it is open
    assert main(["run", str(path), "--out", str(out)]) == 0
    capsys.readouterr()
    assert (out / RESULTS).read_bytes() == results
    assert (out / "hiv_chancellor_results (2).xlsx").is_file()


def test_results_are_readable_by_others(earlier_once):
    """A results file has the mode of any file the user creates (a temporary file from
    mkstemp is 0600, and renaming it keeps that mode)."""
    _, out = earlier_once  # the folder cea wrote, not a copy
    umask = os.umask(0)
    os.umask(umask)
    mode = (out / RESULTS).stat().st_mode & 0o777
    assert mode == 0o666 & ~umask, oct(mode)
