"""Learners' progress stores under one folder, found and read without writing anything.

A room's folder holds one folder per learner, each laid out like an LMTUI_HOME: ``DIR/<name>/progress.db``
(what ``lmtui serve --learners DIR`` writes, or a shared folder where each hub user's ``LMTUI_HOME``
is ``DIR/$USER``). A folder that is a user's home (``DIR/<user>/.local/share/lmtui``, the default
data folder on Linux) is found too, so ``/home`` works where the reader may read the homes.

Every store is opened read-only (SQLite ``mode=ro``, one snapshot per store), so reading is safe
while learners are writing; a store that cannot be read (damaged, not a database, written by
another schema) raises :class:`Unreadable` with the reason and is never changed. ``lmtui report``
and ``lmtui room`` both read through here.

No Textual import here.
"""

from __future__ import annotations

import os
import sqlite3
from dataclasses import dataclass, field
from pathlib import Path

from lmtui.core.progress import DB_NAME, LATEST_TIME, SCHEMA_VERSION
from lmtui.core.progress import stored_number as _number
from lmtui.core.sanitize import clean

HOME_LAYOUT = Path(".local") / "share" / "lmtui"  # the platform data folder under a Linux home

# Schema 3 only added tables and columns: a schema-2 store (a learner who has not opened this
# lmtui yet) reads the same, without its review cards.
OLDEST_READABLE = 2

# A numeric prediction's optional range (schema 3 on; an older store readable here has none).
RANGE_COLUMNS = ("range_low", "range_high")


class Unreadable(Exception):
    """A store that cannot be read; the message says why."""


@dataclass(frozen=True)
class Predicted:
    """A committed prediction as stored: the number or choice, its optional range, and the run's
    measurement once it graded it."""

    value: float | None
    choice: str | None
    fingerprint: str
    low: float | None = None
    high: float | None = None
    measured: float | None = None
    correct: bool | None = None


@dataclass
class StoreData:
    read: dict[str, float] = field(default_factory=dict)  # chapter id -> when
    answers: dict[tuple[str, str], tuple[str, bool, str, float, float | None]] = field(default_factory=dict)
    # (chapter, question) -> (choice, correct, fingerprint, answered_at, last_at)
    predictions: dict[tuple[str, str], tuple[str, bool | None, float, float | None]] = field(default_factory=dict)
    # (chapter, question) -> (fingerprint, correct, predicted_at, measured_at)
    predicted: dict[tuple[str, str], Predicted] = field(default_factory=dict)  # the same, with what was predicted
    last_chapter: str | None = None
    views: dict[str, str] = field(default_factory=dict)  # chapter id -> the view it was last in
    cards: dict[tuple[str, str], float] = field(default_factory=dict)  # (chapter, question) -> when due (schema 3)
    reviews: list[tuple[str, str, bool]] = field(default_factory=list)  # review answers: (chapter, question, right)


def wal_of(path: Path) -> Path:
    return path.with_name(path.name + "-wal")


def connect_read_only(path: Path) -> sqlite3.Connection:
    """Open ``path`` without any chance of writing to it, or beside it. While the learner's app
    runs, its WAL files (``-wal`` and ``-shm``) exist and ``mode=ro`` reads a consistent snapshot
    through them. With no WAL file no writer is active, and ``mode=ro`` would create the WAL files
    (or fail, in a folder the reader may not write): the file is read as immutable then, creating
    nothing. A ``-wal`` without its ``-shm`` (an app that was killed, a copied folder) has no writer
    either, but holds answers not yet in the main file: ``mode=ro`` would create the ``-shm`` beside
    it, so the pair is read from a private copy instead."""
    uri = path.resolve().as_uri()
    live = wal_of(path).exists()
    if live and not path.with_name(path.name + "-shm").exists():
        return _private_copy(path)
    conn = sqlite3.connect(f"{uri}?mode=ro" if live else f"{uri}?immutable=1", uri=True, timeout=10.0,
                           isolation_level=None, check_same_thread=False)
    conn.execute("PRAGMA busy_timeout = 10000")
    conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
    return conn


def _private_copy(path: Path) -> sqlite3.Connection:
    """The store and its WAL, copied to a private folder and read from there into memory."""
    import shutil
    import tempfile

    with tempfile.TemporaryDirectory(prefix="lmtui-store-") as folder:
        copy = Path(folder) / DB_NAME
        shutil.copyfile(path, copy)
        shutil.copyfile(wal_of(path), wal_of(copy))
        source = sqlite3.connect(str(copy), timeout=1.0)
        try:
            conn = sqlite3.connect(":memory:", isolation_level=None, check_same_thread=False)
            source.backup(conn)
        finally:
            source.close()
    return conn


def read_store(path: Path, course_key: str) -> StoreData:
    """One learner's store as it is now, for ``course_key``; Unreadable if it cannot be read.
    A store whose app started while it was being read as immutable is read again, live."""
    try:
        return _read_store(path, course_key)
    except Unreadable:
        if not wal_of(path).exists():
            raise
        return _read_store(path, course_key)


def _read_store(path: Path, course_key: str) -> StoreData:
    try:
        conn = connect_read_only(path)
    except sqlite3.OperationalError as e:  # permissions, a folder the reader may not enter, locking
        raise Unreadable(f"cannot open it ({e})") from e
    except sqlite3.DatabaseError as e:  # "file is not a database", "malformed"
        raise Unreadable(f"damaged ({e})") from e
    except OSError as e:  # gone since the folder was listed (its WAL copied as it went), unreadable
        raise Unreadable(f"cannot open it ({e.strerror or e})") from e
    try:
        conn.execute("BEGIN")  # one snapshot: a learner writing meanwhile changes nothing here
        ok = conn.execute("PRAGMA quick_check").fetchone()
        if not ok or ok[0] != "ok":
            raise Unreadable(f"damaged (integrity check: {ok[0] if ok else 'no answer'})")
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        if "meta" not in tables:
            raise Unreadable("not an lmtui progress store (no meta table)")
        row = conn.execute("SELECT value FROM meta WHERE key='schema_version'").fetchone()
        version = int(row[0]) if row and str(row[0]).isdigit() else None
        if version is None or not OLDEST_READABLE <= version <= SCHEMA_VERSION:
            if version is not None and version < SCHEMA_VERSION:
                raise Unreadable(f"written by an older lmtui (schema {version}); it is upgraded the next time "
                                 f"this learner opens the course")
            raise Unreadable(f"schema {row[0] if row else 'unknown'}, this lmtui reads {SCHEMA_VERSION}")
        data = StoreData()
        for chapter, at in conn.execute("SELECT chapter, read_at FROM chapter_read WHERE course=?", (course_key,)):
            data.read[_text(chapter, "chapter_read.chapter")] = _time(at, "chapter_read.read_at")
        for chapter, question, choice, correct, fingerprint, at, last_at in conn.execute(
                "SELECT chapter, question, choice, correct, fingerprint, answered_at, last_at FROM answer "
                "WHERE course=?", (course_key,)):
            data.answers[(_text(chapter, "answer.chapter"), _text(question, "answer.question"))] = (
                _text(choice, "answer.choice"), _flag(correct, "answer.correct"), _text(fingerprint, "answer.fingerprint"),
                _time(at, "answer.answered_at"), _time(last_at, "answer.last_at", optional=True))
        columns = {r[1] for r in conn.execute("PRAGMA table_info(prediction)")}
        low, high = RANGE_COLUMNS if set(RANGE_COLUMNS) <= columns else ("NULL", "NULL")
        for chapter, question, fingerprint, correct, at, measured_at, value, choice, measured, lo, hi in conn.execute(
                "SELECT chapter, question, fingerprint, correct, predicted_at, measured_at, value, choice, measured, "
                f"{low}, {high} FROM prediction WHERE course=?", (course_key,)):
            graded = None if correct is None else _flag(correct, "prediction.correct")
            chapter, question = _text(chapter, "prediction.chapter"), _text(question, "prediction.question")
            fingerprint = _text(fingerprint, "prediction.fingerprint")
            choice = None if choice is None else _text(choice, "prediction.choice")
            data.predictions[(chapter, question)] = (fingerprint, graded, _time(at, "prediction.predicted_at"),
                                                     _time(measured_at, "prediction.measured_at", optional=True))
            data.predicted[(chapter, question)] = Predicted(_number(value), choice, fingerprint, _number(lo), _number(hi),
                                                            _number(measured), graded)
        if "card" in tables:  # schema 3: review cards and the reviews that moved them
            for chapter, question, due in conn.execute("SELECT chapter, question, due FROM card WHERE course=?", (course_key,)):
                if _number(due) is not None:
                    data.cards[(chapter, question)] = float(due)
        if "review_log" in tables:
            for chapter, question, correct in conn.execute(
                    "SELECT chapter, question, correct FROM review_log WHERE course=? AND first=0", (course_key,)):
                data.reviews.append((chapter, question, bool(correct)))
        for key, value in conn.execute("SELECT key, value FROM state WHERE course=? AND (key='last_chapter' OR "
                                       "key LIKE 'view:%')", (course_key,)):
            key, value = _text(key, "state.key"), _text(value, "state.value")
            if key == "last_chapter":
                data.last_chapter = value
            else:
                data.views[key[len("view:"):]] = value
        conn.execute("COMMIT")
        return data
    except sqlite3.DatabaseError as e:  # "file is not a database", "malformed", missing columns
        raise Unreadable(f"damaged ({e})") from e
    finally:
        conn.close()


def _time(value: object, what: str, optional: bool = False) -> float | None:
    """A stored time (seconds since the epoch) that a date can be made of; Unreadable if not."""
    if value is None and optional:
        return None
    t = _number(value)
    if t is None or not 0 <= t <= LATEST_TIME:
        raise Unreadable(f"damaged ({what} is {clean(repr(value))[:40]}, not a time)")
    return t


def _text(value: object, what: str) -> str:
    """A stored text, safe for a terminal; Unreadable if the cell holds no text."""
    if not isinstance(value, str):
        raise Unreadable(f"damaged ({what} is {clean(repr(value))[:40]}, not text)")
    return clean(value)


def _flag(value: object, what: str) -> bool:
    if value not in (0, 1) or isinstance(value, float):
        raise Unreadable(f"damaged ({what} is {clean(repr(value))[:40]}, not 0 or 1)")
    return bool(value)


def find_stores(root: Path) -> list[tuple[str, Path]]:
    """(learner, store) for each learner folder under ``root``, by name."""
    found = []
    for child in sorted(root.iterdir(), key=lambda p: p.name.casefold()):
        if not child.is_dir() or child.name.startswith("."):
            continue
        for candidate in (child / DB_NAME, child / HOME_LAYOUT / DB_NAME):
            try:
                here = candidate.is_file()
            except OSError:  # a folder the reader may not enter: reported as a store it cannot open
                here = True
            if here:
                found.append((child.name, candidate))
                break
    return found


def signature(path: Path) -> tuple[int, int, int, int] | None:
    """What changes when a store is written: the size and modification time of the file and of
    its WAL (a write in WAL mode touches only the WAL until a checkpoint). None if it is gone."""
    try:
        db = os.stat(path)
    except OSError:
        return None
    try:
        wal = os.stat(wal_of(path))
        wal_sig = (wal.st_mtime_ns, wal.st_size)
    except OSError:
        wal_sig = (0, -1)
    return (db.st_mtime_ns, db.st_size, *wal_sig)
