"""Learner progress in SQLite: chapters read, quiz answers, where the learner was.

- One file, ``progress.db``, under the platformdirs user data dir, or ``$LMTUI_HOME``.
- WAL journal, every write its own short transaction (row upserts, no read-modify-write), so a
  killed process loses at most the write in flight and two copies of the app lose nothing.
- A file that is not a database, fails its integrity check, or was written by a newer lmtui is
  moved aside (``progress.db.corrupt-<time>`` / ``.future-<time>``) and reported in ``warning``;
  a fresh store is created and the app keeps working. If no file can be opened at all, progress
  lives in memory for the session and ``warning`` says it will not be saved.

No Textual import here: the app reads and writes through this class only.
"""

from __future__ import annotations

import os
import sqlite3
import time
from dataclasses import dataclass
from pathlib import Path

SCHEMA_VERSION = 1
DB_NAME = "progress.db"

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS chapter_read (
    course TEXT NOT NULL, chapter TEXT NOT NULL, read_at REAL NOT NULL,
    PRIMARY KEY (course, chapter));
CREATE TABLE IF NOT EXISTS answer (
    course TEXT NOT NULL, chapter TEXT NOT NULL, question INTEGER NOT NULL,
    choice INTEGER NOT NULL, correct INTEGER NOT NULL, answered_at REAL NOT NULL,
    PRIMARY KEY (course, chapter, question));
CREATE TABLE IF NOT EXISTS state (
    course TEXT NOT NULL, key TEXT NOT NULL, value TEXT NOT NULL,
    PRIMARY KEY (course, key));
"""


def default_home() -> Path:
    env = os.environ.get("LMTUI_HOME")
    if env:
        return Path(env).expanduser()
    from platformdirs import user_data_dir

    return Path(user_data_dir("lmtui", appauthor=False))


@dataclass(frozen=True)
class Answer:
    choice: int
    correct: bool


class StoreError(Exception):
    pass


class ProgressStore:
    def __init__(self, home: str | Path | None = None, course: str = "builtin") -> None:
        self.course = course
        self.home = Path(home) if home is not None else default_home()
        self.path = self.home / DB_NAME
        self.warning: str | None = None
        self.moved_aside: Path | None = None
        self.persistent = True
        self._conn = self._open()

    # -- opening ------------------------------------------------------------------------------
    def _connect(self, target: str) -> sqlite3.Connection:
        conn = sqlite3.connect(target, timeout=10.0, isolation_level=None, check_same_thread=False)
        conn.execute("PRAGMA busy_timeout = 10000")
        return conn

    def _open(self) -> sqlite3.Connection:
        try:
            self.home.mkdir(parents=True, exist_ok=True)
        except OSError as e:
            return self._in_memory(f"cannot create {self.home} ({e.strerror or e})")
        attempt = 0
        busy_until = time.monotonic() + 15.0
        while True:
            try:
                conn = self._connect(str(self.path))
                problem = self._inspect(conn)
                if problem is None:
                    self._init_schema(conn)
                    return conn
                conn.close()
                kind, why = problem
            except sqlite3.OperationalError as e:
                # locked or busy: another copy of the app is writing. Never a reason to move the
                # file aside (that would split one learner's progress in two); wait and retry.
                if time.monotonic() < busy_until:
                    time.sleep(0.05)
                    continue
                return self._in_memory(f"cannot open {self.path} ({e})")
            except sqlite3.DatabaseError as e:  # "file is not a database", "malformed", ...
                kind, why = "corrupt", str(e)
            except OSError as e:
                return self._in_memory(f"cannot open {self.path} ({e.strerror or e})")
            attempt += 1
            if attempt > 1 or not self._move_aside(kind, why):
                break
        return self._in_memory(self.warning or f"cannot open {self.path}")

    def _inspect(self, conn: sqlite3.Connection) -> tuple[str, str] | None:
        """None if usable; else (kind, reason)."""
        ok = conn.execute("PRAGMA quick_check").fetchone()
        if not ok or ok[0] != "ok":
            return "corrupt", f"integrity check failed: {ok[0] if ok else 'no answer'}"
        has_meta = conn.execute("SELECT 1 FROM sqlite_master WHERE type='table' AND name='meta'").fetchone()
        if has_meta:
            row = conn.execute("SELECT value FROM meta WHERE key='schema_version'").fetchone()
            try:
                version = int(row[0]) if row else SCHEMA_VERSION
            except (TypeError, ValueError):
                return "corrupt", f"schema_version is {row[0]!r}"
            if version > SCHEMA_VERSION:
                return "future", f"written by a newer lmtui (schema {version}, this one reads {SCHEMA_VERSION})"
        return None

    def _init_schema(self, conn: sqlite3.Connection) -> None:
        conn.execute("PRAGMA journal_mode = WAL")
        conn.execute("PRAGMA synchronous = NORMAL")
        conn.executescript(_SCHEMA)
        conn.execute("INSERT OR IGNORE INTO meta(key, value) VALUES ('schema_version', ?)", (str(SCHEMA_VERSION),))

    def _move_aside(self, kind: str, why: str) -> bool:
        stamp = time.strftime("%Y%m%d-%H%M%S")
        target = self.path.with_name(f"{DB_NAME}.{kind}-{stamp}")
        n = 1
        while target.exists():
            target = self.path.with_name(f"{DB_NAME}.{kind}-{stamp}-{n}")
            n += 1
        try:
            os.replace(self.path, target)
            for suffix in ("-wal", "-shm"):
                side = self.path.with_name(DB_NAME + suffix)
                if side.exists():
                    os.replace(side, target.with_name(target.name + suffix))
        except OSError as e:
            self.warning = f"Progress file {self.path} is unusable ({why}) and could not be moved aside ({e.strerror or e}); progress will not be saved this session."
            return False
        self.moved_aside = target
        self.warning = f"Progress file was unusable ({why}). It was kept as {target.name}; starting a fresh one."
        return True

    def _in_memory(self, why: str) -> sqlite3.Connection:
        self.persistent = False
        if self.warning is None or "not be saved" not in self.warning:
            self.warning = f"{why}; progress will not be saved this session."
        conn = self._connect(":memory:")
        self._init_schema(conn)
        return conn

    # -- writing (each call one transaction) ---------------------------------------------------
    def _write(self, sql: str, args: tuple) -> None:
        try:
            self._conn.execute(sql, args)
        except sqlite3.Error as e:
            raise StoreError(f"could not save progress: {e}") from e

    def mark_read(self, chapter: str) -> None:
        self._write(
            "INSERT OR IGNORE INTO chapter_read(course, chapter, read_at) VALUES (?, ?, ?)",
            (self.course, chapter, time.time()),
        )

    def record_answer(self, chapter: str, question: int, choice: int, correct: bool) -> None:
        self._write(
            "INSERT INTO answer(course, chapter, question, choice, correct, answered_at) VALUES (?, ?, ?, ?, ?, ?) "
            "ON CONFLICT(course, chapter, question) DO UPDATE SET choice=excluded.choice, "
            "correct=excluded.correct, answered_at=excluded.answered_at",
            (self.course, chapter, question, choice, int(correct), time.time()),
        )

    def set_state(self, key: str, value: str) -> None:
        self._write(
            "INSERT INTO state(course, key, value) VALUES (?, ?, ?) "
            "ON CONFLICT(course, key) DO UPDATE SET value=excluded.value",
            (self.course, key, value),
        )

    # -- reading ---------------------------------------------------------------------------------
    def _read(self, sql: str, args: tuple) -> list[tuple]:
        try:
            return self._conn.execute(sql, args).fetchall()
        except sqlite3.Error:
            return []

    def read_chapters(self) -> set[str]:
        return {r[0] for r in self._read("SELECT chapter FROM chapter_read WHERE course=?", (self.course,))}

    def answers(self, chapter: str) -> dict[int, Answer]:
        rows = self._read("SELECT question, choice, correct FROM answer WHERE course=? AND chapter=?", (self.course, chapter))
        return {q: Answer(c, bool(ok)) for q, c, ok in rows}

    def all_answers(self) -> dict[str, dict[int, Answer]]:
        out: dict[str, dict[int, Answer]] = {}
        for ch, q, c, ok in self._read("SELECT chapter, question, choice, correct FROM answer WHERE course=?", (self.course,)):
            out.setdefault(ch, {})[q] = Answer(c, bool(ok))
        return out

    def get_state(self, key: str, default: str | None = None) -> str | None:
        rows = self._read("SELECT value FROM state WHERE course=? AND key=?", (self.course, key))
        return rows[0][0] if rows else default

    def close(self) -> None:
        try:
            self._conn.close()
        except sqlite3.Error:
            pass
