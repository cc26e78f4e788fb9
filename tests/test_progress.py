"""The progress store: persistence, corrupt/future stores kept aside, concurrent writers, kills."""

from __future__ import annotations

import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import textwrap
import time

import pytest

from lmtui.core.progress import BUSY_WAIT, DB_NAME, SCHEMA_VERSION, ProgressStore


def test_round_trip(tmp_path):
    store = ProgressStore(tmp_path)
    store.mark_read("a")
    store.record_answer("a", "q1", "two", True, "fp1")
    store.record_answer("a", "q1", "three", False, "fp1")  # practice: the first answer counts
    store.set_state("last_chapter", "a")
    store.close()
    again = ProgressStore(tmp_path)
    assert again.warning is None
    assert again.read_chapters() == {"a"}
    kept = again.answers("a")["q1"]
    assert (kept.choice, kept.correct, kept.tries, kept.last_choice, kept.last_correct) == ("two", True, 2, "three", False)
    assert again.get_state("last_chapter") == "a"


def test_an_answer_to_a_changed_question_replaces_the_old_one(tmp_path):
    store = ProgressStore(tmp_path)
    store.record_answer("a", "q1", "two", True, "before")
    store.record_answer("a", "q1", "one", False, "after")  # the question was edited since
    kept = store.answers("a")["q1"]
    assert (kept.choice, kept.correct, kept.fingerprint, kept.tries, kept.last_choice) == ("one", False, "after", 1, None)


def test_first_prediction_is_kept_and_graded_once(tmp_path):
    store = ProgressStore(tmp_path)
    store.record_prediction("a", "p", 3.0, None, "fp")
    store.record_prediction("a", "p", 9.0, None, "fp")  # a second guess does not replace the first
    store.record_measurement("a", "p", "fp", 3.1, 3.0, True)
    store.record_measurement("a", "p", "fp", 99.0, 3.0, False)  # graded once
    store.close()
    p = ProgressStore(tmp_path).all_predictions()["a"]["p"]
    assert (p.value, p.measured, p.theory, p.correct) == (3.0, 3.1, 3.0, True)


def test_wal_journal(tmp_path):
    ProgressStore(tmp_path).close()
    conn = sqlite3.connect(tmp_path / DB_NAME)
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_courses_are_kept_apart(tmp_path):
    ProgressStore(tmp_path, course="builtin").mark_read("a")
    assert ProgressStore(tmp_path, course="/other/course").read_chapters() == set()


def test_lmtui_home_is_the_default(tmp_path, monkeypatch):
    monkeypatch.setenv("LMTUI_HOME", str(tmp_path / "h"))
    store = ProgressStore()
    assert store.path == tmp_path / "h" / DB_NAME and store.path.exists()


def test_corrupt_store_is_moved_aside_and_kept(tmp_path):
    junk = b"this is not a database" * 100
    (tmp_path / DB_NAME).write_bytes(junk)
    store = ProgressStore(tmp_path)
    assert store.persistent
    assert store.moved_aside is not None and store.moved_aside.read_bytes() == junk
    assert "kept as" in store.warning and store.moved_aside.name in store.warning
    store.mark_read("x")  # the fresh store works
    assert ProgressStore(tmp_path).read_chapters() == {"x"}


def test_future_version_store_is_kept_aside(tmp_path):
    store = ProgressStore(tmp_path)
    store.mark_read("from-the-future")
    store._conn.execute("UPDATE meta SET value=? WHERE key='schema_version'", (str(SCHEMA_VERSION + 1),))
    store.close()
    again = ProgressStore(tmp_path)
    assert again.moved_aside is not None and ".future-" in again.moved_aside.name
    assert "newer lmtui" in again.warning
    kept = sqlite3.connect(again.moved_aside)
    assert kept.execute("SELECT chapter FROM chapter_read").fetchall() == [("from-the-future",)]
    assert again.read_chapters() == set()


def test_unwritable_home_falls_back_to_memory(tmp_path):
    blocker = tmp_path / "file-not-dir"
    blocker.write_text("x")
    store = ProgressStore(blocker / "home")
    assert not store.persistent and "will not be saved" in store.warning
    store.mark_read("a")
    assert store.read_chapters() == {"a"}


WRITER = textwrap.dedent(
    """
    import sys
    from lmtui.core.progress import ProgressStore
    home, tag, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
    store = ProgressStore(home)
    for i in range(n):
        store.record_answer(f"{tag}-{i % 10}", f"q{i}", f"choice {i % 4 + 1}", i % 2 == 0, "fp")
        store.mark_read(f"{tag}-{i}")
    print("done", flush=True)
    """
)


def test_two_processes_writing_at_once_lose_nothing(tmp_path):
    n = 200
    procs = [
        subprocess.Popen([sys.executable, "-c", WRITER, str(tmp_path), tag, str(n)], stdout=subprocess.PIPE, text=True)
        for tag in ("a", "b")
    ]
    for p in procs:
        out, _ = p.communicate(timeout=120)
        assert p.returncode == 0 and "done" in out
    store = ProgressStore(tmp_path)
    read = store.read_chapters()
    assert len(read) == 2 * n
    answers = store.all_answers()
    assert sum(len(v) for v in answers.values()) == 2 * n


def test_sigkill_mid_session_loses_at_most_the_last_write(tmp_path):
    script = textwrap.dedent(
        """
        import sys
        from lmtui.core.progress import ProgressStore
        store = ProgressStore(sys.argv[1])
        i = 0
        while True:
            store.record_answer("ch", f"q{i}", "one", True, "fp")
            print(i, flush=True)
            i += 1
        """
    )
    proc = subprocess.Popen([sys.executable, "-c", script, str(tmp_path)], stdout=subprocess.PIPE, text=True)
    acknowledged = -1
    deadline = time.monotonic() + 60
    while acknowledged < 300 and time.monotonic() < deadline:
        acknowledged = int(proc.stdout.readline())
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    store = ProgressStore(tmp_path)
    assert store.warning is None
    saved = store.answers("ch")
    # every write the process confirmed (printed after commit) survived the kill
    assert {f"q{i}" for i in range(acknowledged + 1)} <= set(saved)


def test_a_busy_database_is_retried_never_moved_aside(tmp_path, monkeypatch):
    """'database is locked' (another copy is writing) is no corruption: moving the file aside
    would split the learner's progress between two files."""
    first = ProgressStore(tmp_path)
    first.mark_read("kept")
    calls = {"n": 0}
    real_inspect = ProgressStore._inspect

    def locked_once(self, conn):
        calls["n"] += 1
        if calls["n"] == 1:
            raise sqlite3.OperationalError("database is locked")
        return real_inspect(self, conn)

    monkeypatch.setattr(ProgressStore, "_inspect", locked_once)
    second = ProgressStore(tmp_path)
    assert calls["n"] == 2
    assert second.moved_aside is None and second.warning is None and second.persistent
    assert second.read_chapters() == {"kept"}
    assert list(tmp_path.glob(f"{DB_NAME}.*-*")) == []


def _timed_open(home):
    t0 = time.monotonic()
    store = ProgressStore(home)
    return store, time.monotonic() - t0


@pytest.mark.parametrize("script, why", [
    ("CREATE TABLE users(id INTEGER PRIMARY KEY, name TEXT); INSERT INTO users VALUES (1, 'x');", "not lmtui's"),
    ("CREATE TABLE meta(a, b); INSERT INTO meta VALUES (1, 2);", "meta table has columns a, b"),
    ("CREATE TABLE meta(key TEXT PRIMARY KEY, value TEXT); INSERT INTO meta VALUES ('schema_version', '3');"
     "CREATE TABLE answer(course, chapter, question);", "answer table lacks"),
])
def test_a_foreign_or_malformed_schema_is_moved_aside_at_once(tmp_path, script, why):
    """A valid SQLite file of someone else's tables (or lmtui's without their columns) would fail
    every save: it is kept aside like a corrupt file, and a fresh store works."""
    conn = sqlite3.connect(tmp_path / DB_NAME)
    conn.executescript(script)
    conn.commit()
    conn.close()
    store, took = _timed_open(tmp_path)
    assert took < 1.5
    assert store.persistent and store.moved_aside is not None and ".foreign-" in store.moved_aside.name
    assert why in store.warning
    store.mark_read("a")
    store.record_answer("a", "q", "x", True, "fp")
    assert ProgressStore(tmp_path).read_chapters() == {"a"}
    kept = sqlite3.connect(store.moved_aside)
    assert kept.execute("SELECT count(*) FROM sqlite_master").fetchone()[0] >= 1


def test_a_folder_named_progress_db_is_said_at_once(tmp_path):
    (tmp_path / DB_NAME).mkdir()
    store, took = _timed_open(tmp_path)
    assert took < 1.5 and not store.persistent
    assert "is a folder" in store.warning and "will not be saved" in store.warning
    store.mark_read("a")
    assert store.read_chapters() == {"a"} and (tmp_path / DB_NAME).is_dir()


def _readable_store(home):
    store = ProgressStore(home)
    store.mark_read("kept")
    store.record_answer("kept", "q1", "the answer", True, "fp")
    store.close()


def test_a_store_that_cannot_be_written_is_shown_and_said(tmp_path, monkeypatch):
    """SQLite's own answer for a file it may only read (mode=ro gives the same errors as a
    read-only file or file system): the progress is shown, and the learner told it is not saved."""
    _readable_store(tmp_path)
    real = ProgressStore._connect

    def read_only(self, target):
        if target == str(self.path):
            target = f"{self.path.resolve().as_uri()}?mode=ro"
            conn = sqlite3.connect(target, uri=True, timeout=10.0, isolation_level=None, check_same_thread=False)
            return conn
        return real(self, target)

    monkeypatch.setattr(ProgressStore, "_connect", read_only)
    before = (tmp_path / DB_NAME).read_bytes()
    store, took = _timed_open(tmp_path)
    assert took < 1.5
    assert store.read_only and not store.persistent and store.moved_aside is None
    assert "progress so far is shown" in store.warning and "will not be saved" in store.warning
    assert store.read_chapters() == {"kept"} and store.answers("kept")["q1"].choice == "the answer"
    store.mark_read("new")  # this session goes on as usual, in memory
    assert store.read_chapters() == {"kept", "new"}
    store.close()
    assert (tmp_path / DB_NAME).read_bytes() == before


def test_a_lock_held_by_another_copy_is_waited_for_briefly_then_shown_read_only(tmp_path):
    _readable_store(tmp_path)
    holder = sqlite3.connect(tmp_path / DB_NAME, isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")
    try:
        store, took = _timed_open(tmp_path)
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert took < BUSY_WAIT * 2 + 1
    assert store.moved_aside is None and list(tmp_path.glob(f"{DB_NAME}.*-*")) == []
    assert "busy" in store.warning and not store.persistent


READ_ONLY_MOUNT = textwrap.dedent(
    """
    import sys
    from lmtui.core.progress import ProgressStore
    store = ProgressStore(sys.argv[1])
    print(sorted(store.read_chapters()), store.read_only, store.warning)
    """
)


@pytest.mark.skipif(not shutil.which("unshare") or os.geteuid() != 0, reason="needs a private mount namespace")
def test_a_store_on_a_read_only_file_system(tmp_path):
    """A real read-only file system (a bind mount in a private mount namespace)."""
    _readable_store(tmp_path)
    mount = f"mount --bind -o ro {tmp_path} {tmp_path}"
    probe = subprocess.run(["unshare", "-m", "sh", "-c", mount], capture_output=True)
    if probe.returncode != 0:
        pytest.skip(f"cannot mount here: {probe.stderr.decode()[:80]}")
    t0 = time.monotonic()
    out = subprocess.run(["unshare", "-m", "sh", "-c", f'{mount} && exec "$0" -c "$1" "$2"', sys.executable,
                          READ_ONLY_MOUNT, str(tmp_path)], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert time.monotonic() - t0 < 10
    assert out.stdout.startswith("['kept'] True") and "will not be saved" in out.stdout


def test_stored_choices_reach_the_app_with_their_control_characters_shown(tmp_path):
    """A store is the learner's file (or someone else's, copied in): its texts are shown safely."""
    store = ProgressStore(tmp_path)
    store.record_answer("ch", "q1", "clean", True, "fp")
    store.record_answer("ch", "q1", "x\x1b]52;c;aGk=\x07", False, "fp")  # a practice try
    store.record_prediction("ch", "p1", None, "\x1b[2Jchoice", "fp")
    store.close()
    again = ProgressStore(tmp_path)
    answer = again.answers("ch")["q1"]
    assert answer.choice == "clean" and answer.last_choice == "x^[]52;c;aGk=^G"
    assert again.all_predictions()["ch"]["p1"].choice == "^[[2Jchoice"


def _learner_with_everything(course_dir, home):
    """A store holding a row in every table, written through the learner's record as the app does:
    a chapter read, an answer (and its card and first grading), a graded prediction, a review, places."""
    from lmtui.core.course import load_course
    from lmtui.core.record import LearnerRecord

    course = load_course(course_dir)
    key = str(course_dir.resolve())
    record = LearnerRecord(course, ProgressStore(home, course=key), key)
    first, second = course.chapters[0], course.chapters[1]
    record.mark_read(first.id)
    record.answer(first, first.quiz[0], 1)
    slope = next(q for q in second.quiz if q.id == "slope")
    record.predict(second, slope, value=2.1)
    record.grade(second, slope, measured=2.0, theory=2.0)
    record.review(first, first.quiz[0], True)
    record.set_place(second.id, 0, "quiz")
    record.store.close()
    return course, key


HOSTILE_VALUES = ["notatime", 1e300, -1e300, 2**62, b"\xff\x1b[2J"]
TIMES_READ = {"chapter_read.read_at", "answer.answered_at", "prediction.predicted_at", "prediction.measured_at",
              "card.due", "card.last_review", "review_log.reviewed_at", "review_log.due_after"}


def test_a_store_with_values_lmtui_never_writes_opens_and_says_so(mini_course, tmp_path):
    """Every column of every table, in turn, holds a value of the wrong kind (text for a time, a time
    past any calendar, bytes): the learner's record opens, the overview and the review list are
    made, and the learner is told which rows were left unread; the other rows are read."""
    from lmtui.core.overview import overview
    from lmtui.core.progress import _schema_columns
    from lmtui.core.record import LearnerRecord
    from lmtui.core.review import due_cards
    from predict_support import PREDICT

    with open(mini_course / "02-second.quiz.toml", "a", encoding="utf-8") as f:
        f.write(PREDICT)
    good = tmp_path / "good"
    course, key = _learner_with_everything(mini_course, good)
    tried = 0
    for table, columns in sorted(_schema_columns().items()):
        if table in ("meta", "legacy_answer"):
            continue
        for column in sorted(columns - {"course"}):
            for value in HOSTILE_VALUES:
                home = tmp_path / f"{table}-{column}-{tried}"
                shutil.copytree(good, home)
                conn = sqlite3.connect(home / DB_NAME)
                changed = conn.execute(f"UPDATE {table} SET {column} = ? WHERE rowid = (SELECT min(rowid) FROM {table})",
                                       (value,)).rowcount
                conn.commit()
                conn.close()
                assert changed, (table, column)
                record = LearnerRecord(course, ProgressStore(home, course=key), key)
                overview(record)
                due_cards(course, record.cards())
                record.statuses()
                said = " ".join(record.warnings())
                assert "\x1b" not in said and "\udcff" not in said
                if f"{table}.{column}" in TIMES_READ and isinstance(value, str):
                    assert f"{table}.{column} is 'notatime'" in said, (table, column, said)
                record.store.close()
                tried += 1
    assert tried > 150
    # one damaged row leaves the others: the chapter read and the prediction are read beside a bad answer
    home = tmp_path / "one-bad-answer"
    shutil.copytree(good, home)
    conn = sqlite3.connect(home / DB_NAME)
    conn.execute("UPDATE answer SET answered_at = 'notatime'")
    conn.execute("DELETE FROM card")  # as a schema-2 store has none: the record makes them from the answers
    conn.commit()
    conn.close()
    record = LearnerRecord(course, ProgressStore(home, course=key), key)
    assert record.is_read(course.chapters[0].id) and record.answers(course.chapters[0].id) == {}
    assert record.prediction(course.chapters[1].id, next(q for q in course.chapters[1].quiz if q.id == "slope"))
