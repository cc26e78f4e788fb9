"""Find in the chapter: the search bar, and a renderable that marks the matches on a page.

``/`` opens the bar under the text; enter searches every page of the chapter (case-insensitive,
the words as they read, not the Markdown around them) and goes to the first match at or after
where the learner is; ``n`` / ``N`` go to the next / previous match, across pages; escape ends
the search. Matches are shown in reverse video (visible with NO_COLOR), the current one also
underlined.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from rich.cells import cell_len
from rich.console import Console, ConsoleOptions, RenderResult
from rich.measure import Measurement
from rich.segment import Segment
from rich.style import Style
from textual.app import ComposeResult
from textual.binding import Binding
from textual.message import Message
from textual.widget import Widget
from textual.widgets import Input, Static

from lmtui.tui.services import services
from lmtui.tui.textual_fixes import LeanInput

MATCH = Style(reverse=True)
CURRENT = Style(reverse=True, underline=True, bold=True)
_MARKUP = re.compile(r"[*_`#>|]+|\]\([^)]*\)|\[")


def plain(markdown: str) -> str:
    """Markdown as it reads: emphasis, code and link marks dropped (a search matches the words)."""
    return " ".join(_MARKUP.sub("", markdown).split())


def count(markdown: str, needle: str) -> int:
    return len(re.findall(re.escape(needle), plain(markdown), re.I)) if needle else 0


@dataclass(frozen=True)
class Hit:
    page: int
    index: int  # the index-th match on that page (0-based)


class Highlighted:
    """``renderable`` with every match of ``needle`` restyled; the ``current``-th one stands out.
    Renders the inner renderable to lines and cuts the segments at the matches, so it works for
    any renderable (Rich's Markdown here) at any width."""

    def __init__(self, renderable, needle: str, current: int | None = None) -> None:
        self.renderable, self.needle, self.current = renderable, needle, current
        self.match_lines: list[int] = []  # the line of each match, set by the last render

    def __rich_measure__(self, console: Console, options: ConsoleOptions) -> Measurement:
        return Measurement.get(console, options, self.renderable)

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        pattern = re.compile(re.escape(self.needle), re.I) if self.needle else None
        n = 0
        self.match_lines = []
        for row, line in enumerate(console.render_lines(self.renderable, options, pad=False)):
            if pattern is not None:
                text = "".join(seg.text for seg in line)
                spans = []
                for m in pattern.finditer(text):
                    spans.append((cell_len(text[: m.start()]), cell_len(text[: m.end()]), n == self.current))
                    self.match_lines.append(row)
                    n += 1
                if spans:
                    line = _restyle(line, spans)
            yield from line
            yield Segment.line()


def _restyle(line: list[Segment], spans: list[tuple[int, int, bool]]) -> list[Segment]:
    cuts = sorted({c for start, end, _ in spans for c in (start, end)} | {cell_len("".join(s.text for s in line))})
    out: list[Segment] = []
    position = 0
    for piece in Segment.divide(line, cuts):
        width = sum(s.cell_length for s in piece)
        style = next((CURRENT if current else MATCH for start, end, current in spans if start <= position < end), None)
        out.extend(Segment(s.text, (s.style or Style()) + style, s.control) if style else s for s in piece)
        position += width
    return out


class SearchField(LeanInput):
    async def action_submit(self) -> None:
        # the keys read with enter (enter n) are for the page, once the search has given it the
        # focus back: they wait until the chapter has done so (ChapterView.on_search_bar_search)
        if self.parent is not None:
            services(self).hold_keys(self.parent)
        await super().action_submit()


class SearchBar(Widget):
    """The one-line search field under the text. Posts Search(needle) on enter, Closed on escape."""

    DEFAULT_CSS = """
    SearchBar { height: 1; layout: horizontal; display: none; background: $boost; }
    SearchBar.-open { display: block; }
    SearchBar > .search-label { width: auto; padding: 0 1; }
    SearchBar > Input { width: 1fr; height: 1; border: none; padding: 0; }
    SearchBar > Input:focus { border: none; }
    SearchBar > .search-info { width: auto; padding: 0 1; color: $text-muted; }
    """
    BINDINGS = [Binding("escape", "close", "End search", id="search-close", tooltip="end the search")]

    class Search(Message):
        def __init__(self, needle: str) -> None:
            super().__init__()
            self.needle = needle

    class Closed(Message):
        pass

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self._field = SearchField(placeholder="find in this chapter", select_on_focus=True)
        self._field.cursor_blink = False
        self._info = Static("", classes="search-info", markup=False)

    def compose(self) -> ComposeResult:
        yield Static("/", classes="search-label", markup=False)
        yield self._field
        yield self._info

    def open(self, needle: str = "") -> None:
        self.add_class("-open")
        self._field.value = needle
        self._field.focus()

    def on_unmount(self) -> None:
        services(self).release_keys(self)

    def close(self) -> None:
        self.remove_class("-open")
        self._info.update("")

    @property
    def is_open(self) -> bool:
        return self.has_class("-open")

    def show_info(self, text: str) -> None:
        self._info.update(text)

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.post_message(self.Search(event.value.strip()))

    def on_key(self, event) -> None:
        if event.key == "escape":
            event.stop()
            event.prevent_default()
            self.action_close()

    def action_close(self) -> None:
        self.post_message(self.Closed())
