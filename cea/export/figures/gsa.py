"""Figures of global sensitivity analysis: Sobol S1/ST bars and the Morris μ*-σ plane.

Both take the rows of one output from a result's tidy table
(:meth:`cea.analyses.gsa.SobolResult.to_frame`, :meth:`~cea.analyses.gsa.MorrisResult.to_frame`).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from cea.export.figures import PALETTE, new_figure, save

#: Most inputs shown in one figure; the rest are summarised in a footnote.
MAX_BARS = 20
MAX_LABELS = 12
#: Inputs whose μ* is below this share of the largest μ* are not labelled.
MIN_LABEL_SHARE = 0.05


def _label(name: str) -> str:
    """Inputs keep their workbook names, so a reader can find them in the parameters sheet."""
    return str(name)


def sobol_bars(frame: pd.DataFrame, path: str | Path, *, title: str, note: str = "") -> Path:
    """Horizontal bars of S1 and ST per input with their interval whiskers.

    Inputs are ordered by ST (largest on top); S1 (light) is drawn inside ST (dark), so the
    gap between them is the share of variance the input explains only through interactions.
    """
    if frame["ST"].isna().all():
        return _no_variation(path, title, note)
    rows = frame.sort_values("ST", ascending=False, na_position="last")
    hidden = rows.iloc[MAX_BARS:]
    rows = rows.iloc[:MAX_BARS].iloc[::-1]
    y = np.arange(len(rows))
    fig, ax = new_figure(figsize=(8.5, 1.6 + 0.36 * max(len(rows), 3)))
    ax.barh(y, rows["ST"], height=0.72, color=PALETTE[0], alpha=0.85,
            label="ST: total (with interactions)")
    ax.barh(y, rows["S1"].clip(lower=0), height=0.38, color=PALETTE[1],
            label="S1: first order (alone)")
    ax.errorbar(rows["ST"], y + 0.2, xerr=rows["ST_conf"], fmt="none", ecolor="#333333",
                elinewidth=1, capsize=3)
    ax.errorbar(rows["S1"], y - 0.12, xerr=rows["S1_conf"], fmt="none", ecolor="#7a4a00",
                elinewidth=1, capsize=2)
    ax.set_yticks(y, [_label(p) for p in rows["parameter"]])
    ax.grid(axis="y", visible=False)
    high = np.nanmax(np.r_[rows["ST"] + rows["ST_conf"], rows["S1"] + rows["S1_conf"], 0.1])
    ax.set_xlim(min(0.0, float(np.nanmin(rows["S1"] - rows["S1_conf"]))), min(1.05, high * 1.08)
                if high < 1 else high * 1.02)
    ax.axvline(0, color="#555555", lw=0.8)
    ax.set_xlabel("Sobol index: share of the outcome's variance")
    ax.set_title(_wrap(title), loc="left")
    ax.legend(loc="lower right")
    foot = [f"sum of S1 = {rows['S1'].sum() + hidden['S1'].sum():.2f}"]
    if len(hidden):
        foot.append(f"{len(hidden)} more inputs with ST <= {hidden['ST'].max():.3f} not shown")
    if note:
        foot.append(note)
    fig.text(0.01, -0.01, "; ".join(foot), fontsize=8, color="#444444", ha="left", va="top")
    return save(fig, path)


def morris_scatter(frame: pd.DataFrame, path: str | Path, *, title: str, unit: str = "",
                   note: str = "") -> Path:
    """μ* (importance) against σ (non-linearity or interactions), each input labelled.

    The dashed line σ = μ* separates inputs whose effect is roughly linear and additive
    (below) from those whose effect depends on where the other inputs are (above). Groups of
    several parameters have no σ in SALib; they are drawn as hollow markers on σ = 0.
    """
    if frame["mu_star"].isna().all():
        return _no_variation(path, title, note)
    rows = frame.sort_values("mu_star", ascending=False)
    sigma = rows["sigma"].to_numpy(dtype=float)
    mu_star = rows["mu_star"].to_numpy(dtype=float)
    no_sigma = np.isnan(sigma)
    fig, ax = new_figure(figsize=(8.5, 6))
    ax.errorbar(mu_star[~no_sigma], sigma[~no_sigma], xerr=rows["mu_star_conf"][~no_sigma],
                fmt="o", color=PALETTE[0], ecolor="#9ab", elinewidth=1, capsize=2, ms=6,
                label="input (whisker: interval of μ*)")
    if no_sigma.any():
        ax.plot(mu_star[no_sigma], np.zeros(no_sigma.sum()), "o", mfc="none",
                color=PALETTE[3], ms=8, clip_on=False, label="group (σ not defined)")
    top = max(float(np.nanmax(mu_star)), float(np.nanmax(np.r_[sigma, 0.0])), 1e-12) * 1.1
    ax.plot([0, top], [0, top], "--", color="#888888", lw=1, label="σ = μ*")
    y_top = max(top * 0.75, float(np.nanmax(np.r_[sigma, 0.0])) * 1.15)
    ax.set_xlim(0, top)
    ax.set_ylim(0, y_top)
    quiet = _annotate(ax, rows["parameter"].to_numpy(), mu_star,
                      np.where(no_sigma, 0.0, sigma), top, y_top)
    per = f" ({unit} per step)" if unit else ""
    ax.set_xlabel(f"μ*: mean absolute effect{per}")
    ax.set_ylabel(f"σ: spread of the effects{per}")
    ax.set_title(_wrap(title), loc="left")
    ax.legend(loc="upper left")
    foot = ["a step moves an input by half its probability range"]
    if quiet:
        foot.append(f"{len(quiet)} unlabelled inputs with small μ* near the origin")
    if note:
        foot.append(note)
    fig.text(0.01, -0.01, "; ".join(foot), fontsize=8, color="#444444", ha="left", va="top")
    return save(fig, path)


def _no_variation(path: str | Path, title: str, note: str) -> Path:
    """A figure saying that the outcome does not vary (no index can be computed)."""
    fig, ax = new_figure(figsize=(8.5, 2.5))
    ax.set_axis_off()
    ax.set_title(_wrap(title), loc="left")
    ax.text(0.5, 0.5, "The outcome does not vary over the design: no index to show.",
            ha="center", va="center", transform=ax.transAxes)
    if note:
        fig.text(0.01, -0.01, note, fontsize=8, color="#444444", ha="left", va="top")
    return save(fig, path)


def _annotate(ax, names, x, y, x_range: float, y_range: float) -> list[str]:
    """Label the inputs with the largest μ* beside their points, nudging labels apart.

    Returns the names left unlabelled (small μ*, near the origin).
    """
    placed: list[tuple[float, float]] = []
    gap_y, width = 0.045 * y_range, 0.22 * x_range
    labelled = [i for i in range(len(names))
                if i < MAX_LABELS and x[i] >= MIN_LABEL_SHARE * np.nanmax(x)]
    for i in labelled:
        base = y[i] + 0.01 * y_range
        for shift in (0, 1, -1, 2, -2, 3, -3, 4, 5, 6):
            ty = base + shift * gap_y
            if ty >= 0 and not any(abs(ty - py) < gap_y and abs(x[i] - px) < width
                                   for px, py in placed):
                break
        placed.append((x[i], ty))
        moved = abs(ty - base) > 1e-12
        right = x[i] > 0.75 * x_range  # near the right edge: label to the left
        ax.annotate(_label(names[i]), (x[i], y[i]),
                    xytext=(x[i] + (-0.012 if right else 0.012) * x_range, ty),
                    fontsize=8.5, color="#222222", va="center",
                    ha="right" if right else "left",
                    arrowprops={"arrowstyle": "-", "color": "#aaaaaa", "lw": 0.6}
                    if moved else None)
    return [names[i] for i in range(len(names)) if i not in labelled]


def _wrap(text: str, width: int = 70) -> str:
    words, lines, line = str(text).split(), [], ""
    for word in words:
        if line and len(line) + 1 + len(word) > width:
            lines.append(line)
            line = word
        else:
            line = f"{line} {word}".strip()
    return "\n".join([*lines, line])
