"""`lmtui serve`: the app in a browser through textual-serve, one app process per visitor.

Bound to 127.0.0.1 unless --host says otherwise; textual-serve has no authentication, so any
other address gets a warning. All visitors' processes run as this user and share one progress
store (LMTUI_HOME): for per-learner progress give each learner an SSH login instead (README).
"""

from __future__ import annotations

import ipaddress
import shlex
import sys
from argparse import Namespace

DEFAULT_HOST = "127.0.0.1"


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def app_command(content: str | None = None, ascii_only: bool = False) -> str:
    """The command each visitor's process runs (the same Python, so the same install)."""
    parts = [sys.executable, "-m", "lmtui"]
    if content:
        parts += ["--content", content]
    # a browser always shows Unicode, whatever the server's locale says
    parts.append("--ascii" if ascii_only else "--unicode")
    return " ".join(shlex.quote(p) for p in parts)


def host_warning(host: str) -> str | None:
    if is_loopback(host):
        return None
    return (
        f"WARNING: serving on {host}: textual-serve has no authentication. Anyone who can reach "
        f"this address can open the app and start simulations (one process each). Prefer "
        f"127.0.0.1 behind an authenticating proxy, or SSH logins."
    )


def serve_main(args: Namespace) -> int:
    host = args.host or DEFAULT_HOST
    warning = host_warning(host)
    if warning:
        print(warning, file=sys.stderr)
    from textual_serve.server import Server

    command = app_command(getattr(args, "content", None), getattr(args, "ascii", False))
    print(f"lmtui: serving on http://{host}:{args.port} (Ctrl+C stops)", file=sys.stderr)
    Server(command, host=host, port=args.port, title="lmtui: Learning Mechanics").serve()
    return 0
