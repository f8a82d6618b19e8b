"""Results of Sobol and Morris analyses: tidy indices, summaries, designs, convergence."""

from __future__ import annotations

import math
import warnings
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import ClassVar

import numpy as np
import pandas as pd

from cea.analyses.gsa_design import INDEPENDENCE, GSAWarning

__all__ = ["OUTCOME_WORDS", "GSAResult", "MorrisResult", "SobolResult", "front", "outputs", "title",
           "warn_notes"]

OUTCOME_WORDS = {"inc_nmb": "incremental NMB", "inc_cost": "incremental cost",
                 "inc_qaly": "incremental QALYs"}


def front(frame: pd.DataFrame, labels) -> pd.DataFrame:
    """The label columns first."""
    return frame[list(labels) + [c for c in frame.columns if c not in labels]]


def warn_notes(method: str, notes, stacklevel: int) -> None:
    """Warn about every note that qualifies the independence assumption (correlations)."""
    for note in notes:
        if note.startswith(INDEPENDENCE):
            warnings.warn(f"{method}: {note}.", GSAWarning, stacklevel=stacklevel)


def title(label: Mapping, context: Mapping) -> str:
    """Readable name of one output, e.g. 'incremental NMB at AUD 2024 28,033 per QALY, ...'."""
    if "outcome" not in label:
        return ", ".join(f"{k} {v}" for k, v in label.items())
    currency = context.get("currency", "")
    words = OUTCOME_WORDS.get(label["outcome"], str(label["outcome"]))
    if label["outcome"] == "inc_nmb":
        words += f" at {currency} {label['wtp']:,.0f} per QALY".replace("  ", " ")
    if label.get("perspective") not in (None, "all"):
        words += f", {label['perspective']} perspective"
    return f"{words}, {label['comparison']}"


def outputs(frame: pd.DataFrame, labels) -> list[tuple[dict, pd.DataFrame]]:
    """(label dict, rows) per output, in the order of the result; NaN labels become None."""
    out = []
    for key, rows in frame.groupby(list(labels), sort=False, dropna=False):
        key = key if isinstance(key, tuple) else (key,)
        out.append(({k: None if isinstance(v, float) and np.isnan(v) else v
                     for k, v in zip(labels, key)}, rows))
    return out


@dataclass(frozen=True, kw_only=True)
class GSAResult:
    """What Sobol and Morris results share: the tidy indices and how they were made."""

    indices: pd.DataFrame
    labels: tuple[str, ...]
    n_rows: int
    n_inputs: int
    grouped: bool
    seed: int
    conf_level: float
    num_resamples: int
    notes: tuple[str, ...] = ()
    context: dict = field(default_factory=dict)

    method: ClassVar[str]
    rank: ClassVar[str]  # the column that orders inputs by importance
    main_columns: ClassVar[tuple[str, ...]]

    def to_frame(self) -> pd.DataFrame:
        """Tidy indices: one row per output x parameter (or group)."""
        return self.indices.copy()

    def _notes_rows(self) -> list[tuple[str, str]]:
        return [("seed", str(self.seed)),
                *(("note", note) for note in (INDEPENDENCE, *self.notes))]

@dataclass(frozen=True, kw_only=True)
class SobolResult(GSAResult):
    """Sobol indices per output; built by :func:`sobol` or :func:`sobol_indices`.

    ``indices`` holds one row per output x input: the label columns, ``parameter`` (a
    parameter or group), ``members``, ``S1``/``ST`` with ``_conf`` (SALib's half-width
    z·SD_boot), ``_low``/``_high``, ``ST_width``, ``converged``, the output's ``mean`` and
    ``sd`` over the design's A and B rows, and ``note``.
    """

    n: int
    second_order: bool
    tolerance: float
    second: pd.DataFrame | None = None

    method = "Sobol indices"
    rank = "ST"
    main_columns = ("parameter", "members", "S1", "S1_low", "S1_high", "ST", "ST_low",
                    "ST_high")

    @property
    def converged(self) -> bool:
        return bool(self.indices["converged"].all())

    def suggested_n(self) -> int:
        """A power of two at which every ST interval should meet the tolerance (∝ 1/sqrt N)."""
        widest = float(self.indices["ST_width"].max())
        if not widest > self.tolerance:
            return self.n
        return self.n * 2 ** math.ceil(math.log2((widest / self.tolerance) ** 2))

    def warn(self, stacklevel: int = 2) -> None:
        """Issue the :class:`GSAWarning` s for ignored correlations and wide intervals."""
        warn_notes("Sobol indices", self.notes, stacklevel + 1)
        wide = self.indices[~self.indices["converged"]]
        if len(wide):
            worst = wide.loc[wide["ST_width"].idxmax()]
            where = title({k: worst[k] for k in self.labels}, self.context)
            warnings.warn(
                f"Sobol indices: {len(wide)} of {len(self.indices)} total-order (ST) intervals "
                f"are wider than {self.tolerance:g} (widest {worst['ST_width']:.3f}: "
                f"{worst['parameter']} on {where}) at n = {self.n}; run with n = "
                f"{self.suggested_n()} (interval width shrinks like 1/sqrt(n)).",
                GSAWarning, stacklevel=stacklevel)

    def second_order_frame(self) -> pd.DataFrame | None:
        """S2 per output and pair of inputs (None unless run with ``second_order``)."""
        return None if self.second is None else self.second.copy()

    def summary(self) -> pd.DataFrame:
        """One row per output: SD, sum of S1 (near 1: additive), top inputs by ST, widest ST."""
        rows = []
        for label, part in outputs(self.indices, self.labels):
            top = part.sort_values("ST", ascending=False).head(3)
            rows.append({**label, "sd": part["sd"].iloc[0], "sum_S1": part["S1"].sum(),
                         "top_ST": "; ".join(f"{p} {s:.2f}" for p, s in
                                             zip(top["parameter"], top["ST"])),
                         "max_ST_width": part["ST_width"].max(),
                         "converged": bool(part["converged"].all())})
        return pd.DataFrame(rows)

    def design(self) -> pd.DataFrame:
        """The design and its convergence, as item/value rows."""
        d = "2D + 2" if self.second_order else "D + 2"
        return pd.DataFrame([
            ("method", "Sobol (Saltelli 2010 estimators, SALib)"),
            ("N (base sample)", self.n),
            ("D (inputs" + (" or groups)" if self.grouped else ")"), self.n_inputs),
            (f"model rows N({d})", self.n_rows),
            ("second order", "yes" if self.second_order else "no"),
            ("intervals", f"{self.conf_level:.0%} bootstrap, {self.num_resamples} resamples"),
            ("tolerance on ST interval width", self.tolerance),
            ("widest ST interval", float(self.indices["ST_width"].max())),
            ("converged", "yes" if self.converged else f"no: try n = {self.suggested_n()}"),
            *self._notes_rows(),
        ], columns=["item", "value"])

@dataclass(frozen=True, kw_only=True)
class MorrisResult(GSAResult):
    """Morris screening per output; built by :func:`morris` or :func:`morris_indices`.

    ``indices``: label columns, ``parameter``, ``members``, ``mu_star`` (mean absolute
    elementary effect), ``mu_star_conf`` (bootstrap half-width), ``mu`` (signed mean),
    ``sigma`` (SD of the effects: non-linearity or interactions; NaN for a group of several
    parameters) and ``note``, all in the output's units per step of half a probability range.
    """

    trajectories: int
    levels: int

    method = "Morris screening"
    rank = "mu_star"
    main_columns = ("parameter", "members", "mu_star", "mu_star_conf", "mu", "sigma")

    def summary(self) -> pd.DataFrame:
        """One row per output: the three inputs with the largest μ*."""
        rows = []
        for label, part in outputs(self.indices, self.labels):
            top = part.sort_values("mu_star", ascending=False).head(3)
            rows.append({**label, "top_mu_star": "; ".join(
                f"{p} {m:.4g}" for p, m in zip(top["parameter"], top["mu_star"]))})
        return pd.DataFrame(rows)

    def design(self) -> pd.DataFrame:
        """The design, as item/value rows."""
        p = self.levels
        return pd.DataFrame([
            ("method", "Morris elementary effects (SALib)"),
            ("trajectories r", self.trajectories),
            ("levels p", p),
            ("D (inputs" + (" or groups)" if self.grouped else ")"), self.n_inputs),
            ("model rows r(D + 1)", self.n_rows),
            ("levels at centiles", ", ".join(f"{(k + 0.5) / p:.1%}" for k in range(p))),
            ("one step", "half of the parameter's probability range; effects in the "
                         "outcome's units per step"),
            ("intervals", f"{self.conf_level:.0%} bootstrap of mu_star, "
                          f"{self.num_resamples} resamples"),
            *self._notes_rows(),
        ], columns=["item", "value"])
