"""Probabilistic sensitivity analysis: sampled parameter rows through the one engine.

A PSA of n draws is n parameter rows. Each uncertain parameter (a free parameter
with a distribution) is drawn through its distribution's inverse CDF
(:func:`cea.analyses.sampling.table_from_uniform`); the uniforms come from standard normals,
correlated by a Gaussian copula when the workbook has a ``correlations`` sheet
(:mod:`cea.workbook.correlations`), and u = Phi(z).

Reproducibility. Draws are tied to the draw index, never to how they are computed
(:mod:`cea.analyses.draws`): the same seed gives bit-identical draws, and results,
whatever the chunk size of the engine or the number of workers.

Memory. Blocks are sampled and run :data:`BATCH_BLOCKS` at a time; only what the
summaries need is kept: per draw and strategy the cost under each perspective, QALYs
and life-years, and the sampled parameters (for EVPPI). A million draws of a model with
16 uncertain parameters and 2 strategies keep about 0.2 GB.

Summaries (per perspective): mean and 95% interval of costs, QALYs and increments
against the first strategy; the cost-effectiveness acceptability curve (CEAC:
probability each strategy has the highest net monetary benefit, NMB = wtp x QALYs -
cost), the frontier (CEAF: the strategy with the highest expected NMB and its
probability), expected loss, the expected value of perfect information (EVPI; see
:mod:`cea.analyses.voi` for EVPPI) and the convergence of the mean incremental NMB.

References
----------
.. [1] Briggs AH, Weinstein MC, Fenwick EAL, et al. Model parameter estimation and
   uncertainty analysis: a report of the ISPOR-SMDM Modeling Good Research Practices Task
   Force-6. *Med Decis Making*. 2012;32(5):722-732. doi:10.1177/0272989X12458348
.. [2] Fenwick E, Claxton K, Sculpher M. Representing uncertainty: the role of
   cost-effectiveness acceptability curves. *Health Econ*. 2001;10(8):779-787.
   doi:10.1002/hec.635
.. [3] Eckermann S, Briggs A, Willan AR. Health technology assessment in the
   cost-disutility plane. *Med Decis Making*. 2008;28(2):172-181 (expected loss).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import stats

from cea import engine
from cea.analyses import incremental
from cea.analyses.draws import BLOCK, DrawSampler, run_on_workers
from cea.analyses.sampling import uncertain_parameters
from cea.model.arguments import Integer, check
from cea.model.errors import ModelError
from cea.model.spec import ModelSpec

__all__ = ["BATCH_BLOCKS", "INTERVAL", "PSAResult", "population_factor", "run_psa", "wtp_grid"]

#: Blocks sampled and pushed through the engine per call (16,384 draws).
BATCH_BLOCKS = 16
#: Percentiles of the reported intervals.
INTERVAL = (2.5, 97.5)
#: Steps of the default willingness-to-pay grid, from 0 to twice the largest threshold.
GRID_STEPS = 50


def run_psa(spec: ModelSpec, *, n_draws: int | None = None, seed: int | None = None,
            chunk_size: int | None = None, executor=None,
            progress: Callable[[int, int], None] | None = None) -> PSAResult:
    """Run a probabilistic sensitivity analysis.

    Parameters
    ----------
    spec : ModelSpec
    n_draws : int, optional
        Number of draws (default ``settings.psa_draws``).
    seed : int, optional
        Seed of the random streams (default ``settings.seed``).
    chunk_size : int, optional
        Rows per engine chunk (memory only: results do not depend on it).
    progress : callable(done, total), optional
        Called as draws complete.
    executor : None, concurrent.futures.Executor or distributed.Client, optional
        Where the engine's chunks run (:mod:`cea.engine.executors`); in this process by default.
        With an executor the next blocks are sampled while the workers run the previous
        ones. Results are bit-identical whatever the executor.

    Returns
    -------
    PSAResult

    Raises
    ------
    ModelError
        If a draw gives invalid numbers; the message names the draw (counted from 1).
    """
    s = spec.settings
    n_draws = check("run_psa", "n_draws", s.psa_draws if n_draws is None else n_draws,
                    Integer(1))
    seed = check("run_psa", "seed", s.seed if seed is None else seed, Integer(0))
    try:
        return _run(spec, n_draws, seed, chunk_size, executor, progress)
    except ModelError as e:
        raise e.at(label=f"draw {e.row + 1:,}") from None


def _run(spec: ModelSpec, n_draws: int, seed: int, chunk_size, executor, report) -> PSAResult:
    """Sample and run the draws; a ModelError names the draw's row in the whole PSA."""
    s = spec.settings
    sampler = DrawSampler(spec, seed, n_draws)
    n_strategies = len(spec.strategies)
    kept = {"qaly": np.empty((n_draws, n_strategies)), "ly": np.empty((n_draws, n_strategies))}
    costs = {p: np.empty((n_draws, n_strategies)) for p in s.perspectives}
    parameters = np.empty((n_draws, len(sampler.names)))
    start_time = time.perf_counter()
    done = [0]

    def step(count: int, _: int) -> None:  # rows done in the batch running now
        report(done[0] + count, n_draws)

    def keep(lo: int, hi: int, table: pd.DataFrame, out: engine.Outcomes) -> None:
        parameters[lo:hi] = table[list(sampler.names)].to_numpy()
        for measure, array in kept.items():
            array[lo:hi] = out[measure]
        for perspective, categories in s.perspectives.items():
            costs[perspective][lo:hi] = out.cost(categories)
        done[0] = hi

    if executor is None:
        for b0 in range(0, sampler.n_blocks, BATCH_BLOCKS):
            table = sampler.table(b0, min(b0 + BATCH_BLOCKS, sampler.n_blocks))
            lo, hi = b0 * BLOCK, b0 * BLOCK + len(table)
            try:
                out = engine.run(spec, table, chunk_size=chunk_size,
                                 progress=None if report is None else step)
            except ModelError as e:
                raise e.at(offset=lo) from None
            keep(lo, hi, table, out)
    else:  # each worker draws its own blocks (same streams) and runs them
        for lo, hi, table, out in run_on_workers(spec, seed, n_draws, executor):
            keep(lo, hi, table, out)
            if report is not None:
                report(hi, n_draws)
    return PSAResult(spec=spec, seed=seed, n_draws=n_draws,
                     parameters=pd.DataFrame(parameters, columns=list(sampler.names)),
                     qaly=kept["qaly"], ly=kept["ly"], costs=costs,
                     seconds=time.perf_counter() - start_time)


def population_factor(spec: ModelSpec) -> float:
    """People affected over the decision horizon, discounted: EVPI x factor = population EVPI.

    ``sum_{y=0}^{ceil(H)-1} min(1, H - y) * population / (1 + r)^y``, with ``H`` =
    ``settings.decision_horizon`` (years) and ``r`` = ``settings.discount_outcomes``: each
    year's new patients are discounted from the start of their year, a part year counts pro
    rata. NaN when ``population`` or ``decision_horizon`` is not set.
    """
    s = spec.settings
    if s.population is None or s.decision_horizon is None:
        return float("nan")
    years = np.arange(int(np.ceil(s.decision_horizon)))
    weight = np.minimum(1.0, s.decision_horizon - years)
    return float(np.sum(weight * s.population / (1 + s.discount_outcomes) ** years))


def wtp_grid(spec: ModelSpec, steps: int = GRID_STEPS) -> np.ndarray:
    """0 to twice the largest ``settings.wtp`` in ``steps`` steps, plus the settings' values."""
    wtp = np.asarray(spec.settings.wtp, dtype=float)
    top = 2 * wtp.max() if wtp.size else 0.0
    return np.unique(np.concatenate([np.linspace(0.0, top, steps + 1), wtp]))


def _mean(a: np.ndarray) -> np.ndarray:
    """Mean over axis 0, shifted by the first row: exact when every row is the same."""
    return a[0] + (a - a[0]).mean(axis=0)


@dataclass(frozen=True, eq=False)
class PSAResult:
    """Result of :func:`run_psa`: the draws that the summaries need.

    Attributes
    ----------
    spec : ModelSpec
    seed, n_draws : int
    parameters : DataFrame of shape (n_draws, n_uncertain)
        The sampled uncertain parameters (draw i is row i).
    qaly, ly : ndarray of shape (n_draws, n_strategies)
        Discounted QALYs and life-years.
    costs : Mapping[str, ndarray of shape (n_draws, n_strategies)]
        Discounted cost under each perspective.
    seconds : float
        Wall time of sampling and running the model.
    """

    spec: ModelSpec
    seed: int
    n_draws: int
    parameters: pd.DataFrame
    qaly: np.ndarray
    ly: np.ndarray
    costs: Mapping[str, np.ndarray]
    seconds: float = 0.0
    _cache: dict = field(default_factory=dict, repr=False, compare=False)

    @property
    def strategies(self) -> tuple[str, ...]:
        return self.spec.strategy_names

    @property
    def perspectives(self) -> tuple[str, ...]:
        return tuple(self.costs)

    def nmb(self, perspective: str, wtp: float) -> np.ndarray:
        """Net monetary benefit per draw and strategy, shape (n_draws, n_strategies)."""
        return wtp * self.qaly - self.costs[perspective]

    def to_frame(self) -> pd.DataFrame:
        """Tidy draws: ``draw`` (from 1), ``strategy``, ``cost_<perspective>``, ``qaly``, ``ly``."""
        n, k = self.qaly.shape
        frame = pd.DataFrame({"draw": np.repeat(np.arange(1, n + 1), k),
                              "strategy": np.tile(self.strategies, n)})
        for perspective, cost in self.costs.items():
            frame[f"cost_{perspective}"] = cost.reshape(-1)
        frame["qaly"], frame["ly"] = self.qaly.reshape(-1), self.ly.reshape(-1)
        return frame

    def summary(self) -> pd.DataFrame:
        """Mean and 95% interval (2.5th, 97.5th percentiles) per perspective and strategy.

        Columns ``cost``, ``qaly``, ``ly``, ``inc_cost``, ``inc_qaly`` (against the first
        strategy) each with ``_low`` and ``_high``; ``icer`` = mean inc_cost / mean
        inc_qaly; ``nmb_<wtp>`` (mean) and ``p_optimal_<wtp>`` (CEAC) per threshold.
        """
        rows = []
        for perspective, cost in self.costs.items():
            measures = {"cost": cost, "qaly": self.qaly, "ly": self.ly,
                        "inc_cost": cost - cost[:, :1], "inc_qaly": self.qaly - self.qaly[:, :1]}
            stats_ = {k: (_mean(v), *np.percentile(v, INTERVAL, axis=0))
                      for k, v in measures.items()}
            for j, strategy in enumerate(self.strategies):
                row = {"perspective": perspective, "strategy": strategy}
                for k, (mean, low, high) in stats_.items():
                    row.update({k: mean[j], f"{k}_low": low[j], f"{k}_high": high[j]})
                inc_q = row["inc_qaly"]
                row["icer"] = row["inc_cost"] / inc_q if j and inc_q != 0 else np.nan
                rows.append(row)
            for wtp in self.spec.settings.wtp:
                prob, mean_nmb, _ = self._curves(perspective, (wtp,))
                for j in range(len(self.strategies)):
                    rows[j - len(self.strategies)][f"nmb_{wtp:g}"] = mean_nmb[0, j]
                    rows[j - len(self.strategies)][f"p_optimal_{wtp:g}"] = prob[0, j]
        return pd.DataFrame(rows)

    def icer_table(self, perspective: str) -> pd.DataFrame:
        """Incremental analysis (frontier, dominance, ICERs) of the mean costs and QALYs."""
        table = incremental.icer_table(self.strategies, _mean(self.costs[perspective]),
                                       _mean(self.qaly))
        return table.rename(columns={"effect": "qaly", "inc_effect": "inc_qaly"})

    def _curves(self, perspective: str, wtp) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Per threshold: P(optimal) (W, S), mean NMB (W, S) and E[max NMB] (W,)."""
        key = (perspective, tuple(float(w) for w in wtp))
        if key not in self._cache:
            k = len(self.strategies)
            prob, mean, e_max = np.empty((len(wtp), k)), np.empty((len(wtp), k)), np.empty(len(wtp))
            for i, w in enumerate(key[1]):
                values = self.nmb(perspective, w)
                prob[i] = np.bincount(values.argmax(axis=1), minlength=k) / self.n_draws
                mean[i] = _mean(values)
                e_max[i] = _mean(values.max(axis=1))
            self._cache[key] = prob, mean, e_max
        return self._cache[key]

    def wtp_grid(self) -> np.ndarray:
        """:func:`wtp_grid` of the settings plus the frontier ICERs of the mean costs and
        QALYs (where the optimal strategy changes) that fall inside it."""
        grid = wtp_grid(self.spec)
        icers = [self.icer_table(p)["icer"].to_numpy() for p in self.perspectives]
        icers = np.concatenate(icers) if icers else np.array([])
        inside = icers[np.isfinite(icers) & (icers > 0) & (icers < grid[-1])]
        return np.unique(np.concatenate([grid, inside]))

    def _long(self, wtp, make: Callable) -> pd.DataFrame:
        grid = self.wtp_grid() if wtp is None else np.atleast_1d(np.asarray(wtp, float))
        frames = []
        for perspective in self.perspectives:
            frame = make(grid, *self._curves(perspective, grid))
            frame.insert(0, "perspective", perspective)
            frames.append(frame)
        return pd.concat(frames, ignore_index=True)

    def ceac(self, wtp=None) -> pd.DataFrame:
        """Cost-effectiveness acceptability curves: ``perspective, wtp, strategy,
        probability`` (that the strategy has the highest NMB), over ``wtp`` (default
        :meth:`PSAResult.wtp_grid`)."""
        def make(grid, prob, mean, e_max):
            return pd.DataFrame({"wtp": np.repeat(grid, len(self.strategies)),
                                 "strategy": np.tile(self.strategies, len(grid)),
                                 "probability": prob.reshape(-1)})
        return self._long(wtp, make)

    def ceaf(self, wtp=None) -> pd.DataFrame:
        """Cost-effectiveness acceptability frontier: ``perspective, wtp, strategy`` (highest
        expected NMB), its ``probability`` of being optimal and ``expected_nmb``."""
        def make(grid, prob, mean, e_max):
            best = mean.argmax(axis=1)
            rows = np.arange(len(grid))
            return pd.DataFrame({"wtp": grid, "strategy": np.asarray(self.strategies)[best],
                                 "probability": prob[rows, best],
                                 "expected_nmb": mean[rows, best]})
        return self._long(wtp, make)

    def expected_loss(self, wtp=None) -> pd.DataFrame:
        """Expected loss ``E[max_k NMB_k - NMB_s]`` of choosing each strategy s:
        ``perspective, wtp, strategy, expected_loss``; the least loss is the EVPI."""
        def make(grid, prob, mean, e_max):
            return pd.DataFrame({"wtp": np.repeat(grid, len(self.strategies)),
                                 "strategy": np.tile(self.strategies, len(grid)),
                                 "expected_loss": (e_max[:, None] - mean).reshape(-1)})
        return self._long(wtp, make)

    def evpi(self, wtp=None) -> pd.DataFrame:
        """Expected value of perfect information per person, ``E[max NMB] - max E[NMB]``,
        and for the population (:func:`population_factor`):
        ``perspective, wtp, evpi, evpi_population, optimal``."""
        factor = population_factor(self.spec)

        def make(grid, prob, mean, e_max):
            value = np.maximum(e_max - mean.max(axis=1), 0.0)  # >= 0; clears rounding noise
            return pd.DataFrame({"wtp": grid, "evpi": value, "evpi_population": value * factor,
                                 "optimal": np.asarray(self.strategies)[mean.argmax(axis=1)]})
        return self._long(wtp, make)

    def convergence(self, points: int = 200) -> pd.DataFrame:
        """Running mean of incremental NMB (each strategy against the first) by number of
        draws, with its Monte Carlo standard error ``sd / sqrt(draws)``, at each
        ``settings.wtp``; about ``points`` draw counts, spaced evenly on a log scale."""
        n = self.n_draws
        at = np.unique(np.geomspace(1, n, points).round().astype(int))
        frames = []
        for perspective in self.perspectives:
            for wtp in self.spec.settings.wtp:
                values = self.nmb(perspective, wtp)
                for j, strategy in enumerate(self.strategies[1:], start=1):
                    inc = values[:, j] - values[:, 0]
                    shifted = inc - inc[0]
                    total = np.cumsum(shifted)[at - 1]
                    square = np.cumsum(shifted**2)[at - 1]
                    mean = total / at
                    var = np.where(at > 1, (square - at * mean**2) / np.maximum(at - 1, 1), np.nan)
                    se = np.sqrt(np.maximum(var, 0.0) / at)
                    frames.append(pd.DataFrame({
                        "perspective": perspective, "wtp": wtp, "strategy": strategy,
                        "draws": at, "mean_inc_nmb": mean + inc[0], "mc_se": se}))
        columns = ["perspective", "wtp", "strategy", "draws", "mean_inc_nmb", "mc_se"]
        return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=columns)

    def parameter_summary(self) -> pd.DataFrame:
        """Each sampled parameter: its distribution's mean and SD beside the draws'."""
        dists = {p.name: p.distribution for p in uncertain_parameters(self.spec)}
        rows = []
        for name in self.parameters.columns:
            x = self.parameters[name].to_numpy()
            low, high = np.percentile(x, INTERVAL)
            rows.append({"parameter": name, "distribution": dists[name].describe(),
                         "mean": dists[name].mean, "sample_mean": x.mean(),
                         "sd": dists[name].sd, "sample_sd": x.std(ddof=1) if len(x) > 1 else 0,
                         "sample_low": low, "sample_high": high})
        return pd.DataFrame(rows)

    def correlation_check(self) -> pd.DataFrame:
        """Requested Spearman correlations beside the sampled ones."""
        rows = []
        for c in self.spec.correlations:
            a, b = self.parameters[c.parameter_1], self.parameters[c.parameter_2]
            rows.append({"parameter_1": c.parameter_1, "parameter_2": c.parameter_2,
                         "requested": c.value,
                         "sampled": stats.spearmanr(a, b)[0] if self.n_draws > 2 else np.nan})
        return pd.DataFrame(rows, columns=["parameter_1", "parameter_2", "requested", "sampled"])

    def decision(self, wtp: Sequence[float] | None = None) -> pd.DataFrame:
        """Per perspective and threshold (default ``settings.wtp``): the probability that
        each strategy is cost-effective (``p_<strategy>``), the optimal strategy (highest
        expected NMB), the EVPI per person and, with a population, for the population."""
        wtp = self.spec.settings.wtp if wtp is None else wtp
        prob = self.ceac(wtp=wtp).pivot_table(index=["perspective", "wtp"],
                                               columns="strategy", values="probability",
                                               sort=False)[list(self.strategies)]
        table = prob.reset_index()
        table.columns.name = None
        table.columns = ["perspective", "wtp", *[f"p_{x}" for x in self.strategies]]
        evpi = self.evpi(wtp=wtp)
        table["optimal"] = evpi["optimal"].to_numpy()
        table["evpi"] = evpi["evpi"].to_numpy()
        if not np.isnan(population_factor(self.spec)):
            table["evpi_population"] = evpi["evpi_population"].to_numpy()
        return table

    def plane_points(self, perspective: str, points: int = 5000) -> pd.DataFrame:
        """Incremental QALYs and cost of each strategy against the first, for the first
        ``points`` draws: ``draw, strategy, inc_qaly, inc_cost``."""
        shown = min(points, self.n_draws)
        cost, frames = self.costs[perspective], []
        for j, strategy in enumerate(self.strategies[1:], start=1):
            frames.append(pd.DataFrame({
                "draw": np.arange(1, shown + 1), "strategy": strategy,
                "inc_qaly": self.qaly[:shown, j] - self.qaly[:shown, 0],
                "inc_cost": cost[:shown, j] - cost[:shown, 0]}))
        columns = ["draw", "strategy", "inc_qaly", "inc_cost"]
        return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=columns)
