"""Double descent: the test risk of least squares peaks where the model can just interpolate.

Setup (Belkin, Hsu & Xu 2020, "Two models of double descent for weak features", arXiv:1903.07571).
Linear regression y = xᵀβ + ε with x ~ N(0, I_D) (D = ``max_features``), ε ~ N(0, σ²) (σ = ``noise``)
and n = ``samples`` training points. The coefficients β have equal magnitude, β_j = ±1/√D with
random signs fixed by the seed, so ‖β‖² = 1 and every feature carries the same share of the signal
(the "weak features" of the paper): using the first p features, ‖β_T‖² = p/D and the part the model
cannot see, ‖β_{T^c}‖² = 1 − p/D, acts as extra noise.

For every p = 1..D the model is fitted on the first p features only: the minimum-norm
least-squares solution ŵ = X_p⁺y (``ridge`` λ = 0), or the ridge solution
ŵ = argmin ‖X_p w − y‖² + λ‖w‖². Its test risk is computed exactly from ŵ (no test sampling):

    R(p) = E[(y − x_pᵀŵ)²] = ‖β_T − ŵ‖² + ‖β_{T^c}‖² + σ²,

and averaged over ``trials`` independent training sets (the same draws for every p: one nested
sequence of designs, as in the paper's figures).

Prediction, from formulas alone (never from the draws):

* λ = 0, Belkin, Hsu & Xu's closed form for the expected risk, with s² = ‖β_{T^c}‖² + σ²:
      p ≤ n − 2:  s² (1 + p/(n − p − 1))
      p ≥ n + 2:  ‖β_T‖² (1 − n/p) + s² (1 + n/(p − n − 1))
  and undefined (None: the expectation is infinite) for |p − n| < 2. The risk diverges at the
  interpolation threshold p = n, and falls again beyond it ("double descent").
* λ > 0: the proportional-asymptotics formula for isotropic ridge regression (Hastie, Montanari,
  Rosset & Tibshirani 2022, arXiv:1903.08560; Dobriban & Wager 2018), with γ = p/n, μ = λ/n and m
  the Stieltjes transform of the Marchenko-Pastur law at −μ:
      R = ‖β_T‖² μ² m′(−μ) + s² γ (m(−μ) − μ m′(−μ)) + s².
  It is finite everywhere: a well-chosen ridge removes the peak (Nakkiran, Venkat, Kakade & Ma
  2021, arXiv:2003.01897). Here the optimal λ at p features is p s²/‖β_T‖² = D(1 + σ²) − p
  (85 at the defaults); any λ of that order gives a curve that falls monotonically in p.
  (Measured against 400 trials this formula is within 2% for λ ≥ 5 at the defaults; for λ → 0 it
  is the n → ∞ limit and misses the finite-n threshold, which is why λ = 0 uses the exact form.)
  Mei & Montanari (2019, arXiv:1908.05355) show the same peak for random-features regression.

Near the threshold the risk is heavy-tailed (E R(p) is infinite for |p − n| < 2, and the variance is
infinite for |p − n| < 4), so the average there is noisy by nature; away from it (|p − n| > 3) the
verdict compares the average with the formula (tolerance 15%; 400 trials put it within ~10%).

Cost: the designs are drawn in chunks of trials; for p < n the normal equations use the prefix of
the full Gram matrix XᵀX, for p ≥ n the kernel form ŵ = X_pᵀ(X_pX_pᵀ + λI)⁻¹y with X_pX_pᵀ grown one
column at a time, all solved batched over the trials, so the default run is well within the
default budget (about 2 s of one core).
"""

from __future__ import annotations

import math
from collections.abc import Generator
from typing import Any

import numpy as np

from .base import Chart, Frame, Line, Panel, Param, Result, Simulation, Throttle

TOL = 0.15  # away from the threshold: measured within this fraction of the formula
FAR = 3  # "away from the threshold": |p - n| > FAR; "near it": |p - n| <= FAR
GONE_FRACTION = 0.5  # a ridge has removed the peak when the risk's highest point is not near p = n and the
# risk near p = n is below this fraction of the ridge-free peak on the same training sets
OFF_SCALE = 3.0  # the chart's risk axis ends at this many times the formula's largest finite value
CHUNK_FLOATS = 500_000  # trials per chunk so that a chunk's design has at most this many numbers (and its work
# between two yields stays short at the largest n and D)


def bhx_risk(p: int, n: int, signal_in: float, signal_out: float, sigma2: float) -> float | None:
    """Belkin-Hsu-Xu expected risk of min-norm least squares on p of the features (None if infinite)."""
    s2 = signal_out + sigma2
    if p <= n - 2:
        return s2 * (1.0 + p / (n - p - 1.0))
    if p >= n + 2:
        return signal_in * (1.0 - n / p) + s2 * (1.0 + n / (p - n - 1.0))
    return None


def _mp_stieltjes(gamma: float, mu: float) -> float:
    """m(-mu) of the Marchenko-Pastur law with ratio gamma (variance 1), mu > 0."""
    a = 1.0 - gamma + mu
    return (-a + math.sqrt(a * a + 4.0 * gamma * mu)) / (2.0 * gamma * mu)


def ridge_risk(p: int, n: int, lam: float, signal_in: float, signal_out: float, sigma2: float) -> float:
    """Asymptotic (proportional-limit) risk of ridge with penalty lam on ||w||^2 (sum-of-squares loss)."""
    gamma, mu = p / n, lam / n
    s2 = signal_out + sigma2
    m = _mp_stieltjes(gamma, mu)
    h = 1e-5 * mu
    dm = -(_mp_stieltjes(gamma, mu + h) - _mp_stieltjes(gamma, mu - h)) / (2.0 * h)  # m'(-mu)
    return signal_in * mu * mu * dm + s2 * gamma * (m - mu * dm) + s2


def _pct(x: float) -> str:
    return f"{100 * x:.1f}%" if x < 0.095 else f"{100 * x:.0f}%"


class DoubleDescent(Simulation):
    name = "double_descent"
    title = "Double descent at the interpolation threshold"
    chapter = 6
    description = "Least squares on p of D weak features: the test risk diverges at p = n samples and falls again"
    citation = ("Belkin, Hsu & Xu 2020, arXiv:1903.07571; Nakkiran et al. 2021, arXiv:2003.01897; "
                "Hastie, Montanari, Rosset & Tibshirani 2022, arXiv:1903.08560")
    params = (
        Param("samples", "int", 40, "training points n: the risk peaks at p = n features", min=4, max=200, step=5),
        Param("max_features", "int", 100, "D: the model uses the first p = 1..D features", min=2, max=400, step=10),
        Param("noise", "float", 0.5, "label-noise standard deviation sigma", min=0.0, max=5.0, step=0.1),
        Param("ridge", "float", 0.0, "ridge penalty lambda on |w|^2 (0: min-norm least squares; 50 removes the peak)",
              min=0.0, max=10_000.0, step=5.0),
        Param("trials", "int", 400, "training sets averaged (the risk near p = n is heavy-tailed)",
              min=1, max=4000, step=100),
    )
    predictable = {
        "peak_features": "the number of features p at which the measured test risk is highest (theory with "
                         "ridge 0: p = n, the number of samples)",
        "risk_half_samples": "test risk at p = n/2 features (theory with ridge 0: "
                             "(1 - p/D + sigma^2)(1 + p/(n - p - 1)))",
    }
    metric_keys = ("max_rel_dev_far", "peak_risk", "spike_ratio", "trials")
    prediction_keys = ("beta_norm2", "threshold")
    series_x = {"risk": "features"}

    cost_coefficients = (0.0319, 0.000372, 1.72e-11)  # fitted: scripts/cost_model.py --fit

    @classmethod
    def cost_terms(cls, params: dict[str, Any]) -> tuple[float, float]:
        """For every training set and every p = 1..D: a p x p solve (p <= n) or an n x n one with
        its kernel (p > n), twice with a ridge; the sets go in chunks, each a loop over p."""
        n, D, trials = int(params["samples"]), int(params["max_features"]), int(params["trials"])
        solves = 2 if float(params["ridge"]) > 0 else 1
        per_set = sum(min(p, n) ** 3 / 3.0 + (2.0 * n * n * p if p > n else 2.0 * p * p) for p in range(1, D + 1))
        chunk = max(1, min(trials, CHUNK_FLOATS // max(n * D, 1)))
        return float(math.ceil(trials / chunk) * D), trials * (solves * per_set + 2.0 * n * D * D)

    def run(self, params: dict[str, Any], seed: int = 0) -> Generator[Frame, None, Result]:
        n, D = int(params["samples"]), int(params["max_features"])
        sigma = float(params["noise"])
        lam = float(params["ridge"])
        trials = int(params["trials"])
        sigma2 = sigma * sigma
        rng = np.random.default_rng(seed)
        beta = rng.choice([-1.0, 1.0], D) / math.sqrt(D)
        b2 = beta * beta
        inside = np.concatenate([[0.0], np.cumsum(b2)])  # inside[p] = ||beta_T||^2 for the first p
        outside = np.maximum(1.0 - inside, 0.0)
        ps = list(range(1, D + 1))
        half = max(1, n // 2)

        # -- theory first (independent of any draw) --------------------------------------------------
        if lam == 0:
            theory = [bhx_risk(p, n, inside[p], outside[p], sigma2) for p in ps]
        else:
            theory = [ridge_risk(p, n, lam, inside[p], outside[p], sigma2) for p in ps]
        finite = [(p, r) for p, r in zip(ps, theory) if r is not None]
        peak_theory = n if lam == 0 and n <= D else (max(finite, key=lambda q: q[1])[0] if finite else None)
        prediction: dict[str, Any] = {
            "features": list(ps),
            "risk": theory,
            "threshold": n,
            "peak_features": peak_theory,
            "risk_half_samples": theory[half - 1] if half <= D else None,
            "beta_norm2": 1.0,
            "formula": "Belkin-Hsu-Xu closed form" if lam == 0 else "isotropic ridge asymptotics (Hastie et al.)",
        }

        # -- measurement: trials in chunks, every p for each chunk -----------------------------------
        sums = np.zeros(D)
        # with a ridge, the ridge-free risk near p = n on the same draws: what "the peak is gone" compares with
        near_ps = [p for p in ps if abs(p - n) <= FAR] if lam > 0 else []
        free_sums = np.zeros(len(near_ps))
        done_trials = 0
        chunk = max(1, min(trials, CHUNK_FLOATS // max(n * D, 1)))
        throttle = Throttle(0.05)

        def frame(msg: str) -> Frame:
            k = done_trials
            series = {"features": list(ps), "risk": (sums / k).tolist() if k else []}
            return Frame(step=k, total=trials, series=series, prediction=prediction, message=msg)

        last = frame("drawing training sets")  # the last consistent state (sums of whole chunks)
        yield last
        throttle()
        eye_n = np.eye(n)
        while done_trials < trials:
            t = min(chunk, trials - done_trials)
            X = rng.standard_normal((t, n, D))
            y = X @ beta + sigma * rng.standard_normal((t, n))
            Xt = np.swapaxes(X, 1, 2)  # (t, D, n)
            gram = Xt @ X if n > 1 else None  # (t, D, D): prefixes give X_p^T X_p
            xty = (Xt @ y[..., None])[..., 0]  # (t, D)
            K = None
            for p in ps:
                if p < n:
                    G = gram[:, :p, :p] + lam * np.eye(p) if gram is not None else None
                    w = np.linalg.solve(G, xty[:, :p, None])[..., 0]
                else:
                    if K is None:
                        K = X[:, :, :p] @ Xt[:, :p, :]
                    else:
                        col = X[:, :, p - 1]
                        K = K + col[:, :, None] * col[:, None, :]
                    alpha = np.linalg.solve(K + lam * eye_n, y[..., None])
                    w = (Xt[:, :p, :] @ alpha)[..., 0]
                err = np.sum((beta[:p] - w) ** 2, axis=1)
                sums[p - 1] += float(np.sum(err)) + t * (outside[p] + sigma2)
                if near_ps and abs(p - n) <= FAR:
                    if p < n:
                        w0 = np.linalg.solve(gram[:, :p, :p], xty[:, :p, None])[..., 0]
                    else:
                        w0 = (Xt[:, :p, :] @ np.linalg.solve(K, y[..., None]))[..., 0]
                    err0 = np.sum((beta[:p] - w0) ** 2, axis=1)
                    free_sums[near_ps.index(p)] += float(np.sum(err0)) + t * (outside[p] + sigma2)
                if throttle():  # a chunk at large n and D takes seconds: yield within it (the last
                    yield last  # whole chunk's state), so a stop or a key is never kept waiting
            done_trials += t
            last = frame(f"{done_trials}/{trials} training sets")
            if throttle() or done_trials == trials:
                yield last

        risk = sums / trials
        series = {"features": list(ps), "risk": risk.tolist()}
        peak = int(ps[int(np.argmax(risk))])
        th = np.array([math.nan if r is None else r for r in theory])
        far = np.array([abs(p - n) > FAR for p in ps]) & np.isfinite(th)
        rel = np.abs(risk / np.where(far, th, 1.0) - 1.0)
        max_dev = float(np.max(rel[far])) if far.any() else None
        near = [r for p, r in zip(ps, risk) if abs(p - n) <= FAR]
        away = [r for p, r in zip(ps, risk) if abs(p - n) > 2 * FAR]
        spike = (max(near) / np.median(away)) if near and away else None
        free_peak = float(np.max(free_sums / trials)) if near_ps else None
        metrics: dict[str, Any] = {
            "peak_features": peak,
            "peak_risk": float(risk.max()),
            "risk_half_samples": float(risk[half - 1]) if half <= D else None,
            "max_rel_dev_far": max_dev,
            "spike_ratio": float(spike) if spike is not None else None,
            "monotone": bool(np.all(np.diff(risk) <= 1e-12)),
            "trials": trials,
            "near_peak_risk": float(max(near)) if near else None,
            "ridge_free_peak": free_peak,
        }
        verdict, agrees = self._verdict(metrics, n, D, lam)
        return Result(sim=self.name, params=dict(params), seed=seed, series=series, metrics=metrics,
                      prediction=prediction, verdict=verdict, agrees=agrees)

    @staticmethod
    def _verdict(m: dict[str, Any], n: int, D: int, lam: float) -> tuple[str, bool | None]:
        dev = m["max_rel_dev_far"]
        close = (f"; away from p = n (|p - n| > {FAR}) it is within {_pct(dev)} of the formula"
                 if dev is not None else "")
        if lam > 0:
            theory = (f"{_pct(dev)} off theory (limit {_pct(TOL)})" if dev is not None
                      else "no theory to compare")
            ok = dev is not None and dev <= TOL
            word = "agrees" if ok else "disagrees"
            free, near = m["ridge_free_peak"], m["near_peak_risk"]
            if free is None or near is None:
                return f"with ridge {lam:g} the risk is highest at p = {m['peak_features']}; {theory}: {word}", ok
            gone = DoubleDescent.peak_gone(m["peak_features"], n, near, free)
            if gone:
                shape = (f"the peak is gone: highest at p = {m['peak_features']}, not near n = {n}; "
                         f"{near:.3g} near n < {GONE_FRACTION:g}x ridge-free {free:.3g}")
            elif abs(m["peak_features"] - n) <= FAR:
                shape = (f"the peak is lower ({near:.3g} vs {free:.3g} ridge-free) but still at p = "
                         f"{m['peak_features']}, within {FAR} of p = n = {n}")
            else:
                shape = f"the risk peaks at p = {m['peak_features']}; near n {near:.3g} vs {free:.3g} ridge-free"
            return f"ridge {lam:g}: {shape}; {theory}: {word}", ok
        if n > D:
            within = f"; the risk is within {_pct(dev)} of the formula" if dev is not None else ""
            return (f"no peak: every p is below the threshold p = n = {n} (raise max_features past it to see "
                    f"one){within}"), None
        peak_ok = abs(m["peak_features"] - n) <= 1
        ok = peak_ok and dev is not None and dev <= TOL
        where = ("at the threshold p = n" if peak_ok else f"away from the threshold p = n = {n}")
        return (f"test risk peaks at p = {m['peak_features']} features, {where} ({n} samples){close}: "
                + ("agrees" if ok else "disagrees")), ok

    @staticmethod
    def peak_gone(peak_features: int, n: int, near_risk: float, ridge_free_peak: float) -> bool:
        """The claim "a ridge removed the peak": the highest risk is more than FAR features from p = n,
        and the risk near p = n is below GONE_FRACTION of the ridge-free peak on the same draws."""
        return abs(peak_features - n) > FAR and near_risk < GONE_FRACTION * ridge_free_peak

    def chart(self, data: Frame | Result, params: dict[str, Any]) -> Chart:
        n = int(params["samples"])
        sigma = float(params["noise"])
        lam = float(params["ridge"])
        s = data.series
        pred = data.prediction or {}
        panel = Panel("test risk vs features used (log scale)", xlabel="features p", ylabel="test risk", ylog=True,
                      vlines=[(float(n), f"p = n = {n}")])
        theory = [r for r in pred.get("risk") or [] if r is not None and r > 0]
        if theory:
            label = "Belkin et al." if lam == 0 else "ridge theory"
            panel.lines.append(Line(label, list(pred["features"]), list(pred["risk"]), "theory"))
        if s.get("risk"):
            xs, ys = list(s["features"]), list(s["risk"])
            # the average at p ~ n is heavy-tailed (its expectation is infinite): points far above the
            # formula's largest finite value are drawn at the top as "^", so the rest keeps its scale
            cap = OFF_SCALE * max(theory) if theory else math.inf
            keep = [(x, y) for x, y in zip(xs, ys) if y <= cap]
            over = [x for x, y in zip(xs, ys) if y > cap]
            panel.lines.append(Line("measured", [q[0] for q in keep], [q[1] for q in keep], "measured"))
            if over:
                panel.lines.append(Line("off the chart", over, [cap] * len(over), "measured", marker="^"))
                low = min([y for y in ys if y > 0] + theory + ([sigma * sigma] if sigma > 0 else []))
                panel.ylim = (low, cap)
        if sigma > 0:
            panel.hlines.append((sigma * sigma, "noise sigma^2"))
        if isinstance(data, Result):
            caption = data.verdict
        else:
            caption = data.message or f"{data.step}/{data.total} training sets"
        return Chart([panel], caption=caption)
