"""The results workbook: summary, base case, each analysis' sheets, inputs, trace, provenance.

Every sheet has a bold header row, sensible widths and number formats (costs in the
model's currency and price year, QALYs to 3 decimals, ICERs as currency per QALY or in
words); the file is written whole or not at all (:mod:`cea.export.excel`).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from cea.analyses.base_case import BaseCase
from cea.export import present
from cea.export.base_case import summary_sheet, trace_sheet
from cea.export.excel import write_sheets
from cea.export.inputs import inputs_sheet, provenance_sheet

__all__ = ["results_path", "write_figures", "write_files", "write_results"]


def results_path(base: BaseCase, out_dir: str | Path) -> Path:
    """``<out_dir>/<model_name>_results.xlsx``."""
    return Path(out_dir) / f"{base.spec.settings.model_name}_results.xlsx"


def write_results(base: BaseCase, out_dir: str | Path, analyses: Sequence = ()) -> Path:
    """Write the results workbook of the base case and ``analyses`` (in reading order).

    Returns the path written (see :func:`cea.export.excel.safe_target`).
    """
    present.load()
    blocks = [block for result in analyses for block in present.summary(result)]
    sheets = [summary_sheet(base, blocks), *present.sheets(base),
              *(sheet for result in analyses for sheet in present.sheets(result)),
              inputs_sheet(base.spec), trace_sheet(base), provenance_sheet(base.spec)]
    return write_sheets(results_path(base, out_dir), sheets, base.spec.settings.money)


def write_figures(results: Sequence, out_dir: str | Path, name: str) -> list[Path]:
    """Every result's PNG figures under ``out_dir``; returns their paths."""
    present.load()
    return [path for result in results for path in present.figures(result, Path(out_dir), name)]


def write_files(results: Sequence, out_dir: str | Path, name: str) -> list[Path]:
    """Every result's other files (CSV tables) under ``out_dir``; returns their paths."""
    present.load()
    return [path for result in results for path in present.files(result, Path(out_dir), name)]
