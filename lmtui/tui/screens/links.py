"""Links on the current page, reachable from the keyboard."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Label, ListItem, ListView, Static

from lmtui.tui.textual_fixes import DismissOnTop


class LinksScreen(DismissOnTop, ModalScreen[str | None]):
    """Dismisses with the chosen link target (or None)."""

    DEFAULT_CSS = """
    LinksScreen { align: center middle; }
    LinksScreen > Vertical { width: 80; max-width: 100%; height: auto; max-height: 100%;
        border: round $primary; background: $surface; padding: 0 1; }
    LinksScreen ListView { height: auto; max-height: 16; }
    """
    CLOSE_KEYS = ("escape", "o", "q")
    BINDINGS = [Binding(",".join(CLOSE_KEYS), "close", "Close", id="close-links")]

    def __init__(self, links: list[tuple[str, str]]) -> None:
        super().__init__()
        self.links = links

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static("Links on this page (enter follows a chapter link; web links are shown, not opened)", markup=False)
            if self.links:
                yield ListView(*(ListItem(Label(self._label(t, href), markup=False)) for t, href in self.links))
            else:
                yield Static("(no links on this page)", markup=False)

    @staticmethod
    def _label(text: str, href: str) -> str:
        if href.startswith("chapter:"):
            return f"-> {text} (chapter)"
        return f"{text}: {href}"

    def on_list_view_selected(self, event: ListView.Selected) -> None:
        index = event.list_view.index
        if index is not None:
            self.dismiss(self.links[index][1])

    def action_close(self) -> None:
        self.dismiss(None)
