"""`lmtui room`: the instructor's live view of the room, over stores the app itself wrote.

The headless model first (lmtui.core.room): stores found as `lmtui report` finds them, read
read-only with nothing created beside them, re-read only when their files change, damaged ones
listed and skipped; pace, first answers per choice, every committed prediction."""

from __future__ import annotations

import asyncio
import os
import re
import shutil
import threading
import time

import pytest

from lmtui.core.course import load_course
from lmtui.core.progress import DB_NAME, ProgressStore
from lmtui.core.room import Room, histogram

from room_support import learner_session, room_course, room_read, slope_question

@pytest.fixture(autouse=True)
def utc(monkeypatch):
    """Times of day shown in UTC, whatever this machine's zone."""
    monkeypatch.setenv("TZ", "UTC")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


LEARNERS = (("Ada", "2", "1.9"), ("Bob", "1", "2.5 +- 0.5"), ("Cy", "2", "40"), ("Dee", None, None))


@pytest.fixture(scope="module")
def made_room(tmp_path_factory):
    """Four learners through the app: Ada (right, predicts 1.9, and "above 1.5"), Bob (wrong, 2.5 with a range of
    +-0.5), Cy (right, 40),
    Dee (in the quiz, nothing answered); and Mallory's store, damaged."""
    base = tmp_path_factory.mktemp("room")
    course = room_course(base)
    learners = base / "learners"
    for name, answer, prediction in LEARNERS:
        asyncio.run(learner_session(course, learners, name, answer, prediction, side="2" if name == "Ada" else None))
    (learners / "Mallory").mkdir()
    (learners / "Mallory" / DB_NAME).write_bytes(b"not a database at all " * 50)
    return course, learners


def copy_room(made_room, tmp_path):
    course, learners = made_room
    shutil.copytree(learners, tmp_path / "learners")
    return course, tmp_path / "learners"


def listing(folder):
    return sorted((str(p.relative_to(folder)), p.stat().st_size, p.stat().st_mtime_ns) for p in folder.rglob("*"))


def open_room(course, learners) -> Room:
    room = Room(learners, load_course(course), str(course.resolve()))
    room.refresh()
    return room


def test_the_spread_of_answers_and_predictions_and_the_pace(made_room, tmp_path, monkeypatch):
    course, learners = copy_room(made_room, tmp_path)
    room = open_room(course, learners)
    assert list(room.seats) == ["Ada", "Bob", "Cy", "Dee"]
    assert list(room.unreadable) == ["Mallory"] and "damaged" in room.unreadable["Mallory"][1]
    questions = dict(((c, q.id), q) for c, q in room.questions())
    choice = room.choice_spread("second", questions[("second", "q1")])
    assert choice.counts == [1, 2, 0, 0] and choice.answered == 3 and choice.right == 2
    spread = room.predict_spread("second", questions[("second", "slope")])
    assert sorted((g.learner, g.value) for g in spread.guesses) == [("Ada", 1.9), ("Bob", 2.5), ("Cy", 40.0)]
    assert spread.predicted == 3 and spread.learners == 4
    assert spread.within(2.0) == 1  # Ada: within +-0.15 of the slope 2
    pace = room.pace(idle_after=3600)
    second = next(c for c in pace.chapters if c.chapter == "second")
    assert second.learners == 4 and second.views == {"quiz": 4} and pace.idle == []
    room.clock = lambda: 4e9  # far in the future: everyone has been idle, the first to stop first
    idle = room.pace(idle_after=3600).idle
    assert sorted(n for n, _ in idle) == ["Ada", "Bob", "Cy", "Dee"] and idle[0][1] >= idle[-1][1]
    from lmtui.tui.screens import room as screen

    text = screen.pace_text(room)
    assert "idle 4, since (UTC): " in text and "Dee" in text and "more" not in text
    monkeypatch.setattr(screen, "IDLE_NAMES", 2)
    assert ", +2 more" in screen.pace_text(room)  # a big room's idle are counted, a few named


def test_nothing_is_written_beside_the_stores_even_while_a_learner_writes(made_room, tmp_path):
    course, learners = copy_room(made_room, tmp_path)
    before = listing(learners)
    room = open_room(course, learners)
    room.refresh()
    assert listing(learners) == before  # no -wal, -shm or -journal created, nothing touched
    live = ProgressStore(learners / "Bob", course=str(course.resolve()))  # Bob's app is running
    live.set_state("last_chapter", "first")
    during = listing(learners)
    assert any(name.endswith("-wal") for name, *_ in during)
    assert room.refresh() and room.seats["Bob"].place == ("first", "text")
    assert listing(learners) == during  # read through the writer's WAL, nothing added
    live.close()


def test_only_changed_stores_are_read_again(made_room, tmp_path):
    course, learners = copy_room(made_room, tmp_path)
    room = open_room(course, learners)
    assert room.reads == 5
    assert room.refresh() is False and room.reads == 5  # nothing changed: nothing read
    store = ProgressStore(learners / "Dee", course=str(course.resolve()))
    store.record_prediction("second", "slope", 2.05, None, slope_question(course).fingerprint)
    assert room.refresh() is True and room.reads == 6
    store.close()
    questions = dict(((c, q.id), q) for c, q in room.questions())
    room.refresh()
    assert 2.05 in room.predict_spread("second", questions[("second", "slope")]).values
    shutil.rmtree(learners / "Cy")
    assert room.refresh() is True and "Cy" not in room.seats
    (learners / "Mallory" / DB_NAME).unlink()
    assert room.refresh() is True and "Mallory" not in room.unreadable


def test_a_range_given_with_the_prediction_is_read(made_room, tmp_path):
    course, learners = copy_room(made_room, tmp_path)
    room = open_room(course, learners)
    questions = dict(((c, q.id), q) for c, q in room.questions())
    spread = room.predict_spread("second", questions[("second", "slope")])
    bob = next(g for g in spread.guesses if g.learner == "Bob")
    assert (bob.value, bob.low, bob.high) == (2.5, 2.0, 3.0)
    assert spread.ranged == 1 and spread.ranges_holding(2.0) == 1 and spread.ranges_holding(3.5) == 0


def test_a_folder_that_goes_away_is_said_and_the_room_goes_on(made_room, tmp_path):
    course, learners = copy_room(made_room, tmp_path)
    room = open_room(course, learners)
    os.rename(learners, tmp_path / "elsewhere")
    assert room.refresh() is True and "cannot read" in room.error
    os.rename(tmp_path / "elsewhere", learners)
    assert room.refresh() is True and room.error is None and len(room.seats) == 4


def test_histogram_goes_logarithmic_where_predictions_span_decades():
    linear = histogram([1.9, 2.5, 2.0, 2.2], bins=4)
    assert not linear.log and sum(linear.counts) == 4 and linear.edges[0] == 1.9 and linear.edges[-1] == 2.5
    wide = histogram([0.01, 0.1, 1.0, 10.0], bins=4)
    assert wide.log and wide.counts == [1, 1, 1, 1]
    assert histogram([], bins=4) is None
    same = histogram([3.0, 3.0], bins=2)
    assert sum(same.counts) == 2 and same.edges[0] < 3.0 < same.edges[-1]
    assert histogram([1.0, 2.0], extra=[1000.0]).log  # the measurement far away stretches the axis


# -- the instructor's view ---------------------------------------------------------------------
from lmtui.tui.room_app import RoomApp  # noqa: E402
from lmtui.tui.screens.room import SpreadView  # noqa: E402

from conftest import screen_text, wait_for_workers  # noqa: E402


async def until(pilot, condition, tries: int = 60) -> bool:
    for _ in range(tries):
        if condition():
            return True
        await pilot.pause(0.05)
    return condition()


async def choose(pilot, words: str) -> None:
    """Find a question the way the instructor does: / then words, enter."""
    await pilot.press("slash", *words, "enter")
    await pilot.pause()


async def test_the_room_shows_the_predictions_and_on_reveal_the_measurement(made_room, tmp_path):
    course, learners = copy_room(made_room, tmp_path)
    app = RoomApp(learners, content_dir=course, interval=0.2)
    async with app.run_test(size=(80, 24)) as pilot:
        await room_read(pilot)
        text = screen_text(app)
        assert "4 learners" in text and "Mallory" in text and "damaged" in text  # listed, skipped
        assert "Pace: 4 learners" in text
        await choose(pilot, "log-log")
        spread = app.screen.query_one(SpreadView)
        assert spread.key == "second/slope"
        text = screen_text(app)
        assert "3 of 4 predicted (1 with a range), median 2.5" in text and "# predictions" in text
        drawn = app.screen.query_one("#hist").chart.panels[0].lines
        outline = next(line for line in drawn if line.label.startswith("predictions"))
        assert sum(outline.y[1:-1:2]) == 3 and not app.screen.query_one("#hist").chart.panels[0].xlog  # 1.9, 2.5, 40
        ranges = next(line for line in drawn if line.label.startswith("ranges"))
        assert ranges.label == "ranges (1)" and max(ranges.y) == 1 and min(ranges.x) == 2.0  # Bob's 2 to 3
        assert "Measured" not in text and "measured" not in text  # nothing given away before reveal
        await pilot.press("r")
        await wait_for_workers(app)
        assert await until(pilot, lambda: "Measured 2.002" in screen_text(app))
        text = screen_text(app)
        assert "o measured 2.002" in text and "theory 2" in text  # drawn on the histogram
        verdict = str(spread.query_one("#verdict").content)
        assert verdict.startswith("Measured 2.002, theory 2: 1 of 3 within tolerance (33%); 2 too high. 1 of 1 ranges hold it.")
        assert "error at time T" not in text and "(w: the run's chart beside)" in verdict  # too short for both
        await pilot.press("w")  # no side panel: the simulation's own chart beside the histogram
        assert await until(pilot, lambda: "error at time T" in screen_text(app))
        assert "o measured 2.002" in screen_text(app)


@pytest.fixture
def gate(monkeypatch):
    """The room's reads of a store wait until this event is set (a slow shared folder); set at the
    end of the test, so no reader thread is left waiting."""
    import lmtui.core.room as core_room

    event = threading.Event()
    read = core_room.read_store

    def gated(*args, **kwargs):
        event.wait(20)
        return read(*args, **kwargs)

    monkeypatch.setattr(core_room, "read_store", gated)
    yield event
    event.set()


async def test_the_first_frame_does_not_wait_for_the_stores_and_keys_meanwhile_work(made_room, tmp_path, gate):
    """The stores are read after the first frame, which says so with a count; the instructor's
    keys work meanwhile, and the room fills in once they are read."""
    course, learners = copy_room(made_room, tmp_path)
    app = RoomApp(learners, content_dir=course, interval=0.2)
    async with app.run_test(size=(80, 24)) as pilot:
        assert await until(pilot, lambda: "Reading 5 learners' stores... 0/5" in screen_text(app))
        assert "Pace: reading the stores..." in screen_text(app) and not app.screen.stores_read
        await choose(pilot, "log-log")  # found while the stores are read
        assert app.screen.query_one(SpreadView).key == "second/slope"
        assert "reading the learners' stores..." in screen_text(app)
        await pilot.press("l")
        await pilot.pause()
        assert str(app.screen.query_one("#roster-text").content) == "Reading 5 learners' stores... 0/5"
        gate.set()
        await room_read(pilot)
        text = screen_text(app)
        assert "4 learners" in text and "Mallory (damaged)" in text and "Pace: 4 learners" in text
        assert any(line.split("│")[-1].startswith(" Bob") and "0/2" in line for line in text.splitlines()), text
        await pilot.press("l")
        await pilot.pause()
        assert "3 of 4 predicted" in screen_text(app)


async def test_quitting_while_the_stores_are_read_does_not_wait_for_them(made_room, tmp_path, gate):
    course, learners = copy_room(made_room, tmp_path)
    app = RoomApp(learners, content_dir=course, interval=0.2)
    async with app.run_test(size=(80, 24)) as pilot:
        assert await until(pilot, lambda: "Reading 5 learners' stores" in screen_text(app))
        reader = app.screen.reader
        started = time.monotonic()
        await pilot.press("q")
    assert time.monotonic() - started < 5 and reader.stop.is_set() and reader.is_alive()  # still held by the folder
    gate.set()
    reader.join(10)
    assert not reader.is_alive() and app.room.looks == 0  # it stopped between two stores, reading no more


def test_a_store_gone_while_the_room_reads_is_listed_not_fatal(made_room, tmp_path):
    """A store that vanishes between the folder's listing and its read (here one whose app was
    killed, its WAL left without the shared-memory file) is listed as unreadable; the others are
    read, and once its folder holds no store it is no longer listed."""
    course, learners = copy_room(made_room, tmp_path)
    (learners / "Bob" / (DB_NAME + "-wal")).write_bytes(b"")
    room = Room(learners, load_course(course), str(course.resolve()))
    seen = []

    def progress(done: int, total: int) -> None:
        seen.append((done, total))
        if done == 1:  # Ada read; Bob next
            (learners / "Bob" / DB_NAME).unlink()

    assert room.refresh(progress)
    assert list(room.seats) == ["Ada", "Cy", "Dee"] and set(room.unreadable) == {"Bob", "Mallory"}
    assert "cannot open it" in room.unreadable["Bob"][1]
    assert seen == [(0, 5), (1, 5), (2, 5), (3, 5), (4, 5), (5, 5)] and room.looks == 1
    assert room.refresh() and list(room.unreadable) == ["Mallory"]


async def test_a_store_written_while_the_room_is_open_shows(made_room, tmp_path):
    course, learners = copy_room(made_room, tmp_path)
    app = RoomApp(learners, content_dir=course, interval=0.2)
    async with app.run_test(size=(80, 24)) as pilot:
        await room_read(pilot)
        await choose(pilot, "log-log")
        assert "3 of 4 predicted" in screen_text(app)
        store = ProgressStore(learners / "Dee", course=str(course.resolve()))
        store.record_prediction("second", "slope", 2.1, None, slope_question(course).fingerprint)
        store.set_state("last_chapter", "first")
        assert await until(pilot, lambda: "4 of 4 predicted" in screen_text(app))
        store.close()
        assert " 1    1    1" in screen_text(app)  # Dee is in the first chapter's text now


async def test_a_choice_question_is_marked_only_after_reveal(made_room, tmp_path):
    course, learners = copy_room(made_room, tmp_path)
    app = RoomApp(learners, content_dir=course, interval=0.2)
    async with app.run_test(size=(120, 40)) as pilot:
        await room_read(pilot)
        await choose(pilot, "shrinks like")
        text = screen_text(app)
        assert "3 of 4 answered" in text and "right" not in text.split("shrinks like")[1].replace("r Reveal", "")
        await pilot.press("r")
        await pilot.pause()
        lines = screen_text(app).splitlines()
        marked = [line for line in lines if "<- right" in line]
        assert len(marked) == 1 and "2 (67%)" in marked[0]
        await pilot.press("r")  # hidden again, to ask once more
        await pilot.pause()
        assert "<- right" not in screen_text(app)


async def test_a_prediction_with_choices_is_marked_by_the_run(made_room, tmp_path):
    course, learners = copy_room(made_room, tmp_path)
    app = RoomApp(learners, content_dir=course, interval=0.2)
    async with app.run_test(size=(80, 24)) as pilot:
        await room_read(pilot)
        await choose(pilot, "below 1.5")
        spread = app.screen.query_one(SpreadView)
        assert spread.key == "second/side" and "1 of 4 predicted" in screen_text(app)
        assert "<- right" not in screen_text(app)
        await pilot.press("r")
        await wait_for_workers(app)
        assert await until(pilot, lambda: "<- right" in screen_text(app))
        marked = [line for line in screen_text(app).splitlines() if "<- right" in line]
        assert len(marked) == 1 and "1 (100%)" in marked[0]  # above 1.5: Ada's choice, and the run's
        assert str(spread.query_one("#verdict").content) == "Measured 2.002, theory 2: 1 of 1 chose 2, where it fell (100%)."


async def test_ascii_and_no_colour(made_room, tmp_path):
    course, learners = copy_room(made_room, tmp_path)
    app = RoomApp(learners, content_dir=course, ascii_only=True, color=False, interval=0.2)
    async with app.run_test(size=(80, 24)) as pilot:
        await room_read(pilot)
        await choose(pilot, "log-log")
        await pilot.press("w", "r")
        await wait_for_workers(app)
        assert await until(pilot, lambda: "Measured 2.002" in screen_text(app))
        text = screen_text(app)
        assert text.isascii() and "h^2" in text, text


async def test_the_palette_and_the_keys_find_questions(made_room, tmp_path):
    course, learners = copy_room(made_room, tmp_path)
    app = RoomApp(learners, content_dir=course, interval=0.2)
    async with app.run_test(size=(80, 24)) as pilot:
        await room_read(pilot)
        spread = app.screen.query_one(SpreadView)
        assert spread.key == "first/q1"
        await pilot.press("j")
        await pilot.pause()
        assert spread.key == "first/q2"
        await pilot.press("ctrl+p")
        await pilot.pause(0.6)  # the room is looked at (and shown) with the palette on top
        await pilot.press(*"log-log")
        assert await until(pilot, lambda: "slope?" in screen_text(app))  # the palette found it
        await pilot.press("enter")
        await pilot.pause()
        assert spread.key == "second/slope"
        await pilot.press("slash", *"nothing like this", "escape")
        await pilot.pause()
        assert spread.key == "second/slope" and "1.1 quiz" in screen_text(app)  # the whole list back


def test_room_needs_a_folder(tmp_path):
    import subprocess
    import sys

    out = subprocess.run([sys.executable, "-m", "lmtui", "room", str(tmp_path / "nowhere")], capture_output=True,
                         text=True, timeout=60)
    assert out.returncode == 2 and "not a folder" in out.stderr


async def idle_draws(pilot, monkeypatch, looks_at_least: int = 5) -> list[str]:
    """From now on, every part drawn again (by id, or the list's method), once the room has been
    looked at ``looks_at_least`` times."""
    from textual.widgets import OptionList, Static

    from lmtui.tui.widgets.simpane import ChartView

    updates, looks = [], []
    monkeypatch.setattr(Static, "update", lambda self, *a, **k: updates.append(self.id))
    monkeypatch.setattr(ChartView, "show", lambda self, *a, **k: updates.append(self.id))
    for name in ("clear_options", "replace_option_prompt_at_index"):
        monkeypatch.setattr(OptionList, name, lambda self, *a, _n=name, **k: updates.append(_n))
    refresh = Room.refresh
    monkeypatch.setattr(Room, "refresh", lambda self, *a, **k: looks.append(1) or refresh(self, *a, **k))
    assert await until(pilot, lambda: len(looks) >= looks_at_least)
    await pilot.pause()
    return updates


async def test_nothing_is_drawn_again_while_nothing_changes(made_room, tmp_path, monkeypatch):
    """An idle room is looked at every interval and sends nothing: no part is updated."""
    course, learners = copy_room(made_room, tmp_path)
    app = RoomApp(learners, content_dir=course, interval=0.1)
    async with app.run_test(size=(80, 24)) as pilot:
        await room_read(pilot)
        await choose(pilot, "log-log")
        await pilot.pause(0.3)
        updates = await idle_draws(pilot, monkeypatch)
        assert updates == []
        store = ProgressStore(learners / "Dee", course=str(course.resolve()))
        store.set_state("last_chapter", "first")  # a move shows in the pace panel, and only there
        store.close()
        assert await until(pilot, lambda: updates)
        await pilot.pause(0.3)
        assert set(updates) == {"pace"}


async def test_a_tiny_terminal_does_not_break_the_room(made_room, tmp_path):
    course, learners = copy_room(made_room, tmp_path)
    app = RoomApp(learners, content_dir=course, interval=0.2)
    async with app.run_test(size=(30, 8)) as pilot:
        await room_read(pilot)
        await choose(pilot, "log-log")
        await pilot.press("r", "w", "w")
        await wait_for_workers(app)
        await pilot.pause()
        await pilot.resize_terminal(120, 40)
        assert await until(pilot, lambda: "Measured 2.002" in screen_text(app))


async def test_a_run_over_the_servers_limit_is_refused_and_can_be_tried_again(made_room, tmp_path, monkeypatch):
    """Served, the room's runs have the room's limit like every visitor's: a refused run says so."""
    from lmtui.core.runcost import LIMIT_ENV

    course, learners = copy_room(made_room, tmp_path)
    monkeypatch.setenv(LIMIT_ENV, "1e-9")
    app = RoomApp(learners, content_dir=course, interval=0.2)
    async with app.run_test(size=(80, 24)) as pilot:
        await room_read(pilot)
        await choose(pilot, "log-log")
        spread = app.screen.query_one(SpreadView)
        await pilot.press("r")
        await pilot.pause()
        assert str(spread.query_one("#verdict").content) == "The simulation has not run (r tries again)."
        monkeypatch.delenv(LIMIT_ENV)
        await pilot.press("r")
        await wait_for_workers(app)
        assert await until(pilot, lambda: "Measured 2.002" in str(spread.query_one("#verdict").content))


async def test_words_typed_right_after_the_search_key_go_to_the_search(made_room, tmp_path):
    """One burst (over SSH, or a fast typist): "/log" then enter arrive before the search opens;
    the letters go to the search, none to the list (where r would reveal)."""
    from textual import events

    course, learners = copy_room(made_room, tmp_path)
    app = RoomApp(learners, content_dir=course, interval=0.2)
    async with app.run_test(size=(80, 24)) as pilot:
        await room_read(pilot)
        for key, char in (("slash", "/"), ("r", "r"), ("l", "l"), ("o", "o"), ("g", "g")):
            app.post_message(events.Key(key, char))
        await pilot.pause()
        await pilot.pause()
        assert app.screen.query_one("#search").value == "rlog"  # nothing revealed, nothing lost
        await pilot.press("backspace", "backspace", "backspace", "backspace", *"log", "enter")
        await pilot.pause()
        spread = app.screen.query_one(SpreadView)
        assert spread.key == "second/slope" and not spread.revealed
        for key, char in (("slash", "/"), ("x", "x"), ("escape", None), ("r", "r")):  # closed, then reveal
            app.post_message(events.Key(key, char))
        await wait_for_workers(app)
        assert await until(pilot, lambda: spread.key in spread.revealed and "Measured" in screen_text(app))
        await pilot.press("slash")
        assert app.screen.query_one("#search").value == ""  # a new search starts empty


async def test_keys_typed_right_after_enter_in_the_search_go_to_the_list(made_room, tmp_path, gate):
    """One burst, typed while the stores are still read: "/log", enter, then l (the roster); then
    "/shrinks", enter, r: the search keeps its words, the question found is shown, and l and r
    reach the list (they went to the search, which still had the focus)."""
    from textual import events

    course, learners = copy_room(made_room, tmp_path)
    app = RoomApp(learners, content_dir=course, interval=0.2)
    async with app.run_test(size=(80, 24)) as pilot:
        for key, char in (("slash", "/"), ("l", "l"), ("o", "o"), ("g", "g"), ("enter", "\r"), ("l", "l")):
            app.post_message(events.Key(key, char))
        await pilot.pause()
        await pilot.pause()
        screen = app.screen
        assert screen.query_one("#search").value == "log" and screen.has_class("-roster")
        assert screen.query_one(SpreadView).key == "second/slope" and not screen.stores_read
        for key, char in (("slash", "/"), *((c, c) for c in "shrinks"), ("enter", "\r"), ("r", "r")):
            app.post_message(events.Key(key, char))
        await pilot.pause()
        await pilot.pause()
        assert screen.query_one("#search").value == "shrinks" and not screen.has_class("-roster")
        spread = screen.query_one(SpreadView)
        assert spread.key == "second/q1" and spread.revealed == {"second/q1"}  # r: revealed
        gate.set()
        await room_read(pilot)
        assert "3 of 4 answered" in screen_text(app)


# -- what the room draws of the spread, and what it makes of hostile stores -------------------------
HOSTILE_NAMES = ("evil\x1b]52;c;aGk=\x07", "\u202eesrever", "\x1b[2Jclear", "x" * 200)


def hostile_room(base, values=(1.9, 2.0, 2.05, 1.95, 2.1, 2.2, 1e308, 7e12, -1e300)):
    """Learners' stores written by the app's own store code, some with names that would drive a
    terminal and predictions no chart can hold (1e308), plus a damaged store with such a name."""
    course = room_course(base)
    question = slope_question(course)
    learners = base / "learners"
    names = [f"learner{i}" for i in range(len(values))]
    names[: len(HOSTILE_NAMES)] = HOSTILE_NAMES
    for name, value in zip(names, values):
        store = ProgressStore(learners / name, course=str(course.resolve()))
        store.record_prediction("second", "slope", value, None, question.fingerprint,
                                *((value * 0.9, value * 1.1) if name == names[1] else (3.0, 1.0) if name == names[2] else ()))
        store.set_state("last_chapter", "second")
        store.close()
    (learners / "\x1b]0;owned\x07").mkdir()
    (learners / "\x1b]0;owned\x07" / DB_NAME).write_bytes(b"not a database at all " * 50)
    return course, learners


def test_a_prediction_no_chart_can_hold_is_counted_off_it():
    """One typo (7e12 for 2) or a hand-edited store (1e308) would squash the room into one bin, or
    overflow the chart's arithmetic: such values are left off the axis, and counted."""
    room = [1.9, 2.0, 2.05, 1.95, 2.1, 2.2]
    hist = histogram(room + [7e12, 1e308, -1e300])
    assert not hist.log and (hist.below, hist.above) == (1, 2) and sum(hist.counts) == 6
    assert hist.edges[0] == 1.9 and hist.edges[-1] == 2.2
    logs = histogram([0.01, 0.03, 0.1, 0.3, 1.0, 0.05, 0.0])  # zero has no place on a log axis
    assert logs.log and (logs.below, logs.above) == (1, 0) and sum(logs.counts) == 6
    assert histogram([1e308, -1e308]) is None  # nothing a chart can hold: no chart
    few = histogram([2.0, 2.1, 40.0])  # too few to call any of them an outlier
    assert few.off == 0 and few.edges[-1] == 40.0


def test_the_ranges_learners_gave_are_drawn_on_the_histogram():
    from lmtui.core.charts import render_chart
    from lmtui.core.room import Guess, PredictSpread, coverage, spread_chart

    assert coverage([(1, 3), (2, 4), (6, 7), (5, 4)], 0, 10) == [
        ([1, 1, 1, 2, 2, 3, 3, 4, 4], [0, 0, 1, 1, 2, 2, 1, 1, 0]), ([6, 6, 6, 7, 7], [0, 0, 1, 1, 0])]
    assert coverage([(-5, 20)], 0, 10) == [([0, 0, 0, 10, 10], [0, 0, 1, 1, 0])]  # cut to the axis
    question = slope_question(room_course_once())
    guesses = [Guess("a", 1.5, None, 1.0, 2.0), Guess("b", 1.8, None, 1.6, 3.0), Guess("c", 2.6, None), Guess("d", 2.9, None)]
    chart = spread_chart(PredictSpread(question, guesses, 4))
    ranges = [line for line in chart.panels[0].lines if line.marker == "="]
    assert ranges and ranges[0].label == "ranges (2)" and max(ranges[0].y) == 2  # both hold 1.6 to 2
    text = render_chart(chart, 60, 16, color=False, ascii_only=True)
    assert "= ranges (2)" in text and "==" in text
    from lmtui.core.room import summary

    assert summary([1.5, 1.8, 2.6, 2.9]) == "median 2.2, middle half 1.73 to 2.68"  # quartiles 1.725, 2.675
    assert summary([2.0, 40.0], "s") == "median 21 s" and summary([]) == ""


_COURSE = []


def room_course_once():
    import tempfile
    from pathlib import Path

    if not _COURSE:
        _COURSE.append(room_course(Path(tempfile.mkdtemp(prefix="lmtui-room-course-"))))
    return _COURSE[0]


async def test_hostile_stores_never_break_the_room_nor_reach_the_terminal(tmp_path):
    course, learners = hostile_room(tmp_path)
    before = listing(learners)
    app = RoomApp(learners, content_dir=course, interval=0.2, clock=lambda: 4e9)  # everyone idle
    async with app.run_test(size=(120, 40)) as pilot:
        await room_read(pilot)
        await choose(pilot, "log-log")
        assert app.screen.query_one(SpreadView).key == "second/slope"  # the first match, though side was too
        text = screen_text(app)
        assert "9 of 9 predicted" in text and "predictions, 3 off the chart" in text
        assert "evil^[]52;c;aGk…" in text and "<U+202E>esrever" in text and "^[[2Jclear" in text  # idle, named
        assert "^[]0;owned^G (damaged)" in text  # the damaged store's name, in the status line
        assert "x" * 15 + "…" in text and "x" * 16 not in text  # a long name is cut
        assert not any(ch in text for ch in "\x1b\x07\u202e")
        await pilot.press("r")
        await wait_for_workers(app)
        assert await until(pilot, lambda: "Measured 2.002" in screen_text(app))
        verdict = str(app.screen.query_one(SpreadView).query_one("#verdict").content)
        # 1.9 to 2.1 within 2.002 +- 0.15; -1e300 too low; 2.2, 7e12 and 1e308 too high; a range
        # whose low is above its high is no range
        assert "5 of 9 within tolerance (56%); 1 too low, 3 too high. 1 of 1 ranges hold it." in verdict
    assert listing(learners) == before  # nothing written in the learners' folders


async def test_a_long_prompt_is_cut_with_an_ellipsis_at_80x24(tmp_path):
    """The prompt takes at most three lines at 80x24 (four on a taller screen) and says when it
    goes on; the whole of it shows in the wide view."""
    course = room_course(tmp_path)
    words = " ".join(f"word{i}" for i in range(60))
    quiz = course / "02-second.quiz.toml"
    quiz.write_text(quiz.read_text(encoding="utf-8") + f'''
[[question]]
id = "long"
prompt = "A long question: {words} and the end?"
choices = ["yes", "no"]
answer = 1
explanation = "Because."
''', encoding="utf-8")
    (tmp_path / "learners").mkdir()
    app = RoomApp(tmp_path / "learners", content_dir=course, interval=0.2)
    async with app.run_test(size=(80, 24)) as pilot:
        await room_read(pilot)
        await choose(pilot, "long question")
        prompt = app.screen.query_one("#prompt")
        lines = str(prompt.content).splitlines()
        assert len(lines) == 3 and lines[-1].endswith("…") and "the end?" not in screen_text(app)
        assert prompt.size.height == 3 and lines[-1] in screen_text(app)
        assert lines[-1].endswith(" …") and lines[-1].split()[-2] in words.split()  # cut after a whole word
        await pilot.press("w")
        await pilot.resize_terminal(120, 40)
        assert await until(pilot, lambda: "the end?" in screen_text(app))
        assert "…" not in [line for line in screen_text(app).splitlines() if "the end?" in line][0]


def test_the_questions_the_room_missed_most(made_room, tmp_path):
    from lmtui.core.room import Score, most_missed_first

    course, learners = copy_room(made_room, tmp_path)
    room = open_room(course, learners)
    scores = room.scores()
    assert scores[("second", "q1")] == Score(3, 2)  # first answers: Ada and Cy right, Bob not
    assert scores[("second", "slope")] == Score(3, 1)  # as the learners' own runs graded them
    assert scores[("second", "side")] == Score(1, 1) and scores[("first", "q1")] == Score(0, 0)
    assert room.scores({("second", "slope"): 40.0})[("second", "slope")] == Score(3, 1)  # the room's run: Cy
    assert most_missed_first(scores)[:3] == [("second", "slope"), ("second", "q1"), ("second", "side")]
    assert most_missed_first(scores)[3:] == [("first", "q1"), ("first", "q2")]  # unanswered last, in order
    assert Score(3, 1).text() == "1/3" and Score(0, 0).text() == "-"


async def test_m_lists_the_most_missed_questions_first_with_the_rooms_score(made_room, tmp_path):
    """In course order the list gives nothing away (the screen may be projected); m lists the
    questions to discuss, the most missed first, each with right/answered, and shows the first."""
    from textual.widgets import OptionList

    course, learners = copy_room(made_room, tmp_path)
    app = RoomApp(learners, content_dir=course, interval=0.2)
    async with app.run_test(size=(80, 24)) as pilot:
        await room_read(pilot)
        rows = [str(o.prompt) for o in app.screen.query_one(OptionList).options]
        assert rows[0].startswith("1.1 quiz") and "m: most missed first" in screen_text(app)
        await pilot.press("m")
        await pilot.pause()
        rows = [str(o.prompt) for o in app.screen.query_one(OptionList).options]
        assert rows[0].startswith("1/3 2.2 predict") and rows[1].startswith("2/3 2.1 quiz")
        assert rows[-1].startswith("  - 1.2 quiz")
        assert app.screen.query_one(SpreadView).key == "second/slope"  # the first match, though side was too
        assert "right/answered · m: in order" in screen_text(app)
        store = ProgressStore(learners / "Dee", course=str(course.resolve()))  # Dee answers, wrong
        store.record_answer("second", "q1", "h", False, next(q for c, q in open_room(course, learners).questions()
                                                                if q.id == "q1" and c == "second").fingerprint)
        store.close()
        assert await until(pilot, lambda: str(app.screen.query_one(OptionList).options[1].prompt).startswith("2/4 2.1"))
        await pilot.press("m")
        await pilot.pause()
        assert str(app.screen.query_one(OptionList).options[0].prompt).startswith("1.1 quiz")
        assert app.screen.query_one(SpreadView).key == "second/slope"  # the first match, though side was too  # the question shown stays


def test_any_numbers_a_store_can_hold_draw_a_chart():
    """Predictions and ranges of every size a store's REAL column holds (tiny, huge, negative,
    equal, inverted ranges) always make a chart of the size asked for, in colour and in ASCII."""
    import random

    from lmtui.core.charts import render_chart
    from lmtui.core.room import Guess, PredictSpread, spread_chart

    question = slope_question(room_course_once())
    rng = random.Random(23)

    def number() -> float:
        kind = rng.random()
        if kind < 0.15:
            return rng.choice([0.0, -0.0, 1e308, -1e308, 5e-324, 1e100, -1e100, 1e-300, 2.0])
        return rng.choice([1, -1]) * 10 ** rng.uniform(-320, 308) if kind < 0.5 else rng.gauss(2, 1)

    for _ in range(150):
        guesses = []
        for i in range(rng.randint(1, 40)):
            v = number()
            low, high = (number(), number()) if rng.random() < 0.3 else (None, None)
            guesses.append(Guess(f"l{i}", v, None, low, high))
        spread = PredictSpread(question, guesses, len(guesses))
        revealed = rng.random() < 0.5
        chart = spread_chart(spread, measured=2.0 if revealed else None, theory=2.0 if revealed else None,
                             revealed=revealed)
        if chart is None:
            assert all(abs(g.value) > 1e100 for g in guesses)
            continue
        for width, height, ascii_only in ((46, 14, False), (38, 8, True)):
            text = render_chart(chart, width, height, color=not ascii_only, ascii_only=ascii_only)
            assert len(text.split("\n")) == height


def test_the_roster_says_who_is_where_and_who_to_go_and_see(made_room, tmp_path):
    course, learners = copy_room(made_room, tmp_path)
    room = open_room(course, learners)
    rows = {r.name: r for r in room.roster(idle_after=3600)}
    assert list(rows) == ["Ada", "Bob", "Cy", "Dee"]  # all in the second chapter: by name
    assert (rows["Ada"].chapter, rows["Ada"].view, rows["Ada"].answered, rows["Ada"].right) == ("second", "quiz", 3, 3)
    assert (rows["Bob"].answered, rows["Bob"].right, rows["Bob"].missed_here) == (2, 0, 2)
    assert (rows["Cy"].answered, rows["Cy"].right, rows["Cy"].missed_here) == (2, 1, 1)
    assert rows["Dee"].answered == 0 and not any(r.idle for r in rows.values())
    room.clock = lambda: 4e9
    assert all(r.idle for r in room.roster(idle_after=3600))
    store = ProgressStore(learners / "Dee", course=str(course.resolve()))
    store.set_state("last_chapter", "first")
    store.close()
    room.refresh()
    assert [r.name for r in room.roster()] == ["Dee", "Ada", "Bob", "Cy"]  # the one behind first
    from lmtui.tui.screens.room import roster_text

    lines = roster_text(room).splitlines()
    assert lines[0].split() == ["learner", "ch", "view", "last", "right", "missed"]
    bob = next(line for line in lines if line.startswith("Bob"))
    assert bob.split()[1:3] == ["2", "quiz"] and bob.split()[-3:] == ["idle", "0/2", "2"]


async def test_l_shows_the_roster_in_place_of_the_spread(made_room, tmp_path):
    course, learners = copy_room(made_room, tmp_path)
    app = RoomApp(learners, content_dir=course, interval=0.2)
    async with app.run_test(size=(80, 24)) as pilot:
        await room_read(pilot)
        await choose(pilot, "log-log")
        await pilot.press("l")
        await pilot.pause()
        text = screen_text(app)
        assert "right  missed" in text and "3 of 4 predicted" not in text
        bob = next(line for line in text.splitlines() if "│ Bob" in line)
        assert bob.split()[-2:] == ["0/2", "2"]
        store = ProgressStore(learners / "Dee", course=str(course.resolve()))
        store.set_state("last_chapter", "first")
        store.close()
        assert await until(pilot, lambda: any("│ Dee" in line and " 1 text" in line for line in screen_text(app).splitlines()))
        await pilot.press("j")  # a question asked for: its spread again
        await pilot.pause()
        assert "right  missed" not in screen_text(app) and app.screen.query_one(SpreadView).display


async def test_an_idle_room_draws_nothing_with_the_roster_and_the_missed_list(made_room, tmp_path, monkeypatch):
    """With the questions listed most missed first and the roster shown, a room where nothing
    changes is looked at every interval and nothing is drawn again; a learner's answer updates
    the list's scores and the roster, and nothing else."""
    course, learners = copy_room(made_room, tmp_path)
    app = RoomApp(learners, content_dir=course, interval=0.1)
    async with app.run_test(size=(120, 40)) as pilot:
        await room_read(pilot)
        await pilot.press("m", "l")
        await pilot.pause(0.3)
        updates = await idle_draws(pilot, monkeypatch)
        assert updates == []
        store = ProgressStore(learners / "Dee", course=str(course.resolve()))
        question = next(q for c, q in open_room(course, learners).questions() if c == "second" and q.id == "q1")
        store.record_answer("second", "q1", "h", False, question.fingerprint)
        store.close()
        assert await until(pilot, lambda: "roster-text" in updates)
        await pilot.pause(0.3)
        assert set(updates) == {"roster-text", "replace_option_prompt_at_index"}


async def test_who_is_idle_shows_in_a_room_spread_over_every_chapter(tmp_path):
    """Learners in all ten chapters of the course, a newcomer and eight idle make the pace panel
    longer than it may be at 80x24: who has been idle still shows (the table's last rows give way)."""
    from lmtui.core.course import load_course

    course = load_course(None)
    for i, chapter in enumerate(course.chapters * 2):
        store = ProgressStore(tmp_path / f"learner{i:02d}")
        store.set_state("last_chapter", chapter.id)
        store.set_state(f"view:{chapter.id}", "quiz")
        store.close()
    ProgressStore(tmp_path / "newcomer").close()  # not started
    for i in range(8):
        stale = tmp_path / f"learner{i:02d}" / DB_NAME
        os.utime(stale, (stale.stat().st_mtime - 3600 + i,) * 2)
    app = RoomApp(tmp_path, interval=0.2)
    async with app.run_test(size=(80, 24)) as pilot:
        await room_read(pilot)
        text = screen_text(app)
        assert "idle 8, since (UTC):" in text and "learner00" in text and "+2 more" in text and "Pace: 21 learners" in text, text
        pace = str(app.screen.query_one("#pace").content)
        assert len(re.findall(r"learner\d\d \d\d:\d\d", pace)) == 6, pace  # each name beside its time, on one line
        assert max(len(line) for line in pace.splitlines()) <= app.screen.query_one("#pace").content_region.width


async def test_a_search_that_finds_nothing_says_so(made_room, tmp_path):
    course, learners = copy_room(made_room, tmp_path)
    app = RoomApp(learners, content_dir=course, interval=0.2)
    async with app.run_test(size=(80, 24)) as pilot:
        await room_read(pilot)
        await pilot.press("slash", *"silent")
        await pilot.pause()
        assert "no question found (esc: all)" in screen_text(app)
        await pilot.press("backspace", "backspace", "backspace", "backspace", "backspace", "backspace", *"slope")
        await pilot.pause()
        assert "no question found" not in screen_text(app) and "2.2 predict" in screen_text(app)
        await pilot.press(*" second/s")  # its id
        await pilot.pause()
        assert app.screen.query_one("#search").value == "slope second/s"
        await pilot.press("enter")
        await pilot.pause()
        assert app.screen.query_one(SpreadView).key == "second/slope"  # the first match, though side was too


async def test_the_bars_are_drawn_again_across_a_terminal_made_larger(made_room, tmp_path):
    """From 80x24 to a projector's 120x40: each bar, its count and share on one line, across the
    new width (drawn for the old width, the lines wrapped and the counts fell under their bars)."""
    course, learners = copy_room(made_room, tmp_path)
    app = RoomApp(learners, content_dir=course, interval=0.2)
    async with app.run_test(size=(80, 24)) as pilot:
        await room_read(pilot)
        await choose(pilot, "shrinks like")
        for size in ((120, 40), (150, 40), (100, 40), (80, 24)):
            await pilot.resize_terminal(*size)
            await pilot.pause()
            await pilot.pause()
            bars = app.screen.query_one("#bars")
            lines = str(bars.content).splitlines()
            assert max(len(line) for line in lines) <= bars.content_region.width
            assert max(len(line) for line in lines) >= bars.content_region.width - 1  # across the width
            assert any("█" in line and line.rstrip().endswith("2 (67%)") for line in screen_text(app).splitlines())


def test_the_rooms_times_are_on_the_course_clock_in_a_stated_zone(tmp_path, monkeypatch):
    """Times of day in the pace panel and the roster are this machine's, and say which zone;
    they follow the course clock (LMTUI_NOW) as the learners' records do, while who is idle
    still goes by how long ago their store was written."""
    from lmtui.core import clock
    from lmtui.tui.screens.room import pace_text, roster_legend, roster_text

    course = room_course(tmp_path)
    store = ProgressStore(tmp_path / "learners" / "Ada", course=str(course.resolve()))
    store.set_state("last_chapter", "second")
    store.close()
    at = clock.parse_moment("2026-12-05T09:00Z")
    for path in (tmp_path / "learners" / "Ada").iterdir():
        os.utime(path, (at - 600, at - 600))  # written at 08:50 UTC
    monkeypatch.setenv("TZ", "CET-1")  # an hour ahead of UTC, no tz database needed
    time.tzset()
    room = Room(tmp_path / "learners", load_course(course), str(course.resolve()), clock=lambda: at)
    room.refresh()
    assert "idle 1, since (CET): Ada 09:50" in pace_text(room)
    assert "Ada" in roster_text(room) and " 09:50 idle" in roster_text(room) and "(CET)" in roster_legend(room)
    monkeypatch.setenv("LMTUI_NOW", "2030-01-01T00:00Z")  # the course clock, years ahead
    clock._offset.cache_clear()
    try:
        store = ProgressStore(tmp_path / "learners" / "Ada", course=str(course.resolve()))
        store.set_state("last_chapter", "first")  # written now
        store.close()
        room = Room(tmp_path / "learners", load_course(course), str(course.resolve()))
        room.refresh()
        row = room.roster()[0]
        assert not row.idle and abs(row.written_at - clock.now()) < 60  # on the course clock
        assert " 01:0" in roster_text(room) or " 00:59" in roster_text(room)  # 00:00 UTC is 01:00 CET
    finally:
        monkeypatch.delenv("LMTUI_NOW")
        clock._offset.cache_clear()


def test_report_json_has_every_committed_value_and_range_the_room_shows(made_room):
    """`lmtui report --json` over the stores the app wrote: per predict question every learner's
    committed value and range (Bob typed "2.5 +- 0.5"), or choice, as the room's spread has them."""
    import json
    import subprocess
    import sys

    course, learners = made_room
    out = subprocess.run([sys.executable, "-m", "lmtui", "--content", str(course), "report", str(learners), "--json"],
                         capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    questions = {(q["chapter"], q["question"]): q for q in json.loads(out.stdout)["questions"]}
    slope = {p["learner"]: p for p in questions[("second", "slope")]["predictions"]}
    assert {name: (p["value"], p["low"], p["high"]) for name, p in slope.items()} == {
        "Ada": (1.9, None, None), "Bob": (2.5, 2.0, 3.0), "Cy": (40.0, None, None)}
    assert all(p["measured"] is not None for p in slope.values())  # each learner's own run graded it
    side = questions[("second", "side")]["predictions"]
    assert [(p["learner"], p["value"], p["choice"]) for p in side] == [("Ada", None, "above 1.5")]
    room = open_room(course, learners)
    spread = room.predict_spread("second", next(q for c, q in room.questions() if q.id == "slope"))
    assert sorted((g.learner, g.value, g.low, g.high) for g in spread.guesses) == sorted(
        (name, p["value"], p["low"], p["high"]) for name, p in slope.items())
    assert "predictions" not in questions[("second", "q1")]


def test_long_choices_take_the_lines_the_bars_have_room_for():
    """A projected room reads each choice: long ones are wrapped on up to three lines above their
    bar where the height allows (one line, cut, where it does not), never wider than the width."""
    from lmtui.core.charts import render_bars

    words = " ".join(f"word{i}" for i in range(30))
    rows = [(f"1 {words} end", 3), ("2 a short one that still goes above", 1)]
    tall = render_bars(rows, 60, mark=0, color=False, height=12).splitlines()
    assert tall[0].startswith("1 word0") and tall[1].startswith("  word") and tall[2].startswith("  ")
    assert tall[2].endswith("…") and "end" not in "".join(tall)  # three lines, then cut
    assert tall[3].rstrip().endswith("3 (75%) <- right") and all(len(line) <= 60 for line in tall)
    assert render_bars(rows, 200, color=False, height=12).splitlines()[1] == "  word29 end"  # whole on two
    short = render_bars(rows, 60, color=False, height=4).splitlines()
    assert len(short) == 4 and short[0].endswith("…")  # one line each: no room for more
    assert render_bars(rows, 60, color=False).splitlines() == short  # no height given: one line
