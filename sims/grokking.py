"""Grokking on modular addition: memorise first, generalise (much) later, with Fourier features.

Setup (the reference setup, after Gromov 2023, arXiv:2301.02679: p = 31, train fraction 0.4,
128 hidden units, 3000 steps): the task is (a + b) mod p on a random ``train_frac`` share of all
p^2 pairs. The input is [e_a; e_b] in R^{2p}, one hidden layer of
``hidden`` units with the *quadratic* activation h^2 (ReLU does not generalise in this budget), p
logits, softmax cross-entropy, full batch, AdamW (lr 3e-3, betas (0.9, 0.98), eps 1e-8, decoupled
weight decay as in PyTorch: ``w <- w (1 - lr wd) - lr m_hat / (sqrt(v_hat) + eps)``), init
N(0, 1/fan_in), no biases.

Measured: train/test accuracy, train loss and the per-neuron Fourier sparsity of the input weights
of token a (for each hidden unit j: DFT over the p residues of the mean-centred column W1[:p, j],
power at frequencies 1..(p-1)//2, share of the largest; averaged over units).

Prediction. Grokking has no closed-form curve, so the prediction is qualitative plus two exact
reference numbers: chance accuracy 1/p, and the Fourier share of *random* weights, which is known in
closed form: for Gaussian weights the K = (p-1)//2 powers are i.i.d. exponential, so the shares are
a uniform point on the simplex and E[max share] = H_K / K (harmonic number; 0.221 for p = 31).
Gromov's analytic solution puts each neuron on a single frequency: share -> 1.
With weight decay > 0 generalisation is expected to come long after memorisation (Power et al.
2022, arXiv:2201.02177); with weight decay = 0 not within this budget.

Speed: float32 throughout (the matmuls are the cost; float32 roughly halves them and does not
change the curves), the one-hot input layer's gradient is a sparse product, and all parameters
live in one flat buffer so AdamW is a handful of vector operations. The reference setup's 3000
steps are just over the default budget (about 2 s of one core), so the default is 2500 steps with every other
setting as verified: test accuracy passes 0.95 at steps 1500-2000 (in each of 8 seeds), so the
default still shows the whole delayed rise; the tests run the full 3000. Divergence: with lr * wd > 2 the decoupled decay factor
|1 - lr wd| exceeds 1 and the weights blow up geometrically; a run stops at the first non-finite
loss and reports ``diverged_at``.
"""

from __future__ import annotations

import math
from collections.abc import Generator
from typing import Any

import numpy as np
import scipy.sparse as sp

from .base import Chart, Frame, Line, Panel, Param, Result, Simulation, Throttle, at_most, downsample, shown

_B1, _B2, _EPS = 0.9, 0.98, 1e-8
DELAY_MIN = 2.0  # "delayed generalization": test accuracy 95% at least this many times later than train 99%
FOURIER_MIN = 0.6  # "the neurons went Fourier": final top-frequency share at least this (the reference
# setup reaches 0.74-0.78 in 3000 steps; random weights give H_K/K = 0.22)
GROMOV_TOL = 0.1  # "matches Gromov's single-frequency solution": final share within this of 1
_DT = np.float32


def record_steps(steps: int) -> list[int]:
    """Steps at which accuracy is measured: every 25 up to 300, then every 100, and the last."""
    out = set(range(0, min(steps, 300) + 1, 25)) | set(range(0, steps + 1, 100)) | {steps}
    return sorted(out)


def random_top_share(p: int) -> float:
    """E[max share] of K i.i.d. exponential powers (uniform spacings): H_K / K, K = (p-1)//2."""
    k = (p - 1) // 2
    return float(sum(1.0 / i for i in range(1, k + 1)) / k)


def fourier_share(w_a: np.ndarray) -> float:
    """Mean over hidden units of the top-frequency share of DFT power (freqs 1..(p-1)//2)."""
    p = w_a.shape[0]
    k = (p - 1) // 2
    w = w_a.astype(np.float64) - w_a.mean(axis=0, dtype=np.float64)
    power = np.abs(np.fft.rfft(w, axis=0)[1 : k + 1]) ** 2
    tot = power.sum(axis=0)
    ok = tot > 0
    if not ok.any():
        return float("nan")
    return float(np.mean(power.max(axis=0)[ok] / tot[ok]))


class Grokking(Simulation):
    name = "grokking"
    title = "Grokking: modular addition"
    chapter = 7
    description = "MLP on (a+b) mod p memorizes, then generalizes much later as neurons go Fourier"
    citation = "Power et al. 2022, arXiv:2201.02177; Gromov 2023, arXiv:2301.02679"
    predictable = {
        "initial_fourier_share": "top-frequency share of a neuron's input weights at initialization, averaged "
                                 "over neurons (theory for random weights: H_K/K, K = (p-1)/2; 0.221 for p = 31)",
        "final_test_acc": "test accuracy at the end (without weight decay, theory: chance, 1/p)",
    }
    metric_keys = ("delay_ratio", "final_fourier_share", "final_train_acc", "max_test_acc", "step_test_95",
                   "step_train_99")
    prediction_keys = ("chance", "fourier_share_limit", "fourier_share_random")
    series_x = {k: "step" for k in ("train_acc", "test_acc", "fourier_share", "train_loss")}
    params = (
        Param("p", "int", 31, "modulus: the task is (a+b) mod p", min=7, max=41, step=2),
        Param("train_frac", "float", 0.4, "fraction of the p^2 pairs used for training", min=0.1, max=0.9, step=0.05),
        Param("weight_decay", "float", 1.0, "AdamW decoupled weight decay (0 = control: no grokking)", min=0.0, max=10.0, step=0.25),
        Param("steps", "int", 2500, "full-batch AdamW steps", min=100, max=10000, step=500),
        Param("lr", "float", 3e-3, "AdamW learning rate (lr*wd > 2 diverges)", min=1e-4, max=10.0, step=2.0, log=True),
        Param("hidden", "int", 128, "hidden units (quadratic activation)", min=8, max=256, step=2, log=True),
    )

    cost_coefficients = (0.0115, 5e-05, 1.53e-11)  # fitted: scripts/cost_model.py --fit

    @classmethod
    def cost_terms(cls, params: dict[str, Any]) -> tuple[float, float]:
        """Per AdamW step, the forward and backward products of the n_tr training pairs through the
        hidden x p readout (and the one-hot input layer); at each recorded step, all p^2 pairs."""
        p, hid, steps = int(params["p"]), int(params["hidden"]), int(params["steps"])
        n_tr = min(max(int(round(float(params["train_frac"]) * p * p)), 1), p * p - 1)
        records = len(record_steps(steps))
        return float(steps), steps * (6.0 * n_tr * hid * p + 8.0 * n_tr * hid + 12.0 * 3 * p * hid) + \
            records * 4.0 * p * p * hid * p

    def run(self, params: dict[str, Any], seed: int = 0) -> Generator[Frame, None, Result]:
        p = int(params["p"])
        frac = float(params["train_frac"])
        wd = float(params["weight_decay"])
        steps = int(params["steps"])
        lr = float(params["lr"])
        hid = int(params["hidden"])
        rng = np.random.default_rng(seed)

        # data: a random train_frac share of all pairs (sorted, so a is grouped)
        n_all = p * p
        perm = rng.permutation(n_all)
        n_tr = min(max(int(round(frac * n_all)), 1), n_all - 1)
        tr, te = np.sort(perm[:n_tr]), np.sort(perm[n_tr:])
        a_tr, b_tr = tr // p, tr % p
        y_tr = (a_tr + b_tr) % p
        a_te, b_te = te // p, te % p
        y_te = (a_te + b_te) % p
        bp_tr, bp_te = b_tr + p, b_te + p
        rows = np.arange(n_tr)
        # one-hot input, transposed, for the input-layer gradient: (2p x n_tr) sparse
        xt = sp.csr_matrix(
            (np.ones(2 * n_tr, _DT), (np.r_[a_tr, bp_tr], np.r_[rows, rows])), shape=(2 * p, n_tr)
        )

        # parameters in one flat buffer (views W1, W2), AdamW state alongside
        n1, n2 = 2 * p * hid, hid * p
        theta = np.empty(n1 + n2, _DT)
        W1 = theta[:n1].reshape(2 * p, hid)
        W2 = theta[n1:].reshape(hid, p)
        W1[...] = rng.normal(0.0, 1.0 / math.sqrt(2 * p), (2 * p, hid))
        W2[...] = rng.normal(0.0, 1.0 / math.sqrt(hid), (hid, p))
        grad = np.empty_like(theta)
        G1 = grad[:n1].reshape(2 * p, hid)
        G2 = grad[n1:].reshape(hid, p)
        m = np.zeros_like(theta)
        v = np.zeros_like(theta)
        decay = _DT(1.0 - lr * wd)
        ones_p = np.ones(p, _DT)

        chance = 1.0 / p
        pred: dict[str, Any] = {
            "chance": chance,
            "fourier_share_limit": 1.0,
            "fourier_share_random": random_top_share(p),
            "expect_delay": wd > 0,
            "initial_fourier_share": random_top_share(p),
        }
        pred["final_test_acc"] = chance if wd == 0 else None  # with weight decay: no formula
        ser: dict[str, list] = {k: [] for k in ("step", "train_acc", "test_acc", "fourier_share", "train_loss")}
        rec = set(record_steps(steps))

        def accuracy(a: np.ndarray, bp: np.ndarray, y: np.ndarray) -> float:
            h = W1[a] + W1[bp]
            return float(np.mean(np.argmax((h * h) @ W2, axis=1) == y))

        def train_loss() -> float:
            with np.errstate(all="ignore"):
                h = W1[a_tr] + W1[bp_tr]
                z = ((h * h) @ W2).astype(np.float64)
                z -= z.max(axis=1, keepdims=True)
                return float(np.mean(np.log(np.exp(z).sum(axis=1)) - z[rows, y_tr]))

        def record(t: int) -> bool:
            with np.errstate(all="ignore"):
                vals = (accuracy(a_tr, bp_tr, y_tr), accuracy(a_te, bp_te, y_te), fourier_share(W1[:p]), train_loss())
            if not all(math.isfinite(x) for x in vals) or not np.isfinite(theta).all():
                return False
            ser["step"].append(t)
            for key, x in zip(("train_acc", "test_acc", "fourier_share", "train_loss"), vals):
                ser[key].append(x)
            return True

        def frame(t: int, msg: str = "") -> Frame:
            return Frame(step=t, total=steps, series={k: list(x) for k, x in ser.items()}, prediction=dict(pred), message=msg)

        record(0)
        yield frame(0, "initialised")

        throttle = Throttle(0.05)
        throttle()
        diverged_at: int | None = None
        b1t = b2t = 1.0
        with np.errstate(all="ignore"):
            for t in range(1, steps + 1):
                # forward
                h = W1[a_tr]
                h += W1[bp_tr]
                act = h * h
                z = act @ W2
                # shift by the row max only when exp could over/underflow (a global max/min is
                # much cheaper than a row-wise max on this 31-column array)
                zmax, zmin = float(z.max()), float(z.min())
                if not (math.isfinite(zmax) and math.isfinite(zmin)):
                    diverged_at = t
                    break
                if zmax > 30.0 or zmin < -30.0:
                    z -= z.max(axis=1, keepdims=True)
                np.exp(z, out=z)
                s = z @ ones_p
                s *= n_tr
                z /= s[:, None]  # softmax probabilities / n_tr
                z[rows, y_tr] -= _DT(1.0 / n_tr)  # dL/dlogits for the mean cross-entropy
                # backward
                np.matmul(act.T, z, out=G2)
                g = z @ W2.T
                g *= h
                g *= 2.0
                G1[...] = xt @ g
                # AdamW (decoupled decay, PyTorch order)
                b1t *= _B1
                b2t *= _B2
                m *= _B1
                m += _DT(1 - _B1) * grad
                grad *= grad
                v *= _B2
                v += _DT(1 - _B2) * grad
                theta *= decay
                den = np.sqrt(v)
                den *= _DT(1.0 / math.sqrt(1.0 - b2t))
                den += _DT(_EPS)
                theta -= _DT(lr / (1.0 - b1t)) * m / den

                if t in rec and not record(t):
                    diverged_at = t
                    break
                if throttle():
                    yield frame(t)

        yield frame(ser["step"][-1] if ser["step"] else 0, "done")
        return self._result(params, seed, ser, pred, diverged_at, wd, lr)

    # -----------------------------------------------------------------------------------------
    def _result(self, params: dict[str, Any], seed: int, ser: dict[str, list], pred: dict[str, Any],
                diverged_at: int | None, wd: float, lr: float) -> Result:
        steps_rec = ser["step"]

        def first(key: str, thr: float) -> int | None:
            for st, x in zip(steps_rec, ser[key]):
                if x >= thr:
                    return int(st)
            return None

        s99 = first("train_acc", 0.99)
        s95 = first("test_acc", 0.95)
        metrics: dict[str, Any] = {
            "step_train_99": s99,
            "step_test_95": s95,
            "delay_ratio": (s95 / s99) if (s95 is not None and s99) else None,
            "final_test_acc": ser["test_acc"][-1] if steps_rec else None,
            "final_train_acc": ser["train_acc"][-1] if steps_rec else None,
            "initial_fourier_share": ser["fourier_share"][0] if steps_rec else None,
            "final_fourier_share": ser["fourier_share"][-1] if steps_rec else None,
            "max_test_acc": max(ser["test_acc"]) if steps_rec else None,
        }
        chance = pred["chance"]
        agrees: bool | None
        if diverged_at is not None:
            why = f"lr*wd = {lr * wd:.3g} > 2: the decay factor |1 - lr*wd| exceeds 1" if lr * wd > 2 else "the loss overflowed"
            verdict = f"diverged at step {diverged_at}: {why}"
            agrees = False
        else:
            te = metrics["final_test_acc"]
            f0, f1 = metrics["initial_fourier_share"], metrics["final_fourier_share"]
            four = f"Fourier share {f0:.2f} -> {f1:.2f}"
            if s99 is None:
                verdict = (f"did not memorize the training set in {steps_rec[-1]} steps (train accuracy "
                           f"{metrics['final_train_acc']:.2f}): run longer")
                agrees = None
            elif wd > 0:
                if s95 is not None:
                    ratio = metrics["delay_ratio"]
                    # judged on the numbers as the verdict shows them (see base.shown)
                    share = shown(f1, ".2f")
                    delayed, fourier = at_most(DELAY_MIN, shown(ratio, ".1f")), at_most(FOURIER_MIN, share)
                    if at_most(1.0 - GROMOV_TOL, share):
                        shape = f"within {GROMOV_TOL:g} of Gromov's 1"
                    elif fourier:
                        shape = f"past {FOURIER_MIN:g}, short of Gromov's 1"
                    else:
                        shape = f"below {FOURIER_MIN:g}"
                    verdict = (f"memorized by step {s99}, test accuracy 95% at step {s95}, {ratio:.1f}x later "
                               f"(needs {DELAY_MIN:g}x); {four}, {shape}: ")
                    agrees = delayed and fourier
                    verdict += "agrees" if agrees else ("no clear delay" if not delayed else "no Fourier structure")
                else:
                    verdict = (f"memorized by step {s99}, test accuracy {te:.2f} at step "
                               f"{steps_rec[-1]}: not generalized yet (run longer); {four}")
                    agrees = None
            else:
                if (metrics["max_test_acc"] or 0.0) <= 0.1 + chance:
                    verdict = (f"without weight decay: memorized by step {s99} but test accuracy stays at "
                               f"{te:.2f}, about chance (1/p = {chance:.2f}): agrees")
                    agrees = True
                else:
                    verdict = f"memorized by step {s99}; test accuracy {te:.2f} even without weight decay"
                    agrees = None
        return Result(sim=self.name, params=dict(params), seed=seed, series=ser, metrics=metrics,
                      prediction=pred, diverged_at=diverged_at, verdict=verdict, agrees=agrees)

    # -----------------------------------------------------------------------------------------
    def chart(self, data: Frame | Result, params: dict[str, Any]) -> Chart:
        ser = data.series
        pred = data.prediction or {}
        steps = ser.get("step", [])
        keep = [i for i, s in enumerate(steps) if s > 0]
        xs = [steps[i] for i in keep]

        def line(label: str, key: str) -> Line:
            x, y = downsample(xs, [ser[key][i] for i in keep])
            return Line(label, x, y, "measured")

        acc = Panel("accuracy vs step (log)", xlabel="step", ylabel="accuracy", xlog=True, ylim=(0.0, 1.05))
        four = Panel("Fourier share", xlabel="step", ylabel="top-freq share", xlog=True, ylim=(0.0, 1.05))
        if xs:
            acc.lines = [line("train", "train_acc"), line("test", "test_acc")]
            four.lines = [line("share", "fourier_share")]
        if "chance" in pred:
            acc.hlines.append((float(pred["chance"]), "chance 1/p"))
        if "fourier_share_limit" in pred:
            four.hlines.append((float(pred["fourier_share_limit"]), "Gromov: 1"))
            four.hlines.append((FOURIER_MIN, f"Fourier {FOURIER_MIN:g}"))
        if "fourier_share_random" in pred:
            four.hlines.append((float(pred["fourier_share_random"]), "random H_K/K"))
        if isinstance(data, Result):
            caption = data.verdict
        else:
            te = ser.get("test_acc") or [0.0]
            caption = f"step {data.step}/{data.total}: test acc {te[-1]:.2f}" if steps else "starting"
        return Chart([acc, four], caption)
