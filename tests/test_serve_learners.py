"""One learner per visitor: the name screen (lmtui --learners DIR, what `lmtui serve` runs), name
checks, one store per name opened only once the name is known, and resuming by name."""

from __future__ import annotations

from pathlib import Path

import pytest
from textual.widgets import Input, Static

from lmtui.tui.app import LmtuiApp, MainScreen
from lmtui.core.progress import DB_NAME
from lmtui.tui.screens.learner import MAX_NAME, LearnerScreen, learner_home, name_problem, normalize_name
from lmtui.tui.widgets.quiz import QuestionCard


@pytest.mark.parametrize("name", ["Ada", "Ada Lovelace", "o'brien", "jean-luc_2", "Zoë", "李雷", "x" * MAX_NAME])
def test_good_names(name):
    assert name_problem(normalize_name(name)) is None


@pytest.mark.parametrize("raw, says", [
    ("", "Type a name"),
    ("   ", "Type a name"),
    ("../../etc", "/"),
    ("..", "'..'"),
    ("a..b", "'..'"),
    (".hidden", "dot"),
    ("a/b", "/"),
    ("a\\b", "\\"),
    ("bell\x07", "control"),
    ("esc\x1b[31m", "control"),
    ("rtl\u202eoverride", "control"),
    ("x" * (MAX_NAME + 1), f"at most {MAX_NAME}"),
    ("semi;colon", "';'"),
])
def test_bad_names_say_why(raw, says):
    problem = name_problem(normalize_name(raw))
    assert problem is not None and says in problem


def test_names_are_tidied_and_matched_ignoring_case(tmp_path):
    assert normalize_name("  Ada   Lovelace ") == "Ada Lovelace"
    (tmp_path / "Ada").mkdir()
    assert learner_home(tmp_path, "ada") == tmp_path / "Ada"
    assert learner_home(tmp_path, "Bob") == tmp_path / "Bob"


async def enter_name(pilot, app: LmtuiApp, name: str) -> None:
    assert isinstance(app.screen, LearnerScreen)
    await pilot.press(*name, "enter")
    await pilot.pause()


async def answer_first_question(pilot, app, key: str) -> QuestionCard:
    await pilot.press("z")
    await pilot.pause()
    await pilot.pause()
    await pilot.press(key)
    await pilot.pause()
    return app.screen.query(QuestionCard).first()


async def test_each_name_has_its_own_progress_and_resumes(tmp_path, mini_course, _isolated_home):
    learners = tmp_path / "room"
    app = LmtuiApp(content_dir=mini_course, learners=learners)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        assert isinstance(app.screen, LearnerScreen) and app.store is None  # nothing opened yet
        assert not learners.exists() or not any(learners.iterdir())
        await enter_name(pilot, app, "../ada")  # refused, with the reason, and the screen stays
        assert isinstance(app.screen, LearnerScreen)
        assert "/" in str(app.screen.query_one("#learner-problem", Static).content)
        app.screen.query_one(Input).value = ""
        await enter_name(pilot, app, "Ada")
        assert isinstance(app.screen, MainScreen)
        assert app.store.path == learners / "Ada" / DB_NAME
        card = await answer_first_question(pilot, app, "2")
        assert card.answer is not None and card.answer.correct
        await pilot.press("n")  # Ada moves on to the second chapter
        await pilot.pause()
        ada_chapter = app.current

    app = LmtuiApp(content_dir=mini_course, learners=learners)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        await enter_name(pilot, app, "Bob")
        assert app.current != ada_chapter  # Bob starts at the beginning
        await pilot.press("z")
        await pilot.pause()
        await pilot.pause()
        card = app.screen.query(QuestionCard).first()
        assert card.answer is None  # and does not see Ada's answer (or its explanation)
        assert "correct" not in str(card._feedback.content)

    app = LmtuiApp(content_dir=mini_course, learners=learners)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        await enter_name(pilot, app, "ada")  # the same learner, typed in lower case
        assert app.store.path == learners / "Ada" / DB_NAME
        assert app.current == ada_chapter
        await pilot.press("p")
        await pilot.pause()
        await pilot.press("z")
        await pilot.pause()
        await pilot.pause()
        card = app.screen.query(QuestionCard).first()
        assert card.answer is not None and card.answer.correct
    assert sorted(p.name for p in learners.iterdir()) == ["Ada", "Bob"]
    assert not (_isolated_home / DB_NAME).exists()  # nothing went to the shared store


async def test_keys_before_the_name_do_nothing_harmful(tmp_path, mini_course):
    app = LmtuiApp(content_dir=mini_course, learners=tmp_path / "room")
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        await pilot.press("ctrl+p")  # no palette to jump into a course nobody has opened
        await pilot.pause()
        assert isinstance(app.screen, LearnerScreen)
        await pilot.press(*"n?qz")  # typed into the name field, not taken as commands
        await pilot.pause()
        assert isinstance(app.screen, LearnerScreen) and app.screen.query_one(Input).value == "n?qz"
        assert app.store is None


def test_learners_option_is_on_the_command_line():
    from lmtui.cli import build_parser

    args = build_parser().parse_args(["--learners", "/srv/room"])
    assert args.learners == "/srv/room"
    serve = build_parser("serve").parse_args(["serve", "--learners", "/srv/room", "--max-visitors", "12",
                                       "--public-url", "https://example.test/lmtui/"])
    assert (serve.learners_dir, serve.max_visitors, serve.public_url) == ("/srv/room", 12, "https://example.test/lmtui/")
    assert Path(serve.learners_dir).is_absolute()
