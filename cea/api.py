"""The Python API for notebooks and scripts: load a workbook, run analyses, get DataFrames.

>>> import cea.api as cea
>>> model = cea.load("inputs/walkback.xlsx")
>>> base = cea.base_case(model)
>>> base.icer_table("societal")          # a pandas DataFrame
>>> cea.write_results(base, "outputs")   # outputs/walkback_results.xlsx
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from cea.analyses.deterministic import BaseCase, run_base_case
from cea.engine import ModelError, Outcomes, run
from cea.export.excel import write_results as _write_results
from cea.spec import ModelSpec
from cea.workbook import WorkbookError, load_workbook

__all__ = ["BaseCase", "ModelError", "ModelSpec", "Outcomes", "WorkbookError", "base_case",
           "load", "results_path", "run", "write_figures", "write_results"]


def load(path: str | Path) -> ModelSpec:
    """Read and validate an input workbook (raises :class:`WorkbookError` listing every problem)."""
    return load_workbook(path)


def base_case(model: ModelSpec) -> BaseCase:
    """Run the base case; the result gives ICER tables, pairwise comparisons and the trace."""
    return run_base_case(model)


def results_path(model: ModelSpec, out_dir: str | Path) -> Path:
    return Path(out_dir) / f"{model.settings.model_name}_results.xlsx"


def write_results(base: BaseCase, out_dir: str | Path = "outputs",
                  analyses: Sequence = ()) -> Path:
    """Write ``<out_dir>/<model_name>_results.xlsx`` (whole or not at all).

    ``analyses`` are further results with a ``to_sheets()`` method (one-way,
    two-way, threshold, PSA, GSA, scenarios); their sheets follow the base case.
    """
    extra = [sheet for result in analyses for sheet in result.to_sheets()]
    return _write_results(results_path(base.spec, out_dir), base, extra)


def write_figures(model: ModelSpec, out_dir: str | Path = "outputs",
                  analyses: Sequence = ()) -> list[Path]:
    """Write each analysis' PNG figures under ``out_dir``; returns their paths."""
    paths = []
    for result in analyses:
        paths += result.write_figures(out_dir, model.settings.model_name)
    return paths
