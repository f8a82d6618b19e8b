"""What a value may be, by the field's naming convention of its parameter.

``p_`` probability, ``u_`` utility, ``c_`` cost, ``r_`` rate, ``hr_`` and ``rr_``
ratios: a parameter so named, and every value computed for it, must lie in its
domain.
"""

from __future__ import annotations

import math

#: prefix -> (lowest, highest, what it is)
PREFIX_RANGES: dict[str, tuple[float, float, str]] = {
    "p_": (0.0, 1.0, "a probability"),
    "u_": (-math.inf, 1.0, "a utility"),
    "c_": (0.0, math.inf, "a cost"),
    "r_": (0.0, math.inf, "a rate"),
    "hr_": (0.0, math.inf, "a hazard ratio"),
    "rr_": (0.0, math.inf, "a relative risk"),
}


def domain(name: str) -> tuple[str, tuple[float, float, str]] | None:
    """(prefix, (low, high, what)) of a parameter name, or None without a known prefix."""
    prefix = next((k for k in PREFIX_RANGES if name.startswith(k)), None)
    return None if prefix is None else (prefix, PREFIX_RANGES[prefix])


def reward_domain(key: str) -> tuple[float, float, str] | None:
    """(low, high, what) of a reward column: costs >= 0 and utilities <= 1; None for the
    rewards without a declared sign (outcome counts, one-off QALY changes)."""
    if key.startswith("cost_"):
        return PREFIX_RANGES["c_"]
    if key == "utility":
        return PREFIX_RANGES["u_"]
    return None
