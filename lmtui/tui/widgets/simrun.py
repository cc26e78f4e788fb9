"""One engine for running a simulation for a view: the figure view's SimPane and the quiz's
predict cards each own a ``SimRunner``, so they stream, pause for keys and cancel the same way.

``start`` starts a thread worker that drives the simulation's frame generator and posts to the
owner at most one ``Frame`` per FRAME_INTERVAL (an SSH link is not flooded), then ``Finished``
with the result and its chart; a failure posts ``Failed``. ``stop`` ends it at the next frame (the
simulations yield every ~50 ms). Every message carries the run's token, so a late message from a
stopped run is dropped (``is_current``). The worker belongs to the owner: leaving the chapter
removes the owner and cancels the run.
"""

from __future__ import annotations

import time
from typing import Any

from textual.message import Message
from textual.widget import Widget
from textual.worker import Worker, get_current_worker

from lmtui.tui.services import services

FRAME_INTERVAL = 0.25  # seconds between chart updates while running (<= 4 frames/s)
# Keys come first: the simulation thread holds Python's GIL for most of its run, and the UI thread
# would get half of it at best. For this long after a key (or until the key burst ends, at most
# INPUT_MAX_PAUSE) the simulation waits at its next frame.
INPUT_GRACE = 0.15
INPUT_MAX_PAUSE = 2.0
GROUP = "sim"


class SimRunner:
    """Runs one simulation at a time for ``owner``, which gets the messages below."""

    class Frame(Message):
        """A frame of the run in progress and its chart; a newer one replaces it in the queue."""

        def __init__(self, token: int, chart, frame) -> None:
            super().__init__()
            self.token, self.chart, self.frame = token, chart, frame

        def can_replace(self, message: Message) -> bool:
            return isinstance(message, SimRunner.Frame) and message.token == self.token

    class Finished(Message):
        def __init__(self, token: int, result, chart) -> None:
            super().__init__()
            self.token, self.result, self.chart = token, result, chart

    class Failed(Message):
        def __init__(self, token: int, error: BaseException) -> None:
            super().__init__()
            self.token, self.error = token, error

    def __init__(self, owner: Widget) -> None:
        self.owner = owner
        self.running = False
        self.token = 0
        self.started_at = 0.0
        self.last_frame: Any = None  # the latest frame shown (lmtui.sims.base.Frame)
        self._worker: Worker[None] | None = None

    def start(self, sim, params: dict[str, Any], seed: int) -> int:
        """Start ``sim`` (a Simulation, or a registry name: then its module is imported and
        ``params`` resolved in the worker, off the UI thread) at ``params`` and ``seed``; returns
        the run's token."""
        self.stop()
        self.token += 1
        self.running = True
        self.started_at = time.monotonic()
        self.last_frame = None
        token = self.token
        self._worker = self.owner.run_worker(lambda: self._run(sim, params, seed, token), thread=True, group=GROUP,
                                             exit_on_error=False, description="simulation")
        return token

    def stop(self) -> bool:
        """Stop the run in progress, if any; True if there was one."""
        if not self.running:
            return False
        self.running = False
        self.token += 1  # whatever the old run still posts is dropped
        if self._worker is not None:
            self._worker.cancel()
            self._worker = None
        return True

    def is_current(self, message: Frame | Finished | Failed) -> bool:
        return self.running and message.token == self.token

    def ended(self, message: Finished | Failed) -> bool:
        """Take the end of a run: True (and not running any more) if it is the current run's."""
        if message.token != self.token:
            return False
        self.running = False
        self._worker = None
        return True

    def _run(self, sim, params: dict[str, Any], seed: int, token: int) -> None:
        worker = get_current_worker()
        owner = self.owner
        seen = services(owner)
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
                    if now - seen.last_input < INPUT_GRACE:
                        paused = now
                        while (now := time.monotonic()) - seen.last_input < INPUT_GRACE and now - paused < INPUT_MAX_PAUSE:
                            if worker.is_cancelled:
                                return
                            time.sleep(0.01)
                    if now - last_post >= FRAME_INTERVAL:
                        last_post = now
                        owner.post_message(self.Frame(token, sim.chart(frame, params), frame))
            finally:
                runner.close()
            if worker.is_cancelled or runner.result is None:
                return
            owner.post_message(self.Finished(token, runner.result, sim.chart(runner.result, params)))
        except Exception as error:  # a simulation that fails is reported, never takes the app down
            owner.post_message(self.Failed(token, error))
