"""Focus follows the view: the view shown owns the keys and the footer, after a restart into a
figure too; opening and closing an overlay (the contents list, the palette, the help, the links)
returns to exactly where the learner was: same figure, same question, same scroll."""

from __future__ import annotations

import pytest

from lmtui.tui.app import LmtuiApp
from lmtui.tui.textual_fixes import LeanFooter
from lmtui.tui.widgets.reader import PageReader


def footer(app) -> list[str]:
    return [k.description for k in app.screen.query_one(LeanFooter).children if getattr(k, "description", None)]


def place(app) -> tuple:
    """Where the learner is: the view, the figure, the focused widget, the text's scroll."""
    view = app.main_screen.chapter_view
    return view.view, view.deck.index, app.focused, view.reader.scroll_y


async def settle(pilot, n: int = 3) -> None:
    for _ in range(n):
        await pilot.pause(0.05)


async def test_after_a_restart_into_a_figure_t_gives_the_text_the_keys_and_the_footer():
    app = LmtuiApp()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        await pilot.press("n", "f")  # a chapter whose figure is shown when the app starts again
        await settle(pilot)
    app = LmtuiApp()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot, 6)
        assert app.main_screen.chapter_view.view == "figure"
        await pilot.press("t")
        await settle(pilot)
        assert isinstance(app.focused, PageReader), app.focused
        assert "Next page" in footer(app) and "Run/stop" not in footer(app)
        before = app.focused.scroll_y
        await pilot.press("j", "j")
        await settle(pilot)
        assert app.focused.scroll_y == before + 2  # j scrolls the text, not the hidden figure


async def open_view(pilot, app, view: str) -> None:
    """A place worth returning to in each view: the text scrolled, figure 2 of 2 with its third
    parameter marked, the third quiz question."""
    await pilot.press("n")
    await settle(pilot)
    if view == "text":
        await pilot.press("j", "j", "j")
    elif view == "figure":
        await pilot.press("f", "f")
        for _ in range(20):  # the simulation's module loads in a thread
            await pilot.pause(0.1)
            if type(app.focused).__name__ == "ParamRow":
                break
        await pilot.press("down")
    else:
        await pilot.press("z", "j", "j")
    await settle(pilot)


OVERLAYS = {
    "contents (c)": ("c", "c"),
    "contents (escape)": ("c", "escape"),
    "palette": ("ctrl+p", "escape"),
    "help": ("question_mark", "escape"),
    "links": ("o", "escape"),
}


@pytest.mark.parametrize("overlay", list(OVERLAYS))
@pytest.mark.parametrize("view", ["text", "figure", "quiz"])
async def test_closing_an_overlay_returns_to_where_the_learner_was(view, overlay):
    app = LmtuiApp()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        await open_view(pilot, app, view)
        before, keys = place(app), footer(app)
        assert before[2] is not None
        opener, closer = OVERLAYS[overlay]
        await pilot.press(opener)
        await settle(pilot)
        assert app.focused is not before[2]  # the overlay took the keys
        await pilot.press(closer)
        await settle(pilot)
        assert place(app) == before
        assert footer(app) == keys


async def test_the_question_j_and_k_mark_is_the_one_in_view():
    """Each j or k marks a question and brings it into view: the whole card when it fits, else its
    top (with Textual's own scrolling the view goes twice as far as it should while a scroll is
    still on its way, and the marked question, the one 1-4 answers, can be off the screen:
    lmtui.tui.textual_fixes, "scrolls-read-together-scroll-once")."""
    from lmtui.tui.widgets.predict import PredictCard
    from lmtui.tui.widgets.quiz import QuestionCard

    app = LmtuiApp()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        app.open_chapter(app.course.chapters[4].id, view="quiz")  # long cards, predict ones among them
        await settle(pilot, 6)
        quiz = app.focused.parent
        for key in ["j"] * 6 + ["k"] * 2 + ["j"]:
            await pilot.press(key)
            await settle(pilot)
            card = app.focused
            assert isinstance(card, (QuestionCard, PredictCard)) and card.parent is quiz, card
            top = card.virtual_region.y - quiz.scroll_y
            window = quiz.scrollable_content_region.height
            assert 0 <= top < window, (card.question.id, top, quiz.scroll_y)
            if card.outer_size.height <= window:
                assert top + card.outer_size.height <= window, (card.question.id, top, quiz.scroll_y)
