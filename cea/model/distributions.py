"""PSA distributions for model parameters, fitted from the inputs a health economist has.

Each distribution is a small class registered in :data:`DISTRIBUTIONS` whose docstring
gives its inputs and fitting formulas, and in a paragraph starting ``Fitted:`` how it is
fitted in plain words (the template's README prints that paragraph); the text of the workbook's
``distribution`` column (``beta(mean=0.4, se=0.05)``) is read by
:func:`cea.model.distribution_text.parse_distribution`. Dirichlet components need their
group's total: see :class:`Dirichlet`.
"""

from __future__ import annotations

import math
from abc import ABC, abstractmethod
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from functools import cached_property, partial
from types import MappingProxyType
from typing import Any, ClassVar, NamedTuple

import numpy as np


def _scipy(name: str, *args, **kwargs):
    """The frozen ``scipy.stats`` distribution ``name(*args, **kwargs)``.

    ``scipy.stats`` is imported when a distribution is first sampled or summarised, not
    when a workbook is read (0.6 s of start-up): reading checks each fit in closed form.
    """
    from scipy import stats  # imported here, see above

    return getattr(stats, name)(*args, **kwargs)


#: Standard normal quantiles at the probabilities of the usual two-sided levels (80, 90,
#: 95 and 99%), as ``scipy.special.ndtri`` gives them to the last bit (a test checks it):
#: an interval at these levels is fitted without importing scipy.
_NORMAL_QUANTILES = {
    0.9: 1.2815515655446004,
    0.95: 1.6448536269514722,
    0.975: 1.959963984540054,
    0.995: 2.5758293035489004,
}


def normal_quantile(q: float) -> float:
    """The standard normal quantile at probability ``q``, as ``scipy.stats.norm.ppf``."""
    if q in _NORMAL_QUANTILES:
        return _NORMAL_QUANTILES[q]
    from scipy.special import ndtri  # the same bits as scipy.stats.norm.ppf

    return float(ndtri(q))


__all__ = [
    "DISTRIBUTIONS",
    "Distribution",
    "DistributionError",
]

_SYMBOLS = {"alpha": "α", "beta": "β", "mu": "μ", "sigma": "σ"}


class DistributionError(ValueError):
    """Invalid distribution text or inputs.

    The message says what was found and what is allowed. It has no location: the caller adds
    the sheet and cell.
    """


class Keywords(NamedTuple):
    """One accepted set of keywords: ``required`` names and ``optional`` (name, default) pairs."""

    required: tuple[str, ...]
    optional: tuple[tuple[str, float], ...] = ()

    def names(self) -> set[str]:
        """All keyword names of this set."""
        return set(self.required) | {k for k, _ in self.optional}

    def form(self, name: str) -> str:
        """Usage text such as ``beta(mean=…, se=…)``."""
        parts = [f"{k}=…" for k in self.required] + [f"[{k}={d:g}]" for k, d in self.optional]
        return f"{name}({', '.join(parts)})"


_REGISTRY: dict[str, type[Distribution]] = {}
DISTRIBUTIONS: Mapping[str, type[Distribution]] = MappingProxyType(_REGISTRY)
"""Distribution classes by the name written in workbook cells."""


def _register(cls: type[Distribution]) -> type[Distribution]:
    _REGISTRY[cls.name] = cls
    return cls


def _fail(name: str, message: str) -> DistributionError:
    return DistributionError(f"{name}: {message}")


@dataclass(frozen=True)
class Distribution(ABC):
    """A PSA distribution fitted from the keyword inputs written in a workbook cell.

    Parameters
    ----------
    inputs : Mapping[str, float]
        The keywords as written, e.g. ``{"mean": 0.4, "se": 0.05}``.

    Raises
    ------
    DistributionError
        If the keywords are not exactly one accepted set or a value is out of range.
    """

    inputs: Mapping[str, float] = field(default_factory=dict)

    name: ClassVar[str]
    signatures: ClassVar[tuple[Keywords, ...]]
    aliases: ClassVar[Mapping[str, str]] = MappingProxyType({})  # synonym -> keyword
    positive: ClassVar[tuple[str, ...]] = ()  # keywords that must be > 0 when given
    ordered: ClassVar[tuple[tuple[str, str], ...]] = ()  # (a, b): a < b when both given
    name_keywords: ClassVar[tuple[str, ...]] = ()  # keywords whose value is a bare identifier
    is_fixed: ClassVar[bool] = False

    def __post_init__(self) -> None:
        values = {}
        for key, value in dict(self.inputs).items():
            if isinstance(value, bool) or not isinstance(value, (int, float, np.number)):
                raise _fail(self.name, f"{key} must be a number, got {value!r}")
            if not math.isfinite(value):
                raise _fail(self.name, f"{key} must be a finite number, got {value}")
            values[key] = float(value)
        object.__setattr__(self, "inputs", MappingProxyType(values))
        self._check(self._params)
        if self._ready():
            self._check_fit()

    def __hash__(self) -> int:
        values = (getattr(self, f.name) for f in fields(self))
        return hash((type(self), *(tuple(v.items()) if isinstance(v, Mapping) else v
                                   for v in values)))

    @cached_property
    def _params(self) -> dict[str, float]:
        """Canonical inputs: synonyms renamed, optional defaults filled in."""
        given: dict[str, float] = {}
        for key, value in self.inputs.items():
            canonical = self.aliases.get(key, key)
            if canonical in given:
                raise _fail(self.name, f"{key} is a synonym of {canonical}; give only one")
            given[canonical] = value
        return {**dict(self._match(set(given)).optional), **given}

    def _match(self, given: set[str]) -> Keywords:
        """Return the keyword set matching ``given``; raise saying what is wrong."""
        forms = " or ".join(s.form(self.name) for s in self.signatures)
        unknown = sorted(given - set().union(*(s.names() for s in self.signatures)))
        if unknown:
            raise _fail(self.name, f"unknown keyword {unknown[0]!r}; use {forms}")
        candidates = [s for s in self.signatures if given <= s.names()]
        if not candidates:
            raise _fail(self.name, f"cannot mix keywords {', '.join(sorted(given))}; "
                                   f"use exactly one of {forms}")
        complete = [s for s in candidates if set(s.required) <= given]
        if not complete:
            missing = [k for k in candidates[0].required if k not in given]
            raise _fail(self.name, f"missing keyword {', '.join(missing)}; use {forms}")
        return complete[0]

    def _check(self, p: dict[str, float]) -> None:
        """Validate canonical inputs ``p``; subclasses extend this. Raises DistributionError."""
        for key in self.positive:
            if key in p and p[key] <= 0:
                raise _fail(self.name, f"{key} must be > 0, got {p[key]:g}")
        for a, b in self.ordered:
            if a in p and b in p and not p[a] < p[b]:
                raise _fail(self.name, f"{a} {p[a]:g} must be below {b} {p[b]:g}")

    def _ready(self) -> bool:
        """Whether the distribution can be fitted now (not for fixed, unresolved dirichlet)."""
        return not self.is_fixed

    def _check_fit(self) -> None:
        """Reject inputs so extreme that the fit has no finite mean and positive finite SD."""
        given = ", ".join(f"{k}={v:.12g}" for k, v in self.inputs.items())
        try:
            with np.errstate(all="ignore"):
                mean, sd = self._moments(self._fitted[0])
                if not (math.isfinite(mean) and 0 < sd < math.inf):
                    # the closed form can overflow where scipy's moments do not: ask scipy
                    mean, sd = self.mean, self.sd
        except ArithmeticError as exc:  # ZeroDivisionError, OverflowError
            raise _fail(self.name, f"inputs {given} are too extreme to fit") from exc
        if not (math.isfinite(mean) and 0 < sd < math.inf):
            raise _fail(self.name, f"inputs {given} are too extreme to fit "
                                   f"(mean {mean:g}, SD {sd:g})")

    @abstractmethod
    def _fit(self, p: dict[str, float]) -> tuple[dict[str, float], Any]:
        """Return the fitted parameters by name and the frozen ``scipy.stats`` distribution."""

    @cached_property
    def _fitted(self) -> tuple[dict[str, float], Any]:
        return self._fit(self._params)

    @cached_property
    def _frozen(self):
        """The fitted ``scipy.stats`` distribution (made on first use)."""
        return self._fitted[1]()

    def _moments(self, fitted: dict[str, float]) -> tuple[float, float]:
        """Mean and SD in closed form from the fitted parameters, where a subclass has
        them (checking a fit then needs no ``scipy.stats``); else from scipy."""
        return float(self._frozen.mean()), float(self._frozen.std())

    def bounds(self) -> tuple[float, float]:
        """The support in closed form where a subclass has it, else :attr:`support`."""
        return self.support

    @property
    def fitted(self) -> dict[str, float]:
        """Fitted parameters, e.g. ``{"alpha": 38.0, "beta": 57.0}`` for a beta."""
        return dict(self._fitted[0])

    def ppf(self, u: np.ndarray) -> np.ndarray:
        """Inverse CDF, vectorised: uniforms strictly inside (0, 1) to draws of the same shape."""
        u = np.asarray(u, dtype=float)
        if not np.all((u > 0) & (u < 1)):
            raise _fail(self.name, "ppf needs uniforms strictly between 0 and 1")
        return np.asarray(self._frozen.ppf(u), dtype=float)

    @property
    def mean(self) -> float:
        """Mean of the fitted distribution."""
        return float(self._frozen.mean())

    @property
    def sd(self) -> float:
        """Standard deviation of the fitted distribution."""
        return float(self._frozen.std())

    @property
    def support(self) -> tuple[float, float]:
        """Lowest and highest value a draw can take, e.g. ``(0.0, 1.0)`` for a beta."""
        low, high = self._frozen.support()
        return float(low), float(high)

    def describe(self) -> str:
        """Human-readable text, e.g. ``beta(α=38, β=57): mean 0.4, SD 0.05``."""
        args = ", ".join(f"{_SYMBOLS.get(k, k)}={v:.4g}" for k, v in self._fitted[0].items())
        return f"{self.name}({args}): mean {self.mean:.4g}, SD {self.sd:.4g}"


def _beta_moments(a: float, b: float) -> tuple[float, float]:
    """Mean and SD of Beta(a, b)."""
    total = a + b
    return a / total, math.sqrt(a * b / (total * total * (total + 1)))


@_register
class Beta(Distribution):
    """Beta, for probabilities and utilities in (0, 1).

    Inputs, exactly one set:

    * ``mean, se`` with ``0 < mean < 1`` and ``0 < se**2 < mean*(1 - mean)``. Method of
      moments: ``k = mean*(1 - mean)/se**2 - 1``, ``alpha = mean*k``, ``beta = (1 - mean)*k``.
    * ``events, total`` with ``0 < events < total``: ``alpha = events``,
      ``beta = total - events``.

    Fitted: from a mean and its standard error by the method of moments, α = mean·k and
    β = (1 − mean)·k with k = mean·(1 − mean)/se² − 1; from counts, α = events and
    β = total − events.
    """

    name = "beta"
    signatures = (Keywords(("mean", "se")), Keywords(("events", "total")))
    positive = ("se", "total")

    def _check(self, p: dict[str, float]) -> None:
        super()._check(p)
        if "events" in p:
            if not 0 < p["events"] < p["total"]:
                raise _fail(self.name, f"events must be between 1 and total-1 for a beta; "
                                       f"got events {p['events']:g}, total {p['total']:g}")
            return
        mean, se = p["mean"], p["se"]
        if not 0 < mean < 1:
            raise _fail(self.name, f"mean {mean:g} must be strictly between 0 and 1")
        limit = math.sqrt(mean * (1 - mean))
        if se >= limit:
            raise _fail(self.name, f"se {se:g} is too large for mean {mean:g}; se must be "
                                   f"below sqrt(mean*(1-mean)) = {limit:.3f}")

    def _fit(self, p: dict[str, float]) -> tuple[dict[str, float], Any]:
        if "events" in p:
            a, b = p["events"], p["total"] - p["events"]
        else:
            k = p["mean"] * (1 - p["mean"]) / p["se"] ** 2 - 1
            a, b = p["mean"] * k, (1 - p["mean"]) * k
        return {"alpha": a, "beta": b}, partial(_scipy, "beta", a, b)

    def _moments(self, f: dict[str, float]) -> tuple[float, float]:
        return _beta_moments(f["alpha"], f["beta"])

    def bounds(self) -> tuple[float, float]:
        return 0.0, 1.0


@_register
class Gamma(Distribution):
    """Gamma, for costs and other positive quantities.

    Inputs: ``mean, se`` with ``mean > 0``, ``se > 0``. Method of moments:
    ``shape = mean**2/se**2``, ``scale = se**2/mean``.

    Fitted: by the method of moments, shape = mean²/se² and scale = se²/mean.
    """

    name = "gamma"
    signatures = (Keywords(("mean", "se")),)
    positive = ("mean", "se")

    def _fit(self, p: dict[str, float]) -> tuple[dict[str, float], Any]:
        shape, scale = p["mean"] ** 2 / p["se"] ** 2, p["se"] ** 2 / p["mean"]
        return {"shape": shape, "scale": scale}, partial(_scipy, "gamma", shape, scale=scale)

    def _moments(self, f: dict[str, float]) -> tuple[float, float]:
        return f["shape"] * f["scale"], math.sqrt(f["shape"]) * f["scale"]

    def bounds(self) -> tuple[float, float]:
        return 0.0, math.inf


@_register
class Lognormal(Distribution):
    """Lognormal, for relative risks, hazard ratios and odds ratios.

    Inputs, exactly one set:

    * ``mean, se`` (natural scale) with ``mean > 0``, ``se > 0``. Method of moments:
      ``sigma**2 = log(1 + se**2/mean**2)``, ``mu = log(mean) - sigma**2/2``.
    * ``estimate, low, high[, level=0.95]``, a confidence interval with
      ``0 < low < estimate < high`` and ``0 < level < 1``: ``mu = log(estimate)`` (the
      median), ``sigma = (log(high) - log(low))/(2*z)``, ``z = Phi^-1(1 - (1 - level)/2)``.

    Fitted: from a mean and its standard error (natural scale) by the method of moments,
    σ² = ln(1 + se²/mean²) and μ = ln(mean) − σ²/2; from a confidence interval, μ =
    ln(estimate) (the median) and σ = (ln high − ln low)/(2·z), z being 1.96 for the usual
    95% level.
    """

    name = "lognormal"
    signatures = (Keywords(("mean", "se")),
                  Keywords(("estimate", "low", "high"), (("level", 0.95),)))
    positive = ("mean", "se", "estimate", "low", "high")
    ordered = (("low", "high"),)

    def _check(self, p: dict[str, float]) -> None:
        super()._check(p)
        if "mean" in p:
            return
        est, low, high = p["estimate"], p["low"], p["high"]
        if not low < est < high:
            raise _fail(self.name, f"the interval [low, high] must contain the estimate; "
                                   f"got estimate {est:g} outside [{low:g}, {high:g}]")
        if not 0 < p["level"] < 1:
            raise _fail(self.name, f"level {p['level']:g} must be between 0 and 1, e.g. 0.95")

    def _fit(self, p: dict[str, float]) -> tuple[dict[str, float], Any]:
        if "mean" in p:
            sigma = math.sqrt(math.log1p(p["se"] ** 2 / p["mean"] ** 2))
            mu = math.log(p["mean"]) - sigma**2 / 2
        else:
            z = normal_quantile(1 - (1 - p["level"]) / 2)
            mu = math.log(p["estimate"])
            sigma = (math.log(p["high"]) - math.log(p["low"])) / (2 * z)
        return {"mu": mu, "sigma": sigma}, partial(_scipy, "lognorm", sigma, scale=math.exp(mu))

    def _moments(self, f: dict[str, float]) -> tuple[float, float]:
        mean = math.exp(f["mu"] + f["sigma"] ** 2 / 2)
        return mean, mean * math.sqrt(math.expm1(f["sigma"] ** 2))

    def bounds(self) -> tuple[float, float]:
        return 0.0, math.inf


@_register
class Normal(Distribution):
    """Normal, for unbounded quantities such as regression coefficients.

    Inputs: ``mean, sd`` (``se`` accepted as a synonym of ``sd``) with ``sd > 0``, used as is.

    Fitted: the mean and standard deviation are used as given.
    """

    name = "normal"
    signatures = (Keywords(("mean", "sd")),)
    aliases = MappingProxyType({"se": "sd"})
    positive = ("sd",)

    def _fit(self, p: dict[str, float]) -> tuple[dict[str, float], Any]:
        return {"mu": p["mean"], "sigma": p["sd"]}, partial(_scipy, "norm", p["mean"], p["sd"])

    def _moments(self, f: dict[str, float]) -> tuple[float, float]:
        return f["mu"], f["sigma"]

    def bounds(self) -> tuple[float, float]:
        return -math.inf, math.inf


@_register
class TruncNormal(Distribution):
    """Truncated normal, for a roughly normal quantity that must stay within bounds.

    Inputs: ``mean, sd`` of the untruncated normal (``se`` accepted for ``sd``; ``sd > 0``)
    and at least one of ``lower``, ``upper`` (a missing bound is -inf or +inf), with
    ``lower < upper``. Fitted as ``scipy.stats.truncnorm`` with ``a = (lower - mean)/sd``,
    ``b = (upper - mean)/sd``, so the truncated mean and SD differ from the inputs.

    Fitted: a normal with the given mean and standard deviation, cut at lower and upper (give
    at least one; a bound left out is open), so its mean and SD differ from the inputs.
    """

    name = "truncnormal"
    signatures = (Keywords(("mean", "sd"), (("lower", -math.inf), ("upper", math.inf))),)
    aliases = MappingProxyType({"se": "sd"})
    positive = ("sd",)
    ordered = (("lower", "upper"),)

    def _check(self, p: dict[str, float]) -> None:
        super()._check(p)
        if math.isinf(p["lower"]) and math.isinf(p["upper"]):
            raise _fail(self.name, "give at least one of lower, upper (or use normal)")

    def _fit(self, p: dict[str, float]) -> tuple[dict[str, float], Any]:
        a, b = (p["lower"] - p["mean"]) / p["sd"], (p["upper"] - p["mean"]) / p["sd"]
        fitted = {"mu": p["mean"], "sigma": p["sd"], "lower": p["lower"], "upper": p["upper"]}
        return fitted, partial(_scipy, "truncnorm", a, b, loc=p["mean"], scale=p["sd"])

    def bounds(self) -> tuple[float, float]:
        return self._params["lower"], self._params["upper"]


@_register
class Uniform(Distribution):
    """Uniform, for a quantity equally likely anywhere between two bounds.

    On ``[low, high]``, ``low < high``.
    Moments: ``mean = (low + high)/2``, ``sd = (high - low)/sqrt(12)``.

    Fitted: every value from low to high equally likely; mean (low + high)/2.
    """

    name = "uniform"
    signatures = (Keywords(("low", "high")),)
    ordered = (("low", "high"),)

    def _fit(self, p: dict[str, float]) -> tuple[dict[str, float], Any]:
        return dict(p), partial(_scipy, "uniform", p["low"], p["high"] - p["low"])

    def _moments(self, f: dict[str, float]) -> tuple[float, float]:
        return (f["low"] + f["high"]) / 2, (f["high"] - f["low"]) / math.sqrt(12)

    def bounds(self) -> tuple[float, float]:
        return self._params["low"], self._params["high"]


@_register
class Triangular(Distribution):
    """Triangular, for a quantity with a most likely value between two bounds.

    On ``[low, high]`` with peak at ``mode``; ``low <= mode <= high``, ``low < high``.
    Moments: ``mean = (low + mode + high)/3``,
    ``sd**2 = (low**2 + mode**2 + high**2 - low*mode - low*high - mode*high)/18``.

    Fitted: a triangle from low to high, peaking at mode; mean (low + mode + high)/3.
    """

    name = "triangular"
    signatures = (Keywords(("low", "mode", "high")),)
    ordered = (("low", "high"),)

    def _check(self, p: dict[str, float]) -> None:
        super()._check(p)
        low, mode, high = p["low"], p["mode"], p["high"]
        if not low <= mode <= high:
            raise _fail(self.name, f"mode {mode:g} must lie in [low, high] = [{low:g}, {high:g}]")

    def _fit(self, p: dict[str, float]) -> tuple[dict[str, float], Any]:
        width = p["high"] - p["low"]
        shape = (p["mode"] - p["low"]) / width
        return ({k: p[k] for k in ("low", "mode", "high")},
                partial(_scipy, "triang", shape, loc=p["low"], scale=width))

    def _moments(self, f: dict[str, float]) -> tuple[float, float]:
        a, c, b = f["low"], f["mode"], f["high"]
        return (a + b + c) / 3, math.sqrt((a * a + b * b + c * c - a * b - a * c - b * c) / 18)

    def bounds(self) -> tuple[float, float]:
        return self._params["low"], self._params["high"]


@_register
@dataclass(frozen=True)
class Dirichlet(Distribution):
    """Dirichlet component, for probabilities of a set of outcomes that sum to one.

    Inputs: ``group``, a bare identifier naming the set (e.g. ``hiv_a``; kept in the ``group``
    attribute, not in ``inputs``), and ``count > 0``, this component's count. With ``total``
    the group's sum of counts, the marginal is ``Beta(count, total - count)``: mean
    ``count/total``. ``ppf``, ``mean`` and ``sd`` need the total, so call
    ``with_total(total)`` first; joint draws come from :func:`sample_dirichlet`, with
    ``gamma.ppf(u, count)`` normalised per draw.

    Fitted: the parameters sharing a group are drawn together from their counts so that
    they sum to 1 in every draw; each one alone is a beta(count, total − count), total being
    the group's sum of counts (mean count/total).
    """

    group: str = ""
    total: float | None = None

    name = "dirichlet"
    signatures = (Keywords(("count",)),)
    positive = ("count",)
    name_keywords = ("group",)
    __hash__ = Distribution.__hash__

    def _check(self, p: dict[str, float]) -> None:
        if not self.group.isidentifier():
            raise _fail(self.name, f"group must be an identifier such as hiv_a, got "
                                   f"{self.group!r}; use dirichlet(group=name, count=…)")
        super()._check(p)
        if self.total is not None and not p["count"] < self.total < math.inf:
            raise _fail(self.name, f"group {self.group} total {self.total:g} must exceed count "
                                   f"{p['count']:g}; a group needs at least two members")

    def _ready(self) -> bool:
        return self.total is not None

    def with_total(self, total: float) -> Dirichlet:
        """Return a copy resolved with the group's total count (the sum of its counts)."""
        return replace(self, total=float(total))

    def _fit(self, p: dict[str, float]) -> tuple[dict[str, float], Any]:
        if self.total is None:
            raise _fail(self.name, f"group {self.group} is not resolved; its marginal needs the "
                                   "group total (use with_total, or sample_dirichlet)")
        a, b = p["count"], self.total - p["count"]
        return {"alpha": a, "beta": b}, partial(_scipy, "beta", a, b)

    def _moments(self, f: dict[str, float]) -> tuple[float, float]:
        return _beta_moments(f["alpha"], f["beta"])

    @property
    def support(self) -> tuple[float, float]:
        """Always ``(0.0, 1.0)``, resolved or not."""
        return 0.0, 1.0

    def describe(self) -> str:
        """Text such as ``dirichlet(group=g, count=350 of 1000): mean 0.35, SD 0.01508``."""
        head = f"dirichlet(group={self.group}, count={self.inputs['count']:g}"
        if self.total is None:
            return head + "): group total not yet known"
        return f"{head} of {self.total:g}): mean {self.mean:.4g}, SD {self.sd:.4g}"


@_register
class Fixed(Distribution):
    """No uncertainty: the parameter keeps its base value in every PSA iteration.

    Written ``fixed()``; a blank cell means the same. No inputs. ``is_fixed`` is True and
    ``ppf``, ``mean`` and ``sd`` raise, as there is nothing to sample.

    Fitted: nothing is drawn; the base value is used in every PSA draw.
    """

    name = "fixed"
    signatures = (Keywords(()),)
    is_fixed = True

    def _fit(self, p: dict[str, float]) -> tuple[dict[str, float], Any]:
        raise _fail(self.name, "there is no distribution to sample; the base value is used")

    def describe(self) -> str:
        """``fixed(): no uncertainty, the base value is used``."""
        return "fixed(): no uncertainty, the base value is used"
