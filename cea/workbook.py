"""Read an input workbook into a :class:`~cea.spec.ModelSpec`, reporting every problem.

Every problem is reported as ``sheet!cell: what was found; what is allowed``
and all problems of a workbook come together in one :class:`WorkbookError`.
The workbook is only read, never written.
"""

from __future__ import annotations

import difflib
import hashlib
import math
from dataclasses import dataclass, replace
from pathlib import Path
from types import SimpleNamespace

import numpy as np

from cea.distributions import DistributionError, dirichlet_groups, parse_distribution
from cea.expressions import RESERVED_NAMES, ExpressionError, Table, parse
from cea.plan import CircularDefinition, derived_order
from cea.safety import check_archive
from cea.scenarios import ScenarioError, apply_scenario
from cea.schema import SHEET_BY_NAME
from cea.sheets import Problems, SheetData, open_workbook, read_sheet
from cea.spec import (
    ModelSpec,
    Parameter,
    State,
    Strategy,
    Transition,
    TransitionReward,
)
from cea.workbook_correlations import read_correlations
from cea.workbook_scenarios import read_scenarios, read_targets
from cea.workbook_settings import read_settings

MAX_NAME = 64
#: Names an expression may read besides parameters.
TIME_NAMES = frozenset({"cycle", "year", "cycle_years", "state_time"})
#: Allowed range of parameters by name prefix (the field's naming convention).
PREFIX_RANGES = {
    "p_": (0.0, 1.0, "a probability"),
    "u_": (-math.inf, 1.0, "a utility"),
    "c_": (0.0, math.inf, "a cost"),
    "r_": (0.0, math.inf, "a rate"),
    "hr_": (0.0, math.inf, "a hazard ratio"),
    "rr_": (0.0, math.inf, "a relative risk"),
}


class WorkbookError(ValueError):
    """An input workbook has problems; ``problems`` lists each one with its place."""

    def __init__(self, problems: list[str]):
        self.problems = list(problems)
        super().__init__("\n".join(self.problems))


@dataclass
class _Names:
    parameters: dict
    tables: dict


def load_workbook(path: str | Path) -> ModelSpec:
    """Read and validate an input workbook.

    Raises
    ------
    WorkbookError
        With one message per problem found anywhere in the workbook.
    """
    path = Path(path)
    problems = Problems()
    data = check_archive(path)
    book = open_workbook(path, data, problems)
    problems.raise_if_any(WorkbookError)
    sheets = {name: read_sheet(book, name, problems) for name in book.sheet_names}
    problems.raise_if_any(WorkbookError)
    spec = _build_spec(sheets, problems)
    problems.raise_if_any(WorkbookError)
    model = ModelSpec(**spec, source=path.name, source_sha256=hashlib.sha256(data).hexdigest())
    for scenario in model.scenarios:  # a scenario that cannot apply is an input error now
        try:
            apply_scenario(model, scenario)
        except ScenarioError as e:
            for line in e.problems:
                problems.items.append(line)
    problems.raise_if_any(WorkbookError)
    return model


def _build_spec(sheets: dict[str, SheetData], problems: Problems) -> dict:
    settings_raw = sheets.get("settings")
    tables = _read_tables(sheets.get("tables"), problems)
    parameters, broken = _read_parameters(sheets["parameters"], tables, problems)
    # a parameter whose own cell is wrong is still a known name: no cascade of errors
    names = _Names({**dict.fromkeys(broken), **{p.name: p for p in parameters}}, tables)
    states = _read_states(sheets["states"], names, problems)
    categories = _categories(sheets)
    strategies, others = _read_strategies(sheets["strategies"], names, problems)
    transitions = _read_transitions(sheets["transitions"], states, strategies + others, names,
                                    problems)
    rewards = _read_transition_rewards(sheets.get("transition_rewards"), states, transitions,
                                       names, problems)
    settings = read_settings(settings_raw, categories, problems)
    outcomes = sorted({k[len("outcome_"):] for s in states for k in s.rewards
                       if k.startswith("outcome_")}
                      | {r.reward[len("outcome_"):] for r in rewards
                         if r.reward.startswith("outcome_")})
    _check_circular(parameters, strategies + others, sheets["strategies"], problems)
    return dict(settings=settings, parameters=tuple(parameters), states=tuple(states),
                transitions=tuple(transitions), strategies=tuple(strategies),
                other_strategies=tuple(others),
                calibration=read_targets(sheets.get("calibration"), names, strategies + others,
                                         problems),
                scenarios=read_scenarios(sheets.get("scenarios"), problems),
                transition_rewards=tuple(rewards), tables=tables,
                cost_categories=tuple(categories), outcomes=tuple(outcomes),
                correlations=read_correlations(sheets.get("correlations"), names.parameters,
                                               problems))


def _categories(sheets: dict[str, SheetData]) -> list[str]:
    """Cost categories: every cost_<category> column of states and strategies, in order."""
    seen: list[str] = []
    for name in ("states", "strategies"):
        for header in sheets[name].headers:
            if header.startswith("cost_") and header[5:] not in seen:
                seen.append(header[5:])
    rewards = sheets.get("transition_rewards")
    if rewards is not None:
        for row in rewards.rows:
            value = row.text("reward")
            if value and value.startswith("cost_") and value[5:] not in seen:
                seen.append(value[5:])
    return seen


def _expression(cell, names: _Names, problems: Problems, *, allow_time=True, what="value"):
    """Parse a cell as an expression and check every name it reads; None on error."""
    try:
        expression = parse(cell.value)
    except ExpressionError as e:
        problems.add(cell.ref, f"{what} {cell.value!r} is not a valid expression: {e}")
        return None
    allowed = TIME_NAMES if allow_time else frozenset()
    unknown = sorted(n for n in expression.names
                     if n not in names.parameters and n not in allowed)
    for name in unknown:
        hint = " (time is not allowed here)" if name in TIME_NAMES else _suggest(
            name, names.parameters)
        problems.add(cell.ref, f"{what} {cell.value!r} uses unknown name '{name}'{hint}; "
                               "names must be parameters of the parameters sheet")
    for table, column in sorted(expression.lookups):
        if table not in names.tables:
            problems.add(cell.ref, f"{what} uses unknown table '{table}'"
                         f"{_suggest(table, names.tables)}; tables are defined in the "
                         "tables sheet")
        elif column not in names.tables[table].columns:
            problems.add(cell.ref, f"{what} uses unknown column '{column}' of table '{table}'; "
                         f"it has {sorted(names.tables[table].columns)}")
    return None if unknown else expression


def _suggest(name: str, known) -> str:
    close = difflib.get_close_matches(name, list(known), n=1)
    return f" (did you mean '{close[0]}'?)" if close else ""


def _identifier(cell, problems: Problems, what: str, *, reserved: bool = True) -> str | None:
    value = cell.value
    if isinstance(value, str) and len(value) > MAX_NAME:
        problems.add(cell.ref, f"{what} has {len(value):,} characters; at most {MAX_NAME}")
        return None
    if not isinstance(value, str) or not value.isidentifier() or value.startswith("_"):
        problems.add(cell.ref, f"{what} {value!r} is not a valid name; use letters, digits and "
                               "underscores, starting with a letter")
        return None
    if reserved and value in RESERVED_NAMES:
        problems.add(cell.ref, f"{what} '{value}' is a reserved word; choose another name")
        return None
    return value


def _read_parameters(sheet: SheetData, tables, problems: Problems):
    """The valid parameters, and the names of those whose row has a problem."""
    parameters, seen, broken = [], {}, set()
    allowed = [c.name for c in SHEET_BY_NAME["parameters"].columns]
    for header in sheet.headers:
        if header not in allowed:
            problems.add(sheet.header_ref(header), f"unknown column '{header}'"
                         f"{_suggest(header, allowed)}; the parameters sheet has the columns "
                         f"{', '.join(allowed)}")
    for row in sheet.rows:
        name = _identifier(row.cell("name"), problems, "parameter name")
        if name is None:
            continue
        if name in seen:
            problems.add(row.cell("name").ref, f"parameter '{name}' is defined twice "
                         f"(first at {seen[name]}); each name once")
            continue
        seen[name] = row.cell("name").ref
        value_cell = row.cell("value")
        if value_cell.value is None:
            problems.add(value_cell.ref, f"value of '{name}' is empty; give a number or an "
                                         "expression of other parameters")
            broken.add(name)
            continue
        try:
            expression = parse(value_cell.value)
        except ExpressionError as e:
            problems.add(value_cell.ref, f"value of '{name}' {value_cell.value!r} is not valid: "
                                         f"{e}")
            broken.add(name)
            continue
        parameter = Parameter(
            name=name, expression=expression, unit=row.text("unit") or "",
            description=row.text("description") or "", source=row.text("source") or "",
            low=row.number("low"), high=row.number("high"),
            distribution=_distribution(row, name, problems), group=row.text("group") or "",
            cell=value_cell.ref, calibrate=row.boolean("calibrate"),
        )
        _check_parameter(parameter, row, problems)
        parameters.append(parameter)
    _check_parameter_names(parameters, broken, tables, problems)
    return _resolve_dirichlet(parameters, problems), broken


def _resolve_dirichlet(parameters: list[Parameter], problems: Problems) -> list[Parameter]:
    """Give each Dirichlet component its group's total count (its marginal is then a beta)."""
    groups = dirichlet_groups({p.name: p.distribution for p in parameters if p.distribution})
    by_name = {p.name: p for p in parameters}
    for group, names in groups.items():
        total = sum(by_name[n].distribution.inputs["count"] for n in names)
        if len(names) < 2:
            problems.add(by_name[names[0]].cell.replace("!B", "!H"),
                         f"dirichlet group '{group}' has one member; a group needs at least two")
            continue
        for n in names:
            resolved = by_name[n].distribution.with_total(total)
            by_name[n] = replace(by_name[n], distribution=resolved)
    return [by_name[p.name] for p in parameters]


def _distribution(row, name: str, problems: Problems):
    cell = row.cell("distribution")
    if cell.value is None:
        return None
    try:
        distribution = parse_distribution(str(cell.value))
    except DistributionError as e:
        problems.add(cell.ref, f"distribution of '{name}' {cell.value!r}: {e}")
        return None
    return None if getattr(distribution, "is_fixed", False) else distribution


def _check_parameter(p: Parameter, row, problems: Problems) -> None:
    if not p.is_free:
        for column in ("low", "high", "distribution"):
            if row.cell(column).value is not None:
                problems.add(row.cell(column).ref,
                             f"'{p.name}' is derived from an expression, so it follows its "
                             f"inputs; {column} must be blank (vary the inputs instead)")
        return
    low, high, value = p.low, p.high, p.value
    if (low is None) != (high is None):
        problems.add(row.cell("low" if low is None else "high").ref,
                     f"'{p.name}' has only one of low and high; give both or neither")
    if low is not None and high is not None and not low <= value <= high:
        problems.add(row.cell("low").ref, f"'{p.name}': low {low:g}, base {value:g} and high "
                     f"{high:g} must satisfy low <= base <= high")
    prefix = next((k for k in PREFIX_RANGES if p.name.startswith(k)), None)
    if prefix is None:
        return
    lo, hi, what = PREFIX_RANGES[prefix]
    for column, v in (("value", value), ("low", low), ("high", high)):
        if v is not None and not lo <= v <= hi:
            problems.add(row.cell(column).ref, f"'{p.name}' is {what} (prefix {prefix}); its "
                         f"{'base value' if column == 'value' else column} {v:g} must be in "
                         f"[{lo:g}, {hi:g}]")
    d = p.distribution
    if d is not None and (d.support[0] < lo or d.support[1] > hi):
        problems.add(row.cell("distribution").ref,
                     f"'{p.name}' is {what} in [{lo:g}, {hi:g}] but its {d.name} distribution "
                     f"ranges over [{d.support[0]:g}, {d.support[1]:g}]; choose a distribution "
                     "inside that range (e.g. beta for probabilities, gamma for costs)")


def _check_parameter_names(parameters: list[Parameter], broken, tables,
                           problems: Problems) -> None:
    known = {p.name for p in parameters} | broken
    for p in parameters:
        for name in sorted(p.expression.names - known - TIME_NAMES):
            problems.add(p.cell, f"value of '{p.name}' uses unknown name '{name}'"
                         f"{_suggest(name, known)}; names must be parameters")
        for table, column in sorted(p.expression.lookups):
            if table not in tables:
                problems.add(p.cell, f"value of '{p.name}' uses unknown table '{table}'"
                             f"{_suggest(table, tables)}; tables are defined in the tables "
                             "sheet")
            elif column not in tables[table].columns:
                problems.add(p.cell, f"value of '{p.name}' uses unknown column '{column}' of "
                             f"table '{table}'; it has {sorted(tables[table].columns)}")


def _check_circular(parameters, strategies, sheet, problems: Problems) -> None:
    probe = SimpleNamespace(parameters=parameters, strategies=strategies)  # what it reads
    cells = {p.name: p.cell for p in parameters}
    for strategy in strategies:
        try:
            derived_order(probe, strategy.name)
        except CircularDefinition as e:
            first = e.loop[0]
            by_override = [n for n in e.loop if n in strategy.overrides]
            where = strategy.override_cells.get(by_override[0]) if by_override else \
                cells.get(first, "parameters")
            cause = f" through the override of '{strategy.name}'" if by_override else ""
            problems.add(where, f"'{first}' depends on itself ({' -> '.join(e.loop)}){cause}; "
                         "a parameter cannot be defined from itself")
            return


def _read_states(sheet: SheetData, names: _Names, problems: Problems) -> list[State]:
    states, seen, unreadable = [], set(), False
    for header in sheet.headers:
        if header not in ("name", "description", "initial", "utility", "dead", "tunnel") and \
                not header.startswith(("cost_", "outcome_")):
            problems.add(sheet.header_ref(header), f"unknown column '{header}'; allowed: name, "
                         "description, initial, utility, dead, tunnel, cost_<category>, "
                         "outcome_<name>")
    for row in sheet.rows:
        name = _identifier(row.cell("name"), problems, "state name", reserved=False)
        if name is None:
            continue
        if name in seen:
            problems.add(row.cell("name").ref, f"state '{name}' is listed twice")
            continue
        seen.add(name)
        initial = row.number("initial", required=True)
        unreadable = unreadable or initial is None
        if initial is not None and not 0 <= initial <= 1:
            problems.add(row.cell("initial").ref, f"initial proportion {initial:g} of '{name}' "
                                                  "must be in [0, 1]")
        dead = row.boolean("dead")
        tunnel = row.integer("tunnel") or 1
        if tunnel < 1 or tunnel > 1000:
            problems.add(row.cell("tunnel").ref, f"tunnel {tunnel} must be between 1 and 1000")
            tunnel = 1
        rewards = {}
        for header in sheet.headers:
            if header == "utility" or header.startswith(("cost_", "outcome_")):
                cell = row.cell(header)
                if cell.value is None:
                    continue
                expression = _expression(cell, names, problems, what=header)
                if expression is not None:
                    rewards[header] = expression
                    _check_reward_constant(header, expression, cell, dead, problems)
        if dead and tunnel > 1:
            problems.add(row.cell("tunnel").ref, f"dead state '{name}' cannot have a tunnel")
        states.append(State(name, initial or 0.0, rewards, dead, tunnel,
                            row.text("description") or "", row.cell("name").ref))
    if not states:
        problems.add("states", "no states; at least two are needed")
    total = sum(s.initial for s in states)
    if states and not unreadable and abs(total - 1) > 1e-9:
        problems.add("states", f"initial proportions sum to {total:.10g}; they must sum to 1")
    return states


def _check_reward_constant(header, expression, cell, dead, problems: Problems) -> None:
    value = expression.constant
    if value is None:
        return
    if header == "utility" and value > 1:
        problems.add(cell.ref, f"utility {value:g} is above 1 (full health); it must be <= 1")
    if header == "utility" and dead and value != 0:
        problems.add(cell.ref, f"a dead state has utility 0; got {value:g}")
    if header.startswith("cost_") and value < 0:
        problems.add(cell.ref, f"{header} {value:g} is negative; costs must be >= 0")


def _read_strategies(sheet: SheetData, names: _Names, problems: Problems):
    """Strategies in the base case, and those marked include = no (for scenarios)."""
    strategies, others, seen = [], [], set()
    for header in sheet.headers:
        if header in ("name", "description", "include", "qaly") or header.startswith("cost_"):
            continue
        if header not in names.parameters:
            problems.add(sheet.header_ref(header), f"column '{header}' is neither name, "
                         "description, cost_<category> nor a parameter"
                         f"{_suggest(header, names.parameters)}; override columns must name "
                         "parameters")
    for row in sheet.rows:
        name = row.text("name")
        if not name:
            problems.add(row.cell("name").ref, "strategy name is empty")
            continue
        if len(name) > MAX_NAME:
            problems.add(row.cell("name").ref, f"strategy name has {len(name):,} characters; "
                                               f"at most {MAX_NAME}")
            continue
        if name in seen:
            problems.add(row.cell("name").ref, f"strategy '{name}' is listed twice")
            continue
        seen.add(name)
        oneoff, overrides, cells, qaly = {}, {}, {}, None
        for header in sheet.headers:
            cell = row.cell(header)
            if header in ("name", "description", "include") or cell.value is None:
                continue
            if header == "qaly":
                qaly = _expression(cell, names, problems, allow_time=False, what="qaly")
            elif header.startswith("cost_"):
                e = _expression(cell, names, problems, allow_time=False, what=header)
                if e is not None:
                    oneoff[header[5:]] = e
            elif header in names.parameters:
                e = _expression(cell, names, problems, what=f"override of '{header}'")
                if e is not None:
                    overrides[header] = e
                    cells[header] = cell.ref
        include = row.cell("include").value is None or row.boolean("include")
        (strategies if include else others).append(
            Strategy(name, row.text("description") or "", oneoff, overrides, cells, qaly))
    if not strategies:
        problems.add("strategies", "no strategies in the base case; at least one is needed")
    return strategies, others


def _read_transitions(sheet, states, strategies, names, problems) -> list[Transition]:
    state_by_name = {s.name: s for s in states}
    strategy_names = [s.name for s in strategies]
    for header in sheet.headers:
        if header not in ("from", "to", "description") and header not in strategy_names:
            problems.add(sheet.header_ref(header), f"column '{header}' is not a strategy"
                         f"{_suggest(header, strategy_names)}; after from and to, each column "
                         f"is a strategy of the strategies sheet: {strategy_names}")
    for name in strategy_names:
        if name not in sheet.headers:
            problems.add(f"{sheet.name}!1", f"no column for strategy '{name}'; add a column "
                                            "headed with its name")
    transitions, seen, complements = [], {}, {}
    for row in sheet.rows:
        pair = _transition_ends(row, state_by_name, problems)
        if pair is None:
            continue
        if pair in seen:
            problems.add(row.cell("from").ref, f"transition {pair[0]} -> {pair[1]} is listed "
                         f"twice (first at {seen[pair]})")
            continue
        seen[pair] = row.cell("from").ref
        expressions, cells = {}, {}
        for strategy in strategy_names:
            if strategy not in sheet.headers:
                continue
            cell = row.cell(strategy)
            cells[strategy] = cell.ref
            expressions[strategy] = _probability(cell, names, problems)
            if _is_complement(cell):
                complements.setdefault((pair[0], strategy), []).append(cell.ref)
        transitions.append(Transition(pair[0], pair[1], expressions, cells))
    _check_rows(transitions, states, sheet, problems)
    for (state, strategy), refs in complements.items():
        if len(refs) > 1:
            problems.add(refs[1], f"more than one C out of '{state}' for '{strategy}' (also "
                                  f"{refs[0]}); only one transition can take the remainder")
    return transitions


def _is_complement(cell) -> bool:
    return isinstance(cell.value, str) and cell.value.strip() == "C"


def _transition_ends(row, state_by_name, problems):
    ends = []
    for column in ("from", "to"):
        value = row.text(column)
        if value not in state_by_name:
            problems.add(row.cell(column).ref, f"'{value}' is not a state"
                         f"{_suggest(str(value), state_by_name)}; states: "
                         f"{list(state_by_name)}")
            return None
        ends.append(value)
    if state_by_name[ends[0]].dead:
        problems.add(row.cell("from").ref, f"'{ends[0]}' is dead (absorbing); it has no "
                                           "transitions out")
        return None
    return tuple(ends)


def _probability(cell, names, problems):
    if cell.value is None:
        problems.add(cell.ref, "probability is empty; write 0, a probability expression, or C "
                               "for the remainder")
        return None
    if _is_complement(cell):
        return None
    expression = _expression(cell, names, problems, what="probability")
    if expression is not None and expression.constant is not None \
            and not 0 <= expression.constant <= 1:
        problems.add(cell.ref, f"probability {expression.constant:g} must be in [0, 1]")
    return expression


def _check_rows(transitions, states, sheet, problems) -> None:
    for state in states:
        if not state.dead and not any(t.from_state == state.name for t in transitions):
            problems.add(sheet.name, f"state '{state.name}' has no transitions out; add rows "
                         "(from it to itself with C, at least) or mark it dead")


def _read_transition_rewards(sheet, states, transitions, names, problems):
    if sheet is None:
        return []
    state_names = {s.name for s in states}
    pairs = {(t.from_state, t.to_state) for t in transitions}
    rewards = []
    for row in sheet.rows:
        origin, target, kind = row.text("from"), row.text("to"), row.text("reward")
        if origin != "*" and origin not in state_names:
            problems.add(row.cell("from").ref, f"'{origin}' is neither a state nor *")
            continue
        if target not in state_names:
            problems.add(row.cell("to").ref, f"'{target}' is not a state")
            continue
        if origin == target or (origin != "*" and (origin, target) not in pairs):
            problems.add(row.cell("from").ref, f"there is no transition {origin} -> {target} "
                         "to reward; use an existing transition or * for entering the state")
            continue
        if not kind or not (kind == "qaly" or kind.startswith(("cost_", "outcome_"))):
            problems.add(row.cell("reward").ref, f"reward {kind!r} must be cost_<category>, "
                                                 "qaly or outcome_<name>")
            continue
        value = _expression(row.cell("value"), names, problems, what="reward value")
        if value is not None:
            rewards.append(TransitionReward(origin, target, kind, value,
                                            row.text("description") or "",
                                            row.cell("value").ref))
    return rewards


def _read_tables(sheet: SheetData | None, problems: Problems) -> dict[str, Table]:
    if sheet is None:
        return {}
    columns = [h for h in sheet.headers if h not in ("table", "key")]
    grouped: dict[str, list] = {}
    for row in sheet.rows:
        name = _identifier(row.cell("table"), problems, "table name")
        key = row.number("key", required=True)
        if name is not None and key is not None:
            grouped.setdefault(name, []).append((key, row))
    tables = {}
    for name, entries in grouped.items():
        keys = [k for k, _ in entries]
        if any(b <= a for a, b in zip(keys, keys[1:])):
            problems.add(entries[0][1].cell("key").ref, f"keys of table '{name}' must be "
                                                        "strictly increasing")
            continue
        values = {}
        for column in columns:
            col = [row.number(column) for _, row in entries]
            filled = [v is not None for v in col]
            if all(filled):
                values[column] = col
            elif any(filled):
                missing = entries[filled.index(False)][1].cell(column).ref
                problems.add(missing, f"table '{name}' column '{column}' is empty here; fill "
                                      "every row of a table's column or none")
        tables[name] = Table(name, np.array(keys, dtype=float),
                             {c: np.array(v, dtype=float) for c, v in values.items()})
    return tables
