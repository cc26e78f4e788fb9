"""Resume where you were: the chapter, its view, the figure, the page and the line of the page, and
the parameters set on each figure come back in the next session (kept in the store's `state`
table); what no longer applies (a parameter the simulation no longer has, a value it refuses, a
damaged entry) falls back to the default."""

from __future__ import annotations

from lmtui.core.progress import ProgressStore
from lmtui.core.record import LearnerRecord
from lmtui.tui.app import LmtuiApp


async def settle(pilot, n: int = 3) -> None:
    for _ in range(n):
        await pilot.pause(0.05)


async def wait_for_pane(pilot, app):
    from lmtui.tui.widgets.simpane import SimPane

    for _ in range(40):
        await pilot.pause(0.1)
        panes = list(app.query(SimPane))
        if panes and panes[0].is_mounted:
            await settle(pilot)
            return panes[0]
    raise AssertionError("no simulation pane")


def row_value(pane, name: str):
    from lmtui.tui.widgets.simpane import ParamRow

    return next(row.value for row in pane.query(ParamRow) if row.param.name == name)


async def test_figure_parameters_page_and_line_come_back():
    app = LmtuiApp()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        await pilot.press("n", "f", "f")  # chapter 1, figure 2 of 2: a simulation
        pane = await wait_for_pane(pilot, app)
        await pilot.press(*["down"] * 4, "enter", "backspace", *"1234", "enter")  # walkers: 1234
        await settle(pilot)
        assert row_value(pane, "walkers") == 1234
        await pilot.press("t", "right", "j", "j", "j")  # the text, page 2, three lines down
        await settle(pilot)
        reader = app.main_screen.chapter_view.reader
        for _ in range(20):  # the scroll is applied after the next refresh
            if reader.scroll_y == reader.scroll_target_y:
                break
            await pilot.pause(0.05)
        place = (reader.page, reader.scroll_y)
        assert place == (1, 3)
        await pilot.press("q")
    app = LmtuiApp()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot, 6)
        view = app.main_screen.chapter_view
        for _ in range(20):
            if view.reader.scroll_y == place[1]:
                break
            await pilot.pause(0.05)
        assert view.chapter.order == 1 and view.view == "text"
        assert (view.reader.page, view.reader.scroll_y) == place
        await pilot.press("f")
        pane = await wait_for_pane(pilot, app)
        assert view.deck.index == 1  # figure 2 of 2, not the first
        assert row_value(pane, "walkers") == 1234


async def test_settings_that_no_longer_apply_fall_back_to_the_defaults(tmp_path, _isolated_home):
    app = LmtuiApp()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        chapter = app.course.chapters[1]
        app.record.set_figure_settings(chapter.id, "langevin_well", {"walkers": "banana", "gone": "3", "steps": "500"}, "-4")
        app.record.set_figure(chapter.id, 7)  # more figures than the chapter has: wraps around
        await pilot.press("n", "f")
        pane = await wait_for_pane(pilot, app)
        deck = app.main_screen.chapter_view.deck
        assert deck.index == 7 % len(chapter.figures)
        if pane.sim.name == "langevin_well":
            assert row_value(pane, "walkers") == pane.sim.defaults()["walkers"]  # refused: default
            assert row_value(pane, "steps") == 500  # still valid: kept
            assert pane.state.seed == 0


def test_a_damaged_settings_entry_reads_as_none(_isolated_home):
    store = ProgressStore(_isolated_home, course="builtin")
    from lmtui.core.course import load_course

    record = LearnerRecord(load_course(None), store, "builtin")
    store.set_state("settings:c:s", "{not json")
    assert record.figure_settings("c", "s") == ({}, None)
    store.set_state("settings:c:s", "[1, 2]")
    assert record.figure_settings("c", "s") == ({}, None)
    store.set_state("scroll:c", "x:y")
    assert record.scroll("c", 0) == 0
    record.set_scroll("c", 2, 9)
    assert record.scroll("c", 2) == 9 and record.scroll("c", 1) == 0  # the line is for that page
    store.close()



async def test_a_hidden_page_waiting_for_its_line_keeps_the_app_idle_and_scrolls_there_when_shown():
    """A chapter opened in place on its quiz keeps the page's line for when the text is shown:
    the hidden page is not drawn meanwhile, and nothing polls for it (a poll each refresh kept the
    app busy for as long as the figure or the quiz was in view)."""
    app = LmtuiApp()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        await pilot.press("n", "j", "j", "j")  # chapter 1, three lines down
        reader = app.main_screen.chapter_view.reader
        for _ in range(20):
            if reader.scroll_y == 3:
                break
            await pilot.pause(0.05)
        assert reader.scroll_y == 3
        await pilot.press("p")  # chapter 0, in place
        await settle(pilot)
        app.open_chapter(app.course.chapters[1].id, view="quiz")  # as the contents or the palette do
        await settle(pilot)
        view = app.main_screen.chapter_view
        assert view.reader is reader and reader._laying_out  # the line waits for the page's layout
        calls = []
        waiting = reader._laid_out
        reader._laid_out = lambda: (calls.append(1), waiting())
        await pilot.pause(0.3)
        assert len(calls) <= 1
        await pilot.press("t")
        for _ in range(20):
            if reader.scroll_y == 3:
                break
            await pilot.pause(0.05)
        assert reader.scroll_y == 3 and not reader._laying_out
