"""The command line: a thin shell over the content loader, the simulation registry and the app."""

from __future__ import annotations

import argparse
import os
import sys

from . import __version__


def build_parser() -> argparse.ArgumentParser:
    from . import sim_cli

    parser = argparse.ArgumentParser(prog="lmtui", description="A terminal course on Learning Mechanics.")
    parser.add_argument("--version", action="version", version=f"lmtui {__version__}")
    parser.add_argument("--content", metavar="DIR", help="run on another course folder (see content/FORMAT.md)")
    parser.add_argument(
        "--color", choices=["auto", "truecolor", "256", "16", "none"], default="auto",
        help="colour depth (default: auto; NO_COLOR in the environment means none)",
    )
    charset = parser.add_mutually_exclusive_group()
    charset.add_argument("--ascii", action="store_true",
                         help="ASCII only: borders, charts, and text (eta, ~=, ^2); the default when the locale is not UTF-8")
    charset.add_argument("--unicode", action="store_true", help="use Unicode even if the locale does not say UTF-8")
    parser.add_argument("--learners", metavar="DIR",
                        help="ask who is learning at start; each learner's progress in DIR/<name>/ (a name is not a password)")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    check = sub.add_parser("check", help="validate a content folder; problems as file:line: message")
    check.add_argument("dir", nargs="?", metavar="DIR", help="course folder (default: the built-in course)")
    check.add_argument("--strict", action="store_true",
                       help="treat the quiz review's warnings (answer positions, longest-is-right, duplicates) as errors")
    sim_cli.add_parser(sub)
    serve = sub.add_parser("serve", help="serve the app in a browser (one process and one learner per visitor)")
    from .serve import add_serve_arguments

    add_serve_arguments(serve)
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


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command == "sim":
        from . import sim_cli

        return sim_cli.run(args)
    if args.command == "check":
        from .checker import check_main

        return check_main(args.dir, strict=args.strict)
    if args.command == "serve":
        from .serve import serve_main

        return serve_main(args)
    configure_terminal(args.color)
    from .app import run_app

    ascii_only = args.ascii or (not args.unicode and not locale_is_utf8())
    return run_app(content_dir=args.content, color=args.color, ascii_only=ascii_only, learners=args.learners)


if __name__ == "__main__":
    sys.exit(main())
