"""The command line: a thin shell over the content loader, the simulation registry and the app."""

from __future__ import annotations

import argparse
import os
import sys

from lmtui import __version__


ENVIRONMENT = """\
environment:
  LMTUI_HOME     folder for progress.db (default: the user data folder, e.g. ~/.local/share/lmtui)
  LMTUI_CONFIG   the settings file (default: config.toml in the user config folder, e.g.
                 ~/.config/lmtui): theme = "NAME" and a [keymap] table of binding id = "keys"
  LMTUI_NOW      an ISO date-time (2026-12-19T09:00): the course's clock starts there and runs on, to
                 try what the review brings back days later; answers are recorded at that time
  NO_COLOR       set (to anything): no colour, as --color none
  LC_ALL, LC_CTYPE, LANG
                 a locale that is not UTF-8 (or none, as over many SSH logins) means --ascii
  TEXTUAL_ANIMATIONS, TEXTUAL_COLOR_SYSTEM, ESCDELAY
                 passed to Textual (animations are off unless TEXTUAL_ANIMATIONS says otherwise)

`lmtui locate` prints where the settings, the progress and the course are."""


class _HelpFormatter(argparse.RawDescriptionHelpFormatter):
    """Keeps the epilog's layout and shows each option's default (flags and unset options have
    none worth showing; a help text that names its default already is left alone)."""

    def _get_help_string(self, action: argparse.Action) -> str:
        text = action.help or ""
        default = action.default
        if default in (None, False, argparse.SUPPRESS) or "default" in text or action.option_strings == []:
            return text
        return f"{text} (default: {default})"


COMMANDS = {
    "check": "validate a course folder; problems as file:line: message",
    "sim": "list, describe and run the simulations without the app",
    "locate": "print where the settings, the progress store and the course are",
    "serve": "serve the app in a browser (one process and one learner per visitor)",
    "report": "for instructors: every learner's progress under DIR (read-only), as a table, CSV or JSON",
    "room": "for instructors: the room live (pace, answers, predictions; reveal runs the simulation), read-only",
    "review": "open the course on the Review view (the questions due again); --due prints them instead",
    "progress": "print where you stand: per chapter read, quiz score, predictions, cards due; what you missed",
}
_TAKES_VALUE = ("--content", "--color", "--learners")


def command_in(argv: list[str]) -> str | None:
    """The command that `argv` names, if any, found the way argparse will find it: the first
    argument that is neither an option nor an option's value."""
    value_next = False
    for arg in argv:
        if value_next:
            value_next = False
        elif arg == "--":
            continue
        elif arg.startswith("-"):
            # --content DIR, and any prefix argparse accepts for it (--cont DIR); not --content=DIR
            value_next = len(arg) > 2 and "=" not in arg and any(o.startswith(arg) for o in _TAKES_VALUE)
        else:
            return arg if arg in COMMANDS else None
    return None


def add_display_arguments(parser: argparse.ArgumentParser, after_command: bool = False) -> None:
    """The course folder, colour depth and character set: before any command, and after those that
    open a screen (``lmtui room DIR --ascii`` as well as ``lmtui --ascii room DIR``). After the
    command an option left out keeps what was given before it."""
    keep = {"default": argparse.SUPPRESS} if after_command else {}
    parser.add_argument("--content", metavar="DIR", help="run on another course folder (see content/FORMAT.md; "
                        "default: the built-in course)", **keep)
    parser.add_argument(
        "--color", choices=["auto", "truecolor", "256", "16", "none"],
        help="colour depth (NO_COLOR in the environment means none)", **(keep or {"default": "auto"}),
    )
    charset = parser.add_mutually_exclusive_group()
    charset.add_argument("--ascii", action="store_true",
                         help="ASCII only: borders, charts, and text (eta, ~=, ^2); the default when the locale is not UTF-8",
                         **keep)
    charset.add_argument("--unicode", action="store_true", help="use Unicode even if the locale does not say UTF-8", **keep)


def build_parser(command: str | None = None) -> argparse.ArgumentParser:
    """The whole command line, with the arguments of `command` only (every command is listed;
    filling in the others would import their modules: a plain `lmtui` pays for none of them)."""
    parser = argparse.ArgumentParser(
        prog="lmtui", description="A keyboard-driven terminal course on Learning Mechanics: ten chapters, live "
                                  "simulations, quizzes. With no command, opens the course where you left off.",
        epilog=ENVIRONMENT, formatter_class=_HelpFormatter)
    parser.add_argument("--version", action="version", version=f"lmtui {__version__}")
    add_display_arguments(parser)
    parser.add_argument("--learners", metavar="DIR",
                        help="ask who is learning at start; each learner's progress in DIR/<name>/ (a name is not a password)")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    commands = {name: sub.add_parser(name, help=text, formatter_class=_HelpFormatter) for name, text in COMMANDS.items()}
    if command == "check":
        commands["check"].add_argument("dir", nargs="?", metavar="DIR",
                                       help="course folder (default: --content's, else the built-in course)")
        commands["check"].add_argument(
            "--strict", action="store_true",
            help="treat the quiz review's warnings (answer positions, longest-is-right, duplicates) as errors")
        commands["check"].add_argument(
            "--fingerprints", action="store_true",
            help="also print each question's fingerprint (for `formerly` when a question is reworded)")
    elif command == "sim":
        from lmtui.tools import sim_cli  # its parser part imports nothing heavy (the hygiene test checks)

        sim_cli.add_arguments(commands["sim"])
    elif command == "serve":
        from lmtui.serving.serve import add_serve_arguments

        add_serve_arguments(commands["serve"])
    elif command == "report":
        from lmtui.tools.report import add_report_arguments

        add_report_arguments(commands["report"])
    if command in ("room", "review"):  # screens of their own: their display options also after the command
        add_display_arguments(commands[command], after_command=True)
    if command == "room":
        commands["room"].add_argument("dir", metavar="DIR", help="the learners' folder: one DIR/<name>/ per learner")
        commands["room"].add_argument("--interval", type=float, default=3.0, metavar="SECONDS",
                                      help="how often the stores are looked at")
    elif command == "review":
        from lmtui.tools.standing import add_review_arguments

        add_review_arguments(commands["review"])
    elif command == "progress":
        from lmtui.tools.standing import add_progress_arguments

        add_progress_arguments(commands["progress"])
    return parser


def configure_terminal(color: str) -> None:
    """Map --color to Textual's environment switches; must run before Textual is imported.

    Over SSH, COLORTERM is rarely forwarded, so auto-detection can guess wrong: --color fixes it.
    Animations are off unless asked for: they cost redraws (bytes) on a slow link.
    """
    if color == "none":
        os.environ["NO_COLOR"] = "1"
    elif color != "auto":
        os.environ["TEXTUAL_COLOR_SYSTEM"] = {"16": "standard", "256": "256", "truecolor": "truecolor"}[color]
    os.environ.setdefault("TEXTUAL_ANIMATIONS", "none")


_COERCED = ("C.UTF-8", "C.utf8", "UTF-8")  # what Python's PEP 538 puts in LC_CTYPE for a C locale


def locale_is_utf8(env: dict[str, str] | None = None) -> bool:
    """Whether the terminal's locale promises UTF-8, the way the C library decides: the first of
    LC_ALL, LC_CTYPE, LANG that is set. Unset means the C locale (an SSH login that forwards no
    locale gets this). Python itself "coerces" a C locale by setting LC_CTYPE=C.UTF-8 before any
    code runs; that says nothing about the terminal, so it is seen through."""
    env = os.environ if env is None else env
    lc_all, lc_ctype, lang = (env.get(k, "") for k in ("LC_ALL", "LC_CTYPE", "LANG"))
    if not lc_all and lc_ctype in _COERCED and lang in ("", "C", "POSIX"):
        lc_ctype = ""
    value = lc_all or lc_ctype or lang or "C"
    return "utf8" in value.replace("-", "").lower()


def locate_main(args: argparse.Namespace) -> int:
    """Where things live, one `name: path` per line (for scripts: `lmtui locate | grep progress`)."""
    from lmtui.core.config import config_path
    from lmtui.core.course import builtin_content_dir
    from lmtui.core.progress import DB_NAME, default_home

    config = config_path()
    course = os.path.abspath(args.content) if args.content else str(builtin_content_dir())
    rows = [
        ("config", f"{config}{'' if config.exists() else ' (not created yet)'}"),
        ("progress", str(default_home() / DB_NAME)),
        ("exports", str(default_home() / "exports") + " (what the figure view exports)"),
        ("course", course),
        ("package", os.path.dirname(os.path.abspath(__file__))),
    ]
    from lmtui.core.sanitize import clean_path

    for name, path in rows:
        print(f"{name + ':':<10}{clean_path(path)}")
    return 0


def room_main(args: argparse.Namespace) -> int:
    if not os.path.isdir(args.dir):
        from lmtui.core.sanitize import clean_path

        print(f"lmtui room: {clean_path(args.dir)} is not a folder (give the learners' folder: lmtui serve --learners DIR)",
              file=sys.stderr)
        return 2
    if not 0.2 <= args.interval <= 3600:
        print("lmtui room: --interval is in seconds, from 0.2 to 3600", file=sys.stderr)
        return 2
    configure_terminal(args.color)
    from lmtui.tui.room_app import run_room

    ascii_only = args.ascii or (not args.unicode and not locale_is_utf8())
    return run_room(args.dir, content_dir=args.content, color=args.color, ascii_only=ascii_only, interval=args.interval)


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    args = build_parser(command_in(argv)).parse_args(argv)
    from lmtui.core.clock import check_environment

    problem = check_environment()
    if problem:
        print(f"lmtui: {problem}", file=sys.stderr)
        return 2
    if args.command == "sim":
        from lmtui.tools import sim_cli

        return sim_cli.run(args)
    if args.command == "check":
        from lmtui.tools.checker import check_main

        return check_main(args.dir if args.dir is not None else args.content, strict=args.strict,
                          fingerprints=args.fingerprints)
    if args.command == "serve":
        from lmtui.serving.serve import serve_main

        return serve_main(args)
    if args.command == "report":
        from lmtui.tools.report import report_main

        return report_main(args)
    if args.command == "locate":
        return locate_main(args)
    if args.command == "room":
        return room_main(args)
    if args.command == "progress":
        from lmtui.tools.standing import progress_main

        return progress_main(args)
    if args.command == "review" and args.due:
        from lmtui.tools.standing import review_due_main

        return review_due_main(args)
    configure_terminal(args.color)
    # Importing Textual and building the first screen makes tens of thousands of objects for the
    # cyclic collector to track, nearly all of them alive for the whole session; its scans while
    # they are made (over a hundred collections, one of them full) would only delay the first
    # frame. It is off until the first frame is on screen: LmtuiApp.after_first_frame (or
    # run_app, if the app ends before that) turns it back on.
    import gc

    gc.disable()
    from lmtui.tui.app import run_app

    ascii_only = args.ascii or (not args.unicode and not locale_is_utf8())
    return run_app(content_dir=args.content, color=args.color, ascii_only=ascii_only, learners=args.learners,
                   start="review" if args.command == "review" else None)


if __name__ == "__main__":
    sys.exit(main())
