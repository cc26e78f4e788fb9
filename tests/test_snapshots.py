"""Snapshot tests of the main screens at 80x24 and 120x40 (accept changes: pytest --snapshot-update)."""

from __future__ import annotations

import pytest

from lmtui.tui.app import LmtuiApp

SIZES = [(80, 24), (120, 40)]


def make_app() -> LmtuiApp:
    return LmtuiApp()


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
@pytest.mark.parametrize(
    "keys",
    [
        [],  # chapter 0, first page (the start screen)
        ["n", "n", "right_square_bracket"],  # chapter 2, second page
        ["z", "2"],  # the quiz, one answer given
        ["f"],  # chapter 0's explorer figure
        ["n", "f", "down", "down"],  # chapter 1's explorer, third row
        ["question_mark"],  # help
        ["c"],  # table of contents toggled
    ],
    ids=["start", "page2", "quiz", "explorer", "explorer-row", "help", "toc"],
)
def test_screen(snap_compare, size, keys):
    async def run_before(pilot):
        await pilot.pause()
        for key in keys:
            await pilot.press(key)
            await pilot.pause()

    assert snap_compare(make_app(), terminal_size=size, run_before=run_before)


def test_too_small(snap_compare):
    assert snap_compare(make_app(), terminal_size=(40, 10))


def test_no_color_ascii(snap_compare, monkeypatch):
    monkeypatch.setenv("NO_COLOR", "1")
    app = LmtuiApp(ascii_only=True)

    async def run_before(pilot):
        await pilot.pause()
        await pilot.press("z")
        await pilot.pause()

    assert snap_compare(app, terminal_size=(80, 24), run_before=run_before)


# -- every chapter's figure (simulations run with tiny settings; workers done before the shot) --
from lmtui.core.course import load_course  # noqa: E402

from conftest import REPO  # noqa: E402
from figures_support import current_pane, open_figure, run_tiny  # noqa: E402

# each figure once, in the first chapter that shows it (a simulation shown twice draws the same pane)
_FIRST: dict[str, tuple[str, str]] = {}
for _chapter in load_course(REPO / "content").chapters:
    for _figure in _chapter.figures:
        _FIRST.setdefault(str(_figure), (_chapter.id, str(_figure)))
FIGURES = list(_FIRST.values())


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
@pytest.mark.parametrize("chapter_id, figure", FIGURES, ids=[f for _, f in FIGURES])
def test_figure(snap_compare, size, chapter_id, figure):
    async def run_before(pilot):
        await pilot.pause()
        await open_figure(pilot, chapter_id, figure)
        if figure.startswith("sim:"):
            pane = current_pane(pilot.app)
            await run_tiny(pilot, pane)
            pane.state.result.elapsed_s = 0.5  # wall time varies from run to run
            pane._refresh_status()
            await pilot.pause()

    assert snap_compare(make_app(), terminal_size=size, run_before=run_before)


# -- runs compared: a pinned run under a rerun, and a sweep (double descent over ridge) --
from figures_support import open_tiny, set_param  # noqa: E402
from conftest import wait_for_workers  # noqa: E402


async def _dd_tiny(pilot):
    await pilot.pause()
    return await open_tiny(pilot, "universality", "double_descent", typed=True)


async def _settle(pilot, pane):
    for _ in range(100):
        await pilot.pause()
        await wait_for_workers(pilot.app)
        await pilot.pause()
        book = pane.state.book
        if not pane.running and (book is None or book.sweep is None or book.sweep.done):
            break
    pane.state.result.elapsed_s = 0.5  # wall time varies from run to run
    pane._refresh_status()
    await pilot.pause()


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_overlay(snap_compare, size):
    async def run_before(pilot):
        pane = await _dd_tiny(pilot)
        await pilot.press("s")
        await _settle(pilot, pane)
        await pilot.press("m")
        await set_param(pilot, pane, "ridge", "0.5")
        await pilot.press("s")
        await _settle(pilot, pane)
        pilot.app.clear_notifications()
        await pilot.pause()

    assert snap_compare(make_app(), terminal_size=size, run_before=run_before)


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_sweep(snap_compare, size):
    async def run_before(pilot):
        pane = await _dd_tiny(pilot)
        await set_param(pilot, pane, "ridge", "0, 0.5, 5", expect_ok=False)
        await _settle(pilot, pane)
        if size[0] < 100:
            await pilot.press("v")  # the second panel: peak_features against ridge
        pilot.app.clear_notifications()
        await pilot.pause()

    assert snap_compare(make_app(), terminal_size=size, run_before=run_before)
