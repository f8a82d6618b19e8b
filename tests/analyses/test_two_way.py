"""Two-way sensitivity analysis: the grid in one engine call, the base point exact."""

from __future__ import annotations

import numpy as np

from cea.analyses.one_way import one_way
from cea.analyses.two_way import two_way
from tests.helpers.engine_calls import count_engine_calls


def test_two_way_grid_and_base_point(walkback, monkeypatch):
    """11 x 11 grid in one engine call; hr_al 0.62-0.82 and c_pedometer 10-50 put the base
    (0.72, 30) at grid point (5, 5), where the result is the base case's."""
    calls = count_engine_calls(monkeypatch)
    result = two_way(walkback, "hr_al", "c_pedometer", points=11,
                     ranges={"hr_al": (0.62, 0.82), "c_pedometer": (10, 50)})
    assert calls == [121]
    grid = result.grid()
    assert grid.shape == (11, 11)
    assert grid.index[5] == 0.72 and grid.columns[5] == 30
    base = one_way(walkback, parameters=["hr_al"]).tornado().iloc[0]
    np.testing.assert_allclose(grid.iloc[5, 5], base.outcome_base, rtol=1e-12)
    assert result.grid(value="optimal").iloc[5, 5] == base.optimal_base
    s = walkback.settings
    assert len(result.to_frame()) == 121 * len(s.perspectives) * len(s.wtp) * 2
    # inc NMB falls one-for-one with the pedometer cost (a one-off cost at time 0)
    np.testing.assert_allclose(np.diff(grid.to_numpy(), axis=1), -4.0, rtol=1e-9)
