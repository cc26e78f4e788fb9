"""An explorable figure: a keyboard list of items; the selected item's detail beside it.

Two panes, each with a visible focus bar (a border that shows without colour): up/down or j/k move
in the list, tab goes to the detail, where j/k, space/b and g/G scroll it, and back.
"""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.widget import Widget
from textual.widgets import Label, ListItem, ListView, Static

from lmtui.core.course import Explorer
from lmtui.tui.widgets.reader import render_markdown


class _ItemList(ListView):
    BINDINGS = [
        Binding("j", "cursor_down", "Down", show=False, id="explorer-down", tooltip="down the figure's list"),
        Binding("k", "cursor_up", "Up", show=False, id="explorer-up", tooltip="up the figure's list"),
    ]


class _Detail(VerticalScroll, can_focus=True):
    BINDINGS = [
        Binding("j", "scroll_down", "Scroll", show=False, id="detail-down", tooltip="scroll the detail down"),
        Binding("k", "scroll_up", "Scroll", show=False, id="detail-up", tooltip="scroll the detail up"),
        Binding("space", "page_down", "Page down", show=False, id="detail-page-down", tooltip="page the detail down"),
        Binding("b", "page_up", "Page up", show=False, id="detail-page-up", tooltip="page the detail up"),
        Binding("g,home", "scroll_home", "Top", show=False, id="detail-top", tooltip="top of the detail"),
        Binding("G,end", "scroll_end", "End", show=False, id="detail-bottom", tooltip="end of the detail"),
    ]


class ExplorerView(Widget):
    DEFAULT_CSS = """
    ExplorerView { height: 1fr; layout: vertical; }
    ExplorerView > .explorer-title { text-style: bold; padding: 0 1; }
    ExplorerView > .explorer-hint { color: $text-muted; padding: 0 1; }
    ExplorerView > Horizontal { height: 1fr; }
    ExplorerView _ItemList { width: 30; height: 1fr; border-left: blank; border-right: solid $panel; }
    ExplorerView _ItemList:focus { border-left: thick $accent; }
    ExplorerView _ItemList > ListItem { padding: 0 1; }
    ExplorerView .explorer-detail { width: 1fr; max-width: 100; height: 1fr; padding: 0 1; border-left: blank; }
    ExplorerView .explorer-detail:focus { border-left: thick $accent; }
    ExplorerView .explorer-detail .detail-body { width: 1fr; height: auto; }
    """
    BINDINGS = [
        Binding("tab", "switch_pane", "Pane", show=False, id="explorer-pane", tooltip="between the figure's list and its detail"),
    ]

    def __init__(self, explorer: Explorer, **kwargs) -> None:
        super().__init__(**kwargs)
        self.explorer = explorer
        self.detail_source = self._detail(0)  # the Markdown of the item shown
        self._list = _ItemList(*(ListItem(Label(item.label, markup=False)) for item in explorer.items), initial_index=0)
        self._detail_pane = _Detail(classes="explorer-detail")
        self._body = Static(render_markdown(self.detail_source), classes="detail-body")

    def compose(self) -> ComposeResult:
        yield Static(self.explorer.title, classes="explorer-title", markup=False)
        hint = self.explorer.hint or "Select an item to see its detail."
        yield Static(f"{hint} (up/down: the list; tab: read the detail, j/k to scroll it)", classes="explorer-hint", markup=False)
        with Horizontal():
            yield self._list
            with self._detail_pane:
                yield self._body

    def _detail(self, index: int) -> str:
        item = self.explorer.items[index]
        summary = f"*{item.summary}*\n\n" if item.summary else ""
        return f"### {item.label}\n\n{summary}{item.detail}\n"

    def on_list_view_highlighted(self, event: ListView.Highlighted) -> None:
        event.stop()
        index = event.list_view.index
        if index is None or not 0 <= index < len(self.explorer.items):
            return
        self.detail_source = self._detail(index)
        self._body.update(render_markdown(self.detail_source))
        self._detail_pane.scroll_home(animate=False)

    def on_list_view_selected(self, event: ListView.Selected) -> None:
        event.stop()
        self._detail_pane.focus()  # enter on an item: read it

    def action_switch_pane(self) -> None:
        (self._list if self._detail_pane.has_focus else self._detail_pane).focus()

    def focus_default(self) -> None:
        self._list.focus()

    @property
    def selected(self) -> int | None:
        return self._list.index
