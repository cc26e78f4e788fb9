"""A run estimated to take long is asked about, with its estimate, before it starts; in a served
room a run over the room's limit is refused with the reason."""

from __future__ import annotations

from lmtui.tui.app import LmtuiApp
from lmtui.tui.widgets.runcost import ConfirmRun

from conftest import screen_text, wait_for_workers
from figures_support import current_pane, open_figure, set_param


async def _long_setting(pilot):
    await open_figure(pilot, "simplifying-limits", "sim:lazy_rich")
    pane = current_pane(pilot.app)
    await set_param(pilot, pane, "width", "4096")
    await set_param(pilot, pane, "steps", "50000")  # about a minute
    return pane


async def test_a_long_run_is_asked_about_first_with_its_estimate(monkeypatch):
    monkeypatch.delenv("LMTUI_RUN_LIMIT", raising=False)
    app = LmtuiApp()
    async with app.run_test(size=(80, 24)) as pilot:
        pane = await _long_setting(pilot)
        await pilot.press("s")
        await pilot.pause()
        assert isinstance(app.screen, ConfirmRun) and not pane.running
        text = screen_text(app)
        assert "This run would take about" in text and "y: start it" in text and "n: not now" in text
        await pilot.press("n")
        await pilot.pause()
        assert not isinstance(app.screen, ConfirmRun) and not pane.running
        await pilot.press("s")
        await pilot.pause()
        await pilot.press("y")
        await pilot.pause()
        assert pane.running and "running" in pane._verdict.text
        await pilot.press("s")  # stopped
        await wait_for_workers(app)
        assert not pane.running


async def test_a_served_visitor_cannot_start_a_run_over_the_rooms_limit(monkeypatch):
    monkeypatch.setenv("LMTUI_RUN_LIMIT", "30")
    app = LmtuiApp()
    async with app.run_test(size=(100, 30)) as pilot:
        pane = await _long_setting(pilot)
        await pilot.press("s")
        await pilot.pause()
        assert not isinstance(app.screen, ConfirmRun) and not pane.running
        said = [n.message for n in app._notifications]
        assert any("would take about 55 s; this server allows about 30 s per run" in m for m in said), said
        await set_param(pilot, pane, "steps", "200")  # a short one runs
        await pilot.press("s")
        await pilot.pause()
        assert pane.running or pane.state.result is not None
        await wait_for_workers(app)
