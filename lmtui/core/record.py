"""The learner's record: one headless model of what the learner did in a course.

It joins the course (what there is to do) with the progress store (what was done): chapters read,
quiz answers, predictions, scores, chapter statuses, review cards and the learner's place. The app renders it and
sends back the learner's actions (``answer``, ``predict``, ``mark_read``, ``set_place``); nothing
else writes to the store. No Textual import here (a test enforces it).

Each action updates the in-memory record first and then writes through; a write that fails raises
:class:`~lmtui.core.progress.StoreError` after the record is updated, so the session goes on and the
caller can tell the learner that progress could not be saved.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Literal, cast

from lmtui.core.course import Chapter, Course, Question
from lmtui.core.progress import Answer, CardRow, LegacyAnswer, Prediction, ProgressStore, ReviewEntry

View = Literal["text", "figure", "quiz"]
VIEWS: tuple[View, ...] = ("text", "figure", "quiz")
LEGACY_QUIZZES = Path(__file__).resolve().parent / "legacy"

AnswerState = Literal["unanswered", "right", "wrong", "changed"]


@dataclass(frozen=True)
class ChapterStatus:
    """What the table of contents and the quiz header show for one chapter."""

    read: bool
    correct: int  # first answers that were right, to questions as they are now
    answered: int  # questions answered (as they are now)
    total: int  # multiple-choice questions
    predicted: int = 0  # predict questions with a graded prediction
    predicted_right: int = 0
    predict_total: int = 0
    changed: int = 0  # answers to questions that changed since

    def line(self) -> str:
        mark = "[x]" if self.read else "[ ]"
        score = f"{self.correct}/{self.total}" if self.answered else f" -/{self.total}"
        text = f"{mark} {score:>5}"
        guess = ""
        if self.predict_total:
            guess = f"p{self.predicted_right}/{self.predict_total}" if self.predicted else f"p-/{self.predict_total}"
        return f"{text} {guess:>4}"  # the same width with or without predictions: the column lines up


@dataclass(frozen=True)
class Outcome:
    """What an answer did: whether it counted (a first answer) and whether it was right."""

    correct: bool
    counted: bool


def course_key(content_dir: str | Path | None) -> str:
    """How the progress store knows a course: "builtin", or the course folder's full path."""
    return "builtin" if content_dir is None else str(Path(content_dir).resolve())


def question_state(question: Question, answer: Answer | None) -> AnswerState:
    if answer is None:
        return "unanswered"
    if answer.fingerprint != question.fingerprint:
        return "changed"
    return "right" if answer.correct else "wrong"


def choice_number(question: Question, key: str | None) -> int | None:
    """The 1-based position a stored choice has now (choices are known by their text)."""
    return question.number_of(key)


class LearnerRecord:
    def __init__(self, course: Course, store: ProgressStore, course_key: str = "builtin") -> None:
        self.course, self.store, self.course_key = course, store, course_key
        self.migrated = 0  # schema-1 answers mapped on this open
        self.migration_error: str | None = None
        self._adopt_legacy()
        self._answers: dict[str, dict[str, Answer]] = store.all_answers()
        self._predictions: dict[str, dict[str, Prediction]] = store.all_predictions()
        self._read: set[str] = store.read_chapters()
        self._written: dict[str, str] = {}  # state this record wrote (skipped when unchanged)
        self._cards: dict[tuple[str, str], CardRow] = store.all_cards()
        self.card_error: str | None = None
        self._adopt_formerly()
        self._make_missing_cards()

    # -- schema-1 answers ------------------------------------------------------------------------
    def _legacy_quiz(self) -> dict[str, list[dict]]:
        """The quizzes the schema-1 answers were given to: for the built-in course, the quizzes as
        lmtui 0.1.0 shipped them (package data); for another course, its files as they are now."""
        if self.course_key == "builtin":
            path = LEGACY_QUIZZES / "quiz-0.1.0.json"
            try:
                return json.loads(path.read_text(encoding="utf-8"))
            except (OSError, ValueError):
                return {}
        return {c.id: [{"id": q.id, "prompt": q.prompt, "choices": list(q.choices), "answer": q.answer} for q in c.quiz]
                for c in self.course.chapters}

    def _adopt_legacy(self) -> None:
        from lmtui.core.progress import StoreError

        legacy = self.store.legacy_answers()
        if not legacy:
            return
        quizzes = self._legacy_quiz()
        rows: list[tuple[LegacyAnswer, str, str, str]] = []
        for old in legacy:
            asked = quizzes.get(old.chapter, [])
            if not 0 <= old.question < len(asked):
                continue  # nothing to map it to: it stays in legacy_answer, untouched
            q = asked[old.question]
            if not 1 <= old.choice <= len(q["choices"]):
                continue
            then = Question(q["id"], q["prompt"], tuple(q["choices"]), q["answer"], "")
            rows.append((old, q["id"], q["choices"][old.choice - 1], then.fingerprint))
        try:
            self.store.adopt_legacy(rows)
            self.migrated = len(rows)
        except StoreError as e:
            self.migration_error = str(e)

    # -- reworded questions ----------------------------------------------------------------------
    def _adopt_formerly(self) -> None:
        """Answers, predictions and cards given to an earlier edition of a question that asked the
        same thing (its fingerprint is in the question's ``formerly``) are the question's now:
        their fingerprint is brought up to date in the store, then here. A choice no longer
        offered is left as it was (the question is asked again)."""
        from lmtui.core.progress import StoreError

        rows: list[tuple[str, str, str, str, str]] = []
        for chapter in self.course.chapters:
            for q in chapter.quiz:
                if not q.formerly:
                    continue
                a = self._answers.get(chapter.id, {}).get(q.id)
                if a is not None and a.fingerprint != q.fingerprint and q.asked_as(a.fingerprint, a.choice):
                    rows.append(("answer", chapter.id, q.id, a.fingerprint, q.fingerprint))
                p = self._predictions.get(chapter.id, {}).get(q.id)
                if p is not None and p.fingerprint != q.fingerprint and q.asked_as(p.fingerprint, p.choice):
                    rows.append(("prediction", chapter.id, q.id, p.fingerprint, q.fingerprint))
                card = self._cards.get((chapter.id, q.id))
                if card is not None and card.fingerprint in q.formerly:
                    rows.append(("card", chapter.id, q.id, card.fingerprint, q.fingerprint))
        try:
            self.store.adopt_fingerprints(rows)
        except StoreError as e:  # kept as they were: the questions are asked again
            self.card_error = str(e)
            return
        for table, chapter_id, qid, _old, new in rows:
            if table == "answer":
                self._answers[chapter_id][qid] = replace(self._answers[chapter_id][qid], fingerprint=new)
            elif table == "prediction":
                self._predictions[chapter_id][qid] = replace(self._predictions[chapter_id][qid], fingerprint=new)
            else:
                self._cards[(chapter_id, qid)] = replace(self._cards[(chapter_id, qid)], fingerprint=new)

    # -- review cards ----------------------------------------------------------------------------
    def _make_missing_cards(self) -> None:
        """A card for every first answer and graded prediction that has none (a store upgraded from
        schema 2, or a write that failed), graded as it was then."""
        from lmtui.core.progress import StoreError

        made: list[tuple[CardRow, ReviewEntry]] = []
        for chapter in self.course.chapters:
            for q in chapter.quiz:
                if (chapter.id, q.id) in self._cards:
                    continue
                if q.predict is None:
                    a = self._answers.get(chapter.id, {}).get(q.id)
                    if a is not None:
                        made.append(self._new_card(chapter.id, q.id, "quiz", a.fingerprint, a.correct, a.answered_at))
                else:
                    p = self._predictions.get(chapter.id, {}).get(q.id)
                    if p is not None and p.correct is not None:
                        made.append(self._new_card(chapter.id, q.id, "predict", p.fingerprint, p.correct,
                                                   p.measured_at or p.predicted_at, p))
        if made:
            try:
                self._save_cards(made)
            except StoreError as e:
                self.card_error = str(e)

    @staticmethod
    def _new_card(chapter_id: str, qid: str, kind: str, fingerprint: str, correct: bool, at: float,
                  p: Prediction | None = None) -> tuple[CardRow, ReviewEntry]:
        from lmtui.core.review import first_entry, grade_card

        card = grade_card(None, chapter_id, qid, kind, fingerprint, correct, at)
        if p is None:
            return card, first_entry(card, correct, at)
        return card, first_entry(card, correct, at, p.value, p.low, p.high, p.measured)

    def _save_cards(self, made: list[tuple[CardRow, ReviewEntry]]) -> None:
        for card, _entry in made:
            self._cards[(card.chapter, card.question)] = card
        self.store.save_review([c for c, _ in made], [e for _, e in made])

    def cards(self) -> dict[tuple[str, str], CardRow]:
        return dict(self._cards)

    def card(self, chapter_id: str, question_id: str) -> CardRow | None:
        return self._cards.get((chapter_id, question_id))

    def review(self, chapter: Chapter, question: Question, correct: bool, setting: str | None = None,
               value: float | None = None, low: float | None = None, high: float | None = None,
               measured: float | None = None, at: float | None = None) -> CardRow:
        """A review of ``question`` was graded: the card moves on and the review is logged. The
        chapter's answers and predictions (the first ones, which count) are not touched."""
        from lmtui.core.review import grade_card

        at = _now() if at is None else at
        kind = "quiz" if question.predict is None else "predict"
        card = grade_card(self._cards.get((chapter.id, question.id)), chapter.id, question.id, kind,
                          question.fingerprint, correct, at)
        from lmtui.core.review import AGAIN, GOOD

        entry = ReviewEntry(chapter.id, question.id, at, GOOD if correct else AGAIN, correct, False, setting, value, low,
                            high, measured, card.due)
        self._save_cards([(card, entry)])
        return card

    # -- reading ---------------------------------------------------------------------------------
    def answers(self, chapter_id: str) -> dict[str, Answer]:
        return dict(self._answers.get(chapter_id, {}))

    def predictions(self, chapter_id: str) -> dict[str, Prediction]:
        return dict(self._predictions.get(chapter_id, {}))

    def answer_state(self, chapter_id: str, question: Question) -> AnswerState:
        return question_state(question, self._answers.get(chapter_id, {}).get(question.id))

    def prediction(self, chapter_id: str, question: Question) -> Prediction | None:
        """The learner's prediction for ``question`` as it is now (None if none, or it changed)."""
        p = self._predictions.get(chapter_id, {}).get(question.id)
        return p if p is not None and p.fingerprint == question.fingerprint else None

    def is_read(self, chapter_id: str) -> bool:
        return chapter_id in self._read

    def status(self, chapter_id: str) -> ChapterStatus:
        chapter = self.course.by_id(chapter_id)
        if chapter is None:
            return ChapterStatus(False, 0, 0, 0)
        states = [self.answer_state(chapter_id, q) for q in chapter.quiz if q.predict is None]
        graded = [p for q in chapter.quiz if q.predict is not None
                  if (p := self.prediction(chapter_id, q)) is not None and p.correct is not None]
        return ChapterStatus(
            read=chapter_id in self._read,
            correct=states.count("right"),
            answered=states.count("right") + states.count("wrong"),
            total=len(states),
            predicted=len(graded),
            predicted_right=sum(bool(p.correct) for p in graded),
            predict_total=sum(q.predict is not None for q in chapter.quiz),
            changed=states.count("changed"),
        )

    def statuses(self) -> dict[str, ChapterStatus]:
        return {c.id: self.status(c.id) for c in self.course.chapters}

    # -- the learner's actions -------------------------------------------------------------------
    def answer(self, chapter: Chapter, question: Question, choice: int) -> Outcome:
        """The learner picked choice ``choice`` (1-based, as shown). The first answer counts."""
        text = question.key_of(choice)
        correct = choice == question.answer
        old = self._answers.get(chapter.id, {}).get(question.id)
        counted = old is None or old.fingerprint != question.fingerprint
        if counted:
            new = Answer(text, correct, question.fingerprint)
        else:
            new = Answer(old.choice, old.correct, old.fingerprint, old.answered_at, old.tries + 1, text, correct)
        self._answers.setdefault(chapter.id, {})[question.id] = new
        self.store.record_answer(chapter.id, question.id, text, correct, question.fingerprint)
        if counted:  # the first answer (to the question as it is now) makes its review card
            self._save_cards([self._new_card(chapter.id, question.id, "quiz", question.fingerprint, correct, _now())])
        return Outcome(correct, counted)

    def predict(self, chapter: Chapter, question: Question, value: float | None = None, choice: int | None = None,
                low: float | None = None, high: float | None = None) -> Prediction:
        """The learner committed a prediction (a number, with an optional range ``low``..``high``,
        or a choice for a predict question with choices). The first one is kept; the prediction in
        force is returned."""
        current = self.prediction(chapter.id, question)
        if current is not None:
            return current
        text = question.key_of(choice) if choice is not None else None
        made = Prediction(value, text, question.fingerprint, _now(), low=low, high=high)
        self._predictions.setdefault(chapter.id, {})[question.id] = made
        self.store.record_prediction(chapter.id, question.id, value, text, question.fingerprint, low, high)
        return made

    def grade(self, chapter: Chapter, question: Question, measured: float | None, theory: float | None) -> Prediction | None:
        """The run finished: record what it measured and grade the prediction (once)."""
        current = self.prediction(chapter.id, question)
        if current is None or question.predict is None:
            return None
        if current.correct is not None:
            return current
        correct = grade(question, current, measured)
        graded = Prediction(current.value, current.choice, current.fingerprint, current.predicted_at,
                            measured, theory, correct, _now(), current.low, current.high)
        self._predictions[chapter.id][question.id] = graded
        self.store.record_measurement(chapter.id, question.id, question.fingerprint, measured, theory, correct)
        self._save_cards([self._new_card(chapter.id, question.id, "predict", question.fingerprint, correct,
                                         graded.measured_at or _now(), graded)])
        return graded

    def mark_read(self, chapter_id: str) -> bool:
        """Record that the chapter was read to its last page; True if that is news."""
        if chapter_id in self._read:
            return False
        self._read.add(chapter_id)
        self.store.mark_read(chapter_id)
        return True

    # -- the learner's place ---------------------------------------------------------------------
    def place(self) -> tuple[str | None, int, View]:
        """Where to open: the last chapter (or the first), its page and its view."""
        chapter_id = self.store.get_state("last_chapter")
        if chapter_id is None or self.course.by_id(chapter_id) is None:
            chapter_id = self.course.chapters[0].id if self.course.chapters else None
        if chapter_id is None:
            return None, 0, "text"
        view = self.store.get_state(f"view:{chapter_id}", "text")
        return chapter_id, self.page(chapter_id), cast(View, view) if view in VIEWS else "text"

    def page(self, chapter_id: str) -> int:
        raw = self.store.get_state(f"page:{chapter_id}", "0") or "0"
        try:
            return max(0, int(raw))
        except ValueError:
            return 0

    def set_place(self, chapter_id: str, page: int | None = None, view: View | None = None) -> None:
        self._set_state("last_chapter", chapter_id)
        if page is not None:
            self._set_state(f"page:{chapter_id}", str(page))
        if view is not None:
            self._set_state(f"view:{chapter_id}", view)

    # -- where the learner was inside a chapter: figure, scroll, each figure's settings ----------
    def figure(self, chapter_id: str) -> int:
        """The figure last shown in the chapter (the view wraps it to the figures there are)."""
        return self._int_state(f"figure:{chapter_id}")

    def set_figure(self, chapter_id: str, index: int) -> None:
        self._set_state(f"figure:{chapter_id}", str(max(0, int(index))))

    def scroll(self, chapter_id: str, page: int) -> int:
        """The line the text was scrolled to, if the learner left the chapter on ``page``."""
        raw = self.store.get_state(f"scroll:{chapter_id}") or ""
        at, _, line = raw.partition(":")
        return self._int(line) if self._int(at, -1) == page else 0

    def set_scroll(self, chapter_id: str, page: int, line: int) -> None:
        self._set_state(f"scroll:{chapter_id}", f"{max(0, int(page))}:{max(0, int(line))}")

    def figure_settings(self, chapter_id: str, sim: str) -> tuple[dict[str, str], str | None]:
        """The parameters (as typed: name -> text) and seed the learner last set on a figure; the
        caller validates them against the simulation as it is now and drops what does not apply."""
        try:
            data = json.loads(self.store.get_state(f"settings:{chapter_id}:{sim}") or "{}")
        except ValueError:
            return {}, None
        if not isinstance(data, dict):
            return {}, None
        params = data.get("params")
        params = {str(k): str(v) for k, v in params.items()} if isinstance(params, dict) else {}
        seed = data.get("seed")
        return params, (str(seed) if seed is not None else None)

    def set_figure_settings(self, chapter_id: str, sim: str, params: dict[str, str], seed: str) -> None:
        self._set_state(f"settings:{chapter_id}:{sim}", json.dumps({"params": params, "seed": seed}, sort_keys=True))

    def _int_state(self, key: str) -> int:
        return max(0, self._int(self.store.get_state(key) or "0"))

    @staticmethod
    def _int(raw: str, default: int = 0) -> int:
        try:
            return int(raw)
        except ValueError:
            return default

    def _set_state(self, key: str, value: str) -> None:
        """Write through, but only what changed (a chapter switch or a page turn is a key press:
        no needless transaction)."""
        if self._written.get(key) != value:
            self.store.set_state(key, value)
            self._written[key] = value

    def warnings(self) -> list[str]:
        out = [w for w in (self.store.warning, self.store.damaged_warning(), self.migration_error, self.card_error) if w]
        return out


def grade(question: Question, prediction: Prediction, measured: float | None) -> bool:
    """Whether ``prediction`` is right against what the run ``measured``."""
    spec = question.predict
    if spec is None:
        raise ValueError(f"question {question.id} is not a predict question")
    if measured is None:
        return False
    if spec.bins:
        return choice_number(question, prediction.choice) == spec.bin_of(measured)
    return prediction.value is not None and spec.within(prediction.value, measured)


def _now() -> float:
    from lmtui.core.clock import now

    return now()
