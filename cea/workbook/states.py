"""Read the ``states`` and ``strategies`` sheets.

States carry per-cycle rewards (``utility``, ``cost_<category>``, ``outcome_<name>``),
strategies one-off costs and QALYs at time 0 and their own values of parameters.
"""

from __future__ import annotations

from cea.model.names import MAX_NAME, identifier
from cea.model.problems import Problems, suggest
from cea.model.spec import State, Strategy
from cea.workbook.cells import SheetData
from cea.workbook.parameters import Known

__all__ = ["read_states", "read_strategies"]


def read_states(sheet: SheetData, names: Known, problems: Problems) -> list[State]:
    states, seen, unreadable = [], set(), False
    for header in sheet.headers:
        if header not in ("name", "description", "initial", "utility", "dead", "tunnel") and \
                not header.startswith(("cost_", "outcome_")):
            problems.add(sheet.header_ref(header), f"unknown column '{header}'; allowed: name, "
                         "description, initial, utility, dead, tunnel, cost_<category>, "
                         "outcome_<name>")
    for row in sheet.rows:
        name = identifier(row.cell("name").value, row.cell("name").ref, problems, "state name",
                          reserved=False)
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
        rewards, reward_cells = {}, {}
        for header in sheet.headers:
            if header == "utility" or header.startswith(("cost_", "outcome_")):
                cell = row.cell(header)
                if cell.value is None:
                    continue
                expression = names.expression(cell, problems, what=header)
                if expression is not None:
                    rewards[header], reward_cells[header] = expression, cell.ref
                    _check_reward_constant(header, expression, cell, dead, problems)
        if dead and tunnel > 1:
            problems.add(row.cell("tunnel").ref, f"dead state '{name}' cannot have a tunnel")
        states.append(State(name, initial or 0.0, rewards, dead, tunnel,
                            row.text("description") or "", row.cell("name").ref,
                            reward_cells))
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


def read_strategies(sheet: SheetData, names: Known, problems: Problems):
    """Strategies in the base case, and those marked include = no (for scenarios)."""
    strategies, others, seen = [], [], set()
    for header in sheet.headers:
        if header in ("name", "description", "include", "qaly") or header.startswith("cost_"):
            continue
        if header not in names.parameters:
            problems.add(sheet.header_ref(header), f"column '{header}' is neither name, "
                         "description, cost_<category> nor a parameter"
                         f"{suggest(header, names.parameters)}; override columns must name "
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
                qaly = names.expression(cell, problems, what="qaly", time=())
            elif header.startswith("cost_"):
                e = names.expression(cell, problems, what=header, time=())
                if e is not None:
                    oneoff[header[5:]] = e
            elif header in names.parameters:
                e = names.expression(cell, problems, what=f"override of '{header}'")
                if e is not None:
                    overrides[header] = e
                    cells[header] = cell.ref
        include = row.cell("include").value is None or row.boolean("include")
        (strategies if include else others).append(
            Strategy(name, row.text("description") or "", oneoff, overrides, cells, qaly))
    if not strategies:
        problems.add("strategies", "no strategies in the base case; at least one is needed")
    return strategies, others
