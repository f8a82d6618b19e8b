"""State-transition diagram of a model, drawn from its states and transitions."""

from __future__ import annotations

import textwrap
from pathlib import Path

from matplotlib.patches import FancyArrowPatch, FancyBboxPatch

from cea.export.figures import PALETTE, new_figure, save
from cea.model.spec import ModelSpec


def _positions(spec: ModelSpec) -> dict[str, tuple[float, float]]:
    """Living states in columns by their distance from the starting states; dead states below."""
    alive = [s.name for s in spec.states if not s.dead]
    depth = {s.name: 0 for s in spec.states if s.initial > 0 and not s.dead}
    frontier = list(depth)
    while frontier:
        following = []
        for name in frontier:
            for t in spec.transitions:
                if t.from_state == name and t.to_state in alive and t.to_state not in depth:
                    depth[t.to_state] = depth[name] + 1
                    following.append(t.to_state)
        frontier = following
    for name in alive:
        depth.setdefault(name, max(depth.values(), default=-1) + 1)
    columns: dict[int, list[str]] = {}
    for name in alive:
        columns.setdefault(depth[name], []).append(name)
    positions = {}
    for d, names in columns.items():
        for i, name in enumerate(names):
            positions[name] = (d * 2.0, ((len(names) - 1) / 2 - i) * 1.1)
    dead = [s.name for s in spec.states if s.dead]
    width = max(columns, default=0) * 2.0
    low = min((p[1] for p in positions.values()), default=0.0) - 1.3
    for i, name in enumerate(dead):
        positions[name] = (width / 2 + (i - (len(dead) - 1) / 2) * 1.6, low)
    return positions


def state_diagram(spec: ModelSpec, path: str | Path) -> Path:
    """Draw boxes for states (tunnel length and initial share noted) and arrows for transitions."""
    fig, ax = new_figure(figsize=(9, 6))
    ax.set_axis_off()
    ax.grid(False)
    pos = _positions(spec)
    boxes = {}
    for i, state in enumerate(spec.states):
        x, y = pos[state.name]
        label = "\n".join(textwrap.wrap(state.name.replace("_", " "), 12) or [state.name])
        if state.tunnel > 1:
            label += f"\n(tunnel: {state.tunnel} cycles)"
        if state.initial > 0:
            label += f"\nstart: {state.initial:.0%}"
        colour = "#dddddd" if state.dead else PALETTE[i % len(PALETTE)]
        # the box fits its label: 10-point text is about 0.075 units a character here
        rows = label.split("\n")
        half_w = max(0.42, 0.0375 * max(len(r) for r in rows) + 0.08)
        half_h = max(0.2, 0.085 * len(rows) + 0.04)
        boxes[state.name] = FancyBboxPatch((x - half_w, y - half_h), 2 * half_w, 2 * half_h,
                                           boxstyle="round,pad=0.02", fc=colour, alpha=0.25,
                                           ec=colour if not state.dead else "#555555", lw=1.5)
        ax.add_patch(boxes[state.name])
        ax.text(x, y, label, ha="center", va="center", fontsize=10)
    for t in spec.transitions:
        if t.from_state == t.to_state:
            x, y = pos[t.from_state]
            ax.annotate("", xy=(x + 0.3, y + 0.2), xytext=(x - 0.3, y + 0.2),
                        arrowprops=dict(arrowstyle="->", connectionstyle="arc3,rad=-1.2",
                                        color="#777777", lw=1))
            continue
        (x0, y0), (x1, y1) = pos[t.from_state], pos[t.to_state]
        rad = 0.12
        if abs(x1 - x0) < 1e-9:  # straight down through other boxes: bend around them
            rad = 0.9 if y0 > 0 else 0.3
        # arrows run from box edge to box edge (clipped at the boxes), never over a label
        ax.add_patch(FancyArrowPatch((x0, y0), (x1, y1), arrowstyle="-|>", mutation_scale=14,
                                     patchA=boxes[t.from_state], patchB=boxes[t.to_state],
                                     shrinkA=2, shrinkB=2, connectionstyle=f"arc3,rad={rad}",
                                     color="#333333", lw=1.2))
    xs = [p[0] for p in pos.values()]
    ys = [p[1] for p in pos.values()]
    ax.set_xlim(min(xs) - 0.7, max(xs) + 0.7)
    ax.set_ylim(min(ys) - 0.5, max(ys) + 0.6)
    ax.set_aspect("equal")
    ax.set_title(f"{spec.settings.model_name}: states and transitions "
                 f"(cycle {spec.settings.cycle_length:g} {spec.settings.cycle_unit})")
    return save(fig, path)


def trace_figure(trace, path: str | Path, *, title: str = "Markov trace") -> Path:
    """Share of the cohort in each state over time, one panel per strategy.

    ``trace`` is :meth:`cea.analyses.base_case.BaseCase.trace` (strategy, cycle,
    years, one column per state).
    """
    strategies = list(dict.fromkeys(trace["strategy"]))
    states = [c for c in trace.columns if c not in ("strategy", "time_point", "years")]
    fig, axes = new_figure(ncols=len(strategies), figsize=(5 * len(strategies), 4.2),
                           sharey=True, squeeze=False)
    for ax, strategy in zip(axes[0], strategies):
        part = trace[trace["strategy"] == strategy]
        for i, state in enumerate(states):
            ax.plot(part["years"], part[state], color=PALETTE[i % len(PALETTE)],
                    label=state.replace("_", " "), lw=1.8)
        ax.set_title(strategy)
        ax.set_xlabel("years")
        ax.set_ylim(0, 1)
    axes[0][0].set_ylabel("share of the cohort")
    axes[0][-1].legend(loc="center right", fontsize=9)
    fig.suptitle(title, fontweight="bold")
    return save(fig, path)
