"""The quiz: one focusable card per question; keys 1-4 answer the focused card.

Attributes down, messages up: a card shows the stored answer it is given (``show``) and posts
``QuestionCard.Answered`` when the learner presses a number; the app records it in the learner's
record and hands the card the stored answer back. The score line follows the record's
``record_changed`` signal. The first answer counts; later presses are
practice, shown as such. After an answer the right choice is marked in the list in text, and the
focused card carries a visible bar (so NO_COLOR and --ascii show which question 1-4 will answer).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.table import Table
from textual import events
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.message import Message
from textual.widget import Widget
from textual.widgets import Static

from lmtui.core.course import Chapter, Question
from lmtui.core.progress import Answer, Prediction
from lmtui.core.record import ChapterStatus, choice_number, question_state
from lmtui.tui.keys import keys_of
from lmtui.tui.services import RecordChange, services
from lmtui.tui.widgets.reader import MAX_WIDTH

if TYPE_CHECKING:
    from lmtui.tui.widgets.predict import PredictCard

YOURS, RIGHT = ">", "*"


class QuestionCard(Widget, can_focus=True):
    DEFAULT_CSS = """
    QuestionCard { height: auto; padding: 0 1; margin-bottom: 1; border-left: blank; }
    QuestionCard:focus { border-left: thick $accent; background: $boost; }
    QuestionCard > .q-prompt { text-style: bold; }
    QuestionCard > .q-feedback { margin-top: 1; }
    QuestionCard.-right > .q-feedback { color: $success; }
    QuestionCard.-wrong > .q-feedback { color: $warning; }
    QuestionCard.-changed > .q-feedback { color: $text-muted; }
    """
    # one footer entry for the choices there are: "1 2 3 4 Answer" (check_action)
    BINDINGS = [
        Binding(str(n), f"answer({n})", f"Answer {n}", id=f"answer-{n}", group=Binding.Group("Answer"))
        for n in range(1, 5)
    ]

    class Answered(Message):
        def __init__(self, card: QuestionCard, chapter_id: str, question: Question, choice: int) -> None:
            super().__init__()
            self.card, self.chapter_id, self.question, self.choice = card, chapter_id, question, choice

    def __init__(self, chapter_id: str, index: int, question: Question, answer: Answer | None) -> None:
        super().__init__()
        self.chapter_id, self.index, self.question, self.answer = chapter_id, index, question, answer
        self.practice: tuple[int, bool] | None = None  # the latest practice try this session
        # kept, not queried: a key can arrive while the card is being replaced
        self._prompt = Static(f"Q{index + 1}. {question.prompt}", classes="q-prompt", markup=False)
        self._choices = Static(self._choices_table(), classes="q-choices", markup=False)
        self._feedback = Static(self._feedback_text(), classes="q-feedback", markup=False)

    def allow_focus(self) -> bool:
        """Not before its parts are mounted (see PredictCard.allow_focus)."""
        return self.is_mounted

    def compose(self) -> ComposeResult:
        yield self._prompt
        yield self._choices
        yield self._feedback

    def on_mount(self) -> None:
        self._apply_classes()

    @property
    def state(self) -> str:
        return question_state(self.question, self.answer)

    def _choice_rows(self) -> list[tuple[str, str, str]]:
        """(mark, number, text) per choice: after an answer, the right one is marked in text."""
        state = self.state
        chosen = choice_number(self.question, self.answer.choice) if self.answer else None
        rows = []
        for i, choice in enumerate(self.question.choices, start=1):
            mark, note = " ", ""
            if state in ("right", "wrong"):
                if i == self.question.answer:
                    mark, note = RIGHT, " (your answer, right)" if i == chosen else " (right answer)"
                elif i == chosen:
                    mark, note = YOURS, " (your answer)"
            rows.append((mark, f"{i})", choice + note))
        return rows

    def _choices_text(self) -> str:
        return "\n".join(" ".join(row) for row in self._choice_rows())

    def _choices_table(self) -> Table:
        """The choices with a hanging indent: a long choice wraps under its own text."""
        table = Table.grid(padding=(0, 1))
        table.add_column(width=1, no_wrap=True)
        table.add_column(no_wrap=True)
        table.add_column(ratio=1)
        for row in self._choice_rows():
            table.add_row(*row)
        return table

    def _feedback_text(self) -> str:
        q, a = self.question, self.answer
        n = len(q.choices)
        state = self.state
        key = services(self).key_hint
        keys = f"{key('answer-1')}-{key(f'answer-{n}')}"
        if state == "unanswered":
            return f"Press {keys} to answer. Your first answer is the one that counts."
        if state == "changed":
            return (f"The question changed since you answered (you chose: {services(self).plain(a.choice)}). "
                    f"Press {keys} to answer it as it is now.")
        chosen = choice_number(q, a.choice)
        if state == "right":
            head = f"[right] {chosen} is correct."
        else:
            head = f"[wrong] You chose {chosen}; the answer is {q.answer} (marked {RIGHT})."
        practice = ""
        if self.practice is not None:
            choice, correct = self.practice
            practice = f" Practice try: {choice} is {'right' if correct else 'wrong'}; your first answer is the one that counts."
        return f"{head}{practice} {q.explanation}".strip()

    def _apply_classes(self) -> None:
        state = self.state
        for name in ("right", "wrong", "changed"):
            self.set_class(state == name, f"-{name}")

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Only the numbers of this question's choices are offered (a question of three: "1 2 3 Answer")."""
        if action == "answer":
            return int(str(parameters[0])) <= len(self.question.choices)
        return True

    def on_key(self, event: events.Key) -> None:
        """A number past the last choice is not offered (the footer) but still answers: it says how
        many choices there are, instead of doing nothing."""
        n = len(self.question.choices)
        past = next((k for k in range(n + 1, 5) if event.key in keys_of(self.app, f"answer-{k}")), None)
        if past is not None:
            event.stop()
            event.prevent_default()
            self.action_answer(past)  # which says so

    def action_answer(self, choice: int) -> None:
        if choice > len(self.question.choices):
            self.notify(f"This question has {len(self.question.choices)} choices.", severity="warning", timeout=2)
            return
        self.post_message(self.Answered(self, self.chapter_id, self.question, choice))

    def show(self, answer: Answer | None, practice: tuple[int, bool] | None = None) -> None:
        """Show ``answer`` (as stored) and, if the last press was a practice try, that try."""
        self.answer, self.practice = answer, practice
        self._choices.update(self._choices_table())
        self._feedback.update(self._feedback_text())
        self._apply_classes()


class QuizPane(VerticalScroll):
    # lines at most MAX_WIDTH columns, as in the text: a card's bar and padding take 3 more
    DEFAULT_CSS = f"""
    QuizPane {{ height: 1fr; padding: 0 1; }}
    QuizPane > * {{ max-width: {MAX_WIDTH}; }}
    QuizPane > QuestionCard, QuizPane > PredictCard {{ max-width: {MAX_WIDTH + 3}; }}
    QuizPane > .quiz-score {{ color: $text-muted; margin-bottom: 1; }}
    """
    BINDINGS = [
        Binding("j,down", "focus_next_card", "Next question", show=False, id="quiz-next", tooltip="next question"),
        Binding("k,up", "focus_previous_card", "Previous question", show=False, id="quiz-previous", tooltip="previous question"),
    ]

    def __init__(self, chapter: Chapter, answers: dict[str, Answer], status: ChapterStatus | None = None,
                 predictions: dict[str, Prediction] | None = None, **kwargs) -> None:
        super().__init__(**kwargs)
        self.chapter, self.answers, self.status = chapter, dict(answers), status
        self.predictions = dict(predictions or {})
        self.built = False
        self._score = Static("", classes="quiz-score", markup=False)

    def reset(self, chapter: Chapter, answers: dict[str, Answer], status: ChapterStatus | None = None,
              predictions: dict[str, Prediction] | None = None) -> None:
        """Hold ``chapter``'s quiz instead, unbuilt (a chapter switch in place)."""
        self.chapter, self.answers, self.status, self.built = chapter, dict(answers), status, False
        self.predictions = dict(predictions or {})
        self.remove_children()
        self._score = Static("", classes="quiz-score", markup=False)
        self.scroll_home(animate=False)

    def build(self) -> None:
        """The cards are made the first time the quiz is shown: chapter switches stay cheap."""
        if self.built or not self.is_attached:
            return
        self.built = True
        self._score.update(self._score_text())
        widgets: list[Widget] = [self._score]
        if not self.chapter.quiz:
            widgets.append(Static("This chapter has no quiz questions.", markup=False))
        from lmtui.tui.widgets.predict import PredictCard

        for i, q in enumerate(self.chapter.quiz):
            if q.predict is None:
                widgets.append(QuestionCard(self.chapter.id, i, q, self.answers.get(q.id)))
            else:
                widgets.append(PredictCard(self.chapter.id, i, q, self.predictions.get(q.id)))
        self.mount_all(widgets)

    def cards(self) -> list[QuestionCard | PredictCard]:
        from lmtui.tui.widgets.predict import PredictCard

        return [c for c in self.children if isinstance(c, (QuestionCard, PredictCard))]

    def _score_text(self) -> str:
        s = self.status
        if s is None:
            return ""
        changed = f", {s.changed} to answer again (changed)" if s.changed else ""
        predicted = (f"; predictions: {s.predicted_right}/{s.predict_total} right, {s.predicted}/{s.predict_total} run"
                     if s.predict_total else "")
        key = services(self).key_hint
        return (f"Quiz: {s.correct}/{s.total} right, {s.answered}/{s.total} answered{changed}{predicted}. "
                f"{key('quiz-next')}: next question, {key('answer-1')}-{key('answer-4')}: answer the marked one.")

    def on_unmount(self) -> None:
        services(self).release_keys(self)

    def on_mount(self) -> None:
        seen = services(self)
        seen.record_changed.subscribe(self, self._record_changed)
        if seen.record is not None:  # the chapter may have been read while the quiz was not shown
            self.show_status(seen.record.status(self.chapter.id))

    def _record_changed(self, change: RecordChange) -> None:
        if change.chapter_id != self.chapter.id:
            return
        record = services(self).record
        if record is not None and change.question_id is not None:  # for cards made later
            self.answers = dict(record.answers(self.chapter.id))
            self.predictions = dict(record.predictions(self.chapter.id))
        self.show_status(change.status)

    def show_status(self, status: ChapterStatus) -> None:
        self.status = status
        self._score.update(self._score_text())

    def focus_first(self) -> None:
        if not (self.is_attached and self.display):  # the learner has moved on to another view meanwhile
            services(self).release_keys(self)
            return
        cards = self.cards() if self.built else []
        if not self.built or not all(c.is_mounted for c in cards):
            # the cards take the focus once they are mounted; keys typed meanwhile (j j 2, read
            # together with the z that showed the quiz) wait for them instead of going astray
            services(self).hold_keys(self)
            self.build()
            self.call_after_refresh(self.focus_first)
            return
        services(self).release_keys(self)
        unanswered = [c for c in cards if c.state in ("unanswered", "changed")]
        target = (unanswered or cards or [None])[0]
        if target is None:
            self.focus()
        elif target is cards[0]:  # the top of the quiz, its score line in view
            target.focus(scroll_visible=False)
            self.scroll_home(animate=False)
        else:
            target.focus()

    def _move(self, delta: int) -> None:
        cards = self.cards()
        if not cards:
            return
        focused = self.screen.focused
        i = cards.index(focused) if focused in cards else -1
        target = cards[max(0, min(len(cards) - 1, i + delta))]
        target.focus(scroll_visible=False)
        # scrolled once laid out: a card answered just before (keys read together) grows only then,
        # and scrolling by its old height would leave the marked card below the view
        self.call_after_refresh(self._scroll_into_view, target)

    def _scroll_into_view(self, card: Widget) -> None:
        if self.display and card.is_attached and card is self.screen.focused:
            card.scroll_visible(animate=False, immediate=True)

    def action_focus_next_card(self) -> None:
        self._move(1)

    def action_focus_previous_card(self) -> None:
        self._move(-1)
