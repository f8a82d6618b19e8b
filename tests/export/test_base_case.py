"""The base case as a reader sees it: the cost-consequence table and its report section."""

from __future__ import annotations

import numpy as np

from cea.analyses.base_case import run_base_case
from cea.export.base_case import consequence_table, decision_sentences, summary_sheet
from cea.export.excel import number_format
from cea.export.report import build_report
from cea.export.text import qaly_text
from tests.helpers.builders import deaths_sheets


def test_consequence_table_has_one_line_per_outcome_and_a_cost_per_perspective(load):
    base = run_base_case(load(deaths_sheets()))
    table = consequence_table(base)
    assert table.columns.tolist() == [
        "outcome", "strategy", "comparator", "comparator per 1,000", "strategy per 1,000",
        "averted per 1,000", "cost per averted, payer", "cost per averted, society"]
    (line,) = table.itertuples(index=False)
    np.testing.assert_allclose(line[3:], [360, 190, 170, 1000.1 / 0.17, 983.1 / 0.17])


def test_summary_and_report_show_the_consequences(load):
    base = run_base_case(load(deaths_sheets()))
    titles = [b.title for b in summary_sheet(base).blocks]
    assert any(t.startswith("Consequences per 1,000 people") for t in titles)
    report = build_report(base)
    section = report[report.index("### Consequences per 1,000"):]
    assert "| deaths | b | a | 360 | 190 | 170 |" in section


def test_consequence_and_step_columns_have_number_formats():
    """Counts per 1,000 as whole numbers, costs per averted as money, probabilities 0.00."""
    assert number_format("averted per 1,000", "AUD 2024") == "#,##0"
    assert number_format("comparator per 1,000", "AUD 2024") == "#,##0"
    assert number_format("cost per averted, payer", "AUD 2024") == "#,##0.00;-#,##0.00"
    assert number_format("P(cost-effective) at 28,033", "AUD 2024") == "0.00"
    assert number_format("published ICER", "AUD 2024") == "#,##0"


def test_decision_in_words(load):
    """b costs 1,000.1 more for 0.1 QALYs (payer; ICER 10,001) and 983.1 more with the
    funeral costs (society; 9,831): at 50,000 per QALY b is the choice in both."""
    base = run_base_case(load(deaths_sheets()))
    sentences = decision_sentences(base)["what the results mean"].tolist()
    assert sentences == [
        "At AUD 50,000 per QALY, b is the cost-effective choice from the payer perspective.",
        "At AUD 50,000 per QALY, b is the cost-effective choice from the society perspective."]
    assert summary_sheet(base).blocks[0].title == "The decision: " + " ".join(sentences)


def test_printed_qaly_increments_carry_the_icer():
    """237.34 / 0.0044 = 53,941 misleads beside an ICER of 53,445; 237.34 / 0.004441 =
    53,443 does not (4 significant digits)."""
    assert qaly_text(0.0044408) == "0.004441"
    assert qaly_text(0.25) == "0.2500" and qaly_text(0.0) == "0.0000"
    assert abs(237.34 / float(qaly_text(0.0044408)) / 53_445 - 1) < 1e-3
