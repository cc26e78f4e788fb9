"""Snapshots of `lmtui room` at 80x24 and 120x40, in colour and NO_COLOR --ascii: a choice
question revealed, a predict question revealed (its predictions spanning decades: a log axis,
the run's chart beside the histogram where there is room) and the roster. Over fixed stores (the
app's own store code, fixed answers, predictions and places, fixed modification times) with a
fixed clock, in UTC, in the mini fixture course with its predict questions.
Accept changes: pytest --snapshot-update."""

from __future__ import annotations

import os
import time

import pytest

from lmtui.core.course import load_course
from lmtui.core.progress import ProgressStore
from lmtui.tui.room_app import RoomApp

from conftest import until, wait_for_workers
from room_support import room_course, room_read

SIZES = [(80, 24), (120, 40)]
NOW = 1_760_000_000.0  # the room's clock: 2025-10-09 08:53:20 UTC
# name, first answer to second/q1 (1-based; 2 is right), slope prediction (value, low, high), chapter, view, minutes since the last write
LEARNERS = [
    ("ada", 2, (1.9, 1.7, 2.2), "second", "quiz", 1),
    ("bo", 1, (2.5, None, None), "second", "quiz", 2),
    ("chen", 2, (0.5, 0.2, 1.0), "second", "figure", 3),
    ("dmitri", 2, (2.05, None, None), "second", "quiz", 0),
    ("eve", None, (40.0, None, None), "second", "text", 4),
    ("fatima", 3, (0.08, None, None), "first", "quiz", 12),
    ("gus", 2, (3.0, 1.0, 9.0), "second", "quiz", 1),
    ("hana", None, None, "first", "text", 25),
]


def seed_room(course, learners) -> None:
    loaded = load_course(course)
    second = loaded.by_id("second")
    quiz = {q.id: q for q in second.quiz}
    key = str(course.resolve())
    for name, answer, prediction, chapter, view, minutes in LEARNERS:
        store = ProgressStore(learners / name, course=key)
        if answer is not None:
            q = quiz["q1"]
            store.record_answer("second", "q1", q.keys[answer - 1], answer == q.answer, q.fingerprint)
        if prediction is not None:
            value, low, high = prediction
            store.record_prediction("second", "slope", value, None, quiz["slope"].fingerprint, low, high)
        store.set_state("last_chapter", chapter)
        store.set_state(f"view:{chapter}", view)
        store.close()
        for path in (learners / name).iterdir():
            os.utime(path, (NOW - 60 * minutes, NOW - 60 * minutes))


@pytest.fixture
def room_dir(tmp_path, monkeypatch):
    """The fixed room, opened by a relative path (the status line shows it)."""
    monkeypatch.setenv("TZ", "UTC")
    time.tzset()
    course = room_course(tmp_path)
    seed_room(course, tmp_path / "learners")
    monkeypatch.chdir(tmp_path)
    yield course
    monkeypatch.undo()
    time.tzset()


@pytest.mark.parametrize("plain", [False, True], ids=["colour", "no-color-ascii"])
@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
@pytest.mark.parametrize("view", ["choice", "predict", "roster"])
def test_room(snap_compare, monkeypatch, room_dir, view, size, plain):
    if plain:
        monkeypatch.setenv("NO_COLOR", "1")
    app = RoomApp("learners", content_dir=room_dir, ascii_only=plain, interval=0.2, clock=lambda: NOW)

    async def run_before(pilot):
        await room_read(pilot)
        if view == "roster":
            await pilot.press("l")
        else:
            await pilot.press("slash", *("shrinks like" if view == "choice" else "log-log"), "enter", "r")
            await wait_for_workers(pilot.app)
            assert await until(pilot, lambda: "Right: 2." in str(pilot.app.screen.query_one("#verdict").content)
                               or "Measured" in str(pilot.app.screen.query_one("#verdict").content), 30)
            if view == "predict":
                hist = pilot.app.screen.query_one("#hist")
                assert hist.chart.panels[0].xlog  # 0.08 to 40: a log axis
        await pilot.pause()
        await pilot.pause()

    assert snap_compare(app, terminal_size=size, run_before=run_before)
