"""edge_of_stability: GD sharpness rises to 2/eta and hovers there (Cohen et al. 2021, arXiv:2103.00065)."""

import math

import pytest

from lmtui.sims import Frame, ParamError, Result, get, run_to_end
from lmtui.sims.edge_of_stability import EdgeOfStability


@pytest.fixture(scope="module")
def sim():
    return get("edge_of_stability")


@pytest.mark.parametrize("lr", [0.35, 0.4])
def test_sharpness_hovers_at_two_over_eta(sim, lr):
    r = run_to_end(sim, {"lr": lr})
    thr = 2.0 / lr
    assert r.prediction["threshold"] == pytest.approx(thr)
    m = r.metrics
    # the acceptance criterion, against the theory's 2/eta
    assert abs(m["sharpness_final_mean"] / thr - 1.0) <= 0.05, r.verdict
    assert m["sharpness_initial"] <= 0.5 * thr
    assert m["sharpness_max"] >= thr
    assert r.series["loss"][-1] <= 0.01 * r.series["loss"][0]
    assert r.agrees is True
    # edge-of-stability regime: the loss is not monotone after the crossing
    assert m["loss_increases_after_crossing"] > 0


def test_determinism(sim):
    ov = {"steps": 120, "samples": 40, "width": 8}
    r1, r2 = run_to_end(sim, ov, seed=1), run_to_end(sim, ov, seed=1)
    assert r1.series == r2.series
    r3 = run_to_end(sim, ov, seed=2)
    assert r3.series["loss"] != r1.series["loss"]


def test_param_validation():
    with pytest.raises(ParamError):
        EdgeOfStability.resolve({"lr": 0.0})
    with pytest.raises(ParamError):
        EdgeOfStability.resolve({"width": 1000})
    with pytest.raises(ParamError):
        EdgeOfStability.resolve({"momentum": 0.9})
    assert EdgeOfStability.resolve({"lr": "0.5"})["lr"] == 0.5


def test_divergence(sim):
    r = run_to_end(sim, {"lr": 20.0, "steps": 200})
    assert isinstance(r.diverged_at, int)
    assert "diverged" in r.verdict
    assert r.agrees is False
    for key in ("loss", "sharpness"):
        assert all(math.isfinite(v) for v in r.series[key])
    assert len(r.series["step"]) == len(r.series["loss"]) == r.diverged_at
    sim.chart(r, EdgeOfStability.resolve({"lr": 20.0}))


def test_frames_and_chart(sim):
    params = EdgeOfStability.resolve({"steps": 100, "samples": 40})
    gen = sim.run(params, seed=0)
    first = next(gen)
    assert isinstance(first, Frame)
    ch = sim.chart(first, params)
    assert len(ch.panels) == 2 and ch.caption
    try:
        while True:
            frame = next(gen)
    except StopIteration as stop:
        result = stop.value
    assert isinstance(result, Result)
    assert frame.series["loss"] == result.series["loss"]
    ch = sim.chart(result, params)
    assert ch.caption == result.verdict
    assert ch.panels[0].hlines[0][0] == pytest.approx(2.0 / params["lr"])
    for panel in ch.panels:
        for line in panel.lines:
            assert len(line.x) <= 200 and len(line.label) <= 14
    assert all(v > 0 for v in ch.panels[1].lines[0].y)
