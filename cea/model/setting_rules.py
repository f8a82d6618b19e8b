"""The declared settings: every key of the ``settings`` sheet, what it accepts, its default.

One place says what each setting means and accepts. The workbook reader checks the
``settings`` sheet against it, scenarios (``settings.<key>``) parse their values with
the same rules, and the template documents it.
"""

from __future__ import annotations

import ast
import math
from collections.abc import Mapping
from dataclasses import dataclass

from cea.model.expressions import ExpressionError, parse
from cea.model.problems import Problems, suggest
from cea.model.settings import (
    DISCOUNT_TIMING,
    READABLE,
    TIME_UNITS,
    TRANSITION_TIMING,
    TRANSITION_WEIGHTS,
    WITHIN_CYCLE,
    Settings,
)
from cea.model.within_cycle import WEIGHT_NAMES, WeightError, counting_weights


@dataclass(frozen=True)
class Setting:
    """One key of the ``settings`` sheet."""

    key: str
    kind: str  # text | number | integer | choice | numbers | names | perspectives | expression
    required: bool
    doc: str
    default: object = None
    choices: tuple[str, ...] = ()
    low: float | None = None
    high: float | None = None
    above_low: bool = False  # the value must exceed low, not merely reach it
    rule: str = ""  # what else the value must be, in words (checked in the parsers)

    def allowed(self) -> str:
        """The values the setting accepts, in plain words (for the template)."""
        words = _ALLOWED[self.kind](self)
        return f"{words}; {self.rule}" if self.rule else words


SETTINGS: tuple[Setting, ...] = (
    Setting("model_name", "text", True, "Short name; results go to <model_name>_results.xlsx.",
            rule="letters, digits, - and _ only, at most 64 characters"),
    Setting("cycle_length", "number", True, "Length of one cycle, in cycle_unit: a number or "
            "arithmetic such as 1/52 (a year of 52 weeks).", low=0, above_low=True),
    Setting("cycle_unit", "choice", True, "Unit of cycle_length.", choices=tuple(TIME_UNITS)),
    Setting("horizon", "number", True, "Time horizon, in horizon_unit; a whole number of cycles.",
            low=0, above_low=True, rule="a whole number of cycles"),
    Setting("horizon_unit", "choice", True, "Unit of horizon.", choices=tuple(TIME_UNITS)),
    Setting("discount_costs", "number", True, "Annual discount rate for costs (0.05 = 5%).",
            low=0, high=1),
    Setting("discount_outcomes", "number", True,
            "Annual discount rate for QALYs and life-years.", low=0, high=1),
    Setting("discount_timing", "choice", False,
            "When a cycle's rewards are discounted: start, middle or end of the cycle, or "
            "time_point (each cohort count at its own time).", "time_point",
            choices=DISCOUNT_TIMING),
    Setting("within_cycle", "choice", False,
            "Within-cycle correction. Per cycle: start, end, half_cycle, life_table (the same "
            "weights as half_cycle), simpson (pairs of cycles) or custom. Per time point "
            "t = 0..T: trapezoid, simpson_1_3 (an even number of cycles) or custom_points.",
            "half_cycle", choices=WITHIN_CYCLE),
    Setting("within_cycle_weight", "expression", False,
            "With within_cycle = custom: the weight of cycle t's start count, an expression of "
            "cycle (and n_cycles) in [0, 1]; the end count gets 1 - weight. With "
            "custom_points: the weight of the count at time point t = 0..T, an expression of "
            "t (and n_cycles) in [0, 2].",
            rule="needed with within_cycle = custom or custom_points, and only then"),
    Setting("transition_reward_timing", "choice", False,
            "When a cycle's transition rewards are discounted: start, middle or end of the "
            "cycle. Blank: as discount_timing says (middle with time_point).",
            choices=TRANSITION_TIMING),
    Setting("transition_reward_weights", "choice", False,
            "one: each transition reward counts once; time_point: weighted like the count at "
            "the time point its transition ends at (the within-cycle weight of t).", "one",
            choices=TRANSITION_WEIGHTS),
    Setting("cohort_size", "number", False,
            "People in the cohort: results are given per person and, where labelled, in "
            "total for the cohort.", 1.0, low=0, above_low=True),
    Setting("perspectives", "perspectives", True,
            "Each perspective and the cost categories it counts, e.g. "
            "'healthcare = intervention, healthcare; societal = intervention, healthcare, "
            "absenteeism'. Every cost category must be counted in at least one perspective "
            "or listed in excluded_costs."),
    Setting("excluded_costs", "names", False,
            "Cost categories deliberately counted in no perspective, comma-separated (e.g. a "
            "cost kept in the workbook but outside every perspective of this analysis); the "
            "results say so. Any other category that no perspective counts is an error.", (),
            rule="each a cost category of the model that no perspective counts"),
    Setting("currency", "text", True, "Currency of every cost, e.g. AUD."),
    Setting("price_year", "integer", True, "Price year of every cost.", low=1900, high=2100),
    Setting("wtp", "numbers", True,
            "Willingness-to-pay threshold(s) per QALY, comma-separated.", low=0),
    Setting("seed", "integer", False, "Random seed for the probabilistic analyses.", 12345,
            low=0),
    Setting("psa_draws", "integer", False, "Default number of PSA draws.", 1000, low=1,
            high=10_000_000),
    Setting("sobol_n", "integer", False,
            "Default base sample size N of Sobol indices, a power of two.", 1024, low=2,
            high=2**20, rule="a power of two (e.g. 1024, 2048, 4096)"),
    Setting("population", "number", False,
            "People affected per year, for population value of information.", low=0),
    Setting("decision_horizon", "number", False,
            "Years over which the decision applies, for population value of information.",
            low=0),
)

SETTING_BY_KEY = {s.key: s for s in SETTINGS}


def parse_setting(setting: Setting, value, ref: str, problems: Problems):
    """The value of one setting, or None with the problem added at ``ref``."""
    parser = _PARSERS[setting.kind]
    try:
        return parser(setting, value)
    except ValueError as e:
        problems.add(ref, f"{setting.key} {value!r}: {e}")
        return None


def arithmetic(text: str) -> float:
    """The value of ``text`` written as a number or as arithmetic on numbers (``1/52``,
    ``7/365.25``, ``(1 + 0.5) * 2``): + - * / and parentheses only, evaluated in floating
    point exactly as Python evaluates it. Raises ValueError otherwise."""
    try:
        tree = ast.parse(text.strip(), mode="eval")
    except SyntaxError:
        raise ValueError("must be a number, or arithmetic on numbers such as 1/52") from None

    def value(node) -> float:
        if isinstance(node, ast.Constant) and isinstance(node.value, (int, float)) \
                and not isinstance(node.value, bool):
            return float(node.value)
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.UAdd, ast.USub)):
            inner = value(node.operand)
            return inner if isinstance(node.op, ast.UAdd) else -inner
        if isinstance(node, ast.BinOp) and type(node.op) in _ARITHMETIC:
            left, right = value(node.left), value(node.right)
            if isinstance(node.op, ast.Div) and right == 0:
                raise ValueError("divides by zero")
            return _ARITHMETIC[type(node.op)](left, right)
        raise ValueError("must be a number, or arithmetic on numbers (+ - * / and "
                         "parentheses) such as 1/52")

    return value(tree.body)


_ARITHMETIC = {ast.Add: lambda a, b: a + b, ast.Sub: lambda a, b: a - b,
               ast.Mult: lambda a, b: a * b, ast.Div: lambda a, b: a / b}


def _number(setting: Setting, value) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        text = str(value).strip()
        try:
            value = float(text.replace(",", ""))
        except ValueError:
            value = arithmetic(text)
    value = float(value)
    if not math.isfinite(value):
        raise ValueError("must be a finite number")
    if setting.low is not None and value < setting.low or \
            setting.high is not None and value > setting.high:
        raise ValueError(f"must be in [{setting.low:g}, "
                         f"{setting.high if setting.high is not None else math.inf:g}]")
    if setting.above_low and value == setting.low:
        raise ValueError(f"must be greater than {setting.low:g}")
    return value


def _integer(setting: Setting, value) -> int:
    number = _number(setting, value)
    if not number.is_integer():
        raise ValueError("must be a whole number")
    return int(number)


def _choice(setting: Setting, value) -> str:
    word = str(value).strip().lower()
    if word not in setting.choices:
        raise ValueError(f"must be one of {', '.join(setting.choices)}")
    return word


def _text(setting: Setting, value) -> str:
    text = str(value).strip()
    if setting.key == "model_name" and not all(ch.isalnum() or ch in "_-" for ch in text):
        raise ValueError("must be letters, digits, - and _ only (it names the output files)")
    if setting.key == "model_name" and len(text) > 64:
        raise ValueError(f"has {len(text)} characters; at most 64 (it names the output files)")
    return text


def _numbers(setting: Setting, value) -> tuple[float, ...]:
    parts = [value] if isinstance(value, (int, float)) else \
        [p for p in str(value).replace(";", ",").split(",") if p.strip()]
    if not parts:
        raise ValueError("must list at least one number")
    numbers = tuple(_number(setting, p if isinstance(p, (int, float)) else p.strip())
                    for p in parts)
    if len(set(numbers)) != len(numbers):
        raise ValueError("lists a value twice")
    return numbers


def _names(setting: Setting, value) -> tuple[str, ...]:
    """Comma-separated names; blank or ``none`` for none."""
    text = str(value).strip()
    if text.lower() == "none":
        return ()
    names = tuple(n.strip() for n in text.replace(";", ",").split(",") if n.strip())
    if len(set(names)) != len(names):
        raise ValueError("lists a name twice")
    return names


def _perspectives(setting: Setting, value) -> dict[str, tuple[str, ...]]:
    result = {}
    for part in str(value).split(";"):
        if not part.strip():
            continue
        if "=" not in part:
            raise ValueError(f"'{part.strip()}' must read 'name = category, category'")
        name, cats = part.split("=", 1)
        name = name.strip()
        categories = tuple(c.strip() for c in cats.split(",") if c.strip())
        if not name or not categories:
            raise ValueError(f"'{part.strip()}' needs a name and at least one category")
        if name in result:
            raise ValueError(f"perspective '{name}' is given twice")
        result[name] = categories
    if not result:
        raise ValueError("must define at least one perspective")
    return result


def _expression(setting: Setting, value):
    """A within-cycle weight: its names are checked against the method in
    :func:`check_consistency`, which knows the method."""
    try:
        expression = parse(value)
    except ExpressionError as e:
        raise ValueError(str(e)) from None
    if expression.lookups:
        raise ValueError("may not use lookup or interpolate: no tables are read here")
    return expression


_PARSERS = {
    "number": _number,
    "integer": _integer,
    "choice": _choice,
    "text": _text,
    "numbers": _numbers,
    "names": _names,
    "perspectives": _perspectives,
    "expression": _expression,
}


def _show(number: float) -> str:
    """A bound in words: 0.5, 2100, 10,000,000 (thousands separated from 10,000 up)."""
    if not float(number).is_integer():
        return f"{number:g}"
    return f"{int(number):,}" if abs(number) >= 10_000 else str(int(number))


def _range_words(setting: Setting) -> str:
    low, high = setting.low, setting.high
    if low is not None and high is not None:
        return f"from {_show(low)} to {_show(high)}"
    if low is not None:
        return f"greater than {_show(low)}" if setting.above_low else f"{_show(low)} or more"
    return f"{_show(high)} or less" if high is not None else ""


def _allowed_number(setting: Setting) -> str:
    noun = "a whole number" if setting.kind == "integer" else \
        "a number (or arithmetic such as 1/52)"
    return f"{noun} {_range_words(setting)}".strip()


_ALLOWED = {
    "number": _allowed_number,
    "integer": _allowed_number,
    "choice": lambda s: "one of: " + ", ".join(s.choices),
    "text": lambda s: "text",
    "numbers": lambda s: f"one or more numbers, comma-separated, each {_range_words(s)}".strip(),
    "names": lambda s: "names, comma-separated (blank or none: no names)",
    "perspectives": lambda s: "name = category, category; name = category, ... (the categories "
                              "are those of the cost_<category> columns and rewards)",
    "expression": lambda s: "an expression of cycle and n_cycles (custom), e.g. "
                            "if_else(cycle == 1, 1, 0.5), or of t and n_cycles "
                            "(custom_points), e.g. if_else(t == 0 or t == n_cycles, 1/2, 1)",
}


def check_consistency(values: dict, refs: dict, categories, problems: Problems,
                      place: str = "settings") -> None:
    """Settings that must agree with each other (and with the cost categories).

    ``refs`` gives the cell of each key given; a key not in it is reported at ``place``.
    ``categories`` are the model's cost categories: a mapping from each to the cell that
    declares it (a ``cost_<category>`` header or reward cell), or just their names (then a
    category counted in no perspective is reported at the perspectives' cell).
    """
    cycle = values["cycle_length"] * TIME_UNITS[values["cycle_unit"]]
    horizon = values["horizon"] * TIME_UNITS[values["horizon_unit"]]
    n = horizon / cycle
    before = len(problems)
    if abs(n - round(n)) > 1e-6 * max(1.0, n) or round(n) < 1:
        problems.add(refs.get("horizon", place), f"horizon {values['horizon']:g} "
                     f"{values['horizon_unit']}(s) is {n:.4g} cycles of "
                     f"{values['cycle_length']:g} {values['cycle_unit']}(s); it must be a "
                     "whole number of cycles (at least 1)")
    elif round(n) > 20_000:
        problems.add(refs.get("horizon", place),
                     f"horizon is {round(n)} cycles; at most 20,000 allowed")
    if len(problems) == before:  # weights are checked on a whole number of cycles
        check_within_cycle(values, refs, problems, place)
    n = values.get("sobol_n", 1024)
    if n & (n - 1):
        problems.add(refs.get("sobol_n", place), f"sobol_n {n} must be a power of two (e.g. "
                     "1024, 2048, 4096): the Sobol' sequence is balanced only then")
    check_cost_categories(values, refs, categories, problems, place)


def check_within_cycle(values: dict, refs: dict, problems: Problems,
                       place: str = "settings") -> None:
    """The within-cycle method and its weight: the names the weight reads, and its value at
    every cycle or time point (reported at the weight's cell with the cycle or t)."""
    method = values.get("within_cycle", "half_cycle")
    weight = values.get("within_cycle_weight")
    method_cell = refs.get("within_cycle", place)
    cell = refs.get("within_cycle_weight") or method_cell
    if (method in WEIGHT_NAMES) != (weight is not None):
        problems.add(cell, "within_cycle_weight is needed with within_cycle = custom or "
                           "custom_points, and only then")
        return
    n_cycles = int(round(values["horizon"] * TIME_UNITS[values["horizon_unit"]]
                         / (values["cycle_length"] * TIME_UNITS[values["cycle_unit"]])))
    readable = Settings(**values).readable()
    if weight is not None:
        settings_names = {n for n in weight.names if n.startswith("settings.")}
        unknown = sorted(weight.names - WEIGHT_NAMES[method] - settings_names)
        unknown_settings = sorted(n for n in settings_names if n not in readable)
        if unknown or unknown_settings:
            allowed = " and ".join(sorted(WEIGHT_NAMES[method]))
            problems.add(cell, f"within_cycle_weight {weight.text!r} uses "
                         f"{', '.join(unknown + unknown_settings)}; with within_cycle = "
                         f"{method} it may read {allowed} and settings.<name> "
                         f"({', '.join(READABLE)})")
            return
    try:
        counting_weights(method, n_cycles, weight, readable)
    except WeightError as e:
        problems.add(cell, f"{e} (within_cycle = {method})")
    except ValueError as e:
        problems.add(method_cell, f"within_cycle {method}: {e}; use simpson (pairs of "
                                  "cycles, the trapezoid for a last odd cycle) or a horizon of "
                                  "an even number of cycles")


def check_cost_categories(values: dict, refs: dict, categories, problems: Problems,
                          place: str = "settings") -> None:
    """Every cost category is counted in a perspective or deliberately excluded, and the
    perspectives and ``excluded_costs`` name only cost categories of the model.

    A category counted nowhere would silently vanish from every result (a drug cost left
    out of the only perspective makes the new drug look dominant), so it is an error unless
    ``excluded_costs`` lists it. Arguments as for :func:`check_consistency`.
    """
    declared = categories if isinstance(categories, Mapping) else dict.fromkeys(categories)
    known = list(declared)
    perspectives = values.get("perspectives", {})
    perspectives_cell = refs.get("perspectives", place)
    excluded_cell = refs.get("excluded_costs", place)
    misspelt = False
    for name, cats in perspectives.items():
        for c in cats:
            if c not in declared:
                misspelt = True
                problems.add(perspectives_cell,
                             f"perspective '{name}' counts unknown cost category '{c}'; "
                             f"categories (from cost_ columns): {known}")
    counted = {c: name for name, cats in reversed(perspectives.items()) for c in cats}
    excluded = values.get("excluded_costs", ())
    for c in excluded:
        if c not in declared:
            misspelt = True
            problems.add(excluded_cell, f"excluded_costs names unknown cost category '{c}'"
                         f"{suggest(c, known)}; categories (from cost_ columns): {known}")
        elif c in counted:
            problems.add(excluded_cell, f"excluded_costs lists '{c}', which perspective "
                         f"'{counted[c]}' counts; a cost category is either counted in a "
                         "perspective or excluded from all of them")
    if not perspectives or misspelt:  # a misspelt name is the one problem: no cascade
        return
    counted_names = [k for k in known if k in counted]
    for c, cell in declared.items():
        if c not in counted and c not in excluded:
            problems.add(cell or refs.get("perspectives") or refs.get("excluded_costs", place),
                         f"cost category '{c}' (cost_{c}) is counted in no perspective, so it "
                         f"would be left out of every result; the perspectives "
                         f"({perspectives_cell}) count {counted_names}: add it to a "
                         "perspective, or list it in the excluded_costs setting to leave it "
                         "out deliberately")
