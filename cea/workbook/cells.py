"""Low-level reading of workbook sheets into rows of cells with their addresses.

This module knows about openpyxl and Excel's quirks (formulas, merged cells,
error values, blank rows); the rest of the reader only sees :class:`SheetData`.
"""

from __future__ import annotations

import io
import math
from dataclasses import dataclass, field

import openpyxl
from openpyxl.utils import column_index_from_string, get_column_letter

from cea.model.problems import Problems
from cea.workbook.schema import SHEET_BY_NAME, SHEETS

MAX_ROWS = 20_000
MAX_COLUMNS = 500
MAX_MAGNITUDE = 1e15
MAX_TEXT = 5_000
TRUE_WORDS = {"yes", "y", "true", "1", "x"}
FALSE_WORDS = {"no", "n", "false", "0"}


@dataclass
class Cell:
    value: object
    ref: str


@dataclass
class Row:
    """One data row of a sheet: cells by column header, with typed accessors."""

    sheet: str
    line: int
    cells: dict[str, Cell]
    problems: Problems

    def cell(self, header: str) -> Cell:
        return self.cells.get(header) or Cell(None, f"{self.sheet}!A{self.line}")

    def text(self, header: str) -> str | None:
        value = self.cell(header).value
        if value is None:
            return None
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        return str(value)

    def number(self, header: str, *, required: bool = False) -> float | None:
        cell = self.cell(header)
        value = cell.value
        if value is None:
            if required:
                self.problems.add(cell.ref, f"{header} is empty; a number is required")
            return None
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            self.problems.add(cell.ref, f"{header} must be a number; got text {value!r}")
            return None
        return float(value)

    def integer(self, header: str) -> int | None:
        value = self.number(header)
        if value is None:
            return None
        if not value.is_integer():
            self.problems.add(self.cell(header).ref, f"{header} must be a whole number; "
                                                     f"got {value:g}")
            return None
        return int(value)

    def boolean(self, header: str) -> bool:
        cell = self.cell(header)
        if cell.value is None:
            return False
        word = str(cell.value).strip().lower()
        if word in TRUE_WORDS:
            return True
        if word not in FALSE_WORDS:
            self.problems.add(cell.ref, f"{header} must be yes or no; got {cell.value!r}")
        return False


@dataclass
class SheetData:
    name: str
    headers: list[str]
    header_refs: dict[str, str]
    rows: list[Row] = field(default_factory=list)

    def header_ref(self, header: str) -> str:
        return self.header_refs.get(header, f"{self.name}!1")


@dataclass
class Book:
    values: object  # openpyxl workbook with cached values
    formulas: object  # the same workbook with formulas
    names: dict[str, str]  # schema sheet name -> sheet title in the file

    @property
    def sheet_names(self) -> list[str]:
        return list(self.names)


def open_workbook(path, data: bytes, problems: Problems) -> Book | None:
    """Open the workbook twice (cached values and formulas) and check the sheets exist."""
    try:
        values = openpyxl.load_workbook(io.BytesIO(data), data_only=True)
        formulas = openpyxl.load_workbook(io.BytesIO(data), data_only=False)
    except Exception as e:  # openpyxl raises many types for a damaged file
        problems.add(path.name, f"cannot be read as an .xlsx workbook ({type(e).__name__}: "
                                f"{e}); save it from Excel as .xlsx")
        return None
    titles = {title.strip().lower(): title for title in values.sheetnames}
    names = {}
    for sheet in SHEETS:
        if sheet.name in titles:
            names[sheet.name] = titles[sheet.name]
        elif sheet.required:
            problems.add(path.name, f"sheet '{sheet.name}' is missing; a workbook needs the "
                         f"sheets {[s.name for s in SHEETS if s.required]}")
    return Book(values, formulas, names)


def read_sheet(book: Book, name: str, problems: Problems) -> SheetData:
    """Read one sheet: header row, then data rows up to the last non-blank row."""
    title = book.names[name]
    ws, wf = book.values[title], book.formulas[title]
    for merged in ws.merged_cells.ranges:
        problems.add(f"{name}!{merged.coord}", "merged cells are not allowed; unmerge them")
    if ws.max_row > MAX_ROWS or ws.max_column > MAX_COLUMNS:
        problems.add(name, f"sheet has {ws.max_row} rows and {ws.max_column} columns; at most "
                           f"{MAX_ROWS} rows and {MAX_COLUMNS} columns are read")
        return SheetData(name, [], {})
    grid = [[_value(c, f, name, problems) for c, f in zip(r, rf)]
            for r, rf in zip(ws.iter_rows(), wf.iter_rows())]
    if not grid:
        problems.add(name, "sheet is empty; the first row must hold the column headers")
        return SheetData(name, [], {})
    sheet = _headers(name, grid[0], problems)
    _rows(sheet, grid[1:], problems)
    return sheet


def _value(cell, formula_cell, sheet: str, problems: Problems):
    ref = f"{sheet}!{cell.coordinate}"
    value = cell.value
    if value is None and formula_cell.data_type == "f":
        problems.add(ref, f"formula {formula_cell.value!r} has no saved value; open and save "
                          "the workbook in a spreadsheet application, or type the value")
        return None
    if isinstance(value, str):
        value = value.strip()
        if len(value) > MAX_TEXT:
            problems.add(ref, f"text of {len(value):,} characters; cells hold at most "
                              f"{MAX_TEXT:,} (put long notes outside the model's sheets)")
            return None
        if value.startswith("#") and value.endswith(("!", "?", "A")) and len(value) < 9:
            problems.add(ref, f"cell shows a spreadsheet error {value}; fix the formula")
            return None
        return value or None
    if isinstance(value, bool):
        return value
    if isinstance(value, (int, float)):
        if not math.isfinite(value) or abs(value) > MAX_MAGNITUDE:
            problems.add(ref, f"number {value!r} is not finite or larger than "
                              f"{MAX_MAGNITUDE:g}; inputs must be ordinary finite numbers")
            return None
        return value
    if value is not None:
        problems.add(ref, f"cell holds a {type(value).__name__} ({value}); numbers and text "
                          "only")
    return None


def _headers(name: str, cells: list, problems: Problems) -> SheetData:
    schema = SHEET_BY_NAME[name]
    fixed = {c.name for c in schema.columns}
    headers, refs = [], {}
    for j, value in enumerate(cells):
        if value is None:
            continue
        text = str(value).strip()
        lower = text.lower()
        if lower in fixed or lower.startswith(("cost_", "outcome_")):
            text = lower
        ref = f"{name}!{get_column_letter(j + 1)}1"
        if text in refs:
            problems.add(ref, f"column '{text}' appears twice (also {refs[text]})")
            continue
        headers.append(text)
        refs[text] = ref
    for column in schema.columns:
        if column.required and column.name not in refs:
            problems.add(f"{name}!1", f"column '{column.name}' is missing; the {name} sheet "
                                      f"needs {[c.name for c in schema.columns if c.required]}")
    sheet = SheetData(name, headers, refs)
    sheet.positions = {h: int(_column_index(refs[h])) for h in headers}
    return sheet


def _column_index(ref: str) -> int:
    letters = "".join(ch for ch in ref.split("!")[1] if ch.isalpha())
    return column_index_from_string(letters) - 1


def _rows(sheet: SheetData, grid: list[list], problems: Problems) -> None:
    blank_since = None
    for i, values in enumerate(grid, start=2):
        cells = {h: Cell(values[j] if j < len(values) else None,
                         f"{sheet.name}!{get_column_letter(j + 1)}{i}")
                 for h, j in sheet.positions.items()}
        if all(c.value is None for c in cells.values()):
            blank_since = blank_since or i
            continue
        if blank_since is not None:
            problems.add(f"{sheet.name}!A{blank_since}", "blank row inside the table; remove "
                                                          "it (a table ends at its last row)")
            blank_since = None
        sheet.rows.append(Row(sheet.name, i, cells, problems))
