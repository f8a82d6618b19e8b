"""Dirichlet groups: which parameters form a set of outcome probabilities, and joint draws
of a set from uniforms (each parameter's marginal is a beta, see
:class:`cea.model.distributions.Dirichlet`)."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from cea.model.distributions import Dirichlet, Distribution, DistributionError

__all__ = ["dirichlet_groups", "sample_dirichlet"]


def dirichlet_groups(dists: Mapping[str, Distribution]) -> dict[str, list[str]]:
    """Group the Dirichlet parameters.

    Parameters
    ----------
    dists : Mapping[str, Distribution]
        Distributions by parameter name.

    Returns
    -------
    dict[str, list[str]]
        Group name to its parameter names, both in input order.
    """
    groups: dict[str, list[str]] = {}
    for param, dist in dists.items():
        if isinstance(dist, Dirichlet):
            groups.setdefault(dist.group, []).append(param)
    return groups


def sample_dirichlet(counts: np.ndarray, u: np.ndarray) -> np.ndarray:
    """Draw Dirichlet vectors from uniforms via normalised gamma inverse CDFs.

    Parameters
    ----------
    counts : array_like, shape (k,)
        Counts (concentrations) of the k components, all > 0.
    u : array_like, shape (n, k)
        Uniforms strictly inside (0, 1), one column per component.

    Returns
    -------
    numpy.ndarray, shape (n, k)
        ``g / g.sum(axis=1)`` with ``g = gamma.ppf(u, counts)``; every row sums to 1.
    """
    counts = np.asarray(counts, dtype=float)
    u = np.asarray(u, dtype=float)
    if counts.ndim != 1 or not np.all(np.isfinite(counts) & (counts > 0)):
        raise DistributionError("dirichlet: counts must be a 1-D array of finite numbers > 0")
    if u.ndim != 2 or u.shape[1] != counts.size:
        raise DistributionError(f"dirichlet: u must have shape (n, {counts.size}), "
                                f"got {u.shape}")
    if not np.all((u > 0) & (u < 1)):
        raise DistributionError("dirichlet: uniforms must be strictly between 0 and 1")
    from scipy import stats  # imported when Dirichlet draws are made (start-up time)

    g = stats.gamma.ppf(u, counts)
    return g / g.sum(axis=1, keepdims=True)
