"""Undiscounted rewards binned into periods (run(periods=W)), the base of the budget impact.

Independent checks: with W the identity the bins are the per-cycle table's lines summed by
cycle (:func:`cea.engine.per_cycle.per_cycle` lays out each count from the plan's pieces
with pandas, not through the binning); bins whose weights sum to 1 per cycle keep every
undiscounted total; a PSA chunk gives each row the numbers it gives alone; and the
two-state model's yearly bins are checked by hand.
"""

from __future__ import annotations

import numpy as np
import pytest

from cea.engine import run
from cea.engine.per_cycle import per_cycle
from cea.workbook import load_workbook
from tests.helpers.builders import two_state_sheets
from tests.helpers.paths import ROOT

SHIPPED = sorted([ROOT / "inputs" / "walkback.xlsx",
                  *(ROOT / "inputs" / "examples").glob("*.xlsx")])


@pytest.fixture(scope="module", params=SHIPPED, ids=lambda p: p.stem)
def shipped(request):
    return load_workbook(request.param)


def test_identity_bins_are_the_per_cycle_lines(shipped):
    n = shipped.settings.n_cycles
    out = run(shipped, periods=np.eye(n + 1))
    lines = per_cycle(shipped)
    for j, strategy in enumerate(out.strategies):
        for p, measure in enumerate(out.period_measures):
            part = lines[(lines["strategy"] == strategy) & (lines["measure"] == measure)]
            expected = part.groupby("cycle")["undiscounted"].sum().reindex(
                range(n + 1), fill_value=0.0).to_numpy()
            np.testing.assert_allclose(out.periods[0, j, p], expected, rtol=1e-12,
                                       atol=1e-15, err_msg=f"{strategy} {measure}")


def test_bins_that_share_out_each_cycle_keep_the_totals(shipped):
    n = shipped.settings.n_cycles
    rng = np.random.default_rng(3)
    weights = rng.random((n + 1, 4))
    weights /= weights.sum(axis=1, keepdims=True)
    out = run(shipped, periods=weights)
    for p, measure in enumerate(out.period_measures):
        total = measure if measure.startswith("outcome_") else f"{measure}_undiscounted"
        np.testing.assert_allclose(out.periods[0, :, p].sum(axis=-1), out[total][0],
                                   rtol=1e-12, atol=1e-12, err_msg=measure)


def test_a_row_gives_the_same_bins_in_a_large_chunk(shipped):
    """200 rows (the compiled path) against each row run alone (the numpy path)."""
    from cea.analyses.draws import DrawSampler

    n = shipped.settings.n_cycles
    weights = np.eye(n + 1)[:, :: max(1, n // 5)]
    sampler = DrawSampler(shipped, 7, 200)
    table = sampler.table(0, 1)  # the first block, cut at 200 draws
    together = run(shipped, table, periods=weights).periods
    for row in (0, 57, 199):
        alone = run(shipped, table.iloc[row:row + 1], periods=weights).periods[0]
        np.testing.assert_allclose(together[row], alone, rtol=1e-13, atol=1e-15)


def test_yearly_bins_of_the_two_state_model_by_hand(load):
    """alive -> dead with p = 0.1 a year, cost 1 per year alive, half-cycle counting:
    cycle t adds (0.9^(t-1) + 0.9^t) / 2. Two-year bins of the ten cycles, and the one-off
    row (cycle 0) carries nothing."""
    spec = load(two_state_sheets(0.1))
    weights = np.zeros((11, 5))
    for t in range(1, 11):
        weights[t, (t - 1) // 2] = 1.0
    out = run(spec, periods=weights)
    cost = out.periods[0, 0, out.period_measures.index("cost_care")]
    by_cycle = [(0.9 ** (t - 1) + 0.9**t) / 2 for t in range(1, 11)]
    expected = [by_cycle[2 * k] + by_cycle[2 * k + 1] for k in range(5)]
    np.testing.assert_allclose(cost, expected, rtol=1e-14)


def test_periods_of_the_wrong_shape_are_refused(load):
    spec = load(two_state_sheets(0.1))
    with pytest.raises(ValueError, match=r"periods must have shape \(11, K\)"):
        run(spec, periods=np.ones((10, 2)))
