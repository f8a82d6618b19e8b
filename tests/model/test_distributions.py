"""Tests for cea.model.distributions: method-of-moments fits, parsing, bad input refused."""

from __future__ import annotations

import dataclasses
import math
import re

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cea.model.dirichlet import dirichlet_groups, sample_dirichlet
from cea.model.distribution_text import parse_distribution
from cea.model.distributions import DISTRIBUTIONS, Distribution, DistributionError

N_DRAWS = 200_000
Z95 = 1.959963984540054  # standard normal 97.5% quantile, to 16 digits


def _phi(x: float) -> float:
    """Standard normal density, written out so expectations do not come from scipy."""
    return math.exp(-x * x / 2) / math.sqrt(2 * math.pi)


def _cdf(x: float) -> float:
    """Standard normal CDF via math.erf."""
    return 0.5 * (1 + math.erf(x / math.sqrt(2)))


def _beta_moments(a: float, b: float) -> tuple[float, float]:
    """Beta mean a/(a+b) and SD sqrt(ab/((a+b)^2 (a+b+1)))."""
    return a / (a + b), math.sqrt(a * b / ((a + b) ** 2 * (a + b + 1)))


def _lognormal_moments(mu: float, sigma: float) -> tuple[float, float]:
    """Lognormal mean exp(mu + sigma^2/2) and SD mean*sqrt(exp(sigma^2) - 1)."""
    mean = math.exp(mu + sigma**2 / 2)
    return mean, mean * math.sqrt(math.expm1(sigma**2))


def _truncnormal_moments(mu: float, sd: float, lower: float, upper: float) -> tuple[float, float]:
    """Truncated-normal moments (Johnson, Kotz & Balakrishnan, Continuous Univariate Vol. 1)."""
    a, b = (lower - mu) / sd, (upper - mu) / sd
    z = _cdf(b) - _cdf(a)
    pa, pb = _phi(a), _phi(b)
    apa = a * pa if math.isfinite(a) else 0.0
    bpb = b * pb if math.isfinite(b) else 0.0
    shift = (pa - pb) / z
    return mu + sd * shift, sd * math.sqrt(1 + (apa - bpb) / z - shift**2)


# (cell text, expected mean, expected SD); each expectation's source is in the comment.
FITS = [
    # requested mean and se: the method of moments reproduces them
    ("beta(mean=0.4, se=0.05)", 0.4, 0.05),
    # Beta(350, 1734 - 350) closed form
    ("beta(events=350, total=1734)", *_beta_moments(350, 1384)),
    # requested mean and se
    ("gamma(mean=167.74, se=20)", 167.74, 20.0),
    # requested mean and se
    ("lognormal(mean=1.2, se=0.3)", 1.2, 0.3),
    # lognormal with mu = log(0.72), sigma = (log 0.85 - log 0.60)/(2*1.96), closed form
    ("lognormal(estimate=0.72, low=0.60, high=0.85)",
     *_lognormal_moments(math.log(0.72), (math.log(0.85) - math.log(0.60)) / (2 * Z95))),
    # requested mean and sd
    ("normal(mean=0.1, sd=0.02)", 0.1, 0.02),
    # se is a synonym of sd
    ("normal(mean=-3, se=0.5)", -3.0, 0.5),
    # truncated-normal closed form, two bounds
    ("truncnormal(mean=0.8, sd=0.1, lower=0, upper=1)", *_truncnormal_moments(0.8, 0.1, 0, 1)),
    # truncated-normal closed form, lower bound only (upper = +inf)
    ("truncnormal(mean=1, sd=2, lower=0)", *_truncnormal_moments(1, 2, 0, math.inf)),
    # uniform: mean (low+high)/2 = 0.4, SD (high-low)/sqrt(12)
    ("uniform(low=0.2, high=0.6)", 0.4, 0.4 / math.sqrt(12)),
    # triangular: mean (1+2+4)/3, variance (1+4+16-2-4-8)/18 = 7/18
    ("triangular(low=1, mode=2, high=4)", 7 / 3, math.sqrt(7 / 18)),
]


@pytest.mark.parametrize(("text", "mean", "sd"), FITS)
def test_fit_has_requested_moments(text: str, mean: float, sd: float) -> None:
    dist = parse_distribution(text)
    assert dist.mean == pytest.approx(mean, rel=1e-9)
    assert dist.sd == pytest.approx(sd, rel=1e-9)


@pytest.mark.parametrize(("text", "mean", "sd"), FITS)
def test_ppf_sample_has_requested_moments(text: str, mean: float, sd: float) -> None:
    x = parse_distribution(text).ppf(np.random.default_rng(1).random(N_DRAWS))
    n = x.size
    # Monte Carlo SE of the mean is sd/sqrt(n); of the SD, s*sqrt((kurtosis - 1)/(4n)).
    kurtosis = np.mean((x - x.mean()) ** 4) / x.var() ** 2
    assert abs(x.mean() - mean) < 4 * sd / math.sqrt(n)
    assert abs(x.std(ddof=1) - sd) < 4 * sd * math.sqrt((kurtosis - 1) / (4 * n))


def test_dirichlet_marginal_moments() -> None:
    dist = parse_distribution("dirichlet(group=hiv_a, count=350)").with_total(1000)
    # marginal Beta(350, 1000 - 350)
    mean, sd = _beta_moments(350, 650)
    assert dist.mean == pytest.approx(mean, rel=1e-9)
    assert dist.sd == pytest.approx(sd, rel=1e-9)
    assert dist.fitted == {"alpha": 350.0, "beta": 650.0}


def test_ppf_keeps_shape() -> None:
    u = np.full((3, 4), 0.5)
    out = parse_distribution("normal(mean=2, sd=1)").ppf(u)
    assert out.shape == (3, 4)
    np.testing.assert_array_equal(out, 2.0)  # median of a normal is its mean


@pytest.mark.parametrize("u", [0.0, 1.0, -0.1, 1.5, np.nan])
def test_ppf_rejects_non_uniforms(u: float) -> None:
    with pytest.raises(DistributionError, match="strictly between 0 and 1"):
        parse_distribution("gamma(mean=1, se=1)").ppf(np.array([0.5, u]))


@pytest.mark.parametrize("level", [0.95, 0.9])
def test_lognormal_ci_reproduces_interval(level: float) -> None:
    # interval symmetric on the log scale around 0.72, so its ends are the quantiles
    low, high = 0.72 / 1.2, 0.72 * 1.2
    dist = parse_distribution(f"lognormal(estimate=0.72, low={low!r}, high={high!r}, "
                              f"level={level})")
    tail = (1 - level) / 2
    np.testing.assert_allclose(dist.ppf(np.array([tail, 0.5, 1 - tail])),
                               [low, 0.72, high], rtol=1e-12)


def test_lognormal_ci_default_level_is_95() -> None:
    explicit = parse_distribution("lognormal(estimate=0.72, low=0.6, high=0.85, level=0.95)")
    default = parse_distribution("lognormal(estimate=0.72, low=0.6, high=0.85)")
    # z for 95% is 1.959963984540054; sigma = log(0.85/0.6)/(2z)
    assert default.fitted["sigma"] == pytest.approx(math.log(0.85 / 0.6) / (2 * Z95), rel=1e-12)
    assert default.fitted == explicit.fitted


def test_beta_events_total_exact_shapes() -> None:
    # alpha = events = 350, beta = total - events = 1734 - 350 = 1384, exactly
    assert parse_distribution("beta(events=350, total=1734)").fitted == {
        "alpha": 350.0, "beta": 1384.0}


def test_beta_mean_se_shapes() -> None:
    # k = 0.4*0.6/0.05**2 - 1 = 95; alpha = 0.4*95 = 38, beta = 0.6*95 = 57
    dist = parse_distribution("beta(mean=0.4, se=0.05)")
    assert dist.fitted == pytest.approx({"alpha": 38.0, "beta": 57.0}, rel=1e-12)
    assert dist.describe() == "beta(α=38, β=57): mean 0.4, SD 0.05"


def test_gamma_shape_scale() -> None:
    # shape = mean^2/se^2 = 100^2/20^2 = 25, scale = se^2/mean = 400/100 = 4
    assert parse_distribution("gamma(mean=100, se=20)").fitted == pytest.approx(
        {"shape": 25.0, "scale": 4.0}, rel=1e-12)


@pytest.mark.parametrize(("text", "support"), [
    ("beta(mean=0.4, se=0.05)", (0.0, 1.0)),
    ("gamma(mean=1, se=1)", (0.0, math.inf)),
    ("lognormal(mean=1, se=1)", (0.0, math.inf)),
    ("normal(mean=0, sd=1)", (-math.inf, math.inf)),
    ("truncnormal(mean=0.8, sd=0.1, lower=0, upper=1)", (0.0, 1.0)),
    ("uniform(low=0.2, high=0.6)", (0.2, 0.6)),
    ("triangular(low=1, mode=2, high=4)", (1.0, 4.0)),
    ("dirichlet(group=g, count=3)", (0.0, 1.0)),
])
def test_support(text: str, support: tuple[float, float]) -> None:
    assert parse_distribution(text).support == pytest.approx(support)


def test_sample_dirichlet_rows_and_means() -> None:
    counts = np.array([350.0, 150.0, 500.0])
    u = np.random.default_rng(1).random((N_DRAWS, 3))
    draws = sample_dirichlet(counts, u)
    assert draws.shape == (N_DRAWS, 3)
    np.testing.assert_allclose(draws.sum(axis=1), 1.0, rtol=0, atol=1e-12)
    # each marginal is Beta(count, 1000 - count): mean count/1000, SD from the beta formula
    for j, count in enumerate(counts):
        mean, sd = _beta_moments(count, 1000 - count)
        assert abs(draws[:, j].mean() - mean) < 4 * sd / math.sqrt(N_DRAWS)


def test_sample_dirichlet_is_deterministic_in_u() -> None:
    u = np.array([[0.2, 0.7], [0.5, 0.5]])
    first, second = sample_dirichlet([2, 2], u), sample_dirichlet([2, 2], u)
    np.testing.assert_array_equal(first, second)
    # equal counts and equal uniforms give equal shares
    np.testing.assert_allclose(first[1], [0.5, 0.5], rtol=1e-15)


@pytest.mark.parametrize(("counts", "u", "message"), [
    ([1, 0], np.full((2, 2), 0.5), "counts must be"),
    ([1, 2], np.full((2, 3), 0.5), r"shape \(n, 2\)"),
    ([1, 2], np.full(2, 0.5), r"shape \(n, 2\)"),
    ([1, 2], np.array([[0.5, 1.0]]), "strictly between 0 and 1"),
])
def test_sample_dirichlet_rejects(counts: list[float], u: np.ndarray, message: str) -> None:
    with pytest.raises(DistributionError, match=message):
        sample_dirichlet(np.array(counts), u)


def test_dirichlet_groups_in_input_order() -> None:
    dists = {name: parse_distribution(text) for name, text in [
        ("p_b", "dirichlet(group=hiv_b, count=5)"),
        ("p_a1", "dirichlet(group=hiv_a, count=350)"),
        ("cost", "gamma(mean=10, se=2)"),
        ("p_a2", "dirichlet(group=hiv_a, count=150)"),
        ("p_b2", "dirichlet(group=hiv_b, count=7)"),
    ]}
    groups = dirichlet_groups(dists)
    assert groups == {"hiv_b": ["p_b", "p_b2"], "hiv_a": ["p_a1", "p_a2"]}
    assert list(groups) == ["hiv_b", "hiv_a"]


def test_dirichlet_unresolved_raises_until_with_total() -> None:
    dist = parse_distribution("dirichlet(group=hiv_a, count=350)")
    assert dist.group == "hiv_a" and dict(dist.inputs) == {"count": 350.0}
    with pytest.raises(DistributionError, match="hiv_a is not resolved"):
        dist.ppf(np.array([0.5]))
    with pytest.raises(DistributionError, match="not resolved"):
        _ = dist.mean
    assert "not yet known" in dist.describe()
    resolved = dist.with_total(500)
    assert resolved != dist and resolved.total == 500.0
    assert resolved.mean == pytest.approx(0.7, rel=1e-12)  # 350/500
    with pytest.raises(DistributionError, match="at least two members"):
        dist.with_total(350)


def test_fixed_and_blank() -> None:
    for text in ["fixed()", "", "   "]:
        dist = parse_distribution(text)
        assert dist.is_fixed and dist.name == "fixed"
        with pytest.raises(DistributionError, match="base value is used"):
            dist.ppf(np.array([0.5]))
    assert not any(cls.is_fixed for name, cls in DISTRIBUTIONS.items() if name != "fixed")


def test_registry_names_and_docstrings() -> None:
    assert set(DISTRIBUTIONS) == {"beta", "gamma", "lognormal", "normal", "truncnormal",
                                  "uniform", "triangular", "dirichlet", "fixed"}
    for name, cls in DISTRIBUTIONS.items():
        assert cls.name == name and issubclass(cls, Distribution)
        assert cls.__doc__ and len(cls.__doc__.strip()) > 40


def test_value_semantics() -> None:
    parsed = parse_distribution("beta(mean=0.4, se=0.05)")
    built = DISTRIBUTIONS["beta"](inputs={"mean": 0.4, "se": 0.05})
    assert parsed == built and hash(parsed) == hash(built)
    assert parsed != parse_distribution("beta(mean=0.4, se=0.06)")
    with pytest.raises(dataclasses.FrozenInstanceError):
        parsed.inputs = {}  # type: ignore[misc]
    with pytest.raises(TypeError):
        parsed.inputs["mean"] = 0.5  # type: ignore[index]


def test_inputs_as_written_and_negative_numbers() -> None:
    dist = parse_distribution("  truncnormal( mean=-1.5, se=2, upper=-0.5 )  ")
    assert dict(dist.inputs) == {"mean": -1.5, "se": 2.0, "upper": -0.5}
    assert dist.support == (-math.inf, -0.5)


def test_direct_construction_is_validated() -> None:
    with pytest.raises(DistributionError, match="mean must be a finite number"):
        DISTRIBUTIONS["gamma"](inputs={"mean": math.nan, "se": 1.0})
    with pytest.raises(DistributionError, match="se must be a number"):
        DISTRIBUTIONS["gamma"](inputs={"mean": 1.0, "se": "1"})


# (cell text, text the message must contain)
INVALID = [
    ("beta(mean=0.4, se=0.6)", "beta: se 0.6 is too large for mean 0.4; se must be below "
                               "sqrt(mean*(1-mean)) = 0.490"),
    ("beta(mean=1.2, se=0.1)", "beta: mean 1.2 must be strictly between 0 and 1"),
    ("beta(events=0, total=10)", "events must be between 1 and total-1 for a beta"),
    ("beta(events=12, total=10)", "events must be between 1 and total-1 for a beta"),
    ("beta(events=3, total=0)", "total must be > 0, got 0"),
    ("beta(mean=0.4)", "beta: missing keyword se; use beta(mean=…, se=…) or "
                       "beta(events=…, total=…)"),
    ("beta(mean=0.4, se=0.05, events=3)", "beta: cannot mix keywords events, mean, se"),
    ("beta(mean=0.4, sd=0.05)", "beta: unknown keyword 'sd'"),
    ("beta(mean=0.4, mean=0.5, se=0.1)", "beta: keyword mean is given twice"),
    ("beta(0.4, 0.05)", "beta: positional argument 0.4 is not allowed"),
    ("beta(mean='0.4', se=0.05)", "beta: mean must be a number, found '0.4'"),
    ("beta(mean=x, se=0.05)", "beta: mean must be a number, found x"),
    ("beta(mean=True, se=0.05)", "beta: mean must be a number, found True"),
    ("beta(mean=0.2+0.2, se=0.05)", "beta: mean must be a number, found 0.2+0.2"),
    ("beta(mean=--0.4, se=0.05)", "beta: mean must be a number, found --0.4"),
    ("beta(mean=1e999, se=0.05)", "beta: mean must be a finite number, found 1e999"),
    ("beta(**params)", "beta: found params after **"),
    ("beta.__class__", "expected a distribution call like beta(mean=0.4, se=0.05), "
                       "found beta.__class__"),
    ("beta.__class__(mean=1)", "expected a distribution name such as beta, found "
                               "beta.__class__"),
    ("__import__(name='os')", "unknown distribution '__import__'; allowed: beta, gamma"),
    ("weibull(shape=1, scale=2)", "unknown distribution 'weibull'"),
    ("0.4", "expected a distribution call like beta(mean=0.4, se=0.05), found 0.4"),
    ("beta(mean=0.4, se=0.05", "cannot read 'beta(mean=0.4, se=0.05' as a distribution"),
    ("beta(mean=0.4, se=0.05); fixed()", "cannot read"),
    ("b" * 600, "distribution text is too long (600 characters; at most 500)"),
    ("gamma(mean=-5, se=1)", "gamma: mean must be > 0, got -5"),
    ("gamma(mean=5, se=0)", "gamma: se must be > 0, got 0"),
    ("lognormal(estimate=0.9, low=0.60, high=0.85)",
     "lognormal: the interval [low, high] must contain the estimate; got estimate 0.9 outside "
     "[0.6, 0.85]"),
    ("lognormal(estimate=0.7, low=0.85, high=0.6)", "lognormal: low 0.85 must be below high 0.6"),
    ("lognormal(estimate=0.7, low=0.6, high=0.85, level=95)", "level 95 must be between 0 and 1"),
    ("lognormal(estimate=0.7, low=-0.6, high=0.85)", "low must be > 0, got -0.6"),
    ("lognormal(mean=1, se=0.1, low=0.5)", "lognormal: cannot mix keywords"),
    ("normal(mean=0.1, sd=-0.02)", "normal: sd must be > 0, got -0.02"),
    ("normal(mean=0.1, sd=0.02, se=0.02)", "normal: se is a synonym of sd; give only one"),
    ("truncnormal(mean=0.8, sd=0.1)", "give at least one of lower, upper"),
    ("truncnormal(mean=0.8, sd=0.1, lower=1, upper=0)", "lower 1 must be below upper 0"),
    ("uniform(low=0.6, high=0.6)", "uniform: low 0.6 must be below high 0.6"),
    ("triangular(low=1, mode=5, high=4)", "triangular: mode 5 must lie in [low, high] = [1, 4]"),
    ("triangular(low=4, mode=4, high=4)", "triangular: low 4 must be below high 4"),
    ("dirichlet(count=3)", "dirichlet: group must be an identifier"),
    ("dirichlet(group='hiv_a', count=3)", "dirichlet: group must be a bare name such as hiv_a, "
                                          "found 'hiv_a'"),
    ("dirichlet(group=hiv.a, count=3)", "group must be a bare name"),
    ("dirichlet(group=hiv_a, count=0)", "dirichlet: count must be > 0, got 0"),
    ("fixed(value=1)", "fixed: unknown keyword 'value'; use fixed()"),
    # numerically degenerate fits: se**2 underflows to 0, or the moments overflow
    ("gamma(mean=1, se=1e-200)", "gamma: inputs mean=1, se=1e-200 are too extreme to fit"),
    ("beta(mean=0.5, se=1e-160)", "beta: inputs mean=0.5, se=1e-160 are too extreme to fit"),
    ("uniform(low=-1e308, high=1e308)", "uniform: inputs low=-1e+308, high=1e+308 are too "
                                        "extreme to fit (mean inf, SD inf)"),
]


@pytest.mark.parametrize(("text", "message"), INVALID)
def test_invalid_input_message(text: str, message: str) -> None:
    with pytest.raises(DistributionError, match=re.escape(message)):
        parse_distribution(text)


def test_non_text_is_rejected() -> None:
    with pytest.raises(DistributionError, match="must be text, got float"):
        parse_distribution(0.4)  # type: ignore[arg-type]


def test_distribution_error_is_value_error() -> None:
    assert issubclass(DistributionError, ValueError)


_NAMES = st.sampled_from([*DISTRIBUTIONS, "eval", "x"])
_VALUES = st.one_of(st.floats(allow_nan=True, allow_infinity=True).map(repr),
                    st.integers(-5, 2000).map(str),
                    st.sampled_from(["x", "'s'", "hiv_a", "a.b", "f()", "[1]", "-x", "1j"]))
_KEYWORDS = st.sampled_from(["mean", "se", "sd", "events", "total", "estimate", "low", "high",
                             "level", "lower", "upper", "mode", "group", "count", "bogus"])


@settings(deadline=None, max_examples=300)
@given(st.one_of(
    st.text(max_size=60),
    st.builds(lambda f, kws: f"{f}({', '.join(f'{k}={v}' for k, v in kws)})",
              _NAMES, st.lists(st.tuples(_KEYWORDS, _VALUES), max_size=4)),
))
def test_arbitrary_text_only_raises_distribution_error(text: str) -> None:
    # Untrusted cells: the only possible outcomes are a valid Distribution or DistributionError.
    try:
        dist = parse_distribution(text)
    except DistributionError as exc:
        assert str(exc)
    else:
        assert isinstance(dist, Distribution)
        if not dist.is_fixed and dist.name != "dirichlet":
            low, high = dist.support
            assert low <= dist.ppf(np.array([0.5]))[0] <= high


@pytest.mark.parametrize("level", [0.8, 0.9, 0.95, 0.99, 0.5, 0.999])
def test_interval_levels_use_scipys_normal_quantile_to_the_last_bit(level):
    """The quantiles kept for the usual levels (read without scipy) are scipy's own bits."""
    from scipy.special import ndtri

    from cea.model.distributions import normal_quantile

    q = 1 - (1 - level) / 2  # as the lognormal fit computes it
    assert normal_quantile(q) == float(ndtri(q))
