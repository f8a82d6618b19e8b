"""Shared test helpers: build input workbooks from Python rows."""

from __future__ import annotations

import copy
import functools
import importlib.util
from pathlib import Path

import pytest

from cea.workbook.template import write_input_workbook

ROOT = Path(__file__).resolve().parent.parent


def two_state_sheets(p: float = 0.1, *, within_cycle: str = "half_cycle",
                     timing: str = "time_point", rate: float = 0.0, cycles: int = 10) -> dict:
    """An alive -> dead model with constant death probability ``p`` per cycle.

    Reward 1 per cycle alive (cost_care = 1 and utility = 1 with annual cycles),
    one strategy, everyone alive at the start.
    """
    return {
        "settings": [
            ["setting", "value"],
            ["model_name", "two_state"], ["cycle_length", 1], ["cycle_unit", "year"],
            ["horizon", cycles], ["horizon_unit", "year"],
            ["discount_costs", rate], ["discount_outcomes", rate],
            ["discount_timing", timing], ["within_cycle", within_cycle],
            ["perspectives", "payer = care"], ["currency", "AUD"], ["price_year", 2024],
            ["wtp", 50000],
        ],
        "parameters": [
            ["name", "value", "unit", "description", "source"],
            ["p_die", p, "per cycle", "death probability", "test"],
        ],
        "states": [
            ["name", "initial", "utility", "cost_care", "dead"],
            ["alive", 1, 1, 1, "no"],
            ["dead", 0, 0, 0, "yes"],
        ],
        "strategies": [["name", "description"], ["only", "the only strategy"]],
        "transitions": [
            ["from", "to", "only"],
            ["alive", "alive", "C"],
            ["alive", "dead", "p_die"],
        ],
    }


@pytest.fixture
def make_workbook(tmp_path):
    """Factory: ``make_workbook(sheets, name="model.xlsx") -> Path`` written under tmp_path."""

    def make(sheets: dict, name: str = "model.xlsx") -> Path:
        return write_input_workbook(tmp_path / name, copy.deepcopy(sheets))

    return make


@functools.cache
def build_script():
    """scripts/build_workbooks.py as a module (the shipped workbooks' definitions)."""
    spec = importlib.util.spec_from_file_location("build_workbooks",
                                                  ROOT / "scripts" / "build_workbooks.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def load(make_workbook):
    """``load(sheets) -> ModelSpec``, through a written workbook."""
    from cea.workbook.reader import load_workbook

    counter = iter(range(1000))

    def build(sheets: dict):
        return load_workbook(make_workbook(sheets, name=f"m{next(counter)}.xlsx"))

    return build
