"""A learner's store with answers, predictions (with ranges) and review cards at fixed times, for
the Overview and Review tests and snapshots; and a course for the snapshots that changes only
with the tests (the mini fixture course with predict questions)."""

from __future__ import annotations

from lmtui.core.course import load_course
from lmtui.core.progress import ProgressStore
from lmtui.core.record import LearnerRecord, course_key
from lmtui.core.review import grade_card

from predict_support import SIDE, slope_question

T0 = 1_760_000_000.0  # when the answers were given (fixed: the screens say "due 10 minutes ago")
NOW = T0 + 600


def seed_store(content_dir=None) -> None:
    """In LMTUI_HOME: a chapter read, two of its questions answered (one wrong), three numeric
    predictions run (two with a range, one out of tolerance), a choice prediction wrong; every
    card made at T0."""
    course = load_course(content_dir)
    record = LearnerRecord(course, ProgressStore(course=course_key(content_dir)))
    solvable = next(c for c in course.chapters if sum(q.predict is None for q in c.quiz) >= 2)
    choice = [q for q in solvable.quiz if q.predict is None]
    record.mark_read(solvable.id)
    record.answer(solvable, choice[0], choice[0].answer % len(choice[0].choices) + 1)  # wrong
    record.answer(solvable, choice[1], choice[1].answer)  # right
    numeric = [(c, q) for c in course.chapters for q in c.quiz if q.predict is not None and not q.choices]
    (c1, q1), (c2, q2), (c3, q3) = numeric[:3]
    record.predict(c1, q1, value=1.0, low=0.9, high=1.1)
    record.grade(c1, q1, 1.05, 1.0)  # inside the range; within tolerance
    record.predict(c2, q2, value=2.0, low=1.5, high=2.5)
    record.grade(c2, q2, 3.0, 3.0)  # outside the range; out of tolerance
    record.predict(c3, q3, value=4.0)
    record.grade(c3, q3, 4.0, 4.0)
    chapter, question = next((c, q) for c in course.chapters for q in c.quiz if q.predict is not None and q.choices)
    record.predict(chapter, question, choice=1)
    record.grade(chapter, question, 1e9, 1e9)  # the last bin: choice 1 is wrong
    cards = [grade_card(None, c.chapter, c.question, c.kind, c.fingerprint,
                        _first_correct(record, c.chapter, c.question), T0) for c in record.cards().values()]
    record.store.save_review(cards, [])
    record.store.close()


def _first_correct(record: LearnerRecord, chapter: str, question: str) -> bool:
    answer = record.answers(chapter).get(question)
    if answer is not None:
        return answer.correct
    return bool(record.predictions(chapter)[question].correct)


VARY = "{ horizon = [1.0, 3.0] }"  # the values a review of the snapshot course's slope questions draws from

PREDICTS = "".join(slope_question(qid, VARY, label=qid) for qid in ("slope", "slope-again", "slope-third")) + SIDE


def snapshot_course(mini_course):
    """The mini fixture course with three numeric predict questions and a choice one."""
    quiz = mini_course / "02-second.quiz.toml"
    quiz.write_text(quiz.read_text(encoding="utf-8") + PREDICTS, encoding="utf-8")
    return mini_course
