"""Predict, then run, as a learner meets it: type a prediction (bad input gets a message), the
simulation runs with its chart in view, the card shows prediction, theory, measurement and the
grade, and the learner's record has all of it after a restart."""

from __future__ import annotations

from lmtui.tui.app import LmtuiApp
from lmtui.core.progress import ProgressStore
from lmtui.tui.widgets.predict import PredictCard, PredictInput, parse_number

from conftest import screen_text, wait_for_workers

PREDICT = '''
[[question]]
id = "slope"
kind = "predict"
prompt = "On a log-log plot of GD's distance from the modified flow against h, what slope?"
sim = "implicit_regularization"
params = { step_sizes = [0.005, 0.01, 0.02] }
metric = "slope_modified"
tolerance = { absolute = 0.15 }
explanation = "GD follows the modified flow to second order in h, so its error there shrinks like h^2: slope 2."

[[question]]
id = "side"
kind = "predict"
prompt = "Is the error to the modified flow's slope below 1.5, or above?"
sim = "implicit_regularization"
params = { step_sizes = [0.005, 0.01, 0.02] }
metric = "slope_modified"
choices = ["below 1.5", "above 1.5"]
bins = [1.5]
explanation = "Second order: about 2."
'''


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
        await pilot.pause()
        await wait_for_workers(app)
        await pilot.pause()
        await pilot.pause()
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
        await pilot.pause()
        assert not card.running and card.result is None and not card.has_class("-charted")
        assert not app.workers._workers or all(w.group != "sim" for w in app.workers)
        assert len(app._notifications) == notes + 1
        assert "Predict first" in list(app._notifications)[-1].message
        assert card.prediction is None and app.record.prediction("second", card.question) is None
        await pilot.press("enter", *"2", "enter")  # the prediction is in: now it runs
        await pilot.pause()
        assert card.running or card.result is not None
        await wait_for_workers(app)
        await pilot.pause()
        footer = [b.binding.id for b in app.screen.active_bindings.values()]
        assert "predict-run" in footer  # run again, to see it


def test_typed_numbers():
    assert [parse_number(t) for t in ("0.25", " .5 ", "1e-3", "2/3", "0,25", "x", "1/0", "inf")] == [
        0.25, 0.5, 0.001, 2 / 3, 0.25, None, None, None]
