"""Scenario analysis: the base case of each named scenario, through the same engine.

A scenario (:mod:`cea.model.scenarios`) changes parameters, settings or the
strategies compared; its base case is one engine run of the changed model.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pandas as pd

from cea.analyses.base_case import BaseCase, run_base_case
from cea.model.scenarios import BASE, apply_scenario, select
from cea.model.spec import ModelSpec, Scenario

__all__ = ["ScenarioResults", "run_scenarios"]


@dataclass(frozen=True)
class ScenarioResults:
    """Base case of each scenario, after the model as given (:data:`BASE`)."""

    spec: ModelSpec
    results: tuple[tuple[Scenario, BaseCase], ...]

    def to_frame(self) -> pd.DataFrame:
        """One line per scenario x perspective x strategy: costs, QALYs, incrementals, ICER."""
        frames = []
        for scenario, base in self.results:
            for perspective in base.perspectives:
                table = base.icer_table(perspective)
                table.insert(0, "scenario", scenario.name)
                frames.append(table)
        return pd.concat(frames, ignore_index=True)

    def summary(self) -> pd.DataFrame:
        """Per scenario and perspective: the optimal strategy at each threshold."""
        rows = []
        for scenario, base in self.results:
            for _, r in base.optimal().iterrows():
                rows.append({"scenario": scenario.name, **r.to_dict()})
        frame = pd.DataFrame(rows)
        return frame.pivot_table(index=["scenario", "perspective"], columns="wtp",
                                 values="optimal", aggfunc="first", sort=False).reset_index()


def run_scenarios(spec: ModelSpec, names: str = "all", *, seed: int | None = None,
                  executor=None,
                  progress: Callable[[int, int], None] | None = None) -> ScenarioResults:
    """Run the base case and each chosen scenario (``all`` or a comma-separated list).

    ``seed`` and ``executor`` are accepted so that every analysis takes the same keywords;
    a scenario's base case is one deterministic row, run in this process. ``progress`` is
    called with (scenarios done, scenarios in all).
    """
    chosen = select(spec.scenarios, names)
    results = [(BASE, run_base_case(spec))]
    for scenario in chosen:
        results.append((scenario, run_base_case(apply_scenario(spec, scenario))))
        if progress is not None:
            progress(len(results) - 1, len(chosen))
    return ScenarioResults(spec, tuple(results))
