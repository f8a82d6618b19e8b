"""Tests for the ``cea`` command (cea.cli), called in process through ``main([...])``.

An invalid workbook makes the command print one line per problem to stderr,
without a traceback, exit with status 2 and write no results.
"""

from __future__ import annotations

import hashlib
import subprocess
import sys
from pathlib import Path

import openpyxl
import pytest

import cea
from cea.cli import main
from tests.helpers.builders import two_state_sheets
from tests.helpers.paths import ROOT

WALKBACK = ROOT / "inputs" / "walkback.xlsx"
HIV = ROOT / "inputs" / "examples" / "hiv_chancellor.xlsx"


def _provenance(path: Path) -> dict:
    sheet = openpyxl.load_workbook(path, read_only=True)["provenance"]
    return {row[0]: row[1] for row in sheet.iter_rows(values_only=True) if row and row[0]}


def _invalid_sheets() -> dict:
    sheets = two_state_sheets()
    sheets["transitions"][2][2] = 1.2  # transitions!C3
    sheets["states"][1][2] = 1.5  # states!C2: utility above 1
    return sheets


# =========================================================================== run
def test_run_walkback_prints_both_perspectives_and_writes_results(tmp_path, capsys):
    out = tmp_path / "out"
    before = hashlib.sha256(WALKBACK.read_bytes()).hexdigest()
    assert main(["run", str(WALKBACK), "--out", str(out)]) == 0
    captured = capsys.readouterr()
    assert "healthcare system perspective" in captured.out
    assert "societal perspective" in captured.out
    assert "usual care" in captured.out and "vs usual care" in captured.out
    assert captured.err == ""

    results = out / "walkback_results.xlsx"
    assert results.is_file()
    assert str(results) in captured.out
    assert not [p.name for p in out.iterdir() if p.name.startswith(".")]  # no temporaries
    assert hashlib.sha256(WALKBACK.read_bytes()).hexdigest() == before  # input unchanged

    book = openpyxl.load_workbook(results, read_only=True)
    assert {"summary", "base case", "inputs", "trace", "provenance"} <= set(book.sheetnames)
    provenance = _provenance(results)
    assert provenance["input file"] == "walkback.xlsx"
    assert provenance["input SHA-256"] == before
    assert provenance["within-cycle correction"].startswith("half-cycle")
    assert "time point" in provenance["discount timing"]
    assert "costs 0.05 a year, outcomes 0.05 a year" in provenance["discount rates"]


def test_run_hiv_prints_the_published_icer(tmp_path, capsys):
    assert main(["run", str(HIV), "--out", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "6,276 vs monotherapy" in out
    assert "health service perspective" in out
    assert (tmp_path / "hiv_chancellor_results.xlsx").is_file()


# =========================================================================== validate
def test_validate_valid_workbook(make_workbook, capsys):
    path = make_workbook(two_state_sheets())
    assert main(["validate", str(path)]) == 0
    captured = capsys.readouterr()
    assert "no problems found" in captured.out
    assert "1 parameters (1 free), 2 states, 1 strategies, 10 cycles" in captured.out
    assert captured.err == ""


def test_validate_invalid_workbook(make_workbook, capsys):
    path = make_workbook(_invalid_sheets())
    assert main(["validate", str(path)]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    lines = captured.err.splitlines()
    assert lines[0] == f"{path}: 2 problem(s) found; nothing was written."
    assert "  states!C2: utility 1.5 is above 1 (full health); it must be <= 1" in lines
    assert "  transitions!C3: probability 1.2 must be in [0, 1]" in lines
    assert "Traceback" not in captured.err


@pytest.mark.parametrize("out_exists", [False, True], ids=["out absent", "out empty"])
def test_run_invalid_workbook_writes_nothing(make_workbook, tmp_path, capsys, out_exists):
    path = make_workbook(_invalid_sheets())
    out = tmp_path / "results"
    if out_exists:
        out.mkdir()
    assert main(["run", str(path), "--out", str(out)]) == 2
    captured = capsys.readouterr()
    assert "Traceback" not in captured.err
    assert "transitions!C3: probability 1.2 must be in [0, 1]" in captured.err
    assert "nothing was written" in captured.err
    assert "perspective" not in captured.out
    if out_exists:
        assert list(out.iterdir()) == []
    else:
        assert not out.exists()


def test_run_missing_file(tmp_path, capsys):
    missing = tmp_path / "nope.xlsx"
    assert main(["run", str(missing), "--out", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err
    assert f"{missing}: no such file" in err
    assert not (tmp_path / "out").exists()


def test_unknown_table_in_a_parameter_is_reported_at_its_cell(make_workbook, capsys):
    sheets = two_state_sheets()
    sheets["parameters"][1][1] = "lookup(life, qx, 50)"
    status = main(["validate", str(make_workbook(sheets))])
    err = capsys.readouterr().err
    assert "Traceback" not in err
    assert status == 2
    assert "parameters!B2" in err and "unknown table 'life'" in err


# =========================================================================== template
def _fill(template: Path, sheets: dict) -> None:
    """Write the rows of ``sheets`` into the template's sheets (under matching headers)."""
    book = openpyxl.load_workbook(template)
    settings = book["settings"]
    row_of = {settings.cell(r, 1).value: r for r in range(2, settings.max_row + 1)}
    for key, value in sheets["settings"][1:]:
        settings.cell(row_of[key], 2, value)
    for name in ("parameters", "states", "strategies", "transitions"):
        ws = book[name]
        headers = [c.value for c in ws[1] if c.value is not None]
        for header in sheets[name][0]:
            if header not in headers:
                headers.append(header)
                ws.cell(1, len(headers), header)
        for values in sheets[name][1:]:
            row = ws.max_row + 1
            for header, value in zip(sheets[name][0], values):
                ws.cell(row, headers.index(header) + 1, value)
    book.save(template)


def test_template_then_fill_then_validate(tmp_path, capsys):
    path = tmp_path / "new.xlsx"
    assert main(["template", str(path)]) == 0
    assert path.is_file()
    assert f"written to {path}" in capsys.readouterr().out
    book = openpyxl.load_workbook(path, read_only=True)
    assert {"settings", "parameters", "states", "strategies", "transitions"} <= set(
        book.sheetnames)
    book.close()

    content = path.read_bytes()
    assert main(["template", str(path)]) == 2
    err = capsys.readouterr().err
    assert "exists" in err and "--force" in err
    assert path.read_bytes() == content
    assert main(["template", str(path), "--force"]) == 0
    capsys.readouterr()

    assert main(["validate", str(path)]) == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err
    assert "states: no states" in err
    assert "strategies: no strategies" in err
    assert "settings: setting 'model_name' is missing" in err
    assert "settings: setting 'perspectives' is missing" in err

    _fill(path, two_state_sheets())
    assert main(["validate", str(path)]) == 0, capsys.readouterr().err
    assert "no problems found" in capsys.readouterr().out


# =========================================================================== entry point
def test_python_dash_m_version():
    result = subprocess.run([sys.executable, "-m", "cea", "--version"], cwd=ROOT,
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == f"cea {cea.__version__}"


def test_hiv_through_the_cli_matches_the_published_model(tmp_path, capsys):
    """Briggs, Claxton & Sculpher (2006) Example 2.5 as reproduced by heemod's test_dmhee.R:
    costs 44663.4535637 / 50601.6513312, life-years 7.9912066 / 8.9373889, ICER 6275.95560.
    The numbers are read back from the results workbook that `cea run` writes."""
    hiv = ROOT / "inputs" / "examples" / "hiv_chancellor.xlsx"
    assert main(["run", str(hiv), "--out", str(tmp_path)]) == 0
    capsys.readouterr()
    ws = openpyxl.load_workbook(tmp_path / "hiv_chancellor_results.xlsx")["summary"]
    rows = {r[0]: r for r in ws.iter_rows(values_only=True) if r[0] in ("monotherapy",
                                                                         "combination")}
    assert rows["monotherapy"][1] == pytest.approx(44663.4535637, rel=1e-6)
    assert rows["combination"][1] == pytest.approx(50601.6513312, rel=1e-6)
    assert rows["monotherapy"][2] == pytest.approx(7.9912066, rel=1e-6)
    assert rows["combination"][2] == pytest.approx(8.9373889, rel=1e-6)
    assert rows["combination"][5] == pytest.approx(6275.95560, rel=1e-6)


def test_unknown_scenario_is_refused_before_anything_runs(tmp_path, capsys, monkeypatch):
    """`--scenarios foo` names no scenario of the workbook: refused with the names it has,
    before the base case runs (nothing printed, nothing written)."""
    import cea.api as api

    def fail(*args, **kwargs):
        raise AssertionError("the base case ran before the names were checked")

    monkeypatch.setattr(api, "base_case", fail)
    status = main(["run", str(WALKBACK), "--scenarios", "foo", "--out", str(tmp_path / "o")])
    captured = capsys.readouterr()
    assert status != 0 and "unknown scenario(s) ['foo']" in captured.out + captured.err
    assert "effect persists" in captured.out + captured.err
    assert not (tmp_path / "o").exists()


@pytest.mark.parametrize("command, unused", [
    (["--version"], ("numpy", "pandas", "scipy", "numba", "openpyxl", "matplotlib", "SALib")),
    (["validate", "inputs/walkback.xlsx"], ("pandas", "scipy", "numba", "matplotlib", "SALib")),
])
def test_quick_commands_import_only_what_they_use(command, unused):
    """`cea --version` and `cea validate` start in well under a second because they leave
    the heavy libraries unimported (the seconds are measured in benchmarks/startup.py)."""
    code = (f"import sys\nfrom cea.cli import main\ntry:\n    main({command!r})\n"
            f"except SystemExit:\n    pass\nprint(sorted(m for m in {unused!r} "
            "if m in sys.modules))")
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True,
                            text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == "[]"
