"""lazy_rich: weights move ~1/alpha and the network approaches its linearization (Chizat et al. 2019)."""

import time

import numpy as np
import pytest

from lmtui.sims import Chart, Frame, ParamError, get, run_to_end
from lmtui.sims.lazy_rich import LazyRich


def test_lazy_scaling_and_rich_side():
    alphas = (0.125, 4.0, 16.0, 64.0)
    r = run_to_end(get("lazy_rich"), {"alphas": alphas, "width": 256, "steps": 2000})
    assert r.diverged_at is None
    relw = dict(zip(alphas, r.metrics["rel_weight_change"]))
    relk = dict(zip(alphas, r.metrics["rel_kernel_change"]))
    gap = dict(zip(alphas, r.metrics["lin_gap"]))
    lazy = [4.0, 16.0, 64.0]
    slope_w = np.polyfit(np.log(lazy), np.log([relw[a] for a in lazy]), 1)[0]
    slope_k = np.polyfit(np.log(lazy), np.log([relk[a] for a in lazy]), 1)[0]
    assert abs(slope_w - (-1.0)) <= 0.05, slope_w  # ||theta - theta0|| = O(1/alpha)
    assert abs(slope_k - (-1.0)) <= 0.25, slope_k
    assert gap[64.0] < 2e-3
    assert gap[4.0] > gap[16.0] > gap[64.0]  # the network approaches its linearization
    assert relk[0.125] > 0.5  # rich: the tangent kernel itself changes by O(1)
    assert r.prediction["weight_change_slope"] == -1.0
    # the finite-time NTK prediction is a sensible fit of sin 3x, the same object for every alpha
    kf = np.asarray(r.series["kernel_fit"])
    assert np.max(np.abs(kf - np.sin(3 * np.asarray(r.series["x"])))) < 0.15
    assert len(r.series["fits"]) == len(alphas) and all(len(f) == len(kf) for f in r.series["fits"])


def test_determinism():
    over = {"alphas": (0.5, 8), "width": 32, "steps": 100}
    a = run_to_end(get("lazy_rich"), over, seed=5)
    b = run_to_end(get("lazy_rich"), over, seed=5)
    c = run_to_end(get("lazy_rich"), over, seed=6)
    assert a.series == b.series and a.metrics == b.metrics
    assert a.series["fits"] != c.series["fits"]


def test_param_validation():
    for bad in ({"alphas": "0"}, {"alphas": "1,2,3,4,5,6,7"}, {"width": 4}, {"steps": 0},
                {"lr_scale": 0}, {"lr_scale": 1e3}, {"depth": 2}):
        with pytest.raises(ParamError):
            LazyRich.resolve(bad)


def test_divergence():
    r = run_to_end(get("lazy_rich"), {"lr_scale": 30.0, "width": 64, "steps": 500})
    assert isinstance(r.diverged_at, int)
    assert "diverged" in r.verdict
    assert r.agrees is False
    assert np.all(np.isfinite(np.asarray(r.series["fits"], float)))


def test_first_frame_and_charts():
    sim = get("lazy_rich")
    runner = sim.start()
    t0 = time.perf_counter()
    first = next(runner)
    assert time.perf_counter() - t0 < 0.3
    assert isinstance(first, Frame)
    assert isinstance(sim.chart(first, runner.params), Chart)
    frames = [first, *runner]
    assert len(frames) >= 3
    assert isinstance(sim.chart(frames[len(frames) // 2], runner.params), Chart)
    result = runner.result
    chart = sim.chart(result, runner.params)
    assert chart.caption == result.verdict
    assert [p.title for p in chart.panels] == ["fits on [-1, 1]", "how far training moved"]
    # every alpha is drawn and named (at most four; the defaults have four)
    assert [ln.label for ln in chart.panels[0].lines if ln.kind == "measured"] == [
        f"alpha={a:g}" for a in sorted(runner.params["alphas"])]
    for panel in chart.panels:
        assert len(panel.lines) <= 6
        for line in panel.lines:
            assert 0 < len(line.x) == len(line.y) <= 200
            if panel.xlog:
                assert min(line.x) > 0
            if panel.ylog:
                assert min(line.y) > 0
