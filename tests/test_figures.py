"""Every chapter's live figure, driven from the keyboard: every simulation lives in a chapter."""

from __future__ import annotations

import time

import pytest
from textual.widgets import Static

from lmtui.tui.app import LmtuiApp
from lmtui.core.course import load_course
from lmtui.tui.widgets.explorer import ExplorerView
from lmtui.tui.widgets.simpane import ChartView, SimPane, VerdictLine

from conftest import REPO, wait_for_workers
from figures_support import TINY, current_pane, focus_param, open_figure, run_tiny, set_param

COURSE = load_course(REPO / "content")
SIM_FIGURES = [(c.id, str(f)) for c in COURSE.chapters for f in c.figures if f.kind == "sim"]
EXPLORER_FIGURES = [(c.id, str(f)) for c in COURSE.chapters for f in c.figures if f.kind == "explorer"]


def test_every_chapter_has_its_figures():
    sims = {f.split(":")[1] for _, f in SIM_FIGURES}
    assert sims == set(TINY)  # every simulation is in some chapter
    by_chapter = {c.id: {str(f) for f in c.figures} for c in COURSE.chapters}
    assert by_chapter["solvable-settings"] >= {"sim:deep_linear"}
    assert by_chapter["simplifying-limits"] >= {"sim:lazy_rich"}
    assert by_chapter["empirical-laws"] >= {"sim:scaling_law", "sim:edge_of_stability", "sim:neural_collapse"}
    assert by_chapter["hyperparameters"] >= {"sim:mup_transfer", "sim:implicit_regularization"}
    assert by_chapter["universality"] >= {"sim:universality", "sim:double_descent"}
    assert by_chapter["lm-mech-interp"] >= {"sim:grokking", "explorer:three-levels"}
    assert by_chapter["the-problem"] >= {"explorer:timeline"}
    assert by_chapter["seven-desiderata"] >= {"explorer:physics-parallels"}
    assert by_chapter["skepticism"] >= {"explorer:objections"}
    assert by_chapter["connections"] >= {"explorer:concept-map", "explorer:key-papers"}


def verdict_text(pane: SimPane) -> str:
    return pane.query_one(VerdictLine).text


@pytest.mark.parametrize("chapter_id, figure", SIM_FIGURES, ids=[f for _, f in SIM_FIGURES])
async def test_simulation_runs_in_its_chapter(chapter_id, figure):
    app = LmtuiApp()
    async with app.run_test(size=(120, 40)) as pilot:
        await open_figure(pilot, chapter_id, figure)
        pane = current_pane(app)
        assert pane.sim.name == figure.split(":")[1]
        await run_tiny(pilot, pane)
        result = pane.state.result
        assert result is not None, verdict_text(pane)
        for name, value in TINY[pane.sim.name].items():  # typed values were used
            assert pane.sim.param(name).format(result.params[name]) == value
        chart = app.screen.query_one(ChartView)
        lines = [line for panel in chart.chart.panels for line in panel.lines]
        measured = [ln for ln in lines if ln.kind == "measured" and len(ln.y) > 0]
        theory = [ln for ln in lines if ln.kind in ("theory", "reference") and len(ln.y) > 0]
        marks = [m for panel in chart.chart.panels for m in (*panel.hlines, *panel.vlines) if m[1]]
        assert measured, "the chart shows no measurement"
        assert theory or marks, "the chart shows no prediction"
        rendered = str(chart.render())
        assert measured[0].label[:8] in rendered  # the legend names what is drawn
        assert (theory[0].label[:8] if theory else marks[0][1][:8]) in rendered
        assert verdict_text(pane) == result.verdict and result.verdict
        assert "done in" in str(pane.query_one(".sim-status", Static).content)


@pytest.mark.parametrize("chapter_id, figure", EXPLORER_FIGURES, ids=[f for _, f in EXPLORER_FIGURES])
async def test_explorer_figures_respond_to_keys(chapter_id, figure):
    app = LmtuiApp()
    async with app.run_test(size=(80, 24)) as pilot:
        await open_figure(pilot, chapter_id, figure)
        view = app.screen.query_one(ExplorerView)
        explorer = app.course.explorers[figure.split(":")[1]]
        assert view.selected == 0
        await pilot.press("down", "down")
        await pilot.pause()
        assert view.selected == 2
        assert explorer.items[2].label in view.detail_source


def running_sim_workers(app) -> list:
    """The runs the app's simulation process still has going (none once a run is stopped)."""
    simulations = app.services._simulations
    return list(simulations._runs) if simulations is not None else []


async def test_leaving_the_chapter_cancels_the_run():
    app = LmtuiApp()
    async with app.run_test(size=(80, 24)) as pilot:
        await open_figure(pilot, "lm-mech-interp", "sim:grokking")
        await set_param(pilot, current_pane(app), "steps", "10000")  # ~10 s: long enough to leave mid-run
        await pilot.press("s")
        assert current_pane(app).running
        await pilot.press("n")
        await pilot.pause()
        assert app.current == "skepticism"
        deadline = time.monotonic() + 5
        while running_sim_workers(app) and time.monotonic() < deadline:
            await pilot.pause(0.05)
        assert running_sim_workers(app) == []
        # nothing computes any more: the simulation process stays (warm) but is idle on the CPU
        import psutil

        await pilot.pause(0.3)
        child = psutil.Process(app.services.simulations.pid)
        cpu0, wall0 = sum(child.cpu_times()[:2]), time.monotonic()
        time.sleep(0.5)
        busy = (sum(child.cpu_times()[:2]) - cpu0) / (time.monotonic() - wall0)
        assert busy < 0.3, f"the simulation process is still computing: {busy:.0%} of a core"


async def test_changing_a_parameter_cancels_the_run():
    app = LmtuiApp()
    async with app.run_test(size=(80, 24)) as pilot:
        await open_figure(pilot, "lm-mech-interp", "sim:grokking")
        pane = current_pane(app)
        await set_param(pilot, pane, "steps", "10000")
        await pilot.press("s")
        assert pane.running
        await pilot.press("left")  # step a parameter (the focused one: steps, at its maximum)
        await pilot.pause()
        assert not pane.running and pane.state.result is None
        await wait_for_workers(app)
        assert running_sim_workers(app) == []


async def test_diverging_setting_says_so_on_the_chart():
    app = LmtuiApp()
    async with app.run_test(size=(80, 24)) as pilot:
        await open_figure(pilot, "seven-desiderata", "sim:langevin_well")
        pane = current_pane(app)
        await set_param(pilot, pane, "lr", "2.5")  # eta*k = 2.5 > 2
        await pilot.press("s")
        await wait_for_workers(app)
        await pilot.pause()
        assert pane.state.result.diverged
        chart = app.screen.query_one(ChartView)
        assert "DIVERGED at step" in str(chart.render())
        assert "diverged" in verdict_text(pane)


async def test_junk_in_a_parameter_gives_a_message_not_a_traceback():
    app = LmtuiApp()
    async with app.run_test(size=(80, 24)) as pilot:
        await open_figure(pilot, "solvable-settings", "sim:deep_linear")
        pane = current_pane(app)
        await set_param(pilot, pane, "lr", "0.0x5\x1b[31m", expect_ok=False)
        help_line = str(pane.query_one(".sim-help", Static).content)
        assert "lr:" in help_line and "not a number" in help_line
        await set_param(pilot, pane, "depth", "99", expect_ok=False)
        help_line = str(pane.query_one(".sim-help", Static).content)
        assert "out of range" in help_line and "[2, 6]" in help_line
        assert pane.state.params["depth"] == pane.sim.param("depth").default


async def test_pasting_junk_into_a_parameter_gives_a_message_not_a_traceback():
    """A bracketed paste (what a terminal sends when the learner pastes), with control bytes and
    several lines, into the field being edited."""
    from textual import events
    from textual.widgets import Input

    app = LmtuiApp()
    async with app.run_test(size=(80, 24)) as pilot:
        await open_figure(pilot, "solvable-settings", "sim:deep_linear")
        pane = current_pane(app)
        await focus_param(pilot, pane, "lr")
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.focused, Input)
        app.focused.post_message(events.Paste("0.0x5\x1b[31m\x00\nrm -rf /\tjunk"))
        await pilot.pause()
        await pilot.press("enter")
        await pilot.pause()
        help_line = str(pane.query_one(".sim-help", Static).content)
        assert "lr:" in help_line and "not a number" in help_line and "expected number in" in help_line
        assert "\x1b" not in help_line  # shown escaped, never sent to the terminal
        assert pane.state.params["lr"] == pane.sim.param("lr").default
        assert app.is_running and app._exception is None


async def test_figure_state_comes_back_within_the_session():
    app = LmtuiApp()
    async with app.run_test(size=(80, 24)) as pilot:
        await open_figure(pilot, "solvable-settings", "sim:deep_linear")
        pane = current_pane(app)
        await run_tiny(pilot, pane)
        first = pane.state.result
        await pilot.press("n")
        await pilot.pause()
        await open_figure(pilot, "solvable-settings", "sim:deep_linear")
        pane = current_pane(app)
        assert pane.state.result is first
        assert pane.state.params["target_sv"] == (6.0, 3.0)
        assert app.screen.query_one(ChartView).chart is not None


async def test_reset_restores_defaults():
    app = LmtuiApp()
    async with app.run_test(size=(80, 24)) as pilot:
        await open_figure(pilot, "solvable-settings", "sim:deep_linear")
        pane = current_pane(app)
        await set_param(pilot, pane, "depth", "3")
        assert pane.state.params["depth"] == 3
        await pilot.press("r")
        await pilot.pause()
        assert pane.state.params == pane.sim.defaults()
