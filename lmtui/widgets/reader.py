"""The chapter reader: one page of Markdown at a time, scrolled with j/k, paged with [ and ].

A page is rendered by Rich's Markdown inside one Static. Textual's Markdown widget makes every
block and list item a widget of its own: a page then costs hundreds of style applications to
mount and restyles them all on every focus change (about 0.4 s per chapter switch on a 2-core
machine, where one renderable takes a few ms). Links are reached from the keyboard with g.
"""

from __future__ import annotations

import re

from rich.markdown import Markdown as RichMarkdown

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.message import Message
from textual.reactive import reactive
from textual.widgets import Static

from ..course import Chapter


class PageReader(VerticalScroll, can_focus=True):
    """Shows ``chapter.pages[page]``. Posts PageShown whenever the page changes."""

    DEFAULT_CSS = """
    PageReader { height: 1fr; padding: 0 1; }
    PageReader > .page-body { width: 1fr; height: auto; }
    PageReader > .page-nav { color: $text-muted; margin-top: 1; }
    """
    BINDINGS = [
        Binding("j", "scroll_down", "Scroll", show=False),
        Binding("k", "scroll_up", "Scroll", show=False),
        Binding("right_square_bracket,right", "next_page", "Next page", id="next-page"),
        Binding("left_square_bracket,left", "previous_page", "Prev page", id="previous-page"),
        Binding("space", "page_down", "Page down", show=False),
        Binding("b", "page_up", "Page up", show=False),
    ]

    page: reactive[int] = reactive(0, init=False)

    class PageShown(Message):
        def __init__(self, chapter_id: str, page: int, pages: int) -> None:
            super().__init__()
            self.chapter_id, self.page, self.pages = chapter_id, page, pages

    def __init__(self, chapter: Chapter, page: int = 0, **kwargs) -> None:
        super().__init__(**kwargs)
        self.chapter = chapter
        self.set_reactive(PageReader.page, max(0, min(page, len(chapter.pages) - 1)))

    def compose(self) -> ComposeResult:
        self._body = Static(render_markdown(self.chapter.pages[self.page].markdown), classes="page-body")
        self._nav = Static(self._nav_text(), classes="page-nav", markup=False)
        yield self._body
        yield self._nav

    def on_mount(self) -> None:
        self.post_message(self.PageShown(self.chapter.id, self.page, len(self.chapter.pages)))

    def _nav_text(self) -> str:
        n = len(self.chapter.pages)
        if self.page + 1 < n:
            return f"-- page {self.page + 1}/{n}: ] next page: {self.chapter.pages[self.page + 1].title} --"
        return f"-- page {n}/{n}, end of chapter: f figure, z quiz, n next chapter --"

    def show_chapter(self, chapter: Chapter, page: int = 0) -> None:
        """Show ``chapter`` at ``page`` (a chapter switch in place)."""
        self.chapter = chapter
        self.set_reactive(PageReader.page, max(0, min(page, len(chapter.pages) - 1)))
        self.watch_page(self.page)

    def watch_page(self, page: int) -> None:
        if not self.is_attached:
            return
        self._body.update(render_markdown(self.chapter.pages[page].markdown))
        self._nav.update(self._nav_text())
        self.scroll_home(animate=False)
        self.post_message(self.PageShown(self.chapter.id, page, len(self.chapter.pages)))
        self.refresh_bindings()

    def action_next_page(self) -> None:
        if self.page + 1 < len(self.chapter.pages):
            self.page += 1
        else:
            self.notify("Last page of this chapter: n goes to the next chapter.", timeout=3)

    def action_previous_page(self) -> None:
        if self.page > 0:
            self.page -= 1

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "next_page":
            return True if self.page + 1 < len(self.chapter.pages) else None
        if action == "previous_page":
            return True if self.page > 0 else None
        return True


_CHAPTER_LINK = re.compile(r"\[([^\]]+)\]\(chapter:[^)\s]*\)")


def render_markdown(text: str) -> RichMarkdown:
    """A page as one renderable. Chapter links become emphasised text (g lists and follows them);
    web links are shown with their address and never opened on the host."""
    return RichMarkdown(_CHAPTER_LINK.sub(r"*\1*", text), hyperlinks=False)
