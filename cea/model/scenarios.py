"""Applying a named scenario: a set of changes to parameters, settings and strategies.

A scenario is a row group of the ``scenarios`` sheet; each row changes one thing:

================================  ==============================================
``change``                         ``value``
================================  ==============================================
a parameter name                   its new value (a number or an expression), fixed
                                   in the scenario's PSA (its distribution dropped)
``settings.<key>``                 the setting's new value (e.g. ``settings.horizon``)
``strategies``                     the strategies compared, comma-separated, the
                                   comparator first (may name strategies that
                                   are not in the base case, ``include = no``)
``<strategy>.<parameter>``         that strategy's override of the parameter
================================  ==============================================

Applying a scenario gives a new :class:`~cea.model.spec.ModelSpec`; every analysis
then runs on it unchanged, through the same engine.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import fields, replace

from cea.model.dependencies import derived_order
from cea.model.names import checked
from cea.model.problems import Problems
from cea.model.setting_rules import SETTING_BY_KEY, check_consistency, parse_setting
from cea.model.spec import Change, ModelSpec, Scenario, Step, Strategy

__all__ = ["BASE", "apply_changes", "apply_scenario", "select", "step_models"]

#: The model as given, listed first beside the scenarios.
BASE = Scenario("base case", "the model as given")


def apply_scenario(spec: ModelSpec, scenario: Scenario) -> ModelSpec:
    """The model with the scenario's changes.

    Raises
    ------
    InputError
        Naming the cell of every change that cannot apply.
    """
    return apply_changes(spec, scenario.changes, f"scenario '{scenario.name}'")


def step_models(spec: ModelSpec) -> list[tuple[Step, ModelSpec]]:
    """Each step of the stepped evaluation with its model: the base case with the changes of
    every step up to and including it, in order.

    Raises
    ------
    InputError
        Naming the cell of every change that cannot apply.
    """
    models, changes = [], []
    for step in spec.steps:
        changes += step.changes
        models.append((step, apply_changes(spec, changes, f"step '{step.name}'")))
    return models


def apply_changes(spec: ModelSpec, changes, place: str) -> ModelSpec:
    """The model with ``changes`` applied in order (see the module docstring); ``place``
    names them in problems (e.g. ``scenario 'men'``)."""
    problems = Problems()
    parameters = {p.name: p for p in spec.parameters}
    all_strategies = {s.name: s for s in (*spec.strategies, *spec.other_strategies)}
    settings_changes: dict[str, object] = {}
    cells: dict[str, str] = {}
    chosen: list[str] | None = None
    for change in changes:
        target = change.target.strip()
        if target.startswith("settings."):
            _setting(change, target[len("settings."):], settings_changes, cells, problems)
        elif target == "strategies":
            chosen = _strategy_list(change, all_strategies, problems)
        elif "." in target:
            _override(change, target, all_strategies, parameters, problems)
        elif target in parameters:
            expression = _expression(change, parameters, problems)
            if expression is not None:
                # the new value is what the scenario asks: fixed at it in the scenario's
                # PSA (the base case's distribution described the base-case value)
                parameters[target] = replace(parameters[target], expression=expression,
                                             distribution=None, cell=change.cell)
        else:
            problems.add(change.cell, f"'{target}' is not a parameter, settings.<key>, "
                                      "strategies or <strategy>.<parameter>")
    problems.raise_if_any()
    names = chosen or list(spec.strategy_names)
    active = tuple(all_strategies[n] for n in names)
    others = tuple(s for n, s in all_strategies.items() if n not in names)
    settings = replace(spec.settings, **settings_changes) if settings_changes else spec.settings
    new = replace(spec, parameters=tuple(parameters[p.name] for p in spec.parameters),
                  strategies=active, other_strategies=others, settings=settings)
    _check(new, place, cells, problems)
    problems.raise_if_any()
    return new


def _expression(change: Change, parameters, problems: Problems):
    return checked(change.value, change.cell, problems, known=parameters)


def _setting(change: Change, key: str, changes: dict, cells: dict, problems: Problems) -> None:
    setting = SETTING_BY_KEY.get(key)
    if setting is None:
        problems.add(change.cell, f"unknown setting '{key}'")
        return
    value = parse_setting(setting, change.value, change.cell, problems)
    if value is not None:
        changes[key], cells[key] = value, change.cell


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


def _check(spec: ModelSpec, place: str, cells: dict, problems: Problems) -> None:
    values = {f.name: getattr(spec.settings, f.name) for f in fields(spec.settings)}
    values = {k: v for k, v in values.items() if v is not None}
    check_consistency(values, cells, spec.cost_categories, problems, place=place)
    for strategy in spec.strategies:
        try:
            derived_order(spec.parameters, strategy.overrides)
        except ValueError as e:
            problems.add(place, f"{e} (strategy '{strategy.name}')")
        missing = [t for t in spec.transitions if strategy.name not in t.expressions]
        if missing:
            problems.add(place, f"strategy '{strategy.name}' has no column in the transitions "
                                "sheet")


def select(scenarios: Iterable[Scenario], names: str) -> list[Scenario]:
    """Scenarios named in a comma-separated list, or all of them for ``all``.

    Raises ValueError naming the unknown ones.
    """
    scenarios = list(scenarios)
    if names.strip().lower() == "all":
        return scenarios
    by_name = {s.name: s for s in scenarios}
    wanted = [n.strip() for n in names.split(",") if n.strip()]
    unknown = [n for n in wanted if n not in by_name]
    if unknown:
        raise ValueError(f"unknown scenario(s) {unknown}; the workbook has {list(by_name)}")
    return [by_name[n] for n in wanted]
