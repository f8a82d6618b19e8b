"""Read the ``parameters`` and ``tables`` sheets.

A parameter whose value is a number is free (varied by the analyses); one whose value
is an expression is derived. Every name an expression reads is checked once all the
parameters are known; prefixes (``p_``, ``c_``, ...) bound values, ranges and
distributions (:mod:`cea.model.domains`).
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from cea.model.dirichlet import dirichlet_groups
from cea.model.distribution_text import parse_distribution
from cea.model.distributions import DistributionError
from cea.model.domains import domain
from cea.model.expressions import ExpressionError, Table, parse
from cea.model.names import TIME_NAMES, check_names, checked, identifier
from cea.model.problems import Problems, suggest
from cea.model.spec import Parameter
from cea.workbook.cells import SheetData
from cea.workbook.schema import SHEET_BY_NAME

__all__ = ["Known", "read_parameters", "read_tables"]


@dataclass(frozen=True)
class Known:
    """The names other sheets' expressions may read: parameters (None for one whose own
    row has a problem: still a known name, so no cascade of errors) and tables."""

    parameters: dict
    tables: dict

    def expression(self, cell, problems: Problems, *, what: str, time=TIME_NAMES):
        """The cell's expression with its names checked, or None (problems added)."""
        return checked(cell.value, cell.ref, problems, known=self.parameters,
                       tables=self.tables, time=time, what=what)


def read_parameters(sheet: SheetData, tables, problems: Problems):
    """The valid parameters, and the names of those whose row has a problem."""
    parameters, seen, broken = [], {}, set()
    allowed = [c.name for c in SHEET_BY_NAME["parameters"].columns]
    for header in sheet.headers:
        if header not in allowed:
            problems.add(sheet.header_ref(header), f"unknown column '{header}'"
                         f"{suggest(header, allowed)}; the parameters sheet has the columns "
                         f"{', '.join(allowed)}")
    for row in sheet.rows:
        name = identifier(row.cell("name").value, row.cell("name").ref, problems,
                          "parameter name")
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
            distribution_cell=row.cell("distribution").ref, label=row.text("label") or "",
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
            problems.add(by_name[names[0]].distribution_cell,
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
    declared = domain(p.name)
    if declared is None:
        return
    prefix, (lo, hi, what) = declared
    for column, v in (("value", value), ("low", low), ("high", high)):
        if v is not None and not lo <= v <= hi:
            problems.add(row.cell(column).ref, f"'{p.name}' is {what} (prefix {prefix}); its "
                         f"{'base value' if column == 'value' else column} {v:g} must be in "
                         f"[{lo:g}, {hi:g}]")
    d = p.distribution
    low, high = d.bounds() if d is not None else (lo, hi)
    if low < lo or high > hi:
        problems.add(row.cell("distribution").ref,
                     f"'{p.name}' is {what} in [{lo:g}, {hi:g}] but its {d.name} distribution "
                     f"ranges over [{low:g}, {high:g}]; choose a distribution "
                     "inside that range (e.g. beta for probabilities, gamma for costs)")


def _check_parameter_names(parameters: list[Parameter], broken, tables,
                           problems: Problems) -> None:
    known = {p.name for p in parameters} | broken
    for p in parameters:
        check_names(p.expression, p.cell, problems, known=known, tables=tables,
                    what=f"value of '{p.name}'")


def read_tables(sheet: SheetData | None, problems: Problems) -> dict[str, Table]:
    if sheet is None:
        return {}
    columns = [h for h in sheet.headers if h not in ("table", "key")]
    grouped: dict[str, list] = {}
    for row in sheet.rows:
        name = identifier(row.cell("table").value, row.cell("table").ref, problems,
                          "table name")
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
