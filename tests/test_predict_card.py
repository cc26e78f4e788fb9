"""Predict, then run, as a learner meets it: type a prediction (bad input gets a message), the
simulation runs with its chart in view, the card shows prediction, theory, measurement and the
grade, and the learner's record has all of it after a restart."""

from __future__ import annotations

import pytest

from lmtui.tui.app import LmtuiApp
from lmtui.core.progress import ProgressStore
from lmtui.tui.widgets.predict import PredictCard, PredictInput, parse_number

from conftest import screen_text, until, wait_for_workers
from predict_support import PREDICT


@pytest.fixture
def predict_course(mini_course):
    """The mini course with the two predict questions of ``predict_support`` in its second chapter's quiz."""
    quiz = mini_course / "02-second.quiz.toml"
    quiz.write_text(quiz.read_text(encoding="utf-8") + PREDICT, encoding="utf-8")
    return mini_course


def predict_cards(app) -> list[PredictCard]:
    return [c for c in app.screen.query(PredictCard) if c.is_attached]


async def open_predict(pilot, index: int = 0) -> PredictCard:
    app = pilot.app
    app.open_chapter("second", view="quiz")
    await pilot.pause()
    await pilot.pause()
    card = predict_cards(app)[index]
    card.focus()
    await pilot.pause()
    return card


async def test_predict_a_number_see_the_run_and_find_it_in_the_record_after_a_restart(mini_course):
    quiz = mini_course / "02-second.quiz.toml"
    quiz.write_text(quiz.read_text(encoding="utf-8") + PREDICT, encoding="utf-8")
    app = LmtuiApp(content_dir=mini_course)
    async with app.run_test(size=(100, 40)) as pilot:
        card = await open_predict(pilot)
        assert card.state == "unanswered" and "implicit_regularization" in str(card._setting.content)
        await pilot.press("enter", *"two", "enter")
        await pilot.pause()
        assert "'two' is not a number" in str(card._feedback.content) and card.prediction is None
        assert card.query(PredictInput)  # still typing, the text is visible in the field
        field = card.query_one(PredictInput)
        field.value = ""
        await pilot.press(*"1.9")
        await pilot.pause()
        assert "1.9" in screen_text(app)
        await pilot.press("enter")
        await pilot.pause()
        assert card.prediction is not None and card.prediction.value == 1.9
        assert card.running or card.result is not None  # committed, then it ran
        assert card.has_class("-charted")  # the live chart is in view while it runs
        await wait_for_workers(app)
        await pilot.pause()
        await pilot.pause()
        p = card.prediction
        assert p.correct is True and p.measured is not None and abs(p.measured - 2) < 0.15 and p.theory == 2.0
        text = str(card._feedback.content)
        assert "You predicted 1.9" in text and "the theory says 2" in text and "the run measured" in text
        assert "within +-0.15: right" in text and "second order" in text
        assert app.status("second").predicted == 1 and app.status("second").predicted_right == 1
        await pilot.press("enter", *"5", "enter")  # a second prediction does not replace the first
        await pilot.pause()
        assert card.prediction.value == 1.9 and not card.query(PredictInput)
    stored = ProgressStore(course=str(mini_course.resolve())).all_predictions()["second"]["slope"]
    assert (stored.value, stored.correct) == (1.9, True) and abs(stored.measured - 2) < 0.15
    app = LmtuiApp(content_dir=mini_course)
    async with app.run_test(size=(100, 40)) as pilot:
        card = await open_predict(pilot)
        assert card.state == "right" and card.prediction.measured == stored.measured
        assert "the run measured" in str(card._feedback.content)
        assert "p1/2" in app.status("second").line()  # the table of contents shows it


async def test_a_choice_prediction_is_graded_by_the_measured_bin(mini_course):
    quiz = mini_course / "02-second.quiz.toml"
    quiz.write_text(quiz.read_text(encoding="utf-8") + PREDICT, encoding="utf-8")
    app = LmtuiApp(content_dir=mini_course)
    async with app.run_test(size=(100, 40)) as pilot:
        card = await open_predict(pilot, 1)
        await pilot.press("1")  # below 1.5: wrong, the slope is about 2
        await until(pilot, lambda: card.prediction is not None and card.prediction.correct is not None)
        assert card.prediction.choice == "below 1.5" and card.prediction.correct is False
        rows = str(card._feedback.content)
        assert "[wrong] You predicted: below 1.5" in rows


async def test_predict_first_the_run_key_says_so_and_shows_nothing_until_a_prediction(mini_course):
    quiz = mini_course / "02-second.quiz.toml"
    quiz.write_text(quiz.read_text(encoding="utf-8") + PREDICT, encoding="utf-8")
    app = LmtuiApp(content_dir=mini_course)
    async with app.run_test(size=(100, 40)) as pilot:
        card = await open_predict(pilot)
        footer = [b.binding.id for b in app.screen.active_bindings.values()]
        assert "predict-run" not in footer and "predict-type" in footer  # not offered before a prediction
        notes = len(app._notifications)
        await pilot.press("s")
        await until(pilot, lambda: len(app._notifications) > notes, timeout=5)  # the key's turn may come a frame later
        assert not card.running and card.result is None and not card.has_class("-charted")
        assert not app.workers._workers or all(w.group != "sim" for w in app.workers)
        assert len(app._notifications) == notes + 1
        assert "Predict first" in list(app._notifications)[-1].message
        assert card.prediction is None and app.record.prediction("second", card.question) is None
        await pilot.press("enter", *"2", "enter")  # the prediction is in: now it runs
        for _ in range(60):  # keys are handed on one at a time; the run starts once its cost is known
            await wait_for_workers(app)
            await pilot.pause()
            if card.result is not None and card.prediction.correct is not None:
                break
        assert card.result is not None and card.prediction.correct is not None  # it ran and graded
        footer = [b.binding.id for b in app.screen.active_bindings.values()]
        assert "predict-run" in footer  # run again, to see it


def test_typed_numbers():
    assert [parse_number(t) for t in ("0.25", " .5 ", "1e-3", "2/3", "0,25", "x", "1/0", "inf")] == [
        0.25, 0.5, 0.001, 2 / 3, 0.25, None, None, None]


async def test_a_card_takes_no_key_before_its_parts_are_mounted(predict_course):
    """Keys faster than the quiz is built (keys that open quizzes and start runs in one burst) can
    focus a card before its parts are mounted: enter would then mount the number field into an
    entry row that is not there (MountError). A card takes the focus only once it is mounted; the
    quiz focuses its first open card when they all are."""
    from lmtui.tui.widgets.quiz import QuizPane

    app = LmtuiApp(content_dir=predict_course)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        app.open_chapter("second", view="quiz")
        quiz = app.screen.query_one(QuizPane)
        quiz.build()  # as the quiz view does when it opens
        cards = quiz.cards()
        numeric = next(c for c in cards if isinstance(c, PredictCard) and not c.question.choices)
        assert not numeric.is_mounted
        app.screen.set_focus(numeric)  # as a key moving the focus (tab, j) would, at this moment
        assert app.screen.focused is not numeric
        await app._check_bindings("enter")  # an enter that arrives now goes elsewhere
        await pilot.pause()
        assert numeric.is_mounted and all(c.is_mounted for c in quiz.cards())
        assert app.screen.focused in quiz.cards()  # the quiz focused its first open card
        numeric.focus()
        await pilot.pause()
        await pilot.press("enter")
        await pilot.pause()
        assert numeric.query(PredictInput)


async def test_a_prediction_committed_as_its_card_is_removed_is_recorded_and_nothing_breaks(predict_course):
    """The prediction's message arrives after a chapter switch removed its card: it is recorded,
    and the card (gone) is not asked to show it (NoScreen)."""
    app = LmtuiApp(content_dir=predict_course)
    async with app.run_test(size=(100, 30)) as pilot:
        card = await open_predict(pilot, 0)
        app.open_chapter("first")  # in place: the quiz's cards are removed
        app.post_message(PredictCard.Predicted(card, "second", card.question, 2.0, None))  # sent just before
        await pilot.pause()
        await wait_for_workers(app)
        await pilot.pause()
        assert app.current == "first" and not card.is_attached
        assert app.record.prediction("second", card.question) is not None


def test_no_chapter_figure_opens_at_a_predict_questions_setting():
    """Predict first holds in the figures too: a chapter's figure opens at its simulation's defaults,
    never at a setting one of its predict questions asks (nor one a review draws), so `f` then `s`
    does not show the answer's chart before the prediction."""
    from lmtui.core.course import load_course
    from lmtui.sims.registry import get

    for chapter in load_course().chapters:
        for q in chapter.quiz:
            if q.predict is None:
                continue
            sim = get(q.predict.sim)
            for setting in (q.predict.overrides, *q.predict.settings()):
                assert sim.resolve({}) != sim.resolve(setting), (chapter.id, q.id, setting)


async def test_the_empty_field_shows_its_whole_hint_at_80_columns(predict_course):
    """The hint names both forms, a number and a range (``3.5 +- 0.5``); cut to the field's width
    it stopped at "0.25 or"."""
    app = LmtuiApp(content_dir=predict_course)
    async with app.run_test(size=(80, 24)) as pilot:
        card = await open_predict(pilot)
        await pilot.press("enter")
        await until(pilot, lambda: bool(card.query(PredictInput)))
        await pilot.pause()
        assert "a number, e.g. 0.25 or 3.5 +- 0.5" in screen_text(app), screen_text(app)


async def test_under_ascii_a_predict_card_shows_focus_with_the_quiz_cards_bar(predict_course):
    """One mark for "the question the keys act on" on every card: ``|``, not ``#`` on a predict card."""
    app = LmtuiApp(content_dir=predict_course, ascii_only=True)
    async with app.run_test(size=(80, 24)) as pilot:
        await open_predict(pilot)
        await pilot.pause()
        prompt = next(line for line in screen_text(app).splitlines() if "Predict, then run" in line)
        assert prompt.lstrip().startswith("| "), screen_text(app)


async def test_the_quiz_card_says_how_to_predict_as_the_review_card_does(predict_course):
    """Both tell of the range form (the review did, the quiz did not) in the same words."""
    app = LmtuiApp(content_dir=predict_course)
    async with app.run_test(size=(100, 40)) as pilot:
        card = await open_predict(pilot)
        text = str(card._feedback.content)
        assert "type a number, with your range if you like (3.5 +- 0.5); within +-0.15 of the measurement" in text
        assert text.startswith("Work it out from the chapter")
