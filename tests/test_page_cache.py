"""Pages drawn once: in memory for a session, and the page a run ended on for the next start,
which then shows it without importing Rich's Markdown (markdown-it, Pygments)."""

from __future__ import annotations

import pickle

import pytest
from rich.segment import Segment
from rich.style import Style

from lmtui.core import page_cache
from lmtui.tui.app import LmtuiApp
from lmtui.tui.widgets.reader import PageReader

from ptysession import first_frame


@pytest.fixture(autouse=True)
def fresh_cache():
    page_cache.clear()
    yield
    page_cache.clear()


LINES = [[Segment("Title", Style(bold=True))], [Segment("body "), Segment("text", Style(italic=True))]]


def test_the_key_is_the_text_and_everything_that_changes_the_drawing():
    base = page_cache.key("# A page", 80)
    assert base == page_cache.key("# A page", 80)
    others = {page_cache.key("# A page!", 80), page_cache.key("# A page", 79),
              page_cache.key("# A page", 80, encoding="ascii"), page_cache.key("# A page", 80, ascii_only=True)}
    assert base not in others and len(others) == 4


def test_the_page_shown_last_is_read_back_by_the_next_run():
    assert page_cache.save_start() is False  # nothing shown yet
    key = page_cache.key("text", 40)
    page_cache.shown("text", key, LINES)
    assert page_cache.save_start() is True
    page_cache.clear()  # a new process
    assert page_cache.lookup(key) == LINES
    assert page_cache.lookup(page_cache.key("text", 41)) is None  # another width is drawn afresh
    page_cache.shown("text", key, LINES)
    assert page_cache.save_start() is False  # unchanged: not written again


@pytest.mark.parametrize("junk", [b"", b"not a pickle", pickle.dumps("a string"), pickle.dumps((1, {"k": "v"})),
                                  pickle.dumps((1, {"k": [[("text", None)]]})), pickle.dumps((99, {}))],
                         ids=["empty", "not-pickle", "a-string", "not-lines", "tuples-not-segments", "other-format"])
def test_a_damaged_or_foreign_start_file_is_ignored(junk):
    path = page_cache.start_file()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(junk)
    assert page_cache.lookup(page_cache.key("text", 40)) is None
    key = page_cache.key("text", 40)
    page_cache.shown("text", key, LINES)
    assert page_cache.save_start() is True  # and replaced
    page_cache.clear()
    assert page_cache.lookup(key) == LINES


def test_memory_keeps_a_bounded_number_of_pages():
    for i in range(page_cache.MEMORY_PAGES + 5):
        page_cache.remember(f"k{i}", LINES)
    assert page_cache.lookup("k0") is None and page_cache.lookup(f"k{page_cache.MEMORY_PAGES + 4}") == LINES


async def test_a_page_from_the_cache_looks_as_it_does_drawn():
    def lines(app):
        body = app.main_screen.chapter_view.query_one(PageReader)._body
        return [line.text for line in body.lines(body.size.width)]

    app = LmtuiApp()
    async with app.run_test(size=(90, 30)) as pilot:
        await pilot.pause()
        drawn = lines(app)
        page_cache.save_start()
    page_cache.clear()
    app = LmtuiApp()
    async with app.run_test(size=(90, 30)) as pilot:
        await pilot.pause()
        assert lines(app) == drawn and page_cache._start is not None  # read back, not drawn


def start(tmp_path, name: str) -> tuple[str, set[str]]:
    # the modules at the first frame, before the warm-up import (1 s after it); the settled screen
    return first_frame(tmp_path / f"{name}.txt", {"LMTUI_HOME": str(tmp_path / "home")}, settle=0.5)


def test_the_second_start_shows_the_page_without_the_markdown_parser(tmp_path):
    screen1, loaded1 = start(tmp_path, "first")
    assert "rich.markdown" in loaded1 and page_cache.start_file().exists()
    screen2, loaded2 = start(tmp_path, "second")
    assert "lmtui.tui.app" in loaded2 and not {"rich.markdown", "markdown_it", "pygments"} & loaded2
    assert screen2 == screen1
