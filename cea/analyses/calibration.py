"""Calibration of model parameters to published targets, and the trial-fit table.

A target (a row of the ``calibration`` sheet) is a statistic of an event whose
per-cycle probability is an expression of the model (e.g. ``p_recur_first``,
the probability of a first recurrence in a cycle), under one strategy:

* ``median_days``: the time at which the event-free proportion
  S(t) = Π_{k ≤ t} (1 − p_k) reaches one half, in days (log-linear within a
  cycle, i.e. a constant hazard within each cycle); as a Kaplan–Meier median,
  deaths are censoring, not events;
* ``hazard_ratio``: the ratio of cumulative hazards −ln S(τ) between the
  strategy and the ``reference`` strategy at ``time`` τ years (the hazard ratio
  itself under proportional hazards);
* ``cumulative_incidence``: 1 − S(τ) at ``time`` τ years.

Targets with ``fit = yes`` are fitted by weighted least squares
(``scipy.optimize.least_squares``, bounds from the parameters' low and high):
each residual is (ln predicted − ln target) / SE, with the SE of the log target
from its 95% interval, SE = (ln high − ln low) / (2 × 1.96). The parameters
fitted are those marked ``calibrate = yes`` in the parameters sheet; the start
is their workbook value, so the fit is deterministic. Their uncertainty for the
PSA comes from the inverse of JᵀJ at the optimum (J the Jacobian of the
standardised residuals), summarised as a lognormal (positive parameters) by
mean and SE, and the correlations between them (from the same matrix) as rank
correlations for the PSA's Gaussian copula, so that the fitted parameters are sampled
jointly. Targets with ``fit = no`` are reported for validation only.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, replace

import numpy as np
import pandas as pd
from scipy import optimize

from cea.engine import evaluate_expression
from cea.model.correlations import rank_scale
from cea.model.distribution_text import parse_distribution
from cea.model.expressions import Expression, parse
from cea.model.spec import Correlation, ModelSpec, Target

__all__ = ["CalibrationResult", "TrialFit", "calibrate", "fit_table", "predict", "survival",
           "trial_fit"]


def survival(spec: ModelSpec, expression: Expression, strategy: str,
             table: pd.DataFrame | None = None) -> np.ndarray:
    """Event-free proportion at time points 0..T, shape (rows, T + 1)."""
    p = evaluate_expression(spec, expression, table, strategy=strategy)
    p = np.broadcast_to(p, (p.shape[0], spec.settings.n_cycles))
    with np.errstate(divide="ignore"):
        log_s = np.cumsum(np.log1p(-p), axis=1)
    return np.exp(np.concatenate([np.zeros((p.shape[0], 1)), log_s], axis=1))


def _time_at(s: np.ndarray, level: float, dt: float) -> float:
    """Years at which a decreasing survival curve (time points k*dt) reaches ``level``."""
    below = np.flatnonzero(s <= level)
    if not len(below):
        return np.inf
    k = below[0]
    a, b = np.log(s[k - 1]), np.log(s[k])
    return (k - 1 + (np.log(level) - a) / (b - a)) * dt


def _at_time(s: np.ndarray, years: float, dt: float) -> float:
    """Survival at ``years`` (log-linear between time points)."""
    x = years / dt
    k = min(int(np.floor(x)), len(s) - 2)
    frac = x - k
    return float(np.exp((1 - frac) * np.log(s[k]) + frac * np.log(s[k + 1])))


def predict(spec: ModelSpec, target: Target, table: pd.DataFrame | None = None) -> float:
    """The model's value of a target's statistic (first parameter row)."""
    dt = spec.settings.cycle_years
    s = survival(spec, target.expression, target.strategy, table)[0]
    if target.statistic == "median_days":
        return _time_at(s, 0.5, dt) * 365.25
    time = target.time if target.time is not None else spec.settings.horizon_years
    if target.statistic == "cumulative_incidence":
        return 1.0 - _at_time(s, time, dt)
    ref = survival(spec, target.expression, target.reference, table)[0]
    return np.log(_at_time(s, time, dt)) / np.log(_at_time(ref, time, dt))


@dataclass(frozen=True)
class CalibrationResult:
    """Result of :func:`calibrate`: the model with the fitted values, and the fit."""

    spec: ModelSpec
    calibrated: ModelSpec
    parameters: pd.DataFrame  # name, start, fitted, se, low, high
    fit: pd.DataFrame  # target table with predictions before and after
    success: bool
    message: str
    #: correlations of the fitted parameters (from the inverse of J'J at the optimum)
    correlation: pd.DataFrame | None = None

    def fitted_values(self) -> dict[str, tuple[float, str | None]]:
        """Per fitted parameter: its value and its distribution as the workbook writes it."""
        values = {}
        for name in self.parameters["parameter"]:
            p = self.calibrated.parameter(name)
            d = p.distribution
            text = None if d is None else f"{d.name}(" + ", ".join(
                f"{k}={v:.6g}" for k, v in d.inputs.items()) + ")"
            values[name] = (float(p.value), text)
        return values

    def fitted_correlations(self) -> list[tuple[str, str, float]]:
        """Rank (Spearman) correlations of the fitted parameters, as the correlations sheet
        writes them: the fit's correlation r on the normal scale of the lognormals, written
        as rho = (6 / pi) asin(r / 2) (the sampler converts back exactly)."""
        return [(c.parameter_1, c.parameter_2, c.value) for c in self.calibrated.correlations
                if {c.parameter_1, c.parameter_2} <= set(self.parameters["parameter"])]

    def to_frame(self) -> pd.DataFrame:
        return self.parameters.copy()


def calibrated_names(spec: ModelSpec) -> list[str]:
    return [p.name for p in spec.parameters if getattr(p, "calibrate", False)]


def fit_table(spec: ModelSpec, targets: list[Target]) -> pd.DataFrame:
    """Predicted vs observed for each target, with the difference."""
    rows = []
    for t in targets:
        predicted = predict(spec, t)
        rows.append({"target": t.name, "statistic": t.statistic, "strategy": t.strategy,
                     "observed": t.value, "low": t.low, "high": t.high,
                     "predicted": predicted, "difference": predicted - t.value,
                     "relative difference": predicted / t.value - 1,
                     "fitted": "yes" if t.fit else "no (validation)", "source": t.source})
    return pd.DataFrame(rows)


def calibrate(spec: ModelSpec, *, targets: list[Target] | None = None,
              seed: int | None = None, executor=None, progress=None) -> CalibrationResult:
    """Fit the parameters marked ``calibrate`` to the targets marked ``fit``.

    ``targets`` default to the model's calibration sheet. ``seed``, ``executor`` and
    ``progress`` are accepted so that every analysis takes the same keywords; the fit is
    deterministic (it starts from the workbook's values).
    """
    targets = list(spec.calibration if targets is None else targets)
    names = calibrated_names(spec)
    fitted_targets = [t for t in targets if t.fit]
    if not names or not fitted_targets:
        raise ValueError("calibration needs parameters marked calibrate = yes and targets "
                         "with fit = yes")
    params = [spec.parameter(n) for n in names]
    start = np.array([p.value for p in params])
    low = np.array([p.low if p.low is not None else -np.inf for p in params])
    high = np.array([p.high if p.high is not None else np.inf for p in params])

    def residuals(x: np.ndarray) -> np.ndarray:
        table = spec.table_from(pd.DataFrame([x], columns=names))
        out = []
        for t in fitted_targets:
            predicted = predict(spec, t, table)
            se = t.log_se or 0.1
            out.append((np.log(max(predicted, 1e-300)) - np.log(t.value)) / se)
        return np.array(out)

    result = optimize.least_squares(residuals, start, bounds=(low, high), x_scale="jac",
                                    xtol=1e-12, ftol=1e-12, gtol=1e-12)
    cov = _covariance(result.jac)
    se = np.sqrt(np.clip(np.diag(cov), 0, None))
    correlation = cov / np.outer(se, se) if np.all(se > 0) else np.full_like(cov, np.nan)
    calibrated = _with_values(spec, names, result.x, se, correlation)
    table = pd.DataFrame({"parameter": names, "start": start, "fitted": result.x, "se": se,
                          "low": low, "high": high})
    return CalibrationResult(spec, calibrated, table, fit_table(calibrated, targets),
                             bool(result.success), str(result.message),
                             pd.DataFrame(correlation, index=names, columns=names))


def _covariance(jac: np.ndarray) -> np.ndarray:
    """inv(J'J) at the optimum (J: Jacobian of the standardised residuals); NaN if singular."""
    try:
        return np.linalg.inv(jac.T @ jac)
    except np.linalg.LinAlgError:
        return np.full((jac.shape[1], jac.shape[1]), np.nan)


def _with_values(spec: ModelSpec, names, values, se, correlation) -> ModelSpec:
    """The model with the fitted values, their lognormal distributions, and the fit's
    correlations between them in place of any the model had between those parameters."""
    parameters = []
    for p in spec.parameters:
        if p.name in names:
            i = names.index(p.name)
            value = float(values[i])
            dist = p.distribution
            if np.isfinite(se[i]) and se[i] > 0 and value > 0:
                dist = parse_distribution(f"lognormal(mean={value:.6g}, se={se[i]:.6g})")
            p = replace(p, expression=parse(value), distribution=dist)
        parameters.append(p)
    fitted = set(names)
    kept = tuple(c for c in spec.correlations
                 if not {c.parameter_1, c.parameter_2} <= fitted)
    found = tuple(Correlation(a, b, float(rank_scale(correlation[i, j])))
                  for (i, a), (j, b) in itertools.combinations(enumerate(names), 2)
                  if np.isfinite(correlation[i, j])
                  and parameters[_index(parameters, a)].distribution is not None
                  and parameters[_index(parameters, b)].distribution is not None)
    return replace(spec, parameters=tuple(parameters), correlations=kept + found)


def _index(parameters, name: str) -> int:
    return next(i for i, p in enumerate(parameters) if p.name == name)


@dataclass(frozen=True)
class TrialFit:
    """Model-predicted against observed values of every calibration target."""

    spec: ModelSpec
    table: pd.DataFrame

    def to_frame(self) -> pd.DataFrame:
        return self.table.copy()


def trial_fit(spec: ModelSpec, *, seed: int | None = None, executor=None,
              progress=None) -> TrialFit | None:
    """The internal-validation table of a model with calibration targets, else None.

    ``seed``, ``executor`` and ``progress`` are accepted so that every analysis takes the
    same keywords; the table is deterministic and quick.
    """
    if not spec.calibration:
        return None
    return TrialFit(spec, fit_table(spec, list(spec.calibration)))
