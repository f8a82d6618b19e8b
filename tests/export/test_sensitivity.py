"""Sheets and figures of the deterministic sensitivity analyses."""

from __future__ import annotations

import openpyxl

from cea import api
from cea.analyses.base_case import run_base_case
from cea.analyses.one_way import one_way
from cea.analyses.threshold import threshold
from cea.analyses.two_way import two_way

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def test_sheets_and_figures(walkback, tmp_path):
    """Every result gives sheets the results workbook takes, and non-empty PNGs."""
    results = [one_way(walkback), two_way(walkback, "hr_al", "c_physio_standard", points=5),
               threshold(walkback, "hr_al")]
    path = api.write_results(run_base_case(walkback), tmp_path, results)
    book = openpyxl.load_workbook(path)
    assert {"one-way", "threshold hr_al"} <= set(book.sheetnames)
    assert len(book["one-way"]._charts) == len(walkback.settings.perspectives)
    figures = api.write_figures(results, tmp_path, "walkback")
    assert len(figures) == 2 + 2 + 1
    for figure in figures:
        data = figure.read_bytes()
        assert data.startswith(PNG_MAGIC) and len(data) > 10_000, figure
