"""Every upstream Textual work-around in lmtui/tui/textual_fixes.py, shown twice: the upstream bug
reproduced with the fix off (Textual's own class in a tiny app, or the patch reverted with
``without(name)``), and gone with the fix on (lmtui's class, or the patch in place).

The "fix off" half is held as tightly as the "fix on" half: when a Textual release fixes a bug,
its test fails saying "upstream fixed [name]", and the work-around and its test should go. A
Textual release that renames an internal a fix relies on fails ``apply_all()`` at the app's start
(``test_requires_notices_each_internal_going_away``), instead of leaving the fix silently dead.

Related tests with the fix on only, through the whole app: tests/test_input_parser.py,
tests/test_memory.py, tests/test_abuse.py.
"""

from __future__ import annotations

import asyncio
import gc
import re
import time
import traceback
import weakref
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import pytest
import textual
import textual.widget
from textual.driver import Driver
from textual.drivers.web_driver import WebDriver
from textual import constants, events
from textual._compositor import ChopsUpdate, LayoutUpdate
from textual._xterm_parser import XTermParser
from textual.app import App, ComposeResult, ScreenStackError
from textual.binding import Binding
from textual.command import CommandPalette
from textual.css.query import NoMatches
from textual.geometry import Offset
from textual.message import Message
from textual.reactive import Reactive
from textual.screen import ModalScreen, Screen
from textual.signal import Signal
from textual.widgets import Button, Footer, Input, OptionList, Static
from textual.widgets._footer import FooterKey

from lmtui.tui import textual_fixes as tf
from lmtui.tui.textual_fixes import (
    FIXES,
    PASTE_STALL,
    PARSER_DRIVERS,
    DismissOnTop,
    GuardedApp,
    LeanFooter,
    LeanInput,
    PasteSafeParser,
    QuietFocusScreen,
    SafeCommandPalette,
    TextualChanged,
    apply_all,
    lands_on_removed_widget,
    without,
    without_grey,
)

NAMES = {fix.name for fix in FIXES}
COVERED: dict[str, list[str]] = {}


def covers(*names: str) -> Callable:
    """Marks a test as the off/on pair for these fixes (checked against FIXES below)."""
    unknown = set(names) - NAMES
    assert not unknown, f"no such fix: {unknown}"

    def mark(test: Callable) -> Callable:
        for name in names:
            COVERED.setdefault(name, []).append(test.__name__)
        return test

    return mark


def upstream_fixed(name: str, what: str) -> str:
    return (f"upstream fixed [{name}]: with Textual {textual.__version__}, {what}. Remove the "
            f"work-around from lmtui/tui/textual_fixes.py, and this test.")


def bug(condition: bool, name: str, what: str) -> None:
    """The fix-off half: ``condition`` is the upstream bug showing itself."""
    assert condition, upstream_fixed(name, f"no longer: {what}")


@contextmanager
def raises_upstream(name: str, exc: type[BaseException], in_function: str | None = None) -> Iterator[list]:
    """The fix-off half for a crash: the block raises ``exc`` (from ``in_function``, when given:
    the innermost frame of the traceback), or the test fails saying upstream fixed it."""
    caught: list[BaseException] = []
    try:
        yield caught
    except exc as error:
        caught.append(error)
        where = traceback.extract_tb(error.__traceback__)[-1].name
        assert in_function is None or where == in_function, (
            f"[{name}] {exc.__name__} now comes from {where}, not {in_function}: review the work-around")
        return
    pytest.fail(upstream_fixed(name, f"this no longer raises {exc.__name__}"))


@pytest.fixture(autouse=True, scope="module")
def _fixes_applied():
    apply_all()  # as LmtuiApp's constructor does; idempotent
    yield


# fixes whose off/on test needs a server or a driver of its own, and lives beside it
ELSEWHERE = {
    "web-app-outlives-its-input": "test_serve_webdriver.py",
    "terminal-size-from-stale-environment": "test_jupyter.py",
}


def test_every_fix_has_an_off_and_on_test():
    from pathlib import Path

    for name, filename in ELSEWHERE.items():  # really there: the test turns the fix off by name
        assert f'without("{name}")' in (Path(__file__).parent / filename).read_text(encoding="utf-8"), (name, filename)
    covered = set(COVERED) | set(ELSEWHERE)
    assert covered == NAMES, f"fixes without a test: {sorted(NAMES - covered)}"


# ---------------------------------------------------------------------------------------------
# footer-rebuilds-and-leaks
# ---------------------------------------------------------------------------------------------
class PaneX(Static, can_focus=True):
    BINDINGS = [Binding("x", "app.bell", "Ex")]


class PaneY(Static, can_focus=True):
    BINDINGS = [Binding("y", "app.bell", "Why")]


class FooterApp(App):
    BINDINGS = [Binding("q", "quit", "Quit")]

    def __init__(self, footer: type[Footer]) -> None:
        super().__init__()
        self.footer_class = footer

    def compose(self) -> ComposeResult:
        yield PaneX("x one", id="x1")
        yield PaneX("x two", id="x2")  # the same keys as x1
        yield PaneY("y", id="y")
        yield self.footer_class()


async def footer_run(footer: type[Footer]) -> dict:
    """Focus moves that change nothing the footer shows (x1 -> x2), then ones that do (x <-> y)."""
    app = FooterApp(footer)
    async with app.run_test() as pilot:
        await pilot.pause()
        widget = app.query_one(footer)
        composed = 0
        compose = widget.compose

        def counting_compose():
            nonlocal composed
            composed += 1
            return compose()

        widget.compose = counting_compose  # what a rebuild runs
        app.query_one("#x1").focus()
        await pilot.pause()
        before, composed = list(widget.children), 0
        app.query_one("#x2").focus()
        await pilot.pause()
        rebuilds_for_nothing, kept_children = composed, list(widget.children) == before
        del before
        seen: dict[int, weakref.ref] = {}
        for target in ["#y", "#x1"] * 4:
            app.query_one(target).focus()
            await pilot.pause()
            seen.update((id(key), weakref.ref(key)) for key in widget.query(FooterKey))
        gc.collect()
        dead_alive = [ref() for ref in seen.values() if ref() is not None and not ref().is_attached]
        watchers = getattr(widget, "__watchers")["compact"]
        result = dict(rebuilds_for_nothing=rebuilds_for_nothing, kept_children=kept_children,
                      shown=[key.key for key in widget.query(FooterKey)], dead_alive=dead_alive,
                      closed_watchers=sum(1 for owner, _ in watchers if owner._closing or owner._closed),
                      watchers=len(watchers))
        del dead_alive
    return result


@covers("footer-rebuilds-and-leaks")
async def test_footer_rebuilds_only_when_its_keys_change_and_frees_the_old_ones():
    name = "footer-rebuilds-and-leaks"
    off = await footer_run(Footer)
    bug(off["rebuilds_for_nothing"] >= 1 and not off["kept_children"], name,
        "Footer rebuilds its keys on a focus move that changes none of them")
    # every data_bind-ed key it ever showed (x/y and q; the palette key is not bound) stays alive,
    # held by the footer's watchers of `compact` (Textualize/textual#6666)
    bug(len(off["dead_alive"]) >= 8 and off["closed_watchers"] >= len(off["dead_alive"]), name,
        "Footer's removed FooterKeys are freed (its compact watchers are pruned)")

    on = await footer_run(LeanFooter)
    assert on["rebuilds_for_nothing"] == 0 and on["kept_children"]
    assert on["shown"] == ["x", "q", "ctrl+p"]  # it does still rebuild when the keys change
    assert on["dead_alive"] == [] and on["closed_watchers"] == 0
    assert on["watchers"] == 2  # the two bound keys shown now


# ---------------------------------------------------------------------------------------------
# input-selection-signal-leak
# ---------------------------------------------------------------------------------------------
def forget_layout_caches(screen: Screen) -> None:
    """Textual's bounded layout caches (the screen's last few arrangements, its displayed-children
    list) also hold a just-removed widget until the next layouts evict it. They are not the leak;
    dropped here so only what holds a removed Input for good is left."""
    screen._arrangement_cache.clear()
    screen._nodes._displayed_nodes = (-1, [])
    screen._nodes._displayed_visible_nodes = (-1, [])


async def removed_input_survives(field_class: type[Input]) -> tuple[bool, bool, bool]:
    """(alive after removal, subscribed to the screen's signal, freed once unsubscribed)."""
    app = App()
    async with app.run_test() as pilot:
        screen = app.screen
        field = field_class()
        await screen.mount(field)  # subscribed on mount (not focused: a focused widget's pending
        await pilot.pause()         # timers hold it a moment longer, which is no leak)
        ref = weakref.ref(field)
        await field.remove()
        del field
        await pilot.pause()
        forget_layout_caches(screen)
        gc.collect()
        signal = screen.text_selection_started_signal
        alive = ref() is not None
        subscribed = alive and ref() in signal._subscriptions
        freed_by_unsubscribing = False
        if alive:
            signal.unsubscribe(ref())
            gc.collect()
            freed_by_unsubscribing = ref() is None
    return alive, subscribed, freed_by_unsubscribing


@covers("input-selection-signal-leak")
async def test_a_removed_input_is_freed():
    name = "input-selection-signal-leak"
    alive, subscribed, freed_by_unsubscribing = await removed_input_survives(Input)
    bug(alive and subscribed, name, "a removed Input stays subscribed to its screen's text_selection_started_signal")
    bug(freed_by_unsubscribing, name, "the signal is what keeps a removed Input alive")
    assert await removed_input_survives(LeanInput) == (False, False, False)


# ---------------------------------------------------------------------------------------------
# option-list-page-keys
# ---------------------------------------------------------------------------------------------
class NoRoomApp(App):
    CSS = "OptionList { height: 2; }"  # its border and nothing else: never rendered at a height

    def compose(self) -> ComposeResult:
        yield OptionList("one", "two", "three")


@covers("option-list-page-keys")
async def test_page_keys_in_an_option_list_never_rendered_at_a_height():
    name = "option-list-page-keys"
    app = NoRoomApp()
    async with app.run_test() as pilot:
        await pilot.pause()
        options = app.query_one(OptionList)
        assert options.highlighted == 0 and options.scrollable_content_region.height == 0
        with without(name):
            assert OptionList._move_page is tf._ORIGINAL_MOVE_PAGE
            with raises_upstream(name, KeyError, "_move_page"):
                options.action_page_down()
            with raises_upstream(name, KeyError, "_move_page"):
                options.action_page_up()
        assert OptionList._move_page is tf._guarded_move_page
        options.action_page_down()
        options.action_page_up()
        assert options.highlighted == 0


async def palette_page_keys_at_three_rows() -> App:
    app = App()  # Textual's own app and palette
    async with app.run_test(size=(80, 3)) as pilot:
        await pilot.press("ctrl+p")
        await pilot.pause()
        assert isinstance(app.screen, CommandPalette)
        await pilot.press("pageup", "pagedown")
        await pilot.pause()
    return app


@covers("option-list-page-keys")
async def test_page_keys_in_the_palette_of_a_terminal_three_rows_tall():
    name = "option-list-page-keys"
    with without(name), raises_upstream(name, KeyError, "_move_page"):
        await palette_page_keys_at_three_rows()
    app = await palette_page_keys_at_three_rows()
    assert app._exception is None


# ---------------------------------------------------------------------------------------------
# dismiss-pops-the-top-screen
# ---------------------------------------------------------------------------------------------
class PlainOverlay(ModalScreen[str]):
    def compose(self) -> ComposeResult:
        yield Static("an overlay")


class OnTopOverlay(DismissOnTop, PlainOverlay):
    pass


class Notice(Screen[None]):
    def compose(self) -> ComposeResult:
        yield Static("the terminal is too small")


def stack(app: App) -> list[str]:
    return [type(screen).__name__ for screen in app.screen_stack]


@covers("dismiss-pops-the-top-screen")
async def test_dismiss_of_a_screen_under_another_one():
    """A key in flight reaches an overlay after a notice has covered it."""
    name = "dismiss-pops-the-top-screen"
    app = App()
    async with app.run_test() as pilot:
        results: list = []
        overlay = PlainOverlay()
        app.push_screen(overlay, results.append)
        app.push_screen(Notice())
        await pilot.pause()
        overlay.dismiss("first")
        await pilot.pause()
        bug(stack(app) == ["Screen", "PlainOverlay"], name, "dismiss() of a screen under another pops the one on top")
        with raises_upstream(name, asyncio.InvalidStateError, "__call__"):
            overlay.dismiss("second")  # its result was resolved by the first: InvalidStateError ends the app

    app = App()
    async with app.run_test() as pilot:
        results = []
        overlay = OnTopOverlay()
        app.push_screen(overlay, results.append)
        app.push_screen(Notice())
        await pilot.pause()
        overlay.dismiss("first")
        overlay.dismiss("second")
        await pilot.pause()
        assert stack(app) == ["Screen", "OnTopOverlay", "Notice"] and results == []
        app.pop_screen()  # the terminal grew: the notice goes
        await pilot.pause()
        overlay.dismiss("third")
        await pilot.pause()
        assert stack(app) == ["Screen"] and results == ["third"]


@covers("dismiss-pops-the-top-screen")
async def test_dismiss_twice():
    """Two escapes in flight: the second dismiss of an overlay already gone."""
    name = "dismiss-pops-the-top-screen"
    app = App()
    async with app.run_test() as pilot:
        app.push_screen(Notice())  # any screen under the overlay
        overlay = PlainOverlay()
        app.push_screen(overlay)
        await pilot.pause()
        overlay.dismiss()
        overlay.dismiss()
        await pilot.pause()
        bug(stack(app) == ["Screen"], name, "a second dismiss() pops the screen under the dismissed one")
        with raises_upstream(name, ScreenStackError, "pop_screen"):
            overlay.dismiss()  # and one more tries to pop the last screen

    app = App()
    async with app.run_test() as pilot:
        app.push_screen(Notice())
        overlay = OnTopOverlay()
        app.push_screen(overlay)
        await pilot.pause()
        for _ in range(3):
            overlay.dismiss()
        await pilot.pause()
        assert stack(app) == ["Screen", "Notice"]


@covers("dismiss-pops-the-top-screen", "keys-queued-at-a-closing-overlay")
async def test_the_last_screen_is_never_popped():
    """Textual's own screens (a plain CommandPalette) may still dismiss twice: GuardedApp's
    pop_screen never pops the last screen, which would end the app."""
    name = "dismiss-pops-the-top-screen"
    for app_class in (App, GuardedApp):
        app = app_class()
        async with app.run_test() as pilot:
            palette = CommandPalette()
            app.push_screen(palette)
            await pilot.pause()
            palette._action_escape()
            if app_class is App:
                with raises_upstream(name, ScreenStackError, "pop_screen"):
                    palette._action_escape()
            else:
                palette._action_escape()
                await pilot.pause()
                assert stack(app) == ["Screen"] and app.is_running


# ---------------------------------------------------------------------------------------------
# palette-watchers-after-dismiss
# ---------------------------------------------------------------------------------------------
async def palette_without_children(palette_class: type[CommandPalette], toggle: str) -> None:
    """A palette's reactive toggled once its children are gone (a timer or a search worker that
    fires while the palette is being dismissed)."""
    app = App()
    async with app.run_test() as pilot:
        palette = palette_class()
        app.push_screen(palette)
        await pilot.pause()
        await palette.remove_children()
        setattr(palette, toggle, not getattr(palette, toggle))
        await pilot.pause()
        assert app.is_running


@covers("palette-watchers-after-dismiss")
@pytest.mark.parametrize("toggle, watcher", [("_list_visible", "_watch__list_visible"),
                                             ("_show_busy", "_watch__show_busy")])
async def test_palette_watchers_once_its_children_are_gone(toggle, watcher):
    name = "palette-watchers-after-dismiss"
    # _list_visible's watcher raises in the setter; _show_busy's (async) ends the app, which
    # run_test re-raises on leaving
    with raises_upstream(name, NoMatches, "query_one") as caught:
        await palette_without_children(CommandPalette, toggle)
    frames = [frame.name for frame in traceback.extract_tb(caught[0].__traceback__)]
    assert watcher in frames, frames
    await palette_without_children(SafeCommandPalette, toggle)


@covers("palette-watchers-after-dismiss")
@covers("palette-watchers-after-dismiss")
async def test_a_palette_closed_before_it_is_mounted():
    name = "palette-watchers-after-dismiss"
    async def push_and_pop(palette_class: type[CommandPalette]) -> None:
        app = App()
        async with app.run_test() as pilot:
            await pilot.pause()
            app.push_screen(palette_class())
            app.pop_screen()  # escape, read in the same chunk as ctrl+p
            await pilot.pause()
            await pilot.pause()

    with raises_upstream(name, IndexError, "_on_mount"):
        await push_and_pop(CommandPalette)
    await push_and_pop(SafeCommandPalette)


async def test_the_app_opens_one_safe_palette():
    app = GuardedApp()
    async with app.run_test() as pilot:
        app.open_palette()
        app.open_palette()
        await pilot.pause()
        assert stack(app) == ["Screen", "SafeCommandPalette"]
        await pilot.press("escape")
        await pilot.pause()
        assert stack(app) == ["Screen"] and app.is_running


# ---------------------------------------------------------------------------------------------
# click-on-removed-widget
# ---------------------------------------------------------------------------------------------
class ClickApp(App):
    def compose(self) -> ComposeResult:
        yield Static("some text to select", id="text")


async def click_on_a_removed_widget(app: App) -> None:
    """The compositor's map still answers with a widget just removed from the DOM (a chapter
    switch racing a mouse-down, before the next refresh): set up directly."""
    async with app.run_test() as pilot:
        await pilot.pause()
        widget = app.query_one("#text")
        assert app.screen.get_widget_and_offset_at(2, 0)[0] is widget
        await widget.remove()
        assert widget.parent is None
        app.screen.get_widget_and_offset_at = lambda x, y: (widget, Offset(2, 0))
        down = events.MouseDown(None, 2, 0, 0, 0, 1, False, False, False, screen_x=2, screen_y=0)
        assert lands_on_removed_widget(app.screen, down)
        await app.on_event(down)
        await pilot.pause()
        assert app.is_running


@covers("click-on-removed-widget")
async def test_a_click_on_a_widget_removed_before_the_next_refresh():
    name = "click-on-removed-widget"

    class PlainApp(ClickApp):
        pass

    class Guarded(GuardedApp, ClickApp):
        pass

    with raises_upstream(name, AttributeError) as caught:
        await click_on_a_removed_widget(PlainApp())
    frames = [frame.name for frame in traceback.extract_tb(caught[0].__traceback__)]
    assert "_forward_event" in frames, frames  # Textual's text selection, started from the map
    await click_on_a_removed_widget(Guarded())


def test_lands_on_removed_widget_only_for_removed_widgets():
    class FakeScreen:
        def __init__(self, answer):
            self.answer = answer

        def get_widget_and_offset_at(self, x, y):
            if isinstance(self.answer, Exception):
                raise self.answer
            return self.answer

    down = events.MouseDown(None, 1, 1, 0, 0, 1, False, False, False, screen_x=1, screen_y=1)
    removed, attached, parent = Static(), Static(), Static()
    attached._parent = parent  # held weakly: parent must stay referenced
    assert lands_on_removed_widget(FakeScreen((removed, Offset(0, 0))), down)
    assert not lands_on_removed_widget(FakeScreen((attached, Offset(0, 0))), down)
    assert not lands_on_removed_widget(FakeScreen((removed, None)), down)  # not on content
    assert not lands_on_removed_widget(FakeScreen((None, None)), down)
    assert not lands_on_removed_widget(FakeScreen(Exception("outside the map")), down)


# ---------------------------------------------------------------------------------------------
# stalled-paste-and-late-escape
# ---------------------------------------------------------------------------------------------
PARSER_FIX = "stalled-paste-and-late-escape"


def keys(parsed) -> list[str]:
    return [getattr(event, "key", type(event).__name__) for event in parsed]


def driver_parsers() -> list[type[XTermParser]]:
    """The parser class each patched driver will build when it starts reading input."""
    return [module.XTermParser for module in PARSER_DRIVERS]


def read_in_turn(parser: XTermParser, *reads: str, wait: bool = True) -> list[list[str]]:
    """What each read gives, then (``wait``) what comes out once ESCDELAY has passed."""
    out = [keys(parser.feed(chunk)) for chunk in reads]
    if wait:
        time.sleep(constants.ESCAPE_DELAY + 0.05)
        out.append(keys(parser.tick()))
    return out


@covers(PARSER_FIX)
def test_the_drivers_build_the_paste_safe_parser():
    with without(PARSER_FIX):
        assert driver_parsers() == [XTermParser] * len(PARSER_DRIVERS)
    assert driver_parsers() == [PasteSafeParser] * len(PARSER_DRIVERS)


@covers(PARSER_FIX)
def test_keys_after_a_paste_that_never_ends():
    with without(PARSER_FIX):
        parser_class, = set(driver_parsers())
        parser = parser_class()
        out = read_in_turn(parser, "\x1b[200~junk", "q", "a", "\r", wait=False)
        out += [keys(parser.tick())]  # the link goes quiet for good
        out += read_in_turn(parser, "q", "\x1b", "q")
    bug(out == [[]] * 8 + [["alt+q"]], PARSER_FIX,
        f"XTermParser swallows every key after an unterminated bracketed paste (got {out})")

    parser_class, = set(driver_parsers())
    parser = parser_class()
    assert read_in_turn(parser, "\x1b[200~junk", "q", wait=False) == [[], []]  # a paste in progress
    parser._last_input -= PASTE_STALL + 0.1  # as if the link had been quiet that long
    assert keys(parser.tick()) == ["Paste"]  # the broken paste is closed...
    assert read_in_turn(parser, "q", "a", "\r", wait=False) == [["q"], ["a"], ["enter"]]  # ...and keys are keys

    parser = parser_class()
    assert read_in_turn(parser, "\x1b[200~junk", "\x1b", "q", wait=False) == [[], ["Paste"], ["escape", "q"]]


@covers(PARSER_FIX)
def test_escape_and_a_key_read_separately():
    with without(PARSER_FIX):
        parser_class, = set(driver_parsers())
        out = read_in_turn(parser_class(), "\x1b", "q")
    bug(out == [[], [], ["alt+q"]], PARSER_FIX,
        f"XTermParser merges an ESC and the q of the next read into alt+q (got {out})")

    parser_class, = set(driver_parsers())
    assert read_in_turn(parser_class(), "\x1b", "q", wait=False) == [[], ["escape", "q"]]
    # what a terminal writes as one chunk is still one key, and split sequences still parse
    assert read_in_turn(parser_class(), "\x1bq") == [[], ["alt+q"]]
    assert sum(read_in_turn(parser_class(), "\x1b", "[A"), []) == ["up"]


# ---------------------------------------------------------------------------------------------
# focus-repaints-the-screen
# ---------------------------------------------------------------------------------------------
def two_buttons_and_text() -> ComposeResult:
    yield Button("one", id="one")
    yield Button("two", id="two")
    for line in range(14):
        yield Static(f"line {line} of text that nothing about focus changes")


class PlainFocusScreen(Screen[None]):
    compose = staticmethod(two_buttons_and_text)


class QuietScreen(QuietFocusScreen):
    compose = staticmethod(two_buttons_and_text)


async def rows_redrawn_by_a_focus_move(screen_class: type[Screen]) -> tuple[set[int], set[int], int]:
    """(rows sent to the terminal for one focus move, rows of the two buttons, screen height)."""
    app = App()
    async with app.run_test(size=(60, 20)) as pilot:
        await app.push_screen(screen_class())
        screen = app.screen
        screen.query_one("#one").focus()
        await pilot.pause()
        updates: list = []
        display = app._display
        app._display = lambda on, update: (updates.append(update), display(on, update))
        screen.query_one("#two").focus()
        await pilot.pause()
        rows: set[int] = set()
        for update in updates:
            if isinstance(update, LayoutUpdate):  # a full repaint
                rows |= set(range(update.region.y, update.region.bottom))
            elif isinstance(update, ChopsUpdate):
                rows |= {y for y, _, _ in update.spans}
        buttons = set()
        for button in screen.query(Button):
            buttons |= set(range(button.region.y, button.region.bottom))
    return rows, buttons, 20


@covers("focus-repaints-the-screen")
async def test_a_focus_move_redraws_only_what_focus_changes():
    name = "focus-repaints-the-screen"
    rows, buttons, height = await rows_redrawn_by_a_focus_move(PlainFocusScreen)
    bug(rows == set(range(height)), name, f"a focus move on a Screen repaints the whole screen (rows {sorted(rows)})")

    rows, buttons, height = await rows_redrawn_by_a_focus_move(QuietScreen)
    assert rows == buttons, (sorted(rows), sorted(buttons))  # both buttons restyled, nothing else


def test_quiet_focus_changes_nothing_but_the_repaint():
    textual_focused, quiet_focused = Screen.__dict__["focused"], QuietFocusScreen.__dict__["focused"]
    assert textual_focused._repaint and not quiet_focused._repaint
    assert tf._reactive_settings(textual_focused) == tf._reactive_settings(quiet_focused)


# ---------------------------------------------------------------------------------------------
# keys-queued-at-a-closing-overlay
# ---------------------------------------------------------------------------------------------
class Field(Input):
    def on_key(self, event: events.Key) -> None:
        self.screen.keys_seen.append(event.key)


class FieldOverlay(DismissOnTop, ModalScreen[None]):
    """An overlay with a text field (as the palette has), closed by escape."""

    BINDINGS = [Binding("escape", "close")]

    def __init__(self) -> None:
        super().__init__()
        self.keys_seen: list[str] = []

    def compose(self) -> ComposeResult:
        yield Field()

    def action_close(self) -> None:
        self.dismiss()


async def escape_then_q_in_one_burst(app_class: type[App]) -> tuple[bool, list[str], str]:
    """(quit, keys the overlay's field saw, the field's text)."""

    class QuitApp(app_class):
        BINDINGS = [Binding("q", "quit", "Quit")]

    app = QuitApp()
    async with app.run_test() as pilot:
        overlay = FieldOverlay()
        app.push_screen(overlay)
        await pilot.pause()
        field = app.focused
        assert isinstance(field, Field)
        app.post_message(events.Key("escape", None))  # both arrive before the overlay handles one
        app.post_message(events.Key("q", "q"))
        for _ in range(20):  # each key is handled after the screen shows the one before it
            await pilot.pause(0.02)
            if app._exit:
                break
        quit_ = bool(app._exit)
        return quit_, overlay.keys_seen, field.value


@covers("keys-queued-at-a-closing-overlay")
async def test_escape_then_q_in_one_burst_closes_the_overlay_then_quits():
    name = "keys-queued-at-a-closing-overlay"
    quit_, seen, typed = await escape_then_q_in_one_burst(App)
    bug(seen == ["escape", "q"] and typed == "q" and not quit_, name,
        f"both keys are queued at the overlay's field and the q is typed into it (saw {seen}, typed {typed!r})")
    quit_, seen, typed = await escape_then_q_in_one_burst(GuardedApp)
    assert quit_ and seen == [] and typed == ""


# ---------------------------------------------------------------------------------------------
# undecodable-input-ends-the-app, panic-exits-zero
# ---------------------------------------------------------------------------------------------
@covers("undecodable-input-ends-the-app")
def test_bytes_that_are_not_utf8_are_dropped_by_every_driver():
    name = "undecodable-input-ends-the-app"
    reads = [b"a\xe9", b"b\x80\xff", b"\xc3", b"\xa9c", b"\xf1j"]  # Latin-1, 8-bit meta, a split é

    def decode_with(module) -> str:
        decode = module.getincrementaldecoder("utf-8")().decode
        return "".join(decode(chunk) for chunk in reads)

    with without(name):
        for module in tf.DECODING_DRIVERS:
            with raises_upstream(name, UnicodeDecodeError):
                decode_with(module)
    for module in tf.DECODING_DRIVERS:
        assert decode_with(module) == "ab\u00e9cj"  # the valid é split across two reads survives


@covers("panic-exits-zero")
async def test_an_app_that_panics_exits_non_zero():
    codes = []
    for app_class in (App, GuardedApp):
        app = app_class()
        async with app.run_test() as pilot:
            await pilot.pause()
            app.panic("the input thread failed")  # what Textual's driver does with its exception
        codes.append(app.return_code)
    bug(not codes[0], "panic-exits-zero", f"a panic leaves no error in the return code (got {codes[0]})")
    assert codes[1] == 1


# ---------------------------------------------------------------------------------------------
# no-color-sends-grey
# ---------------------------------------------------------------------------------------------
def sgr_through(filters, style: str) -> str:
    """The escape codes a terminal receives for one styled cell after ``filters``."""
    from rich.color import ColorSystem
    from rich.segment import Segment
    from rich.style import Style
    from textual.color import Color

    segments = [Segment("x", Style.parse(style))]
    for line_filter in filters:
        segments = line_filter.apply(segments, Color(0, 0, 0))
    return "".join(seg.style.render("x", color_system=ColorSystem.EIGHT_BIT) for seg in segments)


@covers("no-color-sends-grey")
def test_no_color_sends_no_colour_codes(monkeypatch):
    monkeypatch.setenv("NO_COLOR", "1")
    filters = App()._filters  # Textual's own, with its default (non-ANSI) theme
    style = "bold reverse #ff8800 on #003366"
    grey = sgr_through(filters, style)
    bug(re.search(r"\x1b\[[0-9;]*[34]8;5;", grey) is not None, "no-color-sends-grey",
        f"NO_COLOR sends a 256-colour grey for a coloured cell ({grey!r})")
    plain = sgr_through(without_grey(filters), style)
    assert not re.search(r"[34]8;|\[3[0-7]m|\[4[0-7]m", plain), plain
    assert "1" in plain and "7" in plain  # bold and reverse stay


# ---------------------------------------------------------------------------------------------
# keys-overtake-each-other
# ---------------------------------------------------------------------------------------------
class Row(Static, can_focus=True):
    pass


class BurstApp(App):
    """A field, a list of rows walked with down (focus moves, as lmtui's parameter list), and a
    scrolled text moved with j (as lmtui's reader)."""

    BINDINGS = [Binding("down", "next_row"), Binding("j", "scroll_text")]
    CSS = "#text { height: 5; } Row { height: 1; }"

    def compose(self) -> ComposeResult:
        from textual.containers import VerticalScroll

        yield Input("1234", select_on_focus=True, id="field")
        for n in range(6):
            yield Row(f"row {n}", id=f"row{n}")
        with VerticalScroll(id="text"):
            yield Static("\n".join(f"line {n}" for n in range(40)))

    def action_next_row(self) -> None:
        rows = list(self.query(Row))
        at = rows.index(self.focused) if self.focused in rows else -1
        rows[min(at + 1, len(rows) - 1)].focus()

    def action_scroll_text(self) -> None:
        self.query_one("#text").scroll_down(animate=False)


async def one_read(app_class: type[App], *bursts: tuple[str, list[tuple[str, str | None]]]) -> list:
    """Keys as a terminal delivers several in one read: each burst is queued whole before the app
    handles a key of it. After each: the field's text, the row focused, the text's scroll."""
    app = type("Burst", (BurstApp,) if app_class is App else (app_class, BurstApp), {})()
    out: list = []
    async with app.run_test() as pilot:
        for focus, keys in bursts:
            app.query_one(focus).focus()
            await pilot.pause()
            for key, character in keys:
                app.post_message(events.Key(key, character))
            # until every key is through and what they left for after the refresh (scrolls, focus)
            # has settled: the same state three reads running, however loaded the machine
            seen: list = []
            for _ in range(150):
                await pilot.pause(0.02)
                if getattr(app, "_input_busy", False) or getattr(app, "_input_waiting", None):
                    seen.clear()
                    continue
                seen.append((app.query_one("#field", Input).value, app.focused, app.query_one("#text").scroll_y))
                if len(seen) >= 3 and seen[-1] == seen[-2] == seen[-3]:
                    break
            out.append((app.query_one("#field", Input).value, app.focused.id if app.focused else None,
                        app.query_one("#text").scroll_y))
    return out


EDIT = ("#field", [("backspace", None), ("backspace", None), ("7", "7"), ("8", "8")])
DOWNS = ("#row0", [("down", None)] * 4)
SCROLLS = ("#row0", [("j", "j")] * 10)


@covers("keys-overtake-each-other")
async def test_keys_in_one_read_act_in_order_on_what_the_key_before_left():
    name = "keys-overtake-each-other"
    (field, _, _), (_, row, _) = await one_read(App, EDIT, DOWNS)
    bug(field == "" and row == "row1", name,
        f"a burst types 78 before backspace deletes it, four downs move one row (got {field!r}, {row})")
    (field, _, _), (_, row, _) = await one_read(GuardedApp, EDIT, DOWNS)
    assert (field, row) == ("78", "row4")


@covers("scrolls-read-together-scroll-once")
async def test_line_and_page_scrolls_read_together_add_up():
    name = "scrolls-read-together-scroll-once"
    pages = ("#row0", [("pagedown", None)] * 3)
    with without(name):
        [(_, _, lines)] = await one_read(App, SCROLLS)
        [(_, _, paged)] = await one_read(PageApp, pages)
    bug(lines == 1 and paged == 5, name, f"ten j scroll one line, three page-downs one page (got {lines}, {paged})")
    [(_, _, lines)] = await one_read(App, SCROLLS)
    [(_, _, paged)] = await one_read(PageApp, pages)
    assert (lines, paged) == (10, 15)
    [(_, _, lines)] = await one_read(GuardedApp, SCROLLS)  # and with one key at a time
    assert lines == 10


class PageApp(App):
    BINDINGS = [Binding("pagedown", "page")]

    def action_page(self) -> None:
        self.query_one("#text").scroll_page_down(animate=False)


async def test_a_key_whose_marker_is_lost_holds_up_the_next_for_a_moment_only():
    """The marker behind a key can be lost (its widget removed on the way): the keys after it go
    on after INPUT_STUCK seconds."""
    app = GuardedApp()
    async with app.run_test() as pilot:
        await pilot.pause()
        app._input_busy, app._input_since = True, time.monotonic()  # a key whose marker never returns
        seen: list[str] = []
        app.screen.key_x = lambda: seen.append("x")  # type: ignore[attr-defined]
        app.post_message(events.Key("x", "x"))
        await pilot.pause(0.1)
        assert seen == [] and len(app._input_waiting) == 1
        await pilot.pause(tf.INPUT_STUCK + 0.3)
        assert seen == ["x"] and not app._input_waiting



async def test_keys_held_for_a_view_wait_for_it_in_order_and_at_most_a_moment():
    """A view still mounting its parts holds the keys after the one that showed it: they act once
    it releases them, in the order they came; a holder that never releases holds them up for
    INPUT_STUCK seconds only."""
    app = GuardedApp()
    async with app.run_test() as pilot:
        await pilot.pause()
        seen: list[str] = []
        app.screen.key_x = lambda: seen.append("x")  # type: ignore[attr-defined]
        app.screen.key_y = lambda: seen.append("y")  # type: ignore[attr-defined]
        holder = object()
        app.hold_keys(holder)
        app.post_message(events.Key("x", "x"))
        app.post_message(events.Key("y", "y"))
        await pilot.pause(0.1)
        assert seen == [] and len(app._input_waiting) == 2
        app.release_keys(holder)
        await pilot.pause(0.1)
        assert seen == ["x", "y"] and not app._input_waiting
        app.hold_keys(object())  # never released
        app.post_message(events.Key("x", "x"))
        await pilot.pause(0.1)
        assert seen == ["x", "y"]
        await pilot.pause(tf.INPUT_STUCK * 2 + 0.3)
        assert seen == ["x", "y", "x"] and not app._input_holds


# ---------------------------------------------------------------------------------------------
# The registry
# ---------------------------------------------------------------------------------------------
def test_every_fix_names_its_upstream_report():
    for fix in FIXES:
        assert fix.upstream.strip(), fix.name
        assert re.search(r"Textualize/textual#\d+", fix.upstream) or "none found" in fix.upstream, fix
    assert len(NAMES) == len(FIXES), "fix names must be unique"


def test_apply_all_is_idempotent():
    apply_all()
    apply_all()
    assert OptionList._move_page is tf._guarded_move_page
    assert driver_parsers() == [PasteSafeParser] * len(PARSER_DRIVERS)
    for fix in FIXES:
        fix.requires()  # still satisfied with the patches in place


def test_without_is_only_for_patches_and_puts_the_patch_back():
    with pytest.raises(ValueError, match="not a patch"):
        with without("focus-repaints-the-screen"):
            pass
    with pytest.raises(RuntimeError):
        with without("option-list-page-keys"):
            raise RuntimeError
    assert OptionList._move_page is tf._guarded_move_page


# How to take away, in a future Textual, an internal each fix relies on.
BREAKS: dict[str, list[tuple[object, str, object]]] = {
    "footer-rebuilds-and-leaks": [(Footer, "_bindings_ready", None), (Footer, "compose", lambda self: iter(())),
                                  (Footer, "bindings_changed", lambda self, screen: None)],
    "input-selection-signal-leak": [(Input, "_on_mount", lambda self, event: None),
                                    (Signal, "unsubscribe", None)],
    "option-list-page-keys": [(OptionList, "_move_page", None), (OptionList, "_index_to_line", None)],
    "dismiss-pops-the-top-screen": [(Screen, "dismiss", lambda self, result=None: None), (Screen, "is_active", None)],
    "palette-watchers-after-dismiss": [(CommandPalette, "_watch__list_visible", None),
                                       (CommandPalette, "_action_escape", None)],
    "click-on-removed-widget": [(Screen, "get_widget_and_offset_at", None),
                                (Screen, "_forward_event", lambda self, event: None)],
    "stalled-paste-and-late-escape": [(mod, "XTermParser", None) for mod in PARSER_DRIVERS],
    "focus-repaints-the-screen": [(Screen, "_update_focus_styles", None), (Screen, "focused", Reactive(None, layout=True))],
    "keys-queued-at-a-closing-overlay": [(Message, "is_forwarded", None), (App, "pop_screen", None)],
    "scrolls-read-together-scroll-once": [(tf, "_SCROLL_ORIGINALS", {"scroll_to": None}),
                                          (textual.widget.Widget, "release_anchor", lambda self: None)],
    "undecodable-input-ends-the-app": [(mod, "getincrementaldecoder", None) for mod in tf.DECODING_DRIVERS],
    "no-color-sends-grey": [(App, "__init__", lambda self, *args, **kwargs: None)],
    "panic-exits-zero": [(App, "panic", None), (App, "_handle_exception", lambda self, error: None)],
    "keys-overtake-each-other": [(App, "on_event", lambda self, event: None), (App, "_on_key", lambda self, event: None),
                                 (textual.widget.Widget, "focus", lambda self, scroll_visible=True: None)],
    # these two keep Textual's original (captured at import) and patch over it: a Textual without
    # it is an original of None, or one that works another way
    "web-app-outlives-its-input": [(tf, "_web_input_thread", None), (Driver, "send_message", None),
                                   (WebDriver, "stop_application_mode", lambda self: None)],
    "terminal-size-from-stale-environment": [(tf, "_terminal_size", None),
                                             (tf, "_terminal_size", lambda self: (80, 24))],
}


@pytest.mark.parametrize("name", sorted(NAMES))
def test_requires_notices_each_internal_going_away(name, monkeypatch):
    fix = next(f for f in FIXES if f.name == name)
    assert BREAKS[name]
    for owner, attribute, replacement in BREAKS[name]:
        with monkeypatch.context() as patch:
            if owner is tf:
                patch.setattr(owner, attribute, replacement)
            elif replacement is None:
                patch.delattr(owner, attribute)
            else:
                patch.setattr(owner, attribute, replacement)
            with pytest.raises(TextualChanged, match="textual changed"):
                fix.requires()
            with pytest.raises(TextualChanged):
                apply_all()
        fix.requires()  # and satisfied again once it is back


def test_a_missing_internal_fails_apply_all_before_anything_is_patched(monkeypatch):
    for fix in FIXES:
        if fix.revert is not None:
            fix.revert()
    monkeypatch.setattr(tf, "_applied", False)
    monkeypatch.delattr(OptionList, "_move_page")
    try:
        with pytest.raises(TextualChanged, match="_move_page"):
            apply_all()
        assert "_move_page" not in OptionList.__dict__  # not patched in
        assert driver_parsers() == [XTermParser] * len(PARSER_DRIVERS)  # nor anything else
        assert not tf._applied
    finally:
        monkeypatch.undo()
        tf._applied = False
        apply_all()
    assert OptionList._move_page is tf._guarded_move_page and tf._applied



@covers("keys-queued-at-a-closing-overlay")
async def test_a_palette_opened_while_the_last_one_is_being_removed():
    """Escape then ctrl+p in one read: the dismissed palette is off the stack but still among the
    app's nodes until removed. Textual raises DuplicateIds for a second palette with its id;
    open_palette opens none until the first is gone (the next ctrl+p opens one)."""
    from textual._node_list import DuplicateIds

    for app_class in (App, GuardedApp):
        app = app_class()
        async with app.run_test() as pilot:
            app.push_screen(SafeCommandPalette(id="--command-palette"))
            await pilot.pause()
            app.screen.dismiss()
            if app_class is App:
                with pytest.raises(DuplicateIds):
                    app.push_screen(SafeCommandPalette(id="--command-palette"))
                continue
            app.open_palette(id="--command-palette")
            for _ in range(3):
                await pilot.pause()
            assert app.is_running and stack(app) == ["Screen"]
            app.open_palette(id="--command-palette")
            await pilot.pause()
            assert stack(app) == ["Screen", "SafeCommandPalette"]
