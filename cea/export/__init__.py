"""Exports: the results workbook, figures and tables."""
