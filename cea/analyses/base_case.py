"""The base case: one parameter row through the engine, summarised per perspective."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from cea import engine
from cea.analyses import incremental
from cea.engine import Outcomes
from cea.model.spec import ModelSpec

__all__ = ["BaseCase", "icer_summary", "run_base_case"]


@dataclass(frozen=True)
class BaseCase:
    """Result of :func:`run_base_case`: outcomes of the base-case row, with its trace."""

    spec: ModelSpec
    outcomes: Outcomes

    @property
    def perspectives(self) -> dict[str, tuple[str, ...]]:
        return dict(self.spec.settings.perspectives)

    def results(self) -> pd.DataFrame:
        """Per strategy: every measure of the engine (costs by category, QALYs, ...)."""
        frame = self.outcomes.to_frame().drop(columns="row")
        return frame

    def icer_table(self, perspective: str) -> pd.DataFrame:
        """Incremental analysis for one perspective, rows in order of cost.

        Columns: strategy, the perspective's cost categories, ``cost`` (their
        sum), ``qaly``, ``ly``, ``status``, ``comparator``, ``inc_cost``,
        ``inc_qaly``, ``icer`` and ``nmb_<wtp>`` for each threshold.
        """
        return icer_summary(self.spec, self.outcomes, perspective, row=0)

    def pairwise(self, perspective: str) -> pd.DataFrame:
        """Each strategy against the first (the comparator), with a verdict."""
        cost = self.outcomes.cost(self.perspectives[perspective])[0]
        frame = incremental.pairwise(self.outcomes.strategies, cost, self.outcomes["qaly"][0])
        return frame.rename(columns={"inc_effect": "inc_qaly"})

    def optimal(self) -> pd.DataFrame:
        """The strategy with the highest net monetary benefit, per perspective and threshold."""
        rows = []
        for perspective, categories in self.perspectives.items():
            cost = self.outcomes.cost(categories)[0]
            best = incremental.optimal_strategy(cost, self.outcomes["qaly"][0],
                                                np.array(self.spec.settings.wtp))
            for wtp, index in zip(self.spec.settings.wtp, best):
                rows.append({"perspective": perspective, "wtp": wtp,
                             "optimal": self.outcomes.strategies[index]})
        return pd.DataFrame(rows)

    def consequences(self, per: int = 1000) -> pd.DataFrame:
        """Cost-consequence table: each counted outcome per ``per`` people, against the
        comparator (the first strategy), and the incremental cost per event averted.

        One line per outcome, strategy (other than the comparator) and perspective:
        ``outcome``, ``strategy``, ``comparator``, ``perspective``, ``strategy_count`` and
        ``comparator_count`` (events per ``per`` people over the horizon, undiscounted),
        ``averted`` (comparator minus strategy, per ``per`` people), ``inc_cost`` (per
        person, the perspective's categories, undiscounted like the counts) and
        ``cost_per_averted`` (``inc_cost`` per event averted; negative when the strategy
        saves money; NaN when it averts none).
        """
        o = self.outcomes
        rows = []
        for name in self.spec.outcomes:
            count = o[f"outcome_{name}"][0]
            for j, strategy in enumerate(o.strategies[1:], start=1):
                averted = count[0] - count[j]
                for perspective, categories in self.perspectives.items():
                    cost = sum(o[f"cost_{c}_undiscounted"][0] for c in categories)
                    inc = float(cost[j] - cost[0])
                    rows.append({"outcome": name, "strategy": strategy,
                                 "comparator": o.strategies[0], "perspective": perspective,
                                 "strategy_count": per * count[j],
                                 "comparator_count": per * count[0],
                                 "averted": per * averted, "inc_cost": inc,
                                 "cost_per_averted": inc / averted if averted > 0 else np.nan})
        return pd.DataFrame(rows, columns=_CONSEQUENCES)

    def per_cycle(self) -> pd.DataFrame:
        """The base case's rewards cycle by cycle (:func:`cea.engine.per_cycle.per_cycle`):
        one line per strategy, cycle, state, reward and count, with the count, value,
        weight and discount factor used; per person."""
        from cea.engine.per_cycle import per_cycle

        return per_cycle(self.spec)

    def per_cycle_totals(self) -> pd.DataFrame:
        """Per strategy and cycle (1..T as expressions number them; 0 for one-off strategy
        costs at time 0), each measure's discounted total: the numbers a reviewer adds up
        to the results (per person)."""
        lines = self.per_cycle()
        lines["value"] = np.where(lines["measure"].str.startswith("outcome_"),
                                  lines["undiscounted"], lines["discounted"])
        table = lines.pivot_table(index=["strategy", "cycle"], columns="measure",
                                  values="value", aggfunc="sum", sort=False, fill_value=0.0)
        order = [m for m in self.outcomes.measures if m in table.columns]
        table = table[order].reset_index()
        table.columns.name = None
        return table

    def transitions(self) -> pd.DataFrame:
        """The base case's transition probabilities: strategy, cycle (1..T), from, to,
        probability, for every possible transition (tunnel sub-states as ``name[k]``)."""
        from cea.engine.per_cycle import transition_matrices

        frames = []
        n_cycles = self.spec.settings.n_cycles
        for strategy in self.outcomes.strategies:
            states, matrices = transition_matrices(self.spec, strategy)
            matrices = np.broadcast_to(matrices, (n_cycles, *matrices.shape[1:]))
            t, i, j = np.nonzero(matrices)
            frames.append(pd.DataFrame({
                "strategy": strategy, "cycle": t + 1, "from": np.array(states)[i],
                "to": np.array(states)[j], "probability": matrices[t, i, j]}))
        return pd.concat(frames, ignore_index=True)

    def trace(self) -> pd.DataFrame:
        """Markov trace: strategy, time point t (after cycle t; 0 = entry), years elapsed,
        share of the cohort in each state."""
        frame = self.outcomes.trace_frame(0)
        frame.insert(2, "years", frame["time_point"] * self.spec.settings.cycle_years)
        return frame


_CONSEQUENCES = ["outcome", "strategy", "comparator", "perspective", "strategy_count",
                 "comparator_count", "averted", "inc_cost", "cost_per_averted"]


def icer_summary(spec: ModelSpec, outcomes: Outcomes, perspective: str, row: int = 0):
    """ICER table of one parameter row under one perspective (see :meth:`BaseCase.icer_table`)."""
    categories = spec.settings.perspectives[perspective]
    cost = outcomes.cost(categories)[row]
    qaly = outcomes["qaly"][row]
    table = incremental.icer_table(outcomes.strategies, cost, qaly)
    table = table.rename(columns={"effect": "qaly", "inc_effect": "inc_qaly"})
    order = [outcomes.strategies.index(s) for s in table["strategy"]]
    for position, category in enumerate(categories):
        table.insert(1 + position, f"cost_{category}", outcomes[f"cost_{category}"][row, order])
    table.insert(table.columns.get_loc("qaly") + 1, "ly", outcomes["ly"][row, order])
    for wtp in spec.settings.wtp:
        table[f"nmb_{wtp:g}"] = incremental.nmb(table["cost"].to_numpy(),
                                               table["qaly"].to_numpy(), wtp)
    table.insert(0, "perspective", perspective)
    return table.reset_index(drop=True)


def run_base_case(spec: ModelSpec, *, seed: int | None = None, executor=None,
                  progress=None) -> BaseCase:
    """Run the base case (every free parameter at its base value) with its trace.

    ``seed``, ``executor`` and ``progress`` are accepted so that every analysis takes the
    same keywords; the base case is one deterministic row, run in this process.
    """
    return BaseCase(spec, engine.run(spec, spec.base_table(), trace=True))
