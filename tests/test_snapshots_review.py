"""Snapshots of the Review and Overview views at 80x24 and 120x40, in colour and NO_COLOR --ascii,
over a learner's store with answers, predictions and cards at fixed times, in the mini fixture
course (tests/review_support.py: a course that changes only with the tests).
Accept changes: pytest --snapshot-update."""

from __future__ import annotations

import time

import pytest

from lmtui.tui.app import LmtuiApp
from lmtui.tui.screens.overview import OverviewScreen
from lmtui.tui.screens.review import ReviewScreen

from conftest import until
from review_support import NOW, seed_store, snapshot_course

SIZES = [(80, 24), (120, 40)]


@pytest.mark.parametrize("plain", [False, True], ids=["colour", "no-color-ascii"])
@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
@pytest.mark.parametrize("screen", ["review", "review-answered", "overview"])
def test_review_and_overview(snap_compare, monkeypatch, mini_course, screen, size, plain):
    monkeypatch.setenv("TZ", "UTC")  # due dates are shown in local time
    time.tzset()
    course = snapshot_course(mini_course)
    seed_store(course)
    if plain:
        monkeypatch.setenv("NO_COLOR", "1")
    app = LmtuiApp(content_dir=course, ascii_only=plain)

    async def run_before(pilot):
        await pilot.pause()
        # the start's notice that cards are due (tests/test_review.py) is not what these show
        await until(pilot, lambda: any("due" in n.message for n in pilot.app._notifications), 5)
        pilot.app.clear_notifications()
        pilot.app.push_screen(OverviewScreen(at=NOW) if screen == "overview" else ReviewScreen(at=NOW))
        for _ in range(20):  # the Overview focuses its list of missed questions after its first refresh
            await pilot.pause()
            if pilot.app.focused is not None and pilot.app.focused.screen is pilot.app.screen:
                break
        await pilot.wait_for_scheduled_animations()
        await pilot.pause()
        await pilot.pause()
        if screen == "review-answered":
            await pilot.press("1")
            await pilot.pause()

    try:
        assert snap_compare(app, terminal_size=size, run_before=run_before)
    finally:
        monkeypatch.undo()
        time.tzset()
