"""`lmtui room` in a real pseudo-terminal, as an instructor over SSH sees it: NO_COLOR sends no
colour code, --ascii only ASCII, what hostile stores hold never reaches the terminal raw, and a
room where nothing changes sends nothing at all while it keeps looking."""

from __future__ import annotations

import pytest

from lmtui.core.course import load_course
from lmtui.core.progress import DB_NAME, ProgressStore

from ptysession import PtySession, lmtui_argv
from test_terminals import colour_codes, recorded

HOSTILE = ("evil\x1b]52;c;aGk=\x07", "\u202eesrever", "bell\x07\x1b[2J")


def make_room(root):
    """Six learners of the built-in course through the app's own store: answers, predictions of
    the Langevin question (two with a range), a place; three with names that would drive a terminal,
    one of which predicted 1e308; and a damaged store with such a name."""
    course = load_course(None)
    chapter = course.chapters[1]
    quiz = {q.id: q for q in chapter.quiz}
    predict = quiz["predict-langevin-near-edge"]
    names = ["ada", "bo", "chen", *HOSTILE]
    for i, (name, value) in enumerate(zip(names, (0.07, 0.2, 0.7, 0.75, 1e308, 0.05))):
        store = ProgressStore(root / name)
        q = chapter.quiz[0]
        store.record_answer(chapter.id, q.id, q.keys[i % len(q.keys)], i % len(q.keys) == q.answer - 1, q.fingerprint)
        store.record_prediction(chapter.id, predict.id, value, None, predict.fingerprint,
                                *((value / 2, value * 2) if i < 2 else ()))
        store.set_state("last_chapter", chapter.id)
        store.set_state(f"view:{chapter.id}", "quiz")
        store.close()
    (root / HOSTILE[0] / "x").mkdir()
    bad = root / "\x1b]0;owned\x07"
    bad.mkdir()
    (bad / DB_NAME).write_bytes(b"not a database at all " * 50)


def underlined(session: PtySession) -> str:
    screen = session.screen
    return " ".join("".join(screen.buffer[y][x].data for x in range(screen.columns) if screen.buffer[y][x].underscore)
                    for y in range(screen.lines))


def walk(session: PtySession) -> None:
    """Find the Langevin question, reveal it (its run), list the most missed first."""
    assert session.wait_for("Pace: 6 learners", timeout=30) is not None, session.text()
    session.send("/noisy gradient")
    session.settle(0.3)
    session.press("\r", "6 of 6 predicted")
    session.press("r", "Measured", timeout=60)
    session.press("m", "right/answered")
    session.settle(0.3)


@pytest.mark.parametrize("how", ["NO_COLOR", "--ascii"])
def test_the_room_over_ssh_sends_nothing_raw(tmp_path, how):
    make_room(tmp_path / "room")
    env, args = ({"NO_COLOR": "1"}, ()) if how == "NO_COLOR" else ({}, ("--ascii",))
    session = PtySession(lmtui_argv(*args, "room", str(tmp_path / "room"), "--interval", "0.2"), cols=80, rows=24,
                         env={"LMTUI_HOME": str(tmp_path / "home"), **env})
    raw = recorded(session)
    try:
        walk(session)
        screen = session.text()
        if how == "NO_COLOR":
            assert "1.6 predict" in underlined(session), "the question shown keeps its mark without colour:\n" + screen
        assert "^[]0;owned^G" in screen  # the damaged store, named visibly
        session.settle(0.5)
        assert session.pump(2.0) == 0  # ten looks at the stores, nothing changed: not a byte sent
        moved = ProgressStore(tmp_path / "room" / "ada")  # a learner moves to the first chapter
        moved.set_state("last_chapter", load_course(None).chapters[0].id)
        moved.close()
        assert session.pump(2.0) > 0  # the pace panel follows
        session.settle(0.5)
        assert session.pump(1.0) == 0  # and the room is quiet again
        assert not session.saw_traceback
        assert session.quit() == 0
    finally:
        session.close()
    data = bytes(raw)
    assert len(data) > 5_000
    for hostile in (b"\x1b]52;", b"\x1b]0;owned", "\u202e".encode(), b"\x07\x1b[2J"):
        assert hostile not in data
    if how == "NO_COLOR":
        assert colour_codes(data) == []
    else:
        assert data.isascii()
