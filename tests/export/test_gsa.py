"""Sheets and figures of Sobol indices and Morris screening."""

from __future__ import annotations

import warnings

import openpyxl

from cea import api
from cea.analyses import gsa
from cea.analyses.base_case import run_base_case


def test_sheets_and_figures(walkback, tmp_path):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", gsa.GSAWarning)
        sobol = gsa.sobol(walkback, n=64)
    morris = gsa.morris(walkback, trajectories=4)
    path = api.write_results(run_base_case(walkback), tmp_path, [sobol, morris])
    book = openpyxl.load_workbook(path)
    for name in ("gsa sobol", "gsa morris"):
        charts = book[name]._charts
        assert len(charts) == len(walkback.settings.perspectives)  # main outcome per persp.
    paths = api.write_figures([sobol, morris], tmp_path, "walkback")
    assert len(paths) == 14 and len(set(paths)) == 14
    assert all(p.read_bytes()[:4] == b"\x89PNG" for p in paths)
