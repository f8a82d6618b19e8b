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
    summary = [block for result in analyses if hasattr(result, "summary_blocks")
               for block in result.summary_blocks()]
    return _write_results(results_path(base.spec, out_dir), base, extra, summary)


def write_figures(model: ModelSpec, out_dir: str | Path = "outputs",
                  analyses: Sequence = (), base: BaseCase | None = None) -> list[Path]:
    """Write the PNG figures under ``out_dir``: the model's state diagram and, with a
    base case, its trace; then each analysis' figures. Returns their paths."""
    from cea.export.figures.diagram import state_diagram, trace_figure

    name = model.settings.model_name
    out = Path(out_dir)
    paths = [state_diagram(model, out / f"{name}_diagram.png")]
    if base is not None:
        paths.append(trace_figure(base.trace(), out / f"{name}_trace.png",
                                  title=f"{name}: Markov trace"))
    for result in analyses:
        paths += result.write_figures(out_dir, name)
    return paths


def write_report(base: BaseCase, out_dir: str | Path, figures: Sequence[Path] = ()):
    """Write ``<model>_report.md`` (and ``.html``) in CHEERS 2022 order."""
    from cea.export.report import build_report
    from cea.export.report import write_report as _write

    name = base.spec.settings.model_name
    return _write(Path(out_dir) / f"{name}_report.md", build_report(base, figures))
