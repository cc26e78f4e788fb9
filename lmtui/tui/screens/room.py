"""`lmtui room DIR`: the instructor's live view of the room's predictions.

The screen follows :class:`lmtui.core.room.Room` (the learners' stores under DIR, read-only) from a
thread of its own (:class:`RoomReader`): the first frame is drawn at once and says the stores are
being read, with a count as they are; the room fills in when they all are. Then every few seconds
the thread re-reads only the stores whose files changed, and each part of the screen is updated
only when what it shows changed, so an idle room sends nothing to the terminal.

* the pace: how many learners are in each chapter and view, and who has been idle;
* the question list (and search, and the command palette) over every quiz and predict question;
* the chosen question's spread: the room's first answers per choice as bars, or its predictions as
  a histogram. Reveal marks the right choice; for a predict question it runs the simulation at the
  question's setting (the same runner as the figure view), its chart beside the histogram, which
  then shows the measurement, the theory's value and the tolerance band, and says how much of the
  room was within tolerance.
"""

from __future__ import annotations

import threading
import time
from dataclasses import replace
from functools import partial

from textual.app import ComposeResult
from textual.binding import Binding
from textual.command import DiscoveryHit, Hit, Hits, Provider
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.message import Message
from textual.screen import Screen
from textual.widgets import Input, OptionList, Static
from textual.widgets.option_list import Option

from lmtui.core.clock import wall_time, zone_name
from lmtui.core.course import Question
from lmtui.core.room import IDLE_AFTER, Room, Score, most_missed_first, spread_chart, summary
from lmtui.core.sanitize import clean_path
from lmtui.tui import textual_fixes
from lmtui.tui.services import services
from lmtui.tui.widgets.simpane import ChartView
from lmtui.tui.widgets.simrun import SimRunner

VIEW_NAMES = (("text", "text"), ("figure", "fig"), ("quiz", "quiz"))
IDLE_NAMES = 6  # idle learners named in the pace panel (the rest counted)
IDLE_NAME = 16  # cells for each of their names (a long one is cut)
CRAMPED_BELOW = 26  # rows of the spread view under which the run's chart is not stacked under the histogram


def question_label(room: Room, chapter_id: str, question: Question) -> str:
    chapter = room.course.by_id(chapter_id)
    quiz = chapter.quiz if chapter is not None else []
    n = next((i + 1 for i, q in enumerate(quiz) if q.id == question.id), 0)
    kind = "predict" if question.predict is not None else "quiz"
    return f"{chapter.order if chapter else chapter_id}.{n} {kind}: {' '.join(question.prompt.split())}"


def pace_text(room: Room, ellipsis: str = "…", width: int | None = None) -> str:
    """Who has been idle (first: the panel may be cut at the bottom), then the chapters with
    learners in them (and in which view). Given the panel's ``width``, the idle learners are laid
    out in lines of that width with each name beside its time (never split between lines)."""
    pace = room.pace()
    lines = [f"Pace: {pace.learners} learner{'s' * (pace.learners != 1)}"]
    if pace.idle:  # the longest idle first; a big room's list is cut short
        now = room.clock()
        items = [f"{_cut(name, IDLE_NAME, ellipsis).rstrip()} {wall_time(now - quiet)}" for name, quiet in pace.idle[:IDLE_NAMES]]
        items = [f"{item}," for item in items[:-1]] + items[-1:]
        if len(pace.idle) > IDLE_NAMES:
            items[-1] += ","
            items.append(f"+{len(pace.idle) - IDLE_NAMES} more")
        lines.append(f"idle {len(pace.idle)}, since ({zone_name(now)}):")
        lines[-1:] = _fill_line(lines[-1], items, width)
    if pace.nowhere:
        lines.append(f"not started: {pace.nowhere}")
    rows = [c for c in pace.chapters if c.learners]
    if rows:
        lines.append("ch  all " + " ".join(f"{short:>4}" for _, short in VIEW_NAMES))
        for c in rows:
            chapter = room.course.by_id(c.chapter)
            order = chapter.order if chapter is not None else c.chapter
            lines.append(f"{order:>2} {c.learners:>4} " + " ".join(f"{c.views.get(v, 0) or '.':>4}" for v, _ in VIEW_NAMES))
    return "\n".join(lines)


def _fill_line(head: str, items: list[str], width: int | None) -> list[str]:
    """``head`` then ``items``, separated by spaces, in lines at most ``width`` cells wide where
    they fit (each item whole on one line); one line without a width."""
    from rich.cells import cell_len

    lines = [head]
    for item in items:
        if width is None or cell_len(lines[-1]) + 1 + cell_len(item) <= width:
            lines[-1] += f" {item}"
        else:
            lines.append(item)
    return lines


def _cut(text: str, width: int, ellipsis: str = "…") -> str:
    """``text`` in ``width`` terminal cells, cut with ``ellipsis``, padded with spaces (a column)."""
    from rich.cells import set_cell_size

    from lmtui.core.asciitext import cut

    return set_cell_size(cut(text, width, ellipsis), width)


ROSTER_NAME = 12  # cells for a learner's name in the roster


def roster_text(room: Room, ellipsis: str = "…") -> str:
    """Every learner: the chapter and view they are in, when their store was last written (and
    whether they have gone idle), how many of their answers were right, and how many they missed
    in the chapter they are in: who to go and see."""
    rows = room.roster()
    if not rows:
        return "No learner yet: their stores appear here as they start."
    views = dict(VIEW_NAMES)
    lines = [f"{_cut('learner', ROSTER_NAME)} {'ch':>2} {'view':<4} {'last':>5} {'':<4} {'right':>5}  missed"]
    for r in rows:
        chapter = room.course.by_id(r.chapter) if r.chapter else None
        where = (f"{chapter.order:>2} {views.get(r.view, r.view):<4}" if chapter is not None else f"{'-':>2} {'':<4}")
        last = wall_time(r.written_at) if r.written_at else "-"
        right = f"{r.right}/{r.answered}" if r.answered else "-"
        lines.append(f"{_cut(r.name, ROSTER_NAME, ellipsis)} {where} {last:>5} {'idle' if r.idle else '':<4} {right:>5}  "
                     f"{r.missed_here or ''}".rstrip())
    return "\n".join(lines)


def roster_legend(room: Room) -> str:
    return (f"last: their store's last write ({zone_name(room.clock())}); idle: nothing written for "
            f"{IDLE_AFTER / 60:g} min; right: of their first answers and predictions; missed: in the chapter they are in")


class QuestionCommands(Provider):
    """Find a question by its words, its chapter or its kind (``predict``)."""

    def _entries(self):
        screen = self.screen if isinstance(self.screen, RoomScreen) else self.app.screen_stack[0]
        if not isinstance(screen, RoomScreen):
            return
        room = screen.room
        for chapter_id, question in room.questions():
            label = question_label(room, chapter_id, question)
            yield label, partial(screen.select_question, f"{chapter_id}/{question.id}")

    async def discover(self) -> Hits:
        for label, callback in self._entries():
            yield DiscoveryHit(label, callback)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for label, callback in self._entries():
            score = matcher.match(label)
            if score > 0:
                yield Hit(score, matcher.highlight(label), callback)


class Clamped(Static):
    """A text wrapped to the widget's width and cut to a few lines, the cut marked with an
    ellipsis: a long prompt at 80x24 shows that it goes on. Fewer lines on a short terminal."""

    def __init__(self, lines: int = 4, short_lines: int = 3, **kwargs) -> None:
        super().__init__("", markup=False, **kwargs)
        self.lines, self.short_lines = lines, short_lines
        self.full = ""
        self._fitted: str | None = None

    def set_text(self, text: str) -> None:
        self.full = text
        self._fit()

    def on_resize(self) -> None:
        self._fit()

    def _fit(self) -> None:
        from rich.cells import cell_len
        from rich.text import Text

        width = self.content_region.width
        text = self.full
        if width > 0:
            most = self.short_lines if self.app.size.height < 30 else self.lines
            lines = Text(text).wrap(self.app.console, width)
            if len(lines) > most:  # cut at a word (never inside a number), then the ellipsis
                ellipsis = services(self).plain("…")
                last = lines[most - 1].plain.rstrip()
                while last and cell_len(last) + 1 + cell_len(ellipsis) > width:
                    cut = last.rstrip().rfind(" ")
                    last = last[:cut].rstrip() if cut > 0 else last[: max(0, len(last) - 1)]
                text = "\n".join([line.plain.rstrip() for line in lines[:most - 1]] + [f"{last} {ellipsis}".lstrip()])
        if text != self._fitted:
            self._fitted = text
            self.update(text)


class Bars(Static):
    """A choice question's bars, drawn to the widget's own size whenever that changes (a terminal
    made larger for the projector draws them again across the new width, long choices on more lines)."""

    def __init__(self, **kwargs) -> None:
        super().__init__("", markup=False, **kwargs)
        self._rows: list[tuple[str, int]] = []
        self._style: tuple[int | None, bool, bool] = (None, True, False)
        self._drawn: str | None = None

    def show(self, rows: list[tuple[str, int]], mark: int | None, color: bool, ascii_only: bool) -> None:
        self._rows, self._style = rows, (mark, color, ascii_only)
        self._draw()

    def on_resize(self) -> None:
        self._draw()

    def _draw(self) -> None:
        from rich.text import Text

        from lmtui.core.charts import render_bars

        width, height = self.content_region.width, self.content_region.height
        if width <= 0:
            return  # not laid out yet: drawn at its first size
        mark, color, ascii_only = self._style
        text = render_bars(self._rows, max(20, width), mark=mark, color=color, ascii_only=ascii_only, height=height)
        if text != self._drawn:
            self._drawn = text
            self.update(Text.from_ansi(text))


class SpreadView(Vertical):
    """The chosen question's spread, and what reveal shows."""

    DEFAULT_CSS = """
    SpreadView { width: 1fr; padding: 0 1; }
    SpreadView > #prompt { height: auto; text-style: bold; }
    SpreadView > #info { height: auto; color: $text-muted; }
    SpreadView > #charts { height: 1fr; layout: vertical; }
    SpreadView > #charts.-beside { layout: horizontal; }
    SpreadView #bars { width: 1fr; height: 1fr; margin-top: 1; }
    SpreadView #hist, SpreadView #sim { width: 1fr; height: 1fr; min-height: 6; }
    SpreadView #charts.-stacked #hist { height: 3fr; min-height: 8; }
    SpreadView #charts.-stacked #sim { height: 2fr; }
    SpreadView #sim { display: none; }
    SpreadView.-run #sim { display: block; }
    SpreadView.-run.-cramped.-numeric #sim { display: none; }
    SpreadView.-choice #hist, SpreadView.-numeric #bars { display: none; }
    SpreadView > #verdict { height: auto; }
    """

    def __init__(self, room: Room, **kwargs) -> None:
        super().__init__(**kwargs)
        self.room = room
        self.runner = SimRunner(self)
        self.key: str | None = None  # "chapter/question" shown
        self.revealed: set[str] = set()
        self.results: dict[str, tuple[float | None, float | None, object, str | None]] = {}
        # key -> (measured, theory, chart, failure) of its run
        self.running_key: str | None = None
        self._shown: dict[str, object] = {}  # what each part shows now: nothing is sent twice

    def compose(self) -> ComposeResult:
        yield Clamped(id="prompt")
        yield Static("", id="info", markup=False)
        with Horizontal(id="charts"):
            yield Bars(id="bars")
            yield ChartView(id="hist")
            yield ChartView(id="sim")
        yield Static("", id="verdict", markup=False)

    def on_resize(self) -> None:
        charts = self.query_one("#charts")
        charts.set_class(self.size.width >= 76, "-beside")
        charts.set_class(self.size.width < 76, "-stacked")  # the histogram gets the larger share
        # too short for both stacked (80x24 with the side panel): the histogram alone, which shows
        # the measurement too; the wide view (no side panel) puts the run's chart beside it
        cramped = self.size.width < 76 and self.size.height < CRAMPED_BELOW
        if cramped != self.has_class("-cramped"):
            self.set_class(cramped, "-cramped")
            self.update_view()

    # -- what is shown ---------------------------------------------------------------------------
    def _put(self, part: str, value, apply) -> None:
        if self._shown.get(part, ()) != value:
            self._shown[part] = value
            apply()

    def _text(self, part: str, text: str) -> None:
        self._put(part, text, lambda: self.query_one(f"#{part}", Static).update(text))

    def _prompt(self, text: str) -> None:
        self._put("prompt", text, lambda: self.query_one("#prompt", Clamped).set_text(text))

    def question(self) -> tuple[str, Question] | None:
        if self.key is None:
            return None
        chapter_id, _, qid = self.key.partition("/")
        chapter = self.room.course.by_id(chapter_id)
        question = next((q for q in chapter.quiz if q.id == qid), None) if chapter else None
        return (chapter_id, question) if question else None

    def update_view(self) -> None:
        """Show the chosen question as the room has it now (each part only if it changed)."""
        room, seen = self.room, services(self)
        found = self.question()
        if found is None:
            self._prompt("No question chosen: pick one in the list (/ searches, ctrl+p finds).")
            for part in ("info", "verdict"):
                self._text(part, "")
            return
        chapter_id, q = found
        revealed = self.key in self.revealed
        color, ascii_only = seen.chart_style()
        self._prompt(seen.plain(question_label(room, chapter_id, q)))
        spec = q.predict
        numeric = spec is not None and not q.choices
        self.set_class(not numeric, "-choice")
        self.set_class(numeric, "-numeric")
        self.set_class(spec is not None and (self.running_key == self.key or (revealed and self.key in self.results)),
                       "-run")
        screen = self.screen
        reveal_key = screen.key_of("room-reveal") if isinstance(screen, RoomScreen) else "r"
        reading = isinstance(screen, RoomScreen) and not screen.stores_read
        measured = theory = None
        failure = None
        if spec is not None and self.key in self.results:
            measured, theory, _, failure = self.results[self.key]
        if spec is None:
            spread = room.choice_spread(chapter_id, q)
            info = f"{spread.answered} of {spread.learners} answered (first answers)"
            rows = [(f"{i + 1} {choice}", n) for i, (choice, n) in enumerate(zip(q.choices, spread.counts))]
            mark = q.answer - 1 if revealed else None
            verdict = (f"Right: {q.answer}. {spread.counts[q.answer - 1]} of {spread.answered} chose it."
                       if revealed else f"{reveal_key}: reveal the right answer")
        else:
            spread = room.predict_spread(chapter_id, q)
            params = ", ".join(f"{k}={list(v) if isinstance(v, tuple) else v}" for k, v in spec.params) or "its defaults"
            ranged = f" ({spread.ranged} with a range)" if spread.ranged else ""
            middle = summary(spread.values, spec.unit) if numeric else ""
            # the rule on a line of its own: wrapped after the counts, it broke mid-phrase
            info = (f"{spread.predicted} of {spread.learners} predicted{ranged}{', ' + middle if middle else ''}.\n"
                    f"Right if {spec.tolerance_text()}.")
            rows = [(f"{i + 1} {choice}", n) for i, (choice, n) in enumerate(zip(q.choices, spread.choice_counts()))]
            mark = spec.bin_of(measured) - 1 if revealed and measured is not None and q.choices else None
            if not revealed:
                verdict = f"{reveal_key}: reveal (runs {spec.sim} at {params})"
            elif failure:
                verdict = f"The run failed: {failure}"
            elif self.running_key == self.key:
                verdict = "Running the simulation..."
            elif self.key not in self.results:
                verdict = f"The simulation has not run ({reveal_key} tries again)."
            elif measured is None:
                verdict = "The run measured nothing for this question."
            else:
                n = spread.within(measured)
                share = f" ({n / spread.predicted:.0%})" if spread.predicted else ""
                theory_text = f", theory {theory:.4g}" if theory is not None else ""
                held = f" {spread.ranges_holding(measured)} of {spread.ranged} ranges hold it." if spread.ranged else ""
                right = "within tolerance" if numeric else f"chose {spec.bin_of(measured)}, where it fell"
                low, high = spread.sides(measured) if numeric else (0, 0)
                missed = "; " + ", ".join(f"{k} too {side}" for k, side in ((low, "low"), (high, "high")) if k) \
                    if low or high else ""
                verdict = (f"Measured {measured:.4g}{(' ' + spec.unit) if spec.unit else ''}{theory_text}: "
                           f"{n} of {spread.predicted} {right}{share}{missed}.{held}")
                if numeric and self.has_class("-cramped") and isinstance(screen, RoomScreen):
                    verdict += f" ({screen.key_of('room-wide')}: the run's chart beside)"
        if reading:
            info = "reading the learners' stores..."
            rows = []  # no bars of zero counts before the counts are known
        self._text("info", seen.plain(info))
        self._text("verdict", seen.plain(verdict))
        if numeric:
            shown = revealed and self.running_key != self.key
            chart = spread_chart(spread, measured, theory, revealed=shown)
            key = (self.key, tuple((g.learner, g.value) for g in spread.guesses), spread.learners, shown, measured, theory,
                   reading)

            def show_hist() -> None:
                view = self.query_one("#hist", ChartView)
                view.placeholder = "Reading the learners' stores..." if reading else "Nobody has predicted yet."
                view.show(replace(chart, caption="") if chart else None)

            self._put("hist", key, show_hist)
        else:
            rows = [(seen.plain(label), n) for label, n in rows]
            self._put("bars", (rows, mark, color, ascii_only),
                      lambda: self.query_one("#bars", Bars).show(rows, mark, color, ascii_only))
        if spec is not None and self.key in self.results and self.running_key != self.key:
            chart = self.results[self.key][2]
            self._put("sim", (self.key, id(chart)), lambda: self.query_one("#sim", ChartView).show(chart))

    def show(self, key: str) -> None:
        self.key = key
        self.update_view()

    # -- reveal ------------------------------------------------------------------------------------
    def reveal(self) -> None:
        if self.key is None:
            return
        found = self.question()
        unrun = bool(found and found[1].predict is not None and self.key not in self.results)
        if self.key in self.revealed and not (unrun and self.running_key is None):
            self.revealed.discard(self.key)  # hidden again (to ask the room once more)
        else:  # revealed, or its run (refused, or not confirmed) tried again
            self.revealed.add(self.key)
            if found and found[1].predict is not None and self.key not in self.results and self.running_key is None:
                from lmtui.tui.widgets.runcost import start_checked

                spec, key = found[1].predict, self.key

                def started() -> None:
                    self.running_key = key
                    self.update_view()

                start_checked(self, self.runner, spec.sim, spec.overrides, spec.seed, started=started)  # a long run is asked about
        self.update_view()

    def on_sim_runner_frame(self, message: SimRunner.Frame) -> None:
        if self.runner.is_current(message) and self.running_key == self.key:
            self.query_one("#sim", ChartView).show(message.chart)

    def on_sim_runner_finished(self, message: SimRunner.Finished) -> None:
        if not self.runner.ended(message):
            return
        from lmtui.tui.widgets.predict import number

        key, self.running_key = self.running_key, None
        spec = self._spec(key)
        result = message.result
        measured = number(result.metrics.get(spec.metric)) if spec else None
        name = (spec.theory or spec.metric) if spec else ""
        theory = number(result.prediction.get(name)) if spec and name in result.prediction else None
        self.results[key] = (measured, theory, message.chart, None)
        self.update_view()
        if isinstance(self.screen, RoomScreen):
            self.screen.update_all()  # the room's run grades every prediction: the scores follow

    def on_sim_runner_failed(self, message: SimRunner.Failed) -> None:
        if not self.runner.ended(message):
            return
        key, self.running_key = self.running_key, None
        self.results[key] = (None, None, None, str(message.error))
        self.update_view()

    def _spec(self, key: str | None):
        chapter_id, _, qid = (key or "").partition("/")
        chapter = self.room.course.by_id(chapter_id)
        q = next((q for q in chapter.quiz if q.id == qid), None) if chapter else None
        return q.predict if q else None


class SearchInput(Input):
    """The question search; enter shows the best match (see :meth:`RoomScreen.submit_search`)."""

    async def action_submit(self) -> None:
        if isinstance(self.screen, RoomScreen):
            self.screen.submit_search()


class RoomReader(threading.Thread):
    """Follows the room off the interface: the first read of every store, telling the screen how
    far it got (:class:`RoomScreen.Reading`, at most every ``PROGRESS_EVERY`` seconds), then a look
    every ``interval`` seconds; each read or look ends in :class:`RoomScreen.Looked`. Setting
    ``stop`` ends it between two stores: a room closed while it reads a slow shared folder quits
    at once (the thread is a daemon, never waited for)."""

    PROGRESS_EVERY = 0.1

    def __init__(self, screen: RoomScreen, room: Room, interval: float) -> None:
        super().__init__(name="room-reader", daemon=True)
        self.screen, self.room, self.interval = screen, room, interval
        self.stop = threading.Event()
        self._told = 0.0

    def _progress(self, done: int, total: int) -> None:
        now = time.monotonic()
        if now - self._told >= self.PROGRESS_EVERY or done == 0:
            self._told = now
            self.screen.post_message(RoomScreen.Reading(done, total))

    def run(self) -> None:
        first = True
        while not self.stop.is_set():
            error = None
            try:
                self.room.refresh(self._progress if first else None, self.stop)
            except Exception as e:  # the next look tries again; the screen says why meanwhile
                error = f"could not look at the stores ({e})"
            if self.stop.is_set():
                return
            self.screen.post_message(RoomScreen.Looked(error))
            first = False
            self.stop.wait(self.interval)


class RoomScreen(Screen[None]):
    HORIZONTAL_BREAKPOINTS = [(0, "-narrow"), (110, "-roomy")]
    DEFAULT_CSS = """
    RoomScreen > #status { height: 1; background: $panel; padding: 0 1; text-wrap: nowrap; text-overflow: ellipsis; }
    RoomScreen > #body { height: 1fr; }
    RoomScreen #side { width: 32; border-right: solid $panel; }
    RoomScreen.-roomy #side { width: 40; }
    RoomScreen.-ascii #side { border-right: ascii $panel; }
    RoomScreen.-wide #side { display: none; }
    RoomScreen #pace { height: auto; max-height: 14; padding: 0 1; }
    RoomScreen #search { display: none; height: 1; border: none; padding: 0 1; }
    RoomScreen.-searching #search { display: block; }
    RoomScreen #questions { height: 1fr; border: none; padding: 0; text-wrap: nowrap; text-overflow: ellipsis; }
    RoomScreen #roster { display: none; width: 1fr; padding: 0 0 0 1; }
    RoomScreen.-roster #roster { display: block; }
    RoomScreen.-roster #spread { display: none; }
    RoomScreen #roster-text { width: auto; text-wrap: nowrap; }
    RoomScreen #roster-legend { width: 1fr; margin-top: 1; color: $text-muted; }
    RoomScreen #list-head { height: 1; padding: 0 1; color: $text-muted; text-wrap: nowrap; text-overflow: ellipsis; }
    """
    BINDINGS = [
        Binding("r", "reveal", "Reveal", id="room-reveal", tooltip="reveal the answer (a predict question: run it)"),
        Binding("slash", "search", "Search", id="room-search", tooltip="find a question by its words"),
        Binding("w", "wide", "Wide", id="room-wide", tooltip="hide or show the side panel (more room for the charts)"),
        Binding("l", "learners", "Learners", id="room-learners",
                tooltip="every learner: where, since when, idle, right, missed (again: the question)"),
        Binding("m", "missed", "Missed", id="room-missed", tooltip="list the questions the room missed most first, or in course order"),
        Binding("escape", "close_search", "Close", show=False, id="room-close", tooltip="close the search"),
        Binding("j", "move(1)", "Next", show=False, id="room-next", tooltip="next question"),
        Binding("k", "move(-1)", "Previous", show=False, id="room-previous", tooltip="previous question"),
        Binding("q", "app.quit", "Quit", id="room-quit", tooltip="quit (nothing is written anywhere)"),
    ]

    class Reading(Message):
        """The first read of the stores: ``done`` of the ``total`` found so far."""

        def __init__(self, done: int, total: int) -> None:
            super().__init__()
            self.done, self.total = done, total

        def can_replace(self, message: Message) -> bool:
            return isinstance(message, RoomScreen.Reading)

    class Looked(Message):
        """A read or look at the stores ended (``error``: why it could not be done)."""

        def __init__(self, error: str | None = None) -> None:
            super().__init__()
            self.error = error

    def __init__(self, room: Room, interval: float = 3.0) -> None:
        super().__init__()
        self.room = room
        self.interval = interval
        self.reader = RoomReader(self, room, interval)
        self.stores_read = False  # the first read of the stores is shown
        self._reading: tuple[int, int] | None = None  # (done, total) of the first read, once the folder is listed
        self.spread = SpreadView(room, id="spread")
        self._labels: dict[str, str] = {}  # id ("chapter/question") -> label, in course order
        self._scores: dict[str, str] = {}  # id -> how the room did ("3/14"), as shown
        self._scored: tuple | None = None  # what the scores were computed from
        self._score_values: dict[str, Score] = {}
        self.missed_first = False  # the list's order: the most missed first (with scores), or the course's
        self._shown: dict[str, str] = {}
        self._filled = ""  # the search the list was filled for

    def compose(self) -> ComposeResult:
        yield Static("", id="status", markup=False)
        with Horizontal(id="body"):
            with Vertical(id="side"):
                yield Static("", id="pace", markup=False)
                search = SearchInput(placeholder="search questions", id="search")
                search.cursor_blink = False  # a blinking cursor would send bytes while nothing happens
                yield search
                yield Static("", id="list-head", markup=False)
                yield OptionList(id="questions")
            yield self.spread
            with VerticalScroll(id="roster"):
                yield Static("", id="roster-text", markup=False)
                yield Static("", id="roster-legend", markup=False)
        yield textual_fixes.LeanFooter(compact=True)

    def _binding(self, binding_id: str) -> tuple[Binding, str]:
        """The binding ``binding_id`` and its first key now (the keymap's, or the default)."""
        keymap = getattr(self.app, "_keymap", {}) or {}
        binding = next(b for b in self.BINDINGS if isinstance(b, Binding) and b.id == binding_id)
        return binding, (keymap.get(binding_id) or binding.key).split(",")[0].strip()

    def search_key(self) -> str:
        """The key that opens the search, as Textual names it."""
        return self._binding("room-search")[1]

    def close_key(self) -> str:
        """The key that closes the search, as Textual names it."""
        return self._binding("room-close")[1]

    def key_of(self, binding_id: str) -> str:
        """The key bound to ``binding_id`` now, as shown."""
        binding, key = self._binding(binding_id)
        return self.app.get_key_display(replace(binding, key=key, key_display=None))

    def on_mount(self) -> None:
        seen = services(self)
        if seen.ascii_only:
            self.add_class("-ascii")
        room = self.room
        self._labels = {f"{c}/{q.id}": seen.plain(question_label(room, c, q)) for c, q in room.questions()}
        self._rescore()
        self._fill("")
        self.update_all()
        self.query_one("#questions", OptionList).focus()
        self.call_after_refresh(self._start_reading)  # the first frame is drawn without waiting for the thread

    def _start_reading(self) -> None:
        if not self.reader.stop.is_set() and self.reader.ident is None:  # never started twice
            self.reader.start()

    def on_unmount(self) -> None:
        self.reader.stop.set()

    def on_resize(self) -> None:
        self.call_after_refresh(self.update_all)  # the pace panel's lines, at its new width

    def _rows(self, query: str) -> list[tuple[str, str]]:
        """(id, row) of the questions the list shows for ``query``, in the list's order. Listed
        most missed first, each row starts with how the room did (right/answered); in course
        order nothing is given away on a projected screen before reveal."""
        words = query.casefold().split()
        order = list(self._labels)
        if not self.missed_first:
            return [(key, self._labels[key]) for key in order if self._matches(key, words)]
        order = ["/".join(k) for k in most_missed_first({tuple(key.split("/", 1)): self._score_of(key) for key in order})]
        wide = max((len(t) for t in self._scores.values()), default=1)
        return [(key, f"{self._scores.get(key, '-'):>{wide}} {self._labels[key]}") for key in order
                if self._matches(key, words)]

    def _matches(self, key: str, words: list[str]) -> bool:
        """Whether every word is in the question's label or its id (as ``lmtui report`` names it)."""
        text = f"{self._labels[key]} {key}".casefold()
        return all(w in text for w in words)

    def _score_of(self, key: str) -> Score:
        return self._score_values.get(key, Score(0, 0))

    def _fill(self, query: str, keep: bool = True) -> None:
        """The list for ``query``; the question highlighted stays highlighted when still listed
        (``keep``), else the first (a search's best match)."""
        from rich.text import Text

        options = self.query_one("#questions", OptionList)
        kept = options.highlighted_option.id if options.highlighted_option is not None else None
        self._filled = query
        options.clear_options()
        rows = self._rows(query)
        options.add_options([Option(Text(row, no_wrap=True, overflow="ellipsis"), id=key) for key, row in rows])
        if options.option_count:
            ids = [key for key, _ in rows]
            options.highlighted = ids.index(kept) if keep and kept in ids else 0

    def _query(self) -> str:
        return self.query_one("#search", Input).value if self.has_class("-searching") else ""

    def _rescore(self) -> bool:
        """How the room did on every question, from the room as read last and the room's own
        runs; True if what the list shows changed."""
        measured = {tuple(key.split("/", 1)): result[0] for key, result in self.spread.results.items()
                    if result[0] is not None}
        basis = (self.room.version, tuple(sorted(measured.items())))
        if basis == self._scored:
            return False
        self._scored = basis
        values = {"/".join(k): v for k, v in self.room.scores(measured).items()}
        texts = {key: v.text() for key, v in values.items()}
        changed = self.missed_first and values != self._score_values
        self._score_values, self._scores = values, texts
        return changed

    def _relist(self) -> None:
        """The list's rows again after the scores changed: in place where the rows' order is the
        same (the instructor's place in the list is kept), else filled again."""
        options = self.query_one("#questions", OptionList)
        rows = self._rows(self._query())
        if [o.id for o in options.options] == [key for key, _ in rows]:
            from rich.text import Text

            for i, (key, row) in enumerate(rows):
                if str(options.get_option_at_index(i).prompt) != row:
                    options.replace_option_prompt_at_index(i, Text(row, no_wrap=True, overflow="ellipsis"))
        else:
            self._fill(self._query())

    # -- following the room ----------------------------------------------------------------------
    def on_room_screen_reading(self, message: Reading) -> None:
        if self.stores_read:
            return
        first = self._reading is None
        self._reading = (message.done, message.total)
        if first:
            self.update_all()
        else:  # only the count changed: the status line (and the roster, if shown), not the layout
            self._show_text("status", self._status())
            if self.has_class("-roster"):
                self._show_text("roster-text", self.reading_text())

    def on_room_screen_looked(self, message: Looked) -> None:
        if message.error:
            self.room.error = message.error
        self.stores_read = True
        self.update_all()

    def reading_text(self) -> str:
        """What the status line says while the stores are read the first time."""
        if self._reading is None:
            return "Reading the learners' stores..."
        done, total = self._reading
        stores = "learners' stores" if total != 1 else "learner's store"
        return f"Reading {total} {stores}... {done}/{total}"

    def update_all(self) -> None:
        """Every part from the room as read last; a part whose text is unchanged is left alone."""
        room = self.room
        read = self.stores_read
        status = self._status()
        key = self.key_of("room-missed")
        head = f"right/answered · {key}: in order" if self.missed_first else f"{key}: most missed first"
        if self._rescore():
            self._relist()
        if self._query().strip() and not self.query_one("#questions", OptionList).option_count:
            head = f"no question found ({self.key_of('room-close')}: all)"
        pace_width = self.query_one("#pace").content_region.width or None
        pace = pace_text(room, services(self).plain("…"), pace_width) if read else "Pace: reading the stores..."
        parts = [("status", status), ("pace", pace), ("list-head", head)]
        if self.has_class("-roster"):  # written only while shown
            roster = roster_text(room, services(self).plain("…")) if read else self.reading_text()
            parts += [("roster-text", roster), ("roster-legend", roster_legend(room))]
        for part, text in parts:
            self._show_text(part, text)
        self.spread.update_view()

    def _status(self) -> str:
        """The status line: how many learners (or how far the first read is), what could not be
        read, the folder."""
        room = self.room
        status = f"{len(room.seats)} learner{'s' * (len(room.seats) != 1)}" if self.stores_read else self.reading_text()
        if room.error:
            status += f"  ·  {clean_path(room.error)}"
        if room.unreadable:  # the reason's first words; `lmtui report` says it whole
            status += f"  ·  {len(room.unreadable)} skipped: " + ", ".join(
                f"{clean_path(n)} ({clean_path(why.split(' (')[0])})" for n, (_, why) in room.unreadable.items())
        return status + f"  ·  {clean_path(room.root)}"

    def _show_text(self, part: str, text: str) -> None:
        """Part ``part`` shows ``text``, drawn only if it changed (the one-line status line without
        a layout pass)."""
        text = services(self).plain(text)
        if self._shown.get(part) != text:
            self._shown[part] = text
            self.query_one(f"#{part}", Static).update(text, layout=part != "status")

    # -- the instructor's keys -------------------------------------------------------------------
    def on_option_list_option_highlighted(self, event: OptionList.OptionHighlighted) -> None:
        if self.has_class("-searching") and self.query_one("#search", Input).has_focus:
            return  # the list follows the typing; the question shown changes on enter
        if event.option.id and event.option.id != self.spread.key:
            self.spread.show(event.option.id)

    def select_question(self, key: str) -> None:
        """Show question ``key`` ("chapter/question"), found in the list (the search is cleared)."""
        self._show_spread()
        if self.has_class("-searching"):
            self.action_close_search()
        options = self.query_one("#questions", OptionList)
        try:
            options.highlighted = options.get_option_index(key)
        except Exception:  # not in the list: shown all the same
            pass
        self.spread.show(key)

    def action_move(self, step: int) -> None:
        self._show_spread()
        options = self.query_one("#questions", OptionList)
        options.focus()
        options.action_cursor_down() if step > 0 else options.action_cursor_up()

    def action_reveal(self) -> None:
        self._show_spread()
        options = self.query_one("#questions", OptionList)
        highlighted = options.highlighted_option
        if options.has_focus and highlighted is not None and highlighted.id != self.spread.key:
            self.spread.show(highlighted.id)  # a key typed right after a move: the question moved to
        self.spread.reveal()

    def _show_spread(self) -> None:
        """A question is asked for: its spread in place of the roster."""
        if self.has_class("-roster"):
            self.action_learners()

    def action_learners(self) -> None:
        """The roster in place of the question's spread, or the spread again."""
        self.toggle_class("-roster")
        roster = self.query_one("#roster", VerticalScroll)
        if self.has_class("-roster"):
            self.update_all()
            self.set_focus(roster)  # the arrows and page keys scroll it; j and k go back to the questions
        elif self.focused is roster:
            self.set_focus(None if self.has_class("-wide") else self.query_one("#questions", OptionList))

    def action_missed(self) -> None:
        """The questions to discuss: the list, most missed first with how the room did, or back in
        the course's order."""
        self.missed_first = not self.missed_first
        self._score_values = {}  # scored again, for the order
        self._scored = None
        self._rescore()
        self._fill(self._query())
        options = self.query_one("#questions", OptionList)
        if self.missed_first and options.option_count:
            options.highlighted = 0  # the most missed: shown
            options.scroll_to_highlight()
        self.update_all()

    def action_wide(self) -> None:
        self.toggle_class("-wide")
        if self.has_class("-wide") and self.focused is not None and self.focused.id in ("questions", "search"):
            self.set_focus(None)

    def action_search(self) -> None:
        self.remove_class("-wide")
        self.add_class("-searching")
        search = self.query_one("#search", Input)
        search.value = ""  # a new search (a key that reached the field as it closed is dropped)
        # focused at once: the words typed right after the key (one burst over SSH) go to the field
        self.set_focus(search)

    def action_close_search(self) -> None:
        if not self.has_class("-searching"):
            return
        search = self.query_one("#search", Input)
        search.value = ""
        self.remove_class("-searching")
        self._fill("")
        if self.spread.key:
            self.select_question(self.spread.key)
        self.set_focus(self.query_one("#questions", OptionList))  # at once, as the search opened

    def on_input_changed(self, event: Input.Changed) -> None:
        # not the clearing on close, nor a change reaching the screen after enter moved to the list
        # (which has the search's words already, and keeps its place)
        if event.input.id == "search" and self.has_class("-searching") and event.input.has_focus:
            self._fill(event.value, keep=False)
            self.update_all()  # the list's head says when nothing matches

    def submit_search(self) -> None:
        """The search's best match shown and the list focused, as enter is handled in the search:
        the keys typed right after it go to the list (``/carnot`` enter ``l`` searched for
        "carnotl"). The words typed last may not have refilled the list yet: filled here."""
        query = self._query()
        if query != self._filled:
            self._fill(query, keep=False)
            self.update_all()
        self._show_spread()
        options = self.query_one("#questions", OptionList)
        self.set_focus(options)
        if options.highlighted_option is not None and options.highlighted_option.id:
            self.spread.show(options.highlighted_option.id)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "close_search":
            return self.has_class("-searching")
        return True
