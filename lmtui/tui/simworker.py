"""The interface's side of its simulation process (lmtui.core.simworker runs in it).

One process per app, started the first time a figure or a predict question needs it (a plain
start stays light), so a simulation never shares the interface's interpreter: keys are read and
drawn on one core while the simulation computes on another. A reader thread takes what the
process sends and hands it to the run's ``deliver`` callback (which posts a Textual message; that
is thread-safe). A process that dies, or sends nothing for HANG_AFTER seconds while a run is
going, is ended, each of its runs is told it failed, and the next run starts a new process.
"""

from __future__ import annotations

import itertools
import threading
from collections.abc import Callable
from typing import Any

HANG_AFTER = 30.0  # seconds without a word from a busy process before it counts as hung
Deliver = Callable[[str, int, tuple], None]  # (kind, token, payload): "frame", "done", "failed", "stopped"


class SimWorker:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._tokens = itertools.count(1)
        self._runs: dict[int, Deliver] = {}
        self._process: Any = None
        self._conn: Any = None
        self.hang_after = HANG_AFTER
        self.started = 0  # processes started so far (a replaced one counts again)

    # -- the process -----------------------------------------------------------------------------
    @property
    def pid(self) -> int | None:
        process = self._process
        return process.pid if process is not None and process.poll() is None else None

    def _ensure(self) -> Any:
        """The pipe to a live process, starting one if there is none."""
        if self._process is not None and self._process.poll() is None and self._conn is not None:
            return self._conn
        import subprocess
        import sys
        from multiprocessing import Pipe

        # a fresh interpreter (nothing of the interface's threads or screen is copied), its output
        # kept off the learner's terminal; it talks only over its end of the pipe
        ours, theirs = Pipe()
        process = subprocess.Popen([sys.executable, "-m", "lmtui.core.simworker", str(theirs.fileno())],
                                   pass_fds=(theirs.fileno(),), stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                   stderr=subprocess.DEVNULL)
        theirs.close()
        self._process, self._conn = process, ours
        self.started += 1
        threading.Thread(target=self._read, args=(process, ours), name="lmtui-simulation-reader", daemon=True).start()
        return ours

    def _send(self, message: tuple) -> bool:
        with self._lock:
            try:
                self._ensure().send(message)
                return True
            except (OSError, EOFError, ValueError):
                return False

    def warm(self, name: str | None = None) -> None:
        """Start the process now (and import ``name``'s module in it), so the first run starts at once."""
        self._send(("warm", name) if name else ("warm", ""))

    # -- runs ------------------------------------------------------------------------------------
    def run(self, deliver: Deliver, name: str, params: dict[str, Any], seed: int) -> int:
        """Run simulation ``name`` at ``params`` and ``seed``; what it sends goes to ``deliver``."""
        token = next(self._tokens)
        self._runs[token] = deliver
        if not self._send(("run", token, name, dict(params), seed)):
            self._runs.pop(token, None)
            deliver("failed", token, ("the simulation process could not be started",))
        return token

    def stop(self, token: int) -> None:
        """Stop run ``token`` (nothing more is delivered for it)."""
        if self._runs.pop(token, None) is not None and self._process is not None and self._process.poll() is None:
            self._send(("stop", token))

    @property
    def busy(self) -> bool:
        return bool(self._runs)

    def _read(self, process, conn) -> None:
        """The reader thread of one process: until it ends, what it sends goes to its runs."""
        why = ""
        while True:
            try:
                # a run that starts during an idle wait gets a full wait of its own before its
                # process counts as hung
                busy = bool(self._runs)
                if not conn.poll(self.hang_after if busy else 1.0):
                    if busy and self._runs and process is self._process:
                        why = f"the simulation stopped answering for {self.hang_after:.0f} s and was ended"
                        process.kill()
                        break
                    if process.poll() is not None:
                        break
                    continue
                message = conn.recv()
            except (EOFError, OSError):
                break
            kind, token, payload = message[0], message[1], tuple(message[2:])
            deliver = self._runs.get(token)
            if kind in ("done", "failed", "stopped"):
                self._runs.pop(token, None)
            if deliver is not None:
                deliver(kind, token, payload)
        try:
            process.wait(timeout=1.0)
        except Exception:  # subprocess.TimeoutExpired: still going after its pipe closed
            process.kill()
        with self._lock:
            if process is not self._process:
                return
            self._process, self._conn = None, None
            lost, self._runs = self._runs, {}
        if not why:
            code = process.returncode
            why = f"the simulation process ended (exit code {code})" if code else "the simulation process ended"
        for token, deliver in lost.items():
            deliver("failed", token, (f"{why}; the next run starts a new one",))

    def close(self) -> None:
        """End the process (the app is ending)."""
        with self._lock:
            process, conn = self._process, self._conn
            self._process, self._conn, self._runs = None, None, {}
        if conn is not None:
            try:
                conn.send(("quit",))
            except (OSError, EOFError, ValueError):
                pass
        if process is not None:
            try:
                process.wait(timeout=0.5)
            except Exception:  # subprocess.TimeoutExpired
                process.kill()
            if conn is not None:
                conn.close()
