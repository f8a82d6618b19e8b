"""Scenario analysis: every scenario of the WalkBack workbook through the engine."""

from __future__ import annotations

import openpyxl

from cea.analyses.scenarios import run_scenarios
from cea.cli import main
from tests.helpers.paths import ROOT

WORKBOOK = ROOT / "inputs" / "walkback.xlsx"


def test_every_scenario_runs_and_the_swimming_frontier_has_three_strategies(walkback):
    results = run_scenarios(walkback, "all")
    names = [s.name for s, _ in results.results]
    assert names[0] == "base case" and len(names) == len(walkback.scenarios) + 1
    swim = next(b for s, b in results.results if s.name == "swimming as third strategy")
    table = swim.icer_table("healthcare system")
    assert set(table["strategy"]) == {"usual care", "walkback", "swimming"}
    frame = results.to_frame()
    assert set(frame["scenario"]) == set(names)


def test_waning_lowers_the_qaly_gain(walkback):
    results = run_scenarios(walkback, "no effect after 1 year").results
    qalys = [b.icer_table("societal").set_index("strategy")["qaly"] for _, b in results]
    gains = [q["walkback"] - q["usual care"] for q in qalys]
    assert 0 < gains[1] < gains[0]


def _fewer_draws(folder):
    """The shipped WalkBack workbook with psa_draws 1,000 instead of 5,000, the draws of each
    PSA of the stepped evaluation that ``cea run`` prints: everything else, the scenarios and
    trial fit read here among it, is printed and written the same."""
    book = openpyxl.load_workbook(WORKBOOK)
    row = next(r for r in book["settings"].iter_rows() if r[0].value == "psa_draws")
    row[1].value = 1000
    folder.mkdir()
    book.save(folder / WORKBOOK.name)
    return folder / WORKBOOK.name


def test_cli_run_with_scenarios_writes_the_scenarios_and_trial_fit_sheets(tmp_path, capsys):
    workbook = _fewer_draws(tmp_path / "in")
    assert main(["run", str(workbook), "--out", str(tmp_path), "--scenarios", "all"]) == 0
    out = capsys.readouterr().out
    assert "Scenario: swimming as third strategy" in out and "Trial fit" in out
    book = openpyxl.load_workbook(tmp_path / "walkback_results.xlsx")
    assert {"summary", "trial fit", "scenarios"} <= set(book.sheetnames)
