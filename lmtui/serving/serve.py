"""`lmtui serve`: the app in a browser through textual-serve, one app process and one learner per
visitor.

- Each visitor's process asks for a learner name and keeps that learner's progress in
  ``LEARNERS/<name>/`` (``--learners``, default ``learners/`` under the data folder). A name is
  not a password: there is no authentication here (put a proxy that authenticates in front, or
  use JupyterHub, see the README).
- The page is lmtui's own (``lmtui/serving/web/``): its addresses come from ``--public-url`` or, without
  it, from the address the browser used (its Host header), so binding to 0.0.0.0 works from other
  machines and nothing points at 127.0.0.1 or 0.0.0.0; the terminal has the keyboard on load;
  nothing is fetched from outside (the font is textual-serve's own copy of Roboto Mono); a favicon.
- ``--max-visitors N``: past N live visitors, a "the room is full" page instead of a process.
- Each visitor is capped, so no visitor can take the room down: the terminal size, on connect and
  on every resize, is clamped to ``MAX_COLS`` x ``MAX_ROWS``; the visitor's process (and every
  process it starts) has a data-memory limit (``--visitor-memory``, MB) and a CPU-time limit
  (``--visitor-cpu``, seconds), set by the shell before Python starts. A visitor over a limit is
  ended with a message on their page; the server and the other visitors carry on. A simulation
  run estimated over ``SERVE_LIMIT_S`` is refused in a visitor's app (``LMTUI_RUN_LIMIT``, see
  lmtui.core.runcost).
- ``--room``: the instructor's view (``lmtui room`` over these learners) at ``/room/<token>``, a
  random secret made at each start and printed; any other token is refused (403).
- App starts are let through a few at a time (one per core), so an opening rush gives the first
  visitors their course at once instead of everyone waiting for everyone; the others see their
  place in the queue.
- No orphans: a visitor's process exits when its connection closes (quit, then terminate, then
  kill), when the server dies (its input closes: ``textual_fixes._exit_when_web_input_closes``),
  and every process is stopped together when the server is stopped by one signal.
- Visitors run ``python -P -m lmtui``: -P keeps the working folder off ``sys.path``, so serving
  from the project's own folder still runs the installed lmtui (whose ``lmtui.sims`` is mapped from
  ``sims/`` only at install), not the source tree.
"""

from __future__ import annotations

import asyncio
import ipaddress
import logging
import os
import re
import secrets
import shlex
import socket
import sys
from contextlib import suppress
from argparse import ArgumentParser, Namespace
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8000
WEB = Path(__file__).parent / "web"
TITLE = "lmtui: Learning Mechanics"
STOP_GRACE = 3.0  # seconds a visitor's app has to quit by itself before it is terminated
START_TIMEOUT = 60.0  # seconds an app start may hold its place in the start queue
HEARTBEAT = 60.0  # seconds between websocket pings (an answer is awaited for half that)
MIN_COLS, MIN_ROWS = 10, 5
MAX_COLS, MAX_ROWS = 400, 200  # a 4K screen at the smallest font the page allows is less
VISITOR_MEMORY_MB = 500  # data memory per visitor process: the app with the largest simulation run, and headroom
VISITOR_CPU_S = 3600  # CPU seconds per visitor process (an hour of computing in one session)

log = logging.getLogger("lmtui.serving.serve")


def add_serve_arguments(parser: ArgumentParser) -> None:
    parser.add_argument("--host", default=DEFAULT_HOST,
                        help="address to bind; 0.0.0.0 for a room (no authentication: a name is not a password)")
    parser.add_argument("--port", type=int, default=DEFAULT_PORT, help="port to listen on")
    parser.add_argument("--public-url", metavar="URL", default=None,
                        help="the address learners open, when it is not the one their browser used: behind a "
                             "proxy, or under a path (https://example.org/lmtui/)")
    parser.add_argument("--learners", metavar="DIR", default=None, dest="learners_dir",
                        help="one progress folder per learner name, DIR/<name>/ (default: learners/ in the data "
                             "folder; `lmtui report DIR` reads them)")
    parser.add_argument("--max-visitors", metavar="N", type=int, default=None,
                        help="at most N visitors at once; the next one is told the room is full (default: no limit)")
    parser.add_argument("--visitor-memory", metavar="MB", type=int, default=VISITOR_MEMORY_MB,
                        help="data memory each visitor's process may use; a visitor over it is ended with a message")
    parser.add_argument("--visitor-cpu", metavar="SECONDS", type=int, default=VISITOR_CPU_S,
                        help="CPU time each visitor's process may use; a visitor over it is ended with a message")
    parser.add_argument("--one-learner", action="store_true",
                        help="one learner (this user's own server, as on JupyterHub): no name is asked, progress "
                             "goes where the terminal app keeps it (LMTUI_HOME or the data folder)")
    parser.add_argument("--room", action="store_true",
                        help="also serve the instructor's live view (lmtui room) of these learners, at an address "
                             "holding a random secret token, printed at start")


def clamp_size(width: object, height: object) -> tuple[int, int] | None:
    """A terminal size a visitor asked for, within MIN..MAX; None if it is not two numbers."""
    try:
        w, h = int(width), int(height)  # type: ignore[call-overload]
    except (TypeError, ValueError, OverflowError):
        return None
    return max(MIN_COLS, min(MAX_COLS, w)), max(MIN_ROWS, min(MAX_ROWS, h))


def limits_prefix(memory_mb: int | None, cpu_s: int | None) -> str:
    """Shell commands that set the visitor's limits before its Python starts (inherited by every
    process it starts); each is lowered to the server's own hard limit if that is lower."""
    import resource

    parts = []
    # ulimit -d counts KB (RLIMIT_DATA bytes), ulimit -t seconds
    for flag, kind, value, per_unit in (("-d", resource.RLIMIT_DATA, memory_mb and memory_mb * 1024, 1024),
                                        ("-t", resource.RLIMIT_CPU, cpu_s, 1)):
        if value is None:
            continue
        hard = resource.getrlimit(kind)[1]
        if hard != resource.RLIM_INFINITY:
            value = min(value, hard // per_unit)
        parts.append(f"ulimit {flag} {value} && ")
    return "".join(parts)


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def is_wildcard(host: str) -> bool:
    try:
        return ipaddress.ip_address(host).is_unspecified
    except ValueError:
        return host in ("", "*")


def app_command(content: str | None = None, ascii_only: bool = False, learners: str | Path | None = None,
                memory_mb: int | None = None, cpu_s: int | None = None) -> str:
    """The command each visitor's process runs: the same Python (so the same install), with -P so
    the working folder is not on sys.path, exec'd so the visitor's process is the shell's pid,
    under the visitor's limits (:func:`limits_prefix`)."""
    parts = [sys.executable, "-P", "-m", "lmtui"]
    if content:
        parts += ["--content", str(Path(content).resolve())]
    if learners is not None:
        parts += ["--learners", str(Path(learners).resolve())]
    # a browser always shows Unicode, whatever the server's locale says
    parts.append("--ascii" if ascii_only else "--unicode")
    return limits_prefix(memory_mb, cpu_s) + "exec " + " ".join(shlex.quote(p) for p in parts)


def room_command(content: str | None, ascii_only: bool, learners: str | Path, memory_mb: int | None = None) -> str:
    """The command behind the instructor's address: ``lmtui room`` over this server's learners,
    under the visitors' memory limit (not their CPU-time limit: the view follows a whole session)."""
    parts = [sys.executable, "-P", "-m", "lmtui"]
    if content:
        parts += ["--content", str(Path(content).resolve())]
    parts += ["--ascii" if ascii_only else "--unicode", "room", str(Path(learners).resolve())]
    return limits_prefix(memory_mb, None) + "exec " + " ".join(shlex.quote(p) for p in parts)


def host_warning(host: str) -> str | None:
    if is_loopback(host):
        return None
    return (
        f"WARNING: serving on {host}: textual-serve has no authentication, and a learner name is "
        f"not a password. Anyone who can reach this address can open the app, type any name and "
        f"start simulations (one process each). For a room, prefer JupyterHub (README), or "
        f"127.0.0.1 behind an authenticating proxy with --public-url."
    )


_PATH = re.compile(r"^(/[A-Za-z0-9._~!$&'()*+,;=:@%-]+)+/?$")


def check_public_url(url: str) -> str:
    """``url`` normalized to end without a slash; ValueError with the reason if it is unusable.
    A path alone (``/user/ada/lmtui/``: a proxy's prefix, as jupyter-server-proxy gives it) keeps
    the browser's own scheme and host and puts the pages under that path."""
    if url.startswith("/") and not url.startswith("//"):
        if not _PATH.match(url):
            raise ValueError(f"--public-url as a path must be like /some/prefix/, not {url!r}")
        return url.rstrip("/")
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ValueError(f"--public-url must be an http:// or https:// address with a host, not {url!r}")
    if parts.query or parts.fragment:
        raise ValueError(f"--public-url cannot have a query or fragment: {url!r}")
    host = parts.hostname or ""
    if is_wildcard(host):
        raise ValueError(f"--public-url {url!r} names no machine: give the address learners type")
    return url.rstrip("/")


_HOST_HEADER = re.compile(r"^[A-Za-z0-9.\-]+(:\d{1,5})?$|^\[[0-9A-Fa-f:.]+\](:\d{1,5})?$")


def base_url_for(request_scheme: str, request_host: str | None, headers: Any, public_url: str | None, fallback: str) -> str:
    """The address the page's static files and websocket hang off. --public-url if given; else the
    address the browser used (X-Forwarded-Host/-Proto from a proxy, or the Host header), which
    reaches this server by definition; else the bind address (never a wildcard). A --public-url
    that is a path is put after the browser's scheme and host."""
    if public_url and not public_url.startswith("/"):
        return public_url
    path = public_url or ""
    scheme = (headers.get("X-Forwarded-Proto") or request_scheme or "http").split(",")[0].strip().lower()
    if scheme not in ("http", "https"):
        scheme = "http"
    host = (headers.get("X-Forwarded-Host") or request_host or "").split(",")[0].strip()
    if not host or not _HOST_HEADER.match(host):
        return fallback + path
    return f"{scheme}://{host}{path}"


def reachable_addresses(port: int) -> list[str]:
    """Addresses of this machine that others in the room could type (no packet is sent)."""
    names: list[str] = []
    try:
        hostname = socket.gethostname()
        names.append(f"http://{hostname}:{port}/")
        for family, _, _, _, sockaddr in socket.getaddrinfo(hostname, None):
            address = sockaddr[0]
            if family == socket.AF_INET and not ipaddress.ip_address(address).is_loopback:
                url = f"http://{address}:{port}/"
                if url not in names:
                    names.append(url)
    except OSError:
        pass
    return names


def _serve_static_path() -> Path:
    import textual_serve

    return Path(textual_serve.__file__).parent / "static"


def make_server(command: str, host: str, port: int, public_url: str | None = None, max_visitors: int | None = None,
                starts_at_once: int | None = None, room: tuple[str, str] | None = None):
    """The aiohttp server (a textual-serve Server) for ``command``; ``serve()`` runs it. ``room``:
    (secret token, command) of the instructor's view, served at ``/room/<token>`` only."""
    import aiohttp_jinja2
    import jinja2
    from aiohttp import web
    from textual_serve.app_service import AppService
    from textual_serve.server import Server

    class VisitorService(AppService):
        """One visitor's app process: knows when its first frame arrived, and stops for sure."""

        def __init__(self, *args, **kwargs) -> None:
            super().__init__(*args, **kwargs)
            self.first_output = asyncio.Event()
            self.stopping = False

        def _build_environment(self, width: int = 80, height: int = 24) -> dict[str, str]:
            """The app's environment, with the room's limit on a simulation run's estimate."""
            from lmtui.core.runcost import LIMIT_ENV, SERVE_LIMIT_S

            environment = super()._build_environment(width, height)
            environment.setdefault(LIMIT_ENV, f"{SERVE_LIMIT_S:g}")
            return environment

        async def set_terminal_size(self, width: int, height: int) -> None:
            """A resize from the page, clamped like the size given on connect (a page may ask for
            anything: 100000 x 100000 would make the app draw a screen of 10^10 cells)."""
            size = clamp_size(width, height)
            if size is not None:
                await super().set_terminal_size(*size)

        async def on_data(self, payload: bytes) -> None:
            self.first_output.set()
            await super().on_data(payload)

        async def run(self) -> None:
            try:
                await super().run()
            finally:
                drew = self.first_output.is_set()
                self.first_output.set()  # ended before drawing: do not hold the start queue
            # the app is gone (quit, or it could not start): end the page's session too, instead
            # of leaving the visitor in front of a splash box
            code = None
            if self._process is not None:  # its output has ended; its exit status comes a moment later
                with suppress(Exception):
                    code = await asyncio.wait_for(self._process.wait(), STOP_GRACE)
            if not drew:
                log.error("a visitor's app exited before drawing anything (its error is above)")
                with suppress(Exception):
                    await self.remote_write_bytes(START_FAILED.encode())
            elif code and not self.stopping:  # it crashed, or went over its memory or CPU limit
                log.error("a visitor's app ended on its own (exit status %s)", code)
                with suppress(Exception):
                    await self.remote_write_bytes(ENDED.encode())
            with suppress(Exception):
                await self.remote_close()

        @property
        def pid(self) -> int | None:
            return self._process.pid if self._process is not None else None

        async def stop(self) -> None:
            """Ask the app to quit; terminate it if it has not within STOP_GRACE; then kill."""
            if self._task is None:
                return
            self.stopping = True
            process = self._process
            await self._download_manager.cancel_app_downloads(app_service_id=self.app_service_id)
            await self.send_meta({"type": "quit"})
            if process is not None:
                for action in (None, process.terminate, process.kill):
                    if action is not None and process.returncode is None:
                        try:
                            action()
                        except ProcessLookupError:
                            break
                    try:
                        await asyncio.wait_for(process.wait(), STOP_GRACE)
                        break
                    except asyncio.TimeoutError:
                        continue
            task, self._task = self._task, None
            if task is not None:
                try:
                    await asyncio.wait_for(task, STOP_GRACE)
                except (asyncio.TimeoutError, asyncio.CancelledError):
                    task.cancel()

    class LmtuiServer(Server):
        def __init__(self) -> None:
            super().__init__(command, host=host, port=port, title=TITLE, public_url=public_url,
                             statics_path=_serve_static_path(), templates_path=WEB / "templates")
            self.fixed_public_url = public_url
            self.fallback_url = f"http://{'127.0.0.1' if is_wildcard(host) else host}:{port}"
            self.max_visitors = max_visitors
            self.visitors: set[VisitorService] = set()
            self._starts = asyncio.Semaphore(starts_at_once or max(1, os.cpu_count() or 1))
            self._waiting = 0
            self.room = room

        async def _make_app(self) -> web.Application:
            app = web.Application()
            aiohttp_jinja2.setup(app, loader=jinja2.FileSystemLoader(str(self.templates_path)))
            app.add_routes([
                web.get("/", self.handle_index, name="index"),
                web.get("/ws", self.handle_websocket, name="websocket"),
                web.get("/download/{key}", self.handle_download, name="download"),
                web.get("/favicon.ico", self.handle_favicon, name="favicon"),
                web.static("/static", self.statics_path, show_index=False, name="static"),
                web.get("/room/{token}", self.handle_index, name="room"),
                web.get("/room/{token}/ws", self.handle_websocket, name="room-websocket"),
            ])
            app.on_startup.append(self.on_startup)
            app.on_shutdown.append(self.on_shutdown)
            return app

        def base_url(self, request: web.Request) -> str:
            return base_url_for(request.scheme, request.host, request.headers, self.fixed_public_url, self.fallback_url)

        def room_is_full(self) -> bool:
            return self.max_visitors is not None and len(self.visitors) >= self.max_visitors

        def instructor(self, request: web.Request) -> bool:
            """Whether ``request`` is for the instructor's view; refused (403) without its token."""
            if "token" not in request.match_info:
                return False
            if self.room is None or not secrets.compare_digest(request.match_info["token"].encode(), self.room[0].encode()):
                raise web.HTTPForbidden(text="lmtui: this address needs the instructor's token.\n")
            return True

        async def handle_favicon(self, request: web.Request) -> web.StreamResponse:
            return web.FileResponse(WEB / "favicon.ico", headers={"Cache-Control": "max-age=86400"})

        async def handle_index(self, request: web.Request) -> web.StreamResponse:
            instructor = self.instructor(request)
            base = self.base_url(request)
            context: dict[str, Any] = {"application": {"name": self.title}, "base_url": base + "/",
                                       "config": {"static": {"url": base + "/static/"}}}
            if not instructor and self.room_is_full():
                context["max_visitors"] = self.max_visitors
                response = aiohttp_jinja2.render_template("room_full.html", request, context)
                response.set_status(503)
                response.headers["Retry-After"] = "60"
                return response
            try:
                font_size = max(8, min(40, int(request.query.get("fontsize", "16"))))
            except ValueError:
                font_size = 16
            ws_base = ("wss:" if base.startswith("https:") else "ws:") + base.split(":", 1)[1]
            ws_path = f"/room/{request.match_info['token']}/ws" if instructor else "/ws"
            context.update(font_size=font_size, app_websocket_url=ws_base + ws_path)
            return aiohttp_jinja2.render_template("app_index.html", request, context)

        async def on_startup(self, app: web.Application) -> None:
            pass  # textual-serve prints its logo and a wildcard URL here; serve_main says where to go

        async def on_shutdown(self, app: web.Application) -> None:
            """One signal stops the server: every visitor's app is stopped at the same time."""
            visitors = list(self.visitors)
            if visitors:
                await asyncio.gather(*(v.stop() for v in visitors), return_exceptions=True)

        async def handle_websocket(self, request: web.Request) -> web.WebSocketResponse:
            # a ping a minute, and half a minute for the answer: a room whose machine is busy
            # (everyone opening a simulation at once) keeps its learners, where textual-serve's
            # 15 s heartbeat drops a visitor whose ping is answered late; a closed tab is seen at
            # once anyway
            instructor = self.instructor(request)
            websocket = web.WebSocketResponse(heartbeat=HEARTBEAT)
            await websocket.prepare(request)

            width, height = clamp_size(request.query.get("width", 80), request.query.get("height", 24)) or (80, 24)
            if not instructor and self.room_is_full():
                await websocket.send_bytes(room_full_text(self.max_visitors or 0).encode())
                await websocket.close()
                return websocket
            service = VisitorService(
                self.room[1] if instructor and self.room else self.command, write_bytes=websocket.send_bytes, write_str=websocket.send_str,
                close=websocket.close, download_manager=self.download_manager, debug=self.debug,
            )
            self.visitors.add(service)
            try:
                await self._start(service, websocket, width, height)
                await self._process_messages(websocket, service)
            except asyncio.CancelledError:
                pass
            except Exception as error:  # a visitor's connection going wrong must not stop the room
                log.exception(error)
            finally:
                self.visitors.discard(service)
                await asyncio.shield(service.stop())
                if not websocket.closed:
                    await websocket.close()
            return websocket

        async def _start(self, service: VisitorService, websocket: web.WebSocketResponse, width: int, height: int) -> None:
            """Start the app when a start place is free; meanwhile the visitor sees the queue."""
            if self._starts.locked():
                self._waiting += 1
                try:
                    await websocket.send_bytes(
                        f"\r\n  lmtui is starting for the learners before you "
                        f"({self._waiting} waiting); yours comes next...\r\n".encode())
                    await self._starts.acquire()
                finally:
                    self._waiting -= 1
            else:
                await self._starts.acquire()
            try:
                await service.start(width, height)
                try:
                    await asyncio.wait_for(service.first_output.wait(), START_TIMEOUT)
                except asyncio.TimeoutError:
                    pass
            finally:
                self._starts.release()

    return LmtuiServer()


ENDED = ("\r\n\r\n  Your lmtui session ended: it went over what this server allows one visitor (memory or "
         "computing time), or failed. Your answers are saved: reload the page to go on.\r\n")
START_FAILED = ("\r\n  lmtui could not start here. Please tell your instructor: the error is in the "
                "server's output.\r\n")


def room_full_text(max_visitors: int) -> str:
    return (f"\r\n  The room is full: {max_visitors} learners are in already, the most this server "
            f"takes.\r\n  Try again in a few minutes, or ask your instructor.\r\n")


def serve_main(args: Namespace) -> int:
    from lmtui.core.progress import default_home
    from lmtui.core.sanitize import clean

    host = args.host or DEFAULT_HOST
    public_url = None
    if getattr(args, "public_url", None):
        try:
            public_url = check_public_url(args.public_url)
        except ValueError as e:
            print(f"lmtui serve: {e}", file=sys.stderr)
            return 2
    max_visitors = getattr(args, "max_visitors", None)
    if max_visitors is not None and max_visitors < 1:
        print("lmtui serve: --max-visitors must be at least 1", file=sys.stderr)
        return 2
    warning = host_warning(host)
    if warning:
        print(clean(warning), file=sys.stderr)
    one_learner = getattr(args, "one_learner", False)
    if one_learner and (getattr(args, "room", False) or getattr(args, "learners_dir", None)):
        print("lmtui serve: --one-learner serves one learner's own progress: it takes no --learners or --room",
              file=sys.stderr)
        return 2
    learners = Path(args.learners_dir) if getattr(args, "learners_dir", None) else default_home() / "learners"
    try:
        if not one_learner:
            learners.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        print(clean(f"lmtui serve: cannot create the learners folder {learners} ({e.strerror or e})"), file=sys.stderr)
        return 2
    for name in ("visitor_memory", "visitor_cpu"):
        if getattr(args, name, 1) is not None and getattr(args, name, 1) < 1:
            print(f"lmtui serve: --{name.replace('_', '-')} must be at least 1", file=sys.stderr)
            return 2
    command = app_command(getattr(args, "content", None), getattr(args, "ascii", False), None if one_learner else learners,
                          memory_mb=getattr(args, "visitor_memory", VISITOR_MEMORY_MB),
                          cpu_s=getattr(args, "visitor_cpu", VISITOR_CPU_S))
    room = None
    if getattr(args, "room", False):
        room = (secrets.token_urlsafe(24), room_command(getattr(args, "content", None), getattr(args, "ascii", False), learners,
                                                        memory_mb=getattr(args, "visitor_memory", VISITOR_MEMORY_MB)))
    server = make_server(command, host, args.port, public_url=public_url, max_visitors=max_visitors, room=room)
    if public_url and not public_url.startswith("/"):
        where = [public_url + "/"]
    elif is_wildcard(host):
        where = reachable_addresses(args.port) or [f"http://<this machine's address>:{args.port}/"]
    else:
        where = [f"http://{host if ':' not in host else f'[{host}]'}:{args.port}/"]
    print(clean(f"lmtui: serving on {', '.join(where)} (Ctrl+C stops)"), file=sys.stderr)
    if public_url and public_url.startswith("/"):
        print(clean(f"lmtui: its pages say they are under {public_url}/ (a proxy that removes that prefix is in front)"),
              file=sys.stderr)
    if one_learner:
        print(clean(f"lmtui: one learner; progress goes to {default_home()}"), file=sys.stderr)
    else:
        print(clean(f"lmtui: each learner's progress goes to {learners.resolve()}/<name>/ (lmtui report reads them)"),
              file=sys.stderr)
    if room is not None:
        print(clean(f"lmtui: the instructor's view of the room (keep this address to yourself): "
                    f"{where[0].rstrip('/')}/room/{room[0]}"), file=sys.stderr)
    server.serve()
    return 0
