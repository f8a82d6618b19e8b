"""Words and names that the exports share: file-name slugs and ICERs in words."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

__all__ = ["STATUS_LABELS", "STATUS_WORDS", "icer_words", "pair_icer", "parameter_words",
           "slug", "with_words"]

STATUS_WORDS = {"dominated": "dominated", "extended_dominated": "extendedly dominated"}
#: Every status of the incremental analysis in plain words (sheets and report alike).
STATUS_LABELS = {"non_dominated": "on the frontier", **STATUS_WORDS}


def slug(text) -> str:
    """A file-name part: lower case ASCII letters and digits, other runs as ``_``."""
    return re.sub(r"[^a-z0-9]+", "_", str(text).lower()).strip("_") or "x"


def icer_words(table: pd.DataFrame) -> list:
    """ICER column for payers: a number, or the words for a strategy without one."""
    words = []
    for status, icer, comparator in zip(table["status"], table["icer"], table["comparator"]):
        if status in STATUS_WORDS:
            words.append(STATUS_WORDS[status])
        elif not comparator:
            words.append("reference (cheapest)")
        else:
            words.append(float(icer))
    return words


def pair_icer(pair: pd.DataFrame) -> list:
    """ICER of each strategy against the comparator, or its verdict where it has none."""
    return [float(icer) if np.isfinite(icer) else verdict
            for verdict, icer in zip(pair["verdict"], pair["icer"])]


def parameter_words(labels) -> callable:
    """The reader's words for a parameter: its label from the parameters sheet, else its
    name (a group, or a parameter without a label, keeps its name). ``labels``: a model
    spec, or a mapping of name to label."""
    if hasattr(labels, "parameters"):
        labels = {p.name: p.label for p in labels.parameters if p.label}
    words = dict(labels or {})
    return lambda name: words.get(name, name)


def with_words(frame: pd.DataFrame, column: str, words) -> pd.DataFrame:
    """``frame`` with the parameter names of ``column`` in the reader's words."""
    frame = frame.copy()
    frame[column] = [words(v) if isinstance(v, str) else v for v in frame[column]]
    return frame
