"""From points of the unit cube to parameter tables: the one mapping PSA and GSA share.

Every uncertain parameter (a free parameter with a distribution) takes one
column of uniforms u in (0, 1) and becomes its distribution's inverse CDF at
u; the members of a Dirichlet group take one column each and become
normalised gamma inverse CDFs, so they sum to 1. Parameters without a
distribution keep their base value.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from cea.model.dirichlet import sample_dirichlet
from cea.model.distributions import Dirichlet
from cea.model.spec import ModelSpec, Parameter


def uncertain_parameters(spec: ModelSpec) -> tuple[Parameter, ...]:
    """Free parameters with a distribution, in workbook order."""
    return tuple(p for p in spec.parameters if p.is_free and p.distribution is not None)


def table_from_uniform(spec: ModelSpec, u: np.ndarray,
                       names: tuple[str, ...] | None = None) -> pd.DataFrame:
    """Parameter table from uniforms.

    Parameters
    ----------
    spec : ModelSpec
    u : ndarray of shape (n_rows, n_names)
        Uniforms strictly inside (0, 1).
    names : tuple of str, optional
        The uncertain parameters the columns of ``u`` stand for (default: all,
        in workbook order).

    Returns
    -------
    DataFrame of shape (n_rows, n_free_parameters)
    """
    params = {p.name: p for p in uncertain_parameters(spec)}
    names = tuple(params) if names is None else tuple(names)
    unknown = [n for n in names if n not in params]
    if unknown:
        raise ValueError(f"not uncertain parameters (no distribution): {unknown}")
    u = np.asarray(u, dtype=float)
    if u.ndim != 2 or u.shape[1] != len(names):
        raise ValueError(f"u must have shape (n_rows, {len(names)}); got {u.shape}")
    table = pd.DataFrame(np.repeat(spec.base_table().to_numpy(), len(u), axis=0),
                         columns=spec.free_parameters)
    groups: dict[str, list[int]] = {}
    for j, name in enumerate(names):
        distribution = params[name].distribution
        if isinstance(distribution, Dirichlet):
            groups.setdefault(distribution.group, []).append(j)
        else:
            table[name] = distribution.ppf(u[:, j])
    for group, columns in groups.items():
        members = [names[j] for j in columns]
        expected = [p.name for p in params.values()
                    if isinstance(p.distribution, Dirichlet) and p.distribution.group == group]
        if members != expected:
            raise ValueError(f"dirichlet group '{group}' must be sampled whole: {expected}")
        counts = np.array([params[n].distribution.inputs["count"] for n in members])
        table[members] = sample_dirichlet(counts, u[:, columns])
    return table
