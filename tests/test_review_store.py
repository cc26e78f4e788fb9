"""Review cards in the progress store: the schema-2 upgrade keeps everything, and FSRS schedules
a wrong first answer at once, a right one days later, a lapse at once again."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from lmtui.core.course import load_course
from lmtui.core.progress import DB_NAME, SCHEMA2_BACKUP, SCHEMA_VERSION, ProgressStore
from lmtui.core.record import LearnerRecord
from lmtui.core.review import due_cards, grade_card, next_due

from conftest import FIXTURES

DAY = 86400.0
T0 = 1_800_000_000.0


def schema2_store(home: Path) -> Path:
    """tests/fixtures/store-schema2.sql: a store as lmtui 0.2.0 wrote it (dumped from its code)."""
    home.mkdir(parents=True, exist_ok=True)
    path = home / DB_NAME
    with sqlite3.connect(path) as conn:
        conn.executescript((FIXTURES / "store-schema2.sql").read_text(encoding="utf-8"))
    return path


def rows(path: Path, table: str, columns: str = "*") -> list[tuple]:
    with sqlite3.connect(path) as conn:
        return sorted(conn.execute(f"SELECT {columns} FROM {table}").fetchall(), key=repr)


def test_a_schema2_store_is_upgraded_in_place_with_nothing_lost(tmp_path):
    path = schema2_store(tmp_path / "home")
    tables = ("answer", "prediction", "chapter_read", "state", "legacy_answer")
    before = {t: rows(path, t) for t in tables}
    assert len(before["answer"]) == 51 and len(before["prediction"]) == 13
    record = LearnerRecord(load_course(), ProgressStore(path.parent))
    assert record.warnings() == []
    record.store.close()
    with sqlite3.connect(path) as conn:
        assert conn.execute("SELECT value FROM meta WHERE key='schema_version'").fetchone() == (str(SCHEMA_VERSION),)
    for table in tables:  # every row, every column as it was (the prediction's range is new: empty)
        after = rows(path, table)
        if table == "prediction":
            assert all(r[-2:] == (None, None) for r in after)
            after = [r[:-2] for r in after]
        assert after == before[table], table
    backup = path.with_name(SCHEMA2_BACKUP)
    assert backup.exists() and {t: rows(backup, t) for t in tables} == before  # the old file, as it was
    # a card for every first answer and every graded prediction to a question the course still
    # has, graded as it was then (an answer to a question since removed stays, without a card)
    asked = {(c.id, q.id) for c in record.course.chapters for q in c.quiz}
    answered = [r for r in before["answer"] if (r[1], r[2]) in asked]
    graded = [r for r in before["prediction"] if r[9] is not None and (r[1], r[2]) in asked]
    cards = rows(path, "card", "chapter, question, kind, state, due, last_review")
    assert len(answered) > 20 and len(cards) == len(answered) + len(graded)
    first = {(r[1], r[2]): (r[4], r[6]) for r in before["answer"]}  # -> (correct, answered_at)
    for chapter, question, kind, state, due, last_review in cards:
        if kind == "quiz":
            correct, at = first[(chapter, question)]
            assert last_review == at
            assert (due == at) if not correct else (due >= at + DAY)  # wrong: due at once
    log = rows(path, "review_log", "chapter, question, first")
    assert len(log) == len(cards) and all(r[2] == 1 for r in log)
    # a second open makes nothing twice
    again = LearnerRecord(load_course(), ProgressStore(path.parent))
    assert len(again.cards()) == len(cards) and len(again.store.review_log()) == len(log)
    again.store.close()


def test_the_backup_of_a_schema2_store_is_made_once(tmp_path):
    path = schema2_store(tmp_path / "home")
    ProgressStore(path.parent).close()
    stamp = path.with_name(SCHEMA2_BACKUP).stat().st_mtime_ns
    ProgressStore(path.parent).close()
    assert path.with_name(SCHEMA2_BACKUP).stat().st_mtime_ns == stamp


def test_wrong_first_answer_is_due_at_once_right_one_days_later_a_lapse_at_once_again():
    course = load_course()
    chapter = course.chapters[1]
    q1, q2 = [q for q in chapter.quiz if q.predict is None][:2]
    wrong = grade_card(None, chapter.id, q1.id, "quiz", q1.fingerprint, False, T0)
    right = grade_card(None, chapter.id, q2.id, "quiz", q2.fingerprint, True, T0)
    cards = {(c.chapter, c.question): c for c in (wrong, right)}
    assert [d.question.id for d in due_cards(course, cards, T0)] == [q1.id]
    assert [d.question.id for d in due_cards(course, cards, T0 + DAY)] == [q1.id]  # right: not due the next day
    assert next_due(course, cards, T0) == right.due and right.due >= T0 + 2 * DAY
    # reviewed right: it goes away for a while, and each right review pushes it further
    reviewed = grade_card(wrong, chapter.id, q1.id, "quiz", q1.fingerprint, True, T0 + 60)
    assert reviewed.due > T0 + DAY / 2
    later = grade_card(reviewed, chapter.id, q1.id, "quiz", q1.fingerprint, True, reviewed.due)
    assert later.due - reviewed.due > reviewed.due - (T0 + 60)
    # a lapse: wrong in review, due at once again, counted
    lapsed = grade_card(later, chapter.id, q1.id, "quiz", q1.fingerprint, False, later.due)
    assert lapsed.due == later.due and lapsed.lapses == 1 and lapsed.reps == 4


def test_cards_are_saved_with_their_log_and_kept_per_course(tmp_path):
    course = load_course()
    chapter = course.chapters[1]
    q = chapter.quiz[0]
    record = LearnerRecord(course, ProgressStore(tmp_path))
    record.answer(chapter, q, q.answer % len(q.choices) + 1)  # wrong
    card = record.card(chapter.id, q.id)
    assert card is not None and card.reps == 1 and card.kind == "quiz"
    record.review(chapter, q, True, at=card.due + 5)
    record.store.close()
    again = LearnerRecord(course, ProgressStore(tmp_path))
    moved = again.card(chapter.id, q.id)
    assert moved.reps == 2 and moved.due > card.due + DAY / 2
    assert [(e.first, e.correct) for e in again.store.review_log()] == [(True, False), (False, True)]
    assert not again.answers(chapter.id)[q.id].correct  # the review left the first answer as it was
    assert ProgressStore(tmp_path, course="/other").all_cards() == {}


def test_a_prediction_keeps_the_learners_range_and_says_whether_the_measurement_fell_in_it(tmp_path):
    from lmtui.tui.widgets.predict import parse_prediction

    assert parse_prediction("3.5 +- 0.5") == (3.5, 3.0, 4.0)
    assert parse_prediction("2/3 \u00b1 0") == (2 / 3, 2 / 3, 2 / 3)
    assert parse_prediction("3.5+/-.5") == (3.5, 3.0, 4.0)
    assert parse_prediction("3.5") == (3.5, None, None)
    assert [parse_prediction(t) for t in ("3.5 +- -1", "x +- 1", "3 +- y", "+-")] == [None] * 4
    course = load_course()
    chapter, q = next((c, q) for c in course.chapters for q in c.quiz if q.predict is not None and not q.choices)
    record = LearnerRecord(course, ProgressStore(tmp_path))
    record.predict(chapter, q, value=3.5, low=3.0, high=4.0)
    graded = record.grade(chapter, q, 4.2, 4.0)
    assert graded.range_holds() is False and (graded.low, graded.high) == (3.0, 4.0)
    record.store.close()
    kept = ProgressStore(tmp_path).all_predictions()[chapter.id][q.id]
    assert (kept.value, kept.low, kept.high, kept.measured, kept.range_holds()) == (3.5, 3.0, 4.0, 4.2, False)
