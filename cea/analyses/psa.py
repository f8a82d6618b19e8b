"""Probabilistic sensitivity analysis: sampled parameter rows through the one engine.

A PSA of n draws is n parameter rows. Each uncertain parameter (a free parameter
with a distribution) is drawn through its distribution's inverse CDF
(:func:`cea.sampling.table_from_uniform`); the uniforms come from standard normals,
correlated by a Gaussian copula when the workbook has a ``correlations`` sheet
(:mod:`cea.workbook_correlations`), and u = Phi(z).

Reproducibility. Draws are tied to the draw index, never to how they are computed:
the draws are cut into fixed blocks of :data:`BLOCK` = 1,024, and block b takes its
normals from child b of ``numpy.random.SeedSequence(seed).spawn(n_blocks)`` (a PCG64
stream each). The same seed gives bit-identical draws, and results, whatever the chunk
size of the engine or the number of workers that share the blocks, and the first m
draws of a longer run are the m draws of a shorter one.

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

import sys
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import special, stats

from cea import engine, executors, incremental
from cea.analyses import voi
from cea.export.excel import Block, Chart, SheetSpec, icer_words
from cea.export.tables import slug
from cea.plan import compile_plan
from cea.sampling import table_from_uniform, uncertain_parameters
from cea.spec import ModelSpec
from cea.workbook_correlations import copula_factor

__all__ = ["BATCH_BLOCKS", "BLOCK", "DrawSampler", "PSAResult", "TerminalProgress", "run_psa",
           "wtp_grid"]

#: Draws per random stream (one SeedSequence child per block).
BLOCK = 1024
#: Blocks sampled and pushed through the engine per call (16,384 draws).
BATCH_BLOCKS = 16
#: Percentiles of the reported intervals.
INTERVAL = (2.5, 97.5)
#: Steps of the default willingness-to-pay grid, from 0 to twice the largest threshold.
GRID_STEPS = 50
_U_LOW, _U_HIGH = np.finfo(float).tiny, 1.0 - np.finfo(float).epsneg


class DrawSampler:
    """Parameter draws of a model, tied to the draw index.

    Parameters
    ----------
    spec : ModelSpec
    seed : int
    n_draws : int

    Notes
    -----
    Block b (draws ``b*BLOCK`` to ``(b+1)*BLOCK - 1``) is always generated whole, from
    ``default_rng(SeedSequence(seed).spawn(n_blocks)[b])``: standard normals of shape
    (BLOCK, n_uncertain), times the transposed Cholesky factor of the copula's
    correlation matrix, then u = Phi(z) and each distribution's ppf.
    """

    def __init__(self, spec: ModelSpec, seed: int, n_draws: int):
        self.spec = spec
        self.names = tuple(p.name for p in uncertain_parameters(spec))
        self.factor = copula_factor(self.names, spec.correlations)
        self.n_draws = n_draws
        self.n_blocks = -(-n_draws // BLOCK)
        self.streams = np.random.SeedSequence(seed).spawn(self.n_blocks)

    def normals(self, block: int) -> np.ndarray:
        """Correlated standard normals of one whole block, shape (BLOCK, n_uncertain)."""
        z = np.random.default_rng(self.streams[block]).standard_normal((BLOCK, len(self.names)))
        return z if self.factor is None else z @ self.factor.T

    def uniforms(self, start: int, stop: int) -> np.ndarray:
        """Uniforms of blocks ``start`` to ``stop - 1`` (the last cut at n_draws)."""
        z = np.concatenate([self.normals(b) for b in range(start, stop)])
        u = np.clip(special.ndtr(z), _U_LOW, _U_HIGH)
        return u[: max(0, min(len(u), self.n_draws - start * BLOCK))]

    def table(self, start: int, stop: int) -> pd.DataFrame:
        """Parameter table (every free parameter) of blocks ``start`` to ``stop - 1``."""
        return table_from_uniform(self.spec, self.uniforms(start, stop), self.names)


class TerminalProgress:
    """A one-line progress bar on stderr, shown only on a terminal and after ``delay`` s."""

    def __init__(self, label: str = "PSA", *, stream=None, delay: float = 1.0):
        self.label, self.stream, self.delay = label, stream or sys.stderr, delay
        self.start = time.perf_counter()
        self.shown = 0.0
        self.active = bool(getattr(self.stream, "isatty", lambda: False)())

    def __call__(self, done: int, total: int) -> None:
        if not self.active:
            return
        now = time.perf_counter()
        elapsed = now - self.start
        finished = done >= total
        if elapsed < self.delay and not self.shown or (now - self.shown < 0.1 and not finished):
            return
        self.shown = now
        share = done / total if total else 1.0
        bar = "#" * int(30 * share)
        left = f", about {elapsed / share - elapsed:.0f} s left" if 0 < share < 1 else ""
        self.stream.write(f"\r{self.label} [{bar:<30}] {100 * share:3.0f}% {done:,}/{total:,} "
                          f"draws, {elapsed:.1f} s{left}   ")
        if finished:
            self.stream.write("\n")
        self.stream.flush()


def _check_int(value, name: str, low: int) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < low:
        raise ValueError(f"The '{name}' parameter of run_psa must be an int >= {low}. "
                         f"Got {value!r} instead.")
    return int(value)


def run_psa(spec: ModelSpec, *, n_draws: int | None = None, seed: int | None = None,
            chunk_size: int | None = None,
            progress: Callable[[int, int], None] | bool | None = None,
            executor=None) -> PSAResult:
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
    progress : callable(done, total), bool, optional
        Called as draws complete. Default: a bar on stderr when it is a terminal and the
        run takes over a second; False for none.
    executor : None, concurrent.futures.Executor or distributed.Client, optional
        Where the engine's chunks run (:mod:`cea.executors`); in this process by default.
        With an executor the next blocks are sampled while the workers run the previous
        ones. Results are bit-identical whatever the executor.

    Returns
    -------
    PSAResult
    """
    s = spec.settings
    n_draws = _check_int(s.psa_draws if n_draws is None else n_draws, "n_draws", 1)
    seed = _check_int(s.seed if seed is None else seed, "seed", 0)
    report = TerminalProgress() if progress is None or progress is True else progress or None
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
            keep(lo, hi, table, engine.run(spec, table, chunk_size=chunk_size,
                                           progress=None if report is None else step))
    else:  # each worker draws its own blocks (same streams) and runs them
        for lo, hi, table, out in _run_on_workers(spec, seed, n_draws, executor):
            keep(lo, hi, table, out)
            if report is not None:
                report(hi, n_draws)
    return PSAResult(spec=spec, seed=seed, n_draws=n_draws,
                     parameters=pd.DataFrame(parameters, columns=list(sampler.names)),
                     qaly=kept["qaly"], ly=kept["ly"], costs=costs,
                     seconds=time.perf_counter() - start_time)


#: Blocks of draws per worker task: each task samples and runs 4,096 draws.
TASK_BLOCKS = 4


def _draws_task(packed, seed: int, n_draws: int, b0: int, b1: int):
    """Run on a worker: sample blocks ``b0`` to ``b1 - 1`` and run them (one thread).

    Returns the uncertain parameters' values and the engine's values for those draws; a
    ModelError names the draw's row in the whole PSA.
    """
    spec = executors._unpack(packed)
    sampler = DrawSampler(spec, seed, n_draws)
    table = sampler.table(b0, b1)
    try:
        out = engine.run(spec, table, threads=1)
    except engine.ModelError as e:
        raise engine.ModelError(executors._ROW.sub(
            lambda m: f"parameter row {b0 * BLOCK + int(m.group(1))}", str(e))) from None
    return table[list(sampler.names)].to_numpy(), out.values


def _run_on_workers(spec: ModelSpec, seed: int, n_draws: int, executor):
    """Yield (lo, hi, parameters, outcomes) per task, in draw order."""
    n_blocks = -(-n_draws // BLOCK)
    packed = executors.pack_spec(spec)
    shipped = executors._scattered(executor, packed) if executors.is_dask(executor) \
        else packed
    tasks = [(b0, min(b0 + TASK_BLOCKS, n_blocks)) for b0 in range(0, n_blocks, TASK_BLOCKS)]
    extra = {"pure": False} if executors.is_dask(executor) else {}
    futures = [executor.submit(_draws_task, shipped, seed, n_draws, b0, b1, **extra)
               for b0, b1 in tasks]
    plan = compile_plan(spec)
    names = tuple(p.name for p in uncertain_parameters(spec))
    try:
        for (b0, _), future in zip(tasks, futures):
            parameters, values = future.result()
            lo = b0 * BLOCK
            table = pd.DataFrame(parameters, columns=list(names))
            out = engine.Outcomes(plan.strategies, plan.measures, values, spec.state_names)
            yield lo, lo + len(values), table, out
    finally:
        for future in futures:
            future.cancel()


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
        and for the population (:func:`cea.analyses.voi.population_factor`):
        ``perspective, wtp, evpi, evpi_population, optimal``."""
        factor = voi.population_factor(self.spec)

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

    def summary_blocks(self) -> list[Block]:
        """For the one-screen summary sheet: per perspective and threshold, the probability
        that each strategy is cost-effective, the optimal strategy and the EVPI."""
        s = self.spec.settings
        prob = self.ceac(wtp=s.wtp).pivot_table(index=["perspective", "wtp"],
                                                 columns="strategy", values="probability",
                                                 sort=False)[list(self.strategies)]
        table = prob.reset_index()
        table.columns.name = None
        table.columns = ["perspective", "wtp",
                         *[f"P(cost-effective): {x}" for x in self.strategies]]
        evpi = self.evpi(wtp=s.wtp)
        table["optimal"] = evpi["optimal"].to_numpy()
        table["evpi"] = evpi["evpi"].to_numpy()
        if not np.isnan(voi.population_factor(self.spec)):
            table["evpi_population"] = evpi["evpi_population"].to_numpy()
        return [Block(f"Probabilistic analysis ({self.n_draws:,} draws, seed {self.seed}): "
                      "probability of being cost-effective and EVPI per person", table,
                      "P(cost-effective): share of draws in which the strategy has the highest "
                      "net monetary benefit; optimal: highest expected net monetary benefit.")]

    def to_sheets(self, evppi: pd.DataFrame | None = None) -> list[SheetSpec]:
        """Sheets for the results workbook: ``PSA`` (summary), ``PSA CE plane``, ``PSA
        CEAC`` (with CEAF and expected loss), ``PSA EVPI``, ``PSA convergence``, and
        ``EVPPI`` when an :func:`cea.analyses.voi.evppi` table is given."""
        sheets = [_summary_sheet(self), _plane_sheet(self), _ceac_sheet(self),
                  _evpi_sheet(self), _convergence_sheet(self)]
        if evppi is not None:
            sheets.append(voi.evppi_sheet(evppi, self.spec))
        return sheets

    def write_figures(self, out_dir: str | Path, model_name: str | None = None,
                      evppi: pd.DataFrame | None = None) -> list[Path]:
        """PNGs per perspective, ``<model>_psa_<kind>_<perspective>.png`` with kind
        ``ce_plane``, ``ceac`` (with the CEAF), ``evpi``, ``convergence`` and, when an
        :func:`cea.analyses.voi.evppi` table is given, ``evppi``."""
        from cea.export.figures import psa as figures

        name = model_name or self.spec.settings.model_name
        marks, currency = self.spec.settings.wtp, _currency(self.spec)
        ceac, ceaf, evpi, conv = self.ceac(), self.ceaf(), self.evpi(), self.convergence()
        paths = []
        for perspective in self.perspectives:
            def target(kind: str, p=perspective) -> Path:
                return Path(out_dir) / f"{name}_psa_{kind}_{slug(p)}.png"

            def part(frame: pd.DataFrame, p=perspective) -> pd.DataFrame:
                return frame[frame["perspective"] == p]

            where = f"{name}: {perspective} perspective"
            paths.append(figures.ce_plane_figure(
                self.plane_points(perspective), target("ce_plane"), wtp=marks,
                reference=self.strategies[0], currency=currency,
                title=f"Cost-effectiveness plane, {where}"))
            paths.append(figures.ceac_figure(
                part(ceac), part(ceaf), target("ceac"), marks=marks, currency=currency,
                title=f"Acceptability curves and frontier, {where}"))
            paths.append(figures.evpi_figure(
                part(evpi), target("evpi"), marks=marks, currency=currency,
                factor=voi.population_factor(self.spec),
                title=f"Expected value of perfect information, {where}"))
            paths.append(figures.convergence_figure(
                part(conv), target("convergence"), currency=currency,
                reference=self.strategies[0],
                title=f"Convergence of mean incremental NMB, {where}"))
            if evppi is not None and len(part(evppi)):
                paths.append(figures.evppi_figure(
                    part(evppi), target("evppi"), currency=currency,
                    title=f"Expected value of partial perfect information, {where}"))
        return paths

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

    def write_csv(self, out_dir: str | Path, model_name: str | None = None) -> list[Path]:
        """The draws as CSV for R (dampack and BCEA); see :mod:`cea.export.tables`."""
        from cea.export.tables import write_psa_tables

        return write_psa_tables(Path(out_dir), model_name or self.spec.settings.model_name,
                                strategies=self.strategies, costs=self.costs,
                                effects={"qaly": self.qaly, "ly": self.ly},
                                parameters=self.parameters)


# --- sheets of the results workbook ----------------------------------------------------------

#: Draws shown on the spreadsheet CE plane (the PNG shows more).
SHEET_POINTS = 1000


def _currency(spec: ModelSpec) -> str:
    s = spec.settings
    return f"{s.currency} {s.price_year}".strip() if s.price_year else s.currency


def _wide(frame: pd.DataFrame, value: str, strategies) -> pd.DataFrame:
    table = frame.pivot(index="wtp", columns="strategy", values=value)[list(strategies)]
    table = table.reset_index()
    table.columns.name = None
    return table


def _summary_sheet(result: PSAResult) -> SheetSpec:
    info = pd.DataFrame([
        ("draws", f"{result.n_draws:,}"), ("seed", str(result.seed)),
        ("random streams", f"numpy SeedSequence(seed).spawn: one PCG64 stream per block of "
                           f"{BLOCK:,} draws (results do not depend on chunk size)"),
        ("uncertain parameters", str(result.parameters.shape[1])),
        ("correlations", f"{len(result.spec.correlations)} pair(s), Spearman, Gaussian copula"
         if result.spec.correlations else "none (parameters independent)"),
        ("sampling and model run (s)", f"{result.seconds:.2f}"),
    ], columns=["item", "value"])
    sheet = SheetSpec("PSA", [Block("Probabilistic sensitivity analysis", info)])
    summary = result.summary()
    ref = result.strategies[0]
    for perspective in result.perspectives:
        part = summary[summary["perspective"] == perspective].reset_index(drop=True)
        sheet.blocks.append(Block(
            f"Mean and 95% interval per strategy, {perspective} perspective", part,
            f"low, high: 2.5th and 97.5th percentiles of the {result.n_draws:,} draws; "
            f"increments against {ref}; icer = mean incremental cost / mean incremental "
            "QALYs; p_optimal: probability of the highest net monetary benefit (CEAC)."))
        table = result.icer_table(perspective)
        table["icer"] = icer_words(table)
        sheet.blocks.append(Block(f"Incremental analysis of the mean costs and QALYs, "
                                  f"{perspective} perspective", table))
    sheet.blocks.append(Block("Sampled parameters against their distributions",
                              result.parameter_summary()))
    if result.spec.correlations:
        sheet.blocks.append(Block("Rank (Spearman) correlations, requested and sampled",
                                  result.correlation_check()))
    return sheet


def _plane_data(result: PSAResult, perspective: str, points: int) -> pd.DataFrame:
    """Scatter data: column inc_qaly, an inc_cost column per strategy against the first (its
    rows only) and one per ``settings.wtp`` for the threshold line (25 points each: the
    workbook draws scatter series as markers, so the line is a row of dots)."""
    cost, ref = result.costs[perspective], result.strategies[0]
    shown = slice(0, min(points, result.n_draws))
    parts = []
    for j, strategy in enumerate(result.strategies[1:], start=1):
        parts.append(pd.DataFrame({"inc_qaly": result.qaly[shown, j] - result.qaly[shown, 0],
                                   f"inc_cost {strategy} vs {ref}":
                                       cost[shown, j] - cost[shown, 0]}))
    x = pd.concat(parts)["inc_qaly"] if parts else pd.Series([0.0])
    line = np.linspace(min(0.0, x.min()), max(0.0, x.max()), 25)
    for wtp in result.spec.settings.wtp:
        parts.append(pd.DataFrame({"inc_qaly": line,
                                   f"inc_cost at threshold {wtp:,.0f}": wtp * line}))
    return pd.concat(parts, ignore_index=True)


def _plane_sheet(result: PSAResult) -> SheetSpec:
    sheet = SheetSpec("PSA CE plane")
    for perspective in result.perspectives:
        data = _plane_data(result, perspective, SHEET_POINTS)
        shown = min(SHEET_POINTS, result.n_draws)
        sheet.blocks.append(Block(
            f"Cost-effectiveness plane, {perspective} perspective (first {shown:,} draws)", data,
            "Each point is one draw: incremental QALYs and cost against "
            f"{result.strategies[0]}. Threshold columns: cost = threshold x QALYs; points "
            "below a threshold's line are cost-effective at that threshold.",
            Chart("scatter", "inc_qaly", tuple(data.columns[1:]),
                  f"CE plane, {perspective}", "incremental QALYs",
                  f"incremental cost ({_currency(result.spec)})")))
    return sheet


def _ceac_sheet(result: PSAResult) -> SheetSpec:
    sheet = SheetSpec("PSA CEAC")
    ceac, ceaf, loss = result.ceac(), result.ceaf(), result.expected_loss()
    for perspective in result.perspectives:
        where = f"{perspective} perspective"
        table = _wide(ceac[ceac["perspective"] == perspective], "probability",
                      result.strategies)
        sheet.blocks.append(Block(
            f"Cost-effectiveness acceptability curves, {where}", table,
            "Probability that each strategy has the highest net monetary benefit.",
            Chart("line", "wtp", result.strategies, f"CEAC, {perspective}",
                  "willingness to pay per QALY", "probability cost-effective")))
        frontier = ceaf[ceaf["perspective"] == perspective].drop(columns="perspective")
        sheet.blocks.append(Block(
            f"Cost-effectiveness acceptability frontier, {where}",
            frontier.reset_index(drop=True),
            "The strategy with the highest expected net monetary benefit at each threshold "
            "and its probability of being the best.",
            Chart("line", "wtp", ("probability",), f"CEAF, {perspective}",
                  "willingness to pay per QALY", "probability optimal strategy is best")))
        table = _wide(loss[loss["perspective"] == perspective], "expected_loss",
                      result.strategies)
        sheet.blocks.append(Block(
            f"Expected loss of each strategy ({_currency(result.spec)}), {where}", table,
            "Mean NMB forgone by choosing the strategy instead of the best of each draw; the "
            "smallest expected loss equals the EVPI.",
            Chart("line", "wtp", result.strategies, f"Expected loss, {perspective}",
                  "willingness to pay per QALY", f"expected loss ({_currency(result.spec)})")))
    return sheet


def _evpi_sheet(result: PSAResult) -> SheetSpec:
    s = result.spec.settings
    sheet = SheetSpec("PSA EVPI")
    evpi = result.evpi()
    population = not np.isnan(voi.population_factor(result.spec))
    note = ("EVPI per person = E[max NMB] - max E[NMB]. " + (
        f"Population EVPI = EVPI x {voi.population_factor(result.spec):,.0f}: "
        f"{s.population:,.0f} people a year over {s.decision_horizon:g} years, discounted at "
        f"{s.discount_outcomes:.3g} a year." if population else
        "Set population and decision_horizon in the settings sheet for population EVPI."))
    for perspective in result.perspectives:
        part = evpi[evpi["perspective"] == perspective].drop(columns="perspective")
        if not population:
            part = part.drop(columns="evpi_population")
        sheet.blocks.append(Block(
            f"Expected value of perfect information ({_currency(result.spec)}), "
            f"{perspective} perspective", part.reset_index(drop=True), note,
            Chart("line", "wtp", ("evpi",), f"EVPI per person, {perspective}",
                  "willingness to pay per QALY", f"EVPI per person ({_currency(result.spec)})")))
    return sheet


def _convergence_sheet(result: PSAResult) -> SheetSpec:
    sheet = SheetSpec("PSA convergence")
    conv = result.convergence()
    for (perspective, wtp), part in conv.groupby(["perspective", "wtp"], sort=False):
        table = pd.DataFrame({"draws": part["draws"].unique()})
        for strategy, rows in part.groupby("strategy", sort=False):
            mean, se = rows["mean_inc_nmb"].to_numpy(), rows["mc_se"].to_numpy()
            table[f"{strategy}: mean"] = mean
            table[f"{strategy}: low"] = mean - 1.96 * se
            table[f"{strategy}: high"] = mean + 1.96 * se
        sheet.blocks.append(Block(
            f"Running mean of incremental NMB against {result.strategies[0]} at {wtp:,.0f} "
            f"({_currency(result.spec)}), {perspective} perspective", table,
            "low, high: mean -/+ 1.96 Monte Carlo standard errors (SD / sqrt(draws)); the "
            "band narrows as draws accumulate.",
            Chart("line", "draws", tuple(table.columns[1:]), f"Convergence, {perspective}, "
                  f"wtp {wtp:,.0f}", "draws", "mean incremental NMB")))
    return sheet
