"""No visitor can take the room down: a hostile resize is clamped, each visitor's process runs
under a memory and a CPU-time limit (inherited by what it starts), and a visitor ended by a limit
gets a message while the server and the other visitors carry on."""

from __future__ import annotations

import asyncio
import json
import os
import signal

import psutil

from lmtui.serving.serve import MAX_COLS, MAX_ROWS, clamp_size
from serve_support import Served, Visitor, alive, wait_async

MEMORY_MB = 300


def test_sizes_are_clamped_and_junk_is_refused():
    assert clamp_size(100000, 100000) == (MAX_COLS, MAX_ROWS)
    assert clamp_size("120", 40) == (120, 40)
    assert clamp_size(-5, 0) == (10, 5)
    assert clamp_size(None, 3) is None and clamp_size("wide", 3) is None and clamp_size(float("inf"), 3) is None


def _rss(pid: int) -> int:
    proc = psutil.Process(pid)
    return proc.memory_info().rss + sum(c.memory_info().rss for c in proc.children(recursive=True))


async def test_a_hostile_resize_leaves_the_visitor_small_and_the_room_working(tmp_path):
    with Served(tmp_path, "--visitor-memory", str(MEMORY_MB), "--visitor-cpu", "600") as served:
        async with Visitor(served.url) as hostile:
            await hostile.wait_for("who is learning?")
            [pid] = served.app_pids()
            limit = psutil.Process(pid).rlimit(psutil.RLIMIT_DATA)
            assert limit == (MEMORY_MB * 1024 * 1024,) * 2
            assert psutil.Process(pid).rlimit(psutil.RLIMIT_CPU) == (600, 600)
            assert psutil.Process(pid).environ().get("LMTUI_RUN_LIMIT") == "30"  # runs the app refuses over
            received = hostile.received
            await hostile.ws.send_str(json.dumps(["resize", {"width": 100000, "height": 100000}]))
            await hostile.ws.send_str(json.dumps(["resize", {"width": "x", "height": None}]))  # ignored
            await wait_async(lambda: hostile.received > received, 20)
            peak = 0
            for _ in range(30):  # three seconds of the app redrawing at the size it was given
                peak = max(peak, _rss(pid))
                await asyncio.sleep(0.1)
            assert alive([pid]) == [pid] and peak < MEMORY_MB * 1024 * 1024
            async with Visitor(served.url) as other:
                await other.wait_for("who is learning?")
                await other.keys("Bob\r")
                await other.wait_for("t:Text")
            assert alive([pid]) == [pid] and served.proc.poll() is None


async def test_a_visitor_over_a_limit_is_ended_with_a_message_and_no_one_else_is(tmp_path):
    """The kernel ends a process over its CPU time with SIGXCPU (and one over its memory fails to
    allocate and exits); the page says so, the server and the next visitor go on."""
    with Served(tmp_path) as served:
        async with Visitor(served.url) as greedy:
            await greedy.wait_for("who is learning?")
            [greedy_pid] = served.app_pids()
            async with Visitor(served.url) as other:
                await other.wait_for("who is learning?")
                os.kill(greedy_pid, signal.SIGXCPU)
                await greedy.wait_for("session ended", timeout=15)
                await other.keys("Cy\r")
                await other.wait_for("t:Text")
                assert "session ended" not in other.term.text
                assert served.proc.poll() is None and len(served.app_pids()) == 1
