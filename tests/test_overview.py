"""The Overview (O, the palette) and `lmtui progress`: the same figures; the missed questions a key
press away; how good the predictions are, in a sentence and a chart."""

from __future__ import annotations

import io
import json
from contextlib import redirect_stdout

from lmtui.cli import main
from lmtui.core.course import load_course
from lmtui.core.overview import overview
from lmtui.core.progress import ProgressStore
from lmtui.core.record import LearnerRecord
from lmtui.tui.app import LmtuiApp
from lmtui.tui.screens.overview import OverviewScreen

from conftest import screen_text, until
from review_support import NOW, seed_store


def progress_json(at: float | None = None) -> dict:
    out = io.StringIO()
    with redirect_stdout(out):
        assert main(["progress", "--json"]) == 0
    return json.loads(out.getvalue())


def test_calibration_counts_ranges_and_point_errors():
    seed_store()
    view = overview(LearnerRecord(load_course(), ProgressStore()), NOW)
    cal = view.calibration
    assert (cal.ranges, cal.inside) == (2, 1) and len(cal.errors) == 3
    assert abs(cal.median_error - 0.05 / 1.05) < 1e-9  # errors: 0.05/1.05, 1/3, 0
    assert cal.sentence() == ("The measurement fell inside your range 1 time of 2 (50%): a range you are fairly sure of "
                              "should hold it about 9 times in 10. Your numbers were off by 5% of the measurement (the "
                              "median of 3: half were closer, half further).")
    assert [m.kind for m in view.missed].count("predict") == 2 and [m.kind for m in view.missed].count("quiz") == 1


def test_a_small_error_never_reads_as_none():
    from lmtui.core.overview import Calibration, error_text

    assert [error_text(x) for x in (0.0, 0.17, 0.0476, 0.0096, 0.0031, 0.0008)] == [
        "0%", "17%", "5%", "1%", "0.3%", "under 0.1%"]
    cal = Calibration()
    for value, measured in ((1.0, 1.5), (0.2501, 0.25), (0.3752, 0.375)):  # off by 33%, 0.04%, 0.05%
        cal.count(value, measured, None, None)
    assert "Your numbers were off by under 0.1% of the measurement" in cal.sentence()


async def test_the_overview_shows_what_lmtui_progress_prints_and_opens_a_missed_question():
    seed_store()
    data = progress_json()
    app = LmtuiApp()
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        await pilot.press("O")
        await pilot.pause()
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, OverviewScreen)
        text = screen_text(app)
        t = data["totals"]
        assert f"{t['quiz_right']}/{t['quiz_answered']} of {t['quiz_total']}" in text
        assert f"{t['predict_right']}/{t['predict_graded']} of {t['predict_total']}" in text
        assert data["calibration_text"][:40] in text.replace("\n ", " ")
        assert "inside your range" in text and "point error" in text  # the chart
        assert len(screen.view.missed) == len(data["missed"]) == 3
        out = io.StringIO()
        with redirect_stdout(out):
            assert main(["progress"]) == 0
        for m in screen.view.missed:  # each missed question named alike in both: "1 First Steps, Q1 (quiz)"
            where = screen.view.where(m)
            assert where.startswith(f"{app.course.by_id(m.chapter).order} ") and f"  {where}: " in out.getvalue()
            assert where in text
        await pilot.press("down", "enter")  # the second missed question (the list starts on the first)
        missed = data["missed"][1]
        for _ in range(20):  # the quiz builds its cards, then the asked one takes the focus
            await pilot.pause()
            if getattr(app.focused, "question", None) is not None and app.focused.question.id == missed["question"]:
                break
        assert not isinstance(app.screen, OverviewScreen)
        assert app.current == missed["chapter"]
        focused = app.focused
        assert getattr(focused, "question", None) is not None and focused.question.id == missed["question"]


async def test_the_contents_list_has_a_legend_and_the_totals():
    seed_store()
    app = LmtuiApp()
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        toc = app.main_screen.toc
        assert "read" in toc.border_title and "quiz" in toc.border_title
        s = app.statuses()
        assert toc.border_subtitle.startswith(f"all: 1/{len(s)} 1/{sum(x.total for x in s.values())}")
        assert app.due_count() == 6  # every card (2 answers, 4 predictions): long past T0
        assert toc.border_subtitle.endswith(", 6 due")


def _flat(text: str) -> str:
    return " ".join(text.split())


async def test_the_overview_and_lmtui_progress_say_what_is_due_and_when_in_the_same_words():
    from datetime import datetime, timezone

    from lmtui.core.review import due_summary

    seed_store()
    record = LearnerRecord(load_course(), ProgressStore())
    said = overview(record, NOW).due_text
    assert said == due_summary(record.course, record.cards(), NOW)
    assert said.startswith("3 cards are due now; the next card after those is due in ") and said.endswith(").")
    out = io.StringIO()
    with redirect_stdout(out):
        assert main(["progress", "--at", datetime.fromtimestamp(NOW, tz=timezone.utc).isoformat()]) == 0
    assert f"Review: {said}" in out.getvalue() and "Due now" in out.getvalue()
    app = LmtuiApp()
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        app.push_screen(OverviewScreen(at=NOW))
        await pilot.pause()
        await pilot.pause()
        text = _flat(screen_text(app))
        assert f"Review: {said}" in text and "Due now" in text
        assert "Next review card due" not in text  # one sentence says it, not two


async def missed_list(pilot):
    """The Overview opened over the app, its missed questions' list once it has the focus."""
    app = pilot.app
    await pilot.pause()
    app.push_screen(OverviewScreen(at=NOW))
    await until(pilot, lambda: type(app.focused).__name__ == "MissedList", 5)
    return app.focused


async def test_the_missed_questions_scroll_into_view_at_80x24():
    seed_store()
    app = LmtuiApp()
    async with app.run_test(size=(80, 24)) as pilot:
        await missed_list(pilot)
        await pilot.press("down")
        await pilot.pause()
        await pilot.pause()
        item = app.focused.highlighted_child
        assert item is not None
        assert 0 <= item.region.y and item.region.bottom <= 24 - 1, item.region  # above the footer
        assert item.missed.prompt[:20] in _flat(screen_text(app))


def test_predictions_made_in_review_count_in_the_calibration():
    seed_store()
    record = LearnerRecord(load_course(), ProgressStore())
    before = overview(record, NOW).calibration
    chapter, question = next((c, q) for c in record.course.chapters for q in c.quiz if q.predict is not None and not q.choices)
    record.review(chapter, question, True, value=2.0, low=1.0, high=3.0, measured=2.5, at=NOW)  # inside, 20% off
    record.review(chapter, question, False, value=4.0, measured=2.0, at=NOW + 60)  # no range, 100% off
    after = overview(record, NOW + 120).calibration
    assert (after.ranges, after.inside, len(after.errors)) == (before.ranges + 1, before.inside + 1, len(before.errors) + 2)
    assert after.in_review == 2 and sorted(after.errors) == sorted(before.errors + [0.2, 1.0])
    assert "That includes 2 made in review, each at a new setting." in after.sentence()
    row = next(r for r in overview(record, NOW + 120).chapters if r.id == chapter.id)
    assert row.calibration.in_review == 2


def test_a_missed_question_put_right_in_review_says_so():
    seed_store()
    record = LearnerRecord(load_course(), ProgressStore())
    m = overview(record, NOW).missed[0]
    assert m.label == m.kind
    chapter = record.course.by_id(m.chapter)
    question = next(q for q in chapter.quiz if q.id == m.question)
    record.review(chapter, question, True, at=NOW)
    again = next(x for x in overview(record, NOW + 60).missed if x.question == m.question)
    assert again.recovered and again.label == f"{m.kind}, right in review since"
    out = io.StringIO()
    with redirect_stdout(out):
        assert main(["progress"]) == 0
    assert f"Q{m.number} ({m.kind}, right in review since)" in out.getvalue()
    record.review(chapter, question, False, at=NOW + 120)  # missed again: no longer put right
    assert not next(x for x in overview(record, NOW + 180).missed if x.question == m.question).recovered


async def test_j_and_k_move_in_the_missed_questions_as_in_every_list():
    seed_store()
    app = LmtuiApp()
    async with app.run_test(size=(80, 24)) as pilot:
        missed = await missed_list(pilot)
        assert missed.index == 0 and len(missed.children) == 3
        await pilot.press("j", "j")
        await until(pilot, lambda: missed.index == 2, 5)
        await pilot.press("k")
        await until(pilot, lambda: missed.index == 1, 5)
        assert missed.index == 1
        item = missed.highlighted_child
        assert 0 <= item.region.y and item.region.bottom <= 24 - 1, item.region  # scrolled into view
