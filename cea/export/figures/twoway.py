"""Two-way sensitivity heat maps: incremental NMB and the optimal strategy over a grid."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from matplotlib.colors import BoundaryNorm, ListedColormap, Normalize, TwoSlopeNorm
from matplotlib.patches import Patch

from cea.export.figures import PALETTE, new_figure, save


def _edges(values: np.ndarray) -> np.ndarray:
    """Cell edges around grid values (midpoints, half a step beyond the ends)."""
    mid = (values[1:] + values[:-1]) / 2
    return np.r_[values[0] - (mid[0] - values[0]), mid, values[-1] + (values[-1] - mid[-1])]


def _norm(cells: np.ndarray):
    low, high = np.nanmin(cells), np.nanmax(cells)
    if low < 0 < high:
        return TwoSlopeNorm(0.0, low, high)
    span = max(abs(low), abs(high)) or 1.0
    return Normalize(-span, span)


def twoway_figure(result, path: str | Path, *, perspective: str | None = None,
                  title: str = "Two-way sensitivity analysis") -> Path:
    """Per threshold (one row of panels): incremental NMB and the optimal strategy.

    Left: incremental NMB of the selected strategy against the first (blue
    positive, red negative), with the black contour where it is 0. Right: the
    strategy with the highest NMB in each cell. The cross marks the base case.
    ``result`` is a :class:`cea.analyses.one_way.TwoWayResult`.
    """
    sel = result.selection
    perspective = perspective or sel.perspective
    wtps = list(dict.fromkeys(result.summary["wtp"]))
    (p1, base1), (p2, base2) = ((r.parameter, r.base) for r in result.ranges)
    x, y = result.values2, result.values1
    names = list(result.spec.strategy_names)
    money = f" ({result.spec.settings.currency})" if result.spec.settings.currency else ""
    fig, axes = new_figure(nrows=len(wtps), ncols=2, squeeze=False,
                           figsize=(12, 4.4 * len(wtps)), layout="constrained")
    colours = ListedColormap([PALETTE[i % len(PALETTE)] for i in range(len(names))])
    for row, w in zip(axes, wtps):
        inc = result.grid(perspective=perspective, wtp=w).to_numpy(dtype=float)
        best = result.grid(value="optimal", perspective=perspective, wtp=w).to_numpy()
        ax = row[0]
        mesh = ax.pcolormesh(_edges(x), _edges(y), inc, cmap="RdBu", norm=_norm(inc))
        if np.nanmin(inc) < 0 < np.nanmax(inc):
            ax.contour(x, y, inc, levels=[0], colors="black", linewidths=1.4)
        fig.colorbar(mesh, ax=ax, label=f"incremental NMB{money}")
        ax.set_title(f"Incremental NMB, {sel.strategy} vs {names[0]}\nwtp {w:,.0f}",
                     fontsize=10)
        ax = row[1]
        index = np.vectorize(names.index)(best)
        ax.pcolormesh(_edges(x), _edges(y), index, cmap=colours, alpha=0.55,
                      norm=BoundaryNorm(np.arange(len(names) + 1) - 0.5, len(names)))
        present = sorted(set(index.ravel().tolist()))
        ax.legend(handles=[Patch(color=PALETTE[i % len(PALETTE)], alpha=0.55, label=names[i])
                           for i in present], loc="upper left", bbox_to_anchor=(1.01, 1),
                  title="optimal strategy", fontsize=8.5)
        ax.set_title(f"Optimal strategy (highest NMB)\nwtp {w:,.0f}", fontsize=10)
        for ax in row:
            ax.plot(base2, base1, marker="X", ms=10, color="white", mec="black", zorder=5)
            ax.set_xlabel(p2)
            ax.set_ylabel(p1)
            ax.grid(False)
    fig.suptitle(f"{title} (✕ = base case)", fontweight="bold")
    return save(fig, path)
