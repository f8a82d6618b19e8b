"""The EVPPI sheet with its bar charts, and its figure."""

from __future__ import annotations

import pytest

from cea import api
from cea.analyses.psa import run_psa
from cea.analyses.voi import EVPPIResult
from cea.analyses.voi import evppi_table as evppi
from cea.export import present
from cea.export.evppi import evppi_sheet
from cea.workbook import load_workbook
from tests.helpers.builders import two_state_sheets

WTP = 2000.0


@pytest.fixture(scope="module")
def linear_model(tmp_path_factory):
    """Two strategies; b adds ``qgain`` to the utility of ``alive`` and costs ``extra``
    once. INB = WTP x L x qgain - extra with L the (fixed) discounted life-years, so it is
    linear in both; ``c_care`` is a state cost paid equally under both (no effect on the
    decision). qgain ~ N(0.05, 0.02^2), extra ~ N(500, 300^2)."""
    from cea.api import write_input_workbook

    sheets = two_state_sheets(0.1)
    sheets["settings"] = [r for r in sheets["settings"] if r[0] != "wtp"]
    sheets["settings"] += [["wtp", WTP], ["population", 5000], ["decision_horizon", 3]]
    sheets["parameters"] = [
        ["name", "value", "distribution", "group"],
        ["p_die", 0.1, None, ""],
        ["u_alive", 0.7, None, ""],
        ["gain", 0, None, ""],
        ["qgain", 0.05, "normal(mean=0.05, sd=0.02)", "effects"],
        ["extra", 500, "normal(mean=500, sd=300)", "costs"],
        ["c_care", 100, "gamma(mean=100, se=30)", "costs"],
    ]
    sheets["states"] = [["name", "initial", "utility", "cost_care", "dead"],
                        ["alive", 1, "u_alive + gain", "c_care", "no"],
                        ["dead", 0, 0, 0, "yes"]]
    sheets["strategies"] = [["name", "description", "cost_care", "gain"],
                            ["a", "", 0, None], ["b", "", "extra", "qgain"]]
    sheets["transitions"] = [["from", "to", "a", "b"], ["alive", "alive", "C", "C"],
                             ["alive", "dead", "p_die", "p_die"]]
    path = write_input_workbook(tmp_path_factory.mktemp("voi") / "linear.xlsx", sheets)
    spec = load_workbook(path)
    return run_psa(spec, n_draws=8000, seed=17)


def test_sheet_has_bar_charts(linear_model):
    table = evppi(linear_model)
    sheet = evppi_sheet(table, linear_model.spec.settings.money)
    bars = [b for b in sheet.blocks if b.chart is not None]
    assert sheet.name == "EVPPI" and len(bars) == 1  # one chart per perspective
    wtp = table["wtp"].iloc[0]
    assert bars[0].chart.kind == "bar" and bars[0].chart.y == (f"at {wtp:,.0f}",)  # a bar
    # per threshold; the largest bar drawn on top (bar charts draw the first row lowest)
    assert bars[0].frame[f"at {wtp:,.0f}"].is_monotonic_increasing
    printed = next(b for b in sheet.blocks if not b.data).frame
    column = printed.columns[-1]
    assert printed.iloc[0]["parameter(s)"] == "all (EVPI)"
    assert printed.iloc[0][column] == table["evpi"].iloc[0]
    assert printed[column].iloc[1:].is_monotonic_decreasing
    expected = table.set_index("label")["evppi"]
    for _, row in printed.iloc[1:].iterrows():  # the same numbers as the table of results
        assert row[column] == expected[row["parameter(s)"]]
    present.load()
    names = [s.name for s in present.sheets(EVPPIResult(linear_model, table))]
    assert names[-1] == "EVPPI"


def test_evppi_figure(linear_model, tmp_path):
    paths = api.write_figures([EVPPIResult(linear_model, evppi(linear_model))], tmp_path, "lin")
    assert (tmp_path / "lin_psa_evppi_payer.png") in paths
