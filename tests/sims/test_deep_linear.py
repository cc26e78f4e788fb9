"""deep_linear: GD on a deep linear net vs Saxe's per-mode ODE du/dt = L u^{2-2/L} (lambda - u)."""

import math
import time

import numpy as np
import pytest
from scipy.integrate import quad

from lmtui.sims import Chart, Frame, ParamError, get, run_to_end
from lmtui.sims.deep_linear import DeepLinear


def ode_half_time(lam: float, u0: float, L: int) -> float:
    """t_half = integral from u0 to lam/2 of du / (L u^{2-2/L} (lam - u)), by quadrature (in log u)."""
    f = lambda s: 1.0 / (L * math.exp(s) ** (1 - 2 / L) * (lam - math.exp(s)))  # noqa: E731
    return quad(f, math.log(u0), math.log(lam / 2), epsabs=0, epsrel=1e-10, limit=200)[0]


@pytest.mark.parametrize("depth,u0", [(2, 1e-4), (3, 1e-3), (4, 1e-2)])
def test_aligned_half_times_match_ode(depth, u0):
    lam = (6.0, 2.0, 1.0)
    r = run_to_end(get("deep_linear"), {"depth": depth, "init_scale": u0, "target_sv": lam})
    assert r.diverged_at is None
    dt = r.metrics["record_interval"]
    for i, l in enumerate(lam):
        t_theory = ode_half_time(l, u0, depth)
        if depth == 2:  # the logistic closed form
            assert math.isclose(t_theory, math.log(l / u0 - 1) / (2 * l), rel_tol=1e-7)
        assert math.isclose(r.prediction["half_times"][i], t_theory, rel_tol=1e-5)
        measured = r.metrics["half_times"][i]
        assert measured is not None
        assert abs(measured - t_theory) <= max(0.03 * t_theory, dt), (i, measured, t_theory)
    # the whole curve: sup_t |u_emp - u_ODE| <= 0.10 lambda
    t = np.asarray(r.series["t"])
    sv = np.asarray(r.series["sv"])
    u_th = np.asarray(r.prediction["sv"])
    assert u_th.shape == sv.shape and np.allclose(r.prediction["t"], t)
    assert np.max(np.abs(sv - u_th) / np.asarray(lam)) <= 0.10
    assert sv[-1, -1] > 0.9 * lam[-1]  # auto steps: every mode learned within the run
    assert r.agrees is True


def test_deeper_nets_have_longer_plateaus_at_small_init():
    # t_half ~ u0^{-(L-2)/L} / ((L-2) lambda): at u0 = 1e-3 the top mode waits longer as depth grows
    tops = [run_to_end(get("deep_linear"), {"depth": L, "target_sv": (6.0,)}).metrics["top_half_time"]
            for L in (2, 3, 4)]
    assert tops[0] < tops[1] < tops[2]
    assert abs(tops[1] - ode_half_time(6.0, 1e-3, 3)) < 0.05 * tops[1]


def test_random_init_learns_largest_first():
    r = run_to_end(get("deep_linear"), {"init": "random"})
    half = r.metrics["half_times"]
    assert all(h is not None for h in half)
    assert all(b > a for a, b in zip(half, half[1:]))  # target_sv is decreasing
    assert r.metrics["learned_in_order"] is True
    # half-times stay within a factor 2 of the L = 2 logistic from u0 = sigma_i(P(0)) (qualitative)
    for h, u0, lam in zip(half, r.prediction["u0"], r.prediction["target_sv"]):
        assert 0.5 < h / (math.log(lam / u0 - 1) / (2 * lam)) < 2.0


def test_divergence():
    r = run_to_end(get("deep_linear"), {"lr": 0.3})
    assert isinstance(r.diverged_at, int)
    assert "diverged" in r.verdict
    assert r.agrees is False
    assert np.all(np.isfinite(np.asarray(r.series["sv"], float)))
    assert np.all(np.isfinite(r.series["loss"]))
    assert len(r.prediction["sv"]) == len(r.series["sv"])


def test_determinism():
    over = {"init": "random", "steps": 300, "target_sv": (6, 3, 1)}
    a = run_to_end(get("deep_linear"), over, seed=1)
    b = run_to_end(get("deep_linear"), over, seed=1)
    c = run_to_end(get("deep_linear"), over, seed=2)
    assert a.series == b.series and a.metrics == b.metrics
    assert a.series["sv"] != c.series["sv"]


def test_param_validation():
    for bad in ({"depth": 7}, {"depth": 1}, {"init": "orthogonal"}, {"lr": 0}, {"target_sv": ""},
                {"init_scale": 0.4, "target_sv": (6, 0.5)}, {"unknown": 3}):
        with pytest.raises(ParamError):
            DeepLinear.resolve(bad)


def test_first_frame_and_charts():
    sim = get("deep_linear")
    runner = sim.start()
    t0 = time.perf_counter()
    first = next(runner)
    assert time.perf_counter() - t0 < 0.3
    assert isinstance(first, Frame)
    assert isinstance(sim.chart(first, runner.params), Chart)
    frames = [first]
    for f in runner:
        frames.append(f)
    assert isinstance(sim.chart(frames[len(frames) // 2], runner.params), Chart)
    result = runner.result
    chart = sim.chart(result, runner.params)
    assert chart.caption == result.verdict
    assert len(chart.panels) == 2
    for panel in chart.panels:
        assert len(panel.lines) <= 6
        for line in panel.lines:
            assert 0 < len(line.x) == len(line.y) <= 200


@pytest.mark.parametrize("ov", [{}, {"depth": 3}, {"init": "random"}, {"init": "random", "depth": 3}])
def test_balanced_layers_share_each_singular_value(ov):
    """The conserved W_{l+1}^T W_{l+1} - W_l W_l^T is ~0 from a small or balanced start, so at
    convergence every layer carries lambda_i^(1/L): ||W_l||_F^2 = sum_i lambda_i^(2/L)."""
    r = run_to_end(get("deep_linear"), ov)
    depth = ov.get("depth", 2)
    lam = np.array([6.0, 4.0, 3.0, 2.0, 1.0, 0.5])
    assert r.prediction["layer_sq_norm"] == pytest.approx(np.sum(lam ** (2 / depth)))
    assert r.metrics["layer_sq_norm"] == pytest.approx(np.sum(lam ** (2 / depth)), rel=0.01)
    assert r.metrics["balance_drift"] < 1e-3  # conserved by the flow; GD's drift is O(lr^2) per step


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_silent_alignment_matches_the_linear_phase(seed):
    """Depth 2 from a small random start: the first layer has turned to the target's top input
    direction before the loss has moved (the top mode at 10%), as the linear early flow predicts."""
    r = run_to_end(get("deep_linear"), {"init": "random"}, seed=seed)
    measured, predicted = r.metrics["onset_alignment"], r.prediction["onset_alignment"]
    assert measured > 0.95
    assert abs(measured - predicted) < 0.01
    r = run_to_end(get("deep_linear"), {"init": "random", "init_scale": 0.01}, seed=seed)
    assert abs(r.metrics["onset_alignment"] - r.prediction["onset_alignment"]) < 0.03
    assert len(r.series["alignment"]) == len(r.series["t"])


def test_alignment_needs_a_small_start():
    """A larger start leaves less time before the loss moves: the alignment at onset is lower on average."""
    small = [run_to_end(get("deep_linear"), {"init": "random"}, seed=s).metrics["onset_alignment"] for s in range(3)]
    large = [run_to_end(get("deep_linear"), {"init": "random", "init_scale": 0.2}, seed=s).metrics["onset_alignment"]
             for s in range(3)]
    assert np.mean(large) < np.mean(small) - 0.2


def test_random_init_chart_shows_the_alignment_panel():
    sim = get("deep_linear")
    r = run_to_end(sim, {"init": "random"})
    chart = sim.chart(r, r.params)
    panel = chart.panels[1]
    assert panel.xlog and "alignment" in panel.title
    labels = [ln.label for ln in panel.lines]
    assert labels == ["loss/L0 GD", "loss/L0 ODE", "cos2(W1,v1)"]
    for line in panel.lines:
        assert all(x > 0 for x in line.x) and all(-1e-9 <= y <= 1.05 for y in line.y)
    aligned = sim.chart(run_to_end(sim, {"target_sv": "6,3"}), sim.resolve({"target_sv": "6,3"}))
    assert aligned.panels[1].ylog  # the aligned init keeps the loss panel


def test_imbalance_half_time_closed_form_matches_the_ode():
    from lmtui.sims.deep_linear import closed_form_half_time, mode_ode

    for lam, u0, delta in [(6.0, 1e-3, 10.0), (0.5, 1e-3, 10.0), (6.0, 1e-3, 1.0), (2.0, 0.01, 5.0)]:
        assert closed_form_half_time(lam, u0, 2, delta) == pytest.approx(mode_ode(lam, u0, 2, delta)[1], rel=1e-7)
    # a vanishing imbalance is the logistic
    assert closed_form_half_time(6.0, 1e-3, 2, 1e-9) == pytest.approx(math.log(6.0 / 1e-3 - 1) / 12.0, rel=1e-6)


@pytest.mark.parametrize("delta, spread_range", [(0.0, (7.0, 10.0)), (5.0, (1.1, 1.4)), (10.0, (1.0, 1.1))])
def test_imbalance_turns_the_staircase_into_one_relaxation(delta, spread_range):
    """Kunin et al.'s conserved a^2 - b^2 = delta: du/dt = sqrt(delta^2 + 4u^2)(lambda - u). Balanced, the
    smallest mode takes ~8.6x as long as the largest; with delta >> lambda every mode relaxes at ~delta."""
    r = run_to_end(get("deep_linear"), {"imbalance": delta})
    assert r.agrees is True, r.verdict
    spread, theory = r.metrics["half_time_spread"], r.prediction["half_time_spread"]
    assert spread_range[0] < theory < spread_range[1]
    assert spread == pytest.approx(theory, rel=0.03)
    # the imbalance is conserved by the flow; GD's O(lr^2) steps move it by well under 1% of the weights
    assert r.metrics["balance_drift"] < 5e-3


def test_imbalance_needs_the_aligned_two_layer_case():
    with pytest.raises(ParamError):
        DeepLinear.resolve({"imbalance": 5, "init": "random"})
    with pytest.raises(ParamError):
        DeepLinear.resolve({"imbalance": 5, "depth": 3})
    assert DeepLinear.resolve({"imbalance": 5})["imbalance"] == 5


def test_the_cost_estimate_solves_no_ode_and_a_rerun_solves_none_again(monkeypatch):
    """The cost estimate (taken in the interface before each run starts) integrates no ODE; a run
    solves its modes once, and a run again at the same settings reuses them."""
    import lmtui.sims.deep_linear as deep_linear

    sim = get("deep_linear")
    params = sim.resolve({"target_sv": [5.0, 3.0, 2.0], "init_scale": 0.0123, "init": "aligned", "steps": 0})
    calls = []
    real = deep_linear.solve_ivp
    monkeypatch.setattr(deep_linear, "solve_ivp", lambda *a, **k: (calls.append(1), real(*a, **k))[1])
    deep_linear.mode_ode.cache_clear()
    assert sim.estimate_seconds(params) > 0 and not calls
    run_to_end(sim, params)
    assert calls
    solved = len(calls)
    run_to_end(sim, params)
    assert len(calls) == solved


def test_the_cost_estimate_times_the_modes_as_the_ode_does():
    """The estimate made before a run (quadrature) and the run's ODE agree on every mode's 97% time."""
    from lmtui.sims.deep_linear import mode_ode, t97_quick

    for lam in (6.0, 1.0, 0.5):
        for u0 in (1e-8, 1e-3, 0.1):
            for depth, delta in ((2, 0.0), (2, 0.5), (3, 0.0), (6, 0.0)):
                exact = mode_ode(lam, u0, depth, delta)[2]
                assert t97_quick(lam, u0, depth, delta) == pytest.approx(exact, rel=3e-3), (lam, u0, depth, delta)
    assert t97_quick(1.0, 0.99, 2) == 0.0  # starts past 97%


def test_a_stiff_mode_is_solved_without_floating_point_warnings():
    """An imbalance with a tiny start (ds/dt ~ delta/u0) makes some trial steps overflow; they are
    rejected and shortened, quietly, and the result is right."""
    import warnings

    from lmtui.sims.deep_linear import mode_ode, t97_quick

    mode_ode.cache_clear()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        t97 = mode_ode(6.0, 1e-8, 2, 0.5)[2]
    assert t97 == pytest.approx(t97_quick(6.0, 1e-8, 2, 0.5), rel=3e-3)
