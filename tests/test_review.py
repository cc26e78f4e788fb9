"""Spaced review through the keys: what a first answer puts in `lmtui review --due`, the Review
view's gradings (the card moves, the chapter's score does not), and a predict question reviewed
as a new experiment (predict first, another setting than the chapter's)."""

from __future__ import annotations

import io
import json
from contextlib import redirect_stdout
from datetime import datetime, timezone

from lmtui.cli import main
from lmtui.tui.app import LmtuiApp
from lmtui.tui.screens.review import ReviewPredictCard, ReviewQuestionCard, ReviewScreen
from lmtui.tui.widgets.predict import PredictInput
from lmtui.tui.widgets.quiz import QuestionCard

from conftest import screen_text, until, wait_for_workers
from predict_support import slope_question
from review_support import VARY

DAY = 86400.0

VARIED = slope_question("slope", VARY)


def iso(t: float) -> str:
    return datetime.fromtimestamp(t, tz=timezone.utc).isoformat()


def due_now(course, at: float | None = None) -> list[str]:
    """What `lmtui review --due --json [--at]` lists (run in this process, beside the app)."""
    args = ["--content", str(course), "review", "--due", "--json"] + (["--at", iso(at)] if at else [])
    out = io.StringIO()
    with redirect_stdout(out):
        assert main(args) == 0
    return [d["question"] for d in json.loads(out.getvalue())["due"]]


async def answer_in_quiz(pilot, chapter: str, presses: list[tuple[int, str]]) -> None:
    """Answer questions of ``chapter``'s quiz with the keys: (card index, key)."""
    app = pilot.app
    app.open_chapter(chapter, view="quiz")
    await pilot.pause()
    await pilot.pause()
    for index, key in presses:
        cards = [c for c in app.screen.query(QuestionCard) if c.is_attached]
        cards[index].focus()
        await pilot.pause()
        await pilot.press(key)
        await pilot.pause()


async def open_review(pilot, at: float | None = None) -> ReviewScreen:
    if at is None:
        await pilot.press("R")
    else:
        pilot.app.push_screen(ReviewScreen(at=at))
    await pilot.pause()
    await pilot.pause()
    screen = pilot.app.screen
    assert isinstance(screen, ReviewScreen)
    return screen


async def test_wrong_first_answer_is_due_at_once_and_after_a_lapse_a_right_one_not_the_next_day(mini_course):
    app = LmtuiApp(content_dir=mini_course)
    async with app.run_test(size=(100, 30)) as pilot:
        await answer_in_quiz(pilot, "first", [(0, "1"), (1, "2")])  # q1 wrong, q2 right
        assert due_now(mini_course) == ["q1"]
        right_card = app.record.card("first", "q2")
        assert due_now(mini_course, right_card.last_review + DAY) == ["q1"]  # q2: not the next day
        screen = await open_review(pilot)
        assert isinstance(screen.card, ReviewQuestionCard) and screen.card.question.id == "q1"
        await pilot.press("2")  # right this time
        await pilot.pause()
        assert "Right: next due in" in str(screen._status.content)
        await pilot.press("n")
        await pilot.pause()
        assert "Review done: 1 answer this session, 1 card." in screen_text(app)
        assert "Coming up:" in screen_text(app)
        moved = app.record.card("first", "q1")
        assert due_now(mini_course) == [] and moved.due > moved.last_review + DAY / 2
        await pilot.press("escape")
        await pilot.pause()
        # later, when it is due again, a wrong answer (a lapse) makes it due at once again
        later = moved.due + 60
        screen = await open_review(pilot, at=later)
        assert screen.card.question.id == "q1"
        await pilot.press("1")
        await pilot.pause()
        assert "Not this time: due again now; it comes back at the end of this session" in str(screen._status.content)
        lapsed = app.record.card("first", "q1")
        assert lapsed.lapses == 1 and lapsed.due == later
        assert due_now(mini_course, later) == ["q1"]
        await pilot.press("n")  # the lapsed card comes back at the end of the session
        await pilot.pause()
        assert isinstance(screen.card, ReviewQuestionCard) and screen.card.question.id == "q1"


async def test_a_review_answer_leaves_the_chapter_score_unchanged(mini_course):
    app = LmtuiApp(content_dir=mini_course)
    async with app.run_test(size=(100, 30)) as pilot:
        await answer_in_quiz(pilot, "first", [(0, "1")])  # wrong
        before = app.status("first")
        assert (before.correct, before.answered) == (0, 1)
        screen = await open_review(pilot)
        await pilot.press("2")  # right in review
        await pilot.pause()
        assert app.status("first") == before
        footer = [b.binding.id for b in screen.active_bindings.values()]
        assert "review-next" in footer and not [k for k in footer if (k or "").startswith("answer-")]  # graded: n, not 1-4
        notes = len(app._notifications)
        await pilot.press("1")  # a second try is not taken, and it says so
        assert await until(pilot, lambda: len(app._notifications) > notes, 5)
        assert list(app._notifications)[-1].message == "This card is graded: n brings the next one."
        first = app.record.answers("first")["q1"]
        assert (first.choice, first.correct, first.tries) == ("The gradient", False, 1)  # not a practice try either
        log = app.record.store.review_log()
        assert [(e.first, e.correct) for e in log] == [(True, False), (False, True)]


async def test_a_predict_card_comes_back_as_a_new_experiment_predicted_first(mini_course):
    quiz = mini_course / "02-second.quiz.toml"
    quiz.write_text(quiz.read_text(encoding="utf-8") + VARIED, encoding="utf-8")
    app = LmtuiApp(content_dir=mini_course)
    async with app.run_test(size=(100, 40)) as pilot:
        chapter = app.course.by_id("second")
        question = next(q for q in chapter.quiz if q.id == "slope")
        app.record.predict(chapter, question, value=1.0)  # out of tolerance: due at once
        app.record.grade(chapter, question, 2.0, 2.0)
        chapter_prediction = app.record.prediction("second", question)
        screen = await open_review(pilot)
        card = screen.card
        assert isinstance(card, ReviewPredictCard)
        assert dict(card.spec.params)["horizon"] in (1.0, 3.0) and dict(question.predict.params).get("horizon") is None
        assert "A new experiment: horizon =" in str(card._setting.content)
        assert card.spec.seed != question.predict.seed  # and a new seed
        notes = len(app._notifications)
        await pilot.press("s")  # predict first: nothing runs, nothing is charted, and it says so
        await until(pilot, lambda: len(app._notifications) > notes, timeout=5)
        assert "Predict first" in list(app._notifications)[-1].message
        assert not card.running and card.result is None and not card.has_class("-charted")
        assert "predict-run" not in [b.binding.id for b in screen.active_bindings.values()]
        await pilot.press("enter")
        for _ in range(20):  # the entry field mounts, then takes the typing
            await pilot.pause()
            if card.query(PredictInput) and app.focused is card.query_one(PredictInput):
                break
        await pilot.press(*"2 +- 0.1", "enter")
        for _ in range(60):  # the keys, the run (started once its cost is known), then its grading
            await wait_for_workers(app)
            await pilot.pause()
            if screen.graded:
                break
        assert card.prediction.correct is True and (card.prediction.low, card.prediction.high) == (1.9, 2.1)
        assert card.result.params["horizon"] == dict(card.spec.params)["horizon"]  # the drawn setting ran
        assert screen.graded and "Right: next due in" in str(screen._status.content)
        assert app.record.prediction("second", question) == chapter_prediction  # the chapter's stays
        entry = app.record.store.review_log()[-1]
        setting = json.loads(entry.setting)
        assert setting["params"]["horizon"] == dict(card.spec.params)["horizon"] and entry.value == 2.0
        assert setting["seed"] == card.spec.seed != question.predict.seed
        assert entry.measured == card.prediction.measured


def test_check_validates_vary(mini_course, capsys):
    quiz = mini_course / "02-second.quiz.toml"
    bad = slope_question("bad", "{ horizon = [0.01, 2.0], nope = [1], step_sizes = [[0.1]] }")
    typed = slope_question("typed", '{ horizon = "x" }')
    quiz.write_text(quiz.read_text(encoding="utf-8") + VARIED + bad + typed, encoding="utf-8")
    assert main(["check", str(mini_course)]) == 1
    out = capsys.readouterr().out
    assert "question 4: vary.horizon must be a list of 1 to 50 values" in out  # the loader: "typed"
    problems = [line for line in out.splitlines() if "'bad'" in line]
    assert any("vary.horizon = 0.01: horizon: 0.01 is out of range" in p for p in problems)
    vary_lines = [n for n, line in enumerate(quiz.read_text(encoding="utf-8").splitlines(), 1) if line.startswith("vary =")]
    assert all(f":{vary_lines[1]}: " in p for p in problems)  # the question's vary line
    assert any("vary.horizon = 2.0 is the question's own setting" in p for p in problems)  # the default: not new
    assert any("vary: unknown parameter 'nope'" in p for p in problems)
    assert any("vary.step_sizes = 0.1" in p for p in problems)  # one step size cannot fit a slope
    assert not [line for line in out.splitlines() if "'slope'" in line]  # the good one passes


def test_the_draw_is_never_the_chapters_setting():
    from lmtui.core.course import load_course
    from lmtui.core.review import REVIEW_SEEDS, draw_setting

    course = load_course()
    for chapter in course.chapters:
        for q in chapter.quiz:
            if q.predict is None:
                continue
            for reps in range(6):
                params, seed = draw_setting(q, reps)
                assert seed in REVIEW_SEEDS and seed != q.predict.seed, q.id  # a new seed, always
                if q.predict.vary:
                    assert params != q.predict.overrides, q.id
                else:
                    assert params == q.predict.overrides, q.id


def test_report_shows_each_learners_review_columns(tmp_path):
    from lmtui.core.course import load_course
    from lmtui.core.progress import ProgressStore
    from lmtui.core.record import LearnerRecord

    course = load_course()
    chapter = next(c for c in course.chapters if sum(q.predict is None for q in c.quiz) >= 2)
    q1, q2 = [q for q in chapter.quiz if q.predict is None][:2]
    ann = LearnerRecord(course, ProgressStore(tmp_path / "ann"))
    ann.answer(chapter, q1, q1.answer % len(q1.choices) + 1)  # wrong: due now
    ann.answer(chapter, q2, q2.answer % len(q2.choices) + 1)  # wrong
    card = ann.card(chapter.id, q1.id)
    ann.review(chapter, q1, True, at=card.due)  # reviewed right: no longer due
    ann.review(chapter, q2, False, at=card.due)  # reviewed wrong (a moment ago): still due
    ann.store.close()
    LearnerRecord(course, ProgressStore(tmp_path / "bob")).store.close()
    out = io.StringIO()
    with redirect_stdout(out):
        assert main(["report", str(tmp_path), "--json"]) == 0
    learners = {r["learner"]: r["review"] for r in json.loads(out.getvalue())["learners"]}
    assert learners["ann"] == {"cards_due": 1, "reviewed": 2, "reviews": 2, "retained": 1}
    assert learners["bob"] == {"cards_due": 0, "reviewed": 0, "reviews": 0, "retained": 0}
    out = io.StringIO()
    with redirect_stdout(out):
        assert main(["report", str(tmp_path)]) == 0
    text = out.getvalue()
    assert "due  reviewed  retained" in text
    ann_row = next(line for line in text.splitlines() if line.startswith("ann"))
    assert ann_row.split()[-5:-2] == ["1", "2", "50%"]


async def test_the_next_card_takes_the_keys_when_it_is_a_predict_card(mini_course):
    """After a quiz card, n shows a predict card: it has the focus, so enter opens its number field
    (a predict card refuses the focus until its parts are mounted)."""
    quiz = mini_course / "02-second.quiz.toml"
    quiz.write_text(quiz.read_text(encoding="utf-8") + VARIED, encoding="utf-8")
    app = LmtuiApp(content_dir=mini_course)
    async with app.run_test(size=(100, 40)) as pilot:
        await answer_in_quiz(pilot, "first", [(0, "1")])  # wrong: due at once, first in course order
        chapter = app.course.by_id("second")
        question = next(q for q in chapter.quiz if q.id == "slope")
        app.record.predict(chapter, question, value=1.0)
        app.record.grade(chapter, question, 2.0, 2.0)  # out of tolerance: due at once
        screen = await open_review(pilot)
        assert isinstance(screen.card, ReviewQuestionCard)
        await pilot.press("2")
        await pilot.pause()
        await pilot.press("n")
        card = screen.card
        assert isinstance(card, ReviewPredictCard)
        assert await until(pilot, lambda: app.focused is card, 5), app.focused
        await pilot.press("enter")
        assert await until(pilot, lambda: bool(card.query(PredictInput)), 5)


async def test_a_predict_review_asks_its_prompt_at_the_drawn_setting(mini_course):
    """The prompt names the setting that runs; the explanation says it works the chapter's."""
    quiz = mini_course / "02-second.quiz.toml"
    timed = slope_question("timed", VARY).replace("against h, what slope?", "against h at time T = {horizon}, what slope?")
    timed = timed.replace("params = { step_sizes = [0.005, 0.01, 0.02] }", "params = { step_sizes = [0.005, 0.01, 0.02], horizon = 2.0 }")
    quiz.write_text(quiz.read_text(encoding="utf-8") + timed, encoding="utf-8")
    app = LmtuiApp(content_dir=mini_course)
    async with app.run_test(size=(100, 40)) as pilot:
        chapter = app.course.by_id("second")
        question = next(q for q in chapter.quiz if q.id == "timed")
        assert "at time T = 2, what slope?" in question.prompt
        app.record.predict(chapter, question, value=1.0)
        app.record.grade(chapter, question, 2.0, 2.0)  # out of tolerance: due at once
        screen = await open_review(pilot)
        card = screen.card
        assert isinstance(card, ReviewPredictCard)
        drawn = dict(card.spec.params)["horizon"]
        assert drawn in (1.0, 3.0)
        assert f"at time T = {drawn:g}, what slope?" in str(card._prompt.content)
        assert f"horizon = {drawn} (the chapter's: 2.0)" in str(card._setting.content)
        assert card.explanation_text().startswith("Worked at the chapter's setting (horizon = 2.0): GD follows")


async def test_a_card_says_why_it_is_back_and_one_falling_due_during_the_session_comes_next(mini_course):
    app = LmtuiApp(content_dir=mini_course)
    async with app.run_test(size=(100, 30)) as pilot:
        await answer_in_quiz(pilot, "first", [(0, "1"), (1, "2")])  # q1 wrong, q2 right
        answered = app.record.card("first", "q1").last_review
        screen = await open_review(pilot, at=answered + 600)
        assert screen.card.question.id == "q1"
        assert str(screen._status.content) == "Back because your first answer (10 minutes ago) was wrong."
        await pilot.press("2")  # right
        await pilot.pause()
        later = app.record.card("first", "q2").due + 60
        screen.at = later  # the session goes on until q2 falls due (and q1 again, sooner)
        await pilot.press("n")
        await pilot.pause()
        assert screen.current is not None  # not the end: what fell due meanwhile comes next
        assert [screen.card.question.id] + [d.question.id for d in screen.queue] == ["q1", "q2"]
        assert str(screen._status.content).startswith("Back to check it has stuck: right in review (")
        for _ in range(2):
            await pilot.press("2")
            await pilot.pause()
            await pilot.press("n")
            await pilot.pause()
        text = " ".join(screen_text(app).split())
        assert "Review done: 3 answers this session, 2 cards." in text
        assert "Nothing is due now; the next card is due in " in text


def test_when_and_due_phrase_say_a_due_time_one_way():
    from lmtui.core.review import due_phrase, moment, when

    assert when(1000.0, 1000.0) == "now" and when(1030.0, 1000.0) == "in under a minute"
    assert when(1000.0, 1030.0) == "just now"  # "your first answer (just now) was wrong"
    assert when(1000.0 + 3 * DAY, 1000.0) == "in 3 days" and when(1000.0, 1000.0 + 2 * 3600) == "2 hours ago"
    assert due_phrase(1000.0, 1000.0) == "due now" and due_phrase(900.0, 1000.0) == "due now"
    assert due_phrase(1000.0 + DAY, 1000.0) == f"due in 1 day ({moment(1000.0 + DAY)})"


async def test_the_list_of_cards_coming_up_keeps_its_columns(mini_course):
    """Due dates of different widths (Fri 4 Jan, Mon 14 Jan) leave the chapter column straight."""
    from dataclasses import replace

    from lmtui.core.course import load_course
    from lmtui.core.progress import ProgressStore
    from lmtui.core.record import course_key
    from lmtui.core.review import grade_card

    start = datetime(2030, 1, 1, 9, 0).timestamp()  # local time, as the dates are shown
    first = load_course(mini_course).by_id("first")
    store = ProgressStore(course=course_key(mini_course))
    store.save_review([replace(grade_card(None, "first", q.id, "quiz", q.fingerprint, True, start), due=start + days * DAY)
                       for q, days in zip(first.quiz, (3, 13))], [])
    store.close()
    app = LmtuiApp(content_dir=mini_course)
    async with app.run_test(size=(100, 30)) as pilot:
        await open_review(pilot, at=start)
        rows = [line for line in screen_text(app).splitlines() if "First Steps: Q" in line]
        assert len(rows) == 2 and "Fri 4 Jan" in rows[0] and "Mon 14 Jan" in rows[1], rows
        assert len({line.index("1 First Steps") for line in rows}) == 1, rows


async def test_a_learner_who_comes_back_is_told_at_the_start_that_cards_are_due(mini_course):
    app = LmtuiApp(content_dir=mini_course)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        assert not [n for n in app._notifications if "due" in n.message]  # nothing answered yet
        await answer_in_quiz(pilot, "first", [(0, "1")])  # wrong: due at once
    app = LmtuiApp(content_dir=mini_course)
    async with app.run_test(size=(100, 30)) as pilot:
        assert await until(pilot, lambda: any("due" in n.message for n in app._notifications), 5)
        assert [n.message for n in app._notifications if "due" in n.message] == ["1 review card is due: R reviews it."]
        await pilot.press("R")  # done as the note says: the note leaves instead of covering the card
        assert await until(pilot, lambda: isinstance(app.screen, ReviewScreen), 5)
        assert not [n for n in app._notifications if "due" in n.message]


async def test_the_due_note_stays_beside_a_warning_when_the_review_opens(mini_course):
    app = LmtuiApp(content_dir=mini_course)
    async with app.run_test(size=(100, 30)) as pilot:
        await answer_in_quiz(pilot, "first", [(0, "1")])
    app = LmtuiApp(content_dir=mini_course)
    async with app.run_test(size=(100, 30)) as pilot:
        assert await until(pilot, lambda: any("due" in n.message for n in app._notifications), 5)
        app.notify("Something the learner must read.", severity="warning")
        await pilot.press("R")
        assert await until(pilot, lambda: isinstance(app.screen, ReviewScreen), 5)
        assert any("must read" in n.message for n in app._notifications)


async def test_lmtui_review_opens_the_app_on_the_review_view(mini_course, monkeypatch):
    import lmtui.tui.app as app_module

    opened = {}
    monkeypatch.setattr(app_module, "run_app", lambda **kw: opened.update(kw) or 0)
    assert main(["--content", str(mini_course), "review"]) == 0
    assert opened["start"] == "review" and opened["content_dir"] == str(mini_course)
    app = LmtuiApp(content_dir=mini_course)
    async with app.run_test(size=(80, 24)) as pilot:
        await answer_in_quiz(pilot, "first", [(0, "1")])  # wrong: due at once
    app = LmtuiApp(content_dir=mini_course, start=opened["start"])
    async with app.run_test(size=(80, 24)) as pilot:
        assert await until(pilot, lambda: isinstance(app.screen, ReviewScreen) and app.screen.card is not None, 5)
        assert app.screen.card.question.id == "q1"
        assert not [n for n in app._notifications if "due" in n.message]  # the view says it: no notice over it


def test_review_due_counts_only_the_cards_of_questions_the_course_asks(mini_course, capsys):
    """A card kept for a question since removed from the course is neither due nor counted."""
    from lmtui.core.course import load_course
    from lmtui.core.progress import ProgressStore
    from lmtui.core.record import course_key
    from lmtui.core.review import grade_card

    q1 = load_course(mini_course).by_id("first").quiz[0]
    store = ProgressStore(course=course_key(mini_course))
    store.save_review([grade_card(None, "first", q1.id, "quiz", q1.fingerprint, False, 1000.0),
                       grade_card(None, "first", "removed", "quiz", "0" * 16, False, 1000.0)], [])
    store.close()
    assert main(["--content", str(mini_course), "review", "--due", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["cards"] == 1 and [d["question"] for d in out["due"]] == ["q1"]
    assert main(["--content", str(mini_course), "review", "--due"]) == 0
    text = capsys.readouterr().out
    assert "1 card due at " in text and "(of 1):" in text
    assert "1 First Steps, Q1: " in text  # named as the Overview and lmtui progress name it


async def test_j_and_k_read_a_card_taller_than_the_screen(mini_course):
    """As in the text and the quiz: j scrolls the review down a line, k up (down and up did, j did nothing)."""
    quiz = next(mini_course.glob("01-*.quiz.toml"))
    long = " ".join(["Each step moves against the gradient, downhill."] * 30)
    quiz.write_text(quiz.read_text(encoding="utf-8").replace("It steps downhill, along −∇L.", long), encoding="utf-8")
    app = LmtuiApp(content_dir=mini_course)
    async with app.run_test(size=(80, 24)) as pilot:
        await answer_in_quiz(pilot, "first", [(0, "1")])
        screen = await open_review(pilot)
        await pilot.press("2")
        await pilot.pause()
        body = screen._body
        await until(pilot, lambda: body.max_scroll_y >= 2, 5)
        assert body.max_scroll_y >= 2, screen_text(app)  # the graded card is taller than the screen
        await pilot.press("j", "j")
        await until(pilot, lambda: body.scroll_y == 2, 5)
        assert body.scroll_y == 2
        await pilot.press("k")
        await until(pilot, lambda: body.scroll_y == 1, 5)
        assert body.scroll_y == 1 and screen.card.answer is not None  # j and k answered nothing
