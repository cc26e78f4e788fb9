"""The upstream workarounds for textual's web driver (lmtui/tui/textual_fixes.py), each reproduced with
its fix off and shown gone with it on, in a real process speaking textual-serve's pipe protocol."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest

PROBE = Path(__file__).parent / "webdriver_probe.py"
STILL_RUNNING = 3.0  # seconds after its input closed that an app counts as left running


def packet(kind: bytes, payload: bytes) -> bytes:
    return kind + len(payload).to_bytes(4, "big") + payload


class WebApp:
    """The probe under textual's web driver, its stdin/stdout the pipes textual-serve would hold."""

    def __init__(self, *fixes: str) -> None:
        env = dict(os.environ, TEXTUAL_DRIVER="textual.drivers.web_driver:WebDriver", COLUMNS="80", ROWS="24")
        self.proc = subprocess.Popen([sys.executable, str(PROBE), *fixes], stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
        assert self.proc.stdout.readline() == b"__GANGLION__\n"
        self._drain = threading.Thread(target=self.proc.stdout.read, daemon=True)  # frames: not read here
        self._drain.start()

    def send(self, data: str) -> None:
        self.proc.stdin.write(packet(b"D", data.encode()))
        self.proc.stdin.flush()

    def close_input(self) -> bool:
        """Close the app's input (as a dead server does); True if the app then ended by itself."""
        self.proc.stdin.close()
        try:
            self.proc.wait(STILL_RUNNING)
            return True
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(10)
            return False

    @property
    def log(self) -> str:
        return self.proc.stderr.read().decode()


@pytest.mark.parametrize("fixed", [False, True], ids=["fix off: orphan", "fix on"])
def test_app_ends_when_its_web_input_closes(fixed):
    app = WebApp(*(["web-app-outlives-its-input"] if fixed else []))
    app.send("x")
    ended = app.close_input()
    log = app.log
    assert "key x" in log  # it was running and reading input
    assert ended is fixed, log


@pytest.mark.parametrize("fixed", [False, True], ids=["fix off: q swallowed", "fix on"])
def test_a_stalled_paste_does_not_swallow_keys_in_the_browser(fixed):
    # a paste that never ends, then escape and q typed as keys (random bytes can open a paste)
    fixes = ["web-app-outlives-its-input"] + (["stalled-paste-and-late-escape"] if fixed else [])
    app = WebApp(*fixes)
    app.send("\x1b[200~junk")
    app.send("\x1b")
    app.send("q")
    app.close_input()
    log = app.log
    assert ("quit by q" in log) is fixed, log


def test_web_workarounds_are_registered_and_installed_at_start():
    """Each is in FIXES with its upstream report, checks the Textual internals it patches, is
    installed by apply_all (the app's start) and reverted by without()."""
    from textual.drivers import web_driver

    from lmtui.tui import textual_fixes

    names = {f.name: f for f in textual_fixes.FIXES}
    assert "#6690" in names["web-app-outlives-its-input"].upstream
    assert web_driver in textual_fixes.PARSER_DRIVERS
    textual_fixes.apply_all()
    assert web_driver.XTermParser is textual_fixes.PasteSafeParser
    patched = web_driver.WebDriver.run_input_thread
    assert patched is not textual_fixes._web_input_thread
    with textual_fixes.without("web-app-outlives-its-input"):
        assert web_driver.WebDriver.run_input_thread is textual_fixes._web_input_thread
    assert web_driver.WebDriver.run_input_thread is not textual_fixes._web_input_thread
