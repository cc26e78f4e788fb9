"""double_descent: the test risk of min-norm least squares peaks at p = n (Belkin, Hsu & Xu 2020)
and follows their closed form away from it; a well-chosen ridge removes the peak."""

import math

import numpy as np
import pytest

from lmtui.sims import Frame, ParamError, get, run_to_end
from lmtui.sims.double_descent import DoubleDescent, bhx_risk, ridge_risk

SIM = get("double_descent")


@pytest.fixture(scope="module")
def default():
    return run_to_end(SIM, seed=0)


def _far(result, n):
    p = np.array(result.series["features"])
    measured = np.array(result.series["risk"])
    theory = np.array([math.nan if v is None else v for v in result.prediction["risk"]])
    far = np.abs(p - n) > 3
    return p, measured, theory, far


def test_peak_at_the_interpolation_threshold(default):
    n = default.params["samples"]
    assert abs(default.metrics["peak_features"] - n) <= 1
    assert default.prediction["peak_features"] == n
    # a spike, not a bump: the risk near p = n dwarfs the rest
    assert default.metrics["spike_ratio"] > 10
    assert default.agrees is True and f"peaks at p = {default.metrics['peak_features']}" in default.verdict


@pytest.mark.parametrize(("overrides", "seed"), [({}, 0), ({"samples": 30, "max_features": 80, "noise": 1.0}, 1)])
def test_measured_risk_follows_the_closed_form_away_from_the_threshold(default, overrides, seed):
    r = default if not overrides else run_to_end(SIM, overrides, seed=seed)
    n = r.params["samples"]
    p, measured, theory, far = _far(r, n)
    assert np.all(np.isfinite(theory[far]))
    rel = np.abs(measured[far] / theory[far] - 1)
    assert rel.max() < 0.15, (p[far][np.argmax(rel)], rel.max())
    assert r.metrics["max_rel_dev_far"] == pytest.approx(rel.max())
    # both sides of the threshold are there: the second descent is real
    assert measured[(p > n + 3)].min() < measured[(p < n - 3) & (p > n // 2)].max()


def test_formula_is_undefined_only_next_to_the_threshold(default):
    n = default.params["samples"]
    undefined = [p for p, v in zip(default.prediction["features"], default.prediction["risk"]) if v is None]
    assert undefined == [n - 1, n, n + 1]


def test_a_well_chosen_ridge_removes_the_peak():
    # Nakkiran et al.: the optimal ridge at p features is p s^2/|beta_T|^2 = D(1 + sigma^2) - p; at p = n: 85
    r = run_to_end(SIM, {"ridge": 85}, seed=0)
    risk = np.array(r.series["risk"])
    assert np.all(np.diff(risk) <= 1e-9)  # falls monotonically in p: no peak at all
    assert r.metrics["spike_ratio"] < 1.2
    theory = np.array(r.prediction["risk"], float)
    assert np.max(np.abs(risk / theory - 1)) < 0.05  # the ridge asymptotics hold at n = 40
    assert r.agrees is True and "peak is gone" in r.verdict
    # a small ridge already flattens the spike, though the curve is no longer monotone
    small = run_to_end(SIM, {"ridge": 5, "trials": 100}, seed=0)
    assert small.metrics["spike_ratio"] < 1.5


def test_risk_is_computed_exactly_from_w_hat():
    """One trial, rebuilt here from the same draws: min-norm lstsq, and a Monte Carlo test set."""
    n, D, sigma, seed = 12, 30, 0.7, 4
    r = run_to_end(SIM, {"samples": n, "max_features": D, "noise": sigma, "trials": 1}, seed=seed)
    rng = np.random.default_rng(seed)
    beta = rng.choice([-1.0, 1.0], D) / math.sqrt(D)
    X = rng.standard_normal((1, n, D))[0]
    y = X @ beta + sigma * rng.standard_normal((1, n))[0]
    test = np.random.default_rng(99).standard_normal((200_000, D))
    y_test = test @ beta + sigma * np.random.default_rng(98).standard_normal(200_000)
    for p in (3, n - 1, n, n + 1, 2 * n, D):
        w = np.linalg.lstsq(X[:, :p], y, rcond=None)[0]
        exact = np.sum((beta[:p] - w) ** 2) + np.sum(beta[p:] ** 2) + sigma**2
        assert r.series["risk"][p - 1] == pytest.approx(exact, rel=1e-8)
        sampled = np.mean((y_test - test[:, :p] @ w) ** 2)
        assert sampled == pytest.approx(exact, rel=0.02)


def test_closed_forms():
    # Belkin-Hsu-Xu at p = n/2: s^2 (1 + p/(n - p - 1)), s^2 = |beta_Tc|^2 + sigma^2
    assert bhx_risk(20, 40, 0.2, 0.8, 0.25) == pytest.approx(1.05 * (1 + 20 / 19))
    assert bhx_risk(60, 40, 0.6, 0.4, 0.25) == pytest.approx(0.6 * (1 - 40 / 60) + 0.65 * (1 + 40 / 19))
    assert bhx_risk(39, 40, 0.4, 0.6, 0.25) is None and bhx_risk(41, 40, 0.4, 0.6, 0.25) is None
    # the ridge asymptotics tend to the proportional limit of min-norm least squares as lambda -> 0
    # (gamma = p/n: s^2 (1 + gamma/(1 - gamma)) below 1, |beta_T|^2 (1 - 1/gamma) + s^2 (1 + 1/(gamma - 1)) above)
    n = 1000
    assert ridge_risk(500, n, 1e-4, 0.2, 0.8, 0.25) == pytest.approx(1.05 * (1 + 0.5 / 0.5), rel=1e-3)
    assert ridge_risk(2000, n, 1e-4, 0.6, 0.4, 0.25) == pytest.approx(0.6 * 0.5 + 0.65 * (1 + 1 / 1), rel=1e-3)
    # and to the null predictor (risk = everything) as lambda -> infinity
    assert ridge_risk(50, 40, 1e9, 0.3, 0.7, 0.25) == pytest.approx(1.25, rel=1e-4)


def test_more_samples_than_features_has_no_threshold():
    r = run_to_end(SIM, {"samples": 60, "max_features": 40, "trials": 50}, seed=0)
    assert r.agrees is None and "below the threshold" in r.verdict
    assert r.metrics["max_rel_dev_far"] < 0.1 and r.metrics["spike_ratio"] is None  # no p near n


def test_frames_stream_and_charts_draw(default):
    params = SIM.resolve({"trials": 200})
    runner = SIM.start(params)
    first = next(runner)
    assert isinstance(first, Frame) and first.series["risk"] == []
    frames = [first, *runner]
    assert len(frames) >= 2
    for f in frames:
        SIM.chart(f, runner.params)
    chart = SIM.chart(default, default.params)
    (panel,) = chart.panels
    assert chart.caption == default.verdict and panel.ylog
    assert panel.vlines == [(40.0, "p = n = 40")]
    kinds = {ln.label: ln.kind for ln in panel.lines}
    assert kinds["measured"] == "measured" and kinds["Belkin et al."] == "theory"
    # the heavy-tailed average at p ~ n is drawn at the top of a readable axis, marked as off the chart
    off = next(ln for ln in panel.lines if ln.label == "off the chart")
    assert off.marker == "^" and 40 in off.x and panel.ylim[1] == off.y[0]


def test_deterministic_and_seeded():
    small = {"samples": 10, "max_features": 25, "trials": 20}
    a, b, c = (run_to_end(SIM, small, seed=s) for s in (3, 3, 4))
    assert a.series == b.series and a.series["risk"] != c.series["risk"]


def test_parameter_validation():
    for bad in ({"samples": 2}, {"max_features": 1000}, {"noise": -1}, {"ridge": -1}, {"trials": 0}):
        with pytest.raises(ParamError):
            DoubleDescent.resolve(bad)
    assert DoubleDescent.resolve({"ridge": "50"})["ridge"] == 50
