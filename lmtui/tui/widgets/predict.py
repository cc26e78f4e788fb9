"""A predict question: the learner predicts what a simulation will measure, then it runs and grades.

The card shows the setting (the simulation and its parameters) and asks for a number (enter, type,
enter) or, for a question with choices, a choice (1-4). Predict first: before a committed prediction
the card cannot run (the run key only says so) and shows no chart of its setting. The first committed prediction goes up as
``PredictCard.Predicted``; the app records it and hands the card the prediction in force, and the
card runs the simulation (its own ``SimRunner``, as the figure view's, with its live chart) at the
question's parameters. When the run ends the card posts ``PredictCard.Measured``; the app grades
the prediction in the learner's record and hands it back: the card then shows the prediction, the
theory's value, the measurement, whether it was within tolerance, and the explanation.
"""

from __future__ import annotations

import math
from typing import Any

from rich.table import Table
from textual import events
from textual.app import ComposeResult
from textual.binding import Binding
from textual.message import Message
from textual.widget import Widget
from textual.widgets import Input, Static

from lmtui.core.course import Question
from lmtui.core.progress import Prediction
from lmtui.core.record import choice_number
from lmtui.tui.keys import keys_of
from lmtui.tui.services import services
from lmtui.tui.widgets.entry import EntryField
from lmtui.tui.widgets.simpane import ChartView
from lmtui.tui.widgets.runcost import start_checked
from lmtui.tui.widgets.simrun import SimRunner


def number(value: Any) -> float | None:
    """A finite float from a metric, or None."""
    try:
        f = float(value)
    except (TypeError, ValueError):
        return None
    return f if math.isfinite(f) else None


def parse_number(text: str) -> float | None:
    """What a learner types: 0.25, .25, 1e-3, 2/3, or a decimal comma (0,25)."""
    text = text.strip().replace(" ", "")
    if text.count(",") == 1 and "." not in text:
        text = text.replace(",", ".")
    if text.count("/") == 1:
        top, bottom = (number(part) for part in text.split("/"))
        return top / bottom if top is not None and bottom else None
    return number(text)


RANGE_SIGNS = ("+-", "+/-", "\u00b1")


def parse_prediction(text: str) -> tuple[float, float | None, float | None] | None:
    """A typed prediction: a number, or a number with the learner's range, ``3.5 +- 0.5`` (also
    ``+/-`` or ``\u00b1``): (value, low, high), low and high None without a range; None if it is
    not one."""
    for sign in RANGE_SIGNS:
        if sign in text:
            head, _, tail = text.partition(sign)
            value, spread = parse_number(head), parse_number(tail)
            if value is None or spread is None or spread < 0:
                return None
            return value, value - spread, value + spread
    value = parse_number(text)
    return None if value is None else (value, None, None)


def shown(value: float | None, unit: str = "") -> str:
    if value is None:
        return "n/a"
    text = f"{value:.4g}"
    return f"{text} {unit}".strip()


def shown_prediction(p: Prediction, unit: str = "") -> str:
    """A numeric prediction as the learner gave it: the number, and their range if any."""
    if p.low is None or p.high is None or p.value is None:
        return shown(p.value, unit)
    return f"{shown(p.value)} +- {(p.high - p.low) / 2:.3g} {unit}".strip()


def range_note(p: Prediction) -> str:
    """Whether the measurement fell inside the learner's range ("" without one)."""
    holds = p.range_holds()
    if holds is None:
        return ""
    return "; it fell inside your range" if holds else "; it fell outside your range"


# what an empty field shows: the two forms a prediction takes; the field is wide enough for all of it
NUMBER_HINT = "a number, e.g. 0.25 or 3.5 +- 0.5"


class PredictInput(EntryField):
    DEFAULT_CSS = f"""
    PredictInput, PredictInput:focus {{ width: {len(NUMBER_HINT) + 1}; height: 1; border: none; padding: 0; background: $boost; }}
    """
    BINDINGS = [
        Binding("enter", "submit", "Commit", id="predict-commit", tooltip="commit the typed prediction"),
        Binding("escape", "cancel", "Cancel", id="predict-cancel", tooltip="leave without predicting"),
    ]


class PredictCard(Widget, can_focus=True):
    DEFAULT_CSS = """
    PredictCard { height: auto; padding: 0 1; margin-bottom: 1; border-left: blank; }
    PredictCard:focus, PredictCard:focus-within { border-left: thick $accent; background: $boost; }
    PredictCard > .q-prompt { text-style: bold; }
    PredictCard > .p-setting { color: $text-muted; }
    PredictCard > .p-entry { height: auto; layout: horizontal; margin-top: 1; }
    PredictCard > .p-entry > .p-label { width: auto; padding-right: 1; }
    PredictCard > ChartView { height: 14; min-height: 8; display: none; }
    PredictCard.-charted > ChartView { display: block; }
    PredictCard > .q-feedback { margin-top: 1; margin-bottom: 1; }
    PredictCard.-right > .q-feedback { color: $success; }
    PredictCard.-wrong > .q-feedback { color: $warning; }
    """
    BINDINGS = [
        Binding("enter", "predict", "Predict", id="predict-type", tooltip="type your prediction (a number)"),
        Binding("s", "run", "Run", id="predict-run", tooltip="run the simulation (again) to see it, once you have predicted"),
        Binding("v", "next_panel", "Panel", id="predict-panel", tooltip="the chart's next panel (when they do not all fit)"),
        *(Binding(str(n), f"choose({n})", f"Choose {n}", id=f"predict-{n}", group=Binding.Group("Choose"),
                  tooltip="predict with this choice") for n in range(1, 5)),
    ]

    class Predicted(Message):
        def __init__(self, card: PredictCard, chapter_id: str, question: Question, value: float | None, choice: int | None,
                     low: float | None = None, high: float | None = None) -> None:
            super().__init__()
            self.card, self.chapter_id, self.question, self.value, self.choice = card, chapter_id, question, value, choice
            self.low, self.high = low, high

    class Measured(Message):
        def __init__(self, card: PredictCard, chapter_id: str, question: Question, measured: float | None,
                     theory: float | None) -> None:
            super().__init__()
            self.card, self.chapter_id, self.question = card, chapter_id, question
            self.measured, self.theory = measured, theory

    def __init__(self, chapter_id: str, index: int, question: Question, prediction: Prediction | None) -> None:
        super().__init__()
        self.chapter_id, self.index, self.question = chapter_id, index, question
        self.spec = question.predict
        self.prediction = prediction if prediction is not None and prediction.fingerprint == question.fingerprint else None
        self.changed = prediction is not None and self.prediction is None
        self.result = None  # the last run's Result, when it ran this session
        self.error: str | None = None
        self._prompt = Static(f"Q{index + 1}. Predict, then run: {question.prompt}", classes="q-prompt", markup=False)
        self._setting = Static("", classes="p-setting", markup=False)
        self._label = Static("", classes="p-label", markup=False)
        self._entry = Widget(self._label, classes="p-entry")
        self._choices = Static("", classes="q-choices", markup=False)
        self._chart = ChartView()
        self._feedback = Static("", classes="q-feedback", markup=False)
        self.runner = SimRunner(self)

    def allow_focus(self) -> bool:
        """Not before its parts are mounted: a key for a card focused in between (a quiz built
        while keys arrive) would act on parts that are not there (enter mounts the number field
        into its entry row)."""
        return self.is_mounted

    def in_view(self) -> bool:
        """Still in the quiz: not removed (nor being removed) since a message of it was sent."""
        return self.is_attached and self.display

    def compose(self) -> ComposeResult:
        yield self._prompt
        yield self._setting
        if self.question.choices:
            yield self._choices
        else:
            yield self._entry
        yield self._feedback  # the verdict first, the chart under it
        yield self._chart

    def on_mount(self) -> None:
        from lmtui.sims.registry import TITLES

        title = TITLES.get(self.spec.sim, self.spec.sim)
        plain = services(self).plain
        self._setting.update(plain(self.setting_text(title)))
        self._chart.placeholder = plain(title)
        self.refresh_view()
        if self.prediction is None or self.prediction.correct is None:  # a run is to come
            self.runner.warm(self.spec.sim)

    def setting_text(self, title: str) -> str:
        """What runs: the simulation, its parameters and seed, and what the learner predicts."""
        spec = self.spec
        params = ", ".join(f"{k} = {self._value(v)}" for k, v in spec.params) or "the defaults"
        return f"Simulation: {title} ({spec.sim}); {params}; seed {spec.seed}. You predict: {spec.metric}."

    @staticmethod
    def _value(v: Any) -> str:
        return ",".join(str(x) for x in v) if isinstance(v, tuple) else str(v)

    # -- what is shown ----------------------------------------------------------------------------
    @property
    def state(self) -> str:
        p = self.prediction
        if p is None:
            return "changed" if self.changed else "unanswered"
        if p.correct is None:
            return "predicted"
        return "right" if p.correct else "wrong"

    def _choice_table(self) -> Table:
        p = self.prediction
        chosen = choice_number(self.question, p.choice) if p else None
        measured_bin = self.spec.bin_of(p.measured) if p is not None and p.measured is not None else None
        table = Table.grid(padding=(0, 1))
        table.add_column(width=1, no_wrap=True)
        table.add_column(no_wrap=True)
        table.add_column(ratio=1)
        for i, choice in enumerate(self.question.choices, start=1):
            mark, note = " ", ""
            if measured_bin == i:
                mark, note = "*", " (what the run measured)" if chosen != i else " (your prediction, right)"
            elif chosen == i:
                mark, note = ">", " (your prediction)"
            table.add_row(mark, f"{i})", choice + note)
        return table

    def how_to_predict(self) -> str:
        """The keys that commit a prediction and what counts as right, said alike in quiz and review."""
        q, key = self.question, services(self).key_hint
        if q.choices:
            return f"Press {key('predict-1')}-{key(f'predict-{len(q.choices)}')} to choose."
        return (f"Press {key('predict-type')} and type a number, with your range if you like (3.5 +- 0.5); "
                f"{self.spec.tolerance_text()} of the measurement counts as right.")

    def _feedback_text(self) -> str:
        q, spec, p = self.question, self.spec, self.prediction
        key, plain = services(self).key_hint, services(self).plain
        if self.error:
            return f"The simulation failed: {self.error}. Your prediction is kept; {key('predict-run')} tries again."
        if p is None:
            how = self.how_to_predict()
            first = " Your first prediction is the one that counts; the simulation runs once it is in."
            if self.changed:
                return f"The question changed since you predicted. {how}{first}"
            return f"Work it out from the chapter, then commit your prediction. {how}{first}"
        yours = p.choice if q.choices else shown_prediction(p, spec.unit)
        if p.correct is None:
            if self.running:
                return f"Your prediction: {plain(yours)}. Running the simulation..."
            return f"Your prediction: {plain(yours)}. {key('predict-run')} runs the simulation to grade it."
        verdict = f"{spec.tolerance_text()}: right" if p.correct else f"not {spec.tolerance_text()}"
        if q.choices:
            head = f"[{'right' if p.correct else 'wrong'}] You predicted: {yours}. Measured {spec.metric} = {shown(p.measured, spec.unit)}"
        else:
            head = (f"[{'right' if p.correct else 'wrong'}] You predicted {shown_prediction(p, spec.unit)}; "
                    f"the theory says {shown(p.theory, spec.unit)}; the run measured {shown(p.measured, spec.unit)}: "
                    f"{verdict}{range_note(p)}")
        return plain(f"{head}. {self.explanation_text()}")

    def explanation_text(self) -> str:
        """The question's explanation, shown once the prediction is graded."""
        return self.question.explanation

    def refresh_view(self) -> None:
        state = self.state
        p = self.prediction
        if self.question.choices:
            self._choices.update(self._choice_table())
        elif not self.query(PredictInput):
            self._label.update(f"Your prediction: {shown_prediction(p, self.spec.unit)}" if p is not None
                               else "Your prediction: (none yet)")
        self._feedback.update(self._feedback_text())
        for name in ("right", "wrong"):
            self.set_class(state == name, f"-{name}")
        self.set_class(self.running or self.result is not None, "-charted")

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Only the keys this question takes are offered: a number or a choice, and v when the chart
        shows one panel at a time."""
        if action == "predict":
            return not self.question.choices and self.prediction is None
        if action == "choose":
            return (bool(self.question.choices) and self.prediction is None
                    and int(str(parameters[0])) <= len(self.question.choices))
        if action == "next_panel":
            return self._chart.chart is not None and self._chart.single
        if action == "run":  # predict first: nothing to run (or see) before a committed prediction
            return self.prediction is not None
        return True

    def on_key(self, event: events.Key) -> None:
        """The run key before a prediction is not offered (the footer) but still answers: it says
        why, instead of doing nothing."""
        if self.prediction is None and event.key in keys_of(self.app, "predict-run") and not self.query(PredictInput):
            event.stop()
            event.prevent_default()
            self.notify(self.predict_first_text(), timeout=3)

    def predict_first_text(self) -> str:
        key = services(self).key_hint
        how = f"{key('predict-1')}-{len(self.question.choices)}" if self.question.choices else key("predict-type")
        return f"Predict first ({how}): the simulation runs once your prediction is in."

    def action_next_panel(self) -> None:
        self._chart.next_panel()

    # -- the learner's actions ----------------------------------------------------------------------
    def action_predict(self) -> None:
        if self.question.choices:
            self.notify(f"Choose with {services(self).key_hint('predict-1')}-{len(self.question.choices)}.", timeout=2)
            return
        if self.prediction is not None:
            self.notify("Your first prediction is the one that counts.", timeout=2)
            return
        if self.query(PredictInput):
            return
        field = PredictInput(placeholder=NUMBER_HINT)
        self._entry.mount(field)
        field.focus()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        parsed = parse_prediction(event.value)
        if parsed is None:
            self._feedback.update(services(self).plain(f"{event.value.strip()!r} is not a number: type one like 0.25, 3 or "
                                                       f"1e-3, with your range if you like (3.5 +- 0.5); escape leaves it."))
            return
        for field in self.query(PredictInput):
            field.remove()
        self.focus()
        value, low, high = parsed
        self.post_message(self.Predicted(self, self.chapter_id, self.question, value, None, low, high))

    def on_entry_field_cancelled(self, event: EntryField.Cancelled) -> None:
        event.stop()
        for field in self.query(PredictInput):
            field.remove()
        self.focus()
        self.refresh_view()

    def action_choose(self, n: int) -> None:
        if not self.question.choices:
            self.notify(f"This question wants a number: {services(self).key_hint('predict-type')} to type it.", timeout=2)
            return
        if n > len(self.question.choices):
            self.notify(f"This question has {len(self.question.choices)} choices.", severity="warning", timeout=2)
            return
        if self.prediction is not None:
            self.notify("Your first prediction is the one that counts.", timeout=2)
            return
        self.post_message(self.Predicted(self, self.chapter_id, self.question, None, n))

    def show_prediction(self, prediction: Prediction | None) -> None:
        """The prediction in force (from the record); runs the simulation if it is not graded yet."""
        self.prediction, self.changed = prediction, False
        self.refresh_view()
        self.refresh_bindings()
        if prediction is not None and prediction.correct is None and not self.running:
            self.action_run()

    def action_run(self) -> None:
        if self.running:
            return
        if self.prediction is None:
            self.notify(self.predict_first_text(), timeout=3)
            return
        self.error = None
        start_checked(self, self.runner, self.spec.sim, self.spec.overrides, self.spec.seed, started=self._started)

    def _started(self) -> None:
        self.refresh_view()
        self.call_after_refresh(self.scroll_visible, animate=False)

    @property
    def running(self) -> bool:
        return self.runner.running

    def on_unmount(self) -> None:
        self.runner.stop()

    def on_sim_runner_frame(self, message: SimRunner.Frame) -> None:
        if self.runner.is_current(message):
            self.runner.last_frame = message.frame
            self._chart.show(message.chart)

    def on_sim_runner_finished(self, message: SimRunner.Finished) -> None:
        if not self.runner.ended(message):
            return
        self.result = result = message.result
        self._chart.show(message.chart, f"DIVERGED at step {result.diverged_at}" if result.diverged else None)
        spec = self.spec
        measured = number(result.metrics.get(spec.metric))
        theory = number(result.prediction.get(spec.theory or spec.metric)) if (spec.theory or spec.metric) in result.prediction else None
        self.refresh_view()
        self.post_message(self.Measured(self, self.chapter_id, self.question, measured, theory))

    def on_sim_runner_failed(self, message: SimRunner.Failed) -> None:
        if not self.runner.ended(message):
            return
        self.error = str(message.error)
        self.refresh_view()
