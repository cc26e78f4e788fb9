"""The progress store: persistence, corrupt/future stores kept aside, concurrent writers, kills."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
import time


from lmtui.core.progress import DB_NAME, SCHEMA_VERSION, ProgressStore


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
