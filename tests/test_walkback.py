"""The WalkBack model: calibration to the trial, the trial-fit table, and the scenarios."""

from __future__ import annotations

import openpyxl
import pytest

from cea.analyses.calibration import calibrate, trial_fit
from cea.cli import main
from cea.analyses.scenarios import Change, Scenario, ScenarioError, apply_scenario, run_scenarios
from cea.workbook.reader import load_workbook
from tests.conftest import ROOT, build_script

WORKBOOK = ROOT / "inputs" / "walkback.xlsx"


@pytest.fixture(scope="module")
def walkback():
    return load_workbook(WORKBOOK)


def test_trial_fit_within_tolerance(walkback):
    """Lancet 2024 (Pocovi et al.): median days to activity-limiting recurrence 112 (usual care)
    and 208 (walking), HR 0.72; press reports a 43% lower care-seeking risk (HR 0.57).
    Issue 3 asks for medians within 5% and hazard ratios within 0.02."""
    table = trial_fit(walkback).table.set_index("target")
    fitted = table[table["fitted"] == "yes"]
    medians = fitted[fitted["statistic"] == "median_days"]
    assert len(medians) == 2
    assert (abs(medians["relative difference"]) < 0.05).all()
    ratios = fitted[fitted["statistic"] == "hazard_ratio"]
    assert len(ratios) == 2
    assert (abs(ratios["difference"]) < 0.02).all()


def test_calibrate_reproduces_the_shipped_values(walkback):
    """Fitting the calibration sheet's targets from the workbook's values returns them
    (the shipped values were written by `cea calibrate`, rounded to 6 significant digits)."""
    result = calibrate(walkback, list(walkback.calibration))
    assert result.success
    for row in result.parameters.itertuples():
        shipped = walkback.parameter(row.parameter)
        assert row.fitted == pytest.approx(shipped.value, rel=1e-5), row.parameter
        assert shipped.distribution.inputs["se"] == pytest.approx(row.se, rel=1e-4)


def test_cea_calibrate_writes_fit_and_calibrated_copy(tmp_path, capsys):
    before = WORKBOOK.read_bytes()
    assert main(["calibrate", str(WORKBOOK), "--out", str(tmp_path)]) == 0
    assert WORKBOOK.read_bytes() == before
    copy = load_workbook(tmp_path / "walkback_calibrated.xlsx")
    assert copy.parameter("k_recur").value == pytest.approx(0.530714, rel=1e-5)
    book = openpyxl.load_workbook(tmp_path / "walkback_calibration.xlsx")
    assert "calibration" in book.sheetnames


def test_every_scenario_runs_and_the_swimming_frontier_has_three_strategies(walkback):
    results = run_scenarios(walkback, "all")
    names = [s.name for s, _ in results.results]
    assert names[0] == "base case" and len(names) == len(walkback.scenarios) + 1
    swim = next(b for s, b in results.results if s.name == "swimming as third strategy")
    table = swim.icer_table("healthcare system")
    assert set(table["strategy"]) == {"usual care", "walkback", "swimming"}
    frame = results.to_frame()
    assert set(frame["scenario"]) == set(names)


def test_scenario_changes_apply(walkback):
    """Spot checks: a setting, a parameter, and the strategies compared."""
    scenarios = {s.name: s for s in walkback.scenarios}
    five = apply_scenario(walkback, scenarios["horizon 5 years"])
    assert five.settings.n_cycles == 260
    men = apply_scenario(walkback, scenarios["men"])
    assert men.parameter("p_female").value == 0
    three = apply_scenario(walkback, scenarios["swimming as third strategy"])
    assert three.strategy_names == ("usual care", "walkback", "swimming")
    assert walkback.strategy_names == ("usual care", "walkback")


def test_waning_lowers_the_qaly_gain(walkback):
    results = run_scenarios(walkback, "no effect after 1 year").results
    qalys = [b.icer_table("societal").set_index("strategy")["qaly"] for _, b in results]
    gains = [q["walkback"] - q["usual care"] for q in qalys]
    assert 0 < gains[1] < gains[0]


def test_a_bad_scenario_is_an_input_error(make_workbook):
    sheets = build_script().walkback()
    sheets["scenarios"].append(["broken", "x", "no_such_parameter", 1])
    from cea.workbook.reader import WorkbookError

    with pytest.raises(WorkbookError, match="no_such_parameter"):
        load_workbook(make_workbook(sheets))
    half_week = Scenario("bad", "", (Change("settings.horizon", 1.5, "scenarios!D2"),))
    with pytest.raises(ScenarioError, match="whole number of cycles"):
        apply_scenario(load_workbook(WORKBOOK), half_week)


def test_cli_run_with_scenarios_writes_the_scenarios_and_trial_fit_sheets(tmp_path, capsys):
    assert main(["run", str(WORKBOOK), "--out", str(tmp_path), "--scenarios", "all"]) == 0
    out = capsys.readouterr().out
    assert "Scenario: swimming as third strategy" in out and "Trial fit" in out
    book = openpyxl.load_workbook(tmp_path / "walkback_results.xlsx")
    assert {"summary", "trial fit", "scenarios"} <= set(book.sheetnames)
