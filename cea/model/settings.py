"""Model-wide settings: cycle, horizon, discounting, counting conventions, perspectives.

:class:`Settings` is the ``settings`` sheet read and checked; which keys exist and what
each accepts is declared in :mod:`cea.model.setting_rules`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from cea.model.expressions import Expression
from cea.model.within_cycle import PER_CYCLE, PER_POINT

#: Length of one unit of time, in years (a year is 365.25 days).
TIME_UNITS: Mapping[str, float] = {
    "day": 1 / 365.25,
    "week": 7 / 365.25,
    "month": 1 / 12,
    "year": 1.0,
}



def amount(number: float, unit: str) -> str:
    """A number of a time unit in words: ``1 week``, ``156 weeks``, ``0.5 years``."""
    return f"{number:g} {unit}" + ("" if number == 1 else "s")


WITHIN_CYCLE = PER_CYCLE + PER_POINT
DISCOUNT_TIMING = ("start", "middle", "end", "time_point")
TRANSITION_TIMING = ("start", "middle", "end")
TRANSITION_WEIGHTS = ("one", "time_point")
#: Settings an expression can read as ``settings.<name>`` (numbers; see readable()).
READABLE = ("n_cycles", "cycle_length", "cycle_years", "horizon_years", "discount_costs",
            "discount_outcomes", "cohort_size")


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
    #: when a transition reward of cycle t is discounted (None: as the discount timing says)
    transition_reward_timing: str | None = None
    #: "one", or "time_point": weighted like the count at the time point it ends at
    transition_reward_weights: str = "one"
    #: people in the cohort: results per person, and in total for the cohort
    cohort_size: float = 1.0
    perspectives: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    #: cost categories deliberately counted in no perspective
    excluded_costs: tuple[str, ...] = ()
    currency: str = ""
    price_year: int | None = None
    wtp: tuple[float, ...] = ()
    seed: int = 12345
    psa_draws: int = 1000
    sobol_n: int = 1024
    population: float | None = None
    decision_horizon: float | None = None

    @property
    def cycle_years(self) -> float:
        """Cycle length in years."""
        return self.cycle_length * TIME_UNITS[self.cycle_unit]

    @property
    def money(self) -> str:
        """The label of every money figure: currency and price year, e.g. ``AUD 2024``."""
        return f"{self.currency} {self.price_year}".strip() if self.price_year else \
            self.currency

    @property
    def horizon_years(self) -> float:
        return self.horizon * TIME_UNITS[self.horizon_unit]

    def readable(self) -> dict[str, float]:
        """What ``settings.<name>`` reads in an expression, for each name of READABLE."""
        return {f"settings.{name}": float(getattr(self, name)) for name in READABLE}

    @property
    def transition_timing(self) -> str:
        """When a cycle's transition rewards are discounted: start, middle or end."""
        if self.transition_reward_timing is not None:
            return self.transition_reward_timing
        return {"time_point": "middle"}.get(self.discount_timing, self.discount_timing)

    @property
    def n_cycles(self) -> int:
        """Number of cycles in the time horizon (the horizon is a whole number of cycles)."""
        return int(round(self.horizon_years / self.cycle_years))

    def conventions(self) -> dict[str, str]:
        """The counting and discounting conventions in words, for every output."""
        excluded = {"cost categories counted in no perspective":
                    ", ".join(self.excluded_costs)} if self.excluded_costs else {}
        return {
            "cycle length": f"{self.cycle_length!r} {self.cycle_unit}"
            f"{'' if self.cycle_length == 1 else 's'} "
            f"= {self.cycle_years!r} years (the exact values used)",
            "time horizon": f"{amount(self.horizon, self.horizon_unit)} = {self.n_cycles} cycles",
            "within-cycle correction": WITHIN_CYCLE_TEXT[self.within_cycle]
            + (f" (weight {self.within_cycle_weight.text})" if self.within_cycle_weight else ""),
            "discount timing": DISCOUNT_TIMING_TEXT[self.discount_timing],
            "transition rewards": TRANSITION_TIMING_TEXT[self.transition_timing]
            + ("" if self.transition_reward_timing else " (as the discount timing gives)")
            + TRANSITION_WEIGHTS_TEXT[self.transition_reward_weights],
            "cohort size": f"{self.cohort_size:,.10g} people: results per person, and "
            "totals for the cohort where labelled" if self.cohort_size != 1 else
            "1: results per person",
            "discount rates": f"costs {self.discount_costs:.4g} a year, "
            f"outcomes {self.discount_outcomes:.4g} a year, factor (1 + rate)^-(years elapsed)",
            "one-off strategy costs": "at time 0, not discounted",
            **excluded,
        }


WITHIN_CYCLE_TEXT = {
    "start": "start of cycle: cycle t counts the cohort at the start of the cycle",
    "end": "end of cycle: cycle t counts the cohort after the cycle's transitions",
    "half_cycle": "half-cycle (trapezoid): cycle t counts the mean of start and end",
    "life_table": "life-table method: cycle t counts the mean of start and end (the same "
    "weights as half_cycle)",
    "simpson": "Simpson's 1/3 rule over pairs of cycles (trapezoid for a last odd cycle)",
    "custom": "custom: cycle t counts w x start + (1 - w) x end",
    "trapezoid": "trapezoid over time points: weight 1/2 at t = 0 and t = T, 1 between",
    "simpson_1_3": "Simpson's 1/3 rule over time points: 1/3, 4/3, 2/3, ..., 4/3, 1/3",
    "custom_points": "custom per time point: the count at time point t = 0..T weighs w(t)",
}
TRANSITION_TIMING_TEXT = {
    "start": "transition rewards of cycle t discounted at its start (t - 1 cycles)",
    "middle": "transition rewards of cycle t discounted at its middle (t - 1/2 cycles)",
    "end": "transition rewards of cycle t discounted at its end (t cycles)",
}
TRANSITION_WEIGHTS_TEXT = {
    "one": ", each with weight 1",
    "time_point": ", each weighted like the count at the time point it ends at (t)",
}
DISCOUNT_TIMING_TEXT = {
    "start": "each cycle's rewards discounted at the cycle's start (t - 1 cycles)",
    "middle": "each cycle's rewards discounted at the cycle's middle (t - 1/2 cycles)",
    "end": "each cycle's rewards discounted at the cycle's end (t cycles)",
    "time_point": "each cohort count discounted at its own time point (start at t - 1, "
    "end at t cycles); transition rewards at mid-cycle (t - 1/2)",
}
