"""The per-cycle table and the transition matrices (issue 15, point 5).

Independent checks: the per-cycle lines of every shipped workbook sum, measure by
measure, to the engine's totals (1e-12 relative); the transition matrices, multiplied
out by hand (m_t = m_{t-1} P_t with dense matrices), give the engine's trace; and one
line of the two-state model is checked by hand.
"""

from __future__ import annotations

import numpy as np
import pytest

from cea.engine import run
from cea.engine.per_cycle import COLUMNS, per_cycle, transition_matrix
from cea.workbook import load_workbook
from tests.helpers.builders import two_state_sheets
from tests.helpers.paths import ROOT

SHIPPED = sorted([ROOT / "inputs" / "walkback.xlsx",
                  *(ROOT / "inputs" / "examples").glob("*.xlsx")])


@pytest.fixture(scope="module", params=SHIPPED, ids=lambda p: p.stem)
def shipped(request):
    return load_workbook(request.param)


def test_per_cycle_lines_sum_to_the_totals(shipped):
    out = run(shipped)
    lines = per_cycle(shipped)
    assert tuple(lines.columns) == COLUMNS
    sums = lines.groupby(["strategy", "measure"])[["undiscounted", "discounted"]].sum()
    for j, strategy in enumerate(out.strategies):
        for measure in out.measures:
            if measure.endswith("_undiscounted"):
                continue
            expected = out[measure][0, j]
            column = "undiscounted" if measure.startswith("outcome_") else "discounted"
            got = sums.loc[(strategy, measure), column] if (strategy, measure) in sums.index \
                else 0.0
            assert got == pytest.approx(expected, rel=1e-12, abs=1e-12), (strategy, measure)
            if not measure.startswith("outcome_"):
                undiscounted = out[f"{measure}_undiscounted"][0, j]
                got = sums.loc[(strategy, measure), "undiscounted"] \
                    if (strategy, measure) in sums.index else 0.0
                assert got == pytest.approx(undiscounted, rel=1e-12, abs=1e-12)


def test_cycles_are_numbered_as_in_expressions(shipped):
    lines = per_cycle(shipped)
    state_lines = lines[lines["count"].isin(["start", "end"])]
    assert state_lines["cycle"].min() == 1
    assert state_lines["cycle"].max() == shipped.settings.n_cycles


def test_transition_matrices_reproduce_the_trace(shipped):
    """Dense P_t from transition_matrix for every cycle, multiplied out by hand."""
    out = run(shipped, trace=True)
    for j, strategy in enumerate(out.strategies):
        first = transition_matrix(shipped, strategy, 1)
        states = list(first.index)
        m = np.array([next(s.initial for s in shipped.states if s.name == name.split("[")[0])
                      if "[" not in name or name.endswith("[1]") else 0.0 for name in states])
        owner = np.array([[name.split("[")[0] == s for s in out.states] for name in states],
                         dtype=float)
        for t in range(1, shipped.settings.n_cycles + 1):
            p = transition_matrix(shipped, strategy, t).to_numpy()
            assert np.allclose(p.sum(axis=1), 1.0, atol=1e-9)
            m = m @ p
            assert np.allclose(m @ owner, out.trace[0, j, t], rtol=1e-12, atol=1e-14), t


def test_one_line_by_hand(load):
    """Two-state model, p = 0.1, half-cycle, 5% a year at time points: cycle 2's end count
    of care costs is m_2 = 0.81, value 1, weight 1/2, discount 1.05^-2."""
    spec = load(two_state_sheets(0.1, rate=0.05))
    lines = per_cycle(spec)
    line = lines[(lines["cycle"] == 2) & (lines["state"] == "alive")
                 & (lines["reward"] == "cost_care") & (lines["count"] == "end")].iloc[0]
    assert line["cohort"] == pytest.approx(0.81, rel=1e-15)
    assert (line["value"], line["weight"]) == (1.0, 0.5)
    assert line["discount"] == pytest.approx(1.05**-2, rel=1e-15)
    assert line["discounted"] == pytest.approx(0.81 * 0.5 / 1.05**2, rel=1e-15)


def test_transition_matrix_refuses_unknown_strategy_and_cycle(load):
    spec = load(two_state_sheets())
    with pytest.raises(ValueError, match="unknown strategy 'x'"):
        transition_matrix(spec, "x")
    with pytest.raises(ValueError, match=r"cycle must be in 1..10; got 11"):
        transition_matrix(spec, "only", 11)
