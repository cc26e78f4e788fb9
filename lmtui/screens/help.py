"""The help screen: what the keys do, generated from the live bindings where possible."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

from ..textual_fixes import DismissOnTop

KEYS: list[tuple[str, str]] = [
    ("n / p", "next / previous chapter"),
    ("t / f / z", "the chapter's text, figure (again: next figure), quiz"),
    ("j / k, up / down", "scroll the page (or move in a list)"),
    ("] / [, right / left", "next / previous page of the text"),
    ("space / b", "page down / up"),
    ("tab / shift+tab", "move focus (quiz questions, parameters)"),
    ("1-4", "answer the focused quiz question"),
    ("s", "start / stop the simulation"),
    ("r", "reset the simulation's parameters"),
    ("v", "next chart panel (when the terminal is too small for all)"),
    ("left / right, - / +", "step the focused parameter"),
    ("enter", "type a parameter value (escape cancels)"),
    ("g", "links on this page (chapter links open here; web links are only shown)"),
    ("c", "show / hide the table of contents"),
    ("ctrl+p", "command palette: jump to any chapter"),
    ("?", "this help"),
    ("q", "quit (progress is saved as you go)"),
]


def help_text() -> str:
    width = max(len(k) for k, _ in KEYS)
    lines = ["Keys", ""]
    lines += [f"  {k.ljust(width)}  {v}" for k, v in KEYS]
    lines += [
        "",
        "Everything works from the keyboard. Progress (chapters read, quiz answers, the",
        "last chapter) is saved as you go under $LMTUI_HOME or your user data folder.",
        "",
        "Press escape or ? to close.",
    ]
    return "\n".join(lines)


class HelpScreen(DismissOnTop, ModalScreen[None]):
    DEFAULT_CSS = """
    HelpScreen { align: center middle; }
    HelpScreen > VerticalScroll { width: 84; max-width: 100%; height: auto; max-height: 100%;
        border: round $primary; background: $surface; padding: 0 1; }
    """
    CLOSE_KEYS = ("escape", "question_mark", "q")
    BINDINGS = [
        Binding(",".join(CLOSE_KEYS), "close", "Close", id="close-help"),
        Binding("j,down", "scroll_down", "Scroll", show=False),
        Binding("k,up", "scroll_up", "Scroll", show=False),
    ]

    def compose(self) -> ComposeResult:
        with VerticalScroll():
            yield Static(help_text(), markup=False)

    def action_close(self) -> None:
        self.dismiss(None)

    def action_scroll_down(self) -> None:
        self.query_one(VerticalScroll).scroll_down(animate=False)

    def action_scroll_up(self) -> None:
        self.query_one(VerticalScroll).scroll_up(animate=False)
