"""Within-cycle correction and discounting: the weight of every count in the totals.

Cycle t (t = 1..T) counts the cohort as ``alpha_t m_{t-1} + beta_t m_t`` (the
within-cycle correction, :func:`counting_weights`), each count discounted by
``(1 + r)^-tau`` at the years elapsed that the discount timing gives
(:func:`discount_times`). A :class:`WeightSet` holds both, per discount rate: costs,
outcomes (QALYs, life-years) and undiscounted. See ``docs/methods.md``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from cea.model import within_cycle
from cea.model.spec import ModelSpec

#: The weight sets, by the rate they discount with.
COST, OUTCOME, UNDISCOUNTED = "cost", "outcome", "undiscounted"


@dataclass
class WeightSet:
    """Weights of the start- and end-of-cycle counts of each cycle, discount included."""

    name: str
    start: np.ndarray  # (T,)
    end: np.ndarray  # (T,)


def discount(rate: float, years: np.ndarray) -> np.ndarray:
    """Discount factors ``(1 + rate)^-years``."""
    return (1.0 + rate) ** -years


def rates(spec: ModelSpec) -> dict[str, float]:
    """The annual discount rate of each weight set."""
    s = spec.settings
    return {COST: s.discount_costs, OUTCOME: s.discount_outcomes, UNDISCOUNTED: 0.0}


def counting_weights(spec: ModelSpec) -> tuple[np.ndarray, np.ndarray]:
    """Within-cycle correction: weights (alpha_t, beta_t) of m_{t-1} and m_t in cycle t."""
    s = spec.settings
    return within_cycle.counting_weights(s.within_cycle, s.n_cycles, s.within_cycle_weight,
                                         s.readable())


def point_totals(spec: ModelSpec) -> np.ndarray:
    """The total within-cycle weight of each time point t = 0..T (alpha_{t+1} + beta_t)."""
    alpha, beta = counting_weights(spec)
    w = np.zeros(len(alpha) + 1)
    w[:-1] += alpha
    w[1:] += beta
    return w


def discount_times(spec: ModelSpec) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Years elapsed at which cycle t's start count, end count and transitions are discounted."""
    s = spec.settings
    t = np.arange(1.0, s.n_cycles + 1)
    dt = s.cycle_years
    start, end = {
        "start": (t - 1, t - 1),
        "middle": (t - 0.5, t - 0.5),
        "end": (t, t),
        "time_point": (t - 1, t),
    }[s.discount_timing]
    transitions = {"start": t - 1, "middle": t - 0.5, "end": t}[s.transition_timing]
    return start * dt, end * dt, transitions * dt


def transition_weights(spec: ModelSpec) -> np.ndarray | None:
    """Weights of cycle t's transition rewards (T,): None for weight 1, else the within-cycle
    weight of time point t, the end of the cycle (``transition_reward_weights``)."""
    if spec.settings.transition_reward_weights == "one":
        return None
    return point_totals(spec)[1:]


def weight_sets(spec: ModelSpec) -> dict[str, WeightSet]:
    """The cost, outcome and undiscounted weight sets of the model's cycles."""
    alpha, beta = counting_weights(spec)
    at_start, at_end, _ = discount_times(spec)
    return {name: WeightSet(name, alpha * discount(rate, at_start),
                            beta * discount(rate, at_end))
            for name, rate in rates(spec).items()}
