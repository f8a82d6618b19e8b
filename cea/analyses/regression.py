"""EVPPI by non-parametric regression on PSA draws: penalised regression splines.

Following Strong, Oakley & Brennan (2014) [1]_, the conditional expectation of each
strategy's incremental NMB given the parameters of interest phi is estimated from the
PSA draws alone by regression, and

    EVPPI = mean_i max(0, max_k g_k(phi_i)) - max(0, max_k mean_i g_k(phi_i))

with the fitted values of g_k in place of the unknown functions.

The smoother (our choice) is a penalised regression spline, a generalised additive model
term fitted with numpy and scipy:

* one parameter: a cubic B-spline basis with up to 20 segments, knots at quantiles of
  the draws, and the curvature penalty ``lambda * integral g''(x)^2 dx`` (O'Sullivan
  penalised splines [3]_), so a straight line is never penalised;
* two to five parameters: a tensor product of such marginal bases (like ``mgcv::te``,
  the GAM of Strong et al.), one curvature penalty per parameter (each with its own
  lambda); marginal bases of 7, 5, 4 cubic and, for five parameters, 3 quadratic
  functions (49, 125, 256 and 243 coefficients).

Smoothing parameters minimise generalised cross-validation, GCV = n RSS / (n - edf)^2
(edf: trace of the smoother matrix): one lambda exactly (generalised eigenproblem, grid
and refinement), then for sets one lambda per parameter by Nelder-Mead on log lambda. A
ridge of at most 1e-6 of trace(X'X) keeps the normal equations positive definite when
some tensor-product functions have almost no draws under them. Sets of more than five
parameters are refused.

Standard error (Strong et al. 2014, section 2.4): the coefficients are drawn
``n_replicates`` times from their approximate posterior ``N(beta_hat, sigma^2 (X'X +
S_lambda)^-1)``; each replicate's fitted values give an EVPPI; the SE is the SD of those.
It reflects the regression's uncertainty, not the Monte Carlo error of the draws.

References
----------
.. [1] Strong M, Oakley JE, Brennan A. Estimating multiparameter partial expected value of
   perfect information from a probabilistic sensitivity analysis sample: a nonparametric
   regression approach. *Med Decis Making*. 2014;34(3):311-326.
   doi:10.1177/0272989X13505910
.. [2] Wood SN. *Generalized Additive Models: An Introduction with R*, 2nd ed. CRC; 2017.
.. [3] Wand MP, Ormerod JT. On semiparametric regression with O'Sullivan penalized
   splines. *Aust N Z J Stat*. 2008;50(2):179-198. doi:10.1111/j.1467-842X.2008.00507.x
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import linalg, optimize
from scipy.interpolate import BSpline

__all__ = ["MARGINS", "MAX_SET", "N_REPLICATES", "independent", "regression_evppi"]

#: (degree, segments) of each marginal B-spline basis, by the number of parameters in a set.
MARGINS = {1: (3, 20), 2: (3, 4), 3: (3, 2), 4: (3, 1), 5: (2, 1)}
MAX_SET = max(MARGINS)
N_REPLICATES = 300
#: Ridges tried for X'X, as powers of ten of its trace (see ``_ridge``).
RIDGE_POWERS = (-12, -10, -8, -6)
_ROWS = 8192  # rows of the design matrix per chunk
_WHOLE = 2**24  # design matrices with fewer cells are built once and kept
_GL = np.polynomial.legendre.leggauss(3)  # exact for the polynomial pieces of B'' x B''


@dataclass(frozen=True)
class _Margin:
    """A B-spline basis on one parameter, scaled to [0, 1], with its curvature penalty."""

    low: float
    width: float
    knots: np.ndarray
    degree: int

    @property
    def size(self) -> int:
        return len(self.knots) - self.degree - 1

    def basis(self, x: np.ndarray) -> np.ndarray:
        z = np.clip((x - self.low) / self.width, 0.0, 1.0)
        return BSpline.design_matrix(z, self.knots, self.degree).toarray()

    def penalty(self) -> np.ndarray:
        """``integral_0^1 B_i''(z) B_j''(z) dz``, by 3-point Gauss-Legendre per knot interval."""
        if self.degree < 2:
            return np.zeros((self.size, self.size))
        second = BSpline(self.knots, np.eye(self.size), self.degree).derivative(2)
        edges = np.unique(self.knots)
        omega = np.zeros((self.size, self.size))
        for a, b in zip(edges[:-1], edges[1:]):
            points = (a + b) / 2 + (b - a) / 2 * _GL[0]
            d2 = second(points)
            omega += (d2.T * (_GL[1] * (b - a) / 2)) @ d2
        return omega


def _margin(x: np.ndarray, degree: int, segments: int) -> _Margin:
    low, high = float(x.min()), float(x.max())
    width = high - low
    z = (x - low) / width
    inner = np.unique(np.quantile(z, np.linspace(0, 1, segments + 1)[1:-1]))
    inner = inner[(inner > 1e-9) & (inner < 1 - 1e-9)]
    knots = np.r_[np.zeros(degree + 1), inner, np.ones(degree + 1)]
    return _Margin(low, width, knots, degree)


class _Design:
    """Tensor product of the marginal bases of a set of parameters, with its penalties."""

    def __init__(self, x: np.ndarray):
        degree, segments = MARGINS[x.shape[1]]
        self.x = x
        self.margins = [_margin(x[:, j], degree, segments) for j in range(x.shape[1])]
        sizes = [m.size for m in self.margins]
        self.size = int(np.prod(sizes))
        self.penalties = []
        for j, m in enumerate(self.margins):
            parts = [np.eye(s) for s in sizes]
            parts[j] = m.penalty()
            full = parts[0]
            for part in parts[1:]:
                full = np.kron(full, part)
            self.penalties.append(full)
        self._whole = self._rows(0, len(x)) if len(x) * self.size <= _WHOLE else None

    def _rows(self, start: int, stop: int) -> np.ndarray:
        design = np.ones((stop - start, 1))
        for j, m in enumerate(self.margins):
            b = m.basis(self.x[start:stop, j])
            design = (design[:, :, None] * b[:, None, :]).reshape(stop - start, -1)
        return design

    def chunks(self):
        """Yield (rows, design matrix of those rows): whole when it is small, else in
        blocks of rows."""
        n = len(self.x)
        if self._whole is not None:
            yield slice(0, n), self._whole
            return
        for start in range(0, n, _ROWS):
            stop = min(start + _ROWS, n)
            yield slice(start, stop), self._rows(start, stop)


@dataclass
class _Fit:
    """A fitted smoother: coefficients and a factor F with Cov(beta) = F F'."""

    beta: np.ndarray
    factor: np.ndarray
    edf: float

    def replicates(self, rng: np.random.Generator, n: int) -> np.ndarray:
        """Coefficient draws from N(beta, F F'), shape (p, n)."""
        return self.beta[:, None] + self.factor @ rng.standard_normal((self.factor.shape[1], n))


def _gcv(rss: float, edf: float, n: int) -> float:
    return n * max(rss, 0.0) / max(n - edf, 1e-9) ** 2


def _ridge(xtx: np.ndarray) -> np.ndarray:
    """The smallest ridge delta I (delta = 1e-12, 1e-10, ... 1e-6 times the trace of X'X)
    that makes X'X + delta I numerically positive definite. X'X is singular when some
    tensor-product functions have (almost) no draws under them, e.g. for a skewed
    parameter in a group; for a single parameter delta is negligible."""
    scale = np.trace(xtx)
    for power in RIDGE_POWERS:
        ridge = 10.0**power * scale * np.eye(len(xtx))
        try:
            linalg.cho_factor(xtx + ridge, lower=True)
        except linalg.LinAlgError:
            continue
        return ridge
    return ridge


def _fit_isotropic(xtx, penalty, xty, yty, n, ridge):
    """One smoothing parameter, by the generalised eigenproblem S v = mu (X'X + ridge) v."""
    mu, vectors = linalg.eigh(penalty, xtx + ridge)
    mu = np.maximum(mu, 0.0)
    c = vectors.T @ xty
    positive = mu[mu > 1e-12 * mu.max()] if mu.max() > 0 else np.ones(1)

    def score(log_lam: float) -> float:
        s = 1.0 / (1.0 + 10.0**log_lam * mu)
        rss = yty - 2 * np.sum(s * c**2) + np.sum((s * c) ** 2)
        return _gcv(rss, s.sum(), n)

    grid = np.linspace(-3 - np.log10(positive.max()), 3 - np.log10(positive.min()), 61)
    best = int(np.argmin([score(g) for g in grid]))
    low, high = grid[max(best - 1, 0)], grid[min(best + 1, len(grid) - 1)]
    log_lam = optimize.minimize_scalar(score, bounds=(low, high), method="bounded").x
    s = 1.0 / (1.0 + 10.0**log_lam * mu)
    beta = vectors @ (s * c)
    rss = yty - 2 * beta @ xty + beta @ xtx @ beta
    sigma = np.sqrt(max(rss, 0.0) / max(n - s.sum(), 1.0))
    return _Fit(beta, sigma * vectors * np.sqrt(s), float(s.sum())), log_lam


def _fit_anisotropic(xtx, penalties, xty, yty, n, start: float, ridge) -> _Fit:
    """One smoothing parameter per penalty, minimising GCV from the isotropic optimum."""

    def solve(rho):
        a = xtx + ridge + sum(10.0**r * s for r, s in zip(rho, penalties))
        factor = linalg.cho_factor(a, lower=True)
        return a, factor, linalg.cho_solve(factor, xty)

    def score(rho) -> float:
        try:
            _, factor, beta = solve(np.clip(rho, start - 12, start + 12))
        except linalg.LinAlgError:
            return np.inf
        rss = yty - 2 * beta @ xty + beta @ xtx @ beta
        edf = np.trace(linalg.cho_solve(factor, xtx))
        return np.log(_gcv(rss, edf, n) + 1e-300)

    rho0 = np.full(len(penalties), start)
    simplex = np.vstack([rho0, rho0 + 1.5 * np.eye(len(rho0))])  # steps of 10^1.5 in lambda
    simplex[1:] -= 0.75 * (len(rho0) > 1)  # centred on the isotropic optimum
    found = optimize.minimize(score, rho0, method="Nelder-Mead",
                              options={"xatol": 0.1, "fatol": 1e-5, "initial_simplex": simplex,
                                       "maxfev": 30 * len(penalties)})
    rho = np.clip(found.x if found.fun <= score(rho0) else rho0, start - 12, start + 12)
    _, factor, beta = solve(rho)
    edf = float(np.trace(linalg.cho_solve(factor, xtx)))
    rss = yty - 2 * beta @ xty + beta @ xtx @ beta
    sigma = np.sqrt(max(rss, 0.0) / max(n - edf, 1.0))
    lower = np.tril(factor[0])
    inverse_t = linalg.solve_triangular(lower.T, np.eye(len(xtx)), lower=False)
    return _Fit(beta, sigma * inverse_t, edf)


def _fit(design: _Design, xtx, xty, yty, n, ridge) -> _Fit:
    scale = np.linalg.norm(xtx)
    penalties = [p * scale / max(np.linalg.norm(p), 1e-300) for p in design.penalties]
    fit, log_lam = _fit_isotropic(xtx, sum(penalties), xty, yty, n, ridge)
    return fit if len(penalties) == 1 else _fit_anisotropic(xtx, penalties, xty, yty, n,
                                                             log_lam, ridge)


def independent(x: np.ndarray, names: list[str]) -> tuple[np.ndarray, list[str]]:
    """Drop constant columns, then columns that are linear combinations of earlier ones
    (e.g. the last member of a Dirichlet group)."""
    keep = [j for j in range(x.shape[1]) if np.ptp(x[:, j]) > 0]
    chosen: list[int] = []
    for j in keep:
        trial = x[:, chosen + [j]]
        centred = (trial - trial.mean(axis=0)) / trial.std(axis=0)
        if np.linalg.matrix_rank(centred, tol=1e-8 * np.sqrt(len(x))) == len(chosen) + 1:
            chosen.append(j)
    return x[:, chosen], [names[j] for j in chosen]


def regression_evppi(inb: np.ndarray, x: np.ndarray, *, n_replicates: int = N_REPLICATES,
                     seed=None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """EVPPI of the inputs ``x`` from incremental net benefits, by regression.

    Parameters
    ----------
    inb : ndarray of shape (n_draws, n_cases, n_strategies - 1)
        Incremental NMB of each strategy against the reference, for ``n_cases`` decision
        problems (e.g. perspectives x thresholds) that share the inputs.
    x : ndarray of shape (n_draws, n_inputs)
        The inputs of interest (1 to :data:`MAX_SET` columns after dropping constant and
        linearly dependent ones).
    n_replicates : int
        Coefficient draws for the standard error (0 for none).
    seed : int, Generator or None

    Returns
    -------
    evppi, se, edf : ndarray of shape (n_cases,)
        ``edf`` is the largest effective degrees of freedom over the strategies.
    """
    rng = np.random.default_rng(seed)
    n, n_cases, n_inc = inb.shape
    y = inb.reshape(n, -1)
    if x.shape[1] == 0 or n_inc == 0:
        zero = np.zeros(n_cases)
        return zero, zero.copy(), zero.copy()
    if x.shape[1] > MAX_SET:
        raise ValueError(f"EVPPI regression takes at most {MAX_SET} parameters together; got "
                         f"{x.shape[1]}")
    design = _Design(x)
    p = design.size
    if n < max(50, 2 * p):
        raise ValueError(f"EVPPI of {x.shape[1]} parameter(s) needs at least {max(50, 2 * p)} "
                         f"draws (the regression has {p} coefficients); got {n}")
    xtx, xty, xbar = np.zeros((p, p)), np.zeros((p, y.shape[1])), np.zeros(p)
    for part, rows in design.chunks():
        xtx += rows.T @ rows
        xty += rows.T @ y[part]
        xbar += rows.sum(axis=0)
    xbar /= n
    ybar = y.mean(axis=0)
    ridge = _ridge(xtx)
    fits = []
    for r in range(y.shape[1]):
        yc_ty = xty[:, r] - ybar[r] * n * xbar
        yty = float(np.sum((y[:, r] - ybar[r]) ** 2))
        fit = _fit(design, xtx, yc_ty, yty, n, ridge)
        fit.beta = fit.beta + ybar[r]  # the basis sums to 1: a constant is beta = c * ones
        fits.append(fit)
    evppi, se, edf = np.zeros(n_cases), np.zeros(n_cases), np.zeros(n_cases)
    for case in range(n_cases):
        group = fits[case * n_inc:(case + 1) * n_inc]
        coefs = np.stack([np.column_stack([f.beta, f.replicates(rng, n_replicates)])
                          for f in group])  # (n_inc, p, 1 + replicates)
        values = _expected_max(design, coefs) - np.maximum(0.0, (xbar @ coefs).max(axis=0))
        values = np.maximum(values, 0.0)  # >= 0 by Jensen's inequality: clear rounding noise
        evppi[case] = values[0]
        se[case] = values[1:].std(ddof=1) if n_replicates > 1 else np.nan
        edf[case] = max(f.edf for f in group)
    return evppi, se, edf


def _expected_max(design: _Design, coefs: np.ndarray) -> np.ndarray:
    """mean over draws of max(0, max_k fitted_k), for each coefficient column."""
    total = np.zeros(coefs.shape[2])
    for _, rows in design.chunks():
        best = np.zeros((len(rows), coefs.shape[2]))
        for k in range(coefs.shape[0]):
            np.maximum(best, rows @ coefs[k], out=best)
        total += best.sum(axis=0)
    return total / len(design.x)
