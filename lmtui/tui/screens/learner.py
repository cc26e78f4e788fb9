"""Who is learning? Asked at start when the app keeps one record per learner (``lmtui serve``, or
``lmtui --learners DIR``): each name gets its own folder, ``DIR/<name>/``, laid out like an
LMTUI_HOME. A name is not a password: anyone who types it opens that record (the screen says so).

The name is checked before it becomes a folder: no path separators, no ``..``, no leading dot, no
control or format characters, letters of one script only (a Cyrillic "с" among Latin letters
makes a name that looks like another), at most ``MAX_NAME`` characters. Names are compared in
Unicode's compatibility form, case-folded (NFKC, casefold): a name that differs from an existing
learner's only in case, width or form opens that learner's folder, so "alice" and a fullwidth
"Ａlice" find "Alice".
"""

from __future__ import annotations

import unicodedata
from pathlib import Path

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import Screen
from textual.widgets import Input, Static

from lmtui.tui.services import services
from lmtui.tui.textual_fixes import DismissOnTop

MAX_NAME = 40
_ALLOWED_PUNCTUATION = set(" .-_'")


def name_problem(name: str) -> str | None:
    """Why ``name`` cannot be a learner's folder name, or None if it can (``name`` is stripped)."""
    if not name:
        return "Type a name (letters, digits, spaces, . - _ ')."
    if len(name) > MAX_NAME:
        return f"That name is {len(name)} characters long; at most {MAX_NAME}, please."
    if "/" in name or "\\" in name:
        return "A name cannot contain / or \\."
    if ".." in name:
        return "A name cannot contain '..'."
    if name.startswith("."):
        return "A name cannot start with a dot."
    for ch in name:
        category = unicodedata.category(ch)
        if category[0] == "C" or category in ("Zl", "Zp"):
            return "A name cannot contain control characters."
        if not (ch.isalnum() or ch in _ALLOWED_PUNCTUATION or category == "Mn"):
            return f"A name cannot contain {ch!r}: use letters, digits, spaces, . - _ '."
    return mixed_scripts(name)


# Scripts that are written together: Japanese (kanji with kana) and Korean (hangul with hanja).
_WRITTEN_TOGETHER = ({"Han", "Hiragana", "Katakana"}, {"Han", "Hangul"})


def script_of(ch: str) -> str | None:
    """The script of a letter, from its Unicode name ("LATIN SMALL LETTER A" -> "Latin"); None for
    what belongs to no one script (digits, punctuation, marks)."""
    if not ch.isalpha():
        return None
    word = unicodedata.name(ch, "").split(" ")[0]
    return {"CJK": "Han", "HANGUL": "Hangul", "KATAKANA-HIRAGANA": "Katakana"}.get(word, word.title() or None)


def mixed_scripts(name: str) -> str | None:
    """Why ``name`` mixes scripts, or None: letters of two scripts make names that look alike
    ("alice" with a Cyrillic "с"), so a name keeps to one (or to one way of writing a language)."""
    scripts: dict[str, str] = {}
    for ch in name:
        script = script_of(ch)
        if script is not None:
            scripts.setdefault(script, ch)
    if len(scripts) < 2 or any(scripts.keys() <= together for together in _WRITTEN_TOGETHER):
        return None
    (first, a), (second, b) = list(scripts.items())[:2]
    return f"That name mixes {first} and {second} letters ({a} and {b}); use letters of one script."


def normalize_name(raw: str) -> str:
    """The name as it is checked and stored: NFKC (a fullwidth or styled letter is the letter),
    surrounding space stripped, inner runs of space collapsed to one."""
    return " ".join(unicodedata.normalize("NFKC", raw).split())


def name_key(name: str) -> str:
    """What two names must share to be one learner: NFKC, case-folded (then NFKC again, as
    case-folding can leave a character that has a compatibility form)."""
    return unicodedata.normalize("NFKC", unicodedata.normalize("NFKC", name).casefold())


def learner_home(learners: Path, name: str) -> Path:
    """The folder for ``name`` under ``learners``: an existing learner whose name has the same
    :func:`name_key`, else ``learners/name``. ``name`` must have passed ``name_problem``."""
    wanted = name_key(name)
    try:
        for child in sorted(learners.iterdir()):
            if child.is_dir() and name_key(child.name) == wanted:
                return child
    except OSError:
        pass
    return learners / name


class LearnerScreen(DismissOnTop, Screen[tuple[str, Path]]):
    """Asks for the learner's name; dismissed with (name, the folder to keep progress in), once
    (a second enter in flight finds it gone). Escape does not close it: there is nothing below."""

    CLOSE_KEYS = ()

    DEFAULT_CSS = """
    LearnerScreen { align: center middle; }
    LearnerScreen > Vertical { width: 64; max-width: 100%; height: auto; padding: 1 2; border: round $primary; }
    LearnerScreen.-ascii > Vertical { border: ascii $primary; }
    LearnerScreen #learner-title { text-style: bold; }
    LearnerScreen #learner-name { margin: 1 0 0 0; }
    LearnerScreen #learner-problem { color: $error; height: auto; min-height: 1; }
    LearnerScreen #learner-note { color: $text-muted; }
    """
    BINDINGS = [Binding("ctrl+c", "app.quit", "Quit", show=False, id="quit-learner")]

    def __init__(self, learners: Path) -> None:
        super().__init__()
        self.learners = learners

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static("Learning Mechanics: who is learning?", id="learner-title", markup=False)
            yield Static(
                "Type your name and press enter. The same name next time takes you back to "
                "where you were, with your answers.", markup=False,
            )
            yield Input(placeholder="your name", max_length=MAX_NAME + 20, id="learner-name")
            yield Static("", id="learner-problem", markup=False)
            yield Static(
                "A name is not a password: anyone who types the same name opens the same record. "
                "Pick one that is yours.", id="learner-note", markup=False,
            )

    def on_mount(self) -> None:
        if services(self).ascii_only:
            self.add_class("-ascii")
        self.query_one(Input).focus()

    @on(Input.Submitted, "#learner-name")
    def _submitted(self, event: Input.Submitted) -> None:
        name = normalize_name(event.value)
        problem = name_problem(name)
        if problem is not None:
            self.query_one("#learner-problem", Static).update(problem)
            return
        self.dismiss((name, learner_home(self.learners, name)))

    @on(Input.Changed, "#learner-name")
    def _changed(self) -> None:
        self.query_one("#learner-problem", Static).update("")
