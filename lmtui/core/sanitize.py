"""Text from outside the code, made safe to put on a terminal.

Course files, figure files, progress stores, folder and file names and learner names are
untrusted: a control character in them would reach the learner's terminal and drive it (OSC 52
sets the clipboard, CSI moves the cursor, OSC 0 retitles the window). Everything such text holds
that a terminal would act on is shown visibly instead, in ``cat -v`` notation: ESC is ``^[``,
BEL ``^G``, DEL ``^?``, the C1 control U+009B is ``M-^[``. The rest of an escape sequence is plain
printable text and stays, so a reader sees what was there.

Unicode bidirectional overrides and isolates (which reorder what is shown, so a line reads
differently from what it holds) are shown as ``<U+202E>``.

``clean`` is for one-line text (titles, names, choices): tabs and line breaks become spaces.
``clean_block`` is for multi-line text (a chapter body, an explanation): newlines and tabs stay,
a CRLF becomes a newline. Both are idempotent: the output holds no character they change.
"""

from __future__ import annotations

import re

# C0 controls, DEL, C1 controls; bidi embedding/override/isolate marks.
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
_ANY_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")  # but tab and newline


def visible(ch: str) -> str:
    """The visible form of one control character (``^[`` for ESC)."""
    code = ord(ch)
    if code < 0x20:
        return "^" + chr(code + 0x40)
    if code == 0x7F:
        return "^?"
    if code < 0xA0:
        return "M-^" + chr(code - 0x80 + 0x40)
    return f"<U+{code:04X}>"


def _visible(match: re.Match[str]) -> str:
    return visible(match.group())


def clean(text: str) -> str:
    """One-line text safe for a terminal: tabs and line breaks become spaces, every other control
    character is shown visibly."""
    if not _CONTROL.search(text):
        return text
    text = re.sub("\r\n|[\t\n\r]", " ", text)
    return _CONTROL.sub(_visible, text)


def clean_block(text: str) -> str:
    """Multi-line text safe for a terminal: newlines and tabs stay (CRLF becomes a newline), every
    other control character is shown visibly."""
    if not _ANY_CONTROL.search(text):
        return text
    return _ANY_CONTROL.sub(_visible, text.replace("\r\n", "\n"))


def clean_path(path: object) -> str:
    """A file or folder name (or any path) as text safe for a terminal; names that are not valid
    UTF-8 show their bytes' escapes (``\\udcff``-style surrogates become ``\\xff``)."""
    text = str(path)
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        text = text.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
    return clean(text)


_JSON_LEAVES = re.compile("[\x7f-\x9f\u202a-\u202e\u2066-\u2069]")  # what json.dumps leaves raw


def json_safe(text: str) -> str:
    """JSON text as ``json.dumps(..., ensure_ascii=False)`` writes it (C0 controls escaped) with DEL,
    the C1 controls and the bidi marks escaped too (``\\u009b``): the same data, safe for a terminal."""
    return _JSON_LEAVES.sub(lambda m: f"\\u{ord(m.group()):04x}", text)


def controls_in(text: str, keep_breaks: bool = True) -> list[tuple[int, str]]:
    """(0-based column, character) of each control character in one line of ``text``; tab (and,
    with ``keep_breaks``, CR at a line's end) is not counted."""
    found = []
    for m in (_ANY_CONTROL if keep_breaks else _CONTROL).finditer(text):
        ch = m.group()
        if keep_breaks and ch == "\r" and m.end() == len(text):
            continue
        found.append((m.start(), ch))
    return found


def describe(found: list[tuple[int, str]]) -> str:
    """``^[ at column 5, ^G at column 12`` for what :func:`controls_in` found (1-based columns)."""
    return ", ".join(f"{visible(ch)} at column {col + 1}" for col, ch in found)
