"""The Review view: the questions due again, across chapters, the longest overdue first.

A quiz question is asked again as it is now; a predict question comes back as a new experiment:
one of the settings its ``vary`` allows and a new seed (``lmtui.core.review.draw_setting``). The
learner predicts first, the run grades it. Each grading moves the card (``LearnerRecord.review``)
and is logged; the chapter's first answers and predictions, which make its score, are never
touched: the cards' messages stop here, before the app's chapter handlers.

A card answered wrong is due again at once: it goes to the back of this session's queue. When
nothing is left, the view says when the next cards are due.
"""

from __future__ import annotations

import json

from textual import events
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import Screen
from textual.widgets import Static

from lmtui.core.clock import now as clock_now
from lmtui.core.progress import Answer, Prediction
from lmtui.core.record import LearnerRecord, grade
from lmtui.core.review import Due, draw_setting, due_cards, due_phrase, due_summary, moment, schedule, when, why_due
from lmtui.tui import textual_fixes
from lmtui.tui.keys import keys_of
from lmtui.tui.services import RecordChange, services
from lmtui.tui.widgets.predict import PredictCard
from lmtui.tui.widgets.quiz import QuestionCard

UPCOMING = 5  # how many of the next cards the end of a session lists


def _value(v) -> str:
    return ",".join(str(x) for x in v) if isinstance(v, (list, tuple)) else str(v)


class ReviewQuestionCard(QuestionCard):
    """A quiz question asked again: graded here, never as the chapter's answer. Once graded, its
    number keys are no longer offered (the footer shows the next card's key instead)."""

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "answer" and self.answer is not None:
            return False
        return super().check_action(action, parameters)

    def on_key(self, event: events.Key) -> None:
        if self.answer is not None and any(event.key in keys_of(self.app, f"answer-{k}") for k in range(1, 5)):
            event.stop()
            event.prevent_default()
            self.notify(f"This card is graded: {services(self).key_hint('review-next')} brings the next one.", timeout=2)
            return
        super().on_key(event)

    def _feedback_text(self) -> str:
        if self.answer is None:
            n = len(self.question.choices)
            key = services(self).key_hint
            return f"Press {key('answer-1')}-{key(f'answer-{n}')} to answer. This review moves the card; your chapter score stays as it is."
        return super()._feedback_text()


class ReviewPredictCard(PredictCard):
    """A predict question as a new experiment: its setting drawn for this review."""

    def __init__(self, chapter_id: str, index: int, question, original) -> None:
        super().__init__(chapter_id, index, question, None)
        self.original = original  # the question as the chapter asks it

    def _changed(self) -> list[tuple[str, str, str]]:
        """The parameters this review changes: (name, the chapter's value, this experiment's)."""
        own, drawn = dict(self.original.predict.params), self.spec.params
        return [(k, _value(own[k]) if k in own else "its default", _value(v)) for k, v in drawn if own.get(k) != v]

    def setting_text(self, title: str) -> str:
        own, drawn = self.original.predict, self.spec
        changed = [f"{k} = {new} (the chapter's: {old})" for k, old, new in self._changed()] or ["the chapter's parameters"]
        return (f"A new experiment: {', '.join(changed)}, seed {drawn.seed} (the chapter's: {own.seed}). "
                f"{super().setting_text(title)}")

    def explanation_text(self) -> str:
        changed = ", ".join(f"{k} = {old}" for k, old, _new in self._changed())
        if not changed:
            return super().explanation_text()
        return f"Worked at the chapter's setting ({changed}): {super().explanation_text()}"

    def _feedback_text(self) -> str:
        if self.prediction is None and not self.error:
            return f"Work it out for this setting, then commit your prediction. {self.how_to_predict()} The run grades it."
        return super()._feedback_text()


class ReviewScreen(Screen):
    DEFAULT_CSS = """
    ReviewScreen { layout: vertical; }
    ReviewScreen > .review-title { height: 1; padding: 0 1; background: $primary-background; color: $text; text-style: bold; }
    ReviewScreen > .review-status { height: auto; padding: 0 1; color: $text-muted; }
    ReviewScreen > VerticalScroll { height: 1fr; padding: 0 1; }
    ReviewScreen .review-done { padding: 1 1; }
    """
    BINDINGS = [
        Binding("n", "next_card", "Next card", id="review-next", tooltip="the next card due (once this one is graded)"),
        Binding("escape", "close", "Back", id="review-close", tooltip="back to the course"),
        Binding("j", "scroll_card(1)", "Scroll", show=False, id="review-down", tooltip="scroll the card down a line"),
        Binding("k", "scroll_card(-1)", "Scroll", show=False, id="review-up", tooltip="scroll the card up a line"),
    ]

    def __init__(self, at: float | None = None) -> None:
        super().__init__()
        self.at = at  # a fixed "now" (tests); None: the clock
        self.queue: list[Due] = []
        self.current: Due | None = None
        self.graded = False
        self.done = 0  # gradings this session
        self.seen: set[tuple[str, str]] = set()  # the cards graded this session
        self.card: QuestionCard | PredictCard | None = None
        self._title = Static("", classes="review-title", markup=False)
        self._status = Static("", classes="review-status", markup=False)
        self._body = VerticalScroll()

    @property
    def record(self) -> LearnerRecord:
        record = services(self).record
        if record is None:
            raise LookupError("review needs the learner's record")
        return record

    def now(self) -> float:
        return clock_now() if self.at is None else self.at

    def compose(self) -> ComposeResult:
        yield self._title
        yield self._status
        yield self._body
        yield textual_fixes.LeanFooter(compact=True, show_command_palette=False)

    def on_mount(self) -> None:
        if services(self).ascii_only:
            self.add_class("-ascii")
        record = self.record
        self.queue = due_cards(record.course, record.cards(), self.now())
        self._show_next()

    # -- the queue -------------------------------------------------------------------------------
    def _show_next(self) -> None:
        self.graded = False
        self._body.remove_children()
        self.card = None
        if not self.queue:  # cards that fell due while this session went on come next
            record = self.record
            self.queue = due_cards(record.course, record.cards(), self.now())
        self.current = self.queue.pop(0) if self.queue else None
        if self.current is None:
            self._show_done()
            self.refresh_bindings()
            return
        due = self.current
        chapter, question = due.chapter, due.question
        index = chapter.quiz.index(question)
        if question.predict is None:
            self.card = ReviewQuestionCard(chapter.id, index, question, None)
        else:
            self.card = ReviewPredictCard(chapter.id, index, question.at_setting(*draw_setting(question, due.card.reps)),
                                          question)
        self.call_later(self._focus_card, self.card, self._body.mount(self.card))
        self._update_title()
        self.refresh_bindings()

    async def _focus_card(self, card, mounting) -> None:
        """The card takes the keys once it is mounted (a predict card refuses the focus before),
        unless the next one has replaced it or the learner has left the review."""
        await mounting
        if card is self.card and card.is_attached and self.is_current:
            card.focus()

    def action_scroll_card(self, lines: int) -> None:
        """j and k read a card taller than the screen, as down and up do (and j and k in the text)."""
        self._body.scroll_relative(y=lines, animate=False)

    def _update_title(self) -> None:
        due = self.current
        left = len(self.queue)
        if due is None:
            self._title.update("Review")
            return
        self._title.update(services(self).plain(
            f"Review | {due.chapter.order} {due.chapter.title} | due {when(due.card.due, self.now())} | "
            f"{self.done} answered, {left} more after this"))
        if not self.graded:
            self._status.update(why_due(due.card, self.now()))

    def _show_done(self) -> None:
        record = self.record
        now = self.now()
        cards = record.cards()
        upcoming = [d for d in schedule(record.course, cards) if d.card.due > now][:UPCOMING]
        key = services(self).key_hint
        lines = []
        if self.done:
            n = len(self.seen)
            lines += [f"Review done: {self.done} answer{'s' if self.done != 1 else ''} this session, "
                      f"{n} card{'s' if n != 1 else ''}.", ""]
        lines.append(due_summary(record.course, cards, now))
        if upcoming:
            lines += ["", "Coming up:"]
            width = max(len(when(d.card.due, now)) for d in upcoming)
            dates = max(len(moment(d.card.due)) for d in upcoming)
            for d in upcoming:
                lines.append(f"  {when(d.card.due, now):>{width}}  {moment(d.card.due):<{dates}}  {d.chapter.order} {d.chapter.title}: "
                             f"Q{d.chapter.quiz.index(d.question) + 1} ({d.kind})")
            lines += ["", f"Come back then: {key('review')} in the course, or `lmtui review`."]
        lines += ["", f"{key('review-close')}: back to the course."]
        self._title.update("Review")
        self._status.update("")
        self._body.mount(Static(services(self).plain("\n".join(lines)), classes="review-done", markup=False))

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "next_card":
            return self.graded and self.current is not None
        return True

    def action_next_card(self) -> None:
        if not self.graded:
            self.notify("Answer this card first: it is graded, then the next one comes.", timeout=3)
            return
        self._show_next()

    def action_close(self) -> None:
        if self.card is not None and isinstance(self.card, PredictCard):
            self.card.runner.stop()
        self.dismiss()

    # -- gradings (stopped here: never the chapter's answers) ------------------------------------
    def _graded(self, correct: bool, **logged) -> None:
        record = self.record
        due = self.current
        try:
            card = record.review(due.chapter, due.question, correct, at=self.now(), **logged)
        except Exception as e:  # StoreError: the session goes on, the learner is told
            self.notify(str(e), severity="error", timeout=6)
            card = None
        self.graded = True
        self.done += 1
        self.seen.add((due.chapter.id, due.question.id))
        # the chapter's status is unchanged; the views that count cards due follow the change
        services(self).record_changes(RecordChange(due.chapter.id, record.status(due.chapter.id), due.question.id))
        if card is not None and card.due <= self.now():
            # wrong: due again at once, after the rest of this session's cards
            self.queue.append(Due(card, due.chapter, due.question))
        key = services(self).key_hint
        verdict = "Right" if correct else "Not this time"
        nxt = (f"next {due_phrase(card.due, self.now())}" if card is not None and card.due > self.now()
               else "due again now; it comes back at the end of this session")
        more = f"{key('review-next')}: next card" if self.queue else f"{key('review-next')}: finish"
        self._status.update(services(self).plain(f"{verdict}: {nxt}. {more}."))
        self._update_title()
        self.refresh_bindings()

    def on_question_card_answered(self, event: QuestionCard.Answered) -> None:
        event.stop()
        if self.graded or self.current is None:
            self.notify("This card is graded; the next one is a key away.", timeout=2)
            return
        q = event.question
        correct = event.choice == q.answer
        event.card.show(Answer(q.key_of(event.choice), correct, q.fingerprint))
        self._graded(correct)

    def on_predict_card_predicted(self, event: PredictCard.Predicted) -> None:
        event.stop()
        q = event.question
        text = q.key_of(event.choice) if event.choice is not None else None
        event.card.show_prediction(Prediction(event.value, text, q.fingerprint, self.now(), low=event.low, high=event.high))

    def on_predict_card_measured(self, event: PredictCard.Measured) -> None:
        event.stop()
        card = event.card
        p = card.prediction
        if p is None or self.graded:
            return
        correct = grade(event.question, p, event.measured)
        graded = Prediction(p.value, p.choice, p.fingerprint, p.predicted_at, event.measured, event.theory, correct,
                            self.now(), p.low, p.high)
        card.show_prediction(graded)
        spec = event.question.predict
        setting = json.dumps({"params": spec.overrides, "seed": spec.seed})
        self._graded(correct, setting=setting, value=p.value, low=p.low, high=p.high, measured=event.measured)
