"""Time every registered simulation at its default settings (not run in CI).

For each simulation: the median over ``--runs`` runs of the full run time and of the time to the
first frame (generator start to first yielded Frame). A simulation whose module is not there yet
is listed as "missing"; one that raises is listed as "failed" with the exception type.

    python scripts/bench_sims.py [--runs 5] [--only NAME]
"""

from __future__ import annotations

import argparse
import statistics
import time
from typing import Any

from lmtui.sims import registry
from lmtui.sims.base import Runner, Simulation


def time_full_run(sim: Simulation, params: dict[str, Any]) -> float:
    t0 = time.perf_counter()
    Runner(sim, params, seed=0).run()
    return time.perf_counter() - t0


def time_first_frame(sim: Simulation, params: dict[str, Any]) -> float:
    t0 = time.perf_counter()
    runner = Runner(sim, params, seed=0)
    next(runner, None)
    elapsed = time.perf_counter() - t0
    runner.close()
    return elapsed


def bench(name: str, runs: int) -> tuple[float, float] | str:
    """(median run s, median first frame s), or why there are no numbers."""
    try:
        sim = registry.get(name)
    except ImportError:
        return "missing"
    try:
        params = sim.resolve()
        full = statistics.median(time_full_run(sim, params) for _ in range(runs))
        first = statistics.median(time_first_frame(sim, params) for _ in range(runs))
    except Exception as exc:  # a benchmark table should finish even if one simulation is broken
        return f"failed: {type(exc).__name__}: {exc}"
    return full, first


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5, help="runs per measurement; the median is shown (default 5)")
    parser.add_argument("--only", metavar="NAME", choices=list(registry.NAMES), help="just this simulation")
    args = parser.parse_args()
    names = [args.only] if args.only else list(registry.NAMES)
    width = max(len(n) for n in [*names, "total"])
    print(f"{'simulation':<{width}}  ch  {'run (s)':>9}  {'1st frame (ms)':>14}")
    total_run = total_first = 0.0
    for name in names:
        chapter = registry.NAMES[name][2]
        result = bench(name, max(args.runs, 1))
        if isinstance(result, str):
            print(f"{name:<{width}}  {chapter:>2}  {result}", flush=True)
            continue
        full, first = result
        total_run += full
        total_first += first
        print(f"{name:<{width}}  {chapter:>2}  {full:9.3f}  {first * 1e3:14.1f}", flush=True)
    print(f"{'total':<{width}}      {total_run:9.3f}  {total_first * 1e3:14.1f}")


if __name__ == "__main__":
    main()
