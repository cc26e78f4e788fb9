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


@pytest.mark.parametrize("name", ["田中さん", "らーめん", "김민수", "Ελένη", "Zoë", "O'Neil-2"])
def test_names_of_one_script_or_one_way_of_writing_are_good(name):
    assert name_problem(normalize_name(name)) is None


@pytest.mark.parametrize("raw, says", [
    ("ali\u0441e", "mixes Latin and Cyrillic"),  # a Cyrillic es
    ("\u0391lice", "mixes Greek and Latin"),  # a Greek capital alpha
    ("Aliceー", "mixes Latin and Katakana"),
])
def test_names_that_mix_scripts_are_refused_with_the_reason(raw, says):
    problem = name_problem(normalize_name(raw))
    assert problem is not None and says in problem


def test_a_name_in_another_width_or_case_opens_the_same_folder(tmp_path):
    """A fullwidth "Ａlice", a styled "𝐀lice" or "ALICE" is Alice: one folder, not one that looks
    the same in every listing."""
    (tmp_path / "Alice").mkdir()
    for raw in ("Ａlice", "𝐀lice", "ALICE", "alice"):
        name = normalize_name(raw)
        assert name_problem(name) is None
        assert learner_home(tmp_path, name) == tmp_path / "Alice", raw
    assert normalize_name("Ｂｏｂ") == "Bob" and learner_home(tmp_path, normalize_name("Ｂｏｂ")) == tmp_path / "Bob"
    assert learner_home(tmp_path, "Straße") == tmp_path / "Straße"
    (tmp_path / "STRASSE").mkdir()
    assert learner_home(tmp_path, "straße") == tmp_path / "STRASSE"  # full case folding


async def test_the_name_screen_refuses_a_mixed_name_and_opens_alice_for_a_fullwidth_one(tmp_path):
    learners = tmp_path / "learners"
    (learners / "Alice").mkdir(parents=True)
    app = LmtuiApp(learners=learners)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        await pilot.press(*"ali\u0441e", "enter")
        await pilot.pause()
        assert isinstance(app.screen, LearnerScreen)
        assert "mixes Latin and Cyrillic" in str(app.screen.query_one("#learner-problem", Static).render())
        app.screen.query_one(Input).value = ""
        await pilot.press(*"Ａlice", "enter")
        await pilot.pause()
        assert isinstance(app.screen, MainScreen)
    assert sorted(p.name for p in learners.iterdir()) == ["Alice"]
    assert (learners / "Alice" / DB_NAME).exists()
