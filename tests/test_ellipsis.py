"""Text cut to fit says so: one-line bars and contents rows end in an ellipsis (the glyph, or ``...``
under --ascii), and a long chapter title is cut before the view tabs are."""

from __future__ import annotations

import pytest

from lmtui.core.asciitext import clamp, cut, fold_cells, fold_drawn
from lmtui.tui.app import LmtuiApp

from conftest import screen_lines, until, wait_for_workers

LONG = "First Steps Through a Very Long Chapter Title That Cannot Possibly Fit Anywhere"


def test_cut_marks_what_it_leaves_out() -> None:
    assert cut("hello world", 8) == "hello w\u2026"
    assert cut("hello world", 8, "...") == "hello..."
    assert cut("hello world", 11) == "hello world"
    assert cut("hello world", 2, "...") == ".."  # no room for more than the mark
    assert cut("\u4e2d\u6587\u4e2d\u6587", 5) == "\u4e2d\u6587\u2026"  # by cells: two wide characters and the mark


def test_clamp_wraps_and_marks_the_last_line_it_keeps() -> None:
    assert clamp("one two three", 20, 2) == "one two three"
    assert clamp("one two three four", 9, 2) == "one two\nthree fo\u2026"  # nine cells, the mark last
    assert clamp("one two three four", 9, 2, "...") == "one two\nthree..."
    assert clamp("one two three four five six", 9, 3) == "one two\nthree\nfour fiv\u2026"


def test_a_drawn_ellipsis_folds_to_three_dots_in_the_same_cells() -> None:
    assert fold_drawn("Simplifying Lim\u2026") == "Simplifying L..."
    assert fold_drawn("ab\u2026") == "..."
    assert fold_drawn("\u2026") == "."
    assert fold_drawn("\u03b7 \u2500 x") == fold_cells("\u03b7 \u2500 x") == "? - x"  # else one cell for one


@pytest.fixture
def long_course(mini_course):
    first = mini_course / "01-first.md"
    first.write_text(first.read_text(encoding="utf-8").replace('title = "First Steps"', f'title = "{LONG}"'),
                     encoding="utf-8")
    return mini_course


@pytest.mark.parametrize("ascii_only", [False, True], ids=["glyph", "ascii"])
@pytest.mark.parametrize("size", [(80, 24), (120, 40)], ids=["80x24", "120x40"])
async def test_a_long_title_is_cut_with_a_mark_and_the_tabs_stay(long_course, ascii_only, size):
    mark = "..." if ascii_only else "\u2026"
    app = LmtuiApp(content_dir=long_course, ascii_only=ascii_only)
    async with app.run_test(size=size) as pilot:
        await pilot.pause()
        assert await until(pilot, lambda: "[t:Text]" in screen_lines(app)[0], timeout=5)
        title = screen_lines(app)[0]
        name, _, tabs = title.partition(" | ")
        assert name.rstrip().endswith(mark) and LONG not in title
        assert tabs.rstrip().endswith("p.1/2")  # the tabs and the page, whole
        if size[0] < 100:
            await pilot.press("c")  # the contents, shown over the text
        assert await until(pilot, lambda: any("[ ]" in line for line in screen_lines(app)), timeout=5)
        toc_row = next(line for line in screen_lines(app) if "[ ]" in line and "First Steps" in line)
        assert f"{mark} [ ]" in toc_row  # the row's title, cut before its marks
        if ascii_only:
            assert all(line.isascii() for line in screen_lines(app))


async def open_first_simulation(app, pilot) -> None:
    await pilot.pause()
    chapter = next(c for c in app.course.chapters if c.figures and c.figures[0].kind == "sim")
    app.open_chapter(chapter.id, view="figure", figure=0)


async def test_the_simulation_status_line_ends_in_a_mark_when_cut():
    app = LmtuiApp(ascii_only=True)
    async with app.run_test(size=(60, 24)) as pilot:
        await open_first_simulation(app, pilot)
        assert await until(pilot, lambda: any(line.lstrip().startswith("ready (") for line in screen_lines(app)), timeout=20)
        status = next(line for line in screen_lines(app) if line.lstrip().startswith("ready ("))
        assert status.rstrip().endswith("...") and len(status.rstrip()) <= 60
        await wait_for_workers(app)


async def test_a_verdict_longer_than_its_two_lines_ends_in_a_mark():
    from lmtui.tui.widgets.simpane import SimPane

    app = LmtuiApp(ascii_only=True)
    async with app.run_test(size=(80, 24)) as pilot:
        await open_first_simulation(app, pilot)
        assert await until(pilot, lambda: bool(app.screen.query(SimPane)), timeout=20)
        verdict = app.screen.query_one(".sim-verdict")
        words = [f"run{i} agrees" for i in range(40)]
        verdict.update("; ".join(words))
        await pilot.pause()
        await pilot.pause()
        shown = [line.strip() for line in screen_lines(app) if "agrees" in line]
        assert len(shown) == 2 and shown[0].startswith("run0 agrees") and shown[-1].endswith("..."), shown
        await wait_for_workers(app)
