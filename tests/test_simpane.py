"""A figure a learner can read and trust: parameters that show what is typed and never cut a value,
results labelled for what they are (stale, stopped, kept when leaving), keys never lost."""

from __future__ import annotations

import pytest
from rich.color import Color

from lmtui.tui.app import LmtuiApp
from lmtui.tui.textual_fixes import LeanFooter
from lmtui.tui.widgets.simpane import ParamInput, ParamRow

from conftest import screen_lines, screen_text, wait_for_workers
from figures_support import current_pane, focus_param, open_figure, run_tiny, set_param


def footer_descriptions(app) -> list[str]:
    return [k.description for k in app.screen.query_one(LeanFooter).children if getattr(k, "description", None)]


async def test_typed_text_is_visible_and_the_footer_says_what_enter_and_escape_do():
    app = LmtuiApp()
    async with app.run_test(size=(80, 24)) as pilot:
        await open_figure(pilot, "solvable-settings", "sim:deep_linear")
        pane = current_pane(app)
        await focus_param(pilot, pane, "lr")
        await pilot.press("enter", *"0.0123")
        await pilot.pause()
        field = pane.query_one(ParamInput)
        assert field.value == "0.0123" and field.styles.border_top[0] in ("", "none")
        line = next(ln for ln in screen_lines(app) if "lr" in ln and "0.0123" in ln)
        assert "0.0123" in line  # on screen, in its row (no focus border over it)
        assert {"Apply", "Cancel"} <= set(footer_descriptions(app))
        await pilot.press("escape")
        await pilot.pause()
        assert not pane.query(ParamInput) and pane.state.params["lr"] != 0.0123  # cancelled, value kept


@pytest.mark.parametrize("size", [(80, 24), (200, 50)])
@pytest.mark.parametrize("chapter, figure, name", [
    ("hyperparameters", "sim:mup_transfer", "log2_lrs"),
    ("universality", "sim:universality", "widths"),
])
async def test_no_value_is_cut_off(size, chapter, figure, name):
    app = LmtuiApp()
    async with app.run_test(size=size) as pilot:
        await open_figure(pilot, chapter, figure)
        pane = current_pane(app)
        row = await focus_param(pilot, pane, name)
        row.scroll_visible(animate=False)
        await pilot.pause()
        shown = row.param.format(row.value)
        value = row._value_label.region
        text = "".join(ln.ljust(value.right)[value.x: value.right].strip() for ln in screen_lines(app)[value.y: value.bottom])
        assert text.replace(" ", "") == shown.replace(" ", ""), (shown, text)  # wrapped, whole
        names = [r.param.name for r in pane.query(ParamRow)]
        for r in pane.query(ParamRow):  # a name never runs into its value
            assert r._name.region.width > len(r.param.name), r.param.name
        assert len(names) == len(set(names))


async def test_parameter_errors_are_shown_whole_at_80x24():
    app = LmtuiApp()
    async with app.run_test(size=(80, 24)) as pilot:
        await open_figure(pilot, "hyperparameters", "sim:mup_transfer")
        pane = current_pane(app)
        await set_param(pilot, pane, "log2_lrs", "1,2,x", expect_ok=False)
        message = str(pane._help.content)
        assert "is not a number" in message and "numbers in [-14, 8]" in message
        shown = " ".join(" ".join(screen_lines(app)).split())
        assert "numbers in [-14, 8]" in shown  # the end of the message is on screen too


async def test_a_result_is_marked_stale_when_parameters_change_and_a_stop_keeps_the_last_run():
    app = LmtuiApp()
    async with app.run_test(size=(120, 40)) as pilot:
        await open_figure(pilot, "empirical-laws", "sim:edge_of_stability")
        pane = current_pane(app)
        await run_tiny(pilot, pane)
        first = pane.state.result
        assert first is not None and pane._verdict.has_class("-agrees") or first.agrees is not True
        before = pane._verdict.text
        await set_param(pilot, pane, "steps", "160")
        status, verdict = str(pane._status.content), pane._verdict.text
        assert "parameters changed" in status and verdict.startswith("(an earlier run, other parameters)")
        assert not pane._verdict.has_class("-agrees") and pane._verdict.has_class("-stale")
        assert before in verdict and pane._chart.chart is not None  # the old chart, labelled
        # a run started then stopped leaves the last finished result in view, said so
        await set_param(pilot, pane, "steps", "5000")
        await set_param(pilot, pane, "samples", "300")
        # started, and stopped at once: seconds of work, so it cannot finish between the two keys
        # on a loaded machine (2000 steps took 0.3 s and once did, with both test workers busy)
        await pilot.press("s", "s")
        await wait_for_workers(app)
        await pilot.pause()
        status = str(pane._status.content)
        assert "stopped at step" in status and "last finished run is shown" in status
        assert pane.state.result is first and "waiting for data" not in screen_text(app)
        assert pane._chart.chart is pane._result_chart


async def test_leaving_the_chapter_during_a_run_keeps_the_last_finished_result():
    app = LmtuiApp()
    async with app.run_test(size=(120, 40)) as pilot:
        await open_figure(pilot, "empirical-laws", "sim:edge_of_stability")
        pane = current_pane(app)
        await run_tiny(pilot, pane)
        finished = pane.state.result
        await set_param(pilot, pane, "steps", "5000")
        await set_param(pilot, pane, "samples", "300")
        await pilot.press("s", "n")  # a run started, and away before it can finish (5000 steps on
        # 300 samples: seconds of work; a shorter run can finish between the two keys on a loaded machine)
        await pilot.pause()
        await wait_for_workers(app)
        await pilot.press("p", "f")
        await pilot.pause()
        await wait_for_workers(app)
        await pilot.pause()
        for _ in range(len(app.course.by_id("empirical-laws").figures)):
            if current_pane(app).sim.name == "edge_of_stability":
                break
            await pilot.press("f")
            await wait_for_workers(app)
            await pilot.pause()
        back = current_pane(app)
        assert back is not pane and back.state.result is finished and not back.running
        assert back._chart.chart is not None and finished.verdict.split(":")[0] in back._verdict.text


async def test_a_key_pressed_while_the_simulation_loads_is_not_lost(monkeypatch):
    """s pressed before the figure's module has loaded is kept, and runs the simulation once the
    pane is there."""
    import threading

    from lmtui.sims import registry

    gate = threading.Event()
    real_get = registry.get

    def slow_get(name):
        # held until the test lets it go: on a loaded machine Pilot.press (which waits for the
        # screen to settle) can take several seconds, and a load that ended on its own meanwhile
        # would hand the kept s on to the pane before the test looks for it
        gate.wait(60)
        return real_get(name)

    monkeypatch.setattr(registry, "get", slow_get)
    app = LmtuiApp()
    try:
        await _press_s_while_loading(app, gate)
    finally:
        gate.set()


async def _press_s_while_loading(app, gate) -> None:
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        app.open_chapter("seven-desiderata", view="figure")  # its figure 1 is an explorer
        await pilot.pause()
        await pilot.press("f")  # figure 2: the simulation, loading
        await pilot.pause()
        deck = app.main_screen.chapter_view.deck
        assert deck.loading_sim == "langevin_well"
        await pilot.press("s")
        for _ in range(50):  # a key goes on once the key before it has been handled
            await pilot.pause(0.02)
            if deck.pending:
                break
        assert deck.pending == ["s"]
        gate.set()
        await wait_for_workers(app)
        await pilot.pause()
        await pilot.pause()
        pane = current_pane(app)
        await wait_for_workers(app)
        await pilot.pause()
        assert pane.state.result is not None  # the early s ran it



async def test_walking_the_parameters_keeps_the_help_line_whole_and_lays_nothing_out():
    """Each up/down rewrites the help line under the parameters. It is as tall as the longest
    parameter's help, so each is shown whole and the walk never lays the screen out again (the
    costly part of a key while a run streams) nor moves the list above it."""
    from textual.content import Content

    app = LmtuiApp()
    async with app.run_test(size=(100, 30)) as pilot:
        await open_figure(pilot, "solvable-settings", "sim:deep_linear")
        pane = current_pane(app)
        await pilot.pause()
        await pilot.press("down")  # the first move after the figure opened
        await pilot.pause()
        screen, help_line = app.screen, pane._help
        layouts = []
        original = screen._refresh_layout
        screen._refresh_layout = lambda *a, **k: (layouts.append(1), original(*a, **k))[1]
        heights, lines = set(), set()
        for key in ["down"] * (len(pane.query(ParamRow)) - 3) + ["up"] * 3:
            await pilot.press(key)
            await pilot.pause()
            text = str(help_line.content)
            assert app.focused.param.name in text
            lines.add(Content(text).get_height(help_line.styles, help_line.content_region.width))
            assert help_line.size.height >= max(lines)  # whole
            heights.add(help_line.size.height)
        assert len(lines) > 1 and len(heights) == 1  # helps of several lengths, one height
        assert not layouts


async def test_every_series_of_a_finished_run_has_its_own_colour_on_a_16_colour_terminal():
    """Deep linear's three measured modes and their three ODE curves, as the app draws them: each
    legend key's colour through the theme's ANSI palette, down to 16 colours (--color 16), dark
    theme and light."""
    from rich.color import ColorSystem

    from lmtui.tui.widgets.simpane import ChartView

    app = LmtuiApp()
    async with app.run_test(size=(120, 40)) as pilot:
        await open_figure(pilot, "solvable-settings", "sim:deep_linear")
        pane = current_pane(app)
        await pilot.press("s")
        await wait_for_workers(app)
        await pilot.pause()
        for theme in ("textual-dark", "textual-light"):
            app.theme = theme
            await pilot.pause()
            view = pane.query_one(ChartView)
            shown = {}  # the first panel's legend: "o 6 GD   x 3 GD ... --- 3 ODE", each key coloured
            for line in view.render().split("\n"):
                for span in line.spans:
                    label = line.plain[span.end:].split("   ")[0].strip()
                    if span.style and span.style.color is not None and label.endswith((" GD", " ODE")):
                        colour = span.style.color.get_truecolor(app.ansi_theme)
                        shown[label] = Color.from_triplet(colour).downgrade(ColorSystem.STANDARD).number
            assert len(shown) == 6 and len(set(shown.values())) == 6, (theme, shown)


@pytest.mark.parametrize("size, rows", [((80, 24), 11), ((120, 40), 20)])
async def test_a_sweep_of_five_runs_leaves_the_chart_its_rows(size, rows):
    """Five runs of three measured lines and three theory curves: the legend folds the runs so the
    plot keeps its rows at 80x24; at 120x40 the panels are shown one at a time (v) instead of three
    squeezed ones."""
    import re

    from lmtui.tui.widgets.simpane import ChartView

    app = LmtuiApp()
    async with app.run_test(size=size) as pilot:
        await open_figure(pilot, "solvable-settings", "sim:deep_linear")
        pane = current_pane(app)
        await set_param(pilot, pane, "lr", "0.002,0.004,0.008,0.016,0.032", expect_ok=False)
        for _ in range(200):
            await wait_for_workers(app)
            await pilot.pause()
            if not pane.running and pane.state.book.sweep is not None and pane.state.book.sweep.done:
                break
        await pilot.pause()
        view = pane.query_one(ChartView)
        text = view.render().plain.split("\n")
        top = next(i for i, r in enumerate(text) if "┌" in r)
        bottom = next(i for i, r in enumerate(text) if "└" in r)
        assert bottom - top + 1 >= rows, "\n".join(text)
        assert "[v: panel 1/3]" in text[0]
        assert re.search(r"\S{3} lr 0\.032", "\n".join(text)) or "(lr 0.032)" in "\n".join(text)
