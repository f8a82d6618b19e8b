"""PNG figures in one consistent, readable style (matplotlib, no screen needed).

Each analysis module has its figure functions in this package; they all take
tidy DataFrames (as the analyses return them) and a path, and write the PNG
whole or not at all.
"""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402

from cea.model.files import write_atomically  # noqa: E402

STYLE = {
    "figure.figsize": (8, 5),
    "figure.dpi": 110,
    "savefig.dpi": 150,
    "savefig.bbox": "tight",
    "font.size": 10,
    "axes.titlesize": 12,
    "axes.titleweight": "bold",
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.grid": True,
    "grid.alpha": 0.3,
    "legend.frameon": False,
}
#: Colour per strategy position (colour-blind safe, Okabe-Ito).
PALETTE = ("#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#F0E442",
           "#000000")


def new_figure(**kwargs):
    """A figure and axes in the package style."""
    with plt.rc_context(STYLE):
        return plt.subplots(**kwargs)


def save(fig, path: str | Path) -> Path:
    """Write ``fig`` as PNG atomically and close it."""
    try:
        with plt.rc_context(STYLE):
            return write_atomically(path, lambda tmp: fig.savefig(tmp, format="png"))
    finally:
        plt.close(fig)
