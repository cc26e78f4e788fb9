"""A tiny Textual app run under textual's web driver (as `lmtui serve` runs each visitor), with only
the named lmtui.tui.textual_fixes work-arounds (FIXES names) applied: the web-driver tests reproduce
the upstream bugs with a fix off and check them gone with it on. It reports each key it gets on
stderr."""

from __future__ import annotations

import sys

from textual.app import App
from textual.screen import Screen

from lmtui.tui import textual_fixes

for fix in textual_fixes.FIXES:
    if fix.name in sys.argv[1:]:
        fix.requires()
        fix.apply()


class Keys(Screen[None]):
    def on_key(self, event) -> None:
        sys.__stderr__.write(f"key {event.key}\n")
        if event.key == "q":
            sys.__stderr__.write("quit by q\n")
            self.app.exit()
        sys.__stderr__.flush()


class Probe(App[None]):
    def get_default_screen(self) -> Screen:
        return Keys()


if __name__ == "__main__":
    Probe().run()
    sys.__stderr__.write("app ended\n")
