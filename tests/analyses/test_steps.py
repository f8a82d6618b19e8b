"""The stepped evaluation against hand calculations on a two-strategy model.

The model is :func:`tests.helpers.builders.linear_sheets` with a second cost category,
``time``, of 2 per cycle alive. By hand (2 annual cycles, start-of-cycle counting, no
discounting): strategy a (p_die 0.2) has QALYs 1.8, care 1.8 and time 3.6; b (p_die_b)
has QALYs 2 - p_b, care 2 - p_b + c_x and time 4 - 2 p_b. So b against a:
inc QALYs 0.2 - p_b, inc care (0.2 - p_b) + c_x, inc time 2 (0.2 - p_b).
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from cea import engine
from cea.analyses.steps import decompose, stepped
from cea.model.problems import InputError
from cea.model.scenarios import apply_changes, step_models
from cea.model.spec import Change
from tests.helpers.builders import linear_sheets

REFERENCE = 4000.0


def _sheets(steps=None):
    sheets = linear_sheets()
    sheets["settings"] = [r for r in sheets["settings"] if r[0] != "perspectives"]
    sheets["settings"].append(["perspectives", "payer = care; society = care, time"])
    sheets["states"] = [["name", "initial", "utility", "cost_care", "cost_time", "dead"],
                        ["alive", 1, 1, 1, 2, "no"], ["dead", 0, 0, 0, 0, "yes"]]
    sheets["parameters"][0].append("distribution")
    for row in sheets["parameters"][1:]:
        row += [None] * (len(sheets["parameters"][0]) - len(row))
    p_die_b = next(r for r in sheets["parameters"] if r[0] == "p_die_b")
    p_die_b[-1] = "beta(mean=0.1, se=0.02)"
    header = ["step", "description", "perspective", "change", "value", "reference_icer",
              "reference_probability", "reference_wtp", "reference_source", "reconcile"]
    sheets["steps"] = [header, *(steps if steps is not None else [
        ["published", "the published setting: cheaper, societal", "society", "c_x", 500,
         REFERENCE, 0.5, REFERENCE, "a published evaluation", "c_x"],
        ["payer view", "the payer's perspective", "payer", None, None, None, None, None,
         None, None],
        ["full price", "the base case's price", None, "c_x", 1000, None, None, None, None,
         None],
    ])]
    return sheets


@pytest.fixture
def result(load):
    return stepped(load(_sheets()), n_draws=20_000, seed=7)


def test_each_step_adds_its_changes_to_the_steps_before(load):
    spec = load(_sheets())
    models = step_models(spec)
    assert [step.name for step, _ in models] == ["published", "payer view", "full price"]
    assert [m.parameter("c_x").value for _, m in models] == [500, 500, 1000]


def test_step_lines_match_hand_calculation(result):
    """At p_b = 0.1: inc QALYs 0.1; step 0 (society, c_x 500): inc care 500.1, inc time 0.2,
    ICER 500.3 / 0.1 = 5,003; step 1 (payer): 500.1 / 0.1 = 5,001; step 2 (payer, c_x
    1000): 10,001, the base case."""
    t = result.table.set_index("step")
    np.testing.assert_allclose(t["inc_qaly"], 0.1, rtol=1e-12)
    np.testing.assert_allclose(t["inc_cost_care"], [500.1, 500.1, 1000.1], rtol=1e-12)
    np.testing.assert_allclose(t.loc[0, "inc_cost_time"], 0.2, rtol=1e-10)
    assert np.isnan(t.loc[1, "inc_cost_time"]) and np.isnan(t.loc[2, "inc_cost_time"])
    np.testing.assert_allclose(t["icer"], [5003, 5001, 10001], rtol=1e-10)
    assert t["base_case"].tolist() == [False, False, True]
    assert t["perspective"].tolist() == ["society", "payer", "payer"]
    assert t.loc[0, "reference_icer"] == REFERENCE and np.isnan(t.loc[1, "reference_icer"])


def test_probability_cost_effective_against_the_closed_form(result):
    """b has the higher NMB at threshold w when (w - 1)(0.2 - p_b) > c_x (payer) or
    (w - 3)(0.2 - p_b) > c_x (society): P = F(0.2 - c_x / (w - k)), F the beta(mean 0.1,
    se 0.02) CDF. 20,000 draws: within 3 binomial standard errors. The published
    threshold (4,000) is reported for the step it stands beside only."""
    beta = _beta(0.1, 0.02)
    t = result.table.set_index("step")
    assert np.isnan(t.loc[1, f"p_ce_{REFERENCE:g}"])
    for step, k, c_x, w in ((0, 3, 500, REFERENCE), (0, 3, 500, 50000), (1, 1, 500, 50000),
                            (2, 1, 1000, 50000)):
        exact = beta.cdf(0.2 - c_x / (w - k))
        found = t.loc[step, f"p_ce_{w:g}"]
        assert abs(found - exact) <= 3 * np.sqrt(exact * (1 - exact) / 20_000) + 1e-9


def _beta(mean, se):
    s = mean * (1 - mean) / se**2 - 1
    return stats.beta(mean * s, (1 - mean) * s)


def test_reconciliation_by_component(result):
    """Published ICER R = 4,000, step 0: care would need R dQ - (dC - dC_care) = 400 - 0.2 =
    399.8; time 400 - 500.1 = -100.1; the QALY gain dC / R = 500.3 / 4,000 = 0.125075."""
    r = result.reconciliation.set_index("component")
    np.testing.assert_allclose(r.loc["cost_care", ["model", "needed"]], [500.1, 399.8])
    np.testing.assert_allclose(r.loc["cost_time", ["model", "needed"]], [0.2, -100.1],
                               rtol=1e-9)
    np.testing.assert_allclose(r.loc["qaly", ["model", "needed"]], [0.1, 0.125075])
    np.testing.assert_allclose(r["change"], r["needed"] - r["model"])
    assert set(r["step"]) == {0}


def test_decompose_is_exact_for_any_line():
    line = {"inc_qaly": 0.02, "inc_cost": 300.0, "inc_cost_a": 350.0, "inc_cost_b": -50.0}

    class Model:
        class settings:
            perspectives = {"p": ("a", "b")}

    frame = decompose(line, 10_000, Model, "p").set_index("component")
    # a needs 10,000 x 0.02 - (300 - 350) = 250; b needs 200 - 350 = -150; QALYs 0.03
    np.testing.assert_allclose(frame["needed"], [250, -150, 0.03])


def test_reconciliation_by_parameter_reproduces_the_published_icer(result, load):
    """(c_x + 0.3) / 0.1 = 4,000 at c_x = 399.7; running the step's model there gives the
    published ICER. The value-based price is the one-off cost at that ICER, 399.7."""
    t = result.thresholds.set_index("parameter")
    assert t.loc["c_x", "value"] == pytest.approx(399.7, rel=1e-8)
    _, model = step_models(load(_sheets()))[0]
    at = engine.run(apply_changes(model, [Change("c_x", t.loc["c_x", "value"])], "test"))
    cost = at.cost(("care", "time"))[0]
    icer = (cost[1] - cost[0]) / (at["qaly"][0, 1] - at["qaly"][0, 0])
    assert icer == pytest.approx(REFERENCE, rel=1e-8)
    price = t.loc["one-off cost of b", "value"]
    assert price == pytest.approx(399.7, rel=1e-8)


def test_a_changed_parameter_is_fixed_in_the_step_psa(load):
    """A step that sets p_die_b holds it there in its PSA: every draw gives the same NMB, so
    the probability is 0 or 1 (b at p_b 0.15, c_x 1000: (50,000 - 1) x 0.05 > 1,000)."""
    result = stepped(load(_sheets([["fixed", "p_b set", None, "p_die_b", 0.15, None, None,
                                    None, None, None]])), n_draws=2048, seed=1)
    assert result.table["p_ce_50000"].tolist() == [1.0]


def test_no_steps_is_an_error(load):
    sheets = _sheets()
    del sheets["steps"]
    with pytest.raises(ValueError, match="no steps sheet"):
        stepped(load(sheets))


@pytest.mark.parametrize("row, cell, words", [
    (["s", None, "nobody", None, None, None, None, None, None, None], "steps!C2",
     "is not a perspective"),
    (["s", None, None, "c_x", None, None, None, None, None, None], "steps!E2",
     "a change needs a value"),
    (["s", None, None, None, None, 4000, 1.5, 4000, None, None], "steps!G2", "[0, 1]"),
    (["s", None, None, None, None, 4000, 0.9, None, None, None], "steps!H2",
     "needs the threshold"),
    (["s", None, None, None, None, 4000, None, None, None, "c_y"], "steps!J2",
     "'c_y' is not a parameter"),
    (["s", None, None, "c_y", 1, None, None, None, None, None], "steps!E2",
     "'c_y' is not a parameter"),
])
def test_bad_steps_rows_name_the_cell(load, row, cell, words):
    with pytest.raises(InputError) as info:
        load(_sheets([row]))
    lines = [line for line in info.value.problems if line.startswith(cell)]
    assert lines and words in lines[0], info.value.problems
