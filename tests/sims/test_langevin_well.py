"""langevin_well: stationary variance of noisy GD in a quadratic well, GD decay, divergence at eta*k > 2."""

import math
import time

import numpy as np
import pytest

from lmtui.sims import Chart, Frame, ParamError, get, run_to_end
from lmtui.sims.langevin_well import LangevinWell


@pytest.mark.parametrize("k,lr,T", [(1.0, 0.1, 0.5), (2.0, 0.6, 1.0), (0.5, 0.05, 0.2)])
def test_stationary_variance_matches_exact_discrete_formula(k, lr, T):
    r = run_to_end(get("langevin_well"), {"k": k, "lr": lr, "temperature": T, "walkers": 4000, "steps": 600})
    exact = 2 * lr * T / (1 - (1 - lr * k) ** 2)  # = T / (k (1 - lr k / 2))
    assert math.isclose(exact, T / (k * (1 - lr * k / 2)), rel_tol=1e-12)
    var = r.metrics["var_measured"]
    assert abs(var / exact - 1) < 0.05, (var, exact)
    assert r.agrees is True


def test_large_step_inflates_variance_beyond_boltzmann():
    # eta*k = 1.5: the discrete chain's variance is T/(k(1-0.75)) = 4 T/k, not the Boltzmann T/k
    r = run_to_end(get("langevin_well"), {"k": 1.0, "lr": 1.5, "temperature": 1.0, "walkers": 4000, "steps": 400})
    assert abs(r.metrics["var_measured"] / 4.0 - 1) < 0.05
    assert abs(r.metrics["var_measured"] - 1.0) > 1.0


def test_gd_mean_decays_geometrically_at_zero_temperature():
    k, lr, th0 = 1.3, 0.2, 2.5
    r = run_to_end(get("langevin_well"), {"k": k, "lr": lr, "temperature": 0, "theta0": th0, "steps": 200})
    t = np.asarray(r.series["step"])
    expected = (1 - lr * k) ** t * th0
    assert np.max(np.abs(np.asarray(r.series["mean"]) - expected)) <= 1e-12 * th0
    assert max(r.series["var"]) < 1e-20 * th0**2  # identical walkers: zero up to rounding
    assert r.agrees is True


def test_mean_follows_theory_with_noise():
    r = run_to_end(get("langevin_well"), {"walkers": 4000, "steps": 200})
    # each recorded mean is within 4.5 standard errors (sqrt(var_t / W)) of (1 - eta k)^t theta0
    assert r.metrics["mean_max_z"] < 4.5


def test_double_well_boltzmann_and_exact_chain():
    r = run_to_end(get("langevin_well"), {"potential": "double_well", "temperature": 0.5, "walkers": 3000, "steps": 1500})
    pred = r.prediction
    # Boltzmann <theta^2> for exp(-(theta^2-1)^2/(8T)) by independent quadrature
    g = np.linspace(-8, 8, 200001)
    w = np.exp(-((g * g - 1) ** 2) / (8 * 0.5))
    vb = float(np.sum(g * g * w) / np.sum(w))
    assert abs(pred["var_boltzmann"] / vb - 1) < 1e-6
    assert abs(r.metrics["var_measured"] / pred["var_stationary"] - 1) < 0.05
    assert abs(r.metrics["var_measured"] / vb - 1) < 0.1  # eta*k = 0.1: close to the eta -> 0 limit


@pytest.mark.parametrize("lr", [2.5, 2.2])
def test_eta_k_above_two_diverges(lr):
    r = run_to_end(get("langevin_well"), {"k": 1.0, "lr": lr, "temperature": 0.5})
    assert isinstance(r.diverged_at, int)
    assert "diverged" in r.verdict
    assert r.agrees is False
    for key in ("step", "mean", "var"):
        assert np.all(np.isfinite(r.series[key]))
    assert len(r.series["step"]) == len(r.series["mean"]) == len(r.prediction["mean"])


def test_just_below_two_is_stable():
    r = run_to_end(get("langevin_well"), {"k": 1.0, "lr": 1.9, "temperature": 0.5, "steps": 400})
    assert r.diverged_at is None


def test_determinism():
    a = run_to_end(get("langevin_well"), {"steps": 100}, seed=3)
    b = run_to_end(get("langevin_well"), {"steps": 100}, seed=3)
    c = run_to_end(get("langevin_well"), {"steps": 100}, seed=4)
    assert a.series == b.series
    assert a.metrics == b.metrics
    assert a.series["var"] != c.series["var"]


def test_param_validation():
    with pytest.raises(ParamError):
        LangevinWell.resolve({"lr": 0})
    with pytest.raises(ParamError):
        LangevinWell.resolve({"temperature": -1})
    with pytest.raises(ParamError):
        LangevinWell.resolve({"walkers": 1})
    with pytest.raises(ParamError):
        LangevinWell.resolve({"potential": "cubic"})
    with pytest.raises(ParamError):
        LangevinWell.resolve({"nonsense": 1})


def test_first_frame_and_charts():
    sim = get("langevin_well")
    runner = sim.start()
    t0 = time.perf_counter()
    first = next(runner)
    assert time.perf_counter() - t0 < 0.3
    assert isinstance(first, Frame)
    assert isinstance(sim.chart(first, runner.params), Chart)
    empty = Frame(0, 10, {"step": [], "mean": [], "var": []})
    assert isinstance(sim.chart(empty, runner.params), Chart)
    result = runner.run()
    chart = sim.chart(result, runner.params)
    assert chart.caption == result.verdict
    assert [p.title for p in chart.panels] == ["walkers: mean and variance", "where the walkers are (last half)"]
    for panel in chart.panels:
        assert len(panel.lines) <= 5
        for line in panel.lines:
            assert len(line.x) == len(line.y) <= 200
    # diverged result charts too
    bad = run_to_end(sim, {"lr": 3.0})
    assert isinstance(sim.chart(bad, sim.resolve({"lr": 3.0})), Chart)
