"""The base case's sheets (summary, base case, trace) and figures (state diagram, trace)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import pandas as pd

from cea.analyses.base_case import BaseCase
from cea.export.excel import Block, Chart, SheetSpec, header_label
from cea.export.labels import icer_words, pair_icer
from cea.export.present import figures, files, owned, sheets
from cea.export.tables import write_csv
from cea.model.settings import amount

__all__ = ["base_case_sheet", "consequence_table", "decision_sentences", "per_cycle_sheet",
           "summary_sheet", "trace_sheet", "transitions_sheet"]


def consequence_table(base: BaseCase, per: int = 1000) -> pd.DataFrame:
    """The cost-consequence table as a reader sees it: per outcome and strategy, events per
    ``per`` people in each arm, the number averted, and the cost per event averted under
    each perspective (undiscounted; negative = the strategy saves money)."""
    long = base.consequences(per)
    if long.empty:
        return long
    keys = ["outcome", "strategy", "comparator"]
    frame = long.drop_duplicates(keys)[[*keys, "comparator_count", "strategy_count",
                                        "averted"]].reset_index(drop=True)
    frame["outcome"] = frame["outcome"].str.replace("_", " ")
    for perspective in base.perspectives:
        part = long[long["perspective"] == perspective]
        frame[f"cost per averted, {perspective}"] = part["cost_per_averted"].to_numpy()
    return frame.rename(columns={"comparator_count": f"comparator per {per:,}",
                                 "strategy_count": f"strategy per {per:,}",
                                 "averted": f"averted per {per:,}"})


def _consequence_block(base: BaseCase) -> list[Block]:
    table = consequence_table(base)
    if table.empty:
        return []
    years = base.spec.settings.horizon_years
    return [Block(f"Consequences per 1,000 people over {years:.3g} years (undiscounted)", table,
                  "Events in each arm and the number the strategy averts; cost per event "
                  "averted = undiscounted incremental cost (the perspective's categories) "
                  "divided by events averted; negative = the strategy saves money.")]


def decision_sentences(base: BaseCase, psa=None) -> pd.DataFrame:
    """What the results mean, one sentence per perspective and threshold: the strategy with
    the highest net monetary benefit, and (with a PSA) its probability of being
    cost-effective, e.g. "At AUD 28,033 per QALY, usual care is the cost-effective choice
    from the healthcare system perspective (probability 0.82)"."""
    s = base.spec.settings
    ceac = psa.ceac(wtp=list(s.wtp)) if psa is not None else None
    rows = []
    for line in base.optimal().itertuples(index=False):
        sentence = (f"At {s.currency} {line.wtp:,.0f} per QALY, {line.optimal} is the "
                    f"cost-effective choice from the {line.perspective} perspective")
        if ceac is not None:
            p = ceac[(ceac["perspective"] == line.perspective) & (ceac["wtp"] == line.wtp)
                     & (ceac["strategy"] == line.optimal)]["probability"]
            if len(p):
                sentence += f" (probability {float(p.iloc[0]):.2f} in the PSA)"
        rows.append(sentence + ".")
    return pd.DataFrame({"what the results mean": rows})


def summary_sheet(base: BaseCase, extra: Sequence[Block] = (), psa=None) -> SheetSpec:
    """The decision on one screen: what it means in words, then per perspective the ICER
    table and the optimal strategy."""
    spec = base.spec
    s = spec.settings
    sentences = decision_sentences(base, psa)["what the results mean"]
    optimal = base.optimal()[["perspective", "wtp", "optimal"]]
    sheet = SheetSpec("summary", [Block(
        "The decision: " + " ".join(sentences), optimal,
        "The cost-effective choice is the strategy with the highest net monetary benefit "
        "(NMB = threshold x QALYs - cost) at each threshold.")])
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
    sheet.blocks.extend(_consequence_block(base))
    sheet.blocks.extend(extra)
    settings = pd.DataFrame([
        ("time horizon", f"{amount(s.horizon, s.horizon_unit)} ({s.horizon_years:.2f} years of "
                         f"365.25 days), {s.n_cycles} cycles of "
                         f"{amount(s.cycle_length, s.cycle_unit)}"),
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
        shown = [c for c in ("strategy", "cost", "qaly", "ly", "inc_cost", "inc_qaly", "icer",
                             "status", "comparator") if c in table.columns]
        shown += [c for c in table.columns if c.startswith("nmb_")]
        sheet.blocks.append(Block(f"Incremental analysis, {perspective} perspective",
                                  table[shown],
                                  "Rows in order of cost; ICERs along the frontier, each "
                                  "against the compared-with column. Costs by category: "
                                  "the table of all outcomes below."))
        pair = base.pairwise(perspective)
        pair["icer"] = pair_icer(pair)
        sheet.blocks.append(Block(f"Each strategy against {pair['reference'][0]}, "
                                  f"{perspective} perspective", pair))
    sheet.blocks.append(Block("Optimal strategy by threshold (highest net monetary benefit)",
                              base.optimal()))
    sheet.blocks.extend(_consequence_block(base))
    results = base.results().set_index("strategy").T.rename_axis("measure").reset_index()
    results.columns.name = None
    money = base.spec.settings.money
    results["measure"] = [header_label(m, money).removesuffix(f" ({money})")
                          if m.startswith(("cost", "qaly", "ly"))
                          else m.removeprefix("outcome_").replace("_", " ")
                          for m in results["measure"]]
    sheet.blocks.append(Block("All outcomes per strategy, per person (discounted, and "
                              "undiscounted where marked)", results,
                              f"One line per measure: costs by category ({money}), QALYs and "
                              "life-years, then the counted outcomes."))
    size = base.spec.settings.cohort_size
    if size != 1:
        totals = results.copy()
        numbers = [c for c in totals.columns if c != "measure"]
        totals[numbers] = totals[numbers] * size
        sheet.blocks.append(Block(f"All outcomes per strategy, in total for the cohort of "
                                  f"{size:,.10g} people", totals,
                                  f"The table above times the cohort size ({size:,.10g}, "
                                  "the cohort_size setting)."))
    sheet.blocks.extend(trace_blocks(base))
    return sheet


def trace_blocks(base: BaseCase) -> list[Block]:
    """A chart per strategy of the share of the cohort in each state over the years (its
    data on the chart data sheet; the whole trace is on the trace sheet)."""
    trace = base.trace()
    states = [c for c in trace.columns if c not in ("strategy", "time_point", "years")]
    return [Block(f"Markov trace, {strategy}",
                  part[["years", *states]].reset_index(drop=True),
                  "Share of the cohort in each state over time (after each cycle); every "
                  "cycle of every strategy is on the trace sheet.",
                  Chart("line", "years", tuple(states), f"Trace, {strategy}", "years",
                        "share of the cohort", x_format="0.0", y_format="0.0",
                        y_range=(0.0, 1.0)), data=True)
            for strategy, part in trace.groupby("strategy", sort=False)]


def trace_sheet(base: BaseCase) -> SheetSpec:
    """The whole Markov trace, for analysts (it prints no page; its charts print on the
    base case sheet)."""
    return SheetSpec("trace", [Block("Markov trace: share of the cohort in each state at time "
                                     "point t, after cycle t (cycle 1 is the first cycle, as "
                                     "in expressions; t = 0 is entry)", base.trace(),
                                     "The same numbers as the trace figure "
                                     "(<model>_trace.png).")], printed=False)


def per_cycle_sheet(base: BaseCase) -> SheetSpec:
    """Each measure's discounted total per strategy and cycle, for a reviewer who adds the
    results up (it prints no page; every line with its count, weight and discount factor
    is in <model>_per_cycle.csv)."""
    money = base.spec.settings.money
    return SheetSpec("per cycle", [Block(
        f"Per cycle: costs by category ({money}), QALYs and life-years discounted, outcome "
        "counts undiscounted, per person", base.per_cycle_totals(),
        "Cycle 1 is the first cycle, as in expressions; cycle 0 holds the one-off strategy "
        "costs at time 0. Each column sums to the strategy's total on the base case sheet. "
        "Every line, with the count of the cohort, the value, the within-cycle weight and "
        "the discount factor, is in <model>_per_cycle.csv.")], printed=False)


def transitions_sheet(base: BaseCase) -> SheetSpec:
    """The base case's transition probabilities, every cycle and strategy (no page)."""
    return SheetSpec("transition matrices", [Block(
        "Transition probabilities of the base case: strategy, cycle, from, to", base
        .transitions(), "One line per possible transition and cycle (cycle 1 is the first, "
        "as in expressions); each state's lines in a cycle sum to 1. Also in "
        "<model>_transitions.csv.")], printed=False)


@files.register
def _files(result: BaseCase, out_dir: Path, name: str) -> list[Path]:
    out = Path(out_dir)
    return [write_csv(result.per_cycle(), out / f"{name}_per_cycle.csv"),
            write_csv(result.transitions(), out / f"{name}_transitions.csv")]


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


@owned.register
def _owned(result: BaseCase, name: str) -> list[str]:
    return [f"{name}_diagram.png", f"{name}_trace.png", f"{name}_per_cycle.csv",
            f"{name}_transitions.csv"]
