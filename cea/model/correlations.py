"""Rank correlations between uncertain parameters, and the Gaussian copula that imposes them.

The ``correlations`` sheet gives, per pair of uncertain parameters, a **Spearman rank
correlation**, the scale a health
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

The reader's check (:mod:`cea.workbook.correlations`) and the sampler
(:mod:`cea.analyses.draws`) use this same arithmetic.

References
----------
.. [1] Kruskal WH. Ordinal measures of association. *J Am Stat Assoc*. 1958;53:814-861.
.. [2] Iman RL, Conover WJ. A distribution-free approach to inducing rank correlation among
   input variables. *Commun Stat Simul Comput*. 1982;11(3):311-334.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from cea.model.spec import Correlation

__all__ = ["MIN_EIGENVALUE", "copula_factor", "correlation_matrix", "definiteness_problem",
           "normal_scale", "rank_scale"]

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
    problem = definiteness_problem(matrix, list(names), correlations)
    if problem:
        raise ValueError(problem)
    return np.linalg.cholesky(matrix)


def definiteness_problem(matrix: np.ndarray, names: list[str],
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
