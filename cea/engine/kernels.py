"""Compiled inner loops of the engine (numba).

The cohort update is the one loop over cycles that numpy cannot vectorise; as
a numpy expression it costs four passes over (edges x rows) arrays per cycle,
compiled it is one. numba compiles it on first use and caches the machine code
beside this file.

Each state's inflows are added in one fixed order per row (the order of
``inflows``), so a row's numbers never depend on the other rows of its chunk.
"""

from __future__ import annotations

import numba
import numpy as np


@numba.njit(cache=True, nogil=True)
def propagate(trace: np.ndarray, probs: np.ndarray, src: np.ndarray,
              inflows: np.ndarray) -> None:  # pragma: no cover - compiled
    """Fill ``trace[1:]`` from ``trace[0]``: m_t[d] = sum over edges e into d of
    m_{t-1}[src[e]] * P_t[e].

    trace : (T + 1, S, R), probs : (T or 1, E, R), src : (E,), inflows : (S, D)
    edge numbers into each state, padded with E.
    """
    n_cycles = trace.shape[0] - 1
    n_states = trace.shape[1]
    n_rows = trace.shape[2]
    n_edges = src.shape[0]
    width = inflows.shape[1]
    constant = probs.shape[0] == 1
    for t in range(n_cycles):
        p = probs[0] if constant else probs[t]
        now = trace[t]
        nxt = trace[t + 1]
        for d in range(n_states):
            out = nxt[d]
            for r in range(n_rows):
                out[r] = 0.0
            for k in range(width):
                e = inflows[d, k]
                if e < n_edges:
                    m = now[src[e]]
                    pe = p[e]
                    for r in range(n_rows):
                        out[r] += m[r] * pe[r]
