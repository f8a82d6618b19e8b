"""Input workbooks built in memory: the blank documented template, and workbooks from rows.

``cea template PATH`` writes every sheet of :data:`cea.workbook.schema.SHEETS` with its
headers (documented in cell comments), the settings with their descriptions, defaults and
allowed values, and a ``README`` sheet in plain words: every sheet and column, every
setting (required or not, default, allowed values), every function (signature and what it
gives) and every distribution (its inputs, from the classes' declared keyword sets, and how
it is fitted, from the ``Fitted:`` paragraph of its docstring). The caller saves the
workbook (``cea.api.write_template``).
"""

from __future__ import annotations

import inspect
import math
import re
from collections.abc import Mapping, Sequence

import openpyxl
from openpyxl.comments import Comment
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from cea.model.budget_items import BUDGET_ITEMS
from cea.model.distributions import DISTRIBUTIONS
from cea.model.files import set_cell
from cea.model.functions import FUNCTIONS
from cea.workbook.schema import SETTINGS, SHEETS

HEADER_FILL = PatternFill("solid", fgColor="DDEBF7")


__all__ = ["distribution_inputs", "input_book", "readme_rows", "template_book",
           "template_sheets"]


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
    sheets: dict[str, list[list]] = {"README": readme_rows()}
    for sheet in SHEETS:
        header = [c.name for c in sheet.columns]
        if sheet.name == "settings":
            rows = [[s.key, _default_value(s), f"{s.doc} Allowed: {s.allowed()}."]
                    for s in SETTINGS]
            sheets[sheet.name] = [header, *rows]
        else:
            sheets[sheet.name] = [header]
    return sheets


def template_book():
    """The blank, documented input workbook (openpyxl)."""
    book = input_book(template_sheets())
    readme = book["README"]
    after_title = False
    for row in readme.iter_rows(min_row=2):
        if after_title:  # a section's column headers
            for cell in row:
                cell.font, cell.fill = Font(bold=True), HEADER_FILL
        after_title = row[0].value in SECTION_TITLES
        if after_title:
            row[0].font = Font(bold=True, size=12)
        for cell in row:
            cell.alignment = Alignment(wrap_text=True, vertical="top")
    for letter, width in zip("ABCDE", (20, 32, 24, 60, 60)):
        readme.column_dimensions[letter].width = width
    return book


SECTION_TITLES = ("Sheets and their columns", "Settings", "Budget sheet items",
                  "Functions in expressions", "Distributions for the PSA", "Names of model time")


def readme_rows() -> list[list]:
    """The README sheet: every sheet and column, setting, function and distribution, in
    plain words, one section each."""
    rows: list[list] = [["How to fill in this workbook: every sheet, column, setting, "
                         "function and distribution. Each problem found is reported as "
                         "sheet!cell: what was found; what is allowed."]]
    for title, table in (("Sheets and their columns", _sheet_rows()),
                         ("Settings", _setting_rows()),
                         ("Budget sheet items", _budget_rows()),
                         ("Functions in expressions", _function_rows()),
                         ("Distributions for the PSA", _distribution_rows()),
                         ("Names of model time", _time_rows())):
        rows += [[], [title], *table]
    return rows


def _sheet_rows() -> list[list]:
    rows: list[list] = [["sheet", "column", "required", "meaning"]]
    for sheet in SHEETS:
        rows.append([sheet.name, "", _yes_no(sheet.required), sheet.doc])
        for column in sheet.columns:
            rows.append([sheet.name, column.name, _yes_no(column.required), column.doc])
        if sheet.extra:
            rows.append([sheet.name, "(more columns)", "no", sheet.extra])
    return rows


def _setting_rows() -> list[list]:
    rows: list[list] = [["setting", "required", "default", "allowed values", "meaning"]]
    for setting in SETTINGS:
        rows.append([setting.key, _yes_no(setting.required), _default_text(setting),
                     setting.allowed(), setting.doc])
    return rows


def _budget_rows() -> list[list]:
    rows: list[list] = [["item", "columns", "default", "allowed values", "meaning"]]
    for item in BUDGET_ITEMS:
        columns = ", ".join(c for c, used in (("year", item.yearly), (item.needs, item.needs),
                                              ("value", True),
                                              ("low, high", item.ranged))
                            if used)
        rows.append([item.key, columns, item.default or "required", item.allowed, item.doc])
    return rows


def _function_rows() -> list[list]:
    rows: list[list] = [["function", "written", "arguments", "value"]]
    for name, function in FUNCTIONS.items():
        rows.append([name, function.signature, function.arity, function.doc])
    return rows


def _distribution_rows() -> list[list]:
    rows: list[list] = [["distribution", "inputs", "for", "how it is fitted", "written"]]
    for name, cls in DISTRIBUTIONS.items():
        doc = inspect.getdoc(cls) or ""
        rows.append([name, distribution_inputs(cls), plain(doc.splitlines()[0] if doc else ""),
                     plain(_fitted_paragraph(doc)), " or ".join(_written(cls))])
    return rows


def _time_rows() -> list[list]:
    return [["name", "meaning"],
            ["cycle", "1 in the first cycle, 2 in the second, and so on"],
            ["year", "years elapsed at the start of the cycle"],
            ["cycle_years", "the cycle length in years"],
            ["state_time", "cycles since entering a tunnel state (1 in the first)"]]


def distribution_inputs(cls) -> str:
    """The inputs a distribution accepts, from its declared keyword sets, e.g.
    ``mean, se  or  events, total``."""
    sets = []
    for keywords in cls.signatures:
        names = [*cls.name_keywords, *keywords.required,
                 *(f"optional {k} ({_default_input(d)})" for k, d in keywords.optional)]
        sets.append(", ".join(names) or "none")
    synonyms = [f"{alias} may be written for {key}" for alias, key in cls.aliases.items()]
    return "; ".join(["  or  ".join(sets), *synonyms])


def _default_input(default: float) -> str:
    return "default: no bound" if math.isinf(default) else f"default {default:g}"


def _written(cls) -> list[str]:
    """Examples of the cell text, e.g. ``beta(mean=..., se=...)``."""
    forms = []
    for keywords in cls.signatures:
        names = [*cls.name_keywords, *keywords.required]
        forms.append(f"{cls.name}({', '.join(f'{k}=...' for k in names)})")
    return forms


def _fitted_paragraph(doc: str) -> str:
    """The docstring's paragraph starting ``Fitted:``, on one line."""
    for paragraph in doc.split("\n\n"):
        if paragraph.strip().startswith("Fitted:"):
            return " ".join(paragraph.split())[len("Fitted:"):].strip()
    return ""


def plain(text: str) -> str:
    """Text without reStructuredText markup: roles such as :func:`x` become x, and double
    backquotes go."""
    return re.sub(r":[a-z]+:`~?([^`]*)`", r"\1", text).replace("``", "")


def _yes_no(flag: bool) -> str:
    return "yes" if flag else "no"


def _default_value(setting):
    """The value the template's settings sheet holds: the default, blank if there is none."""
    return None if setting.default in (None, ()) else setting.default


def _default_text(setting) -> str:
    if setting.required:
        return ""
    if setting.default == ():
        return "none"
    return "none (leave blank)" if setting.default is None else str(setting.default)
