"""A program in a real pseudo-terminal, its screen kept by pyte: for tests and benchmarks that
look at lmtui the way a person over SSH does (bytes written, what is on screen, memory)."""

from __future__ import annotations

import fcntl
import os
import pty
import select
import signal
import struct
import subprocess
import sys
import termios
import time

import psutil
import pyte


def byte_compile() -> None:
    """pip compiles a wheel's modules as it installs them; a checkout run with
    PYTHONDONTWRITEBYTECODE has no .pyc files, and every start would compile lmtui's source again
    while Textual's is compiled: not what a learner meets. The benchmarks compile it first."""
    import compileall
    from pathlib import Path

    import lmtui
    import lmtui.sims

    for folder in {Path(lmtui.__file__).parent, *map(Path, lmtui.sims.__path__)}:
        compileall.compile_dir(str(folder), quiet=1)

def lmtui_argv(*args: str) -> list[str]:
    return [sys.executable, "-m", "lmtui", *args]


class PtySession:
    """A program in a pseudo-terminal, its screen kept by pyte."""

    def __init__(self, argv: list[str], cols: int = 80, rows: int = 24, env: dict[str, str] | None = None,
                 cwd: str | None = None) -> None:
        self.screen = pyte.Screen(cols, rows)
        self.stream = pyte.ByteStream(self.screen)
        master, slave = pty.openpty()
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))
        full_env = {k: v for k, v in os.environ.items() if k not in ("COLUMNS", "LINES")}
        full_env["TERM"] = "xterm-256color"
        full_env.update(env or {})
        self.t0 = time.perf_counter()
        self.proc = subprocess.Popen(argv, stdin=slave, stdout=slave, stderr=slave, env=full_env, start_new_session=True, cwd=cwd)
        os.close(slave)
        self.fd = master
        self.bytes = 0
        self.peak_rss = 0
        self.saw_traceback = False

    def text(self) -> str:
        return "\n".join(self.screen.display)

    def pump(self, timeout: float) -> int:
        """Read what arrives within ``timeout`` seconds; return the byte count."""
        got = 0
        end = time.perf_counter() + timeout
        while True:
            left = end - time.perf_counter()
            if left <= 0:
                break
            ready, _, _ = select.select([self.fd], [], [], left)
            if not ready:
                break
            try:
                data = os.read(self.fd, 65536)
            except OSError:
                break
            if not data:
                break
            got += len(data)
            self.saw_traceback = self.saw_traceback or b"Traceback" in data
            self.stream.feed(data)
        self.bytes += got
        self._sample_rss()
        return got

    def _sample_rss(self) -> None:
        try:
            proc = psutil.Process(self.proc.pid)
            rss = proc.memory_info().rss + sum(c.memory_info().rss for c in proc.children(recursive=True))
            self.peak_rss = max(self.peak_rss, rss)
        except psutil.Error:
            pass

    def wait_for(self, needle: str, timeout: float = 20.0) -> float | None:
        """Seconds from now until ``needle`` is on screen (None on timeout)."""
        start = time.perf_counter()
        while time.perf_counter() - start < timeout:
            if needle in self.text():
                return time.perf_counter() - start
            self.pump(0.005)
        return None

    def settle(self, quiet: float = 0.5, timeout: float = 10.0) -> None:
        start = time.perf_counter()
        while time.perf_counter() - start < timeout:
            if self.pump(quiet) == 0:
                return

    def send(self, keys: str) -> None:
        os.write(self.fd, keys.encode())

    def press(self, keys: str, then: str, timeout: float = 10.0) -> None:
        """Send ``keys`` and wait until ``then`` is on screen (fails with the screen if it never is)."""
        self.send(keys)
        assert self.wait_for(then, timeout=timeout) is not None, self.text()

    def send_bytes(self, data: bytes) -> None:
        os.write(self.fd, data)

    def resize(self, cols: int, rows: int) -> None:
        self.screen.resize(rows, cols)
        fcntl.ioctl(self.fd, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))
        try:
            os.killpg(self.proc.pid, signal.SIGWINCH)
        except ProcessLookupError:
            pass

    def alive(self) -> bool:
        return self.proc.poll() is None

    def quit(self, timeout: float = 10.0, attempts: int = 2) -> int | None:
        """Escape (three times: the palette may be open over a links or help screen) then q, as a
        person would, up to ``attempts`` times; the exit code, or None if it did not exit."""
        for attempt in range(attempts):
            for _ in range(3):
                self.send("\x1b")
                self.pump(0.3)
            self.send("q")
            end = time.perf_counter() + timeout / attempts
            while self.proc.poll() is None and time.perf_counter() < end:
                self.pump(0.05)
            if self.proc.poll() is not None:
                return self.proc.poll()
            print(f"q attempt {attempt + 1} did not quit; screen:\n{self.text()}")
        return self.proc.poll()

    def close(self) -> None:
        try:
            if self.proc.poll() is None:
                self.send("q")
                self.proc.wait(timeout=5)
        except (subprocess.TimeoutExpired, OSError):
            self.proc.kill()
            self.proc.wait()
        os.close(self.fd)




# The console script runs `from lmtui.__main__ import main; sys.exit(main())`; this does the same,
# with a signal handler that writes what is loaded when asked (after the first frame is on screen).
FIRST_FRAME = """
import signal, sys
target = sys.argv[1]
def dump(*_):
    with open(target, "w") as f:
        f.write("\\n".join(sorted(sys.modules)))
signal.signal(signal.SIGUSR1, dump)
sys.argv = ["lmtui"]
from lmtui.__main__ import main
main()
"""


def first_frame(out, env: dict[str, str], settle: float = 0.0) -> tuple[str, set[str]]:
    """Start lmtui in a pty; as soon as its first frame is on screen, the modules it has loaded
    (written to the path ``out``); then the screen (after ``settle`` s of quiet); then quit."""
    s = PtySession([sys.executable, "-c", FIRST_FRAME, str(out)], env=env)
    try:
        assert s.wait_for("t:Text", timeout=30) is not None, s.text()
        os.kill(s.proc.pid, signal.SIGUSR1)
        for _ in range(100):
            s.pump(0.05)
            if os.path.exists(out) and os.path.getsize(out):
                break
        if settle:
            s.settle(settle)
        screen = s.text()
        assert s.quit() == 0
    finally:
        s.close()
    with open(out, encoding="utf-8") as f:
        return screen, set(f.read().split())
