"""Terminals as they are over SSH: several TERMs, NO_COLOR, LANG=C, 80x24 and 60x20, keys only."""

from __future__ import annotations

import re

import pytest

from ptysession import PtySession, lmtui_argv

TRUECOLOR = re.compile(rb"\x1b\[[0-9;]*[34]8;2;")


@pytest.mark.parametrize(
    "env",
    [{"TERM": "xterm"}, {"TERM": "screen-256color"}, {"TERM": "linux"}, {"NO_COLOR": "1"}, {"LANG": "C", "LC_ALL": "C"}],
    ids=["xterm", "screen-256color", "linux", "NO_COLOR", "LANG=C"],
)
@pytest.mark.parametrize("size", [(80, 24), (60, 20)], ids=["80x24", "60x20"])
def test_runs_and_quits_in_a_real_terminal(tmp_path, env, size):
    cols, rows = size
    session = PtySession(lmtui_argv(), cols=cols, rows=rows, env={"LMTUI_HOME": str(tmp_path), **env})
    try:
        assert session.wait_for("t:Text", timeout=30) is not None, session.text()
        assert "The Problem" in session.text()
        session.send("z")
        assert session.wait_for("Q1.", timeout=10) is not None, session.text()
        session.send("f")
        assert session.wait_for("f:Figure]", timeout=10) is not None, session.text()
        session.send("?")
        assert session.wait_for("Anywhere", timeout=10) is not None, session.text()
        assert not session.saw_traceback
        assert session.quit() == 0
    finally:
        session.close()


GREYS = {0, 7, 8, 15, 16, 231, *range(232, 256)}  # xterm-256 indices without hue
SGR_256 = re.compile(rb"\x1b\[[0-9;]*?[34]8;5;(\d+)")


def colours_used(tmp_path, *args: str) -> set[int]:
    session = PtySession(lmtui_argv(*args), env={"LMTUI_HOME": str(tmp_path)})
    raw = bytearray()
    feed = session.stream.feed
    session.stream.feed = lambda data: (raw.extend(data), feed(data))  # type: ignore[method-assign]
    try:
        assert session.wait_for("t:Text", timeout=30) is not None
        session.send("z")
        session.wait_for("Q1.", timeout=10)
        assert session.quit() == 0
    finally:
        session.close()
    assert not TRUECOLOR.search(bytes(raw))
    return {int(n) for n in SGR_256.findall(bytes(raw))}


def test_no_color_means_greys_only(tmp_path):
    """Textual's monochrome filter: no hue anywhere, while focus and selection stay visible."""
    assert colours_used(tmp_path / "a") - GREYS, "the default run should use colour (else this test proves nothing)"
    assert colours_used(tmp_path / "b", "--color", "none") <= GREYS


def raw_output(tmp_path, args: tuple[str, ...], env: dict[str, str], keys: str = "]]zf?") -> tuple[bytes, str]:
    """Everything the app writes while a learner pages, opens the quiz, the figure and the help."""
    session = PtySession(lmtui_argv(*args), env={"LMTUI_HOME": str(tmp_path), **env})
    raw = bytearray()
    feed = session.stream.feed
    session.stream.feed = lambda data: (raw.extend(data), feed(data))  # type: ignore[method-assign]
    try:
        assert session.wait_for("t:Text", timeout=30) is not None, session.text()
        for key, expect in zip(keys, ("p.2/", "p.3/", "Q1.", "f:Figure]", "Anywhere")):
            session.send(key)
            assert session.wait_for(expect, timeout=15) is not None, session.text()
        screen = session.text()
        assert session.quit() == 0
    finally:
        session.close()
    return bytes(raw), screen


@pytest.mark.parametrize(
    "args,env",
    [(("--ascii",), {}), ((), {"LANG": "C", "LC_ALL": "C"}), ((), {"LANG": "", "LC_ALL": "", "LC_CTYPE": ""})],
    ids=["--ascii", "LANG=C", "no-locale"],
)
def test_ascii_mode_writes_only_ascii(tmp_path, args, env):
    raw, _ = raw_output(tmp_path, args, env)
    bad = sorted({ch for ch in raw.decode("utf-8", "replace") if ord(ch) > 127})
    assert not bad, f"non-ASCII characters on screen: {bad}"


def test_utf8_locale_keeps_unicode(tmp_path):
    raw, _ = raw_output(tmp_path, (), {"LANG": "C.UTF-8", "LC_ALL": ""})
    assert not raw.isascii(), "a UTF-8 terminal should get the course's own symbols"
    raw, _ = raw_output(tmp_path / "b", ("--unicode",), {"LANG": "C", "LC_ALL": "C"})
    assert not raw.isascii()
