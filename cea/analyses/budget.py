"""Budget impact: what adopting a strategy costs the payer, year by year.

A budget impact analysis (Sullivan et al., *Value Health* 2014;17:5-14, ISPOR good
practice II) follows an **open population**: each year's newly eligible people enter the
model in that year, and the payer's costs are counted in the calendar year in which they
fall, in two worlds: without the new strategy (today's shares) and with it (the uptake).
The net budget impact of year y is the difference of the two worlds' costs over the
perspective's categories, undiscounted unless the budget sheet gives a rate.

The cohort model is linear in its entrants and its time runs from entry, so one person's
amounts by year since entry, per strategy, give every cohort's: a cohort entering in year
e adds to year y its per-person amounts of year ``y - e`` since entry. Those come from one
engine call (:func:`cea.engine.run` with ``periods``): the weight of cycle t in year k
since entry is the share of the cycle's span that falls in that year
(:func:`calendar_weights`), with entrants on the first day of their year (``start``) or
spread evenly through it (``spread``). Each cohort is followed to the end of the last
budget year (the horizon is extended where the model's is shorter). People already in the
model's states at the start of year 1 (``existing``) are a cohort of their own, starting
from that distribution on the first day.

One-way analysis varies every model parameter with a range (one engine call of 2k + 1
rows) and the budget's own inputs (eligible people and uptake, on all years at once);
scenario analysis runs the budget on each scenario of the scenarios sheet; a PSA gives the
interval of every year's net budget impact from the draws' one engine call.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, replace

import numpy as np
import pandas as pd

from cea import engine
from cea.analyses.ranges import format_pair, resolve_ranges
from cea.model.arguments import Integer, check
from cea.model.errors import ModelError
from cea.model.memory import ROW_BYTES, check_rows
from cea.model.scenarios import apply_scenario
from cea.model.spec import WORLDS, Budget, ModelSpec

__all__ = ["BudgetResult", "budget_impact", "calendar_weights", "followed_spec",
           "open_cohort"]

#: The percentiles of a PSA interval.
INTERVAL = (2.5, 97.5)


def calendar_weights(cycle_years: float, n_cycles: int, years: int, entry: str
                     ) -> np.ndarray:
    """Share of each cycle's amount that falls in each year since the year of entry.

    Shape (n_cycles + 1, years): row 0 is time 0 (one-off amounts, in the year of entry),
    row t the cycle t, spanning ``[(t - 1) L, t L)`` after entry (L = ``cycle_years``);
    column k is the k-th year after the year of entry (k = 0: the year of entry). An amount
    is taken as spread evenly over its cycle. ``start``: entry on the first day of the
    year, so the weight is the overlap of the cycle with ``[k, k + 1)`` over L. ``spread``:
    entry at a time u spread evenly over the year, so the weight is that overlap averaged
    over u in [0, 1):

        (1/L) [R(k + 1 - a) - R(k - a) - R(k + 1 - b) + R(k - b)],   a = (t-1)L, b = tL,

    with R(x) = 0 for x < 0, x^2/2 for 0 <= x <= 1 and x - 1/2 for x > 1 (the integral of
    the overlap). Amounts beyond the last year are not counted.
    """
    if entry not in ("start", "spread"):
        raise ValueError(f"entry must be 'start' or 'spread'; got {entry!r}")
    t = np.arange(1, n_cycles + 1, dtype=float)[:, None]
    a, b = (t - 1) * cycle_years, t * cycle_years
    k = np.arange(years, dtype=float)[None, :]
    if entry == "start":
        share = (np.clip(np.minimum(b, k + 1) - np.maximum(a, k), 0.0, None)) / cycle_years
    else:
        share = (_ramp(k + 1 - a) - _ramp(k - a) - _ramp(k + 1 - b) + _ramp(k - b)) \
            / cycle_years
    weights = np.zeros((n_cycles + 1, years))
    weights[0, 0] = 1.0
    weights[1:] = share
    return weights


def _ramp(x: np.ndarray) -> np.ndarray:
    """The integral of clip(z, 0, 1) from -inf to x."""
    return np.where(x < 0, 0.0, np.where(x <= 1, x * x / 2, x - 0.5))


def followed_spec(spec: ModelSpec, years: int) -> ModelSpec:
    """``spec`` with a horizon of at least ``years`` years, so that a cohort entering on the
    first day of year 1 is followed to the end of the last budget year (the model as it is
    if its horizon is long enough)."""
    s = spec.settings
    needed = math.ceil(years / s.cycle_years - 1e-9)
    if s.within_cycle == "simpson_1_3" and needed % 2:
        needed += 1
    if s.n_cycles >= needed:
        return spec
    return replace(spec, settings=replace(s, horizon=needed * s.cycle_length,
                                          horizon_unit=s.cycle_unit))


def open_cohort(per_entrant: np.ndarray, entrants: np.ndarray) -> np.ndarray:
    """Amounts of an open population by calendar year.

    per_entrant : (rows, strategies, measures, years) one person's amounts by year since
        entry; entrants : (worlds, years, strategies) people entering on each strategy in
        each year. Returns (rows, worlds, years, measures): year y adds, for each year of
        entry e <= y, ``entrants[w, e, s] x per_entrant[r, s, m, y - e]``.
    """
    n_rows, _, n_measures, n_years = per_entrant.shape
    out = np.zeros((n_rows, entrants.shape[0], n_years, n_measures))
    for e in range(n_years):
        shifted = per_entrant[..., : n_years - e]  # (rows, strategies, measures, years - e)
        out[:, :, e:, :] += np.einsum("ws,rsmk->rwkm", entrants[:, e, :], shifted)
    return out


@dataclass(frozen=True)
class BudgetResult:
    """Result of :func:`budget_impact`.

    Attributes
    ----------
    spec : ModelSpec
    budget : Budget
    n_cycles : int
        Cycles each cohort is followed (the model's horizon, extended to the budget years).
    measures : tuple of str
        ``cost_<category>``, ``qaly``, ``ly``, ``outcome_<name>``, all undiscounted.
    amounts : ndarray (worlds, years, measures)
        The base case's totals of the population in each world and calendar year.
    entrants : ndarray (worlds, years, strategies)
        People entering on each strategy (the existing ones in year 1 included).
    one_way : DataFrame
        The tornado of the net budget impact over all years (:meth:`tornado`).
    scenarios : DataFrame
        Net budget impact per year of each scenario.
    draws : ndarray (n_draws, years) or None
        Net budget impact of every PSA draw, when draws were asked for.
    """

    spec: ModelSpec
    budget: Budget
    n_cycles: int
    measures: tuple[str, ...]
    amounts: np.ndarray
    entrants: np.ndarray
    one_way: pd.DataFrame
    scenarios: pd.DataFrame
    draws: np.ndarray | None = None
    seed: int | None = None

    @property
    def categories(self) -> tuple[str, ...]:
        """The cost categories of the budget's perspective."""
        return tuple(self.spec.settings.perspectives[self.budget.perspective])

    @property
    def discount_factors(self) -> np.ndarray:
        """(1 + rate)^-(y - 1) of each budget year y (1 without discounting)."""
        return (1.0 + self.budget.discount) ** -np.arange(self.budget.years, dtype=float)

    @property
    def net(self) -> np.ndarray:
        """The net budget impact of each year: cost with minus cost without."""
        return net_impact(self.amounts[None], self.measures, self.categories,
                          self.discount_factors)[0]

    def table(self) -> pd.DataFrame:
        """Per budget year (and the total): the eligible, the number treated with the new
        strategy, the payer's costs in each world, the net budget impact (with its PSA
        interval when draws were run) and every outcome averted."""
        b, years = self.budget, self.budget.years
        j = self.spec.strategy_names.index(b.new_strategy)
        cost = self._cost()
        frame = pd.DataFrame({
            "year": [str(y) for y in range(1, years + 1)],
            "eligible": [v.value for v in b.eligible],
            "treated": self.entrants[1, :, j],
            "cost_without": cost[0], "cost_with": cost[1], "net_budget_impact": cost[1] - cost[0],
        })
        if self.draws is not None:
            low, high = np.percentile(self.draws, INTERVAL, axis=0)
            frame["net_low"], frame["net_high"] = low, high
        for m, measure in enumerate(self.measures):
            if measure.startswith("outcome_"):
                frame[f"averted_{measure[len('outcome_'):]}"] = (self.amounts[0, :, m]
                                                                 - self.amounts[1, :, m])
        total = {c: frame[c].sum() for c in frame.columns if c != "year"}
        total["year"] = f"1-{years}" if years > 1 else "1"
        if self.draws is not None:
            low, high = np.percentile(self.draws.sum(axis=1), INTERVAL)
            total["net_low"], total["net_high"] = low, high
        return pd.concat([frame, pd.DataFrame([total])], ignore_index=True)

    def costs(self) -> pd.DataFrame:
        """Per year and cost category: each world's cost and the difference (discounted
        where the budget discounts), and whether the perspective counts the category."""
        rows = []
        factors = self.discount_factors
        for c in self.spec.cost_categories:
            m = self.measures.index(f"cost_{c}")
            for y in range(self.budget.years):
                without, with_ = (self.amounts[w, y, m] * factors[y] for w in range(2))
                rows.append({"year": y + 1, "category": c, "cost_without": without,
                             "cost_with": with_, "difference": with_ - without,
                             "counted": c in self.categories})
        return pd.DataFrame(rows)

    def outcomes(self) -> pd.DataFrame:
        """Per year and outcome the model counts: each world's count and the number averted
        (undiscounted)."""
        rows = []
        for m, measure in enumerate(self.measures):
            if not measure.startswith("outcome_"):
                continue
            for y in range(self.budget.years):
                without, with_ = self.amounts[0, y, m], self.amounts[1, y, m]
                rows.append({"year": y + 1, "outcome": measure[len("outcome_"):],
                             "without": without, "with": with_, "averted": without - with_})
        return pd.DataFrame(rows, columns=["year", "outcome", "without", "with", "averted"])

    def tornado(self) -> pd.DataFrame:
        """Inputs ranked by the swing of the net budget impact over all years."""
        return self.one_way.copy()

    def to_frame(self) -> pd.DataFrame:
        """The yearly table (:meth:`table`)."""
        return self.table()

    def _cost(self) -> np.ndarray:
        """(worlds, years) the perspective's cost, discounted where the budget discounts."""
        idx = [self.measures.index(f"cost_{c}") for c in self.categories]
        return self.amounts[:, :, idx].sum(axis=2) * self.discount_factors


def net_impact(amounts: np.ndarray, measures, categories, factors) -> np.ndarray:
    """(rows, years) cost with minus cost without over ``categories``, times ``factors``."""
    idx = [measures.index(f"cost_{c}") for c in categories]
    cost = amounts[..., idx].sum(axis=-1)  # (rows, worlds, years)
    return (cost[:, 1] - cost[:, 0]) * factors


def budget_impact(spec: ModelSpec, *, n_draws: int | None = None, seed: int | None = None,
                  executor=None, progress: Callable[[int, int], None] | None = None
                  ) -> BudgetResult:
    """The budget impact of the workbook's ``budget`` sheet.

    Parameters
    ----------
    spec : ModelSpec
        With a budget sheet (``spec.budget``).
    n_draws : int, optional
        PSA draws for the interval of each year's net budget impact (none by default).
    seed : int, optional
        Seed of the draws (default ``settings.seed``).
    executor : ignored
        Accepted so that every analysis takes the same keywords; the rows run here.
    progress : callable(done, total), optional

    Raises
    ------
    ValueError
        If the model has no budget sheet.
    ModelError
        If a row gives invalid numbers; the message names the row's varied values or draw.
    """
    budget = spec.budget
    if budget is None:
        raise ValueError(f"{spec.source or 'the model'} has no budget sheet; add one (see "
                         "docs/budget-impact.md) to run a budget impact analysis")
    if n_draws is not None:
        n_draws = check("budget_impact", "n_draws", n_draws, Integer(1))
        check_rows("budget_impact", "n_draws", n_draws, n_draws,
                   ROW_BYTES * (len(spec.free_parameters) + 4 * len(spec.strategies)
                                * budget.years), "Use fewer draws.")
    seed = check("budget_impact", "seed", spec.settings.seed if seed is None else seed,
                 Integer(0))
    stages = 3 if n_draws else 2
    followed = followed_spec(spec, budget.years)
    varied, _ = resolve_ranges(spec, None, None)
    table = _one_way_table(spec, varied)
    amounts = _amounts(followed, budget, table, lambda r: _describe(varied, r))
    measures = amounts.measures
    entrants = entrant_counts(budget, spec.strategy_names)
    factors = (1.0 + budget.discount) ** -np.arange(budget.years, dtype=float)
    categories = spec.settings.perspectives[budget.perspective]
    base = amounts.of(entrants)
    if progress is not None:
        progress(1, stages)
    one_way = _tornado(spec, budget, varied, amounts, entrants, categories, factors)
    scenarios = _scenarios(spec, budget, net_impact(base[:1], measures, categories, factors)[0])
    if progress is not None:
        progress(2, stages)
    draws = None
    if n_draws:
        from cea.analyses.draws import DrawSampler  # scipy: only when draws are asked for

        sampler = DrawSampler(followed, seed, n_draws)
        psa = _amounts(followed, budget, sampler.table(0, sampler.n_blocks),
                       lambda r: f"draw {r + 1:,}")
        draws = net_impact(psa.of(entrants), measures, categories, factors)
        if progress is not None:
            progress(3, stages)
    return BudgetResult(spec, budget, followed.settings.n_cycles, measures, base[0],
                        entrants, one_way, scenarios, draws, seed if n_draws else None)


def entrant_counts(budget: Budget, strategies, *, eligible: str = "value",
                   uptake: tuple[str, str, str] | None = None) -> np.ndarray:
    """(worlds, years, strategies) people entering on each strategy: the eligible times
    each strategy's share, the comparator taking the rest, plus the existing people in year
    1 on year 1's shares. ``eligible`` and ``uptake`` (world, strategy, end) pick a range
    end (``low``/``high``) for a one-way analysis; the comparator's share follows."""
    n_years = budget.years
    counts = np.array([_end(v, eligible) for v in budget.eligible])
    counts[0] += sum(budget.existing.values())
    out = np.zeros((len(WORLDS), n_years, len(strategies)))
    for w, world in enumerate(WORLDS):
        for j, name in enumerate(strategies[1:], start=1):
            values = budget.uptake[world].get(name)
            if values is None:
                continue
            end = uptake[2] if uptake is not None and uptake[:2] == (world, name) else "value"
            out[w, :, j] = [_end(v, end) for v in values]
        out[w, :, 0] = 1.0 - out[w, :, 1:].sum(axis=1)
    return out * counts[None, :, None]


def _end(value, end: str) -> float:
    v = getattr(value, end)
    return value.value if v is None else v


@dataclass(frozen=True)
class _Amounts:
    """Per-person amounts by year since entry, of new entrants and of the existing."""

    measures: tuple[str, ...]
    new: np.ndarray  # (rows, strategies, measures, years)
    existing: np.ndarray | None  # the same for people existing at the start of year 1
    existing_total: float

    def of(self, entrants: np.ndarray) -> np.ndarray:
        """(rows, worlds, years, measures) of the population ``entrants`` (existing people
        included in year 1's counts, as :func:`entrant_counts` gives them)."""
        if self.existing is None:
            return open_cohort(self.new, entrants)
        existing = np.zeros_like(entrants)
        first = entrants[:, 0, :]
        people = first.sum(axis=1, keepdims=True)
        shares = np.divide(first, people, out=np.zeros_like(first), where=people > 0)
        existing[:, 0, :] = shares * self.existing_total
        return open_cohort(self.new, entrants - existing) + open_cohort(self.existing,
                                                                        existing)


def _amounts(spec: ModelSpec, budget: Budget, table: pd.DataFrame,
             describe: Callable[[int], str]) -> _Amounts:
    """One engine call per cohort kind (new entrants; the existing, if any) on ``table``."""
    s = spec.settings
    weights = calendar_weights(s.cycle_years, s.n_cycles, budget.years, budget.entry)
    new = _run(spec, table, weights, describe)
    existing = None
    total = float(sum(budget.existing.values()))
    if total > 0:
        start = calendar_weights(s.cycle_years, s.n_cycles, budget.years, "start")
        states = tuple(replace(state, initial=budget.existing.get(state.name, 0.0) / total)
                       for state in spec.states)
        existing = _run(replace(spec, states=states), table, start,
                        lambda r: f"{describe(r)}, people existing at the start")
    return _Amounts(new.period_measures, new.periods, None if existing is None
                    else existing.periods, total)


def _run(spec: ModelSpec, table: pd.DataFrame, weights: np.ndarray,
         describe: Callable[[int], str]) -> engine.Outcomes:
    try:
        return engine.run(spec, table, periods=weights)
    except ModelError as error:
        raise error.at(label=f"budget impact, {describe(error.row)}") from error


def _one_way_table(spec: ModelSpec, varied) -> pd.DataFrame:
    columns = {r.parameter: np.r_[r.base, np.full(2 * len(varied), r.base)] for r in varied}
    for i, r in enumerate(varied):
        columns[r.parameter][2 * i + 1: 2 * i + 3] = (r.low, r.high)
    return spec.table_from(pd.DataFrame(columns, index=range(2 * len(varied) + 1)))


def _describe(varied, row: int) -> str:
    if row == 0:
        return "the base case"
    r = varied[(row - 1) // 2]
    end, value = ("low", r.low) if row % 2 else ("high", r.high)
    return f"parameter {r.parameter} at its {end} value {value:g}"


def _tornado(spec, budget: Budget, varied, amounts: _Amounts, entrants, categories,
             factors) -> pd.DataFrame:
    """The net budget impact over all years at each end of every range: model parameters
    (rows 2i + 1 and 2i + 2 of the engine call), then the eligible and each uptake."""
    total = net_impact(amounts.of(entrants), amounts.measures, categories, factors).sum(axis=1)
    rows = []
    labels = {p.name: p.label or p.name for p in spec.parameters}
    for i, r in enumerate(varied):
        low, high = format_pair(r.low, r.high)
        rows.append((labels[r.parameter], r.parameter, low, high, total[2 * i + 1],
                     total[2 * i + 2]))
    base_amounts = _Amounts(amounts.measures, amounts.new[:1],
                            None if amounts.existing is None else amounts.existing[:1],
                            amounts.existing_total)

    def at(**ends) -> float:
        counts = entrant_counts(budget, spec.strategy_names, **ends)
        return float(net_impact(base_amounts.of(counts), amounts.measures, categories,
                                factors).sum())

    if any(v.low is not None for v in budget.eligible):
        rows.append(("eligible people a year", "eligible", _years_text(budget.eligible, "low"),
                     _years_text(budget.eligible, "high"), at(eligible="low"),
                     at(eligible="high")))
    for world in WORLDS[::-1]:
        for name, values in budget.uptake[world].items():
            if any(v.low is not None for v in values):
                label = f"uptake of {name}" + ("" if world == "with" else ", world without")
                rows.append((label, f"uptake_{world} {name}",
                             _years_text(values, "low", share=True),
                             _years_text(values, "high", share=True),
                             at(uptake=(world, name, "low")), at(uptake=(world, name, "high"))))
    frame = pd.DataFrame(rows, columns=["input", "name", "low", "high", "net_at_low",
                                        "net_at_high"])
    frame.insert(4, "net_base", total[0])
    frame["swing"] = (frame["net_at_high"] - frame["net_at_low"]).abs()
    order = np.argsort(-frame["swing"].to_numpy(), kind="stable")
    return frame.iloc[order].reset_index(drop=True)


def _years_text(values, end: str, share: bool = False) -> str:
    """A yearly input at one end of its range, e.g. ``418,000`` or ``5% to 15%``."""
    numbers = [_end(v, end) for v in values]
    words = [f"{v:.0%}" if share and v * 100 == round(v * 100) else
             (f"{v:.1%}" if share else f"{v:,.0f}") for v in numbers]
    return words[0] if len(set(words)) == 1 else f"{words[0]} to {words[-1]}"


def _scenarios(spec: ModelSpec, budget: Budget, base: np.ndarray) -> pd.DataFrame:
    """Net budget impact per year of the base case and of each scenario (a scenario without
    the new strategy is listed, not costed)."""
    columns = [f"year {y}" for y in range(1, budget.years + 1)]
    total = f"years 1-{budget.years}" if budget.years > 1 else "all years"
    rows = [{"scenario": "base case", **dict(zip(columns, base)), total: base.sum(),
             "note": ""}]
    categories = spec.settings.perspectives[budget.perspective]
    factors = (1.0 + budget.discount) ** -np.arange(budget.years, dtype=float)
    for scenario in spec.scenarios:
        changed = apply_scenario(spec, scenario)
        if budget.new_strategy not in changed.strategy_names:
            rows.append({"scenario": scenario.name, total: np.nan,
                         "note": f"{budget.new_strategy} is not compared"})
            continue
        followed = followed_spec(changed, budget.years)
        label = f"scenario '{scenario.name}'"
        amounts = _amounts(followed, budget, changed.base_table(), lambda r, label=label: label)
        entrants = entrant_counts(budget, changed.strategy_names)
        net = net_impact(amounts.of(entrants), amounts.measures,
                         changed.settings.perspectives[budget.perspective]
                         if budget.perspective in changed.settings.perspectives
                         else categories, factors)[0]
        rows.append({"scenario": scenario.name, **dict(zip(columns, net)), total: net.sum(),
                     "note": ""})
    return pd.DataFrame(rows, columns=["scenario", *columns, total, "note"])
