"""Helpers for the `lmtui serve` tests: a real server in a subprocess on loopback, visitors that
speak textual-serve's websocket protocol (what the page's JavaScript sends), and a pyte screen fed
with the bytes the browser's terminal would get, so a test reads what a learner sees."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from contextlib import suppress
from pathlib import Path

import psutil
import pyte

REPO = Path(__file__).parent.parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def fetch(url: str, headers: dict[str, str] | None = None, timeout: float = 5) -> tuple[int, bytes, dict]:
    request = urllib.request.Request(url, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status, response.read(), dict(response.headers)
    except urllib.error.HTTPError as e:
        return e.code, e.read(), dict(e.headers)


def is_app(proc: psutil.Process) -> bool:
    try:
        cmd = proc.cmdline()
    except (psutil.NoSuchProcess, psutil.ZombieProcess, psutil.AccessDenied):
        return False
    return "-m" in cmd and "lmtui" in cmd and "serve" not in cmd


def alive(pids) -> list[int]:
    out = []
    for pid in pids:
        with suppress(psutil.NoSuchProcess):
            p = psutil.Process(pid)
            if p.status() != psutil.STATUS_ZOMBIE:
                out.append(pid)
    return out


def wait_until(predicate, timeout: float, interval: float = 0.1):
    """Poll ``predicate`` until it returns something true, or ``timeout`` seconds pass (returns
    its last value). A deadline for slow machines, not a speed check."""
    deadline = time.monotonic() + timeout
    value = predicate()
    while not value and time.monotonic() < deadline:
        time.sleep(interval)
        value = predicate()
    return value


class Served:
    """``python -m lmtui [pre] serve [args]`` on a free loopback port, as a context manager."""

    def __init__(self, tmp_path: Path, *args: str, pre: tuple[str, ...] = (), python: str = sys.executable,
                 python_flags: tuple[str, ...] = (), cwd: Path | None = None, env: dict[str, str] | None = None,
                 host: str = "127.0.0.1") -> None:
        self.port = free_port()
        self.learners = tmp_path / "learners"
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = tmp_path / f"serve-{self.port}.log"
        cmd = [python, *python_flags, "-m", "lmtui", *pre, "serve", "--host", host, "--port", str(self.port),
               "--learners", str(self.learners), *args]
        self._log = open(self.log, "w")
        self.proc = subprocess.Popen(cmd, stdout=self._log, stderr=subprocess.STDOUT, cwd=cwd,
                                     env={**os.environ, **(env or {})}, start_new_session=True)
        self.seen_apps: set[int] = set()

    def __enter__(self) -> "Served":
        up = wait_until(self._answers, 60, 0.2)
        if not up:
            self.stop()
            raise AssertionError(f"lmtui serve did not answer; its log:\n{self.log.read_text()}")
        return self

    def _answers(self) -> bool:
        if self.proc.poll() is not None:
            raise AssertionError(f"lmtui serve exited ({self.proc.returncode}):\n{self.log.read_text()}")
        try:
            return fetch(self.url + "/favicon.ico", timeout=2)[0] == 200
        except OSError:
            return False

    def app_pids(self) -> list[int]:
        """The visitors' app processes (children of the server), remembered for later checks."""
        try:
            children = psutil.Process(self.proc.pid).children(recursive=True)
        except psutil.NoSuchProcess:
            return []
        pids = [c.pid for c in children if is_app(c)]
        self.seen_apps.update(pids)
        return alive(pids)

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 30) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)
        self._log.close()

    def __exit__(self, *exc) -> None:
        self.app_pids()
        self.stop()
        # never leave a visitor's app behind, even when the test failed
        for pid in alive(self.seen_apps):
            with suppress(psutil.NoSuchProcess):
                psutil.Process(pid).kill()


class TerminalScreen:
    """What the browser's terminal shows, rebuilt from the bytes the server sends it."""

    def __init__(self, width: int = 100, height: int = 30) -> None:
        self.screen = pyte.Screen(width, height)
        self.stream = pyte.ByteStream(self.screen)
        self._pending: list[bytes] = []

    def feed(self, data: bytes) -> None:
        # parsed when the screen is read: pyte is slow, and a busy reader would answer the
        # server's websocket pings late
        self._pending.append(data)

    def _catch_up(self) -> None:
        if self._pending:
            data, self._pending = b"".join(self._pending), []
            self.stream.feed(data)

    def resize(self, width: int, height: int) -> None:
        self._catch_up()
        self.screen.resize(height, width)

    @property
    def text(self) -> str:
        self._catch_up()
        return "\n".join(self.screen.display)


class Visitor:
    """One browser tab, speaking textual-serve's websocket protocol (``["stdin", keys]``,
    ``["resize", {...}]``) as textual.js does; the screen is a pyte terminal."""

    def __init__(self, url: str, width: int = 100, height: int = 30) -> None:
        self.url, self.width, self.height = url, width, height
        self.term = TerminalScreen(width, height)
        self.closed = asyncio.Event()
        self.received = 0

    async def __aenter__(self) -> "Visitor":
        import aiohttp

        self._session = aiohttp.ClientSession()
        ws_url = self.url.replace("http:", "ws:") + f"/ws?width={self.width}&height={self.height}"
        self.ws = await self._session.ws_connect(ws_url, heartbeat=None)
        await self.ws.send_str(json.dumps(["resize", {"width": self.width, "height": self.height}]))
        self._reader = asyncio.create_task(self._read())
        return self

    async def _read(self) -> None:
        import aiohttp

        try:
            async for msg in self.ws:
                if msg.type == aiohttp.WSMsgType.BINARY:
                    self.received += len(msg.data)
                    self.term.feed(msg.data)
        finally:
            self.closed.set()

    async def keys(self, data: str) -> None:
        await self.ws.send_str(json.dumps(["stdin", data]))

    async def wait_for(self, text: str, timeout: float = 45) -> str:
        deadline = time.monotonic() + timeout
        while text not in self.term.text:
            if self.closed.is_set() or time.monotonic() > deadline:
                raise AssertionError(f"{text!r} never appeared; the screen:\n{self.term.text}")
            await asyncio.sleep(0.05)
        return self.term.text

    async def close(self) -> None:
        with suppress(Exception):
            await self.ws.close()
        with suppress(Exception):
            await asyncio.wait_for(self._reader, 10)
        await self._session.close()

    async def __aexit__(self, *exc) -> None:
        await self.close()


async def wait_async(predicate, timeout: float, interval: float = 0.1):
    deadline = time.monotonic() + timeout
    value = predicate()
    while not value and time.monotonic() < deadline:
        await asyncio.sleep(interval)
        value = predicate()
    return value
