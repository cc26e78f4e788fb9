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


def old_store(home: Path, schema: int) -> Path:
    """tests/fixtures/store-schema{schema}.sql in ``home``: a store as lmtui 0.2.0 (schema 2) or
    0.3.0 (schema 3) wrote it, made with that release's own code."""
    home.mkdir(parents=True, exist_ok=True)
    path = home / DB_NAME
    with sqlite3.connect(path) as conn:
        conn.executescript((FIXTURES / f"store-schema{schema}.sql").read_text(encoding="utf-8"))
    return path


def rows(path: Path, table: str, columns: str = "*") -> list[tuple]:
    with sqlite3.connect(path) as conn:
        return sorted(conn.execute(f"SELECT {columns} FROM {table}").fetchall(), key=repr)


def test_a_schema2_store_is_upgraded_in_place_with_nothing_lost(tmp_path):
    path = old_store(tmp_path / "home", 2)
    tables = ("answer", "prediction", "chapter_read", "state", "legacy_answer")
    before = {t: rows(path, t) for t in tables}
    assert len(before["answer"]) == 51 and len(before["prediction"]) == 13
    record = LearnerRecord(load_course(), ProgressStore(path.parent))
    assert record.warnings() == []
    record.store.close()
    with sqlite3.connect(path) as conn:
        assert conn.execute("SELECT value FROM meta WHERE key='schema_version'").fetchone() == (str(SCHEMA_VERSION),)
    for table in tables:  # every row, every column as it was (the prediction's range is new: empty), but
        after = rows(path, table)  # the fingerprint of a question reworded since, which moves on (`formerly`)
        was = before[table]
        if table == "prediction":
            assert all(r[-2:] == (None, None) for r in after)
            after = [r[:-2] for r in after]
        if table in ("answer", "prediction"):
            after, was = ([r[:5] + r[6:] for r in rs] for rs in (after, was))
        assert sorted(after) == sorted(was), table
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
    path = old_store(tmp_path / "home", 2)
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


# Questions whose 0.3.0 answers are asked again on purpose: their choices were rewritten (so that no
# question answers another, and so that a learner who has not read the chapter cannot pick the right
# choice by common sense or by arithmetic on the prompt). A question reworded without changing what it asks or what is right
# lists its 0.3.0 fingerprint in `formerly` (content/FORMAT.md) instead, or its learners' answers and
# predictions stop counting; `lmtui check --fingerprints` prints a question's fingerprint.
ASKED_AGAIN = {("simplifying-limits", "imbalance-regime"), ("universality", "cka-wide-seeds"),
               ("the-problem", "five-kinds"), ("the-problem", "core-obstacle"), ("the-problem", "macroscopic-examples"),
               ("seven-desiderata", "not-pac"), ("seven-desiderata", "humble"), ("hyperparameters", "critical-batch"),
               ("lm-mech-interp", "clock-wrong-logit"), ("skepticism", "curve-fitting-reply"),
               ("skepticism", "heterogeneity-limit"), ("connections", "open-vs-established"),
               ("seven-desiderata", "sgd-temperature"), ("universality", "prh-evidence"),
               ("skepticism", "wrong-theories"), ("skepticism", "architecture-limits"),
               ("lm-mech-interp", "marr-placement")}
AGAIN_WHY = "a question answered in 0.3.0 is asked again: list it in ASKED_AGAIN, or its 0.3.0 fingerprint in `formerly`"


def test_a_store_written_by_lmtui_0_3_0_keeps_every_answer_prediction_and_card(tmp_path):
    path = old_store(tmp_path / "home", 3)
    tables = ("answer", "prediction", "chapter_read", "card", "review_log", "legacy_answer")
    before = {t: rows(path, t) for t in tables}
    assert len(before["answer"]) == 58 and len(before["prediction"]) == 18 and len(before["card"]) == 76
    course = load_course()
    record = LearnerRecord(course, ProgressStore(path.parent))
    assert record.warnings() == []
    answered = {(r[1], r[2]) for r in before["answer"]}  # (questions replaced since are not asked: their rows stay)
    answers = {(c.id, q.id): record.answer_state(c.id, q) for c in course.chapters for q in c.quiz
               if q.predict is None and (c.id, q.id) in answered}
    predictions = {(c.id, q.id): (q, record.prediction(c.id, q)) for c in course.chapters for q in c.quiz if q.predict}
    assert len(answers) > 40
    assert {k for k, state in answers.items() if state not in ("right", "wrong")} == ASKED_AGAIN & answers.keys(), AGAIN_WHY
    # a prediction counts as it was, unless its choice is no longer offered (then it is asked again)
    stale = [k for k, (q, p) in predictions.items() if p is None or p.correct is None]
    stored = {(r[1], r[2]): r for r in before["prediction"]}
    offered = [k for k in stale if stored[k][4] is None or stored[k][4] in predictions[k][0].keys]
    assert set(offered) == ASKED_AGAIN & predictions.keys(), (AGAIN_WHY, offered)
    assert any(q.formerly for q, _p in predictions.values())  # what made the reworded ones count
    right = sum(record.status(c.id).correct for c in course.chapters)
    kept = [r for r in before["answer"] if (r[1], r[2]) in answers.keys() - ASKED_AGAIN]
    assert right == sum(r[4] for r in kept)  # each first answer counts as it was
    record.store.close()
    assert sorted(p.name for p in path.parent.iterdir()) == [DB_NAME]  # the current schema: nothing to back up
    with sqlite3.connect(path) as conn:
        assert conn.execute("SELECT value FROM meta WHERE key='schema_version'").fetchone() == (str(SCHEMA_VERSION),)
    for table in tables:  # every row kept; only a reworded question's fingerprint moved on
        after = rows(path, table)
        if table in ("answer", "prediction", "card"):
            column = {"answer": 5, "prediction": 5, "card": 4}[table]
            after, was = ([r[:column] + r[column + 1:] for r in rs] for rs in (after, before[table]))
            assert sorted(after) == sorted(was), table
        else:
            assert after == before[table], table
    again = LearnerRecord(course, ProgressStore(path.parent))
    assert {(c.id, q.id): again.answer_state(c.id, q) for c in course.chapters for q in c.quiz
            if (c.id, q.id) in answers} == answers
    again.store.close()


def test_formerly_is_checked_and_check_prints_the_fingerprints(mini_course, capsys):
    from lmtui.cli import main

    quiz = mini_course / "01-first.quiz.toml"
    course = load_course(mini_course)
    q1 = course.by_id("first").quiz[0]
    text = quiz.read_text(encoding="utf-8")
    quiz.write_text(text.replace('id = "q1"\n', f'id = "q1"\nformerly = ["{q1.fingerprint}"]\n', 1)
                    .replace('id = "q2"\n', 'id = "q2"\nformerly = ["not-hex"]\n', 1), encoding="utf-8")
    assert main(["check", str(mini_course)]) == 1
    out = capsys.readouterr().out
    assert f"01-first.quiz.toml:3: question 1: formerly lists the question's own fingerprint {q1.fingerprint}" in out
    assert "01-first.quiz.toml:11: question 2: formerly must be a list of at most 20 fingerprints" in out
    quiz.write_text(text, encoding="utf-8")
    assert main(["check", str(mini_course), "--fingerprints"]) == 0
    assert f"first/q1 {q1.fingerprint}\n" in capsys.readouterr().out


def test_an_answer_to_a_reworded_question_listed_in_formerly_still_counts(mini_course, tmp_path):
    quiz = mini_course / "01-first.quiz.toml"
    course = load_course(mini_course)
    chapter = course.by_id("first")
    q1, q2 = chapter.quiz[:2]
    record = LearnerRecord(course, ProgressStore(tmp_path))
    record.answer(chapter, q1, q1.answer)  # right
    record.answer(chapter, q2, q2.answer % len(q2.choices) + 1)  # wrong
    record.store.close()
    text = quiz.read_text(encoding="utf-8")  # both reworded; only q1 says it asks the same thing
    text = text.replace("What does gradient descent follow?", "Which direction does gradient descent follow?")
    text = text.replace("Which key answers the second choice?", "Which key picks the second choice?")
    quiz.write_text(text.replace('id = "q1"\n', f'id = "q1"\nformerly = ["{q1.fingerprint}"]\n', 1), encoding="utf-8")
    course = load_course(mini_course)
    chapter = course.by_id("first")
    record = LearnerRecord(course, ProgressStore(tmp_path))
    assert record.answer_state("first", chapter.quiz[0]) == "right"
    assert record.answer_state("first", chapter.quiz[1]) == "changed"
    assert record.card("first", "q1").fingerprint == chapter.quiz[0].fingerprint
    assert record.answer(chapter, chapter.quiz[0], 1).counted is False  # a practice try: the first answer stays
    assert record.answers("first")["q1"].correct


def test_the_report_and_the_room_count_a_0_3_0_learner_as_their_app_will(tmp_path):
    """Before the learner's app has brought the reworded questions' fingerprints up to date, the
    instructor's report and room already count those answers and predictions (`formerly`)."""
    import io
    import json
    from contextlib import redirect_stdout

    from lmtui.cli import main
    from lmtui.core.room import Room

    path = old_store(tmp_path / "room" / "ann", 3)
    course = load_course()

    def counted() -> tuple[dict, tuple]:
        out = io.StringIO()
        with redirect_stdout(out):
            assert main(["report", str(tmp_path / "room"), "--json"]) == 0
        row = json.loads(out.getvalue())["learners"][0]
        room = Room(tmp_path / "room", course, "builtin")
        room.refresh()
        learner = room.roster()[0]
        return ({k: row[k] for k in ("predictions", "within_tolerance")}, (learner.answered, learner.right))

    asked = {(c.id, q.id): q.fingerprint for c in course.chapters for q in c.quiz}
    as_is = sum(asked.get((r[1], r[2])) == r[5] for r in rows(path, "prediction"))  # this edition's fingerprint
    before = counted()
    record = LearnerRecord(course, ProgressStore(path.parent))  # the learner starts lmtui
    record.store.close()
    assert counted() == before
    assert before[0]["predictions"] > as_is  # the reworded questions' predictions count
