"""One open chapter: a title bar and three views (text, figure, quiz) switched with t / f / z."""

from __future__ import annotations

from textual import work
from textual.app import ComposeResult
from textual.containers import Container
from textual.message import Message
from textual.reactive import reactive
from textual.widget import Widget
from textual.widgets import ContentSwitcher, Static

from ..course import Chapter, Course
from ..progress import Answer
from ..record import VIEWS, ChapterStatus, View
from .quiz import QuizPane
from .reader import PageReader

VIEW_KEYS = {"text": "t", "figure": "f", "quiz": "z"}


class FigureDeck(Container):
    """The chapter's figures, one at a time; built the first time the figure view is shown."""

    DEFAULT_CSS = """
    FigureDeck { height: 1fr; }
    FigureDeck > .figure-empty { padding: 1 2; color: $text-muted; }
    """

    def __init__(self, chapter: Chapter, course: Course, **kwargs) -> None:
        super().__init__(**kwargs)
        self.chapter, self.course = chapter, course
        self.index = 0
        self.built = False
        self._generation = 0

    def reset(self, chapter: Chapter) -> None:
        """Hold ``chapter``'s figures instead, unbuilt (a chapter switch in place)."""
        self.chapter, self.index, self.built = chapter, 0, False
        self._generation += 1  # a simulation module still loading for the old chapter is ignored
        self.remove_children()

    def build(self) -> None:
        """Show the first figure; deferred to on_mount if the deck is not mounted yet."""
        if self.built:
            return
        self.built = True
        if self.is_mounted:
            self._show(0)

    def on_mount(self) -> None:
        if self.built and not self.children:
            self._show(0)

    def _show(self, index: int) -> None:
        from .explorer import ExplorerView

        if not self.is_attached:
            return
        self.remove_children()
        self._generation += 1  # a simulation still loading for the figure shown before is ignored
        figures = self.chapter.figures
        if not figures:
            self.mount(Static("This chapter has no figure.", classes="figure-empty", markup=False))
            return
        self.index = index % len(figures)
        ref = figures[self.index]
        if ref.kind == "explorer":
            explorer = self.course.explorers.get(ref.name)
            if explorer is None:
                widget: Widget = Static(f"Figure {ref.name!r} could not be loaded (run `lmtui check`).", classes="figure-empty", markup=False)
            else:
                widget = ExplorerView(explorer)
        else:
            self.mount(Static(f"Loading simulation {ref.name}...", classes="figure-empty", markup=False))
            self._load_sim(ref.name, self._generation)
            return
        self.mount(widget)
        self.call_after_refresh(self.focus_default)

    class SimLoaded(Message):
        def __init__(self, name: str, generation: int) -> None:
            super().__init__()
            self.name, self.generation = name, generation

    @work(thread=True, exclusive=True, group="figure-load", exit_on_error=False)
    def _load_sim(self, name: str, generation: int) -> None:
        """numpy/scipy and the simulation module load off the UI thread (about a second, once).

        The result goes back as a message, never call_from_thread: that blocks this thread until
        the UI runs the callback, and an app that is quitting never does, so it would hang on exit.
        """
        from ..sims.registry import get

        get(name)
        self.post_message(self.SimLoaded(name, generation))

    def on_figure_deck_sim_loaded(self, message: SimLoaded) -> None:
        from .simpane import SimPane

        if message.generation != self._generation or not self.is_attached:
            return
        self.remove_children()
        self.mount(SimPane(message.name, chapter_id=self.chapter.id))
        self.call_after_refresh(self.focus_default)

    def next_figure(self) -> None:
        if len(self.chapter.figures) > 1 and self.is_mounted:
            self._show(self.index + 1)

    def focus_default(self) -> None:
        for child in self.children:
            focus = getattr(child, "focus_default", None)
            if focus is not None:
                focus()
                return

    def figure_label(self) -> str:
        figures = self.chapter.figures
        if not figures:
            return "Figure"
        if len(figures) == 1:
            return "Figure"
        return f"Figure {self.index + 1}/{len(figures)}"


class ChapterView(Widget):
    DEFAULT_CSS = """
    ChapterView { height: 1fr; layout: vertical; }
    ChapterView > .chapter-title { height: 1; padding: 0 1; background: $primary-background; color: $text; text-style: bold; }
    ChapterView > ContentSwitcher { height: 1fr; }
    """

    view: reactive[View] = reactive("text", init=False)

    def __init__(self, chapter: Chapter, course: Course, answers: dict[str, Answer], status: ChapterStatus | None = None,
                 page: int = 0, view: View = "text", **kwargs) -> None:
        super().__init__(**kwargs)
        self.chapter, self.course, self.answers, self.start_page = chapter, course, answers, page
        self.set_reactive(ChapterView.view, view)
        self.page_text = ""
        # the parts are kept, not queried: a chapter replaced mid-mount (keys faster than the
        # screen) must not look for children that are already gone
        self.reader = PageReader(chapter, page, id="text")
        self._deck = FigureDeck(chapter, course, id="figure")
        self._quiz = QuizPane(chapter, answers, status, id="quiz")
        self._switcher = ContentSwitcher(initial=view)
        self._title_bar = Static("", classes="chapter-title", markup=False)

    def compose(self) -> ComposeResult:
        yield self._title_bar
        with self._switcher:
            yield self.reader
            yield self._deck
            yield self._quiz

    def on_mount(self) -> None:
        self._enter(self.view)

    @property
    def quiz(self) -> QuizPane:
        return self._quiz

    def load(self, chapter: Chapter, answers: dict[str, Answer], status: ChapterStatus | None = None,
             page: int = 0, view: View = "text") -> None:
        """Show another chapter in place. Mounting a whole new view costs a dozen widgets, their
        styles, a focus move and a footer rebuild; in place, a chapter switch in the text view
        updates two Statics."""
        self.chapter, self.answers, self.page_text = chapter, answers, ""
        self.reader.show_chapter(chapter, page)
        self._deck.reset(chapter)
        self._quiz.reset(chapter, answers, status)
        if view != self.view:
            self.view = view  # watch_view enters it
        else:
            self._enter(view)

    def _title(self) -> str:
        tabs = []
        for v in VIEWS:
            name = "Quiz" if v == "quiz" else "Text" if v == "text" else "Figure"
            if v == "figure":
                name = self._deck.figure_label()
            label = f"{VIEW_KEYS[v]}:{name}"
            tabs.append(f"[{label}]" if v == self.view else f" {label} ")
        return f"{self.chapter.order} {self.chapter.title} | {''.join(tabs)} {self.page_text}"

    def refresh_title(self) -> None:
        self._title_bar.update(self._title())

    def on_page_reader_page_shown(self, event: PageReader.PageShown) -> None:
        self.page_text = f"p.{event.page + 1}/{event.pages}"
        self.refresh_title()

    def watch_view(self, view: View) -> None:
        if not self.is_attached:
            return
        self._switcher.current = view
        self._enter(view)

    def _enter(self, view: View) -> None:
        if not self.is_attached:
            return
        if view == "figure":
            self._deck.build()
            self._deck.focus_default()
        elif view == "quiz":
            self._quiz.focus_first()
        else:
            self.reader.focus()
        self.refresh_title()

    def show(self, view: View) -> None:
        if view == "figure" and self.view == "figure":
            self._deck.next_figure()
            self.call_after_refresh(self.refresh_title)
        elif view == self.view:
            self._enter(view)
        else:
            self.view = view
