"""The budget impact figure: each world's cost and the net budget impact, by year."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from cea.export.figures import PALETTE, new_figure, save


def budget_figure(result, path: str | Path, *, title: str, currency: str) -> Path:
    """Two panels: the payer's total cost without and with the new strategy (grouped bars),
    and the net budget impact (bars, with the PSA's 95% interval when draws were run)."""
    table = result.table().iloc[:-1]
    years = np.arange(1, len(table) + 1)
    fig, (left, right) = new_figure(ncols=2, figsize=(11, 4.2))
    width = 0.38
    new = result.budget.new_strategy
    for offset, column, label, colour in ((-width / 2, "cost_without", f"without {new}",
                                           PALETTE[0]),
                                          (width / 2, "cost_with", f"with {new}", PALETTE[1])):
        left.bar(years + offset, table[column] / 1e6, width, label=label, color=colour)
    left.set_title("Total cost to the payer")
    left.set_ylabel(f"{currency}, millions")
    left.legend(loc="upper left")
    net = table["net_budget_impact"].to_numpy() / 1e6
    colours = [PALETTE[3] if v >= 0 else PALETTE[2] for v in net]
    right.bar(years, net, 0.6, color=colours)
    if "net_low" in table:
        low, high = table["net_low"].to_numpy() / 1e6, table["net_high"].to_numpy() / 1e6
        right.errorbar(years, net, yerr=[net - low, high - net], fmt="none", ecolor="black",
                       capsize=4, label="95% interval (PSA)")
        right.legend(loc="upper left")
    right.axhline(0, color="black", linewidth=0.8)
    right.set_title("Net budget impact (with minus without)")
    right.set_ylabel(f"{currency}, millions")
    for ax in (left, right):
        ax.set_xticks(years)
        ax.set_xlabel("budget year")
    fig.suptitle(title, fontsize=11, fontweight="bold")
    return save(fig, path)
