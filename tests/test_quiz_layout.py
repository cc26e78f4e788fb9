"""The quiz reads like the text: lines no wider than the reader's, a footer that says what 1-4 do."""

from __future__ import annotations

from lmtui.tui.app import LmtuiApp
from lmtui.tui.widgets.quiz import QuestionCard
from lmtui.tui.widgets.reader import MAX_WIDTH

from conftest import screen_lines, until


async def open_quiz(app, pilot, chapter: int = 1) -> None:
    app.open_chapter(app.course.chapters[chapter].id, view="quiz")
    assert await until(pilot, lambda: isinstance(app.focused, QuestionCard), timeout=5)


async def test_quiz_lines_are_capped_like_the_text():
    app = LmtuiApp()
    async with app.run_test(size=(160, 40)) as pilot:
        await pilot.pause()
        await open_quiz(app, pilot)
        await pilot.press("c")  # the contents hidden: the quiz has the whole width
        await pilot.pause(0.2)
        quiz = app.main_screen.chapter_view.quiz
        assert quiz.content_region.width > MAX_WIDTH + 20
        cards = quiz.cards()
        assert cards and all(0 < c.content_region.width <= MAX_WIDTH for c in cards)
        assert all(0 < w.content_region.width <= MAX_WIDTH for w in quiz.children)
        text = [line[:-2].rstrip() for line in screen_lines(app)[1:-1]]  # less the title, the footer, the scrollbar
        assert max(len(line) for line in text) <= MAX_WIDTH + 4  # the pane's margin, the card's bar and margin
        assert max(len(line) for line in text) > MAX_WIDTH - 10  # long lines still use the width


async def test_quiz_footer_names_the_answer_keys_once():
    app = LmtuiApp()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        await open_quiz(app, pilot)
        assert await until(pilot, lambda: "Answer" in screen_lines(app)[-1], timeout=5)
        footer = screen_lines(app)[-1]
        assert "1 2 3 4 Answer " in footer and "Answer 1" not in footer
        app.update_keymap({"answer-1": "a"})  # the keys shown are the live ones

        def keys_before_answer() -> set[str]:
            return set(screen_lines(app)[-1].split(" Answer ")[0].split())

        assert await until(pilot, lambda: keys_before_answer() == {"a", "2", "3", "4"}, timeout=5)


async def test_the_footer_names_only_the_choices_a_question_has(mini_course):
    """Three choices: "1 2 3 Answer"; two: "1 2 Answer"; a number past the last says how many there are."""
    app = LmtuiApp(content_dir=mini_course)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        await open_quiz(app, pilot, chapter=0)

        def keys_before_answer() -> list[str]:
            return screen_lines(app)[-1].split(" Answer ")[0].split()

        assert len(app.focused.question.choices) == 3
        assert await until(pilot, lambda: keys_before_answer() == ["1", "2", "3"], timeout=5), screen_lines(app)[-1]
        await pilot.press("j")
        assert await until(pilot, lambda: len(app.focused.question.choices) == 2, timeout=5)
        assert await until(pilot, lambda: keys_before_answer() == ["1", "2"], timeout=5), screen_lines(app)[-1]
        notes = len(app._notifications)
        await pilot.press("4")
        assert await until(pilot, lambda: len(app._notifications) > notes, timeout=5)
        assert list(app._notifications)[-1].message == "This question has 2 choices."
        assert app.record.answers("first") == {}  # nothing answered
