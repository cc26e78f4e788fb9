"""How close each simulation's predictable scalars come to the theory, across seeds (not run in CI).

For a course's "predict" questions: for every (simulation, settings, key) below, the measured value
``result.metrics[key]`` for seeds 0..N-1 beside the theory's ``result.prediction[key]``, and the
largest absolute and relative gap. A question's tolerance should be at least that gap.

    python scripts/predict_tolerances.py [--seeds 5] [--only NAME]

With ``--questions``: the shipped course's predict questions instead, each at its own parameters
over seeds 0..N-1, with the theory the question shows, whether each seed's measurement grades that
theory right, how much of the tolerance the worst seed uses, and the seconds per run.
"""

from __future__ import annotations

import argparse
import math
import time

from lmtui.sims import get, run_to_end

CASES: list[tuple[str, dict[str, str], str]] = [
    ("langevin_well", {}, "stationary_variance"),
    ("langevin_well", {"k": "4", "temperature": "1", "lr": "0.01", "steps": "4000"}, "stationary_variance"),
    ("deep_linear", {}, "top_half_time"),
    ("deep_linear", {"depth": "4", "init_scale": "0.01"}, "top_half_time"),
    ("deep_linear", {"depth": "3", "init": "random"}, "layer_sq_norm"),
    ("deep_linear", {"init": "random"}, "onset_alignment"),
    ("lazy_rich", {}, "weight_change_slope"),
    ("lazy_rich", {"alphas": "4,16,64"}, "weight_change_slope"),
    ("scaling_law", {}, "fitted_exponent"),
    ("scaling_law", {"exponent": "1.5"}, "fitted_exponent"),
    ("kernel_curves", {}, "decay_exponent"),
    ("kernel_curves", {"exponent": "1.5", "target_exponent": "0.75"}, "decay_exponent"),
    ("edge_of_stability", {}, "sharpness_plateau"),
    ("edge_of_stability", {}, "plateau_ratio"),
    ("edge_of_stability", {"lr": "0.3", "samples": "200", "steps": "1500"}, "plateau_ratio"),
    ("neural_collapse", {}, "mean_cosine"),
    ("neural_collapse", {"classes": "3"}, "mean_cosine"),
    ("neural_collapse", {"classes": "10"}, "mean_cosine"),
    ("neural_collapse", {}, "cos_spread"),
    ("mup_transfer", {}, "mup_drift"),
    ("mup_transfer", {}, "sp_drift"),
    ("mup_transfer", {"optimizer": "adam"}, "sp_hidden_update_slope"),
    ("mup_transfer", {}, "mup_output_update_slope"),
    ("mup_transfer", {"widths": "64,256,1024"}, "sp_drift"),
    ("implicit_regularization", {}, "slope_flow"),
    ("implicit_regularization", {}, "slope_modified"),
    ("universality", {}, "same_family_slope"),
    ("universality", {}, "cka_cross"),
    ("universality", {"families": "relu,tanh"}, "cka_cross"),
    ("grokking", {}, "initial_fourier_share"),
    ("grokking", {"p": "23"}, "initial_fourier_share"),
    ("double_descent", {}, "peak_features"),
    ("double_descent", {"samples": "30", "max_features": "80"}, "peak_features"),
    ("double_descent", {}, "risk_half_samples"),
]


def questions(seeds: int, only: str | None) -> None:
    from lmtui.core.course import builtin_content_dir, load_course

    course = load_course(builtin_content_dir())
    for chapter in course.chapters:
        for q in chapter.quiz:
            p = q.predict
            if p is None or (only and p.sim != only):
                continue
            sim = get(p.sim)
            times, values = [], []
            for s in range(seeds):
                t0 = time.perf_counter()
                r = run_to_end(sim, p.overrides, seed=s)
                times.append(time.perf_counter() - t0)
                values.append(r.metrics.get(p.metric))
            th = r.prediction.get(p.theory) if p.theory else None
            settings = " ".join(f"{k}={v}" for k, v in p.overrides.items()) or "defaults"
            shown = ", ".join("None" if v is None else f"{v:.4g}" for v in values)
            if th is None or any(v is None for v in values):
                grade = "no theory to grade" if th is None else "a seed reported no value"
            elif q.choices:
                bins = [p.bin_of(v) for v in values]
                grade = f"theory's choice {p.bin_of(th)}, the seeds' {bins}"
            else:
                used = max(abs(th - v) / (p.tolerance * abs(v) if p.relative else p.tolerance) for v in values)
                ok = all(p.within(th, v) for v in values)
                grade = f"{'right' if ok else 'WRONG'} on every seed: {p.tolerance_text()}, worst seed uses {used:.0%} of it"
            print(f"{chapter.id} {q.id} [{p.sim} {settings} seed {p.seed}] {p.metric}: theory "
                  f"{'None' if th is None else f'{th:.4g}'}; measured {shown}; {grade}; "
                  f"{sum(times) / len(times):.2f} s/run (max {max(times):.2f})", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=5, help="seeds 0..N-1 (default 5)")
    parser.add_argument("--only", metavar="NAME", help="just this simulation")
    parser.add_argument("--questions", action="store_true", help="the shipped course's predict questions")
    args = parser.parse_args()
    if args.questions:
        questions(args.seeds, args.only)
        return
    for name, overrides, key in CASES:
        if args.only and name != args.only:
            continue
        sim = get(name)
        t0 = time.perf_counter()
        results = [run_to_end(sim, overrides, seed=s) for s in range(args.seeds)]
        per_run = (time.perf_counter() - t0) / args.seeds
        measured = [r.metrics.get(key) for r in results]
        theory = {r.prediction.get(key) for r in results}
        th = results[0].prediction.get(key)
        gaps = [abs(m - th) for m in measured if m is not None and th is not None]
        gap = max(gaps) if gaps and len(gaps) == len(measured) else math.nan
        rel = gap / abs(th) if th else math.nan
        shown = ", ".join("None" if m is None else f"{m:.4g}" for m in measured)
        settings = " ".join(f"{k}={v}" for k, v in overrides.items()) or "defaults"
        same = "" if len(theory) == 1 else " (theory varies by seed)"
        print(f"{name} [{settings}] {key}: theory {th if th is None else f'{th:.4g}'}{same}; "
              f"measured {shown}; max gap {gap:.3g} ({100 * rel:.1f}%); {per_run:.2f} s/run", flush=True)


if __name__ == "__main__":
    main()
