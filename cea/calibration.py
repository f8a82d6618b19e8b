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
mean and SE. Targets with ``fit = no`` are reported for validation only.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
import pandas as pd
from scipy import optimize, stats

from cea.engine import evaluate_expression
from cea.expressions import Expression
from cea.spec import ModelSpec

STATISTICS = ("median_days", "hazard_ratio", "cumulative_incidence")
Z95 = stats.norm.ppf(0.975)


@dataclass(frozen=True)
class Target:
    name: str
    statistic: str
    expression: Expression
    strategy: str
    value: float
    low: float | None = None
    high: float | None = None
    reference: str = ""
    time: float | None = None
    fit: bool = True
    source: str = ""
    cell: str = ""

    @property
    def log_se(self) -> float | None:
        if self.low is None or self.high is None:
            return None
        return (np.log(self.high) - np.log(self.low)) / (2 * Z95)


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
    spec: ModelSpec
    calibrated: ModelSpec
    parameters: pd.DataFrame  # name, start, fitted, se, low, high
    fit: pd.DataFrame  # target table with predictions before and after
    success: bool
    message: str


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


def calibrate(spec: ModelSpec, targets: list[Target]) -> CalibrationResult:
    """Fit the parameters marked ``calibrate`` to the targets marked ``fit``."""
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
    se = _standard_errors(result.jac)
    calibrated = _with_values(spec, names, result.x, se)
    table = pd.DataFrame({"parameter": names, "start": start, "fitted": result.x, "se": se,
                          "low": low, "high": high})
    return CalibrationResult(spec, calibrated, table, fit_table(calibrated, targets),
                             bool(result.success), str(result.message))


def _standard_errors(jac: np.ndarray) -> np.ndarray:
    try:
        cov = np.linalg.inv(jac.T @ jac)
    except np.linalg.LinAlgError:
        return np.full(jac.shape[1], np.nan)
    return np.sqrt(np.clip(np.diag(cov), 0, None))


def _with_values(spec: ModelSpec, names, values, se) -> ModelSpec:
    from cea.distributions import parse_distribution
    from cea.expressions import parse

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
    return replace(spec, parameters=tuple(parameters))


@dataclass(frozen=True)
class TrialFit:
    """Model-predicted against observed values of every calibration target."""

    spec: ModelSpec
    table: pd.DataFrame

    def to_sheets(self):
        from cea.export.excel import Block, SheetSpec

        return [SheetSpec("trial fit", [Block(
            "Model prediction against the published figures", self.table,
            "Fitted targets were used to calibrate the model; validation targets were not "
            "(their definitions may differ from the model's: see the source column).")])]

    def write_figures(self, out_dir, model_name: str):
        return []


def trial_fit(spec: ModelSpec) -> TrialFit | None:
    """The internal-validation table of a model with calibration targets, else None."""
    if not spec.calibration:
        return None
    return TrialFit(spec, fit_table(spec, list(spec.calibration)))


def calibration_sheets(result: CalibrationResult):
    from cea.export.excel import Block, SheetSpec

    status = "converged" if result.success else "did not converge"
    return [SheetSpec("calibration", [
        Block(f"Fitted parameters (least squares on log targets; {status}: {result.message})",
              result.parameters,
              "se from the inverse of J'J at the optimum; the calibrated workbook carries "
              "lognormal(mean, se) distributions for them."),
        Block("Targets: observed and predicted after calibration", result.fit),
    ])]


def write_calibrated_copy(source, result: CalibrationResult, path):
    """Copy the input workbook to ``path`` with the fitted values and distributions.

    The input is opened read-only in memory and never written.
    """
    import io
    from pathlib import Path

    import openpyxl

    from cea.export.atomic import set_cell, write_atomically
    from cea.export.excel import safe_target

    book = openpyxl.load_workbook(io.BytesIO(Path(source).read_bytes()))
    title = next(t for t in book.sheetnames if t.strip().lower() == "parameters")
    ws = book[title]
    headers = {str(c.value).strip().lower(): c.column for c in ws[1] if c.value is not None}
    fitted = result.calibrated
    names = set(result.parameters["parameter"])
    for row in ws.iter_rows(min_row=2):
        name = row[headers["name"] - 1].value
        if name in names:
            p = fitted.parameter(name)
            set_cell(ws.cell(row=row[0].row, column=headers["value"]), float(p.value))
            if "distribution" in headers and p.distribution is not None:
                text = ", ".join(f"{k}={v:.6g}" for k, v in p.distribution.inputs.items())
                set_cell(ws.cell(row=row[0].row, column=headers["distribution"]),
                         f"{p.distribution.name}({text})")
    target = Path(path)
    if target.exists() and target.resolve() == Path(source).resolve():
        target = target.with_name(f"{target.stem} (2){target.suffix}")
    return write_atomically(safe_target(target), book.save)
