"""Two-way analysis: grids of the optimal strategy and incremental NMB, and heat maps."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from cea.analyses.ranges import wtp_values
from cea.analyses.two_way import TwoWayResult
from cea.export.excel import Block, SheetSpec
from cea.export.labels import slug
from cea.export.present import figures, owned, sheets

__all__ = []


@sheets.register
def _sheets(result: TwoWayResult) -> list[SheetSpec]:
    """One sheet ``two-way <p1> x <p2>``: per perspective and threshold a grid of the
    optimal strategy and a grid of incremental NMB, then the tidy table."""
    p1, p2 = (r.parameter for r in result.ranges)
    sheet = SheetSpec(f"two-way {p1} x {p2}")
    for perspective in result.spec.settings.perspectives:
        for wtp in wtp_values(result.spec, result.selection.wtp):
            where = f"{perspective} perspective, wtp {wtp:,.0f}"
            sheet.blocks.append(Block(f"Optimal strategy (highest NMB), {where}",
                                      _sheet_grid(result.grid(value="optimal",
                                                              perspective=perspective,
                                                              wtp=wtp))))
            sheet.blocks.append(Block(
                f"Incremental NMB of {result.selection.strategy} vs "
                f"{result.spec.strategy_names[0]} ({result.spec.settings.money}), {where}",
                _sheet_grid(result.grid(perspective=perspective, wtp=wtp).round(2))))
    sheet.blocks.append(Block("All two-way results", result.to_frame(),
                              "Every other free parameter at its base value.", data=True))
    return [sheet]


@figures.register
def _figures(result: TwoWayResult, out_dir: Path, name: str) -> list[Path]:
    """One heat map per perspective: ``<model>_twoway_<p1>_<p2>_<perspective>.png``."""
    # matplotlib is imported where figures are drawn, not when the package loads (start-up)
    from cea.export.figures.twoway import twoway_figure

    p1, p2 = (r.parameter for r in result.ranges)
    paths = []
    for perspective in result.spec.settings.perspectives:
        path = Path(out_dir) / f"{name}_twoway_{slug(p1)}_{slug(p2)}_{slug(perspective)}.png"
        paths.append(twoway_figure(result, path, perspective=perspective,
                                   title=f"{name}: two-way sensitivity, {perspective} "
                                   "perspective"))
    return paths


def _sheet_grid(grid: pd.DataFrame) -> pd.DataFrame:
    """A grid as a sheet table: first column the row values, headers the column values."""
    frame = grid.copy()
    frame.columns = [f"{grid.columns.name} = {v:.6g}" for v in grid.columns]
    return frame.reset_index()


@owned.register
def _owned(result: TwoWayResult, name: str) -> list[str]:
    return [f"{name}_twoway_*.png"]
