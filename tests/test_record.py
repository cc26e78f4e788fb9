"""The learner's record: answers that survive quiz edits, schema-1 stores migrated, first answers
counting, changed questions recognised, all through the app as a learner meets it."""

from __future__ import annotations

import json
import re
import shutil
import sqlite3
from pathlib import Path

from lmtui.tui.app import LmtuiApp
from lmtui.core.course import load_course
from lmtui.core.progress import DB_NAME, SCHEMA1_BACKUP, SCHEMA_VERSION, ProgressStore
from lmtui.core.record import LEGACY_QUIZZES, LearnerRecord
from lmtui.tui.widgets.quiz import QuestionCard

from conftest import FIXTURES


def cards(app) -> list[QuestionCard]:
    return [c for c in app.screen.query(QuestionCard) if c.is_attached]


async def open_quiz(pilot) -> list[QuestionCard]:
    await pilot.pause()
    await pilot.press("z")
    await pilot.pause()
    await pilot.pause()
    return cards(pilot.app)


def rewrite_quiz_reordered(path: Path) -> None:
    """Reverse the questions and rotate every question's choices (keeping which one is right)."""
    text = path.read_text(encoding="utf-8")
    blocks = ["[[question]]" + b for b in text.split("[[question]]")[1:]]
    out = []
    for block in reversed(blocks):
        m = re.search(r"choices = \[(.*?)\]\nanswer = (\d+)", block, re.S)
        choices = json.loads("[" + m.group(1).strip().rstrip(",") + "]")
        answer = int(m.group(2))
        rotated = choices[1:] + choices[:1]
        new_answer = rotated.index(choices[answer - 1]) + 1
        block = block[: m.start()] + f"choices = {json.dumps(rotated, ensure_ascii=False)}\nanswer = {new_answer}" + block[m.end():]
        out.append(block.strip() + "\n")
    path.write_text("\n".join(out), encoding="utf-8")


async def test_answers_follow_their_questions_when_a_quiz_is_reordered(mini_course):
    app = LmtuiApp(content_dir=mini_course)
    async with app.run_test(size=(100, 30)) as pilot:
        first, second = await open_quiz(pilot)
        await pilot.press("2", "tab", "1")  # q1: right (2), q2: wrong (1)
        await pilot.pause()
        chosen = {c.question.id: c.question.choices[n - 1] for c, n in ((first, 2), (second, 1))}
        before = {c.question.id: c.state for c in cards(app)}
    assert before == {"q1": "right", "q2": "wrong"}
    rewrite_quiz_reordered(mini_course / "01-first.quiz.toml")
    course = load_course(mini_course)
    assert [q.id for q in course.by_id("first").quiz] == ["q2", "q1"]  # the reorder did happen
    app = LmtuiApp(content_dir=mini_course)
    async with app.run_test(size=(100, 30)) as pilot:
        after = await open_quiz(pilot)
        assert [c.question.id for c in after] == ["q2", "q1"]
        for card in after:
            assert card.state == before[card.question.id]
            number = card.question.number_of(card.answer.choice)
            assert card.question.choices[number - 1] == chosen[card.question.id]
            line = card._choices_text().splitlines()[number - 1]
            assert "(your answer" in line and chosen[card.question.id] in line
        assert app.status("first").correct == 1 and app.status("first").answered == 2


async def test_first_answer_counts_later_tries_are_practice(mini_course):
    app = LmtuiApp(content_dir=mini_course)
    async with app.run_test(size=(100, 30)) as pilot:
        card = (await open_quiz(pilot))[0]
        await pilot.press("1")  # wrong
        await pilot.pause()
        await pilot.press("2")  # right, but too late to count
        await pilot.pause()
        assert card.state == "wrong"
        text = card._feedback_text()
        assert "Practice try: 2 is right" in text and "first answer is the one that counts" in text
        lines = card._choices_text().splitlines()
        assert lines[0].startswith("> 1)") and "(your answer)" in lines[0]
        assert lines[1].startswith("* 2)") and "(right answer)" in lines[1]  # marked in text, not colour
        assert app.status("first").correct == 0
    stored = ProgressStore(course=str(mini_course.resolve())).answers("first")["q1"]
    assert (stored.correct, stored.tries, stored.last_correct) == (False, 2, True)


async def test_a_changed_question_is_shown_as_changed_and_answered_again(mini_course):
    app = LmtuiApp(content_dir=mini_course)
    async with app.run_test(size=(100, 30)) as pilot:
        await open_quiz(pilot)
        await pilot.press("2")
        await pilot.pause()
    quiz = mini_course / "01-first.quiz.toml"
    quiz.write_text(quiz.read_text(encoding="utf-8").replace("What does gradient descent follow?",
                                                             "What direction does gradient descent follow?"), encoding="utf-8")
    app = LmtuiApp(content_dir=mini_course)
    async with app.run_test(size=(100, 30)) as pilot:
        card = (await open_quiz(pilot))[0]
        assert card.state == "changed" and not card.has_class("-right") and not card.has_class("-wrong")
        assert "changed since you answered" in card._feedback_text()
        assert "(your answer" not in card._choices_text()  # no right or wrong mark on an old answer
        assert app.status("first").answered == 0 and app.status("first").changed == 1
        assert app.focused is card  # the quiz opens on what needs an answer
        await pilot.press("1")
        await pilot.pause()
        assert card.state == "wrong" and app.status("first").answered == 1  # the new answer counts


def legacy_rows(path: Path) -> list[tuple]:
    with sqlite3.connect(path) as conn:
        return conn.execute("SELECT chapter, question, choice, correct FROM answer WHERE course='builtin'").fetchall()


async def test_a_schema1_store_is_migrated_with_nothing_lost(_isolated_home):
    """tests/fixtures/store-schema1 was written by lmtui 0.1.0 (a pilot run answering all 40
    questions, right and wrong, in the built-in course). Its answers are kept by position."""
    _isolated_home.mkdir(parents=True, exist_ok=True)
    source = FIXTURES / "store-schema1" / DB_NAME
    shutil.copy(source, _isolated_home / DB_NAME)
    old = legacy_rows(source)
    assert len(old) == 40
    snapshot = json.loads((LEGACY_QUIZZES / "quiz-0.1.0.json").read_text(encoding="utf-8"))
    app = LmtuiApp()
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        assert app.record.migrated == 40
        assert app.current == "simplifying-limits"  # the learner's place survived too
        for chapter, position, choice, correct in old:
            then = snapshot[chapter][position]
            stored = app.record.answers(chapter)[then["id"]]
            assert stored.choice == then["choices"][choice - 1] and stored.correct == bool(correct)
            question = next((q for q in app.course.by_id(chapter).quiz if q.id == then["id"]), None)
            if question is None:  # retired since 0.1.0 (its meaning changed, so did its id): the answer is kept
                continue
            if question.prompt == then["prompt"] and sorted(question.keys) == sorted(then["choices"]):
                assert app.record.answer_state(chapter, question) == ("right" if correct else "wrong")
            else:  # rewritten since 0.1.0: shown as changed, not as a right or wrong mark
                assert app.record.answer_state(chapter, question) == "changed"
        assert app.record.is_read("the-problem") and app.record.is_read("connections")
    backup = _isolated_home / SCHEMA1_BACKUP
    assert backup.exists() and legacy_rows(backup) == old  # the old file, as it was
    with sqlite3.connect(_isolated_home / DB_NAME) as conn:
        assert conn.execute("SELECT value FROM meta WHERE key='schema_version'").fetchone() == (str(SCHEMA_VERSION),)
        assert conn.execute("SELECT count(*) FROM legacy_answer").fetchone() == (0,)
    # a second start finds the same answers and migrates nothing twice
    again = LearnerRecord(load_course(), ProgressStore(_isolated_home))
    assert again.migrated == 0 and sum(len(again.answers(c.id)) for c in again.course.chapters) == 40


SCHEMA1 = """
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE chapter_read (course TEXT NOT NULL, chapter TEXT NOT NULL, read_at REAL NOT NULL, PRIMARY KEY (course, chapter));
CREATE TABLE answer (course TEXT NOT NULL, chapter TEXT NOT NULL, question INTEGER NOT NULL, choice INTEGER NOT NULL,
    correct INTEGER NOT NULL, answered_at REAL NOT NULL, PRIMARY KEY (course, chapter, question));
CREATE TABLE state (course TEXT NOT NULL, key TEXT NOT NULL, value TEXT NOT NULL, PRIMARY KEY (course, key));
INSERT INTO meta VALUES ('schema_version', '1');
"""


async def test_another_courses_schema1_answers_map_through_its_current_files(_isolated_home, mini_course):
    _isolated_home.mkdir(parents=True, exist_ok=True)
    key = str(mini_course.resolve())
    with sqlite3.connect(_isolated_home / DB_NAME) as conn:
        conn.executescript(SCHEMA1)
        conn.executemany("INSERT INTO answer VALUES (?, ?, ?, ?, ?, 1.0)",
                         [(key, "first", 0, 2, 1), (key, "first", 1, 1, 0), (key, "second", 0, 3, 0),
                          ("/some/other/course", "x", 0, 1, 1), (key, "first", 7, 1, 1)])  # 7: no such question
    app = LmtuiApp(content_dir=mini_course)
    async with app.run_test(size=(100, 30)) as pilot:
        first, second = await open_quiz(pilot)
        assert (first.state, first.answer.choice) == ("right", "The negative gradient")
        assert (second.state, second.answer.choice) == ("wrong", "1")
        assert app.record.answers("second")["q1"].choice == "√h"
    with sqlite3.connect(_isolated_home / DB_NAME) as conn:
        left = conn.execute("SELECT course, chapter, question FROM legacy_answer ORDER BY course").fetchall()
    # nothing lost: what could not be mapped (another course, a question that is gone) waits
    assert sorted(left) == sorted([(key, "first", 7), ("/some/other/course", "x", 0)])
