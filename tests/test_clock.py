"""LMTUI_NOW moves the course's clock: answers are recorded at the moved time and the review's
schedule follows from them, as a learner trying what comes back weeks later would see it."""

from __future__ import annotations

import io
import json
import time
from contextlib import redirect_stderr, redirect_stdout

import pytest

from lmtui.cli import main
from lmtui.core import clock
from lmtui.core.course import load_course
from lmtui.core.progress import ProgressStore
from lmtui.core.record import LearnerRecord, course_key


@pytest.fixture
def moved_clock(monkeypatch):
    def move(text: str | None) -> None:
        if text is None:
            monkeypatch.delenv(clock.ENV, raising=False)
        else:
            monkeypatch.setenv(clock.ENV, text)
        clock._offset.cache_clear()

    yield move
    clock._offset.cache_clear()


def due_json(course) -> dict:
    out = io.StringIO()
    with redirect_stdout(out):
        assert main(["--content", str(course), "review", "--due", "--json"]) == 0
    return json.loads(out.getvalue())


def test_the_clock_starts_where_lmtui_now_says_and_runs_on(moved_clock):
    moved_clock("2030-01-02T03:04:05Z")
    first = clock.now()
    assert abs(first - 1893553445.0) < 5
    time.sleep(0.02)
    assert clock.now() > first  # it runs on
    moved_clock(None)
    assert abs(clock.now() - time.time()) < 1


def test_answers_go_by_the_moved_clock_and_the_review_follows(mini_course, moved_clock):
    moved_clock("2030-01-01T09:00Z")
    course = load_course(mini_course)
    record = LearnerRecord(course, ProgressStore(course=course_key(mini_course)))
    chapter = course.by_id("first")
    q1, q2 = chapter.quiz[0], chapter.quiz[1]
    record.answer(chapter, q1, q1.answer % len(q1.choices) + 1)  # wrong
    record.answer(chapter, q2, q2.answer)  # right
    answered = record.store.answers("first")
    assert all(abs(a.answered_at - 1893488400.0) < 60 for a in answered.values())
    assert abs(record.card("first", "q2").last_review - 1893488400.0) < 60
    record.store.close()
    assert [d["question"] for d in due_json(mini_course)["due"]] == ["q1"]
    moved_clock("2030-01-20T09:00Z")  # nearly three weeks later: the right one is due too
    later = due_json(mini_course)
    assert later["at"].startswith("2030-01-20") and [d["question"] for d in later["due"]] == ["q1", "q2"]


def test_a_bad_lmtui_now_is_refused_with_a_message(mini_course, moved_clock):
    moved_clock("next tuesday")
    err = io.StringIO()
    with redirect_stderr(err):
        assert main(["--content", str(mini_course), "progress"]) == 2
    assert "LMTUI_NOW='next tuesday' is not an ISO date-time" in err.getvalue()


def test_a_moved_clock_prints_the_minute_it_was_moved_to():
    """A time a hair before the minute (float rounding of the clock's offset) prints as that minute."""
    from lmtui.tools.standing import stamp

    minute = 1893488400.0  # 2030-01-01 09:00 UTC
    assert stamp(minute - 1e-6) == "2030-01-01 09:00 UTC"
