"""Value of information: EVPPI of parameters and groups from the draws of a PSA.

EVPI per person is ``E[max_k NMB_k] - max_k E[NMB_k]`` over the PSA draws
(:meth:`cea.analyses.psa.PSAResult.evpi`); for the population it is multiplied by
:func:`cea.analyses.psa.population_factor`. EVPPI of a parameter, or a set of
parameters, phi is ``E_phi[max_k E(NMB_k | phi)] - max_k E[NMB_k]``: the value of
learning phi exactly, estimated by regression on the draws
(:func:`cea.analyses.regression.regression_evppi`).

References
----------
.. [1] Strong M, Oakley JE, Brennan A. Estimating multiparameter partial expected value of
   perfect information from a probabilistic sensitivity analysis sample: a nonparametric
   regression approach. *Med Decis Making*. 2014;34(3):311-326.
   doi:10.1177/0272989X13505910
.. [2] Claxton K, Posnett J. An economic approach to clinical trial design and research
   priority-setting. *Health Econ*. 1996;5(6):513-524 (population value of information).
"""

from __future__ import annotations

import zlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from cea.analyses.psa import PSAResult, population_factor, run_psa
from cea.analyses.regression import MAX_SET, N_REPLICATES, independent, regression_evppi
from cea.analyses.sampling import uncertain_parameters
from cea.model.spec import ModelSpec

__all__ = ["EVPPIResult", "evppi", "evppi_table"]



def _sets(psa: PSAResult, params, groups) -> list[tuple[str, str, list[str]]]:
    """(label, kind, parameter names) of every set asked for, checked."""
    uncertain = {p.name: p for p in uncertain_parameters(psa.spec)}
    by_group: dict[str, list[str]] = {}
    for p in uncertain.values():
        if p.group:
            by_group.setdefault(p.group, []).append(p.name)
    if params is None and groups is None:
        params = list(uncertain)
        groups = [g for g, members in by_group.items() if len(members) > 1]
    sets = []
    for item in params or ():
        names = [item] if isinstance(item, str) else list(item)
        unknown = [n for n in names if n not in uncertain]
        if unknown:
            raise ValueError(f"The 'params' parameter of evppi must name parameters with a "
                             f"distribution; got {unknown} (uncertain: {list(uncertain)}).")
        sets.append((" + ".join(names), "parameter" if len(names) == 1 else "set", names))
    for group in groups or ():
        if group not in by_group:
            raise ValueError(f"The 'groups' parameter of evppi must name groups (the group "
                             f"column) with uncertain parameters; got {group!r} (groups: "
                             f"{sorted(by_group)}).")
        sets.append((group, "group", by_group[group]))
    return sets


def _responses(psa: PSAResult, wtp) -> tuple[np.ndarray, list[tuple[str, float]]]:
    """Incremental NMB, shape (n_draws, perspectives x thresholds, strategies - 1)."""
    cases, columns = [], []
    for perspective, cost in psa.costs.items():
        for w in wtp:
            nmb = w * psa.qaly - cost
            columns.append(nmb[:, 1:] - nmb[:, :1])
            cases.append((perspective, float(w)))
    return np.stack(columns, axis=1), cases


def evppi_table(psa: PSAResult, *, params: Sequence[str | Sequence[str]] | None = None,
          groups: Sequence[str] | None = None, wtp: Sequence[float] | None = None,
          n_replicates: int = N_REPLICATES, seed: int | None = None) -> pd.DataFrame:
    """Expected value of partial perfect information, per perspective and threshold.

    Parameters
    ----------
    psa : PSAResult
    params : sequence of str or of sequences of str, optional
        Parameters, each alone; an inner sequence is one joint set (e.g. ``[("hr_al",
        "hr_cs")]``).
    groups : sequence of str, optional
        Groups of the parameters sheet (``group`` column), each a joint set of its
        uncertain members. With neither ``params`` nor ``groups``: every uncertain
        parameter and every group with two or more.
    wtp : sequence of float, optional
        Thresholds (default ``settings.wtp``).
    n_replicates : int
        Coefficient draws for each standard error.
    seed : int, optional
        Seed of the standard errors' random numbers; by default derived from the PSA seed
        and the set's label, so a set gets the same SE whatever else is computed.

    Returns
    -------
    DataFrame
        ``perspective, wtp, label, kind (parameter | group | set), parameters,
        n_parameters, evppi, se, evpi, share (evppi / evpi), evppi_population, edf``.
        ``attrs["skipped"]`` lists sets that could not be estimated and why.
    """
    wtp = list(psa.spec.settings.wtp if wtp is None else wtp)
    inb, cases = _responses(psa, wtp)
    evpi = psa.evpi(wtp=wtp).set_index(["perspective", "wtp"])["evpi"]
    factor = population_factor(psa.spec)
    rows, skipped = [], []
    for label, kind, names in _sets(psa, params, groups):
        x, used = independent(psa.parameters[names].to_numpy(), names)
        if len(used) > MAX_SET:
            message = (f"{kind} '{label}' has {len(used)} uncertain parameters; EVPPI "
                       f"regression takes at most {MAX_SET}: split it")
            if params is None and groups is None:  # the default list: report, go on
                skipped.append(message)
                continue
            raise ValueError(message)
        generator = np.random.default_rng(seed) if seed is not None else np.random.default_rng(
            np.random.SeedSequence(psa.seed, spawn_key=(2**32 - 1, zlib.crc32(label.encode()))))
        value, se, edf = regression_evppi(inb, x, n_replicates=n_replicates, seed=generator)
        for (perspective, w), v, s, e in zip(cases, value, se, edf):
            total = float(evpi.loc[(perspective, w)])
            rows.append({"perspective": perspective, "wtp": w, "label": label, "kind": kind,
                         "parameters": ", ".join(names), "n_parameters": len(names),
                         "evppi": v, "se": s, "evpi": total,
                         "share": v / total if total > 0 else np.nan,
                         "evppi_population": v * factor, "edf": e})
    columns = ["perspective", "wtp", "label", "kind", "parameters", "n_parameters", "evppi",
               "se", "evpi", "share", "evppi_population", "edf"]
    frame = pd.DataFrame(rows, columns=columns)
    frame.attrs["skipped"] = skipped
    frame.attrs["method"] = ("non-parametric regression (Strong, Oakley & Brennan 2014): "
                             "penalised cubic regression splines, tensor products for sets, "
                             "smoothing by GCV; SE from coefficient draws")
    return frame




@dataclass(frozen=True, eq=False)
class EVPPIResult:
    """A PSA and the EVPPI of its parameters and groups (:func:`evppi_table`)."""

    psa: PSAResult
    table: pd.DataFrame

    @property
    def spec(self) -> ModelSpec:
        return self.psa.spec

    def to_frame(self) -> pd.DataFrame:
        return self.table.copy()


def evppi(spec: ModelSpec, *, n_draws: int | None = None,
          params: Sequence[str | Sequence[str]] | None = None,
          groups: Sequence[str] | None = None, wtp: Sequence[float] | None = None,
          n_replicates: int = N_REPLICATES, seed: int | None = None, executor=None,
          progress: Callable[[int, int], None] | None = None) -> EVPPIResult:
    """A PSA (:func:`cea.analyses.psa.run_psa`) and the EVPPI of its parameters.

    ``params``, ``groups``, ``wtp`` and ``n_replicates`` as in :func:`evppi_table`;
    ``n_draws``, ``seed``, ``executor`` and ``progress`` as in ``run_psa`` (the seed also
    seeds the standard errors, through the PSA's seed).
    """
    psa = run_psa(spec, n_draws=n_draws, seed=seed, executor=executor, progress=progress)
    return EVPPIResult(psa, evppi_table(psa, params=params, groups=groups, wtp=wtp,
                                        n_replicates=n_replicates))
