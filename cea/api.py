"""The Python API for notebooks and scripts: load a workbook, run analyses, get DataFrames.

>>> import cea.api as cea
>>> model = cea.load("inputs/walkback.xlsx")
>>> base = cea.base_case(model)
>>> base.icer_table("societal")          # a pandas DataFrame
>>> cea.write_results(base, "outputs")   # outputs/walkback_results.xlsx
"""

from __future__ import annotations

from pathlib import Path

from cea.analyses.deterministic import BaseCase, run_base_case
from cea.engine import ModelError, Outcomes, run
from cea.export.excel import write_results as _write_results
from cea.spec import ModelSpec
from cea.workbook import WorkbookError, load_workbook

__all__ = ["BaseCase", "ModelError", "ModelSpec", "Outcomes", "WorkbookError", "base_case",
           "load", "results_path", "run", "write_results"]


def load(path: str | Path) -> ModelSpec:
    """Read and validate an input workbook (raises :class:`WorkbookError` listing every problem)."""
    return load_workbook(path)


def base_case(model: ModelSpec) -> BaseCase:
    """Run the base case; the result gives ICER tables, pairwise comparisons and the trace."""
    return run_base_case(model)


def results_path(model: ModelSpec, out_dir: str | Path) -> Path:
    return Path(out_dir) / f"{model.settings.model_name}_results.xlsx"


def write_results(base: BaseCase, out_dir: str | Path = "outputs") -> Path:
    """Write ``<out_dir>/<model_name>_results.xlsx`` (whole or not at all)."""
    return _write_results(results_path(base.spec, out_dir), base)
