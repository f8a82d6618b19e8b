"""What a payer sees of the budget impact (issue 16): ``cea budget`` on the shipped WalkBack
workbook prints the five-year table, writes the budget workbook (its sheet, native
charts), the PNG, the CSV and the report section, and LibreOffice prints the sheet with
its chart drawn."""

from __future__ import annotations

import shutil
import subprocess

import openpyxl
import pandas as pd
import pytest

from cea import api
from cea.cli import main
from tests.helpers.paths import ROOT

WALKBACK = ROOT / "inputs" / "walkback.xlsx"
SOFFICE = shutil.which("soffice") or shutil.which("libreoffice")


@pytest.fixture(scope="module")
def budget_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("budget")
    import contextlib
    import io

    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        status = main(["budget", str(WALKBACK), "--out", str(out), "--draws", "200"])
    assert status == 0
    return out, printed.getvalue()


def test_cea_budget_prints_the_five_year_table(budget_run):
    _, printed = budget_run
    result = api.budget(api.load(WALKBACK))
    lines = printed.splitlines()
    header = next(line for line in lines if line.lstrip().startswith("line")
                  and "year 5" in line)
    assert header.split()[1:] == ["year", "1", "year", "2", "year", "3", "year", "4", "year",
                                  "5", "years", "1-5"]
    net = next(line for line in lines if line.startswith("net budget impact "))
    assert net.split()[3:] == [f"{v:,.0f}" for v in [*result.net, result.net.sum()]]
    assert any(line.startswith("work days lost averted") for line in lines)


def test_the_budget_workbook_csv_figure_and_report(budget_run):
    out, _ = budget_run
    book = openpyxl.load_workbook(out / "walkback_budget.xlsx")
    ws = book["budget impact"]
    assert len(ws._charts) == 2  # costs by year (columns) and the tornado (bars)
    assert {type(c).__name__ for c in ws._charts} == {"BarChart"}
    assert {c.type for c in ws._charts} == {"col", "bar"}
    text = [str(v) for row in ws.iter_rows(values_only=True) for v in row if v is not None]
    assert any(t.startswith("Budget impact of funding walkback, healthcare system") for t in text)
    assert "net budget impact, 95% interval low" in text
    csv = pd.read_csv(out / "walkback_budget.csv")
    assert list(csv["year"]) == ["1", "2", "3", "4", "5", "1-5"]
    assert {"net_budget_impact", "net_low", "net_high", "treated"} <= set(csv.columns)
    assert (out / "walkback_budget.png").stat().st_size > 10_000
    report = (out / "walkback_budget_report.md").read_text(encoding="utf-8")
    assert "## Budget impact" in report and "](walkback_budget.png)" in report
    assert report.count("walkback_budget.png") == 1  # in its section, not again in 24


@pytest.mark.skipif(SOFFICE is None, reason="LibreOffice (soffice) is not installed; .ci/run "
                    "installs Debian's libreoffice-calc-nogui")
def test_libreoffice_prints_the_budget_sheet_with_its_chart(budget_run, tmp_path):
    out, _ = budget_run
    done = subprocess.run([SOFFICE, "--headless", "--convert-to", "pdf", "--outdir",
                           str(tmp_path), str(out / "walkback_budget.xlsx")],
                          capture_output=True, timeout=180)
    pdf = tmp_path / "walkback_budget.pdf"
    assert done.returncode == 0 and pdf.exists(), done.stderr.decode()[-500:]
    pages = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True,
                           text=True, check=True).stdout.split("\f")
    budget = [p for p in pages if "sheet: budget impact" in p]
    assert 1 <= len(budget) <= 4, len(budget)
    # the column chart's axis title and legend are drawn only when the chart renders
    first = budget[0]
    assert "budget year" in first and "total cost, world without" in first
    assert "net budget impact" in first
    assert "Averted by funding walkback" in "".join(budget)
