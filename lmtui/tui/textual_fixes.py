"""Every work-around for an upstream Textual (8.2.8, pinned exactly) bug, in one place.

Each is listed in ``FIXES`` with the upstream report it answers and a ``requires`` check of the
private Textual internals it depends on. ``apply_all()`` runs from the app's start (``LmtuiApp``'s
constructor), not at import: it checks every fix's internals (a Textual release that renames one
fails loudly at start instead of leaving the fix silently dead) and installs the few that patch
Textual itself. The others are subclasses the app uses in place of Textual's own (``LeanFooter``,
``LeanInput``, ``SafeCommandPalette``, ``DismissOnTop``, ``QuietFocusScreen``, ``GuardedApp``): they
change nothing outside lmtui.

``tests/test_textual_fixes.py`` reproduces each upstream bug with the fix off (Textual's own class,
or the patch reverted with ``without(name)``) and shows it gone with the fix on. When a Textual
release fixes one, that test fails with the fix off: delete the fix and its test.
"""

from __future__ import annotations

import codecs
import time
from collections import deque
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass

from textual import events
from textual._xterm_parser import XTermParser
from textual.app import App, ScreenStackError
from textual.await_complete import AwaitComplete
from textual.command import CommandPalette, SearchIcon
from textual.css.query import NoMatches
from textual.dom import NoScreen
from textual.message import Message
from textual.drivers import linux_driver, linux_inline_driver, web_driver
from textual.filter import LineFilter, Monochrome, NoColor
from textual.reactive import Reactive
from textual.screen import Screen
from textual.signal import Signal
from textual.widget import Widget
from textual.widgets import Footer, Input, OptionList


class TextualChanged(RuntimeError):
    """A work-around's Textual internals are gone: the pinned Textual was changed."""


def _require(owner: object, *names: str) -> None:
    for name in names:
        if not hasattr(owner, name):
            raise TextualChanged(f"textual changed: {getattr(owner, '__name__', owner)!r} has no {name!r}; "
                                 f"review lmtui/tui/textual_fixes.py against this Textual version")


def _require_code(function: Callable, *names: str) -> None:
    """``function``'s own code still uses ``names`` (the attributes a fix works around)."""
    used = set(function.__code__.co_names) | {c for c in function.__code__.co_consts if isinstance(c, str)}
    for nested in function.__code__.co_consts:
        if hasattr(nested, "co_names"):
            used |= set(nested.co_names)
    missing = [n for n in names if n not in used]
    if missing:
        raise TextualChanged(f"textual changed: {function.__qualname__} no longer uses {', '.join(missing)}; "
                             f"review lmtui/tui/textual_fixes.py against this Textual version")


@dataclass(frozen=True)
class Fix:
    name: str
    upstream: str  # the upstream report, or what was searched when none was found
    requires: Callable[[], None]
    apply: Callable[[], None] | None = None  # for fixes that patch Textual itself
    revert: Callable[[], None] | None = None


# ---------------------------------------------------------------------------------------------
# Leaks
# ---------------------------------------------------------------------------------------------
def prune_closed_watchers(obj: object) -> int:
    """Drop watcher entries whose owner has been removed; returns how many were dropped.

    Textualize/textual#6666: ``self.watch(other, ...)`` and ``data_bind`` store ``(owner, callback)``
    on the *watched* object, and prune closed owners only when that attribute changes. If it never
    changes, every removed owner stays alive with its whole subtree.
    """
    watchers: dict[str, list] = getattr(obj, "__watchers", None) or {}
    dropped = 0
    for entries in watchers.values():
        keep = [(owner, callback) for owner, callback in entries if not (owner._closing or owner._closed)]
        dropped += len(entries) - len(keep)
        entries[:] = keep
    return dropped


class LeanInput(Input):
    """Textual's Input subscribes to its screen's ``text_selection_started_signal`` on mount and
    never unsubscribes. The signal keeps subscribers in a WeakKeyDictionary whose values are
    closures over the Input itself, so the key never dies: every Input ever mounted on a long-lived
    screen stays in memory (every parameter field of every figure opened, for the whole session;
    scripts/soak.py shows the growth over passes through the course). Unsubscribed on unmount, as
    Textual's Footer does for its own signal; tests/test_textual_fixes.py frees a removed Input with
    the fix on and not with Textual's own. Upstream: the same family as Textualize/textual#6666
    (subscriptions outliving their widget)."""

    def _on_unmount(self) -> None:
        with suppress(NoScreen):  # no screen left to unsubscribe from: nothing holds us
            self.screen.text_selection_started_signal.unsubscribe(self)


def _requires_lean_input() -> None:
    _require_code(Input._on_mount, "text_selection_started_signal", "subscribe")
    _require_code(Screen.__init__, "text_selection_started_signal")
    _require(Signal, "subscribe", "unsubscribe")


class LeanFooter(Footer):
    """Textual's Footer, with two changes:

    * It rebuilds its keys on every binding change, which is every focus move, even when the
      keys shown stay the same (moving between two parameters, two quiz questions, two chapters).
      A rebuild mounts a dozen widgets and re-lays-out the screen: most of the cost of a key
      press. Here it rebuilds only when what it shows changes.
    * Each FooterKey is ``data_bind``-ed to the footer's ``compact``, which never changes: without
      pruning, every key ever shown stays in memory, a few more with every focus move
      (Textualize/textual#6666; scripts/soak.py shows the growth over passes through the course).
      Pruned after each rebuild.

    The off/on test counts the rebuilds over focus moves that do and do not change the keys shown,
    and the dead keys still alive after them.
    """

    _shown: tuple | None = None

    def _signature(self) -> tuple | None:
        if not self._bindings_ready or not self.is_attached:
            return None
        app = self.app
        keys = tuple(
            (binding.key, app.get_key_display(binding), binding.description, binding.action, enabled, tooltip,
             binding.group.description if binding.group else None)
            for (_, binding, enabled, tooltip) in self.screen.active_bindings.values()
            if binding.show
        )
        return keys, self.show_command_palette, self.compact, app.ENABLE_COMMAND_PALETTE

    async def recompose(self) -> None:
        signature = self._signature()
        if signature is not None and signature == self._shown and self.children:
            return
        self._shown = signature
        await super().recompose()
        prune_closed_watchers(self)


def _requires_lean_footer() -> None:
    _require(Footer, "_bindings_ready", "recompose", "compose", "bindings_changed")
    _require(Screen, "active_bindings")
    _require_code(Footer.compose, "data_bind")
    _require_code(Footer.bindings_changed, "recompose")  # the rebuild LeanFooter skips
    from textual import reactive

    _require_code(reactive._watch, "__watchers")


# ---------------------------------------------------------------------------------------------
# Crashes
# ---------------------------------------------------------------------------------------------
_ORIGINAL_MOVE_PAGE = getattr(OptionList, "_move_page", None)  # Textual's own, kept to check and to call


def _guarded_move_page(self: OptionList, direction: int) -> None:
    """``OptionList._move_page`` indexes ``_index_to_line``, filled only once the list has been
    rendered at a non-zero height: PageUp/PageDown in the command palette before that (no matches
    yet, or a terminal a few rows tall) raises KeyError and takes the app down. Guarded: a page key
    with no lines to page through does nothing. The tests press page keys in a list never rendered
    at a height and in the palette of a terminal three rows tall."""
    if (self.highlighted or 0) not in self._index_to_line or not self._lines:
        return
    _ORIGINAL_MOVE_PAGE(self, direction)  # type: ignore[misc]


def _requires_option_list() -> None:
    _require(OptionList, "_move_page", "_index_to_line", "_lines")  # properties
    if _ORIGINAL_MOVE_PAGE is None:
        raise TextualChanged("textual changed: OptionList has no '_move_page'; "
                             "review lmtui/tui/textual_fixes.py against this Textual version")
    _require_code(_ORIGINAL_MOVE_PAGE, "_index_to_line")  # Textual's, not the guard patched in


def _patch_option_list() -> None:
    setattr(OptionList, "_move_page", _guarded_move_page)


def _unpatch_option_list() -> None:
    setattr(OptionList, "_move_page", _ORIGINAL_MOVE_PAGE)


class DismissOnTop:
    """For overlay screens. Textual's dismiss resolves the screen's result and pops whatever screen
    is on top. A key already in flight when the too-small notice covers an overlay dismisses the
    overlay but pops the notice, and the next one resolves an already-resolved result future:
    InvalidStateError ends the app. Dismissing a screen that is not on top is a no-op here; once
    dismissed, a screen is off the stack, so it is dismissed once. The tests dismiss an overlay
    under a notice, and one overlay twice (two escapes in flight).

    ``CLOSE_KEYS`` and ``action_close`` let the app close the overlay the moment such a key
    arrives (see ``GuardedApp._close_overlay_at_once``)."""

    CLOSE_KEYS: tuple[str, ...] = ("escape",)

    def action_close(self) -> None:
        """Close the overlay (a screen says here what closing it means, if more than dismissing)."""
        self.dismiss()

    def dismiss(self, result=None) -> AwaitComplete:
        if not self.is_active:  # type: ignore[attr-defined]
            return AwaitComplete.nothing()
        return super().dismiss(result)  # type: ignore[misc]


def _requires_dismiss_on_top() -> None:
    _require(Screen, "dismiss", "is_active")
    _require_code(Screen.dismiss, "pop_screen", "_result_callbacks")


class SafeCommandPalette(DismissOnTop, CommandPalette):
    """Textual's palette queries its own children in reactive watchers; a timer or a search
    worker that fires while the palette is being dismissed (keys faster than the screen) raises
    NoMatches and ends the app. Same palette, watchers that give up quietly once the children are
    gone, dismissed only while on top (``DismissOnTop``), and an ASCII search icon under --ascii
    (Textual's is an emoji that a non-UTF-8 terminal shows as ??).
    A palette closed before it was mounted skips Textual's mount, which would crash."""

    def _on_mount(self, event: events.Mount) -> None:
        if self not in self.app.screen_stack[1:]:
            # closed before it was mounted (escape right after ctrl+p): Textual's own mount looks
            # for the screen below it on the stack, which is no longer there (IndexError)
            event.prevent_default()
            return
        if getattr(self.app, "ascii_only", False):
            for icon in self.query(SearchIcon):
                icon.icon = ">"

    def _watch__list_visible(self) -> None:
        with suppress(NoMatches):
            super()._watch__list_visible()

    async def _watch__show_busy(self) -> None:
        with suppress(NoMatches):
            await super()._watch__show_busy()

    def action_close(self) -> None:
        """What escape does: stop searching, tell the app, dismiss."""
        self._action_escape()


def _requires_safe_palette() -> None:
    _require(CommandPalette, "_watch__list_visible", "_watch__show_busy", "_action_escape")
    _require(SearchIcon, "icon")
    _require_code(CommandPalette._on_mount, "screen_stack")


def lands_on_removed_widget(screen: Screen, event: events.MouseDown) -> bool:
    """Textual starts a text selection on mouse-down from the compositor's map; a click that lands,
    before the next refresh, on a widget just removed (a chapter switch, a figure swap) finds no
    parent and raises AttributeError in ``Screen._forward_event``. Such a click has nothing to act
    on: the caller drops it."""
    try:
        widget, offset = screen.get_widget_and_offset_at(event.x, event.y)
    except Exception:  # outside the map while resizing: let Textual handle (and ignore) it
        return False
    return widget is not None and offset is not None and widget is not screen and widget.parent is None


def _requires_removed_widget_click() -> None:
    _require(Screen, "get_widget_and_offset_at", "_forward_event")
    _require_code(Screen._forward_event, "get_widget_and_offset_at")
    _require_code(App.on_event, "_forward_event")  # the app hands mouse-downs to the screen


# ---------------------------------------------------------------------------------------------
# Input
# ---------------------------------------------------------------------------------------------
PASTE_START, PASTE_END = "\x1b[200~", "\x1b[201~"
PASTE_STALL = 2.0  # seconds without a byte inside an open paste: the paste is broken

# After a lone ESC, the characters that still continue an escape sequence (CSI, SS3, OSC, DCS,
# APC, PM, SOS, ST, and ESC itself). Anything else in a later read starts a new key.
SEQUENCE_CONTINUES = frozenset("[O]P_^X\\\x1b")


class PasteSafeParser(XTermParser):
    """Two faults of Textual's XTermParser, which every driver feeds the terminal's bytes to.

    STALLED PASTE: a bracketed-paste start whose end never comes (a garbled sequence over a flaky
    link, or random bytes) switches the parser into paste mode for good, and every later key, q
    included, is swallowed as pasted text. A real paste arrives as one continuous stream, and
    terminals strip control characters from pasted text (the paste-injection defence), so: an open
    paste is closed (by feeding the end marker) when a lone ESC arrives by itself, which is a key
    press; or, as a backstop, after PASTE_STALL seconds with no input, checked on the parser's
    regular tick (every 0.1 s).

    ESC_THEN_KEY: after an ESC, Textual waits ESCDELAY (0.1 s) for the rest of a sequence, timed
    from when its input thread *reads* the ESC. When the app is busy the thread reads late, so an
    escape and the key typed after it (escape, then q to quit) arrive within that window and are
    merged into alt+q: nothing happens, and a learner's "escape, escape, q" does not quit. A
    terminal writes alt+key as one chunk, so a read that ends in a lone ESC followed by a read that
    does not continue a sequence is two keys: the escape is flushed first.

    The tests feed the parser a paste start that never ends, then keys; and an escape and a key in
    two reads, within ESCDELAY of each other.
    """

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._paste_open = False
        self._tail = ""
        self._last_input = time.monotonic()
        self._esc_pending = False

    def feed(self, data: str):
        if data == "\x1b" and self._paste_open:  # escape pressed: this is no paste
            self._paste_open, self._esc_pending = False, True
            return [*super().feed(PASTE_END), *super().feed(data)]
        if self._esc_pending and data and data[0] not in SEQUENCE_CONTINUES:
            # the previous read ended in a lone escape, and this read does not continue an escape
            # sequence: the escape was a key press of its own (see ESC_THEN_KEY)
            self._esc_pending = False
            return [*self._flush_escape(), *self.feed(data)]
        self._esc_pending = data.endswith("\x1b")
        if data:
            self._last_input = time.monotonic()
            scan = self._tail + data
            start, end = scan.rfind(PASTE_START), scan.rfind(PASTE_END)
            if start != -1 or end != -1:
                self._paste_open = start > end
            self._tail = scan[-(len(PASTE_START) - 1):]
        return super().feed(data)

    def _flush_escape(self):
        if self._timeout_time is not None:  # the parser is waiting to see what follows the escape
            self._timeout_time = 0.0
            yield from super().tick()

    def tick(self):
        if self._paste_open and time.monotonic() - self._last_input > PASTE_STALL:
            self._paste_open = False
            yield from super().feed(PASTE_END)
        yield from super().tick()


# the driver modules whose XTermParser is replaced: the terminal ones, and the browser's
# (textual-serve runs the app under web_driver, which feeds the browser's keys to the same parser)
PARSER_DRIVERS = [linux_driver, linux_inline_driver, web_driver]


def _requires_parser() -> None:
    _require(XTermParser, "feed", "tick")
    from textual._parser import Parser

    _require_code(Parser.__init__, "_timeout_time")
    for module in PARSER_DRIVERS:
        _require(module, "XTermParser")


def _patch_parsers() -> None:
    for module in PARSER_DRIVERS:
        setattr(module, "XTermParser", PasteSafeParser)


def _unpatch_parsers() -> None:
    for module in PARSER_DRIVERS:
        setattr(module, "XTermParser", XTermParser)


_SCROLL_ORIGINALS: dict[str, Callable[..., None]] = {name: Widget.__dict__.get(name) for name in
                     ("scroll_to", "scroll_relative", "scroll_page_up", "scroll_page_down", "scroll_page_left",
                      "scroll_page_right", "scroll_to_region")}


def scroll_to_with_target(self: Widget, x: float | None = None, y: float | None = None, **kwargs) -> None:
    """Textual's ``scroll_to`` applies a scroll after the next refresh (once the layout is known),
    and sets ``scroll_target_x/y``, where the widget is going, only then; before deferring it even
    puts the target back to where the widget is now (``release_anchor``). A line scroll computes
    its target from ``scroll_target_y``: ten j read together all scroll to the same target + 1,
    one line. Here the target is set at once (the scroll itself still waits for the refresh), so
    each scroll starts where the one before it is going."""
    original = _SCROLL_ORIGINALS["scroll_to"]
    if kwargs.get("immediate", False):
        original(self, x, y, **kwargs)
        return
    if kwargs.pop("release_anchor", True):
        self._anchor_released = True  # what release_anchor does, less moving the target back
    kwargs.pop("immediate", None)
    if x is not None:
        self.scroll_target_x = x
    if y is not None:
        self.scroll_target_y = y

    def to_the_newest_target() -> None:
        # Scrolls deferred one behind another each go where the newest is going: one that ran
        # late with its own older target would put the target back, and the next key would count
        # from there.
        original(self, None if x is None else self.scroll_target_x, None if y is None else self.scroll_target_y,
                 release_anchor=False, immediate=True, **kwargs)

    self.call_after_refresh(to_the_newest_target)


def _scroll_relative(self: Widget, x: float | None = None, y: float | None = None, **kwargs) -> None:
    """Textual's page and relative scrolls add to ``scroll_x/y``, where the widget is now, which a
    scroll still waiting for the refresh has not moved: from where it is going instead (except in
    ``scroll_to_region``, which measures its distance from where the widget is now)."""
    if getattr(self, "_region_scroll", False):
        _SCROLL_ORIGINALS["scroll_relative"](self, x, y, **kwargs)
        return
    self.scroll_to(None if x is None else self.scroll_target_x + x, None if y is None else self.scroll_target_y + y,
                   **kwargs)


def _scroll_to_region(self: Widget, *args, **kwargs):
    """Textual's ``scroll_to_region`` (behind ``scroll_visible`` and focus) measures how far to
    scroll from where the widget is now and scrolls by that much: from there, then, not from where
    a scroll still waiting is going (otherwise a j in the quiz scrolls twice as far, by its focus
    and its scroll_visible, and the question it marks goes off the screen)."""
    self._region_scroll = True
    try:
        return _SCROLL_ORIGINALS["scroll_to_region"](self, *args, **kwargs)
    finally:
        self._region_scroll = False


def _page(axis: str, sign: int) -> Callable:
    def scroll_page(self: Widget, **kwargs) -> None:
        region = self.scrollable_content_region
        if axis == "x":
            if kwargs.get("speed") is None and kwargs.get("duration") is None:
                kwargs["duration"] = 0.3  # as Textual's horizontal page scrolls
            _scroll_relative(self, x=sign * region.width, **kwargs)
        else:
            _scroll_relative(self, y=sign * region.height, **kwargs)
    return scroll_page


_SCROLL_PATCHES = {"scroll_to": scroll_to_with_target, "scroll_relative": _scroll_relative,
                   "scroll_page_up": _page("y", -1), "scroll_page_down": _page("y", 1),
                   "scroll_page_left": _page("x", -1), "scroll_page_right": _page("x", 1),
                   "scroll_to_region": _scroll_to_region}


def _requires_scroll_targets() -> None:
    _require(Widget, "scroll_target_x", "scroll_target_y", "scrollable_content_region", *_SCROLL_ORIGINALS)
    if any(original is None for original in _SCROLL_ORIGINALS.values()):
        raise TextualChanged("textual changed: Widget no longer defines its own scroll methods; "
                             "review lmtui/tui/textual_fixes.py against this Textual version")
    _require_code(_SCROLL_ORIGINALS["scroll_to"], "call_after_refresh", "_scroll_to")  # deferred
    _require_code(Widget._scroll_to, "scroll_target_y")  # where the target is set, after the refresh
    _require_code(Widget.release_anchor, "scroll_target_y", "_anchor_released")  # what scroll_to undoes
    for name in ("scroll_relative", "scroll_page_up", "scroll_page_down", "scroll_page_left", "scroll_page_right"):
        _require_code(_SCROLL_ORIGINALS[name], "scroll_to")  # Textual's, not the patch
    _require_code(_SCROLL_ORIGINALS["scroll_to_region"], "scroll_offset", "scroll_relative")  # measured from now


def _patch_scrolls() -> None:
    for name, patch in _SCROLL_PATCHES.items():
        setattr(Widget, name, patch)


def _unpatch_scrolls() -> None:
    for name, original in _SCROLL_ORIGINALS.items():
        setattr(Widget, name, original)


# ---------------------------------------------------------------------------------------------
# Drivers: the browser (lmtui serve) and terminals that say their size in the environment
# ---------------------------------------------------------------------------------------------
_web_input_thread = web_driver.WebDriver.__dict__.get("run_input_thread")


def _requires_web_input_exit() -> None:
    """Textual's WebDriver reads keys and textual-serve's meta packets from stdin in its input
    thread, which returns when stdin ends and tells nobody; ``exit_event`` is set only when the
    app stops the driver itself."""
    _require(web_driver.WebDriver, "run_input_thread", "stop_application_mode", "send_message")
    _require_code(web_driver.WebDriver.stop_application_mode, "exit_event")
    if _web_input_thread is None:
        raise TextualChanged("textual changed: WebDriver no longer defines run_input_thread")


def _patch_web_input_exit() -> None:
    """When a visitor's input ends (the server was killed, or closed the pipe) with the app still
    running, nothing can ever reach the app again: it ends, as a hang-up ends a terminal app.
    Without this every visitor's app outlives a killed `lmtui serve`, re-parented to init with
    its progress store open."""
    from textual import messages

    original = _web_input_thread

    def run_input_thread(self) -> None:
        try:
            original(self)
        finally:
            if not self.exit_event.is_set():  # not stop_application_mode: the input is gone
                self.send_message(messages.ExitApp())

    setattr(web_driver.WebDriver, "run_input_thread", run_input_thread)


def _unpatch_web_input_exit() -> None:
    setattr(web_driver.WebDriver, "run_input_thread", _web_input_thread)


_terminal_size = linux_driver.LinuxDriver.__dict__.get("_get_terminal_size")


def _requires_terminal_size() -> None:
    _require(linux_driver.LinuxDriver, "_get_terminal_size")
    if _terminal_size is None:
        raise TextualChanged("textual changed: LinuxDriver no longer defines _get_terminal_size")
    _require_code(_terminal_size, "get_terminal_size")  # Textual's own (shutil's), not the patch


def _patch_terminal_size() -> None:
    """Textual's LinuxDriver sizes the screen with ``shutil.get_terminal_size``, which believes
    COLUMNS and LINES from the environment before the terminal itself. JupyterLab's terminal
    (terminado) sets them once, to 80x25, when the shell starts, and a shell such as sh never
    updates them: an app in a JupyterHub terminal draws 25 rows on a 24-row terminal (its top line
    scrolls away) and never follows a resize, since each SIGWINCH reads the same stale numbers.
    The terminal's own size first; the environment only when there is no terminal to ask."""
    import os
    import sys

    original = _terminal_size

    def _get_terminal_size(self) -> tuple[int, int]:
        for stream in (sys.__stdout__, sys.__stdin__):
            try:
                columns, lines = os.get_terminal_size(stream.fileno())
            except (AttributeError, ValueError, OSError):
                continue
            if columns > 0 and lines > 0:
                return columns, lines
        return original(self)

    setattr(linux_driver.LinuxDriver, "_get_terminal_size", _get_terminal_size)


def _unpatch_terminal_size() -> None:
    setattr(linux_driver.LinuxDriver, "_get_terminal_size", _terminal_size)


# the driver modules that decode the terminal's (or the browser's) bytes as UTF-8
DECODING_DRIVERS = [linux_driver, linux_inline_driver, web_driver]


def lenient_incremental_decoder(encoding: str):
    """``codecs.getincrementaldecoder`` for the drivers: bytes that are not valid UTF-8 (a Latin-1
    terminal's é, an 8-bit Meta key, a backspace that splits a character, line noise) are dropped.
    Textual decodes strictly in its input thread: one such byte raises UnicodeDecodeError there and
    ends the app, exiting 0."""
    decoder = codecs.getincrementaldecoder(encoding)

    def make(errors: str = "strict"):
        return decoder(errors="ignore")

    return make


def _requires_lenient_decoding() -> None:
    for module in DECODING_DRIVERS:
        _require(module, "getincrementaldecoder")
    _require_code(linux_driver.LinuxDriver.run_input_thread, "getincrementaldecoder")
    _require_code(linux_inline_driver.LinuxInlineDriver.run_input_thread, "getincrementaldecoder")
    _require_code(_web_input_thread, "getincrementaldecoder")


def _patch_decoding() -> None:
    for module in DECODING_DRIVERS:
        setattr(module, "getincrementaldecoder", lenient_incremental_decoder)


def _unpatch_decoding() -> None:
    for module in DECODING_DRIVERS:
        setattr(module, "getincrementaldecoder", codecs.getincrementaldecoder)


# ---------------------------------------------------------------------------------------------
# Screens and the app
# ---------------------------------------------------------------------------------------------
class QuietFocusScreen(Screen[None]):
    """Textual's ``Screen.focused`` is a reactive with repaint on, so every focus move (tab, moving
    between parameters or quiz questions) repaints and re-sends the whole screen: about a screenful
    of bytes per key over SSH, and most of the key's latency while a simulation runs.
    ``Screen.set_focus`` already restyles the widgets whose look depends on focus (the focused and
    blurred widgets and their ancestors, via ``_update_focus_styles``), and those repaint themselves.
    Only lmtui's main screen is changed (the snapshot tests show focus highlights unchanged)."""

    focused: Reactive[Widget | None] = Reactive(None, repaint=False)


_REACTIVE_SETTINGS = ("_default", "_layout", "_init", "_always_update", "_run_compute", "_recompose", "_bindings",
                      "_toggle_class")


def _reactive_settings(reactive: Reactive) -> tuple:
    """A reactive's settings, all but ``repaint``."""
    return tuple(getattr(reactive, name, AttributeError) for name in _REACTIVE_SETTINGS)


def _requires_quiet_focus() -> None:
    _require(Screen, "focused", "_watch_focused", "_update_focus_styles")
    focused = Screen.__dict__.get("focused")
    if not isinstance(focused, Reactive):
        raise TextualChanged("textual changed: Screen.focused is no longer a Reactive")
    # QuietFocusScreen redefines the reactive: it must differ from Textual's in repaint only
    if _reactive_settings(focused) != _reactive_settings(QuietFocusScreen.__dict__["focused"]):
        raise TextualChanged("textual changed: Screen.focused has new settings; "
                             "copy them into QuietFocusScreen.focused (lmtui/tui/textual_fixes.py)")


INPUT_STUCK = 0.5  # seconds: a key whose marker has not come back by then is taken as handled
# This many keys waiting is a flood, not typing (a paste without bracketed paste, a key storm, a
# long hang): they, and the keys that follow within INPUT_FLOOD_QUIET seconds, go straight on as in
# Textual, since one at a time could not keep up. Below it, keys keep their order: a value typed
# ahead into a field (backspaces, thirty characters, enter) arrives in one read over SSH or tmux.
INPUT_BACKLOG = 256
INPUT_FLOOD_QUIET = 0.3


class InputHandled(Message, bubble=True):
    """Sent behind a key (or paste) along the path Textual sends it: focused widget, each ancestor,
    the app. Queues are first in, first out, so when it reaches the app the key before it has been
    handled wherever it was going to be (stopped by a widget, or bound to an action at the app)."""

    def __init__(self, token: int) -> None:
        super().__init__()
        self.token = token


class GuardedApp(App):
    """The app-level work-arounds, for lmtui's App to inherit.

    KEYS OVERTAKE EACH OTHER: Textual hands each key to the focused widget's queue and goes on to
    the next key at once. A key a widget handles itself (a character typed into an Input) is done
    there; a key bound to an action travels up through the queue of every ancestor and runs its
    action only back at the app. State that an action changes is applied later still: focus moves
    through ``call_later``. So keys that arrive in one read (typed ahead, over SSH, through tmux)
    are handled out of order and against stale state: ``BackSpace BackSpace 7 8`` into a field
    holding 1234 types 78 and then deletes it; four Down keys in a list move one row (each moves
    from the same focused row). Here one key is in flight at a time: the next is handed on only
    once the last has been handled (``InputHandled`` came back) and what it deferred to
    ``call_later`` has run. Scrolling, deferred to after the next refresh, is made to add up by
    ``scroll_to_with_target`` (below) without waiting for a frame per key. A flood of keys
    (INPUT_BACKLOG waiting) goes on as in Textual: one at a time would fall further and further
    behind.
    """

    _input_busy = False  # a key is in flight, or the screen is being refreshed after one
    _input_token = 0  # which key: a late marker of an earlier key changes nothing
    _input_since = 0.0
    _input_timer = None
    _input_flood_until = 0.0
    _input_event: events.Event | None = None
    _input_holds: dict[int, float] | None = None  # who holds the keys back (id of the holder), since when

    def hold_keys(self, holder: object) -> None:
        """Keys that arrive from now on wait until ``holder`` releases them (a view whose parts
        are still being mounted: the keys typed after the one that opened it are meant for those
        parts). Held at most INPUT_STUCK seconds, then handed on anyway."""
        holds = self._input_holds = self._input_holds or {}
        holds.setdefault(id(holder), time.monotonic())
        if self._input_timer is None:
            self._input_timer = self.set_timer(INPUT_STUCK, self._check_stuck_input)

    def release_keys(self, holder: object) -> None:
        """``holder`` is ready: the keys held for it go on, in the order they came."""
        if self._input_holds and self._input_holds.pop(id(holder), None) is not None:
            if not self._input_holds and self._input_waiting and not self._input_busy:
                self.call_later(self._release_typed)

    @property
    def _input_waiting(self) -> deque:
        queue = self.__dict__.get("_input_queue")
        if queue is None:
            queue = self.__dict__["_input_queue"] = deque()
        return queue

    async def _flood(self, event: events.Event, now: float) -> None:
        """Keys waiting, then ``event``, handed on at once (see INPUT_BACKLOG)."""
        self._input_flood_until = now + INPUT_FLOOD_QUIET
        self._input_busy = False
        self._input_token += 1  # a marker still on its way changes nothing
        waiting = self._input_waiting
        waiting.append(event)
        while waiting:
            typed = waiting.popleft()
            if not (isinstance(typed, events.Key) and self._close_overlay_at_once(typed.key)):
                await super().on_event(typed)

    async def _dispatch_typed(self, event: events.Event) -> None:
        """Hand ``event`` on as Textual would, with an ``InputHandled`` marker behind it."""
        self._input_busy, self._input_since = True, time.monotonic()
        self._input_token += 1
        self._input_event = event
        token = self._input_token
        if isinstance(event, events.Key) and self._close_overlay_at_once(event.key):
            self._typed_done(token)
            return
        target = self.focused or self.screen  # where Textual sends it
        await super().on_event(event)
        marker = InputHandled(token)
        marker.set_sender(self)
        if not target.post_message(marker):  # closed meanwhile: nothing more will happen to it
            self._typed_done(token)

    def on_input_handled(self, message: InputHandled) -> None:
        message.stop()
        self._typed_done(message.token)

    def _typed_done(self, token: int) -> None:
        if token == self._input_token and self._input_busy:
            self.call_later(self._typed_settled, token)  # after what the key left to run next (focus)

    def _typed_settled(self, token: int) -> None:
        """The key and what it deferred to ``call_later`` have run: the next key waiting goes on."""
        if token != self._input_token or not self._input_busy:
            return
        self._input_busy = False
        if self._input_waiting:
            self.call_later(self._release_typed)

    async def _release_typed(self) -> None:
        if self._input_waiting and not self._input_busy and not self._input_holds:
            await self._dispatch_typed(self._input_waiting.popleft())

    def _check_stuck_input(self) -> None:
        """A key whose marker never comes back (its widget was removed on the way) holds up the
        keys after it for INPUT_STUCK seconds at most."""
        self._input_timer = None
        now = time.monotonic()
        if self._input_holds:
            self._input_holds = {k: since for k, since in self._input_holds.items() if now - since < INPUT_STUCK}
            if self._input_holds:
                self._input_timer = self.set_timer(INPUT_STUCK, self._check_stuck_input)
                return
            if not self._input_busy and self._input_waiting:
                self.call_later(self._release_typed)
        if not self._input_busy:
            return
        if now - self._input_since >= INPUT_STUCK:
            self._typed_settled(self._input_token)  # taken as handled: the next key goes on
        else:
            self._input_timer = self.set_timer(INPUT_STUCK, self._check_stuck_input)

    def panic(self, *renderables) -> None:
        """Textual's panic (an exception in the driver's input thread ends up here) shows the error
        and ends the app, leaving its return code at 0: a crash looks like a clean quit."""
        self._return_code = 1
        super().panic(*renderables)

    def pop_screen(self) -> AwaitComplete:
        """Never pop the last screen. Textual's command palette can dismiss itself twice when two
        escapes are in flight, and the second pop would end the app."""
        if len(self.screen_stack) <= 1:
            return AwaitComplete.nothing()
        return super().pop_screen()

    async def on_event(self, event: events.Event) -> None:
        if isinstance(event, events.MouseDown) and lands_on_removed_widget(self.screen, event):
            return
        if isinstance(event, (events.Key, events.Paste)) and not self.screen_stack:
            return  # a key still on its way while the app shuts down: nothing left to act on
        if isinstance(event, (events.Key, events.Paste)) and not event.is_forwarded:
            now = time.monotonic()
            if now < self._input_flood_until or len(self._input_waiting) + 1 >= INPUT_BACKLOG:
                await self._flood(event, now)
                return
            if self._input_busy or self._input_waiting or self._input_holds:
                self._input_waiting.append(event)
                if self._input_timer is None:
                    self._input_timer = self.set_timer(INPUT_STUCK, self._check_stuck_input)
                return
            await self._dispatch_typed(event)
            return
        await super().on_event(event)
        if event is self._input_event and self._input_busy:
            # the key came back up to the app and its binding (if any) has run: handled. Its marker
            # may never come (the key's action removed the widgets on its way, as f does a figure's)
            self._typed_done(self._input_token)

    def _close_overlay_at_once(self, key: str) -> bool:
        """Textual queues each key at the focused widget of the screen on top when the key
        arrives, and only there turns it into an action. Escape then q, typed quickly or read late
        by a busy app, therefore both land in the palette (or the help, or the links): the escape
        closes it and the q is typed into it, or lost. A key that
        closes an overlay closes it here, in arrival order, so the next key meets the screen below."""
        screen = self.screen
        if isinstance(screen, DismissOnTop) and key in screen.CLOSE_KEYS:
            screen.action_close()
            return True
        return False

    def open_palette(self, **kwargs) -> None:
        """One palette at a time, and the palette that survives fast keys (two escapes in flight
        dismiss a plain CommandPalette twice, which ends the app)."""
        # ``App.children`` shows only the active screen: a palette dismissed but still being
        # removed is among the app's nodes, and a second with its id would raise DuplicateIds
        if any(isinstance(s, CommandPalette) for s in (*self.screen_stack, *self._nodes)):
            return  # one is open, or closed but not yet gone
        self.push_screen(SafeCommandPalette(**kwargs))


def _requires_guarded_app() -> None:
    _require(App, "pop_screen", "on_event", "screen_stack", "push_screen")
    _require_code(App._register_child, "_nodes")  # screens are among the app's nodes until removed
    _require(events.Key, "is_forwarded")


def _requires_panic_code() -> None:
    _require(App, "panic", "return_code")
    _require_code(getattr(App.return_code, "fget"), "_return_code")
    _require_code(App._handle_exception, "_return_code")  # the other way an app ends on an error


def _requires_one_key_at_a_time() -> None:
    _require(App, "on_event", "call_after_refresh", "call_later", "focused")
    _require(events.Event, "is_forwarded")
    _require_code(App.on_event, "_forward_event", "_check_bindings")  # keys handed on, unawaited
    _require_code(App._on_key, "_check_bindings")  # non-priority bindings run back at the app
    _require_code(Widget.focus, "call_later")  # the deferred state a next key must see


# ---------------------------------------------------------------------------------------------
# NO_COLOR
# ---------------------------------------------------------------------------------------------
def without_grey(filters: list[LineFilter]) -> list[LineFilter]:
    """``filters`` with Textual's NO_COLOR filter made colourless.

    Under NO_COLOR, Textual (with any theme but an ANSI one) installs ``Monochrome``, which turns
    every colour into a grey: the terminal still receives a colour code for nearly every cell
    (SGR 38;5;n / 48;5;n, or 38;2 in truecolor). NO_COLOR asks for no colour codes at all, so
    ``NoColor`` (the terminal's own foreground and background) takes its place; what shows focus and
    emphasis without colour is the widgets' ``:nocolor`` styles (reverse, bold, underline)."""
    return [NoColor() if isinstance(f, Monochrome) else f for f in filters]


def _requires_no_grey() -> None:
    _require_code(App.__init__, "Monochrome", "NoColor", "_filters", "no_color")


# ---------------------------------------------------------------------------------------------
# The registry
# ---------------------------------------------------------------------------------------------
FIXES: list[Fix] = [
    Fix("footer-rebuilds-and-leaks",
        "the leak: Textualize/textual#6666 (watchers of data_bind not removed with their owner); "
        "the rebuild on every focus move: none found", _requires_lean_footer),
    Fix("input-selection-signal-leak",
        "none found; the same kind of leak as Textualize/textual#6666", _requires_lean_input),
    Fix("option-list-page-keys",
        "related: Textualize/textual#5794 (_update_lines returns early at zero height, so _index_to_line "
        "stays empty); the KeyError itself: none found", _requires_option_list, _patch_option_list, _unpatch_option_list),
    Fix("dismiss-pops-the-top-screen",
        "Textualize/textual#4884 (InvalidStateError when dismissing a Screen; PR #4892 fixed the worker "
        "path, not a second dismiss) and #2575 (dismiss of a screen that is not on top)", _requires_dismiss_on_top),
    Fix("palette-watchers-after-dismiss", "none found", _requires_safe_palette),
    Fix("click-on-removed-widget",
        "Textualize/textual#6643 (a detached widget in the compositor crashes MouseDown selection; "
        "fix PR #6645 not merged)", _requires_removed_widget_click),
    Fix("stalled-paste-and-late-escape",
        "the stalled paste: none found (bracketed paste came with #564); the late escape: related to "
        "Textualize/textual#4816 (ESCDELAY, PR #4848, in 8.2.8, still timed from the read)",
        _requires_parser, _patch_parsers, _unpatch_parsers),
    Fix("focus-repaints-the-screen", "none found", _requires_quiet_focus),
    Fix("web-app-outlives-its-input",
        "related: Textualize/textual#6690 (the Linux driver's input thread at EOF; it notes the app "
        "keeps running on every driver once its input ends); for the web driver's orphans: none found",
        _requires_web_input_exit, _patch_web_input_exit, _unpatch_web_input_exit),
    Fix("terminal-size-from-stale-environment",
        "Textualize/textual#6153 (use os.get_terminal_size first: COLUMNS and LINES go stale, seen in "
        "JupyterLab's terminal; open)", _requires_terminal_size, _patch_terminal_size, _unpatch_terminal_size),
    Fix("keys-queued-at-a-closing-overlay",
        "related: Textualize/textual#4704 (key events sent to an inactive screen)", _requires_guarded_app),
    Fix("keys-overtake-each-other",
        "Textualize/textual#6605 (Input/TextArea: a bound key such as backspace runs after characters typed "
        "after it; open). Its PR #6631 (open) runs a widget's own bindings inline: bindings of ancestors, "
        "deferred focus and deferred scrolling still see stale state", _requires_one_key_at_a_time),
    Fix("undecodable-input-ends-the-app",
        "none found for the strict decoder; related: Textualize/textual#6690 (the input thread's end "
        "goes unnoticed)", _requires_lenient_decoding, _patch_decoding, _unpatch_decoding),
    Fix("panic-exits-zero", "none found", _requires_panic_code),
    Fix("scrolls-read-together-scroll-once",
        "none found for the lost line scrolls; related: Textualize/textual#1774 (scrolls made before the "
        "layout is known, the reason scroll_to waits for the refresh)", _requires_scroll_targets, _patch_scrolls,
        _unpatch_scrolls),
    Fix("no-color-sends-grey",
        "Textualize/textual#2829 (NO_COLOR should keep backgrounds transparent; open): the Monochrome "
        "filter sends a grey colour code for every cell", _requires_no_grey),
]

_applied = False


def apply_all() -> None:
    """Check every fix's Textual internals and install the patches (once per process)."""
    global _applied
    for fix in FIXES:
        fix.requires()
    if _applied:
        return
    for fix in FIXES:
        if fix.apply is not None:
            fix.apply()
    _applied = True


@contextmanager
def without(name: str) -> Iterator[None]:
    """For tests: the named patch reverted (Textual's own behaviour) for the duration."""
    fix = next(f for f in FIXES if f.name == name)
    if fix.revert is None or fix.apply is None:
        raise ValueError(f"{name} is not a patch; use Textual's own class to see the bug")
    fix.revert()
    try:
        yield
    finally:
        if _applied:
            fix.apply()
