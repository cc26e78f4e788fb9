#!/usr/bin/env python3
"""Benchmark lmtui as a person over SSH meets it: in a real pseudo-terminal. Run by hand, not in CI.

Prints, each the median over --runs runs (default 5) on this machine:
  - time to first useful frame of `lmtui` and of a minimal Textual app, measured in the same run,
    and their ratio (goal: lmtui within 1.3x);
  - chapter-switch time, key `n` to the next chapter's title on screen (goal: < 100 ms);
  - bytes written while idle, 3 s after the screen settles (goal: 0);
  - peak RSS after visiting every chapter, before any simulation (goal: < 80 MB);
  - a default simulation (chapter 7's grokking at 100x30), which runs in the app's simulation
    process: its run time quiet and while the parameters are walked one key at a time (each key
    waits for its screen), their ratio, and that key-to-screen latency (goal: median < 50 ms,
    p95 < 150 ms); `s` to the first chart frame of a quiet run once the simulation process is warm
    (goal < 0.3 s); bytes written per run (goal: < 300 KB) and per key while it streams; bytes per
    second once the run has finished (goal: 0). For an arrow key held down (a key every 33 ms,
    deep_linear and grokking), see scripts/bench_held.py.

Needs pyte and psutil (the test extra). Usage: python scripts/bench_app.py [--runs N] [--skip-sim]
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
from ptysession import PtySession, byte_compile, lmtui_argv  # noqa: E402

MINIMAL_APP = """
from textual.app import App
from textual.widgets import Footer, Static
class Minimal(App):
    def compose(self):
        yield Static("minimal ready")
        yield Footer()
Minimal().run()
"""


# The same minimal app, showing what lmtui's first frame shows: the first page of the course as a
# Rich Markdown renderable. The difference to it is what lmtui itself costs beyond drawing a page.
PAGE_APP = """
import sys
from rich.markdown import Markdown
from textual.app import App
from textual.containers import VerticalScroll
from textual.widgets import Footer, Static
text = open(sys.argv[1], encoding="utf-8").read()
class Page(App):
    def compose(self):
        yield Static("page ready")
        with VerticalScroll():
            yield Static(Markdown(text))
        yield Footer()
Page().run()
"""


def fresh_env() -> dict[str, str]:
    # a fresh progress store, as a new learner has; the user cache (the parsed course, the page the
    # last run ended on) stays warm, as it is for every start after the first
    return {"LMTUI_HOME": tempfile.mkdtemp(prefix="lmtui-bench-")}


def warm_start() -> None:
    """One start that ends as a learner ends it (q), so the user cache holds what any earlier
    start leaves: the parsed course and the first page as drawn at this size."""
    s = PtySession(lmtui_argv(), env=fresh_env())
    try:
        s.wait_for("t:Text")
        s.settle()
        s.quit()
    finally:
        s.close()


def first_page_file() -> str:
    from lmtui.core.course import load_course

    path = Path(tempfile.mkdtemp(prefix="lmtui-bench-page-")) / "page.md"
    path.write_text(load_course().chapters[0].pages[0].markdown, encoding="utf-8")
    return str(path)


def time_to(argv: list[str], ready: str, env: dict[str, str] | None = None) -> float:
    s = PtySession(argv, env=env)
    t = s.wait_for(ready)
    took = time.perf_counter() - s.t0 if t is not None else float("nan")
    s.close()
    return took


def bench_startup(runs: int) -> None:
    page = first_page_file()
    warm_start()
    lm, mini, paged = [], [], []
    for _ in range(runs):  # interleaved, so a busy moment hits all three alike
        lm.append(time_to(lmtui_argv(), "t:Text", fresh_env()))
        mini.append(time_to([sys.executable, "-c", MINIMAL_APP], "minimal ready"))
        paged.append(time_to([sys.executable, "-c", PAGE_APP, page], "page ready"))
    a, b, c = statistics.median(lm), statistics.median(mini), statistics.median(paged)
    print(f"time to first useful frame: lmtui {a * 1000:.0f} ms, minimal Textual app {b * 1000:.0f} ms, ratio {a / b:.2f} (goal <= 1.3)")
    print(f"  a minimal app showing the same first page (Rich Markdown in a Static): {c * 1000:.0f} ms; lmtui / that: {a / c:.2f}")


def bench_navigation(runs: int) -> None:
    from lmtui.core.course import load_course

    titles = [c.title for c in load_course().chapters]
    switches, idle, rss = [], [], []
    for _ in range(runs):
        s = PtySession(lmtui_argv(), env=fresh_env())
        s.wait_for("t:Text")
        s.settle()
        for title in titles[1:]:
            start = time.perf_counter()
            s.send("n")
            if s.wait_for(f"{title} |", timeout=5) is not None:
                switches.append(time.perf_counter() - start)
            s.settle(0.2)
        s.settle(0.5)
        before = s.bytes
        s.pump(3.0)
        idle.append((s.bytes - before) / 3.0)
        rss.append(s.peak_rss / 2**20)
        s.close()
    print(f"chapter switch (n -> next title on screen): median {statistics.median(switches) * 1000:.0f} ms, "
          f"p95 {sorted(switches)[int(0.95 * (len(switches) - 1))] * 1000:.0f} ms over {len(switches)} switches (goal < 100 ms)")
    print(f"bytes written while idle: median {statistics.median(idle):.0f} B/s (goal 0)")
    print(f"peak RSS before any simulation: median {statistics.median(rss):.1f} MB (goal < 80 MB)")


RUNNING = re.compile(r"running \[[#-]{10}\] (\d+)/(\d+) ")


def bench_simulation(runs: int) -> None:
    """Chapter 7's grokking run (the longest default run): open it, start it and walk the
    parameters while it runs; then the same run again, quiet."""
    from lmtui.sims.registry import get

    sim = get("grokking")
    # what the help line starts with while each row is marked (row 0 is the seed; the pane opens on
    # row 1): the name and the first word only, as a longer piece can wrap in the side column
    helps = ["seed: random"] + [f"{p.name}: {p.help.split()[0]}" for p in sim.params]
    latencies, per_run, after, missed = [], [], [], 0
    keyed_s, quiet_s, first_frame = [], [], []
    keyed_bytes: list[int] = []
    keyed_keys: list[int] = []
    for _ in range(runs):
        s = PtySession(lmtui_argv(), cols=100, rows=30, env=fresh_env())
        s.wait_for("t:Text")
        s.settle()
        s.send("p")  # nothing before chapter 0; harmless
        for _ in range(7):
            s.send("n")
            s.settle(0.3)
        s.send("f")
        s.settle(0.3)
        s.send("f")  # figure 2/2
        s.wait_for("ready (s: run)", timeout=20)
        s.settle(0.3)
        start_bytes = s.bytes
        keys_before = len(latencies)
        s.send("s")
        t_start = time.perf_counter()
        # walk the parameter list while the simulation runs. A key counts when the focused
        # parameter's help line appears: the chart redraws on its own, so "the screen changed"
        # would time the next frame, not the key
        while "done in" not in s.text() and "diverged" not in s.text() and time.perf_counter() - t_start < 30:
            down = len(latencies) % 2 == 0
            expect = helps[2 if down else 1]
            t0 = time.perf_counter()
            s.send("\x1b[B" if down else "\x1b[A")
            while time.perf_counter() - t0 < 2.0:
                s.pump(0.002)
                if expect in s.text():
                    latencies.append(time.perf_counter() - t0)
                    break
            else:
                missed += 1
            s.pump(0.05)
        keyed_s.append(time.perf_counter() - t_start)
        s.settle(0.5)
        keyed_bytes.append(s.bytes - start_bytes)
        keyed_keys.append(len(latencies) - keys_before)
        before = s.bytes
        s.pump(3.0)
        after.append((s.bytes - before) / 3.0)
        # the same run again with no keys: what the chart stream alone costs
        start_bytes, t_start = s.bytes, time.perf_counter()
        s.send("s")
        first, started = None, False
        while time.perf_counter() - t_start < 60:
            s.pump(0.002)
            text = s.text()
            m = RUNNING.search(text)
            started = started or m is not None
            if first is None and m is not None and m.group(1, 2) != ("0", "1"):  # the run's first frame
                first = time.perf_counter() - t_start
            if started and m is None and "done in" in text:
                break
        quiet_s.append(time.perf_counter() - t_start)
        if first is not None:
            first_frame.append(first)
        s.settle(0.5)
        per_run.append(s.bytes - start_bytes)
        s.close()
    quiet, keyed = statistics.median(quiet_s), statistics.median(keyed_s)
    print(f"grokking run at 100x30, s to done: quiet median {quiet:.2f} s, while walking the parameters median "
          f"{keyed:.2f} s (ratio {keyed / quiet:.2f}; held-key goal <= 1.5x quiet + 0.3 s: scripts/bench_held.py)")
    lat = sorted(latencies)
    if lat:
        print(f"key-to-screen latency while a simulation runs: median {statistics.median(lat) * 1000:.0f} ms, "
              f"p95 {lat[int(0.95 * (len(lat) - 1))] * 1000:.0f} ms over {len(lat)} keys, {missed} not shown within 2 s (goal < 50 / < 150 ms)")
    if first_frame:
        print(f"s to the first chart frame, simulation process warm: median {statistics.median(first_frame) * 1000:.0f} ms (goal < 300 ms)")
    print(f"bytes per simulation run at 100x30 (the chart stream, no keys): median {statistics.median(per_run) / 1024:.0f} KB (goal < 300 KB)")
    per_key = [b / k for b, k in zip(keyed_bytes, keyed_keys) if k]
    if per_key:
        print(f"bytes per key while a run streams (parameter walk, chart frames included): median "
              f"{statistics.median(per_key) / 1024:.1f} KB over runs of {statistics.median(keyed_keys):.0f} keys "
              f"(whole keyed run: median {statistics.median(keyed_bytes) / 1024:.0f} KB)")
    print(f"bytes per second after the run finished: median {statistics.median(after):.0f} B/s (goal 0)")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--skip-sim", action="store_true")
    parser.add_argument("--only-sim", action="store_true")
    parser.add_argument("--only-startup", action="store_true", help="just the first-frame comparison")
    args = parser.parse_args()
    os.chdir(Path(__file__).resolve().parent.parent)
    byte_compile()
    print(f"lmtui benchmark, {args.runs} runs each, {os.cpu_count()} cores, python {sys.version.split()[0]}")
    if not args.only_sim:
        bench_startup(args.runs)
        if args.only_startup:
            return 0
        bench_navigation(args.runs)
    if not args.skip_sim:
        bench_simulation(args.runs)
    return 0


if __name__ == "__main__":
    sys.exit(main())
