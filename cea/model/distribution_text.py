"""Reading a distribution from its text, e.g. ``beta(mean=0.4, se=0.05)``.

The text is untrusted: it is only parsed with ``ast.parse(text, mode="eval")`` and checked
node by node, never evaluated.
"""

from __future__ import annotations

import ast
import math

from cea.model.distributions import DISTRIBUTIONS, Distribution, DistributionError, Fixed, _fail

__all__ = ["parse_distribution"]

_MAX_TEXT = 500  # longest cell text accepted, so pathological input never reaches the parser
_EXAMPLE = "beta(mean=0.4, se=0.05)"


def _number(func: str, key: str, node: ast.expr, source: str) -> float:
    """Value of a numeric constant with an optional unary minus; raise for anything else."""
    sign, inner = 1.0, node
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
        sign, inner = -1.0, node.operand
    if not (isinstance(inner, ast.Constant) and type(inner.value) in (int, float)):
        raise _fail(func, f"{key} must be a number, found {_show(node, source)}")
    value = sign * inner.value
    if not math.isfinite(value):
        raise _fail(func, f"{key} must be a finite number, found {_show(node, source)}")
    return value


def _show(node: ast.AST, source: str) -> str:
    """The source text of ``node``, shortened."""
    text = ast.get_source_segment(source, node) or ast.unparse(node)
    return text if len(text) <= 60 else text[:57] + "..."


def _call(source: str) -> ast.Call:
    """Parse ``source`` as one call of a bare name; raise for anything else."""
    if len(source) > _MAX_TEXT:
        raise DistributionError(f"distribution text is too long ({len(source)} characters; "
                                f"at most {_MAX_TEXT})")
    try:
        node = ast.parse(source, mode="eval").body
    except (SyntaxError, ValueError, RecursionError, MemoryError) as exc:
        raise DistributionError(f"cannot read {source[:60]!r} as a distribution; "
                                f"write it like {_EXAMPLE}") from exc
    if not isinstance(node, ast.Call):
        raise DistributionError(f"expected a distribution call like {_EXAMPLE}, "
                                f"found {_show(node, source)}")
    if not isinstance(node.func, ast.Name):
        raise DistributionError(f"expected a distribution name such as beta, found "
                                f"{_show(node.func, source)}; allowed: {', '.join(DISTRIBUTIONS)}")
    return node


def parse_distribution(text: str) -> Distribution:
    """Parse workbook cell text such as ``beta(mean=0.4, se=0.05)``.

    Parameters
    ----------
    text : str
        A call of a name in :data:`DISTRIBUTIONS` with keyword arguments only, each a number
        (optionally negative), except dirichlet's ``group``, a bare identifier. Blank text
        means ``fixed()``.

    Returns
    -------
    Distribution

    Raises
    ------
    DistributionError
        For anything else, saying what was found and what is allowed.
    """
    if not isinstance(text, str):
        raise DistributionError(f"distribution must be text, got {type(text).__name__}")
    source = text.strip()
    if not source:
        return Fixed()
    node = _call(source)
    func = node.func.id
    cls = DISTRIBUTIONS.get(func)
    if cls is None:
        raise DistributionError(f"unknown distribution {func!r}; allowed: "
                                f"{', '.join(DISTRIBUTIONS)}")
    if node.args:
        raise _fail(func, f"positional argument {_show(node.args[0], source)} is not allowed; "
                          f"name every input, e.g. {_EXAMPLE}")
    numbers: dict[str, float] = {}
    names: dict[str, str] = {}
    for kw in node.keywords:
        if kw.arg is None:
            raise _fail(func, f"found {_show(kw.value, source)} after **; name every input")
        if kw.arg in numbers or kw.arg in names:
            raise _fail(func, f"keyword {kw.arg} is given twice")
        if kw.arg not in cls.name_keywords:
            numbers[kw.arg] = _number(func, kw.arg, kw.value, source)
        elif isinstance(kw.value, ast.Name):
            names[kw.arg] = kw.value.id
        else:
            raise _fail(func, f"{kw.arg} must be a bare name such as hiv_a, "
                              f"found {_show(kw.value, source)}")
    return cls(inputs=numbers, **names)
