"""Global sensitivity: Sobol indices and Morris screening, as sheets and figures."""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path

import pandas as pd

from cea.analyses.gsa_results import MorrisResult, SobolResult, outputs, title
from cea.export.excel import Block, Chart, SheetSpec
from cea.export.labels import parameter_words, slug, with_words
from cea.export.present import figures, owned, sheets

__all__ = []

#: Inputs shown per chart (every index is in the table of all indices): ten bars keep
#: two charts and the summary on one printed page.
TOP = 10


def _figure_name(model: str, method: str, label: Mapping, multi: bool) -> str:
    parts = [model, method] + [
        f"{v:g}" if isinstance(v, float) else str(v) for k, v in label.items()
        if v is not None and k != "comparison" and v != "all"]
    if multi and "comparison" in label:
        parts.append(label["comparison"])
    return "_".join(slug(p) for p in parts) + ".png"


def _main_outputs(frame: pd.DataFrame, labels) -> list[tuple[dict, pd.DataFrame]]:
    """The main outcome: first output's outcome and threshold, for every perspective."""
    found = outputs(frame, labels)
    first = found[0][0]
    keep = [k for k in ("outcome", "wtp") if k in first]
    return [(label, rows) for label, rows in found if all(label[k] == first[k] for k in keep)]


def _main_blocks(result, note: str, chart_y: tuple[str, ...], y_title: str,
                 y_format: str) -> list[Block]:
    """One block with a native bar chart per perspective for the main outcome."""
    blocks = []
    for label, part in _main_outputs(result.indices, result.labels):
        heading = f"{result.method}: {title(label, result.context)}"
        frame = part.sort_values(result.rank, ascending=False)[list(result.main_columns)]
        frame = with_words(frame, "parameter", parameter_words(result.context.get("labels")))
        frame = frame.head(TOP)  # every index is in the table of all indices
        if (frame["members"] == frame["parameter"]).all():
            frame = frame.drop(columns="members")
        blocks.append(Block(heading, frame.reset_index(drop=True), note,
                            Chart("bar", "parameter", chart_y, heading[:90],
                                  y_title=y_title, reverse=True, overlap=False,
                                  y_format=y_format), data=True))
    return blocks


#: Outcomes of the indices in plain words.
OUTCOME_WORDS = {"inc_nmb": "incremental NMB", "inc_cost": "incremental cost",
                 "inc_qaly": "incremental QALYs", "nmb": "NMB", "cost": "cost", "qaly": "QALYs"}


def _summary_words(result) -> pd.DataFrame:
    """The summary per outcome with outcomes and the inputs it names in plain words."""
    frame = result.summary()
    labels = result.context.get("labels") or {}
    if "outcome" in frame:
        frame["outcome"] = [OUTCOME_WORDS.get(v, v) for v in frame["outcome"]]
    if labels:
        pattern = re.compile(r"\b(" + "|".join(map(re.escape, sorted(labels, key=len,
                                                                        reverse=True)))
                             + r")\b")
        for column in frame.columns:
            if not pd.api.types.is_numeric_dtype(frame[column]):
                frame[column] = [pattern.sub(lambda m: labels[m.group(1)], v)
                                 if isinstance(v, str) else v for v in frame[column]]
    return frame


def _figure_targets(result, out_dir, name):
    """(label, rows, path) per output."""
    model = name or result.context.get("model_name", "model")
    found = outputs(result.indices, result.labels)
    multi = len({label.get("comparison") for label, _ in found}) > 1
    tag = result.method.split()[0].lower()
    words = parameter_words(result.context.get("labels"))
    return [(label, with_words(rows, "parameter", words),
             Path(out_dir) / _figure_name(model, tag, label, multi)) for label, rows in found]


@sheets.register
def _sobol_sheets(result: SobolResult) -> list[SheetSpec]:
    """Sheet ``gsa sobol``: main outcome with S1/ST bar charts, summary, design, all."""
    blocks = _main_blocks(
        result, "S1: share of the variance explained by the input alone; ST: including its "
        f"interactions. {result.conf_level:.0%} bootstrap intervals.", ("ST", "S1"),
        "share of variance", "0.00")
    blocks += [Block("Summary per outcome", _summary_words(result),
                     "Sum of S1 near 1: the inputs act additively; largest total-order "
                     "indices: the three inputs with the largest ST."),
               Block("Design and convergence", result.design()),
               Block("All indices", result.to_frame(), data=True)]
    if result.second is not None:
        blocks.append(Block("Second-order indices (S2)", result.second_order_frame(),
                            data=True))
    return [SheetSpec("gsa sobol", blocks)]


@figures.register
def _sobol_figures(result: SobolResult, out_dir: Path, name: str) -> list[Path]:
    """One PNG of S1/ST bars with interval whiskers per output."""
    # matplotlib is imported where figures are drawn, not when the package loads (start-up)
    from cea.export.figures.gsa import sobol_bars

    note = (f"N = {result.n:,}, {result.n_rows:,} model runs; "
            f"{result.conf_level:.0%} bootstrap intervals")
    return [sobol_bars(rows, path, title=title(label, result.context), note=note)
            for label, rows, path in _figure_targets(result, out_dir, name)]


@sheets.register
def _morris_sheets(result: MorrisResult) -> list[SheetSpec]:
    """Sheet ``gsa morris``: main outcome with mu* bar charts, summary, design, all."""
    blocks = _main_blocks(
        result, "mu_star: mean absolute change in the outcome when the input moves by half "
        "its probability range; sigma: spread of those changes (non-linearity or "
        "interactions).", ("mu_star",), "mean absolute effect", "#,##0")
    blocks += [Block("Summary per outcome", _summary_words(result)),
               Block("Design", result.design()),
               Block("All indices", result.to_frame(), data=True)]
    return [SheetSpec("gsa morris", blocks)]


@figures.register
def _morris_figures(result: MorrisResult, out_dir: Path, name: str) -> list[Path]:
    """One PNG of mu* against sigma with labels per output."""
    # matplotlib is imported where figures are drawn, not when the package loads (start-up)
    from cea.export.figures.gsa import morris_scatter

    note = (f"r = {result.trajectories} trajectories, {result.levels} levels, "
            f"{result.n_rows:,} model runs")
    paths = []
    for label, rows, path in _figure_targets(result, out_dir, name):
        unit = ("QALYs" if label.get("outcome") == "inc_qaly"
                else result.context.get("currency", "")) if "outcome" in label else ""
        paths.append(morris_scatter(rows, path, title=title(label, result.context),
                                    unit=unit, note=note))
    return paths


@owned.register
def _owned_sobol(result: SobolResult, name: str) -> list[str]:
    return [f"{name}_sobol_*.png"]


@owned.register
def _owned_morris(result: MorrisResult, name: str) -> list[str]:
    return [f"{name}_morris_*.png"]
