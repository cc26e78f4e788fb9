"""One engine for running a simulation for a view: the figure view's SimPane, the quiz's predict
cards and the room's spread each own a ``SimRunner``, so they stream and stop the same way.

The simulation runs in the app's simulation process (``services(owner).simulations``, started
the first time one is needed), never in the interface's: keys are answered at once however long
it computes. ``start`` asks for a run; the owner gets ``Frame`` (at most one per 0.25 s, and a
newer one replaces one not yet shown), then ``Finished`` with the result and its chart, or
``Failed`` (the simulation raised, or its process died or hung: a new one serves the next run).
``stop`` ends it. Every message carries the run's token, so a late message from a stopped run is
dropped (``is_current``). Removing the owner stops its run.
"""

from __future__ import annotations

import time
from typing import Any

from textual.message import Message
from textual.widget import Widget

from lmtui.tui.services import services


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

    def warm(self, sim: Any = None) -> None:
        """Start the simulation process now (with ``sim``'s module), so a run starts at once."""
        services(self.owner).simulations.warm(sim if isinstance(sim, str) or sim is None else sim.name)

    def start(self, sim, params: dict[str, Any], seed: int) -> int:
        """Start ``sim`` (a Simulation or a registry name; ``params`` are resolved in the
        simulation process) at ``params`` and ``seed``; returns the run's token."""
        self.stop()
        self.running = True
        self.started_at = time.monotonic()
        self.last_frame = None
        name = sim if isinstance(sim, str) else sim.name
        self.token = services(self.owner).simulations.run(self._deliver, name, dict(params), seed)
        return self.token

    def stop(self) -> bool:
        """Stop the run in progress, if any; True if there was one."""
        if not self.running:
            return False
        self.running = False
        services(self.owner).simulations.stop(self.token)
        return True

    def is_current(self, message: Frame | Finished | Failed) -> bool:
        return self.running and message.token == self.token

    def ended(self, message: Finished | Failed) -> bool:
        """Take the end of a run: True (and not running any more) if it is the current run's."""
        if not self.is_current(message):
            return False
        self.running = False
        return True

    def _deliver(self, kind: str, token: int, payload: tuple) -> None:
        """From the simulation process's reader thread: the run's news, as the owner's messages."""
        owner = self.owner
        if kind == "frame":
            owner.post_message(self.Frame(token, payload[0], payload[1]))
        elif kind == "done":
            owner.post_message(self.Finished(token, payload[0], payload[1]))
        elif kind == "failed":
            owner.post_message(self.Failed(token, RuntimeError(payload[0])))
