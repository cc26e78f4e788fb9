#!/usr/bin/env python3
"""Simulation runs with a key held down, in a real pseudo-terminal. Run by hand, not in CI.

For each simulation (default: chapter 2's `deep_linear` figure and chapter 7's `grokking`, figure
2/2), at 100x30 by default, alternating quiet and held rounds, each in a fresh app and home:
  - run time, `s` to "done in" on screen: quiet, and with an arrow key every --interval seconds
    (a held key); medians and their ratio (goal: held <= 1.5 x quiet + 0.3 s);
  - key latency while held: from each key's write until the screen shows the parameter it marks
    (the chart redraws on its own, so "the screen changed" would time the next frame, not the
    key); median and p95 (goal: < 50 ms and < 150 ms);
  - `s` to the first chart frame of a second run in the same app (the simulation process, if
    any, already started; goal < 0.3 s);
  - peak memory of the app's process tree (the interface plus any worker, resident set sizes
    summed by psutil) with the figure open and running.

The held key walks the parameter list down to its end and back up (each key moves the mark by
one row), so every key has a visible effect and keys of a burst can be told apart.

Usage: python scripts/bench_held.py [--rounds N] [--sims deep_linear,grokking] [--interval 0.033]
Needs pyte and psutil (the test extra). It starts `python -m lmtui` from the interpreter running
it, so running it with another checkout's interpreter measures that checkout.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
from ptysession import PtySession, byte_compile, lmtui_argv  # noqa: E402

# keys from a fresh start (chapter 0) to each figure
NAV = {
    "deep_linear": ["n", "n", "f"],
    "grokking": ["n"] * 7 + ["f", "f"],
}
DOWN, UP = "\x1b[B", "\x1b[A"
RUNNING = re.compile(r"running \[[#-]{10}\] (\d+)/(\d+) ")


def row_markers(name: str) -> list[str]:
    """What the help line starts with while each parameter row (the seed first) is marked."""
    from lmtui.sims.registry import get

    # the name and the first word only: a longer piece could be wrapped onto the next line
    return ["seed: random"] + [f"{p.name}: {p.help.split()[0]}" for p in get(name).params]


def marked_row(text: str, markers: list[str]) -> int | None:
    for i, m in enumerate(markers):
        if m in text:
            return i
    return None


def open_figure(name: str, cols: int, rows: int) -> PtySession:
    from lmtui.sims.registry import get

    s = PtySession(lmtui_argv(), cols=cols, rows=rows, env={"LMTUI_HOME": tempfile.mkdtemp(prefix="lmtui-held-")})
    if s.wait_for("t:Text", timeout=30) is None:
        raise SystemExit(f"lmtui did not start:\n{s.text()}")
    s.settle(0.3)
    for key in NAV[name]:
        s.send(key)
        s.settle(0.3)
    if s.wait_for("ready (s: run)", timeout=30) is None or get(name).title[:20] not in s.text():
        raise SystemExit(f"{name}: the figure did not open with keys {NAV[name]}:\n{s.text()}")
    s.settle(0.3)
    return s


def first_frame_shown(text: str) -> bool:
    m = RUNNING.search(text)
    return (m is not None and (m.group(1), m.group(2)) != ("0", "1")) or "done in" in text


def one_round(name: str, interval: float, cols: int, rows: int, timeout: float) -> dict:
    markers = row_markers(name)
    s = open_figure(name, cols, rows)
    try:
        row = marked_row(s.text(), markers)
        sent: list[tuple[float, int]] = []  # (write time, row the key marks)
        shown_upto = -1  # keys up to this index are on screen
        latencies: list[float] = []
        direction = 1
        s.send("s")
        t0 = time.perf_counter()
        next_key = t0 + interval
        elapsed = None
        while time.perf_counter() - t0 < timeout:
            now = time.perf_counter()
            if interval and now >= next_key:
                last = sent[-1][1] if sent else row
                if last is None:
                    raise SystemExit(f"{name}: no parameter marked:\n{s.text()}")
                if not 0 <= last + direction < len(markers):
                    direction = -direction
                s.send(DOWN if direction > 0 else UP)
                sent.append((time.perf_counter(), last + direction))
                next_key += interval
            s.pump(0.002)
            text = s.text()
            if sent:
                # keys act in order: the first unshown key that marks the row on screen is the
                # latest one shown (the fewest keys consistent with the screen: never too early)
                on_screen = marked_row(text, markers)
                for i in range(shown_upto + 1, len(sent)):
                    if sent[i][1] == on_screen:
                        at = time.perf_counter()
                        latencies += [at - sent[k][0] for k in range(shown_upto + 1, i + 1)]
                        shown_upto = i
                        break
            if "done in" in text:
                elapsed = time.perf_counter() - t0
                break
        if elapsed is None:
            print(f"{name}: no 'done in' within {timeout:.0f} s; the screen:\n{text}", file=sys.stderr)
        s.settle(0.5)
        # a second run in the same app: `s` to its first chart frame
        s.send("s")
        t1 = time.perf_counter()
        # the status says "running" once the run starts, then shows its first frame's step (or
        # "done in" again, for a run whose first frame is its last)
        first, started = None, False
        while time.perf_counter() - t1 < 10:
            s.pump(0.002)
            text = s.text()
            started = started or RUNNING.search(text) is not None
            if started and first_frame_shown(text):
                first = time.perf_counter() - t1
                break
        s.wait_for("done in", timeout=timeout)
        s.settle(0.3)
        return {"elapsed": elapsed, "latencies": latencies, "unshown": len(sent) - 1 - shown_upto,
                "first_frame": first, "peak_mb": s.peak_rss / 2**20}
    finally:
        s.close()


def p95(values: list[float]) -> float:
    v = sorted(values)
    return v[int(0.95 * (len(v) - 1))]


def ms(x: float | None) -> str:
    return "-" if x is None else f"{x * 1000:.0f} ms"


def bench(name: str, rounds: int, interval: float, cols: int, rows: int, timeout: float) -> dict:
    quiet, held, lat, first, peak, unshown = [], [], [], [], [], 0
    for _ in range(rounds):  # alternating, so a busy moment hits both alike
        q = one_round(name, 0.0, cols, rows, timeout)
        h = one_round(name, interval, cols, rows, timeout)
        quiet.append(q["elapsed"] if q["elapsed"] is not None else float("inf"))
        held.append(h["elapsed"] if h["elapsed"] is not None else float("inf"))
        lat += h["latencies"]
        unshown += h["unshown"]
        first += [r["first_frame"] for r in (q, h) if r["first_frame"] is not None]
        peak += [q["peak_mb"], h["peak_mb"]]
    qm, hm = statistics.median(quiet), statistics.median(held)
    out = {
        "sim": name, "rounds": rounds, "interval_s": interval,
        "quiet_s": [round(x, 3) for x in quiet], "held_s": [round(x, 3) for x in held],
        "quiet_median_s": round(qm, 3), "held_median_s": round(hm, 3),
        "ratio": round(hm / qm, 2) if qm and hm != float("inf") else None,
        "held_goal_s": round(1.5 * qm + 0.3, 3), "held_within_goal": hm <= 1.5 * qm + 0.3 < float("inf"),
        "key_ms_median": round(1000 * statistics.median(lat), 1) if lat else None,
        "key_ms_p95": round(1000 * p95(lat), 1) if lat else None, "keys": len(lat), "keys_never_shown": unshown,
        "s_to_first_frame_ms_median": round(1000 * statistics.median(first), 1) if first else None,
        "peak_tree_rss_mb_median": round(statistics.median(peak), 1), "peak_tree_rss_mb_max": round(max(peak), 1),
    }
    print(f"{name}: quiet {qm:.2f} s, held {hm:.2f} s (ratio {out['ratio']}; goal held <= {out['held_goal_s']:.2f} s: "
          f"{'met' if out['held_within_goal'] else 'missed'}); key latency median {ms(statistics.median(lat) if lat else None)}, "
          f"p95 {ms(p95(lat) if lat else None)} over {len(lat)} keys; s to first frame (second run) "
          f"{ms(statistics.median(first) if first else None)}; peak memory of the process tree {out['peak_tree_rss_mb_median']:.0f} MB "
          f"(max {out['peak_tree_rss_mb_max']:.0f})", flush=True)
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--sims", default="deep_linear,grokking")
    parser.add_argument("--interval", type=float, default=0.033, help="seconds between held keys")
    parser.add_argument("--cols", type=int, default=100)
    parser.add_argument("--rows", type=int, default=30)
    parser.add_argument("--timeout", type=float, default=120, help="give up on a run after this many seconds")
    parser.add_argument("--json", action="store_true", help="also print each result as one JSON line")
    args = parser.parse_args()
    os.chdir(tempfile.mkdtemp(prefix="lmtui-held-cwd-"))  # `python -m lmtui` must not find a checkout here
    byte_compile()
    print(f"held keys at {args.cols}x{args.rows}, {args.rounds} rounds, a key every {args.interval * 1000:.0f} ms, "
          f"{os.cpu_count()} cores, load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}", flush=True)
    for name in args.sims.split(","):
        out = bench(name, args.rounds, args.interval, args.cols, args.rows, args.timeout)
        if args.json:
            print(json.dumps(out), flush=True)
    print(f"load average after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
