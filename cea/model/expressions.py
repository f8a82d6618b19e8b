"""Safe, vectorised expression language used in input workbook cells.

Expressions such as ``1 - exp(-r_death * cycle_years)`` or
``weibull_prob(k_recur, scale_recur, year, year + cycle_years, hr_al)`` are parsed
with :func:`ast.parse` and checked node by node against a whitelist; nothing is
ever passed to ``eval``, ``exec`` or ``compile``. The checked tree is turned once
into a tree of small closures that evaluate with numpy, so a parameter shaped
``(rows, 1, 1)`` combined with ``cycle`` shaped ``(1, cycles, 1)`` broadcasts to
``(rows, cycles, 1)``.

Grammar
-------
Numbers (finite), names (ASCII identifiers not starting with ``_``), settings read as
``settings.<name>`` (e.g. ``settings.discount_costs``), ``+ - * /``,
power written ``^`` or ``**``, comparisons ``< <= > >= == !=`` (chains allowed),
``and``, ``or``, ``not``, parentheses and calls of the functions below with
positional arguments. Precedence is mathematical: ``-2^2`` is -4, ``2*3^2`` is 18
and ``2^3^2`` is 2^9. Comparisons and boolean operators give 1.0 (true) or 0.0
(false) elementwise, so ``(cycle <= 2) * c`` works; any non-zero value (NaN
included) counts as true. Evaluation never raises numpy warnings: ``log(-1)`` is
NaN and ``1/0`` is inf; the engine checks results afterwards.

Functions
---------
exp(x), log(x) (natural), sqrt(x), abs(x), floor(x), ceil(x)
    Elementwise numpy functions.
min(a, b, ...), max(a, b, ...)
    Elementwise minimum / maximum of two or more arguments.
if_else(cond, a, b)
    ``a`` where ``cond != 0``, else ``b``.
rate_to_prob(rate[, duration])
    ``1 - exp(-rate * duration)``; annual rate, duration in years (default
    ``cycle_years``).
prob_to_rate(prob[, duration])
    ``-log(1 - prob) / duration``; probability over ``duration`` years (default 1)
    to an annual rate.
prob_to_prob(prob[, duration])
    ``1 - (1 - prob) ^ (cycle_years / duration)``; probability over ``duration``
    years (default 1) to a per-cycle probability.
apply_hr(prob, hr)
    ``1 - (1 - prob) ^ hr``; a hazard ratio acts on the rate, not the probability.
weibull_prob(shape, scale, t0, t1[, hr])
    ``1 - exp(-hr * (H(t1) - H(t0)))`` with ``H(t) = (t / scale) ^ shape``: the
    probability of the event in (t0, t1] given event-free at t0 (t0 >= 0, hr
    default 1).
gompertz_prob(shape, rate, t0, t1[, hr])
    Same with ``H(t) = rate / shape * (exp(shape * t) - 1)``, or ``rate * t`` when
    ``shape == 0``.
lookup(table, column, key)
    Step function: the column value of the row with the largest table key <= key;
    NaN below the first key, the last value above the last key.
interpolate(table, column, key)
    Linear interpolation between table keys; NaN outside [first key, last key].

The formulas are evaluated with ``expm1``/``log1p`` where that is more accurate;
the values equal the formulas above.
"""

from __future__ import annotations

import ast
import functools
import math
import operator
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

import numpy as np

from cea.model.functions import FUNCTIONS

__all__ = ["FUNCTIONS", "RESERVED_NAMES", "Expression", "ExpressionError", "Table", "parse"]

_MAX_LENGTH = 2000
_MAX_DEPTH = 60
_MAX_NODES = 1000
_Evaluator = Callable[[Mapping[str, Any], Mapping[str, "Table"]], Any]


class ExpressionError(ValueError):
    """A problem in an expression; the message says what was found and what is allowed.

    The message carries no location: the caller adds the sheet and cell.
    """


class _UnknownNameError(ExpressionError, KeyError):
    """A name missing from the namespace at evaluation time (also a ``KeyError``)."""

    __str__ = BaseException.__str__


@dataclass(frozen=True, eq=False)
class Table:
    """A lookup table used by ``lookup()`` and ``interpolate()``.

    Parameters
    ----------
    name : str
        Table name as written in expressions.
    keys : numpy.ndarray
        1-D, finite, strictly increasing float keys.
    columns : Mapping[str, numpy.ndarray]
        Column name to a 1-D float array of the same length as ``keys``.
    """

    name: str
    keys: np.ndarray
    columns: Mapping[str, np.ndarray]

    def __post_init__(self) -> None:
        keys = np.asarray(self.keys, dtype=np.float64)
        if keys.ndim != 1 or keys.size == 0 or not np.all(np.isfinite(keys)):
            raise ValueError(f"table '{self.name}': keys must be a non-empty 1-D finite array")
        if np.any(np.diff(keys) <= 0):
            raise ValueError(f"table '{self.name}': keys must be strictly increasing")
        columns = {}
        for column, values in self.columns.items():
            values = np.asarray(values, dtype=np.float64)
            if values.shape != keys.shape:
                raise ValueError(
                    f"table '{self.name}': column '{column}' has shape {values.shape}; "
                    f"keys have shape {keys.shape}"
                )
            columns[column] = values
        object.__setattr__(self, "keys", keys)
        object.__setattr__(self, "columns", MappingProxyType(columns))


RESERVED_NAMES: frozenset[str] = frozenset(
    {"cycle", "year", "cycle_years", "state_time", "C", "strategy", "settings"}
) | frozenset(FUNCTIONS)

_BINARY = {ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul,
           ast.Div: operator.truediv, ast.Pow: operator.pow}
_UNARY = {ast.USub: operator.neg, ast.UAdd: operator.pos,
          ast.Not: lambda v: np.asarray(v == 0, dtype=np.float64)}
_COMPARE = {ast.Lt: operator.lt, ast.LtE: operator.le, ast.Gt: operator.gt,
            ast.GtE: operator.ge, ast.Eq: operator.eq, ast.NotEq: operator.ne}
_REFUSED = {
    ast.Attribute: "attribute access (a.b) is not allowed; the one dotted name is "
                   "settings.<name>, e.g. settings.discount_costs",
    ast.Subscript: "subscripts (a[i]) are not allowed; use lookup(table, column, key)",
    ast.Lambda: "lambda functions are not allowed",
    ast.IfExp: "conditional expressions (a if b else c) are not allowed; "
               "use if_else(cond, a, b)",
    ast.NamedExpr: "assignment expressions (:=) are not allowed",
    ast.JoinedStr: "f-strings are not allowed; expressions are numeric",
    ast.Starred: "unpacking (*x) is not allowed",
    ast.Mod: "the % operator is not allowed; write 5% as 0.05 or x / 100",
    ast.FloorDiv: "integer division (//) is not allowed; use floor(a / b)",
    ast.MatMult: "matrix multiplication (@) is not allowed",
    ast.Invert: "bitwise operator '~' is not allowed; use 'not'",
}
for _t in (ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp):
    _REFUSED[_t] = "comprehensions ([x for x in y]) are not allowed"
for _t in (ast.List, ast.Tuple, ast.Set, ast.Dict):
    _REFUSED[_t] = "lists, tuples, sets and dicts are not allowed"
for _t, _s in ((ast.BitAnd, "&"), (ast.BitOr, "|"), (ast.BitXor, "^"), (ast.LShift, "<<"),
               (ast.RShift, ">>")):
    _REFUSED[_t] = f"bitwise operator '{_s}' is not allowed; use 'and', 'or', 'not'"
for _t in (ast.Await, ast.Yield, ast.YieldFrom):
    _REFUSED[_t] = "await and yield are not allowed"
_HINTS = {"\u2212": "-", "\u2013": "-", "\u00d7": "*", "\u00f7": "/", "\u2264": "<=",
          "\u2265": ">=", "\u2260": "!="}
_NO_TABLES: Mapping[str, Table] = MappingProxyType({})


@dataclass(frozen=True)
class Expression:
    """A parsed, checked expression, ready to evaluate on numpy arrays.

    Attributes
    ----------
    text : str
        The original text (stripped), or the repr of a number.
    names : frozenset of str
        Every variable name read, including reserved names such as ``cycle`` and
        ``cycle_years`` read implicitly by functions; not function, table or
        column names.
    lookups : frozenset of (str, str)
        ``(table, column)`` pairs used by ``lookup()`` and ``interpolate()``.
    """

    text: str
    names: frozenset[str]
    lookups: frozenset[tuple[str, str]]
    _evaluator: _Evaluator = field(repr=False, compare=False)
    _constant: float | None = field(default=None, repr=False, compare=False)

    def __reduce__(self) -> tuple[Any, ...]:
        """Pickle by text: the compiled closures are rebuilt by :func:`parse`."""
        return (parse, (self.text,))

    @property
    def constant(self) -> float | None:
        """The value if the expression is a plain number (after unary minus), else None."""
        return self._constant

    def evaluate(
        self,
        namespace: Mapping[str, np.ndarray | float],
        tables: Mapping[str, Table] = _NO_TABLES,
    ) -> np.ndarray | float:
        """Evaluate elementwise with numpy broadcasting.

        Parameters
        ----------
        namespace : Mapping[str, numpy.ndarray or float]
            Values of every name in :attr:`names`; arrays must broadcast together.
        tables : Mapping[str, Table], optional
            Tables used by ``lookup()`` and ``interpolate()``.

        Returns
        -------
        numpy.ndarray or float
            A float64 array of the broadcast shape, or a float for 0-d results.

        Raises
        ------
        ExpressionError
            For a missing name (also a ``KeyError``), table or column, or a
            non-numeric value.
        """
        with np.errstate(all="ignore"):
            result = np.asarray(self._evaluator(namespace, tables), dtype=np.float64)
        return float(result) if result.ndim == 0 else result


def parse(source: str | int | float) -> Expression:
    """Parse and check an expression from a workbook cell.

    Parameters
    ----------
    source : str, int or float
        Expression text (``^`` means power) or a number from a numeric cell.

    Returns
    -------
    Expression
        The compiled expression.

    Raises
    ------
    ExpressionError
        If the text is empty, too long, too deep, not valid syntax, or uses
        anything outside the whitelist; or if a number is not finite.
    """
    if source is None:
        raise ExpressionError("expression is empty")
    if isinstance(source, (bool, np.bool_)):
        raise ExpressionError("expression must be a number or text, not TRUE/FALSE")
    if isinstance(source, (int, float, np.integer, np.floating)):
        shown = str(source) if len(str(source)) <= 15 else f"{str(source)[:12]}..."
        value = _finite(source, f"the number {shown} is not allowed")
        text = repr(int(source)) if isinstance(source, (int, np.integer)) else repr(value)
        const = np.float64(value)
        return Expression(text, frozenset(), frozenset(), lambda ns, tb: const, value)
    if not isinstance(source, str):
        raise ExpressionError(f"expression must be text or a number, not {type(source).__name__}")
    text = source.strip()
    tree = _parse_tree(text)
    compiler = _Compiler()
    evaluator = compiler.compile(tree.body)
    if isinstance(tree.body, ast.Name):  # never hand back the caller's own array
        evaluator = _copying(evaluator)
    return Expression(text, frozenset(compiler.names), frozenset(compiler.lookups),
                      evaluator, _constant_value(tree.body))


def _finite(value: Any, problem: str) -> float:
    try:
        result = float(value)
    except OverflowError:
        result = math.inf
    if not math.isfinite(result):
        raise ExpressionError(f"{problem}; it must be a finite number")
    return result


def _parse_tree(text: str) -> ast.Expression:
    """Check the raw text, replace ``^`` by ``**``, parse and check size and depth."""
    if not text:
        raise ExpressionError("expression is empty")
    if len(text) > _MAX_LENGTH:
        raise ExpressionError(f"expression is too long: {len(text):,} characters; "
                              f"at most {_MAX_LENGTH:,} allowed")
    text = "".join(" " if ch.isspace() else ch for ch in text)
    for i, ch in enumerate(text, start=1):
        if not " " <= ch <= "~":
            hint = f"; use '{_HINTS[ch]}'" if ch in _HINTS else ""
            raise ExpressionError(f"character {ch!r} (U+{ord(ch):04X}) at character {i} is not "
                                  f"allowed; expressions use plain ASCII{hint}")
    if "#" in text:
        raise ExpressionError("'#' is not allowed (comments are not part of expressions)")
    if text.startswith("="):
        raise ExpressionError("write the expression without a leading '='")
    _check_brackets(text)
    source = text.replace("^", "**")
    try:
        tree = ast.parse(source, mode="eval")
    except SyntaxError as exc:
        raise ExpressionError(_syntax_message(text, exc)) from None
    except (RecursionError, MemoryError, ValueError):
        raise ExpressionError("expression is too complex to parse") from None
    _check_size(tree.body)
    return tree


def _check_brackets(text: str) -> None:
    depth = 0
    for ch in text:
        depth += (ch in "([{") - (ch in ")]}")
        if depth > _MAX_DEPTH:
            raise ExpressionError(f"expression is nested too deeply: more than {_MAX_DEPTH} "
                                  "levels of parentheses")


def _syntax_message(text: str, exc: SyntaxError) -> str:
    positions = [i for i, ch in enumerate(text) for _ in range(2 if ch == "^" else 1)]
    offset = exc.offset or 0
    if offset <= 0 or offset > len(positions):
        return f"syntax error at the end of the expression: {exc.msg}"
    return f"syntax error at character {positions[offset - 1] + 1}: {exc.msg}"


def _check_size(root: ast.AST) -> None:
    inert = (ast.expr_context, ast.operator, ast.unaryop, ast.cmpop, ast.boolop)
    stack, count = [(root, 1)], 0
    while stack:
        node, depth = stack.pop()
        count += 1
        if depth > _MAX_DEPTH:
            raise ExpressionError(f"expression is nested too deeply: more than {_MAX_DEPTH} "
                                  "levels of operations; split it into derived parameters")
        if count > _MAX_NODES:
            raise ExpressionError(f"expression is too large: more than {_MAX_NODES:,} "
                                  "elements")
        children = ast.iter_child_nodes(node)
        stack.extend((c, depth + 1) for c in children if not isinstance(c, inert))


def _constant_value(node: ast.expr) -> float | None:
    sign = 1.0
    while isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
        sign = -sign if isinstance(node.op, ast.USub) else sign
        node = node.operand
    return sign * float(node.value) if isinstance(node, ast.Constant) else None


def _copying(evaluator: _Evaluator) -> _Evaluator:
    return lambda ns, tb: np.array(evaluator(ns, tb), dtype=np.float64)


def _refuse(node: ast.AST) -> ExpressionError:
    message = _REFUSED.get(type(node))
    if message is None:
        message = f"{type(node).__name__} is not allowed in expressions"
    return ExpressionError(message)


def _check_identifier(name: str) -> None:
    if name.startswith("_"):
        raise ExpressionError(f"names may not start with an underscore: '{name}'")


class _Compiler:
    """Turn a checked AST into a tree of closures ``f(namespace, tables)``."""

    def __init__(self) -> None:
        self.names: set[str] = set()
        self.lookups: set[tuple[str, str]] = set()

    def compile(self, node: ast.AST) -> _Evaluator:
        method = getattr(self, f"_{type(node).__name__}", None)
        if method is None:
            raise _refuse(node)
        return method(node)

    def _Constant(self, node: ast.Constant) -> _Evaluator:
        value = node.value
        if isinstance(value, str):
            raise ExpressionError("text (string literals) is not allowed; expressions are numeric")
        if value is None or isinstance(value, bool):
            raise ExpressionError(f"{value} is not allowed; use 1 and 0 for true and false")
        if not isinstance(value, (int, float)):
            raise ExpressionError(f"{type(value).__name__} literals are not allowed; "
                                  "only real numbers")
        const = np.float64(_finite(value, "a number in the expression is too large"))
        return lambda ns, tb: const

    def _Name(self, node: ast.Name) -> _Evaluator:
        _check_identifier(node.id)
        if node.id in FUNCTIONS:
            raise ExpressionError(f"'{node.id}' is a function; call it with arguments, "
                                  f"e.g. {FUNCTIONS[node.id].signature}")
        return self._read(node.id)

    def _Attribute(self, node: ast.Attribute) -> _Evaluator:
        """``settings.<name>``: a setting, read as the name ``settings.<name>``."""
        if not (isinstance(node.value, ast.Name) and node.value.id == "settings"):
            raise _refuse(node)
        _check_identifier(node.attr)
        return self._read(f"settings.{node.attr}")

    def _read(self, name: str) -> _Evaluator:
        self.names.add(name)

        def read(ns: Mapping[str, Any], tb: Mapping[str, Table]) -> Any:
            try:
                value = ns[name]
            except KeyError:
                raise _UnknownNameError(f"unknown name '{name}'") from None
            try:
                return np.asarray(value, dtype=np.float64)
            except (TypeError, ValueError):
                raise ExpressionError(f"value of '{name}' is not a number") from None

        return read

    def _BinOp(self, node: ast.BinOp) -> _Evaluator:
        op = _BINARY.get(type(node.op))
        if op is None:
            raise _refuse(node.op)
        left, right = self.compile(node.left), self.compile(node.right)
        return lambda ns, tb: op(left(ns, tb), right(ns, tb))

    def _UnaryOp(self, node: ast.UnaryOp) -> _Evaluator:
        op = _UNARY.get(type(node.op))
        if op is None:
            raise _refuse(node.op)
        operand = self.compile(node.operand)
        return lambda ns, tb: op(operand(ns, tb))

    def _BoolOp(self, node: ast.BoolOp) -> _Evaluator:
        combine = np.logical_and if isinstance(node.op, ast.And) else np.logical_or
        parts = [self.compile(value) for value in node.values]

        def boolop(ns: Mapping[str, Any], tb: Mapping[str, Table]) -> Any:
            truths = [part(ns, tb) != 0 for part in parts]
            return np.asarray(functools.reduce(combine, truths), dtype=np.float64)

        return boolop

    def _Compare(self, node: ast.Compare) -> _Evaluator:
        ops = []
        for op in node.ops:
            if type(op) not in _COMPARE:
                raise ExpressionError("'in' and 'is' are not allowed; compare with "
                                      "<, <=, >, >=, ==, !=")
            ops.append(_COMPARE[type(op)])
        operands = [self.compile(n) for n in (node.left, *node.comparators)]

        def compare(ns: Mapping[str, Any], tb: Mapping[str, Table]) -> Any:
            values = [operand(ns, tb) for operand in operands]
            result = ops[0](values[0], values[1])
            for i in range(1, len(ops)):
                result = np.logical_and(result, ops[i](values[i], values[i + 1]))
            return np.asarray(result, dtype=np.float64)

        return compare

    def _Call(self, node: ast.Call) -> _Evaluator:
        if not isinstance(node.func, ast.Name):
            raise ExpressionError("only the listed functions can be called, by name, e.g. exp(x)")
        name = node.func.id
        spec = FUNCTIONS.get(name)
        if spec is None:
            raise ExpressionError(f"unknown function '{name}'; allowed: {', '.join(FUNCTIONS)}")
        if node.keywords:
            raise ExpressionError(f"keyword arguments are not allowed in {name}(); "
                                  "pass arguments by position")
        if any(isinstance(arg, ast.Starred) for arg in node.args):
            raise ExpressionError(_REFUSED[ast.Starred])
        count = len(node.args)
        if count < spec.min_args or (spec.max_args is not None and count > spec.max_args):
            raise ExpressionError(f"{name} takes {spec.arity}; got {count}")
        if spec.impl is None:
            return self._table_call(name, node.args)
        args = [self.compile(arg) for arg in node.args]
        for default in spec.defaults[count - spec.min_args:]:
            args.append(self._read(default) if isinstance(default, str)
                        else self._Constant(ast.Constant(default)))
        impl = spec.impl
        return lambda ns, tb: impl(*[arg(ns, tb) for arg in args])

    def _table_call(self, name: str, args: list[ast.expr]) -> _Evaluator:
        for arg, what in zip(args[:2], ("table", "column"), strict=True):
            if not isinstance(arg, ast.Name):
                raise ExpressionError(f"the {what} in {name}() must be a plain name, "
                                      f"e.g. {name}(life_table, qx, age)")
            _check_identifier(arg.id)
        table_name, column = args[0].id, args[1].id
        self.lookups.add((table_name, column))
        key = self.compile(args[2])
        method = _step if name == "lookup" else _interpolate

        def table_call(ns: Mapping[str, Any], tb: Mapping[str, Table]) -> Any:
            table = tb.get(table_name)
            if table is None:
                raise ExpressionError(f"unknown table '{table_name}'")
            if column not in table.columns:
                raise ExpressionError(f"table '{table_name}' has no column '{column}'; columns: "
                                      f"{', '.join(table.columns)}")
            return method(table.keys, table.columns[column], np.asarray(key(ns, tb), float))

        return table_call


def _step(keys: np.ndarray, values: np.ndarray, key: np.ndarray) -> np.ndarray:
    index = np.searchsorted(keys, key, side="right") - 1
    result = values[np.clip(index, 0, None)]
    return np.where((index < 0) | np.isnan(key), np.nan, result)


def _interpolate(keys: np.ndarray, values: np.ndarray, key: np.ndarray) -> np.ndarray:
    return np.interp(key, keys, values, left=np.nan, right=np.nan)
