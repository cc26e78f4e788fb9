"""An explorable figure: a keyboard list of items; the selected item's detail beside it."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.widget import Widget
from textual.widgets import Label, ListItem, ListView, Static

from .reader import render_markdown

from ..course import Explorer


class _ItemList(ListView):
    BINDINGS = [
        Binding("j", "cursor_down", "Down", show=False),
        Binding("k", "cursor_up", "Up", show=False),
    ]


class ExplorerView(Widget):
    DEFAULT_CSS = """
    ExplorerView { height: 1fr; layout: vertical; }
    ExplorerView > .explorer-title { text-style: bold; padding: 0 1; }
    ExplorerView > .explorer-hint { color: $text-muted; padding: 0 1; }
    ExplorerView > Horizontal { height: 1fr; }
    ExplorerView _ItemList { width: 30; height: 1fr; border-right: solid $panel; }
    ExplorerView _ItemList > ListItem { padding: 0 1; }
    ExplorerView .explorer-detail { width: 1fr; height: 1fr; padding: 0 1; }
    ExplorerView .explorer-detail .detail-body { width: 1fr; height: auto; }
    """

    def __init__(self, explorer: Explorer, **kwargs) -> None:
        super().__init__(**kwargs)
        self.explorer = explorer
        self.detail_source = self._detail(0)  # the Markdown of the item shown

    def compose(self) -> ComposeResult:
        yield Static(self.explorer.title, classes="explorer-title", markup=False)
        hint = self.explorer.hint or "Select an item to see its detail."
        yield Static(f"{hint} (up/down or j/k)", classes="explorer-hint", markup=False)
        with Horizontal():
            yield _ItemList(*(ListItem(Label(item.label, markup=False)) for item in self.explorer.items), initial_index=0)
            with VerticalScroll(classes="explorer-detail"):
                yield Static(render_markdown(self._detail(0)), classes="detail-body")

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
        for detail in self.query(".explorer-detail"):
            detail.query_one(".detail-body", Static).update(render_markdown(self.detail_source))
            detail.scroll_home(animate=False)

    def on_list_view_selected(self, event: ListView.Selected) -> None:
        event.stop()

    def focus_default(self) -> None:
        for item_list in self.query(_ItemList):
            item_list.focus()

    @property
    def selected(self) -> int | None:
        lists = self.query(_ItemList)
        return lists.first().index if lists else None
