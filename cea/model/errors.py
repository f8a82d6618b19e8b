"""The error a model gives when its numbers go wrong for some parameter row.

A :class:`ModelError` is structured: the cell, strategy, transition and cycle where
the numbers went wrong, the parameter row, and what is wrong. Whoever ran the rows
renames the row with :meth:`ModelError.at` (a chunk's row 3 is the table's row 1,027;
"draw 1,028" of a PSA; "hr_al at its low value 0.6" of a one-way analysis); the message
is built from the parts, never rewritten.
"""

from __future__ import annotations

_FIELDS = ("what", "row", "row_label", "cell", "strategy", "transition", "cycle")


class ModelError(ValueError):
    """The model gives invalid numbers (e.g. a row of a transition matrix not summing to 1).

    Attributes
    ----------
    what : str
        What is wrong, with the offending value.
    row : int
        Parameter row, counted from 0 in the table the engine ran.
    row_label : str
        How the row is named in the message (default ``parameter row <row>``).
    cell, strategy, transition, cycle : str
        Where the numbers went wrong, as far as known (``""`` when not).
    """

    def __init__(self, what: str, *, row: int = 0, row_label: str = "", cell: str = "",
                 strategy: str = "", transition: str = "", cycle: str = ""):
        self.what, self.row, self.row_label = what, int(row), row_label
        self.cell, self.strategy, self.transition, self.cycle = cell, strategy, transition, cycle
        super().__init__(self.message())

    def message(self) -> str:
        parts = [f"strategy '{self.strategy}'" if self.strategy else "", self.transition,
                 self.cycle, self.row_label or f"parameter row {self.row}"]
        place = f"{self.cell}: " if self.cell else ""
        return f"{place}{', '.join(p for p in parts if p)}: {self.what}"

    def __str__(self) -> str:
        return self.message()

    def at(self, *, offset: int = 0, label: str | None = None) -> ModelError:
        """The same error for the row ``offset`` rows further on, or named ``label``."""
        fields = {name: getattr(self, name) for name in _FIELDS}
        fields["row"] = self.row + offset
        if label is not None:
            fields["row_label"] = label
        elif offset:
            fields["row_label"] = ""
        what = fields.pop("what")
        return ModelError(what, **fields)

    def __reduce__(self):  # rebuilt with its parts after crossing a process boundary
        fields = {name: getattr(self, name) for name in _FIELDS}
        return (_rebuild, (fields,))


def _rebuild(fields: dict) -> ModelError:
    what = fields.pop("what")
    return ModelError(what, **fields)
