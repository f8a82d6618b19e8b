"""Within-cycle counting: how much each count of the cohort trace weighs in the totals.

Two families of methods (see ``docs/methods.md``):

* **per cycle**: cycle t (t = 1..T) counts the cohort as ``alpha_t m_{t-1} + beta_t m_t``
  (``start``, ``end``, ``half_cycle``, ``life_table``, ``simpson``, and ``custom`` with
  ``within_cycle_weight`` an expression of ``cycle`` giving alpha_t);
* **per time point**: the count m_t at each time point t = 0..T has its own weight w_t
  (``trapezoid``, ``simpson_1_3``, and ``custom_points`` with ``within_cycle_weight`` an
  expression of ``t``), as quadrature rules and the R tutorials write it. Time point 0
  belongs to cycle 1 (its start count) and time point t >= 1 to cycle t (its end count),
  so a reward that changes by cycle takes cycle t's value at time point t.

Both give, per cycle, the weight of the start and of the end count; the engine needs no
more. A custom weight that is not a number in its allowed range is a
:class:`WeightError` naming the cycle or time point.
"""

from __future__ import annotations

import math

import numpy as np

from cea.model.expressions import Expression

__all__ = ["PER_CYCLE", "PER_POINT", "POINT_WEIGHT_HIGH", "WEIGHT_NAMES", "WeightError",
           "counting_weights", "point_weights"]

PER_CYCLE = ("start", "end", "half_cycle", "life_table", "simpson", "custom")
PER_POINT = ("trapezoid", "simpson_1_3", "custom_points")
#: The names a within_cycle_weight expression may read besides settings.<name>.
WEIGHT_NAMES = {"custom": frozenset({"cycle", "n_cycles"}),
                "custom_points": frozenset({"t", "n_cycles"})}
#: The largest weight of one time point: a count shared by two cycles weighs at most two.
POINT_WEIGHT_HIGH = 2.0


class WeightError(ValueError):
    """A custom within-cycle weight out of range; ``where`` is e.g. ``cycle 75`` or ``t = 3``."""

    def __init__(self, message: str, where: str, value: float):
        super().__init__(message)
        self.where, self.value = where, value


def counting_weights(method: str, n_cycles: int, weight: Expression | None = None,
                     names: dict | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Weights (alpha_t, beta_t) of the start count m_{t-1} and end count m_t of cycle t.

    ``weight`` is the ``within_cycle_weight`` expression of the custom methods, evaluated
    with ``names`` (the settings it may read) besides ``cycle`` or ``t`` and ``n_cycles``.
    """
    t = n_cycles
    if method in PER_POINT:
        w = point_weights(method, n_cycles, weight, names)
        alpha = np.zeros(t)
        alpha[0] = w[0]
        return alpha, w[1:].copy()
    if method == "start":
        return np.ones(t), np.zeros(t)
    if method == "end":
        return np.zeros(t), np.ones(t)
    if method in ("half_cycle", "life_table"):
        return np.full(t, 0.5), np.full(t, 0.5)
    if method == "simpson":
        alpha = np.where(np.arange(1, t + 1) % 2 == 1, 1 / 3, 2 / 3)
        if t % 2 == 1:
            alpha[-1] = 0.5
        return alpha, 1.0 - alpha
    if method != "custom" or weight is None:
        raise ValueError(f"unknown within-cycle method {method!r}")
    cycles = np.arange(1.0, t + 1)
    alpha = _evaluate(weight, {**(names or {}), "cycle": cycles, "n_cycles": float(t)}, t)
    _check(alpha, 1.0, lambda i: f"cycle {i + 1}", "a start-of-cycle weight")
    return alpha, 1.0 - alpha


def point_weights(method: str, n_cycles: int, weight: Expression | None = None,
                  names: dict | None = None) -> np.ndarray:
    """Weights w_0..w_T of the counts at time points t = 0..T (a per-time-point method)."""
    t = n_cycles
    if method == "trapezoid":
        w = np.ones(t + 1)
        w[0] = w[-1] = 0.5
        return w
    if method == "simpson_1_3":
        if t % 2:
            raise ValueError("Simpson's 1/3 rule needs an even number of cycles; the model "
                             f"has {t}")
        w = np.where(np.arange(t + 1) % 2 == 1, 4 / 3, 2 / 3)
        w[0] = w[-1] = 1 / 3
        return w
    if method != "custom_points" or weight is None:
        raise ValueError(f"unknown per-time-point method {method!r}")
    points = np.arange(0.0, t + 1)
    w = _evaluate(weight, {**(names or {}), "t": points, "n_cycles": float(t)}, t + 1)
    _check(w, POINT_WEIGHT_HIGH, lambda i: f"t = {i}", "a time-point weight")
    return w


def _evaluate(weight: Expression, namespace: dict, n: int) -> np.ndarray:
    value = np.asarray(weight.evaluate(namespace), dtype=float)
    return np.broadcast_to(value.reshape(-1), (n,)).copy()


def _check(values: np.ndarray, high: float, where, what: str) -> None:
    bad = ~((values >= 0) & (values <= high))  # NaN fails both
    if bad.any():
        i = int(np.argmax(bad))
        value = float(values[i])
        shown = "nan" if math.isnan(value) else f"{value:.6g}"
        raise WeightError(f"within_cycle_weight is {shown} at {where(i)}: {what} must be in "
                          f"[0, {high:g}]", where(i), value)
