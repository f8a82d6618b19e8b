"""The shipped workbooks: they load, agree with their authoring script, and their text
renderings in docs/inputs/ are up to date."""

from __future__ import annotations

import pytest

from cea.workbook import load_workbook
from cea.workbook.render import main as render_all
from cea.workbook.render import render_workbook, rendering_path
from tests.helpers.builders import build_script
from tests.helpers.paths import ROOT

INPUTS = ROOT / "inputs"
SHIPPED = sorted(INPUTS.rglob("*.xlsx"))


_build_script = build_script


def test_workbooks_are_shipped():
    names = {p.relative_to(INPUTS).as_posix() for p in SHIPPED}
    assert {"walkback.xlsx", "examples/hiv_chancellor.xlsx"} <= names


@pytest.mark.parametrize("workbook", SHIPPED, ids=lambda p: p.name)
def test_shipped_workbook_is_valid(workbook):
    spec = load_workbook(workbook)
    assert spec.strategies and spec.states


@pytest.mark.parametrize("workbook", SHIPPED, ids=lambda p: p.name)
def test_rendering_in_docs_is_current(workbook):
    """docs/inputs/<name>.md must equal a fresh rendering (run `python -m cea.workbook.render`)."""
    target = rendering_path(workbook, INPUTS, ROOT / "docs" / "inputs")
    assert target.exists(), f"missing {target}; run python -m cea.workbook.render"
    assert target.read_text(encoding="utf-8") == render_workbook(workbook)


def test_authoring_script_matches_shipped_workbooks(tmp_path):
    """scripts/build_workbooks.py and the shipped files hold the same cells."""
    built = _build_script().build(tmp_path / "inputs")
    assert built
    for path in built:
        shipped = INPUTS / path.relative_to(tmp_path / "inputs")
        assert render_workbook(path) == render_workbook(shipped), shipped


def test_render_main_writes_every_workbook(tmp_path):
    (tmp_path / "inputs").mkdir()
    _build_script().build(tmp_path / "inputs")
    written = render_all(tmp_path)
    assert {p.name for p in written} == {"walkback.md", "hiv_chancellor.md"}


def test_every_walkback_parameter_has_a_source():
    spec = load_workbook(INPUTS / "walkback.xlsx")
    missing = [p.name for p in spec.parameters if not p.source.strip()]
    assert not missing
