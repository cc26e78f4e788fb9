"""The chapter reader: one page of Markdown at a time, with the keys a less or vim reader expects.

A page is rendered by Rich's Markdown inside one Static. Textual's Markdown widget makes every
block and list item a widget of its own: a page then costs hundreds of style applications to
mount and restyles them all on every focus change, where one renderable is one widget to style.
Links are reached from the keyboard with o.

j/k scroll, space/b page down/up and continue onto the next/previous page at the ends, ] and [
turn pages, g/G (home/end) go to the top/bottom, ctrl+d/ctrl+u move half a screen, / finds in the
chapter (n/N: next/previous match). The text is at most MAX_WIDTH columns wide.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from rich.segment import Segment

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.message import Message
from textual.reactive import reactive
from textual.strip import Strip
from textual.widget import Widget
from textual.widgets import Static

from lmtui.core import page_cache
from lmtui.core.course import Chapter
from lmtui.tui.services import services

if TYPE_CHECKING:
    from textual.timer import Timer

    from lmtui.tui.widgets.search import Highlighted

MAX_WIDTH = 100  # columns of text: longer lines are hard to read


class PageBody(Widget):
    """A page of Markdown, drawn once per width and served line by line.

    A Static renders its Rich renderable again for every height query and every layout pass (two
    or three times for one page, each a whole Markdown render). Here the
    lines are kept until the text or the width changes, and a page without search marks is looked
    up in ``page_cache`` first (drawn before in this session, or the page the last run ended on:
    then the first frame needs no Markdown parser). ``marked`` is the search-marked renderable of
    the last draw (its ``match_lines``), or None."""

    DEFAULT_CSS = """
    PageBody { height: auto; }
    """

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self._text: str | None = None
        self._needle, self._current = "", None
        self.marked: Highlighted | None = None
        self._lines: tuple[int, list[Strip]] | None = None  # (width, lines)
        self._drawn: list = []  # called after the refresh that first draws the text at a width

    @property
    def drawn(self) -> bool:
        """Whether the text (if any) has been drawn at a width, so its height is known."""
        return self._lines is not None or self._text is None

    def when_drawn(self, callback) -> None:
        """Call ``callback`` after the refresh in which the text is next drawn at a width (a
        hidden page is not drawn until it is shown: nothing polls meanwhile)."""
        self._drawn.append(callback)

    def update(self, text: str, needle: str = "", current: int | None = None) -> None:
        self._text, self._needle, self._current = text, needle, current
        self._lines, self.marked = None, None
        self.refresh(layout=True)

    def lines(self, width: int) -> list[Strip]:
        if self._lines is not None and self._lines[0] == width:
            return self._lines[1]
        if self._text is None or width <= 0:
            return []
        if self._needle:
            from lmtui.tui.widgets.search import Highlighted

            self.marked = Highlighted(render_markdown(self._text), self._needle, self._current)
            segments = draw(self.app, self.marked, width)
        else:
            page_key, segments = page_lines(self.app, self._text, width)
            page_cache.shown(self._text, page_key, segments)
        lines = [Strip(line) for line in segments]
        self._lines = (width, lines)
        waiting, self._drawn = self._drawn, []
        for callback in waiting:
            self.call_after_refresh(callback)
        return lines

    def get_content_height(self, container, viewport, width: int) -> int:
        return len(self.lines(width))

    def render_line(self, y: int) -> Strip:
        width = self.size.width
        lines = self.lines(width)
        style = self.rich_style
        line = lines[y] if 0 <= y < len(lines) else Strip.blank(width, style)
        return line.crop_extend(0, width, style).apply_style(style)


class PageReader(VerticalScroll, can_focus=True):
    """Shows ``chapter.pages[page]``. Posts PageShown whenever the page changes."""

    DEFAULT_CSS = f"""
    PageReader {{ height: 1fr; padding: 0 1; scrollbar-gutter: stable; }}
    PageReader > .page-body {{ width: 1fr; max-width: {MAX_WIDTH}; height: auto; }}
    PageReader > .page-nav {{ color: $text-muted; margin-top: 1; max-width: {MAX_WIDTH}; }}
    PageReader > .page-nav.-end {{ color: $text; text-style: bold reverse; }}
    """
    BINDINGS = [
        Binding("j", "scroll_down", "Scroll", show=False, id="scroll-down", tooltip="scroll down a line"),
        Binding("k", "scroll_up", "Scroll", show=False, id="scroll-up", tooltip="scroll up a line"),
        Binding("right_square_bracket,right", "next_page", "Next page", id="next-page", tooltip="next page of the chapter"),
        Binding("left_square_bracket,left", "previous_page", "Prev page", id="previous-page", tooltip="previous page of the chapter"),
        Binding("space,pagedown", "page_forward", "Page down", show=False, id="page-down", tooltip="a screen down; at the bottom, on to the next page"),
        Binding("b,pageup", "page_back", "Page up", show=False, id="page-up", tooltip="a screen up; at the top, back to the previous page"),
        Binding("ctrl+d", "half(1)", "Half down", show=False, id="half-down", tooltip="half a screen down"),
        Binding("ctrl+u", "half(-1)", "Half up", show=False, id="half-up", tooltip="half a screen up"),
        Binding("g,home", "top", "Top", show=False, id="top", tooltip="top of the page"),
        Binding("G,end", "bottom", "Bottom", show=False, id="bottom", tooltip="bottom of the page"),
        Binding("slash", "search", "Find", show=False, id="search", tooltip="find in this chapter (enter searches every page)"),
        Binding("n", "match(1)", "Next match", id="search-next", tooltip="next match of the search, across pages"),
        Binding("N", "match(-1)", "Prev match", id="search-previous", tooltip="previous match of the search"),
    ]

    page: reactive[int] = reactive(0, init=False)

    class PageShown(Message):
        def __init__(self, chapter_id: str, page: int, pages: int) -> None:
            super().__init__()
            self.chapter_id, self.page, self.pages = chapter_id, page, pages

    class SearchWanted(Message):
        """``/``: the chapter view opens its search bar."""

    def __init__(self, chapter: Chapter, page: int = 0, scroll: int = 0, **kwargs) -> None:
        super().__init__(**kwargs)
        self.chapter = chapter
        self._restore = scroll  # the line to scroll to once the first page shown is laid out
        self.set_reactive(PageReader.page, max(0, min(page, len(chapter.pages) - 1)))
        self.needle = ""  # the active search, if any
        self.current_match: int | None = None  # index of the current match on this page
        self._body = PageBody(classes="page-body")
        self._nav = Static("", classes="page-nav", markup=False)

    def compose(self) -> ComposeResult:
        self._render_page()
        self._nav.update(self._nav_text())
        yield self._body
        yield self._nav

    def on_mount(self) -> None:
        self.post_message(self.PageShown(self.chapter.id, self.page, len(self.chapter.pages)))
        self._restore_scroll()

    def _restore_scroll(self) -> None:
        line, self._restore = self._restore, 0
        if line > 0:
            self._laying_out = True
            self.call_after_refresh(self._laid_out)
            self._after_layout(lambda: self.scroll_to(y=line, animate=False))

    def _render_page(self) -> None:
        self._body.update(self.chapter.pages[self.page].markdown, self.needle, self.current_match)

    @property
    def marked(self) -> Highlighted | None:
        """The page with its search marks as last drawn (``match_lines``), if searching."""
        return self._body.marked

    def _nav_text(self) -> str:
        n = len(self.chapter.pages)
        key = services(self).key_hint
        if self.page + 1 < n:
            return f"-- page {self.page + 1}/{n}: {key('next-page')} next page: {self.chapter.pages[self.page + 1].title} --"
        return f"-- page {n}/{n}, end of chapter: {self._next_steps()} --"

    def _next_steps(self) -> str:
        """Where to go from the end of the chapter: its figure, its quiz, then the next chapter, or
        on the course's last chapter the overview of where the learner stands."""
        key = services(self).key_hint
        onward = (f"{key('overview')} overview" if self.chapter.id == services(self).last_chapter
                  else f"{key('next-chapter')} next chapter")
        return f"{key('view-figure')} figure, {key('view-quiz')} quiz, {onward}"

    def show_chapter(self, chapter: Chapter, page: int = 0, scroll: int = 0) -> None:
        """Show ``chapter`` at ``page``, scrolled to line ``scroll`` (a chapter switch in place)."""
        self.chapter = chapter
        self.needle, self.current_match = "", None
        self.set_reactive(PageReader.page, max(0, min(page, len(chapter.pages) - 1)))
        self.watch_page(self.page)
        self._restore = scroll
        self._restore_scroll()

    def watch_page(self, page: int) -> None:
        if not self.is_attached:
            return
        if self._end_timer is not None:
            self._end_timer.stop()
            self._end_timer = None
        self._nav.remove_class("-end")
        self._render_page()
        self._nav.update(self._nav_text())
        self.scroll_home(animate=False)
        self._laying_out = True  # until the new page is laid out, its height is not known
        self.call_after_refresh(self._laid_out)
        self.post_message(self.PageShown(self.chapter.id, page, len(self.chapter.pages)))
        self.refresh_bindings()

    # -- pages -----------------------------------------------------------------------------------
    def _turn(self, delta: int) -> bool:
        target = self.page + delta
        if 0 <= target < len(self.chapter.pages):
            self.current_match = None
            self.page = target
            return True
        return False

    def action_next_page(self) -> None:
        if not self._turn(1):
            self.notify(f"Last page of this chapter: {services(self).key_hint('next-chapter')} goes to the next chapter.",
                        timeout=3)

    def action_previous_page(self) -> None:
        self._turn(-1)

    _laying_out = False
    _put_off: list | None = None

    def _laid_out(self) -> None:
        if not self._body.drawn:  # not drawn at a width yet (hidden, or its layout still to come)
            self._body.when_drawn(self._laid_out)
            return
        self._laying_out = False
        put_off, self._put_off = self._put_off or [], None
        for i, action in enumerate(put_off):  # in the order the keys came
            action()
            if self._laying_out:  # it turned the page: the rest wait for that one's layout
                self._put_off = put_off[i + 1:] + (self._put_off or [])
                return

    def _after_layout(self, action) -> bool:
        """Put ``action`` off until a page just turned to is laid out (keys typed ahead: space
        right after ] must know whether the new page is at its bottom); True if put off."""
        if self._laying_out:
            if self._put_off is None:
                self._put_off = []
            self._put_off.append(action)
            return True
        return False

    def action_page_forward(self) -> None:
        """space: a screen down; at the bottom, on to the top of the next page."""
        if self._after_layout(self.action_page_forward):
            return
        if self.scroll_target_y < self.max_scroll_y:  # where it is going: a scroll may be on its way
            self.scroll_page_down(animate=False)
        elif not self._turn(1):
            self._show_end()

    END_SHOWN = 3.0  # seconds the end-of-chapter line stays marked
    _end_timer: Timer | None = None

    def _show_end(self) -> None:
        """space at the end of the chapter: the line under the text says so, marked for a few
        seconds. A toast would cover the page's last lines (its "Try this" list), and pile up
        as space is pressed again; the line is in view here, under the text, and says it once."""
        self._nav.update(f"-- End of the chapter: {self._next_steps()} --")
        self._nav.add_class("-end")
        if self._end_timer is not None:
            self._end_timer.stop()
        self._end_timer = self.set_timer(self.END_SHOWN, self._clear_end)

    def _clear_end(self) -> None:
        self._end_timer = None
        self._nav.remove_class("-end")
        self._nav.update(self._nav_text())

    def action_page_back(self) -> None:
        """b: a screen up; at the top, back to the end of the previous page."""
        if self._after_layout(self.action_page_back):
            return
        if self.scroll_target_y > 0:
            self.scroll_page_up(animate=False)
        elif self._turn(-1):
            self.call_after_refresh(self.scroll_end, animate=False)

    def action_scroll_down(self) -> None:
        if not self._after_layout(lambda: self._line(1)):
            super().action_scroll_down()

    def action_scroll_up(self) -> None:
        if not self._after_layout(lambda: self._line(-1)):
            super().action_scroll_up()

    def _line(self, direction: int) -> None:
        """j or k put off until the page was laid out (no binding to fall through to by then)."""
        if self.allow_vertical_scroll:
            (self.scroll_down if direction > 0 else self.scroll_up)(animate=False)

    def action_half(self, direction: int) -> None:
        if self._after_layout(lambda: self.action_half(direction)):
            return
        self.scroll_relative(y=direction * max(1, self.scrollable_content_region.height // 2), animate=False)

    def action_top(self) -> None:
        self.scroll_home(animate=False)

    def action_bottom(self) -> None:
        self.scroll_end(animate=False)

    # -- search ----------------------------------------------------------------------------------
    def action_search(self) -> None:
        services(self).hold_keys(self)  # keys read with / wait for the search field (ChapterView)
        self.post_message(self.SearchWanted())

    def set_search(self, needle: str, page: int | None = None, match: int | None = None) -> None:
        """Mark ``needle`` on the page (and go to ``page``, match ``match`` there); '' clears."""
        self.needle = needle
        self.current_match = match
        if page is not None and page != self.page:
            self.page = page  # watch_page renders
        else:
            self._render_page()
            self.refresh_bindings()
        if match is not None:
            self.call_after_refresh(self._scroll_to_match)

    def _scroll_to_match(self) -> None:
        renderable = self._body.marked
        if renderable is None or self.current_match is None or self.current_match >= len(renderable.match_lines):
            return
        line = renderable.match_lines[self.current_match]
        height = self.scrollable_content_region.height
        top = self._body.region.y - self.region.y + int(self.scroll_y)  # the body's offset in the scroll
        self.scroll_to(y=max(0, top + line - height // 3), animate=False)

    class MatchWanted(Message):
        def __init__(self, direction: int) -> None:
            super().__init__()
            self.direction = direction

    def action_match(self, direction: int) -> None:
        self.post_message(self.MatchWanted(direction))

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "next_page":
            return True if self.page + 1 < len(self.chapter.pages) else None
        if action == "previous_page":
            return True if self.page > 0 else None
        if action == "match":
            return bool(self.needle)  # hidden without a search, and n falls through to the next chapter
        return True


def draw(app, renderable, width: int) -> page_cache.Lines:
    options = app.console_options.update(highlight=False, width=width)
    return list(Segment.split_and_crop_lines(app.console.render(renderable, options), width,
                                             include_new_lines=False, pad=False))


def page_lines(app, text: str, width: int) -> tuple[str, page_cache.Lines]:
    """A page of Markdown as lines at ``width`` (and its cache key), from ``page_cache`` if drawn
    before."""
    console = app.console
    page_key = page_cache.key(text, width, console.encoding, console.options.ascii_only)
    lines = page_cache.lookup(page_key)
    if lines is None:
        lines = draw(app, render_markdown(text), width)
        page_cache.remember(page_key, lines)
    return page_key, lines


_CHAPTER_LINK = re.compile(r"\[([^\]]+)\]\(chapter:[^)\s]*\)")


def render_markdown(text: str):
    """A page as one renderable (Rich's Markdown, imported when first needed: see page_cache).
    Chapter links become emphasised text (o lists and follows them); web links are shown with their
    address and never opened on the host."""
    from rich.markdown import Markdown as RichMarkdown

    return RichMarkdown(_CHAPTER_LINK.sub(r"*\1*", text), hyperlinks=False)
