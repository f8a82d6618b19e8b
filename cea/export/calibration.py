"""Calibration: the fitted parameters and targets, and the trial-fit table of a run."""

from __future__ import annotations

from cea.analyses.calibration import CalibrationResult, TrialFit
from cea.export.excel import Block, SheetSpec
from cea.export.present import sheets

__all__ = []


@sheets.register
def _trial_fit(result: TrialFit) -> list[SheetSpec]:
    return [SheetSpec("trial fit", [Block(
        "Model prediction against the published figures", result.table,
        "Fitted targets were used to calibrate the model; validation targets were not "
        "(their definitions may differ from the model's: see the source column).")])]


@sheets.register
def _calibration(result: CalibrationResult) -> list[SheetSpec]:
    status = "converged" if result.success else "did not converge"
    return [SheetSpec("calibration", [
        Block(f"Fitted parameters (least squares on log targets; {status}: {result.message})",
              result.parameters,
              "se from the inverse of J'J at the optimum; the calibrated workbook carries "
              "lognormal(mean, se) distributions for them."),
        Block("Targets: observed and predicted after calibration", result.fit),
    ])]
