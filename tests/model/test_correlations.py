"""The ``correlations`` sheet: reading, checking, and the rank correlations it imposes.

A correlation is a Spearman rank correlation, imposed by a Gaussian copula whose normals
have Pearson correlation r = 2 sin(pi rho / 6) (Kruskal 1958), so the sampled parameters'
Spearman correlation should match the sheet's value within Monte Carlo error whatever
their marginal distributions.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

from cea.analyses.draws import DrawSampler
from cea.analyses.psa import run_psa
from cea.export import present
from cea.model.correlations import copula_factor, normal_scale, rank_scale
from cea.model.problems import InputError
from cea.model.spec import Correlation
from cea.workbook import load_workbook
from cea.workbook.template import template_sheets
from tests.helpers.builders import two_state_sheets


def _sheets(correlations: list[list] | None) -> dict:
    """Two-state model with uncertain parameters of several shapes, and a correlations sheet."""
    sheets = two_state_sheets(0.1)
    sheets["parameters"] = [
        ["name", "value", "distribution", "group"],
        ["p_die", 0.1, "beta(mean=0.1, se=0.02)", ""],
        ["c_a", 100, "gamma(mean=100, se=30)", ""],
        ["c_b", 50, "lognormal(mean=50, se=20)", ""],
        ["c_c", 10, "uniform(low=5, high=15)", ""],
        ["c_fixed", 3, None, ""],
        ["c_sum", "c_a + c_b", None, ""],
        ["p_d1", 0.2, "dirichlet(group=d, count=20)", ""],
        ["p_d2", 0.8, "dirichlet(group=d, count=80)", ""],
    ]
    sheets["states"] = [
        ["name", "initial", "utility", "cost_care", "dead"],
        ["alive", 1, 1, "c_sum + c_c + c_fixed + p_d1", "no"],
        ["dead", 0, 0, 0, "yes"],
    ]
    if correlations is not None:
        sheets["correlations"] = [["parameter_1", "parameter_2", "correlation",
                                   "description"], *correlations]
    return sheets


def _problems(make_workbook, rows) -> list[str]:
    with pytest.raises(InputError) as info:
        load_workbook(make_workbook(_sheets(rows)))
    return info.value.problems


def test_sheet_is_optional_and_read(make_workbook):
    assert load_workbook(make_workbook(_sheets(None))).correlations == ()
    spec = load_workbook(make_workbook(_sheets([["c_a", "c_b", 0.6, "same resource use"],
                                                ["p_die", "c_c", -0.3, None]])))
    assert spec.correlations == (Correlation("c_a", "c_b", 0.6, "correlations!C2"),
                                 Correlation("p_die", "c_c", -0.3, "correlations!C3"))


def test_template_has_the_sheet():
    assert template_sheets()["correlations"][0] == ["parameter_1", "parameter_2",
                                                     "correlation", "description"]


@pytest.mark.parametrize("row, ref, fragment", [
    (["c_aa", "c_b", 0.5], "correlations!A2", "'c_aa' is not a parameter (did you mean 'c_a'?)"),
    (["c_a", "c_sum", 0.5], "correlations!B2", "'c_sum' is derived from an expression"),
    (["c_fixed", "c_a", 0.5], "correlations!A2", "'c_fixed' has no distribution"),
    (["c_a", "c_b", 1.0], "correlations!C2", "strictly between -1 and 1"),
    (["c_a", "c_b", -1.2], "correlations!C2", "strictly between -1 and 1"),
    (["c_a", "c_b", "high"], "correlations!C2", "must be a number"),
    (["c_a", "c_a", 0.5], "correlations!B2", "paired with itself"),
    (["p_d1", "c_a", 0.5], "correlations!A2", "belongs to dirichlet group 'd'"),
    ([None, "c_a", 0.5], "correlations!A2", "parameter name is empty"),
])
def test_bad_row_is_reported_at_its_cell(make_workbook, row, ref, fragment):
    problems = _problems(make_workbook, [row])
    assert len(problems) == 1, problems
    assert problems[0].startswith(f"{ref}: ") and fragment in problems[0], problems


def test_duplicate_pair_in_either_order(make_workbook):
    problems = _problems(make_workbook, [["c_a", "c_b", 0.5], ["c_b", "c_a", 0.2]])
    assert problems == ["correlations!A3: the pair c_b, c_a is given twice (first at "
                        "correlations!A2); give each pair once"]


def test_every_problem_reported_together(make_workbook):
    problems = _problems(make_workbook, [["c_zz", "c_b", 0.5], ["c_a", "c_b", 3],
                                         ["c_fixed", "c_c", 0.1]])
    assert [p.split(":")[0] for p in problems] == ["correlations!A2", "correlations!C3",
                                                  "correlations!A4"]


def test_impossible_set_is_refused_with_eigenvalue_and_pairs(make_workbook):
    rows = [["c_a", "c_b", 0.9], ["c_b", "c_c", 0.9], ["c_a", "c_c", -0.9]]
    problems = _problems(make_workbook, rows)
    assert len(problems) == 1
    message = problems[0]
    assert message.startswith("correlations: ") and "not positive definite" in message
    r = normal_scale(0.9)
    smallest = np.linalg.eigvalsh(np.array([[1, r, -r], [r, 1, r], [-r, r, 1]]))[0]
    assert f"smallest eigenvalue {smallest:.3g}" in message
    assert "c_a-c_c -0.9 (correlations!C4)" in message


def test_copula_factor_refuses_what_the_reader_refuses():
    bad = (Correlation("a", "b", 0.9), Correlation("b", "c", 0.9), Correlation("a", "c", -0.9))
    with pytest.raises(ValueError, match="not positive definite"):
        copula_factor(("a", "b", "c"), bad)
    assert copula_factor(("a", "b"), ()) is None


def test_scale_conversion_round_trip():
    rho = np.linspace(-0.99, 0.99, 41)
    assert np.allclose(rank_scale(normal_scale(rho)), rho, atol=1e-14)
    assert normal_scale(0.0) == 0.0 and math.isclose(normal_scale(1.0), 1.0)


def test_sampled_rank_correlations_match_requested(make_workbook):
    """Spearman of 20,000 draws within 4 Monte Carlo SEs of the request; the SE of a
    Spearman correlation is about 1.06 / sqrt(n - 3) on Fisher's z scale (Fieller,
    Hartley & Pearson 1957)."""
    requested = [["c_a", "c_b", 0.7], ["p_die", "c_c", -0.4], ["c_b", "c_c", 0.2]]
    spec = load_workbook(make_workbook(_sheets(requested)))
    n = 20_000
    sampler = DrawSampler(spec, 2024, n)
    table = sampler.table(0, sampler.n_blocks)
    tolerance = 4 * 1.06 / math.sqrt(n - 3)
    for a, b, rho in requested:
        sampled = stats.spearmanr(table[a], table[b])[0]
        assert abs(math.atanh(sampled) - math.atanh(rho)) < tolerance, (a, b, sampled)
    independent = stats.spearmanr(table["c_a"], table["p_die"])[0]
    assert abs(math.atanh(independent)) < tolerance


def test_a_correlation_changes_only_its_pair(make_workbook):
    """The Cholesky factor is the identity outside the correlated block: every other
    parameter keeps its draws bit for bit."""
    plain = DrawSampler(load_workbook(make_workbook(_sheets(None))), 7, 3000)
    paired = DrawSampler(load_workbook(make_workbook(_sheets([["c_a", "c_b", 0.5]]),
                                                     "paired.xlsx")), 7, 3000)
    t0, t1 = plain.table(0, plain.n_blocks), paired.table(0, paired.n_blocks)
    for name in ("p_die", "c_c", "p_d1", "p_d2"):
        assert np.array_equal(t0[name], t1[name])
    assert np.array_equal(t0["c_a"], t1["c_a"])  # first of the pair: row 1 of L is e_1
    assert not np.array_equal(t0["c_b"], t1["c_b"])


def test_psa_reports_requested_and_sampled(make_workbook):
    spec = load_workbook(make_workbook(_sheets([["c_a", "c_b", 0.5]])))
    result = run_psa(spec, n_draws=4000, seed=3)
    check = result.correlation_check()
    assert check[["parameter_1", "parameter_2", "requested"]].values.tolist() == \
        [["c_a", "c_b", 0.5]]
    assert abs(check["sampled"].iloc[0] - 0.5) < 0.05
    present.load()
    titles = [b.title for b in present.sheets(result)[0].blocks]
    assert "Rank (Spearman) correlations, requested and sampled" in titles

