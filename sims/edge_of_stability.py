"""Edge of stability: full-batch GD drives the top Hessian eigenvalue up to 2/η and holds it there.

Setup (after Cohen, Kaur, Li, Kolter & Talwalkar 2021, arXiv:2103.00065).
``samples`` inputs x ~ N(0, I_20) with random labels from C = 5 classes as one-hot targets (random
labels force strong progressive sharpening); MSE with the ½ convention, L = (1/2n) Σ‖f(x) − y‖²
(as ``SquaredLoss`` in locuslab/edge-of-stability). Network 20 → width → width → 5, tanh,
Xavier-normal weights, zero biases, output layer scaled by 0.3 so the initial sharpness (≈ 2) is well
below 2/η. Full-batch GD with step η = ``lr``.

Sharpness = the largest Hessian eigenvalue, from ``eigsh(LinearOperator(P×P, hvp), k=1, which='LA',
tol=1e-3, v0=previous eigenvector, ncv=8)``, the Lanczos-on-HVP design of Cohen et al.'s code.
Rather than a finite-difference HVP (central differences of the gradient, ε = 1e-4), the
Hessian-vector product here is exact, by forward-over-reverse differentiation written out by hand
(Pearlmutter's R-operator) for this two-hidden-layer net. It reuses the activations of the gradient
at the same point, costs about one gradient, and has no ε noise; it agrees with central differences
to ~1e-8. tanh is evaluated as 1 − 2/(e^{2x} + 1), which is faster than ``np.tanh`` in float64
(scalar code on AVX2 machines).

Smaller default than the reference setup (n = 200, 1500 steps, η ∈ {0.30, 0.35, 0.40}) so that
the default run stays well within the default budget (about 2 s of one core): n = 100, 800 steps,
η = 0.4 (2/η = 5).
Progressive sharpening reaches 2/η around step 150–300, overshoots (a catapult), and the sharpness
then hovers at 2/η while the loss keeps falling non-monotonically. With n = 100 the net can fit the
labels before sharpening to 2/η when η ≤ 0.3 (the sharpness then stays below 2/η: the edge of
stability needs the gradient-flow sharpness to exceed 2/η); more samples make the sharpening
stronger.

The acceptance criterion: the mean sharpness over the last 40% of steps within 5% of 2/η, the
initial sharpness at most half of 2/η, the run's maximum at least 2/η, and the final loss at most
1% of the initial.

Series: ``step`` and ``loss`` every step; ``sharpness`` at the steps in ``sharpness_step`` (every
steps/80 steps). ``sharpness_final_mean`` averages the sharpness records from the last 40% of steps.
A run counts as diverged at the first step whose loss or gradient is non-finite or whose loss exceeds
1e12 × the initial loss (overflow is then only a few steps away); series stop before that step.
"""

from __future__ import annotations

import math
from collections.abc import Generator
from typing import Any

import numpy as np
from scipy.sparse.linalg import ArpackError, ArpackNoConvergence, LinearOperator, eigsh

from .base import Chart, Frame, Line, Panel, Param, Result, Simulation, Throttle, at_most, downsample, shown

D_IN = 20
CLASSES = 5
OUT_SCALE = 0.3
LATE_FRACTION = 0.4  # the sharpness is averaged over the last 40% of steps
TOL = 0.05  # acceptance: mean late sharpness within 5% of 2/η


def _tanh(x: np.ndarray) -> np.ndarray:
    return 1.0 - 2.0 / (np.exp(2.0 * x) + 1.0)


class _MLP:
    """20 → w → w → 5 tanh MLP on a fixed data set, flat parameters, gradient and exact HVP."""

    def __init__(self, rng: np.random.Generator, n: int, width: int) -> None:
        self.x = rng.standard_normal((n, D_IN))
        self.y = np.eye(CLASSES)[rng.integers(0, CLASSES, n)]
        self.n = n
        sizes = [D_IN, width, width, CLASSES]
        parts, self.shapes = [], []
        for i in range(3):
            fi, fo = sizes[i], sizes[i + 1]
            w = rng.standard_normal((fi, fo)) * math.sqrt(2.0 / (fi + fo))  # Xavier normal
            if i == 2:
                w *= OUT_SCALE
            parts += [w.ravel(), np.zeros(fo)]
            self.shapes += [(fi, fo), (fo,)]
        self.theta0 = np.concatenate(parts)
        self.size = self.theta0.size
        self._cache: tuple[Any, ...] | None = None

    def unpack(self, th: np.ndarray) -> list[np.ndarray]:
        out, o = [], 0
        for s in self.shapes:
            k = int(np.prod(s))
            out.append(th[o:o + k].reshape(s))
            o += k
        return out

    def loss_grad(self, th: np.ndarray) -> tuple[float, np.ndarray]:
        w1, b1, w2, b2, w3, b3 = self.unpack(th)
        h1 = _tanh(self.x @ w1 + b1)
        h2 = _tanh(h1 @ w2 + b2)
        res = h2 @ w3 + b3 - self.y
        r = res / self.n
        loss = 0.5 * float(np.sum(res * res)) / self.n
        e2 = r @ w3.T
        g2 = 1.0 - h2 * h2
        d2 = e2 * g2
        e1 = d2 @ w2.T
        g1 = 1.0 - h1 * h1
        d1 = e1 * g1
        self._cache = (w2, w3, h1, h2, r, e2, g2, d2, e1, g1)
        grad = np.concatenate([(self.x.T @ d1).ravel(), d1.sum(0), (h1.T @ d2).ravel(), d2.sum(0),
                               (h2.T @ r).ravel(), r.sum(0)])
        return loss, grad

    def hvp(self, v: np.ndarray) -> np.ndarray:
        """Exact Hessian-vector product at the point of the last ``loss_grad`` call (R-operator)."""
        assert self._cache is not None
        w2, w3, h1, h2, r, e2, g2, d2, e1, g1 = self._cache
        v1, c1, v2, c2, v3, c3 = self.unpack(v)
        rh1 = g1 * (self.x @ v1 + c1)
        rh2 = g2 * (rh1 @ w2 + h1 @ v2 + c2)
        rr = (rh2 @ w3 + h2 @ v3 + c3) / self.n
        rd2 = (rr @ w3.T + r @ v3.T) * g2 - 2.0 * e2 * h2 * rh2
        rd1 = (rd2 @ w2.T + d2 @ v2.T) * g1 - 2.0 * e1 * h1 * rh1
        return np.concatenate([(self.x.T @ rd1).ravel(), rd1.sum(0), (rh1.T @ d2 + h1.T @ rd2).ravel(), rd2.sum(0),
                               (rh2.T @ r + h2.T @ rr).ravel(), rr.sum(0)])

    def sharpness(self, v0: np.ndarray) -> tuple[float, np.ndarray]:
        """Top Hessian eigenvalue (which='LA') at the last ``loss_grad`` point, warm-started at v0."""
        op = LinearOperator((self.size, self.size), matvec=lambda v: self.hvp(np.asarray(v).ravel()), dtype=float)
        try:
            w, vecs = eigsh(op, k=1, which="LA", tol=1e-3, v0=v0, ncv=min(8, self.size), maxiter=100)
            return float(w[0]), vecs[:, 0]
        except ArpackNoConvergence as exc:
            if len(exc.eigenvalues):
                return float(exc.eigenvalues[0]), exc.eigenvectors[:, 0]
            return math.nan, v0
        except ArpackError:
            return math.nan, v0


class EdgeOfStability(Simulation):
    name = "edge_of_stability"
    title = "Edge of stability: sharpness rises to 2/eta"
    chapter = 4
    description = "Full-batch GD on a tanh MLP: the top Hessian eigenvalue climbs to 2/eta and hovers there"
    citation = "Cohen, Kaur, Li, Kolter & Talwalkar 2021, arXiv:2103.00065"
    predictable = {
        "sharpness_plateau": "mean sharpness (top Hessian eigenvalue) over the last 40% of steps (theory: 2/eta)",
        "plateau_ratio": "that plateau divided by 2/eta (theory: 1)",
    }
    metric_keys = ("crossing_step", "loss_final", "loss_increases_after_crossing", "loss_initial", "loss_ratio",
                   "parameters", "plateau_over_two_over_lr", "ratio", "sharpness_final_mean", "sharpness_initial",
                   "sharpness_max")
    prediction_keys = ("threshold", "two_over_lr")
    series_x = {"loss": "step", "sharpness": "sharpness_step"}
    params = (
        Param("lr", "float", 0.4, "GD step size eta; the predicted edge is 2/eta", min=0.01, max=20.0, step=1.25, log=True),
        Param("steps", "int", 800, "full-batch GD steps", min=50, max=5000, step=100),
        Param("width", "int", 32, "hidden width of the 20-w-w-5 tanh MLP", min=4, max=64, step=8),
        Param("samples", "int", 100, "training points n (random labels, 5 classes)", min=20, max=300, step=20),
    )

    cost_coefficients = (0.0, 4.57e-05, 2.32e-11)  # fitted: scripts/cost_model.py --fit

    cost_hvps = 20  # Hessian-vector products of a warm-started sharpness estimate, typically

    @classmethod
    def cost_terms(cls, params: dict[str, Any]) -> tuple[float, float]:
        """A gradient of the 20-w-w-5 MLP on n points per step, and ~81 sharpness estimates of
        ~cost_hvps Hessian-vector products (each about two gradients)."""
        steps, n, w = int(params["steps"]), int(params["samples"]), int(params["width"])
        grad = 6.0 * n * (D_IN * w + w * w + w * CLASSES)
        estimates = min(steps + 1, 81)
        return float(steps + estimates * cls.cost_hvps), (steps + 2.0 * cls.cost_hvps * estimates) * grad

    def run(self, params: dict[str, Any], seed: int = 0) -> Generator[Frame, None, Result]:
        lr = float(params["lr"])
        steps = int(params["steps"])
        rng = np.random.default_rng(seed)
        net = _MLP(rng, int(params["samples"]), int(params["width"]))
        v0 = rng.standard_normal(net.size)
        threshold = 2.0 / lr
        prediction = {"threshold": threshold, "two_over_lr": threshold, "sharpness_plateau": threshold,
                      "plateau_ratio": 1.0}
        every = max(1, round(steps / 80))

        step_s: list[int] = []
        loss_s: list[float] = []
        sh_step: list[int] = []
        sh_s: list[float] = []
        throttle = Throttle(0.05)

        def frame(i: int, msg: str) -> Frame:
            return Frame(
                step=i, total=steps,
                series={"step": list(step_s), "loss": list(loss_s), "sharpness_step": list(sh_step), "sharpness": list(sh_s)},
                prediction=prediction, message=msg,
            )

        yield frame(0, "initialising")
        throttle()

        theta = net.theta0.copy()
        diverged_at: int | None = None
        loss0 = math.nan
        with np.errstate(all="ignore"):
            for i in range(steps + 1):
                loss, grad = net.loss_grad(theta)
                if i == 0:
                    loss0 = loss
                if not (math.isfinite(loss) and np.all(np.isfinite(grad))) or loss > 1e12 * max(loss0, 1.0):
                    diverged_at = i
                    break
                step_s.append(i)
                loss_s.append(loss)
                if i % every == 0 or i == steps:
                    lam, vec = net.sharpness(v0)
                    if math.isfinite(lam):
                        sh_step.append(i)
                        sh_s.append(lam)
                        v0 = vec
                if i < steps:
                    theta = theta - lr * grad
                if throttle():
                    yield frame(i, f"step {i}/{steps}")
        yield frame(step_s[-1] if step_s else 0, "done")

        series = {"step": step_s, "loss": loss_s, "sharpness_step": sh_step, "sharpness": sh_s}
        if diverged_at is not None:
            peak = max(sh_s) if sh_s else math.nan
            return Result(
                sim=self.name, params=dict(params), seed=seed, series=series,
                metrics={"sharpness_initial": sh_s[0] if sh_s else None, "sharpness_max": peak},
                prediction=prediction, diverged_at=diverged_at, agrees=False,
                verdict=f"diverged at step {diverged_at}: the loss blew up, eta = {lr:g} is far beyond the edge "
                f"(sharpness at the start {sh_s[0] if sh_s else math.nan:.2f} vs 2/eta = {threshold:.3g})",
            )

        sh_arr = np.array(sh_s)
        sh_at = np.array(sh_step)
        late = sh_arr[sh_at >= (1.0 - LATE_FRACTION) * steps]
        late_mean = float(late.mean()) if late.size else math.nan
        ratio = late_mean / threshold
        crossed = np.nonzero(sh_arr >= threshold)[0]
        crossing = int(sh_at[crossed[0]]) if crossed.size else None
        losses = np.array(loss_s)
        ups = int(np.sum(np.diff(losses[crossing:]) > 0)) if crossing is not None else 0
        metrics = {
            "sharpness_initial": float(sh_arr[0]),
            "sharpness_max": float(sh_arr.max()),
            "sharpness_final_mean": late_mean,
            "ratio": ratio,
            "sharpness_plateau": late_mean,
            "plateau_ratio": ratio,
            "plateau_over_two_over_lr": ratio,
            "crossing_step": crossing,
            "loss_initial": float(losses[0]),
            "loss_final": float(losses[-1]),
            "loss_ratio": float(losses[-1] / losses[0]),
            "loss_increases_after_crossing": ups,
            "parameters": net.size,
        }
        core = (f"sharpness rose to 2/eta = {threshold:.3g} at step {crossing} and settles at {ratio:.3f} x 2/eta "
                f"({late_mean:.3g})")
        if crossing is None:
            agrees: bool | None = None
            verdict = (f"sharpness peaked at {sh_arr.max():.3g}, below 2/eta = {threshold:.3g}: training converged "
                       "before reaching the edge (no edge of stability at this step size)")
        elif at_most(abs(shown(ratio, ".3f") - 1.0), TOL):  # the ratio as shown (see base.shown)
            agrees = True
            verdict = f"{core}, within {TOL:.0%}: agrees"
        else:
            agrees = False
            verdict = f"{core}, more than {TOL:.0%} off: disagrees"
        return Result(sim=self.name, params=dict(params), seed=seed, series=series, metrics=metrics,
                      prediction=prediction, verdict=verdict, agrees=agrees)

    def chart(self, data: Frame | Result, params: dict[str, Any]) -> Chart:
        lr = float(params["lr"])
        thr = 2.0 / lr
        s = data.series
        p1 = Panel("sharpness (top Hessian eigenvalue)", xlabel="step", ylabel="sharpness", hlines=[(thr, "2/eta")])
        p2 = Panel("training loss", xlabel="step", ylabel="loss", ylog=True)
        if s.get("sharpness"):
            p1.lines.append(Line("sharpness", *downsample(list(s["sharpness_step"]), list(s["sharpness"]))))
        if s.get("loss"):
            xs, ys = downsample(list(s["step"]), [max(float(v), 1e-300) for v in s["loss"]])
            p2.lines.append(Line("loss", xs, ys))
        if isinstance(data, Result):
            caption = data.verdict
        else:
            caption = data.message or f"step {data.step}/{data.total}"
        return Chart([p1, p2], caption=caption)
