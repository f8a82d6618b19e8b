"""Read an input workbook into a :class:`~cea.model.spec.ModelSpec`, reporting every problem.

Every problem is reported as ``sheet!cell: what was found; what is allowed`` and all
problems of a workbook come together in one :class:`~cea.model.problems.InputError`.
The workbook is only read, never written. The sheets are read by one reader per family:
:mod:`~cea.workbook.settings`, :mod:`~cea.workbook.parameters` (and tables),
:mod:`~cea.workbook.states` (and strategies), :mod:`~cea.workbook.transitions` (and
transition rewards), :mod:`~cea.workbook.correlations` and :mod:`~cea.workbook.optional`
(scenarios and calibration targets) and :mod:`~cea.workbook.budget`.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from cea.model.dependencies import CircularDefinition, derived_order
from cea.model.problems import InputError, Problems
from cea.model.scenarios import apply_scenario, step_models
from cea.model.spec import ModelSpec
from cea.workbook.budget import read_budget
from cea.workbook.cells import SheetData, open_workbook, read_sheet
from cea.workbook.correlations import read_correlations
from cea.workbook.optional import read_scenarios, read_steps, read_targets
from cea.workbook.parameters import Known, read_parameters, read_tables
from cea.workbook.safety import check_archive
from cea.workbook.settings import read_settings
from cea.workbook.states import read_states, read_strategies
from cea.workbook.transitions import read_transition_rewards, read_transitions

__all__ = ["load_workbook"]


def load_workbook(path: str | Path) -> ModelSpec:
    """Read and validate an input workbook.

    Raises
    ------
    InputError
        With one message per problem found anywhere in the workbook.
    """
    path = Path(path)
    problems = Problems()
    data = check_archive(path)
    book = open_workbook(path, data, problems)
    problems.raise_if_any()
    sheets = {name: read_sheet(book, name, problems) for name in book.sheet_names}
    problems.raise_if_any()
    spec = _build_spec(sheets, problems)
    problems.raise_if_any()
    model = ModelSpec(**spec, source=path.name, source_sha256=hashlib.sha256(data).hexdigest())
    for scenario in model.scenarios:  # a scenario that cannot apply is an input error now
        try:
            apply_scenario(model, scenario)
        except InputError as e:
            problems.extend(e.problems)
    try:  # and so is a step
        step_models(model)
    except InputError as e:
        problems.extend(e.problems)
    problems.raise_if_any()
    return model


def _build_spec(sheets: dict[str, SheetData], problems: Problems) -> dict:
    tables = read_tables(sheets.get("tables"), problems)
    parameters, broken = read_parameters(sheets["parameters"], tables, problems)
    # a parameter whose own cell is wrong is still a known name: no cascade of errors
    names = Known({**dict.fromkeys(broken), **{p.name: p for p in parameters}}, tables)
    states = read_states(sheets["states"], names, problems)
    categories = _categories(sheets)
    strategies, others = read_strategies(sheets["strategies"], names, problems)
    transitions = read_transitions(sheets["transitions"], states, strategies + others, names,
                                   problems)
    rewards = read_transition_rewards(sheets.get("transition_rewards"), states, transitions,
                                      names, problems)
    settings = read_settings(sheets.get("settings"), categories, problems)
    outcomes = sorted({k[len("outcome_"):] for s in states for k in s.rewards
                       if k.startswith("outcome_")}
                      | {r.reward[len("outcome_"):] for r in rewards
                         if r.reward.startswith("outcome_")})
    _check_circular(parameters, strategies + others, problems)
    return dict(settings=settings, parameters=tuple(parameters), states=tuple(states),
                transitions=tuple(transitions), strategies=tuple(strategies),
                other_strategies=tuple(others),
                calibration=read_targets(sheets.get("calibration"), names, strategies + others,
                                         problems),
                scenarios=read_scenarios(sheets.get("scenarios"), problems),
                steps=read_steps(sheets.get("steps"), names,
                                 settings.perspectives if settings else None, problems),
                budget=read_budget(sheets.get("budget"), strategies, states, settings,
                                   problems),
                transition_rewards=tuple(rewards), tables=tables,
                cost_categories=tuple(categories), outcomes=tuple(outcomes),
                correlations=read_correlations(sheets.get("correlations"), names.parameters,
                                               problems))


def _categories(sheets: dict[str, SheetData]) -> dict[str, str]:
    """Cost categories, in order, each with the cell that first declares it: a
    cost_<category> header of states or strategies, or a reward cell of transition_rewards."""
    seen: dict[str, str] = {}
    for name in ("states", "strategies"):
        sheet = sheets[name]
        for header in sheet.headers:
            if header.startswith("cost_"):
                seen.setdefault(header[5:], sheet.header_ref(header))
    rewards = sheets.get("transition_rewards")
    if rewards is not None:
        for row in rewards.rows:
            value = row.text("reward")
            if value and value.startswith("cost_"):
                seen.setdefault(value[5:], row.cell("reward").ref)
    return seen


def _check_circular(parameters, strategies, problems: Problems) -> None:
    cells = {p.name: p.cell for p in parameters}
    for strategy in strategies:
        try:
            derived_order(parameters, strategy.overrides)
        except CircularDefinition as e:
            first = e.loop[0]
            by_override = [n for n in e.loop if n in strategy.overrides]
            where = strategy.override_cells.get(by_override[0]) if by_override else \
                cells.get(first, "parameters")
            cause = f" through the override of '{strategy.name}'" if by_override else ""
            problems.add(where, f"'{first}' depends on itself ({' -> '.join(e.loop)}){cause}; "
                         "a parameter cannot be defined from itself")
            return
