"""The cohort update compiled with numba (see :mod:`cea.engine.kernels`).

Imported only when a chunk is large enough to need it: numba takes a fifth of a
second to import.
"""

from __future__ import annotations

import numba
import numpy as np


@numba.njit(cache=True, nogil=True)
def propagate_compiled(trace: np.ndarray, probs: np.ndarray, src: np.ndarray,
                       inflows: np.ndarray) -> None:  # pragma: no cover - compiled
    """:func:`cea.engine.kernels.propagate`, one pass over each cycle's rows."""
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
