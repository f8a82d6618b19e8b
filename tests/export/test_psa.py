"""The PSA's sheets, native charts, figures, CSV for R and summary block."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd
import pytest

from cea import api
from cea.analyses.base_case import run_base_case
from cea.export import present
from tests.helpers.paths import ROOT

WALKBACK = ROOT / "inputs" / "walkback.xlsx"


def test_sheets_and_native_charts(walkback_psa, tmp_path):
    present.load()
    sheets = present.sheets(walkback_psa)
    assert [s.name for s in sheets] == ["PSA", "PSA CE plane", "PSA CEAC and EVPI",
                                        "PSA convergence"]
    kinds = {s.name: [b.chart.kind for b in s.blocks if b.chart] for s in sheets}
    n_persp = len(walkback_psa.perspectives)
    assert kinds["PSA CE plane"] == ["scatter"] * n_persp
    # CEAC, CEAF, expected loss and EVPI, each a chart per perspective
    assert kinds["PSA CEAC and EVPI"] == ["line"] * 4 * n_persp
    plane = sheets[1].blocks[0]
    thresholds = [c for c in plane.frame.columns if c.startswith("threshold ")]
    assert len(thresholds) == len(walkback_psa.spec.settings.wtp)
    assert plane.chart.y == tuple(plane.frame.columns[1:])
    path = api.write_results(run_base_case(walkback_psa.spec), tmp_path, [walkback_psa])
    book = openpyxl.load_workbook(path)
    assert {"PSA", "PSA CE plane", "PSA CEAC and EVPI"} <= set(book.sheetnames)
    assert len(book["PSA CE plane"]._charts) == n_persp


def test_figures_are_written(walkback_psa, tmp_path):
    paths = api.write_figures([walkback_psa], tmp_path, "wb")
    names = {p.name for p in paths}
    assert "wb_psa_ce_plane_societal.png" in names and "wb_psa_ceac_societal.png" in names
    assert len(paths) == 4 * len(walkback_psa.perspectives)
    for p in paths:
        assert p.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and p.stat().st_size > 10_000


def test_csv_layouts_for_r(walkback_psa, tmp_path):
    """Long: one line per draw and strategy; wide: draws x strategies (dampack's cost and
    effectiveness, BCEA's cost and eff); parameters read back bit for bit."""
    paths = {Path(p).name: p for p in api.write_files([walkback_psa], tmp_path, "wb")}
    strategies = list(walkback_psa.strategies)
    long = pd.read_csv(paths["wb_psa_draws.csv"])
    assert list(long.columns[:2]) == ["draw", "strategy"]
    assert len(long) == 2000 * len(strategies) and long["draw"].iloc[-1] == 2000
    qaly = pd.read_csv(paths["wb_psa_qaly.csv"])
    assert list(qaly.columns) == strategies and len(qaly) == 2000
    assert np.array_equal(qaly.to_numpy(), walkback_psa.qaly)
    cost = pd.read_csv(paths["wb_psa_cost_societal.csv"])
    assert np.array_equal(cost.to_numpy(), walkback_psa.costs["societal"])
    params = pd.read_csv(paths["wb_psa_parameters.csv"])
    assert np.array_equal(params.to_numpy(), walkback_psa.parameters.to_numpy())
    assert long.loc[long["strategy"] == strategies[1], "qaly"].to_numpy() == \
        pytest.approx(walkback_psa.qaly[:, 1], rel=0, abs=0)


def test_summary_block_and_grid(walkback_psa):
    present.load()
    block = present.summary(walkback_psa)[0]
    frame = block.frame
    n_cases = len(walkback_psa.perspectives) * len(walkback_psa.spec.settings.wtp)
    assert len(frame) == n_cases
    probabilities = frame[[c for c in frame.columns if c.startswith("P(cost-effective)")]]
    assert np.allclose(probabilities.sum(axis=1), 1.0)
    grid = walkback_psa.wtp_grid()
    icers = walkback_psa.icer_table(walkback_psa.perspectives[-1])["icer"].dropna()
    inside = icers[(icers > 0) & (icers < grid[-1])]
    assert set(inside) <= set(grid)
