"""Shown instead of a broken layout when the terminal is below the smallest usable size."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import Static


class TooSmallScreen(Screen[None]):
    DEFAULT_CSS = """
    TooSmallScreen { align: center middle; }
    TooSmallScreen > Static { width: auto; height: auto; }
    """
    BINDINGS = [Binding("q,ctrl+c", "app.quit", "Quit", id="quit-small")]

    def __init__(self, min_width: int, min_height: int) -> None:
        super().__init__()
        self.min_width, self.min_height = min_width, min_height

    def compose(self) -> ComposeResult:
        yield Static("", markup=False)

    def on_mount(self) -> None:
        self.update_size()

    def on_resize(self) -> None:
        self.update_size()

    def update_size(self) -> None:
        w, h = self.app.size
        self.query_one(Static).update(
            f"Terminal too small: {w}x{h}.\nlmtui needs at least {self.min_width}x{self.min_height}.\nEnlarge the window (q quits)."
        )
