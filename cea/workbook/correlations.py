"""Read the ``correlations`` sheet: one row per pair of uncertain parameters.

Columns ``parameter_1``, ``parameter_2``, ``correlation`` (a Spearman rank correlation,
strictly between -1 and 1) and an optional ``description``. The matrix they define must
be positive definite; the arithmetic is :mod:`cea.model.correlations`.
"""

from __future__ import annotations

from collections.abc import Mapping

from cea.model.correlations import correlation_matrix, definiteness_problem
from cea.model.distributions import Dirichlet
from cea.model.problems import Problems, suggest
from cea.model.spec import Correlation, Parameter
from cea.workbook.cells import SheetData

__all__ = ["read_correlations"]


def read_correlations(sheet: SheetData | None, parameters: Mapping[str, Parameter | None],
                      problems: Problems) -> tuple[Correlation, ...]:
    """Read and check the ``correlations`` sheet (absent: no correlations).

    Parameters
    ----------
    sheet : SheetData or None
    parameters : Mapping[str, Parameter or None]
        Parameters by name; None for a parameter whose own row has a problem (already
        reported, so not reported again here).
    problems : Problems
        Each problem is added as ``correlations!cell: message``.

    Returns
    -------
    tuple of Correlation
        Empty if the sheet is absent or has any problem.
    """
    if sheet is None:
        return ()
    before = len(problems)
    found: list[Correlation] = []
    seen: dict[frozenset, str] = {}
    for row in sheet.rows:
        ends = [_end(row.cell(h), row.text(h), parameters, problems)
                for h in ("parameter_1", "parameter_2")]
        value_cell = row.cell("correlation")
        value = row.number("correlation", required=True)
        if value is not None and not -1 < value < 1:
            problems.add(value_cell.ref, f"correlation {value:g} must be strictly between -1 "
                         "and 1 (at +-1 one parameter is a function of the other: write it as "
                         "an expression instead)")
            value = None
        if None in ends or value is None:
            continue
        if ends[0] == ends[1]:
            problems.add(row.cell("parameter_2").ref, f"'{ends[0]}' is paired with itself; "
                         "a correlation needs two different parameters")
            continue
        pair = frozenset(ends)
        if pair in seen:
            problems.add(row.cell("parameter_1").ref, f"the pair {ends[0]}, {ends[1]} is given "
                         f"twice (first at {seen[pair]}); give each pair once")
            continue
        seen[pair] = row.cell("parameter_1").ref
        found.append(Correlation(ends[0], ends[1], value, value_cell.ref))
    if len(problems) > before:
        return ()
    if found:
        names = list(dict.fromkeys(n for c in found for n in (c.parameter_1, c.parameter_2)))
        problem = definiteness_problem(correlation_matrix(names, found), names, found)
        if problem:
            problems.add(sheet.name, problem)
            return ()
    return tuple(found)


def _end(cell, name: str | None, parameters: Mapping[str, Parameter | None],
         problems: Problems) -> str | None:
    """The parameter named in one end of a pair, or None (with the problem added)."""
    if name is None:
        problems.add(cell.ref, "parameter name is empty; name a parameter with a distribution")
        return None
    if name not in parameters:
        problems.add(cell.ref, f"'{name}' is not a parameter{suggest(name, parameters)}; name a "
                               "parameter of the "
                               "parameters sheet that has a distribution")
        return None
    p = parameters[name]
    if p is None:  # its own row has a problem, reported there
        return None
    if not p.is_free:
        problems.add(cell.ref, f"'{name}' is derived from an expression, so it is not sampled; "
                               "correlate the parameters it is computed from")
        return None
    if p.distribution is None:
        problems.add(cell.ref, f"'{name}' has no distribution (it is fixed in the PSA); give it "
                               "a distribution in the parameters sheet or remove this pair")
        return None
    if isinstance(p.distribution, Dirichlet):
        problems.add(cell.ref, f"'{name}' belongs to dirichlet group '{p.distribution.group}', "
                               "whose members are already dependent (they sum to 1); a "
                               "dirichlet member cannot be correlated")
        return None
    return name
