"""The one contract between the app and its views (lmtui.tui.services): views get plain text, key
hints, chart style, the record and figure state from ``services(widget)``, and every change to the
record goes out as one signal that the contents and the quiz's score line follow."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from textual.app import App
from textual.widget import Widget

from lmtui.tui.app import LmtuiApp
from lmtui.tui.services import RecordChange, Services, services
from lmtui.tui.widgets.toc import TableOfContents, TocItem

from test_record import open_quiz

LMTUI = Path(__file__).resolve().parent.parent / "lmtui"


class Listener(Widget):
    """A view of the record that is no part of the app: it learns of changes only by the signal."""

    def __init__(self) -> None:
        super().__init__()
        self.heard: list[RecordChange] = []

    def on_mount(self) -> None:
        services(self).record_changed.subscribe(self, self.heard.append)


async def test_an_answer_goes_out_as_one_record_change_that_every_view_follows(mini_course):
    app = LmtuiApp(content_dir=mini_course)
    async with app.run_test(size=(100, 30)) as pilot:
        first, _ = await open_quiz(pilot)
        listener = Listener()
        await app.screen.mount(listener)
        await pilot.press("2")  # q1, right
        await pilot.pause()
        assert [(c.chapter_id, c.question_id, c.status.correct) for c in listener.heard] == [("first", "q1", 1)]
        toc = app.screen.query_one(TableOfContents)
        item = next(i for i in toc.query(TocItem) if i.chapter.id == "first")
        assert item.status == listener.heard[0].status  # the contents' marks
        quiz = app.main_screen.chapter_view.quiz
        assert quiz.status == listener.heard[0].status and "Quiz: 1/" in str(quiz._score.content)  # the score line


async def test_a_view_in_another_app_is_told_what_is_missing():
    class Bare(App):
        def compose(self):
            yield Widget()

    async with Bare().run_test() as pilot:
        with pytest.raises(LookupError, match="offers no lmtui services"):
            services(pilot.app.query_one(Widget))


def test_figure_state_is_kept_as_a_copy():
    from lmtui.tui.services import FigureState

    app = App()
    kept = Services(app)
    state = FigureState({"lr": 0.1}, 3)
    kept.keep_figure_state("ch", "sim", state)
    state.params["lr"] = 9.0  # the pane goes on changing its own state
    assert kept.figure_state("ch", "sim").params == {"lr": 0.1}
    assert kept.figure_state("ch", "other") is None


def test_views_reach_the_app_only_through_services():
    """At most ten type-ignores in lmtui/, none of them an attribute looked up on the app."""
    ignores = [(path, line) for path in LMTUI.rglob("*.py") for line in path.read_text(encoding="utf-8").splitlines()
               if "type: ignore" in line]
    assert len(ignores) <= 10, ignores
    assert not [(p, line) for p, line in ignores if re.search(r"app\.\w+.*type: ignore\[attr-defined\]", line)]
    reaching = [(path.name, n) for path in LMTUI.rglob("*.py")
                for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
                if re.search(r"\w\._toc\b", line) and "self._toc" not in line]
    assert reaching == []
