"""Workshop serving: loopback by default, a warning for any other address, a real HTTP answer."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
import urllib.request

from lmtui.serve import app_command, host_warning, is_loopback


def test_loopback_detection():
    assert is_loopback("127.0.0.1") and is_loopback("::1") and is_loopback("localhost")
    assert not is_loopback("0.0.0.0") and not is_loopback("192.0.2.10") and not is_loopback("example.org")


def test_only_non_loopback_hosts_warn():
    assert host_warning("127.0.0.1") is None
    warning = host_warning("0.0.0.0")
    assert warning and "no authentication" in warning


def test_visitor_command_passes_the_course_on():
    cmd = app_command("/srv/my course", ascii_only=True)
    assert cmd.startswith(sys.executable) and "-m lmtui" in cmd
    assert "--content '/srv/my course'" in cmd and cmd.endswith("--ascii")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_serve_answers_on_loopback(tmp_path):
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "lmtui", "serve", "--port", str(port)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    try:
        deadline = time.monotonic() + 30
        body = None
        while time.monotonic() < deadline and body is None:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=2) as response:
                    assert response.status == 200
                    body = response.read().decode()
            except OSError:
                time.sleep(0.2)
        assert body is not None and "lmtui" in body
    finally:
        proc.terminate()
        _, err = proc.communicate(timeout=10)
    assert "WARNING" not in err  # loopback: no warning
