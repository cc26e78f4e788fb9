"""The contents list marks the chapter that is open, whatever order its set-up and a chapter switch
happen in."""

from __future__ import annotations

from textual.app import App

from lmtui.core.course import load_course
from lmtui.core.record import ChapterStatus
from lmtui.tui.services import Services
from lmtui.tui.widgets.toc import TableOfContents, TocItem

from conftest import REPO


class Host(App):
    def __init__(self) -> None:
        super().__init__()
        self.services = Services(self)
        self.chapters = load_course(REPO / "content").chapters

    def compose(self):
        yield TableOfContents(self.chapters, {c.id: ChapterStatus(False, 0, 0, 0) for c in self.chapters})


async def test_a_chapter_opened_while_the_rows_are_added_stays_marked():
    async with Host().run_test(size=(120, 40)) as pilot:
        toc = pilot.app.query_one(TableOfContents)
        first, later = pilot.app.chapters[0].id, pilot.app.chapters[4].id
        toc.current = first
        toc.populate()  # the rows go in; marking the open chapter waits for the next frame
        toc.show_current(later)  # the learner opens another chapter before that frame
        for _ in range(3):
            await pilot.pause()
        marked = [item.chapter.id for item in toc.query(TocItem) if item.has_class("-current")]
        assert (toc.current, marked, toc.index) == (later, [later], 4)


async def test_keys_read_with_c_move_the_highlight_the_first_time_the_list_opens():
    """At 80 columns the list is filled in when first shown; c j j j read together: the j's move the
    highlight three chapters down (it went back to the open chapter a frame later)."""
    from textual import events

    from lmtui.tui.app import LmtuiApp

    app = LmtuiApp()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        app.open_chapter(app.course.chapters[2].id, view="text")
        await pilot.pause()
        for key in "cjjj":  # one read: no pause between them
            app.post_message(events.Key(key, key))
        toc = app.screen.toc
        for _ in range(20):
            await pilot.pause(0.05)
        assert app.focused is toc and toc.index == 5, (app.focused, toc.index)
