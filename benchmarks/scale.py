"""Executors on WalkBack: wall time with 1 and 2 worker processes and a 2-worker dask cluster.

    python benchmarks/scale.py [--draws 1000000] [--n 8192] [--skip-dask]

For a PSA of ``--draws`` draws (default 1,000,000) and a Sobol design of base size ``--n``
(default 8,192; N(D + 2) model rows), prints the wall time of the analysis with

1. a process pool of 1 worker (``--workers 1``: one process, ``threads=1`` in it),
2. a process pool of 2 workers (``--workers 2``),
3. a dask ``LocalCluster`` on 127.0.0.1 with 2 single-threaded worker processes
   (``--scheduler local --workers 2``),

and the speed-ups against 1 worker. Starting the workers is timed apart (each executor runs
a small warm-up table first, so the figures are the analysis itself). Also checks that the
three give bit-identical results.
"""

from __future__ import annotations

import argparse
import sys
import time
import warnings
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from cea import engine  # noqa: E402
from cea.analyses import gsa  # noqa: E402
from cea.analyses.draws import DrawSampler  # noqa: E402
from cea.analyses.psa import run_psa  # noqa: E402
from cea.engine import allocator, executors  # noqa: E402
from cea.workbook.reader import load_workbook  # noqa: E402

WALKBACK = ROOT / "inputs" / "walkback.xlsx"
SEED = 2024


def _psa(spec, executor, draws):
    result = run_psa(spec, n_draws=draws, seed=SEED, executor=executor, progress=None)
    return [result.qaly, result.ly, *result.costs.values()]


def _sobol(spec, executor, n):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", gsa.GSAWarning)
        result = gsa.sobol(spec, n=n, executor=executor)
    return [result.to_frame().select_dtypes("number").to_numpy()]


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--draws", type=int, default=1_000_000)
    parser.add_argument("--n", type=int, default=8192)
    parser.add_argument("--skip-dask", action="store_true")
    args = parser.parse_args(argv)
    allocator.tune()  # as the cea command does
    spec = load_workbook(WALKBACK)
    engine.run(spec)  # warm the plan cache
    warm = DrawSampler(spec, 1, 2048).table(0, 2)
    setups = [("1 worker (process pool)", dict(workers=1)),
              ("2 workers (process pool)", dict(workers=2))]
    if not args.skip_dask:
        setups.append(("2 workers (dask LocalCluster)", dict(workers=2, scheduler="local")))
    print(f"WalkBack: {len(spec.strategies)} strategies, {spec.settings.n_cycles} cycles; "
          f"PSA {args.draws:,} draws; Sobol N = {args.n:,}")
    times: dict[str, list[float]] = {}
    results: dict[str, list] = {}
    for label, options in setups:
        start = time.perf_counter()
        with executors.open_executor(**options) as executor:
            executors.run_table(spec, warm, executor=executor, chunk_size=512)  # start workers
            started = time.perf_counter() - start
            start = time.perf_counter()
            psa = _psa(spec, executor, args.draws)
            psa_seconds = time.perf_counter() - start
            start = time.perf_counter()
            sobol = _sobol(spec, executor, args.n)
            sobol_seconds = time.perf_counter() - start
        times[label] = [psa_seconds, sobol_seconds]
        results[label] = psa + sobol
        print(f"  {label:<30} start {started:5.1f} s   PSA {psa_seconds:7.1f} s   "
              f"Sobol {sobol_seconds:7.1f} s", flush=True)
    base = times[setups[0][0]]
    print("Speed-up against 1 worker (PSA, Sobol):")
    for label, (psa_seconds, sobol_seconds) in times.items():
        print(f"  {label:<30} {base[0] / psa_seconds:5.2f} x   {base[1] / sobol_seconds:5.2f} x")
    first = results[setups[0][0]]
    same = all(all(np.array_equal(a, b, equal_nan=True) for a, b in zip(first, other))
               for other in results.values())
    print(f"Bit-identical across executors: {'yes' if same else 'NO'}")


if __name__ == "__main__":
    main()
