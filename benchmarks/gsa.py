"""Sobol indices of WalkBack at N = 4,096 over every uncertain parameter, timed.

    python benchmarks/gsa.py [--n 4096] [--second-order] [--top 5]

Runs :func:`cea.analyses.gsa.sobol` (SALib design -> ppf -> one engine call -> SALib
analyze) and prints the wall time, the number of model rows N(D + 2), the widest ST
interval, and for the incremental net monetary benefit at the first willingness-to-pay
threshold, per perspective: the sum of the first-order indices and the parameters with
the largest total indices. The target is under 60 s on a 2-core machine.
"""

from __future__ import annotations

import argparse
import sys
import time
import warnings
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from cea.analyses import gsa  # noqa: E402
from cea.engine import allocator  # noqa: E402
from cea.workbook.reader import load_workbook  # noqa: E402

TARGET_SECONDS = 60.0


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=4096)
    parser.add_argument("--second-order", action="store_true")
    parser.add_argument("--top", type=int, default=5)
    args = parser.parse_args(argv)
    allocator.tune()  # as the cea command does
    spec = load_workbook(ROOT / "inputs" / "walkback.xlsx")
    start = time.perf_counter()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", gsa.GSAWarning)
        result = gsa.sobol(spec, n=args.n, second_order=args.second_order)
    wall = time.perf_counter() - start
    frame = result.to_frame()
    print(f"WalkBack Sobol: N = {result.n:,}, D = {result.n_inputs}, rows = {result.n_rows:,} "
          f"({'N(2D + 2)' if result.second_order else 'N(D + 2)'}), "
          f"wall {wall:.1f} s ({'within' if wall < TARGET_SECONDS else 'OVER'} the "
          f"{TARGET_SECONDS:.0f} s target)")
    print(f"widest ST interval {frame['ST_width'].max():.4f} (tolerance {result.tolerance:g}); "
          f"converged: {result.converged}")
    for w in caught:
        print(f"warning: {w.message}")
    wtp = spec.settings.wtp[0]
    for perspective in spec.settings.perspectives:
        rows = frame[(frame["outcome"] == "inc_nmb") & (frame["perspective"] == perspective)
                     & (frame["wtp"] == wtp)]
        print(f"\nincremental NMB at {spec.settings.currency} {wtp:,.0f}/QALY, {perspective}: "
              f"mean {rows['mean'].iloc[0]:,.1f}, SD {rows['sd'].iloc[0]:,.1f}; "
              f"sum of S1 = {rows['S1'].sum():.3f}")
        print(f"  {'parameter':24} {'S1':>7} {'S1 95% CI':>17} {'ST':>7} {'ST 95% CI':>17}")
        for _, r in rows.sort_values("ST", ascending=False).head(args.top).iterrows():
            print(f"  {r['parameter']:24} {r['S1']:7.3f} [{r['S1_low']:6.3f}, {r['S1_high']:6.3f}]"
                  f" {r['ST']:7.3f} [{r['ST_low']:6.3f}, {r['ST_high']:6.3f}]")
    return 0 if wall < TARGET_SECONDS else 1


if __name__ == "__main__":
    sys.exit(main())
