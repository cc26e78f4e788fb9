#!/usr/bin/env python3
"""A long session: cycle through every chapter and run every simulation (tiny settings, typed in
through the UI), --cycles times (default 50), in one app. Prints RSS after each cycle, the growth
after the first cycle (goal < 10%), and the workers and threads left at the end (goal: none
running). Run by hand: python scripts/soak.py [--cycles 50]
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import sys
import tempfile
import threading
import time
from pathlib import Path

import psutil

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

from textual.worker import WorkerState  # noqa: E402

from figures_support import current_pane, open_figure, run_tiny  # noqa: E402
from lmtui.tui.app import LmtuiApp  # noqa: E402


async def soak(cycles: int) -> None:
    app = LmtuiApp(home=tempfile.mkdtemp(prefix="lmtui-soak-"))
    proc = psutil.Process()
    rss: list[float] = []
    t0 = time.perf_counter()
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        for cycle in range(cycles):
            for chapter in app.course.chapters:
                for key in ("t", "right_square_bracket", "z"):
                    app.open_chapter(chapter.id) if key == "t" else None
                    await pilot.press(key)
                for figure in chapter.figures:
                    await open_figure(pilot, chapter.id, str(figure))
                    if figure.kind == "sim":
                        await run_tiny(pilot, current_pane(app))
            app.services.forget_figures()  # the session keeps the last result per figure; start each cycle equal
            gc.collect()
            rss.append(proc.memory_info().rss / 2**20)
            print(f"cycle {cycle + 1:3d}: RSS {rss[-1]:6.1f} MB  ({time.perf_counter() - t0:6.1f} s)", flush=True)
        running = [w for w in app.workers if w.state in (WorkerState.PENDING, WorkerState.RUNNING)]
    busy_threads = [t.name for t in threading.enumerate() if not t.name.startswith(("MainThread", "asyncio_"))]
    growth = (max(rss[1:]) - rss[0]) / rss[0] * 100 if len(rss) > 1 else 0.0
    print(f"RSS after cycle 1: {rss[0]:.1f} MB, max after: {max(rss):.1f} MB, last: {rss[-1]:.1f} MB, growth {growth:+.1f}% (goal < 10%)")
    print(f"workers still running at the end: {len(running)}; non-pool threads left: {busy_threads or 'none'}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--cycles", type=int, default=50)
    args = parser.parse_args()
    asyncio.run(soak(args.cycles))
    return 0


if __name__ == "__main__":
    sys.exit(main())
