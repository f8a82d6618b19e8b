"""The results workbook a payer reads: complete, safe, whole, and readable by a real
spreadsheet application (LibreOffice converts it to PDF)."""

from __future__ import annotations

import re
import shutil
import subprocess

import numpy as np
import openpyxl
import pytest

from cea import api
from cea.analyses.gsa import GSAWarning, sobol
from cea.analyses.one_way import one_way
from cea.analyses.scenarios import run_scenarios
from cea.export import sheet_writer
from tests.helpers.builders import build_script, two_state_sheets
from tests.helpers.paths import ROOT

WALKBACK = ROOT / "inputs" / "walkback.xlsx"
HIV = ROOT / "inputs" / "examples" / "hiv_chancellor.xlsx"
SOFFICE = shutil.which("soffice") or shutil.which("libreoffice")


@pytest.fixture(scope="module")
def every_kind(tmp_path_factory):
    """Results workbooks of each kind: base case only (HIV), and WalkBack with one-way,
    scenarios and Sobol sheets."""
    out = tmp_path_factory.mktemp("results")
    hiv = api.load(HIV)
    paths = [api.write_results(api.base_case(hiv), out / "hiv")]
    model = api.load(WALKBACK)
    with pytest.warns(GSAWarning):  # n = 16 is far too small to converge; fine for layout
        analyses = [one_way(model), run_scenarios(model, "all"), sobol(model, n=16)]
    paths.append(api.write_results(api.base_case(model), out / "walkback", analyses))
    return paths


def test_sheets_in_reading_order_with_charts(every_kind):
    hiv, walkback = (openpyxl.load_workbook(p) for p in every_kind)
    assert hiv.sheetnames == ["summary", "base case", "inputs", "trace", "per cycle",
                              "transition matrices", "provenance", "chart data"]
    names = walkback.sheetnames
    assert names[:2] == ["summary", "base case"] and names[-6:] == [
        "inputs", "trace", "per cycle", "transition matrices", "provenance", "chart data"]
    assert {"one-way", "scenarios", "gsa sobol"} <= set(names)
    assert walkback["one-way"]._charts and walkback["gsa sobol"]._charts
    for ws in walkback.worksheets:
        assert ws.sheet_view.showGridLines is False


def test_summary_states_the_decision(every_kind):
    ws = openpyxl.load_workbook(every_kind[1])["summary"]
    text = [str(v) for row in ws.iter_rows(values_only=True) for v in row if v is not None]
    assert any("healthcare system perspective" in t for t in text)
    assert "dominant" in text or any(t.replace(",", "").replace(".", "").isdigit()
                                     for t in text)
    assert any("AUD 2024" in t for t in text)


@pytest.mark.skipif(SOFFICE is None, reason="LibreOffice (soffice) is not installed; .ci/run "
                    "installs Debian's libreoffice-calc-nogui")
def test_libreoffice_converts_every_kind_to_pdf(every_kind, tmp_path):
    for path in every_kind:
        done = subprocess.run([SOFFICE, "--headless", "--convert-to", "pdf", "--outdir",
                               str(tmp_path), str(path)], capture_output=True, timeout=180)
        pdf = tmp_path / (path.stem + ".pdf")
        assert done.returncode == 0 and pdf.exists(), done.stderr.decode()[-500:]
        assert pdf.read_bytes().startswith(b"%PDF")


def test_text_from_inputs_is_never_a_formula(make_workbook, tmp_path):
    sheets = two_state_sheets()
    sheets["parameters"][1][3] = '=HYPERLINK("http://x","y")'
    sheets["parameters"][1][4] = "+1+1"
    model = api.load(make_workbook(sheets))
    path = api.write_results(api.base_case(model), tmp_path)
    ws = openpyxl.load_workbook(path)["inputs"]
    # description and source print together under the parameter: still text, not a formula
    cells = [c for row in ws.iter_rows() for c in row if isinstance(c.value, str)
             and c.value.startswith('=HYPERLINK("http://x","y")')]
    assert len(cells) == 1 and "Source: +1+1" in cells[0].value
    assert cells[0].data_type == "s"
    raw = __import__("zipfile").ZipFile(path).read("xl/worksheets/sheet3.xml").decode()
    assert "<f>" not in raw


def test_an_interrupted_export_leaves_the_old_file_and_no_partial(tmp_path, monkeypatch):
    model = api.load(HIV)
    base = api.base_case(model)
    path = api.write_results(base, tmp_path)
    before = path.read_bytes()
    calls = {"n": 0}
    real = sheet_writer._write_sheet

    def fail_after_first(*args, **kwargs):
        calls["n"] += 1
        if calls["n"] > 1:
            raise RuntimeError("disk full (injected)")
        return real(*args, **kwargs)

    monkeypatch.setattr(sheet_writer, "_write_sheet", fail_after_first)
    with pytest.raises(RuntimeError, match="injected"):
        api.write_results(base, tmp_path)
    assert path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == [path.name]


def test_a_results_file_open_or_saved_elsewhere_is_not_overwritten(tmp_path):
    model = api.load(HIV)
    base = api.base_case(model)
    first = api.write_results(base, tmp_path)
    assert api.write_results(base, tmp_path) == first  # ours, closed: replaced
    lock = tmp_path / f"~${first.name}"
    lock.write_bytes(b"x")
    second = api.write_results(base, tmp_path)
    assert second.name == "hiv_chancellor_results (2).xlsx"
    lock.unlink()
    book = openpyxl.load_workbook(first)
    book.properties.lastModifiedBy = "someone"
    book.save(first)
    third = api.write_results(base, tmp_path)
    assert third != first and first.exists()


def _small_walkback(tmp_path):
    """The shipped WalkBack definition with 1,024 PSA draws and a Sobol N of 256: the same
    sheets and analyses as the shipped workbook, in a fraction of the time."""
    sheets = build_script().walkback()
    for row in sheets["settings"]:
        if row[0] in ("psa_draws", "sobol_n"):
            row[1] = {"psa_draws": 1024, "sobol_n": 256}[row[0]]
    return api.write_input_workbook(tmp_path / "walkback.xlsx", sheets)


def test_run_all_writes_workbook_figures_and_report(tmp_path, capsys):
    """Issue 7: `cea run --all` on the WalkBack model writes one results workbook with a
    sheet per analysis, the PNGs and the report; LibreOffice opens the workbook."""
    from cea.cli import main

    workbook = _small_walkback(tmp_path / "in")
    assert main(["run", "--all", str(workbook), "--out", str(tmp_path)]) == 0
    printed = capsys.readouterr().out
    assert "Stepped evaluation" in printed and "Consequences per 1,000 people" in printed
    summary = openpyxl.load_workbook(tmp_path / "walkback_results.xlsx")["summary"]
    decision = summary.cell(row=1, column=1).value
    assert decision.startswith("The decision: At AUD 28,033 per QALY")
    assert "in the PSA)" in decision
    book = openpyxl.load_workbook(tmp_path / "walkback_results.xlsx")
    expected = {"summary", "base case", "scenarios", "stepped evaluation", "trial fit",
                "one-way", "PSA",
                "PSA CE plane", "PSA CEAC and EVPI", "EVPPI", "gsa sobol", "inputs",
                "trace", "provenance"}
    assert expected <= set(book.sheetnames), set(book.sheetnames)
    charted = [ws.title for ws in book.worksheets if ws._charts]
    assert {"one-way", "PSA CE plane", "PSA CEAC and EVPI", "EVPPI", "gsa sobol"} <= set(charted)
    pngs = {p.name for p in tmp_path.glob("*.png")}
    for part in ("diagram", "trace", "tornado", "psa_ce_plane", "psa_ceac", "psa_evppi",
                 "sobol"):
        assert any(part in name for name in pngs), part
    report = (tmp_path / "walkback_report.md").read_text()
    assert "## 23. Main results" in report and "walkback_psa_ceac" in report
    assert "## Stepped evaluation" in report and "### Consequences per 1,000" in report
    if SOFFICE:
        done = subprocess.run([SOFFICE, "--headless", "--convert-to", "pdf", "--outdir",
                               str(tmp_path / "pdf"), str(tmp_path / "walkback_results.xlsx")],
                              capture_output=True, timeout=300)
        pdf = tmp_path / "pdf" / "walkback_results.pdf"
        assert done.returncode == 0 and pdf.exists()
        _check_printed(pdf, tmp_path / "pages")
    _check_one_page_wide(book)


def _check_one_page_wide(book) -> None:
    """The chart data, trace, per cycle and transition matrices sheets print nothing (their
    print area is one empty cell); every other sheet fits A4 landscape's width at its own
    print scale, never below 60%: the sum of its column widths in points (7.2 a character,
    measured in LibreOffice, see layout.width_pt) times the scale is within 11.69 in less
    1 in of margins."""
    from cea.export.layout import width_pt

    page = (11.69 - 1.0) * 72
    for ws in book.worksheets:
        if ws.title in (sheet_writer.DATA_SHEET, "trace", "per cycle", "transition matrices"):
            area = ws.print_area.split("!")[-1].replace("$", "").split(":")[0]
            assert ws[area].value is None, (ws.title, area)
            continue
        scale = ws.page_setup.scale / 100
        used = [ws.column_dimensions[c].width for c in ws.column_dimensions
                if ws.column_dimensions[c].width]
        assert scale >= 0.6, (ws.title, scale)
        assert sum(width_pt(w) for w in used) * scale <= page, (ws.title, used, scale)


def _pages(pdf) -> list[str]:
    """The text of every page, laid out as printed (pdftotext -layout)."""
    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True,
                          text=True, check=True).stdout
    return text.split("\f")[:-1]


def _check_printed(pdf, out) -> None:
    """What a reader of the printed workbook sees:

    * the summary's ICER table: each header stands above its own numbers (the right edge
      of "QALYs" within 3 characters of the right edge of the QALYs of walkback, numbers
      and their headers right-aligned);
    * the whole workbook prints in fewer than 30 pages (issue 14), each page headed by
      its sheet's name;
    * the chart data (PSA draws and curves) are not printed: no page of the data sheet,
      and no page is a page of draws;
    * the CE plane is drawn: its page, rendered, has points in the first series' colour.
    """
    pages = _pages(pdf)
    first = next(p for p in pages if "total cost" in p).splitlines()  # the summary's table
    header = next(i for i, line in enumerate(first)
                  if line.lstrip().startswith("strategy") and "QALYs" in line)
    row = next(line for line in first[header:] if line.lstrip().startswith("walkback"))
    qaly_end = first[header].index("QALYs") + len("QALYs")
    number = next(re.finditer(r"\d\.\d{3}\b", row))
    assert abs(number.end() - qaly_end) <= 3, (first[header], row)
    assert len(pages) < 30, len(pages)
    assert all("sheet: " in p.splitlines()[0] for p in pages if p.strip())
    assert not [p for p in pages if "Data behind the charts" in p]
    assert not [p for p in pages if p.count("walkback vs usual care") > 20]
    plane = next(i for i, p in enumerate(pages) if "Cost-effectiveness plane" in p)
    out.mkdir()
    subprocess.run(["pdftoppm", "-r", "60", "-png", "-f", str(plane + 1), "-l",
                    str(plane + 1), str(pdf), str(out / "plane")], check=True)
    from PIL import Image

    rgb = np.asarray(Image.open(next(out.glob("plane*.png"))).convert("RGB")).astype(int)
    r, g, b = rgb[..., 0], rgb[..., 1], rgb[..., 2]
    blue = int(((r < 60) & (g > 80) & (g < 150) & (b > 140)).sum())
    assert blue > 40, blue  # the points of the CE plane, in the palette's first colour
