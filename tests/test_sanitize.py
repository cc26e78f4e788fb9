"""Text from outside reaches no terminal raw: the sanitiser, the course loader, `lmtui check`, and
the app in a real terminal on a hostile course."""

from __future__ import annotations

import dataclasses
import re

import pytest

from lmtui.core.course import load_course
from lmtui.core.sanitize import clean, clean_block, clean_path, controls_in
from lmtui.tools.checker import check_main
from tests.hostile_course import FILE_NAME, PLACES, write_hostile_course

CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


@pytest.mark.parametrize("raw, shown", [
    ("\x1b]52;c;aGk=\x1b\\", "^[]52;c;aGk=^[\\"),
    ("bell\x07", "bell^G"),
    ("del\x7f", "del^?"),
    ("c1 \x9b31m", "c1 M-^[31m"),
    ("rtl \u202eevil", "rtl <U+202E>evil"),
    ("tab\there\nline\r\nx", "tab here line x"),
    ("plain é ∇ θ", "plain é ∇ θ"),
])
def test_clean_shows_every_control_character(raw, shown):
    assert clean(raw) == shown
    assert clean(clean(raw)) == clean(raw)
    assert not CONTROL.search(clean(raw))


def test_clean_block_keeps_lines_and_tabs():
    assert clean_block("a\tb\r\nc\x1b[2Jd\n") == "a\tb\nc^[[2Jd\n"
    assert clean_block("lone\rcr") == "lone^Mcr"


def test_clean_path_shows_undecodable_bytes_and_escapes():
    assert clean_path("/tmp/a\x1b]0;x\x07.md") == "/tmp/a^[]0;x^G.md"
    assert clean_path("/tmp/\udcff.md") == "/tmp/\\xff.md"


def test_controls_in_a_line():
    assert controls_in("ab\x1bc\x07\t\r") == [(2, "\x1b"), (4, "\x07")]


def _strings(value, seen=None):
    """Every string a loaded course holds, through dataclasses, dicts, lists and tuples."""
    if isinstance(value, str):
        yield value
    elif dataclasses.is_dataclass(value):
        for f in dataclasses.fields(value):
            yield from _strings(getattr(value, f.name))
    elif isinstance(value, dict):
        for k, v in value.items():
            yield from _strings(k)
            yield from _strings(v)
    elif isinstance(value, (list, tuple)):
        for v in value:
            yield from _strings(v)


def test_the_loaded_model_holds_no_control_character(tmp_path):
    course = load_course(write_hostile_course(tmp_path / "course"))
    assert [c.id for c in course.chapters] == ["first", "second"]
    texts = [s for c in course.chapters for s in _strings(dataclasses.replace(c, path=None))]
    texts += list(_strings(course.explorers))
    assert texts and not [t for t in texts if CONTROL.search(t)]
    first = course.by_id("first")
    assert "^[]52;c;aGFja2Vk^[\\" in first.title  # shown, not dropped: the reader sees what was there
    assert "^[]0;pwned^G" in first.quiz[0].choices[0]
    assert first.quiz[1].predict.unit == "units M-^[31m"
    assert all(not CONTROL.search(str(p)) for p in course.problems)


def test_check_refuses_the_hostile_course_with_one_error_per_place(tmp_path, capsys, monkeypatch):
    root = write_hostile_course(tmp_path / "course")
    monkeypatch.chdir(tmp_path)
    assert check_main(str(root)) == 1
    out, err = capsys.readouterr()
    assert not CONTROL.search(out + err)
    lines = [ln for ln in out.splitlines() if "control character" in ln]
    assert len(lines) == PLACES, out
    assert all(re.match(r"^course/[^:]+:\d+: ", ln) for ln in lines), lines
    where = {ln.split(": ")[0] for ln in lines}
    assert len(where) == PLACES  # one error per place, each at its own file:line
    assert f"course/{clean_path(FILE_NAME)}.md:1" in where
    assert "course/01-first.quiz.toml:4" in where and "course/figures/eras.toml:5" in where


def test_check_passes_the_builtin_course_without_control_errors(capsys):
    check_main(None)
    assert "control character" not in capsys.readouterr().out


# The escape sequences Textual itself writes: SGR (m), cursor position (H), private modes (?h, ?l),
# the mode queries (?$p) and the keyboard protocol (u); one OSC, 22 (the pointer shape).
APP_CSI = re.compile(rb"\x1b\[[<>?]?[0-9;]*\$?[mHhlpu]")
APP_OSC = re.compile(rb"\x1b\]22;[a-z-]*\x07")


def test_the_app_writes_no_escape_from_a_hostile_course(tmp_path):
    from tests.ptysession import PtySession, lmtui_argv

    root = write_hostile_course(tmp_path / "course")
    session = PtySession(lmtui_argv("--content", str(root)), cols=100, rows=30,
                         env={"LMTUI_HOME": str(tmp_path / "home"), "LMTUI_CACHE": "off"})
    raw = bytearray()
    feed = session.stream.feed
    session.stream.feed = lambda data: (raw.extend(data), feed(data))
    try:
        assert session.wait_for("pwned", timeout=30) is not None, session.text()
        seen = session.text()
        for keys, shows in (("]", "Heading"), ("z", "Prompt"), ("1", "Explanation"), ("j", "Predict"),
                            ("f", "Figure"), ("n", "Second")):
            session.send(keys)
            session.wait_for(shows, timeout=10)
            session.settle(0.3)
            seen += session.text()
        for text in ("Heading", "Prompt", "Choice", "Explanation", "Figure", "Label", "Second"):
            assert text in seen, text
        assert session.quit(timeout=20) == 0
    finally:
        session.close()
    assert not session.saw_traceback
    data = bytes(raw)
    # the payloads were drawn, visibly (an escape the scan below allows, such as a CSI that moves
    # the cursor, would be missing here had it passed through raw)
    for shown in (b"^[]52;c;aGFja2Vk", b"^[]0;pwned^G", b"^[[2J^[[H", b"^[P1$qm^[\\", b"M-^[31m"):
        assert shown in data, shown
    rest = APP_OSC.sub(b"", APP_CSI.sub(b"", data))
    assert b"\x1b" not in rest, rest[rest.index(b"\x1b") - 40: rest.index(b"\x1b") + 40]
    text = rest.decode("utf-8", "replace")
    assert not re.search("[\x80-\x9f]", text)  # no C1 control (a UTF-8 character is not one)
    assert not re.search("[\x00-\x07\x0e-\x1f]", text)  # nor BEL, SO/SI, ...


@pytest.mark.parametrize("argv", [
    ["room", "{dir}"],
    ["--content", "{dir}", "progress"],
    ["--content", "{dir}", "check"],
    ["--content", "{dir}", "locate"],
    ["serve", "--learners", "{file}/learners", "--port", "1"],
])
def test_command_line_messages_show_a_hostile_folder_name_escaped(tmp_path, argv):
    """A folder name is anyone's to choose (a course unpacked from an archive, a learners folder):
    the commands that quote one in a message or a listing show its escapes."""
    import subprocess
    import sys

    hostile = tmp_path / "course\x1b]52;c;aGk=\x07\x1b[2J"
    blocker = tmp_path / "file\x1b]0;t\x07"
    blocker.write_text("a file where a folder is expected")
    args = [a.format(dir=hostile, file=blocker) for a in argv]
    out = subprocess.run([sys.executable, "-m", "lmtui", *args], capture_output=True, text=True, timeout=60,
                         stdin=subprocess.DEVNULL)
    said = out.stdout + out.stderr
    assert "Traceback" not in said
    assert "course^[]52;c;aGk=^G^[[2J" in said or "file^[]0;t^G" in said, said
    assert not CONTROL.search(said.replace("\n", "")), said


async def test_a_notice_quoting_brackets_shows_them_as_text(_isolated_home):
    """Notices quote what comes from outside (a stored value, a folder name, a course's link): a
    bracket there is text, never markup. Read as markup, '[/]' made the toast fail to draw and the
    app end; '[@click=...]' would make it an action."""
    import sqlite3

    from textual.widgets._toast import Toast

    from lmtui.core.progress import DB_NAME, ProgressStore
    from lmtui.tui.app import LmtuiApp

    store = ProgressStore(_isolated_home, course="builtin")
    store.record_answer("the-problem", "five-kinds", "x", False, "fp")
    store.close()
    conn = sqlite3.connect(_isolated_home / DB_NAME)
    conn.execute("UPDATE answer SET answered_at = '[/]'")
    conn.commit()
    conn.close()
    app = LmtuiApp()
    async with app.run_test(size=(120, 40), notifications=True) as pilot:
        app.notify("a folder /tmp/[red]x[/red] and [@click=app.quit]here[/]", severity="warning")
        for _ in range(5):
            await pilot.pause(0.05)
        shown = " ".join(toast.render().plain for toast in app.screen.query(Toast))
        assert "answer.answered_at is '[/]'" in shown and "[@click=app.quit]here[/]" in shown, shown
        assert "/tmp/[red]x[/red]" in shown
        assert app.is_running and app._exception is None


async def test_the_palette_shows_brackets_in_course_titles_as_text(mini_course):
    """The palette reads its entries as markup: a chapter title and summary from the course holding
    '[/]' or an action tag are shown as written, when listed and when searched."""
    from textual.command import CommandPalette

    from conftest import screen_text
    from lmtui.tui.app import LmtuiApp

    chapter = mini_course / "01-first.md"
    text = chapter.read_text(encoding="utf-8")
    chapter.write_text(text.replace('title = "First Steps"', 'title = "First [/] Steps [@click=app.quit]x[/]"')
                       .replace('summary = "A tiny chapter for tests."', 'summary = "Sum [b]mary[/b] [/]"'), encoding="utf-8")
    app = LmtuiApp(content_dir=mini_course)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        await pilot.press("ctrl+p")
        await pilot.pause(0.3)
        assert isinstance(app.screen, CommandPalette)
        listed = screen_text(app)
        assert "First [/] Steps [@click=app.quit]x[/]" in listed and "Sum [b]mary[/b] [/]" in listed, listed
        await pilot.press(*"Steps")
        await pilot.pause(0.3)
        assert "First [/] Steps [@click=app.quit]x[/]" in screen_text(app)
        await pilot.press("enter")
        await pilot.pause()
        assert app.current == "first" and app.is_running and app._exception is None
