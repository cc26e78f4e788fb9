"""The quiz: one focusable card per question; keys 1-4 answer the focused card."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.message import Message
from textual.widget import Widget
from textual.widgets import Static

from ..course import Chapter, Question
from ..progress import Answer


class QuestionCard(Widget, can_focus=True):
    DEFAULT_CSS = """
    QuestionCard { height: auto; padding: 0 1; margin-bottom: 1; border-left: outer $panel; }
    QuestionCard:focus { border-left: outer $accent; background: $boost; }
    QuestionCard > .q-prompt { text-style: bold; }
    QuestionCard > .q-feedback { margin-top: 1; }
    QuestionCard.-right > .q-feedback { color: $success; }
    QuestionCard.-wrong > .q-feedback { color: $warning; }
    """
    BINDINGS = [
        Binding(str(n), f"answer({n})", f"Answer {n}", show=n == 1, id=f"answer-{n}") for n in range(1, 5)
    ]

    class Answered(Message):
        def __init__(self, chapter_id: str, question: int, choice: int, correct: bool) -> None:
            super().__init__()
            self.chapter_id, self.question, self.choice, self.correct = chapter_id, question, choice, correct

    def __init__(self, chapter_id: str, index: int, question: Question, answer: Answer | None) -> None:
        super().__init__()
        self.chapter_id, self.index, self.question, self.answer = chapter_id, index, question, answer
        # kept, not queried: a key can arrive while the card is being replaced
        self._choices = Static(self._choices_text(), classes="q-choices", markup=False)
        self._feedback = Static(self._feedback_text(), classes="q-feedback", markup=False)

    def compose(self) -> ComposeResult:
        yield Static(f"Q{self.index + 1}. {self.question.prompt}", classes="q-prompt", markup=False)
        yield self._choices
        yield self._feedback

    def on_mount(self) -> None:
        self._apply_classes()

    def _choices_text(self) -> str:
        lines = []
        for i, choice in enumerate(self.question.choices, start=1):
            mark = ">" if self.answer and self.answer.choice == i else " "
            lines.append(f"{mark} {i}) {choice}")
        return "\n".join(lines)

    def _feedback_text(self) -> str:
        if self.answer is None:
            n = len(self.question.choices)
            return f"Press 1-{n} to answer."
        q = self.question
        if self.answer.correct:
            head = f"[right] {self.answer.choice} is correct."
        else:
            head = f"[wrong] You chose {self.answer.choice}; the answer is {q.answer}."
        return f"{head} {q.explanation}".strip()

    def _apply_classes(self) -> None:
        self.set_class(self.answer is not None and self.answer.correct, "-right")
        self.set_class(self.answer is not None and not self.answer.correct, "-wrong")

    def action_answer(self, choice: int) -> None:
        if choice > len(self.question.choices):
            self.notify(f"This question has {len(self.question.choices)} choices.", severity="warning", timeout=2)
            return
        correct = choice == self.question.answer
        self.answer = Answer(choice, correct)
        self._choices.update(self._choices_text())
        self._feedback.update(self._feedback_text())
        self._apply_classes()
        self.post_message(self.Answered(self.chapter_id, self.index, choice, correct))


class QuizPane(VerticalScroll):
    DEFAULT_CSS = """
    QuizPane { height: 1fr; padding: 0 1; }
    QuizPane > .quiz-score { color: $text-muted; margin-bottom: 1; }
    """
    BINDINGS = [
        Binding("j,down", "focus_next_card", "Next question", show=False),
        Binding("k,up", "focus_previous_card", "Prev question", show=False),
    ]

    def __init__(self, chapter: Chapter, answers: dict[int, Answer], **kwargs) -> None:
        super().__init__(**kwargs)
        self.chapter, self.answers = chapter, dict(answers)
        self.built = False

    def reset(self, chapter: Chapter, answers: dict[int, Answer]) -> None:
        """Hold ``chapter``'s quiz instead, unbuilt (a chapter switch in place)."""
        self.chapter, self.answers, self.built = chapter, dict(answers), False
        self.remove_children()
        self.scroll_home(animate=False)

    def build(self) -> None:
        """The cards are made the first time the quiz is shown: chapter switches stay cheap."""
        if self.built or not self.is_attached:
            return
        self.built = True
        widgets: list[Widget] = [Static(self._score_text(), classes="quiz-score", markup=False)]
        if not self.chapter.quiz:
            widgets.append(Static("This chapter has no quiz questions.", markup=False))
        widgets += [QuestionCard(self.chapter.id, i, q, self.answers.get(i)) for i, q in enumerate(self.chapter.quiz)]
        self.mount_all(widgets)

    def _score_text(self) -> str:
        total = len(self.chapter.quiz)
        right = sum(1 for a in self.answers.values() if a.correct)
        return f"Quiz: {right}/{total} right, {len(self.answers)}/{total} answered. tab: next question, 1-4: answer."

    def on_question_card_answered(self, event: QuestionCard.Answered) -> None:
        self.answers[event.question] = Answer(event.choice, event.correct)
        for score in self.query(".quiz-score"):
            score.update(self._score_text())

    def focus_first(self) -> None:
        if not self.built:
            self.build()
            self.call_after_refresh(self.focus_first)
            return
        cards = list(self.query(QuestionCard))
        unanswered = [c for c in cards if c.answer is None]
        target = (unanswered or cards or [None])[0]
        if target is not None:
            target.focus()
        else:
            self.focus()

    def _move(self, delta: int) -> None:
        cards = list(self.query(QuestionCard))
        if not cards:
            return
        focused = self.screen.focused
        i = cards.index(focused) if focused in cards else -1
        target = cards[max(0, min(len(cards) - 1, i + delta))]
        target.focus()
        target.scroll_visible(animate=False)

    def action_focus_next_card(self) -> None:
        self._move(1)

    def action_focus_previous_card(self) -> None:
        self._move(-1)
