"""muP vs SP (Yang et al. 2022, TP5): learning-rate transfer across widths and the coordinate check."""

import json
import math
import time

import numpy as np
import pytest

from lmtui.sims import ParamError, get, run_to_end
from lmtui.sims.base import Chart, Frame, Result, Runner

SIM = "mup_transfer"
SMALL = {"widths": "64,128", "log2_lrs": "-2,-1,0", "steps": 20, "coord_widths": "16,32"}


@pytest.fixture(scope="module")
def default_result() -> Result:
    return run_to_end(get(SIM))


def _shift(ks):
    return max(ks) - min(ks)


def _check_transfer(r: Result, predicted_sp_shift: float) -> None:
    best = r.metrics["best_log2_lr"]
    assert None not in best["sp"] and None not in best["mup"]
    assert _shift(best["mup"]) <= 0.5  # theory: 0 (width-independent optimum)
    assert _shift(best["sp"]) >= 2.0  # theory: falls like 1/width (4 octaves over a 16x width range)
    assert best["sp"][-1] < best["sp"][0]  # ... and it falls, not rises
    bl = r.metrics["best_loss"]["mup"]
    assert all(b < a for a, b in zip(bl, bl[1:]))  # muP: wider is better
    assert r.prediction["mup_shift"] == 0
    assert r.prediction["sp_shift"] == pytest.approx(predicted_sp_shift)


def test_fidelity_lr_transfer(default_result):
    """Acceptance criterion: muP |delta log2 eta*| <= 0.5, SP shift >= 2 octaves, muP best loss falls with width."""
    assert default_result.params["widths"] == (32, 128, 512)
    _check_transfer(default_result, 4.0)
    assert default_result.agrees is True


def test_fidelity_lr_transfer_reference_widths():
    """The reference setting: widths 64, 256, 1024 (muP == SP at 64)."""
    r = run_to_end(get(SIM), {"widths": "64,256,1024", "coord_widths": "16,32"})
    _check_transfer(r, 4.0)
    assert r.series["loss"]["sp"][0] == r.series["loss"]["mup"][0]  # muP == SP at the base width 64
    _check_chart(get(SIM).chart(r, r.params), r)


def test_fidelity_coord_check_sgd(default_result):
    """Acceptance criterion of the coordinate check: muP |slope| < 0.15 in every layer, SP output slope > 0.5."""
    cs = default_result.metrics["coord_slopes"]
    assert len(cs["mup"]) == 3 and all(abs(s) < 0.15 for s in cs["mup"])
    assert cs["sp"][2] > 0.5
    assert default_result.prediction["coord_slopes"]["mup"] == [0.0, 0.0, 0.0]


def test_fidelity_coord_check_adam():
    """Same criteria with Adam (muP: hidden and output lr / width multiplier)."""
    r = run_to_end(get(SIM), {"optimizer": "adam", "widths": "64", "log2_lrs": "0", "steps": 5})
    cs = r.metrics["coord_slopes"]
    assert all(abs(s) < 0.15 for s in cs["mup"])
    assert cs["sp"][2] > 0.5


def test_series_shape(default_result):
    s = default_result.series
    assert s["widths"] == [32, 128, 512] and s["log2_lrs"] == [-5, -4, -3, -2, -1, 0, 1]
    for p in ("sp", "mup"):
        assert len(s["loss"][p]) == 3 and all(len(row) == 7 for row in s["loss"][p])
        assert len(s["coord"][p]) == 3 and all(len(c) == len(s["coord_widths"]) for c in s["coord"][p])
    json.dumps(default_result.to_json())


def test_deterministic():
    a = run_to_end(get(SIM), SMALL, seed=0)
    b = run_to_end(get(SIM), SMALL, seed=0)
    c = run_to_end(get(SIM), SMALL, seed=1)
    assert a.series == b.series and a.metrics == b.metrics
    assert a.series["loss"] != c.series["loss"]


def test_param_validation():
    cls = type(get(SIM))
    with pytest.raises(ParamError):
        cls.resolve({"widths": "4,64"})  # below the minimum width
    with pytest.raises(ParamError):
        cls.resolve({"log2_lrs": "-3,20"})
    with pytest.raises(ParamError):
        cls.resolve({"optimizer": "rmsprop"})
    with pytest.raises(ParamError):
        cls.resolve({"steps": 0})
    with pytest.raises(ParamError):
        cls.resolve({"nonsense": 1})
    with pytest.raises(ParamError):
        cls.resolve({"widths": "64,64"})
    with pytest.raises(ParamError):
        cls.resolve({"coord_widths": "64"})  # one width: no slope
    assert cls.resolve({"widths": "32, 128"})["widths"] == (32, 128)


def test_divergent_learning_rates_are_none_not_a_diverged_run():
    r = run_to_end(get(SIM), {"widths": "64,1024", "log2_lrs": "-2,0,5", "steps": 30, "coord_widths": "16,32"})
    assert r.diverged_at is None  # the sweep itself is fine
    loss = r.series["loss"]
    assert loss["sp"][0][2] is None and loss["sp"][1][2] is None  # 2^5 blows up at any width
    assert loss["sp"][1][1] is None  # SP at width 1024 cannot take 2^0 ...
    assert loss["mup"][1][1] is not None  # ... muP can
    for p in ("sp", "mup"):
        for row in loss[p]:
            assert all(v is None or (math.isfinite(v) and v >= 0) for v in row)
    assert json.loads(json.dumps(r.to_json()))["series"]["loss"]["sp"][0][2] is None
    get(SIM).chart(r, r.params)

    all_bad = run_to_end(get(SIM), {"widths": "64,256", "log2_lrs": "6,7", "steps": 30, "coord_widths": "16,32"})
    assert all_bad.diverged_at is None and all_bad.agrees is False
    assert "diverged" in all_bad.verdict
    assert all_bad.metrics["best_log2_lr"]["sp"] == [None, None]
    get(SIM).chart(all_bad, all_bad.params)


def test_first_frame_and_chart(default_result):
    sim = get(SIM)
    runner: Runner = sim.start(SMALL)
    t0 = time.perf_counter()
    first = next(runner)
    assert time.perf_counter() - t0 < 0.3
    assert isinstance(first, Frame)
    assert isinstance(sim.chart(first, runner.params), Chart)
    frames = [first, *runner]
    for f in frames:
        sim.chart(f, runner.params)
    for r in (runner.result, default_result):
        ch = sim.chart(r, r.params)
        assert len(ch.panels) == 2 and ch.caption == r.verdict
        for panel in ch.panels:
            assert len(panel.lines) <= 6
            for line in panel.lines:
                assert len(line.x) == len(line.y) <= 200
                assert len(line.label) <= 14
                if panel.xlog:
                    assert min(line.x) > 0
                if panel.ylog:
                    assert min(line.y) > 0
    _check_chart(sim.chart(default_result, default_result.params), default_result)


def _check_chart(chart, r: Result) -> None:
    """One panel per parameterization: each width's sweep joined, the optima marked where the metrics
    put them, the diverged runs marked, the predicted optimum as dashed columns."""
    widths, ks = r.series["widths"], r.series["log2_lrs"]
    assert [p.title for p in chart.panels] == ["SP: final loss vs learning rate", "muP: final loss vs learning rate"]
    for p, panel in zip(("sp", "mup"), chart.panels):
        sweeps = [ln for ln in panel.lines if ln.connect]
        assert [ln.label for ln in sweeps] == [f"width {w}" for w in widths]
        best = next(ln for ln in panel.lines if ln.label == "best")
        assert best.marker == "@" and list(best.x) == r.metrics["best_log2_lr"][p]
        diverged = [k for row in r.series["loss"][p] for k, v in zip(ks, row) if v is None]
        marks = [ln for ln in panel.lines if ln.label == "diverged"]
        assert (sorted(set(diverged)) == list(marks[0].x)) if diverged else not marks
        assert panel.vlines and panel.vlines[0][1] in ("1/width rule", "muP: same lr")
    sp_marks = sorted(x for x, _ in chart.panels[0].vlines)
    assert sp_marks == sorted(r.prediction["sp_best_log2_lr"])
    assert [x for x, _ in chart.panels[1].vlines] == [r.prediction["mup_best_log2_lr"][0]]


SWEEP_LIGHT = {"widths": "32,64", "log2_lrs": "-1,0", "steps": "5"}  # the coordinate check is what matters here


@pytest.mark.parametrize("optimizer", ["sgd", "adam"])
def test_mup_updates_meet_the_spectral_condition(optimizer):
    """Yang, Simon & Bernstein: ||dW_l|| ~ sqrt(fan_out/fan_in); input 16 -> n, hidden n -> n, output n -> 4."""
    for seed in (0, 1):
        r = run_to_end(get("mup_transfer"), {**SWEEP_LIGHT, "optimizer": optimizer}, seed=seed)
        slopes = r.metrics["update_norm_slopes"]["mup"]
        assert r.prediction["update_norm_slopes"]["mup"] == [0.5, 0.0, -0.5]
        for measured, theory in zip(slopes, [0.5, 0.0, -0.5]):
            assert abs(measured - theory) < 0.1, (optimizer, seed, slopes)
        assert r.metrics["mup_output_update_slope"] == slopes[2]
        if optimizer == "adam":  # SP with Adam: eta-sized entries in a low-rank update, eta*sqrt(fan_in*fan_out)
            sp = r.metrics["update_norm_slopes"]["sp"]
            assert abs(sp[1] - 1.0) < 0.15 and abs(sp[0] - 0.5) < 0.15 and abs(sp[2] - 0.5) < 0.15, sp
        else:
            assert r.prediction["sp_hidden_update_slope"] is None


def test_spectral_norm_matches_numpy():
    from lmtui.sims.mup_transfer import spectral_norm

    rng = np.random.default_rng(0)
    thin = rng.standard_normal((300, 4))
    assert spectral_norm(thin) == pytest.approx(np.linalg.norm(thin, 2), rel=1e-12)
    # a few steps' update: low rank plus a small full-rank part (Adam's normalization)
    a = (rng.standard_normal((200, 12)) * np.geomspace(1, 0.2, 12)) @ rng.standard_normal((12, 300))
    a += 0.05 * rng.standard_normal((200, 300))
    assert spectral_norm(a) == pytest.approx(np.linalg.norm(a, 2), rel=2e-3)
    assert spectral_norm(np.zeros((100, 70))) == 0.0
