"""Learner progress in SQLite: chapters read, quiz answers, predictions, where the learner was.

- One file, ``progress.db``, under the platformdirs user data dir, or ``$LMTUI_HOME``.
- WAL journal, every write its own short transaction (row upserts, no read-modify-write), so a
  killed process loses at most the write in flight and two copies of the app lose nothing.
- Answers are kept by (course, chapter id, question id) with the chosen choice's *text* and a
  fingerprint of the question as it was asked (``Question.fingerprint``), so reordering a quiz file
  moves nothing and an edited question is recognised as changed. The first answer is the one that
  counts; later tries are kept as practice (the latest, and how many). A new answer to a question
  that changed since replaces the old one.
- Schema 3 adds spaced review: a ``card`` per answered question (its FSRS state and when it is due
  next, see ``lmtui.core.review``), a ``review_log`` of every grading that moved a card, and an
  optional range on a numeric prediction (``range_low``, ``range_high``). The chapter's tables are
  not touched by a review: a review answer moves the card, never the first answer that counts.
- Schema 1 (lmtui 0.1.0) kept answers by question and choice *position*. Opening such a file copies
  it to ``progress.db.schema1-backup`` first, then moves its answers into ``legacy_answer`` and
  upgrades in one transaction; :meth:`ProgressStore.adopt_legacy` later maps a course's legacy rows
  through that course's quiz as it was when they were written (see ``lmtui.core.record``).
- Schema 2 (lmtui 0.2.0): opening such a file copies it to ``progress.db.schema2-backup``, then adds
  the review tables and the range columns in one transaction; every row stays as it was. The cards
  for the answers it holds are made by the learner's record when it opens (``LearnerRecord``).
- A file that is not a database, fails its integrity check, holds someone else's tables (or
  lmtui's without their columns), or was written by a newer lmtui is moved aside
  (``progress.db.corrupt-<time>`` / ``.foreign-<time>`` / ``.future-<time>``) and reported in
  ``warning``; a fresh store is created and the app keeps working. Only a lock held by another
  copy of the app is waited for (``BUSY_WAIT``). A file that can be read but not written (a
  read-only file, folder or file system, a full disk) is read into memory: the learner's progress is
  shown and ``warning`` says new answers will not be saved. If no file can be opened at all,
  progress lives in memory for the session and ``warning`` says it will not be saved.

No Textual import here: the learner-record model (``lmtui.core.record``) reads and writes through this
class only.
"""

from __future__ import annotations

import os
import sqlite3
import time
from dataclasses import dataclass
from pathlib import Path

from lmtui.core.clock import now

SCHEMA_VERSION = 3
DB_NAME = "progress.db"
BUSY_WAIT = 2.0  # seconds an open waits for another copy of the app that is writing
SCHEMA1_BACKUP = DB_NAME + ".schema1-backup"
SCHEMA2_BACKUP = DB_NAME + ".schema2-backup"

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS chapter_read (
    course TEXT NOT NULL, chapter TEXT NOT NULL, read_at REAL NOT NULL,
    PRIMARY KEY (course, chapter));
CREATE TABLE IF NOT EXISTS answer (
    course TEXT NOT NULL, chapter TEXT NOT NULL, question TEXT NOT NULL,
    choice TEXT NOT NULL, correct INTEGER NOT NULL, fingerprint TEXT NOT NULL, answered_at REAL NOT NULL,
    tries INTEGER NOT NULL DEFAULT 1, last_choice TEXT, last_correct INTEGER, last_at REAL,
    PRIMARY KEY (course, chapter, question));
CREATE TABLE IF NOT EXISTS prediction (
    course TEXT NOT NULL, chapter TEXT NOT NULL, question TEXT NOT NULL,
    value REAL, choice TEXT, fingerprint TEXT NOT NULL, predicted_at REAL NOT NULL,
    measured REAL, theory REAL, correct INTEGER, measured_at REAL, range_low REAL, range_high REAL,
    PRIMARY KEY (course, chapter, question));
CREATE TABLE IF NOT EXISTS legacy_answer (
    course TEXT NOT NULL, chapter TEXT NOT NULL, question INTEGER NOT NULL,
    choice INTEGER NOT NULL, correct INTEGER NOT NULL, answered_at REAL NOT NULL, from_schema INTEGER NOT NULL,
    PRIMARY KEY (course, chapter, question));
CREATE TABLE IF NOT EXISTS state (
    course TEXT NOT NULL, key TEXT NOT NULL, value TEXT NOT NULL,
    PRIMARY KEY (course, key));
""" + """
CREATE TABLE IF NOT EXISTS card (
    course TEXT NOT NULL, chapter TEXT NOT NULL, question TEXT NOT NULL, kind TEXT NOT NULL,
    fingerprint TEXT NOT NULL, state INTEGER NOT NULL, step INTEGER, stability REAL, difficulty REAL,
    due REAL NOT NULL, last_review REAL, reps INTEGER NOT NULL DEFAULT 0, lapses INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (course, chapter, question));
CREATE INDEX IF NOT EXISTS card_due ON card(course, due);
CREATE TABLE IF NOT EXISTS review_log (
    course TEXT NOT NULL, chapter TEXT NOT NULL, question TEXT NOT NULL, reviewed_at REAL NOT NULL,
    rating INTEGER NOT NULL, correct INTEGER NOT NULL, first INTEGER NOT NULL DEFAULT 0, setting TEXT,
    value REAL, range_low REAL, range_high REAL, measured REAL, due_after REAL);
"""

# Schema 1 -> 2, in one transaction: position-keyed answers wait in legacy_answer for their course.
_UPGRADE_1 = """
ALTER TABLE answer RENAME TO answer_schema1;
""" + _SCHEMA + """
INSERT OR IGNORE INTO legacy_answer(course, chapter, question, choice, correct, answered_at, from_schema)
    SELECT course, chapter, question, choice, correct, answered_at, 1 FROM answer_schema1;
DROP TABLE answer_schema1;
UPDATE meta SET value = '3' WHERE key = 'schema_version';
"""

# Schema 2 -> 3, in one transaction: the review tables and the prediction's range; nothing else moves.
_UPGRADE_2 = """
ALTER TABLE prediction ADD COLUMN range_low REAL;
ALTER TABLE prediction ADD COLUMN range_high REAL;
""" + _SCHEMA + """
UPDATE meta SET value = '3' WHERE key = 'schema_version';
"""


def _busy(error: sqlite3.OperationalError) -> bool:
    """Whether ``error`` is another connection holding a lock (SQLITE_BUSY, SQLITE_LOCKED)."""
    code = getattr(error, "sqlite_errorcode", None)
    if code is not None:
        return code & 0xFF in (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED)
    return any(word in str(error) for word in ("locked", "busy"))


def _schema_error(error: sqlite3.OperationalError) -> bool:
    """Whether ``error`` is about the file's tables (SQLITE_ERROR: "no such column"), not about
    opening or locking it."""
    code = getattr(error, "sqlite_errorcode", None)
    if code is not None:
        return code & 0xFF == sqlite3.SQLITE_ERROR
    return str(error).startswith("no such")


def _text(value: object) -> str | None:
    """A stored text as the app may show it: a store is the learner's file, and what it holds
    reaches the terminal only with its control characters shown (lmtui.core.sanitize)."""
    if value is None:
        return None
    from lmtui.core.sanitize import clean

    return clean(value if isinstance(value, str) else str(value))


LATEST_TIME = 253402300799.0  # 9999-12-31: the last time a calendar date can show


def stored_number(value: object) -> float | None:
    """A finite float from a stored cell, or None (a damaged or hand-edited store may hold anything)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    f = float(value)
    return f if f == f and abs(f) != float("inf") else None


def stored_time(value: object) -> float | None:
    """A stored time (seconds since the epoch) a date can be made of, or None."""
    t = stored_number(value)
    return t if t is not None and 0 <= t <= LATEST_TIME else None


# What each column of a row read back must hold, one letter a column (upper case: or NULL):
# s text, f a flag (0 or 1), t a time, n a finite number, i an integer.
_KINDS = {
    "s": lambda v: isinstance(v, str),
    "f": lambda v: v in (0, 1) and not isinstance(v, float),
    "t": lambda v: stored_time(v) is not None,
    "n": lambda v: stored_number(v) is not None,
    "i": lambda v: isinstance(v, int) and not isinstance(v, bool),
}


def _bad_column(row: tuple, kinds: str) -> int | None:
    """The index of the first column of ``row`` that does not hold what ``kinds`` says, or None."""
    for i, (value, kind) in enumerate(zip(row, kinds)):
        if value is None and kind.isupper():
            continue
        if not _KINDS[kind.lower()](value):
            return i
    return None


def _quoted(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


_COLUMNS: dict[str, set[str]] = {}


def _schema_columns() -> dict[str, set[str]]:
    """Each table of this schema and its columns, as ``_SCHEMA`` makes them."""
    if not _COLUMNS:
        conn = sqlite3.connect(":memory:")
        conn.executescript(_SCHEMA)
        for (name,) in conn.execute("SELECT name FROM sqlite_master WHERE type='table'").fetchall():
            _COLUMNS[name] = {c[1] for c in conn.execute(f"PRAGMA table_info({_quoted(name)})")}
        conn.close()
    return _COLUMNS


def default_home() -> Path:
    env = os.environ.get("LMTUI_HOME")
    if env:
        return Path(env).expanduser()
    from platformdirs import user_data_dir

    return Path(user_data_dir("lmtui", appauthor=False))


@dataclass(frozen=True)
class Answer:
    """A stored answer: the first one (which counts) and the latest practice try, if any."""

    choice: str  # the chosen choice's text
    correct: bool
    fingerprint: str  # of the question as it was when answered
    answered_at: float = 0.0
    tries: int = 1
    last_choice: str | None = None
    last_correct: bool | None = None


@dataclass(frozen=True)
class Prediction:
    """A learner's first committed prediction, and what the run measured once it finished."""

    value: float | None  # a typed number, or None for a choice
    choice: str | None  # the chosen choice's text, for a predict question with choices
    fingerprint: str
    predicted_at: float
    measured: float | None = None
    theory: float | None = None
    correct: bool | None = None  # None until the run has graded it
    measured_at: float | None = None
    low: float | None = None  # the learner's range around ``value``, if they gave one (3.5 +- 0.5)
    high: float | None = None

    def range_holds(self) -> bool | None:
        """Whether the measurement fell inside the learner's range (None: no range or no run)."""
        if self.low is None or self.high is None or self.measured is None:
            return None
        return self.low - 1e-12 <= self.measured <= self.high + 1e-12


@dataclass(frozen=True)
class LegacyAnswer:
    """A schema-1 answer, by position, waiting to be mapped through its course's quiz."""

    chapter: str
    question: int  # 0-based position
    choice: int  # 1-based position
    correct: bool
    answered_at: float


@dataclass(frozen=True)
class CardRow:
    """One question's review card as stored: its FSRS state (``lmtui.core.review`` reads and writes
    it) and when it is due next, as seconds since the epoch."""

    chapter: str
    question: str
    kind: str  # "quiz" or "predict"
    fingerprint: str  # of the question when the card was last graded
    state: int  # FSRS: 1 learning, 2 review, 3 relearning
    step: int | None
    stability: float | None
    difficulty: float | None
    due: float
    last_review: float | None
    reps: int = 0  # gradings that moved it (the first answer included)
    lapses: int = 0  # times a card in review was answered wrong


@dataclass(frozen=True)
class ReviewEntry:
    """One grading that moved a card: the first answer in the chapter (``first``) or a review."""

    chapter: str
    question: str
    reviewed_at: float
    rating: int  # FSRS rating: 1 again, 3 good
    correct: bool
    first: bool = False
    setting: str | None = None  # a predict review's drawn parameters and seed, as JSON
    value: float | None = None
    low: float | None = None
    high: float | None = None
    measured: float | None = None
    due_after: float | None = None


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
        self.read_only = False  # the file could only be read: shown, and nothing new is saved
        self.damaged: dict[str, str] = {}  # table -> the first value read back that lmtui never writes
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
        if self.path.is_dir():
            return self._in_memory(f"{self.path} is a folder, not a progress file")
        attempt = 0
        busy_until = time.monotonic() + BUSY_WAIT
        while True:
            conn = None
            try:
                conn = self._connect(str(self.path))
                conn.execute(f"PRAGMA busy_timeout = {int(BUSY_WAIT * 1000)}")
                try:
                    problem = self._inspect(conn)
                except sqlite3.OperationalError as e:
                    if not _schema_error(e):  # busy, or the file cannot be opened for writing
                        raise
                    problem = "foreign", f"not the tables lmtui writes ({e})"
                if problem is None:
                    self._init_schema(conn)
                    conn.execute("PRAGMA busy_timeout = 10000")
                    return conn
                conn.close()
                kind, why = problem
            except sqlite3.OperationalError as e:
                if conn is not None:
                    conn.close()
                if _busy(e):
                    # another copy of the app is writing. Never a reason to move the file aside
                    # (that would split one learner's progress in two); wait a little and retry.
                    if time.monotonic() < busy_until:
                        time.sleep(0.05)
                        continue
                    return self._read_only(f"{self.path} is busy: another lmtui is writing it ({e})")
                # cannot be written here: a read-only file, folder or file system, a full disk
                return self._read_only(f"{self.path} cannot be written ({e})")
            except sqlite3.DatabaseError as e:  # "file is not a database", "malformed", ...
                if conn is not None:
                    conn.close()
                kind, why = "corrupt", str(e)
            except OSError as e:
                return self._in_memory(f"cannot open {self.path} ({e.strerror or e})")
            attempt += 1
            if attempt > 1 or not self._move_aside(kind, why):
                break
        return self._in_memory(self.warning or f"cannot open {self.path}")

    def _inspect(self, conn: sqlite3.Connection) -> tuple[str, str] | None:
        """None if usable; else (kind, reason). A file of someone else's tables, or of tables named
        as lmtui's but lacking their columns, is "foreign": every save into it would fail."""
        ok = conn.execute("PRAGMA quick_check").fetchone()
        if not ok or ok[0] != "ok":
            return "corrupt", f"integrity check failed: {ok[0] if ok else 'no answer'}"
        tables = {name: {c[1] for c in conn.execute(f"PRAGMA table_info({_quoted(name)})")}
                  for (name,) in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        if "meta" not in tables:
            if tables:
                return "foreign", f"tables {', '.join(sorted(tables)[:4])} are not lmtui's (no meta table)"
            return None  # a new, empty file
        if not {"key", "value"} <= tables["meta"]:
            return "foreign", f"its meta table has columns {', '.join(sorted(tables['meta']))}, not key and value"
        row = conn.execute("SELECT value FROM meta WHERE key='schema_version'").fetchone()
        try:
            version = int(row[0]) if row else SCHEMA_VERSION
        except (TypeError, ValueError):
            return "corrupt", f"schema_version is {row[0]!r}"
        if version > SCHEMA_VERSION:
            return "future", f"written by a newer lmtui (schema {version}, this one reads {SCHEMA_VERSION})"
        if version == SCHEMA_VERSION:  # an older schema is upgraded, and its upgrade checks its tables
            for name, columns in _schema_columns().items():
                missing = columns - tables.get(name, columns)
                if missing:
                    return "foreign", f"its {name} table lacks {', '.join(sorted(missing))}"
        return None

    def _read_only(self, why: str) -> sqlite3.Connection:
        """The store as it is, read into memory, when it cannot be written: the learner's progress
        is shown, and nothing new is saved. Without a readable file, an empty store in memory."""
        try:
            conn = self._snapshot()
        except (sqlite3.Error, OSError):
            return self._in_memory(why)
        self.persistent = False
        self.read_only = True
        self.warning = f"{why}. Your progress so far is shown; new answers will not be saved this session."
        return conn

    def _snapshot(self) -> sqlite3.Connection:
        """A copy in memory of the file, read without writing anything beside it (``immutable`` if
        even its WAL index cannot be opened), upgraded in memory if it is of an older schema."""
        if not self.path.is_file():
            raise OSError("no file")
        uri = self.path.resolve().as_uri()
        memory = self._connect(":memory:")
        for mode in ("mode=ro", "immutable=1"):
            try:
                source = sqlite3.connect(f"{uri}?{mode}", uri=True, timeout=1.0)
                try:
                    if self._inspect(source) is not None:
                        raise sqlite3.DatabaseError("not a usable progress store")
                    source.backup(memory)
                finally:
                    source.close()
                break
            except sqlite3.OperationalError:
                if mode == "immutable=1":
                    raise
        # an upgrade keeps a backup copy beside a file it finds; this copy has no file to keep
        path, self.path = self.path, self.path.with_name(f"{DB_NAME}.in-memory-{os.getpid()}-{id(self)}")
        try:
            self._init_schema(memory)
        finally:
            self.path = path
        return memory

    def _init_schema(self, conn: sqlite3.Connection) -> None:
        conn.execute("PRAGMA journal_mode = WAL")
        conn.execute("PRAGMA synchronous = NORMAL")
        if self._stored_version(conn) == 1:
            self._upgrade(conn, 1, SCHEMA1_BACKUP, _UPGRADE_1)
        if self._stored_version(conn) == 2:
            self._upgrade(conn, 2, SCHEMA2_BACKUP, _UPGRADE_2)
        conn.executescript(_SCHEMA)
        conn.execute("INSERT OR IGNORE INTO meta(key, value) VALUES ('schema_version', ?)", (str(SCHEMA_VERSION),))

    @staticmethod
    def _stored_version(conn: sqlite3.Connection) -> int | None:
        if not conn.execute("SELECT 1 FROM sqlite_master WHERE type='table' AND name='meta'").fetchone():
            return None
        row = conn.execute("SELECT value FROM meta WHERE key='schema_version'").fetchone()
        return int(row[0]) if row else None

    def _upgrade(self, conn: sqlite3.Connection, version: int, backup_name: str, script: str) -> None:
        """Keep a copy of the file as schema ``version`` wrote it, then upgrade in one transaction
        (all or nothing: a crash midway leaves the old file as it was, and the next start tries again)."""
        if self.path.exists():
            backup = self.path.with_name(backup_name)
            if not backup.exists():
                copy = sqlite3.connect(str(backup))
                try:
                    conn.backup(copy)  # a consistent copy, WAL content included
                finally:
                    copy.close()
        conn.execute("BEGIN IMMEDIATE")
        try:
            if self._stored_version(conn) == version:  # another copy of the app may have upgraded first
                for statement in script.split(";"):
                    if statement.strip():
                        conn.execute(statement)
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise

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
            (self.course, chapter, now()),
        )

    def record_answer(self, chapter: str, question: str, choice: str, correct: bool, fingerprint: str) -> None:
        """The first answer to a question is kept as the one that counts; a later one is practice
        (the latest try and the number of tries), unless the question changed since the first
        (another fingerprint): then the new answer replaces it."""
        self._write(
            "INSERT INTO answer(course, chapter, question, choice, correct, fingerprint, answered_at) "
            "VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT(course, chapter, question) DO UPDATE SET "
            "tries = CASE WHEN answer.fingerprint = excluded.fingerprint THEN answer.tries + 1 ELSE 1 END, "
            "last_choice = CASE WHEN answer.fingerprint = excluded.fingerprint THEN excluded.choice END, "
            "last_correct = CASE WHEN answer.fingerprint = excluded.fingerprint THEN excluded.correct END, "
            "last_at = CASE WHEN answer.fingerprint = excluded.fingerprint THEN excluded.answered_at END, "
            "choice = CASE WHEN answer.fingerprint = excluded.fingerprint THEN answer.choice ELSE excluded.choice END, "
            "correct = CASE WHEN answer.fingerprint = excluded.fingerprint THEN answer.correct ELSE excluded.correct END, "
            "answered_at = CASE WHEN answer.fingerprint = excluded.fingerprint THEN answer.answered_at ELSE excluded.answered_at END, "
            "fingerprint = excluded.fingerprint",
            (self.course, chapter, question, choice, int(correct), fingerprint, now()),
        )

    def record_prediction(self, chapter: str, question: str, value: float | None, choice: str | None, fingerprint: str,
                          low: float | None = None, high: float | None = None) -> None:
        """The first committed prediction (with the learner's range, if any) is kept (a question
        that changed since takes a new one)."""
        self._write(
            "INSERT INTO prediction(course, chapter, question, value, choice, fingerprint, predicted_at, range_low, range_high) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT(course, chapter, question) DO UPDATE SET "
            "value=excluded.value, choice=excluded.choice, fingerprint=excluded.fingerprint, "
            "predicted_at=excluded.predicted_at, measured=NULL, theory=NULL, correct=NULL, measured_at=NULL, "
            "range_low=excluded.range_low, range_high=excluded.range_high "
            "WHERE prediction.fingerprint != excluded.fingerprint",
            (self.course, chapter, question, value, choice, fingerprint, now(), low, high),
        )

    def record_measurement(self, chapter: str, question: str, fingerprint: str, measured: float | None,
                           theory: float | None, correct: bool) -> None:
        """What the run measured for a prediction, and the grade (the first grading stays)."""
        self._write(
            "UPDATE prediction SET measured=?, theory=?, correct=?, measured_at=? "
            "WHERE course=? AND chapter=? AND question=? AND fingerprint=? AND correct IS NULL",
            (measured, theory, int(correct), now(), self.course, chapter, question, fingerprint),
        )

    def adopt_legacy(self, rows: list[tuple[LegacyAnswer, str, str, str]]) -> None:
        """Schema-1 answers mapped to (question id, choice text, fingerprint), written as answers and
        removed from ``legacy_answer`` in one transaction. Rows not given stay where they are."""
        if not rows:
            return
        try:
            with self._conn:
                self._conn.execute("BEGIN IMMEDIATE")
                for old, qid, choice, fingerprint in rows:
                    self._conn.execute(
                        "INSERT OR IGNORE INTO answer(course, chapter, question, choice, correct, fingerprint, answered_at) "
                        "VALUES (?, ?, ?, ?, ?, ?, ?)",
                        (self.course, old.chapter, qid, choice, int(old.correct), fingerprint, old.answered_at),
                    )
                    self._conn.execute("DELETE FROM legacy_answer WHERE course=? AND chapter=? AND question=?",
                                       (self.course, old.chapter, old.question))
        except sqlite3.Error as e:
            raise StoreError(f"could not migrate old answers: {e}") from e

    def adopt_fingerprints(self, rows: list[tuple[str, str, str, str, str]]) -> None:
        """Rows written for an earlier edition of a question that asked the same thing, given the
        question's fingerprint now: (table: answer, prediction or card; chapter, question, the old
        fingerprint, the new), in one transaction. Nothing else in a row changes."""
        if not rows:
            return
        try:
            with self._conn:
                self._conn.execute("BEGIN IMMEDIATE")
                for table, chapter, question, old, new in rows:
                    if table not in ("answer", "prediction", "card"):
                        raise ValueError(f"no fingerprint in table {table!r}")
                    self._conn.execute(f"UPDATE {table} SET fingerprint=? "
                                       "WHERE course=? AND chapter=? AND question=? AND fingerprint=?",
                                       (new, self.course, chapter, question, old))
        except sqlite3.Error as e:
            raise StoreError(f"could not keep the answers to reworded questions: {e}") from e

    _CARD_COLUMNS = "chapter, question, kind, fingerprint, state, step, stability, difficulty, due, last_review, reps, lapses"
    _LOG_COLUMNS = "chapter, question, reviewed_at, rating, correct, first, setting, value, range_low, range_high, measured, due_after"

    def save_review(self, cards: list[CardRow], entries: list[ReviewEntry]) -> None:
        """Cards (new or moved) and the gradings that moved them, in one transaction."""
        try:
            with self._conn:
                self._conn.execute("BEGIN IMMEDIATE")
                self._conn.executemany(
                    f"INSERT OR REPLACE INTO card(course, {self._CARD_COLUMNS}) VALUES ({', '.join('?' * 13)})",
                    [(self.course, c.chapter, c.question, c.kind, c.fingerprint, c.state, c.step, c.stability,
                      c.difficulty, c.due, c.last_review, c.reps, c.lapses) for c in cards])
                self._conn.executemany(
                    f"INSERT INTO review_log(course, {self._LOG_COLUMNS}) VALUES ({', '.join('?' * 13)})",
                    [(self.course, e.chapter, e.question, e.reviewed_at, e.rating, int(e.correct), int(e.first), e.setting,
                      e.value, e.low, e.high, e.measured, e.due_after) for e in entries])
        except sqlite3.Error as e:
            raise StoreError(f"could not save the review: {e}") from e

    def set_state(self, key: str, value: str) -> None:
        self._write(
            "INSERT INTO state(course, key, value) VALUES (?, ?, ?) "
            "ON CONFLICT(course, key) DO UPDATE SET value=excluded.value",
            (self.course, key, value),
        )

    # -- reading ---------------------------------------------------------------------------------
    def _read(self, sql: str, args: tuple, kinds: str | None = None) -> list[tuple]:
        """The rows ``sql`` selects; with ``kinds`` (see ``_KINDS``), only the rows whose values are
        of the kinds lmtui writes: a row holding anything else (a time that is text, a flag that is
        "yes", written by hand or by another program) is left in the file, not read, and noted in
        ``damaged`` for :meth:`damaged_warning`."""
        try:
            rows = self._conn.execute(sql, args).fetchall()
        except sqlite3.Error:
            return []
        if kinds is None:
            return rows
        good = []
        for row in rows:
            bad = _bad_column(row, kinds)
            if bad is None:
                good.append(row)
            else:
                table = sql.split(" FROM ")[1].split()[0]
                column = sql.split("SELECT ")[1].split(" FROM ")[0].split(", ")[bad]
                self.damaged.setdefault(table, f"{table}.{column} is {_text(repr(row[bad]))[:40]}")
        return good

    def damaged_warning(self) -> str | None:
        """What the rows left unread held, for the learner (None if every row was read)."""
        if not self.damaged:
            return None
        what = "; ".join(self.damaged.values())
        return (f"Some rows of {self.path} hold values lmtui does not write ({what}); they are left in the "
                f"file and not shown.")

    def read_chapters(self) -> set[str]:
        return {r[0] for r in self._read("SELECT chapter, read_at FROM chapter_read WHERE course=?", (self.course,), "st")}

    _ANSWER_COLUMNS = "chapter, question, choice, correct, fingerprint, answered_at, tries, last_choice, last_correct"

    def all_answers(self) -> dict[str, dict[str, Answer]]:
        out: dict[str, dict[str, Answer]] = {}
        for ch, q, c, ok, fp, at, tries, last, last_ok in self._read(
                f"SELECT {self._ANSWER_COLUMNS} FROM answer WHERE course=?", (self.course,), "sssfstiSF"):
            out.setdefault(ch, {})[q] = Answer(_text(c), bool(ok), fp, at, tries, _text(last),
                                               None if last_ok is None else bool(last_ok))
        return out

    def answers(self, chapter: str) -> dict[str, Answer]:
        return self.all_answers().get(chapter, {})

    def all_predictions(self) -> dict[str, dict[str, Prediction]]:
        out: dict[str, dict[str, Prediction]] = {}
        for ch, q, value, choice, fp, at, measured, theory, ok, measured_at, low, high in self._read(
                "SELECT chapter, question, value, choice, fingerprint, predicted_at, measured, theory, correct, measured_at, "
                "range_low, range_high FROM prediction WHERE course=?", (self.course,), "ssNSstNNFTNN"):
            out.setdefault(ch, {})[q] = Prediction(value, _text(choice), fp, at, measured, theory, None if ok is None else bool(ok),
                                                   measured_at, low, high)
        return out

    def all_cards(self) -> dict[tuple[str, str], CardRow]:
        """(chapter, question) -> card, for this course."""
        return {(r[0], r[1]): CardRow(*r) for r in self._read(
            f"SELECT {self._CARD_COLUMNS} FROM card WHERE course=?", (self.course,), "ssssiINNtTii")}

    def review_log(self) -> list[ReviewEntry]:
        """Every grading that moved a card, oldest first."""
        return [ReviewEntry(ch, q, at, rating, bool(ok), bool(first), setting, value, low, high, measured, due_after)
                for ch, q, at, rating, ok, first, setting, value, low, high, measured, due_after in self._read(
                    f"SELECT {self._LOG_COLUMNS} FROM review_log WHERE course=? ORDER BY reviewed_at, rowid", (self.course,),
                    "sstiffSNNNNT")]

    def legacy_answers(self) -> list[LegacyAnswer]:
        rows = self._read("SELECT chapter, question, choice, correct, answered_at FROM legacy_answer WHERE course=? "
                          "ORDER BY chapter, question", (self.course,), "siift")
        return [LegacyAnswer(ch, q, c, bool(ok), at) for ch, q, c, ok, at in rows]

    def get_state(self, key: str, default: str | None = None) -> str | None:
        rows = self._read("SELECT value FROM state WHERE course=? AND key=?", (self.course, key), "s")
        return rows[0][0] if rows else default

    def close(self) -> None:
        try:
            self._conn.close()
        except sqlite3.Error:
            pass
