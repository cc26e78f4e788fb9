"""The simulation process: runs the interface's simulations, one at a time, off its process.

The interface (lmtui.tui.simworker) starts this process the first time a figure or a predict
question needs it, and talks to it over one pipe. It sends::

    ("warm", name)                      import the simulation's module now (numpy, scipy with it)
    ("run", token, name, params, seed)  run it (after the runs asked for before it)
    ("stop", token)                     stop that run, or drop it if it has not started
    ("quit",)                           end the process

and gets back, for each run::

    ("frame", token, chart, frame)      at most one per FRAME_INTERVAL while it runs
    ("done", token, result, chart)      the result and its chart
    ("failed", token, message)          the simulation raised: what it said
    ("stopped", token)                  stopped as asked

The process ends when its pipe closes (the interface ended, however it ended). No Textual here.
It is started as ``python -m lmtui.core.simworker FD``, FD being its end of the pipe.
"""

from __future__ import annotations

import time
from collections import deque
from typing import Any

FRAME_INTERVAL = 0.25  # seconds between chart frames while running (<= 4 frames/s on the link)
NICE = 10  # the process's niceness: when it and its interface want the same core, the keys win

Request = tuple[int, str, dict[str, Any], int]  # token, simulation name, parameters, seed


class _Quit(Exception):
    pass


def _take(message: tuple, pending: deque[Request], conn, current: int | None = None) -> bool:
    """Act on one message from the interface; True if it stops the run ``current``."""
    kind = message[0]
    if kind == "quit":
        raise _Quit
    if kind == "run":
        pending.append(message[1:])
    elif kind == "warm":
        from lmtui.sims.registry import get

        try:
            get(message[1])
        except Exception:  # the run reports what is wrong
            pass
    elif kind == "stop":
        token = message[1]
        if token == current:
            return True
        for request in list(pending):
            if request[0] == token:
                pending.remove(request)
                conn.send(("stopped", token))
    return False


def _has_data(frame) -> bool:
    """Whether a frame has a measurement or a prediction to draw (the first frames of some runs
    only say what the run is preparing)."""
    def drawn(value) -> bool:
        try:
            return len(value) > 0
        except TypeError:
            return value is not None

    return bool(frame.prediction) or any(drawn(v) for v in frame.series.values())


def _run(conn, pending: deque[Request], request: Request) -> None:
    from lmtui.sims.registry import get

    token, name, params, seed = request
    try:
        sim = get(name)
        params = sim.resolve(params)
        runner = sim.start(params, seed)
        last, measured = 0.0, False
        try:
            for frame in runner:
                while conn.poll():  # between frames: the interface may have asked something
                    if _take(conn.recv(), pending, conn, current=token):
                        conn.send(("stopped", token))
                        return
                now = time.monotonic()
                # the first frame with something to draw goes at once, whenever the one before went
                first_data = not measured and _has_data(frame)
                if now - last >= FRAME_INTERVAL or first_data:
                    last, measured = now, measured or first_data
                    conn.send(("frame", token, sim.chart(frame, params), frame))
        finally:
            runner.close()
        if runner.result is None:
            conn.send(("failed", token, "the simulation ended without a result"))
            return
        conn.send(("done", token, runner.result, sim.chart(runner.result, params)))
    except (_Quit, EOFError, OSError):
        raise
    except Exception as error:  # a simulation that fails is reported; the process goes on
        conn.send(("failed", token, f"{type(error).__name__}: {error}"))


def serve(conn) -> None:
    """The process's whole life: requests in, runs out, until the pipe closes or ``quit``."""
    pending: deque[Request] = deque()
    try:
        while True:
            if pending:
                _run(conn, pending, pending.popleft())
            else:
                _take(conn.recv(), pending, conn)
    except (_Quit, EOFError, OSError, KeyboardInterrupt):
        return


def main(argv: list[str] | None = None) -> None:
    import os
    import sys
    from multiprocessing.connection import Connection

    try:
        os.nice(NICE)
    except (AttributeError, OSError):  # not on this system, or not allowed: the run goes on as is
        pass
    serve(Connection(int((argv if argv is not None else sys.argv)[1])))


if __name__ == "__main__":
    main()
