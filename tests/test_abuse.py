"""Abuse without a crash: thousands of random keys and resizes across every chapter while
simulations run, both through Textual's pilot (fast, many seeds) and in a real pty with raw
escape sequences (what a terminal actually sends)."""

from __future__ import annotations

import random
import string

import pytest
from textual import events

from lmtui.tui.app import LmtuiApp

from conftest import wait_for_workers
from ptysession import PtySession, lmtui_argv

# every binding the app has, plus the rest of the keyboard; quitting keys are left out
KEYS = [
    "n", "p", "t", "f", "z", "c", "g", "o", "s", "r", "v", "j", "k", "h", "l", "b", "G", "N", "1", "2", "3", "4",
    "question_mark", "left_square_bracket", "right_square_bracket", "plus", "minus", "equals_sign",
    "up", "down", "left", "right", "pageup", "pagedown", "home", "end", "tab", "shift+tab", "enter",
    "escape", "backspace", "delete", "space", "ctrl+p", "ctrl+a", "ctrl+e", "ctrl+k", "ctrl+u", "ctrl+d",
    "f1", "insert", "comma", "full_stop", "slash", "semicolon", "apostrophe",
] + list(string.ascii_letters.replace("q", "").replace("Q", "")) + list("0123456789")

CHARS = {"space": " ", "plus": "+", "minus": "-", "equals_sign": "=", "question_mark": "?",
         "left_square_bracket": "[", "right_square_bracket": "]", "comma": ",", "full_stop": ".",
         "slash": "/", "semicolon": ";", "apostrophe": "'"}


def key_event(key: str) -> events.Key:
    char = CHARS.get(key, key if len(key) == 1 else None)
    return events.Key(key, char)


@pytest.mark.parametrize("seed", [1])
async def test_random_keys_and_resizes_do_not_crash(seed):
    rng = random.Random(seed)
    app = LmtuiApp()
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        visited = set()
        for chapter in app.course.chapters:  # every chapter, in each view, takes its share of abuse
            app.open_chapter(chapter.id, view=rng.choice(["text", "figure", "quiz"]))
            for i in range(200):
                roll = rng.random()
                if roll < 0.015:
                    await pilot.resize_terminal(rng.randint(20, 250), rng.randint(8, 80))
                elif roll < 0.025:
                    app.open_chapter(rng.choice(app.course.chapters).id, view=rng.choice(["text", "figure", "quiz"]))
                else:
                    app.post_message(key_event(rng.choice(KEYS)))
                if app.current:
                    visited.add(app.current)
                if i % 25 == 0:
                    await pilot.pause(0)
        await pilot.resize_terminal(100, 30)
        await pilot.pause()
        assert app.is_running and app._exception is None
        assert len(visited) == len(app.course.chapters)
        await wait_for_workers(app)
        await pilot.press("escape", "escape", "escape")
        await pilot.pause()
        await pilot.press("q")
        await pilot.pause()
    assert app._exception is None
    assert app.return_code in (0, None)


RAW_KEYS = list("abcdefghijklmnoprstuvwxyz0123456789+-=[]/?.,;' ") + [
    "\t", "\r", "\x1b", "\x7f", "\x1b[A", "\x1b[B", "\x1b[C", "\x1b[D", "\x1b[5~", "\x1b[6~",
    "\x1b[H", "\x1b[F", "\x1bOP", "\x1b[1;5C", "\x10", "\x0e", "\x06", "\x02", "\x1b[Z",
    "\x1b[<0;10;5M", "\x1b[<0;10;5m", "\x1b[200~junk\x1b[31m\x1b[201~", "\x1b\x1b", "\x1b[", "é", "∇",
]


def test_raw_escape_sequences_and_resizes_in_a_real_terminal(tmp_path):
    rng = random.Random(7)
    session = PtySession(lmtui_argv(), cols=100, rows=30, env={"LMTUI_HOME": str(tmp_path)})
    try:
        assert session.wait_for("t:Text", timeout=30) is not None
        for _ in range(1200):
            if rng.random() < 0.02:
                session.resize(rng.randint(20, 250), rng.randint(8, 80))
            else:
                session.send(rng.choice(RAW_KEYS))
            session.pump(0.002)
            assert session.alive(), session.text()
        session.resize(100, 30)
        session.pump(0.5)
        assert not session.saw_traceback
        code = session.quit(timeout=30)  # a loaded machine may still be working through queued keys
        assert code == 0, session.text()
    finally:
        session.close()


async def test_click_on_a_widget_removed_before_the_next_refresh(monkeypatch):
    """A click that lands on a widget already removed but still in the compositor's map (a chapter
    switch racing a mouse-down) must not reach Textual's text selection, which would crash. The
    race is set up directly: the map answers with a widget that has left the DOM."""
    from textual.geometry import Offset
    from textual.widgets import Static

    app = LmtuiApp()
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        removed = Static("gone")
        assert removed.parent is None
        monkeypatch.setattr(app.screen, "get_widget_and_offset_at", lambda x, y: (removed, Offset(1, 1)))
        down = events.MouseDown(None, 12, 5, 0, 0, 1, False, False, False, screen_x=12, screen_y=5)
        await app.on_event(down)
        await pilot.pause()
        assert app.is_running and app._exception is None


@pytest.mark.parametrize("opener", ["action_command_palette", "search_themes"])
async def test_escapes_in_flight_while_the_too_small_notice_covers_the_palette(opener):
    """Textual's dismiss pops the top screen whatever it is: an escape reaching the palette while
    the too-small notice covers it would pop the notice, and the next one would crash the app
    (lmtui.tui.textual_fixes, "dismiss-pops-the-top-screen")."""
    from textual.command import CommandPalette

    from lmtui.tui.screens.small import TooSmallScreen

    app = LmtuiApp()
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        getattr(app, opener)()  # the chapter palette, or Textual's theme picker
        await pilot.pause()
        palette = app.screen
        assert isinstance(palette, CommandPalette)
        await pilot.resize_terminal(20, 8)
        await pilot.pause()
        assert isinstance(app.screen, TooSmallScreen)
        palette._action_escape()
        palette._action_escape()
        await pilot.pause()
        assert app.is_running and app._exception is None
        assert isinstance(app.screen, TooSmallScreen)  # the notice stays while the terminal is small
        await pilot.resize_terminal(100, 30)
        await pilot.pause()
        assert app.screen is palette
        await pilot.press("escape")
        await pilot.pause()
        assert app.screen is app.main_screen and app.is_running


@pytest.mark.parametrize("overlay", ["palette", "help", "links"])
async def test_escape_then_q_in_one_burst_closes_the_overlay_and_quits(overlay):
    """Both keys arrive before the overlay has handled the first (typed quickly over SSH, or read
    late by a busy app); Textual queues both at the overlay, where the q would be lost
    (lmtui.tui.textual_fixes, "keys-queued-at-a-closing-overlay")."""
    app = LmtuiApp()
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        {"palette": app.action_command_palette, "help": app.action_help, "links": app.main_screen.action_links}[overlay]()
        await pilot.pause()
        assert app.screen is not app.main_screen
        app.post_message(key_event("escape"))
        app.post_message(key_event("q"))
        for _ in range(20):  # each key is handled once the one before it has been
            await pilot.pause(0.02)
            if app._exit:
                break
        assert app._exit, "q after escape did not quit"
