"""Input workbooks built in memory: the blank documented template, and workbooks from rows.

``cea template PATH`` writes every sheet of :data:`cea.workbook.schema.SHEETS` with its
headers (documented in cell comments), the settings with their descriptions
and defaults, and a ``README`` sheet listing every column, setting, function
and distribution. The caller saves the workbook (``cea.api.write_template``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import openpyxl
from openpyxl.comments import Comment
from openpyxl.styles import Font, PatternFill
from openpyxl.utils import get_column_letter

from cea.model.distributions import DISTRIBUTIONS
from cea.model.files import set_cell
from cea.model.functions import FUNCTIONS
from cea.workbook.schema import SETTINGS, SHEETS

HEADER_FILL = PatternFill("solid", fgColor="DDEBF7")


__all__ = ["input_book", "template_book", "template_sheets"]


def input_book(sheets: Mapping[str, Sequence[Sequence]]):
    """An input workbook (openpyxl): ``sheets[name]`` is a header row, then data rows."""
    book = openpyxl.Workbook()
    book.remove(book.active)
    for name, rows in sheets.items():
        _sheet(book, name, rows)
    return book


def _sheet(book, name: str, rows: Sequence[Sequence]) -> None:
    ws = book.create_sheet(name)
    schema = next((s for s in SHEETS if s.name == name), None)
    docs = {c.name: c.doc for c in schema.columns} if schema else {}
    widths: dict[int, int] = {}
    for i, row in enumerate(rows, start=1):
        for j, value in enumerate(row, start=1):
            if value is None:
                continue
            cell = ws.cell(row=i, column=j)
            set_cell(cell, value)
            widths[j] = max(widths.get(j, 8), min(len(str(value)) + 2, 60))
            if i == 1:
                cell.font = Font(bold=True)
                cell.fill = HEADER_FILL
                if docs.get(value):
                    cell.comment = Comment(docs[value], "cea")
    for j, width in widths.items():
        ws.column_dimensions[get_column_letter(j)].width = width
    ws.freeze_panes = "A2"


def template_sheets() -> dict[str, list[list]]:
    """The blank template's content: headers, every setting, and a README sheet."""
    sheets: dict[str, list[list]] = {"README": _readme()}
    for sheet in SHEETS:
        header = [c.name for c in sheet.columns]
        if sheet.name == "settings":
            rows = [[s.key, s.default, s.doc] for s in SETTINGS]
            sheets[sheet.name] = [header, *rows]
        else:
            sheets[sheet.name] = [header]
    return sheets


def template_book():
    """The blank, documented input workbook (openpyxl)."""
    return input_book(template_sheets())


def _readme() -> list[list]:
    rows: list[list] = [["topic", "name", "meaning"]]
    for sheet in SHEETS:
        rows.append(["sheet", sheet.name, sheet.doc + ("" if sheet.required else " Optional.")])
        for column in sheet.columns:
            rows.append([f"{sheet.name} column", column.name,
                         ("required. " if column.required else "") + column.doc])
        if sheet.extra:
            rows.append([f"{sheet.name} column", "(more)", sheet.extra])
    for setting in SETTINGS:
        rows.append(["setting", setting.key, setting.doc])
    for name, doc in FUNCTIONS.items():
        rows.append(["function", name, str(doc)])
    for name, cls in DISTRIBUTIONS.items():
        rows.append(["distribution", name, (cls.__doc__ or "").strip().splitlines()[0]])
    rows.append(["names", "cycle, year, cycle_years, state_time",
                 "cycle: 1 in the first cycle; year: years elapsed at the cycle's start; "
                 "cycle_years: cycle length in years; state_time: cycles since entering a "
                 "tunnel state (1 in the first)"])
    return rows
