"""The names an expression may read, and the one check of an expression's names.

Every reader of an expression (the parameters, states, strategies, transitions,
transition rewards, scenarios, calibration targets and settings) parses it with
:func:`checked` or checks an already parsed one with :func:`check_names`, so an
unknown name, table or column is reported the same way everywhere.
"""

from __future__ import annotations

import keyword
import re
from collections.abc import Collection, Mapping

from cea.model.expressions import RESERVED_NAMES, Expression, ExpressionError, Table, parse
from cea.model.problems import Problems, suggest
from cea.model.settings import READABLE

#: Names of model time that an expression may read besides the parameters.
TIME_NAMES = frozenset({"cycle", "year", "cycle_years", "state_time"})
#: Time names of expressions that do not run inside a state (no tunnel time).
MODEL_TIME = TIME_NAMES - {"state_time"}
#: Longest name of a parameter, state, table or strategy.
MAX_NAME = 64
#: A name: ASCII letters, digits and underscores, starting with a letter (a letter of
#: another alphabet that looks Latin would make a second, different name).
NAME = re.compile(r"[A-Za-z][A-Za-z0-9_]*\Z")
#: Words of Python that cannot be names (None, True, lambda, import, ...).
KEYWORDS = frozenset(keyword.kwlist) | frozenset(keyword.softkwlist)


def check_names(expression: Expression, where: str, problems: Problems, *,
                known: Collection[str], tables: Mapping[str, Table] | None = None,
                time: Collection[str] = TIME_NAMES, what: str = "value") -> bool:
    """Report every name, table and column of ``expression`` that does not exist.

    Parameters
    ----------
    expression : Expression
    where : str
        The cell (``sheet!B7``) the expression came from.
    problems : Problems
    known : collection of str
        Parameter names the expression may read.
    tables : mapping of name to Table, optional
        Tables for ``lookup`` and ``interpolate`` (none if omitted).
    time : collection of str
        The time names allowed here (default all of :data:`TIME_NAMES`).
    what : str
        How the message names the expression (e.g. ``value of 'p_x'``).

    Returns
    -------
    bool
        True if every name is known (tables and columns may still be reported).
    """
    tables = tables or {}
    settings = sorted(n for n in expression.names if n.startswith("settings."))
    for name in settings:
        key = name.removeprefix("settings.")
        if key not in READABLE:
            problems.add(where, f"{what} {expression.text!r} reads unknown setting '{key}'"
                                f"{suggest(key, READABLE)}; an expression can read "
                                f"{', '.join('settings.' + k for k in READABLE)}")
    unknown = sorted(n for n in expression.names
                     if n not in known and n not in time and n not in settings)
    for name in unknown:
        hint = " (time is not allowed here)" if name in TIME_NAMES else suggest(name, known)
        problems.add(where, f"{what} {expression.text!r} uses unknown name '{name}'{hint}; "
                            "names must be parameters of the parameters sheet")
    unknown += [n for n in settings if n.removeprefix("settings.") not in READABLE]
    for table, column in sorted(expression.lookups):
        if table not in tables:
            problems.add(where, f"{what} uses unknown table '{table}'{suggest(table, tables)}; "
                                "tables are defined in the tables sheet")
        elif column not in tables[table].columns:
            problems.add(where, f"{what} uses unknown column '{column}' of table '{table}'; "
                                f"it has {sorted(tables[table].columns)}")
    return not unknown


def checked(source, where: str, problems: Problems, *, known: Collection[str],
            tables: Mapping[str, Table] | None = None, time: Collection[str] = TIME_NAMES,
            what: str = "value") -> Expression | None:
    """Parse ``source`` and check its names; None (with the problems added) if it fails."""
    try:
        expression = parse(source)
    except ExpressionError as e:
        problems.add(where, f"{what} {source!r} is not a valid expression: {e}")
        return None
    if not check_names(expression, where, problems, known=known, tables=tables, time=time,
                       what=what):
        return None
    return expression


def identifier(value, where: str, problems: Problems, what: str, *,
               reserved: bool = True) -> str | None:
    """``value`` if it is a valid name (ASCII letters, digits and underscores, starting with
    a letter; not a word of Python such as ``None`` or ``lambda``; not a reserved word of
    the expressions unless ``reserved`` is False), else None with the problem."""
    if isinstance(value, str) and len(value) > MAX_NAME:
        problems.add(where, f"{what} has {len(value):,} characters; at most {MAX_NAME}")
        return None
    if not isinstance(value, str) or not NAME.match(value):
        odd = sorted({c for c in value if not (c.isascii() and (c.isalnum() or c == "_"))}) \
            if isinstance(value, str) else []
        found = (f" (it contains {', '.join(f'{c!r} U+{ord(c):04X}' for c in odd[:3])})"
                 if odd else "")
        problems.add(where, f"{what} {value!r} is not a valid name{found}; use ASCII letters, "
                            "digits and underscores, starting with a letter")
        return None
    if value in KEYWORDS:
        problems.add(where, f"{what} '{value}' is a word of the expression language's syntax "
                            "(like None, True, lambda or import); choose another name")
        return None
    if reserved and value in RESERVED_NAMES:
        problems.add(where, f"{what} '{value}' is a reserved word; choose another name")
        return None
    return value
