"""One-way figures: the tornado diagram and the threshold curve."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

from cea.export.figures import PALETTE, new_figure, save

LOW_COLOUR, HIGH_COLOUR, CHANGE_COLOUR = PALETTE[0], PALETTE[1], PALETTE[3]
_MONEY = ("inc_nmb", "inc_cost", "nmb", "cost", "icer")


def _decimals(values: np.ndarray) -> int:
    """Decimals that show about three significant digits of the largest value."""
    values = np.abs(values[np.isfinite(values)])
    largest = values.max() if len(values) else 0.0
    if largest == 0:
        return 0
    return int(min(max(2 - np.floor(np.log10(largest)), 0), 6))


def _number(value: float, decimals: int) -> str:
    return f"{value:,.{decimals}f}" if np.isfinite(value) else ""


def tornado_figure(table: pd.DataFrame, path: str | Path, *, title: str = "Tornado diagram",
                   currency: str = "") -> Path:
    """Horizontal bars from the base-case value to the outcome at each end of each range.

    Parameters
    ----------
    table : DataFrame
        :meth:`cea.analyses.one_way.OneWayResult.tornado` (largest swing first; its
        ``attrs`` carry the selection and description).
    path : str or Path
        Where to write the PNG.
    title, currency : str
        Figure title; currency (and price year) for the axis label of money outcomes.

    Notes
    -----
    Blue bars: the parameter at its low value; orange: at its high value. The
    vertical line is the base case. A red star marks an end where the optimal
    strategy (highest NMB at the selected threshold) differs from the base
    case's, with the strategy that becomes optimal written beside it.
    """
    sel = table.attrs.get("selection")
    outcome = sel.outcome if sel is not None else ""
    money = outcome in _MONEY
    n = len(table)
    fig, ax = new_figure(figsize=(9.5, 1.9 + 0.42 * max(n, 1)))
    base = float(table["outcome_base"].iloc[0]) if n else 0.0
    y = np.arange(n)[::-1]
    decimals = _decimals(np.r_[table["outcome_low"], table["outcome_high"], base])
    for yi, row in zip(y, table.itertuples(index=False)):
        ends = [(row.outcome_low, LOW_COLOUR, row.optimal_low),
                (row.outcome_high, HIGH_COLOUR, row.optimal_high)]
        for value, colour, _ in sorted(ends, key=lambda e: -abs(e[0] - base)):
            ax.barh(yi, value - base, left=base, height=0.62, color=colour, edgecolor="white",
                    linewidth=0.5, zorder=2)
        same_side = (ends[0][0] - base) * (ends[1][0] - base) > 0
        far = max(abs(ends[0][0] - base), abs(ends[1][0] - base))
        for value, _, best in ends:
            side = 1 if value >= base else -1
            if not same_side or abs(value - base) == far:  # the nearer end is inside the bar
                ax.annotate(_number(value, decimals), (value, yi), xytext=(4 * side, 0),
                            textcoords="offset points", ha="left" if side > 0 else "right",
                            va="center", fontsize=7.5, color="#444444")
            if best != row.optimal_base:
                ax.plot(value, yi + 0.36, marker="*", ms=11, color=CHANGE_COLOUR, zorder=4,
                        clip_on=False)
                ax.annotate(f"→ {best}", (value, yi + 0.36), xytext=(7 * side, 0),
                            textcoords="offset points", va="center", fontsize=7.5,
                            ha="left" if side > 0 else "right", color=CHANGE_COLOUR)
    ax.axvline(base, color="black", lw=1.2, zorder=3)
    zero = outcome == "inc_nmb" and _near_zero(table, base)
    if zero:
        ax.axvline(0, color="#888888", lw=0.9, ls="--", zorder=1)
    ax.set_yticks(y, [str(label) for label in table["label"]])
    ax.set_ylim(-0.7, n - 0.3)
    ax.grid(axis="y", visible=False)
    _pad_x(ax, table, base, include_zero=zero)
    unit = f" ({currency})" if money and currency else ""
    what = table.attrs.get("description", outcome)
    ax.set_xlabel(f"{what}{unit}")
    ax.set_title(title, loc="left")
    handles = [Patch(color=LOW_COLOUR, label="parameter at its low value"),
               Patch(color=HIGH_COLOUR, label="parameter at its high value"),
               Line2D([], [], color="black", lw=1.2,
                      label=f"base case {_number(base, decimals)}")]
    if zero:
        handles.append(Line2D([], [], color="#888888", lw=0.9, ls="--",
                              label="incremental NMB = 0 (equal net benefit)"))
    if n and table["decision_changes"].any():
        handles.append(Line2D([], [], marker="*", ms=11, ls="", color=CHANGE_COLOUR,
                              label=f"optimal strategy changes from {table['optimal_base'][0]}"))
    ax.legend(handles=handles, loc="upper center", ncol=2, fontsize=8.5,
              bbox_to_anchor=(0.5, -0.62 / (0.42 * max(n, 1) + 1.0)))
    return save(fig, path)


def _finite(table: pd.DataFrame, base: float) -> np.ndarray:
    values = np.r_[table["outcome_low"], table["outcome_high"], base]
    return values[np.isfinite(values)]


def _near_zero(table: pd.DataFrame, base: float) -> bool:
    """Whether 0 lies within the bars' span of them (then the zero line is worth showing)."""
    values = _finite(table, base)
    if not len(values):
        return False
    low, high = values.min(), values.max()
    span = high - low
    return low - span <= 0 <= high + span


def _pad_x(ax, table: pd.DataFrame, base: float, *, include_zero: bool = False) -> None:
    """Room at both sides for the value labels (and 0, when asked)."""
    values = _finite(table, base)
    if include_zero:
        values = np.r_[values, 0.0]
    if not len(values):
        return
    low, high = values.min(), values.max()
    pad = 0.22 * (high - low) or max(abs(base) * 0.05, 1e-9)
    ax.set_xlim(low - pad, high + pad)


def threshold_figure(result, path: str | Path, *, title: str = "Threshold analysis") -> Path:
    """NMB difference (strategy minus comparator) over the parameter's range.

    One panel per perspective, one line per threshold (wtp) and comparison; the
    dotted vertical line is the base value and each found threshold is marked
    and labelled. ``result`` is a :class:`cea.analyses.threshold.ThresholdResult`.
    """
    curve, found = result.curve, result.thresholds
    perspectives = list(dict.fromkeys(curve["perspective"]))
    fig, axes = new_figure(ncols=len(perspectives), figsize=(5.2 * len(perspectives), 4.4),
                           sharey=True, squeeze=False)
    p = result.range.parameter
    for ax, perspective in zip(axes[0], perspectives):
        part = curve[curve["perspective"] == perspective]
        keys = list(dict.fromkeys(zip(part["wtp"], part["strategy"], part["comparator"])))
        for i, (w, strategy, comparator) in enumerate(keys):
            line = part[(part["wtp"] == w) & (part["strategy"] == strategy)
                        & (part["comparator"] == comparator)]
            colour = PALETTE[i % len(PALETTE)]
            label = f"wtp {w:,.0f}" + (f": {strategy} vs {comparator}" if
                                       len({k[1:] for k in keys}) > 1 else "")
            ax.plot(line["value"], line["inc_nmb"], color=colour, lw=1.8, label=label)
            hits = found[(found["perspective"] == perspective) & (found["wtp"] == w)
                         & (found["strategy"] == strategy) & (found["result"] == "threshold")]
            for x in hits["threshold"]:
                ax.plot(x, 0, "o", color=colour, ms=7, mec="black", zorder=4)
                ax.annotate(f"{x:,.4g}", (x, 0), xytext=(4, 8), textcoords="offset points",
                            fontsize=8.5, color=colour)
        ax.axhline(0, color="black", lw=0.9)
        ax.axvline(result.range.base, color="#555555", ls=":", lw=1.2, label="base value")
        ax.set_title(f"{perspective} perspective", fontsize=10.5)
        ax.set_xlabel(p)
        ax.legend(fontsize=8.5)
    axes[0][0].set_ylabel("NMB of strategy minus NMB of comparator")
    fig.suptitle(title, fontweight="bold")
    return save(fig, path)
