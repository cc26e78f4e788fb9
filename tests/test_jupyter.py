"""Rooms beyond one machine run on JupyterHub: each hub user gets their own Jupyter server, and lmtui
runs in its terminal with progress in the user's own home. Proven here with a real jupyter-server
on loopback (token auth): a terminal opened through its REST API, driven over its websocket
(terminado's protocol, as JupyterLab's terminal does), runs `lmtui`, the first chapter is drawn,
and `q` exits cleanly back to the shell."""

from __future__ import annotations

import asyncio
import json
import os
import re
import secrets
import shutil
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path

import pytest

from serve_support import TerminalScreen, fetch, free_port, wait_until

# Skipped where jupyter-server is missing, except under .ci/run, which installs the test extra
# (jupyter-server, terminado, jupyter-server-proxy) and sets LMTUI_REQUIRE_JUPYTER=1: there a
# missing one fails these tests instead of skipping them.
REQUIRED = os.environ.get("LMTUI_REQUIRE_JUPYTER") == "1"


def need(module: str) -> None:
    if REQUIRED:
        try:
            __import__(module)
        except ImportError as e:
            pytest.fail(f"LMTUI_REQUIRE_JUPYTER is set and {module} is missing ({e}): pip install -e '.[test]'",
                        pytrace=False)
    pytest.importorskip(module)


need("jupyter_server")
need("terminado")


@contextmanager
def running_jupyter(tmp_path: Path, *extra: str, base: str = "/", pythonpath: str | None = None):
    """A jupyter-server as a hub user's would be: its own home, a token, loopback only, at the
    base URL ``base`` (JupyterHub's is /user/<name>/); (address with the base, token, home)."""
    home = tmp_path / "hub-user"
    home.mkdir()
    token = secrets.token_hex(16)
    port = free_port()
    bin_dir = str(Path(sys.executable).parent)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("LMTUI_", "JUPYTER", "XDG_"))}
    env.update(HOME=str(home), SHELL="/bin/sh", PATH=f"{bin_dir}:{env.get('PATH', '/usr/bin:/bin')}",
               JUPYTER_CONFIG_DIR=str(home / ".jupyter"), JUPYTER_DATA_DIR=str(home / ".local/share/jupyter"),
               JUPYTER_RUNTIME_DIR=str(tmp_path / "runtime"), LANG="C.UTF-8", TERM="xterm-256color")
    if pythonpath:
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [pythonpath, env.get("PYTHONPATH")]))
    log = open(tmp_path / "jupyter.log", "w")
    proc = subprocess.Popen(
        [sys.executable, "-m", "jupyter_server", "--no-browser", *(["--allow-root"] if os.geteuid() == 0 else []), "--ip=127.0.0.1", f"--port={port}",
         "--port-retries=0", f"--IdentityProvider.token={token}", f"--ServerApp.root_dir={home}",
         f"--ServerApp.base_url={base}",
         "--ServerApp.terminado_settings={'shell_command': ['/bin/sh']}", *extra],
        stdout=log, stderr=subprocess.STDOUT, env=env, cwd=home,
    )
    url = f"http://127.0.0.1:{port}{base.rstrip('/')}"

    def up() -> bool:
        if proc.poll() is not None:
            raise AssertionError((tmp_path / "jupyter.log").read_text())
        try:
            return fetch(f"{url}/api/status", headers={"Authorization": f"token {token}"}, timeout=2)[0] == 200
        except OSError:
            return False

    try:
        assert wait_until(up, 60, 0.2), (tmp_path / "jupyter.log").read_text()
        yield url, token, home
    finally:
        proc.terminate()
        try:
            proc.wait(20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(10)
        log.close()


@pytest.fixture
def jupyter(tmp_path):
    # the terminals extension by name: its config file is in the Python's prefix, which a venv does not search
    with running_jupyter(tmp_path, "--ServerApp.jpserver_extensions={'jupyter_server_terminals': True}") as running:
        yield running


async def drive_terminal(url: str, token: str) -> tuple[str, str]:
    """Open a terminal, run lmtui, wait for the first chapter, quit; (screen in lmtui, shell after)."""
    import aiohttp

    headers = {"Authorization": f"token {token}"}
    term = TerminalScreen(80, 24)
    async with aiohttp.ClientSession(headers=headers) as session:
        async with session.post(f"{url}/api/terminals") as response:
            assert response.status == 200, await response.text()
            name = (await response.json())["name"]
        ws = await session.ws_connect(f"{url.replace('http', 'ws')}/terminals/websocket/{name}")

        raw: list[str] = []  # everything the terminal wrote, for what pyte does not keep

        async def read_until(predicate, timeout: float) -> None:
            deadline = time.monotonic() + timeout
            while not predicate(term.text):
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(f"the terminal never showed what was expected:\n{term.text}")
                try:  # short waits: the server's pings would restart a long one forever
                    msg = await asyncio.wait_for(ws.receive(), min(left, 1.0))
                except asyncio.TimeoutError:
                    continue
                if msg.type != aiohttp.WSMsgType.TEXT:
                    raise AssertionError(f"terminal websocket ended ({msg.type}):\n{term.text}")
                kind, *rest = json.loads(msg.data)
                if kind == "stdout":
                    raw.append(rest[0])
                    term.feed(rest[0].encode())

        first = json.loads((await asyncio.wait_for(ws.receive(), 30)).data)
        assert first[0] == "setup", first
        await ws.send_str(json.dumps(["set_size", 24, 80, 600, 800]))  # as JupyterLab's terminal does
        await ws.send_str(json.dumps(["stdin", "stty size; echo COLUMNS=$COLUMNS LINES=$LINES\r"]))
        # the terminal is 24x80, and terminado has put its own (stale) 80x25 in the environment
        await read_until(lambda text: "24 80" in text and "LINES=25" in text, 30)
        await ws.send_str(json.dumps(["stdin", "clear; lmtui\r"]))
        await read_until(lambda text: "0 The Problem" in text and "p.1/" in text and "q Quit" in text, 90)
        in_app = term.text
        seen = len(raw)
        await ws.send_str(json.dumps(["stdin", "q"]))
        # back at the shell once lmtui has left the alternate screen; only then type the next line
        await read_until(lambda _: "\x1b[?1049l" in "".join(raw[seen:]), 60)
        await ws.send_str(json.dumps(["stdin", "echo lmtui-exit=$?\r"]))
        await read_until(lambda text: "lmtui-exit=" in text.replace("echo lmtui-exit=$?", ""), 60)
        after = term.text
        await ws.close()
        async with session.delete(f"{url}/api/terminals/{name}") as response:
            assert response.status in (200, 204)
    return in_app, after


def test_lmtui_in_a_jupyter_terminal(jupyter):
    if shutil.which("lmtui", path=f"{Path(sys.executable).parent}:{os.environ.get('PATH', '')}") is None:
        pytest.fail("the lmtui command is not installed beside this Python (pip install -e '.[test]')")
    url, token, home = jupyter
    in_app, after = asyncio.run(drive_terminal(url, token))
    assert "0 The Problem" in in_app and "Quit" in in_app  # the first chapter, with its footer
    assert "lmtui-exit=0" in after  # q quit cleanly: status 0, back at the shell
    assert "Traceback" not in after
    # progress went to the hub user's own home (the platform data folder under $HOME)
    assert (home / ".local" / "share" / "lmtui" / "progress.db").exists()


def test_terminal_size_comes_from_the_terminal_not_a_stale_environment(monkeypatch):
    """JupyterLab's terminal (terminado) puts COLUMNS=80 LINES=25 in the shell's environment once;
    Textual believes them over the terminal (textual_fixes: terminal-size-from-stale-environment).
    A real pty of 24 rows and 100 columns, with those variables set."""
    import fcntl
    import pty
    import struct
    import termios

    from textual.drivers.linux_driver import LinuxDriver

    from lmtui.tui import textual_fixes

    main, child = pty.openpty()
    fcntl.ioctl(child, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 100, 0, 0))
    terminal = os.fdopen(child, "w")
    try:
        monkeypatch.setattr(sys, "__stdout__", terminal)
        monkeypatch.setenv("COLUMNS", "80")
        monkeypatch.setenv("LINES", "25")
        driver = object.__new__(LinuxDriver)  # the size query needs no running app
        textual_fixes.apply_all()
        with textual_fixes.without("terminal-size-from-stale-environment"):
            assert LinuxDriver._get_terminal_size(driver) == (80, 25)  # the upstream bug: stale numbers
        assert LinuxDriver._get_terminal_size(driver) == (100, 24)  # the terminal's own size
    finally:
        terminal.close()
        os.close(main)


# -- JupyterLab's launcher tile (jupyter-server-proxy) -------------------------------------------
def tile_entry_point(tmp_path: Path) -> str | None:
    """A folder for PYTHONPATH declaring the tile's entry point as pyproject.toml does, when the
    installed lmtui's metadata predates it (an editable install made before it was added); None
    when the installed metadata has it. Either way the declaration tested is pyproject's."""
    import tomllib
    from importlib.metadata import entry_points

    declared = tomllib.loads((Path(__file__).parents[1] / "pyproject.toml").read_text())
    target = declared["project"]["entry-points"]["jupyter_serverproxy_servers"]["lmtui"]
    installed = {e.name: e.value for e in entry_points(group="jupyter_serverproxy_servers")}
    if installed.get("lmtui") == target:
        return None
    info = tmp_path / "entry" / "lmtui_tile-0.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: lmtui-tile\nVersion: 0\n")
    (info / "entry_points.txt").write_text(f"[jupyter_serverproxy_servers]\nlmtui = {target}\n")
    return str(info.parent)


async def open_tile(url: str, token: str) -> tuple[str, str]:
    """The launcher's servers, then the tile's page and its app over the proxied websocket."""
    import aiohttp

    headers = {"Authorization": f"token {token}"}
    async with aiohttp.ClientSession(headers=headers) as session:
        async with session.get(f"{url}/server-proxy/servers-info") as response:
            assert response.status == 200, await response.text()
            servers = {s["name"]: s for s in (await response.json())["server_processes"]}
        assert servers["lmtui"]["launcher_entry"]["title"] == "lmtui"
        async with session.get(f"{url}/lmtui/") as response:  # the tile's URL: starts lmtui serve
            assert response.status == 200, await response.text()
            page = await response.text()
        async with session.get(f"{url}/lmtui/static/js/textual.js") as response:
            assert response.status == 200  # the page's own files, through the proxy
        ws_url = re.search(r'data-session-websocket-url="([^"]+)"', page).group(1)
        term = TerminalScreen(100, 30)
        ws = await session.ws_connect(ws_url + "?width=100&height=30")
        await ws.send_str(json.dumps(["resize", {"width": 100, "height": 30}]))
        deadline = time.monotonic() + 90
        while "0 The Problem" not in term.text and time.monotonic() < deadline:
            try:
                msg = await asyncio.wait_for(ws.receive(), 1.0)
            except asyncio.TimeoutError:
                continue
            if msg.type == aiohttp.WSMsgType.BINARY:
                term.feed(msg.data)
            elif msg.type != aiohttp.WSMsgType.TEXT:
                break
        await ws.close()
    return page, term.text


def test_the_launcher_tile_serves_lmtui_behind_the_users_server(tmp_path):
    """jupyter-server-proxy finds the tile by lmtui's entry point; its URL, under the user's base
    URL as on JupyterHub, starts `lmtui serve` for that user; the page's files and websocket go
    through the proxy; the user is the learner (no name asked), progress in their own home."""
    need("jupyter_server_proxy")
    base = "/user/ada/"
    with running_jupyter(tmp_path, "--ServerApp.jpserver_extensions={'jupyter_server_proxy': True}", base=base,
                         pythonpath=tile_entry_point(tmp_path)) as (url, token, home):
        page, screen = asyncio.run(open_tile(url, token))
        host = url.split("/")[2]
        assert f'data-session-websocket-url="ws://{host}{base}lmtui/ws"' in page
        assert f'href="http://{host}{base}lmtui/static/css/xterm.css"' in page
        assert "0 The Problem" in screen and "who is learning" not in screen
        assert (home / ".local" / "share" / "lmtui" / "progress.db").exists()
