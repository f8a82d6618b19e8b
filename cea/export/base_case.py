"""The base case's sheets (summary, base case, trace) and figures (state diagram, trace)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import pandas as pd

from cea.analyses.base_case import BaseCase
from cea.export.excel import Block, SheetSpec
from cea.export.labels import icer_words, pair_icer
from cea.export.present import figures, sheets

__all__ = ["base_case_sheet", "summary_sheet", "trace_sheet"]


def summary_sheet(base: BaseCase, extra: Sequence[Block] = ()) -> SheetSpec:
    """The decision on one screen: per perspective the ICER table and the optimal strategy."""
    spec = base.spec
    s = spec.settings
    sheet = SheetSpec("summary")
    for perspective in base.perspectives:
        table = base.icer_table(perspective)
        shown = table[["strategy", "cost", "qaly", "inc_cost", "inc_qaly"]].copy()
        shown["icer"] = icer_words(table)
        pair = base.pairwise(perspective)
        verdicts = dict(zip(pair["strategy"], pair["verdict"]))
        shown[f"against {pair['reference'][0]}"] = [verdicts[x] for x in table["strategy"]]
        categories = ", ".join(s.perspectives[perspective])
        sheet.blocks.append(Block(f"{perspective} perspective: costs ({categories}) and "
                                  "QALYs, discounted", shown,
                                  "Rows in order of cost; ICERs along the cost-effectiveness "
                                  "frontier."))
    optimal = base.optimal().pivot(index="wtp", columns="perspective", values="optimal")
    sheet.blocks.append(Block("Optimal strategy (highest net monetary benefit) at each "
                              "threshold", optimal.reset_index()))
    sheet.blocks.extend(extra)
    settings = pd.DataFrame([
        ("time horizon", f"{s.horizon:g} {s.horizon_unit}(s) ({s.horizon_years:.2f} years), "
                         f"{s.n_cycles} cycles of {s.cycle_length:g} {s.cycle_unit}(s)"),
        ("discount rates", f"costs {s.discount_costs:.1%}, outcomes {s.discount_outcomes:.1%} "
                           "a year"),
        ("perspectives", "; ".join(f"{k}: {', '.join(v)}" for k, v in s.perspectives.items())),
        ("currency and price year", f"{s.currency} {s.price_year}"),
        ("thresholds (per QALY)", ", ".join(f"{w:,.0f}" for w in s.wtp)),
        ("input workbook", f"{spec.source} (SHA-256 {spec.source_sha256[:16]}...)"),
    ], columns=["setting", "value"])
    sheet.blocks.append(Block("Key settings (all conventions in the provenance sheet)",
                              settings))
    return sheet


def base_case_sheet(base: BaseCase) -> SheetSpec:
    sheet = SheetSpec("base case")
    for perspective in base.perspectives:
        table = base.icer_table(perspective)
        table["icer"] = icer_words(table)
        sheet.blocks.append(Block(f"Incremental analysis, {perspective} perspective", table,
                                  "Rows in order of cost; ICERs along the frontier, each "
                                  "against the comparator column."))
        pair = base.pairwise(perspective)
        pair["icer"] = pair_icer(pair)
        sheet.blocks.append(Block(f"Each strategy against {pair['reference'][0]}, "
                                  f"{perspective} perspective", pair))
    sheet.blocks.append(Block("Optimal strategy by threshold (highest net monetary benefit)",
                              base.optimal()))
    results = base.results()
    sheet.blocks.append(Block("All outcomes per strategy (discounted, and undiscounted where "
                              "marked)", results))
    return sheet


def trace_sheet(base: BaseCase) -> SheetSpec:
    return SheetSpec("trace", [Block("Markov trace: share of the cohort in each state at the "
                                     "start of each cycle (cycle 0 = entry)", base.trace())])


@sheets.register
def _sheets(result: BaseCase) -> list[SheetSpec]:
    return [base_case_sheet(result)]


@figures.register
def _figures(result: BaseCase, out_dir: Path, name: str) -> list[Path]:
    # matplotlib is imported where figures are drawn, not when the package loads (start-up)
    from cea.export.figures.diagram import state_diagram, trace_figure

    out = Path(out_dir)
    return [state_diagram(result.spec, out / f"{name}_diagram.png"),
            trace_figure(result.trace(), out / f"{name}_trace.png",
                         title=f"{name}: Markov trace")]
