"""The chapter reader: one page of Markdown at a time, scrolled with j/k, paged with [ and ]."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.message import Message
from textual.reactive import reactive
from textual.widgets import Markdown, Static

from ..course import Chapter


class PageReader(VerticalScroll, can_focus=True):
    """Shows ``chapter.pages[page]``. Posts PageShown whenever the page changes."""

    DEFAULT_CSS = """
    PageReader { height: 1fr; padding: 0 1; }
    PageReader > Markdown { margin: 0; padding: 0; }
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
        yield Markdown(self.chapter.pages[self.page].markdown, open_links=False)
        yield Static(self._nav_text(), classes="page-nav", markup=False)

    def on_mount(self) -> None:
        self.post_message(self.PageShown(self.chapter.id, self.page, len(self.chapter.pages)))

    def _nav_text(self) -> str:
        n = len(self.chapter.pages)
        if self.page + 1 < n:
            return f"-- page {self.page + 1}/{n}: ] next page: {self.chapter.pages[self.page + 1].title} --"
        return f"-- page {n}/{n}, end of chapter: f figure, z quiz, n next chapter --"

    async def watch_page(self, page: int) -> None:
        await self.query_one(Markdown).update(self.chapter.pages[page].markdown)
        self.query_one(".page-nav", Static).update(self._nav_text())
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
