"""End to end in a real browser: `lmtui serve` driven by headless Chromium (Debian's chromium,
through Playwright; never a downloaded browser). Two visitors with different names answer
different questions and neither sees the other's; a third with the first name sees the first's
answers; keys work without a click; nothing is fetched from outside; closing a tab ends its app,
and no app process is left after the test.

The screen is read from the bytes the page's terminal receives (Playwright sees the websocket
frames), fed to a pyte terminal of the size the page asked for.

Skipped when Chromium or Playwright is missing, except under .ci/run, which installs both and sets
LMTUI_REQUIRE_BROWSER=1: there a missing browser fails the test.
"""

from __future__ import annotations

import json
import os
import shutil
import time

import pytest

from serve_support import Served, TerminalScreen, alive, wait_until

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
REQUIRED = os.environ.get("LMTUI_REQUIRE_BROWSER") == "1"


def _unavailable(why: str):
    if REQUIRED:
        pytest.fail(f"LMTUI_REQUIRE_BROWSER is set and {why}", pytrace=False)
    pytest.skip(why)


@pytest.fixture
def chromium():
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _unavailable("playwright is not installed (pip install -e '.[test]')")
    if not os.path.exists(CHROMIUM):
        _unavailable(f"no browser at {CHROMIUM} (apt-get install -y chromium)")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


class Tab:
    """One browser tab on the course; ``text`` is what its terminal shows."""

    def __init__(self, browser, url: str, path: str = "/") -> None:
        self.page = browser.new_page(viewport={"width": 1000, "height": 640})
        self.term = TerminalScreen()
        self.requests: list[str] = []
        self.page.on("request", lambda request: self.requests.append(request.url))
        self.page.on("websocket", self._watch)
        self.page.goto(url + path)

    def _watch(self, websocket) -> None:
        query = dict(part.split("=", 1) for part in websocket.url.split("?", 1)[-1].split("&") if "=" in part)
        self.term.resize(int(query.get("width", 80)), int(query.get("height", 24)))
        websocket.on("framesent", self._sent)
        websocket.on("framereceived", lambda payload: isinstance(payload, bytes) and self.term.feed(payload))

    def _sent(self, payload) -> None:
        if isinstance(payload, str) and payload.startswith('["resize"'):
            size = json.loads(payload)[1]
            self.term.resize(size["width"], size["height"])

    @property
    def text(self) -> str:
        return self.term.text

    def wait_for(self, text: str, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while text not in self.text:
            if time.monotonic() > deadline:
                raise AssertionError(f"{text!r} never appeared; the screen:\n{self.text}")
            self.page.wait_for_timeout(50)

    def keys(self, *keys: str) -> None:
        """Typed at the page as a learner would, without clicking it first."""
        for key in keys:
            if len(key) == 1:
                self.page.keyboard.type(key)
            else:
                self.page.keyboard.press(key)


def open_as(browser, served: Served, name: str) -> tuple[Tab, int]:
    before = set(served.app_pids())
    tab = Tab(browser, served.url)
    tab.wait_for("who is learning?")
    new = wait_until(lambda: set(served.app_pids()) - before, 20)
    assert len(new) == 1, new
    tab.page.keyboard.type(name)
    tab.keys("Enter")
    tab.wait_for("First Steps")
    return tab, new.pop()


RIGHT_Q1 = "[right] 2 is correct"  # Ada's answer to question 1, with its explanation
EXPLAIN_Q1 = "It steps downhill"
WRONG_Q2 = "[wrong] You chose 1"  # Bob's answer to question 2


def test_two_learners_in_a_real_browser(chromium, tmp_path, mini_course):
    with Served(tmp_path, pre=("--content", str(mini_course))) as served:
        ada, ada_pid = open_as(chromium, served, "Ada")
        assert ada.page.evaluate("document.activeElement.className") == "xterm-helper-textarea"
        ada.keys("z")
        ada.wait_for("Q1.")
        ada.keys("2")
        ada.wait_for(RIGHT_Q1)

        bob, _ = open_as(chromium, served, "Bob")
        bob.keys("z")
        bob.wait_for("Q2.")
        bob.keys("Tab", "1")  # the second question
        bob.wait_for(WRONG_Q2)
        bob.wait_for("Quiz: 0/2 right, 1/2 answered")  # the score line follows the record a frame later
        assert RIGHT_Q1 not in bob.text and EXPLAIN_Q1 not in bob.text  # Ada's answer, and the key
        assert WRONG_Q2 not in ada.text

        again, _ = open_as(chromium, served, "Ada")  # Ada, on another tab
        again.keys("z")
        again.wait_for(RIGHT_Q1)
        assert WRONG_Q2 not in again.text

        ada.page.close()  # closing a tab ends its app
        assert wait_until(lambda: not alive([ada_pid]), 20), "the closed tab's app is still running"
        assert len(served.app_pids()) == 2

        for tab in (ada, bob, again):
            outside = [u for u in tab.requests if not u.startswith((served.url, served.url.replace("http", "ws")))]
            assert not outside, outside  # nothing fetched from outside (fonts, scripts, icons)
        seen = set(served.seen_apps)
        for tab in (bob, again):
            tab.page.close()
        assert wait_until(lambda: not alive(seen), 20), f"apps left after their tabs closed: {alive(seen)}"
    assert not alive(served.seen_apps)
    assert sorted(p.name for p in served.learners.iterdir()) == ["Ada", "Bob"]


def test_the_instructors_view_in_a_real_browser(chromium, tmp_path, mini_course):
    """`lmtui serve --room`: a learner answers in one tab; the instructor's address (with its
    token) opens the room's live view in another, which shows the answer and reveals by key; a
    wrong token, or none, is refused and starts nothing."""
    import re

    with Served(tmp_path, "--room", pre=("--content", str(mini_course))) as served:
        found = wait_until(lambda: re.search(r"instructor's view.*?: http://\S+(/room/\S+)", served.log.read_text()), 30)
        assert found, served.log.read_text()
        ada, _ = open_as(chromium, served, "Ada")
        ada.keys("z")
        ada.wait_for("Q1.")
        ada.keys("2")
        ada.wait_for(RIGHT_Q1)
        room = Tab(chromium, served.url, found.group(1))
        room.wait_for("Pace: 1 learner")
        room.wait_for("1 of 1 answered")
        assert "<- right" not in room.text
        room.keys("r")
        room.wait_for("<- right")
        room.keys("m")  # the questions to discuss, with the room's score
        room.wait_for("1/1 1.1 quiz")
        room.keys("l")  # who is where
        room.wait_for("right  missed")
        outside = [u for u in room.requests if not u.startswith((served.url, served.url.replace("http", "ws")))]
        assert not outside, outside
        apps = sorted(served.app_pids())
        token = found.group(1).rsplit("/", 1)[1]
        refused = chromium.new_page()
        for path, status in (("/room/not-the-token", 403), (f"/room/{token[:-1]}{'B' if token[-1] == 'A' else 'A'}", 403),
                             (f"/room/{token}x", 403), ("/room/", 404), ("/room", 404)):  # wrong, or no token
            response = refused.goto(served.url + path)
            assert response.status == status, path
            assert "Pace" not in refused.content() and "xterm" not in refused.content()  # no terminal page
        refused.close()
        assert sorted(served.app_pids()) == apps  # no room process was started for them
