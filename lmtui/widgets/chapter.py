"""One open chapter: a title bar and three views (text, figure, quiz) switched with t / f / z."""

from __future__ import annotations

from typing import Literal

from textual import work
from textual.app import ComposeResult
from textual.containers import Container
from textual.reactive import reactive
from textual.widget import Widget
from textual.widgets import ContentSwitcher, Static

from ..course import Chapter, Course
from ..progress import Answer
from .quiz import QuizPane
from .reader import PageReader

View = Literal["text", "figure", "quiz"]
VIEWS: tuple[View, ...] = ("text", "figure", "quiz")
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

    def build(self) -> None:
        if self.built:
            return
        self.built = True
        self._show(0)

    def _show(self, index: int) -> None:
        from .explorer import ExplorerView

        self.remove_children()
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
            self._load_sim(ref.name, self.index)
            return
        self.mount(widget)
        self.call_after_refresh(self.focus_default)

    @work(thread=True, exclusive=True, group="figure-load", exit_on_error=False)
    def _load_sim(self, name: str, index: int) -> None:
        """numpy/scipy and the simulation module load off the UI thread (about a second, once)."""
        from ..sims.registry import get

        get(name)
        self.app.call_from_thread(self._mount_sim, name, index)

    def _mount_sim(self, name: str, index: int) -> None:
        from .simpane import SimPane

        if index != self.index or not self.is_mounted:
            return
        self.remove_children()
        self.mount(SimPane(name, chapter_id=self.chapter.id))
        self.call_after_refresh(self.focus_default)

    def next_figure(self) -> None:
        if len(self.chapter.figures) > 1:
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

    def __init__(self, chapter: Chapter, course: Course, answers: dict[int, Answer], page: int = 0, view: View = "text", **kwargs) -> None:
        super().__init__(**kwargs)
        self.chapter, self.course, self.answers, self.start_page = chapter, course, answers, page
        self.set_reactive(ChapterView.view, view)
        self.page_text = ""

    def compose(self) -> ComposeResult:
        yield Static(self._title(), classes="chapter-title", markup=False)
        with ContentSwitcher(initial=self.view):
            yield PageReader(self.chapter, self.start_page, id="text")
            yield FigureDeck(self.chapter, self.course, id="figure")
            yield QuizPane(self.chapter, self.answers, id="quiz")

    def on_mount(self) -> None:
        self._enter(self.view)

    def _title(self) -> str:
        tabs = []
        for v in VIEWS:
            name = "Quiz" if v == "quiz" else "Text" if v == "text" else "Figure"
            if v == "figure" and self.is_mounted:
                name = self.query_one(FigureDeck).figure_label()
            label = f"{VIEW_KEYS[v]}:{name}"
            tabs.append(f"[{label}]" if v == self.view else f" {label} ")
        return f"{self.chapter.order} {self.chapter.title} | {''.join(tabs)} {self.page_text}"

    def refresh_title(self) -> None:
        self.query_one(".chapter-title", Static).update(self._title())

    def on_page_reader_page_shown(self, event: PageReader.PageShown) -> None:
        self.page_text = f"p.{event.page + 1}/{event.pages}"
        self.refresh_title()

    def watch_view(self, view: View) -> None:
        self.query_one(ContentSwitcher).current = view
        self._enter(view)

    def _enter(self, view: View) -> None:
        if view == "figure":
            deck = self.query_one(FigureDeck)
            deck.build()
            deck.focus_default()
        elif view == "quiz":
            self.query_one(QuizPane).focus_first()
        else:
            self.query_one(PageReader).focus()
        self.refresh_title()

    def show(self, view: View) -> None:
        if view == "figure" and self.view == "figure":
            self.query_one(FigureDeck).next_figure()
            self.call_after_refresh(self.refresh_title)
        elif view == self.view:
            self._enter(view)
        else:
            self.view = view

    @property
    def reader(self) -> PageReader:
        return self.query_one(PageReader)
