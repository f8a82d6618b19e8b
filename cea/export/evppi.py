"""EVPPI: its PSA's sheets, figures and files, then a bar chart per perspective and threshold."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from cea.analyses.voi import EVPPIResult
from cea.export.excel import Block, Chart, SheetSpec
from cea.export.labels import slug
from cea.export.present import figures, files, owned, sheets, summary
from cea.export.psa import PSA_PATTERNS, psa_figures, psa_sheets

__all__ = ["evppi_sheet"]

#: Parameters and groups shown per chart (all are in the table of all results).
TOP = 15


def evppi_sheet(table: pd.DataFrame, money: str) -> SheetSpec:
    """Sheet ``EVPPI``: per perspective and threshold, a bar chart of EVPPI per person, then
    every result."""
    sheet = SheetSpec("EVPPI")
    for (perspective, wtp), part in table.groupby(["perspective", "wtp"], sort=False):
        bars = part.sort_values("evppi").tail(TOP)[["label", "kind", "evppi", "se", "share"]]
        sheet.blocks.append(Block(
            f"EVPPI per person ({money}) at {wtp:,.0f} per QALY, {perspective} perspective",
            bars.reset_index(drop=True),
            f"EVPI per person {part['evpi'].iloc[0]:,.2f}; share = EVPPI / EVPI. se: "
            f"standard error of the regression estimate. The {min(TOP, len(part))} largest of "
            f"{len(part)}; all are in the table of all results.",
            Chart("bar", "label", ("evppi",), f"EVPPI, {perspective}, wtp {wtp:,.0f}",
                  "", f"EVPPI per person ({money})")))
    note = table.attrs.get("method", "")
    if table.attrs.get("skipped"):
        note += ". Not estimated: " + "; ".join(table.attrs["skipped"])
    sheet.blocks.append(Block("All EVPPI results", table.reset_index(drop=True),
                              note + ". Data: not printed.", data=True))
    return sheet


@sheets.register
def _sheets(result: EVPPIResult) -> list[SheetSpec]:
    return [*psa_sheets(result.psa), evppi_sheet(result.table, result.spec.settings.money)]


@summary.register
def _summary(result: EVPPIResult) -> list[Block]:
    return summary(result.psa)


@figures.register
def _figures(result: EVPPIResult, out_dir: Path, name: str) -> list[Path]:
    """The PSA's figures, then ``<model>_psa_evppi_<perspective>.png`` per perspective."""
    # matplotlib is imported where figures are drawn, not when the package loads (start-up)
    from cea.export.figures import psa as draw

    paths = psa_figures(result.psa, out_dir, name)
    for perspective in result.psa.perspectives:
        part = result.table[result.table["perspective"] == perspective]
        if len(part):
            paths.append(draw.evppi_figure(
                part, Path(out_dir) / f"{name}_psa_evppi_{slug(perspective)}.png",
                currency=result.spec.settings.money,
                title=f"Expected value of partial perfect information, {name}: "
                      f"{perspective} perspective"))
    return paths


@files.register
def _files(result: EVPPIResult, out_dir: Path, name: str) -> list[Path]:
    return files(result.psa, out_dir, name)


@owned.register
def _owned(result: EVPPIResult, name: str) -> list[str]:
    return [*(p.format(name=name) for p in PSA_PATTERNS), f"{name}_psa_evppi_*.png"]
