"""A live simulation: keyboard-edited parameters, a streamed chart, theory beside measurement.

Data flow: the pane owns the parameter values (attributes down to the rows); rows post
``ParamRow.Changed`` up; ``s`` runs the simulation through the pane's ``SimRunner`` (streamed
frames, cancelled by a parameter change, a stop or leaving the chapter). What is on screen
is always labelled: a result whose parameters have changed since is marked stale, a stopped run
leaves the last finished result in view, and the last finished result survives leaving the chapter.
"""

from __future__ import annotations

import time
from dataclasses import replace
from pathlib import Path
from typing import Any

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.events import Resize
from textual.message import Message
from textual.widget import Widget
from textual.visual import VisualType
from textual.widgets import Input, Static

from lmtui.core.asciitext import clamp
from lmtui.tui.services import FigureState, services
from lmtui.tui.widgets.entry import EntryField
from lmtui.tui.widgets.runcost import ConfirmRun, start_checked
from lmtui.tui.widgets.simrun import SimRunner

__all__ = ["ChartView", "FigureState", "ParamInput", "ParamRow", "SimPane"]


class ChartView(Widget):
    """Renders a lmtui.sims Chart with plotext at whatever size the widget has."""

    DEFAULT_CSS = """
    ChartView { width: 1fr; height: 1fr; min-height: 8; }
    """

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.chart = None
        self.placeholder = ""
        self.diverged: str | None = None
        self.panel = 0  # which panel, when the terminal is too small to show them all
        self.single = False  # set on render: only one panel fits
        self._cache: tuple[int, int, int, int] | None = None
        self._text: Text = Text("")

    def show(self, chart, diverged: str | None = None) -> None:
        self.chart, self.diverged = chart, diverged
        self._cache = None
        self.refresh()

    def render(self) -> Text:
        from lmtui.core.charts import panels_fit, render_chart

        width, height = self.size.width, self.size.height
        if self.chart is None or width < 4 or height < 2:
            return Text(self.placeholder, style="dim")
        key = (id(self.chart), width, height, self.panel)
        if key != self._cache:
            color, ascii_only = services(self).chart_style()
            chart = replace(self.chart, caption="")  # the verdict line below the chart says it
            single = not panels_fit(chart, width, height, self.diverged)
            if single != self.single:
                self.single = single
                self.call_after_refresh(self.screen.refresh_bindings)  # show or hide "v Panel"
            n = len(chart.panels)
            # the hint is drawn whole; a long panel title is shortened to make room for it
            hint = f"[v: panel {self.panel % n + 1}/{n}]" if self.single and n else None
            out = render_chart(chart, width, height, color=color, ascii_only=ascii_only, diverged_message=self.diverged,
                               panel=self.panel if self.single else None, hint=hint)
            self._text = Text.from_ansi(out, no_wrap=True, overflow="crop")
            self._cache = key
        return self._text

    def on_resize(self, event: Resize) -> None:
        self._cache = None

    def next_panel(self) -> None:
        self.panel += 1
        self.refresh()


class ParamInput(EntryField):
    """The field a parameter's value is typed into."""

    DEFAULT_CSS = """
    ParamInput, ParamInput:focus { width: 1fr; height: 1; border: none; padding: 0; background: $boost; }
    """
    BINDINGS = [
        Binding("enter", "submit", "Apply", id="param-apply", tooltip="apply the typed value"),
        Binding("escape", "cancel", "Cancel", id="param-cancel", tooltip="leave the value as it was"),
    ]


class VerdictLine(Static):
    """The verdict under the chart, in at most its two lines: a longer one (a sweep's, a narrow
    terminal) ends in an ellipsis there, so the learner sees that it goes on."""

    LINES = 2
    _full = ""

    def update(self, content: VisualType = "", *, layout: bool = True) -> None:
        self._full = str(content)
        self._fit()

    @property
    def text(self) -> str:
        """The whole verdict, as the simulation wrote it."""
        return self._full

    def on_resize(self) -> None:
        self._fit()

    def _fit(self) -> None:
        width = self.content_size.width
        text = clamp(self._full, width, self.LINES, services(self).ellipsis) if width > 0 else self._full
        super().update(text)


class ParamRow(Widget, can_focus=True):
    """One parameter: left/right or -/+ step it, enter types a value, escape cancels typing.

    The name column is as wide as the pane's longest name; a value that does not fit wraps onto
    the next lines (never cut)."""

    DEFAULT_CSS = """
    ParamRow { height: auto; layout: horizontal; padding: 0 1; }
    ParamRow:focus { background: $accent 30%; }
    ParamRow > .p-name { width: 16; }
    ParamRow > .p-value { width: 1fr; height: auto; }
    """
    BINDINGS = [
        # one footer entry for the pair: at 80 columns the figure view's keys must all fit
        Binding("right,plus,equals_sign,l", "nudge(1)", "Step", key_display="+/-", id="param-up", tooltip="step the marked parameter up"),
        Binding("left,minus,h", "nudge(-1)", "Less", show=False, id="param-down", tooltip="step the marked parameter down"),
        Binding("enter", "edit", "Type", key_display="enter", id="param-edit", tooltip="type a value (enter applies, escape cancels)"),
    ]

    class Changed(Message):
        def __init__(self, row: ParamRow, value: Any) -> None:
            super().__init__()
            self.row, self.value = row, value

    class Invalid(Message):
        def __init__(self, row: ParamRow, message: str) -> None:
            super().__init__()
            self.row, self.message = row, message

    class Sweep(Message):
        """A comma list typed into a number's field: run each value in turn."""

        def __init__(self, row: ParamRow, values: list[Any]) -> None:
            super().__init__()
            self.row, self.values = row, values

    def __init__(self, param, value: Any, name_width: int = 16, **kwargs) -> None:
        super().__init__(**kwargs)
        self.param, self.value = param, value
        self._name = Static(param.name, classes="p-name", markup=False)
        self._name.styles.width = name_width
        self._value_label = Static(self._shown(value), classes="p-value", markup=False)

    def compose(self) -> ComposeResult:
        yield self._name
        yield self._value_label

    @property
    def editing(self) -> bool:
        return bool(self.query(ParamInput))

    def _shown(self, value: Any) -> str:
        # a space after each comma lets a long list wrap between its numbers, never inside one
        return self.param.format(value).replace(",", ", ")

    def set_value(self, value: Any) -> None:
        self.value = value
        self._value_label.update(self._shown(value))

    def action_nudge(self, direction: int) -> None:
        if self.editing:
            return
        if self.param.kind in ("int_list", "float_list"):
            edit = services(self).key_hint("param-edit")
            self.post_message(self.Invalid(self, f"{self.param.name} is a list: press {edit} and type e.g. {self.param.format(self.value)}"))
            return
        new = self.param.nudge(self.value, direction)
        if new != self.value:
            self.set_value(new)
            self.post_message(self.Changed(self, new))

    def action_edit(self) -> None:
        if self.editing:
            return
        self._value_label.display = False
        field = ParamInput(self.param.format(self.value))
        self.mount(field)
        field.focus()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        from lmtui.sims.base import ParamError

        from lmtui.core.runs import parse_sweep

        try:
            sweep = parse_sweep(self.param, event.value)
            value = self.param.validate(event.value) if sweep is None else None
        except ParamError as e:
            self.post_message(self.Invalid(self, str(e)))
            return
        self._close_editor()
        if sweep is not None:
            self.post_message(self.Sweep(self, sweep))
            return
        self.set_value(value)
        self.post_message(self.Changed(self, value))

    def on_entry_field_cancelled(self, event: EntryField.Cancelled) -> None:
        event.stop()
        self._close_editor()

    def _close_editor(self) -> None:
        for field in self.query(ParamInput):
            field.remove()
        self._value_label.display = True
        self.focus()

    def on_descendant_blur(self) -> None:
        # leaving the field without enter abandons the edit
        self.call_after_refresh(self._abandon_if_unfocused)

    def _abandon_if_unfocused(self) -> None:
        if self.editing and not self.has_focus_within:
            for field in self.query(ParamInput):
                field.remove()
            self._value_label.display = True


class SimPane(Widget):
    DEFAULT_CSS = """
    SimPane { height: 1fr; layout: vertical; }
    SimPane > .sim-status { height: 1; padding: 0 1; background: $boost; }
    SimPane > .sim-verdict { height: auto; max-height: 2; padding: 0 1; }
    SimPane > .sim-verdict.-agrees { color: $success; }
    SimPane > .sim-verdict.-disagrees { color: $warning; }
    SimPane > .sim-verdict.-stale { color: $text-muted; }
    SimPane > .sim-body { height: 1fr; layout: vertical; }
    SimPane .sim-side { height: auto; }
    SimPane .sim-params { height: 6; border-top: solid $panel; }
    SimPane .sim-help { height: auto; max-height: 6; padding: 0 1; color: $text-muted; }
    SimPane .sim-help.-error { color: $error; }
    """
    # The side-by-side layout at 80+ columns depends on the screen's breakpoint class, which
    # scoped DEFAULT_CSS cannot see: those rules are in app.tcss.
    BINDINGS = [
        Binding("s", "toggle_run", "Run/stop", id="sim-run", tooltip="start or stop the simulation"),
        Binding("r", "reset", "Reset", id="sim-reset", tooltip="reset the parameters to their defaults"),
        Binding("v", "next_panel", "Panel", id="sim-panel", tooltip="next chart panel (when the terminal is too small for all)"),
        Binding("m", "pin", "Pin", show=False, id="sim-pin", tooltip="pin this run: the next runs are drawn over it, the legend says what differs"),
        Binding("M", "pin_previous", "Pin previous", show=False, id="sim-pin-previous", tooltip="pin the run before this one (the figure keeps the last few): draw it under this one"),
        Binding("x", "clear_runs", "Clear", show=False, id="sim-clear", tooltip="clear the pinned runs and the sweep from the chart"),
        Binding("e", "export", "Export", show=False, id="sim-export", tooltip="export the chart, data and command lines of the runs shown (lmtui locate: exports)"),
        Binding("y", "command_line", "Command", show=False, id="sim-command", tooltip="show the lmtui sim run command that reproduces this run"),
        Binding("down,j", "move_param(1)", "Next parameter", show=False, id="param-next", tooltip="next parameter"),
        Binding("up,k", "move_param(-1)", "Previous parameter", show=False, id="param-previous", tooltip="previous parameter"),
    ]

    def __init__(self, sim_name: str, chapter_id: str, replay: list[str] | None = None, **kwargs) -> None:
        super().__init__(**kwargs)
        from lmtui.sims.registry import get

        from lmtui.sims.base import Param

        self.sim = get(sim_name)
        self.seed_param = Param("seed", "int", 0, "random seed: same seed and parameters give the same run", min=0, max=2**31 - 1, step=1)
        self.chapter_id = chapter_id
        # the parts are kept, not queried: a pane replaced mid-mount must not look for children
        self._status = Static("", classes="sim-status", markup=False)
        self._chart = ChartView()
        self._help = Static("", classes="sim-help", markup=False)
        self._verdict = VerdictLine("", classes="sim-verdict", markup=False)
        saved = services(self).figure_state(chapter_id, sim_name)
        self.state = saved or self._last_session() or FigureState(self.sim.defaults(), 0)
        self.runner = SimRunner(self)
        if saved is None:
            self._apply_stored_settings()
        self.stopped_at: int | None = None  # the step a stopped run had reached
        self.command: str | None = None  # the command line last shown (y)
        self.exported: Path | None = None  # the folder of the last export (e)
        self.replay = list(replay or [])  # keys pressed for this pane before it existed
        names = [self.seed_param.name, *(p.name for p in self.sim.params)]
        self.name_width = min(18, max(len(n) for n in names) + 1)

    def _last_session(self) -> FigureState | None:
        """The simulation's last finished run of an earlier session, shown until the next run."""
        from lmtui.core.runs import load_last

        result = load_last(services(self).home, self.sim)
        if result is None:
            return None
        params = {p.name: result.params[p.name] for p in self.sim.params}
        return FigureState(params, result.seed, result, restored=True)

    class SettingsChanged(Message):
        """The learner set a parameter or the seed (kept for next time, as typed)."""

        def __init__(self, chapter_id: str, sim: str, params: dict[str, str], seed: str) -> None:
            super().__init__()
            self.chapter_id, self.sim, self.params, self.seed = chapter_id, sim, params, seed

    def _apply_stored_settings(self) -> None:
        """The parameters and seed set on this figure in an earlier session, each checked against
        the simulation as it is now: a parameter it no longer has, or a value it no longer
        accepts, keeps its default."""
        from lmtui.sims.base import ParamError

        record = services(self).record
        if record is None:
            return
        stored, seed_text = record.figure_settings(self.chapter_id, self.sim.name)
        if not stored and seed_text is None:
            return
        params = dict(self.state.params)
        for param in self.sim.params:
            if param.name in stored:
                try:
                    params[param.name] = param.validate(stored[param.name])
                except (ParamError, ValueError, TypeError):
                    pass
        try:
            self.sim.check(params)
        except ParamError:
            return
        self.state.params = params
        if seed_text is not None:
            try:
                self.state.seed = int(self.seed_param.validate(seed_text))
            except (ParamError, ValueError, TypeError):
                pass

    def _settings_changed(self) -> None:
        params = {p.name: p.format(self.state.params[p.name]) for p in self.sim.params if p.name in self.state.params}
        self.post_message(self.SettingsChanged(self.chapter_id, self.sim.name, params, str(self.state.seed)))

    # -- layout ----------------------------------------------------------------------------------
    def compose(self) -> ComposeResult:
        self._status.update(self._status_text(), layout=False)  # one line, always
        yield self._status
        with Vertical(classes="sim-body"):
            yield self._chart
            with Vertical(classes="sim-side"):
                with VerticalScroll(classes="sim-params"):
                    yield ParamRow(self.seed_param, self.state.seed, self.name_width, id="param-seed")
                    for p in self.sim.params:
                        yield ParamRow(p, self.state.params[p.name], self.name_width)
                yield self._help
        yield self._verdict

    def on_mount(self) -> None:
        seen = services(self)
        self._chart.placeholder = seen.plain(f"{self.sim.title}\n{self.sim.citation}\n{self.sim.description}\n\n"
                                             f"Press {seen.key_hint('sim-run')} to run the simulation.")
        self._keep_state()
        if not self.is_attached:  # replaced before it finished mounting (fast keys)
            return
        self.runner.warm(self.sim)  # the simulation process, ready before the first s
        if self.state.result is not None:
            self._show_result()
        rows = self.query(ParamRow)
        self._help_for(rows.first() if rows else None)
        deck_shown = self.parent is None or self.parent.display  # not if the learner went to another view
        if deck_shown and not isinstance(self.app.focused, Input):  # never from a field being typed in
            self.focus_default()  # the deck shows the pane when it is ready: it takes the keys
        if self.replay:
            self.call_after_refresh(self._replay)

    def _replay(self) -> None:
        from textual import events

        keys, self.replay = self.replay, []
        for key in keys:  # in order, as if pressed now that the pane is here
            event = events.Key(key, key if len(key) == 1 else None)
            # sent as the app's, like a key from the terminal: a message a widget sends stops
            # bubbling at that widget, so the pane's own bindings would never see it
            event.set_sender(self.app)
            self.app.post_message(event)

    def focus_default(self) -> None:
        rows = list(self.query(ParamRow))
        if rows:
            rows[min(1, len(rows) - 1)].focus()

    # -- text ------------------------------------------------------------------------------------
    def _status_text(self) -> str:
        seen = services(self)
        head, run = seen.plain(self.sim.title), seen.key_hint("sim-run")
        if self.running:
            frame = self.runner.last_frame
            step, total = (frame.step, frame.total) if frame is not None else (0, 1)
            filled = int(10 * step / total) if total else 0
            bar = "#" * filled + "-" * (10 - filled)
            return f"running [{bar}] {step}/{total} {time.monotonic() - self.runner.started_at:.1f}s seed {self.state.seed} ({run}: stop)"
        result = self.state.result
        if self.stopped_at is not None:
            shown = "; the last finished run is shown" if result is not None else ""
            return f"stopped at step {self.stopped_at} ({run}: run again){shown} | {head}"
        if result is not None and not self.state.result_is_current():
            return f"parameters changed: {run} to rerun | {head}"
        if result is not None:
            tag = f"diverged at step {result.diverged_at}" if result.diverged else f"done in {result.elapsed_s:.1f}s"
            if self.state.restored:
                tag += " (last session)"
            compare = self._compare_text()
            if compare:
                return f"{tag} | {compare} | {head}"
            pin = services(self).key_hint("sim-pin")
            return f"{tag} | seed {result.seed} | {pin}: pin to compare | {head}"
        return f"ready ({run}: run) | seed {self.state.seed} | {head}"

    def _current_run(self):
        """The finished run on screen as a lmtui.core.runs.Run (None before the first)."""
        from lmtui.core.runs import Run

        result = self.state.result
        if result is None:
            return None
        if self._result_chart is None:
            self._result_chart = self.sim.chart(result, result.params)
        return Run(dict(result.params), result.seed, result, self._result_chart)

    def _compare_text(self) -> str:
        """What the chart compares: a sweep's progress, or the pinned runs against this one."""
        book = self.state.book
        if book is None:
            return ""
        if book.sweep is not None:
            return book.sweep.progress(self.sim)
        current = self._current_run()
        kept = book.kept_for(current) if current is not None else []
        if not kept:
            return "pinned: this run" if book.pinned else ""
        from lmtui.core.runs import compare_text

        clear = services(self).key_hint("sim-clear")
        return f"pinned: {compare_text(self.sim, current, kept)} ({clear}: clear)"

    def _refresh_status(self) -> None:
        self._status.update(self._status_text(), layout=False)  # one line, always

    def _help_for(self, row: ParamRow | None, error: str | None = None) -> None:
        self._help.set_class(error is not None, "-error")
        if error is not None:
            self._set_help(services(self).plain(error))
        elif row is not None:
            typing = isinstance(self.app.focused, ParamInput) and self.app.focused.parent is row
            text = self._typing_help(row) if typing else self._param_help(row.param)
            self._set_help(services(self).plain(text))

    @staticmethod
    def _param_help(param) -> str:
        return f"{param.name}: {param.help} [{param.range_text()}]"

    @staticmethod
    def _typing_help(row: ParamRow) -> str:
        """While a number is typed: that a comma list sweeps it, with an example from its value."""
        from lmtui.core.runs import SWEEP_MAX

        param = row.param
        text = f"{param.name}: type a value [{param.range_text()}]"
        if param.kind not in ("int", "float"):
            return text
        values = [row.value]
        for _ in range(2):
            values.append(param.nudge(values[-1], 1))
        example = ", ".join(dict.fromkeys(param.format(v) for v in values))
        if "," not in example:
            return text
        return f"{text}, or 2 to {SWEEP_MAX} values such as {example} to run each in turn and compare them"

    _help_rows: tuple[int, int] | None = None  # (width, lines) of the help line as laid out
    _help_floor: tuple[int, int] = (0, 0)  # (width, lines): the longest parameter's help at that width

    def _set_help(self, text: str) -> None:
        """The help line's text. Beside the chart it is as tall as the longest parameter's help (a
        message may make it taller), so walking the parameters (each up/down rewrites it) neither
        moves the list above it nor lays the screen out again; under the chart (a narrow terminal)
        it takes only the lines its text needs, and the screen is laid out again when that changes."""
        from textual.content import Content

        help_line = self._help
        width = help_line.content_region.width
        if width <= 0:
            help_line.update(text)
            self._help_rows = None
            return
        if self._help_floor[0] != width:
            plain = services(self).plain
            floor = max((Content(plain(self._param_help(p))).get_height(help_line.styles, width)
                         for p in (self.seed_param, *self.sim.params)), default=1)
            if not (self.screen.has_class("-medium") or self.screen.has_class("-wide")):  # under the chart: its rows first
                floor = 1
            self._help_floor = (width, floor)
            help_line.styles.min_height = floor
        rows = (width, max(Content(text).get_height(help_line.styles, width), self._help_floor[1]))
        help_line.update(text, layout=rows != self._help_rows)
        self._help_rows = rows

    def on_resize(self, event: Resize) -> None:
        # the help line's width is known once laid out: it takes its height for that width
        self.call_after_refresh(self._help_for, self.app.focused if isinstance(self.app.focused, ParamRow) else None)

    # -- parameters -------------------------------------------------------------------------------
    def on_descendant_focus(self, event) -> None:
        widget = event.widget if hasattr(event, "widget") else None
        row = widget if isinstance(widget, ParamRow) else None
        if row is None and self.app.focused is not None:
            parent = self.app.focused.parent
            row = parent if isinstance(parent, ParamRow) else None
        if row is not None:
            self._help_for(row)

    def on_param_row_changed(self, event: ParamRow.Changed) -> None:
        event.stop()
        from lmtui.sims.base import ParamError

        self._cancel()
        self._abandon_sweep()
        if event.row.param is self.seed_param:
            self.state.seed = int(event.value)
        else:
            candidate = dict(self.state.params, **{event.row.param.name: event.value})
            try:
                self.sim.check(candidate)
            except ParamError as e:
                self._help_for(event.row, str(e))
                return
            self.state.params = candidate
        self._keep_state()
        self._help_for(event.row)
        self._mark_result()
        self._settings_changed()

    def on_param_row_invalid(self, event: ParamRow.Invalid) -> None:
        event.stop()
        self._help_for(event.row, event.message)

    def action_move_param(self, step: int) -> None:
        """up/down (or k/j) walk the parameter list, as tab does; not while a value is being typed."""
        if isinstance(self.app.focused, Input):
            return
        rows = list(self.query(ParamRow))
        if not rows:
            return
        focused = self.app.focused
        index = rows.index(focused) if focused in rows else (-1 if step > 0 else len(rows))
        target = rows[max(0, min(len(rows) - 1, index + step))]
        target.focus()
        target.scroll_visible(animate=False)

    def action_next_panel(self) -> None:
        chart = self._chart
        if chart.chart is not None and len(chart.chart.panels) > 1:
            chart.next_panel()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "next_panel":
            chart = self._chart
            return True if chart.chart is not None and chart.single else None
        return True

    def action_reset(self) -> None:
        self._cancel()
        self.state.params = self.sim.defaults()
        self.state.seed = 0
        self._keep_state()
        for row in self.query(ParamRow):
            row.set_value(self.state.seed if row.param is self.seed_param else self.state.params[row.param.name])
        self._help_for(None, None)
        self.notify("Parameters reset to defaults.", timeout=2)
        self._mark_result()
        self._settings_changed()

    def _keep_state(self) -> None:
        """The figure as it is now, for when the learner comes back to it this session."""
        services(self).keep_figure_state(self.chapter_id, self.sim.name, self.state)

    # -- running ---------------------------------------------------------------------------------
    @property
    def running(self) -> bool:
        return self.runner.running

    def on_unmount(self) -> None:
        self.runner.stop()
        self._keep_state()  # the runs kept and pinned since the last change too

    def action_toggle_run(self) -> None:
        if self.running:
            self._cancel()
            self._abandon_sweep()
            self.notify("Simulation stopped.", timeout=2)
        else:
            self._start()

    def _start(self) -> bool:
        """Start a run at the parameters set now; False if it did not start (yet: a long run is
        asked about first)."""
        from lmtui.sims.base import ParamError

        try:
            params = self.sim.resolve(self.state.params)
        except ParamError as e:
            self._help_for(None, str(e))
            return False
        self.stopped_at = None
        self._running_params, self._running_seed = params, self.state.seed
        return start_checked(self, self.runner, self.sim, params, self.state.seed, started=self._started)

    def _started(self) -> None:
        self._verdict.update("running...")
        self._verdict.set_classes("sim-verdict")
        self._refresh_status()

    def _cancel(self) -> None:
        """Stop a run in progress: the last finished result (if any) comes back into view."""
        frame = self.runner.last_frame
        if self.runner.stop():
            self.stopped_at = frame.step if frame is not None else 0
            self._mark_result()

    # While keys arrive (an arrow held down), a chart frame waits until they pause for KEYS_PAUSE
    # seconds, or until FRAME_AT_LEAST seconds have passed since the last one drawn: the keys are
    # answered first, and the chart still moves.
    KEYS_PAUSE = 0.15
    FRAME_AT_LEAST = 1.0
    _last_key = 0.0
    _frame_drawn = 0.0
    _held_frame: SimRunner.Frame | None = None

    def on_key(self, event) -> None:
        """Note when a key came during a run (not the one that starts or stops it)."""
        if self.running:
            from lmtui.tui.keys import keys_of

            if event.key not in keys_of(self.app, "sim-run"):
                self._last_key = time.monotonic()

    def on_sim_runner_frame(self, message: SimRunner.Frame) -> None:
        if not self.runner.is_current(message):
            return
        self.runner.last_frame = message.frame
        waiting = self._held_frame is not None
        self._held_frame = message
        if not waiting:
            self._draw_frame()

    def _draw_frame(self) -> None:
        """Draw the newest frame now, or once the keys pause (see KEYS_PAUSE)."""
        message = self._held_frame
        if message is None:
            return
        if not self.runner.is_current(message):
            self._held_frame = None
            return
        now = time.monotonic()
        if now - self._last_key < self.KEYS_PAUSE and now - self._frame_drawn < self.FRAME_AT_LEAST:
            self.set_timer(min(self.KEYS_PAUSE - (now - self._last_key), self.FRAME_AT_LEAST - (now - self._frame_drawn)),
                           self._draw_frame)
            return
        self._held_frame, self._frame_drawn = None, now
        book = self.state.book
        chart = message.chart
        if book is not None and (book.pinned or book.sweep is not None):
            from lmtui.core.runs import Run

            chart = book.chart(self.sim, Run(dict(self._running_params), self._running_seed, None, chart)) or chart
        self._chart.show(chart)
        self._refresh_status()

    def on_sim_runner_finished(self, message: SimRunner.Finished) -> None:
        if not self.runner.ended(message):
            return
        self.state.result = message.result
        self.state.restored = False
        self._keep_state()
        self._result_chart = message.chart
        store = getattr(self.app, "store", None)
        if store is None or (store.persistent and not store.read_only):  # nothing written where answers are not
            from lmtui.core.runs import save_last

            save_last(services(self).home, self.sim, message.result)
        run = self._current_run()
        book = self.state.runs()
        book.finished(run)
        sweep = book.sweep
        if sweep is not None and not sweep.done:
            sweep.runs.append(run)
            if not sweep.done:
                self._show_result()
                self._sweep_next()
                return
        self._show_result()

    def on_sim_runner_failed(self, message: SimRunner.Failed) -> None:
        if not self.runner.ended(message):
            return
        self._refresh_status()
        self._verdict.update(services(self).plain(f"the simulation failed: {message.error}"))

    _result_chart = None
    _shown_chart = None
    _running_params: dict[str, Any] = {}
    _running_seed = 0

    def _show_result(self) -> None:
        """The last finished result in the chart and the verdict line, marked if it is stale."""
        result = self.state.result
        if result is None:
            self._chart.show(None)
            self._verdict.update("")
            self._verdict.set_classes("sim-verdict")
            self._refresh_status()
            return
        current = self._current_run()
        book = self.state.book
        chart = (book.chart(self.sim, current) if book is not None else None) or self._result_chart
        self._shown_chart = chart
        diverged = f"DIVERGED at step {result.diverged_at}" if result.diverged else None
        self._chart.show(chart, diverged)
        self._mark_result()

    def _mark_result(self) -> None:
        result = self.state.result
        verdict = self._verdict
        if result is None:
            if not self.running:
                self._chart.show(None)
                verdict.update("stopped" if self.stopped_at is not None else "")
                verdict.set_classes("sim-verdict")
            self._refresh_status()
            return
        if self._chart.chart is not self._shown_chart:  # a stopped run's frames: the last result again
            self._show_result()
            return
        current = self.state.result_is_current()
        text = services(self).plain(result.verdict or "")
        if not current:
            text = f"(an earlier run, other parameters) {text}"
        verdict.update(text)
        verdict.set_class(current and result.agrees is True, "-agrees")
        verdict.set_class(current and result.agrees is False, "-disagrees")
        verdict.set_class(not current, "-stale")
        self._refresh_status()

    # -- comparing, sweeping, exporting ------------------------------------------------------------
    def action_pin(self) -> None:
        current = self._current_run()
        if current is None or self.running:
            run = services(self).key_hint("sim-run")
            self.notify(f"Nothing to pin yet: {run} runs the simulation; pin a finished run.", timeout=3)
            return
        book = self.state.runs()
        book.sweep = None
        if book.pin(current):
            self.notify("Run pinned: change a parameter and run again to draw over it.", timeout=3)
        else:
            self.notify("This run is pinned already.", timeout=2)
        self._show_result()

    def action_pin_previous(self) -> None:
        """Pin the latest earlier run that differs from this one (for a comparison not planned ahead)."""
        current = self._current_run()
        book = self.state.book
        earlier = book.previous(current) if book is not None and current is not None else None
        if earlier is None or self.running:
            self.notify("No earlier run with other parameters in this session.", timeout=3)
            return
        book.sweep = None
        book.pin(earlier)
        self._show_result()

    def action_clear_runs(self) -> None:
        book = self.state.book
        if self.running and book is not None and book.sweep is not None:
            self._cancel()
        n = book.clear() if book is not None else 0
        self.notify("Overlays cleared." if n else "No overlays to clear.", timeout=2)
        if self.state.result is not None:
            self._show_result()
        else:
            self._refresh_status()

    def on_param_row_sweep(self, event: ParamRow.Sweep) -> None:
        event.stop()
        from lmtui.core.runs import Sweep
        from lmtui.sims.base import ParamError

        name = event.row.param.name
        base = dict(self.state.params)
        try:
            for value in event.values:
                if event.row.param is not self.seed_param:  # seeds were checked as they were read
                    self.sim.check(dict(base, **{name: value}))
        except ParamError as e:
            self._help_for(event.row, str(e))
            return
        self._cancel()
        book = self.state.runs()
        book.pinned.clear()
        book.sweep = Sweep(name, list(event.values), base, self.state.seed)
        self._help_for(event.row)
        self._sweep_next()

    def _sweep_next(self) -> None:
        """Start the sweep's next run: its value goes into the parameter's row."""
        sweep = self.state.book.sweep
        params = sweep.next_params()
        if params is None:
            return
        self.state.params, self.state.seed = params, sweep.next_seed()
        value = self.state.seed if sweep.name == "seed" else params[sweep.name]
        for row in self.query(ParamRow):
            if row.param.name == sweep.name:
                row.set_value(value)
        self._settings_changed()  # the row's value is the one kept for the next session, as after a change
        # refused (over the server's limit): the sweep ends with the runs it has; asked about
        # first: it goes on when the run is confirmed (or when the learner runs it)
        if not self._start() and not isinstance(self.app.screen, ConfirmRun):
            self._abandon_sweep()
            self._refresh_status()

    def _abandon_sweep(self) -> None:
        """A parameter change or a stop ends a sweep: the runs it finished stay drawn."""
        book = self.state.book
        sweep = book.sweep if book is not None else None
        if sweep is None or sweep.done:
            return
        if sweep.runs:
            sweep.values = sweep.values[: len(sweep.runs)]
        else:
            book.sweep = None

    def _runs_shown(self) -> list:
        book = self.state.book
        current = self._current_run()
        if book is None:
            return [current] if current is not None else []
        return book.shown_runs(current)

    def action_command_line(self) -> None:
        from lmtui.core.runs import command_line

        from lmtui.sims.base import ParamError

        current = self._current_run()
        try:
            params, seed = ((current.params, current.seed) if current is not None
                            else (self.sim.resolve(self.state.params), self.state.seed))
        except ParamError as e:
            self._help_for(None, str(e))
            return
        self.command = command_line(self.sim, params, seed)
        self._help_for(None, None)
        self._set_help(services(self).plain(self.command))
        what = "this run" if current is not None else "these parameters"
        export = services(self).key_hint("sim-export")
        self.notify(f"Under the parameters: the command line for {what} ({export} exports every run shown).", timeout=4)

    def action_export(self) -> None:
        from lmtui.core.runs import export_dir, export_runs

        runs = self._runs_shown()
        chart = self._shown_chart
        if not runs or chart is None or self.running:
            run = services(self).key_hint("sim-run")
            self.notify(f"Nothing to export yet: {run} runs the simulation.", timeout=3)
            return
        home = services(self).home
        _, ascii_only = services(self).chart_style()
        try:
            folder = export_runs(export_dir(home), self.sim, runs, chart, ascii_only=ascii_only)
        except (OSError, ValueError) as e:
            why = e.strerror if isinstance(e, OSError) and e.strerror else str(e)
            where = getattr(e, "filename", None) or export_dir(home)
            self.notify(services(self).plain(f"Could not export to {where}: {why}. Nothing else was changed."),
                        severity="error", timeout=8)
            return
        self.exported = folder
        self.notify(services(self).plain(f"Exported {len(runs)} run{'s' if len(runs) > 1 else ''} to {folder}"), timeout=8)
