"""The model specification: frozen dataclasses that a workbook is read into.

A :class:`ModelSpec` is everything the engine needs and nothing it computes:
settings, parameters (with ranges, distributions and sources), states,
transitions (as expressions, per strategy), transition rewards, strategies,
lookup tables, correlations, scenarios and calibration targets. It is built once by
:mod:`cea.workbook.reader` (or by hand in Python) and never changes; analyses design
tables of parameter rows against it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from cea.model.distributions import Distribution
from cea.model.expressions import Expression, Table
from cea.model.settings import Settings

if TYPE_CHECKING:  # pandas is imported where a table is made (start-up time)
    import pandas as pd

#: Statistics a calibration target can be.
STATISTICS = ("median_days", "hazard_ratio", "cumulative_incidence")
#: 97.5th percentile of the standard normal (a 95% interval is +-Z95 standard errors).
Z95 = 1.959963984540054


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
    #: the cell of the distribution, for messages about it
    distribution_cell: str = ""
    #: plain words for the parameter in the results (blank: its name)
    label: str = ""

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
    #: the cell of each reward, for messages about the values it gives
    reward_cells: Mapping[str, str] = field(default_factory=dict)


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


@dataclass(frozen=True)
class Change:
    """One row of the ``scenarios`` sheet: what changes (``target``) and to what."""

    target: str
    value: object
    cell: str = ""


@dataclass(frozen=True)
class Scenario:
    """A named set of changes (see :mod:`cea.model.scenarios`)."""

    name: str
    description: str = ""
    changes: tuple[Change, ...] = ()


@dataclass(frozen=True)
class Reference:
    """A published result that a step of the stepped evaluation stands beside."""

    icer: float | None = None
    probability: float | None = None
    wtp: float | None = None
    source: str = ""
    cell: str = ""


@dataclass(frozen=True)
class Step:
    """One row group of the ``steps`` sheet: a step of the stepped evaluation.

    Its model is the base case with the changes of every step up to and including this
    one (later changes of the same thing win); ``perspective`` is the perspective its
    result is read in; ``reconcile`` names the parameters whose thresholds show how the
    step could reproduce its ``reference``.
    """

    name: str
    description: str = ""
    perspective: str = ""
    changes: tuple[Change, ...] = ()
    reference: Reference | None = None
    reconcile: tuple[str, ...] = ()


@dataclass(frozen=True)
class Target:
    """One row of the ``calibration`` sheet: a published statistic of an event whose
    per-cycle probability is ``expression`` under ``strategy``."""

    name: str
    statistic: str
    expression: Expression
    strategy: str
    value: float
    low: float | None = None
    high: float | None = None
    reference: str = ""
    time: float | None = None
    fit: bool = True
    source: str = ""
    cell: str = ""

    @property
    def log_se(self) -> float | None:
        """SE of the log target from its 95% interval: (ln high - ln low) / (2 x 1.96)."""
        if self.low is None or self.high is None:
            return None
        return (np.log(self.high) - np.log(self.low)) / (2 * Z95)


#: The two worlds of a budget impact analysis: without and with the new strategy.
WORLDS = ("without", "with")


@dataclass(frozen=True)
class BudgetValue:
    """A number of the budget sheet, with its one-way range, its words and its cell."""

    value: float
    low: float | None = None
    high: float | None = None
    description: str = ""
    source: str = ""
    cell: str = ""


@dataclass(frozen=True)
class Budget:
    """The ``budget`` sheet: who is eligible each year, the share on each strategy in the
    world without and the world with the new strategy, and what the payer counts.

    ``eligible[y]`` and ``uptake[world][strategy][y]`` are per budget year (index 0 =
    year 1); the comparator (the first strategy) takes the share no other strategy has.
    ``existing`` counts, by state, the people already in the model's states at the start
    of year 1 (none: only new entrants)."""

    years: int
    eligible: tuple[BudgetValue, ...]
    uptake: Mapping[str, Mapping[str, tuple[BudgetValue, ...]]]
    new_strategy: str
    perspective: str
    existing: Mapping[str, float] = field(default_factory=dict)
    existing_cell: str = ""
    discount: float = 0.0
    entry: str = "spread"
    price_year: int | None = None
    cells: Mapping[str, str] = field(default_factory=dict)


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
    #: named scenarios
    scenarios: tuple[Scenario, ...] = ()
    #: calibration targets
    calibration: tuple[Target, ...] = ()
    #: the stepped evaluation, from a published result to the model (the ``steps`` sheet)
    steps: tuple[Step, ...] = ()
    #: the budget impact inputs (the ``budget`` sheet), if any
    budget: Budget | None = None
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
        import pandas as pd

        values = [self.parameter(n).value for n in self.free_parameters]
        return pd.DataFrame([values], columns=list(self.free_parameters), dtype=float)

    def table_from(self, rows: np.ndarray | pd.DataFrame | Mapping) -> pd.DataFrame:
        """Complete a table: missing free parameters take their base value."""
        import pandas as pd

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
