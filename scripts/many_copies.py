#!/usr/bin/env python3
"""How many learners one machine holds: N copies of lmtui at once, each in its own pty (as N SSH
logins would be). Prints memory per copy (RSS after start and after each opened its first
simulation figure, summed over the copy's process tree: the interface and its simulation
process) and key latency measured with all N running, median over copies: idle (j/k on the text
view), and busy (up/down between parameters of an idle simulation pane while every third
copy is running its simulation, as in a workshop where some learners press s at once).
Run by hand: python scripts/many_copies.py --copies 10 20 30
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

import psutil

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
from ptysession import PtySession, lmtui_argv  # noqa: E402


def rss_mb(session: PtySession) -> float:
    """The copy's memory: the interface and its simulation process (once one is started)."""
    try:
        proc = psutil.Process(session.proc.pid)
        return sum(p.memory_info().rss for p in [proc, *proc.children(recursive=True)]) / 2**20
    except psutil.Error:
        return float("nan")


def key_latency(session: PtySession, key: str) -> float | None:
    before = session.text()
    t0 = time.perf_counter()
    session.send(key)
    while time.perf_counter() - t0 < 3:
        session.pump(0.002)
        if session.text() != before:
            return time.perf_counter() - t0
    return None


def run(n: int) -> None:
    sessions = []
    t0 = time.perf_counter()
    for _ in range(n):
        sessions.append(PtySession(lmtui_argv(), env={"LMTUI_HOME": tempfile.mkdtemp(prefix="lmtui-n-")}))
    for s in sessions:
        s.wait_for("t:Text", timeout=120)
    started = time.perf_counter() - t0
    idle_rss = [rss_mb(s) for s in sessions]
    lat = []
    for s in sessions:  # scroll keys while all N are up
        for key in ("j", "k", "j"):
            latency = key_latency(s, key)
            if latency is not None:
                lat.append(latency)
            s.pump(0.05)
    for s in sessions:  # each learner opens chapter 2's simulation figure
        s.send("n")
        s.pump(0.05)
        s.send("n")
        s.pump(0.05)
        s.send("f")
    for s in sessions:
        s.wait_for("ready (s: run)", timeout=120)
    settle = time.perf_counter() + 5  # each figure starts its simulation process as it opens: let them load
    while time.perf_counter() < settle:
        for s in sessions:
            s.pump(0.01)
    sim_rss = [rss_mb(s) for s in sessions]
    total_mb = psutil.virtual_memory().used / 2**20
    runners = sessions[::3]
    for s in runners:
        s.send("s")
    busy = []
    for s in sessions:
        if s in runners:
            continue
        for key in ("\x1b[B", "\x1b[A", "\x1b[B", "\x1b[A"):  # down/up: the parameter help line changes
            latency = key_latency(s, key)
            if latency is not None:
                busy.append(latency)
            s.pump(0.05)
    still_running = sum("done in" not in s.text() for s in runners)
    for s in sessions:
        s.quit(timeout=5)
        s.close()
    lat.sort()
    busy.sort()
    print(f"N={n:3d}: all started in {started:5.1f} s; RSS per copy median {statistics.median(idle_rss):5.1f} MB idle, "
          f"{statistics.median(sim_rss):5.1f} MB with a simulation figure open; machine memory in use {total_mb / 1024:.1f} GiB")
    print(f"       key latency, all idle: median {statistics.median(lat) * 1000:4.0f} ms, "
          f"p95 {lat[int(0.95 * (len(lat) - 1))] * 1000:4.0f} ms ({len(lat)} keys)")
    if busy:
        print(f"       key latency, {len(runners)} of {n} running a simulation: median {statistics.median(busy) * 1000:4.0f} ms, "
              f"p95 {busy[int(0.95 * (len(busy) - 1))] * 1000:4.0f} ms ({len(busy)} keys; "
              f"{still_running} runs still going when the keys were done)")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--copies", type=int, nargs="+", default=[10, 30])
    args = parser.parse_args()
    print(f"{psutil.cpu_count()} cores, {psutil.virtual_memory().total / 2**30:.0f} GiB")
    for n in args.copies:
        run(n)
    return 0


if __name__ == "__main__":
    sys.exit(main())
