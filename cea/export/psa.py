"""Probabilistic analysis: summary, CE plane, CEAC/CEAF, expected loss, EVPI, convergence.

Sheets of the results workbook, PNG figures per perspective and the draws as CSV for R
(:mod:`cea.export.tables`).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from cea.analyses.draws import BLOCK
from cea.analyses.psa import PSAResult, population_factor
from cea.export.excel import Block, Chart, SheetSpec
from cea.export.labels import icer_words, parameter_words, slug, with_words
from cea.export.present import figures, files, owned, sheets, summary
from cea.export.sheet_writer import DATA_SHEET
from cea.export.tables import write_psa_tables

__all__ = ["PSA_PATTERNS", "psa_figures", "psa_sheets"]

#: The figures and tables a PSA writes (see :func:`cea.export.present.owned`).
PSA_PATTERNS = ("{name}_psa_ce_plane_*.png", "{name}_psa_ceac_*.png", "{name}_psa_evpi_*.png",
                "{name}_psa_convergence_*.png", "{name}_psa_*.csv")


@summary.register
def _summary(result: PSAResult) -> list[Block]:
    """Per perspective and threshold, the probability that each strategy is cost-effective,
    the optimal strategy and the EVPI."""
    table = result.decision()
    table.columns = [f"P(cost-effective): {c[2:]}" if c.startswith("p_") and c[2:] in
                     result.strategies else c for c in table.columns]
    return [Block(f"Probabilistic analysis ({result.n_draws:,} draws, seed {result.seed}): "
                  "probability of being cost-effective and EVPI per person", table,
                  "P(cost-effective): share of draws in which the strategy has the highest "
                  "net monetary benefit; optimal: highest expected net monetary benefit.")]


def psa_sheets(result: PSAResult) -> list[SheetSpec]:
    """``PSA`` (summary), ``PSA CE plane``, ``PSA CEAC and EVPI`` (CEAC, CEAF, expected
    loss and EVPI: a row of charts each, perspectives side by side) and
    ``PSA convergence``."""
    ceac = _ceac_sheet(result)
    ceac.blocks += _evpi_sheet(result).blocks  # the EVPI is the smallest expected loss
    return [_summary_sheet(result), _plane_sheet(result), ceac, _convergence_sheet(result)]


sheets.register(PSAResult, psa_sheets)


def psa_figures(result: PSAResult, out_dir: Path, name: str) -> list[Path]:
    """PNGs per perspective, ``<model>_psa_<kind>_<perspective>.png`` with kind
    ``ce_plane``, ``ceac`` (with the CEAF), ``evpi`` and ``convergence``."""
    # matplotlib is imported where figures are drawn, not when the package loads (start-up)
    from cea.export.figures import psa as draw

    marks, currency = result.spec.settings.wtp, result.spec.settings.money
    ceac, ceaf, evpi, conv = result.ceac(), result.ceaf(), result.evpi(), result.convergence()
    paths = []
    for perspective in result.perspectives:
        def target(kind: str, p=perspective) -> Path:
            return Path(out_dir) / f"{name}_psa_{kind}_{slug(p)}.png"

        def part(frame: pd.DataFrame, p=perspective) -> pd.DataFrame:
            return frame[frame["perspective"] == p]

        where = f"{name}: {perspective} perspective"
        paths.append(draw.ce_plane_figure(
            result.plane_points(perspective), target("ce_plane"), wtp=marks,
            reference=result.strategies[0], currency=currency,
            title=f"Cost-effectiveness plane, {where}"))
        paths.append(draw.ceac_figure(
            part(ceac), part(ceaf), target("ceac"), marks=marks, currency=currency,
            title=f"Acceptability curves and frontier, {where}"))
        paths.append(draw.evpi_figure(
            part(evpi), target("evpi"), marks=marks, currency=currency,
            factor=population_factor(result.spec),
            title=f"Expected value of perfect information, {where}"))
        paths.append(draw.convergence_figure(
            part(conv), target("convergence"), currency=currency,
            reference=result.strategies[0],
            title=f"Convergence of mean incremental NMB, {where}"))
    return paths


figures.register(PSAResult, psa_figures)


@files.register
def _files(result: PSAResult, out_dir: Path, name: str) -> list[Path]:
    """The draws as CSV for R (dampack and BCEA); see :mod:`cea.export.tables`."""
    return write_psa_tables(Path(out_dir), name, strategies=result.strategies,
                            costs=result.costs, effects={"qaly": result.qaly, "ly": result.ly},
                            parameters=result.parameters)


#: Draws shown on the spreadsheet CE plane (the PNG shows more).
SHEET_POINTS = 1000


def _wide(frame: pd.DataFrame, value: str, strategies) -> pd.DataFrame:
    table = frame.pivot(index="wtp", columns="strategy", values=value)[list(strategies)]
    table = table.reset_index()
    table.columns.name = None
    return table


def _intervals(part: pd.DataFrame, money: str) -> pd.DataFrame:
    """The summary as a reader prints it: each measure as "mean (low to high)"."""
    def text(row, key, fmt):
        return f"{row[key]:{fmt}} ({row[key + '_low']:{fmt}} to {row[key + '_high']:{fmt}})"

    frame = pd.DataFrame({"strategy": part["strategy"]})
    frame[f"cost ({money})"] = [text(r, "cost", ",.2f") for _, r in part.iterrows()]
    frame["QALYs"] = [text(r, "qaly", ".4f") for _, r in part.iterrows()]
    frame[f"incremental cost ({money})"] = [
        text(r, "inc_cost", ",.2f") if i else "" for i, (_, r) in enumerate(part.iterrows())]
    frame["incremental QALYs"] = [
        text(r, "inc_qaly", ".5f") if i else "" for i, (_, r) in enumerate(part.iterrows())]
    frame["icer"] = part["icer"]
    for column in part.columns:
        if column.startswith("p_optimal_"):
            frame[f"P(cost-effective) at {float(column[10:]):,.0f}"] = part[column]
    return frame


def _sampling_check(result: PSAResult) -> list[tuple[str, str]]:
    """The draws against what was asked, in words (the tables are on the chart data sheet):
    the largest departure of a sample mean from its distribution's mean, in standard errors
    SD / sqrt(n); of a sample SD from its distribution's SD; of a rank correlation."""
    summary = result.parameter_summary()
    if summary.empty:
        return []
    n = result.n_draws
    words = parameter_words(result.spec)
    positive = summary["sd"] > 0
    z = ((summary["sample_mean"] - summary["mean"]) / (summary["sd"] / np.sqrt(n))).abs()
    z = z.where(positive, 0.0)
    ratio = (summary["sample_sd"] / summary["sd"] - 1).abs().where(positive, 0.0)
    worst = summary["parameter"].iloc[int(z.to_numpy().argmax())]
    rows = [("sampled means", f"within {z.max():.2f} standard errors (SD / sqrt({n:,})) of "
                              f"their distributions' means (largest: {words(worst)})"),
            ("sampled SDs", f"within {ratio.max():.1%} of their distributions' SDs")]
    if result.spec.correlations:
        check = result.correlation_check()
        gap = (check["sampled"] - check["requested"]).abs().max()
        rows.append(("sampled rank correlations", f"within {gap:.3f} of those requested"))
    return rows


def _summary_sheet(result: PSAResult) -> SheetSpec:
    info = pd.DataFrame([
        ("draws", f"{result.n_draws:,}"), ("seed", str(result.seed)),
        ("random streams", f"numpy SeedSequence(seed).spawn: one PCG64 stream per block of "
                           f"{BLOCK:,} draws (results do not depend on chunk size)"),
        ("uncertain parameters", str(result.parameters.shape[1])),
        ("correlations", f"{len(result.spec.correlations)} pair(s), Spearman, Gaussian copula"
         if result.spec.correlations else "none (parameters independent)"),
        ("sampling and model run (s)", f"{result.seconds:.2f}"),
        *_sampling_check(result),
    ], columns=["item", "value"])
    sheet = SheetSpec("PSA", [Block("Probabilistic sensitivity analysis", info)])
    summary = result.summary()
    ref = result.strategies[0]
    for perspective in result.perspectives:
        part = summary[summary["perspective"] == perspective].reset_index(drop=True)
        sheet.blocks.append(Block(
            f"Mean and 95% interval per strategy, {perspective} perspective",
            _intervals(part, result.spec.settings.money),
            f"Mean (2.5th to 97.5th percentile) of the {result.n_draws:,} draws; increments "
            f"against {ref}; ICER = mean incremental cost / mean incremental QALYs; "
            "probability of the highest net monetary benefit (CEAC) at each threshold. "
            f"Every number is also on sheet '{DATA_SHEET}'."))
        sheet.blocks.append(Block(f"Summary as numbers, {perspective} perspective", part,
                                  data=True))
        table = result.icer_table(perspective)
        table["icer"] = icer_words(table)
        sheet.blocks.append(Block(f"Incremental analysis of the mean costs and QALYs, "
                                  f"{perspective} perspective", table,
                                  "the same ICERs as above, with status and comparator",
                                  data=True))
    words = parameter_words(result.spec)
    sheet.blocks.append(Block("Sampled parameters against their distributions",
                              with_words(result.parameter_summary(), "parameter", words),
                              data=True))
    if result.spec.correlations:
        sheet.blocks.append(Block("Rank (Spearman) correlations, requested and sampled",
                                  with_words(with_words(result.correlation_check(),
                                                        "parameter_1", words),
                                             "parameter_2", words), data=True))
    return sheet


def _plane_data(result: PSAResult, perspective: str, points: int) -> pd.DataFrame:
    """Scatter data: column inc_qaly; per strategy against the first, its incremental costs
    in a column ``<strategy> vs <first>`` (its rows only); per ``settings.wtp``, a column
    ``threshold <wtp> per QALY`` of 25 points drawn as a dashed line (cost = threshold x
    QALYs)."""
    cost, ref = result.costs[perspective], result.strategies[0]
    shown = slice(0, min(points, result.n_draws))
    parts = []
    for j, strategy in enumerate(result.strategies[1:], start=1):
        parts.append(pd.DataFrame({"inc_qaly": result.qaly[shown, j] - result.qaly[shown, 0],
                                   f"{strategy} vs {ref}":
                                       cost[shown, j] - cost[shown, 0]}))
    x = pd.concat(parts)["inc_qaly"] if parts else pd.Series([0.0])
    line = np.linspace(min(0.0, x.min()), max(0.0, x.max()), 25)
    for wtp in result.spec.settings.wtp:
        parts.append(pd.DataFrame({"inc_qaly": line,
                                   f"threshold {wtp:,.0f} per QALY": wtp * line}))
    return pd.concat(parts, ignore_index=True)


def _plane_sheet(result: PSAResult) -> SheetSpec:
    sheet = SheetSpec("PSA CE plane")
    for perspective in result.perspectives:
        data = _plane_data(result, perspective, SHEET_POINTS)
        shown = min(SHEET_POINTS, result.n_draws)
        sheet.blocks.append(Block(
            f"Cost-effectiveness plane, {perspective} perspective (first {shown:,} draws)", data,
            "Each point is one draw: incremental QALYs and cost against "
            f"{result.strategies[0]}. Dashed lines: cost = threshold x QALYs; points "
            "below a threshold's line are cost-effective at that threshold.",
            Chart("scatter", "inc_qaly", tuple(data.columns[1:]),
                  f"CE plane, {perspective}", "incremental QALYs",
                  f"incremental cost ({result.spec.settings.money})", x_format="0.000",
                  y_format="#,##0", height_cm=11.0), data=True))
    return sheet


def _ceac_sheet(result: PSAResult) -> SheetSpec:
    """CEACs, CEAFs and expected losses: one row of charts each, a chart per perspective
    (so that perspectives print side by side)."""
    money = result.spec.settings.money
    ceac, ceaf, loss = result.ceac(), result.ceaf(), result.expected_loss()
    curves, frontiers, losses = [], [], []
    for perspective in result.perspectives:
        where = f"{perspective} perspective"
        table = _wide(ceac[ceac["perspective"] == perspective], "probability",
                      result.strategies)
        curves.append(Block(
            f"Cost-effectiveness acceptability curves, {where}", table,
            "Probability that each strategy has the highest net monetary benefit.",
            Chart("line", "wtp", result.strategies, f"CEAC, {perspective}",
                  "willingness to pay per QALY", "probability cost-effective",
                  x_format="#,##0", y_format="0.0", y_range=(0.0, 1.0)), data=True))
        frontier = ceaf[ceaf["perspective"] == perspective].drop(columns="perspective")
        frontiers.append(Block(
            f"Cost-effectiveness acceptability frontier, {where}",
            frontier.reset_index(drop=True),
            "The strategy with the highest expected net monetary benefit at each threshold "
            "and its probability of being the best.",
            Chart("line", "wtp", ("probability",), f"CEAF, {perspective}",
                  "willingness to pay per QALY", "probability optimal strategy is best",
                  x_format="#,##0", y_format="0.0", y_range=(0.0, 1.0)), data=True))
        table = _wide(loss[loss["perspective"] == perspective], "expected_loss",
                      result.strategies)
        losses.append(Block(
            f"Expected loss of each strategy ({money}), {where}", table,
            "Mean NMB forgone by choosing the strategy instead of the best of each draw; the "
            "smallest expected loss equals the EVPI.",
            Chart("line", "wtp", result.strategies, f"Expected loss, {perspective}",
                  "willingness to pay per QALY", f"expected loss ({money})",
                  x_format="#,##0", y_format="#,##0"), data=True))
    return SheetSpec("PSA CEAC and EVPI", [*curves, *frontiers, *losses])


def _evpi_sheet(result: PSAResult) -> SheetSpec:
    s = result.spec.settings
    sheet = SheetSpec("PSA EVPI")
    evpi = result.evpi()
    population = not np.isnan(population_factor(result.spec))
    note = ("EVPI per person = E[max NMB] - max E[NMB]. " + (
        f"Population EVPI = EVPI x {population_factor(result.spec):,.0f}: "
        f"{s.population:,.0f} people a year over {s.decision_horizon:g} years, discounted at "
        f"{s.discount_outcomes:.1%} a year." if population else
        "Set population and decision_horizon in the settings sheet for population EVPI."))
    for perspective in result.perspectives:
        part = evpi[evpi["perspective"] == perspective].drop(columns="perspective")
        if not population:
            part = part.drop(columns="evpi_population")
        sheet.blocks.append(Block(
            f"Expected value of perfect information ({result.spec.settings.money}), "
            f"{perspective} perspective", part.reset_index(drop=True), note,
            Chart("line", "wtp", ("evpi",), f"EVPI per person, {perspective}",
                  "willingness to pay per QALY",
                  f"EVPI per person ({result.spec.settings.money})", x_format="#,##0",
                  y_format="#,##0"), data=True))
    return sheet


def _convergence_sheet(result: PSAResult) -> SheetSpec:
    sheet = SheetSpec("PSA convergence")
    conv = result.convergence()
    for (perspective, wtp), part in conv.groupby(["perspective", "wtp"], sort=False):
        table = pd.DataFrame({"draws": part["draws"].unique()})
        for strategy, rows in part.groupby("strategy", sort=False):
            mean, se = rows["mean_inc_nmb"].to_numpy(), rows["mc_se"].to_numpy()
            table[f"{strategy}: mean"] = mean
            table[f"{strategy}: low"] = mean - 1.96 * se
            table[f"{strategy}: high"] = mean + 1.96 * se
        sheet.blocks.append(Block(
            f"Running mean of incremental NMB against {result.strategies[0]} at {wtp:,.0f} "
            f"({result.spec.settings.money}), {perspective} perspective", table,
            "low, high: mean -/+ 1.96 Monte Carlo standard errors (SD / sqrt(draws)); the "
            "band narrows as draws accumulate.",
            Chart("line", "draws", tuple(table.columns[1:]), f"Convergence, {perspective}, "
                  f"wtp {wtp:,.0f}", "draws", "mean incremental NMB", x_format="#,##0",
                  y_format="#,##0"), data=True))
    return sheet


@owned.register
def _owned(result: PSAResult, name: str) -> list[str]:
    return [p.format(name=name) for p in PSA_PATTERNS]
