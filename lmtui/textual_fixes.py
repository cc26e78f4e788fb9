"""Work-arounds for upstream Textual bugs, kept in one place with the reason for each.

Remove an entry when the pinned Textual version fixes it (tests/test_abuse.py finds them again).
"""

from __future__ import annotations

import time
from contextlib import suppress

from textual.await_complete import AwaitComplete
from textual.command import CommandPalette
from textual.css.query import NoMatches
from textual._xterm_parser import XTermParser
from textual.drivers import linux_driver, linux_inline_driver
from textual.widgets import Footer, Input, OptionList


def prune_closed_watchers(obj: object) -> int:
    """Drop watcher entries whose owner has been removed; returns how many were dropped.

    textual 8.2.8 (upstream issue #6666): ``self.watch(other, ...)`` and ``data_bind`` store
    ``(owner, callback)`` on the *watched* object, and prune closed owners only when that attribute
    changes. If it never changes, every removed owner stays alive with its whole subtree.
    """
    watchers: dict[str, list] = getattr(obj, "__watchers", None) or {}
    dropped = 0
    for entries in watchers.values():
        keep = [(owner, callback) for owner, callback in entries if not (owner._closing or owner._closed)]
        dropped += len(entries) - len(keep)
        entries[:] = keep
    return dropped


class LeanInput(Input):
    """textual 8.2.8's Input subscribes to its screen's ``text_selection_started_signal`` on mount
    and never unsubscribes. The signal keeps subscribers in a WeakKeyDictionary whose values are
    closures over the Input itself, so the key never dies: every Input ever mounted on a long-lived
    screen stays in memory (found by scripts/soak.py: 21 parameter fields, ~0.5 MB, per pass
    through the course). Unsubscribed on unmount, as Textual's Footer does for its own signal."""

    def _on_unmount(self) -> None:
        with suppress(Exception):  # no screen left to unsubscribe from: nothing holds us
            self.screen.text_selection_started_signal.unsubscribe(self)


class LeanFooter(Footer):
    """textual 8.2.8's Footer, with two changes:

    * It rebuilds its keys on every binding change, which is every focus move, even when the
      keys shown stay the same (moving between two parameters, two quiz questions, two chapters).
      A rebuild mounts a dozen widgets and re-lays-out the screen: most of the cost of a key
      press. Here it rebuilds only when what it shows changes.
    * Each FooterKey is ``data_bind``-ed to the footer's ``compact``, which never changes: without
      pruning, every key ever shown stays in memory (found by scripts/soak.py: about 1,300 dead
      keys and ~45 MB per pass through the course). Pruned after each rebuild.
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


def _guard_option_list_page_keys() -> None:
    """textual 8.2.8: ``OptionList._move_page`` indexes ``_index_to_line``, which is filled only
    when the list has been rendered at a non-zero height. PageUp/PageDown in the command palette
    before that (no matches yet, or a terminal a few rows tall) raises ``KeyError`` and takes the
    whole app down. Found by random-key testing; see textual-notes, "a crash to design around".
    """
    original = OptionList._move_page
    if getattr(original, "_lmtui_guarded", False):
        return

    def _move_page(self: OptionList, direction: int) -> None:
        if (self.highlighted or 0) not in self._index_to_line or not self._lines:
            return
        original(self, direction)

    _move_page._lmtui_guarded = True  # type: ignore[attr-defined]
    OptionList._move_page = _move_page  # type: ignore[method-assign]


class DismissOnTop:
    """For overlay screens. Textual's dismiss resolves the screen's result and pops whatever screen
    is on top. A key already in flight when the too-small notice covered an overlay dismissed the
    overlay but popped the notice, and the next one resolved an already-resolved result future:
    InvalidStateError ended the app (found by the seeded key storm). Dismissing a screen that is
    not on top is a no-op here; once dismissed, a screen is off the stack, so it is dismissed once.

    ``CLOSE_KEYS`` and ``action_close`` let the app close the overlay the moment such a key
    arrives (see ``LmtuiApp._close_overlay_at_once``)."""

    CLOSE_KEYS: tuple[str, ...] = ("escape",)

    def dismiss(self, result=None) -> AwaitComplete:
        if not self.is_active:  # type: ignore[attr-defined]
            return AwaitComplete.nothing()
        return super().dismiss(result)  # type: ignore[misc]


class SafeCommandPalette(DismissOnTop, CommandPalette):
    """textual 8.2.8's palette queries its own children in reactive watchers; a timer or a search
    worker that fires while the palette is being dismissed (keys faster than the screen, found by
    the pty key storm) raises NoMatches and ends the app. Same palette, watchers that give up
    quietly once the children are gone."""

    def _watch__list_visible(self) -> None:
        with suppress(NoMatches):
            super()._watch__list_visible()

    async def _watch__show_busy(self) -> None:
        with suppress(NoMatches):
            await super()._watch__show_busy()

    def action_close(self) -> None:
        """What escape does: stop searching, tell the app, dismiss."""
        self._action_escape()


def lands_on_removed_widget(screen, event) -> bool:
    """textual 8.2.8 starts a text selection on mouse-down from the compositor's map; a click that
    lands, before the next refresh, on a widget just removed (a chapter switch, a figure swap) finds
    no parent and raises AttributeError in Screen._forward_event (found by the pty key storm). Such a
    click has nothing to act on: the caller drops it."""
    try:
        widget, offset = screen.get_widget_and_offset_at(event.x, event.y)
    except Exception:  # outside the map while resizing: let Textual handle (and ignore) it
        return False
    return widget is not None and offset is not None and widget is not screen and widget.parent is None


PASTE_START, PASTE_END = "\x1b[200~", "\x1b[201~"
PASTE_STALL = 2.0  # seconds without a byte inside an open paste: the paste is broken


# After a lone ESC, the characters that still continue an escape sequence (CSI, SS3, OSC, DCS,
# APC, PM, SOS, ST, and ESC itself). Anything else in a later read starts a new key.
SEQUENCE_CONTINUES = frozenset("[O]P_^X\\\x1b")


class PasteSafeParser(XTermParser):
    """textual 8.2.8: a bracketed-paste start whose end never comes (a garbled sequence over a
    flaky link, or random bytes: found by the pty key storm) switches the parser into paste mode
    for good, and every later key, q included, is swallowed as pasted text. A real paste arrives
    as one continuous stream, and terminals strip control characters from pasted text (the
    paste-injection defence), so: an open paste is closed (by feeding the end marker) when a lone
    ESC arrives by itself, which is a key press; or, as a backstop, after PASTE_STALL seconds with
    no input, checked on the parser's regular tick (every 0.1 s).

    ESC_THEN_KEY: after an ESC, Textual waits ESCDELAY (0.1 s) for the rest of a sequence, timed
    from when its input thread *reads* the ESC. When the app is busy the thread reads late, so an
    escape and the key typed after it (escape, then q to quit) arrive within that window and are
    merged into alt+q: nothing happens (found by the shared key storm's "escape, escape, escape,
    q" ending). A terminal writes alt+key as one chunk, so a read that ends in a lone ESC followed
    by a read that does not continue a sequence is two keys: the escape is flushed first.
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


def _close_stalled_pastes() -> None:
    """The terminal drivers build their parser from their module's ``XTermParser`` name: point it
    at PasteSafeParser (no upstream Textual issue found for the stalled paste)."""
    for module in (linux_driver, linux_inline_driver):
        assert hasattr(module, "XTermParser"), f"{module.__name__} no longer builds an XTermParser"
        module.XTermParser = PasteSafeParser  # type: ignore[attr-defined]


def _close_stalled_pastes_in_the_browser() -> None:
    """textual 8.2.8's web driver (what ``lmtui serve`` runs each visitor under) builds its own
    ``XTermParser`` in ``WebDriver.run_input_thread``: the stalled-paste and escape-then-key bugs
    PasteSafeParser fixes were live in the browser. Same parser there. No upstream issue found
    in Textual's tracker for the stalled paste (searched: bracketed paste never ends)."""
    from textual.drivers import web_driver

    assert hasattr(web_driver, "XTermParser"), "textual.drivers.web_driver no longer builds an XTermParser"
    web_driver.XTermParser = PasteSafeParser  # type: ignore[attr-defined]


def _exit_when_web_input_closes() -> None:
    """textual 8.2.8's web driver reads the app's input (keys and meta packets from textual-serve)
    from stdin in a thread; when that input ends (the server was killed, or its pipe closed) the
    thread returns and the app runs on, re-parented to init with its progress store open: one
    orphan per visitor. Nothing can reach it again, so input ending now ends the app, the way a
    hang-up ends a terminal app. Upstream: Textual PR #6690 fixes the Linux driver's busy loop at
    EOF and says the app is left running on every driver when its input ends; no issue for the
    web driver's orphan was found."""
    from textual import messages
    from textual.drivers.web_driver import WebDriver

    original = WebDriver.__dict__.get("run_input_thread")
    assert original is not None, "textual's WebDriver no longer has run_input_thread"
    if getattr(original, "_lmtui_exit_on_eof", False):
        return

    def run_input_thread(self: WebDriver) -> None:
        try:
            original(self)
        finally:
            if not self.exit_event.is_set():  # not stop_application_mode: the input is gone
                self.send_message(messages.ExitApp())

    run_input_thread._lmtui_exit_on_eof = True  # type: ignore[attr-defined]
    WebDriver.run_input_thread = run_input_thread  # type: ignore[method-assign]


def _focus_without_full_repaint() -> None:
    """textual 8.2.8: ``Screen.focused`` is a reactive with repaint on, so every focus move (tab,
    moving between parameters or quiz questions) repaints and re-sends the whole screen: about
    a screenful of bytes per key over SSH, and most of the key's latency while a simulation runs.
    ``Screen.set_focus`` already restyles the widgets whose look depends on focus (the focused
    and blurred widgets and their ancestors, via ``_update_focus_styles``), and those repaint
    themselves. The snapshot tests show focus highlights unchanged.
    """
    from textual.screen import Screen

    Screen.__dict__["focused"]._repaint = False


def apply() -> None:
    _focus_without_full_repaint()
    _guard_option_list_page_keys()
    _close_stalled_pastes()
    _close_stalled_pastes_in_the_browser()
    _exit_when_web_input_closes()
