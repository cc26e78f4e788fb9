"""Neural collapse: last-layer class means converge to a simplex equiangular tight frame.

Two models (after Papyan, Han & Donoho 2020, PNAS, and Zhu et al. 2021, NeurIPS):

* ``ufm`` — the unconstrained features model (Mixon, Parshall & Pi 2020; Zhu et al. 2021): free
  features H ∈ ℝ^{N×d} (N = C·per_class), classifier W ∈ ℝ^{C×d} and bias b, all initialised
  N(0, 0.1²), trained by full-batch GD on (1/N) Σ CE(W h_i + b, y_i) + (λ/2)(‖W‖² + ‖H‖² + ‖b‖²).
  Zhu et al. prove every global minimiser is a simplex ETF (M̃ᵀM̃ ∝ I − 11ᵀ/C, W ∝ M̃ᵀ) and the
  landscape is benign, so GD collapses fully in a few thousand steps.
* ``mlp`` — C Gaussian classes in ℝ^10 (class means ~ N(0, I), unit within-class noise), a ReLU MLP
  10 → 32 → 32 → d → C with He init, CE loss, L2 weight decay λ on all parameters, full-batch GD;
  the features are the d-dimensional last hidden layer. A real network collapses only partially in
  the budget, so the acceptance criterion for it is a trend, not full collapse: its verdict says
  "not collapsed yet ... moving toward it" when NC1 falls at least 8x and NC3 at least 5x. The
  reference setup for the mlp is 4 classes x 50 points, GD lr 0.2, weight decay 5e-3, 3000 steps;
  the defaults here differ from it only through the parameters shared with the ufm (5 x 20,
  lr 0.5). Both show the same trend (at seed 0 the reference setup gives NC1 2.08 -> 0.18 here).

Metrics (Papyan, Han & Donoho 2020), with Σ_W = avg_i (h_i − μ_{c_i})(h_i − μ_{c_i})ᵀ,
Σ_B = avg_c (μ_c − μ_G)(μ_c − μ_G)ᵀ, M̃ = [μ_c − μ_G] (d × C):
  nc1 = Tr(Σ_W Σ_B^†)/C (pinv: Σ_B has rank C − 1);
  nc2_equinorm = std_c ‖μ̃_c‖ / mean_c ‖μ̃_c‖ (nc2_equinorm_w: the same for the rows of W);
  nc2_equiangular = std_{c≠c'} cos(μ̃_c, μ̃_c');  nc2_angle = mean_{c≠c'} |cos + 1/(C−1)|;
  nc3 = ‖Wᵀ/‖W‖_F − M̃/‖M̃‖_F‖²_F;  nc4 = fraction where argmax_c(w_cᵀh + b_c) ≠ argmin_c ‖h − μ_c‖;
  etf_deviation = ‖M̃ᵀM̃ − c(I − 11ᵀ/C)‖_F / ‖M̃ᵀM̃‖_F with the least-squares c.
Prediction: the pairwise cosines of the centred class means all equal −1/(C − 1).

The *mean* off-diagonal cosine is close to −1/(C−1) almost automatically once the class means are
centred (Σ_c μ̃_c = 0 makes it exactly −1/(C−1) when the norms are equal), so it cannot show that
collapse failed. The verdict judges collapse by the quantities that can fail: NC1 (within-class
variability relative to between-class), the spread of the pairwise cosines (max − min, 0 for a
simplex ETF) and NC3 (classifier rows aligned with the class means). "Collapsed" means all three
below COLLAPSED (NC1 < 1e-3, cosine spread < 0.02, NC3 < 1e-3); otherwise the verdict says "not
collapsed" and whether the run is moving toward it (NC1 fell >= 8x and NC3 >= 5x from the start:
the acceptance criterion for the mlp's trend).

A quantity to predict: ``mean_cosine`` (theory −1/(C−1)), and ``cos_spread`` (theory 0).
"""

from __future__ import annotations

import math
from collections.abc import Generator
from typing import Any

import numpy as np

from .base import Chart, Frame, Line, Panel, Param, ParamError, Result, Simulation, Throttle

FLOOR = 1e-12  # log-scale floor for the chart
MLP_IN = 10
MLP_HIDDEN = 32
NC_KEYS = ("nc1", "nc2_equinorm", "nc2_equinorm_w", "nc2_equiangular", "nc2_angle", "nc3", "nc4",
           "mean_cosine", "cos_min", "cos_max", "etf_deviation")
COLLAPSED = {"nc1": 1e-3, "cos_spread": 0.02, "nc3": 1e-3}  # all below: collapsed (to a simplex ETF)
TREND = {"nc1": 8.0, "nc3": 5.0}  # falls from the start that count as "moving toward collapse"


def nc_metrics(h: np.ndarray, labels: np.ndarray, w: np.ndarray, b: np.ndarray, classes: int) -> dict[str, float]:
    """Papyan et al.'s neural-collapse statistics of features h (N×d), classifier w (C×d), bias b."""
    mu = np.stack([h[labels == c].mean(0) for c in range(classes)])  # C×d
    mu_g = h.mean(0)
    mt = mu - mu_g  # rows: centred class means (M̃ᵀ)
    dev = h - mu[labels]
    sigma_w = dev.T @ dev / h.shape[0]
    sigma_b = mt.T @ mt / classes
    nc1 = float(np.trace(sigma_w @ np.linalg.pinv(sigma_b, rcond=1e-10, hermitian=True)) / classes)
    norms = np.linalg.norm(mt, axis=1)
    wn = np.linalg.norm(w, axis=1)
    gram = mt @ mt.T
    cos = gram / np.outer(norms, norms)
    off = cos[~np.eye(classes, dtype=bool)]
    target = -1.0 / (classes - 1)
    nc3 = float(np.sum((w / np.linalg.norm(w) - mt / np.linalg.norm(mt)) ** 2))
    pred = np.argmax(h @ w.T + b, axis=1)
    dist = ((h[:, None, :] - mu[None, :, :]) ** 2).sum(-1)
    ncc = np.argmin(dist, axis=1)
    etf = np.eye(classes) - 1.0 / classes
    c_opt = float(np.sum(gram * etf) / np.sum(etf * etf))
    return {
        "nc1": nc1,
        "nc2_equinorm": float(norms.std() / norms.mean()),
        "nc2_equinorm_w": float(wn.std() / wn.mean()),
        "nc2_equiangular": float(off.std()),
        "nc2_angle": float(np.mean(np.abs(off - target))),
        "nc3": nc3,
        "nc4": float(np.mean(pred != ncc)),
        "mean_cosine": float(off.mean()),
        "cos_min": float(off.min()),
        "cos_max": float(off.max()),
        "etf_deviation": float(np.linalg.norm(gram - c_opt * etf) / np.linalg.norm(gram)),
        "train_accuracy": float(np.mean(pred == labels)),
    }


def _softmax_grad(logits: np.ndarray, y: np.ndarray) -> tuple[float, np.ndarray]:
    """Mean cross-entropy and its gradient w.r.t. the logits (stable)."""
    z = logits - logits.max(axis=1, keepdims=True)
    ez = np.exp(z)
    s = ez.sum(axis=1, keepdims=True)
    p = ez / s
    n = logits.shape[0]
    loss = float(np.mean(np.log(s[:, 0]) - np.sum(z * y, axis=1)))
    return loss, (p - y) / n


class _UFM:
    def __init__(self, rng: np.random.Generator, classes: int, per_class: int, dim: int, wd: float) -> None:
        n = classes * per_class
        self.labels = np.repeat(np.arange(classes), per_class)
        self.y = np.eye(classes)[self.labels]
        self.h = 0.1 * rng.standard_normal((n, dim))
        self.w = 0.1 * rng.standard_normal((classes, dim))
        self.b = 0.1 * rng.standard_normal(classes)
        self.wd = wd

    def features(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        return self.h, self.w, self.b

    def step(self, lr: float) -> float:
        loss, g = _softmax_grad(self.h @ self.w.T + self.b, self.y)
        gw = g.T @ self.h + self.wd * self.w
        gh = g @ self.w + self.wd * self.h
        gb = g.sum(0) + self.wd * self.b
        self.w = self.w - lr * gw
        self.h = self.h - lr * gh
        self.b = self.b - lr * gb
        return loss

    def finite(self) -> bool:
        return bool(np.all(np.isfinite(self.w)) and np.all(np.isfinite(self.h)) and np.all(np.isfinite(self.b)))


class _MLP:
    def __init__(self, rng: np.random.Generator, classes: int, per_class: int, dim: int, wd: float) -> None:
        self.labels = np.repeat(np.arange(classes), per_class)
        self.y = np.eye(classes)[self.labels]
        means = rng.standard_normal((classes, MLP_IN))
        self.x = means[self.labels] + rng.standard_normal((len(self.labels), MLP_IN))
        sizes = [MLP_IN, MLP_HIDDEN, MLP_HIDDEN, dim, classes]
        self.ws = [rng.standard_normal((sizes[i], sizes[i + 1])) * math.sqrt(2.0 / sizes[i]) for i in range(4)]
        self.bs = [np.zeros(sizes[i + 1]) for i in range(4)]
        self.wd = wd
        self._acts: list[np.ndarray] = []

    def _forward(self) -> list[np.ndarray]:
        acts = [self.x]
        for i in range(3):
            acts.append(np.maximum(acts[-1] @ self.ws[i] + self.bs[i], 0.0))
        return acts

    def features(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        return self._forward()[-1], self.ws[3].T, self.bs[3]

    def step(self, lr: float) -> float:
        acts = self._forward()
        loss, g = _softmax_grad(acts[-1] @ self.ws[3] + self.bs[3], self.y)
        grads_w, grads_b = [None] * 4, [None] * 4
        delta = g
        for i in range(3, -1, -1):
            grads_w[i] = acts[i].T @ delta + self.wd * self.ws[i]
            grads_b[i] = delta.sum(0) + self.wd * self.bs[i]
            if i > 0:
                delta = (delta @ self.ws[i].T) * (acts[i] > 0)
        for i in range(4):
            self.ws[i] = self.ws[i] - lr * grads_w[i]
            self.bs[i] = self.bs[i] - lr * grads_b[i]
        return loss

    def finite(self) -> bool:
        return all(np.all(np.isfinite(a)) for a in self.ws + self.bs)


class NeuralCollapse(Simulation):
    name = "neural_collapse"
    title = "Neural collapse to a simplex ETF"
    chapter = 4
    description = "Last-layer class means collapse to a simplex ETF: pairwise cosines -> -1/(C-1) (UFM or small MLP)"
    citation = "Papyan, Han & Donoho 2020, arXiv:2008.08186; Zhu et al. 2021, arXiv:2105.02375"
    predictable = {
        "mean_cosine": "mean cosine between two centred class means at the end (simplex ETF: -1/(C-1))",
        "cos_spread": "largest minus smallest pairwise cosine of the class means (simplex ETF: 0)",
    }
    metric_keys = ("cos_max", "cos_min", "etf_deviation", "loss_final", "nc1", "nc1_fall", "nc1_initial",
                   "nc2_angle", "nc2_angle_fall", "nc2_angle_initial", "nc2_equiangular", "nc2_equinorm",
                   "nc2_equinorm_w", "nc3", "nc3_fall", "nc3_initial", "nc4", "train_accuracy")
    prediction_keys = ("nc1", "nc2_angle", "nc2_equinorm", "nc3", "nc4", "pairwise_cosine")
    series_x = {k: "step" for k in ("loss", *NC_KEYS)}
    params = (
        Param("model", "choice", "ufm", "ufm: free features (unconstrained features model); mlp: ReLU net on Gaussian classes",
              choices=("ufm", "mlp")),
        Param("classes", "int", 5, "number of classes C", min=2, max=10, step=1),
        Param("per_class", "int", 20, "training points per class", min=2, max=100, step=5),
        Param("dim", "int", 16, "feature dimension d (last hidden width for mlp); needs d >= C-1", min=1, max=64, step=4),
        Param("weight_decay", "float", 5e-3, "L2 weight decay lambda on all parameters (and features for ufm)",
              min=1e-5, max=0.5, step=2.0, log=True),
        Param("steps", "int", 3000, "full-batch GD steps", min=100, max=20000, step=500),
        Param("lr", "float", 0.5, "GD step size (the mlp trends toward collapse at 0.2 too)", min=1e-3, max=2000.0, step=2.0, log=True),
    )

    @classmethod
    def check(cls, values: dict[str, Any]) -> None:
        if values["dim"] < values["classes"] - 1:
            raise ParamError(
                f"dim ({values['dim']}) must be at least classes - 1 ({values['classes'] - 1}): "
                "a simplex ETF of C vectors needs C-1 dimensions"
            )

    cost_coefficients = (0.0299, 4.53e-05, 1.03e-10)  # fitted: scripts/cost_model.py --fit

    @classmethod
    def cost_terms(cls, params: dict[str, Any]) -> tuple[float, float]:
        """Per GD step, the logits and gradients of N = C x per_class points (through the ReLU MLP
        for ``mlp``); ~100 recordings of the collapse statistics."""
        c, n, d, steps = int(params["classes"]), int(params["classes"]) * int(params["per_class"]), int(params["dim"]), int(params["steps"])
        weights = d * c + (MLP_IN * MLP_HIDDEN + MLP_HIDDEN * d if params["model"] == "mlp" else d)
        return float(steps), steps * 6.0 * n * weights + 100 * (4.0 * n * d * d + 10.0 * d ** 3)

    def run(self, params: dict[str, Any], seed: int = 0) -> Generator[Frame, None, Result]:
        classes = int(params["classes"])
        steps = int(params["steps"])
        lr = float(params["lr"])
        rng = np.random.default_rng(seed)
        model_cls = _UFM if params["model"] == "ufm" else _MLP
        model = model_cls(rng, classes, int(params["per_class"]), int(params["dim"]), float(params["weight_decay"]))
        target = -1.0 / (classes - 1)
        prediction = {"mean_cosine": target, "pairwise_cosine": target, "cos_spread": 0.0, "nc1": 0.0,
                      "nc2_equinorm": 0.0, "nc2_angle": 0.0, "nc3": 0.0, "nc4": 0.0}
        every = max(1, steps // 100)
        keys = ("step", "loss") + NC_KEYS
        series: dict[str, list[float]] = {k: [] for k in keys}
        throttle = Throttle(0.05)

        def record(i: int, loss: float) -> bool:
            with np.errstate(all="ignore"):
                m = nc_metrics(*_feat_args(model), classes)
            vals = [float(i), loss] + [m[k] for k in NC_KEYS]
            if not all(math.isfinite(v) for v in vals):
                return False
            series["step"].append(i)
            for k, v in zip(keys[1:], vals[1:]):
                series[k].append(v)
            return True

        def _feat_args(mdl: Any) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
            h, w, b = mdl.features()
            return h, mdl.labels, w, b

        def frame(i: int, msg: str) -> Frame:
            return Frame(step=i, total=steps, series={k: list(v) for k, v in series.items()},
                         prediction=prediction, message=msg)

        diverged_at: int | None = None
        with np.errstate(all="ignore"):
            # loss at the initial point for the first record
            h0, w0, b0 = model.features()
            loss0 = _softmax_grad(h0 @ w0.T + b0, model.y)[0]
            record(0, loss0)
            yield frame(0, "initialised")
            throttle()
            for i in range(1, steps + 1):
                loss = model.step(lr)
                if not (math.isfinite(loss) and model.finite()):
                    diverged_at = i
                    break
                if i % every == 0 or i == steps:
                    h, w, b = model.features()
                    cur = _softmax_grad(h @ w.T + b, model.y)[0]
                    if not record(i, cur):
                        diverged_at = i
                        break
                if throttle():
                    yield frame(i, f"step {i}/{steps}")
        yield frame(int(series["step"][-1]) if series["step"] else 0, "done")

        out_series = {k: list(v) for k, v in series.items()}
        if diverged_at is not None:
            return Result(
                sim=self.name, params=dict(params), seed=seed, series=out_series, metrics={},
                prediction=prediction, diverged_at=diverged_at, agrees=False,
                verdict=f"diverged at step {diverged_at}: the weights became non-finite (lr = {lr:g} is too large)",
            )

        final = {k: out_series[k][-1] for k in NC_KEYS}
        initial = {k: out_series[k][0] for k in NC_KEYS}
        h, w, b = model.features()
        metrics: dict[str, Any] = dict(final)
        metrics["train_accuracy"] = float(np.mean(np.argmax(h @ w.T + b, axis=1) == model.labels))
        metrics["loss_final"] = out_series["loss"][-1]
        metrics.update({f"{k}_initial": initial[k] for k in ("nc1", "nc2_angle", "nc3")})
        metrics["cos_spread"] = final["cos_max"] - final["cos_min"]
        falls = {k: initial[k] / max(final[k], 1e-300) for k in ("nc1", "nc2_angle", "nc3")}
        metrics.update({"nc1_fall": falls["nc1"], "nc2_angle_fall": falls["nc2_angle"], "nc3_fall": falls["nc3"]})
        collapsed = all(metrics[k] < limit for k, limit in COLLAPSED.items())
        trending = all(falls[k] >= f for k, f in TREND.items())
        metrics["collapsed"] = collapsed
        verdict, agrees = self._verdict(metrics, classes, collapsed, trending, params["model"])
        return Result(sim=self.name, params=dict(params), seed=seed, series=out_series, metrics=metrics,
                      prediction=prediction, verdict=verdict, agrees=agrees)

    @staticmethod
    def _verdict(m: dict[str, Any], classes: int, collapsed: bool, trending: bool, model: str) -> tuple[str, bool | None]:
        target = -1.0 / (classes - 1)
        if collapsed:
            return (f"collapsed to a simplex ETF: class-mean cosines {m['mean_cosine']:.3f} = -1/(C-1) "
                    f"(spread {m['cos_spread']:.0e} < {COLLAPSED['cos_spread']:g}), within-class spread "
                    f"{m['nc1']:.0e} < {COLLAPSED['nc1']:g}, classifier on the means: agrees"), True

        # what is not collapsed yet, each with the limit it must get under (the rest are under theirs)
        short = []
        if m["cos_spread"] >= COLLAPSED["cos_spread"]:
            short.append(f"cosines {m['cos_min']:.2f} to {m['cos_max']:.2f} (ETF: all {target:.2f}, "
                         f"spread < {COLLAPSED['cos_spread']:g})")
        if m["nc1"] >= COLLAPSED["nc1"]:
            short.append(f"within-class spread {m['nc1']:.2g} (limit {COLLAPSED['nc1']:g})")
        if m["nc3"] >= COLLAPSED["nc3"]:
            short.append(f"classifier off by {m['nc3']:.2g} (limit {COLLAPSED['nc3']:g})")
        what = ", ".join(short)
        if trending:
            more = "moving toward it (raise steps)" if model == "ufm" else "moving toward it"
            return f"not collapsed yet: {what}; {more}", None
        return f"not collapsed: {what}", False

    def chart(self, data: Frame | Result, params: dict[str, Any]) -> Chart:
        classes = int(params["classes"])
        s = data.series
        steps = [float(v) for v in s.get("step", [])]
        p1 = Panel("collapse metrics (-> 0)", xlabel="step", ylabel="value", ylog=True)
        p2 = Panel("cosines of class means", xlabel="step", ylabel="cosine",
                   hlines=[(-1.0 / (classes - 1), "-1/(C-1)")])
        if steps:
            for key, label in (("nc1", "NC1 within"), ("nc2_equinorm", "NC2 norms"), ("nc2_angle", "NC2 angles"),
                               ("nc3", "NC3 classif.")):
                p1.lines.append(Line(label, steps, [max(float(v), FLOOR) for v in s[key]]))
            p2.lines.append(Line("max cos", steps, list(s["cos_max"])))
            p2.lines.append(Line("min cos", steps, list(s["cos_min"])))
        caption = data.verdict if isinstance(data, Result) else (data.message or f"step {data.step}/{data.total}")
        return Chart([p1, p2], caption=caption)
