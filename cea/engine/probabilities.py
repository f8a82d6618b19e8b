"""Transition probabilities of one strategy for one chunk of rows, checked row by row.

Each expression of the transitions sheet is evaluated once per chunk (vectorised over
rows and cycles) into one probability per edge; the complement ``C`` takes the
remainder of its row, and a probability outside [0, 1], a negative remainder or a row
that does not sum to 1 is a :class:`~cea.model.errors.ModelError` naming the cell,
strategy, transition, cycle and row.
"""

from __future__ import annotations

import numpy as np

from cea.engine.plan import Plan
from cea.model.errors import ModelError

__all__ = ["ROW_SUM_TOLERANCE", "shape", "transition_probabilities"]

ROW_SUM_TOLERANCE = 1e-9


def shape(value, n_cycles: int, n_sub: int, n_rows: int) -> np.ndarray:
    """Broadcast an expression's value to (cycles or 1, sub-states, rows)."""
    value = np.asarray(value, dtype=float)
    if value.ndim < 3:
        value = value.reshape((1,) * (3 - value.ndim) + value.shape)
    t = n_cycles if value.shape[0] == n_cycles and n_cycles > 1 else 1
    return np.broadcast_to(value, (t, n_sub, n_rows))


def transition_probabilities(plan: Plan, strategy: str, env, n_rows: int, offset: int):
    """Probabilities per edge, shape (T or 1, edges, rows), checked row by row."""
    edges = plan.edges[strategy]
    evaluated = []
    for block in plan.blocks[strategy]:
        ctx = env.context(block.state)
        evaluated.append([
            None if e is None else shape(e.evaluate(ctx, plan.tables), plan.n_cycles,
                                          block.n_sub, n_rows)
            for e in block.expressions
        ])
    time_varying = any(v is not None and v.shape[0] > 1 for vals in evaluated for v in vals)
    probs = np.empty((plan.n_cycles if time_varying else 1, len(edges.src), n_rows))
    probs[:, edges.absorbing, :] = 1.0
    for block, vals in zip(plan.blocks[strategy], evaluated):
        for j, v in enumerate(vals):
            if v is not None:
                probs[:, block.edges_of(j), :] = v
                _check_range(plan, strategy, block, j, v, offset)
        _complete(plan, strategy, block, probs, offset)
    return probs


def _check_range(plan, strategy, block, j, v, offset) -> None:
    low, high = v.min(), v.max()
    if low >= 0 and high <= 1:  # NaN fails both comparisons
        return
    t, k, r = np.argwhere(~((v >= 0) & (v <= 1)))[0]
    value = v[t, k, r]
    hint = (" (nan comes from e.g. a lookup outside its table, the log of a negative number "
            "or 0/0)") if np.isnan(value) else ""
    _fail(plan, strategy, block, (t, k, r), offset, j, v.shape[0] == 1,
          f"probability {value:.6g} is not in [0, 1]{hint}")


def _complete(plan, strategy, block, probs, offset) -> None:
    """Fill the complement C, or check that the row sums to 1."""
    others = [j for j in range(len(block.expressions)) if j != block.complement]
    total = probs[:, block.edges_of(others[0]), :].copy() if others else \
        np.zeros((probs.shape[0], block.n_sub, probs.shape[2]))
    for j in others[1:]:
        total += probs[:, block.edges_of(j), :]
    if block.complement is not None:
        remainder = probs[:, block.edges_of(block.complement), :]
        np.subtract(1.0, total, out=remainder)
        lowest = remainder.min()
        if lowest < -ROW_SUM_TOLERANCE:
            t, k, r = np.argwhere(remainder < -ROW_SUM_TOLERANCE)[0]
            _fail(plan, strategy, block, (t, k, r), offset, block.complement,
                  probs.shape[0] == 1, f"the complement C is negative ({remainder[t, k, r]:.6g}):"
                  " the other probabilities out of this state sum to more than 1")
        if lowest < 0:  # rounding noise within the tolerance
            np.maximum(remainder, 0.0, out=remainder)
        return
    error = np.abs(total - 1.0)
    if error.max() > ROW_SUM_TOLERANCE:
        t, k, r = np.argwhere(error > ROW_SUM_TOLERANCE)[0]
        _fail(plan, strategy, block, (t, k, r), offset, 0, probs.shape[0] == 1,
              f"probabilities out of this state sum to {total[t, k, r]:.10g}; they must sum "
              f"to 1 within {ROW_SUM_TOLERANCE:g} (or use C for the remainder)")


def _fail(plan: Plan, strategy, block, where, offset, i, time_constant, what):
    t, k, r = where
    state = block.state.name + (f"[{k + 1}]" if block.n_sub > 1 else "")
    cycle = "every cycle" if time_constant else f"cycle {t + 1}"
    raise ModelError(f"{what}.", row=offset + r, cell=block.cells[i], strategy=strategy,
                     transition=f"from '{state}' to '{block.targets[i]}'", cycle=cycle)
