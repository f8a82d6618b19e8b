"""Budget impact (issue 16): closed forms, conservation, and the shipped WalkBack budget.

Expected numbers are hand calculations written out in each test (the two-state model's
trace is known in closed form), the engine's per-cycle table (:func:`per_cycle`, laid out
line by line with pandas, not through the binning) and the engine's undiscounted totals.
"""

from __future__ import annotations

import numpy as np
import pytest

import cea.engine
from cea.analyses.budget import budget_impact, calendar_weights, followed_spec
from cea.engine import run
from cea.engine.per_cycle import per_cycle
from cea.workbook import load_workbook
from tests.helpers.builders import two_state_sheets
from tests.helpers.paths import ROOT

BUDGET_HEADER = ["item", "strategy", "state", "year", "value", "low", "high", "description",
                 "source"]


def budget_sheets(*, entry: str = "start", years: int = 3, uptake_without: float = 0.0,
                  eligible=((None, 1000),), existing=(), horizon: int = 2) -> dict:
    """Two strategies on alive -> dead with annual cycles and start-of-cycle counting: 'none'
    (p_die 0.1) and 'programme' (p_die 0.05 and a one-off cost of 500 at entry); care costs
    100 a year alive. The model's own horizon (2 years) is shorter than the budget's 3, and
    it discounts at 5% (a budget is undiscounted). 40% take up the programme."""
    sheets = two_state_sheets(0.1, within_cycle="start", rate=0.05, cycles=horizon)
    sheets["settings"] = [row if row[0] != "perspectives" else
                          ["perspectives", "payer = care, programme"]
                          for row in sheets["settings"]]
    sheets["parameters"] += [["p_die_programme", 0.05, "per cycle", "death, programme",
                              "test"], ["c_programme", 500, "AUD", "programme", "test"]]
    sheets["states"] = [["name", "initial", "utility", "cost_care", "dead"],
                        ["alive", 1, 1, 100, "no"], ["dead", 0, 0, 0, "yes"]]
    sheets["strategies"] = [["name", "description", "cost_programme", "p_die"],
                            ["none", "no programme", 0, None],
                            ["programme", "the programme", "c_programme", "p_die_programme"]]
    sheets["transitions"] = [["from", "to", "none", "programme"],
                             ["alive", "alive", "C", "C"], ["alive", "dead", "p_die", "p_die"]]
    rows = [BUDGET_HEADER, ["years", None, None, None, years], ["entry", None, None, None,
                                                                 entry]]
    rows += [["eligible", None, None, year, n] for year, n in eligible]
    rows += [["uptake_with", "programme", None, None, 0.4],
             ["uptake_without", "programme", None, None, uptake_without]]
    rows += [["existing", None, state, None, n] for state, n in existing]
    sheets["budget"] = rows
    return sheets


def test_yearly_budget_impact_matches_the_hand_calculation(load):
    """Entrants N = 1,000 a year on the first day, 40% on the programme. One person's cost
    k years after entry: 100 x (1 - p)^k (start counting), plus 500 at entry on the
    programme. Net impact of year y = 0.4 N [500 + sum_{j<y} 100 (0.95^j - 0.9^j)]:
    y1 = 400 x 500 = 200,000; y2 = 400 x (500 + 100 x 0.05) = 202,000;
    y3 = 400 x (500 + 100 x (0.05 + 0.9025 - 0.81)) = 205,700. World without:
    100,000 x (1, 1.9, 2.71)."""
    result = budget_impact(load(budget_sheets()))
    np.testing.assert_allclose(result.net, [200_000, 202_000, 205_700], rtol=1e-9)
    table = result.table()
    np.testing.assert_allclose(table["cost_without"][:3], [100_000, 190_000, 271_000],
                               rtol=1e-9)
    np.testing.assert_allclose(table["treated"][:3], [400, 400, 400], rtol=1e-15)
    assert result.n_cycles == 3  # the model's 2-year horizon extended to the budget's 3 years
    assert table["year"].iloc[-1] == "1-3"
    assert table["net_budget_impact"].iloc[-1] == pytest.approx(607_700, rel=1e-9)


def test_entry_spread_through_the_year_by_hand(load):
    """Spread evenly through the year, a cycle-year amount falls half in the year of entry
    and half in the next. Cycle amounts 100 x (1 - p)^(t-1): year k since entry gets
    half of cycles k and k + 1: none 50, 95, 85.5; programme 50 + 500, 97.5, 92.625.
    Differences 500, 2.5, 7.125, so the net impact is 400 x (500, 502.5, 509.625)."""
    result = budget_impact(load(budget_sheets(entry="spread")))
    np.testing.assert_allclose(result.net, [200_000, 201_000, 203_850], rtol=1e-9)


def test_existing_people_by_hand(load):
    """200 people alive at the start of year 1 on year 1's shares: a second cohort of
    year 1. Differences per person 500, 5, 9.25 by year since entry (start counting):
    y1 = 0.4 x 1,200 x 500 = 240,000; y2 = 0.4 x (1,000 x 505 + 200 x 5) = 202,400;
    y3 = 0.4 x (1,000 x 514.25 + 200 x 9.25) = 206,440."""
    result = budget_impact(load(budget_sheets(existing=[("alive", 200)])))
    np.testing.assert_allclose(result.net, [240_000, 202_400, 206_440], rtol=1e-9)
    assert result.table()["treated"].iloc[0] == pytest.approx(480, rel=1e-15)


def test_discounting_the_budget_by_hand(load):
    sheets = budget_sheets()
    sheets["budget"].append(["discount", None, None, None, 0.05])
    result = budget_impact(load(sheets))
    np.testing.assert_allclose(result.net, [200_000, 202_000 / 1.05, 205_700 / 1.05**2],
                               rtol=1e-9)


def test_the_same_uptake_in_both_worlds_gives_zero_exactly(load):
    result = budget_impact(load(budget_sheets(uptake_without=0.4, entry="spread")),
                           n_draws=64)
    assert np.all(result.net == 0.0)
    assert np.all(result.draws == 0.0)


def test_one_cohort_summed_over_the_years_is_its_undiscounted_total(load):
    """A single cohort (year 1 only), with budget years covering the model's horizon: the
    years add up to the engine's undiscounted total cost of that cohort. Entering on the
    first day, all of it; spread through year 1, all but the half of the last cycle that
    falls after the last budget year (the per-cycle table's last cycle)."""
    for entry in ("start", "spread"):
        spec = load(budget_sheets(entry=entry, years=4, eligible=[(1, 1000), (2, 0), (3, 0),
                                                                  (4, 0)], horizon=4))
        result = budget_impact(spec)
        totals = run(spec)
        lines = per_cycle(spec)
        with_ = 0.0
        for j, share in enumerate((0.6, 0.4)):
            total = (totals["cost_care_undiscounted"][0, j]
                     + totals["cost_programme_undiscounted"][0, j])
            if entry == "spread":
                last = lines[(lines["strategy"] == spec.strategy_names[j])
                             & (lines["cycle"] == 4)
                             & lines["measure"].str.startswith("cost_")]["undiscounted"].sum()
                total -= last / 2
            with_ += 1000 * share * total
        assert result.n_cycles == 4
        assert result.table()["cost_with"].iloc[:4].sum() == pytest.approx(with_, rel=1e-12)
        # by hand, start counting: none 100 + 90 + 81 + 72.9 = 343.9; the programme
        # 500 + 100 + 95 + 90.25 + 85.7375 = 870.9875; spread leaves half of cycle 4
        # (72.9 and 85.7375) after year 4
        by_hand = 1000 * (0.6 * 343.9 + 0.4 * 870.9875)
        if entry == "spread":
            by_hand -= 1000 * (0.6 * 72.9 + 0.4 * 85.7375) / 2
        assert with_ == pytest.approx(by_hand, rel=1e-12)


@pytest.fixture(scope="module")
def walkback():
    return load_workbook(ROOT / "inputs" / "walkback.xlsx")


def test_one_walkback_cohort_year_by_year_is_its_per_cycle_costs(walkback):
    """One cohort entering on the first day of year 1: year y's cost is the sum of the
    per-cycle table's undiscounted costs over the cycles of year y, a weekly cycle that
    straddles New Year shared by the days on each side (a loop over cycles here)."""
    from dataclasses import replace

    budget = replace(walkback.budget, entry="start",
                     eligible=(replace(walkback.budget.eligible[0], value=1.0),
                               *(replace(v, value=0.0) for v in walkback.budget.eligible[1:])))
    spec = replace(walkback, budget=budget)
    result = budget_impact(spec)
    followed = followed_spec(spec, budget.years)
    lines = per_cycle(followed)
    counted = ["cost_" + c for c in spec.settings.perspectives[budget.perspective]]
    lines = lines[lines["measure"].isin(counted)]
    step = followed.settings.cycle_years
    for world, shares in ((0, {"usual care": 1.0}),
                          (1, {"usual care": 0.9, "walkback": 0.1})):
        expected = np.zeros(budget.years)
        for strategy, share in shares.items():
            by_cycle = lines[lines["strategy"] == strategy].groupby("cycle")["undiscounted"].sum()
            for cycle, amount in by_cycle.items():
                if cycle == 0:
                    expected[0] += share * amount
                    continue
                a, b = (cycle - 1) * step, cycle * step
                for y in range(budget.years):
                    overlap = max(0.0, min(b, y + 1) - max(a, y))
                    expected[y] += share * amount * overlap / step
        got = result.table()["cost_with" if world else "cost_without"].iloc[:-1].to_numpy()
        np.testing.assert_allclose(got, expected, rtol=1e-9)


def test_spread_weights_are_the_average_over_entry_days():
    """The closed form of calendar_weights('spread') against entry on each of 2,000 days
    (midpoints) with 'start' weights shifted by hand."""
    step, n, years = 7 / 365.25, 300, 6
    closed = calendar_weights(step, n, years, "spread")
    days = (np.arange(2000) + 0.5) / 2000
    brute = np.zeros_like(closed)
    for u in days:
        a = u + np.arange(n) * step
        b = a + step
        for k in range(years):
            brute[1:, k] += np.clip(np.minimum(b, k + 1) - np.maximum(a, k), 0, None) / step
    brute /= len(days)
    brute[0, 0] = 1.0
    np.testing.assert_allclose(closed, brute, atol=2e-6)
    inside = closed[1: int((years - 1) / step)]
    np.testing.assert_allclose(inside.sum(axis=1), 1.0, atol=1e-12)


def test_walkback_psa_interval_comes_from_one_engine_call(walkback, monkeypatch):
    calls = []
    real = cea.engine.run

    def counting(spec, table=None, **kwargs):
        calls.append(1 if table is None else len(table))
        return real(spec, table, **kwargs)

    monkeypatch.setattr(cea.engine, "run", counting)
    result = budget_impact(walkback, n_draws=300, seed=5)
    assert 300 in calls and calls.count(300) == 1
    assert result.draws.shape == (300, 5)
    low, high = np.percentile(result.draws, [2.5, 97.5], axis=0)
    assert np.all(low < result.net) and np.all(result.net < high)


def test_walkback_five_years(walkback):
    """The shipped budget: 557,000 eligible a year, uptake 10% rising to 30%; the programme
    costs 333.23 per person treated, all in the year of entry (one-off at entry)."""
    result = budget_impact(walkback)
    table = result.table()
    assert len(table) == 6 and table["year"].tolist()[-1] == "1-5"
    np.testing.assert_allclose(table["treated"][:5], 557_000 * np.array([.1, .15, .2, .25, .3]),
                               rtol=1e-12)
    intervention = result.costs().query("category == 'intervention'")
    programme = walkback.strategies[1].oneoff["intervention"]
    per_person = float(cea.engine.evaluate_expression(walkback, programme)[0, 0])
    np.testing.assert_allclose(intervention["difference"], table["treated"][:5] * per_person,
                               rtol=1e-12)
    assert (result.net > 0).all()  # the programme costs more than the healthcare it saves
    averted = result.outcomes().query("outcome == 'work_days_lost'")["averted"]
    assert (averted > 0).all()
    assert result.tornado()["name"].iloc[0] == "uptake_with walkback"


def test_one_way_of_the_budget_by_hand(load):
    """Net impact over 3 years at base: 607,700 (above). It is linear in the eligible
    (800 and 1,200 of 1,000: x 0.8 and x 1.2) and in the uptake (0.2 and 0.6 of 0.4: x 0.5
    and x 1.5); the programme's cost at 400 and 600 instead of 500 changes it by
    -/+ 100 x 1,200 people treated over the years."""
    sheets = budget_sheets()
    for row in sheets["budget"]:
        if row[0] == "eligible":
            row += [800, 1200]
        if row[0] == "uptake_with":
            row += [0.2, 0.6]
    sheets["parameters"][0] += ["low", "high"]
    sheets["parameters"][-1] += [400, 600]
    tornado = budget_impact(load(sheets)).tornado().set_index("name")
    base = 607_700
    expected = {"eligible": (0.8 * base, 1.2 * base),
                "uptake_with programme": (0.5 * base, 1.5 * base),
                "c_programme": (base - 120_000, base + 120_000)}
    for name, (low, high) in expected.items():
        assert tornado.loc[name, "net_at_low"] == pytest.approx(low, rel=1e-9), name
        assert tornado.loc[name, "net_at_high"] == pytest.approx(high, rel=1e-9), name
    assert tornado.index[0] == "uptake_with programme"  # the largest swing first
