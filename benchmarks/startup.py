"""Start-up: the wall time of the quick commands, each in a fresh interpreter.

    python benchmarks/startup.py [--repeat 5]

Prints the median and the fastest of the repeats for a bare interpreter
(``python -c pass``, the floor no command can go under), ``cea --version``,
``cea validate`` on the shipped WalkBack workbook, and ``cea run`` of its base case
(results workbook included), with each one's time above the bare interpreter.
Goals (issue 14, issue 17): ``--version`` within 0.5 s, ``validate`` within 1 s.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def wall(args: list[str], repeat: int) -> list[float]:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        subprocess.run(args, cwd=ROOT, check=True, stdout=subprocess.DEVNULL)
        times.append(time.perf_counter() - start)
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    repeat = parser.parse_args().repeat
    python = [sys.executable]
    with tempfile.TemporaryDirectory() as out:
        commands = {
            "python -c pass": python + ["-c", "pass"],
            "cea --version": python + ["-m", "cea", "--version"],
            "cea validate walkback": python + ["-m", "cea", "validate", "inputs/walkback.xlsx"],
            "cea run walkback (base case)": python + ["-m", "cea", "run", "inputs/walkback.xlsx",
                                                       "--out", out],
        }
        wall(commands["cea --version"], 1)  # warm the file cache and numba's on-disk cache
        print(f"{os.cpu_count()} cores, load average {os.getloadavg()[0]:.2f}; "
              f"{repeat} runs each")
        print(f"{'command':<30} {'median s':>9} {'fastest s':>10} {'over python s':>14}")
        floor = None
        for name, args in commands.items():
            times = wall(args, repeat)
            median = statistics.median(times)
            floor = median if floor is None else floor
            print(f"{name:<30} {median:>9.3f} {min(times):>10.3f} {median - floor:>14.3f}")


if __name__ == "__main__":
    main()
