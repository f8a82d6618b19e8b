"""The parameter dependency graph: the order in which derived parameters are evaluated.

A derived parameter (an expression) and a strategy's override read other parameters;
they are evaluated after what they read. The walk is iterative, so a chain of any
length is ordered without recursion.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from cea.model.expressions import Expression
from cea.model.spec import Parameter


class CircularDefinition(ValueError):
    """Parameters that depend on themselves; ``loop`` lists them, the first repeated last."""

    def __init__(self, loop: list[str]):
        self.loop = loop
        super().__init__("circular definition: " + " -> ".join(loop))


def derived_order(parameters: Sequence[Parameter],
                  overrides: Mapping[str, Expression] | None = None
                  ) -> list[tuple[str, Expression]]:
    """Derived parameters (and a strategy's overrides) in an order where inputs come first.

    Parameters
    ----------
    parameters : sequence of Parameter
        Every parameter of the model; the free ones (plain numbers) need no evaluation.
    overrides : mapping of name to Expression, optional
        A strategy's own values of some parameters (they replace the workbook's).

    Returns
    -------
    list of (name, Expression)
        Depth first from each parameter in workbook order, inputs in alphabetical order:
        the same order whichever strategy or scenario asks.

    Raises
    ------
    CircularDefinition
        Naming the parameters of a loop.
    """
    pending = {p.name: p.expression for p in parameters if not p.is_free}
    pending.update(overrides or {})
    order: list[tuple[str, Expression]] = []
    done: set[str] = set()
    for root in pending:
        if root in done:
            continue
        path, on_path = [root], {root}
        stack = [iter(sorted(pending[root].names))]
        while stack:
            dep = next(stack[-1], None)
            if dep is None:
                stack.pop()
                name = path.pop()
                on_path.discard(name)
                done.add(name)
                order.append((name, pending[name]))
            elif dep in on_path:
                raise CircularDefinition(path[path.index(dep):] + [dep])
            elif dep in pending and dep not in done:
                path.append(dep)
                on_path.add(dep)
                stack.append(iter(sorted(pending[dep].names)))
    return order
