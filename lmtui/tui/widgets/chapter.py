"""One open chapter: a title bar and three views (text, figure, quiz) switched with t / f / z."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from rich.cells import cell_len
from textual import events, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Container, Vertical
from textual.message import Message
from textual.reactive import reactive
from textual.widget import Widget
from textual.widgets import ContentSwitcher, Static

from lmtui.core.course import Chapter, Course
from lmtui.core.progress import Answer, Prediction
from lmtui.core.record import VIEWS, ChapterStatus, View
from lmtui.tui.services import services
from lmtui.tui.widgets.quiz import QuizPane
from lmtui.tui.widgets.reader import PageReader, page_lines

if TYPE_CHECKING:
    from lmtui.tui.widgets.search import Hit, SearchBar

VIEW_BINDINGS = {"text": "view-text", "figure": "view-figure", "quiz": "view-quiz"}
# What a simulation pane does with keys; pressed while its module loads, they wait for it.
SIM_BINDINGS = ("sim-run", "sim-reset", "sim-panel", "param-up", "param-down", "param-edit", "param-next", "param-previous")


class FigureDeck(Container, can_focus=True):
    """The chapter's figures, one at a time; built the first time the figure view is shown.

    A simulation's module (numpy, scipy) loads in a worker, which takes a while the first time. Keys
    meant for the simulation pressed meanwhile (s to run, a parameter step) are kept and replayed
    to the pane once it is there, so an early s is not lost."""

    DEFAULT_CSS = """
    FigureDeck { height: 1fr; }
    FigureDeck > .figure-empty { padding: 1 2; color: $text-muted; }
    """

    def __init__(self, chapter: Chapter, course: Course, index: int = 0, **kwargs) -> None:
        super().__init__(**kwargs)
        self.chapter, self.course = chapter, course
        self.index = index  # the figure to show when built
        self.built = False
        self.loading_sim: str | None = None  # the simulation whose module is loading
        self.pending: list[str] = []  # keys pressed meanwhile, for it
        self._token = 0  # a simulation load for a figure no longer shown is dropped

    def reset(self, chapter: Chapter, index: int = 0) -> None:
        """Hold ``chapter``'s figures instead, unbuilt, figure ``index`` first (a chapter switch in place)."""
        self.chapter, self.index, self.built = chapter, index, False
        self._token += 1
        self.loading_sim, self.pending = None, []
        self.remove_children()

    def build(self) -> None:
        """Show the first figure; deferred to on_mount if the deck is not mounted yet."""
        if self.built:
            return
        self.built = True
        if self.is_mounted:
            self._show(self.index)

    def on_mount(self) -> None:
        if self.built and not self.children:
            self._show(self.index)

    def on_unmount(self) -> None:
        services(self).release_keys(self)

    def _show(self, index: int) -> None:
        from lmtui.tui.widgets.explorer import ExplorerView

        if not self.is_attached:
            return
        self.remove_children()
        self._token += 1
        self.loading_sim, self.pending = None, []
        figures = self.chapter.figures
        if not figures:
            self.mount(Static("This chapter has no figure.", classes="figure-empty", markup=False))
            return
        self.index = index % len(figures)
        self.post_message(self.FigureShown(self.chapter.id, self.index))
        ref = figures[self.index]
        if ref.kind == "explorer":
            explorer = self.course.explorers.get(ref.name)
            if explorer is None:
                widget: Widget = Static(f"Figure {ref.name!r} could not be loaded (run `lmtui check`).", classes="figure-empty", markup=False)
            else:
                widget = ExplorerView(explorer)
        else:
            self.loading_sim = ref.name
            self.mount(Static(f"Loading simulation {ref.name}...", classes="figure-empty", markup=False))
            # keys for the simulation come here meanwhile (after the removal of the previous figure,
            # which takes the focus with it; not if the pane is already there and has it); keys
            # read with the f that showed it wait for that focus instead of going to the hidden text
            services(self).hold_keys(self)
            self.call_after_refresh(self._focus_while_loading)
            self._load_sim(ref.name, self._token)
            return
        self.mount(widget)
        self.call_after_refresh(self.focus_default)

    def _focus_while_loading(self) -> None:
        if self.loading_sim is not None and self.display:
            self.focus()
        self.call_later(services(self).release_keys, self)  # after the focus has moved

    class FigureShown(Message):
        """The figure the learner is at (kept for next time)."""

        def __init__(self, chapter_id: str, index: int) -> None:
            super().__init__()
            self.chapter_id, self.index = chapter_id, index

    class SimLoaded(Message):
        def __init__(self, name: str, token: int) -> None:
            super().__init__()
            self.name, self.token = name, token

    @work(thread=True, exclusive=True, group="figure-load", exit_on_error=False)
    def _load_sim(self, name: str, token: int) -> None:
        """numpy/scipy and the simulation module load off the UI thread (once per process: it is slow).

        The result goes back as a message, never call_from_thread: that blocks this thread until
        the UI runs the callback, and an app that is quitting never does, so it would hang on exit.
        """
        from lmtui.sims.registry import get

        get(name)
        self.post_message(self.SimLoaded(name, token))

    def on_figure_deck_sim_loaded(self, message: SimLoaded) -> None:
        from lmtui.tui.widgets.simpane import SimPane

        if message.token != self._token or not self.is_attached:
            return
        pending, self.loading_sim, self.pending = self.pending, None, []
        self.remove_children()
        # the pane takes the focus once mounted, then replays the keys pressed while it loaded
        self.mount(SimPane(message.name, chapter_id=self.chapter.id, replay=pending))

    def on_key(self, event: events.Key) -> None:
        if self.loading_sim is None:
            return
        keys = {k for binding_id in SIM_BINDINGS for k in self.app_keys(binding_id)}
        if event.key in keys:
            event.stop()
            event.prevent_default()
            self.pending.append(event.key)

    def app_keys(self, binding_id: str) -> list[str]:
        from lmtui.tui.keys import keys_of

        return keys_of(self.app, binding_id)

    def next_figure(self) -> None:
        if len(self.chapter.figures) > 1 and self.is_mounted:
            self._show(self.index + 1)

    def focus_default(self) -> None:
        if not self.display:  # the learner has moved on to another view meanwhile
            return
        for child in self.children:
            focus = getattr(child, "focus_default", None)
            if focus is not None:
                focus()
                return
        if self.loading_sim is not None:
            self.focus()

    def figure_label(self) -> str:
        figures = self.chapter.figures
        if len(figures) <= 1:
            return "Figure"
        return f"Figure {self.index + 1}/{len(figures)}"


class ChapterView(Widget):
    DEFAULT_CSS = """
    ChapterView { height: 1fr; layout: vertical; }
    ChapterView > .chapter-title { height: 1; padding: 0 1; background: $primary-background; color: $text; text-style: bold; }
    ChapterView > ContentSwitcher { height: 1fr; }
    ChapterView #text { height: 1fr; }
    """

    # s where nothing runs (the text, the quiz, an explorer figure) says where a simulation is. The
    # id is the simulation pane's, so a [keymap] rebinding of sim-run moves both; the pane's own
    # binding is nearer the focus and wins where there is a simulation.
    BINDINGS = [Binding("s", "no_simulation", "Run", show=False, id="sim-run")]

    view: reactive[View] = reactive("text", init=False)

    class ViewChanged(Message):
        def __init__(self, chapter_id: str, view: View) -> None:
            super().__init__()
            self.chapter_id, self.view = chapter_id, view

    def __init__(self, chapter: Chapter, course: Course, answers: dict[str, Answer], status: ChapterStatus | None = None,
                 page: int = 0, view: View = "text", predictions: dict[str, Prediction] | None = None, figure: int = 0,
                 scroll: int = 0, **kwargs) -> None:
        super().__init__(**kwargs)
        self.chapter, self.course, self.answers, self.start_page = chapter, course, answers, page
        self.set_reactive(ChapterView.view, view if view in VIEWS else "text")
        self.page_text = ""
        self.hits: list[Hit] = []  # the matches of the chapter's search, in reading order
        self.hit: int | None = None  # which of them is current
        self.needle = ""
        # the parts are kept, not queried: a chapter replaced mid-mount (keys faster than the
        # screen) must not look for children that are already gone
        self.reader = PageReader(chapter, page, scroll=scroll, id="reader")
        self._search: SearchBar | None = None  # made the first time the learner searches
        self._deck = FigureDeck(chapter, course, figure, id="figure")
        self._quiz = QuizPane(chapter, answers, status, predictions, id="quiz")
        self._switcher = ContentSwitcher(initial=self.view)
        self._text = Vertical(self.reader, id="text")
        self._title_bar = Static("", classes="chapter-title", markup=False)

    def compose(self) -> ComposeResult:
        yield self._title_bar
        with self._switcher:
            # only the view shown is mounted at first: the others are made when first shown
            yield {"text": self._text, "figure": self._deck, "quiz": self._quiz}[self.view]

    def on_mount(self) -> None:
        self._enter(self.view)

    @property
    def quiz(self) -> QuizPane:
        return self._quiz

    @property
    def search(self) -> SearchBar:
        """The search bar, mounted under the text the first time it is wanted."""
        if self._search is None:
            from lmtui.tui.widgets.search import SearchBar

            self._search = SearchBar()
            self._text.mount(self._search)
        return self._search

    def _ensure_view(self, view: View) -> None:
        """Mount ``view``'s widget in the switcher the first time it is shown."""
        widget = {"text": self._text, "figure": self._deck, "quiz": self._quiz}[view]
        if widget.parent is None:
            self._switcher.mount(widget)

    @property
    def deck(self) -> FigureDeck:
        return self._deck

    def load(self, chapter: Chapter, answers: dict[str, Answer], status: ChapterStatus | None = None,
             page: int = 0, view: View = "text", predictions: dict[str, Prediction] | None = None, figure: int = 0,
             scroll: int = 0) -> None:
        """Show another chapter in place. Mounting a whole new view costs a dozen widgets, their
        styles, a focus move and a footer rebuild; in place, a chapter switch in the text view
        updates two Statics."""
        self.chapter, self.answers, self.page_text = chapter, answers, ""
        self._end_search()
        self.reader.show_chapter(chapter, page, scroll)
        self._deck.reset(chapter, figure)
        self._quiz.reset(chapter, answers, status, predictions)
        if view != self.view:
            self.view = view  # watch_view enters it
        else:
            self._enter(view)

    def _title(self) -> str:
        key = services(self).key_hint
        tabs = []
        for v in VIEWS:
            name = {"text": "Text", "figure": self._deck.figure_label(), "quiz": "Quiz"}[v]
            label = f"{key(VIEW_BINDINGS[v])}:{name}"
            tabs.append(f"[{label}]" if v == self.view else f" {label} ")
        tail = f" | {''.join(tabs)} {self.page_text}"
        name = f"{self.chapter.order} {self.chapter.title}"
        width = self._title_bar.content_region.width
        if width:  # a long title is cut before the view tabs after it, to 16 cells at least (CSS cuts the rest)
            name = services(self).fit(name, max(16, width - cell_len(tail)))
        return name + tail

    def on_resize(self) -> None:
        self.refresh_title()

    def refresh_title(self) -> None:
        self._title_bar.update(self._title())

    def on_page_reader_page_shown(self, event: PageReader.PageShown) -> None:
        self.page_text = f"p.{event.page + 1}/{event.pages}"
        self.refresh_title()

    def watch_view(self, view: View) -> None:
        if not self.is_attached:
            return
        self._ensure_view(view)
        self._switcher.current = view
        self._enter(view)
        self.post_message(self.ViewChanged(self.chapter.id, view))

    def _enter(self, view: View, tries: int = 3) -> None:
        if not self.is_attached or view != self.view:
            services(self).release_keys(self)
            return
        widget = {"text": self._text, "figure": self._deck, "quiz": self._quiz}[view]
        if not widget.is_mounted and tries:  # mounted only now (the first time it is shown)
            services(self).hold_keys(self)  # the keys after the one that showed it are meant for it
            self.call_after_refresh(self._enter, view, tries - 1)
            return
        services(self).release_keys(self)
        if view == "figure":
            self._deck.build()
            self._deck.focus_default()
        elif view == "quiz":
            self._quiz.focus_first()
        elif self._search is not None and self._search.is_open:
            self._search.open(self.reader.needle)
        else:
            self.reader.focus()
        self.refresh_title()

    def refocus(self, widget: Widget | None) -> None:
        """Back from an overlay (the contents list): the focus where it was, in the view shown;
        the view's first place if that widget is gone."""
        if widget is not None and widget.is_attached and self in widget.ancestors and widget.focusable:
            widget.focus(scroll_visible=False)
        else:
            self._enter(self.view)

    def show(self, view: View) -> None:
        if view == "figure" and self.view == "figure":
            count = len(self.chapter.figures)
            if count <= 1:  # f again has no next figure to go to
                self.notify(f"This chapter has {'one figure' if count else 'no figure'}.", timeout=3)
                return
            self._deck.next_figure()
            self.call_after_refresh(self.refresh_title)
        elif view == self.view:
            self._enter(view)
        else:
            self.view = view

    def _shown_figure_kind(self) -> str | None:
        figures = self.chapter.figures
        return figures[self._deck.index % len(figures)].kind if figures and self._deck.built else None

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "no_simulation" and self.view == "figure" and self._shown_figure_kind() == "sim":
            return False  # a simulation's figure (its pane, or its keys kept while it loads)
        return True

    def action_no_simulation(self) -> None:
        """s where nothing runs: says where the chapter's simulations are, if it has any."""
        figure = services(self).key_hint("view-figure")
        sims = sum(f.kind == "sim" for f in self.chapter.figures)
        if not sims:
            message = "Nothing to run: this chapter has no simulation."
        elif self.view == "figure":  # an explorer
            message = f"Nothing to run in this figure: {figure} shows the next one."
        else:
            message = f"Nothing to run in the {self.view}: press {figure} for the simulation{'s' if sims > 1 else ''}."
        self.notify(message, timeout=4)

    def close_transient(self) -> None:
        """escape in the chapter: end a search."""
        if (self._search is not None and self._search.is_open) or self.reader.needle:
            self._end_search()
            self.reader.focus()

    # -- find in the chapter -------------------------------------------------------------------
    def on_page_reader_search_wanted(self, event: PageReader.SearchWanted) -> None:
        event.stop()
        fresh = self._search is None
        bar = self.search
        if fresh:  # just mounted: it can take the focus once it is composed
            self.call_after_refresh(self._open_search, bar)
        else:
            self._open_search(bar)

    def _open_search(self, bar: SearchBar) -> None:
        bar.open(self.reader.needle)
        self.call_later(services(self).release_keys, self.reader)  # the keys read with / go to its field

    def on_search_bar_closed(self, event: SearchBar.Closed) -> None:
        event.stop()
        self._end_search()
        self.reader.focus()

    def _end_search(self) -> None:
        self.hits, self.hit = [], None
        if self._search is not None:
            self._search.close()
        if self.reader.needle:
            self.reader.set_search("")

    def on_search_bar_search(self, event: SearchBar.Search) -> None:
        event.stop()
        self.call_later(services(self).release_keys, self._search)  # held by the bar, for where the focus goes now
        needle = self.needle = event.needle
        if not needle:
            self._end_search()
            self.reader.focus()
            return
        self.hits = self._find(needle)
        if not self.hits:
            self.hit = None
            self.reader.set_search(needle)
            self.search.show_info("no match in this chapter")
            return
        here = self.reader.page
        self.hit = next((i for i, h in enumerate(self.hits) if h.page >= here), 0)
        self._go_to_hit()
        self.reader.focus()

    def on_page_reader_match_wanted(self, event: PageReader.MatchWanted) -> None:
        event.stop()
        if not self.hits:
            return
        self.hit = ((self.hit or 0) + event.direction) % len(self.hits)
        self._go_to_hit()

    def _go_to_hit(self) -> None:
        hit = self.hits[self.hit or 0]
        self.reader.set_search(self.needle, page=hit.page, match=hit.index)
        pages = len({h.page for h in self.hits})
        key = services(self).key_hint
        self.search.show_info(f"match {(self.hit or 0) + 1}/{len(self.hits)} on {pages} page(s); "
                              f"{key('search-next')}/{key('search-previous')}: next/previous, {key('close')}: end")

    def _find(self, needle: str) -> list[Hit]:
        """Every match on every page, as the pages are drawn at the reader's width."""
        from lmtui.tui.widgets.search import Hit

        width = max(10, self.reader._body.content_region.width or self.reader.size.width - 2)
        pattern = re.compile(re.escape(needle), re.I)
        hits: list[Hit] = []
        for i, page in enumerate(self.chapter.pages):
            found = 0
            for line in page_lines(self.app, page.markdown, width)[1]:
                found += len(pattern.findall("".join(seg.text for seg in line)))
            hits += [Hit(i, j) for j in range(found)]
        return hits
