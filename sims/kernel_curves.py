"""Kernel learning curves: the eigenlearning theory beside measured kernel ridge regression.

Setup. A kernel with eigenvalues λ_i = i^{-(1+a)} (i = 1..M) and orthonormal eigenfunctions
φ_i(x): here x is a Gaussian vector with covariance diag(λ) and φ_i(x) = x_i/√λ_i, so the linear
kernel K(x, x') = xᵀx' = Σ_i λ_i φ_i(x) φ_i(x') has exactly that spectrum. The target is
f*(x) = Σ_i v_i φ_i(x) with v_i² = i^{-(1+r)} (random signs): r sets how fast the target's power
falls across the kernel's eigenmodes (r = a is the isotropic teacher of the scaling_law simulation,
E v_i² ∝ λ_i). Labels y = f*(x) + ε with noise variance σ². Kernel ridge regression with ridge δ on
n samples: f̂(x) = k(x)ᵀ (K + δ I)^{-1} y. The measured test risk is the exact population MSE of f̂
against noisy labels, Σ_i (θ̂_i − v_i)² + σ² (θ̂_i the coefficients of f̂ on φ_i), averaged over
``trials`` draws of the training set. One draw of n_max samples gives the whole curve (its first
n rows for each n).

Prediction (independent of the draws): the eigenlearning equations (Simon, Dickens, Karkada &
DeWeese 2023, "The eigenlearning framework", TMLR; the same result as Canatar, Bordelon & Pehlevan
2021, Nat. Commun., arXiv:2006.13198, and Bordelon, Canatar & Pehlevan 2020, ICML):

    κ solves  n = Σ_i λ_i/(λ_i + κ) + δ/κ,       learnability  L_i = λ_i/(λ_i + κ),
    E_0 = n / (n − Σ_i L_i²),                    test MSE  = E_0 · (Σ_i (1 − L_i)² v_i² + σ²).

Summed over the same M eigenvalues as the measurement, so the finite spectrum is no approximation.
For ridge δ → 0, κ ∝ n^{-(1+a)}; modes with λ_i ≫ κ are learned, the rest are not, and the excess
risk falls as n^{-min(r, 2(1+a))}: the target's exponent r, not the spectrum's, sets the law (the
isotropic target r = a gives the chapter's n^{-a}); it saturates at 2(1+a) for very smooth targets.
``decay_exponent`` is the log-log slope of the measured excess risk (test MSE − σ²) over the grid;
the theory's value is the eigenlearning curve's own slope over the same grid (with ridge or noise
the curve bends to a floor, so no single exponent applies); ``asymptotic_exponent`` is
min(r, 2(1+a)), which the ridgeless, noiseless curve approaches.
"""

from __future__ import annotations

import math
from collections.abc import Generator
from typing import Any

import numpy as np
from scipy.linalg import LinAlgError, solve
from scipy.optimize import brentq

from .base import Chart, Frame, Line, Panel, Param, Result, Simulation, Throttle, at_most, loglog_slope, shown
from .scaling_law import check_grid, n_grid

FEATURE_RATIO = 8  # M = FEATURE_RATIO * n_max eigenmodes: the power law holds well past n_max
CURVE_TOL = 0.1  # the measured risk within this of eigenlearning's, on average over n
SLOPE_TOL = 0.15  # the excess risk's exponent within this of the predicted one
MAX_LEARN_POINTS = 40  # modes shown in the learnability panel (log-spaced)


def solve_kappa(lam: np.ndarray, n: float, ridge: float) -> float:
    """The effective regularization κ > 0 with n = Σ λ_i/(λ_i+κ) + δ/κ (needs n < M when δ = 0)."""

    def excess(log_k: float) -> float:
        k = math.exp(log_k)
        return float(np.sum(lam / (lam + k))) + ridge / k - n

    lo = math.log(float(lam[-1])) - 40.0
    hi = math.log(float(lam[0]) + ridge) + 10.0
    return math.exp(brentq(excess, lo, hi, xtol=1e-14, rtol=1e-12))


def eigenlearning(lam: np.ndarray, v2: np.ndarray, n: float, ridge: float, noise: float) -> dict[str, Any]:
    """κ, the learnabilities, the overfitting factor E_0 and the predicted test MSE at n samples."""
    kappa = solve_kappa(lam, n, ridge)
    learn = lam / (lam + kappa)
    e0 = n / (n - float(np.sum(learn**2)))
    bias = float(np.sum((1.0 - learn) ** 2 * v2))
    return {"kappa": kappa, "learnability": learn, "e0": e0, "risk": e0 * (bias + noise)}


def asymptotic_exponent(a: float, r: float) -> float:
    """The ridgeless decay exponent of the excess risk: min(r, 2(1+a))."""
    return min(r, 2.0 * (1.0 + a))


def _slope(ns: np.ndarray, y: np.ndarray) -> float | None:
    if len(ns) < 2 or not np.all(y > 0):
        return None
    return -loglog_slope(ns, y)


class KernelCurves(Simulation):
    name = "kernel_curves"
    title = "Kernel learning curves: eigenlearning vs kernel regression"
    chapter = 4
    description = "Kernel ridge regression on a power-law spectrum: test risk over n beside the eigenlearning equations"
    citation = ("Simon, Dickens, Karkada & DeWeese 2023 (TMLR), arXiv:2110.03922; "
                "Canatar, Bordelon & Pehlevan 2021 (Nat. Commun.), arXiv:2006.13198")
    predictable = {
        "decay_exponent": "exponent b of the excess test risk's fall, risk - noise ~ n^-b, fitted over the grid "
                          "(theory: the eigenlearning curve's slope; without ridge and noise it approaches "
                          "min(r, 2(1+a)), r = target_exponent, a = exponent; prediction key asymptotic_exponent)",
    }
    metric_keys = ("max_rel_dev", "mean_rel_dev", "risk_last", "features")
    prediction_keys = ("asymptotic_exponent", "theory_slope", "risk_last", "kappa_last", "e0_last")
    series_x = {"risk": "n", "learnability": "modes"}
    params = (
        Param("exponent", "float", 1.0, "spectral exponent a: kernel eigenvalues λ_i = i^-(1+a)",
              min=0.25, max=2.0, step=0.25),
        Param("target_exponent", "float", 1.0, "target exponent r: target power v_i^2 = i^-(1+r) (r = a: isotropic)",
              min=0.25, max=6.0, step=0.25),
        Param("ridge", "float", 0.0, "ridge δ added to the kernel matrix (0: ridgeless interpolation)",
              min=0.0, max=10.0, step=1e-4),
        Param("noise", "float", 0.0, "label-noise variance σ^2", min=0.0, max=1.0, step=1e-3),
        Param("n_min", "int", 8, "smallest number of training samples n", min=4, max=128, step=4),
        Param("n_max", "int", 512, "largest n (eigenmodes M = 8·n_max)", min=32, max=1024, step=64),
        Param("trials", "int", 8, "independent training sets averaged", min=1, max=32, step=1),
    )

    @classmethod
    def check(cls, values: dict[str, Any]) -> None:
        check_grid(values)

    # ------------------------------------------------------------------------------------
    cost_coefficients = (0.0223, 0.000127, 2.4e-11)  # fitted: scripts/cost_model.py --fit

    @classmethod
    def cost_terms(cls, params: dict[str, Any]) -> tuple[float, float]:
        """Per training set: n_max samples of M = 8 n_max modes, their n_max x n_max gram, and for
        every n of the grid a Cholesky solve and the fitted modes (n x M)."""
        n_max, trials = int(params["n_max"]), int(params["trials"])
        m = 8 * n_max
        ns = n_grid(int(params["n_min"]), n_max)
        per_set = 2.0 * n_max * n_max * m + 4.0 * n_max * m + sum(n ** 3 / 3.0 + 4.0 * n * m for n in ns)
        return float(trials * len(ns)), float(trials * per_set)

    def run(self, params: dict[str, Any], seed: int = 0) -> Generator[Frame, None, Result]:
        a, r = float(params["exponent"]), float(params["target_exponent"])
        ridge, noise = float(params["ridge"]), float(params["noise"])
        n_min, n_max, trials = int(params["n_min"]), int(params["n_max"]), int(params["trials"])
        m = FEATURE_RATIO * n_max
        ns = n_grid(n_min, n_max)
        idx = np.arange(1, m + 1, dtype=float)
        lam = idx ** -(1.0 + a)
        v2 = idx ** -(1.0 + r)
        rng = np.random.default_rng(seed)

        # Theory first (independent of any draw).
        theory = [eigenlearning(lam, v2, float(n), ridge, noise) for n in ns]
        risk_th = np.array([t["risk"] for t in theory])
        shown_modes = np.unique(np.round(np.geomspace(1, m, MAX_LEARN_POINTS)).astype(int)) - 1
        last = theory[-1]
        prediction: dict[str, Any] = {
            "n": ns.tolist(),
            "risk": risk_th.tolist(),
            "decay_exponent": _slope(ns, risk_th - noise),
            "asymptotic_exponent": asymptotic_exponent(a, r),
            "theory_slope": _slope(ns, risk_th - noise),
            "risk_last": float(risk_th[-1]),
            "kappa_last": float(last["kappa"]),
            "e0_last": float(last["e0"]),
            "modes": (shown_modes + 1).tolist(),
            "learnability": last["learnability"][shown_modes].tolist(),
            "risk_form": "E0*(sum_i (1-L_i)^2 v_i^2 + noise), L_i = lam_i/(lam_i+kappa), E0 = n/(n - sum L_i^2)",
        }

        sums = np.zeros(len(ns))
        learn_sum = np.zeros(m)
        done_trials = 0
        throttle = Throttle(0.05)

        def frame(msg: str) -> Frame:
            series: dict[str, Any] = {"n": ns.tolist(), "risk": (sums / done_trials).tolist()} if done_trials else \
                {"n": [], "risk": []}
            return Frame(step=done_trials, total=trials, series=series, prediction=prediction, message=msg)

        yield frame("solving the eigenlearning equations")
        throttle()
        bad_at: int | None = None
        sqrt_lam = np.sqrt(lam)
        with np.errstate(all="ignore"):
            for trial in range(trials):
                signs = rng.choice(np.array([-1.0, 1.0]), size=m)
                v = signs * np.sqrt(v2)
                z = rng.standard_normal((n_max, m))  # φ_i(x) for each sample
                y = z @ v + math.sqrt(noise) * rng.standard_normal(n_max)
                x = z * sqrt_lam
                gram = x @ x.T
                for j, n in enumerate(ns):
                    try:
                        alpha = solve(gram[:n, :n] + ridge * np.eye(n), y[:n], assume_a="pos")
                    except (LinAlgError, ValueError):
                        bad_at = int(n)
                        break
                    theta = lam * (z[:n].T @ alpha)  # f̂ = Σ_i θ_i φ_i
                    val = float(np.sum((theta - v) ** 2)) + noise
                    if not math.isfinite(val):
                        bad_at = int(n)
                        break
                    sums[j] += val
                    if j == len(ns) - 1:
                        learn_sum += theta / v
                if bad_at is not None:
                    break
                done_trials += 1
                if throttle():
                    yield frame(f"training set {trial + 1}/{trials}")
        yield frame("fitting the decay exponent")

        if bad_at is not None or done_trials == 0:
            where = bad_at if bad_at is not None else int(ns[0])
            return Result(
                sim=self.name, params=dict(params), seed=seed, series={"n": [], "risk": []}, metrics={},
                prediction=prediction, diverged_at=where, agrees=False,
                verdict=f"failed at n = {where}: the kernel matrix is singular (add a small ridge)",
            )

        risk = sums / done_trials
        learn_meas = learn_sum / done_trials
        series = {"n": ns.tolist(), "risk": risk.tolist(),
                  "modes": (shown_modes + 1).tolist(), "learnability": learn_meas[shown_modes].tolist()}
        rel = np.abs(risk / risk_th - 1.0)
        b_meas = _slope(ns, risk - noise)
        b_th = prediction["theory_slope"]
        metrics = {
            "decay_exponent": b_meas,
            "max_rel_dev": float(np.max(rel)),
            "mean_rel_dev": float(np.mean(rel)),
            "risk_last": float(risk[-1]),
            "features": m,
        }
        # judged on the numbers as the verdict shows them (see base.shown)
        curve_ok = at_most(shown(100 * float(np.mean(rel)), ".0f"), 100 * CURVE_TOL)
        if b_meas is None or b_th is None:
            agrees = curve_ok
            law = "the excess risk is not positive everywhere, so no exponent"
        else:
            agrees = curve_ok and at_most(abs(shown(b_meas, ".2f") - shown(b_th, ".2f")), SLOPE_TOL)
            law = f"excess risk falls as n^{-b_meas:.2f} vs n^{-b_th:.2f} predicted (+- {SLOPE_TOL:g})"
        verdict = (f"test risk within {100 * float(np.mean(rel)):.0f}% of eigenlearning on average (limit "
                   f"{CURVE_TOL:.0%}); {law}: "
                   + ("agrees" if agrees else "disagrees"))
        return Result(sim=self.name, params=dict(params), seed=seed, series=series, metrics=metrics,
                      prediction=prediction, verdict=verdict, agrees=agrees)

    # ------------------------------------------------------------------------------------
    def chart(self, data: Frame | Result, params: dict[str, Any]) -> Chart:
        noise = float(params["noise"])
        pred = data.prediction or {}
        ns = [float(v) for v in data.series.get("n", [])]
        risk = [float(v) for v in data.series.get("risk", [])]
        p1 = Panel("test risk vs samples n", xlabel="n", ylabel="test MSE", xlog=True, ylog=True)
        if pred.get("n"):
            p1.lines.append(Line("eigenlearning", [float(v) for v in pred["n"]], [float(v) for v in pred["risk"]],
                                 kind="theory"))
        if ns:
            p1.lines.append(Line("measured", ns, risk))
        if noise > 0:
            p1.hlines.append((noise, "noise"))
        p2 = Panel(f"learnability at n = {int(params['n_max'])}", xlabel="mode i", ylabel="L_i", xlog=True,
                   ylim=(-0.1, 1.1))
        if pred.get("modes"):
            p2.lines.append(Line("eigenlearning", [float(v) for v in pred["modes"]],
                                 [float(v) for v in pred["learnability"]], kind="theory"))
        if data.series.get("learnability"):
            p2.lines.append(Line("measured", [float(v) for v in data.series["modes"]],
                                 [float(v) for v in data.series["learnability"]]))
        if isinstance(data, Result):
            caption = data.verdict
        else:
            caption = data.message or f"training set {data.step}/{data.total}"
        return Chart([p1, p2], caption=caption)
