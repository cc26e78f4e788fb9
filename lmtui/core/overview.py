"""Where the learner stands: per chapter and for the course, from the learner's record.

One model for ``lmtui progress`` and the Overview view: per chapter whether it was read, the quiz's
first-answer score, the predictions within tolerance, the review cards due; the course's totals;
the questions missed (first answer wrong, prediction out of tolerance); and how good the learner's
predictions are: how often the measurement fell inside the range they gave, and how far their
point predictions were from it, in the chapters and in review. No Textual import here.
"""

from __future__ import annotations

import statistics
from dataclasses import asdict, dataclass, field

from lmtui.core.clock import now
from lmtui.core.record import LearnerRecord
from lmtui.core.review import due_cards, due_summary, next_due, schedule


@dataclass(frozen=True)
class Missed:
    chapter: str
    question: str
    kind: str  # "quiz" or "predict"
    prompt: str
    number: int  # the question's 1-based place in its chapter's quiz
    recovered: bool = False  # answered right in its last review since

    @property
    def label(self) -> str:
        """What kind of question, and whether a review has put it right since: "quiz", "predict, right in review since"."""
        return f"{self.kind}, right in review since" if self.recovered else self.kind


def error_text(share: float) -> str:
    """A relative error as a percentage that never reads as none when there was some: "17%",
    "0.3%", "under 0.1%"."""
    if share == 0 or share >= 0.0095:
        return f"{share:.0%}"
    return f"{share:.1%}" if share >= 0.001 else "under 0.1%"


@dataclass
class Calibration:
    """How good the predictions are: ranges that held the measurement, and point errors (relative)."""

    ranges: int = 0  # graded numeric predictions that carried a range
    inside: int = 0  # of those, the measurement fell inside
    errors: list[float] = field(default_factory=list)  # |prediction - measured| / |measured|, each graded number
    in_review: int = 0  # of the graded numbers, those made in review (a new experiment each)

    def count(self, value: float, measured: float, low: float | None, high: float | None, review: bool = False) -> None:
        """One graded numeric prediction, with the learner's range if they gave one."""
        self.errors.append(abs(value - measured) / max(abs(measured), 1e-12))
        self.in_review += int(review)
        if low is not None and high is not None:
            self.ranges += 1
            self.inside += int(low - 1e-12 <= measured <= high + 1e-12)

    @property
    def median_error(self) -> float | None:
        return statistics.median(self.errors) if self.errors else None

    def add(self, other: Calibration) -> None:
        self.ranges += other.ranges
        self.inside += other.inside
        self.errors += other.errors
        self.in_review += other.in_review

    def sentence(self) -> str:
        """The learner's calibration in words: how often their ranges held the measurement, and
        how far off their numbers typically were."""
        if not self.errors:
            return "No numeric prediction has been run yet."
        n = len(self.errors)
        points = (f"Your one number was off by {error_text(self.median_error)} of the measurement." if n == 1 else
                  f"Your numbers were off by {error_text(self.median_error)} of the measurement (the median of {n}: half "
                  f"were closer, half further).")
        if self.in_review:
            points += f" That includes {self.in_review} made in review, each at a new setting."
        if not self.ranges:
            return f"{points} Give a range with your number (3.5 +- 0.5) to see how often it holds the measurement."
        return (f"The measurement fell inside your range {self.inside} time{'s' if self.inside != 1 else ''} "
                f"of {self.ranges} ({self.inside / self.ranges:.0%}): a range you are fairly sure of should hold it "
                f"about 9 times in 10. {points}")


@dataclass
class ChapterRow:
    id: str
    order: int
    title: str
    read: bool
    quiz_right: int
    quiz_answered: int
    quiz_total: int
    predict_right: int
    predict_graded: int
    predict_total: int
    due: int
    cards: int
    calibration: Calibration = field(default_factory=Calibration)


@dataclass
class Overview:
    at: float
    chapters: list[ChapterRow]
    missed: list[Missed]
    calibration: Calibration
    next_due: float | None
    due_text: str = ""  # what is due now and when the next card is due, in a sentence

    def total(self, name: str) -> int:
        return sum(getattr(c, name) for c in self.chapters)

    def where(self, missed: Missed) -> str:
        """Where a missed question is, as the Overview and `lmtui progress` name it: "1 Seven Desiderata, Q3 (quiz)"."""
        chapter = next((c for c in self.chapters if c.id == missed.chapter), None)
        head = f"{chapter.order} {chapter.title}" if chapter is not None else missed.chapter
        return f"{head}, Q{missed.number} ({missed.label})"

    @property
    def read(self) -> int:
        return sum(c.read for c in self.chapters)

    def to_json(self) -> dict:
        def cal(c: Calibration) -> dict:
            return {"ranges": c.ranges, "inside": c.inside, "numeric_graded": len(c.errors), "in_review": c.in_review,
                    "median_relative_error": c.median_error}

        rows = []
        for c in self.chapters:
            row = {k: v for k, v in asdict(c).items() if k != "calibration"}
            row["calibration"] = cal(c.calibration)
            rows.append(row)
        totals = {name: self.total(name) for name in ("quiz_right", "quiz_answered", "quiz_total", "predict_right",
                                                       "predict_graded", "predict_total", "due", "cards")}
        totals["read"] = self.read
        totals["chapters"] = len(self.chapters)
        return {"at": self.at, "chapters": rows, "totals": totals, "missed": [asdict(m) for m in self.missed],
                "calibration": cal(self.calibration), "calibration_text": self.calibration.sentence(),
                "next_due": self.next_due, "due_text": self.due_text}


def overview(record: LearnerRecord, at: float | None = None) -> Overview:
    at = now() if at is None else at
    cards = record.cards()
    held: dict[str, int] = {}
    for d in schedule(record.course, cards):
        held[d.card.chapter] = held.get(d.card.chapter, 0) + 1
    due_by_chapter: dict[str, int] = {}
    for d in due_cards(record.course, cards, at):
        due_by_chapter[d.card.chapter] = due_by_chapter.get(d.card.chapter, 0) + 1
    numeric = {(c.id, q.id) for c in record.course.chapters for q in c.quiz if q.predict is not None and not q.choices}
    reviewed: dict[str, list] = {}  # per chapter: the numeric predictions graded in review
    for e in record.store.review_log():
        if not e.first and e.value is not None and e.measured is not None and (e.chapter, e.question) in numeric:
            reviewed.setdefault(e.chapter, []).append(e)
    def recovered(chapter_id: str, question_id: str) -> bool:
        card = cards.get((chapter_id, question_id))
        return card is not None and card.reps > 1 and card.state == 2  # FSRS Review: the last grading was right

    rows: list[ChapterRow] = []
    missed: list[Missed] = []
    total = Calibration()
    for chapter in record.course.chapters:
        status = record.status(chapter.id)
        cal = Calibration()
        for n, q in enumerate(chapter.quiz, start=1):
            if q.predict is None:
                if record.answer_state(chapter.id, q) == "wrong":
                    missed.append(Missed(chapter.id, q.id, "quiz", q.prompt, n, recovered(chapter.id, q.id)))
                continue
            p = record.prediction(chapter.id, q)
            if p is None or p.correct is None:
                continue
            if not p.correct:
                missed.append(Missed(chapter.id, q.id, "predict", q.prompt, n, recovered(chapter.id, q.id)))
            if p.value is not None and p.measured is not None and not q.choices:
                cal.count(p.value, p.measured, p.low, p.high)
        for e in reviewed.get(chapter.id, ()):
            cal.count(e.value, e.measured, e.low, e.high, review=True)
        total.add(cal)
        rows.append(ChapterRow(chapter.id, chapter.order, chapter.title, status.read, status.correct, status.answered,
                               status.total, status.predicted_right, status.predicted, status.predict_total,
                               due_by_chapter.get(chapter.id, 0), held.get(chapter.id, 0), cal))
    return Overview(at, rows, missed, total, next_due(record.course, cards, at), due_summary(record.course, cards, at))
