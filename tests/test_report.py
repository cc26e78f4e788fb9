"""`lmtui report DIR`: a room's progress, read-only. The learners' stores are written by real app
runs (the learner-name screen, keys, the quiz), predictions through the learner record the app
uses; one store is damaged and must be reported, skipped and left as it was."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from lmtui.tools import report as report_module
from lmtui.tui.app import LmtuiApp
from lmtui.core.course import load_course
from lmtui.core.progress import DB_NAME, ProgressStore
from lmtui.core.record import LearnerRecord
from lmtui.tui.widgets.reader import PageReader

from conftest import FIXTURES

PREDICT = """
[[question]]
id = "p1"
kind = "predict"
prompt = "How steep will the modified-flow error slope be?"
sim = "implicit_regularization"
metric = "slope_modified"
tolerance = { relative = 0.2 }
explanation = "Second order in h."
"""


@pytest.fixture(scope="module")
def room(tmp_path_factory):
    """A course with two chapters (two questions, then one and a prediction) and a room of learners
    who used it: Ada (all right, read both, a good prediction), Bob (both first questions wrong),
    Cy (chapter 2's question wrong, a bad prediction), and Mallory's store, damaged."""
    base = tmp_path_factory.mktemp("room")
    course_dir = base / "course"
    shutil.copytree(FIXTURES / "mini", course_dir)
    with open(course_dir / "02-second.quiz.toml", "a", encoding="utf-8") as f:
        f.write(PREDICT)
    learners = base / "learners"
    import asyncio

    asyncio.run(_learn(course_dir, learners, "Ada", [(1, "2"), (1, "2"), (2, "2")], read_first=True))
    asyncio.run(_learn(course_dir, learners, "Bob", [(1, "1"), (2, "3")]))
    asyncio.run(_learn(course_dir, learners, "Cy", [(2, "1")]))
    course = load_course(course_dir)
    second = course.chapters[1]
    p1 = next(q for q in second.quiz if q.predict is not None)
    for name, guess in (("Ada", 2.1), ("Cy", 5.0)):  # the run then measures a slope of 2.0
        store = ProgressStore(learners / name, course=str(course_dir.resolve()))
        record = LearnerRecord(course, store, str(course_dir.resolve()))
        record.predict(second, p1, value=guess)
        record.grade(second, p1, measured=2.0, theory=2.0)
        store.close()
    damaged = learners / "Mallory"
    damaged.mkdir()
    (damaged / DB_NAME).write_bytes(b"this is not a database, whatever it once was" * 40)
    return course_dir, learners


async def _learn(course_dir: Path, learners: Path, name: str, answers: list[tuple[int, str]], read_first: bool = False):
    """One learner's session in the app: the name, then for each (chapter number, key) that
    chapter (by n and p), its quiz, and the key for its first unanswered question (the quiz focuses
    it). Opening a one-page chapter reads it; ``read_first`` pages through the first chapter."""
    app = LmtuiApp(content_dir=course_dir, learners=learners)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        await pilot.press(*name, "enter")
        await pilot.pause()
        if read_first:  # to the first chapter's last page: read
            reader = app.screen.query_one(PageReader)
            while reader.page < len(reader.chapter.pages) - 1:
                await pilot.press("right_square_bracket")
                await pilot.pause()
        for chapter, key in answers:
            await pilot.press("t")
            await pilot.pause()
            index = app.course.index_of(app.current)
            while index != chapter - 1:
                await pilot.press("n" if index < chapter - 1 else "p")
                await pilot.pause()
                index = app.course.index_of(app.current)
            await pilot.press("z")
            await pilot.pause()
            await pilot.pause()
            await pilot.press(key)
            await pilot.pause()


def run_report(learners: Path, course_dir: Path, *flags: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "lmtui", "--content", str(course_dir), "report", str(learners), *flags],
                          capture_output=True, text=True, timeout=120)


def digest(folder: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.iterdir())}


def test_table_one_row_per_learner_and_the_damaged_store_reported(room):
    course_dir, learners = room
    before = {name.name: digest(name) for name in learners.iterdir()}
    out = run_report(learners, course_dir)
    assert out.returncode == 0, out.stderr
    lines = out.stdout.splitlines()
    row = {line.split()[0]: line.split() for line in lines if line.split() and line.split()[0] in ("Ada", "Bob", "Cy")}
    # learner, read, chapter 0, chapter 1, quiz, predicted, within, date, time
    assert row["Ada"][:7] == ["Ada", "2/2", "2/2", "1/1", "3/3", "1", "1"]
    assert row["Bob"][:7] == ["Bob", "1/2", "0/2", "0/1", "0/3", "0", "0"]
    assert row["Cy"][:7] == ["Cy", "1/2", "-", "0/1", "0/3", "1", "0"]
    assert "Mallory" in out.stdout and "damaged" in out.stdout.split("could not be read")[1]
    assert not any(line.startswith("Mallory ") for line in lines)  # reported, not a row
    after = {name.name: digest(name) for name in learners.iterdir()}
    assert after == before  # read-only: nothing written, moved or created, the damaged file included


def test_questions_the_room_got_wrong_most_come_first(room):
    course_dir, learners = room
    data = json.loads(run_report(learners, course_dir, "--json").stdout)
    questions = [(q["chapter"], q["question"], q["answered"], q["right"], q["wrong"]) for q in data["questions"]]
    # second/q1: Bob and Cy wrong, Ada right; first/q1: Bob wrong, Ada right; the prediction: Ada
    # within, Cy not; first/q2: Ada right
    assert questions[0] == ("second", "q1", 3, 1, 2)
    assert ("first", "q1", 2, 1, 1) in questions[1:3] and ("second", "p1", 2, 1, 1) in questions[1:3]
    assert questions[3] == ("first", "q2", 1, 1, 0)
    assert [u["learner"] for u in data["unreadable"]] == ["Mallory"]
    ada = next(r for r in data["learners"] if r["learner"] == "Ada")
    assert ada["quiz"]["first"] == {"right": 2, "answered": 2, "total": 2}
    assert ada["quiz"]["second"] == {"right": 1, "answered": 1, "total": 1}
    assert ada["predictions"] == 1 and ada["within_tolerance"] == 1 and ada["last_activity"] > 0
    text = run_report(learners, course_dir).stdout
    missed = text.split("most missed first")[1]
    assert missed.index("1/q1") < missed.index("0/q2")  # chapter 2's q1 before chapter 1's q2


def test_csv_for_spreadsheets(room):
    course_dir, learners = room
    out = run_report(learners, course_dir, "--csv")
    rows = list(csv.DictReader(io.StringIO(out.stdout)))
    assert [r["learner"] for r in rows] == ["Ada", "Bob", "Cy"]
    assert rows[0]["quiz_first"] == "2/2" and rows[0]["chapters_read"] == "2" and rows[2]["quiz_first"] == ""
    assert rows[2]["predictions"] == "1" and rows[2]["within_tolerance"] == "0"
    assert "Mallory" in out.stderr  # the unreadable store is said on stderr, the CSV stays clean
    by_question = list(csv.DictReader(io.StringIO(run_report(learners, course_dir, "--csv", "--by-question").stdout)))
    assert (by_question[0]["chapter"], by_question[0]["question"], by_question[0]["wrong"]) == ("second", "q1", "2")


def test_report_while_a_learner_is_writing(room, tmp_path):
    """A store with its app running (WAL open, a write in flight) is read from a snapshot."""
    course_dir, learners = room
    live = tmp_path / "live"
    shutil.copytree(learners / "Cy", live / "Cy")
    store = ProgressStore(live / "Cy", course=str(course_dir.resolve()))
    store._conn.execute("BEGIN IMMEDIATE")  # the learner's app holds the write lock
    store._conn.execute("INSERT OR IGNORE INTO chapter_read(course, chapter, read_at) VALUES (?, 'first', 1)",
                        (str(course_dir.resolve()),))
    try:
        course = load_course(course_dir)
        result = report_module.build_report(live, course, str(course_dir.resolve()))
        assert [r.learner for r in result.learners] == ["Cy"] and result.learners[0].chapters_read == 1
    finally:
        store._conn.execute("COMMIT")
        store.close()
    result = report_module.build_report(live, load_course(course_dir), str(course_dir.resolve()))
    assert result.learners[0].chapters_read == 2


def test_a_room_of_hub_homes_and_clear_errors(room, tmp_path):
    """JupyterHub: each user's store in their home's data folder; a missing folder says so."""
    course_dir, learners = room
    home = tmp_path / "home" / "jupyter-ada" / ".local" / "share" / "lmtui"
    home.parent.mkdir(parents=True)
    shutil.copytree(learners / "Ada", home)
    out = run_report(tmp_path / "home", course_dir)
    assert out.returncode == 0 and "jupyter-ada" in out.stdout
    missing = run_report(tmp_path / "nowhere", course_dir)
    assert missing.returncode == 2 and "not a folder" in missing.stderr


def test_report_and_progress_agree_on_the_store_name():
    assert report_module.DB_NAME == DB_NAME


def test_json_has_every_committed_prediction(room):
    """Per predict question, each learner's committed value and the run's grade, to analyse the
    room's spread outside lmtui; a choice question has no such list."""
    course_dir, learners = room
    data = json.loads(run_report(learners, course_dir, "--json").stdout)
    p1 = next(q for q in data["questions"] if q["question"] == "p1")
    assert sorted((p["learner"], p["value"], p["measured"], p["within"]) for p in p1["predictions"]) == [
        ("Ada", 2.1, 2.0, True), ("Cy", 5.0, 2.0, False)]
    assert all(p["low"] is None and p["high"] is None and p["choice"] is None for p in p1["predictions"])
    assert "predictions" not in next(q for q in data["questions"] if q["question"] == "q1")


def _copy_store(learners: Path, name: str, to: Path) -> Path:
    shutil.copytree(learners / name, to / name)
    return to / name / DB_NAME


def test_a_store_with_a_wal_and_no_shm_is_read_and_nothing_is_created_beside_it(room, tmp_path):
    """A killed app (or a copied folder) leaves a -wal without its -shm: opening it read-only the
    usual way would create the -shm beside it. Its answers in the WAL are still counted."""
    course_dir, learners = room
    key = str(course_dir.resolve())
    source = ProgressStore(tmp_path / "source", course=key)
    source.mark_read("first")  # in the WAL only: no checkpoint happens for a few pages
    source.mark_read("second")
    wal = source.path.with_name(DB_NAME + "-wal")
    assert wal.stat().st_size > 0
    room_dir = tmp_path / "room"
    (room_dir / "Dee").mkdir(parents=True)
    shutil.copyfile(source.path, room_dir / "Dee" / DB_NAME)
    shutil.copyfile(wal, room_dir / "Dee" / (DB_NAME + "-wal"))
    source.close()
    before = {p.name: (p.stat().st_mtime_ns, digest(p)) for p in room_dir.iterdir()}
    result = report_module.build_report(room_dir, load_course(course_dir), key)
    assert [(r.learner, r.chapters_read) for r in result.learners] == [("Dee", 2)] and not result.unreadable
    assert sorted(p.name for p in (room_dir / "Dee").iterdir()) == [DB_NAME, DB_NAME + "-wal"]
    assert {p.name: (p.stat().st_mtime_ns, digest(p)) for p in room_dir.iterdir()} == before


@pytest.mark.parametrize("table, column, value, why", [
    ("chapter_read", "read_at", 1e300, "chapter_read.read_at is 1e+300, not a time"),
    ("answer", "answered_at", "notatime", "answer.answered_at is 'notatime', not a time"),
    ("answer", "correct", "yes", "answer.correct is 'yes', not 0 or 1"),
    ("answer", "choice", b"\xff", "answer.choice is b'\\xff', not text"),
])
def test_a_store_with_bad_values_is_listed_as_damaged_and_the_others_reported(room, tmp_path, table, column, value, why):
    course_dir, learners = room
    key = str(course_dir.resolve())
    for name in ("Ada", "Bob"):
        _copy_store(learners, name, tmp_path)
    bad = _copy_store(learners, "Ada", tmp_path / "bad").parent
    shutil.move(bad, tmp_path / "Eve")
    import sqlite3

    conn = sqlite3.connect(tmp_path / "Eve" / DB_NAME)
    conn.execute(f"UPDATE {table} SET {column} = ? WHERE course = ?", (value, key))
    assert conn.total_changes
    conn.commit()
    conn.close()
    result = report_module.build_report(tmp_path, load_course(course_dir), key)
    assert [r.learner for r in result.learners] == ["Ada", "Bob"]
    assert [(n, w) for n, _, w in result.unreadable] == [("Eve", f"damaged ({why})")]
    for text in (report_module.render_text(result), report_module.render_csv(result), report_module.render_json(result)):
        assert "Ada" in text and "Bob" in text
    assert "Eve: " in report_module.render_text(result)
    out = run_report(tmp_path, course_dir)
    assert out.returncode == 0 and "Traceback" not in out.stderr and why in out.stdout


def test_report_output_holds_no_control_character(room, tmp_path):
    """Folder names and store fields are a learner's to choose: nothing of them reaches the
    instructor's terminal raw, in the table, the CSV or the JSON."""
    course_dir, learners = room
    key = str(course_dir.resolve())
    evil = "Ev\x1b]52;c;aGk=\x07il\u202e"
    store = _copy_store(learners, "Cy", tmp_path)
    shutil.move(store.parent, tmp_path / evil)
    import sqlite3

    conn = sqlite3.connect(tmp_path / evil / DB_NAME)
    conn.execute("INSERT OR REPLACE INTO state(course, key, value) VALUES (?, 'last_chapter', ?)", (key, "x\x1b[2J"))
    conn.execute("UPDATE prediction SET choice = ? WHERE course = ?", ("c\x9b31m", key))
    conn.commit()
    conn.close()
    (tmp_path / "Mal\x1b[31mlory").mkdir()
    (tmp_path / "Mal\x1b[31mlory" / DB_NAME).write_bytes(b"\x1b]0;not a database\x07" * 40)
    control = re.compile("[\x00-\x09\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
    for flags in ((), ("--csv",), ("--csv", "--by-question"), ("--json",)):
        out = run_report(tmp_path, course_dir, *flags)
        assert out.returncode == 0, out.stderr
        if "--by-question" not in flags:
            assert "Ev^[]52;c;aGk=^Gil" in out.stdout and "Mal^[[31mlory" in out.stdout + out.stderr
        assert not control.search(out.stdout.replace("\r\n", "\n") + out.stderr), (flags, out.stdout)
    data = json.loads(run_report(tmp_path, course_dir, "--json").stdout)
    assert data["learners"][0]["last_chapter"] == "x^[[2J"
