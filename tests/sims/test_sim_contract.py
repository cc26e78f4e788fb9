"""What every simulation promises beyond its chart: a scalar to predict with the theory's value
beside the measurement, a verdict in plain words that fits two lines at 80 columns, and a tidy
table of its series (``lmtui sim run --csv``)."""

from __future__ import annotations

import math
import textwrap

import numpy as np
import pytest

from sims_support import SMALL as TINY
from lmtui.sims import get, run_to_end
from lmtui.sims.registry import NAMES

VERDICT_WIDTH = 78  # the verdict line under the chart at 80 columns (one column of padding each side)
# shorthand that means nothing to a learner
JARGON = ("relW", "lin gap", "pair dev", "sup err", "*lambda", "t_half", "(1/width:", "mode half-times",
          "var ", "L_inf", "mkNN", "CKA_same", "|GD-", "tol ")


@pytest.fixture(scope="module")
def tiny_results():
    return {name: run_to_end(get(name), TINY[name]) for name in NAMES}


def assert_plain(verdict: str) -> None:
    assert verdict
    lines = textwrap.wrap(verdict, VERDICT_WIDTH)
    assert len(lines) <= 2, f"{len(verdict)} characters: {verdict}"
    for word in JARGON:
        assert word not in verdict, f"{word!r} in {verdict!r}"


@pytest.mark.parametrize("name", list(NAMES))
def test_every_simulation_declares_a_scalar_to_predict(name, tiny_results):
    sim, result = get(name), tiny_results[name]
    assert sim.predictable, f"{name} declares no predictable scalar"
    assert not result.diverged
    both = []
    for key, what in sim.predictable.items():
        assert what and key in result.metrics and key in result.prediction, key
        m, p = result.metrics[key], result.prediction[key]
        assert m is None or isinstance(m, (int, float)), (key, m)
        assert p is None or isinstance(p, (int, float)), (key, p)
        if m is not None and p is not None and math.isfinite(m) and math.isfinite(p):
            both.append(key)
    assert both, f"{name}: no predictable key has both a measured and a theory value"


@pytest.mark.parametrize("name", list(NAMES))
def test_json_reports_the_predictable_scalars(name, tiny_results):
    data = tiny_results[name].to_json()
    for key in get(name).predictable:
        assert key in data["metrics"] and key in data["prediction"]


@pytest.mark.parametrize("name", list(NAMES))
def test_verdict_is_plain_and_fits_two_lines(name, tiny_results):
    assert_plain(tiny_results[name].verdict)


@pytest.mark.parametrize("name", list(NAMES))
def test_default_verdict_is_plain_and_fits_two_lines(name):
    result = run_to_end(get(name))
    assert_plain(result.verdict)
    assert result.agrees is True, result.verdict  # the defaults show the phenomenon


@pytest.mark.parametrize("name", list(NAMES))
def test_table_is_tidy(name, tiny_results):
    result = tiny_results[name]
    rows = get(name).table(result.series)
    assert rows
    for row in rows:
        assert list(row)[:4] == ["series", "x_name", "x", "y"]
        # a series' x comes from the series named in x_name, point by point
        xs = result.series.get(row["x_name"])
        if isinstance(xs, list) and row["x"] is not None:
            assert row["x"] in xs, row
    # one row per point: no series is padded or cut to another's length
    names = {row["series"] for row in rows}
    for key, value in result.series.items():
        if key in names and isinstance(value, list) and value and not isinstance(value[0], (list, dict)):
            assert sum(r["series"] == key for r in rows) == len(value), key


OTHER_BRANCHES = [
    ("langevin_well", {"lr": "3"}),  # diverged
    ("langevin_well", {"potential": "double_well", "temperature": "0.05"}),  # not equilibrated
    ("langevin_well", {"temperature": "0"}),
    ("deep_linear", {"steps": "100"}),  # modes not learned yet
    ("deep_linear", {"depth": "6", "init_scale": "0.1"}),
    ("deep_linear", {"init": "random"}),
    ("lazy_rich", {"lr_scale": "6", "steps": "300"}),  # catapult
    ("edge_of_stability", {"lr": "0.2", "steps": "300"}),  # no edge reached
    ("neural_collapse", {"lr": "2000", "steps": "200"}),  # diverged
    ("mup_transfer", {**TINY["mup_transfer"], "widths": "64"}),  # one width
    ("implicit_regularization", {"step_sizes": "0.5,2", "horizon": "20"}),  # diverged
    ("grokking", {"lr": "10", "steps": "100"}),  # diverged
    ("double_descent", {"samples": "60", "max_features": "40", "trials": "20"}),  # no threshold in range
    ("double_descent", {**TINY["double_descent"], "ridge": "5"}),
]


@pytest.mark.parametrize(("name", "overrides"), OTHER_BRANCHES, ids=[f"{n}-{i}" for i, (n, _) in enumerate(OTHER_BRANCHES)])
def test_other_verdicts_are_plain_and_fit_two_lines(name, overrides):
    assert_plain(run_to_end(get(name), overrides).verdict)


FINISHED_BRANCHES = {
    "langevin_well": [{"potential": "double_well", "steps": "100"}, {"temperature": "0", "steps": "50"}],
    "deep_linear": [{"init": "random"}],
    "lazy_rich": [{"alphas": "4", "steps": "100", "width": "32"}],
    "edge_of_stability": [{"lr": "0.2", "steps": "200"}],
    "neural_collapse": [{"model": "mlp", "steps": "300"}],
    "mup_transfer": [{**TINY["mup_transfer"], "widths": "64"}],
    "grokking": [{"weight_decay": "0", "steps": "300", "p": "11", "hidden": "32"}],
    "double_descent": [{**TINY["double_descent"], "ridge": "5"}],
}


@pytest.mark.parametrize("name", list(NAMES))
def test_declared_keys_are_what_every_finished_run_reports(name, tiny_results):
    """What `lmtui check` reads without running (metric_keys, prediction_keys, predictable) is what
    the runs report: scalars (or None) under those keys, in every branch that finishes."""
    sim = get(name)
    runs = [tiny_results[name]] + [run_to_end(sim, o) for o in FINISHED_BRANCHES.get(name, [])]
    assert set(sim.predictable) <= sim.reported_metrics() and set(sim.predictable) <= sim.reported_predictions()
    for r in runs:
        assert not r.diverged
        for key in sim.reported_metrics():
            assert key in r.metrics and (r.metrics[key] is None or isinstance(r.metrics[key], (int, float))), key
        for key in sim.reported_predictions():
            v = r.prediction.get(key, "missing")
            assert v is None or isinstance(v, (int, float)), (key, v)


def test_plain_json_values_whole_arrays_and_lists_as_elementwise():
    """Numeric arrays and rectangular numeric lists are converted whole, with the same values (and
    NaN/inf as None) as number by number."""
    from lmtui.sims.base import to_plain

    assert to_plain([1.0, float("nan"), 2.5]) == [1.0, None, 2.5]
    assert to_plain([[1.0, float("inf")], [2.0, 3.0]]) == [[1.0, None], [2.0, 3.0]]
    assert to_plain(np.array([[1, 2]])) == [[1, 2]] and to_plain(np.array([True])) == [True]
    assert to_plain([1.0, [2.0, 3.0]]) == [1.0, [2.0, 3.0]]  # ragged: one by one
    assert to_plain(["a", 1.0]) == ["a", 1.0] and to_plain({"x": (np.float32(1.5), 2.0)}) == {"x": [1.5, 2.0]}
    assert all(type(v) is float for v in to_plain(np.array([1.0, np.nan]))[:1])
