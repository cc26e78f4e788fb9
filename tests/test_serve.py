"""Workshop serving: the page's addresses (--public-url, wildcard binds), nothing fetched from
outside, a favicon, one process per visitor that ends with its connection or its server, and a
full room. Real servers on loopback, visitors speaking the page's websocket protocol."""

from __future__ import annotations

import asyncio
import re
import signal
import sys

import pytest

from lmtui.serving.serve import app_command, base_url_for, check_public_url, host_warning, is_loopback, is_wildcard
from serve_support import REPO, Served, Visitor, alive, fetch, wait_async, wait_until

URL_ATTRS = re.compile(r'(?:src|href)="([^"]+)"|url\("([^"]+)"\)|data-session-websocket-url="([^"]+)"')


def page_addresses(html: str) -> list[str]:
    return [next(g for g in m.groups() if g) for m in URL_ATTRS.finditer(html)]


def websocket_url(html: str) -> str:
    return re.search(r'data-session-websocket-url="([^"]+)"', html).group(1)


# -- pure parts -----------------------------------------------------------------------------------
def test_loopback_and_wildcard_detection():
    assert is_loopback("127.0.0.1") and is_loopback("::1") and is_loopback("localhost")
    assert not is_loopback("0.0.0.0") and not is_loopback("192.0.2.10") and not is_loopback("example.org")
    assert is_wildcard("0.0.0.0") and is_wildcard("::") and not is_wildcard("127.0.0.1")


def test_only_non_loopback_hosts_warn():
    assert host_warning("127.0.0.1") is None
    warning = host_warning("0.0.0.0")
    assert warning and "no authentication" in warning and "not a password" in warning


def test_visitor_command_cannot_pick_up_the_working_folder(tmp_path):
    cmd = app_command(str(tmp_path / "my course"), ascii_only=True, learners=tmp_path / "room")
    assert cmd.startswith(f"exec {sys.executable} -P -m lmtui")  # -P: the cwd is not on sys.path
    assert f"--content '{tmp_path / 'my course'}'" in cmd and cmd.endswith("--ascii")
    assert f"--learners {tmp_path / 'room'}" in cmd


def test_public_url_is_checked():
    assert check_public_url("https://example.test/lmtui/") == "https://example.test/lmtui"
    for bad in ("example.test", "ftp://example.test/", "http://0.0.0.0:8000/", "https://x.test/?a=1"):
        with pytest.raises(ValueError):
            check_public_url(bad)


def test_page_address_comes_from_the_browser_unless_a_public_url_is_given():
    fallback = "http://127.0.0.1:8000"
    assert base_url_for("http", "10.0.0.5:8000", {}, None, fallback) == "http://10.0.0.5:8000"
    proxied = {"X-Forwarded-Proto": "https", "X-Forwarded-Host": "room.example.test"}
    assert base_url_for("http", "127.0.0.1:8000", proxied, None, fallback) == "https://room.example.test"
    assert base_url_for("http", "10.0.0.5:8000", proxied, "https://x.test/lm", fallback) == "https://x.test/lm"
    assert base_url_for("http", 'evil"><script>', {}, None, fallback) == fallback  # not a host: ignored


def test_a_public_url_that_is_a_path_keeps_the_browsers_host():
    """jupyter-server-proxy gives a prefix (the user's base URL): the page goes under it, on the
    host and scheme the browser used (the hub's proxy says https in X-Forwarded-Proto)."""
    assert check_public_url("/user/ada/lmtui/") == "/user/ada/lmtui"
    for bad in ("//evil.test/x", "/a b/", '/x"><script>', "/"):
        with pytest.raises(ValueError):
            check_public_url(bad)
    fallback = "http://127.0.0.1:8000"
    assert base_url_for("http", "hub.test", {}, "/user/ada/lmtui", fallback) == "http://hub.test/user/ada/lmtui"
    assert base_url_for("http", "hub.test", {"X-Forwarded-Proto": "https"}, "/user/ada/lmtui",
                        fallback) == "https://hub.test/user/ada/lmtui"
    assert base_url_for("http", None, {}, "/user/ada/lmtui", fallback) == fallback + "/user/ada/lmtui"


def test_one_learner_takes_no_room_and_no_learners_folder(tmp_path):
    import subprocess

    for extra in (["--room"], ["--learners", str(tmp_path)]):
        out = subprocess.run([sys.executable, "-m", "lmtui", "serve", "--one-learner", *extra], capture_output=True,
                             text=True, timeout=60)
        assert out.returncode == 2 and "--one-learner" in out.stderr
    cmd = app_command(None, False, None)
    assert "--learners" not in cmd and cmd.endswith("-m lmtui --unicode")


# -- a real server ----------------------------------------------------------------------------------
def test_public_url_is_where_the_page_points(tmp_path):
    with Served(tmp_path, "--public-url", "https://example.test/lmtui/") as served:
        status, body, _ = fetch(served.url + "/")
    html = body.decode()
    assert status == 200
    assert websocket_url(html) == "wss://example.test/lmtui/ws"
    addresses = page_addresses(html)
    assert addresses and all(a.startswith("https://example.test/lmtui/") or a == "wss://example.test/lmtui/ws"
                             for a in addresses), addresses
    assert "https://example.test/lmtui/static/js/textual.js" in addresses


def test_bad_public_url_is_refused_with_a_message(tmp_path):
    import subprocess

    out = subprocess.run([sys.executable, "-m", "lmtui", "serve", "--public-url", "0.0.0.0:8000"],
                         capture_output=True, text=True, timeout=60)
    assert out.returncode == 2 and "--public-url" in out.stderr


def test_wildcard_bind_gives_other_machines_a_page_that_points_back_at_them(tmp_path):
    # the room's machines reach us as, say, 10.1.2.3:PORT: that is what their browser sends
    with Served(tmp_path, host="0.0.0.0") as served:
        seen_from_the_room = f"10.1.2.3:{served.port}"
        _, body, _ = fetch(served.url + "/", headers={"Host": seen_from_the_room})
        _, local, _ = fetch(served.url + "/")
    html = body.decode()
    assert websocket_url(html) == f"ws://{seen_from_the_room}/ws"
    assert all(seen_from_the_room in a for a in page_addresses(html))
    assert "0.0.0.0" not in html and "127.0.0.1" not in html
    assert websocket_url(local.decode()) == f"ws://127.0.0.1:{served.port}/ws"
    assert "no authentication" in served.log.read_text()


def test_the_page_is_lmtuis_own_and_fetches_nothing_from_outside(tmp_path):
    with Served(tmp_path) as served:
        _, body, _ = fetch(served.url + "/")
        html = body.decode()
        addresses = page_addresses(html)
        assert addresses and all(a.startswith(served.url) or a.startswith(served.url.replace("http", "ws"))
                                 for a in addresses), addresses
        assert "googleapis" not in html and "@font-face" in html
        assert "xterm-helper-textarea" in html  # the keyboard goes to the terminal on load
        for address in addresses:
            if address.startswith("http"):
                assert fetch(address)[0] == 200, address
        status, icon, headers = fetch(served.url + "/favicon.ico")
        assert status == 200 and icon[:4] == b"\x00\x00\x01\x00"  # an ICO file
        assert fetch(served.url + "/static/")[0] in (403, 404)  # no directory listing


async def test_a_visitors_app_ends_with_its_connection(tmp_path):
    with Served(tmp_path) as served:
        async with Visitor(served.url) as visitor:
            await visitor.wait_for("who is learning?")
            pids = served.app_pids()
            assert len(pids) == 1
        assert await wait_async(lambda: not alive(pids), 20), "the app outlived its visitor's connection"


async def test_room_full_page_past_max_visitors(tmp_path):
    with Served(tmp_path, "--max-visitors", "1") as served:
        async with Visitor(served.url) as first:
            await first.wait_for("who is learning?")
            status, body, _ = fetch(served.url + "/")
            assert status == 503 and b"The room is full" in body
            async with Visitor(served.url) as second:
                await second.wait_for("The room is full")
                await asyncio.wait_for(second.closed.wait(), 10)
            assert len(served.app_pids()) == 1  # no process for the visitor turned away
        assert await wait_async(lambda: not served.app_pids(), 20)
        assert fetch(served.url + "/")[0] == 200  # room again


def _visitors_then(served: Served, n: int, stop) -> list[int]:
    """Open n visitors, wait for their apps, call ``stop``; returns the apps' pids."""

    async def run() -> list[int]:
        visitors = [Visitor(served.url) for _ in range(n)]
        for v in visitors:
            await v.__aenter__()
        try:
            for v in visitors:
                await v.wait_for("who is learning?")
            pids = served.app_pids()
            assert len(pids) == n
            stop()
            return pids
        finally:
            for v in visitors:
                await v.close()

    return asyncio.run(run())


def test_server_killed_hard_leaves_no_app_behind(tmp_path):
    with Served(tmp_path) as served:
        pids = _visitors_then(served, 2, lambda: served.proc.send_signal(signal.SIGKILL))
        served.proc.wait(10)
        # their input closed with the server: each app ends itself (textual_fixes)
        assert wait_until(lambda: not alive(pids), 20), f"orphans left: {alive(pids)}"


def test_one_signal_stops_the_server_and_every_visitor(tmp_path):
    with Served(tmp_path) as served:
        pids = _visitors_then(served, 3, lambda: served.proc.send_signal(signal.SIGTERM))
        served.proc.wait(30)
        assert not alive(pids)


def test_serving_from_the_project_folder_runs_the_installed_app(tmp_path):
    """The README's `python3 -m pip install .`, then `lmtui serve` in the project's folder: each
    visitor must get the installed lmtui (with lmtui.sims), not the source tree in the cwd. A
    non-editable install of a freshly built wheel, beside this environment's dependencies."""
    import subprocess
    import sysconfig

    import shutil

    source = tmp_path / "source"  # a copy: building in the repository would leave build/ there
    shutil.copytree(REPO, source, ignore=shutil.ignore_patterns(
        ".git", ".venv", "__pycache__", "build", "*.egg-info", ".pytest_cache", "tests", "docs"))
    wheels = tmp_path / "wheels"
    subprocess.run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", str(wheels), str(source)],
                   check=True, capture_output=True, timeout=300)
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True, timeout=120)
    python = venv / "bin" / "python"
    site = subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                          capture_output=True, text=True, check=True).stdout.strip()
    subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--no-index", "--target", site,
                    *map(str, wheels.glob("*.whl"))], check=True, capture_output=True, timeout=300)
    # the dependencies come from this environment, as plain path entries: its .pth files (the
    # editable install of lmtui) are not processed. Every site folder counts: a virtualenv made
    # with --system-site-packages has the dependencies in its base's folder.
    folders = dict.fromkeys([sysconfig.get_paths()["purelib"], *(p for p in sys.path if p.endswith("-packages"))])
    (venv / "lib" / f"python{sys.version_info.major}.{sys.version_info.minor}" / "site-packages" /
     "deps.pth").write_text("".join(f + "\n" for f in folders))

    async def visit(url: str) -> str:
        async with Visitor(url) as visitor:
            await visitor.wait_for("who is learning?")
            await visitor.keys("Ada\r")
            return await visitor.wait_for("The Problem")

    # the server as the `lmtui` console script runs it: its own folder, not the cwd, on sys.path
    with Served(tmp_path, python=str(python), python_flags=("-P",), cwd=REPO) as served:
        status, body, _ = fetch(served.url + "/")
        assert status == 200 and b"xterm-helper-textarea" in body  # the templates shipped
        assert fetch(served.url + "/favicon.ico")[0] == 200  # and the favicon
        asyncio.run(visit(served.url))
        apps = served.app_pids()
    assert "ModuleNotFoundError" not in served.log.read_text()
    assert apps


# -- the instructor's address ---------------------------------------------------------------------
def instructor_url(served: Served) -> str:
    found = wait_until(lambda: re.search(r"instructor's view.*?: (http://\S+/room/\S+)", served.log.read_text()), 30)
    assert found, served.log.read_text()
    return found.group(1)


async def test_serve_room_opens_the_instructors_view_with_its_token_only(tmp_path):
    from lmtui.core.progress import ProgressStore

    ProgressStore(tmp_path / "learners" / "Ada").close()  # one learner already in the room
    with Served(tmp_path, "--room") as served:
        url = instructor_url(served)
        token = url.rsplit("/", 1)[1]
        assert len(token) >= 32 and url.startswith(served.url + "/room/")
        status, page, _ = fetch(url)
        assert status == 200 and websocket_url(page.decode()) == served.url.replace("http", "ws") + f"/room/{token}/ws"
        for wrong in (served.url + "/room/" + token[:-1] + ("A" if token[-1] != "A" else "B"), served.url + "/room/x"):
            assert fetch(wrong)[0] == 403, wrong
            assert fetch(wrong + "/ws")[0] == 403  # the websocket too: no process for a wrong token
        assert fetch(served.url + "/room/")[0] == 404 and fetch(served.url + "/room")[0] == 404
        assert served.app_pids() == []
        async with Visitor(url) as instructor:
            await instructor.wait_for("Pace: 1 learner")
            await instructor.keys("r")  # the first question's right answer, by the room's keys
            await instructor.wait_for("<- right")
        async with Visitor(served.url) as learner:  # the learners' address is the course, as before
            await learner.wait_for("who is learning?")


async def test_without_room_there_is_no_instructors_address(tmp_path):
    with Served(tmp_path) as served:
        assert fetch(served.url + "/room/anything")[0] == 403
        assert "instructor" not in served.log.read_text()
