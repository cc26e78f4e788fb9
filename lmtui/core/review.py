"""Spaced review: when each answered question comes back, scheduled by FSRS.

Every quiz and predict question the learner has answered is a card (``CardRow`` in the progress
store). The first answer in the chapter makes it: a wrong answer (or a prediction out of tolerance)
is rated *again* and the card is due at once; a right one is rated *good* and comes back after the
interval FSRS gives it (days), each right review lengthening the next interval, each wrong one
bringing the card back at once (a lapse). The ``fsrs`` package (pure Python) computes stability,
difficulty and the next interval; it is imported only when a card is graded.

Learning and relearning each have one step of zero minutes: a card answered wrong stays due until
it is answered right, in this session; then FSRS's intervals take over. No fuzzing: the same
answers give the same schedule (the tests and ``lmtui review --due --at`` rely on it).

No Textual import here: ``lmtui review --due`` and the Review view both use it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from functools import cache
from typing import TYPE_CHECKING

from lmtui.core.clock import now
from lmtui.core.progress import CardRow, ReviewEntry

if TYPE_CHECKING:
    from lmtui.core.course import Chapter, Course, Question

AGAIN, GOOD = 1, 3  # FSRS ratings used: wrong, right
DESIRED_RETENTION = 0.9
SLACK = 0.001  # seconds: a time read back from text (--at) may differ from the stored one by float rounding


@cache
def scheduler():
    from fsrs import Scheduler

    return Scheduler(desired_retention=DESIRED_RETENTION, learning_steps=(timedelta(0),),
                     relearning_steps=(timedelta(0),), enable_fuzzing=False)


def _dt(t: float) -> datetime:
    return datetime.fromtimestamp(t, tz=timezone.utc)


def grade_card(card: CardRow | None, chapter: str, question: str, kind: str, fingerprint: str, correct: bool,
               at: float | None = None) -> CardRow:
    """The card after one grading at ``at`` (seconds since the epoch; default now): a new card for
    a first answer (``card`` None), else the card moved on."""
    from fsrs import Card, Rating, State

    at = now() if at is None else at
    if card is None:
        fsrs_card = Card(card_id=1)  # an id, or fsrs waits a millisecond to make one
        reps = lapses = 0
    else:
        fsrs_card = Card(card_id=1, state=State(card.state), step=card.step, stability=card.stability,
                         difficulty=card.difficulty, due=_dt(card.due),
                         last_review=_dt(card.last_review) if card.last_review is not None else None)
        reps, lapses = card.reps, card.lapses
    lapse = card is not None and card.state == State.Review.value and not correct
    when = _dt(at)
    moved, _log = scheduler().review_card(fsrs_card, Rating.Good if correct else Rating.Again, review_datetime=when)
    due = at + (moved.due - when).total_seconds()  # exactly ``at`` when due at once
    return CardRow(chapter, question, kind, fingerprint, int(moved.state.value), moved.step, moved.stability, moved.difficulty,
                   due, at, reps + 1, lapses + int(lapse))


def first_entry(card: CardRow, correct: bool, at: float, value: float | None = None, low: float | None = None,
                high: float | None = None, measured: float | None = None) -> ReviewEntry:
    """The review-log line for the first answer that made ``card``."""
    return ReviewEntry(card.chapter, card.question, at, GOOD if correct else AGAIN, correct, True, None, value, low, high,
                       measured, card.due)


@dataclass(frozen=True)
class Due:
    """A card with the question it asks now (None if the course no longer has it)."""

    card: CardRow
    chapter: Chapter | None
    question: Question | None

    @property
    def kind(self) -> str:
        return self.card.kind


def due_cards(course: Course, cards: dict[tuple[str, str], CardRow], at: float | None = None) -> list[Due]:
    """The cards due at ``at`` (default now) whose question the course still has, the longest
    overdue first (ties: in course order)."""
    at = now() if at is None else at
    return [d for d in schedule(course, cards) if d.card.due <= at + SLACK]


def schedule(course: Course, cards: dict[tuple[str, str], CardRow]) -> list[Due]:
    """Every card whose question the course still has, by due time, then course order."""
    order: dict[tuple[str, str], int] = {}
    found: dict[tuple[str, str], tuple[Chapter, Question]] = {}
    for chapter in course.chapters:
        for q in chapter.quiz:
            order[(chapter.id, q.id)] = len(order)
            found[(chapter.id, q.id)] = (chapter, q)
    out = [Due(card, *found[key]) for key, card in cards.items() if key in found]
    out.sort(key=lambda d: (d.card.due, order[(d.card.chapter, d.card.question)]))
    return out


def due_now(record) -> int:
    """How many of the learner's cards are due now (0 without a record or a card)."""
    if record is None:
        return 0
    cards = record.cards()
    return len(due_cards(record.course, cards)) if cards else 0


def next_due(course: Course, cards: dict[tuple[str, str], CardRow], at: float | None = None) -> float | None:
    """When the next card falls due after ``at`` (None if none will)."""
    at = now() if at is None else at
    later = [d.card.due for d in schedule(course, cards) if d.card.due > at + SLACK]
    return min(later) if later else None


def when(due: float, at: float | None = None) -> str:
    """How far ``due`` is from ``at``, in words: "now", "in under a minute", "just now",
    "in 10 minutes", "in 3 days", "2 hours ago"."""
    at = now() if at is None else at
    delta = due - at
    if abs(delta) < 60:
        return "in under a minute" if delta > SLACK else "just now" if delta < -SLACK else "now"
    span = abs(delta)
    for size, unit in ((86400, "day"), (3600, "hour"), (60, "minute")):
        if span >= size * 0.95:  # 23 hours and some minutes read as a day
            n = round(span / size)
            text = f"{n} {unit}{'s' if n != 1 else ''}"
            return f"in {text}" if delta > 0 else f"{text} ago"
    return "now"


def moment(t: float) -> str:
    """A due time as a date to plan by, in local time: "Fri 4 Dec, 09:03"."""
    d = datetime.fromtimestamp(t)
    return f"{d:%a} {d.day} {d:%b}, {d:%H:%M}"


def due_phrase(due: float, at: float | None = None) -> str:
    """When a card is due, the one way every view says it: "due now", "due in 3 days (Mon 7 Dec, 09:03)"."""
    at = now() if at is None else at
    if due <= at + SLACK:
        return "due now"
    return f"due {when(due, at)} ({moment(due)})"


def due_summary(course: Course, cards: dict[tuple[str, str], CardRow], at: float | None = None) -> str:
    """What is due now and when the next card is due after those, in one sentence (the Overview,
    the end of a review, ``lmtui progress`` and ``lmtui review --due`` all say it so)."""
    at = now() if at is None else at
    if not cards:
        return ("No review cards yet: every quiz and predict question you answer becomes one; a wrong first answer "
                "is due at once, a right one after a few days.")
    n = len(due_cards(course, cards, at))
    later = next_due(course, cards, at)
    head = f"{n} card{'s are' if n != 1 else ' is'} due now" if n else "Nothing is due now"
    if later is None:
        return f"{head}."
    after = "" if not n else "after it " if n == 1 else "after those "
    return f"{head}; the next card {after}is {due_phrase(later, at)}."


def why_due(card: CardRow, at: float | None = None) -> str:
    """Why a card is back, from its last grading: missed (and when), or right and due to be recalled."""
    at = now() if at is None else at
    last = when(card.last_review, at) if card.last_review is not None else "before"
    missed = card.state != 2  # FSRS: Review (2) after a right answer; Learning or Relearning after a wrong one
    what = "prediction" if card.kind == "predict" else "answer"
    if card.reps <= 1:
        if missed:
            return (f"Back because your first {what} ({last}) was "
                    f"{'out of tolerance' if card.kind == 'predict' else 'wrong'}.")
        return f"Back to check it has stuck: your first {what} ({last}) was right; each right review spaces it further."
    if missed:
        return f"Back because you missed it in review ({last})."
    return f"Back to check it has stuck: right in review ({last}); each right review spaces it further."


REVIEW_SEEDS = range(5)  # the seeds a review draws from (tests/test_predict_questions.py checks each)


def draw_setting(question: Question, reps: int = 0) -> tuple[dict, int]:
    """A new experiment for reviewing a predict question: one of the settings its ``vary`` allows
    (never the chapter's own) and a seed other than the chapter's, drawn from the question and how
    often it was reviewed, so a review shown again before it is answered runs the same experiment.
    A question that declares nothing to vary runs its own parameters with another seed."""
    import random

    spec = question.predict
    assert spec is not None, "only a predict question runs an experiment"
    rng = random.Random(f"{question.id}:{question.fingerprint}:{reps}")
    settings = spec.settings()
    params = rng.choice(settings) if settings else spec.overrides
    return params, rng.choice([s for s in REVIEW_SEEDS if s != spec.seed])
