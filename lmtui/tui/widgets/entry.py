"""A one-line field for typing a value into (a parameter, a prediction): the footer says what enter
and escape do, escape posts ``EntryField.Cancelled`` and the owner closes the field."""

from __future__ import annotations

from textual.message import Message

from lmtui.tui.textual_fixes import LeanInput


class EntryField(LeanInput):
    """Subclasses give the enter and escape bindings their own ids and words (``BINDINGS``)."""

    class Cancelled(Message):
        pass

    def __init__(self, value: str = "", placeholder: str = "") -> None:
        super().__init__(value, placeholder=placeholder, select_on_focus=True)
        self.cursor_blink = False

    def action_cancel(self) -> None:
        self.post_message(self.Cancelled())
