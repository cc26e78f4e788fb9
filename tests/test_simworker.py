"""Simulations run in the app's own simulation process: started when a figure needs it (a plain
start has none), ended with the app; one that dies or hangs mid-run is reported on the figure and
replaced by the next run, and the app goes on."""

from __future__ import annotations

import asyncio
import os
import signal

import psutil

from lmtui.tui.app import LmtuiApp

from conftest import wait_for_workers
from figures_support import current_pane, open_figure, run_tiny, set_param


async def until(condition, timeout: float = 20.0) -> bool:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not condition() and loop.time() < deadline:
        await asyncio.sleep(0.05)
    return condition()


async def start_long_run(pilot, hang_after: float | None = None):
    await open_figure(pilot, "lm-mech-interp", "sim:grokking")
    pane = current_pane(pilot.app)
    if hang_after is not None:
        pilot.app.services.simulations.hang_after = hang_after
    for name, value in (("steps", "10000"), ("hidden", "256"), ("p", "41")):  # several seconds on a fast,
        await set_param(pilot, pane, name, value)  # quiet machine: long enough to break it mid-run
    await pilot.press("s")
    assert await until(lambda: pane.runner.last_frame is not None), "no frame from the simulation process"
    return pane


async def test_a_plain_start_has_no_simulation_process_and_a_figure_starts_one_that_ends_with_the_app():
    app = LmtuiApp()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        await pilot.pause()
        assert app.services._simulations is None
        await open_figure(pilot, "solvable-settings", "sim:deep_linear")
        assert await until(lambda: app.services.simulations.pid is not None)
        process = psutil.Process(app.services.simulations.pid)
        assert process.ppid() == os.getpid()
        # nicer than the interface: when both want the same core, the keys are answered first
        assert await until(lambda: process.nice() > psutil.Process().nice(), 5)
    assert await until(lambda: not process.is_running() or process.status() == psutil.STATUS_ZOMBIE, 5)


async def test_a_simulation_process_killed_mid_run_is_reported_and_replaced():
    app = LmtuiApp()
    async with app.run_test(size=(80, 24)) as pilot:
        pane = await start_long_run(pilot)
        first = app.services.simulations.pid
        os.kill(first, signal.SIGKILL)
        assert await until(lambda: not pane.running)
        await pilot.pause()
        assert "the simulation process ended" in pane._verdict.text
        assert app.is_running and app._exception is None
        await run_tiny(pilot, pane)  # the next run: a new process
        assert pane.state.result is not None and app.services.simulations.pid not in (None, first)
        assert app.services.simulations.started == 2


async def test_a_hung_simulation_process_is_ended_and_replaced():
    app = LmtuiApp()
    async with app.run_test(size=(80, 24)) as pilot:
        pane = await start_long_run(pilot, hang_after=2.0)
        hung = app.services.simulations.pid
        os.kill(hung, signal.SIGSTOP)  # alive, silent
        try:
            assert await until(lambda: not pane.running)
            await pilot.pause()
            assert "stopped answering" in pane._verdict.text
        finally:
            if psutil.pid_exists(hung):
                os.kill(hung, signal.SIGKILL)
        await run_tiny(pilot, pane)
        assert pane.state.result is not None and app.services.simulations.pid != hung
        await wait_for_workers(app)


def test_a_run_started_during_an_idle_wait_is_not_taken_for_a_hang() -> None:
    """The reader waits 1 s at a time while idle; a run that starts in that wait and has sent
    nothing when it ends (a process still importing) is given HANG_AFTER, not ended at once."""
    from lmtui.tui.simworker import SimWorker

    worker = SimWorker()
    got: list[str] = []

    class Process:
        killed = False
        returncode = 0

        def poll(self):
            return None

        def kill(self):
            self.killed = True

        def wait(self, timeout=None):
            return 0

    class Conn:
        polls = 0

        def poll(self, timeout):
            self.polls += 1
            if self.polls == 1:  # idle: a run starts meanwhile, and nothing arrives yet
                worker._runs[1] = lambda kind, token, payload: got.append(kind)
                return False
            if self.polls == 2:
                return True
            raise EOFError

        def recv(self):
            return ("done", 1, None)

    process = Process()
    worker._process = process
    worker._read(process, Conn())
    assert got == ["done"] and not process.killed


def test_the_first_frame_with_something_to_draw_is_sent_at_once() -> None:
    """Frames go at most one per FRAME_INTERVAL, but the first one with a measurement or a
    prediction in it goes at once: deep_linear's first frames only say it is solving its ODEs, and
    its whole default run is shorter than the interval."""
    import threading
    from collections import deque
    from multiprocessing import Pipe

    from lmtui.core.simworker import _has_data, _run
    from lmtui.sims.registry import get

    ours, theirs = Pipe()
    sent: list[tuple] = []
    reader = threading.Thread(target=lambda: sent.extend(iter(ours.recv, None)), daemon=True)
    reader.start()
    _run(theirs, deque(), (1, "deep_linear", {}, 0))
    theirs.send(None)
    reader.join(10)
    assert [m[0] for m in sent][-1] == "done"
    first = next(f for f in get("deep_linear").start({}, 0) if _has_data(f))
    frames = [m[3] for m in sent if m[0] == "frame"]
    assert any((f.step, f.total, f.message) == (first.step, first.total, first.message) for f in frames)


async def test_while_keys_arrive_chart_frames_wait_for_a_pause_and_still_come_now_and_then():
    """A held key (a key every 30 ms) and a streaming run: the chart is drawn at most about once
    a FRAME_AT_LEAST while the keys come, each key is answered, and the newest frame is drawn
    once they stop."""
    from textual import events

    app = LmtuiApp()
    async with app.run_test(size=(100, 30)) as pilot:
        pane = await start_long_run(pilot)
        shown = []
        real = pane._chart.show
        pane._chart.show = lambda *a, **k: (shown.append(asyncio.get_running_loop().time()), real(*a, **k))[1]
        loop = asyncio.get_running_loop()
        t0 = loop.time()
        keys = 0
        while loop.time() - t0 < 2.5:
            key = events.Key("down" if keys % 2 == 0 else "up", None)
            key.set_sender(app)
            app.post_message(key)
            keys += 1
            await asyncio.sleep(0.03)
        during = len(shown)
        assert 1 <= during <= 4, (during, keys)  # frames come 4 a second: 10 without waiting
        assert await until(lambda: len(shown) > during, 2.0)  # the keys stopped: the newest frame
        assert pane.running
        await pilot.press("s")  # stop it
