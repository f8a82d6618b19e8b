"""Read the ``settings`` sheet against the declared settings (:mod:`cea.model.setting_rules`)."""

from __future__ import annotations

from cea.model.problems import Problems, suggest
from cea.model.setting_rules import SETTING_BY_KEY, SETTINGS, check_consistency, parse_setting
from cea.model.settings import Settings
from cea.workbook.cells import SheetData


def read_settings(sheet: SheetData | None, categories, problems: Problems) -> Settings | None:
    """Validate every setting and build :class:`~cea.model.settings.Settings` (None if any
    problem). ``categories`` maps each cost category to the cell that declares it, so that a
    category counted in no perspective is reported there."""
    raw, refs = {}, {}
    for row in sheet.rows if sheet else []:
        cell = row.cell("setting")
        key = (row.text("setting") or "").strip().lower()
        if key not in SETTING_BY_KEY:
            problems.add(cell.ref, f"unknown setting '{key}'{suggest(key, SETTING_BY_KEY)}; "
                                   f"known settings: {', '.join(SETTING_BY_KEY)}")
            continue
        if key in raw:
            problems.add(cell.ref, f"setting '{key}' is given twice (also {refs[key]})")
            continue
        raw[key], refs[key] = row.cell("value").value, row.cell("value").ref
    before = len(problems)
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
    if len(problems) > before:
        return None
    check_consistency(values, refs, categories, problems)
    if len(problems) > before:
        return None
    return Settings(**values)
