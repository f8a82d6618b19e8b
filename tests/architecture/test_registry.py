"""The one registry of analyses: each entry loads, has a presenter, is in the API and the
CLI, and has the shape every analysis shares."""

from __future__ import annotations

import argparse
import inspect

import pytest

import cea.api
from cea import registry
from cea.cli import build_parser
from cea.export import present
from cea.export.text import text
from tests.helpers.paths import ROOT

ENTRIES = [pytest.param(e, id=e.name) for e in registry.ANALYSES]


def _subcommands() -> set[str]:
    parser = build_parser()
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    return set(sub.choices)


@pytest.mark.parametrize("entry", ENTRIES)
def test_entry_loads_and_has_a_presenter(entry):
    present.load()
    result_type = entry.result_type()
    assert callable(entry.load()) and isinstance(result_type, type)
    assert present.has_presenter(result_type), entry.name
    for kind in result_type.__subclasses__() or [result_type]:
        assert text.dispatch(kind) is not text.dispatch(object), (entry.name, kind)


@pytest.mark.parametrize("entry", ENTRIES)
def test_entry_is_in_the_api_and_the_command_line(entry):
    assert getattr(cea.api, entry.name) is entry.load()
    assert entry.name in cea.api.__all__
    if entry.command is not None:
        assert entry.command in _subcommands()


@pytest.mark.parametrize("entry", ENTRIES)
def test_every_analysis_has_the_same_shape(entry):
    """analysis(model, *, options..., seed=None, executor=None, progress=None)."""
    parameters = inspect.signature(entry.load()).parameters
    first = next(iter(parameters.values()))
    assert first.kind is inspect.Parameter.POSITIONAL_OR_KEYWORD
    for keyword in ("seed", "executor", "progress"):
        assert keyword in parameters, (entry.name, keyword)
        assert parameters[keyword].kind is inspect.Parameter.KEYWORD_ONLY
        assert parameters[keyword].default is None
    for option in entry.options:
        assert option.keyword in parameters, (entry.name, option.keyword)


def test_analyse_runs_an_entry_by_name(walkback):
    result = cea.api.analyse("one_way", walkback, parameters=["hr_al"])
    assert list(result.tornado()["parameter"]) == ["hr_al"]
    with pytest.raises(ValueError, match="no analysis named"):
        cea.api.analyse("no_such", walkback)


def test_no_module_over_600_lines():
    sizes = {p.relative_to(ROOT).as_posix(): len(p.read_text(encoding="utf-8").splitlines())
             for p in (ROOT / "cea").rglob("*.py")}
    assert {k: v for k, v in sizes.items() if v > 600} == {}
