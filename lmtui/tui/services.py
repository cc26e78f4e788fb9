"""What the views get from the app they run in, in one typed way: ``services(widget)``.

The app makes one :class:`Services` at start and keeps it as ``app.services``. A view asks it for
how to show text (``plain``: spelled out in ASCII under --ascii), which keys are bound now
(``key_hint``), how to draw charts (``chart_style``), the learner's record (read only: the app
writes it), the figures' state within the session, and the simulation process
(``simulations``, started the first time a figure or a predict question needs it). Changes to the
record go out as one signal, ``record_changed``, that every view showing the record subscribes
to (the contents' marks, the quiz's score line); no view reaches into another.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from textual.app import App
from textual.dom import DOMNode
from textual.signal import Signal

if TYPE_CHECKING:
    from lmtui.core.record import ChapterStatus, LearnerRecord
    from lmtui.tui.simworker import SimWorker


@dataclass(frozen=True)
class RecordChange:
    """What changed in the learner's record: ``chapter_id``'s status now, and the question
    answered or predicted (None for a chapter read)."""

    chapter_id: str
    status: ChapterStatus
    question_id: str | None = None


@dataclass
class FigureState:
    """A figure as the learner left it: what comes back when they return to it."""

    params: dict[str, Any]
    seed: int
    result: Any = None  # lmtui.sims.base.Result: the last finished run
    book: Any = None  # lmtui.core.runs.RunBook: runs kept, pinned and swept (made at the first run)
    restored: bool = False  # the result is the last run of an earlier session

    def runs(self):
        if self.book is None:
            from lmtui.core.runs import RunBook

            self.book = RunBook()
        return self.book

    def result_is_current(self) -> bool:
        """Whether the result on screen was computed with the parameters set now."""
        r = self.result
        return r is not None and r.seed == self.seed and all(r.params.get(k) == v for k, v in self.params.items())


class Services:
    """The app's side of the contract with its views (see the module docstring)."""

    def __init__(self, app: App[Any], *, ascii_only: bool = False, color: bool = True) -> None:
        self._app = app
        self.ascii_only, self.color = ascii_only, color
        self.record: LearnerRecord | None = None  # None until the learner has said who they are
        self._home: Path | None = None  # the learner's data folder, once their store is open
        self.record_changed: Signal[RecordChange] = Signal(app, "record-changed")
        self._figures: dict[tuple[str, str], FigureState] = {}
        self._simulations: SimWorker | None = None
        self.last_chapter: str | None = None  # the course's last chapter (its end leads nowhere further)

    # -- showing ---------------------------------------------------------------------------------
    def plain(self, text: str) -> str:
        """``text`` as it may be shown: spelled out in ASCII under --ascii, else unchanged."""
        if not self.ascii_only:
            return text
        from lmtui.core.asciitext import fold

        return fold(text)

    @property
    def ellipsis(self) -> str:
        """The mark that ends text cut to fit: the glyph, or ``...`` under --ascii."""
        from lmtui.core.asciitext import ASCII_ELLIPSIS, ELLIPSIS

        return ASCII_ELLIPSIS if self.ascii_only else ELLIPSIS

    def fit(self, text: str, width: int) -> str:
        """``text`` in at most ``width`` cells, ended with the ellipsis if it was cut."""
        from lmtui.core.asciitext import cut

        return cut(text, width, self.ellipsis)

    def key_hint(self, binding_id: str, every: bool = False) -> str:
        """The key(s) bound to ``binding_id`` now, as shown (a rebinding shows everywhere)."""
        from lmtui.tui.keys import hint

        return hint(self._app, binding_id, every)

    def hold_keys(self, holder: object) -> None:
        """Keys arriving from now on wait until ``holder`` calls :meth:`release_keys` (a view
        whose parts are still being mounted; at most half a second)."""
        hold = getattr(self._app, "hold_keys", None)
        if hold is not None:
            hold(holder)

    def release_keys(self, holder: object) -> None:
        release = getattr(self._app, "release_keys", None)
        if release is not None:
            release(holder)

    def chart_style(self) -> tuple[bool, bool]:
        """(colour, ASCII only) for drawing charts."""
        return self.color, self.ascii_only

    # -- the learner's record --------------------------------------------------------------------
    @property
    def home(self) -> Path:
        """The learner's data folder (beside their progress store: exports, the last runs);
        ``lmtui locate`` prints it."""
        if self._home is not None:
            return self._home
        from lmtui.core.progress import default_home

        return default_home()

    @home.setter
    def home(self, folder: Path) -> None:
        self._home = Path(folder)

    def record_changes(self, change: RecordChange) -> None:
        """Tell every subscribed view (the app calls this after each write)."""
        self.record_changed.publish(change)

    # -- figures within the session ---------------------------------------------------------------
    def figure_state(self, chapter_id: str, sim_name: str) -> FigureState | None:
        """A copy of the figure's state as last kept, if any."""
        saved = self._figures.get((chapter_id, sim_name))
        return replace(saved, params=dict(saved.params)) if saved is not None else None

    def keep_figure_state(self, chapter_id: str, sim_name: str, state: FigureState) -> None:
        self._figures[(chapter_id, sim_name)] = replace(state, params=dict(state.params))

    def forget_figures(self) -> None:
        self._figures.clear()

    # -- the simulation process -------------------------------------------------------------------
    @property
    def simulations(self) -> SimWorker:
        """The app's simulation process (started by its first warm-up or run)."""
        if self._simulations is None:
            from lmtui.tui.simworker import SimWorker

            self._simulations = SimWorker()
        return self._simulations

    def close(self) -> None:
        """The app is ending: its simulation process ends too."""
        if self._simulations is not None:
            self._simulations.close()


def services(node: DOMNode | App[Any]) -> Services:
    """The services of the app ``node`` runs in (an app with a ``services`` attribute)."""
    app = node if isinstance(node, App) else node.app
    found = getattr(app, "services", None)
    if not isinstance(found, Services):
        raise LookupError(f"{type(app).__name__} offers no lmtui services: give it a `services = Services(app)`")
    return found
