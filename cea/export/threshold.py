"""Threshold analysis: thresholds, value-based prices and the NMB difference over the range."""

from __future__ import annotations

from pathlib import Path

from cea.analyses.threshold import ThresholdResult
from cea.export.excel import Block, Chart, SheetSpec
from cea.export.present import figures, owned, sheets

__all__ = []


@sheets.register
def _sheets(result: ThresholdResult) -> list[SheetSpec]:
    """One sheet ``threshold <parameter>``: thresholds, value-based prices, and the NMB
    difference over the range with a line chart."""
    p = result.range.parameter
    curve = result.curve
    wide = curve.assign(series=curve["strategy"] + " vs " + curve["comparator"] + ", "
                        + curve["perspective"] + " @ " + curve["wtp"].map("{:,.0f}".format))
    wide = wide.pivot(index="value", columns="series", values="inc_nmb")
    series = tuple(wide.columns)
    wide = wide.reset_index().rename(columns={"value": p})
    r = result.range
    return [SheetSpec(f"threshold {p}", [
        Block(f"Threshold of {p}: value where the two strategies' NMB are equal",
              result.thresholds, f"Searched over {r.low:g} to {r.high:g} (range from "
              f"{r.source}); base value {r.base:g}. inc_nmb = NMB of strategy minus NMB "
              "of comparator."),
        Block("Value-based price: highest one-off cost at time 0 at which each strategy is "
              "cost-effective against the comparator (base case)", result.prices,
              "price = one_off_cost + inc_nmb: a one-off cost at time 0 adds one-for-one "
              "to total cost."),
        Block(f"NMB difference over the range of {p}", wide,
              chart=Chart(kind="line", x=p, y=series, title=f"NMB difference vs {p}",
                          x_title=p, y_title="NMB difference", y_format="#,##0"),
              data=True),
    ])]


@figures.register
def _figures(result: ThresholdResult, out_dir: Path, name: str) -> list[Path]:
    """``<model>_threshold_<parameter>.png``: NMB difference over the range, one panel per
    perspective, thresholds marked."""
    # matplotlib is imported where figures are drawn, not when the package loads (start-up)
    from cea.export.figures.tornado import threshold_figure

    p = result.range.parameter
    path = Path(out_dir) / f"{name}_threshold_{p}.png"
    return [threshold_figure(result, path, title=f"{name}: threshold analysis of {p}")]


@owned.register
def _owned(result: ThresholdResult, name: str) -> list[str]:
    return [f"{name}_threshold_*.png"]
