"""A live simulation: keyboard-edited parameters, a streamed chart, theory beside measurement.

Data flow: the pane owns the parameter values (attributes down to the rows); rows post
``ParamRow.Changed`` up; ``s`` starts a thread worker that drives the simulation generator and posts
at most one ``SimPane.FrameReady`` per FRAME_INTERVAL (so an SSH link is not flooded); the result
comes back as ``SimPane.Finished``. Changing a parameter or leaving the chapter cancels the worker;
the simulation loop checks for cancellation between frames.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, replace
from typing import Any

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.events import Resize
from textual.message import Message
from textual.widget import Widget
from textual.widgets import Input, Static
from textual.worker import Worker, WorkerState, get_current_worker

from ..textual_fixes import LeanInput

FRAME_INTERVAL = 0.25  # seconds between chart updates while running (<= 4 frames/s)
# Keys come first: the simulation thread holds Python's GIL for most of its run, and the UI thread
# would get half of it at best. For this long after a key (or until the key burst ends, at most
# INPUT_MAX_PAUSE) the simulation waits at its next frame (the sims yield every ~50 ms).
INPUT_GRACE = 0.15
INPUT_MAX_PAUSE = 2.0


@dataclass
class FigureState:
    """What comes back when the learner returns to a chapter in the same session."""

    params: dict[str, Any]
    seed: int
    result: Any = None  # lmtui.sims.base.Result


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
        from ..charts import panels_fit, render_chart

        width, height = self.size.width, self.size.height
        if self.chart is None or width < 4 or height < 2:
            return Text(f"{self.placeholder}\n\nPress s to run the simulation.", style="dim")
        key = (id(self.chart), width, height, self.panel)
        if key != self._cache:
            color, ascii_only = self.app.chart_style()  # type: ignore[attr-defined]
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


class ParamRow(Widget, can_focus=True):
    """One parameter: left/right or -/+ step it, enter types a value, escape cancels typing."""

    DEFAULT_CSS = """
    ParamRow { height: 1; layout: horizontal; padding: 0 1; }
    ParamRow:focus { background: $accent 30%; }
    ParamRow > .p-name { width: 16; }
    ParamRow > .p-value { width: 1fr; }
    ParamRow > Input { width: 1fr; height: 1; border: none; padding: 0; }
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

    def __init__(self, param, value: Any, **kwargs) -> None:
        super().__init__(**kwargs)
        self.param, self.value = param, value
        self._value_label = Static(param.format(value), classes="p-value", markup=False)

    def compose(self) -> ComposeResult:
        yield Static(self.param.name, classes="p-name", markup=False)
        yield self._value_label

    def set_value(self, value: Any) -> None:
        self.value = value
        self._value_label.update(self.param.format(value))

    def action_nudge(self, direction: int) -> None:
        if self.query(Input):
            return
        if self.param.kind in ("int_list", "float_list"):
            self.post_message(self.Invalid(self, f"{self.param.name} is a list: press enter and type e.g. {self.param.format(self.value)}"))
            return
        new = self.param.nudge(self.value, direction)
        if new != self.value:
            self.set_value(new)
            self.post_message(self.Changed(self, new))

    def action_edit(self) -> None:
        if self.query(Input):
            return
        self._value_label.display = False
        field = LeanInput(self.param.format(self.value), select_on_focus=True)
        field.cursor_blink = False
        self.mount(field)
        field.focus()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        from ..sims.base import ParamError

        try:
            value = self.param.validate(event.value)
        except ParamError as e:
            self.post_message(self.Invalid(self, str(e)))
            return
        self._close_editor()
        self.set_value(value)
        self.post_message(self.Changed(self, value))

    def _close_editor(self) -> None:
        for field in self.query(Input):
            field.remove()
        self._value_label.display = True
        self.focus()

    def on_key(self, event) -> None:
        if event.key == "escape" and self.query(Input):
            event.stop()
            event.prevent_default()
            self._close_editor()

    def on_descendant_blur(self) -> None:
        # leaving the field without enter abandons the edit
        self.call_after_refresh(self._abandon_if_unfocused)

    def _abandon_if_unfocused(self) -> None:
        if self.query(Input) and not self.has_focus_within:
            self._close_editor_quietly()

    def _close_editor_quietly(self) -> None:
        for field in self.query(Input):
            field.remove()
        self._value_label.display = True


class SimPane(Widget):
    DEFAULT_CSS = """
    SimPane { height: 1fr; layout: vertical; }
    SimPane > .sim-status { height: 1; padding: 0 1; background: $boost; }
    SimPane > .sim-verdict { height: auto; max-height: 2; padding: 0 1; }
    SimPane > .sim-verdict.-agrees { color: $success; }
    SimPane > .sim-verdict.-disagrees { color: $warning; }
    SimPane > .sim-body { height: 1fr; layout: vertical; }
    SimPane .sim-side { height: auto; }
    SimPane .sim-params { height: 6; border-top: solid $panel; }
    SimPane .sim-help { height: auto; max-height: 3; padding: 0 1; color: $text-muted; }
    SimPane .sim-help.-error { color: $error; }
    """
    # The side-by-side layout at 80+ columns depends on the screen's breakpoint class, which
    # scoped DEFAULT_CSS cannot see: those rules are in app.tcss.
    BINDINGS = [
        Binding("s", "toggle_run", "Run/stop", id="sim-run", tooltip="start or stop the simulation"),
        Binding("r", "reset", "Reset", id="sim-reset", tooltip="reset the parameters to their defaults"),
        Binding("v", "next_panel", "Panel", id="sim-panel", tooltip="next chart panel (when the terminal is too small for all)"),
        Binding("down,j", "move_param(1)", "Next parameter", show=False, id="param-next", tooltip="next parameter"),
        Binding("up,k", "move_param(-1)", "Previous parameter", show=False, id="param-previous", tooltip="previous parameter"),
    ]

    class FrameReady(Message):
        def __init__(self, chart, frame) -> None:
            super().__init__()
            self.chart, self.frame = chart, frame

        def can_replace(self, message: Message) -> bool:
            return isinstance(message, SimPane.FrameReady)

    class Finished(Message):
        def __init__(self, result, chart) -> None:
            super().__init__()
            self.result, self.chart = result, chart

    def __init__(self, sim_name: str, chapter_id: str, **kwargs) -> None:
        super().__init__(**kwargs)
        from ..sims.registry import get

        from ..sims.base import Param

        self.sim = get(sim_name)
        self.seed_param = Param("seed", "int", 0, "random seed: same seed and parameters give the same run", min=0, max=2**31 - 1, step=1)
        self.chapter_id = chapter_id
        # the parts are kept, not queried: a pane replaced mid-mount must not look for children
        self._status = Static("", classes="sim-status", markup=False)
        self._chart = ChartView()
        self._help = Static("", classes="sim-help", markup=False)
        self._verdict = Static("", classes="sim-verdict", markup=False)
        saved: FigureState | None = self.app.figure_state.get((chapter_id, sim_name))  # type: ignore[attr-defined]
        self.state = saved or FigureState(self.sim.defaults(), 0)
        self.running = False
        self.started_at = 0.0
        self.last_frame = None

    # -- layout ----------------------------------------------------------------------------------
    def compose(self) -> ComposeResult:
        self._status.update(self._status_text(), layout=False)  # one line, always
        yield self._status
        with Vertical(classes="sim-body"):
            yield self._chart
            with Vertical(classes="sim-side"):
                with VerticalScroll(classes="sim-params"):
                    yield ParamRow(self.seed_param, self.state.seed, id="param-seed")
                    for p in self.sim.params:
                        yield ParamRow(p, self.state.params[p.name])
                yield self._help
        yield self._verdict

    def on_mount(self) -> None:
        self._chart.placeholder = self.app.plain(f"{self.sim.title}\n{self.sim.citation}\n{self.sim.description}")  # type: ignore[attr-defined]
        self.app.figure_state[(self.chapter_id, self.sim.name)] = self.state  # type: ignore[attr-defined]
        if not self.is_attached:  # replaced before it finished mounting (fast keys)
            return
        if self.state.result is not None:
            self._show_result(self.state.result, self.sim.chart(self.state.result, self.state.result.params))
        rows = self.query(ParamRow)
        self._help_for(rows.first() if rows else None)

    def focus_default(self) -> None:
        rows = list(self.query(ParamRow))
        if rows:
            rows[min(1, len(rows) - 1)].focus()

    # -- text ------------------------------------------------------------------------------------
    def _status_text(self) -> str:
        head = self.app.plain(self.sim.title)  # type: ignore[attr-defined]
        if self.running:
            frame = self.last_frame
            step, total = (frame.step, frame.total) if frame is not None else (0, 1)
            filled = int(10 * step / total) if total else 0
            bar = "#" * filled + "-" * (10 - filled)
            return f"running [{bar}] {step}/{total} {time.monotonic() - self.started_at:.1f}s seed {self.state.seed} (s: stop)"
        result = self.state.result
        if result is not None:
            tag = f"diverged at step {result.diverged_at}" if result.diverged else f"done in {result.elapsed_s:.1f}s"
            return f"{tag} | seed {result.seed} | {head}"
        return f"ready (s: run) | seed {self.state.seed} | {head}"

    def _refresh_status(self) -> None:
        self._status.update(self._status_text(), layout=False)  # one line, always

    def _help_for(self, row: ParamRow | None, error: str | None = None) -> None:
        help_line = self._help
        help_line.set_class(error is not None, "-error")
        # beside the chart the help has a fixed height, and a new text needs no new layout (a
        # layout per focus move was most of a key's cost while a simulation runs)
        layout = help_line.styles.height is None or help_line.styles.height.is_auto
        if error is not None:
            help_line.update(self.app.plain(error), layout=layout)  # type: ignore[attr-defined]
        elif row is not None:
            help_line.update(self.app.plain(f"{row.param.help} [{row.param.range_text()}]"), layout=layout)  # type: ignore[attr-defined]

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
        from ..sims.base import ParamError

        self._cancel()
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
        self._help_for(event.row)
        self._refresh_status()

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
        for row in self.query(ParamRow):
            row.set_value(self.state.seed if row.param is self.seed_param else self.state.params[row.param.name])
        self._help_for(None, None)
        self.notify("Parameters reset to defaults.", timeout=2)
        self._refresh_status()

    # -- running ---------------------------------------------------------------------------------
    def action_toggle_run(self) -> None:
        if self.running:
            self._cancel()
            self.notify("Simulation stopped.", timeout=2)
        else:
            self._start()

    def _start(self) -> None:
        from ..sims.base import ParamError

        try:
            params = self.sim.resolve(self.state.params)
        except ParamError as e:
            self._help_for(None, str(e))
            return
        self.running = True
        self.started_at = time.monotonic()
        self.last_frame = None
        self._verdict.update("running...")
        self._refresh_status()
        self._worker = self._run(params, self.state.seed)

    def _cancel(self) -> None:
        if self.running:
            self.workers.cancel_node(self)
            self.running = False
            self._refresh_status()
            self._verdict.update("stopped")

    @work(thread=True, exclusive=True, group="sim", exit_on_error=False, description="simulation")
    def _run(self, params: dict[str, Any], seed: int) -> None:
        worker = get_current_worker()
        app = self.app
        runner = self.sim.start(params, seed)
        last_post = 0.0
        try:
            for frame in runner:
                if worker.is_cancelled:
                    return
                now = time.monotonic()
                if now - app.last_input < INPUT_GRACE:  # type: ignore[attr-defined]
                    paused = now
                    while (now := time.monotonic()) - app.last_input < INPUT_GRACE and now - paused < INPUT_MAX_PAUSE:  # type: ignore[attr-defined]
                        if worker.is_cancelled:
                            return
                        time.sleep(0.01)
                if now - last_post >= FRAME_INTERVAL:
                    last_post = now
                    self.post_message(self.FrameReady(self.sim.chart(frame, params), frame))
        finally:
            runner.close()
        if worker.is_cancelled or runner.result is None:
            return
        self.post_message(self.Finished(runner.result, self.sim.chart(runner.result, params)))

    def on_sim_pane_frame_ready(self, message: FrameReady) -> None:
        if not self.running:
            return
        self.last_frame = message.frame
        self._chart.show(message.chart)
        self._refresh_status()

    def on_sim_pane_finished(self, message: Finished) -> None:
        if not self.running:
            return
        self.running = False
        self.state.result = message.result
        self._show_result(message.result, message.chart)

    def _show_result(self, result, chart) -> None:
        diverged = f"DIVERGED at step {result.diverged_at}" if result.diverged else None
        self._chart.show(chart, diverged)
        verdict = self._verdict
        verdict.update(self.app.plain(result.verdict or ""))  # type: ignore[attr-defined]
        verdict.set_class(result.agrees is True, "-agrees")
        verdict.set_class(result.agrees is False, "-disagrees")
        self._refresh_status()

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.state == WorkerState.ERROR and event.worker.group == "sim":
            self.running = False
            self._refresh_status()
            self._verdict.update(f"the simulation failed: {event.worker.error}")
