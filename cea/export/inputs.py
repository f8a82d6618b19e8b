"""Sheets about the inputs: every input as the workbook gave it, and the provenance."""

from __future__ import annotations

import datetime as dt
import platform

import numpy as np
import pandas as pd

import cea
from cea.export.excel import Block, SheetSpec
from cea.export.layout import MIN_SCALE
from cea.model.spec import ModelSpec

__all__ = ["inputs_sheet", "provenance_sheet"]


def inputs_sheet(spec: ModelSpec) -> SheetSpec:
    """Every input as the workbook gave it: parameters, states, transitions, strategies."""
    rows = []
    for p in spec.parameters:
        about = (f"{p.label}: " if p.label else "") + p.description.rstrip() + (
            ("" if p.description.rstrip().endswith((".", ")")) or not p.description
             else ".") + f" Source: {p.source}" if p.source else "")
        rows.append({
            "name": p.name, "value or expression": p.value if p.is_free else p.expression.text,
            "unit": p.unit,
            "one-way range": "" if p.low is None else f"{p.low:g} to {p.high:g}",
            "distribution": p.distribution.describe() if p.distribution else "",
            "description and source": about,
        })
    states = pd.DataFrame([
        {"state": st.name, "description": st.description, "initial": st.initial,
         "dead": "yes" if st.dead else "", "tunnel": st.tunnel if st.tunnel > 1 else None,
         **{k: e.text for k, e in st.rewards.items()}} for st in spec.states])
    transitions = []
    for t in spec.transitions:  # one row per expression; strategies that share it, together
        shared: dict[str, list[str]] = {}
        for name, e in t.expressions.items():
            shared.setdefault("C" if e is None else e.text, []).append(name)
        for text, names in shared.items():
            transitions.append({"from": t.from_state, "to": t.to_state, "strategies":
                                "all" if len(names) == len(t.expressions) else
                                ", ".join(names), "probability per cycle": text})
    transitions = pd.DataFrame(transitions)
    rewards = pd.DataFrame([
        {"from": r.from_state, "to": r.to_state, "reward": r.reward, "value": r.value.text,
         "description": r.description} for r in spec.transition_rewards])
    strategies = pd.DataFrame([
        {"strategy": s.name, "description": s.description,
         "one-off at time 0": "; ".join(f"{k} = {e.text}" for k, e in s.oneoff.items()),
         "parameter overrides": "; ".join(f"{k} = {e.text}" for k, e in s.overrides.items())}
        for s in spec.strategies])
    blocks = [
        Block("Parameters (a value that is an expression is derived from other parameters)",
              pd.DataFrame(rows), "Under each parameter: its description and source.",
              detail="description and source"),
        Block("States (rewards per cycle)", states),
        Block("Transitions: probability per cycle (C = the remainder), by strategy where "
              "the strategies differ",
              transitions),
    ]
    if len(rewards):
        blocks.append(Block("Transition rewards (one-off, per transition)", rewards))
    blocks.append(Block("Strategies (the first is the comparator)", strategies))
    if spec.budget is not None:
        from cea.export.budget import assumptions  # the budget's own presenter says how

        blocks.append(Block("Budget impact inputs (the budget sheet)", assumptions(spec),
                            "Under each input: how it is derived, and its source.",
                            detail="derivation and source"))
    return SheetSpec("inputs", blocks, fit_scale=MIN_SCALE)


def provenance_sheet(spec: ModelSpec) -> SheetSpec:
    s = spec.settings
    rows = [
        ("package", f"cea {cea.__version__}"),
        ("python / numpy / pandas", f"{platform.python_version()} / {np.__version__} / "
                                    f"{pd.__version__}"),
        ("input file", spec.source),
        ("input SHA-256", spec.source_sha256),
        ("run at (UTC)", dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d %H:%M:%S")),
        ("model", s.model_name),
        ("currency and price year", f"{s.currency} {s.price_year}"),
        ("perspectives", "; ".join(f"{k}: {', '.join(v)}" for k, v in s.perspectives.items())),
        ("willingness to pay", ", ".join(f"{w:,.0f}" for w in s.wtp)),
        ("seed", str(s.seed)),
        ("PSA draws (default)", f"{s.psa_draws:,}"),
        *s.conventions().items(),
    ]
    return SheetSpec("provenance", [Block("Provenance and conventions",
                                          pd.DataFrame(rows, columns=["item", "value"]))])
