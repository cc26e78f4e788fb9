"""One chart contract for every simulation (what the renderer relies on at 80x24), checked on a
first frame, a frame with no data, and the finished result of a small run."""

from __future__ import annotations

import math

import pytest

from sims_support import SMALL as TINY
from lmtui.sims import Chart, Frame, get, run_to_end
from lmtui.sims.registry import NAMES


def check_chart(chart: Chart) -> None:
    assert isinstance(chart, Chart) and 1 <= len(chart.panels) <= 2
    for panel in chart.panels:
        assert len(panel.lines) <= 6, panel.title
        for line in panel.lines:
            assert len(line.label) <= 14, line.label
            assert len(line.x) == len(line.y) <= 200, line.label
            xs = [x for x in line.x if x is not None and math.isfinite(x)]
            ys = [y for y in line.y if y is not None and math.isfinite(y)]
            if panel.xlog:
                assert all(x > 0 for x in xs), line.label
            if panel.ylog:
                assert all(y > 0 for y in ys), line.label


@pytest.mark.parametrize("name", list(NAMES))
def test_chart_contract(name):
    sim = get(name)
    runner = sim.start(TINY[name])
    check_chart(sim.chart(next(runner), runner.params))
    check_chart(sim.chart(Frame(step=0, total=1, series={}), sim.defaults()))
    result = run_to_end(sim, TINY[name])
    chart = sim.chart(result, result.params)
    check_chart(chart)
    assert chart.caption == result.verdict and result.verdict
    measured = [ln for p in chart.panels for ln in p.lines if ln.kind == "measured" and len(ln.y)]
    assert measured, "a finished run shows a measurement"
