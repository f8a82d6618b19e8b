"""EVPPI by regression: closed forms, brute force, standard errors, the model's EVPPI."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

from cea.analyses.psa import population_factor, run_psa
from cea.analyses.regression import MAX_SET, regression_evppi
from cea.analyses.voi import evppi_table as evppi
from cea.workbook import load_workbook
from tests.helpers.builders import two_state_sheets


def _closed(m: float, s: float) -> float:
    """E[max(0, Y)] - max(0, E[Y]) for Y ~ Normal(m, s^2)."""
    return m * stats.norm.cdf(m / s) + s * stats.norm.pdf(m / s) - max(0.0, m)


def _one(y: np.ndarray) -> np.ndarray:
    """INB of one decision problem and two strategies: shape (n, 1, 1)."""
    return y[:, None, None]


def test_linear_inb_matches_closed_form():
    """INB = 200 - X + noise, X ~ N(150, 100^2): EVPPI(X) = closed form at m = 50, s = 100.

    Tolerance: 3 x sqrt(SE^2 + MC^2); SE is the regression's, MC the Monte Carlo error of
    the 10,000 X draws themselves (sd of max(0, 200 - X) / sqrt(n)), which SE does not
    include."""
    rng = np.random.default_rng(3)
    n = 10_000
    x = rng.normal(150, 100, n)
    y = 200 - x + rng.normal(0, 300, n)
    value, se, edf = regression_evppi(_one(y), x[:, None], seed=1)
    truth = _closed(50, 100)
    mc = np.maximum(0, 200 - x).std() / math.sqrt(n)
    assert abs(value[0] - truth) < 3 * math.hypot(se[0], mc)
    assert 0 < se[0] < 0.2 * truth and 1.5 < edf[0] < 6


def test_exactly_linear_inb_is_fitted_exactly():
    """Without noise the straight line is in the spline's unpenalised space: the fitted
    values are the INB, so EVPPI is the sample value and SE is about 0."""
    x = np.random.default_rng(4).normal(0, 1, 2000)
    y = 0.3 + x
    value, se, _ = regression_evppi(_one(y), x[:, None], seed=1)
    sample = np.maximum(0, y).mean() - max(0, y.mean())
    assert value[0] == pytest.approx(sample, rel=1e-8)
    assert se[0] < 1e-8


def test_parameter_that_does_not_matter_gives_about_zero():
    rng = np.random.default_rng(5)
    n = 5000
    y = 20 - rng.normal(20, 100, n)
    dummy = rng.gamma(2.0, 1.0, n)
    value, se, _ = regression_evppi(_one(y), dummy[:, None], seed=2)
    assert value[0] <= max(2 * se[0], 1e-6 * abs(y).mean())


def test_nonlinear_inb_against_brute_force():
    """INB = sin(6X) - 0.2 + noise, X uniform: the true EVPPI is an integral over X."""
    rng = np.random.default_rng(6)
    n = 8000
    x = rng.uniform(0, 1, n)
    y = np.sin(6 * x) - 0.2 + rng.normal(0, 1, n)
    value, se, edf = regression_evppi(_one(y), x[:, None], seed=3)
    grid = (np.arange(200_000) + 0.5) / 200_000
    g = np.sin(6 * grid) - 0.2
    truth = np.maximum(g, 0).mean() - max(0, g.mean())
    mc = np.maximum(np.sin(6 * x) - 0.2, 0).std() / math.sqrt(n)
    assert abs(value[0] - truth) < 3 * math.hypot(se[0], mc) + 0.01
    assert edf[0] > 4  # the curve needs more than a straight line


def test_pair_with_interaction():
    """INB = X1 X2 - 0.3 (no noise), X1, X2 uniform(0, 1): the pair's EVPPI is the EVPI of
    the sample; X1 alone has E[INB | X1] = X1/2 - 0.3, EVPPI = E[max(0, X1/2 - 0.3)]
    = 0.04 (exactly: integral from 0.6 to 1 of (x/2 - 0.3) dx)."""
    rng = np.random.default_rng(7)
    n = 6000
    x = rng.uniform(0, 1, (n, 2))
    y = x[:, 0] * x[:, 1] - 0.3
    pair, pair_se, _ = regression_evppi(_one(y), x, seed=4)
    evpi = np.maximum(y, 0).mean() - max(0, y.mean())
    assert pair[0] == pytest.approx(evpi, rel=0.02)
    single, se, _ = regression_evppi(_one(y), x[:, :1], seed=4)
    mc = np.maximum(x[:, 0] / 2 - 0.3, 0).std() / math.sqrt(n)
    assert abs(single[0] - 0.04) < 3 * math.hypot(se[0], mc)


def test_three_strategies_and_several_cases():
    """Two incremental INBs (3 strategies), two decision problems: each case is its own
    EVPPI; a shifted copy of the same problem gives its own closed form."""
    rng = np.random.default_rng(8)
    n = 6000
    x = rng.normal(0, 1, n)
    inb = np.empty((n, 2, 2))
    inb[:, 0, 0], inb[:, 0, 1] = x, -5 + 0 * x  # strategy 3 never best
    inb[:, 1, 0], inb[:, 1, 1] = x + 1, -x + 1
    value, se, _ = regression_evppi(inb, x[:, None], seed=5)
    assert value[0] == pytest.approx(np.maximum(x, 0).mean() - max(0, x.mean()), rel=1e-6)
    best = np.maximum(0, np.maximum(x + 1, 1 - x)).mean()
    assert value[1] == pytest.approx(best - max(0, (x + 1).mean(), (1 - x).mean()), rel=1e-6)


def test_constant_or_dependent_inputs():
    x = np.random.default_rng(9).uniform(0, 1, (500, 1))
    value, se, edf = regression_evppi(_one(x[:, 0]), np.zeros((500, 0)))
    assert value[0] == 0 and se[0] == 0
    with pytest.raises(ValueError, match="at most 5 parameters"):
        regression_evppi(_one(x[:, 0]), np.repeat(x, MAX_SET + 1, axis=1))
    with pytest.raises(ValueError, match="needs at least 98 draws"):
        regression_evppi(_one(x[:40, 0]), np.random.default_rng(1).uniform(size=(40, 2)))


def test_design_in_chunks_gives_the_same_estimate(monkeypatch):
    """Large problems build the design matrix in blocks of rows; the sums only change
    order."""
    from cea.analyses import regression

    rng = np.random.default_rng(12)
    x = rng.uniform(size=(3000, 2))
    y = np.sin(3 * x[:, 0]) * x[:, 1] - 0.3 + rng.normal(0, 0.3, 3000)
    whole = regression_evppi(_one(y), x, seed=1)
    monkeypatch.setattr(regression, "_WHOLE", 0)
    monkeypatch.setattr(regression, "_ROWS", 700)
    chunked = regression_evppi(_one(y), x, seed=1)
    for a, b in zip(whole, chunked):
        assert np.allclose(a, b, rtol=1e-6, atol=1e-12)


def test_standard_error_is_reproducible():
    rng = np.random.default_rng(10)
    x = rng.normal(size=3000)
    y = x + rng.normal(size=3000)
    first = regression_evppi(_one(y), x[:, None], seed=11)
    again = regression_evppi(_one(y), x[:, None], seed=11)
    assert np.array_equal(first[1], again[1])


WTP = 2000.0


@pytest.fixture(scope="module")
def linear_model(tmp_path_factory):
    """Two strategies; b adds ``qgain`` to the utility of ``alive`` and costs ``extra``
    once. INB = WTP x L x qgain - extra with L the (fixed) discounted life-years, so it is
    linear in both; ``c_care`` is a state cost paid equally under both (no effect on the
    decision). qgain ~ N(0.05, 0.02^2), extra ~ N(500, 300^2)."""
    from cea.api import write_input_workbook

    sheets = two_state_sheets(0.1)
    sheets["settings"] = [r for r in sheets["settings"] if r[0] != "wtp"]
    sheets["settings"] += [["wtp", WTP], ["population", 5000], ["decision_horizon", 3]]
    sheets["parameters"] = [
        ["name", "value", "distribution", "group"],
        ["p_die", 0.1, None, ""],
        ["u_alive", 0.7, None, ""],
        ["gain", 0, None, ""],
        ["qgain", 0.05, "normal(mean=0.05, sd=0.02)", "effects"],
        ["extra", 500, "normal(mean=500, sd=300)", "costs"],
        ["c_care", 100, "gamma(mean=100, se=30)", "costs"],
    ]
    sheets["states"] = [["name", "initial", "utility", "cost_care", "dead"],
                        ["alive", 1, "u_alive + gain", "c_care", "no"],
                        ["dead", 0, 0, 0, "yes"]]
    sheets["strategies"] = [["name", "description", "cost_care", "gain"],
                            ["a", "", 0, None], ["b", "", "extra", "qgain"]]
    sheets["transitions"] = [["from", "to", "a", "b"], ["alive", "alive", "C", "C"],
                             ["alive", "dead", "p_die", "p_die"]]
    path = write_input_workbook(tmp_path_factory.mktemp("voi") / "linear.xlsx", sheets)
    spec = load_workbook(path)
    return run_psa(spec, n_draws=8000, seed=17)


def test_model_inb_is_linear_and_the_dummy_cancels(linear_model):
    psa = linear_model
    cost = psa.costs["payer"]
    assert np.allclose(cost[:, 1] - cost[:, 0], psa.parameters["extra"], rtol=0, atol=1e-9)
    life = (psa.qaly[:, 1] - psa.qaly[:, 0]) / psa.parameters["qgain"]
    assert np.allclose(life, life[0], rtol=1e-9)


def test_model_evppi_against_closed_forms(linear_model):
    psa = linear_model
    life = float((psa.qaly[0, 1] - psa.qaly[0, 0]) / psa.parameters["qgain"][0])
    a = WTP * life
    table = evppi(psa).set_index("label")
    x_cost, x_gain = psa.parameters["extra"], psa.parameters["qgain"]
    n = psa.n_draws
    # E[INB | extra] = a * 0.05 - extra
    row = table.loc["extra"]
    mc = np.maximum(a * 0.05 - x_cost, 0).std() / math.sqrt(n)
    assert abs(row["evppi"] - _closed(a * 0.05 - 500, 300)) < 3 * math.hypot(row["se"], mc)
    # E[INB | qgain] = a * qgain - 500
    row = table.loc["qgain"]
    mc = np.maximum(a * x_gain - 500, 0).std() / math.sqrt(n)
    assert abs(row["evppi"] - _closed(a * 0.05 - 500, a * 0.02)) < \
        3 * math.hypot(row["se"], mc)
    # the state cost paid under both strategies is worth nothing to learn
    row = table.loc["c_care"]
    assert row["evppi"] <= max(2 * row["se"], 1e-9 * row["evpi"])
    # EVPI: INB ~ N(a 0.05 - 500, (a 0.02)^2 + 300^2)
    inb = a * x_gain - x_cost
    mc = np.maximum(inb, 0).std() / math.sqrt(n)
    total = _closed(a * 0.05 - 500, math.hypot(a * 0.02, 300))
    assert abs(row["evpi"] - total) < 3 * mc


def test_model_evppi_table(linear_model):
    psa = linear_model
    table = evppi(psa)
    assert list(table["label"]) == ["qgain", "extra", "c_care", "costs"]
    assert list(table["kind"]) == ["parameter"] * 3 + ["group"]
    assert table.loc[3, "parameters"] == "extra, c_care" and table.loc[3, "n_parameters"] == 2
    factor = population_factor(psa.spec)
    assert factor == pytest.approx(5000 * 3)  # 3 years, outcomes not discounted here
    assert np.allclose(table["evppi_population"], table["evppi"] * factor)
    assert np.allclose(table["share"], table["evppi"] / table["evpi"])
    # a group's EVPPI is at least its members' (within the estimates' error)
    costs, extra = table.loc[3], table.loc[1]
    assert costs["evppi"] >= extra["evppi"] - 3 * math.hypot(costs["se"], extra["se"])
    joint = evppi(psa, params=[("qgain", "extra")]).iloc[0]
    assert joint["kind"] == "set" and joint["label"] == "qgain + extra"
    assert joint["evppi"] == pytest.approx(joint["evpi"], rel=0.02)


def test_same_se_alone_or_among_others(linear_model):
    alone = evppi(linear_model, params=["extra"])
    among = evppi(linear_model).set_index("label").loc[["extra"]]
    assert alone["se"].iloc[0] == among["se"].iloc[0]


@pytest.mark.parametrize("kwargs, fragment", [
    ({"params": ["p_die"]}, "The 'params' parameter of evppi must name parameters with a "
                            "distribution; got ['p_die']"),
    ({"groups": ["nothing"]}, "The 'groups' parameter of evppi must name groups"),
])
def test_bad_requests(linear_model, kwargs, fragment):
    with pytest.raises(ValueError) as info:
        evppi(linear_model, **kwargs)
    assert fragment in str(info.value)
