"""Lazy vs rich training: the output scale alpha decides whether a network is a kernel machine.

A two-layer tanh network g(x; theta) = m^{-1/2} sum_j a_j tanh(w_j x + b_j) (w, a ~ N(0, 1),
b ~ N(0, 0.5^2)), centred and scaled: f = alpha (g(theta) - g(theta_0)), fitted to y = sin 3x at
n = 16 points of [-1, 1] by full-batch GD on (1 / (2 n alpha^2)) sum (f - y)^2 (Chizat's
F_alpha = alpha^{-2} R(alpha h)). The parameter step size is the same for every alpha,
eta = lr_scale * 0.5 / lambda_max(K0 / n), so the function-space dynamics at t = 0 do not depend
on alpha (df/dt = -(K/n)(f - y), K = J J^T the tangent kernel of g).

Prediction (Chizat, Oyallon & Bach 2019): the weights move by O(1/alpha) and the trajectory stays
O(1/alpha)-close to the linearized model, so for large alpha
- ||theta_T - theta_0|| / ||theta_0|| ~ 1/alpha (slope -1 on log-log axes), the kernel moves ~ 1/alpha,
- the trained network equals the finite-time linearized (NTK) prediction
  f_lin(x, T) = K0(x, X) Q diag[(1 - (1 - eta e_k)^T) / (n e_k)] Q^T y,  K0 / n = Q diag(e) Q^T,
  which does not depend on alpha. (Finite-time, because K0 is ill-conditioned: the converged kernel
  regression K0(x, X) K0^{-1} y is given as ``kernel_fit_converged`` for reference.)
For small alpha (rich regime) the kernel itself changes by O(1): features are learned.

All alphas are trained together from the same theta_0 (batched over alpha).
"""

from __future__ import annotations

import math
import time
from collections.abc import Generator
from typing import Any

import numpy as np

from .base import (Chart, Frame, Line, Panel, Param, Result, Simulation, Throttle, at_most, loglog_slope, shown, tidy,
                   tidy_row)

N_TRAIN = 16
N_GRID = 64
BLOWUP = 1e6  # |f - y| beyond this counts as divergence
SLOPE_TOL = 0.1  # the weight change's log-log slope against alpha: -1 within this
LIN_GAP = 0.01  # "lazy": at the largest alpha the net is within this (sup over x) of its linearization


def _features(w: np.ndarray, b: np.ndarray, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """tanh(w x + b) and its derivative 1 - tanh^2 for a batch of parameters: (..., n, m)."""
    h = np.tanh(w[..., None, :] * x[:, None] + b[..., None, :])
    return h, 1.0 - h * h


def _jacobian(a: np.ndarray, w: np.ndarray, b: np.ndarray, x: np.ndarray) -> np.ndarray:
    """dg/dtheta on the points x, theta = (a, w, b): shape (..., n, 3m)."""
    m = a.shape[-1]
    h, s = _features(w, b, x)
    da = h
    db = s * a[..., None, :]
    dw = db * x[:, None]
    return np.concatenate([da, dw, db], axis=-1) / math.sqrt(m)


def _tanh_uniform(w: np.ndarray, b: np.ndarray, x0: float, dx: float, n: int) -> np.ndarray:
    """tanh(w x_i + b) on the uniform grid x_i = x0 + i dx, shape (A, n, m), with 2 exp calls per unit.

    exp(2 z_i) = exp(2 (w x0 + b)) * exp(2 w dx)^i, so the transcendental work is per unit, not per
    (unit, point) (numpy's float64 tanh/exp are scalar on AVX2 machines and would dominate the run time);
    the powers are built by doubling. tanh = 1 - 2 / (exp(2z) + 1), accurate to ~1e-15 here. Falls
    back to np.tanh when |z| could exceed 20 (then exp(2z) could under/overflow).
    """
    wmax = max(w.max(), -w.min())
    if wmax * max(abs(x0), abs(x0 + (n - 1) * dx)) + max(b.max(), -b.min()) > 20.0:
        x = x0 + dx * np.arange(n)
        return np.tanh(w[:, None, :] * x[None, :, None] + b[:, None, :])
    E = np.empty((w.shape[0], n, w.shape[1]))
    np.exp(2.0 * (w * x0 + b), out=E[:, 0, :])
    r = np.exp(2.0 * dx * w)[:, None, :]
    k = 1
    while k < n:
        j = min(2 * k, n)
        np.multiply(E[:, : j - k, :], r, out=E[:, k:j, :])
        k = j
        if k < n:
            r = r * r
    np.add(E, 1.0, out=E)
    np.divide(2.0, E, out=E)
    np.subtract(1.0, E, out=E)
    return E


class LazyRich(Simulation):
    name = "lazy_rich"
    title = "Lazy vs rich: the output scale alpha"
    chapter = 3
    description = "Scale a network's output by alpha: weights move ~1/alpha and it becomes its linearization (NTK)"
    citation = "Chizat, Oyallon & Bach 2019, arXiv:1812.07956"
    predictable = {
        "weight_change_slope": "log-log slope of the relative weight change against alpha over the alphas >= 1 "
                               "(theory: -1, the weights move ~1/alpha)",
        "kernel_change_slope": "the same slope for the relative change of the tangent kernel (theory: -1)",
    }
    metric_keys = ("lr",)
    prediction_keys = ("lr", "lr_stability_scale")
    params = (
        Param("alphas", "float_list", (0.125, 1.0, 4.0, 16.0), "output scales alpha to compare (all trained from one init)",
              min=0.01, max=1000.0, max_len=6),
        Param("width", "int", 256, "hidden units m", min=8, max=4096, step=64),
        Param("steps", "int", 2000, "full-batch GD steps", min=10, max=50_000, step=500),
        Param("lr_scale", "float", 1.0, "step size in units of 0.5/lambda_max(K0/n) (linear model diverges above 4)",
              min=0.01, max=50.0, step=1.5, log=True),
    )

    # ------------------------------------------------------------------------------------------
    cost_coefficients = (0.0012, 2.85e-05, 2.05e-10)  # fitted: scripts/cost_model.py --fit

    @classmethod
    def cost_terms(cls, params: dict[str, Any]) -> tuple[float, float]:
        """Per GD step, every alpha's net on the N_TRAIN points: tanh, forward and three gradient
        products over the m hidden units (~20 flops per unit and point)."""
        m, steps, a = int(params["width"]), int(params["steps"]), len(params["alphas"])
        return float(steps), steps * a * N_TRAIN * m * 20.0 + (N_GRID + N_TRAIN) * N_TRAIN * 3 * m * 2.0

    def run(self, params: dict[str, Any], seed: int = 0) -> Generator[Frame, None, Result]:
        t_start = time.perf_counter()
        alphas = np.asarray(params["alphas"], dtype=float)
        A = len(alphas)
        m = int(params["width"])
        steps = int(params["steps"])
        rng = np.random.default_rng(seed)
        X = np.linspace(-1.0, 1.0, N_TRAIN)
        y = np.sin(3.0 * X)
        xg = np.linspace(-1.0, 1.0, N_GRID)
        target = np.sin(3.0 * xg)
        w0 = rng.standard_normal(m)
        a0 = rng.standard_normal(m)
        b0 = 0.5 * rng.standard_normal(m)
        theta_norm = math.sqrt(float(np.sum(a0**2) + np.sum(w0**2) + np.sum(b0**2)))
        base = {"x": xg.tolist(), "x_train": X.tolist(), "y_train": y.tolist(), "target": target.tolist(),
                "alphas": alphas.tolist()}
        yield Frame(0, steps, {**base, "fits": []}, message="computing the tangent kernel")

        # --- theory: the tangent kernel at init and the finite-time linearized prediction ----------
        J0 = _jacobian(a0, w0, b0, X)  # (n, 3m)
        J0g = _jacobian(a0, w0, b0, xg)  # (N_GRID, 3m)
        K0 = J0 @ J0.T
        K0g = J0g @ J0.T
        e, Q = np.linalg.eigh(K0 / N_TRAIN)
        e_max = float(e[-1])
        eta = float(params["lr_scale"]) * 0.5 / e_max
        with np.errstate(all="ignore"):
            ec = np.clip(e, 0.0, None)
            decay = np.power(1.0 - eta * ec, steps)
            coef = np.where(ec > 1e-14 * e_max, (1.0 - decay) / np.where(ec > 0, N_TRAIN * ec, 1.0),
                            eta * steps / N_TRAIN)
            kernel_fit = K0g @ (Q @ (coef * (Q.T @ y)))
            conv = K0g @ np.linalg.lstsq(K0, y, rcond=1e-12)[0]
        kernel_fit_l = [float(v) if math.isfinite(v) else None for v in kernel_fit]
        prediction: dict[str, Any] = {
            "weight_change_slope": -1.0,
            "kernel_change_slope": -1.0,
            "kernel_fit": kernel_fit_l,
            "kernel_fit_converged": conv.tolist(),
            "lr": eta,
            "lr_stability_scale": 4.0,  # linearized GD diverges when eta * e_max > 2
        }

        # --- GD, all alphas at once ---------------------------------------------------------------
        a = np.tile(a0, (A, 1))
        w = np.tile(w0, (A, 1))
        b = np.tile(b0, (A, 1))
        dx = float(X[1] - X[0])

        def hidden(w: np.ndarray, b: np.ndarray) -> np.ndarray:  # tanh(w x + b) on X, (A, n, m)
            return _tanh_uniform(w, b, -1.0, dx, N_TRAIN)

        g0 = (hidden(w0[None, :], b0[None, :])[0] @ a0) / math.sqrt(m)  # (n,)
        g0g = (np.tanh(w0[None, :] * xg[:, None] + b0[None, :]) @ a0) / math.sqrt(m)
        al = alphas[:, None]
        sq = math.sqrt(m)
        one_x = np.stack([np.ones(N_TRAIN), X])[None]  # (1, 2, n)

        def grid_fits(a: np.ndarray, w: np.ndarray, b: np.ndarray) -> np.ndarray:
            hg = _tanh_uniform(w, b, -1.0, float(xg[1] - xg[0]), N_GRID)
            return al * (np.einsum("agm,am->ag", hg, a) / sq - g0g[None, :])

        def rel_w(a: np.ndarray, w: np.ndarray, b: np.ndarray) -> np.ndarray:
            d2 = np.sum((a - a0) ** 2, 1) + np.sum((w - w0) ** 2, 1) + np.sum((b - b0) ** 2, 1)
            return np.sqrt(d2) / theta_norm

        def snapshot(a: np.ndarray, w: np.ndarray, b: np.ndarray) -> dict[str, Any]:
            return {**base, "fits": grid_fits(a, w, b).tolist(), "kernel_fit": list(kernel_fit_l)}

        throttle = Throttle(0.05)
        yield Frame(0, steps, snapshot(a, w, b), prediction=prediction,
                    metrics={"rel_weight_change": [0.0] * A}, message="training")
        throttle()
        diverged_at: int | None = None
        last_good = (a, w, b)
        step = 0
        with np.errstate(all="ignore"):
            for step in range(1, steps + 1):
                h = hidden(w, b)  # (A, n, m)
                g = np.matmul(h, a[:, :, None])[:, :, 0] / sq
                r = al * (g - g0[None, :]) - y[None, :]  # (A, n)
                if not float(np.abs(r).max()) <= BLOWUP:  # also catches NaN
                    diverged_at = step - 1 if step > 1 else 1
                    break
                c = eta / (N_TRAIN * sq) / al * r  # (A, n): eta * (1 / (n alpha)) * residual / sqrt(m)
                s = 1.0 - h * h
                ga = np.matmul(c[:, None, :], h)[:, 0, :]
                cs = np.matmul(c[:, None, :] * one_x, s)  # (A, 2, m): sums of c s and c x s
                gb = cs[:, 0, :] * a
                gw = cs[:, 1, :] * a
                last_good = (a, w, b)
                a, w, b = a - ga, w - gw, b - gb
                if throttle():
                    rw = rel_w(a, w, b)
                    if np.all(np.isfinite(rw)):
                        yield Frame(step, steps, snapshot(a, w, b), prediction=prediction,
                                    metrics={"rel_weight_change": rw.tolist()}, message=f"step {step}/{steps}")
            else:
                fin = grid_fits(a, w, b)
                if not np.all(np.isfinite(fin)) or float(np.max(np.abs(fin))) > BLOWUP:
                    diverged_at = steps
        elapsed = time.perf_counter() - t_start
        if diverged_at is not None:
            a, w, b = last_good
            with np.errstate(all="ignore"):
                fits = grid_fits(a, w, b)
            fits_l = [[float(v) if math.isfinite(v) else 0.0 for v in row] for row in fits]
            series = {**base, "fits": fits_l, "kernel_fit": kernel_fit_l}
            bad = [f"{al_:g}" for al_, row in zip(alphas, fits) if not np.all(np.abs(row) < BLOWUP)]
            return Result(self.name, dict(params), seed, series, {}, prediction, elapsed,
                          diverged_at=int(diverged_at), agrees=False,
                          verdict=(f"diverged at step {diverged_at}: lr_scale = {params['lr_scale']:g} makes "
                                   f"eta*lambda_max(K/n) = {0.5 * params['lr_scale']:.3g} > 2, too big a step"
                                   + (f" (alpha = {', '.join(bad)})" if bad else "")))

        # --- measurements -------------------------------------------------------------------------
        fits = grid_fits(a, w, b)
        rw = rel_w(a, w, b)
        J_T = _jacobian(a, w, b, X)  # (A, n, 3m)
        K_T = J_T @ np.swapaxes(J_T, 1, 2)
        rk = np.linalg.norm(K_T - K0[None], axis=(1, 2)) / np.linalg.norm(K0)
        gap = np.max(np.abs(fits - kernel_fit[None, :]), axis=1)
        h = hidden(w, b)
        train_loss = 0.5 * np.mean((al * (np.einsum("anm,am->an", h, a) / sq - g0) - y) ** 2, axis=1)
        metrics: dict[str, Any] = {
            "alphas": alphas.tolist(),
            "rel_weight_change": rw.tolist(),
            "rel_kernel_change": rk.tolist(),
            "lin_gap": gap.tolist(),
            "train_loss": train_loss.tolist(),
            "lr": eta,
            "weight_change_slope": None,  # needs two alphas >= 1
            "kernel_change_slope": None,
        }
        big = alphas >= 1.0
        uniq = np.unique(alphas[big])
        i_max = int(np.argmax(alphas))
        i_min = int(np.argmin(alphas))
        agrees: bool | None
        if len(uniq) >= 2:
            slope = loglog_slope(alphas[big], rw[big])
            slope_k = loglog_slope(alphas[big], rk[big])
            metrics["weight_change_slope"] = slope
            metrics["kernel_change_slope"] = slope_k
            ok_slope = at_most(abs(shown(slope, ".2f") + 1.0), SLOPE_TOL)  # as shown (see base.shown)
            head = f"weight change ~ alpha^{slope:.2f} (theory -1 +- {SLOPE_TOL:g})"
            if not np.all(np.isfinite(kernel_fit)):
                # eta * e_max > 2: the linearized model diverges, yet the network can survive by
                # shrinking its kernel (the "catapult" phase); the lazy theory does not apply
                agrees = False
                verdict = (f"{head}; step too big for the linear model (eta*lambda_max = {eta * e_max:.3g} > 2), "
                           f"the kernel moved {100 * rk[i_max]:.0f}% (catapult): disagrees")
            else:
                ok_gap = at_most(shown(gap[i_max], ".2g"), LIN_GAP) and (A == 1 or gap[i_max] < gap[i_min])
                agrees = bool(ok_slope and ok_gap)
                verdict = (f"{head}; alpha={alphas[i_max]:g} is {gap[i_max]:.2g} off its linearization "
                           f"(limit {LIN_GAP:g}); "
                           f"alpha={alphas[i_min]:g} moved the kernel {100 * rk[i_min]:.0f}%: "
                           + ("agrees" if agrees else "disagrees"))
        else:
            agrees = None
            verdict = (f"need two alphas >= 1 to fit the 1/alpha slope; alpha={alphas[i_max]:g} is {gap[i_max]:.2g} off "
                       f"its linearization, alpha={alphas[i_min]:g} moved the kernel "
                       f"{100 * rk[i_min]:.0f}%")
        series = {**base, "fits": fits.tolist(), "kernel_fit": kernel_fit_l}
        return Result(self.name, dict(params), seed, series, metrics, prediction, elapsed,
                      verdict=verdict, agrees=agrees)

    def table(self, series: dict[str, Any]) -> list[dict[str, Any]]:
        """Tidy rows: the target and the NTK fit against x, each alpha's fit against x (index alpha)."""
        rows = tidy({k: series[k] for k in ("target", "kernel_fit", "x") if k in series},
                    {"target": "x", "kernel_fit": "x"}, {})
        rows += tidy({"y_train": series.get("y_train", []), "x_train": series.get("x_train", [])},
                     {"y_train": "x_train"}, {})
        for alpha, fit in zip(series.get("alphas", []), series.get("fits", [])):
            rows += [tidy_row("fit", "x", x, v, alpha=alpha) for x, v in zip(series["x"], fit)]
        return rows

    # ------------------------------------------------------------------------------------------
    def chart(self, data: Frame | Result, params: dict[str, Any]) -> Chart:
        s = data.series
        pred = data.prediction or {}
        alphas = list(params.get("alphas", ()))
        p1 = Panel("fits on [-1, 1]", xlabel="x", ylabel="f(x)")
        x = s.get("x", [])
        if x and s.get("target"):
            p1.lines.append(Line("sin 3x", x, s["target"], "reference"))
        kf = pred.get("kernel_fit") or s.get("kernel_fit")
        if x and kf and all(v is not None for v in kf):
            p1.lines.append(Line("NTK (linear)", x, kf, "theory"))
        fits = s.get("fits") or []
        if fits and len(fits) == len(alphas):
            order = sorted(range(len(alphas)), key=lambda i: alphas[i])
            # every alpha up to four (the legend names each); of more, the ends and two between
            show = order if len(order) <= 4 else [order[0], order[len(order) // 3], order[2 * len(order) // 3], order[-1]]
            for i in show:
                p1.lines.append(Line(f"alpha={alphas[i]:g}", x, fits[i], "measured"))
        p2 = Panel("how far training moved", xlabel="alpha", ylabel="relative change", xlog=True, ylog=True)
        m = data.metrics or {}
        rw = m.get("rel_weight_change")
        if rw and len(rw) == len(alphas):
            pts = sorted((al, v) for al, v in zip(alphas, rw) if v and v > 0)
            if pts:
                p2.lines.append(Line("weights", [p[0] for p in pts], [p[1] for p in pts], "measured"))
                al_ref, v_ref = pts[-1]
                p2.lines.append(Line("theory 1/alpha", [p[0] for p in pts], [v_ref * al_ref / p[0] for p in pts], "theory"))
        rk = m.get("rel_kernel_change")
        if rk and len(rk) == len(alphas):
            pts = sorted((al, v) for al, v in zip(alphas, rk) if v and v > 0)
            if pts:
                p2.lines.append(Line("kernel", [p[0] for p in pts], [p[1] for p in pts], "measured"))
        gap = m.get("lin_gap")
        if gap and len(gap) == len(alphas):
            pts = sorted((al, v) for al, v in zip(alphas, gap) if v and v > 0)
            if pts:
                p2.lines.append(Line("|f - f_lin|", [p[0] for p in pts], [p[1] for p in pts], "measured"))
        panels = [p1, p2] if p2.lines else [p1]
        if isinstance(data, Result):
            caption = data.verdict
        else:
            caption = f"step {data.step}/{data.total}: lazy (large alpha) vs rich (small alpha)" if fits else "starting..."
        return Chart(panels, caption)
