"""One presenter per result type, chosen by the result's type.

Each analysis returns a frozen result; how it is shown lives here, registered per type
with :func:`functools.singledispatch`:

* :func:`sheets` the sheets of the results workbook (:class:`cea.export.excel.SheetSpec`);
* :func:`summary` blocks for the one-screen summary sheet;
* :func:`figures` PNG figures written under a folder;
* :func:`files` other files (e.g. CSV tables of PSA draws for R).

A presenter module (``cea/export/<analysis>.py``) registers its functions when imported;
:data:`PRESENTERS` lists the modules, and :func:`load` imports them all.
"""

from __future__ import annotations

import importlib
from functools import singledispatch
from pathlib import Path

__all__ = ["PRESENTERS", "figures", "files", "has_presenter", "load", "owned", "sheets",
           "summary"]

#: The presenter modules, one per result type (or family of result types).
PRESENTERS = ("base_case", "scenarios", "steps", "calibration", "one_way", "two_way",
              "threshold", "psa", "evppi", "budget", "gsa")


@singledispatch
def sheets(result) -> list:
    """The results-workbook sheets of ``result``."""
    raise TypeError(f"no presenter for {type(result).__name__}; register one with "
                    "cea.export.present.sheets.register")


@singledispatch
def summary(result) -> list:
    """Blocks ``result`` adds to the summary sheet (none by default)."""
    return []


@singledispatch
def figures(result, out_dir: Path, name: str) -> list[Path]:
    """PNG figures of ``result`` written under ``out_dir`` (none by default)."""
    return []


@singledispatch
def files(result, out_dir: Path, name: str) -> list[Path]:
    """Other files of ``result`` (e.g. CSV) written under ``out_dir`` (none by default)."""
    return []


@singledispatch
def owned(result, name: str) -> list[str]:
    """Glob patterns (under the output folder) of every figure and table file ``result``
    can write for model ``name``: after a run, those it did not write again are stale and
    are removed, so an analysis's files are replaced together (none by default)."""
    return []


def has_presenter(result_type: type) -> bool:
    """True if ``result_type`` has its own sheets (a base class such as the result of a
    global sensitivity analysis: every one of its kinds has)."""
    kinds = result_type.__subclasses__() or [result_type]
    return all(sheets.dispatch(kind) is not sheets.dispatch(object) for kind in kinds)


def load() -> None:
    """Import every presenter module, so each result type finds its presenter."""
    for name in PRESENTERS:
        importlib.import_module(f"cea.export.{name}")
