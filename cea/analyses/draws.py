"""Parameter draws of a PSA, tied to the draw index, and drawing them on workers.

Draws are cut into fixed blocks of :data:`BLOCK` = 1,024; block b takes its standard
normals from child b of ``numpy.random.SeedSequence(seed).spawn(n_blocks)`` (a PCG64
stream each), correlates them with the Gaussian copula of the ``correlations`` sheet
(:mod:`cea.model.correlations`), and maps u = Phi(z) through each distribution's inverse
CDF (:func:`cea.analyses.sampling.table_from_uniform`). The same seed gives
bit-identical draws whatever the chunk size of the engine or the number of workers that
share the blocks, and the first m draws of a longer run are the m draws of a shorter one.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import special

from cea import engine
from cea.analyses.sampling import table_from_uniform, uncertain_parameters
from cea.engine import executors
from cea.engine.plan import compile_plan
from cea.model.correlations import copula_factor
from cea.model.errors import ModelError
from cea.model.spec import ModelSpec

__all__ = ["BLOCK", "TASK_BLOCKS", "DrawSampler", "run_on_workers"]

#: Draws per random stream (one SeedSequence child per block).
BLOCK = 1024
#: Blocks of draws per worker task: each task samples and runs 4,096 draws.
TASK_BLOCKS = 4
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


def _draws_task(packed, seed: int, n_draws: int, b0: int, b1: int):
    """Run on a worker: sample blocks ``b0`` to ``b1 - 1`` and run them (one thread).

    Returns the uncertain parameters' values and the engine's values for those draws; a
    ModelError names the draw's row in the whole PSA.
    """
    spec = executors.unpack_spec(packed)
    sampler = DrawSampler(spec, seed, n_draws)
    table = sampler.table(b0, b1)
    try:
        out = engine.run(spec, table, threads=1)
    except ModelError as e:
        raise e.at(offset=b0 * BLOCK) from None
    return table[list(sampler.names)].to_numpy(), out.values


def run_on_workers(spec: ModelSpec, seed: int, n_draws: int, executor):
    """Yield (lo, hi, parameters, outcomes) per task, in draw order."""
    n_blocks = -(-n_draws // BLOCK)
    tasks = [(b0, min(b0 + TASK_BLOCKS, n_blocks)) for b0 in range(0, n_blocks, TASK_BLOCKS)]
    futures = executors.submit(executor, _draws_task, spec,
                               [(seed, n_draws, b0, b1) for b0, b1 in tasks])
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
