"""Cohort size (per person and in total, both labelled) and the per-cycle outputs a
reviewer checks (issue 15, points 4 and 5), through the results workbook and its CSVs."""

from __future__ import annotations

import openpyxl
import pandas as pd
import pytest

from cea import api
from cea.analyses.base_case import run_base_case
from cea.cli import main
from cea.export.text import text
from tests.helpers.builders import two_state_sheets


@pytest.fixture(scope="module")
def written(tmp_path_factory):
    """The two-state model (p = 0.1, 5% a year) for a cohort of 1,000, run by the CLI."""
    root = tmp_path_factory.mktemp("cohort")
    sheets = two_state_sheets(0.1, rate=0.05)
    sheets["settings"].append(["cohort_size", 1000])
    path = api.write_input_workbook(root / "m.xlsx", sheets)
    assert main(["run", str(path), "--out", str(root / "out")]) == 0
    return api.load(path), root / "out"


def _block(ws, title_start):
    """The rows of the block whose title starts with ``title_start``: its header, then its
    lines (the title and the note above the header skipped)."""
    rows = list(ws.iter_rows(values_only=True))
    start = next(i for i, r in enumerate(rows) if r[0] and str(r[0]).startswith(title_start))
    block = []
    for r in rows[start + 1:]:
        filled = [v for v in r if v is not None]
        if not block and len(filled) <= 1:
            continue  # the note
        if not filled:
            break
        block.append(r)
    return block


def test_results_per_person_and_in_total(written):
    spec, out = written
    base = run_base_case(spec)
    ws = openpyxl.load_workbook(out / "two_state_results.xlsx")["base case"]
    per_person = {r[0]: r[1] for r in _block(ws, "All outcomes per strategy, per person")}
    total = {r[0]: r[1] for r in _block(ws, "All outcomes per strategy, in total for the "
                                            "cohort of 1,000 people")}
    assert per_person and set(per_person) == set(total)
    for measure, value in per_person.items():
        if isinstance(value, (int, float)):
            assert total[measure] == pytest.approx(1000 * value, rel=1e-12), measure
    # the per-person cost is the engine's; the half-cycle closed form with x = 0.9 / 1.05
    x = 0.9 / 1.05
    assert base.outcomes["cost_care"][0, 0] == pytest.approx((1 + x) * (1 - x**10)
                                                             / (2 * (1 - x)), rel=1e-12)
    assert "For the cohort of 1,000 people: only" in text(base)
    assert "cohort size" in spec.settings.conventions()


def test_per_cycle_csv_and_sheet_add_up_to_the_totals(written):
    spec, out = written
    base = run_base_case(spec)
    lines = pd.read_csv(out / "two_state_per_cycle.csv")
    assert lines.loc[lines["measure"] == "cost_care", "discounted"].sum() == pytest.approx(
        base.outcomes["cost_care"][0, 0], rel=1e-12)
    ws = openpyxl.load_workbook(out / "two_state_results.xlsx")["per cycle"]
    rows = _block(ws, "Per cycle")
    header, body = rows[0], rows[1:]
    assert [r[header.index("cycle")] for r in body] == list(range(1, 11))
    column = header.index("care cost (AUD 2024)")
    assert sum(r[column] for r in body) == pytest.approx(base.outcomes["cost_care"][0, 0],
                                                         rel=1e-12)
    transitions = pd.read_csv(out / "two_state_transitions.csv")
    alive = transitions[(transitions["from"] == "alive") & (transitions["cycle"] == 3)]
    assert dict(zip(alive["to"], alive["probability"])) == {"alive": 0.9, "dead": 0.1}
