"""Representation universality: random-feature nets of different activations align as width grows.

Setup (after Kornblith et al. 2019 and Huh et al. 2024). X in R^{n x d} (n = 400, d = 8) Gaussian;
a "network" of family phi and width m is the random-feature map Phi = phi(X W) / sqrt(m),
W ~ N(0, I/d) (d x m), so its Gram matrix Phi Phi^T tends to the NNGP kernel
K_phi(x, x') = E_w[phi(w.x) phi(w.x')] as m -> inf.
For every width, ``seeds_per_width`` independent nets of each family are drawn and compared:

* linear CKA (Kornblith et al. 2019, arXiv:1905.00414): with centred Grams Kc = H K H,
  CKA = <Kc, Lc>_F / (|Kc|_F |Lc|_F) (the Gram form of |Y^T X|^2 / (|X^T X| |Y^T Y|));
* mutual kNN (Huh et al. 2024, Platonic Representation Hypothesis; platonic-rep ``mutual_knn``):
  rows L2-normalised (cosine similarity K(x,x')/sqrt(K(x,x)K(x',x')), not centred), k nearest
  neighbours excluding self, score = mean_i |N_A(i) & N_B(i)| / k.

Pairs: "a~b" (a != b) averages over all seed combinations of independent nets; "a~a" over pairs of
different seeds of the same family.

Prediction, from the kernel formulas alone (no finite-width features):
* ReLU: arc-cosine kernel (Cho & Saul 2009), K = |x||x'|/(2 pi d) [sin t + (pi - t) cos t];
* erf: Williams 1997, K = (2/pi) arcsin(2 x.x'/d / sqrt((1 + 2|x|^2/d)(1 + 2|x'|^2/d)));
* tanh: tanh(z) = sum_j a_j erf(b_j z) with 8 fixed scales b_j in [0.3, 3] and least-squares
  weights a_j (all positive, sup error 2e-6 on the real line), so its kernel is the same mixture of
  Williams kernels, sum_jl a_j a_l (2/pi) arcsin(2 b_j b_l x.x'/d / sqrt(...)); this agrees with
  brute-force 2-D Gauss-Hermite quadrature to ~1e-8 and costs far less (tanh is slow and 2-D
  Gauss-Hermite converges slowly for it at large |x|).
The limiting CKA / mutual kNN of a cross pair is computed from the two limiting kernels exactly as
the measurement is computed from the finite Grams; same-family pairs tend to 1 with 1 - CKA = O(1/m)
(slope -1 in log-log). The slope is fitted over widths m >= 64 (below that 1 - CKA is not small and
the O(1/m) expansion does not hold yet; with fewer than two such widths, over all widths).

Cost: Gram matrices are built in column chunks (<= 1024 features, symmetric rank-k products), one
frame per chunk; the defaults (5 widths up to 2048, 3 seeds, ReLU and erf) stay well within the
default budget (about 2 s of one core).
"""

from __future__ import annotations

from collections.abc import Generator
from itertools import combinations
from typing import Any

import numpy as np
from scipy.special import erf

from .base import Chart, Frame, Line, Panel, Param, ParamError, Result, Simulation, Throttle, at_most, loglog_slope, shown

FAMILY_CHOICES = ("relu,erf", "relu,tanh", "erf,tanh", "relu,erf,tanh")
_CHUNK = 1024
_SLOPE_MIN_WIDTH = 64
_GAP_TOL = 0.01
_MIN_WIDTH_FOR_LIMIT = 1024
_SLOPE_TOL = 0.2  # 1 - CKA of two nets of one activation falls as m^-1: the fitted slope within this of -1

_ACT = {
    "relu": lambda u: np.maximum(u, 0.0),
    "erf": erf,
    "tanh": np.tanh,
}


# ---------------------------------------------------------------------------------------------
# Limiting (NNGP) kernels
# ---------------------------------------------------------------------------------------------
def _tanh_erf_mixture() -> tuple[np.ndarray, np.ndarray]:
    """Scales b_j and weights a_j with tanh(z) ~= sum_j a_j erf(b_j z) (least squares, sum a_j = 1)."""
    b = np.geomspace(0.3, 3.0, 8)
    z = np.linspace(0.0, 15.0, 6001)
    A = erf(np.outer(z, b))
    rows = np.vstack([A, 1e3 * np.ones(b.size)])  # heavily weighted row: the tails tanh -> 1
    a, *_ = np.linalg.lstsq(rows, np.r_[np.tanh(z), 1e3], rcond=None)
    return b, a


def _williams(G: np.ndarray, q1: np.ndarray, q2: np.ndarray, s1: float = 1.0, s2: float = 1.0) -> np.ndarray:
    """E[erf(s1 u) erf(s2 v)] for (u, v) with covariance G, variances q1 (rows), q2 (columns)."""
    den = np.sqrt(np.outer(1.0 + 2.0 * s1 * s1 * q1, 1.0 + 2.0 * s2 * s2 * q2))
    return (2.0 / np.pi) * np.arcsin(np.clip(2.0 * s1 * s2 * G / den, -1.0, 1.0))


def nngp_kernel(family: str, X: np.ndarray) -> np.ndarray:
    """The infinite-width Gram matrix E_w[phi(w.x) phi(w.x')], w ~ N(0, I/d), from its formula."""
    d = X.shape[1]
    G = X @ X.T / d
    q = np.diag(G).copy()
    if family == "relu":
        nr = np.sqrt(q)
        outer = np.outer(nr, nr)
        cos = np.clip(G / np.where(outer > 0, outer, 1.0), -1.0, 1.0)
        th = np.arccos(cos)
        return outer / (2.0 * np.pi) * (np.sin(th) + (np.pi - th) * cos)
    if family == "erf":
        return _williams(G, q, q)
    if family == "tanh":
        b, a = _tanh_erf_mixture()
        K = np.zeros_like(G)
        for j in range(b.size):
            for l in range(j, b.size):
                T = a[j] * a[l] * _williams(G, q, q, b[j], b[l])
                K += T if j == l else T + T.T
        return K
    raise ValueError(f"unknown family {family!r}")


# ---------------------------------------------------------------------------------------------
# Similarity measures (on Gram matrices)
# ---------------------------------------------------------------------------------------------
def centred(K: np.ndarray) -> tuple[np.ndarray, float]:
    """H K H and its Frobenius norm."""
    Kc = K - K.mean(axis=0) - K.mean(axis=1)[:, None] + K.mean()
    return Kc, float(np.sqrt(np.sum(Kc * Kc)))


def cka_centred(a: tuple[np.ndarray, float], b: tuple[np.ndarray, float]) -> float:
    return float(np.sum(a[0] * b[0]) / (a[1] * b[1]))


def linear_cka(K: np.ndarray, L: np.ndarray) -> float:
    """Linear CKA of two Gram matrices (Kornblith et al. 2019)."""
    return cka_centred(centred(K), centred(L))


def knn_mask(K: np.ndarray, k: int) -> np.ndarray:
    """Boolean n x n: row i marks the k nearest neighbours of i by cosine similarity (self excluded)."""
    n = K.shape[0]
    nr = np.sqrt(np.maximum(np.diag(K), 1e-300))
    S = K / np.outer(nr, nr)
    np.fill_diagonal(S, -np.inf)
    idx = np.argpartition(-S, k - 1, axis=1)[:, :k]
    M = np.zeros((n, n), dtype=bool)
    M[np.arange(n)[:, None], idx] = True
    return M


def mutual_knn(MA: np.ndarray, MB: np.ndarray, k: int) -> float:
    return float(np.mean(np.sum(MA & MB, axis=1)) / k)


def _slope(widths: list[int], ys: list[float]) -> float | None:
    pts = [(w, y) for w, y in zip(widths, ys) if y > 0]
    big = [(w, y) for w, y in pts if w >= _SLOPE_MIN_WIDTH]
    use = big if len(big) >= 2 else pts
    if len(use) < 2 or len({w for w, _ in use}) < 2:
        return None
    return loglog_slope([w for w, _ in use], [y for _, y in use])


class Universality(Simulation):
    name = "universality"
    title = "Universality: CKA and mutual kNN"
    chapter = 6
    description = "Random-feature nets with different activations converge to the CKA of their NNGP kernels"
    citation = "Kornblith et al. 2019, arXiv:1905.00414; Huh et al. 2024, arXiv:2405.07987"
    predictable = {
        "same_family_slope": "log-log slope of 1 - CKA between two nets of the same activation against width "
                             "(theory: -1, 1 - CKA = O(1/m))",
        "cka_cross": "CKA between the first two activations at the largest width (theory: the CKA of their "
                     "infinite-width kernels, e.g. 0.959 for relu vs erf)",
    }
    metric_keys = ("max_width",)
    prediction_keys = ()
    series_x = {"cka": "widths", "mutual_knn": "widths"}
    series_index = {"cka": "pair", "mutual_knn": "pair"}
    params = (
        Param("widths", "int_list", (16, 64, 256, 1024, 2048), "hidden widths m (features per net)", min=4, max=4096),
        Param("families", "choice", "relu,erf", "activations compared (comma-joined set)", choices=FAMILY_CHOICES),
        Param("samples", "int", 400, "number of inputs n", min=50, max=800, step=50),
        Param("dim", "int", 8, "input dimension d", min=2, max=64, step=2),
        Param("k", "int", 10, "neighbours for mutual kNN", min=1, max=50, step=1),
        Param("seeds_per_width", "int", 3, "independent nets per family and width", min=2, max=6, step=1),
    )

    @classmethod
    def check(cls, values: dict[str, Any]) -> None:
        if values["k"] >= values["samples"]:
            raise ParamError(f"k: {values['k']} must be smaller than samples ({values['samples']})")

    # -----------------------------------------------------------------------------------------
    cost_coefficients = (0.00998, 0.000535, 1.5e-11)  # fitted: scripts/cost_model.py --fit

    @classmethod
    def cost_terms(cls, params: dict[str, Any]) -> tuple[float, float]:
        """For each width, seed and activation, the n x m features (in chunks) and their n x n gram;
        per width, the CKA and kNN comparisons of every pair of nets (each ~n^2 log n)."""
        import math

        n, d, s = int(params["samples"]), int(params["dim"]), int(params["seeds_per_width"])
        fams = len(params["families"].split(","))
        widths = sorted({int(w) for w in params["widths"]})
        features = sum(s * fams * (2.0 * n * d * m + 2.0 * n * n * m) for m in widths)
        pairs = fams * (fams - 1) // 2 * s * s + fams * s * (s - 1) // 2
        compare = len(widths) * (pairs + fams * s) * 10.0 * n * n * math.log2(n)
        iterations = sum(s * fams * (1 + m // _CHUNK) for m in widths) + len(widths) * (pairs + fams * s)
        return float(iterations), features + compare

    def run(self, params: dict[str, Any], seed: int = 0) -> Generator[Frame, None, Result]:
        widths = sorted({int(w) for w in params["widths"]})
        fams = params["families"].split(",")
        n, d, k, S = int(params["samples"]), int(params["dim"]), int(params["k"]), int(params["seeds_per_width"])
        rng = np.random.default_rng(seed)
        X = rng.normal(size=(n, d))

        cross = [f"{a}~{b}" for a, b in combinations(fams, 2)]
        same = [f"{a}~{a}" for a in fams]
        pairs = cross + same
        ser: dict[str, Any] = {"widths": [], "cka": {p: [] for p in pairs}, "mutual_knn": {p: [] for p in pairs}}
        pred: dict[str, Any] = {}
        total = len(widths) * len(fams) * S
        done = 0

        def frame(msg: str = "") -> Frame:
            return Frame(
                step=done, total=total,
                series={"widths": list(ser["widths"]),
                        "cka": {p: list(v) for p, v in ser["cka"].items()},
                        "mutual_knn": {p: list(v) for p, v in ser["mutual_knn"].items()}},
                prediction={key: (dict(v) if isinstance(v, dict) else v) for key, v in pred.items()},
                message=msg)

        yield frame("computing limiting kernels")
        throttle = Throttle(0.05)
        throttle()

        # ---- prediction: the infinite-width kernels ----
        Kinf = {}
        for f in fams:
            Kinf[f] = nngp_kernel(f, X)
            yield frame(f"kernel {f}")
        cinf = {f: centred(Kinf[f]) for f in fams}
        minf = {f: knn_mask(Kinf[f], k) for f in fams}
        pred["cka"] = {f"{a}~{b}": cka_centred(cinf[a], cinf[b]) for a, b in combinations(fams, 2)}
        pred["mutual_knn"] = {f"{a}~{b}": mutual_knn(minf[a], minf[b], k) for a, b in combinations(fams, 2)}
        for p in same:
            pred["cka"][p] = 1.0
            pred["mutual_knn"][p] = 1.0
        pred["same_family_slope"] = -1.0
        pred["cka_cross"] = pred["cka"][cross[0]]
        yield frame("limits computed")

        # ---- measurement ----
        for m in widths:
            cen: dict[tuple[str, int], tuple[np.ndarray, float]] = {}
            msk: dict[tuple[str, int], np.ndarray] = {}
            for s in range(S):
                for f in fams:
                    W = rng.normal(scale=1.0 / np.sqrt(d), size=(d, m))
                    G = np.zeros((n, n))
                    for c0 in range(0, m, _CHUNK):
                        F = _ACT[f](X @ W[:, c0 : c0 + _CHUNK])
                        G += F @ F.T
                        if throttle():
                            yield frame(f"m = {m}")
                    G /= m
                    cen[f, s] = centred(G)
                    msk[f, s] = knn_mask(G, k)
                    done += 1
                    if throttle():
                        yield frame(f"m = {m}")
            for a, b in combinations(fams, 2):
                combos = [(s, t) for s in range(S) for t in range(S)]
                ser["cka"][f"{a}~{b}"].append(float(np.mean([cka_centred(cen[a, s], cen[b, t]) for s, t in combos])))
                ser["mutual_knn"][f"{a}~{b}"].append(
                    float(np.mean([mutual_knn(msk[a, s], msk[b, t], k) for s, t in combos])))
            for a in fams:
                combos = list(combinations(range(S), 2))
                ser["cka"][f"{a}~{a}"].append(float(np.mean([cka_centred(cen[a, s], cen[a, t]) for s, t in combos])))
                ser["mutual_knn"][f"{a}~{a}"].append(
                    float(np.mean([mutual_knn(msk[a, s], msk[a, t], k) for s, t in combos])))
            ser["widths"].append(m)
            yield frame(f"m = {m} done")

        return self._result(params, seed, ser, pred, cross, same)

    # -----------------------------------------------------------------------------------------
    def _result(self, params: dict[str, Any], seed: int, ser: dict[str, Any], pred: dict[str, Any],
                cross: list[str], same: list[str]) -> Result:
        widths = ser["widths"]
        mmax = widths[-1]
        slopes = {p.split("~")[0]: _slope(widths, [1.0 - c for c in ser["cka"][p]]) for p in same}
        good = [s for s in slopes.values() if s is not None]
        slope = float(np.mean(good)) if good else None
        gaps = {p: abs(ser["cka"][p][-1] - pred["cka"][p]) for p in cross}
        worst = max(gaps, key=gaps.get)
        mk = {p: v for p, v in ser["mutual_knn"].items()}
        mk_mean = [float(np.mean([mk[p][i] for p in mk])) for i in range(len(widths))]
        ck_mean = [float(np.mean([ser["cka"][p][i] for p in ser["cka"]])) for i in range(len(widths))]
        metrics: dict[str, Any] = {
            "cka_final": {p: v[-1] for p, v in ser["cka"].items()},
            "mutual_knn_final": {p: v[-1] for p, v in ser["mutual_knn"].items()},
            "same_family_slope": slope,
            "same_family_slopes": slopes,
            "cka_cross_gap": gaps,
            "cka_cross": ser["cka"][cross[0]][-1],
            "max_width": mmax,
        }
        grows = len(widths) >= 2 and mk_mean[-1] > mk_mean[0] and ck_mean[-1] > ck_mean[0]
        # judged on the numbers as the verdict shows them (see base.shown)
        slope_ok = slope is not None and at_most(abs(shown(slope, ".2f") + 1), _SLOPE_TOL)
        gap_shown = abs(shown(ser["cka"][worst][-1], ".3f") - shown(pred["cka"][worst], ".3f"))
        a, b = worst.split("~")
        text = (f"1 - CKA of same-activation nets ~ m^{slope:.2f} (theory m^-1 +- {_SLOPE_TOL:g}); "
                if slope is not None else "")
        text += (f"{a} vs {b}: CKA {ser['cka'][worst][-1]:.3f} at m={mmax} vs {pred['cka'][worst]:.3f} "
                 "at infinite width")
        agrees: bool | None
        if len(widths) < 2 or mmax < _MIN_WIDTH_FOR_LIMIT:
            agrees = None
            text += f": inconclusive below m = {_MIN_WIDTH_FOR_LIMIT}"
        else:
            agrees = bool(at_most(gap_shown, _GAP_TOL) and slope_ok and grows)
            if agrees:
                text += ": agrees"
            else:
                why = [w for w, bad in ((f"off by more than {_GAP_TOL}", not at_most(gap_shown, _GAP_TOL)),
                                        ("slope off", not slope_ok),
                                        ("similarity does not grow", not grows)) if bad]
                text += ": disagrees (" + ", ".join(why) + ")"
        return Result(sim=self.name, params=dict(params), seed=seed, series=ser, metrics=metrics,
                      prediction=pred, verdict=text, agrees=agrees)

    # -----------------------------------------------------------------------------------------
    def chart(self, data: Frame | Result, params: dict[str, Any]) -> Chart:
        ser = data.series or {}
        pred = data.prediction or {}
        widths = list(ser.get("widths", []))
        fams = str(params.get("families", "relu,erf")).split(",")
        cross = [f"{a}~{b}" for a, b in combinations(fams, 2)]
        same = [f"{a}~{a}" for a in fams]
        many = len(cross) + len(same) > 5  # three families: the cross pairs and the mean of the same pairs
        # panel 1: 1 - CKA on log-log axes, where the O(1/m) law is a straight line of slope -1 and each
        # cross pair levels off at its infinite-width value
        p1 = Panel("1 - CKA vs width", xlabel="width m", ylabel="1 - CKA", xlog=True, ylog=True)
        cka = ser.get("cka", {})
        if widths and cka:
            for p in (cross if many else cross + same):
                if p in cka and len(cka[p]) == len(widths):
                    p1.lines.append(Line(p, widths, [1.0 - v for v in cka[p]], "measured"))
            same_gap = [float(np.mean([1.0 - cka[p][i] for p in same if p in cka and len(cka[p]) == len(widths)]))
                        for i in range(len(widths))] if all(p in cka and len(cka[p]) == len(widths) for p in same) else []
            if many and same_gap:
                p1.lines.append(Line("same (mean)", widths, same_gap, "measured"))
            if len(widths) >= 2 and same_gap and same_gap[-1] > 0:
                m_ref, g_ref = widths[-1], same_gap[-1]
                p1.lines.append(Line("slope -1", widths, [g_ref * m_ref / m for m in widths], "theory"))
        for p in cross:
            if p in pred.get("cka", {}):
                p1.hlines.append((1.0 - float(pred["cka"][p]), f"inf {p}"))
        # panel 2: mutual kNN, with the infinite-width values
        p2 = Panel("mutual kNN vs width", xlabel="width m", ylabel="mutual kNN", xlog=True)
        mk = ser.get("mutual_knn", {})
        if widths and mk:
            for p in (cross if many else cross + same):
                if p in mk and len(mk[p]) == len(widths):
                    p2.lines.append(Line(p, widths, list(mk[p]), "measured"))
            if many and all(p in mk and len(mk[p]) == len(widths) for p in same):
                ys = [float(np.mean([mk[p][i] for p in same])) for i in range(len(widths))]
                p2.lines.append(Line("same (mean)", widths, ys, "measured"))
        for p in cross:
            if p in pred.get("mutual_knn", {}):
                p2.hlines.append((float(pred["mutual_knn"][p]), f"inf {p}"))
        if pred.get("mutual_knn") and len(cross) == 1:  # with 3 families the legend is full already
            p2.hlines.append((1.0, "inf same"))
        panels = [p1, p2]
        if isinstance(data, Result):
            caption = data.verdict
        else:
            caption = data.message or "starting"
            if widths:
                caption = f"widths done: {','.join(str(w) for w in widths)}"
        return Chart(panels, caption)
