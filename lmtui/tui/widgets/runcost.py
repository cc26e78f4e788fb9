"""Long runs are asked about before they start, with their estimate; a run over the limit of a
served room (``LMTUI_RUN_LIMIT``, see lmtui.core.runcost) is refused with the reason. The figure's
SimPane and the quiz's predict cards start their runs through :func:`start_checked`."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import Any

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widget import Widget
from textual.widgets import Static

from lmtui.tui.textual_fixes import DismissOnTop
from lmtui.tui.widgets.simrun import SimRunner


class ConfirmRun(DismissOnTop, ModalScreen[bool]):
    """Asks whether to start a run estimated to take long; dismissed with True to start it."""

    DEFAULT_CSS = """
    ConfirmRun { align: center middle; }
    ConfirmRun > Vertical { width: 60; max-width: 100%; height: auto; border: round $warning;
        background: $surface; padding: 0 1; }
    ConfirmRun.-ascii > Vertical { border: ascii $warning; }
    """
    CLOSE_KEYS = ("escape", "n")
    BINDINGS = [
        Binding("y", "start", "Start the run", id="run-long-start"),
        Binding("n,escape", "close", "Not now", id="run-long-cancel"),
    ]

    def __init__(self, estimate: str) -> None:
        super().__init__()
        self.estimate = estimate

    def _hint(self, binding: Binding) -> str:
        """The first key bound to ``binding`` now (the learner's keymap applies), as shown."""
        keymap = getattr(self.app, "_keymap", {}) or {}
        key = (keymap.get(binding.id or "") or binding.key).split(",")[0].strip()
        return self.app.get_key_display(replace(binding, key=key, key_display=None))

    def compose(self) -> ComposeResult:
        start, cancel = (self._hint(b) for b in self.BINDINGS if isinstance(b, Binding))
        with Vertical():
            yield Static(f"This run would take {self.estimate} (its estimate from the settings). Smaller "
                         f"settings run faster.\n\n{start}: start it   {cancel}: not now", markup=False)

    def on_mount(self) -> None:
        if getattr(self.app, "ascii_only", False):
            self.add_class("-ascii")

    def action_start(self) -> None:
        self.dismiss(True)

    def action_close(self) -> None:
        self.dismiss(False)


def start_checked(owner: Widget, runner: SimRunner, sim: Any, params: dict[str, Any], seed: int,
                  started: Callable[[], None] | None = None) -> bool:
    """Start ``sim`` on ``owner``'s SimRunner ``runner``, unless its
    estimate is over the served room's limit (refused, with a message) or over ASK_ABOVE_S (asked
    first: it starts on yes). ``started`` is called once the run has started. True if it started now."""
    from lmtui.core.runcost import ASK_ABOVE_S, describe, run_limit
    from lmtui.sims.base import ParamError

    def start() -> None:
        runner.start(sim, params, seed)
        if started is not None:
            started()

    try:
        if isinstance(sim, str):
            from lmtui.sims.registry import get

            cls = get(sim)
        else:
            cls = sim
        seconds = cls.estimate_seconds(cls.resolve(params))
    except (ParamError, KeyError, ImportError):
        start()  # the run itself reports what is wrong
        return True
    limit = run_limit()
    if limit is not None and seconds > limit:
        owner.notify(f"This run would take {describe(seconds)}; this server allows {describe(limit)} per run. "
                      f"Choose smaller settings.", severity="warning", timeout=6)
        return False
    if seconds > ASK_ABOVE_S:
        owner.app.push_screen(ConfirmRun(describe(seconds)), lambda yes: start() if yes and owner.is_attached else None)
        return False
    start()
    return True
