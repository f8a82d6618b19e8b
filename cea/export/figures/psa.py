"""PSA and value-of-information figures: CE plane, CEAC with CEAF, EVPI, EVPPI, convergence.

Each function takes the tidy tables of :class:`cea.analyses.psa.PSAResult` (or of
:func:`cea.analyses.voi.evppi`) for one perspective and writes one PNG.
"""

from __future__ import annotations

import textwrap
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib.ticker import FuncFormatter

from cea.export.figures import PALETTE, new_figure, save

__all__ = ["ce_plane_figure", "ceac_figure", "convergence_figure", "evpi_figure",
           "evppi_figure"]

_MONEY = FuncFormatter(lambda v, _: f"{v:,.0f}")
_THRESHOLD_STYLES = ("--", ":", "-.")


def _money_axis(axis) -> None:
    axis.set_major_formatter(_MONEY)


def _mark_thresholds(ax, marks: Sequence[float]) -> None:
    for i, wtp in enumerate(marks):
        ax.axvline(wtp, color="0.45", linestyle=_THRESHOLD_STYLES[i % 3], linewidth=0.9,
                   zorder=1)
        ax.annotate(f"{wtp:,.0f}", (wtp, 1.0), xycoords=("data", "axes fraction"),
                    xytext=(3, -12), textcoords="offset points", fontsize=8, color="0.35",
                    bbox={"boxstyle": "square,pad=0.1", "fc": "white", "ec": "none",
                          "alpha": 0.8}, zorder=5)


def ce_plane_figure(points: pd.DataFrame, path: str | Path, *, wtp: Sequence[float] = (),
                    reference: str = "", title: str = "Cost-effectiveness plane",
                    currency: str = "") -> Path:
    """Scatter of incremental cost against incremental QALYs, one colour per strategy.

    Parameters
    ----------
    points : DataFrame
        ``strategy, inc_qaly, inc_cost``: one line per draw and strategy (against
        ``reference``).
    wtp : sequence of float
        Thresholds drawn as lines cost = wtp x QALYs (below a line: cost-effective).
    """
    fig, ax = new_figure(figsize=(8.5, 6))
    alpha = float(np.clip(60 / max(len(points), 1) ** 0.5, 0.08, 0.6))
    means = []
    for i, (strategy, part) in enumerate(points.groupby("strategy", sort=False)):
        colour = PALETTE[(i + 1) % len(PALETTE)]
        ax.scatter(part["inc_qaly"], part["inc_cost"], s=7, alpha=alpha, color=colour,
                   linewidths=0, label=f"{strategy} (draws)", zorder=2, rasterized=True)
        means.append((strategy, part["inc_qaly"].mean(), part["inc_cost"].mean(), colour))
    for strategy, x, y, colour in means:
        ax.scatter([x], [y], s=90, color=colour, edgecolor="black", linewidth=1.2, zorder=4,
                   label=f"{strategy} (mean)")
    ax.axhline(0, color="0.3", linewidth=0.8, zorder=1)
    ax.axvline(0, color="0.3", linewidth=0.8, zorder=1)
    x_low, x_high = ax.get_xlim()
    y_low, y_high = ax.get_ylim()
    line = np.linspace(x_low, x_high, 2)
    for i, w in enumerate(wtp):
        ax.plot(line, w * line, color="0.25", linestyle=_THRESHOLD_STYLES[i % 3], linewidth=1.2,
                zorder=3, label=f"threshold {w:,.0f} per QALY")
    ax.set_xlim(x_low, x_high)
    ax.set_ylim(y_low, y_high)
    _money_axis(ax.yaxis)
    ax.set_xlabel(f"incremental QALYs against {reference}" if reference else
                  "incremental QALYs")
    ax.set_ylabel(f"incremental cost ({currency})" if currency else "incremental cost")
    ax.set_title(title)
    ax.legend(loc="best", fontsize=8, markerscale=1.0)
    return save(fig, path)


def ceac_figure(ceac: pd.DataFrame, ceaf: pd.DataFrame, path: str | Path, *,
                marks: Sequence[float] = (), title: str = "Acceptability curves",
                currency: str = "") -> Path:
    """CEAC lines (probability each strategy has the highest NMB) with the CEAF on top.

    ``ceac``: ``wtp, strategy, probability``; ``ceaf``: ``wtp, strategy, probability``
    (the strategy with the highest expected NMB and its probability).
    """
    fig, ax = new_figure(figsize=(8.5, 5.6))
    ax.plot(ceaf["wtp"], ceaf["probability"], color="black", linewidth=8, alpha=0.16,
            solid_capstyle="butt", label="frontier (CEAF): the strategy with the highest "
            "expected NMB", zorder=2)
    for i, (strategy, part) in enumerate(ceac.groupby("strategy", sort=False)):
        ax.plot(part["wtp"], part["probability"], color=PALETTE[i % len(PALETTE)],
                linewidth=1.8, label=strategy, zorder=3)
    switches = ceaf["strategy"].ne(ceaf["strategy"].shift())
    for _, row in ceaf[switches].iloc[1:].iterrows():
        ax.plot([row["wtp"]], [row["probability"]], "o", color="black", markersize=5, zorder=4)
        ax.annotate(f"{row['strategy']} best from {row['wtp']:,.0f}",
                    (row["wtp"], row["probability"]), xytext=(8, -16),
                    textcoords="offset points", fontsize=8,
                    bbox={"boxstyle": "round,pad=0.2", "fc": "white", "ec": "0.7"})
    _mark_thresholds(ax, marks)
    ax.set_ylim(-0.02, 1.02)
    _money_axis(ax.xaxis)
    ax.set_xlabel(f"willingness to pay per QALY ({currency})" if currency else
                  "willingness to pay per QALY")
    ax.set_ylabel("probability of the highest net monetary benefit")
    ax.set_title(title)
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.13), ncol=3, fontsize=8)
    return save(fig, path)


def evpi_figure(evpi: pd.DataFrame, path: str | Path, *, marks: Sequence[float] = (),
                factor: float = float("nan"), title: str = "Expected value of perfect "
                "information", currency: str = "") -> Path:
    """EVPI per person against willingness to pay; the population scale on the right axis
    when ``factor`` (people over the decision horizon, discounted) is known.

    ``evpi``: ``wtp, evpi``.
    """
    fig, ax = new_figure(figsize=(8.5, 5))
    ax.plot(evpi["wtp"], evpi["evpi"], color=PALETTE[0], linewidth=2)
    ax.fill_between(evpi["wtp"], 0, evpi["evpi"], color=PALETTE[0], alpha=0.12)
    _mark_thresholds(ax, marks)
    ax.set_ylim(bottom=0)
    _money_axis(ax.xaxis)
    _money_axis(ax.yaxis)
    unit = f" ({currency})" if currency else ""
    ax.set_xlabel(f"willingness to pay per QALY{unit}")
    ax.set_ylabel(f"EVPI per person{unit}")
    if np.isfinite(factor) and factor > 0:
        right = ax.secondary_yaxis("right", functions=(lambda v: v * factor,
                                                       lambda v: v / factor))
        right.set_ylabel(f"population EVPI{unit}")
        right.yaxis.set_major_formatter(_MONEY)
    ax.set_title(title)
    return save(fig, path)


def evppi_figure(table: pd.DataFrame, path: str | Path, *,
                 title: str = "Expected value of partial perfect information",
                 currency: str = "") -> Path:
    """Horizontal bars of EVPPI per person with 95% error bars (+-1.96 SE), one colour per
    threshold, largest at the top; dashed lines: the EVPI at each threshold. Sets whose
    EVPPI is below 0.1% of the EVPI at every threshold are listed under the axis instead.

    ``table``: ``wtp, label, kind, evppi, se, evpi`` for one perspective (``kind`` group
    marks a group of the parameters sheet).
    """
    table = table.copy()
    table["name"] = np.where(table.get("kind", "") == "group", table["label"] + " (group)",
                             table["label"])
    thresholds = list(dict.fromkeys(table["wtp"]))
    largest = table.groupby("name", sort=False)["evppi"].max()
    small = (table["evppi"] <= 1e-3 * table["evpi"]).groupby(table["name"], sort=False).all()
    order = largest[~small].sort_values().index.tolist()
    height = 0.8 / len(thresholds)
    fig, ax = new_figure(figsize=(9, 2.2 + 0.3 * max(len(order), 1) * (1 + 0.35 * len(
        thresholds))))
    y = np.arange(len(order))
    for i, wtp in enumerate(thresholds):
        part = table[table["wtp"] == wtp].set_index("name").reindex(order)
        colour = PALETTE[i % len(PALETTE)]
        offset = (len(thresholds) - 1) / 2 * height - i * height
        ax.barh(y + offset, part["evppi"], height=height * 0.92, color=colour,
                xerr=1.96 * part["se"].fillna(0), error_kw={"elinewidth": 0.8, "capsize": 2},
                label=f"EVPPI at {wtp:,.0f} per QALY", zorder=2)
        evpi = table.loc[table["wtp"] == wtp, "evpi"].iloc[0]
        ax.axvline(evpi, color=colour, linestyle="--", linewidth=1.2,
                   label=f"EVPI at {wtp:,.0f}", zorder=1)
    ax.set_yticks(y, order)
    for tick in ax.get_yticklabels():
        if tick.get_text().endswith("(group)"):
            tick.set_fontweight("bold")
    ax.set_xlim(left=0)
    _money_axis(ax.xaxis)
    label = f"per person ({currency})" if currency else "per person"
    ax.set_xlabel(f"expected value of information {label}")
    hidden = [n for n in largest.index if small[n]]
    if hidden:
        text = "About 0 at every threshold: " + ", ".join(hidden)
        ax.annotate(_wrap(text, 110), (0, 0), xycoords="axes fraction", xytext=(0, -38),
                    textcoords="offset points", fontsize=8, color="0.3", va="top")
    ax.set_title(title)
    ax.grid(axis="y", visible=False)
    ax.legend(loc="lower right", fontsize=8)
    return save(fig, path)


def _wrap(text: str, width: int) -> str:

    return "\n".join(textwrap.wrap(text, width))


def convergence_figure(conv: pd.DataFrame, path: str | Path, *, reference: str = "",
                       title: str = "Convergence of the PSA", currency: str = "") -> Path:
    """Running mean of incremental NMB against the number of draws with a 95% Monte Carlo
    band (mean +- 1.96 SE), one panel per threshold, one colour per strategy.

    ``conv``: ``wtp, strategy, draws, mean_inc_nmb, mc_se``.
    """
    thresholds = list(dict.fromkeys(conv["wtp"]))
    fig, axes = new_figure(ncols=max(1, len(thresholds)), figsize=(5 * max(1, len(thresholds)),
                                                                   4.5), squeeze=False)
    for ax, wtp in zip(axes[0], thresholds):
        part = conv[conv["wtp"] == wtp]
        for i, (strategy, rows) in enumerate(part.groupby("strategy", sort=False)):
            colour = PALETTE[(i + 1) % len(PALETTE)]
            mean, se = rows["mean_inc_nmb"].to_numpy(), rows["mc_se"].fillna(0).to_numpy()
            ax.fill_between(rows["draws"], mean - 1.96 * se, mean + 1.96 * se, color=colour,
                            alpha=0.2, linewidth=0)
            ax.plot(rows["draws"], mean, color=colour, linewidth=1.6,
                    label=f"{strategy} vs {reference}" if reference else strategy)
            ax.axhline(mean[-1], color=colour, linewidth=0.8, linestyle=":")
        ax.axhline(0, color="0.3", linewidth=0.8)
        ax.set_xscale("log")
        ax.xaxis.set_major_formatter(_MONEY)
        _money_axis(ax.yaxis)
        settled = part.groupby("strategy")["draws"].max().min() if len(part) else 0
        ax.set_title(f"wtp {wtp:,.0f} per QALY", fontsize=10)
        ax.set_xlabel(f"draws (of {settled:,})")
        ax.set_ylabel(f"mean incremental NMB ({currency})" if currency else
                      "mean incremental NMB")
        ax.legend(fontsize=8, loc="best")
    fig.suptitle(title, fontweight="bold")
    return save(fig, path)
