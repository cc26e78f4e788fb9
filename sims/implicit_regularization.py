"""Implicit gradient regularization: gradient descent follows a *modified* gradient flow.

Barrett & Dherin (ICLR 2021, arXiv:2009.11162), by backward error analysis: gradient descent with
step h on a loss L stays O(h^2) close (per step: O(h^3)) to the gradient flow of the modified loss

    L~ = L + (h/4) ||grad L||^2,     grad L~ = grad L + (h/2) H grad L,

whereas it is only O(h) close (per step: O(h^2)) to the gradient flow of L itself. So after a fixed
time T = n h the global errors scale as

    ||theta_GD - theta_GF(T)||  ~ h^1,      ||theta_GD - theta_MGF(T)||  ~ h^2.

The extra term (h/4)||grad L||^2 penalizes steep regions: GD drifts toward flatter minima than the
flow it discretizes, and more so the larger h is.

Setup (the reference setup for Barrett & Dherin's prediction): L(a, b) = (ab - 1)^2 / 2, whose
minima form the hyperbola ab = 1 with sharpness (top Hessian eigenvalue there) a^2 + b^2;
theta0 = (2, 0.2), T = 2. For each step size h, n = round(T/h) GD steps are compared with both
flows at the *same* time n h (solve_ivp DOP853, rtol 1e-12, atol 1e-14, so integrator error stays
far below the O(h^2) term). The theory
(prediction) is the pair of exponents 1 and 2; the measurement is the least-squares log-log slope of
the two errors against h. The acceptance criterion: slopes 1 ± 0.15 (to the flow of L) and
2 ± 0.2 (to the modified flow), and err_modified / err_flow < 0.1 for h <= 0.01.

Divergence: the backward-error expansion needs h * sharpness << 2. Beyond h * sharpness ~ 2 GD on
this loss oscillates and, for h around 1 or more, blows up. A GD run whose iterate becomes non-finite
or exceeds |theta| > 1e6 (loss > 1e23: certainly diverged, and it overflows a few steps later) stops
the sweep: ``diverged_at`` is that GD step, the series keep the step sizes done before it.
"""

from __future__ import annotations

import math
from collections.abc import Generator
from typing import Any

import numpy as np
from scipy.integrate import solve_ivp

from .base import (Chart, Frame, Line, Panel, Param, ParamError, Result, Simulation, Throttle, at_most, loglog_slope,
                   sample_indices, shown, tidy, tidy_row)

BLOWUP = 1e6  # |theta| beyond this counts as diverged
SLOPE_TOL_GF, SLOPE_TOL_MGF = 0.15, 0.2  # the error slopes' tolerances (the acceptance criterion)
PATH_POINTS = 150  # points kept per plotted trajectory


def _grad(a: float, b: float) -> tuple[float, float]:
    r = a * b - 1.0
    return r * b, r * a


def _flow_rhs(_t: float, th: np.ndarray) -> np.ndarray:
    a, b = th
    r = a * b - 1.0
    return -np.array([r * b, r * a])


def _modified_rhs(h: float):
    """-(grad L + (h/2) H grad L) with H = [[b^2, 2ab-1], [2ab-1, a^2]]."""

    def rhs(_t: float, th: np.ndarray) -> np.ndarray:
        a, b = th
        r = a * b - 1.0
        ga, gb = r * b, r * a
        c = 2.0 * a * b - 1.0
        ha = b * b * ga + c * gb
        hb = c * ga + a * a * gb
        return -np.array([ga + 0.5 * h * ha, gb + 0.5 * h * hb])

    return rhs


def _solve(rhs, theta0: tuple[float, float], t_end: float, t_eval: np.ndarray | None = None):
    return solve_ivp(rhs, (0.0, t_end), np.array(theta0, float), method="DOP853", rtol=1e-12, atol=1e-14,
                     t_eval=t_eval)


class ImplicitRegularization(Simulation):
    name = "implicit_regularization"
    title = "Implicit gradient regularization: GD follows a modified flow"
    chapter = 5
    description = "GD vs gradient flow on L and on L+(h/4)|grad L|^2: errors O(h) vs O(h^2), flatter minima"
    citation = "Barrett & Dherin 2021, arXiv:2009.11162"
    predictable = {
        "slope_flow": "log-log slope of GD's distance from gradient flow at time T against the step h (theory: 1)",
        "slope_modified": "the same slope against the modified flow of L + (h/4)|grad L|^2 (theory: 2)",
    }
    metric_keys = ("sharpness_flow",)
    prediction_keys = ()
    series_x = {"err_flow": "h", "err_modified": "h", "sharpness_gd": "h", "sharpness_modified": "h"}
    params = (
        Param("step_sizes", "float_list", (0.0025, 0.005, 0.01, 0.02, 0.04),
              "GD step sizes h (sorted ascending; each runs round(T/h) steps)",
              min=1e-3, max=2.0, max_len=8),
        Param("horizon", "float", 2.0, "time T = n*h at which GD and the flows are compared",
              min=0.1, max=20.0, step=0.5),
        Param("a0", "float", 2.0, "initial a (loss (ab-1)^2/2)", min=-5.0, max=5.0, step=0.5),
        Param("b0", "float", 0.2, "initial b", min=-5.0, max=5.0, step=0.1),
    )

    @classmethod
    def check(cls, values: dict[str, Any]) -> None:
        hs = values["step_sizes"]
        if len(set(hs)) < 2:
            raise ParamError("step_sizes: need at least 2 different step sizes to fit a slope")
        if max(hs) > values["horizon"]:
            raise ParamError(
                f"step_sizes: h = {max(hs):g} exceeds horizon {values['horizon']:g}; each h needs at least one step"
            )

    # ------------------------------------------------------------------------------------------
    cost_coefficients = (0.0186, 3.88e-07, 0.0)  # fitted: scripts/cost_model.py --fit

    @classmethod
    def cost_terms(cls, params: dict[str, Any]) -> tuple[float, float]:
        """round(T/h) scalar GD steps for every step size h (plain Python), and the flows' ODE solves."""
        horizon = float(params["horizon"])
        steps = sum(max(1, int(round(horizon / float(h)))) for h in set(params["step_sizes"]))
        return float(steps), 0.0

    def run(self, params: dict[str, Any], seed: int = 0) -> Generator[Frame, None, Result]:
        hs = sorted(set(float(h) for h in params["step_sizes"]))
        T = float(params["horizon"])
        th0 = (float(params["a0"]), float(params["b0"]))
        ns = [max(1, int(round(T / h))) for h in hs]
        times = [n * h for n, h in zip(ns, hs)]
        total = len(hs) + 1
        prediction: dict[str, Any] = {"slope_flow": 1.0, "slope_modified": 2.0}
        series: dict[str, Any] = {"h": [], "err_flow": [], "err_modified": [], "sharpness_gd": [],
                                  "sharpness_modified": [], "sharpness_flow": None}
        throttle = Throttle(0.05)

        def frame(step: int, msg: str) -> Frame:
            return Frame(step=step, total=total, series={k: list(v) if isinstance(v, list) else v for k, v in series.items()},
                         prediction=dict(prediction), message=msg)

        yield frame(0, "integrating gradient flow")

        # Gradient flow on L, evaluated at every comparison time n*h (and densely for the path).
        order = np.argsort(times)
        t_sorted = np.asarray(times)[order]
        gf = _solve(_flow_rhs, th0, float(t_sorted[-1]), t_eval=np.unique(t_sorted))
        gf_at = {float(t): gf.y[:, i].copy() for i, t in enumerate(gf.t)}
        if throttle():
            yield frame(1, "gradient flow done")

        err_flow: list[float] = []
        err_mod: list[float] = []
        sharp_gd: list[float] = []
        sharp_mgf: list[float] = []
        gd_path: list[list[float]] = []
        mgf_final: list[list[float]] = []
        diverged_at: int | None = None
        diverged_h: float | None = None
        for k, (h, n, t_end) in enumerate(zip(hs, ns, times)):
            a, b = th0
            path = [[a, b]]
            bad = None
            with np.errstate(all="ignore"):
                for s in range(1, n + 1):
                    ga, gb = _grad(a, b)
                    a, b = a - h * ga, b - h * gb
                    if not (math.isfinite(a) and math.isfinite(b)) or abs(a) > BLOWUP or abs(b) > BLOWUP:
                        bad = s
                        break
                    path.append([a, b])
            if bad is not None:
                diverged_at, diverged_h = bad, h
                break
            gd = np.array([a, b])
            mgf = _solve(_modified_rhs(h), th0, t_end)
            th_m = mgf.y[:, -1]
            th_f = gf_at[float(t_end)]
            err_flow.append(float(np.linalg.norm(gd - th_f)))
            err_mod.append(float(np.linalg.norm(gd - th_m)))
            sharp_gd.append(a * a + b * b)
            sharp_mgf.append(float(th_m @ th_m))
            mgf_final.append(th_m.tolist())
            gd_path = path
            series["h"].append(h)
            series["err_flow"].append(err_flow[-1])
            series["err_modified"].append(err_mod[-1])
            series["sharpness_gd"].append(sharp_gd[-1])
            series["sharpness_modified"].append(sharp_mgf[-1])
            series["sharpness_flow"] = float(th_f @ th_f)
            if throttle() or k == len(hs) - 1:
                yield frame(k + 1, f"h = {h:g}: |GD-GF| = {err_flow[-1]:.2e}, |GD-MGF| = {err_mod[-1]:.2e}")

        done = len(series["h"])
        # Paths for the largest finite h: GD iterates, flow on L and modified flow, sampled densely.
        if done:
            h_big, t_big = series["h"][-1], times[done - 1]
            ts = np.linspace(0.0, t_big, PATH_POINTS)
            fp = _solve(_flow_rhs, th0, t_big, t_eval=ts).y.T.tolist()
            mp = _solve(_modified_rhs(h_big), th0, t_big, t_eval=ts).y.T.tolist()
            series["gd_path"] = [gd_path[i] for i in sample_indices(len(gd_path), PATH_POINTS)]
            series["flow_path"] = fp
            series["modified_path"] = mp
            series["path_h"] = h_big

        metrics: dict[str, Any] = {
            "err_flow": err_flow,
            "err_modified": err_mod,
            "slope_flow": None,
            "slope_modified": None,
            "sharpness_gd": sharp_gd,
            "sharpness_flow": series["sharpness_flow"],
            "ratio_modified_over_flow": [m / f if f > 0 else None for m, f in zip(err_mod, err_flow)],
            "steps": ns[:done],
        }
        prediction["sharpness_modified"] = sharp_mgf
        if len(err_flow) >= 2 and min(err_flow) > 0 and min(err_mod) > 0:
            metrics["slope_flow"] = loglog_slope(series["h"], err_flow)
            metrics["slope_modified"] = loglog_slope(series["h"], err_mod)

        if diverged_at is not None:
            th_sh = th0[0] ** 2 + th0[1] ** 2
            verdict = (f"diverged at step {diverged_at}: h = {diverged_h:g} is too big a step for this loss "
                       f"(h*sharpness ~ {diverged_h * th_sh:.2g} > 2)")
            return Result(sim=self.name, params=dict(params), seed=seed, series=series, metrics=metrics,
                          prediction=prediction, diverged_at=diverged_at, verdict=verdict, agrees=False)

        sf, sm = metrics["slope_flow"], metrics["slope_modified"]
        if sf is None or sm is None:
            verdict = "need at least 2 step sizes to measure the slopes"
            agrees = None
        else:
            # judged on the slopes as the verdict shows them (see base.shown)
            agrees = (at_most(abs(shown(sf, ".2f") - 1.0), SLOPE_TOL_GF)
                      and at_most(abs(shown(sm, ".2f") - 2.0), SLOPE_TOL_MGF))
            verdict = (f"GD's error falls as h^{sf:.2f} against gradient flow (theory h^1 +- {SLOPE_TOL_GF:g}) and as "
                       f"h^{sm:.2f} against the modified flow (theory h^2 +- {SLOPE_TOL_MGF:g}): "
                       + ("agrees" if agrees else "disagrees"))
        return Result(sim=self.name, params=dict(params), seed=seed, series=series, metrics=metrics,
                      prediction=prediction, verdict=verdict, agrees=agrees)

    def table(self, series: dict[str, Any]) -> list[dict[str, Any]]:
        """Tidy rows: errors and sharpness against h; the three paths as b against a (index point)."""
        rows = tidy({k: v for k, v in series.items() if not k.endswith("_path")}, self.series_x, {})
        for key in ("gd_path", "flow_path", "modified_path"):
            rows += [tidy_row(key, "a", a, b, point=i) for i, (a, b) in enumerate(series.get(key, []))]
        return rows

    # ------------------------------------------------------------------------------------------
    def chart(self, data: Frame | Result, params: dict[str, Any]) -> Chart:
        s = data.series
        h = list(s.get("h", []))
        ef = list(s.get("err_flow", []))
        em = list(s.get("err_modified", []))
        p1 = Panel(title="error at time T vs step h", xlabel="step size h", ylabel="|GD - flow|",
                   xlog=True, ylog=True)
        pts = [(x, f, m) for x, f, m in zip(h, ef, em) if x > 0 and f > 0 and m > 0]
        if pts:
            xs = [p[0] for p in pts]
            p1.lines.append(Line("GD-GF", xs, [p[1] for p in pts], "measured"))
            p1.lines.append(Line("GD-modified", xs, [p[2] for p in pts], "measured"))
            x0, f0, m0 = pts[0]
            if len(pts) >= 2:
                p1.lines.append(Line("~h", xs, [f0 * x / x0 for x in xs], "theory"))
                p1.lines.append(Line("~h^2", xs, [m0 * (x / x0) ** 2 for x in xs], "theory"))
        panels = [p1]
        sg = list(s.get("sharpness_gd", []))
        sm = list(s.get("sharpness_modified", []))
        if len(sg) >= 1 and len(sg) == len(sm) <= len(h):
            p2 = Panel(title="final sharpness a^2+b^2 (lower = flatter)", xlabel="step size h",
                       ylabel="sharpness")
            p2.lines.append(Line("GD", h[:len(sg)], sg, "measured"))
            p2.lines.append(Line("modified flow", h[:len(sm)], sm, "theory"))
            if s.get("sharpness_flow") is not None:
                p2.hlines.append((float(s["sharpness_flow"]), "flow on L"))
            panels.append(p2)
        if isinstance(data, Result):
            caption = data.verdict
        else:
            caption = data.message or f"step size {data.step}/{data.total}"
        return Chart(panels=panels, caption=caption)
