"""A ball in a well: gradient descent beside overdamped physics, Langevin noise beside SGD.

Many independent walkers follow the Langevin (noisy gradient descent) update

    theta <- theta - eta * V'(theta) + sqrt(2 * eta * T) * xi,   xi ~ N(0, 1),

on V(theta) = k theta^2 / 2 (default) or a double well V = (k/8)(theta^2 - 1)^2 (minima at +-1,
curvature k there, barrier height k/8). T = 0 is plain gradient descent: the overdamped ball rolling
to the bottom. With T > 0 the cloud of walkers settles into a stationary distribution; its
continuous-time (eta -> 0) limit is the Boltzmann density exp(-V/T)/Z (equipartition: var = T/k for
the quadratic).

Theory used as the prediction (computed from formulas, never from the walkers):
- quadratic, exact for this discrete recursion (rho = 1 - eta k, all walkers start at theta0):
  mean_t = rho^t theta0;  var_t = 2 eta T (1 - rho^(2t)) / (1 - rho^2)
  -> var_inf = 2 eta T / (1 - rho^2) = T / (k (1 - eta k / 2)), Boltzmann limit T/k.
  The recursion is unstable when |rho| > 1, i.e. eta k > 2: the same 2/eta threshold as the edge
  of stability (Cohen et al. 2021) for gradient descent on a curvature-k direction.
- double well: the exact stationary density of the discrete chain, computed from its transition
  operator on a grid (a Gaussian kernel of width sqrt(2 eta T) around theta - eta V'(theta)); the
  Boltzmann density is shown beside it as the eta -> 0 limit. Crossing the barrier takes a
  Kramers time ~ exp(barrier / T), so at low T the walkers may not have equilibrated between the
  wells within the run; the verdict says so.
"""

from __future__ import annotations

import math
import time
from collections.abc import Generator
from typing import Any

import numpy as np
from scipy.special import ndtr

from .base import Chart, Frame, Line, Panel, Param, Result, Simulation, Throttle, at_most, sample_indices, shown

N_BINS = 41
ESCAPE_FACTOR = 1e3  # "left the well": rms |theta| beyond this many times the natural scale


def _grad(potential: str, k: float, th: np.ndarray) -> np.ndarray:
    if potential == "quadratic":
        return k * th
    return 0.5 * k * th * (th * th - 1.0)


def _potential(potential: str, k: float, th: np.ndarray) -> np.ndarray:
    if potential == "quadratic":
        return 0.5 * k * th * th
    return (k / 8.0) * (th * th - 1.0) ** 2


def _boltzmann(potential: str, k: float, T: float, x: np.ndarray) -> np.ndarray:
    """exp(-V/T)/Z on the points x (Z from a fine quadrature over the whole support)."""
    if potential == "quadratic":
        return np.exp(-0.5 * k * x * x / T) / math.sqrt(2 * math.pi * T / k)
    R = _support(potential, k, T)
    g = np.linspace(-R, R, 8001)
    Z = np.trapezoid(np.exp(-_potential(potential, k, g) / T), g)
    return np.exp(-_potential(potential, k, x) / T) / Z


def _support(potential: str, k: float, T: float) -> float:
    """Half-width beyond which exp(-V/T) < e^-40."""
    if potential == "quadratic":
        return math.sqrt(80.0 * T / k)
    return math.sqrt(1.0 + math.sqrt(320.0 * T / k))  # (k/8)(x^2-1)^2 = 40 T


def _transfer_stationary(k: float, eta: float, T: float, R: float, n: int = 801) -> tuple[np.ndarray, np.ndarray] | None:
    """Stationary density of the discrete Langevin chain on the double well, on a grid over [-R, R].

    Column j of M is the probability of moving from grid point x_j into each cell (Gaussian CDF
    differences around x_j - eta V'(x_j), mass beyond the ends put into the end cells). The
    stationary vector solves (M - I) p = 0 with sum p = 1. None when the kernel is narrower than
    two cells (the grid cannot resolve it; the caller then falls back to Boltzmann).
    """
    x = np.linspace(-R, R, n)
    dx = x[1] - x[0]
    s = math.sqrt(2 * eta * T)
    if s < 2 * dx:
        return None
    edges = np.concatenate(([-np.inf], 0.5 * (x[1:] + x[:-1]), [np.inf]))
    m = x - eta * _grad("double_well", k, x)
    with np.errstate(all="ignore"):
        cdf = ndtr((edges[:, None] - m[None, :]) / s)
    M = np.diff(cdf, axis=0)  # (cell i, from j), columns sum to 1
    A = M - np.eye(n)
    A[-1, :] = 1.0
    b = np.zeros(n)
    b[-1] = 1.0
    try:
        p = np.linalg.solve(A, b)
    except np.linalg.LinAlgError:
        return None
    if not np.all(np.isfinite(p)):
        return None
    p = np.clip(p, 0.0, None)
    p /= p.sum()
    return x, p / dx


class LangevinWell(Simulation):
    name = "langevin_well"
    title = "A ball in a well: gradient descent and Langevin noise"
    chapter = 1
    description = "Walkers doing noisy GD in a well: GD decay, Boltzmann variance T/k, divergence at eta*k > 2"
    citation = "Langevin dynamics / Boltzmann distribution; Welling & Teh 2011 (SGLD); Mandt, Hoffman & Blei 2017, arXiv:1704.04289"
    predictable = {
        "stationary_variance": "variance of the walkers over the last half of the run; theory for a quadratic "
                               "well T/(k(1 - eta*k/2)), whose small-step limit is Boltzmann's T/k "
                               "(prediction key stationary_variance_boltzmann)",
    }
    metric_keys = ("eta_k", "mean_final", "var_boltzmann", "var_measured", "var_predicted")
    prediction_keys = ("eta_k", "mean_limit", "stability_lr", "stationary_variance_boltzmann", "var_boltzmann",
                       "var_stationary")
    series_x = {"mean": "step", "var": "step", "hist_density": "hist_x"}
    params = (
        Param("potential", "choice", "quadratic", "well shape: k*theta^2/2, or (k/8)(theta^2-1)^2 with minima at +-1",
              choices=("quadratic", "double_well")),
        Param("k", "float", 1.0, "stiffness: curvature of the well at its bottom", min=0.01, max=100.0, step=1.5, log=True),
        Param("lr", "float", 0.1, "step size eta (GD is unstable when eta*k > 2)", min=1e-4, max=10.0, step=1.5, log=True),
        Param("temperature", "float", 0.5, "noise temperature T (0 = plain gradient descent)", min=0.0, max=10.0, step=0.1),
        Param("walkers", "int", 2000, "number of independent walkers", min=2, max=20000, step=500),
        Param("steps", "int", 400, "number of update steps", min=10, max=20000, step=100),
        Param("theta0", "float", 3.0, "starting position of every walker", min=-10.0, max=10.0, step=0.5),
    )

    # ------------------------------------------------------------------------------------------
    def _theory(self, p: dict[str, Any], steps: int) -> dict[str, Any]:
        pot, k, eta, T, th0 = p["potential"], p["k"], p["lr"], p["temperature"], p["theta0"]
        pred: dict[str, Any] = {"stability_lr": 2.0 / k, "eta_k": eta * k}
        pred["var_boltzmann"] = (T / k) if pot == "quadratic" else None
        if pot == "quadratic":
            rho = 1.0 - eta * k
            t = np.arange(steps + 1)
            with np.errstate(all="ignore"):
                mean = rho ** t * th0
                if abs(abs(rho) - 1.0) < 1e-12:
                    var = 2 * eta * T * t
                else:
                    var = 2 * eta * T * (1.0 - rho ** (2 * t)) / (1.0 - rho * rho)
            pred["mean"] = mean.tolist()
            pred["var"] = var.tolist()
            stable = abs(rho) < 1.0
            pred["var_stationary"] = (2 * eta * T / (1.0 - rho * rho)) if stable else None
            pred["mean_limit"] = 0.0 if stable else None
        else:
            stable = eta * k < 2.0  # local stability at the minima
            pred["mean_limit"] = (math.copysign(1.0, th0) if th0 != 0 else 0.0) if T == 0 else 0.0
            pred["var_stationary"] = 0.0 if T == 0 else None
        if T > 0:
            R = _support(pot, k, T)
            if pot == "double_well":
                g = np.linspace(-R, R, 8001)
                w = np.exp(-_potential(pot, k, g) / T)
                pred["var_boltzmann"] = float(np.trapezoid(g * g * w, g) / np.trapezoid(w, g))
                if stable:
                    tr = _transfer_stationary(k, eta, T, 1.25 * R)
                    if tr is not None:
                        xs, ps = tr
                        pred["var_stationary"] = float(np.trapezoid(xs * xs * ps, xs))
                        pred["_transfer"] = (xs, ps)
                    else:  # the kernel is too narrow for the grid; eta -> 0 limit is then accurate
                        pred["var_stationary"] = pred["var_boltzmann"]
            # histogram bins, from theory scales (not from the data)
            if pot == "quadratic":
                v = pred["var_stationary"] if pred["var_stationary"] is not None else T / k
                half = 4.5 * math.sqrt(v)
            else:
                half = min(1.25 * R, 1.0 + 4.5 * math.sqrt(T / k) + (1.0 if T > k / 8 else 0.0))
            edges = np.linspace(-half, half, N_BINS + 1)
            centres = 0.5 * (edges[1:] + edges[:-1])
            pred["hist_edges"] = edges
            pred["hist_x"] = centres.tolist()
            pred["hist_density"] = _boltzmann(pot, k, T, centres).tolist()
            if stable and pred["var_stationary"] is not None:
                if pot == "quadratic":
                    vs = pred["var_stationary"]
                    pred["hist_density_exact"] = (np.exp(-0.5 * centres**2 / vs) / math.sqrt(2 * math.pi * vs)).tolist()
                elif "_transfer" in pred:
                    xs, ps = pred["_transfer"]
                    pred["hist_density_exact"] = np.interp(centres, xs, ps).tolist()
        pred.pop("_transfer", None)
        return pred

    # ------------------------------------------------------------------------------------------
    cost_coefficients = (0.00196, 1.48e-05, 1.05e-09)  # fitted: scripts/cost_model.py --fit

    @classmethod
    def cost_terms(cls, params: dict[str, Any]) -> tuple[float, float]:
        """One update of every walker per step (a gradient, noise, mean and variance: ~12 flops each)."""
        steps, walkers = int(params["steps"]), int(params["walkers"])
        return float(steps), 12.0 * steps * walkers

    def run(self, params: dict[str, Any], seed: int = 0) -> Generator[Frame, None, Result]:
        t_start = time.perf_counter()
        p = params
        pot, k, eta, T = p["potential"], p["k"], p["lr"], p["temperature"]
        W, steps, th0 = int(p["walkers"]), int(p["steps"]), float(p["theta0"])
        rng = np.random.default_rng(seed)
        theta = np.full(W, th0)
        noise = math.sqrt(2 * eta * T)
        scale = max(abs(th0), math.sqrt(T / k), 1.0 if pot == "double_well" else 0.0, 1e-6)
        escape = ESCAPE_FACTOR * scale
        step_s: list[int] = [0]
        mean_s: list[float] = [float(theta.mean())]
        var_s: list[float] = [0.0]
        yield Frame(0, steps, {"step": list(step_s), "mean": list(mean_s), "var": list(var_s)}, message="starting")

        pred = self._theory(p, steps)
        edges = pred.pop("hist_edges", None)
        counts = np.zeros(N_BINS) if edges is not None else None
        w_start = steps // 2  # the stationary window: the last half
        n_pooled = 0
        throttle = Throttle(0.05)
        throttle()
        diverged_at: int | None = None
        for t in range(1, steps + 1):
            with np.errstate(all="ignore"):
                theta = theta - eta * _grad(pot, k, theta)
                if noise > 0:
                    theta = theta + noise * rng.standard_normal(W)
                m = float(theta.mean())
                v = float(theta.var(ddof=1))
                rms = math.sqrt(m * m + v) if math.isfinite(m) and math.isfinite(v) else math.inf
            if not (math.isfinite(rms) and rms <= escape):
                diverged_at = t
                if math.isfinite(m) and math.isfinite(v):
                    step_s.append(t)
                    mean_s.append(m)
                    var_s.append(v)
                break
            step_s.append(t)
            mean_s.append(m)
            var_s.append(v)
            if counts is not None and t > w_start:
                idx = np.floor((theta - edges[0]) / (edges[1] - edges[0])).astype(np.int64)
                idx = idx[(idx >= 0) & (idx < N_BINS)]
                counts += np.bincount(idx, minlength=N_BINS)
                n_pooled += W
            if throttle():
                yield Frame(t, steps, {"step": list(step_s), "mean": list(mean_s), "var": list(var_s)},
                            prediction=pred, message=f"step {t}/{steps}")

        series: dict[str, Any] = {"step": step_s, "mean": mean_s, "var": var_s}
        n = len(step_s)
        pred_out = dict(pred)
        if "mean" in pred_out:
            pred_out["mean"] = pred_out["mean"][:n]
            pred_out["var"] = pred_out["var"][:n]
        if counts is not None and diverged_at is None and n_pooled > 0:
            width = edges[1] - edges[0]
            series["hist_x"] = list(pred["hist_x"])
            series["hist_density"] = (counts / (n_pooled * width)).tolist()

        metrics: dict[str, Any] = {"eta_k": eta * k}
        if diverged_at is not None:
            yield Frame(n - 1, steps, series, prediction=pred_out, message="diverged")
            if eta * k > 2:
                why = f"eta*k = {eta * k:.3g} > 2"
            else:  # the double well's quartic walls are stiffer than its bottom
                curv = (k / 8.0) * (12.0 * th0 * th0 - 4.0)
                why = f"eta*V''(theta0) = {eta * curv:.3g} > 2 on the steep wall" if eta * curv > 2 else f"eta*k = {eta * k:.3g}"
            return Result(
                self.name, dict(p), seed, series, metrics, pred_out, time.perf_counter() - t_start,
                diverged_at=diverged_at, agrees=False,
                verdict=f"diverged at step {diverged_at}: {why}, so every step overshoots the bottom further and the "
                f"ball leaves the well (|theta| > {escape:.3g})",
            )

        var_arr = np.asarray(var_s)
        mean_arr = np.asarray(mean_s)
        window = slice(w_start + 1, steps + 1)
        var_meas = float(var_arr[window].mean())
        metrics["var_measured"] = var_meas
        if pot == "quadratic":
            var_pred = float(np.asarray(pred["var"])[window].mean())
            rho = 1.0 - eta * k
            mean_err = float(np.max(np.abs(mean_arr - np.asarray(pred["mean"]))))
            metrics["mean_max_err"] = mean_err
            # sampling error of the mean path: sd of a mean of W walkers is sqrt(var_t / W)
            metrics["mean_max_z"] = float(np.max(np.abs(mean_arr - np.asarray(pred["mean"]))
                                                 / np.sqrt(np.maximum(np.asarray(pred["var"]), 1e-300) / W)))
        else:
            var_pred = pred["var_stationary"] if pred["var_stationary"] is not None else float("nan")
            rho = 1.0 - eta * k
            metrics["frac_left"] = float(np.mean(np.asarray(theta) < 0))
        metrics["var_predicted"] = var_pred
        metrics["var_boltzmann"] = pred.get("var_boltzmann")
        metrics["stationary_variance"] = var_meas
        pred_out["stationary_variance"] = var_pred if math.isfinite(var_pred) else None
        pred_out["stationary_variance_boltzmann"] = pred.get("var_boltzmann") if T > 0 else 0.0
        metrics["mean_final"] = float(mean_arr[-1])

        if eta * k > 2 and pot == "quadratic":
            growth = abs(1 - eta * k)
            verdict = (f"unstable: eta*k = {eta * k:.3g} > 2 (x{growth:.3g} per step) but still inside the well after "
                       f"{steps} steps; raise steps to see it diverge")
            agrees = False
        elif T == 0:
            if pot == "quadratic":
                tol = 1e-9 * max(abs(th0), 1e-300)
                ok = metrics["mean_max_err"] <= tol or metrics["mean_max_err"] == 0.0
                verdict = (f"plain gradient descent (T = 0): the ball rolls down as (1 - eta*k)^t * theta0 "
                           f"(largest gap {metrics['mean_max_err']:.2g}), ending at {mean_arr[-1]:.3g} vs "
                           f"{pred['mean'][-1]:.3g}: " + ("agrees" if ok else "disagrees"))
            else:
                target = pred["mean_limit"]
                err = abs(mean_arr[-1] - target)
                ok = err < 1e-3
                verdict = (f"plain gradient descent (T = 0): the ball ends at theta = {mean_arr[-1]:.4g}, "
                           f"the nearest minimum is {target:+.0f}: "
                           + ("agrees" if ok else "not settled yet (raise steps or lr)"))
            agrees = ok
        else:
            # tolerance: 5%, or 4 standard errors of the window-averaged sample variance if larger
            rho2 = min(rho * rho, 0.999999)
            tau = (1 + rho2) / (1 - rho2)
            n_eff = max(1.0, (steps - w_start) / tau)
            se = math.sqrt(2.0 / (W - 1) / n_eff)
            tol = max(0.05, 4 * se)
            ratio = var_meas / var_pred if var_pred and math.isfinite(var_pred) else float("nan")
            # judged on the ratio and limit as the verdict shows them (see base.shown)
            ok = bool(math.isfinite(ratio) and at_most(abs(shown(ratio, ".3f") - 1), shown(tol, ".2g")))
            vb = pred.get("var_boltzmann")
            if pot == "quadratic":
                verdict = (f"the walkers' variance settles at {var_meas:.4g}, theory T/(k(1 - eta*k/2)) = {var_pred:.4g} "
                           f"(ratio {ratio:.3f}, limit 1 +- {tol:.2g}; Boltzmann T/k = {vb:.3g}): ")
            else:
                verdict = (f"variance {var_meas:.3g} vs {var_pred:.3g} for this step "
                           + f"(ratio {ratio:.3f}, limit 1 +- {tol:.2g}; Boltzmann {vb:.3g}): ")
            verdict += "agrees" if ok else "disagrees"
            if not ok and pot == "double_well" and abs(metrics["frac_left"] - 0.5) > 0.1:
                verdict += f"; {metrics['frac_left']:.0%} in the left well: raise steps"
            if not ok and pot == "quadratic" and (1 - rho2) * steps < 10:
                verdict += " (not yet equilibrated: raise steps)"
            metrics["var_tolerance"] = tol
            metrics["var_ratio"] = ratio
            agrees = ok
        return Result(self.name, dict(p), seed, series, metrics, pred_out, time.perf_counter() - t_start,
                      verdict=verdict, agrees=agrees)

    # ------------------------------------------------------------------------------------------
    def chart(self, data: Frame | Result, params: dict[str, Any]) -> Chart:
        s = data.series
        pred = data.prediction or {}
        steps = s.get("step", [])
        n = len(steps)
        idx = sample_indices(n, 200)
        x = [steps[i] for i in idx]
        p1 = Panel("walkers: mean and variance", xlabel="step", ylabel="mean, var")
        if n:
            p1.lines.append(Line("mean", x, [s["mean"][i] for i in idx], "measured"))
            p1.lines.append(Line("variance", x, [s["var"][i] for i in idx], "measured"))
        if "mean" in pred and n:
            m = len(pred["mean"])
            ii = [i for i in idx if i < m]
            p1.lines.append(Line("theory mean", [steps[i] for i in ii], [pred["mean"][i] for i in ii], "theory"))
            p1.lines.append(Line("theory var", [steps[i] for i in ii], [pred["var"][i] for i in ii], "theory"))
        vb = pred.get("var_boltzmann")
        if vb is not None and params.get("temperature", 0) > 0:
            p1.hlines.append((float(vb), "Boltzmann var"))
        panels = [p1]
        if pred.get("hist_x"):
            p2 = Panel("where the walkers are (last half)", xlabel="theta", ylabel="density")
            if s.get("hist_density"):
                p2.lines.append(Line("histogram", s["hist_x"], s["hist_density"], "measured"))
            p2.lines.append(Line("Boltzmann", pred["hist_x"], pred["hist_density"], "theory"))
            if pred.get("hist_density_exact"):
                p2.lines.append(Line("exact discrete", pred["hist_x"], pred["hist_density_exact"], "theory"))
            panels.append(p2)
        if isinstance(data, Result):
            caption = data.verdict
        else:
            caption = f"step {data.step}/{data.total}: {len(steps)} steps measured" if n else "starting..."
        return Chart(panels, caption)


