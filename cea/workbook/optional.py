"""Read the optional ``scenarios``, ``steps`` and ``calibration`` sheets."""

from __future__ import annotations

from cea.model.names import MODEL_TIME
from cea.model.problems import Problems
from cea.model.spec import STATISTICS, Change, Reference, Scenario, Step, Target
from cea.workbook.cells import SheetData
from cea.workbook.parameters import Known


def read_scenarios(sheet: SheetData | None, problems: Problems) -> tuple[Scenario, ...]:
    """Scenarios in sheet order; rows of one scenario share its name."""
    if sheet is None:
        return ()
    grouped: dict[str, dict] = {}
    for row in sheet.rows:
        name = row.text("scenario")
        if not name:
            problems.add(row.cell("scenario").ref, "scenario name is empty")
            continue
        entry = grouped.setdefault(name, {"description": "", "changes": []})
        entry["description"] = entry["description"] or (row.text("description") or "")
        change, value = row.text("change"), row.cell("value").value
        if not change or value is None:
            problems.add(row.cell("change" if not change else "value").ref,
                         f"scenario '{name}': each row needs a change and a value")
            continue
        entry["changes"].append(Change(change.strip(), value, row.cell("value").ref))
    return tuple(Scenario(n, e["description"], tuple(e["changes"])) for n, e in grouped.items())


def read_steps(sheet: SheetData | None, names: Known, perspectives, problems: Problems
               ) -> tuple[Step, ...]:
    """Steps in sheet order; rows of one step share its name. A row may carry only a
    perspective (no change); the first row of a step carries its reference, if any."""
    if sheet is None:
        return ()
    grouped: dict[str, dict] = {}
    for row in sheet.rows:
        name = row.text("step")
        if not name:
            problems.add(row.cell("step").ref, "step name is empty")
            continue
        entry = grouped.setdefault(name, {"description": "", "perspective": "", "changes": [],
                                          "reference": None, "reconcile": ()})
        entry["description"] = entry["description"] or (row.text("description") or "")
        perspective = row.text("perspective")
        if perspective:
            if perspectives is not None and perspective not in perspectives:
                problems.add(row.cell("perspective").ref, f"'{perspective}' is not a "
                             f"perspective; the settings define {list(perspectives)}")
            entry["perspective"] = perspective
        change, value = row.text("change"), row.cell("value").value
        if change and value is not None:
            entry["changes"].append(Change(change.strip(), value, row.cell("value").ref))
        elif change or value is not None:
            problems.add(row.cell("change" if not change else "value").ref,
                         f"step '{name}': a change needs a value, and a value a change")
        reference = _reference(row, problems)
        if reference is not None:
            entry["reference"] = reference
        if row.text("reconcile"):
            entry["reconcile"] = _reconcile(row, names, problems)
    return tuple(Step(n, e["description"], e["perspective"], tuple(e["changes"]),
                      e["reference"], e["reconcile"]) for n, e in grouped.items())


def _reference(row, problems: Problems) -> Reference | None:
    icer, probability = row.number("reference_icer"), row.number("reference_probability")
    wtp = row.number("reference_wtp")
    if icer is None and probability is None:
        return None
    if probability is not None and not 0 <= probability <= 1:
        problems.add(row.cell("reference_probability").ref,
                     f"probability {probability:g} must be in [0, 1]")
    if probability is not None and wtp is None:
        problems.add(row.cell("reference_wtp").ref, "a published probability needs the "
                                                    "threshold it was computed at")
    return Reference(icer, probability, wtp, row.text("reference_source") or "",
                     row.cell("reference_icer").ref)


def _reconcile(row, names: Known, problems: Problems) -> tuple[str, ...]:
    found = []
    for name in (n.strip() for n in row.text("reconcile").split(",") if n.strip()):
        p = names.parameters.get(name, False)
        if p is False:
            problems.add(row.cell("reconcile").ref, f"'{name}' is not a parameter")
        elif p is not None and not p.is_free:
            problems.add(row.cell("reconcile").ref, f"'{name}' is derived from an expression; "
                         "a threshold needs a free parameter")
        else:
            found.append(name)
    return tuple(found)


def read_targets(sheet: SheetData | None, names: Known, strategies, problems: Problems):
    """Calibration targets, validated: statistic, expression, strategies, value and interval."""
    if sheet is None:
        return ()
    strategy_names = {s.name for s in strategies}
    targets = []
    for row in sheet.rows:
        target = _target(row, names, strategy_names, problems)
        if target is not None:
            targets.append(target)
    return tuple(targets)


def _target(row, names, strategy_names, problems: Problems) -> Target | None:
    statistic = (row.text("statistic") or "").strip()
    before = len(problems)
    if statistic not in STATISTICS:
        problems.add(row.cell("statistic").ref, f"statistic {statistic!r} must be one of "
                                                f"{', '.join(STATISTICS)}")
    expression = names.expression(row.cell("expression"), problems, what="expression",
                                  time=MODEL_TIME)
    strategy, reference = row.text("strategy"), row.text("reference") or ""
    for column, value in (("strategy", strategy), ("reference", reference)):
        if (value or column == "strategy") and value not in strategy_names:
            problems.add(row.cell(column).ref, f"'{value}' is not a strategy")
    if statistic == "hazard_ratio" and not reference:
        problems.add(row.cell("reference").ref, "a hazard ratio needs a reference strategy")
    value = row.number("value", required=True)
    low, high, time = row.number("low"), row.number("high"), row.number("time")
    if value is not None and value <= 0:
        problems.add(row.cell("value").ref, f"value {value:g} must be > 0")
    if (low is None) != (high is None) or (
            low is not None and value is not None and not 0 < low < value < high):
        problems.add(row.cell("low").ref, "give both low and high, with 0 < low < value < high")
    if time is not None and time <= 0:
        problems.add(row.cell("time").ref, f"time {time:g} must be > 0 (years)")
    if len(problems) > before:
        return None
    fit = row.cell("fit").value is None or row.boolean("fit")
    return Target(row.text("target") or "", statistic, expression, strategy, value, low, high,
                  reference, time, fit, row.text("source") or "", row.cell("target").ref)
