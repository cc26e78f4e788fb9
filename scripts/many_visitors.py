#!/usr/bin/env python3
"""How many browser visitors one machine holds: `lmtui serve` on loopback and N visitors at once,
each speaking the page's websocket protocol (what textual.js sends: keys as ["stdin", ...], its
size as ["resize", ...]) and reading its screen from the bytes the page's terminal would get
(a pyte terminal per visitor). The browser's own drawing is not measured: that costs the learner's
machine, not the server.

Measured, for each N:
- the opening rush: all N connect at the same moment; seconds until each sees the name screen
  (median, slowest), with app starts let through one per core (lmtui serve's start queue);
- memory per visitor (median): the resident memory of the visitor's process tree (its app and,
  with a figure open, that app's simulation process), with the course open, then with chapter 2's
  simulation figure open; and the server's own RSS;
- key latency (key sent to its screen change arriving) with every third visitor running its
  simulation and the others moving between parameters;
- stopping: seconds from one SIGTERM to the server until every app has exited; and, separately,
  from a SIGKILL of the server until every app (now orphaned) has exited by itself.

Run by hand: python scripts/many_visitors.py --visitors 10 30
"""

from __future__ import annotations

import argparse
import asyncio
import signal
import statistics
import sys
import tempfile
import time
from pathlib import Path

import psutil

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
from serve_support import Served, Visitor, alive  # noqa: E402


def rss_mb(pids) -> list[float]:
    """Resident memory of each pid's process tree: a visitor's app and, once a figure is open, the
    simulation process it starts."""
    out = []
    for pid in pids:
        try:
            proc = psutil.Process(pid)
            out.append(sum(p.memory_info().rss for p in [proc, *proc.children(recursive=True)]) / 2**20)
        except psutil.Error:
            pass
    return out


async def settled_rss(pids, timeout: float = 120.0) -> list[float]:
    """rss_mb once it stops growing: the figure is shown before its simulation process has
    finished importing numpy and the simulation."""
    last = rss_mb(pids)
    deadline = time.perf_counter() + timeout
    while time.perf_counter() < deadline:
        await asyncio.sleep(2.0)
        now = rss_mb(pids)
        if sum(now) <= 1.01 * sum(last):
            return now
        last = now
    return last


async def key_latency(visitor: Visitor, key: str, timeout: float = 5.0) -> float | None:
    before = visitor.term.text
    t0 = time.perf_counter()
    await visitor.keys(key)
    while time.perf_counter() - t0 < timeout:
        await asyncio.sleep(0.002)
        if visitor.term.text != before:
            return time.perf_counter() - t0
    return None


def pct(values: list[float], q: float) -> float:
    values = sorted(values)
    return values[int(q * (len(values) - 1))]


async def room(served: Served, n: int) -> dict:
    visitors = [Visitor(served.url, 100, 30) for _ in range(n)]
    t0 = time.perf_counter()
    await asyncio.gather(*(v.__aenter__() for v in visitors))

    async def first_frame(v: Visitor) -> float:
        await v.wait_for("who is learning?", timeout=300)
        return time.perf_counter() - t0

    firsts = await asyncio.gather(*(first_frame(v) for v in visitors))
    for i, v in enumerate(visitors):
        await v.keys(f"learner{i:02d}\r")
    await asyncio.gather(*(v.wait_for("t:Text", timeout=300) for v in visitors))
    await asyncio.sleep(1.0)
    pids = served.app_pids()
    course_rss = rss_mb(pids)
    idle = []
    for v in visitors:
        for key in ("j", "k"):
            latency = await key_latency(v, key)
            if latency is not None:
                idle.append(latency)
    for v in visitors:  # chapter 2's simulation figure
        await v.keys("n")
        await asyncio.sleep(0.05)
        await v.keys("n")
        await asyncio.sleep(0.05)
        await v.keys("f")
    await asyncio.gather(*(v.wait_for("ready (s: run)", timeout=300) for v in visitors))
    sim_rss = await settled_rss(pids)
    server_rss = psutil.Process(served.proc.pid).memory_info().rss / 2**20
    used = psutil.virtual_memory().used / 2**30
    runners = visitors[::3]
    for v in runners:
        await v.keys("s")
    busy = []
    for v in visitors:
        if v in runners:
            continue
        for key in ("\x1b[B", "\x1b[A", "\x1b[B", "\x1b[A"):
            latency = await key_latency(v, key)
            if latency is not None:
                busy.append(latency)
            await asyncio.sleep(0.05)
    return dict(visitors=visitors, firsts=firsts, course_rss=course_rss, sim_rss=sim_rss, server_rss=server_rss,
                used=used, idle=idle, busy=busy, runners=len(runners), pids=pids)


async def close_all(visitors: list[Visitor]) -> None:
    await asyncio.gather(*(v.close() for v in visitors), return_exceptions=True)


def measure(n: int, stop: str) -> None:
    with tempfile.TemporaryDirectory(prefix="lmtui-visitors-") as tmp:
        with Served(Path(tmp)) as served:
            loop = asyncio.new_event_loop()
            r = loop.run_until_complete(room(served, n))
            pids = r["pids"]
            t0 = time.perf_counter()
            served.proc.send_signal(signal.SIGTERM if stop == "term" else signal.SIGKILL)
            while alive(pids) and time.perf_counter() - t0 < 120:
                time.sleep(0.05)
            stopped = time.perf_counter() - t0
            left = len(alive(pids))
            loop.run_until_complete(close_all(r["visitors"]))
            loop.close()
    firsts = r["firsts"]
    print(f"N={n:3d}: first frame (name screen) median {statistics.median(firsts):5.1f} s, slowest {max(firsts):5.1f} s "
          f"(all {n} connecting at once)")
    print(f"       memory per visitor (its process tree), median: {statistics.median(r['course_rss']):5.1f} MB with the course open, "
          f"{statistics.median(r['sim_rss']):5.1f} MB with a simulation figure open; server {r['server_rss']:.0f} MB; "
          f"machine memory in use {r['used']:.1f} GiB")
    print(f"       key latency, all idle: median {statistics.median(r['idle']) * 1000:4.0f} ms, "
          f"p95 {pct(r['idle'], 0.95) * 1000:4.0f} ms ({len(r['idle'])} keys)")
    if r["busy"]:
        print(f"       key latency, {r['runners']} of {n} running a simulation: median "
              f"{statistics.median(r['busy']) * 1000:4.0f} ms, p95 {pct(r['busy'], 0.95) * 1000:4.0f} ms "
              f"({len(r['busy'])} keys)")
    how = "one SIGTERM to the server" if stop == "term" else "SIGKILL of the server (apps orphaned)"
    print(f"       {how}: every app gone after {stopped:4.1f} s" + (f" ({left} LEFT RUNNING)" if left else ""))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--visitors", type=int, nargs="+", default=[10, 30])
    parser.add_argument("--stop", choices=["term", "kill"], default="term",
                        help="how the server is stopped at the end (kill: measure orphans ending themselves)")
    args = parser.parse_args()
    print(f"{psutil.cpu_count()} cores, {psutil.virtual_memory().total / 2**30:.0f} GiB")
    for n in args.visitors:
        measure(n, args.stop)
    return 0


if __name__ == "__main__":
    sys.exit(main())
