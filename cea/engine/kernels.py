"""The cohort update, the one loop over cycles that numpy cannot vectorise.

As numpy array operations it costs a few passes over (edges x rows) arrays per
cycle; compiled with numba it is one. A chunk of few rows (the base case, a
one-way analysis) takes the numpy path, which needs no compiler at start-up; a
large chunk the compiled kernel, which numba compiles on first use and caches
beside this file. Both add each state's inflows in the same fixed order per row
(the order of ``inflows``), one multiplication and one addition per term, so
they give the same bits, and a row's numbers never depend on the other rows of
its chunk.
"""

from __future__ import annotations

from functools import cache

import numpy as np

__all__ = ["SMALL_CHUNK", "propagate"]

#: Chunks of at most this many rows take the numpy path.
SMALL_CHUNK = 64


def propagate(trace: np.ndarray, probs: np.ndarray, src: np.ndarray,
              inflows: np.ndarray) -> None:
    """Fill ``trace[1:]`` from ``trace[0]``: m_t[d] = sum over edges e into d of
    m_{t-1}[src[e]] * P_t[e].

    trace : (T + 1, S, R), probs : (T or 1, E, R), src : (E,), inflows : (S, D)
    edge numbers into each state, padded with E.
    """
    if trace.shape[2] <= SMALL_CHUNK:
        propagate_numpy(trace, probs, src, inflows)
    else:
        _compiled()(trace, probs, src, inflows)


def propagate_numpy(trace, probs, src, inflows) -> None:
    """:func:`propagate` with numpy operations per cycle (no compiler)."""
    n_edges, n_rows = src.shape[0], trace.shape[2]
    constant = probs.shape[0] == 1
    flows = np.zeros((n_edges + 1, n_rows))  # the padding edge E carries nothing
    columns = [inflows[:, k] for k in range(inflows.shape[1])]
    for t in range(trace.shape[0] - 1):
        np.multiply(trace[t][src], probs[0] if constant else probs[t], out=flows[:n_edges])
        nxt = trace[t + 1]
        np.add(0.0, flows[columns[0]], out=nxt)  # 0 + first term, as the loop starts at 0
        for column in columns[1:]:
            nxt += flows[column]  # x + 0 is x: padding leaves a state's sum unchanged


@cache
def _compiled():
    """The numba kernel (numba imported and the kernel loaded on first use)."""
    from cea.engine.compiled import propagate_compiled

    return propagate_compiled
