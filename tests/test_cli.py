"""The command line's own surface: help that tells everything, `lmtui locate`, the settings file."""

from __future__ import annotations

import pytest

from lmtui.cli import build_parser, main
from lmtui.core.config import load_config


def test_help_lists_every_command_default_and_environment_variable(capsys):
    with pytest.raises(SystemExit):
        main(["--help"])
    text = capsys.readouterr().out
    for command in ("check", "sim", "locate", "serve"):
        assert f"    {command} " in text
    for var in ("LMTUI_HOME", "LMTUI_CONFIG", "NO_COLOR", "LANG", "TEXTUAL_ANIMATIONS"):
        assert var in text
    assert "(default: auto)" in text and "default: the built-in course" in text
    sub = build_parser("serve")._subparsers._group_actions[0].choices  # every command's own help too
    serve_help = " ".join(sub["serve"].format_help().split())  # as read, whatever the wrapping
    assert "(default: 8000)" in serve_help and "(default: 127.0.0.1)" in serve_help


@pytest.mark.parametrize("argv, command", [
    ([], None), (["--ascii"], None), (["check", "--strict"], "check"), (["--content", "check", "sim"], "sim"),
    (["--cont", "serve", "report", "DIR"], "report"), (["--content=check", "serve"], "serve"),
    (["--color", "none", "sim", "run", "x"], "sim"), (["nonsense"], None), (["--", "check"], "check"),
])
def test_the_command_is_found_as_argparse_finds_it(argv, command):
    from lmtui.cli import command_in

    assert command_in(argv) == command


@pytest.mark.parametrize("argv, key, value", [
    (["check", "--strict", "/c"], "strict", True), (["--content", "check", "check", "/c"], "dir", "/c"),
    (["sim", "run", "deep_linear", "--seed", "3"], "seed", 3), (["serve", "--port", "9"], "port", 9),
    (["report", "/room", "--csv"], "csv", True), (["--ascii"], "command", None),
])
def test_each_command_gets_its_own_arguments(argv, key, value):
    """The parser fills in only the command named (so a plain start imports none of the others),
    and every command still parses its whole command line through main's path."""
    from lmtui.cli import command_in

    assert getattr(build_parser(command_in(argv)).parse_args(argv), key) == value


@pytest.mark.parametrize("argv, expect", [
    (["room", "/r", "--ascii"], (True, "auto", None)), (["--ascii", "room", "/r"], (True, "auto", None)),
    (["--color", "16", "room", "/r", "--content", "/c"], (False, "16", "/c")),
    (["room", "/r", "--color", "none"], (False, "none", None)), (["review", "--ascii"], (True, "auto", None)),
    (["review", "--due", "--json"], (False, "auto", None)),
])
def test_the_commands_with_a_screen_take_display_options_before_or_after(argv, expect):
    """``lmtui room DIR --ascii`` as well as ``lmtui --ascii room DIR``; an option left out after the
    command keeps what was said before it."""
    from lmtui.cli import command_in

    args = build_parser(command_in(argv)).parse_args(argv)
    assert (args.ascii, args.color, args.content) == expect


def test_a_plain_start_builds_its_command_line_without_the_commands_modules():
    import subprocess
    import sys

    code = ("import sys; from lmtui.cli import build_parser, command_in; build_parser(command_in([])).parse_args([]); "
            "print(' '.join(m for m in ('lmtui.serving.serve', 'lmtui.tools.report', 'lmtui.tools.sim_cli') if m in sys.modules))")
    assert subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip() == ""


def test_locate_follows_the_environment(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("LMTUI_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("LMTUI_CONFIG", str(tmp_path / "my.toml"))
    assert main(["locate"]) == 0
    out = dict(line.split(":", 1) for line in capsys.readouterr().out.splitlines())
    assert out["progress"].strip() == str(tmp_path / "home" / "progress.db")
    assert out["exports"].strip().startswith(str(tmp_path / "home" / "exports"))
    assert out["config"].strip() == f"{tmp_path / 'my.toml'} (not created yet)"
    assert out["course"].strip().endswith("content")


def test_settings_file(tmp_path):
    path = tmp_path / "config.toml"
    assert load_config(path).problems == [] and not load_config(path).exists
    path.write_text('theme = "nord"\n[keymap]\nnext-chapter = "right_curly_bracket, n"\n', encoding="utf-8")
    config = load_config(path)
    assert (config.theme, config.keymap, config.problems) == ("nord", {"next-chapter": "right_curly_bracket,n"}, [])
    path.write_text('theme = 3\ncolour = "x"\n[keymap]\nsim-run = ""\nquit = "ctrl+q"\n', encoding="utf-8")
    config = load_config(path)
    assert config.keymap == {"quit": "ctrl+q"} and config.theme is None
    assert [p.split(": ", 1)[0].rsplit(":", 1)[1] for p in config.problems] == ["2", "1", "4"]
    assert any("unknown setting 'colour'" in p for p in config.problems)
    path.write_text("[keymap\n", encoding="utf-8")
    assert "not valid TOML" in load_config(path).problems[0]


def test_the_collector_is_paused_for_the_start_and_on_again_after_the_first_frame(mini_course, monkeypatch):
    """cli.main turns the cyclic garbage collector off before Textual is imported (its scans of
    the objects a start makes would only delay the first frame); the app turns it back on once the
    first frame is drawn, and run_app does however the app ends, so no session runs without it."""
    import asyncio
    import gc

    import lmtui.tui.app
    from lmtui.tui.app import LmtuiApp, run_app

    seen = {}

    def recording_run_app(**kwargs) -> int:
        seen["enabled"] = gc.isenabled()
        return 0

    monkeypatch.setattr(lmtui.tui.app, "run_app", recording_run_app)
    try:
        main(["--content", str(mini_course)])
        assert seen == {"enabled": False}  # the app's start ran with the collector paused

        async def first_frame() -> bool:
            app = LmtuiApp(content_dir=str(mini_course))
            async with app.run_test() as pilot:
                await pilot.pause()
                return gc.isenabled()

        gc.disable()
        assert asyncio.run(first_frame())  # after_first_frame turned it on

        def broken_run(self, *args, **kwargs):
            raise RuntimeError("the app failed before its first frame")

        monkeypatch.setattr(LmtuiApp, "run", broken_run)
        gc.disable()
        with pytest.raises(RuntimeError):
            run_app(content_dir=str(mini_course))
        assert gc.isenabled()
    finally:
        gc.enable()
