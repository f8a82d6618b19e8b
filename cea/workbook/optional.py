"""Read the optional ``scenarios`` and ``calibration`` sheets."""

from __future__ import annotations

from cea.model.names import MODEL_TIME
from cea.model.problems import Problems
from cea.model.spec import STATISTICS, Change, Scenario, Target
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
