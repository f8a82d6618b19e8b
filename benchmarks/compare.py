"""cea's engine against hand-written references: HIV in numpy, WalkBack as one numba kernel.

    python benchmarks/compare.py [--quick] [--repeat 5]

Prints, with the load average of /proc/loadavg at the start and the end (every figure is
the median of ``--repeat`` runs, after a warm-up run; the runs compared are interleaved, so
that a change of load falls on both):

1. **HIV** (``inputs/examples/hiv_chancellor.xlsx``), a PSA of 10,000 draws: the seconds of
   ``cea.engine.run(spec, table)`` on the PSA's parameter table (drawn beforehand with
   ``DrawSampler``), of a hand-vectorised numpy implementation of the model on the same
   table (``benchmarks/reference_kernels.py``: ``hiv_numpy``), and their ratio (goal:
   cea within 2x); the engine with ``threads=1`` beside it, and ``run_psa`` end to end
   (sampling included) apart.
2. **WalkBack** (``inputs/walkback.xlsx``), 20,000 PSA draws, single-threaded: steps per
   second (a step is one row x cycle x strategy) of ``cea.engine.run(spec, table,
   threads=1)`` and of one fused numba kernel that computes each cycle's probabilities,
   moves the cohort and adds the rewards in one pass (``walkback_kernel``), and the
   ratio cea/kernel (goal: at least 0.5). The kernel's compile time is printed apart.
3. A cProfile of one engine run of WalkBack on those rows (one thread; the engine's thread
   pool is replaced by a same-thread map while profiling, because cProfile sees only the
   thread it runs in): the top 10 functions of ``cea`` by cumulative time, and the top
   functions of any origin by their own time.

Before any timing, each reference is checked against the engine on every measure it
computes (``np.allclose``, rtol 1e-9, atol 0): the HIV one on the 10,000 draws, the WalkBack
kernel on 1,000 draws. ``--quick`` runs 2,000 HIV draws, 4,000 WalkBack rows, 200 rows for
the WalkBack check and 3 repeats. About 30 s on a 2-core machine (10 s with ``--quick``),
longer under load.
"""

from __future__ import annotations

import argparse
import cProfile
import os
import pstats
import statistics
import sys
import time
from pathlib import Path
from unittest import mock

import numba
import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from reference_kernels import WALKBACK_MEASURES, WalkBackReference, hiv_numpy  # noqa: E402

import cea  # noqa: E402
from cea import engine  # noqa: E402
from cea.analyses.draws import DrawSampler  # noqa: E402
from cea.analyses.psa import run_psa  # noqa: E402
from cea.engine import allocator  # noqa: E402
from cea.workbook.reader import load_workbook  # noqa: E402

HIV = ROOT / "inputs" / "examples" / "hiv_chancellor.xlsx"
WALKBACK = ROOT / "inputs" / "walkback.xlsx"
SEED = 2024
RTOL = 1e-9
CEA_DIR = str(Path(cea.__file__).resolve().parent)


def load() -> str:
    with open("/proc/loadavg") as handle:
        return " ".join(handle.read().split()[:3])


def timed(function, repeat: int) -> float:
    """Median wall seconds of ``repeat`` calls."""
    return interleaved([function], repeat)[0][0]


def interleaved(functions, repeat: int) -> list[tuple[float, float]]:
    """(median, fastest) wall seconds of each function, the functions called in turn
    ``repeat`` times, so that a change in the machine's load falls on all of them alike."""
    times = [[] for _ in functions]
    for _ in range(repeat):
        for function, seconds in zip(functions, times):
            start = time.perf_counter()
            function()
            seconds.append(time.perf_counter() - start)
    return [(statistics.median(t), min(t)) for t in times]


def psa_table(spec, n: int, seed: int = SEED):
    """The parameter table of a PSA of n draws (every free parameter), as run_psa draws it."""
    sampler = DrawSampler(spec, seed, n)
    return sampler.table(0, sampler.n_blocks)


def check(name: str, reference: dict, outcomes, n_rows: int) -> None:
    """Every measure of the reference agrees with the engine's to RTOL; prints the worst."""
    worst = 0.0
    for measure, ours in reference.items():
        theirs = outcomes[measure]
        if not np.allclose(ours, theirs, rtol=RTOL, atol=0.0):
            bad = np.argwhere(~np.isclose(ours, theirs, rtol=RTOL, atol=0.0))[0]
            raise AssertionError(f"{name}: {measure} differs at row {bad[0]}, strategy "
                                 f"{bad[1]}: reference {ours[tuple(bad)]!r}, cea "
                                 f"{theirs[tuple(bad)]!r}")
        scale = np.abs(theirs)
        nonzero = scale > 0
        if nonzero.any():
            worst = max(worst, float((np.abs(ours - theirs)[nonzero] / scale[nonzero]).max()))
    print(f"  agreement: {len(reference)} measures x {outcomes.values.shape[1]} strategies x "
          f"{n_rows:,} rows within rtol {RTOL:g} (largest relative difference {worst:.1e})")


def hiv(args) -> None:
    spec = load_workbook(HIV)
    n = args.hiv_draws
    table = psa_table(spec, n)
    steps = n * spec.settings.n_cycles * len(spec.strategies)
    print(f"\n1. HIV (Chancellor et al. 1997): PSA of {n:,} draws, "
          f"{spec.settings.n_cycles} cycles x {len(spec.strategies)} strategies "
          f"({steps:,} steps)")
    outcomes = engine.run(spec, table)  # also warms the plan cache and the compiled kernel
    check("HIV", hiv_numpy(spec, table), outcomes, n)
    ours, ours_1, hand = interleaved([lambda: engine.run(spec, table),
                                      lambda: engine.run(spec, table, threads=1),
                                      lambda: hiv_numpy(spec, table)], args.repeat)
    psa = timed(lambda: run_psa(spec, n_draws=n, seed=SEED), args.repeat)
    for label, (median, fastest) in (
            (f"cea.engine.run (default threads: {engine.THREADS})", ours),
            ("cea.engine.run (threads=1)", ours_1), ("hand-vectorised numpy reference", hand)):
        print(f"  {label:<38} {median * 1e3:8.1f} ms  (fastest {fastest * 1e3:.1f})")
    print(f"  ratio cea/reference (seconds): {ours[0] / hand[0]:.2f} (threads=1: "
          f"{ours_1[0] / hand[0]:.2f}; goal: within 2)")
    print(f"  run_psa end to end (sampling + engine + kept results): {psa * 1e3:.1f} ms "
          f"(sampling alone: {timed(lambda: psa_table(spec, n), args.repeat) * 1e3:.1f} ms)")


def walkback(args):
    spec = load_workbook(WALKBACK)
    reference = WalkBackReference(spec)
    start = time.perf_counter()
    reference(reference.columns(psa_table(spec, 2)))  # compiles the kernel
    compile_seconds = time.perf_counter() - start
    per_row = spec.settings.n_cycles * len(spec.strategies)
    n = args.walkback_rows
    print(f"\n2. WalkBack: {spec.settings.n_cycles} weekly cycles x {len(spec.strategies)} "
          f"strategies; PSA draws, single-threaded")
    print(f"  numba kernel compile time (excluded below): {compile_seconds:.2f} s "
          f"(numba {numba.__version__})")
    small = psa_table(spec, args.check_rows)
    out = reference(reference.columns(small))
    check("WalkBack", {m: out[:, :, i] for i, m in enumerate(WALKBACK_MEASURES)},
          engine.run(spec, small, threads=1), args.check_rows)
    table = psa_table(spec, n)
    params = reference.columns(table)
    engine.run(spec, table, threads=1)  # warm-up
    reference(params)
    ours, kernel = interleaved([lambda: engine.run(spec, table, threads=1),
                                lambda: reference(params)], args.repeat)
    steps = n * per_row
    print(f"  {n:,} rows = {steps:,} steps (row x cycle x strategy)")
    for label, (median, fastest) in (("cea.engine.run (threads=1)", ours),
                                     ("fused numba kernel", kernel)):
        print(f"  {label:<27} {median:7.3f} s  {steps / median / 1e6:6.2f} Msteps/s  "
              f"(fastest {fastest:.3f} s)")
    print(f"  ratio cea/kernel (steps per second): {kernel[0] / ours[0]:.2f} (goal: at least "
          "0.5)")
    return spec, table


class _SameThread:
    """Stands in for the engine's ThreadPoolExecutor while profiling (cProfile sees only
    its own thread); with threads=1 the chunks run in the same order either way."""

    def __init__(self, *args, **kwargs):
        pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False

    def map(self, function, *iterables):
        return map(function, *iterables)


def _where(key) -> str:
    filename, line, function = key
    if filename.startswith(CEA_DIR):
        return f"cea/{Path(filename).relative_to(CEA_DIR)}:{line} {function}"
    if filename == "~":  # a built-in
        return function
    return f"{Path(filename).name}:{line} {function}"


def profile(spec, table, top: int = 10) -> None:
    run_module = sys.modules["cea.engine.run"]
    profiler = cProfile.Profile()
    with mock.patch.object(run_module, "ThreadPoolExecutor", _SameThread):
        start = time.perf_counter()
        profiler.runcall(engine.run, spec, table, threads=1)
        wall = time.perf_counter() - start
    stats = pstats.Stats(profiler).stats
    print(f"\n3. cProfile of one cea.engine.run of WalkBack, {len(table):,} rows, one thread "
          f"({wall:.2f} s under the profiler)")
    print(f"  top {top} functions of cea by cumulative time:")
    print(f"  {'cumulative s':>12} {'own s':>8} {'calls':>8}  function")
    ours = sorted(((v[3], v[2], v[1], k) for k, v in stats.items()
                   if k[0].startswith(CEA_DIR)), reverse=True)
    for cumulative, own, calls, key in ours[:top]:
        print(f"  {cumulative:12.3f} {own:8.3f} {calls:8,}  {_where(key)}")
    print("  top functions of any origin by own time (numpy's work shows as its built-ins):")
    print(f"  {'own s':>12} {'cumulative s':>12} {'calls':>8}  function")
    own = sorted(((v[2], v[3], v[1], k) for k, v in stats.items()), reverse=True)
    for own_s, cumulative, calls, key in own[:8]:
        print(f"  {own_s:12.3f} {cumulative:12.3f} {calls:8,}  {_where(key)}")


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smaller tables, 3 repeats")
    parser.add_argument("--repeat", type=int, default=None, help="runs per figure (default 5)")
    args = parser.parse_args(argv)
    args.repeat = args.repeat or (3 if args.quick else 5)
    args.hiv_draws = 2_000 if args.quick else 10_000
    args.walkback_rows = 4_000 if args.quick else 20_000
    args.check_rows = 200 if args.quick else 1_000
    allocator.tune()  # as the cea command does
    print(f"{os.cpu_count()} cores; load average {load()} (1, 5, 15 min) at the start; "
          f"median of {args.repeat} runs each; numpy {np.__version__}")
    start = time.perf_counter()
    hiv(args)
    spec, table = walkback(args)
    profile(spec, table)
    print(f"\nload average {load()} at the end; {time.perf_counter() - start:.0f} s in all")


if __name__ == "__main__":
    main()
