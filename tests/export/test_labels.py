"""Parameters named in plain words: the parameters sheet's ``label`` column wherever the
results name a parameter; a blank label leaves the name; groups keep their names."""

from __future__ import annotations

import pytest

from cea import api
from cea.analyses.one_way import one_way
from cea.analyses.psa import run_psa
from cea.analyses.voi import EVPPIResult
from cea.analyses.voi import evppi_table as evppi
from cea.export import present
from cea.export.inputs import inputs_sheet
from tests.helpers.builders import two_state_sheets


@pytest.fixture(scope="module")
def labelled(tmp_path_factory):
    """Two strategies; b adds ``qgain`` (labelled "QALY gain") to the utility and costs
    ``extra`` (no label) once."""
    sheets = two_state_sheets(0.1)
    sheets["parameters"] = [
        ["name", "value", "label", "description", "low", "high", "distribution", "group"],
        ["p_die", 0.1, None, "death", None, None, None, ""],
        ["qgain", 0.05, "QALY gain", "utility gain", 0.01, 0.09,
         "normal(mean=0.05, sd=0.02)", "effects"],
        ["extra", 500, None, "programme cost", 200, 800, "normal(mean=500, sd=300)", "costs"],
    ]
    sheets["states"] = [["name", "initial", "utility", "cost_care", "dead"],
                        ["alive", 1, "0.8 + gain", 1, "no"], ["dead", 0, 0, 0, "yes"]]
    sheets["parameters"].append(["gain", 0, None, "", None, None, None, ""])
    sheets["strategies"] = [["name", "description", "cost_care", "gain"],
                            ["a", "", 0, None], ["b", "", "extra", "qgain"]]
    sheets["transitions"] = [["from", "to", "a", "b"], ["alive", "alive", "C", "C"],
                             ["alive", "dead", "p_die", "p_die"]]
    path = api.write_input_workbook(tmp_path_factory.mktemp("labels") / "m.xlsx", sheets)
    return api.load(path)


def _printed(sheet, title_start):
    return next(b for b in sheet.blocks if b.title.startswith(title_start) and not b.data)


def test_the_reader_keeps_the_label(labelled):
    labels = {p.name: p.label for p in labelled.parameters}
    assert labels == {"p_die": "", "qgain": "QALY gain", "extra": "", "gain": ""}


def test_tornado_names_parameters_by_label(labelled):
    present.load()
    [sheet] = present.sheets(one_way(labelled))
    table = _printed(sheet, "Tornado:").frame
    assert set(table["parameter"]) == {"QALY gain", "extra"}
    chart = next(b for b in sheet.blocks if b.chart is not None)
    assert {label.split(" (")[0] for label in chart.frame["label"]} == {"QALY gain", "extra"}


def test_psa_and_evppi_name_parameters_by_label_and_groups_by_name(labelled):
    present.load()
    psa = run_psa(labelled, n_draws=400, seed=3)
    sheet = present.sheets(psa)[0]
    sampled = next(b for b in sheet.blocks if b.title.startswith("Sampled parameters")).frame
    assert list(sampled["parameter"]) == ["QALY gain", "extra"]  # on the chart data sheet
    check = dict(_printed(sheet, "Probabilistic sensitivity analysis").frame.to_numpy())
    assert check["sampled means"].endswith(("(largest: QALY gain)", "(largest: extra)"))
    sheets = present.sheets(EVPPIResult(psa, evppi(psa)))
    table = _printed(sheets[-1], "EVPPI per person").frame
    shown = set(table["parameter(s)"])
    assert {"QALY gain", "extra", "all (EVPI)"} <= shown
    assert "qgain" not in shown and {"effects", "costs"} & shown == {"effects", "costs"} & set(
        evppi(psa)["label"])


def test_inputs_print_the_label_before_the_description(labelled):
    frame = inputs_sheet(labelled).blocks[0].frame
    about = dict(zip(frame["name"], frame["description and source"]))
    assert about["qgain"].startswith("QALY gain: utility gain")
    assert about["extra"].startswith("programme cost")
