"""muP vs standard parameterization: does the best learning rate move when the network gets wider?

Yang et al. 2022, "Tensor Programs V" (arXiv:2203.03466), Table 3, as implemented in
``microsoft/mup`` (MuSGD / MuAdam, MuReadout). In the *relative* form used here, with base width
n0 = 64 and width multiplier m = n / n0 (so muP coincides with SP at n = n0):

    layer            SP init / lr          muP init (std)         muP SGD lr     muP Adam lr
    input  W_in      1/sqrt(d), eta        1/sqrt(d)              eta * m        eta
    hidden W_hid     1/sqrt(n), eta        1/sqrt(n)              eta            eta / m
    output W_out     1/sqrt(n), eta        1/sqrt(n * m)          eta / m        eta / m

Prediction (TP5 Fig. 1/3, mup README): in SP the optimal learning rate drifts with width (here the
output-layer kernel grows like n, so the stable / optimal SGD step falls like 1/width: the heuristic
"best log2 lr = best at the smallest width - log2(width / smallest width)"); in muP the optimum is
width-independent ("hyperparameter transfer") and wider is better at the transferred optimum.
The verdict says "agrees" when the muP optimum moves <= 0.5 octave over the widths (the acceptance
criterion for SGD; 1 octave with Adam, whose optimum is flat here), SP's moves at least half the heuristic's
log2(widest / narrowest) and more than muP's, the best muP loss falls with width, and the
coordinate check below passes (muP |slope| < 0.15 in every layer, SP output slope > 0.5).

Learning-rate sweep (the reference setup): one hidden tanh layer, d = 16 inputs, 4 outputs, MSE
loss (1/2N) sum ||f(x) - y||^2 on a fixed random tanh teacher with 32 units, N = 128 full batch,
100 steps from one initialization per width (shared across learning rates; SP and muP use the same
Gaussian draws). A run whose loss exceeds 1e3 or becomes non-finite is *diverged*: its entry is
None and it does not count for the optimum (the sweep itself is fine: no ``diverged_at``).

Coordinate check (mup README): two hidden tanh layers, 3 full-batch steps at a fixed small
learning rate (SGD 0.05, Adam 1e-3) on the first 32 training points; mean |h_t - h_0| of each
layer's pre-activation (input layer, hidden layer, network output), averaged over t = 1..3, against
width. The scaling argument predicts log-log slopes 0 for every layer in muP, and for SP with SGD
(-1/2, +1/2, +1) (input-layer updates vanish, output updates blow up like the width); with Adam
(0, +1, +1). Measured SP slopes fall short of these asymptotic exponents at widths <= 1024 (SGD
output about 0.7); the acceptance criterion is muP |slope| < 0.15 in every layer, SP output > 0.5.

Spectral condition (Yang, Simon & Bernstein 2023, arXiv:2310.17813): feature learning at every
width needs ||W_l|| and ||dW_l|| (operator norms) of order sqrt(fan_out/fan_in). The coordinate check
also measures the operator norm of each layer's total 3-step update and its log-log slope against
width: muP should give +1/2 (input, 16 -> n), 0 (hidden, n -> n), -1/2 (output, n -> 4), for SGD
and Adam alike. SP with Adam moves every entry by about eta in a low-rank pattern, so its updates
have norm about eta*sqrt(fan_in*fan_out): slopes +1/2, 1, +1/2 (measured 0.45-0.53, 0.93-1.00,
0.44-0.53 over seeds 0..2; muP within 0.06 of its slopes). SP with SGD from the zero readout has
no clean power law over 3 steps at these widths (its output overshoots at large width).

Deviations from the reference setup, for the default budget (about 2 s of one core) or a cleaner reading:
- default widths 32, 128, 512 instead of 64, 256, 1024: the same 16x range (SP optimum 0, -1, -3
  vs muP -1, -1, -1 for seeds 0..3) at about 2/3 of the cost (the width-1024 runs dominate). muP
  still equals SP at the base width 64 (try widths=64,256,1024, the reference setting: best
  log2 eta SP -1, -2, -4, muP -1, -1, -1; the tests run it).
- default learning-rate grid log2 eta = -5..1 instead of -4..6: above 2^0 every width diverges
  within a few steps (no information), and the SP optimum at width 1024 is 2^-4, at the edge of a
  -4..6 grid; -5..1 keeps it interior (for most seeds).
- float32 arithmetic and tanh via exp (faster than float64 np.tanh, scalar code on AVX2 machines);
  the losses here are >= 1e-5, far above float32 resolution.
- with Adam the learning rate is eta = 2^k / 16 (k = log2_lrs), so the same default grid covers
  Adam's useful range 2^-9..2^-3. Adam fits this task to ~1e-5 within 100 steps (a known pitfall
  of this task: even random labels are memorized), so its optimum is flat and noisy; with
  steps = 20..40 the comparison is sharp (and SP shows "wider is worse").
- coordinate check: widths 64..1024 (not ..2048) and 32 inputs (not 128), for time; zero-initialized
  readout in both SP and muP (the mup README's recommendation; muP still equals SP at n0). With the
  random 1/sqrt(n m) readout the initial output f_0 ~ 1/sqrt(n) changes the residual at small widths
  and tilts the muP output slope to about -0.15 for some seeds; zero readout removes that
  finite-width artefact (muP slopes within +-0.07 over seeds 0..5).
"""

from __future__ import annotations

import math
from collections.abc import Generator
from typing import Any

import numpy as np

from .base import (Chart, Frame, Line, Panel, Param, ParamError, Result, Simulation, Throttle, at_most, loglog_slope,
                   shown, tidy_row)

D_IN = 16
D_OUT = 4
TEACHER = 32
N_DATA = 128
N0 = 64  # base width: muP == SP here
LOSS_CAP = 1e3  # loss above this (or non-finite) = diverged
ADAM_LR_SCALE = 1.0 / 16.0  # Adam lr = 2^k / 16
COORD_STEPS = 3
N_COORD = 32  # inputs used by the coordinate check (the first 32 training points)
COORD_LR = {"sgd": 0.05, "adam": 1e-3}
MUP_TOL = {"sgd": 0.5, "adam": 1.0}  # octaves the muP optimum may move and still "agree"
ADAM_B1, ADAM_B2, ADAM_EPS = 0.9, 0.999, 1e-8
YIELD_EVERY = 8  # inner training steps between chances to yield a frame
DT = np.float32
PARAMS = ("sp", "mup")
LABEL = {"sp": "SP", "mup": "muP"}
LAYERS = ("input", "hidden", "output")


def _tanh(x: np.ndarray) -> np.ndarray:
    """tanh(x) = 2 / (1 + exp(-2x)) - 1 as a new array (faster than np.tanh for these sizes)."""
    y = np.multiply(x, -2.0)
    np.exp(y, out=y)
    y += 1.0
    np.divide(2.0, y, out=y)
    y -= 1.0
    return y


def _lr_mult(param: str, opt: str, m: float) -> tuple[float, float, float]:
    """Learning-rate multipliers (input, hidden, output) relative to the base lr."""
    if param == "sp":
        return 1.0, 1.0, 1.0
    if opt == "sgd":
        return m, 1.0, 1.0 / m
    return 1.0, 1.0 / m, 1.0 / m


def _out_std(param: str, n: int) -> float:
    m = n / N0
    return 1.0 / math.sqrt(n) if param == "sp" else 1.0 / math.sqrt(n * m)


class _Adam:
    def __init__(self, shapes: list[tuple[int, ...]]) -> None:
        self.m = [np.zeros(s, DT) for s in shapes]
        self.v = [np.zeros(s, DT) for s in shapes]
        self.t = 0

    def steps(self, grads: list[np.ndarray]) -> list[np.ndarray]:
        """The Adam directions (bias-corrected m / (sqrt(v) + eps)) for this step."""
        self.t += 1
        c1 = 1.0 - ADAM_B1 ** self.t
        c2 = 1.0 - ADAM_B2 ** self.t
        out = []
        for g, m, v in zip(grads, self.m, self.v):
            m *= ADAM_B1
            m += (1.0 - ADAM_B1) * g
            v *= ADAM_B2
            v += (1.0 - ADAM_B2) * (g * g)
            out.append((m / c1) / (np.sqrt(v / c2) + ADAM_EPS))
        return out


def _train(XT: np.ndarray, X: np.ndarray, YT: np.ndarray, W_in: np.ndarray, W_out: np.ndarray,
           lr_in: float, lr_out: float, steps: int, opt: str) -> Generator[None, None, float | None]:
    """Full-batch training of f(x) = tanh(x W_in) W_out; yields now and then; returns the final loss or None.

    Works in the transposed layout (activations n x N, preallocated buffers, the factor -2 of the
    tanh folded into the inputs): the faster of the two layouts for these shapes.
    """
    V = np.ascontiguousarray(W_in.T)  # (n, d)
    U = np.ascontiguousarray(W_out.T)  # (k, n)
    n, n_data = V.shape[0], XT.shape[1]
    XTm2 = XT * DT(-2.0)
    H = np.empty((n, n_data), DT)
    A = np.empty_like(H)
    dH = np.empty_like(H)
    E = np.empty((U.shape[0], n_data), DT)
    gU = np.empty_like(U)
    gV = np.empty_like(V)
    adam = _Adam([V.shape, U.shape]) if opt == "adam" else None

    def forward() -> float:
        np.matmul(V, XTm2, out=H)  # -2 h
        np.exp(H, out=H)
        np.add(H, 1.0, out=H)
        np.divide(2.0, H, out=A)
        np.subtract(A, 1.0, out=A)  # tanh(h)
        np.matmul(U, A, out=E)
        np.subtract(E, YT, out=E)
        return 0.5 * float(np.vdot(E, E)) / n_data

    with np.errstate(all="ignore"):
        for t in range(steps):
            loss = forward()
            if not loss < LOSS_CAP:  # also catches NaN
                return None
            E *= 1.0 / n_data
            np.matmul(E, A.T, out=gU)
            np.matmul(U.T, E, out=dH)
            np.multiply(A, A, out=A)
            np.subtract(1.0, A, out=A)
            dH *= A
            np.matmul(dH, X, out=gV)
            if adam is not None:
                gV, gU = adam.steps([gV, gU])
            gV *= lr_in
            gU *= lr_out
            V -= gV
            U -= gU
            if t % YIELD_EVERY == YIELD_EVERY - 1:
                yield
        loss = forward()
    return loss if loss < LOSS_CAP else None


def spectral_norm(A: np.ndarray, iters: int = 40) -> float:
    """Largest singular value (operator norm): exact for a thin matrix; otherwise power iteration on
    AᵀA from a fixed start, which settles these few-step updates' norm to about 0.1% (their top
    singular value stands clear of the rest) in a fraction of an exact SVD's time."""
    if min(A.shape) <= 64:
        return float(np.linalg.norm(A.astype(np.float64), 2))
    v = np.linspace(1.0, 2.0, A.shape[1]).astype(A.dtype)
    s = 0.0
    for _ in range(iters):
        w = A.T @ (A @ v)
        norm = float(np.linalg.norm(w))
        if norm == 0.0 or not math.isfinite(norm):
            return 0.0 if norm == 0.0 else math.nan
        v = w / DT(norm) if A.dtype == DT else w / norm
        s = math.sqrt(norm)
    return s


def _coord(X: np.ndarray, Y: np.ndarray, Ws: list[np.ndarray], lrs: tuple[float, float, float],
           opt: str) -> Generator[None, None, tuple[list[float], list[float]] | None]:
    """Coordinate check: mean |h_t - h_0| per layer (pre-activations of both hidden layers, output),
    t = 1..3; and the operator norm of each layer's total update W_3 - W_0 (input, hidden, output)."""
    W1, W2, W3 = (W.copy() for W in Ws)
    n_data = X.shape[0]
    adam = _Adam([W1.shape, W2.shape, W3.shape]) if opt == "adam" else None
    h0: list[np.ndarray] = []
    acc = np.zeros(3)
    with np.errstate(all="ignore"):
        for t in range(COORD_STEPS + 1):
            h1 = X @ W1
            a1 = _tanh(h1)
            h2 = a1 @ W2
            a2 = _tanh(h2)
            f = a2 @ W3
            if t == 0:
                h0 = [h1, h2, f]
            else:
                acc += [float(np.mean(np.abs(h - g))) for h, g in zip((h1, h2, f), h0)]
            if t == COORD_STEPS:
                break
            yield
            E = (f - Y) * (1.0 / n_data)
            g3 = a2.T @ E
            d2 = (E @ W3.T) * (1.0 - a2 * a2)
            g2 = a1.T @ d2
            d1 = (d2 @ W2.T) * (1.0 - a1 * a1)
            g1 = X.T @ d1
            grads = [g1, g2, g3]
            if adam is not None:
                grads = adam.steps(grads)
            for W, g, lr in zip((W1, W2, W3), grads, lrs):
                W -= DT(lr) * g
            yield
    out = (acc / COORD_STEPS).tolist()
    spec = [spectral_norm(W - W0) for W, W0 in zip((W1, W2, W3), Ws)]
    return (out, spec) if all(math.isfinite(v) for v in out + spec) else None


def _pump(gen: Generator[None, None, Any], on_tick) -> Generator[Frame, None, Any]:
    """Drive an inner generator; between its ticks yield whatever frame ``on_tick`` offers."""
    while True:
        try:
            next(gen)
        except StopIteration as stop:
            return stop.value
        fr = on_tick()
        if fr is not None:
            yield fr


def _best(row: list[float | None], ks: list[Any]) -> tuple[Any, float | None]:
    """(log2 lr, loss) of the lowest finite loss in a row; (None, None) if every run diverged."""
    ok = [(v, k) for v, k in zip(row, ks) if v is not None]
    if not ok:
        return None, None
    v, k = min(ok, key=lambda q: q[0])
    return k, v


def _fmt_oct(x: float | None) -> str:
    return "?" if x is None else f"{x:g}"


class MupTransfer(Simulation):
    name = "mup_transfer"
    title = "muP vs SP: does the best learning rate survive widening?"
    chapter = 5
    description = "LR sweep across widths in SP and muP (one tanh layer, MSE) plus a coordinate check"
    citation = "Yang et al. 2022 (Tensor Programs V), arXiv:2203.03466"
    predictable = {
        "sp_drift": "octaves (steps of log2 lr) the best SP learning rate falls from the smallest to the largest "
                    "width (1/width rule: log2(largest/smallest width))",
        "mup_drift": "the same for muP (theory: 0, the best learning rate transfers)",
        "mup_output_update_slope": "log-log slope against width of the operator norm of the output layer's "
                                   "update in the coordinate check, muP (spectral condition: sqrt(fan_out/fan_in), "
                                   "slope -1/2)",
        "sp_hidden_update_slope": "the same for SP's hidden layer (theory with Adam: entries of size eta in a "
                                  "low-rank update, eta*sqrt(fan_in*fan_out), slope 1; none given for SGD, whose "
                                  "3-step SP updates follow no single power law at these widths)",
    }
    metric_keys = ("mup_shift", "sp_shift")
    prediction_keys = ("mup_shift", "sp_shift")
    params = (
        Param("widths", "int_list", (32, 128, 512), "hidden widths to sweep (base width 64: muP == SP there)",
              min=8, max=4096, max_len=6),
        Param("log2_lrs", "float_list", (-5, -4, -3, -2, -1, 0, 1),
              "log2 learning rates k: SGD eta = 2^k, Adam eta = 2^k/16", min=-14, max=8, max_len=16),
        Param("steps", "int", 100, "full-batch training steps per run", min=1, max=2000, step=50),
        Param("optimizer", "choice", "sgd", "sgd or adam (muP rules differ, TP5 Table 3)", choices=("sgd", "adam")),
        Param("coord_widths", "int_list", (64, 128, 256, 512, 1024),
              "widths of the coordinate check (2 hidden layers, 3 steps)", min=8, max=2048, max_len=8),
    )

    @classmethod
    def check(cls, values: dict[str, Any]) -> None:
        if len(set(values["widths"])) != len(values["widths"]):
            raise ParamError("widths: values must be different")
        if len(set(values["log2_lrs"])) != len(values["log2_lrs"]):
            raise ParamError("log2_lrs: values must be different")
        if len(set(values["coord_widths"])) < 2:
            raise ParamError("coord_widths: need at least 2 different widths to fit a slope")

    # ------------------------------------------------------------------------------------------
    @staticmethod
    def _data(seed: int) -> tuple[np.ndarray, np.ndarray]:
        rng = np.random.default_rng([seed, 0])
        X = rng.standard_normal((N_DATA, D_IN))
        U = rng.standard_normal((D_IN, TEACHER)) / math.sqrt(D_IN)
        V = rng.standard_normal((TEACHER, D_OUT)) / math.sqrt(TEACHER)
        Y = np.tanh(X @ U) @ V
        return X.astype(DT), Y.astype(DT)

    @staticmethod
    def _coord_prediction(opt: str) -> dict[str, list[float]]:
        sp = [-0.5, 0.5, 1.0] if opt == "sgd" else [0.0, 1.0, 1.0]
        return {"sp": sp, "mup": [0.0, 0.0, 0.0]}

    @staticmethod
    def _anchor(prediction: dict[str, Any], loss: dict[str, list[list[float | None]]], ks: list[Any],
                widths: list[int]) -> None:
        """Theory lines for the best lr, anchored at the measured optimum of the smallest width."""
        k_sp, _ = _best(loss["sp"][0], ks)
        k_mup, _ = _best(loss["mup"][0], ks)
        if k_sp is not None:
            prediction["sp_best_log2_lr"] = [k_sp - math.log2(w / widths[0]) for w in widths]
        if k_mup is not None:
            prediction["mup_best_log2_lr"] = [k_mup] * len(widths)

    cost_coefficients = (0.0533, 0.0, 1.11e-11)  # fitted: scripts/cost_model.py --fit

    @classmethod
    def cost_terms(cls, params: dict[str, Any]) -> tuple[float, float]:
        """For each width, parametrisation and learning rate, ``steps`` full-batch steps of the
        one-hidden-layer net on N_DATA points (~6 flops per weight and point); then the coordinate
        check's COORD_STEPS steps of the three-layer net at each coordinate width, with what its
        width x width hidden layer costs beside them: drawing it (about 900 flops' time an entry)
        and, per parametrisation, its update's norm by power iteration (80 matrix-vector
        products, which run at memory speed: about 1000 flops' time an entry)."""
        steps, runs = int(params["steps"]), len(PARAMS) * len(params["log2_lrs"])
        train = sum(runs * steps * 6.0 * N_DATA * (D_IN + D_OUT + 2) * int(w) for w in params["widths"])
        coord = sum(len(PARAMS) * COORD_STEPS * 6.0 * N_COORD * int(w) * (int(w) + D_IN + D_OUT)
                    + int(w) ** 2 * (900.0 + len(PARAMS) * 1000.0) for w in set(params["coord_widths"]))
        return float(runs * steps * len(params["widths"]) + len(PARAMS) * COORD_STEPS * len(params["coord_widths"])), train + coord

    def run(self, params: dict[str, Any], seed: int = 0) -> Generator[Frame, None, Result]:
        widths = sorted(int(w) for w in params["widths"])
        ks = sorted(float(k) for k in params["log2_lrs"])
        ks_out = [int(k) if float(k).is_integer() else k for k in ks]
        cws = sorted(set(int(w) for w in params["coord_widths"]))
        steps = int(params["steps"])
        opt = params["optimizer"]
        scale = 1.0 if opt == "sgd" else ADAM_LR_SCALE
        lrs = [scale * 2.0 ** k for k in ks]

        n_runs = len(widths) * 2 * len(ks)
        total = n_runs + 2 * len(cws)
        done = 0
        throttle = Throttle(0.05)
        loss: dict[str, list[list[float | None]]] = {"sp": [], "mup": []}
        coord: dict[str, list[list[float | None]]] = {"sp": [[], [], []], "mup": [[], [], []]}
        spectral: dict[str, list[list[float | None]]] = {"sp": [[], [], []], "mup": [[], [], []]}
        series: dict[str, Any] = {"widths": widths, "log2_lrs": ks_out, "lrs": lrs, "loss": loss,
                                  "coord_widths": [], "coord": coord, "update_norm": spectral}
        prediction: dict[str, Any] = {
            "mup_shift": 0.0,
            "sp_shift": math.log2(widths[-1] / widths[0]),
            "mup_drift": 0.0,
            "sp_drift": math.log2(widths[-1] / widths[0]),
            "sp_trend": "SP optimum falls like 1/width (heuristic): best log2 lr = best at smallest width"
                        " - log2(width / smallest width)",
            "coord_slopes": self._coord_prediction(opt),
            # spectral condition (Yang, Simon & Bernstein 2023): ||dW|| ~ sqrt(fan_out/fan_in) in muP;
            # input d -> n, hidden n -> n, output n -> 4
            "update_norm_slopes": {"mup": [0.5, 0.0, -0.5], "sp": [0.5, 1.0, 0.5] if opt == "adam" else None},
            "mup_output_update_slope": -0.5,
            "sp_hidden_update_slope": 1.0 if opt == "adam" else None,
        }

        def snapshot() -> dict[str, Any]:
            return {
                "widths": list(widths), "log2_lrs": list(ks_out), "lrs": list(lrs),
                "loss": {p: [list(r) for r in loss[p]] for p in PARAMS},
                "coord_widths": list(series["coord_widths"]),
                "coord": {p: [list(c) for c in coord[p]] for p in PARAMS},
                "update_norm": {p: [list(c) for c in spectral[p]] for p in PARAMS},
            }

        def frame(msg: str) -> Frame:
            return Frame(step=done, total=total, series=snapshot(), prediction=dict(prediction), message=msg)

        def tick(msg: str):
            return (lambda: frame(msg) if throttle() else None)

        yield frame("preparing data")
        X, Y = self._data(seed)
        XT = np.ascontiguousarray(X.T)
        YT = np.ascontiguousarray(Y.T)

        # ---- learning-rate sweep ----------------------------------------------------------
        for n in widths:
            m = n / N0
            rng = np.random.default_rng([seed, 1, n])
            G_in = rng.standard_normal((D_IN, n))
            G_out = rng.standard_normal((n, D_OUT))
            W_in = (G_in / math.sqrt(D_IN)).astype(DT)
            for p in PARAMS:
                row: list[float | None] = []
                loss[p].append(row)
                if p == "mup" and n == N0:  # identical to SP at the base width
                    row.extend(loss["sp"][-1])
                    done += len(ks)
                    continue
                W_out = (G_out * _out_std(p, n)).astype(DT)
                mi, _mh, mo = _lr_mult(p, opt, m)
                for k, lr in zip(ks, lrs):
                    msg = f"{LABEL[p]} width {n}: log2 lr {k:g}"
                    val = yield from _pump(_train(XT, X, YT, W_in, W_out, lr * mi, lr * mo, steps, opt), tick(msg))
                    row.append(val)
                    done += 1
                    if throttle():
                        yield frame(msg)
            if n == widths[0]:
                self._anchor(prediction, loss, ks_out, widths)

        best_k: dict[str, list[Any]] = {p: [] for p in PARAMS}
        best_loss: dict[str, list[float | None]] = {p: [] for p in PARAMS}
        for p in PARAMS:
            for row in loss[p]:
                k, v = _best(row, ks_out)
                best_k[p].append(k)
                best_loss[p].append(v)
        yield frame("coordinate check")

        # ---- coordinate check ---------------------------------------------------------------
        Xc, Yc = X[:N_COORD], Y[:N_COORD]
        lr_c = COORD_LR[opt]
        for n in cws:
            m = n / N0
            rng = np.random.default_rng([seed, 2, n])
            W1 = rng.standard_normal((D_IN, n), dtype=DT) * DT(1.0 / math.sqrt(D_IN))
            W2 = rng.standard_normal((n, n), dtype=DT) * DT(1.0 / math.sqrt(n))
            W3 = np.zeros((n, D_OUT), DT)  # zero readout (mup README), same for SP and muP
            if throttle():
                yield frame(f"coordinate check width {n}")
            for p in PARAMS:
                mults = _lr_mult(p, opt, m)
                msg = f"coordinate check {LABEL[p]} width {n}"
                vals = yield from _pump(_coord(Xc, Yc, [W1, W2, W3], tuple(lr_c * u for u in mults), opt), tick(msg))
                for layer in range(3):  # None only if the check blew up (not at these small fixed lrs)
                    coord[p][layer].append(None if vals is None else vals[0][layer])
                    spectral[p][layer].append(None if vals is None else vals[1][layer])
                done += 1
            series["coord_widths"].append(n)
            if throttle():
                yield frame(f"coordinate check width {n}")

        coord_slopes: dict[str, list[float | None]] = {}
        update_slopes: dict[str, list[float | None]] = {}
        for p in PARAMS:
            coord_slopes[p] = []
            update_slopes[p] = []
            for layer in range(3):
                for table, out in ((coord, coord_slopes), (spectral, update_slopes)):
                    ys = table[p][layer]
                    good = all(v is not None and math.isfinite(v) and v > 0 for v in ys)
                    out[p].append(loglog_slope(cws, ys) if good else None)

        # ---- summary -----------------------------------------------------------------------
        def shift(ks_best: list[float | None]) -> float | None:
            if len(ks_best) < 2 or any(k is None for k in ks_best):
                return None
            return float(max(ks_best) - min(ks_best))  # type: ignore[type-var]

        sp_shift, mup_shift = shift(best_k["sp"]), shift(best_k["mup"])

        def drift(ks_best: list[float | None]) -> float | None:  # fall from the smallest to the largest width
            if len(ks_best) < 2 or ks_best[0] is None or ks_best[-1] is None:
                return None
            return float(ks_best[0] - ks_best[-1])

        sp_drift, mup_drift = drift(best_k["sp"]), drift(best_k["mup"])
        # muP tolerance: the acceptance criterion's 0.5 octave for SGD; one octave for Adam, whose
        # optimum is flat here
        mup_tol = MUP_TOL[opt]
        mup_losses = best_loss["mup"]
        mup_wider_better = (None if any(v is None for v in mup_losses) or len(mup_losses) < 2
                            else all(b < a for a, b in zip(mup_losses, mup_losses[1:])))
        at_edge = any(k is not None and (k == ks_out[0] or k == ks_out[-1]) for p in PARAMS for k in best_k[p])
        metrics: dict[str, Any] = {
            "best_log2_lr": best_k,
            "best_loss": best_loss,
            "sp_shift": sp_shift,
            "mup_shift": mup_shift,
            "sp_drift": sp_drift,
            "mup_drift": mup_drift,
            "mup_wider_better": mup_wider_better,
            "optimum_at_grid_edge": at_edge,
            "coord_slopes": coord_slopes,
            "update_norm_slopes": update_slopes,
            "mup_output_update_slope": update_slopes["mup"][2],
            "sp_hidden_update_slope": update_slopes["sp"][1],
        }
        cs_m, cs_s = coord_slopes["mup"], coord_slopes["sp"]
        coord_ok = (all(s is not None and abs(s) < 0.15 for s in cs_m) and cs_s[2] is not None and cs_s[2] > 0.5)
        metrics["coord_agrees"] = coord_ok

        w_txt = f"from width {widths[0]} to {widths[-1]}"
        if len(widths) < 2:
            agrees = None
            verdict = f"one width ({widths[0]}): add widths to see whether the best learning rate moves"
        elif sp_shift is None or mup_shift is None:
            agrees = False
            verdict = "every learning rate diverged at some width: lower log2_lrs"
        else:
            pred_sp = prediction["sp_shift"]
            sp_needs = shown(0.5 * pred_sp, ".2g")  # the limits as the verdict states them
            sweep_ok = (at_most(mup_shift, mup_tol) and at_most(sp_needs, sp_shift) and sp_shift > mup_shift)
            agrees = bool(sweep_ok and coord_ok and mup_wider_better is not False)
            verdict = (f"best learning rate {w_txt}: muP's moves {_fmt_oct(mup_shift)} octaves (limit {mup_tol:g}), "
                       f"SP's {_fmt_oct(sp_shift)} (1/width rule: {pred_sp:.2g}, needs {sp_needs:g})")
            notes = []
            if not coord_ok:
                notes.append("coordinate check off")
            if mup_wider_better is False:
                notes.append("wider not better in muP")
            if at_edge:
                notes.append("an optimum at the grid's edge")
            verdict += ": " + ("agrees" if agrees else "disagrees") + (f" ({', '.join(notes)})" if notes else "")
        return Result(sim=self.name, params=dict(params), seed=seed, series=series, metrics=metrics,
                      prediction=prediction, verdict=verdict, agrees=agrees)

    # ------------------------------------------------------------------------------------------
    def table(self, series: dict[str, Any]) -> list[dict[str, Any]]:
        """Tidy rows: final loss against log2 lr (index param, width); the coordinate check's mean
        |h_t - h_0| and each layer's update norm against width (index param, layer)."""
        rows = []
        widths, ks = series.get("widths", []), series.get("log2_lrs", [])
        for p in PARAMS:
            for n, row in zip(widths, series.get("loss", {}).get(p, [])):
                rows += [tidy_row("loss", "log2_lr", k, v, param=p, width=n) for k, v in zip(ks, row)]
        cws = series.get("coord_widths", [])
        for p in PARAMS:
            for layer, vals in zip(LAYERS, series.get("coord", {}).get(p, [])):
                rows += [tidy_row("coord_change", "width", n, v, param=p, layer=layer) for n, v in zip(cws, vals)]
            for layer, vals in zip(LAYERS, series.get("update_norm", {}).get(p, [])):
                rows += [tidy_row("update_norm", "width", n, v, param=p, layer=layer) for n, v in zip(cws, vals)]
        return rows

    # ------------------------------------------------------------------------------------------
    def chart(self, data: Frame | Result, params: dict[str, Any]) -> Chart:
        """One panel per parameterization: each width's sweep joined, its optimum marked (@), the
        diverged runs at the top (^), and the predicted optimum as dashed columns (SP: the 1/width
        rule from the smallest width's optimum; muP: the smallest width's optimum for every width)."""
        s = data.series
        widths = list(s.get("widths", []))
        ks = list(s.get("log2_lrs", []))
        loss = s.get("loss", {}) or {}
        rows = {p: list(loss.get(p, [])) for p in PARAMS}
        have = max(len(rows["sp"]), len(rows["mup"]))
        idx = list(range(min(have, len(widths))))
        if len(idx) > 3:  # at most 3 widths: smallest, middle, largest
            idx = sorted({0, len(idx) // 2, len(idx) - 1})
        finite = [v for p in PARAMS for i in idx if i < len(rows[p]) for v in rows[p][i] if v is not None and v > 0]
        top = max(finite) * 1.6 if finite else 1.0
        ylim = (min(finite), top) if finite else None
        panels = []
        for p in PARAMS:
            panel = Panel(f"{LABEL[p]}: final loss vs learning rate", xlabel="log2 lr", ylabel="loss", ylog=True, ylim=ylim)
            best_x, best_y, div_x = [], [], []
            for i in idx:
                if i >= len(rows[p]):
                    continue
                row = rows[p][i]
                pts = [(k, v) for k, v in zip(ks, row) if v is not None and v > 0]
                div_x += [k for k, v in zip(ks, row) if v is None]
                if pts:
                    panel.lines.append(Line(f"width {widths[i]}", [q[0] for q in pts], [q[1] for q in pts],
                                            "measured", connect=True))
                if len(row) == len(ks):
                    k, v = _best(row, ks)
                    if k is not None:
                        best_x.append(k)
                        best_y.append(v)
            if best_x:
                panel.lines.append(Line("best", best_x, best_y, "measured", marker="@"))
            if div_x:
                panel.lines.append(Line("diverged", sorted(set(div_x)), [top] * len(set(div_x)), "measured", marker="^"))
            pred = data.prediction or {}
            key, label = ("sp_best_log2_lr", "1/width rule") if p == "sp" else ("mup_best_log2_lr", "muP: same lr")
            ys = pred.get(key)
            if ys and len(ys) == len(widths):
                marks = sorted({float(ys[i]) for i in idx})
                panel.vlines = [(k, label if j == 0 else "") for j, k in enumerate(marks)]
            panels.append(panel)
        if isinstance(data, Result):
            caption = data.verdict
        else:
            caption = data.message or f"{data.step}/{data.total}"
        return Chart(panels=panels, caption=caption)
