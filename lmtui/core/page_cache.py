"""Pages as drawn: the lines of a page of Markdown at a width, kept so it is drawn once.

Drawing a page takes Rich's Markdown: a Markdown parser (markdown-it) and, through Rich's syntax
module, Pygments: a large share of the app's start-up, and real work for every page after that. So:

- **In memory**, the pages drawn in this session (a page turned back to, a chapter switched back
  to, a search cleared, the find-in-chapter pass over every page) are not drawn again.
- **On disk**, the page on screen when the app last ended is kept (one small pickle in the user's
  cache folder, beside the parsed course), and the next start shows it, at the same width, without
  importing the Markdown parser at all: a learner reopens the page they left. Any other page, any
  other width, an edited page or another lmtui or Rich is drawn afresh.

The key is the page's own text with everything else that changes how it is drawn: the width, the
console's encoding and ASCII flag, lmtui's version and Rich's Markdown module (its size and time).
Anything going wrong with the file means the page is drawn as it would be without it.
"""

from __future__ import annotations

import hashlib
import os
import pickle
from collections import OrderedDict
from pathlib import Path

from rich.segment import Segment
from rich.style import Style

from lmtui import __version__

FORMAT = 1
MEMORY_PAGES = 32  # a chapter has 3-6 pages; a session's worth of them is well under 1 MB

Lines = list[list[Segment]]

_memory: OrderedDict[str, Lines] = OrderedDict()
_last_shown: tuple[str, dict[str, Lines]] | None = None  # the page last put on screen, for the next start
_start: dict[str, Lines] | None = None  # what the last run left (a page at the widths laid out), read once
_start_read = False


def _renderer_stamp() -> str:
    """Rich's Markdown module, by size and time, found without importing it."""
    from importlib.util import find_spec

    try:
        spec = find_spec("rich.markdown")
        st = os.stat(spec.origin) if spec and spec.origin else None
    except (ImportError, OSError, ValueError):
        st = None
    return f"{st.st_size}:{st.st_mtime_ns}" if st else "?"


_STAMP: str | None = None


def key(text: str, width: int, encoding: str = "utf-8", ascii_only: bool = False) -> str:
    global _STAMP
    if _STAMP is None:
        _STAMP = _renderer_stamp()
    head = f"{FORMAT}|{__version__}|{_STAMP}|{width}|{encoding}|{int(ascii_only)}|"
    return hashlib.sha256((head + text).encode("utf-8", "surrogateescape")).hexdigest()


def start_file() -> Path | None:
    from lmtui.core.course_cache import cache_dir

    folder = cache_dir()
    return None if folder is None else folder / "start-page.pickle"


def _read_start() -> dict[str, Lines] | None:
    global _start, _start_read
    if not _start_read:
        _start_read = True
        path = start_file()
        try:
            if path is not None:
                with open(path, "rb") as f:
                    stored = pickle.load(f)
                if (isinstance(stored, tuple) and len(stored) == 2 and stored[0] == FORMAT
                        and isinstance(stored[1], dict)
                        and all(isinstance(k, str) and _valid(v) for k, v in stored[1].items())):
                    _start = stored[1]
        except Exception:  # missing, unreadable, or not ours: the page is drawn instead
            _start = None
    return _start


def _valid(lines: object) -> bool:
    return isinstance(lines, list) and all(
        isinstance(line, list) and all(isinstance(seg, Segment) and isinstance(seg.text, str)
                                       and (seg.style is None or isinstance(seg.style, Style)) for seg in line)
        for line in lines)


def lookup(page_key: str) -> Lines | None:
    lines = _memory.get(page_key)
    if lines is not None:
        _memory.move_to_end(page_key)
        return lines
    start = _read_start()
    if start is not None and page_key in start:
        remember(page_key, start[page_key])
        return start[page_key]
    return None


def remember(page_key: str, lines: Lines) -> None:
    _memory[page_key] = lines
    _memory.move_to_end(page_key)
    while len(_memory) > MEMORY_PAGES:
        _memory.popitem(last=False)


def shown(text: str, page_key: str, lines: Lines) -> None:
    """``text``, drawn as ``lines`` (at one width: a layout may try two, with and without a
    scroll bar), is on screen now: the page the next start will likely open with."""
    global _last_shown
    if _last_shown is None or _last_shown[0] != text:
        _last_shown = (text, {})
    _last_shown[1][page_key] = lines


def save_start() -> bool:
    """Keep the page last on screen for the next start (when the app ends). True if written."""
    if _last_shown is None:
        return False
    if _read_start() == _last_shown[1]:
        return False  # already there
    path = start_file()
    if path is None:
        return False
    tmp = path.with_name(f"{path.name}.{os.getpid()}.tmp")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(tmp, "wb") as f:
            pickle.dump((FORMAT, _last_shown[1]), f, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(tmp, path)  # a learner's other process reads the old file or the new one, whole
        return True
    except OSError:
        try:
            tmp.unlink()
        except OSError:
            pass
        return False


def clear() -> None:
    """Forget everything in memory (tests)."""
    global _last_shown, _start, _start_read
    _memory.clear()
    _last_shown, _start, _start_read = None, None, False
