"""One checker of the arguments that a Python user passes to an analysis.

Every public function that takes options checks them here, and a bad one gets the same
message everywhere (after scikit-learn's ``validate_params``)::

    The 'n_draws' parameter of run_psa must be an int >= 1. Got 0 instead.

Constraints are data: :class:`Integer`, :class:`Real`, :class:`OneOf`,
:class:`PowerOfTwo`.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Collection
from dataclasses import dataclass


@dataclass(frozen=True)
class Integer:
    """A whole number (not a bool) in [low, high]."""

    low: int | None = None
    high: int | None = None

    def holds(self, value) -> bool:
        return (isinstance(value, numbers.Integral) and not isinstance(value, bool)
                and (self.low is None or value >= self.low)
                and (self.high is None or value <= self.high))

    def __str__(self) -> str:
        return "an int" + _bounds(self.low, self.high)


@dataclass(frozen=True)
class Real:
    """A finite number in [low, high] (open at an end where ``open`` says so)."""

    low: float | None = None
    high: float | None = None
    open: bool = False

    def holds(self, value) -> bool:
        if isinstance(value, bool) or not isinstance(value, numbers.Real):
            return False
        v = float(value)
        if not math.isfinite(v):
            return False
        if self.open:
            return (self.low is None or v > self.low) and (self.high is None or v < self.high)
        return (self.low is None or v >= self.low) and (self.high is None or v <= self.high)

    def __str__(self) -> str:
        if self.open and self.low is not None and self.high is not None:
            return f"a number strictly between {self.low:g} and {self.high:g}"
        return "a finite number" + _bounds(self.low, self.high, strict=self.open)


@dataclass(frozen=True)
class OneOf:
    """One of a set of values."""

    values: Collection

    def holds(self, value) -> bool:
        try:
            return value in self.values
        except TypeError:
            return False

    def __str__(self) -> str:
        return "one of " + ", ".join(repr(v) for v in self.values)


@dataclass(frozen=True)
class PowerOfTwo:
    """A power of two of at least ``low``."""

    low: int = 2

    def holds(self, value) -> bool:
        return Integer(self.low).holds(value) and value & (value - 1) == 0

    def __str__(self) -> str:
        return f"a power of two >= {self.low}, such as 64, 1024 or 4096"


def check(func: str, name: str, value, constraint):
    """``value`` if it meets ``constraint``; else ValueError in the one message template."""
    require(constraint.holds(value), func, name, str(constraint), value)
    return value


def require(ok: bool, func: str, name: str, must: str, got) -> None:
    """The one message template for a condition no constraint class states: ``must`` says
    what the argument must be."""
    if not ok:
        raise ValueError(f"The {name!r} parameter of {func} must be {must}. "
                         f"Got {got!r} instead.")


def _bounds(low, high, strict: bool = False) -> str:
    ge, le = (">", "<") if strict else (">=", "<=")
    if low is not None and high is not None:
        return f" in [{low:g}, {high:g}]" if not strict else f" in ({low:g}, {high:g})"
    if low is not None:
        return f" {ge} {low:g}"
    if high is not None:
        return f" {le} {high:g}"
    return ""
