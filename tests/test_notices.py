"""What a key that has nothing to do says: the end of a chapter, f with one figure, s where nothing
runs; and a note repeated by a key pressed again is not piled up."""

from __future__ import annotations

from lmtui.tui.app import LmtuiApp
from lmtui.tui.widgets.reader import PageReader

from conftest import screen_lines, until, wait_for_workers


def notes(app) -> list[str]:
    return [str(n.message) for n in app._notifications]


def chapter_view(app):
    return app.main_screen.chapter_view


async def at_chapter_end(app, pilot) -> PageReader:
    """The first chapter's last page, scrolled to its bottom."""
    reader = chapter_view(app).reader
    reader.page = len(reader.chapter.pages) - 1
    await pilot.pause()
    await pilot.press("G")
    assert await until(pilot, lambda: reader.max_scroll_y > 0 and reader.scroll_y == reader.max_scroll_y, timeout=5)
    return reader


async def test_space_at_the_end_of_the_chapter_leaves_the_last_lines_readable_and_says_it_once(monkeypatch):
    monkeypatch.setattr(PageReader, "END_SHOWN", 2.0, raising=False)  # long enough to look at a loaded machine
    app = LmtuiApp()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        reader = await at_chapter_end(app, pilot)
        nav = reader.query_one(".page-nav")
        last_line = [line for line in screen_lines(app)[:-1] if line.strip()][-2].strip()  # above the page line
        assert last_line and "page" not in last_line
        await pilot.press("space", "space", "space")
        await until(pilot, lambda: nav.has_class("-end") or notes(app), timeout=5)  # a note comes a frame later
        await pilot.pause(0.1)
        lines = screen_lines(app)
        assert any(line.strip() == last_line for line in lines), "the page's last line is covered"
        assert any("End of the chapter" in line for line in lines)
        assert not [n for n in notes(app) if "End of the chapter" in n]  # no toast over the text
        assert nav.has_class("-end")
        assert reader.page == len(reader.chapter.pages) - 1
        assert await until(pilot, lambda: not nav.has_class("-end"), timeout=10)  # back to the page line
        assert "End of the chapter" not in screen_lines(app)[-3] + screen_lines(app)[-2]


async def test_a_note_repeated_while_shown_is_not_piled():
    app = LmtuiApp()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        first = "This is the first chapter."
        await pilot.press("p")  # in the first chapter: says so
        assert await until(pilot, lambda: first in notes(app), timeout=5)
        await pilot.press("p", "p", "p")
        await pilot.pause(0.2)
        assert notes(app).count(first) == 1
        app.clear_notifications()  # gone: the next press says it again
        await pilot.press("p")
        assert await until(pilot, lambda: first in notes(app), timeout=5)


async def test_f_again_in_a_chapter_with_one_figure_says_so():
    app = LmtuiApp()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        view = chapter_view(app)
        assert len(view.chapter.figures) == 1
        await pilot.press("f")
        assert await until(pilot, lambda: view.deck.built and view.view == "figure", timeout=5)
        await pilot.press("f")
        assert await until(pilot, lambda: "This chapter has one figure." in notes(app), timeout=5)
        assert view.view == "figure" and view.deck.index == 0


async def test_s_where_nothing_runs_says_where_the_simulation_is():
    app = LmtuiApp()
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        chapters = app.course.chapters
        assert [f.kind for f in chapters[0].figures] == ["explorer"]
        await pilot.press("s")  # the text of a chapter with no simulation
        assert await until(pilot, lambda: "Nothing to run: this chapter has no simulation." in notes(app), timeout=5)
        app.clear_notifications()

        second = chapters[1]
        assert [f.kind for f in second.figures] == ["explorer", "sim"]
        app.open_chapter(second.id, page=0, view="text", figure=0)
        await pilot.pause()
        await pilot.press("s")
        assert await until(pilot, lambda: "Nothing to run in the text: press f for the simulation." in notes(app), timeout=5)
        await pilot.press("f")  # the explorer first
        view = chapter_view(app)
        assert await until(pilot, lambda: view.deck.built and view.view == "figure", timeout=5)
        await pilot.press("s")
        assert await until(pilot, lambda: "Nothing to run in this figure: f shows the next one." in notes(app), timeout=5)
        await pilot.press("z")
        assert await until(pilot, lambda: view.view == "quiz" and app.focused is not None
                           and type(app.focused).__name__ == "QuestionCard", timeout=5)
        await pilot.press("s")
        assert await until(pilot, lambda: "Nothing to run in the quiz: press f for the simulation." in notes(app), timeout=5)
        # on the simulation's figure the key is the pane's (or kept for it while it loads)
        await pilot.press("f", "f")
        assert await until(pilot, lambda: view.view == "figure" and view.deck.index == 1, timeout=5)
        assert view.check_action("no_simulation", ()) is False
        await wait_for_workers(app)


async def test_s_rebound_says_it_too():
    app = LmtuiApp()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        app.update_keymap({"sim-run": "x"})
        await pilot.pause()
        await pilot.press("x")
        assert await until(pilot, lambda: any("Nothing to run" in n for n in notes(app)), timeout=5)


async def test_the_end_of_the_last_chapter_leads_to_the_overview_not_a_next_chapter():
    app = LmtuiApp()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        for chapter, onward in ((app.course.chapters[0], "n next chapter"), (app.course.chapters[-1], "O overview")):
            app.open_chapter(chapter.id, page=len(chapter.pages) - 1)
            reader = chapter_view(app).reader
            assert await until(pilot, lambda: reader.chapter.id == chapter.id, timeout=5)
            await pilot.press("G", "space")
            assert await until(pilot, lambda: any("End of the chapter" in line for line in screen_lines(app)), timeout=5)
            line = next(line for line in screen_lines(app) if "End of the chapter" in line)
            assert onward in line and ("next chapter" in line) == (onward == "n next chapter"), line
