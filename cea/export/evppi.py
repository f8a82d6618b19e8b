"""EVPPI: its PSA's sheets, figures and files, then a bar chart per perspective and threshold."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from cea.analyses.voi import EVPPIResult
from cea.export.excel import Block, Chart, SheetSpec
from cea.export.labels import parameter_words, slug
from cea.export.present import figures, files, owned, sheets, summary
from cea.export.psa import PSA_PATTERNS, psa_figures, psa_sheets

__all__ = ["evppi_sheet"]

#: Parameters and groups shown per chart (all are in the table of all results).
TOP = 15


def _worded(table: pd.DataFrame, words) -> pd.DataFrame:
    """EVPPI rows of single parameters named in the reader's words (groups keep theirs)."""
    out = table.copy()
    out["label"] = [words(label) if kind == "parameter" else label
                    for label, kind in zip(table["label"], table["kind"])]
    return out


def evppi_sheet(table: pd.DataFrame, money: str, words=None) -> SheetSpec:
    """Sheet ``EVPPI``: a bar chart per perspective with a bar per threshold (perspectives
    side by side), then one table of the largest EVPPIs in every perspective and
    threshold. ``words``: a parameter's name in the reader's words (default: its name;
    see :func:`cea.export.labels.parameter_words`)."""
    sheet = SheetSpec("EVPPI")
    columns = {}
    table = _worded(table, words or parameter_words(None))
    for perspective, part in table.groupby("perspective", sort=False):
        bars = part.pivot_table(index="label", columns="wtp", values="evppi", sort=False)
        bars = bars.loc[bars.max(axis=1).sort_values().index[-TOP:]]
        bars.columns = [f"at {w:,.0f}" for w in bars.columns]
        evpi = part.groupby("wtp", sort=False)["evpi"].first()
        sheet.blocks.append(Block(
            f"EVPPI per person ({money}), {perspective} perspective",
            bars.reset_index(),
            "EVPI per person " + ", ".join(f"{v:,.2f} at {w:,.0f}" for w, v in evpi.items())
            + f"; the {len(bars)} largest of {part['label'].nunique()} parameters and groups.",
            Chart("bar", "label", tuple(bars.columns), f"EVPPI, {perspective}", "",
                  f"EVPPI per person ({money})", y_format="#,##0.0", overlap=False),
            data=True))
    for (perspective, wtp), part in table.groupby(["perspective", "wtp"], sort=False):
        columns[(perspective, wtp)] = part.set_index(["label", "kind"])["evppi"]
        columns[(perspective, wtp, "evpi")] = part["evpi"].iloc[0]
    wide = pd.DataFrame({f"{p}, {w:,.0f} ({money})": v for (p, w, *rest), v in columns.items()
                         if not rest})
    order = wide.max(axis=1).sort_values(ascending=False).index
    wide = wide.loc[order].head(TOP).reset_index().rename(columns={"label": "parameter(s)"})
    evpi = {f"{p}, {w:,.0f} ({money})": v for (p, w, *rest), v in columns.items() if rest}
    wide = pd.concat([pd.DataFrame([{"parameter(s)": "all (EVPI)", "kind": "",
                                     **evpi}]), wide], ignore_index=True)
    note = table.attrs.get("method", "")
    if table.attrs.get("skipped"):
        note += ". Not estimated: " + "; ".join(table.attrs["skipped"])
    sheet.blocks.append(Block(
        f"EVPPI per person ({money}) by perspective and threshold", wide,
        f"The {len(wide) - 1} parameters or groups with the largest EVPPI, below the EVPI of "
        "all parameters together; every estimate with its standard error and share of the "
        f"EVPI is in the table of all results. {note}."))
    sheet.blocks.append(Block("All EVPPI results", table.reset_index(drop=True),
                              "se: standard error of the regression estimate; share = EVPPI / "
                              "EVPI.", data=True))
    return sheet


@sheets.register
def _sheets(result: EVPPIResult) -> list[SheetSpec]:
    return [*psa_sheets(result.psa), evppi_sheet(result.table, result.spec.settings.money,
                                                 parameter_words(result.spec))]


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
        part = _worded(result.table[result.table["perspective"] == perspective],
                       parameter_words(result.spec))
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
