"""The input workbook's format, declared as data.

One place says which sheets exist and which columns each has (what each setting
accepts is declared in :mod:`cea.model.setting_rules`). The reader
(:mod:`cea.workbook.reader`) validates against it, the template
(:mod:`cea.workbook.template`) writes it out with its documentation, and
``docs/workbook.md`` describes the same thing for people.
"""

from __future__ import annotations

from dataclasses import dataclass

from cea.model.setting_rules import SETTINGS

__all__ = ["SETTINGS", "SHEETS", "SHEET_BY_NAME", "Column", "Sheet"]


@dataclass(frozen=True)
class Column:
    """A fixed column of a sheet."""

    name: str
    kind: str  # text | number | integer | expression | boolean | distribution
    required: bool = False
    doc: str = ""


@dataclass(frozen=True)
class Sheet:
    name: str
    required: bool
    doc: str
    columns: tuple[Column, ...]
    #: patterns of further columns, as documentation (the reader checks them)
    extra: str = ""

    def column(self, name: str) -> Column | None:
        return next((c for c in self.columns if c.name == name), None)


SHEETS: tuple[Sheet, ...] = (
    Sheet("settings", True, "One setting per row.", (
        Column("setting", "text", True, "The setting's key (see the list)."),
        Column("value", "text", True, "Its value."),
        Column("description", "text", doc="Free text."),
    )),
    Sheet("parameters", True,
          "One row per parameter. A value that is a number makes a free parameter (varied by "
          "the analyses); an expression makes a derived parameter that follows its inputs.", (
              Column("name", "text", True, "Identifier: ASCII letters, digits, underscore; prefixes "
                     "p_ (probability), r_ (rate), c_ (cost), u_ (utility), hr_/rr_ (ratios) "
                     "are checked against their ranges."),
              Column("value", "expression", True, "Base value: a number or an expression."),
              Column("label", "text", doc="Plain words for the parameter where results "
                     "name it (tornado, EVPPI, Sobol indices, PSA tables); blank: its name."),
              Column("unit", "text", doc="Unit, e.g. 'AUD 2024', 'per year', 'days'."),
              Column("description", "text", doc="What it is."),
              Column("source", "text", doc="Citation, or 'assumption'."),
              Column("low", "number", doc="Low value for one-way sensitivity analysis."),
              Column("high", "number", doc="High value for one-way sensitivity analysis."),
              Column("distribution", "distribution",
                     doc="PSA distribution, e.g. beta(mean=0.4, se=0.05); blank = fixed."),
              Column("group", "text", doc="Parameter group for EVPPI and Sobol indices."),
              Column("calibrate", "boolean",
                     doc="yes: fitted by cea calibrate to the calibration sheet's targets, "
                         "within low and high."),
          )),
    Sheet("states", True, "One row per health state.", (
        Column("name", "text", True, "Identifier of the state."),
        Column("description", "text", doc="What the state means."),
        Column("initial", "number", True, "Share of the cohort starting here; they sum to 1."),
        Column("utility", "expression", doc="Utility (QALY weight per year) while in the state."),
        Column("dead", "boolean", doc="yes for death: absorbing, no life-years, no utility."),
        Column("tunnel", "integer",
               doc="Number of tunnel sub-states (time in state up to this many cycles)."),
    ), extra="cost_<category>: cost per cycle in the state (expression); "
              "outcome_<name>: any other count per cycle (e.g. days with pain)."),
    Sheet("strategies", True, "One row per strategy compared; the first is the comparator.", (
        Column("name", "text", True, "Strategy name; also a column header in transitions."),
        Column("description", "text", doc="What the strategy is."),
        Column("include", "boolean",
               doc="no: left out of the base case, available to scenarios (default yes)."),
    ), extra="cost_<category>: one-off cost at time 0 (expression); qaly: one-off QALY "
              "change at time 0; <parameter name>: that parameter's value under this "
              "strategy (blank = base)."),
    Sheet("transitions", True,
          "One row per possible transition; one probability column per strategy.", (
              Column("from", "text", True, "State the cohort moves from."),
              Column("to", "text", True, "State it moves to (the same state = staying)."),
          ), extra="<strategy name>: per-cycle probability expression, or C for the remainder "
                    "of the row."),
    Sheet("transition_rewards", False, "One-off rewards on transitions (optional sheet).", (
        Column("from", "text", True, "State left, or * for any other state (on entering)."),
        Column("to", "text", True, "State entered."),
        Column("reward", "text", True, "cost_<category>, qaly or outcome_<name>."),
        Column("value", "expression", True, "Value per transition (cost, QALYs or count)."),
        Column("description", "text", doc="What it stands for."),
    )),
    Sheet("correlations", False,
          "Rank (Spearman) correlations between pairs of uncertain parameters, imposed in the "
          "PSA by a Gaussian copula (optional sheet; pairs not listed are independent).", (
              Column("parameter_1", "text", True, "A free parameter with a distribution."),
              Column("parameter_2", "text", True, "Another free parameter with a distribution."),
              Column("correlation", "number", True,
                     "Spearman rank correlation, strictly between -1 and 1."),
              Column("description", "text", doc="Reason or source."),
          )),
    Sheet("scenarios", False, "Named scenarios, one change per row (optional sheet).", (
        Column("scenario", "text", True, "Scenario name (repeat it on each of its rows)."),
        Column("description", "text", doc="What the scenario asks."),
        Column("change", "text", True, "A parameter, settings.<key>, strategies, or "
                                       "<strategy>.<parameter>."),
        Column("value", "text", True, "The new value (number or expression; for strategies "
                                      "the names, comparator first)."),
    )),
    Sheet("steps", False,
          "The stepped evaluation (optional sheet): from a published result, one step at a "
          "time, to the model; each step's changes add to those of the steps before it.", (
              Column("step", "text", True, "Step name (repeat it on each of its rows)."),
              Column("description", "text", doc="What the step adds."),
              Column("perspective", "text", doc="Perspective the step is read in (blank: the "
                                                "first perspective)."),
              Column("change", "text", doc="As in the scenarios sheet; blank for a step that "
                                           "changes only the perspective."),
              Column("value", "text", doc="The new value."),
              Column("reference_icer", "number", doc="A published ICER to stand beside the "
                                                     "step."),
              Column("reference_probability", "number",
                     doc="Its published probability of being cost-effective (0 to 1)."),
              Column("reference_wtp", "number", doc="The threshold of that probability."),
              Column("reference_source", "text", doc="Citation of the published result."),
              Column("reconcile", "text", doc="Free parameters (comma-separated) whose "
                                              "thresholds show what would reproduce the "
                                              "published ICER."),
          )),
    Sheet("calibration", False, "Calibration targets (optional sheet).", (
        Column("target", "text", True, "What is targeted, in words."),
        Column("statistic", "text", True, "median_days, hazard_ratio or "
                                          "cumulative_incidence."),
        Column("expression", "expression", True, "Per-cycle probability of the event."),
        Column("strategy", "text", True, "Strategy the statistic is for."),
        Column("reference", "text", doc="Comparator strategy of a hazard ratio."),
        Column("time", "number", doc="Years (hazard ratio, cumulative incidence)."),
        Column("value", "number", True, "Observed value."),
        Column("low", "number", doc="Lower 95% limit."),
        Column("high", "number", doc="Upper 95% limit."),
        Column("fit", "boolean", doc="yes: fitted; no: shown for validation only."),
        Column("source", "text", doc="Citation."),
    )),
    Sheet("budget", False,
          "Budget impact inputs (optional sheet; cea budget): one row per item, see the "
          "budget items below and docs/budget-impact.md.", (
              Column("item", "text", True, "years, eligible, uptake_with, uptake_without, "
                     "new_strategy, perspective, existing, discount, entry or price_year."),
              Column("strategy", "text", doc="The strategy of an uptake row."),
              Column("state", "text", doc="The state of an existing row."),
              Column("year", "integer", doc="Budget year 1, 2, ... of a yearly item; blank: "
                     "every year."),
              Column("value", "text", True, "The item's value (a number, or a name for "
                     "new_strategy, perspective and entry)."),
              Column("low", "number", doc="Low end of the one-way range (eligible, uptake)."),
              Column("high", "number", doc="High end of the one-way range."),
              Column("description", "text", doc="How the value is derived."),
              Column("source", "text", doc="Citation, or 'assumption'."),
          )),
    Sheet("tables", False, "Lookup tables for lookup() and interpolate() (optional sheet).", (
        Column("table", "text", True, "Table name."),
        Column("key", "number", True, "Key (e.g. age), increasing within a table."),
    ), extra="<column name>: values of that column for the key."),
)

SHEET_BY_NAME = {s.name: s for s in SHEETS}
