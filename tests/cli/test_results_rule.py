"""Results are never lost and never mixed: ``cea run`` writes ``<model>_results.xlsx``,
every other command ``<model>_<analysis>.xlsx``; an analysis's figures and tables are
replaced together (cea.export.results)."""

from __future__ import annotations

import hashlib

import openpyxl

import tests.helpers.faults as tw
from cea.api import write_input_workbook
from cea.cli import main


def _hiv(path):
    """The HIV example with a second uncertain parameter (Sobol needs two)."""
    sheets = tw.BUILD.hiv_chancellor()
    tw.put(sheets["parameters"], "c_a", "low", 2000)
    tw.put(sheets["parameters"], "c_a", "high", 3500)
    tw.put(sheets["parameters"], "c_a", "distribution", "gamma(mean=2756, se=275.6)")
    return write_input_workbook(path, sheets)


def _digest(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_run_all_then_dsa_then_psa_follow_the_rule(tmp_path, capsys):
    workbook, out = _hiv(tmp_path / "hiv.xlsx"), tmp_path / "outputs"
    assert main(["run", "--all", str(workbook), "--out", str(out)]) == 0
    results = out / "hiv_chancellor_results.xlsx"
    full = openpyxl.load_workbook(results).sheetnames
    assert {"one-way", "PSA", "EVPPI", "gsa sobol"} <= set(full)
    before = _digest(results)
    stale = out / "hiv_chancellor_tornado_an_old_perspective.png"
    stale.write_bytes(b"from an earlier run")
    evppi_figures = sorted(out.glob("hiv_chancellor_psa_evppi_*.png"))
    assert evppi_figures

    assert main(["dsa", str(workbook), "--out", str(out)]) == 0
    assert main(["psa", str(workbook), "--out", str(out), "--draws", "500"]) == 0
    printed = capsys.readouterr().out

    assert _digest(results) == before  # the run --all workbook is never replaced
    assert openpyxl.load_workbook(results).sheetnames == full
    one_way = openpyxl.load_workbook(out / "hiv_chancellor_one_way.xlsx").sheetnames
    psa = openpyxl.load_workbook(out / "hiv_chancellor_psa.xlsx").sheetnames
    assert "one-way" in one_way and "PSA" not in one_way
    assert "PSA" in psa and "one-way" not in psa and "EVPPI" not in psa
    assert "hiv_chancellor_one_way.xlsx" in printed and "hiv_chancellor_psa.xlsx" in printed
    assert not stale.exists()  # a figure of the analysis the run did not write again
    assert sorted(out.glob("hiv_chancellor_psa_evppi_*.png")) == evppi_figures  # not psa's
    for report in ("hiv_chancellor_report.md", "hiv_chancellor_one_way_report.md",
                   "hiv_chancellor_psa_report.md"):
        assert (out / report).is_file()
    # each file says what it holds
    for name, part in (("results", "Sobol indices"), ("one_way", "one-way analysis"),
                       ("psa", "probabilistic analysis (500 draws)")):
        ws = openpyxl.load_workbook(out / f"hiv_chancellor_{name}.xlsx")["summary"]
        text = [c for row in ws.iter_rows(values_only=True) for c in row if c]
        assert f"This file: hiv_chancellor_{name}.xlsx" in text and part in text, name
