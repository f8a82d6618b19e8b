"""The results workbook: summary, base case, each analysis' sheets, inputs, trace, provenance.

**One rule keeps results from replacing or contradicting each other:** ``cea run`` writes
``<model>_results.xlsx`` and ``<model>_report.md``; every other command writes its own
``<model>_<analysis>.xlsx`` and ``<model>_<analysis>_report.md`` (e.g.
``walkback_one_way.xlsx`` for ``cea dsa``), so a later command never replaces an earlier
one's workbook. Figures and CSV tables of an analysis are replaced together: after a run,
any file matching the analysis's patterns (:func:`cea.export.present.owned`) that the run
did not write again is removed. The summary sheet lists what the file holds, from which
input (SHA-256) and when it was written. Every file is written whole or not at all
(:mod:`cea.export.excel`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from pathlib import Path

import pandas as pd

from cea.analyses.base_case import BaseCase
from cea.export import present
from cea.export.base_case import per_cycle_sheet, summary_sheet, trace_sheet, transitions_sheet
from cea.export.excel import Block, write_sheets
from cea.export.inputs import inputs_sheet, provenance_sheet

__all__ = ["results_path", "results_sheets", "write_figures", "write_files", "write_results"]


def results_path(base: BaseCase, out_dir: str | Path, name: str = "results") -> Path:
    """``<out_dir>/<model_name>_<name>.xlsx`` (``name``: ``results`` for ``cea run``, the
    analysis's name for the other commands)."""
    return Path(out_dir) / f"{base.spec.settings.model_name}_{name}.xlsx"


def write_results(base: BaseCase, out_dir: str | Path, analyses: Sequence = (),
                  name: str = "results") -> Path:
    """Write the results workbook of the base case and ``analyses`` (in reading order) to
    :func:`results_path`.

    Returns the path written (see :func:`cea.export.excel.safe_target`).
    """
    path = results_path(base, out_dir, name)
    return write_sheets(path, results_sheets(base, analyses, path.name),
                        base.spec.settings.money)


def results_sheets(base: BaseCase, analyses: Sequence, file_name: str) -> list:
    """The sheets of the results workbook, in reading order: the summary, the base case,
    each analysis, then the inputs, the trace, the per-cycle totals, the transition
    matrices and the provenance."""
    present.load()
    blocks = [block for result in analyses for block in present.summary(result)]
    blocks.append(_contents(base, analyses, file_name))
    psa = next((getattr(r, "psa", r) for r in analyses
                if type(getattr(r, "psa", r)).__name__ == "PSAResult"), None)
    return [summary_sheet(base, blocks, psa), *present.sheets(base),
            *(sheet for result in analyses for sheet in present.sheets(result)),
            inputs_sheet(base.spec), trace_sheet(base), per_cycle_sheet(base),
            transitions_sheet(base), provenance_sheet(base.spec)]


def _contents(base: BaseCase, analyses: Sequence, file_name: str) -> Block:
    spec = base.spec
    when = dt.datetime.now().astimezone().strftime("%Y-%m-%d %H:%M %Z")
    parts = ["base case", *(_part(result) for result in analyses)]
    return Block(f"This file: {file_name}", pd.DataFrame(
        {"holds": parts, "written": when}),
        f"From {spec.source} (SHA-256 {spec.source_sha256[:16]}...). Other commands write "
        "their own files beside it (<model>_<analysis>.xlsx) and never replace this one.")


def _part(result) -> str:
    words = {"TrialFit": "trial fit", "ScenarioResults": "scenarios", "SteppedResult":
             "stepped evaluation", "OneWayResult": "one-way analysis", "TwoWayResult":
             "two-way analysis", "ThresholdResult": "threshold analysis", "PSAResult":
             "probabilistic analysis", "EVPPIResult": "probabilistic analysis and EVPPI",
             "SobolResult": "Sobol indices", "MorrisResult": "Morris screening",
             "CalibrationResult": "calibration", "BudgetResult": "budget impact"}
    text = words.get(type(result).__name__, type(result).__name__)
    draws = getattr(result, "n_draws", None) or getattr(getattr(result, "psa", None),
                                                        "n_draws", None)
    return f"{text} ({draws:,} draws)" if draws else text


def write_figures(results: Sequence, out_dir: str | Path, name: str) -> list[Path]:
    """Every result's PNG figures under ``out_dir``; returns their paths. Figures of these
    analyses from earlier runs that this run did not write again are removed."""
    present.load()
    written = [path for result in results
               for path in present.figures(result, Path(out_dir), name)]
    _remove_stale(results, out_dir, name, written, ".png")
    return written


def write_files(results: Sequence, out_dir: str | Path, name: str) -> list[Path]:
    """Every result's other files (CSV tables) under ``out_dir``; returns their paths.
    Tables of these analyses from earlier runs not written again are removed."""
    present.load()
    written = [path for result in results
               for path in present.files(result, Path(out_dir), name)]
    _remove_stale(results, out_dir, name, written, ".csv")
    return written


def _remove_stale(results: Sequence, out_dir: str | Path, name: str, written, suffix: str):
    """Remove files matching the results' patterns that this run did not write."""
    keep = {Path(p).resolve() for p in written}
    for result in results:
        for pattern in present.owned(result, name):
            for path in Path(out_dir).glob(pattern):
                if path.suffix == suffix and path.resolve() not in keep and path.is_file():
                    path.unlink()
