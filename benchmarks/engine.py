"""Engine throughput: the WalkBack and HIV models at 1, 1,000 and 100,000 parameter rows.

    python benchmarks/engine.py [--rows 1 1000 100000] [--repeat 3]

Rows are sampled from each parameter's PSA distribution (as a PSA would), so
every row differs. For each size it prints the median wall time of a few runs,
the throughput in row x cycle x strategy steps per second, and the peak memory
of one run (traced with tracemalloc, which sees numpy's buffers). For the HIV
model it also times a hand-vectorised numpy implementation of the same model
and prints the ratio (the peers' table in the project notes quotes such a
reference at 4.5 ms for 1,000 draws).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
import tracemalloc
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from cea import engine  # noqa: E402
from cea.engine import allocator  # noqa: E402
from cea.workbook.reader import load_workbook  # noqa: E402

MODELS = {"walkback": ROOT / "inputs" / "walkback.xlsx",
          "hiv": ROOT / "inputs" / "examples" / "hiv_chancellor.xlsx"}


def sampled_table(spec, n_rows: int, seed: int = 1) -> pd.DataFrame:
    """n rows: base values, with every parameter that has a distribution drawn from it."""
    rng = np.random.default_rng(seed)
    table = pd.DataFrame(np.repeat(spec.base_table().to_numpy(), n_rows, axis=0),
                         columns=spec.free_parameters)
    for p in spec.parameters:
        if p.is_free and p.distribution is not None:
            table[p.name] = p.distribution.ppf(rng.uniform(size=n_rows))
    return table


def timed(function, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        function()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def peak_memory(function) -> int:
    tracemalloc.start()
    function()
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return peak


def hiv_by_hand(rr: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """HIV model written directly in numpy, vectorised over rows (reference for speed)."""
    base = np.array([[1251, 350, 116, 17], [0, 731, 512, 15], [0, 0, 1312, 437], [0, 0, 0, 1]],
                    dtype=float) / np.array([1734, 1258, 1749, 1])[:, None]
    n = len(rr)
    cost_state = np.array([2756 + 2278, 3052 + 2278, 9007 + 2278, 0.0])
    costs, lys = np.zeros((n, 2)), np.zeros((n, 2))
    for arm in range(2):
        m = np.zeros((n, 4))
        m[:, 0] = 1
        for t in range(1, 21):
            p = np.broadcast_to(base, (n, 4, 4)).copy()
            if arm == 1 and t <= 2:
                off = ~np.eye(4, dtype=bool)
                p[:, off] *= rr[:, None]
                p[:, np.arange(3), np.arange(3)] = 0
                p[:, np.arange(3), np.arange(3)] = 1 - p[:, :3].sum(axis=2)
            m = np.einsum("rs,rst->rt", m, p)
            extra = 2086.5 if (arm == 1 and t <= 2) else 0.0
            costs[:, arm] += (m @ cost_state + extra * m[:, :3].sum(1)) / 1.06**t
            lys[:, arm] += m[:, :3].sum(1)
    return costs, lys


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, nargs="+", default=[1, 1000, 100_000])
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args(argv)
    allocator.tune()  # as the cea command does
    print(f"{'model':9} {'rows':>8} {'steps':>12} {'wall s':>9} {'Msteps/s':>9} "
          f"{'peak MiB':>9}")
    for name, path in MODELS.items():
        spec = load_workbook(path)
        steps_per_row = spec.settings.n_cycles * len(spec.strategies)
        engine.run(spec)  # warm the plan cache
        for n_rows in args.rows:
            table = sampled_table(spec, n_rows)
            wall = timed(lambda t=table, s=spec: engine.run(s, t), args.repeat)
            peak = peak_memory(lambda t=table, s=spec: engine.run(s, t))
            steps = n_rows * steps_per_row
            print(f"{name:9} {n_rows:>8,} {steps:>12,} {wall:>9.4f} {steps / wall / 1e6:>9.2f} "
                  f"{peak / 2**20:>9.1f}")
    spec = load_workbook(MODELS["hiv"])
    for n_rows in (1000, 10_000):
        table = sampled_table(spec, n_rows)
        ours = timed(lambda t=table: engine.run(spec, t), args.repeat)
        hand = timed(lambda t=table: hiv_by_hand(t["rr"].to_numpy()), args.repeat)
        print(f"hiv {n_rows:,} rows: cea {ours * 1e3:.1f} ms, hand-vectorised numpy "
              f"{hand * 1e3:.1f} ms, ratio cea/hand {ours / hand:.2f}")


if __name__ == "__main__":
    main()
