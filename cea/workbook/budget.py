"""Read the optional ``budget`` sheet into a :class:`~cea.model.spec.Budget`.

One row per item (:data:`cea.model.budget_items.BUDGET_ITEMS`); a yearly item's ``year``
is blank for every year or a year 1..years, and a given year's row overrides the blank
one. Every problem names its cell, what was found and what is allowed.
"""

from __future__ import annotations

from cea.model.budget_items import ENTRY, ITEM_BY_KEY, MAX_YEARS
from cea.model.problems import Problems, suggest
from cea.model.spec import WORLDS, Budget, BudgetValue
from cea.workbook.cells import Row, SheetData

__all__ = ["read_budget"]

_COLUMNS = ("item", "strategy", "state", "year", "value", "low", "high", "description",
            "source")


def read_budget(sheet: SheetData | None, strategies, states, settings,
                problems: Problems) -> Budget | None:
    """The budget inputs, validated against the model's strategies, states and settings
    (None without a budget sheet or with an empty one, or when a problem was found)."""
    if sheet is None or not sheet.rows:
        return None
    before = len(problems)
    for header in sheet.headers:
        if header not in _COLUMNS:
            problems.add(sheet.header_ref(header), f"unknown column '{header}'; allowed: "
                         f"{', '.join(_COLUMNS)}")
    rows: dict[str, list[Row]] = {}
    for row in sheet.rows:
        key = (row.text("item") or "").strip().lower()
        if key not in ITEM_BY_KEY:
            problems.add(row.cell("item").ref, f"unknown budget item {key!r}"
                         f"{suggest(key, ITEM_BY_KEY)}; items: {', '.join(ITEM_BY_KEY)}")
            continue
        if not ITEM_BY_KEY[key].repeated and key in rows:
            problems.add(row.cell("item").ref, f"budget item '{key}' is given twice (also "
                                               f"{rows[key][0].cell('item').ref})")
            continue
        rows.setdefault(key, []).append(row)
    names = [s.name for s in strategies]
    if not names:
        return None  # the strategies sheet's own problem, reported there
    years = _years(rows.get("years"), problems)
    new_strategy = _choice(rows.get("new_strategy"), names[1:], names[1] if len(names) > 1
                           else "", "a strategy of the base case other than the comparator "
                           f"'{names[0]}'", problems)
    perspectives = list(settings.perspectives) if settings else []
    perspective = _choice(rows.get("perspective") if settings else None, perspectives,
                          perspectives[0] if perspectives else "", "a perspective of the "
                          "settings", problems)  # broken settings: reported there
    entry = _choice(rows.get("entry"), list(ENTRY), "spread", " or ".join(ENTRY), problems)
    discount = _scalar(rows.get("discount"), 0.0, problems)
    if discount is not None and not 0 <= discount < 1:
        problems.add(rows["discount"][0].cell("value").ref,
                     f"discount {discount:g} must be a rate in [0, 1), e.g. 0.05")
    price_year = _scalar(rows.get("price_year"), settings.price_year if settings else None,
                         problems)
    if years is None:
        return None
    eligible = _yearly(rows.get("eligible", []), years, "eligible", problems)
    if not rows.get("eligible"):
        problems.add(f"{sheet.name}!A1", "no 'eligible' row: the budget needs the number of "
                                         "people eligible each year")
    uptake = {world: _uptake(rows.get(f"uptake_{world}", []), names, years, world, problems)
              for world in WORLDS}
    if not rows.get("uptake_with"):
        problems.add(f"{sheet.name}!A1", "no 'uptake_with' row: the budget needs the share "
                                         "on the new strategy in the world with it")
    _check_shares(uptake, names, years, problems)
    existing, existing_cell = _existing(rows.get("existing", []), states, problems)
    if len(problems) > before:
        return None
    cells = {key: found[0].cell("value").ref for key, found in rows.items()}
    return Budget(years, eligible, uptake, new_strategy, perspective, existing, existing_cell,
                  discount, entry, int(price_year) if price_year is not None else None, cells)


def _years(rows, problems: Problems) -> int | None:
    if not rows:
        return 5
    row = rows[0]
    value = row.integer("value")
    if value is None:
        if row.cell("value").value is None:
            problems.add(row.cell("value").ref, "years is empty; a whole number is required")
        return None
    if not 1 <= value <= MAX_YEARS:
        problems.add(row.cell("value").ref, f"years {value} must be from 1 to {MAX_YEARS}")
        return None
    return value


def _choice(rows, allowed: list[str], default: str, words: str, problems: Problems) -> str:
    if not rows:
        return default
    cell = rows[0].cell("value")
    value = (rows[0].text("value") or "").strip()
    if value not in allowed:
        problems.add(cell.ref, f"{value!r}{suggest(value, allowed)} is not {words}; allowed: "
                               f"{', '.join(allowed) or 'none'}")
        return default
    return value


def _scalar(rows, default, problems: Problems):
    if not rows:
        return default
    return rows[0].number("value", required=True)


def _value(row: Row, what: str, low: float, high: float, problems: Problems
           ) -> BudgetValue | None:
    """A row's number and its range, each within [low, high], with low <= value <= high."""
    value = row.number("value", required=True)
    lo, hi = row.number("low"), row.number("high")
    bad = False
    for column, v in (("value", value), ("low", lo), ("high", hi)):
        if v is not None and not low <= v <= high:
            bounds = f"in [{low:g}, {high:g}]" if high < float("inf") else f">= {low:g}"
            problems.add(row.cell(column).ref, f"{what} {column} {v:g} must be {bounds}")
            bad = True
    if (lo is None) != (hi is None):
        problems.add(row.cell("low").ref, f"{what}: give both low and high, or neither")
        bad = True
    elif lo is not None and value is not None and not lo <= value <= hi:
        problems.add(row.cell("low").ref, f"{what}: low {lo:g}, value {value:g} and high "
                                          f"{hi:g} must be in increasing order")
        bad = True
    if value is None or bad:
        return None
    return BudgetValue(value, lo, hi, row.text("description") or "", row.text("source") or "",
                       row.cell("value").ref)


def _yearly(rows: list[Row], years: int, what: str, problems: Problems, low: float = 0.0,
            high: float = float("inf"), default: BudgetValue | None = None
            ) -> tuple[BudgetValue, ...]:
    """One value per budget year: a year's own row, else the blank-year row, else
    ``default`` (an error if there is none)."""
    every, by_year, seen = None, {}, {}
    for row in rows:
        year_cell = row.cell("year")
        year = row.integer("year") if year_cell.value is not None else None
        if year_cell.value is not None and year is None:
            continue
        if year is not None and not 1 <= year <= years:
            problems.add(year_cell.ref, f"year {year} must be from 1 to {years} (the budget's "
                                        "years); blank for every year")
            continue
        if year in seen:
            label = f"year {year}" if year else "every year (blank year)"
            problems.add(year_cell.ref, f"{what} for {label} is given twice (also {seen[year]})")
            continue
        seen[year] = year_cell.ref
        value = _value(row, what, low, high, problems)
        if value is None:
            continue
        if year is None:
            every = value
        else:
            by_year[year] = value
    values = []
    for y in range(1, years + 1):
        value = by_year.get(y, every if every is not None else default)
        if value is None:
            if rows:
                problems.add(rows[0].cell("year").ref, f"{what} has no value for year {y}; "
                                                       "give each year or a blank-year row")
            return ()
        values.append(value)
    return tuple(values)


def _uptake(rows: list[Row], names: list[str], years: int, world: str,
            problems: Problems) -> dict[str, tuple[BudgetValue, ...]]:
    by_strategy: dict[str, list[Row]] = {}
    for row in rows:
        name = (row.text("strategy") or "").strip()
        if name == names[0]:
            problems.add(row.cell("strategy").ref, f"'{name}' is the comparator: it takes the "
                         "share the other strategies do not have; give the others' shares")
        elif name not in names:
            problems.add(row.cell("strategy").ref, f"{name!r}{suggest(name, names)} is not a "
                         f"strategy of the base case; strategies: {', '.join(names[1:])}")
        else:
            by_strategy.setdefault(name, []).append(row)
    zero = BudgetValue(0.0, description="not given: none")
    return {name: _yearly(by_strategy.get(name, []), years, f"uptake_{world} of '{name}'",
                          problems, 0.0, 1.0, zero)
            for name in names[1:]}


def _check_shares(uptake, names, years: int, problems: Problems) -> None:
    """The other strategies' shares leave the comparator a share >= 0, at the value and at
    the high end of each range."""
    for world, shares in uptake.items():
        if any(len(v) != years for v in shares.values()):
            continue  # reported already
        for y in range(years):
            for end in ("value", "high"):
                total = sum((getattr(v[y], end) if getattr(v[y], end) is not None
                             else v[y].value) for v in shares.values())
                if total > 1 + 1e-12:
                    cells = ", ".join(v[y].cell for v in shares.values() if v[y].cell)
                    problems.add(cells or "budget", f"uptake_{world} in year {y + 1}: the "
                                 f"strategies' {'shares' if end == 'value' else 'high shares'}"
                                 f" sum to {total:g}, more than 1; at most 1, the comparator "
                                 f"'{names[0]}' taking the rest")
                    break


def _existing(rows: list[Row], states, problems: Problems) -> tuple[dict[str, float], str]:
    names = [s.name for s in states]
    counts: dict[str, float] = {}
    for row in rows:
        name = (row.text("state") or "").strip()
        if name not in names:
            problems.add(row.cell("state").ref, f"{name!r}{suggest(name, names)} is not a "
                                                f"state; states: {', '.join(names)}")
            continue
        if name in counts:
            problems.add(row.cell("state").ref, f"existing people in '{name}' are given twice")
            continue
        value = row.number("value", required=True)
        if value is not None and value < 0:
            problems.add(row.cell("value").ref, f"existing {value:g} must be >= 0")
        elif value is not None:
            counts[name] = value
    return counts, (rows[0].cell("value").ref if rows else "")
