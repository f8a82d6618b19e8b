"""Read the ``settings`` sheet against the declared settings (:data:`cea.schema.SETTINGS`)."""

from __future__ import annotations

import difflib
import math

from cea.expressions import ExpressionError, parse
from cea.schema import SETTING_BY_KEY, SETTINGS, Setting
from cea.sheets import Problems, SheetData
from cea.spec import TIME_UNITS, Settings


def read_settings(sheet: SheetData | None, categories, problems: Problems):
    """Validate every setting and build :class:`~cea.spec.Settings` (None if any problem)."""
    raw, refs = {}, {}
    for row in sheet.rows if sheet else []:
        cell = row.cell("setting")
        key = (row.text("setting") or "").strip().lower()
        if key not in SETTING_BY_KEY:
            close = difflib.get_close_matches(key, list(SETTING_BY_KEY), n=1)
            hint = f" (did you mean '{close[0]}'?)" if close else ""
            problems.add(cell.ref, f"unknown setting '{key}'{hint}; known settings: "
                                   f"{', '.join(SETTING_BY_KEY)}")
            continue
        if key in raw:
            problems.add(cell.ref, f"setting '{key}' is given twice (also {refs[key]})")
            continue
        raw[key], refs[key] = row.cell("value").value, row.cell("value").ref
    before = len(problems.items)
    values = {}
    for setting in SETTINGS:
        value = raw.get(setting.key)
        if value is None:
            if setting.required:
                problems.add("settings", f"setting '{setting.key}' is missing: "
                                         f"{setting.doc}")
            elif setting.default is not None:
                values[setting.key] = setting.default
            continue
        parsed = parse_setting(setting, value, refs[setting.key], problems)
        if parsed is not None:
            values[setting.key] = parsed
    if len(problems.items) > before:
        return None
    _check_consistency(values, refs, categories, problems)
    if len(problems.items) > before:
        return None
    return Settings(**values)


def parse_setting(setting: Setting, value, ref: str, problems: Problems):
    parser = _PARSERS[setting.kind]
    try:
        return parser(setting, value)
    except ValueError as e:
        problems.add(ref, f"{setting.key} {value!r}: {e}")
        return None


def _number(setting: Setting, value) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        try:
            value = float(str(value).replace(",", ""))
        except ValueError:
            raise ValueError("must be a number") from None
    value = float(value)
    if not math.isfinite(value):
        raise ValueError("must be a finite number")
    if setting.low is not None and value < setting.low or \
            setting.high is not None and value > setting.high:
        raise ValueError(f"must be in [{setting.low:g}, "
                         f"{setting.high if setting.high is not None else math.inf:g}]")
    if setting.kind == "number" and setting.low == 0 and setting.key in (
            "cycle_length", "horizon") and value == 0:
        raise ValueError("must be greater than 0")
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
    try:
        expression = parse(value)
    except ExpressionError as e:
        raise ValueError(str(e)) from None
    unknown = expression.names - {"cycle"}
    if unknown or expression.lookups:
        raise ValueError(f"may only use cycle; got {sorted(unknown)}")
    return expression


_PARSERS = {
    "number": _number,
    "integer": _integer,
    "choice": _choice,
    "text": _text,
    "numbers": _numbers,
    "perspectives": _perspectives,
    "expression": _expression,
}


def _check_consistency(values: dict, refs: dict, categories, problems: Problems) -> None:
    cycle = values["cycle_length"] * TIME_UNITS[values["cycle_unit"]]
    horizon = values["horizon"] * TIME_UNITS[values["horizon_unit"]]
    n = horizon / cycle
    if abs(n - round(n)) > 1e-6 * max(1.0, n) or round(n) < 1:
        problems.add(refs["horizon"], f"horizon {values['horizon']:g} "
                     f"{values['horizon_unit']}(s) is {n:.4g} cycles of "
                     f"{values['cycle_length']:g} {values['cycle_unit']}(s); it must be a "
                     "whole number of cycles (at least 1)")
    elif round(n) > 20_000:
        problems.add(refs["horizon"], f"horizon is {round(n)} cycles; at most 20,000 allowed")
    custom = values.get("within_cycle") == "custom"
    if custom != ("within_cycle_weight" in values):
        where = refs.get("within_cycle_weight") or refs.get("within_cycle") or "settings"
        problems.add(where, "within_cycle_weight is needed with within_cycle = custom, and "
                            "only then")
    for name, cats in values.get("perspectives", {}).items():
        for c in cats:
            if c not in categories:
                problems.add(refs["perspectives"], f"perspective '{name}' counts unknown cost "
                             f"category '{c}'; categories (from cost_ columns): {categories}")
