"""The functions an expression may call: signature, one-line doc, arity, implementation.

This table is the whitelist of :mod:`cea.model.expressions` and the documentation the
template prints; each implementation is vectorised with numpy (``expm1``/``log1p`` where
that is more accurate).
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

import numpy as np

__all__ = ["FUNCTIONS", "Function"]


@dataclass(frozen=True)
class Function:
    """A whitelisted function: call signature, one-line doc, arity and implementation."""

    signature: str
    doc: str
    min_args: int
    max_args: int | None  # None: any number from min_args up
    impl: Callable[..., Any] | None = field(default=None, repr=False)  # None: table function
    defaults: tuple[float | str, ...] = ()  # fill missing trailing args; str = namespace name

    @property
    def arity(self) -> str:
        """Plain-words arity, e.g. ``'4 or 5 arguments'``."""
        if self.max_args is None:
            return f"{self.min_args} or more arguments"
        if self.max_args == self.min_args:
            return f"{self.min_args} argument" + ("s" if self.min_args != 1 else "")
        return f"{self.min_args} or {self.max_args} arguments"


def _gompertz_cumhaz(shape: Any, rate: Any, t: Any) -> Any:
    zero = shape == 0
    safe = np.where(zero, 1.0, shape)
    return np.where(zero, rate * t, rate * np.expm1(safe * t) / safe)


def _weibull_prob(shape: Any, scale: Any, t0: Any, t1: Any, hr: Any) -> Any:
    return -np.expm1(-hr * ((t1 / scale) ** shape - (t0 / scale) ** shape))


def _gompertz_prob(shape: Any, rate: Any, t0: Any, t1: Any, hr: Any) -> Any:
    cum = _gompertz_cumhaz(shape, rate, t1) - _gompertz_cumhaz(shape, rate, t0)
    return -np.expm1(-hr * cum)


_F = Function  # short alias for the table below
FUNCTIONS: Mapping[str, Function] = MappingProxyType({
    "exp": _F("exp(x)", "e to the power x", 1, 1, np.exp),
    "log": _F("log(x)", "natural logarithm of x", 1, 1, np.log),
    "sqrt": _F("sqrt(x)", "square root of x", 1, 1, np.sqrt),
    "abs": _F("abs(x)", "absolute value of x", 1, 1, np.abs),
    "floor": _F("floor(x)", "x rounded down to a whole number", 1, 1, np.floor),
    "ceil": _F("ceil(x)", "x rounded up to a whole number", 1, 1, np.ceil),
    "min": _F("min(a, b, ...)", "the smallest of its arguments", 2, None,
              lambda *a: functools.reduce(np.minimum, a)),
    "max": _F("max(a, b, ...)", "the largest of its arguments", 2, None,
              lambda *a: functools.reduce(np.maximum, a)),
    "if_else": _F("if_else(cond, a, b)", "a where cond is non-zero, else b", 3, 3,
                  lambda c, a, b: np.where(c != 0, a, b)),
    "rate_to_prob": _F("rate_to_prob(rate[, duration])",
                       "probability of the event within duration years at a constant annual "
                       "rate: 1 - exp(-rate * duration); duration defaults to one cycle",
                       1, 2, lambda r, d: -np.expm1(-r * d), ("cycle_years",)),
    "prob_to_rate": _F("prob_to_rate(prob[, duration])",
                       "constant annual rate from a probability over duration years "
                       "(default 1): -log(1 - prob) / duration",
                       1, 2, lambda p, d: -np.log1p(-p) / d, (1.0,)),
    "prob_to_prob": _F("prob_to_prob(prob[, duration])",
                       "per-cycle probability from a probability over duration years "
                       "(default 1): 1 - (1 - prob) ^ (cycle_years / duration)",
                       1, 2, lambda p, d, cy: -np.expm1(np.log1p(-p) * (cy / d)),
                       (1.0, "cycle_years")),
    "apply_hr": _F("apply_hr(prob, hr)", "a probability under a hazard ratio, which acts on "
                   "its rate: 1 - (1 - prob) ^ hr", 2, 2, lambda p, h: -np.expm1(np.log1p(-p) * h)),
    "weibull_prob": _F("weibull_prob(shape, scale, t0, t1[, hr])",
                       "probability of the event between t0 and t1 years given none by t0, "
                       "Weibull: 1 - exp(-hr * (H(t1) - H(t0))), H(t) = (t / scale) ^ shape; "
                       "hr defaults to 1",
                       4, 5, _weibull_prob, (1.0,)),
    "gompertz_prob": _F("gompertz_prob(shape, rate, t0, t1[, hr])",
                        "probability of the event between t0 and t1 years given none by t0, "
                        "Gompertz: 1 - exp(-hr * (H(t1) - H(t0))), H(t) = rate / shape * "
                        "(exp(shape * t) - 1) (rate * t if shape = 0); hr defaults to 1",
                        4, 5, _gompertz_prob, (1.0,)),
    "lookup": _F("lookup(table, column, key)", "the column's value in the table row with the "
                 "largest key <= key (e.g. a life table by age); NaN below the first key", 3, 3),
    "interpolate": _F("interpolate(table, column, key)", "the column's value at key, on a "
                      "straight line between the table rows either side; NaN outside the "
                      "keys", 3, 3),
})
