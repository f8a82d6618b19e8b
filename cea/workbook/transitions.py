"""Read the ``transitions`` and ``transition_rewards`` sheets.

One row per possible transition with a probability per strategy (``C`` for the
remainder of its row), and one-off rewards on transitions (``*`` for entering a state
from any other).
"""

from __future__ import annotations

from cea.model.problems import suggest
from cea.model.spec import Transition, TransitionReward

__all__ = ["read_transition_rewards", "read_transitions"]


def read_transitions(sheet, states, strategies, names, problems) -> list[Transition]:
    state_by_name = {s.name: s for s in states}
    strategy_names = [s.name for s in strategies]
    for header in sheet.headers:
        if header not in ("from", "to", "description") and header not in strategy_names:
            problems.add(sheet.header_ref(header), f"column '{header}' is not a strategy"
                         f"{suggest(header, strategy_names)}; after from and to, each column "
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
                         f"{suggest(str(value), state_by_name)}; states: "
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
    expression = names.expression(cell, problems, what="probability")
    if expression is not None and expression.constant is not None \
            and not 0 <= expression.constant <= 1:
        problems.add(cell.ref, f"probability {expression.constant:g} must be in [0, 1]")
    return expression


def _check_rows(transitions, states, sheet, problems) -> None:
    for state in states:
        if not state.dead and not any(t.from_state == state.name for t in transitions):
            problems.add(sheet.name, f"state '{state.name}' has no transitions out; add rows "
                         "(from it to itself with C, at least) or mark it dead")


def read_transition_rewards(sheet, states, transitions, names, problems):
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
        value = names.expression(row.cell("value"), problems, what="reward value")
        if value is not None:
            rewards.append(TransitionReward(origin, target, kind, value,
                                            row.text("description") or "",
                                            row.cell("value").ref))
    return rewards
