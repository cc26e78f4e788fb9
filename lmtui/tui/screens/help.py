"""The help screen, generated from the live bindings: every key the app has, as it is bound now
(the settings file's [keymap] and Textual's update_keymap included), with each binding's id for
rebinding."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

from lmtui.tui.keys import bindings
from lmtui.tui.services import services
from lmtui.tui.textual_fixes import DismissOnTop

INTRO = ("Everything works from the keyboard; the footer shows the keys that work where you are. Progress "
         "(chapters read, quiz answers, predictions, your place) is saved as you go: `lmtui locate` prints where. "
         "Rebind any key in the settings file's [keymap] table, as binding-id = \"keys\" (the ids are in the last "
         "column).")


def sections(app) -> list[tuple[str, list[tuple[str, str, str]]]]:
    """(title, [(keys, what they do, binding id)]) from the live bindings."""
    out = []
    for title, group in bindings():
        numbered = {b.id for b in group if b.id[-1].isdigit() and b.id[-2] == "-"}  # answer-1 .. answer-4
        key = services(app).key_hint
        rows = [(key(b.id, every=True), b.tooltip or b.description, b.id) for b in group if b.id not in numbered]
        for prefix in dict.fromkeys(i[:-2] for i in sorted(numbered)):  # one row per family of number keys
            family = [b for b in group if b.id in numbered and b.id[:-2] == prefix]
            what = "answer the marked question" if prefix == "answer" else (family[0].tooltip or family[0].description)
            rows.insert(0, (" ".join(key(b.id) for b in family), f"{what} (choice 1-{len(family)})",
                            f"{family[0].id}..{family[-1].id[-1]}"))
        if title == "Anywhere":
            rows.insert(0, ("ctrl+p", "command palette: find a chapter, figure or quiz", "-"))
            rows.insert(1, ("tab/shift+tab", "move between the parts of a view (questions, parameters, panes)", "-"))
        out.append((title, rows))
    return out


def help_text(app) -> str:
    """The help as plain text (what the screen shows, for tests and `--help`-like uses)."""
    lines = [INTRO, ""]
    for title, rows in sections(app):
        lines.append(title)
        lines += [f"  {keys}  {what}  [{binding_id}]" for keys, what, binding_id in rows]
        lines.append("")
    return "\n".join(lines)


def help_renderable(app):
    """The help as tables that wrap to the screen's width."""
    from rich.cells import cell_len
    from rich.console import Group
    from rich.table import Table
    from rich.text import Text

    parts: list = [Text(INTRO), Text("")]
    found = sections(app)
    every = [row for _, rows in found for row in rows]
    # the same columns in every section: keys, what they do and ids line up down the whole help
    keys_width = max((cell_len(keys) for keys, _, _ in every), default=1)
    ids_width = max((cell_len(binding_id) for _, _, binding_id in every), default=1)
    for title, rows in found:
        parts.append(Text(title, style="bold"))
        table = Table.grid(padding=(0, 2), expand=True)
        table.add_column(no_wrap=True, min_width=keys_width)
        table.add_column(ratio=1)
        table.add_column(no_wrap=True, style="dim", min_width=ids_width)
        for keys, what, binding_id in rows:
            table.add_row(keys, what, binding_id)
        parts += [table, Text("")]
    parts.append(Text("escape or ? closes this help."))
    return Group(*parts)


class HelpScreen(DismissOnTop, ModalScreen[None]):
    DEFAULT_CSS = """
    HelpScreen { align: center middle; }
    HelpScreen > VerticalScroll { width: 100; max-width: 100%; height: auto; max-height: 100%;
        border: round $primary; background: $surface; padding: 0 1; }
    """
    CLOSE_KEYS = ("escape", "question_mark", "q")
    BINDINGS = [
        Binding(",".join(CLOSE_KEYS), "close", "Close", id="close-help"),
        Binding("j,down", "scroll_down", "Scroll", show=False, id="help-down"),
        Binding("k,up", "scroll_up", "Scroll", show=False, id="help-up"),
        # the reader's paging keys, so the help reads as the chapters do
        Binding("space", "page_down", "Page down", show=False, id="help-page-down"),
        Binding("b", "page_up", "Page up", show=False, id="help-page-up"),
        Binding("g", "top", "Top", show=False, id="help-top"),
        Binding("G", "bottom", "Bottom", show=False, id="help-bottom"),
    ]

    def compose(self) -> ComposeResult:
        with VerticalScroll():
            yield Static(help_renderable(self.app), markup=False)

    def action_close(self) -> None:
        self.dismiss(None)

    def action_scroll_down(self) -> None:
        self.query_one(VerticalScroll).scroll_down(animate=False)

    def action_scroll_up(self) -> None:
        self.query_one(VerticalScroll).scroll_up(animate=False)

    def action_page_down(self) -> None:
        self.query_one(VerticalScroll).scroll_page_down(animate=False)

    def action_page_up(self) -> None:
        self.query_one(VerticalScroll).scroll_page_up(animate=False)

    def action_top(self) -> None:
        self.query_one(VerticalScroll).scroll_home(animate=False)

    def action_bottom(self) -> None:
        self.query_one(VerticalScroll).scroll_end(animate=False)
