"""One engine for running a simulation from a widget: the figure view's SimPane and the quiz's
predict questions both use it, so they stream, pause for keys and cancel the same way.

``start_run`` starts a thread worker that drives the simulation's frame generator and posts at most
one ``FrameReady`` per FRAME_INTERVAL (an SSH link is not flooded), then ``Finished`` with the
result and its chart; a failure posts ``Failed``. ``cancel_run`` stops it at the next frame (the
simulations yield every ~50 ms). Every message carries the run's token, so a late message from a
cancelled run is dropped. Workers die with their widget: leaving the chapter cancels the run.
"""

from __future__ import annotations

import time
from typing import Any

from textual import work
from textual.message import Message
from textual.worker import Worker, WorkerState, get_current_worker

FRAME_INTERVAL = 0.25  # seconds between chart updates while running (<= 4 frames/s)
# Keys come first: the simulation thread holds Python's GIL for most of its run, and the UI thread
# would get half of it at best. For this long after a key (or until the key burst ends, at most
# INPUT_MAX_PAUSE) the simulation waits at its next frame.
INPUT_GRACE = 0.15
INPUT_MAX_PAUSE = 2.0
GROUP = "sim"


class SimRunner:
    """Mixin for a Widget that runs simulations."""

    class FrameReady(Message):
        def __init__(self, token: int, chart, frame) -> None:
            super().__init__()
            self.token, self.chart, self.frame = token, chart, frame

        def can_replace(self, message: Message) -> bool:
            return isinstance(message, SimRunner.FrameReady) and message.token == self.token

    class Finished(Message):
        def __init__(self, token: int, result, chart) -> None:
            super().__init__()
            self.token, self.result, self.chart = token, result, chart

    class Failed(Message):
        def __init__(self, token: int, error: BaseException) -> None:
            super().__init__()
            self.token, self.error = token, error

    running: bool = False
    run_token: int = 0
    started_at: float = 0.0
    last_frame = None

    def start_run(self, sim, params: dict[str, Any], seed: int) -> int:
        """Start ``sim`` (a Simulation, or a registry name: then its module is imported and
        ``params`` resolved in the worker, off the UI thread) at ``params`` and ``seed``; returns
        the run's token."""
        self.cancel_run()
        self.run_token += 1
        self.running = True
        self.started_at = time.monotonic()
        self.last_frame = None
        self._sim_worker(sim, params, seed, self.run_token)
        return self.run_token

    def cancel_run(self) -> bool:
        """Stop the run in progress, if any; True if there was one."""
        if not self.running:
            return False
        self.running = False
        self.run_token += 1  # whatever the old run still posts is dropped
        self.workers.cancel_group(self, GROUP)  # type: ignore[attr-defined]
        return True

    def is_current(self, message: FrameReady | Finished | Failed) -> bool:
        return self.running and message.token == self.run_token

    @work(thread=True, group=GROUP, exit_on_error=False, description="simulation")
    def _sim_worker(self, sim, params: dict[str, Any], seed: int, token: int) -> None:
        worker = get_current_worker()
        app = self.app  # type: ignore[attr-defined]
        try:
            if isinstance(sim, str):
                from lmtui.sims.registry import get

                sim = get(sim)
                params = sim.resolve(params)
            runner = sim.start(params, seed)
            last_post = 0.0
            try:
                for frame in runner:
                    if worker.is_cancelled:
                        return
                    now = time.monotonic()
                    if now - app.last_input < INPUT_GRACE:
                        paused = now
                        while (now := time.monotonic()) - app.last_input < INPUT_GRACE and now - paused < INPUT_MAX_PAUSE:
                            if worker.is_cancelled:
                                return
                            time.sleep(0.01)
                    if now - last_post >= FRAME_INTERVAL:
                        last_post = now
                        self.post_message(self.FrameReady(token, sim.chart(frame, params), frame))  # type: ignore[attr-defined]
            finally:
                runner.close()
            if worker.is_cancelled or runner.result is None:
                return
            self.post_message(self.Finished(token, runner.result, sim.chart(runner.result, params)))  # type: ignore[attr-defined]
        except Exception as error:  # a simulation that fails is reported, never takes the app down
            self.post_message(self.Failed(token, error))  # type: ignore[attr-defined]

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.state == WorkerState.ERROR and event.worker.group == GROUP and self.running:
            self.post_message(self.Failed(self.run_token, event.worker.error or RuntimeError("failed")))  # type: ignore[attr-defined]
