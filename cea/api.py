"""The Python API for notebooks and scripts: load a workbook, run analyses, get DataFrames.

>>> import cea.api as cea
>>> model = cea.load("inputs/walkback.xlsx")
>>> base = cea.base_case(model)
>>> base.icer_table("healthcare system")     # a pandas DataFrame
>>> psa = cea.psa(model, n_draws=1000, seed=1)
>>> cea.write_results(base, "outputs", [psa])  # outputs/walkback_results.xlsx
>>> cea.budget(model).to_frame()            # the budget impact, year by year

Every analysis has the shape ``analysis(model, *, options..., seed=None, executor=None,
progress=None) -> Result`` and is listed in :data:`cea.registry.ANALYSES`;
``cea.api.analyse(name, model, **options)`` runs one by its registry name, and each is
also here under its own name. Every result has ``to_frame()``: a tidy DataFrame.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

from cea import registry
from cea.analyses.base_case import BaseCase
from cea.analyses.base_case import run_base_case as base_case
from cea.analyses.budget import budget_impact as budget
from cea.analyses.calibration import CalibrationResult, calibrate, trial_fit
from cea.analyses.gsa import gsa, morris, sobol
from cea.analyses.one_way import one_way
from cea.analyses.psa import run_psa as psa
from cea.analyses.scenarios import run_scenarios as scenarios
from cea.analyses.steps import stepped as steps
from cea.analyses.threshold import threshold
from cea.analyses.two_way import two_way
from cea.analyses.voi import evppi, evppi_table
from cea.engine import ModelError, Outcomes, run
from cea.engine.executors import open_executor
from cea.engine.per_cycle import per_cycle, transition_matrix
from cea.export import present, report
from cea.export.excel import save_workbook, write_sheets
from cea.export.results import results_path, write_figures, write_files, write_results
from cea.model.files import write_atomically
from cea.model.problems import InputError
from cea.model.spec import ModelSpec
from cea.workbook import load_workbook
from cea.workbook.calibrated import calibrated_book
from cea.workbook.template import input_book, template_book

__all__ = [
    "BaseCase", "InputError", "ModelError", "ModelSpec", "Outcomes", "analyse", "base_case",
    "budget",
    "calibrate", "evppi", "evppi_table", "gsa", "load", "morris", "one_way", "open_executor",
    "per_cycle", "psa", "results_path", "run", "scenarios", "sobol", "steps", "threshold",
    "transition_matrix", "trial_fit", "two_way", "write_calibrated_copy", "write_calibration",
    "write_figures", "write_files", "write_input_workbook", "write_report", "write_results",
    "write_template",
]

def load(path: str | Path) -> ModelSpec:
    """Read and validate an input workbook (raises :class:`InputError` listing every
    problem)."""
    return load_workbook(path)


def analyse(name: str, model: ModelSpec, **options):
    """Run the registry's analysis ``name`` (e.g. ``"psa"``) on ``model``."""
    return registry.get(name)(model, **options)


def write_report(base: BaseCase, out_dir: str | Path, figures: Sequence[Path] = (),
                 analyses: Sequence = (), name: str = "results"):
    """Write ``<model>_report.md`` (and ``.html``) in CHEERS 2022 order, with a section for
    each analysis that has one (e.g. the stepped evaluation); for an analysis's own
    command (``name`` other than ``results``), ``<model>_<name>_report.md``."""
    model = base.spec.settings.model_name
    stem = f"{model}_report" if name == "results" else f"{model}_{name}_report"
    markdown = report.build_report(base, figures, report.analysis_sections(analyses, figures))
    return report.write_report(Path(out_dir) / f"{stem}.md", markdown)


def write_calibrated_copy(result: CalibrationResult, source: str | Path,
                          out_dir: str | Path) -> Path:
    """``<out_dir>/<model>_calibrated.xlsx``: the input workbook ``source`` with the fitted
    values and distributions (``source`` itself is never written)."""
    book = calibrated_book(source, result.fitted_values(), result.fitted_correlations())
    name = result.spec.settings.model_name
    return save_workbook(book, Path(out_dir) / f"{name}_calibrated.xlsx", keep=[source])


def write_calibration(result: CalibrationResult, out_dir: str | Path) -> Path:
    """``<out_dir>/<model>_calibration.xlsx``: the fitted parameters and the targets."""
    present.load()
    s = result.spec.settings
    return write_sheets(Path(out_dir) / f"{s.model_name}_calibration.xlsx",
                        present.sheets(result), s.money)


def write_template(path: str | Path) -> Path:
    """Write the blank, documented input workbook to ``path`` (whole or not at all)."""
    return write_atomically(path, template_book().save)


def write_input_workbook(path: str | Path, sheets: Mapping[str, Sequence[Sequence]]) -> Path:
    """Write an input workbook: ``sheets[name]`` is a header row followed by data rows."""
    return write_atomically(path, input_book(sheets).save)
