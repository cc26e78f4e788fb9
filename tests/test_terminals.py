"""Terminals as they are over SSH: several TERMs, NO_COLOR, LANG=C, 80x24 and 60x20, keys only."""

from __future__ import annotations

import re

import pytest

from ptysession import PtySession, lmtui_argv

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
        session.press("z", "Q1.")
        session.press("f", "f:Figure]")
        session.press("?", "Anywhere")
        assert not session.saw_traceback
        assert session.quit() == 0
    finally:
        session.close()


COLOUR_PARAMS = {*range(30, 39), *range(40, 49), *range(90, 98), *range(100, 108), 58}  # 39/49: the default


def colour_codes(raw: bytes) -> list[str]:
    """The SGR sequences in ``raw`` that set a colour (any depth: 16, 256 or truecolor)."""
    found = []
    for params in re.findall(rb"\x1b\[([0-9;:]*)m", raw):
        numbers = [int(p.split(b":")[0] or 0) for p in params.split(b";")]
        if COLOUR_PARAMS & set(numbers):
            found.append(params.decode())
    return found


def test_colour_codes_are_recognised():
    raw = b"\x1b[1;38;5;244m\x1b[0m\x1b[39;49m\x1b[7m\x1b[48;2;1;2;3m\x1b[4:3m\x1b[91m\x1b[1m"
    assert colour_codes(raw) == ["1;38;5;244", "48;2;1;2;3", "91"]


def recorded(session: PtySession) -> bytearray:
    """Every byte the app writes to ``session`` from now on."""
    raw = bytearray()
    feed = session.stream.feed
    session.stream.feed = lambda data: (raw.extend(data), feed(data))  # type: ignore[method-assign]
    return raw


def reversed_text(session: PtySession) -> str:
    """The characters on screen drawn in reverse video, row by row."""
    screen = session.screen
    return " ".join("".join(screen.buffer[y][x].data for x in range(screen.columns) if screen.buffer[y][x].reverse)
                    for y in range(screen.lines))


def underlined_rows(session: PtySession) -> list[str]:
    """The rows whose every visible character is underlined."""
    screen, rows = session.screen, []
    for y in range(screen.lines):
        cells = [screen.buffer[y][x] for x in range(screen.columns)]
        shown = [c for c in cells if c.data.strip()]
        if shown and all(c.underscore for c in shown):
            rows.append("".join(c.data for c in cells))
    return rows


@pytest.mark.parametrize("how", ["NO_COLOR", "--color none"])
def test_no_color_sends_no_colour_codes(tmp_path, how):
    """Through the text, a figure with a finished run, the quiz and the help (NO_COLOR at 80x24,
    --color none at 120x40): not one colour code, and the focus still shows (reverse video, a bar)."""
    env, args, (cols, rows) = ({"NO_COLOR": "1"}, (), (80, 24)) if how == "NO_COLOR" else ({}, ("--color", "none"), (120, 40))
    session = PtySession(lmtui_argv(*args), cols=cols, rows=rows, env={"LMTUI_HOME": str(tmp_path), **env})
    raw = recorded(session)
    try:
        assert session.wait_for("t:Text", timeout=30) is not None, session.text()
        session.send("jj")
        session.press("n", "1 Seven")
        session.press("n", "2 Solvable")
        session.press("f", "(s: run)", timeout=30)
        session.settle(0.3)
        assert "depth" in reversed_text(session), "the parameter that has the keys shows without colour:\n" + session.text()
        session.press("s", "done in", timeout=30)
        session.send("\x1b[B")  # the next parameter
        session.settle(0.3)
        assert "init" in reversed_text(session) and "depth" not in reversed_text(session), session.text()
        session.press("z", "Q1.")
        session.settle(0.3)
        assert "\u2588 Q1." in session.text(), "the question that has the keys keeps its bar:\n" + session.text()
        session.send("\x10")  # the palette: its highlighted option is underlined whole
        session.settle(0.5)
        session.press("gro", "Grokking")
        session.settle(0.3)
        assert any("Grokking" in row for row in underlined_rows(session)), session.text()
        session.send("\x1b")
        session.settle(0.5)
        session.press("?", "Anywhere")
        assert not session.saw_traceback
        assert session.quit() == 0
    finally:
        session.close()
    assert len(raw) > 10_000, "the app should have drawn several screens"
    assert colour_codes(bytes(raw)) == []


def test_colour_is_sent_without_no_color(tmp_path):
    """The other half: the same terminal with colour gets colour codes (else the test above proves nothing)."""
    session = PtySession(lmtui_argv(), env={"LMTUI_HOME": str(tmp_path)})
    raw = recorded(session)
    try:
        assert session.wait_for("t:Text", timeout=30) is not None
        assert session.quit() == 0
    finally:
        session.close()
    assert colour_codes(bytes(raw))


def raw_output(tmp_path, args: tuple[str, ...], env: dict[str, str], keys: str = "]]zf?") -> tuple[bytes, str]:
    """Everything the app writes while a learner pages, opens the quiz, the figure and the help."""
    session = PtySession(lmtui_argv(*args), env={"LMTUI_HOME": str(tmp_path), **env})
    raw = recorded(session)
    try:
        assert session.wait_for("t:Text", timeout=30) is not None, session.text()
        for key, expect in zip(keys, ("p.2/", "p.3/", "Q1.", "f:Figure]", "Anywhere")):
            session.press(key, expect, timeout=15)
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
