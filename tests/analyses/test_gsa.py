"""Global sensitivity: the SALib wiring against analytic indices, and the WalkBack decision."""

from __future__ import annotations

import copy
import math
import warnings

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from cea import engine
from cea.analyses import gsa
from cea.analyses.incremental import pairwise
from cea.analyses.sampling import uncertain_parameters
from cea.export import present
from cea.workbook import load_workbook
from tests.helpers.engine_calls import count_engine_calls

SALIB_TOL = {"atol": 5e-2, "rtol": 1e-1}


def ishigami(x: np.ndarray, a: float = 7.0, b: float = 0.1) -> np.ndarray:
    return np.sin(x[:, 0]) + a * np.sin(x[:, 1]) ** 2 + b * x[:, 2] ** 4 * np.sin(x[:, 0])


def ishigami_indices(a: float = 7.0, b: float = 0.1) -> dict[str, np.ndarray]:
    """Analytic Sobol indices of the Ishigami function, inputs uniform on [-pi, pi].

    Sobol & Levitan (1999); e.g. Saltelli et al., *Global Sensitivity Analysis: The
    Primer* (2008), section 4.9: V = a^2/8 + b pi^4/5 + b^2 pi^8/18 + 1/2,
    V1 = (1 + b pi^4/5)^2 / 2, V2 = a^2/8, V3 = 0, V13 = b^2 pi^8 (1/18 - 1/50).
    """
    pi4 = math.pi**4
    v = a**2 / 8 + b * pi4 / 5 + b**2 * pi4**2 / 18 + 0.5
    v1, v2, v13 = 0.5 * (1 + b * pi4 / 5) ** 2, a**2 / 8, b**2 * pi4**2 * (1 / 18 - 1 / 50)
    return {"S1": np.array([v1, v2, 0.0]) / v, "ST": np.array([v1 + v13, v2, v13]) / v,
            "S13": np.array(v13 / v)}


UNIFORM_PI = stats.uniform(-math.pi, 2 * math.pi)


def test_ishigami_analytic_values_match_validation_table():
    """The formulas give the values of VALIDATION.md section 3."""
    s = ishigami_indices()
    assert np.round(s["S1"], 4).tolist() == [0.3139, 0.4424, 0.0]
    assert np.round(s["ST"], 4).tolist() == [0.5576, 0.4424, 0.2437]


def test_ishigami_through_the_wiring():
    """S1, ST and S2(x1, x3) within SALib's tolerance at N = 8192 (as SALib's test)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", gsa.GSAWarning)
        result = gsa.sobol_indices(["x1", "x2", "x3"], [UNIFORM_PI.ppf] * 3, ishigami,
                                   n=8192, second_order=True, seed=1)
    exact = ishigami_indices()
    frame = result.to_frame()
    np.testing.assert_allclose(frame["S1"], exact["S1"], **SALIB_TOL)
    np.testing.assert_allclose(frame["ST"], exact["ST"], **SALIB_TOL)
    s2 = result.second_order_frame().set_index(["parameter_1", "parameter_2"])["S2"]
    np.testing.assert_allclose([s2["x1", "x2"], s2["x1", "x3"], s2["x2", "x3"]],
                               [0.0, exact["S13"], 0.0], **SALIB_TOL)
    assert result.n_rows == 8192 * (2 * 3 + 2)


def test_ishigami_groups():
    """Grouping x1 with x3: S1 = ST = (V1 + V13)/V and V2/V, as SALib's grouped regression."""
    result = gsa.sobol_indices(["x1", "x2", "x3"], [UNIFORM_PI.ppf] * 3, ishigami, n=8192,
                               groups=["G1", "G2", "G1"], seed=2)
    exact = ishigami_indices()["ST"][:2]
    frame = result.to_frame()
    assert frame["parameter"].tolist() == ["G1", "G2"]
    assert frame["members"].tolist() == ["x1, x3", "x2"]
    np.testing.assert_allclose(frame["S1"], exact, **SALIB_TOL)
    np.testing.assert_allclose(frame["ST"], exact, **SALIB_TOL)
    assert result.n_rows == 8192 * (2 + 2)


def test_linear_model_analytic_indices():
    """Y = sum a_i X_i with independent X_i: Var Y = sum a_i^2 Var X_i, and by the variance
    decomposition V_i = Var E[Y | X_i] = a_i^2 Var X_i with no interactions, so
    S1_i = ST_i = a_i^2 Var X_i / sum_j a_j^2 Var X_j (and sum S1 = 1)."""
    dists = [stats.norm(0, 1), stats.uniform(0, 2), stats.gamma(4, scale=0.5),
             stats.beta(2, 5)]
    a = np.array([1.0, 2.0, -1.5, 10.0])
    share = a**2 * np.array([d.var() for d in dists])
    share /= share.sum()
    result = gsa.sobol_indices(["x1", "x2", "x3", "x4"], [d.ppf for d in dists],
                               lambda x: x @ a, n=4096, seed=3)
    frame = result.to_frame()
    # largest errors over seeds 1-30 were 0.004 (S1) and 0.0016 (ST)
    np.testing.assert_allclose(frame["S1"], share, atol=0.01)
    np.testing.assert_allclose(frame["ST"], share, atol=0.005)
    assert result.summary()["sum_S1"].iloc[0] == pytest.approx(1.0, abs=0.05)
    assert result.converged


def test_morris_linear_model_is_exact():
    """For Y = sum a_i X_i with X_i uniform on [lo_i, hi_i] every step moves X_i from one
    bin-centre quantile to another half the range away, so each elementary effect is exactly
    a_i (hi_i - lo_i)/2: mu = that, mu* = its absolute value, sigma = 0."""
    lo, hi = np.array([0.0, -1.0, 10.0]), np.array([1.0, 3.0, 20.0])
    a = np.array([2.0, -0.5, 0.1])
    dists = [stats.uniform(low, high - low) for low, high in zip(lo, hi)]
    result = gsa.morris_indices(["x1", "x2", "x3"], [d.ppf for d in dists],
                                lambda x: x @ a, trajectories=10, seed=4)
    frame = result.to_frame()
    step = a * (hi - lo) / 2
    np.testing.assert_allclose(frame["mu"], step, rtol=1e-9)
    np.testing.assert_allclose(frame["mu_star"], np.abs(step), rtol=1e-9)
    np.testing.assert_allclose(frame["sigma"], 0, atol=1e-9)
    assert result.n_rows == 10 * (3 + 1)


QUIET = pytest.mark.filterwarnings("ignore::cea.analyses.gsa.GSAWarning")


@QUIET
def test_design_is_clipped_inside_the_unit_cube():
    assert gsa.clip_unit(np.array([0.0, 0.5, 1.0])).tolist() == [1e-12, 0.5, 1 - 1e-12]
    seen = []

    def record(u):
        seen.append(u)
        return u

    gsa.sobol_indices(["a", "b"], record, lambda u: u.sum(axis=1), n=64, seed=5)
    assert seen[0].min() > 0 and seen[0].max() < 1


@QUIET
def test_constant_output_gives_nan_with_a_note(tmp_path):
    result = gsa.sobol_indices(["a", "b"], lambda u: u,
                               lambda u: np.column_stack([u[:, 0], np.ones(len(u))]),
                               n=64, seed=6)
    frame = result.to_frame()
    flat = frame[frame["output"] == "y1"]
    assert flat["S1"].isna().all() and (flat["note"] == "the outcome does not vary").all()
    present.load()
    assert [p.name for p in present.figures(result, tmp_path, "c")] == ["c_sobol_y0.png",
                                                                        "c_sobol_y1.png"]


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"n": 100}, "power of two"),
    ({"conf_level": 1.5}, "conf_level"),
    ({"num_resamples": 1}, "num_resamples"),
    ({"perspective": "payer"}, "perspective"),
    ({"wtp": -1}, "wtp"),
])
def test_bad_arguments_are_refused(walkback, kwargs, message):
    with pytest.raises(ValueError, match=message):
        gsa.sobol(walkback, **kwargs)


def test_bad_morris_levels_are_refused(walkback):
    with pytest.raises(ValueError, match="levels"):
        gsa.morris(walkback, levels=3)


def test_one_group_is_refused():
    """SALib cannot split the variance of a single group (its sampler then ungroups)."""
    with pytest.raises(ValueError, match="at least two inputs"):
        gsa.sobol_indices(["a", "b"], lambda u: u, lambda u: u.sum(axis=1), n=64,
                          groups=["g", "g"])


@pytest.fixture
def count_engine(monkeypatch):
    """The rows of every engine call."""
    return count_engine_calls(monkeypatch)


def test_walkback_sobol_is_one_engine_call(walkback, count_engine):
    d = len(uncertain_parameters(walkback))
    with pytest.warns(gsa.GSAWarning, match=r"wider than 0.1.*run with n = "):
        result = gsa.sobol(walkback, n=64, second_order=True)
    assert count_engine == [64 * (2 * d + 2)] == [result.n_rows]
    frame = result.to_frame()
    outputs = frame.groupby(["outcome", "perspective", "wtp"], dropna=False).size()
    assert len(outputs) == 7 and (outputs == d).all()  # 2 wtp x 2 persp + 2 costs + QALYs
    assert len(result.second_order_frame()) == 7 * d * (d - 1) // 2
    assert not result.converged and result.suggested_n() > 64
    assert frame.loc[~frame["converged"], "note"].str.contains("increase n").all()


def test_walkback_first_order_rows_and_decision(walkback, count_engine):
    """N(D + 2) rows; the care-seeking episode's length drives the incremental NMB (most of
    the QALY gain is care-seeking episode time averted, and its median is an assumption
    with a 4-31 day range); absenteeism has no effect on the healthcare-system
    perspective."""
    d = len(uncertain_parameters(walkback))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", gsa.GSAWarning)
        result = gsa.sobol(walkback, n=256, wtp=28033, perspective="healthcare system")
    assert count_engine == [256 * (d + 2)]
    nmb = result.to_frame().query("outcome == 'inc_nmb'").set_index("parameter")
    assert nmb["ST"].idxmax() == "median_episode_cs_days"
    assert "effect_later_years" in nmb["ST"].nlargest(3).index  # the structural uncertainty
    absence = ["days_lost_al", "days_lost_cs", "lfp_female", "wage_week_female"]
    assert (nmb.loc[absence, "ST"] == 0).all()


def test_walkback_same_seed_same_indices_whatever_the_chunks(walkback):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", gsa.GSAWarning)
        one = gsa.sobol(walkback, n=64, seed=11).to_frame()
        two = gsa.sobol(walkback, n=64, seed=11, chunk_size=100).to_frame()
    pd.testing.assert_frame_equal(one, two)


def test_walkback_groups(walkback, count_engine):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", gsa.GSAWarning)
        result = gsa.sobol(walkback, n=64, groups=True)
    groups = ["recurrence", "effect", "episodes", "utilities", "costs", "absenteeism",
              "adverse events", "swimming"]
    assert count_engine == [64 * (len(groups) + 2)]
    main = result.to_frame().groupby(["outcome", "perspective", "wtp"], sort=False).head(99)
    assert main["parameter"].iloc[:len(groups)].tolist() == groups
    assert main["members"].iloc[1] == "hr_al, hr_cs, hr_recovery, effect_later_years"


def test_walkback_morris(walkback, count_engine):
    d = len(uncertain_parameters(walkback))
    result = gsa.morris(walkback, trajectories=6)
    assert count_engine == [6 * (d + 1)] == [result.n_rows]
    frame = result.to_frame()
    assert np.isfinite(frame[["mu_star", "mu", "sigma"]]).all().all()
    top = frame.query("outcome == 'inc_nmb' and perspective == 'healthcare system'")
    # the screening agrees with the Sobol indices: the care-seeking episode's length leads
    assert set(top.sort_values("mu_star").groupby("wtp")["parameter"].last()) == {
        "median_episode_cs_days"}


def test_decision_outputs_match_the_base_case(walkback):
    """inc_cost and inc_qaly are the pairwise increments; inc_nmb = wtp inc_qaly - inc_cost."""
    out = engine.run(walkback)
    frame = gsa.decision_outputs(walkback, out, wtp=[28033.0],
                                 perspectives=["healthcare system"])
    cost = out.cost(walkback.settings.perspectives["healthcare system"])[0]
    pair = pairwise(out.strategies, cost, out["qaly"][0]).iloc[1]
    comparison = "walkback vs usual care"
    inc_cost = frame[("inc_cost", "healthcare system", comparison, np.nan)].iloc[0]
    inc_qaly = frame[("inc_qaly", "all", comparison, np.nan)].iloc[0]
    assert inc_cost == pytest.approx(pair["inc_cost"])
    assert inc_qaly == pytest.approx(pair["inc_effect"])
    nmb = frame[("inc_nmb", "healthcare system", comparison, 28033.0)].iloc[0]
    assert nmb == pytest.approx(28033 * inc_qaly - inc_cost)


@QUIET
def test_correlations_are_warned_about_and_noted(walkback):
    spec = copy.copy(walkback)
    object.__setattr__(spec, "correlations", (("hr_al", "hr_cs", 0.5),))
    with pytest.warns(gsa.GSAWarning, match="correlation"):
        result = gsa.sobol(spec, n=64)
    assert result.to_frame()["note"].str.contains(r"hr_al~hr_cs \(0.5\) are not imposed").all()
    with pytest.warns(gsa.GSAWarning, match="correlation"):
        gsa.morris(spec, trajectories=4)


def _tri_sheets(die_group: str = "transitions") -> dict:
    """Three strategies; the probabilities out of 'alive' are one Dirichlet group."""
    def row(name, value, dist, group):
        return [name, value, "", "", "test", None, None, dist, group]

    return {
        "settings": [["setting", "value"], ["model_name", "tri"], ["cycle_length", 1],
                     ["cycle_unit", "year"], ["horizon", 10], ["horizon_unit", "year"],
                     ["discount_costs", 0.03], ["discount_outcomes", 0.03],
                     ["perspectives", "payer = care"], ["currency", "AUD"],
                     ["price_year", 2024], ["wtp", 20000], ["seed", 7]],
        "parameters": [
            ["name", "value", "unit", "description", "source", "low", "high",
             "distribution", "group"],
            row("p_sick", 0.10, "dirichlet(group=alive_out, count=10)", "transitions"),
            row("p_die", 0.05, "dirichlet(group=alive_out, count=5)", die_group),
            row("p_stay", 0.85, "dirichlet(group=alive_out, count=85)", "transitions"),
            row("c_sick", 1000, "gamma(mean=1000, se=100)", "costs"),
            row("rr_b", 0.8, "lognormal(mean=0.8, se=0.1)", "effect"),
            row("rr_c", 0.6, "lognormal(mean=0.6, se=0.1)", "effect"),
        ],
        "states": [["name", "initial", "utility", "cost_care", "dead"],
                   ["alive", 1, 1, 0, "no"], ["sick", 0, 0.6, "c_sick", "no"],
                   ["dead", 0, 0, 0, "yes"]],
        "strategies": [["name", "description", "cost_care"], ["a", "", 0], ["b", "", 100],
                       ["c", "", 300]],
        "transitions": [["from", "to", "a", "b", "c"],
                        ["alive", "alive", "C", "C", "C"],
                        ["alive", "sick", "p_sick", "p_sick * rr_b", "p_sick * rr_c"],
                        ["alive", "dead", "p_die", "p_die", "p_die"],
                        ["sick", "sick", "C", "C", "C"],
                        ["sick", "dead", "p_die", "p_die", "p_die"]],
    }


def test_dirichlet_group_moves_as_one_input(make_workbook):
    spec = load_workbook(make_workbook(_tri_sheets()))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", gsa.GSAWarning)
        result = gsa.sobol(spec, n=128)
    frame = result.to_frame()
    assert result.n_rows == 128 * (4 + 2)  # dirichlet group, c_sick, rr_b, rr_c
    assert set(frame["comparison"]) == {"b vs a", "c vs a"}
    dirichlet = frame[frame["parameter"] == "alive_out (dirichlet)"]
    assert (dirichlet["members"] == "p_sick, p_die, p_stay").all()
    assert dirichlet["note"].str.contains("move together").all()
    # strategy b does not use rr_c: exactly no effect on b vs a
    unused = frame.query("comparison == 'b vs a' and parameter == 'rr_c'")
    assert (unused[["S1", "ST"]] == 0).all().all()


def test_dirichlet_split_across_groups_is_refused(make_workbook):
    spec = load_workbook(make_workbook(_tri_sheets(die_group="other")))
    with pytest.raises(ValueError, match="dirichlet group 'alive_out'.*one parameter group"):
        gsa.sobol(spec, n=64, groups=True)
