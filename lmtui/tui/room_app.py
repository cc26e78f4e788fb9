"""The app behind `lmtui room DIR`: the course, the room's stores under DIR, and the room screen."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from textual import events
from textual.binding import Binding

from lmtui.core.course import load_course
from lmtui.core.room import Room
from lmtui.tui import textual_fixes
from lmtui.tui.services import Services

DEFAULT_INTERVAL = 3.0  # seconds between looks at the stores


def _question_commands():
    from lmtui.tui.screens.room import QuestionCommands

    return QuestionCommands


class RoomApp(textual_fixes.GuardedApp):
    TITLE = "lmtui room"
    # Without colour the question shown is underlined (an option list's style carries no reverse
    # video: Textual's get_visual_style keeps bold, dim, italic, underline and strike only)
    CSS = """
    OptionList:nocolor > .option-list--option-highlighted { text-style: bold underline; }
    Input:nocolor > .input--cursor { text-style: reverse; }
    """
    COMMANDS = textual_fixes.GuardedApp.COMMANDS | {lambda: _question_commands()}
    BINDINGS = [Binding("alt+q", "quit", "Quit", show=False, id="room-quit-alt", tooltip="quit (escape then q, typed fast)")]

    def __init__(self, root: str | Path, content_dir: str | Path | None = None, ascii_only: bool = False,
                 color: bool = True, interval: float = DEFAULT_INTERVAL,
                 clock: Callable[[], float] | None = None) -> None:
        textual_fixes.apply_all()
        super().__init__()
        course = load_course(content_dir, cache=True)
        if ascii_only:
            from lmtui.core.asciitext import fold_model

            course = fold_model(course)
        course_key = "builtin" if content_dir is None else str(Path(content_dir).resolve())
        self.room = Room(Path(root), course, course_key)  # read by the screen's thread, after its first frame
        if clock is not None:  # else the course clock
            self.room.clock = clock
        self.interval = interval
        self.ascii_only = ascii_only
        self.services = Services(self, ascii_only=ascii_only, color=color and not self.no_color)
        if self.no_color:  # no colour codes at all, not greys; focus shows in reverse video
            self._filters = textual_fixes.without_grey(self._filters)
        if ascii_only:
            from lmtui.tui.app import AsciiFilter

            self.set_class(True, "-ascii")
            self._filters.append(AsciiFilter())

    def get_default_screen(self):
        from lmtui.tui.screens.room import RoomScreen

        return RoomScreen(self.room, self.interval)

    def get_key_display(self, binding: Binding) -> str:
        return self.services.plain(super().get_key_display(binding))

    def on_unmount(self) -> None:
        self.services.close()

    async def on_event(self, event: events.Event) -> None:
        if isinstance(event, events.Key) and not event.is_forwarded and self._search_at_once(event.key):
            return
        await super().on_event(event)

    def _search_at_once(self, key: str) -> bool:
        """The search key opens the search, and escape in it closes it, here, in arrival order:
        Textual queues each key at the widget focused when it arrives, so the keys typed right
        after in one burst (over SSH, or a fast typist) would go to the list (where r reveals)
        instead of the search, or to the search just closed instead of the list."""
        from textual.widgets import Input

        from lmtui.tui.screens.room import RoomScreen

        screen = self.screen
        if not isinstance(screen, RoomScreen):
            return False
        in_search = isinstance(screen.focused, Input)
        if not in_search and key == screen.search_key():
            screen.action_search()
            return True
        if in_search and key == screen.close_key():
            screen.action_close_search()
            return True
        return False


def run_room(root: str, content_dir: str | None = None, color: str = "auto", ascii_only: bool = False,
             interval: float = DEFAULT_INTERVAL) -> int:
    app = RoomApp(root, content_dir=content_dir, ascii_only=ascii_only, color=color != "none", interval=interval)
    app.run()
    return app.return_code or 0
