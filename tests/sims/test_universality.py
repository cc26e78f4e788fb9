"""Representation universality (Kornblith et al. 2019): random-feature nets of different
activations converge to the CKA of their NNGP kernels; same-family 1 - CKA = O(1/m)."""

from __future__ import annotations

import math
import time

import numpy as np
import pytest

from lmtui.sims import Frame, ParamError, get, run_to_end
from lmtui.sims.universality import linear_cka, nngp_kernel

SIM = get("universality")


@pytest.fixture(scope="module")
def wide():
    return run_to_end(SIM, {"widths": "16,64,256,1024,4096", "seeds_per_width": 2}, seed=0)


def _gauss_hermite_kernel(act, X, nq=120):
    """Brute-force E_w[act(w.x) act(w.x')], w ~ N(0, I/d), by 2-D Gauss-Hermite quadrature."""
    d = X.shape[1]
    t, w = np.polynomial.hermite.hermgauss(nq)
    z, w = np.sqrt(2.0) * t, w / np.sqrt(np.pi)
    G = X @ X.T / d
    n = len(X)
    K = np.empty((n, n))
    for i in range(n):
        for j in range(n):
            a, b, c = G[i, i], G[j, j], G[i, j]
            al, be = c / np.sqrt(a), np.sqrt(max(b - c * c / a, 0.0))
            inner = act(al * z[:, None] + be * z[None, :]) @ w
            K[i, j] = (act(np.sqrt(a) * z) * inner) @ w
    return K


def _relu_kernel_by_quad(X):
    """ReLU: inner Gaussian expectation in closed form, outer 1-D integral over z1 > 0 by quad."""
    from scipy.integrate import quad
    from scipy.special import ndtr

    def pdf(x):
        return np.exp(-0.5 * x * x) / np.sqrt(2.0 * np.pi)

    d = X.shape[1]
    G = X @ X.T / d
    n = len(X)
    K = np.empty((n, n))
    for i in range(n):
        for j in range(i, n):
            a, b, c = G[i, i], G[j, j], G[i, j]
            al, be = c / np.sqrt(a), np.sqrt(max(b - c * c / a, 1e-300))

            def f(z):
                mu = al * z
                return np.sqrt(a) * z * (mu * ndtr(mu / be) + be * pdf(mu / be)) * pdf(z)

            K[i, j] = K[j, i] = quad(f, 0.0, np.inf, epsabs=1e-12, epsrel=1e-10)[0]
    return K


def _test_points():
    rng = np.random.default_rng(7)
    X = rng.normal(size=(5, 8)) * np.array([[0.3], [0.8], [1.0], [1.4], [1.9]])  # a range of norms
    X[4] = 0.9 * X[3] + 0.1 * X[4]  # a nearly parallel pair
    return X


@pytest.mark.parametrize("family", ["relu", "erf", "tanh"])
def test_limiting_kernels_match_quadrature(family):
    from scipy.special import erf

    X = _test_points()
    if family == "relu":
        ref = _relu_kernel_by_quad(X)
    else:
        ref = _gauss_hermite_kernel({"erf": erf, "tanh": np.tanh}[family], X)
    assert np.max(np.abs(nngp_kernel(family, X) - ref)) < 1e-6


def test_cross_family_cka_converges_to_kernel_value(wide):
    limit = wide.prediction["cka"]["relu~erf"]
    assert abs(limit - 0.959) < 0.01  # the analytic CKA of the ReLU and erf limiting kernels on this X
    assert wide.series["widths"][-1] == 4096
    assert abs(wide.series["cka"]["relu~erf"][-1] - limit) < 0.01
    # and it approaches the limit from far away at small width
    assert abs(wide.series["cka"]["relu~erf"][0] - limit) > 0.1


def test_same_family_deviation_is_order_one_over_m(wide):
    widths = np.array(wide.series["widths"])
    big = widths >= 256
    for fam in ("relu", "erf"):
        dev = 1.0 - np.array(wide.series["cka"][f"{fam}~{fam}"])
        slope = np.polyfit(np.log(widths[big]), np.log(dev[big]), 1)[0]
        assert -1.2 <= slope <= -0.8, (fam, slope)
    assert -1.2 <= wide.metrics["same_family_slope"] <= -0.8


def test_mutual_knn_grows_with_width(wide):
    for pair, vals in wide.series["mutual_knn"].items():
        assert vals[-1] > vals[0] + 0.3, pair
        assert all(b > a - 0.02 for a, b in zip(vals, vals[1:])), pair
        assert vals[-1] <= 1.0
    assert wide.agrees is True and "agrees" in wide.verdict


def test_same_kernel_cka_is_one():
    X = np.random.default_rng(1).normal(size=(50, 8))
    K = nngp_kernel("relu", X)
    assert math.isclose(linear_cka(K, 3.0 * K), 1.0, rel_tol=1e-12)


def test_deterministic():
    small = {"widths": "16,64", "samples": 100, "families": "relu,tanh"}
    a = run_to_end(SIM, small, seed=5)
    b = run_to_end(SIM, small, seed=5)
    c = run_to_end(SIM, small, seed=6)
    assert a.series == b.series and a.prediction == b.prediction
    assert a.series["cka"] != c.series["cka"]


def test_parameter_validation():
    with pytest.raises(ParamError):
        SIM.resolve({"widths": "0,16"})
    with pytest.raises(ParamError):
        SIM.resolve({"families": "relu,gelu"})
    with pytest.raises(ParamError):
        SIM.resolve({"samples": 10})
    with pytest.raises(ParamError):
        SIM.resolve({"k": 50, "samples": 50})
    with pytest.raises(ParamError):
        SIM.resolve({"depth": 3})
    assert SIM.resolve({"families": "relu,erf,tanh"})["families"] == "relu,erf,tanh"


def test_tiny_nets_stay_finite():
    # with 4 ReLU features some inputs have all-zero features: no NaN may appear
    r = run_to_end(SIM, {"widths": "4,8", "samples": 60, "k": 5}, seed=2)
    for key in ("cka", "mutual_knn"):
        for vals in r.series[key].values():
            assert all(math.isfinite(v) for v in vals)
    assert r.agrees is None and "inconclusive" in r.verdict


def test_first_frame_and_charts(wide):
    runner = SIM.start({"families": "relu,erf,tanh", "widths": "16,64"})
    t0 = time.perf_counter()
    frame = next(runner)
    assert time.perf_counter() - t0 < 0.3
    assert isinstance(frame, Frame)
    assert SIM.chart(frame, runner.params).panels
    frames = [f for f in runner]
    chart = SIM.chart(frames[-1], runner.params)
    assert all(len(p.lines) <= 5 for p in chart.panels)
    assert SIM.chart(runner.result, runner.params).caption == runner.result.verdict
    assert SIM.chart(Frame(step=0, total=1, series={}), SIM.defaults()).panels
    chart = SIM.chart(wide, wide.params)
    assert len(chart.panels) == 2 and chart.caption == wide.verdict
    one_minus, knn = chart.panels
    assert one_minus.ylog and one_minus.title == "1 - CKA vs width"
    # the infinite-width cross-family value, as 1 - CKA; the same-family O(1/m) law as slope -1
    assert any(abs(y - (1 - wide.prediction["cka"]["relu~erf"])) < 1e-12 for y, _ in one_minus.hlines)
    guide = next(ln for ln in one_minus.lines if ln.kind == "theory")
    assert guide.y[0] / guide.y[-1] == pytest.approx(guide.x[-1] / guide.x[0])
    assert any(abs(y - wide.prediction["mutual_knn"]["relu~erf"]) < 1e-12 for y, _ in knn.hlines)
    # every measured pair is drawn, so the legend names nothing that is not shown
    for panel in chart.panels:
        assert {ln.label for ln in panel.lines if ln.kind == "measured"} == {"relu~erf", "relu~relu", "erf~erf"}
    for panel in chart.panels:
        assert panel.xlog and 1 <= len(panel.lines) <= 5
        for line in panel.lines:
            assert len(line.x) == len(line.y) <= 200 and all(x > 0 for x in line.x)
