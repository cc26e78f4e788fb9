"""Each simulation's cost model (``estimate_seconds``, from its loops' sizes) counts its loops,
and the bounds built on it: `lmtui check` refuses a predict question whose run
is long, `lmtui sim run` a run over its limit (unless --no-limit, which a served room's limit
does not give way to).

How close the model is to measured time is printed by ``scripts/cost_model.py`` (CPU time, over
more settings; it also fits the coefficients): a benchmark, not a timed assertion in the suite."""

from __future__ import annotations

import shutil

import pytest

from lmtui.sims.base import ParamError, run_to_end
from lmtui.sims.registry import NAMES, get

# Two settings each, a few tenths of a second, differing in what the model counts.
SETTINGS = {
    "langevin_well": [{"steps": 2000, "walkers": 20000}, {"steps": 20000, "walkers": 200}],
    "deep_linear": [{"steps": 20000}, {"steps": 5000, "depth": 6}],
    "lazy_rich": [{"steps": 2000}, {"steps": 300, "width": 2048}],
    "double_descent": [{"trials": 400}, {"trials": 60, "max_features": 300}],
    "edge_of_stability": [{"steps": 800}, {"steps": 200, "width": 64, "samples": 300}],
    "grokking": [{"steps": 1000}, {"steps": 300, "p": 41, "hidden": 256}],
    "implicit_regularization": [{"horizon": 10.0}, {"step_sizes": "0.001,0.002", "horizon": 20.0}],
    "kernel_curves": [{"trials": 4}, {"n_max": 128, "trials": 32}],
    "scaling_law": [{}, {"n_max": 1024, "trials": 1}],
    "mup_transfer": [{}, {"widths": "64,1024", "steps": 40}],
    "neural_collapse": [{}, {"steps": 1500, "model": "mlp"}],
    "universality": [{}, {"widths": "64", "seeds_per_width": 6, "families": "relu,erf,tanh"}],
}


def test_every_simulation_has_settings_here():
    assert set(SETTINGS) == set(NAMES)


# The loop that sizes each run, and a value two to four times its default (within its range).
WORK = {
    "langevin_well": ("steps", 1600), "deep_linear": ("steps", 20000), "lazy_rich": ("steps", 8000),
    "double_descent": ("trials", 1600), "edge_of_stability": ("steps", 3200), "grokking": ("steps", 10000),
    "implicit_regularization": ("horizon", 8.0), "kernel_curves": ("trials", 32), "scaling_law": ("trials", 8),
    "mup_transfer": ("steps", 400), "neural_collapse": ("steps", 12000), "universality": ("seeds_per_width", 6),
}


@pytest.mark.parametrize("name", sorted(SETTINGS))
def test_the_estimate_counts_the_runs_loops(name):
    """The model counts work: every setting has a finite positive estimate, and four times the
    main loop makes the part of the estimate beyond a run's fixed start-up at least 1.5 times
    larger. (How close the model is to measured time is a
    benchmark, ``scripts/cost_model.py``, not a timed assertion here.)"""
    sim = get(name)
    for overrides in [{}, *SETTINGS[name]]:
        estimate = sim.estimate_seconds(sim.resolve(overrides))
        assert 0 < estimate < float("inf"), (overrides, estimate)
    knob, larger = WORK[name]
    start_up = sim.cost_coefficients[0]
    work = sim.estimate_seconds(sim.resolve({})) - start_up
    more = sim.estimate_seconds(sim.resolve({knob: larger})) - start_up
    assert work > 0 and more >= 1.5 * work, (knob, work, more)


@pytest.mark.parametrize("name, overrides, at_least", [
    ("deep_linear", {"steps": 1_000_000, "depth": 6}, 10),
    ("double_descent", {"trials": 4000, "max_features": 400, "samples": 200}, 120),
    ("lazy_rich", {"width": 4096, "steps": 50_000}, 30),
])
def test_the_runs_that_took_minutes_are_estimated_long(name, overrides, at_least):
    sim = get(name)
    assert sim.estimate_seconds(sim.resolve(overrides)) > at_least


PREDICT = """
[[question]]
id = "too-long"
kind = "predict"
prompt = "How far will the weights move?"
sim = "lazy_rich"
params = {{ width = 4096, steps = {steps} }}
metric = "weight_change_slope"
tolerance = {{ relative = 0.2 }}
explanation = "As 1/alpha."
"""


@pytest.mark.parametrize("steps, refused", [(50_000, True), (200, False)])
def test_check_refuses_a_predict_question_whose_run_is_long(tmp_path, capsys, steps, refused):
    from conftest import FIXTURES
    from lmtui.tools.checker import check_main

    course = tmp_path / "course"
    shutil.copytree(FIXTURES / "mini", course)
    with open(course / "02-second.quiz.toml", "a", encoding="utf-8") as f:
        f.write(PREDICT.format(steps=steps))
    check_main(str(course))
    out = capsys.readouterr().out
    lines = [ln for ln in out.splitlines() if "would take" in ln]
    assert len(lines) == refused, out
    if refused:
        assert "02-second.quiz.toml:" in lines[0] and "question 'too-long'" in lines[0] and "at most 5 s" in lines[0]


def test_sim_run_refuses_a_long_run_unless_told(monkeypatch):
    from lmtui.tools.sim_cli import _within_limit

    sim = get("double_descent")
    long_run = sim.resolve({"trials": 4000, "max_features": 400, "samples": 200})
    monkeypatch.delenv("LMTUI_RUN_LIMIT", raising=False)
    with pytest.raises(ParamError, match="--no-limit"):
        _within_limit(sim, long_run, no_limit=False)
    _within_limit(sim, long_run, no_limit=True)
    _within_limit(sim, sim.resolve({}), no_limit=False)
    monkeypatch.setenv("LMTUI_RUN_LIMIT", "30")  # a served room: --no-limit does not lift it
    with pytest.raises(ParamError, match="limit of 30 s"):
        _within_limit(sim, long_run, no_limit=True)
