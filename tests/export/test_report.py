"""The report: HTML by Python-Markdown, workbook text escaped, key tables of each analysis.

Expected numbers come from the result objects' own frames (or a hand calculation on the
small linear model), formatted here as the report says it formats them: money to the cent,
ICERs and thresholds to the unit, QALYs to 4 decimals, incremental QALYs to 4 significant
digits, probabilities to 3 decimals.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

import numpy as np
import pytest

from cea.analyses.base_case import run_base_case
from cea.analyses.one_way import one_way
from cea.analyses.psa import population_factor, run_psa
from cea.analyses.scenarios import run_scenarios
from cea.analyses.voi import EVPPIResult, evppi_table
from cea.export.report import analysis_sections, build_report, section, write_report
from cea.export.report_sections import escape
from tests.helpers.builders import linear_sheets

MONEY = "AUD 2024"
ODD = "new | <b>bold</b> & co"


class Tables(HTMLParser):
    """The cells (text) of every table row of an HTML page."""

    def __init__(self):
        super().__init__()
        self.rows, self._row, self._cell = [], None, None

    def handle_starttag(self, tag, attrs):
        if tag == "tr":
            self._row = []
        elif tag in ("td", "th"):
            self._cell = []

    def handle_endtag(self, tag):
        if tag in ("td", "th"):
            self._row.append("".join(self._cell))
            self._cell = None
        elif tag == "tr":
            self.rows.append(self._row)

    def handle_data(self, data):
        if self._cell is not None:
            self._cell.append(data)


def rows_of(page: str) -> list[list[str]]:
    parser = Tables()
    parser.feed(page)
    return parser.rows


def part(markdown: str, title: str) -> str:
    """The text of the section ``## title`` (to the next ``## ``)."""
    start = markdown.index(f"\n## {title}\n")
    end = markdown.find("\n## ", start + 1)
    return markdown[start: None if end < 0 else end]


def row(*cells) -> str:
    return "| " + " | ".join(cells) + " |"


def money(v):
    return f"{v:,.2f}"


def interval(mean, low, high, fmt):
    return f"{fmt(mean)} ({fmt(low)} to {fmt(high)})"


@pytest.fixture
def odd_model(load):
    """The linear model (a; b with one-off cost 1,000), b renamed with | and <b>, a source
    with & < > | *."""
    sheets = linear_sheets()
    sheets["strategies"][2][0] = ODD
    sheets["transitions"][0][3] = ODD
    sheets["parameters"][-1][4] = "Smith & Jones <2020> | table *3*"
    return load(sheets)


@pytest.fixture(scope="module")
def psa(walkback):
    return run_psa(walkback, n_draws=500, seed=1)


@pytest.fixture(scope="module")
def walkback_md(walkback, psa):
    """The WalkBack report with scenarios, PSA, EVPPI and one-way sections."""
    scenarios = run_scenarios(walkback, "effect persists,swimming as third strategy")
    table = evppi_table(psa, params=["hr_cs", "p_cs_share", "hr_al", ("hr_al", "hr_cs")])
    results = [scenarios, psa, EVPPIResult(psa, table), one_way(walkback)]
    return build_report(run_base_case(walkback), (), analysis_sections(results)), results


def test_html_has_tables_images_for_png_and_links_for_csv(odd_model, tmp_path):
    base = run_base_case(odd_model)
    figures = [tmp_path / "two_state_diagram.png", tmp_path / "two_state_psa_ceac.png",
               tmp_path / "two_state_psa_draws.csv"]
    md_path, html_path = write_report(tmp_path / "two_state_report.md",
                                      build_report(base, figures))
    page = html_path.read_text(encoding="utf-8")
    assert md_path.read_text(encoding="utf-8").startswith("# two_state: cost-")
    assert page.startswith("<!doctype html>") and "<title>two_state: cost-effectiveness" in page
    assert "<table>" in page and "<style>" in page and "max-width:100%" in page
    assert '<img alt="two state psa ceac" src="two_state_psa_ceac.png"' in page
    assert '<a href="two_state_psa_draws.csv">two_state_psa_draws.csv</a>' in page
    assert not re.search(r"<img[^>]*\.csv", page)
    text = re.sub(r"<code>.*?</code>", "", page, flags=re.S)
    for marker in ("**", "| ---", "|---", "![", "]("):
        assert marker not in text
    assert 'style="text-align: right;"' in page  # numbers right-aligned


def test_workbook_text_stays_in_its_cell_and_is_escaped(odd_model, tmp_path):
    (_, html_path) = write_report(tmp_path / "r.md", build_report(run_base_case(odd_model)))
    page = html_path.read_text(encoding="utf-8")
    assert "<b>bold" not in page and "&lt;b&gt;bold&lt;/b&gt; &amp; co" in page
    rows = rows_of(page)
    header = next(r for r in rows if r[0] == "strategy" and "status" in r)
    line = next(r for r in rows if r[0] == ODD and len(r) > 2)
    assert len(line) == len(header)  # the | did not split the cell
    source = next(r for r in rows if r[0] == "c_x")
    assert source[-1] == "Smith & Jones <2020> | table *3*"  # * not read as emphasis


def test_main_results_show_the_icer_table_with_categories_in_plain_words(odd_model):
    """By hand: a costs 1.8 and gives 1.8 QALYs; b costs 1.9 + 1,000 and gives 1.9:
    increments 1,000.10 and 0.1, ICER 10,001."""
    markdown = build_report(run_base_case(odd_model))
    main = part(markdown, "23. Main results")
    assert row("strategy", f"care cost ({MONEY})", f"total cost ({MONEY})", "QALYs",
               "compared with", f"incremental cost ({MONEY})", "incremental QALYs",
               f"ICER ({MONEY} per QALY)", "status") in main
    assert row("a", "1.80", "1.80", "1.8000", "", "", "", "reference (cheapest)",
               "on the frontier") in main
    assert row(escape(ODD), "1,001.90", "1,001.90", "1.9000", "a", "1,000.10", "0.1",
               "10,001", "on the frontier") in main
    assert row("50,000", escape(ODD)) in main
    assert "non_dominated" not in markdown and "inc_cost" not in markdown


def test_scenario_section_gives_each_strategy_against_the_comparator(walkback_md):
    markdown, (scenarios, *_) = walkback_md
    text = part(markdown, "Scenario analysis")
    count = 0
    for scenario, base in scenarios.results:
        for perspective in base.perspectives:
            pair = base.pairwise(perspective)
            for r in pair[pair["verdict"] != "reference"].itertuples():
                icer = f"{r.icer:,.0f}" if np.isfinite(r.icer) else r.verdict
                assert row(scenario.name, r.strategy, r.reference, money(r.inc_cost),
                           f"{r.inc_qaly:.4g}", icer) in text
                count += 1
    assert count == 2 * (1 + 1 + 2)  # base, effect persists, swimming (two strategies)
    assert "| dominant |" in text  # effect persists, societal
    summary = scenarios.summary()
    for r in summary.itertuples(index=False):
        assert row(*r) in text
    assert f"ICER ({MONEY} per QALY) or verdict" in text


def test_psa_section_gives_means_intervals_probabilities_and_evpi(walkback_md, walkback, psa):
    markdown, _ = walkback_md
    text = part(markdown, "Probabilistic sensitivity analysis")
    assert "500 draws (seed 1)" in text
    summary, decision = psa.summary(), psa.decision()
    for r in summary.itertuples(index=False):
        if r.strategy == "usual care":
            cells = [interval(r.cost, r.cost_low, r.cost_high, money),
                     interval(r.qaly, r.qaly_low, r.qaly_high, lambda v: f"{v:,.4f}"),
                     "", "", ""]
        else:
            cells = [interval(r.cost, r.cost_low, r.cost_high, money),
                     interval(r.qaly, r.qaly_low, r.qaly_high, lambda v: f"{v:,.4f}"),
                     interval(r.inc_cost, r.inc_cost_low, r.inc_cost_high, money),
                     interval(r.inc_qaly, r.inc_qaly_low, r.inc_qaly_high,
                              lambda v: f"{v:.4g}"), f"{r.icer:,.0f}"]
        assert row(r.strategy, *cells) in text
    factor = population_factor(walkback)
    assert np.isfinite(factor)
    for r in decision.itertuples(index=False):
        assert row(f"{r.wtp:,.0f}", f"{r[2]:.3f}", f"{r[3]:.3f}", r.optimal, money(r.evpi),
                   f"{r.evpi_population:,.0f}") in text
        np.testing.assert_allclose(r.evpi_population, r.evpi * factor)
    assert len(decision) == 2 * len(walkback.settings.wtp)
    headers = [line for line in text.splitlines() if line.startswith("| strategy")
               or line.startswith("| threshold")]
    assert len(headers) == 4
    for header in headers:
        for cell in header.strip("| ").split(" | "):
            if re.search(r"cost \(|EVPI|ICER|threshold", cell):
                assert f"({MONEY}" in cell, cell


def test_evppi_section_lists_the_top_sets_per_perspective_and_threshold(walkback_md):
    markdown, (_, psa, evppi, _) = walkback_md
    text = part(markdown, "Value of information (EVPPI)")
    table = evppi.table
    # single parameters are named by the parameters sheet's label column, groups by name
    words = {p.name: p.label or p.name for p in evppi.spec.parameters}
    assert words["hr_cs"] == "HR, care-seeking"
    assert len(table) == 4 * 2 * 2
    for (perspective, wtp), group in table.groupby(["perspective", "wtp"], sort=False):
        heading = f"### {perspective} perspective, threshold {wtp:,.0f} {MONEY} per QALY"
        block = text[text.index(heading):].split("\n### ")[0]
        assert f"EVPI per person {money(group['evpi'].iloc[0])} {MONEY}." in block
        ranked = group.sort_values("evppi", ascending=False, kind="stable")
        lines = [line for line in block.splitlines() if line.startswith("| ")][1:]
        assert len(lines) == len(ranked)
        for line, r in zip(lines, ranked.itertuples(index=False)):
            members = "" if r.kind == "parameter" else r.parameters
            shown = words[r.label] if r.kind == "parameter" else r.label
            assert line == row(escape(shown), r.kind, members, money(r.evppi), money(r.se),
                               f"{r.share:.1%}", f"{r.evppi_population:,.0f}")
    assert f"EVPPI per person ({MONEY})" in text and f"standard error ({MONEY})" in text


def test_one_way_section_gives_the_top_ten_of_the_tornado(walkback_md, walkback):
    markdown, (*_, result) = walkback_md
    text = part(markdown, "One-way sensitivity analysis")
    words = {p.name: p.label or p.name for p in walkback.parameters}
    for perspective in walkback.settings.perspectives:
        tornado = result.tornado(perspective=perspective)
        block = text[text.index(f"### {perspective} perspective"):].split("\n### ")[0]
        lines = [line for line in block.splitlines() if line.startswith("| ")][1:]
        assert len(lines) == 10 < len(tornado)
        for line, r in zip(lines, tornado.head(10).itertuples(index=False)):
            assert line == row(escape(words[r.parameter]), r.range_source,
                               f"{r.low_value:,.6g}",
                               f"{r.base_value:,.6g}", f"{r.high_value:,.6g}",
                               money(r.outcome_low), money(r.outcome_high), money(r.swing),
                               "yes" if r.decision_changes else "")
        assert f"incremental NMB at low ({MONEY})" in block
        assert f"base case {money(tornado['outcome_base'].iloc[0])} {MONEY}" in block


def test_an_evppi_alone_brings_its_psa_section_once(walkback_md):
    _, (_, psa, evppi, _) = walkback_md
    titles = [title for title, _ in analysis_sections([evppi])]
    assert titles == ["Probabilistic sensitivity analysis", "Value of information (EVPPI)"]
    titles = [title for title, _ in analysis_sections([psa, evppi])]
    assert titles.count("Probabilistic sensitivity analysis") == 1
    assert section(object()) is None


def test_every_walkback_section_renders_to_html_without_markdown_left(walkback_md, tmp_path):
    markdown, _ = walkback_md
    _, html_path = write_report(Path(tmp_path) / "walkback_report.md", markdown)
    page = html_path.read_text(encoding="utf-8")
    text = re.sub(r"<code>.*?</code>", "", page, flags=re.S)
    assert "|---" not in text and "| ---" not in text and "**" not in text
    rules = [line for line in markdown.splitlines() if line.startswith("|---")]
    assert page.count("<table>") == len(rules) > 10
