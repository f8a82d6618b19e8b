"""Probabilistic sensitivity analysis: streams tied to the draw index, summaries against loops."""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pytest

from cea.analyses.base_case import run_base_case
from cea.analyses.draws import BLOCK, DrawSampler
from cea.analyses.psa import (
    PSAResult,
    population_factor,
    run_psa,
    wtp_grid,
)
from cea.workbook import load_workbook
from tests.helpers.builders import two_state_sheets
from tests.helpers.paths import ROOT

WALKBACK = ROOT / "inputs" / "walkback.xlsx"


HIV = ROOT / "inputs" / "examples" / "hiv_chancellor.xlsx"


def test_block_streams_are_seed_sequence_children(walkback):
    """Block b's normals come from child b of SeedSequence(seed).spawn(n_blocks), times the
    transposed Cholesky factor of the copula's correlation matrix."""
    sampler = DrawSampler(walkback, 99, 3 * BLOCK)
    k = len(sampler.names)
    for b in range(3):
        child = np.random.SeedSequence(99).spawn(3)[b]
        expected = np.random.default_rng(child).standard_normal((BLOCK, k))
        assert sampler.factor is not None  # the shipped workbook has correlations
        assert np.array_equal(sampler.normals(b), expected @ sampler.factor.T)
        same = np.random.SeedSequence(99, spawn_key=(b,))  # what a worker would build
        assert np.array_equal(np.random.default_rng(same).standard_normal((BLOCK, k)),
                              expected)


def test_block_by_block_equals_all_at_once(walkback):
    sampler = DrawSampler(walkback, 4, 2 * BLOCK + 100)
    whole = sampler.table(0, sampler.n_blocks)
    pieces = pd.concat([sampler.table(b, b + 1) for b in range(sampler.n_blocks)],
                       ignore_index=True)
    assert len(whole) == 2 * BLOCK + 100
    assert np.array_equal(whole.to_numpy(), pieces.to_numpy())


def test_draws_are_tied_to_the_draw_index(walkback):
    """The first 50 draws of a 1,100-draw PSA are the draws of a 50-draw PSA."""
    short = run_psa(walkback, n_draws=50, seed=8)
    long = run_psa(walkback, n_draws=1100, seed=8)
    assert np.array_equal(short.parameters.to_numpy(), long.parameters.to_numpy()[:50])
    assert np.array_equal(short.qaly, long.qaly[:50])
    for perspective in short.costs:
        assert np.array_equal(short.costs[perspective], long.costs[perspective][:50])


@pytest.mark.parametrize("chunk_size", [1, 7, None])
def test_bit_identical_whatever_the_chunk_size(walkback, chunk_size):
    default = run_psa(walkback, n_draws=60, seed=21)
    other = run_psa(walkback, n_draws=60, seed=21, chunk_size=chunk_size)
    assert np.array_equal(default.parameters.to_numpy(), other.parameters.to_numpy())
    assert np.array_equal(default.qaly, other.qaly)
    assert np.array_equal(default.ly, other.ly)
    for perspective in default.costs:
        assert np.array_equal(default.costs[perspective], other.costs[perspective])


def test_bit_identical_across_blocks_and_chunks():
    """More than one block (1,100 draws) in chunks of 7 rows and in the default chunks."""
    spec = load_workbook(HIV)
    a = run_psa(spec, n_draws=1100, seed=1, chunk_size=7)
    b = run_psa(spec, n_draws=1100, seed=1)
    assert np.array_equal(a.qaly, b.qaly)
    assert all(np.array_equal(a.costs[p], b.costs[p]) for p in a.costs)


def test_seed_changes_draws(walkback):
    a = run_psa(walkback, n_draws=20, seed=1)
    b = run_psa(walkback, n_draws=20, seed=2)
    assert not np.array_equal(a.parameters.to_numpy(), b.parameters.to_numpy())
    assert a.seed == 1 and a.n_draws == 20


def test_settings_give_the_defaults(walkback):
    spec = dataclasses.replace(walkback, settings=dataclasses.replace(
        walkback.settings, psa_draws=30, seed=77))
    result = run_psa(spec)
    again = run_psa(walkback, n_draws=30, seed=77)
    assert result.n_draws == 30 and result.seed == 77
    assert np.array_equal(result.qaly, again.qaly)


@pytest.mark.parametrize("kwargs, fragment", [
    ({"n_draws": 0}, "The 'n_draws' parameter of run_psa must be an int >= 1. Got 0"),
    ({"n_draws": 2.5}, "The 'n_draws' parameter of run_psa must be an int >= 1"),
    ({"seed": -1}, "The 'seed' parameter of run_psa must be an int >= 0. Got -1"),
])
def test_bad_arguments(walkback, kwargs, fragment):
    with pytest.raises(ValueError, match=fragment.replace("(", r"\(")):
        run_psa(walkback, **kwargs)


def test_every_draw_equals_the_base_case_when_nothing_is_uncertain(walkback):
    """With every distribution removed, each draw is the base-case row bit for bit, and the
    PSA means and intervals are the base case exactly."""
    fixed = dataclasses.replace(walkback, correlations=(), parameters=tuple(
        dataclasses.replace(p, distribution=None) for p in walkback.parameters))
    result = run_psa(fixed, n_draws=37, seed=2)
    base = run_base_case(fixed).outcomes
    assert result.parameters.shape == (37, 0)
    assert np.array_equal(result.qaly, np.repeat(base["qaly"], 37, axis=0))
    summary = result.summary().set_index(["perspective", "strategy"])
    for perspective, categories in fixed.settings.perspectives.items():
        cost = base.cost(categories)
        assert np.array_equal(result.costs[perspective], np.repeat(cost, 37, axis=0))
        for j, strategy in enumerate(fixed.strategy_names):
            row = summary.loc[(perspective, strategy)]
            assert row["cost"] == row["cost_low"] == row["cost_high"] == cost[0, j]
            assert row["qaly"] == row["qaly_low"] == base["qaly"][0, j]
    assert (result.evpi()["evpi"] == 0).all()


@pytest.fixture
def three(make_workbook):
    """A spec with three strategies, one perspective, thresholds 10 and 30, population
    1,000 a year over 2.5 years, outcomes discounted at 5%."""
    sheets = two_state_sheets(0.1, rate=0.05)
    sheets["settings"] = [r for r in sheets["settings"] if r[0] != "wtp"]
    sheets["settings"] += [["wtp", "10, 30"], ["population", 1000],
                           ["decision_horizon", 2.5]]
    sheets["strategies"] = [["name", "description"], ["A", ""], ["B", ""], ["C", ""]]
    sheets["transitions"] = [["from", "to", "A", "B", "C"], ["alive", "alive", "C", "C", "C"],
                             ["alive", "dead", "p_die", "p_die", "p_die"]]
    return load_workbook(make_workbook(sheets))


QALY = np.array([[1.0, 2.0, 3.0], [1.5, 1.0, 2.0], [2.0, 2.5, 1.0], [0.5, 1.0, 1.5],
                 [1.0, 1.2, 1.1]])


COST = np.array([[10.0, 25.0, 60.0], [5.0, 20.0, 30.0], [20.0, 10.0, 40.0],
                 [0.0, 15.0, 10.0], [10.0, 12.0, 30.0]])


def _hand_result(spec) -> PSAResult:
    return PSAResult(spec=spec, seed=0, n_draws=5, parameters=pd.DataFrame(index=range(5)),
                     qaly=QALY, ly=QALY, costs={"payer": COST})


def test_evpi_ceac_loss_against_loops(three):
    """EVPI = E[max NMB] - max E[NMB], CEAC, CEAF and expected loss, by loops over 5 draws
    and 3 strategies."""
    result = _hand_result(three)
    for wtp in (0.0, 10.0, 30.0, 17.5):
        nmb = [[wtp * QALY[i, k] - COST[i, k] for k in range(3)] for i in range(5)]
        best_per_draw = [max(row) for row in nmb]
        mean_nmb = [sum(nmb[i][k] for i in range(5)) / 5 for k in range(3)]
        evpi = sum(best_per_draw) / 5 - max(mean_nmb)
        got = result.evpi(wtp=[wtp])
        assert got["evpi"].iloc[0] == pytest.approx(evpi, rel=1e-12, abs=1e-12)
        assert got["optimal"].iloc[0] == "ABC"[mean_nmb.index(max(mean_nmb))]
        wins = [0, 0, 0]
        for row in nmb:
            wins[row.index(max(row))] += 1
        ceac = result.ceac(wtp=[wtp])
        assert ceac["probability"].tolist() == pytest.approx([w / 5 for w in wins])
        ceaf = result.ceaf(wtp=[wtp]).iloc[0]
        k = mean_nmb.index(max(mean_nmb))
        assert ceaf["strategy"] == "ABC"[k] and ceaf["probability"] == wins[k] / 5
        loss = result.expected_loss(wtp=[wtp])["expected_loss"].to_numpy()
        expected = [sum(best_per_draw[i] - nmb[i][k] for i in range(5)) / 5 for k in range(3)]
        assert loss == pytest.approx(expected, rel=1e-12, abs=1e-12)
        assert loss.min() == pytest.approx(evpi, abs=1e-12)


def test_population_evpi(three):
    """1,000 people a year for 2.5 years at 5%: 1000 (1 + 1/1.05 + 0.5/1.05^2)."""
    factor = 1000 * (1 + 1 / 1.05 + 0.5 / 1.05**2)
    assert population_factor(three) == pytest.approx(factor, rel=1e-15)
    evpi = _hand_result(three).evpi(wtp=[10.0])
    assert evpi["evpi_population"].iloc[0] == pytest.approx(evpi["evpi"].iloc[0] * factor)


def test_wtp_grid(three):
    """0 to 2 x 30 in 50 steps of 1.2 (30 is one of them), plus 10."""
    grid = wtp_grid(three)
    assert grid[0] == 0 and grid[-1] == 60 and {10.0, 30.0} <= set(grid)
    assert len(grid) == 52 and np.all(np.diff(grid) > 0)


def test_summary_means_intervals_and_increments(walkback_psa):
    result = walkback_psa
    summary = result.summary()
    for perspective, cost in result.costs.items():
        rows = summary[summary["perspective"] == perspective].reset_index(drop=True)
        assert rows["cost"].to_numpy() == pytest.approx(cost.mean(axis=0), rel=1e-12)
        assert rows["qaly_low"].to_numpy() == pytest.approx(
            np.percentile(result.qaly, 2.5, axis=0))
        inc = cost[:, 1] - cost[:, 0]
        assert rows["inc_cost"][1] == pytest.approx(inc.mean(), rel=1e-12)
        assert rows["inc_cost_high"][1] == pytest.approx(np.percentile(inc, 97.5))
        inc_q = result.qaly[:, 1] - result.qaly[:, 0]
        assert rows["icer"][1] == pytest.approx(inc.mean() / inc_q.mean(), rel=1e-10)
        assert np.isnan(rows["icer"][0]) and rows["inc_qaly"][0] == 0
        for wtp in result.spec.settings.wtp:
            p = rows[f"p_optimal_{wtp:g}"].to_numpy()
            assert p.sum() == pytest.approx(1.0)


def test_convergence_ends_at_the_overall_mean(walkback_psa):
    conv = walkback_psa.convergence(points=50)
    wtp = walkback_psa.spec.settings.wtp[0]
    for perspective in walkback_psa.perspectives:
        part = conv[(conv["perspective"] == perspective) & (conv["wtp"] == wtp)]
        nmb = walkback_psa.nmb(perspective, wtp)
        inc = nmb[:, 1] - nmb[:, 0]
        last = part.iloc[-1]
        assert last["draws"] == walkback_psa.n_draws
        assert last["mean_inc_nmb"] == pytest.approx(inc.mean(), rel=1e-9)
        assert last["mc_se"] == pytest.approx(inc.std(ddof=1) / np.sqrt(len(inc)), rel=1e-6)
        assert part["draws"].is_monotonic_increasing and len(part) <= 50


def test_parameter_summary_matches_distributions(walkback_psa):
    table = walkback_psa.parameter_summary()
    assert list(table["parameter"]) == list(walkback_psa.parameters.columns)
    error = np.abs(table["sample_mean"] - table["mean"]) / (table["sd"] / np.sqrt(2000))
    assert (error < 4.5).all()


def test_progress_callback_sees_every_draw(walkback):
    seen = []
    run_psa(walkback, n_draws=40, seed=1, chunk_size=16, progress=lambda d, t: seen.append(
        (d, t)))
    assert seen[-1] == (40, 40) and [d for d, _ in seen] == sorted(d for d, _ in seen)
