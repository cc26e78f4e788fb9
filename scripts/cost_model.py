"""Each simulation's cost model against measured runs: prints, per simulation and setting, the
estimated and measured seconds (CPU time of this process) and their ratio; with --fit, the
coefficients (base, per iteration, per flop) that fit the measurements best (relative error),
to copy into the simulation's ``cost_coefficients``.

    python scripts/cost_model.py [--fit] [NAME...]
"""

from __future__ import annotations

import argparse
import statistics
import time

import numpy as np

from lmtui.sims.base import run_to_end
from lmtui.sims.registry import NAMES, get

# Settings from cheap to a few seconds, varying what the cost model counts.
SETTINGS: dict[str, list[dict]] = {
    "langevin_well": [{"steps": 200}, {"steps": 2000}, {"steps": 2000, "walkers": 20000}, {"steps": 20000, "walkers": 200}],
    "deep_linear": [{"steps": 2000}, {"steps": 20000}, {"steps": 5000, "depth": 6},
                    {"steps": 3000, "target_sv": "6,5,4,3,2,1,0.5,0.25"}, {}],
    "lazy_rich": [{"steps": 200}, {"steps": 2000}, {"steps": 1000, "width": 2048}, {"steps": 5000, "width": 32}],
    "double_descent": [{"trials": 50}, {"trials": 400}, {"trials": 100, "max_features": 300},
                       {"trials": 50, "samples": 150, "max_features": 300}, {"trials": 200, "ridge": 1.0}],
    "edge_of_stability": [{"steps": 200}, {"steps": 800}, {"steps": 800, "width": 64, "samples": 300},
                          {"steps": 3000, "width": 8}],
    "grokking": [{"steps": 300}, {"steps": 2500}, {"steps": 1000, "p": 41, "hidden": 256}, {"steps": 3000, "hidden": 16}],
    "implicit_regularization": [{}, {"horizon": 10.0}, {"step_sizes": "0.001,0.002", "horizon": 20.0}],
    "kernel_curves": [{"trials": 1}, {}, {"n_max": 1024, "trials": 2}, {"n_max": 128, "trials": 32}],
    "scaling_law": [{"trials": 1}, {}, {"n_max": 1024, "trials": 1}, {"n_max": 128, "trials": 8}],
    "mup_transfer": [{"steps": 20}, {}, {"steps": 300}, {"widths": "64,1024", "steps": 100},
                     {"coord_widths": "64,2048", "steps": 10}],
    "neural_collapse": [{"steps": 500}, {}, {"steps": 5000, "model": "mlp"}, {"steps": 3000, "classes": 10, "per_class": 100, "dim": 64}],
    "universality": [{"widths": "16,64"}, {}, {"widths": "256,4096", "samples": 800}, {"widths": "64", "seeds_per_width": 6, "families": "relu,erf,tanh"}],
}


def measure(name: str, overrides: dict, repeats: int = 1) -> float:
    sim = get(name)
    times = []
    for _ in range(repeats):
        t0 = time.process_time()
        run_to_end(sim, overrides, seed=0)
        times.append(time.process_time() - t0)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("names", nargs="*", default=list(NAMES))
    parser.add_argument("--fit", action="store_true", help="fit and print each simulation's coefficients")
    parser.add_argument("--repeats", type=int, default=1)
    args = parser.parse_args()
    for name in args.names:
        sim = get(name)
        rows = []
        for overrides in SETTINGS[name]:
            params = sim.resolve(overrides)
            rows.append((overrides, sim.cost_terms(params), measure(name, overrides, args.repeats), sim.estimate_seconds(params)))
        for overrides, _, measured, estimate in rows:
            print(f"{name:24s} {str(overrides):60s} measured {measured:7.3f} s  estimated {estimate:7.3f} s  "
                  f"ratio {estimate / measured:5.2f}")
        if args.fit:
            from scipy.optimize import nnls

            a = np.array([[1.0, it, fl] for _, (it, fl), _, _ in rows]) / np.array([[m] for _, _, m, _ in rows])
            scale = np.array([1.0, 1e-6, 1e-9])
            coef, _ = nnls(a * scale, np.ones(len(rows)))
            print(f"{name}: cost_coefficients = ({coef[0] * scale[0]:.3g}, {coef[1] * scale[1]:.3g}, {coef[2] * scale[2]:.3g})")


if __name__ == "__main__":
    main()
