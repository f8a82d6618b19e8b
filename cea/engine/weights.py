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


def counting_weights(spec: ModelSpec, reserved: dict) -> tuple[np.ndarray, np.ndarray]:
    """Within-cycle correction: weights (alpha_t, beta_t) of m_{t-1} and m_t in cycle t."""
    s = spec.settings
    t = s.n_cycles
    method = s.within_cycle
    if method == "start":
        return np.ones(t), np.zeros(t)
    if method == "end":
        return np.zeros(t), np.ones(t)
    if method == "half_cycle":
        return np.full(t, 0.5), np.full(t, 0.5)
    if method == "simpson":
        alpha = np.where(np.arange(1, t + 1) % 2 == 1, 1 / 3, 2 / 3)
        if t % 2 == 1:
            alpha[-1] = 0.5
        return alpha, 1.0 - alpha
    weight = np.asarray(s.within_cycle_weight.evaluate(reserved, {}), dtype=float)
    alpha = np.broadcast_to(weight.reshape(-1), (t,)).copy()
    if not (np.isfinite(alpha).all() and (alpha >= 0).all() and (alpha <= 1).all()):
        raise ValueError("settings: within_cycle_weight must be in [0, 1] in every cycle")
    return alpha, 1.0 - alpha


def discount_times(spec: ModelSpec) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Years elapsed at which cycle t's start count, end count and transitions are discounted."""
    s = spec.settings
    t = np.arange(1.0, s.n_cycles + 1)
    dt = s.cycle_years
    at = {
        "start": (t - 1, t - 1, t - 1),
        "middle": (t - 0.5, t - 0.5, t - 0.5),
        "end": (t, t, t),
        "time_point": (t - 1, t, t - 0.5),
    }[s.discount_timing]
    return tuple(x * dt for x in at)


def weight_sets(spec: ModelSpec, reserved: dict) -> dict[str, WeightSet]:
    """The cost, outcome and undiscounted weight sets of the model's cycles."""
    alpha, beta = counting_weights(spec, reserved)
    at_start, at_end, _ = discount_times(spec)
    return {name: WeightSet(name, alpha * discount(rate, at_start),
                            beta * discount(rate, at_end))
            for name, rate in rates(spec).items()}
