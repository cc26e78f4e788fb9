"""Long-session memory: what the app removes must be freed (the full 50-cycle soak is
scripts/soak.py; these are its fast regression checks)."""

from __future__ import annotations

import gc

from textual.widget import Widget
from textual.widgets import Input
from textual.widgets._footer import FooterKey

from lmtui.tui.app import LmtuiApp
from lmtui.tui.textual_fixes import LeanFooter, prune_closed_watchers

from figures_support import current_pane, open_figure, set_param


def _live(kind: type) -> list:
    gc.collect()
    return [o for o in gc.get_objects() if isinstance(o, kind)]


async def test_moving_around_the_course_does_not_keep_removed_widgets():
    app = LmtuiApp()
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()

        async def one_pass() -> None:
            for chapter in app.course.chapters[:3]:
                app.open_chapter(chapter.id)
                await pilot.pause()
                for key in ("z", "t", "right_square_bracket"):  # every view change rebuilds the footer
                    await pilot.press(key)
                    await pilot.pause()

        await one_pass()
        keys_after_one = len(_live(FooterKey))
        widgets_after_one = len(_live(Widget))
        await one_pass()
        shown = len(app.screen.query(FooterKey))
        # each pass makes dozens of footer rebuilds; none of the dead keys may stay
        assert len(_live(FooterKey)) <= max(keys_after_one, shown) + 2
        assert len(_live(Widget)) <= widgets_after_one + 10


async def test_prune_drops_only_closed_watchers():
    app = LmtuiApp()
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        footer = app.screen.query_one(LeanFooter)
        entries = getattr(footer, "__watchers")["compact"]
        assert entries and all(not key._closing for key, _ in entries)
        assert prune_closed_watchers(footer) == 0
        removed = [key for key, _ in entries]
        await footer.remove_children()
        assert all(key._closed or key._closing for key in removed)
        assert prune_closed_watchers(footer) == len(removed)
        assert getattr(footer, "__watchers")["compact"] == []


async def test_parameter_fields_are_freed_after_editing():
    """Each edit builds an Input and removes it on enter. Textual's Input never leaves its
    screen's text-selection signal, so every one would stay alive; LeanInput leaves it."""
    earlier = {id(field) for field in _live(Input)}  # other tests' apps may not be collected yet
    app = LmtuiApp()
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        chapter, figure = next((c, f) for c in app.course.chapters for f in c.figures if f.kind == "sim")
        await open_figure(pilot, chapter.id, str(figure))
        pane = current_pane(app)
        param = pane.sim.params[0]
        for value in (param.default, param.default, param.default):
            await set_param(pilot, pane, param.name, param.format(value))
        app.open_chapter(app.course.chapters[-1].id)
        await pilot.pause()
        await pilot.pause()
        detached = [field for field in _live(Input) if not field.is_attached and id(field) not in earlier]
        assert detached == [], f"{len(detached)} removed parameter fields are still alive"
