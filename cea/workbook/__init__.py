"""Reading input workbooks into a model spec (and writing the blank template)."""

from cea.workbook.reader import load_workbook

__all__ = ["load_workbook"]
