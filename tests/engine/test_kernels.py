"""The cohort update's two paths (numpy for small chunks, numba for large) give the same bits.

The reference is the numba kernel that every result before the numpy path came from;
the tests feed both paths the same chunks of the shipped models' PSA rows.
"""

from __future__ import annotations

import numpy as np
import pytest

from cea.analyses.sampling import table_from_uniform, uncertain_parameters
from cea.engine import kernels, parameter_matrix, run
from cea.engine.compiled import propagate_compiled
from cea.engine.plan import compile_plan
from cea.engine.probabilities import transition_probabilities
from cea.workbook import load_workbook
from tests.helpers.paths import ROOT


def _chunk(spec, strategy, n_rows):
    """A chunk of random PSA-like rows: its start trace, probabilities and edges."""
    plan = compile_plan(spec)
    n = len(uncertain_parameters(spec))
    table = table_from_uniform(spec, np.random.default_rng(7).uniform(0.01, 0.99, (n_rows, n)))
    env = plan.environment(strategy, plan.shared_names(parameter_matrix(spec, table)))
    probs = transition_probabilities(plan, strategy, env, n_rows, 0)
    trace = np.empty((plan.n_cycles + 1, plan.n_expanded, n_rows))
    trace[0] = plan.initial[:, None]
    return trace, probs, plan.edges[strategy]


HIV = ROOT / "inputs" / "examples" / "hiv_chancellor.xlsx"


@pytest.mark.parametrize("model", ["walkback", "hiv"])
def test_numpy_and_compiled_paths_give_the_same_bits(model, walkback):
    spec = walkback if model == "walkback" else load_workbook(HIV)
    for strategy in spec.strategy_names:
        trace, probs, edges = _chunk(spec, strategy, 9)
        by_numpy, by_numba = trace.copy(), trace.copy()
        kernels.propagate_numpy(by_numpy, probs, edges.src, edges.inflows)
        propagate_compiled(by_numba, probs, edges.src, edges.inflows)
        assert np.array_equal(by_numpy, by_numba)
        # and the trace is a trace: each time point's occupancy sums to 1
        assert np.allclose(by_numpy.sum(axis=1), 1.0, atol=1e-12)


def test_a_run_is_the_same_whichever_path_its_chunks_take(walkback, monkeypatch):
    table = walkback.table_from({"hr_al": np.linspace(0.6, 0.9, 5)})
    small = run(walkback, table, trace=True)
    monkeypatch.setattr(kernels, "SMALL_CHUNK", 0)  # every chunk compiled
    compiled = run(walkback, table, trace=True)
    assert np.array_equal(small.values, compiled.values)
    assert np.array_equal(small.trace, compiled.trace)
