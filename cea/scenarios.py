"""Named scenarios: sets of changes to parameters, settings and strategies.

A scenario is a row group of the ``scenarios`` sheet; each row changes one
thing:

================================  ==============================================
``change``                         ``value``
================================  ==============================================
a parameter name                   its new base value (a number or an expression)
``settings.<key>``                 the setting's new value (e.g. ``settings.horizon``)
``strategies``                     the strategies compared, comma-separated, the
                                   comparator first (may name strategies that
                                   are not in the base case, ``include = no``)
``<strategy>.<parameter>``         that strategy's override of the parameter
================================  ==============================================

Applying a scenario gives a new :class:`~cea.spec.ModelSpec`; every analysis
then runs on it unchanged, through the same engine.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace

import pandas as pd

from cea.expressions import ExpressionError, parse
from cea.plan import derived_order
from cea.schema import SETTING_BY_KEY
from cea.sheets import Problems
from cea.spec import ModelSpec, Settings, Strategy


@dataclass(frozen=True)
class Change:
    target: str
    value: object
    cell: str = ""


@dataclass(frozen=True)
class Scenario:
    name: str
    description: str = ""
    changes: tuple[Change, ...] = ()


class ScenarioError(ValueError):
    def __init__(self, problems: list[str]):
        self.problems = list(problems)
        super().__init__("\n".join(self.problems))


def apply_scenario(spec: ModelSpec, scenario: Scenario) -> ModelSpec:
    """The model with the scenario's changes; raises :class:`ScenarioError` naming cells."""
    problems = Problems()
    parameters = {p.name: p for p in spec.parameters}
    all_strategies = {s.name: s for s in (*spec.strategies, *spec.other_strategies)}
    settings_changes: dict[str, object] = {}
    chosen: list[str] | None = None
    for change in scenario.changes:
        target = change.target.strip()
        if target.startswith("settings."):
            _setting(change, target[len("settings."):], settings_changes, problems)
        elif target == "strategies":
            chosen = _strategy_list(change, all_strategies, problems)
        elif "." in target:
            _override(change, target, all_strategies, parameters, problems)
        elif target in parameters:
            expression = _expression(change, parameters, problems)
            if expression is not None:
                parameters[target] = replace(parameters[target], expression=expression,
                                             cell=change.cell)
        else:
            problems.add(change.cell, f"'{target}' is not a parameter, settings.<key>, "
                                      "strategies or <strategy>.<parameter>")
    problems.raise_if_any(ScenarioError)
    names = chosen or list(spec.strategy_names)
    active = tuple(all_strategies[n] for n in names)
    others = tuple(s for n, s in all_strategies.items() if n not in names)
    settings = replace(spec.settings, **settings_changes) if settings_changes else spec.settings
    new = replace(spec, parameters=tuple(parameters[p.name] for p in spec.parameters),
                  strategies=active, other_strategies=others, settings=settings)
    _check(new, scenario, problems)
    problems.raise_if_any(ScenarioError)
    return new


def _expression(change: Change, parameters, problems: Problems):
    try:
        expression = parse(change.value)
    except ExpressionError as e:
        problems.add(change.cell, f"value {change.value!r} is not valid: {e}")
        return None
    unknown = expression.names - set(parameters) - {"cycle", "year", "cycle_years",
                                                     "state_time"}
    if unknown:
        problems.add(change.cell, f"value {change.value!r} uses unknown names "
                                  f"{sorted(unknown)}")
        return None
    return expression


def _setting(change: Change, key: str, changes: dict, problems: Problems) -> None:
    from cea.workbook_settings import parse_setting

    setting = SETTING_BY_KEY.get(key)
    if setting is None:
        problems.add(change.cell, f"unknown setting '{key}'")
        return
    value = parse_setting(setting, change.value, change.cell, problems)
    if value is not None:
        changes[key] = value


def _strategy_list(change: Change, strategies: dict, problems: Problems) -> list[str] | None:
    names = [n.strip() for n in str(change.value).split(",") if n.strip()]
    unknown = [n for n in names if n not in strategies]
    if unknown or not names or len(set(names)) != len(names):
        problems.add(change.cell, f"strategies {change.value!r} must list distinct strategies "
                                  f"of the strategies sheet; unknown: {unknown}")
        return None
    return names


def _override(change: Change, target: str, strategies: dict, parameters, problems) -> None:
    name, parameter = target.rsplit(".", 1)
    if name not in strategies:
        problems.add(change.cell, f"'{name}' in '{target}' is not a strategy")
        return
    if parameter not in parameters:
        problems.add(change.cell, f"'{parameter}' in '{target}' is not a parameter")
        return
    expression = _expression(change, parameters, problems)
    if expression is not None:
        strategy: Strategy = strategies[name]
        strategies[name] = replace(
            strategy, overrides={**strategy.overrides, parameter: expression},
            override_cells={**strategy.override_cells, parameter: change.cell})


def _check(spec: ModelSpec, scenario: Scenario, problems: Problems) -> None:
    s: Settings = spec.settings
    n = s.horizon_years / s.cycle_years
    if abs(n - round(n)) > 1e-6 * max(1.0, n) or round(n) < 1:
        problems.add(f"scenario '{scenario.name}'", f"horizon is {n:.4g} cycles; it must be a "
                                                    "whole number of cycles")
    for strategy in spec.strategies:
        try:
            derived_order(spec, strategy.name)
        except ValueError as e:
            problems.add(f"scenario '{scenario.name}'", f"{e} (strategy '{strategy.name}')")
        missing = [t for t in spec.transitions if strategy.name not in t.expressions]
        if missing:
            problems.add(f"scenario '{scenario.name}'", f"strategy '{strategy.name}' has no "
                                                        "column in the transitions sheet")


def select(scenarios: Iterable[Scenario], names: str) -> list[Scenario]:
    """Scenarios named in a comma-separated list, or all of them for ``all``."""
    scenarios = list(scenarios)
    if names.strip().lower() == "all":
        return scenarios
    by_name = {s.name: s for s in scenarios}
    wanted = [n.strip() for n in names.split(",") if n.strip()]
    unknown = [n for n in wanted if n not in by_name]
    if unknown:
        raise ScenarioError([f"unknown scenario(s) {unknown}; the workbook has "
                             f"{list(by_name)}"])
    return [by_name[n] for n in wanted]


@dataclass(frozen=True)
class ScenarioResults:
    """Base case of each scenario (and of the model as given, for comparison)."""

    spec: ModelSpec
    results: tuple  # (Scenario, BaseCase) pairs

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

    def to_sheets(self):
        from cea.export.excel import Block, SheetSpec, icer_words

        sheet = SheetSpec("scenarios", [Block("Optimal strategy by scenario, perspective and "
                                              "threshold", _flat(self.summary()))])
        for scenario, base in self.results:
            changes = "; ".join(f"{c.target} = {c.value}" for c in scenario.changes) or "none"
            for perspective in base.perspectives:
                table = base.icer_table(perspective)
                table["icer"] = icer_words(table)
                sheet.blocks.append(Block(f"{scenario.name}, {perspective} perspective", table,
                                          f"{scenario.description} (changes: {changes})"))
        return [sheet]

    def write_figures(self, out_dir, model_name: str):
        return []


def _flat(frame: pd.DataFrame) -> pd.DataFrame:
    frame = frame.copy()
    frame.columns = [c if isinstance(c, str) else f"optimal at {c:,.0f}" for c in frame.columns]
    return frame


BASE = Scenario("base case", "the model as given")


def run_scenarios(spec: ModelSpec, names: str = "all") -> ScenarioResults:
    """Run the base case and each chosen scenario (``all`` or a comma-separated list)."""
    from cea.analyses.deterministic import run_base_case

    chosen = select(spec.scenarios, names)
    results = [(BASE, run_base_case(spec))]
    results += [(s, run_base_case(apply_scenario(spec, s))) for s in chosen]
    return ScenarioResults(spec, tuple(results))
