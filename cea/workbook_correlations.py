"""The ``correlations`` sheet: rank correlations between uncertain parameters.

One row per pair: ``parameter_1``, ``parameter_2``, ``correlation`` (and an optional
``description``). The value is a **Spearman rank correlation**, the scale a health
economist usually has in mind ("when the cost is high, the length of stay tends to be
high"). The PSA imposes it with a Gaussian copula: correlated standard normals z,
uniforms u = Phi(z), parameters = each distribution's inverse CDF at u. Rank
correlations survive every monotone step, and for a Gaussian copula the Pearson
correlation r of the normals and the Spearman correlation rho of the parameters are
linked exactly by

    rho = (6 / pi) * asin(r / 2),      r = 2 * sin(pi * rho / 6)

(Kruskal 1958), so the sheet's rho is converted to r before sampling. The two differ by at
most 0.018 (at |rho| near 0.5). Pairs not listed are independent. The matrix of r must be
positive definite; a set of pairs that cannot hold together (e.g. a-b 0.9, b-c 0.9,
a-c -0.9) is refused with its smallest eigenvalue and the pairs to reduce.

This module holds both the reader and the matrix the sheet defines, so the reader's check
and the sampler (:mod:`cea.analyses.psa`) use the same arithmetic.

References
----------
.. [1] Kruskal WH. Ordinal measures of association. *J Am Stat Assoc*. 1958;53:814-861.
.. [2] Iman RL, Conover WJ. A distribution-free approach to inducing rank correlation among
   input variables. *Commun Stat Simul Comput*. 1982;11(3):311-334.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping, Sequence

import numpy as np

from cea.distributions import Dirichlet
from cea.sheets import Problems, SheetData
from cea.spec import Correlation, Parameter

__all__ = ["MIN_EIGENVALUE", "copula_factor", "correlation_matrix", "normal_scale",
           "rank_scale", "read_correlations"]

#: Smallest eigenvalue accepted for the normal-scale correlation matrix.
MIN_EIGENVALUE = 1e-10


def normal_scale(rank_correlation):
    """Pearson correlation of the copula's normals giving this Spearman correlation."""
    return 2.0 * np.sin(np.pi * np.asarray(rank_correlation, dtype=float) / 6.0)


def rank_scale(normal_correlation):
    """Spearman correlation of the parameters for this correlation of the normals."""
    return 6.0 / np.pi * np.arcsin(np.asarray(normal_correlation, dtype=float) / 2.0)


def correlation_matrix(names: Sequence[str], correlations: Sequence[Correlation]) -> np.ndarray:
    """Normal-scale correlation matrix of ``names`` (identity where no pair is given).

    Parameters
    ----------
    names : sequence of str
        The uncertain parameters, in sampling order.
    correlations : sequence of Correlation
        Spearman correlations; pairs naming other parameters raise ValueError.

    Returns
    -------
    ndarray of shape (n_names, n_names)
    """
    index = {n: i for i, n in enumerate(names)}
    matrix = np.eye(len(names))
    for c in correlations:
        if c.parameter_1 not in index or c.parameter_2 not in index:
            raise ValueError(f"correlation {c.parameter_1}-{c.parameter_2}: both must be "
                             f"sampled parameters; got {list(names)}")
        i, j = index[c.parameter_1], index[c.parameter_2]
        matrix[i, j] = matrix[j, i] = normal_scale(c.value)
    return matrix


def copula_factor(names: Sequence[str], correlations: Sequence[Correlation]):
    """Lower Cholesky factor L of the normal-scale matrix (z_corr = z @ L.T), or None if
    there are no correlations. Raises ValueError if the matrix is not positive definite."""
    if not correlations:
        return None
    matrix = correlation_matrix(names, correlations)
    problem = _definiteness_problem(matrix, list(names), correlations)
    if problem:
        raise ValueError(problem)
    return np.linalg.cholesky(matrix)


def _definiteness_problem(matrix: np.ndarray, names: list[str],
                          correlations: Sequence[Correlation]) -> str | None:
    """Why ``matrix`` is not positive definite, naming the pairs to reduce; None if it is."""
    values, vectors = np.linalg.eigh(matrix)
    if values[0] > MIN_EIGENVALUE:
        return None
    v = vectors[:, 0]
    index = {n: i for i, n in enumerate(names)}
    # x' R x = sum_i x_i^2 + sum_{i != j} x_i x_j R_ij: the most negative pair terms pull the
    # smallest eigenvalue below zero
    pull = sorted((2 * v[index[c.parameter_1]] * v[index[c.parameter_2]]
                   * normal_scale(c.value), c) for c in correlations)
    worst = [c for term, c in pull if term < 0][:3]
    listed = ", ".join(f"{c.parameter_1}-{c.parameter_2} {c.value:g}"
                       + (f" ({c.cell})" if c.cell else "") for c in worst)
    return (f"the correlations cannot all hold together: the copula's correlation matrix is "
            f"not positive definite (smallest eigenvalue {values[0]:.3g} on the normal scale, "
            f"it must be above 0); reduce the size of one of {listed}")


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
    before = len(problems.items)
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
    if len(problems.items) > before:
        return ()
    if found:
        names = list(dict.fromkeys(n for c in found for n in (c.parameter_1, c.parameter_2)))
        problem = _definiteness_problem(correlation_matrix(names, found), names, found)
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
        close = difflib.get_close_matches(name, list(parameters), n=1)
        hint = f" (did you mean '{close[0]}'?)" if close else ""
        problems.add(cell.ref, f"'{name}' is not a parameter{hint}; name a parameter of the "
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
