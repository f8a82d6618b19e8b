"""PSA and EVPPI on the WalkBack model: wall time and peak memory.

    python benchmarks/psa.py [--large 1000000] [--skip-large]

Prints three figures:

1. 10,000 draws with every summary (means and intervals, CEAC, CEAF, expected loss,
   EVPI over the default threshold grid, convergence, parameter check): wall time.
2. ``--large`` draws (default 1,000,000) with the same summaries, run in a fresh child
   process: wall time and the child's peak resident memory (``ru_maxrss``: everything the
   process held at its peak, interpreter and libraries included).
3. EVPPI of every uncertain parameter alone, from the 10,000 draws: wall time.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from cea import engine  # noqa: E402
from cea.analyses.psa import run_psa  # noqa: E402
from cea.analyses.sampling import uncertain_parameters  # noqa: E402
from cea.analyses.voi import evppi_table  # noqa: E402
from cea.engine import allocator  # noqa: E402
from cea.workbook.reader import load_workbook  # noqa: E402

WALKBACK = ROOT / "inputs" / "walkback.xlsx"


def psa_with_summaries(spec, n_draws: int, seed: int = 2024):
    """Run the PSA and every summary; returns the result and the seconds taken."""
    start = time.perf_counter()
    result = run_psa(spec, n_draws=n_draws, seed=seed, progress=None)
    result.summary()
    result.ceac()
    result.ceaf()
    result.expected_loss()
    result.evpi()
    result.convergence()
    result.parameter_summary()
    return result, time.perf_counter() - start


def child(n_draws: int) -> None:
    """The large run, alone in this process; prints a JSON line for the parent."""
    allocator.tune()
    spec = load_workbook(WALKBACK)
    engine.run(spec)
    result, seconds = psa_with_summaries(spec, n_draws)
    peak_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    evpi = result.evpi(wtp=spec.settings.wtp)
    print(json.dumps({"seconds": seconds, "model_seconds": result.seconds,
                      "peak_mib": peak_kib / 1024, "evpi": evpi["evpi"].round(4).tolist()}))


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--large", type=int, default=1_000_000)
    parser.add_argument("--skip-large", action="store_true")
    parser.add_argument("--child", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        child(args.child)
        return
    allocator.tune()  # as the cea command does
    spec = load_workbook(WALKBACK)
    engine.run(spec)  # warm the plan cache
    n_uncertain = len(uncertain_parameters(spec))
    print(f"WalkBack: {len(spec.strategies)} strategies, {spec.settings.n_cycles} cycles, "
          f"{n_uncertain} uncertain parameters, {len(spec.settings.perspectives)} "
          "perspectives")
    result, seconds = psa_with_summaries(spec, 10_000)
    print(f"PSA 10,000 draws + all summaries: {seconds:.2f} s "
          f"(sampling and model {result.seconds:.2f} s)")
    if not args.skip_large:
        out = subprocess.run([sys.executable, __file__, "--child", str(args.large)],
                             capture_output=True, text=True, check=True)
        figures = json.loads(out.stdout.strip().splitlines()[-1])
        print(f"PSA {args.large:,} draws + all summaries: {figures['seconds']:.1f} s "
              f"(sampling and model {figures['model_seconds']:.1f} s), peak memory "
              f"{figures['peak_mib']:,.0f} MiB (whole process, ru_maxrss)")
    start = time.perf_counter()
    table = evppi_table(result, params=[p.name for p in uncertain_parameters(spec)])
    seconds = time.perf_counter() - start
    cases = len(spec.settings.perspectives) * len(spec.settings.wtp)
    print(f"EVPPI of {n_uncertain} single parameters from 10,000 draws "
          f"({cases} perspective x threshold cases each, with SEs): {seconds:.2f} s")
    top = table.sort_values("evppi", ascending=False).head(3)
    for row in top.itertuples():
        print(f"  {row.label:<24} {row.perspective:<18} wtp {row.wtp:>8,.0f}: "
              f"EVPPI {row.evppi:8.3f} (SE {row.se:.3f}) of EVPI {row.evpi:.3f}")


if __name__ == "__main__":
    main()
