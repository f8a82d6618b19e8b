"""The model specification: frozen dataclasses that a workbook is read into.

A :class:`ModelSpec` is everything the engine needs and nothing it computes:
settings, parameters (with ranges, distributions and sources), states,
transitions (as expressions, per strategy), transition rewards, strategies and
lookup tables. It is built once by :mod:`cea.workbook` (or by hand in Python)
and never changes; analyses design tables of parameter rows against it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from cea.distributions import Distribution
from cea.expressions import Expression, Table

#: Length of one unit of time, in years (a year is 365.25 days).
TIME_UNITS: Mapping[str, float] = {
    "day": 1 / 365.25,
    "week": 7 / 365.25,
    "month": 1 / 12,
    "year": 1.0,
}

WITHIN_CYCLE = ("start", "end", "half_cycle", "simpson", "custom")
DISCOUNT_TIMING = ("start", "middle", "end", "time_point")


@dataclass(frozen=True)
class Settings:
    """Model-wide settings (the ``settings`` sheet)."""

    model_name: str
    cycle_length: float
    cycle_unit: str
    horizon: float
    horizon_unit: str
    discount_costs: float
    discount_outcomes: float
    discount_timing: str = "time_point"
    within_cycle: str = "half_cycle"
    within_cycle_weight: Expression | None = None
    perspectives: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    currency: str = ""
    price_year: int | None = None
    wtp: tuple[float, ...] = ()
    seed: int = 12345
    psa_draws: int = 1000
    population: float | None = None
    decision_horizon: float | None = None

    @property
    def cycle_years(self) -> float:
        """Cycle length in years."""
        return self.cycle_length * TIME_UNITS[self.cycle_unit]

    @property
    def horizon_years(self) -> float:
        return self.horizon * TIME_UNITS[self.horizon_unit]

    @property
    def n_cycles(self) -> int:
        """Number of cycles in the time horizon (the horizon is a whole number of cycles)."""
        return int(round(self.horizon_years / self.cycle_years))

    def conventions(self) -> dict[str, str]:
        """The counting and discounting conventions in words, for every output."""
        return {
            "cycle length": f"{self.cycle_length:g} {self.cycle_unit}(s) "
            f"= {self.cycle_years:.6g} years",
            "time horizon": f"{self.horizon:g} {self.horizon_unit}(s) = {self.n_cycles} cycles",
            "within-cycle correction": WITHIN_CYCLE_TEXT[self.within_cycle]
            + (f" (weight {self.within_cycle_weight.text})" if self.within_cycle_weight else ""),
            "discount timing": DISCOUNT_TIMING_TEXT[self.discount_timing],
            "discount rates": f"costs {self.discount_costs:.4g} a year, "
            f"outcomes {self.discount_outcomes:.4g} a year, factor (1 + rate)^-(years elapsed)",
            "one-off strategy costs": "at time 0, not discounted",
        }


WITHIN_CYCLE_TEXT = {
    "start": "start of cycle: cycle t counts the cohort at the start of the cycle",
    "end": "end of cycle: cycle t counts the cohort after the cycle's transitions",
    "half_cycle": "half-cycle (trapezoid): cycle t counts the mean of start and end",
    "simpson": "Simpson's 1/3 rule over pairs of cycles (trapezoid for a last odd cycle)",
    "custom": "custom: cycle t counts w x start + (1 - w) x end",
}
DISCOUNT_TIMING_TEXT = {
    "start": "each cycle's rewards discounted at the cycle's start (t - 1 cycles)",
    "middle": "each cycle's rewards discounted at the cycle's middle (t - 1/2 cycles)",
    "end": "each cycle's rewards discounted at the cycle's end (t cycles)",
    "time_point": "each cohort count discounted at its own time point (start at t - 1, "
    "end at t cycles); transition rewards at mid-cycle (t - 1/2)",
}


@dataclass(frozen=True)
class Parameter:
    """One row of the ``parameters`` sheet.

    A parameter whose value is a plain number is *free*: it is a column of
    every parameter table and can be varied by the analyses. A parameter whose
    value is an expression is *derived*: it follows its inputs.
    """

    name: str
    expression: Expression
    unit: str = ""
    description: str = ""
    source: str = ""
    low: float | None = None
    high: float | None = None
    distribution: Distribution | None = None
    group: str = ""
    cell: str = ""
    calibrate: bool = False

    @property
    def is_free(self) -> bool:
        return self.expression.constant is not None

    @property
    def value(self) -> float | None:
        return self.expression.constant


@dataclass(frozen=True)
class State:
    """One row of the ``states`` sheet.

    ``rewards`` maps ``utility``, ``cost_<category>`` and ``outcome_<name>`` to
    per-cycle expressions. A state with ``tunnel`` = n > 1 is expanded by the
    engine into n sub-states so that expressions can use ``state_time``
    (1 in the first cycle after entry, up to n, where the cohort then stays).
    """

    name: str
    initial: float
    rewards: Mapping[str, Expression]
    dead: bool = False
    tunnel: int = 1
    description: str = ""
    cell: str = ""


@dataclass(frozen=True)
class Transition:
    """One row of the ``transitions`` sheet: a probability per strategy.

    ``expressions[strategy]`` is None for the complement ``C``.
    """

    from_state: str
    to_state: str
    expressions: Mapping[str, Expression | None]
    cells: Mapping[str, str]


@dataclass(frozen=True)
class TransitionReward:
    """A one-off reward on a transition (``from_state`` = ``*``: on entering ``to_state``)."""

    from_state: str
    to_state: str
    reward: str
    value: Expression
    description: str = ""
    cell: str = ""


@dataclass(frozen=True)
class Strategy:
    """One row of the ``strategies`` sheet."""

    name: str
    description: str = ""
    oneoff: Mapping[str, Expression] = field(default_factory=dict)
    overrides: Mapping[str, Expression] = field(default_factory=dict)
    override_cells: Mapping[str, str] = field(default_factory=dict)
    #: one-off QALY change at time 0 (e.g. harms of the intervention), not discounted
    oneoff_qaly: Expression | None = None


@dataclass(frozen=True)
class Correlation:
    """One row of the ``correlations`` sheet: the Spearman rank correlation of two
    uncertain parameters, imposed in the PSA by a Gaussian copula (see ``docs/psa.md``)."""

    parameter_1: str
    parameter_2: str
    value: float
    cell: str = ""


@dataclass(frozen=True, eq=False)
class ModelSpec:
    """A whole cohort model, as read from one input workbook."""

    settings: Settings
    parameters: tuple[Parameter, ...]
    states: tuple[State, ...]
    transitions: tuple[Transition, ...]
    strategies: tuple[Strategy, ...]
    transition_rewards: tuple[TransitionReward, ...] = ()
    tables: Mapping[str, Table] = field(default_factory=dict)
    cost_categories: tuple[str, ...] = ()
    outcomes: tuple[str, ...] = ()
    correlations: tuple[Correlation, ...] = ()
    #: strategies of the workbook not in the base case (``include = no``), for scenarios
    other_strategies: tuple[Strategy, ...] = ()
    #: named scenarios (:class:`cea.scenarios.Scenario`)
    scenarios: tuple = ()
    #: calibration targets (:class:`cea.calibration.Target`)
    calibration: tuple = ()
    source: str = ""
    source_sha256: str = ""

    @property
    def strategy_names(self) -> tuple[str, ...]:
        return tuple(s.name for s in self.strategies)

    @property
    def state_names(self) -> tuple[str, ...]:
        return tuple(s.name for s in self.states)

    @property
    def free_parameters(self) -> tuple[str, ...]:
        """Names of the parameters that are plain numbers: the columns of a parameter table."""
        return tuple(p.name for p in self.parameters if p.is_free)

    def parameter(self, name: str) -> Parameter:
        for p in self.parameters:
            if p.name == name:
                return p
        raise KeyError(f"no parameter named {name!r}")

    def base_table(self) -> pd.DataFrame:
        """The base case as a parameter table of one row."""
        values = [self.parameter(n).value for n in self.free_parameters]
        return pd.DataFrame([values], columns=list(self.free_parameters), dtype=float)

    def table_from(self, rows: np.ndarray | pd.DataFrame) -> pd.DataFrame:
        """Complete a table: missing free parameters take their base value."""
        base = self.base_table()
        frame = rows if isinstance(rows, pd.DataFrame) else pd.DataFrame(rows)
        unknown = [c for c in frame.columns if c not in base.columns]
        if unknown:
            raise ValueError(
                f"parameter table columns must be free parameters of the model; got {unknown}"
            )
        full = pd.DataFrame(
            np.repeat(base.to_numpy(), len(frame), axis=0), columns=base.columns
        )
        for c in frame.columns:
            full[c] = np.asarray(frame[c], dtype=float)
        return full
