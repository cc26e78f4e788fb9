"""How many learners' stores `lmtui room` follows at once, and what following them costs.

For each room size (default 30, 200 and 1000 learners) it makes that many stores under a temporary
folder with the app's own record (answers, a prediction with and without a range, a place in the
course; the built-in course), then measures:

* the model (lmtui.core.room.Room.refresh): the first read of every store; a refresh when nothing
  changed (only stat calls); a refresh after 10% and after all of the stores were written;
* the start of `lmtui room DIR` in a pseudo-terminal (80x24), from the process's launch: the time
  to its first frame (the pace panel on screen) and to a filled room (the pace panel counts every
  learner), each the median over --starts launches;
* the whole `lmtui room DIR` process in a pseudo-terminal (80x24), by its CPU time from psutil and
  the bytes it writes: while the room is idle, and while the learners work (10% of the stores
  written every second, by this script, as the app writes them), each the median over slices of
  the window, with the machine's busy share (psutil) and load average over that window.

Figures are medians over --repeat runs (the model) or slices (the process). Run on a quiet machine
for absolute numbers:

    python scripts/bench_room.py [--learners 30 200 1000] [--repeat 5] [--starts 5] [--seconds 30] [--keys ml]
                                 [--parts model start process]
"""

from __future__ import annotations

import argparse
import fcntl
import os
import random
import statistics
import struct
import subprocess
import sys
import tempfile
import termios
import threading
import time
from pathlib import Path


def make_room(root: Path, n: int, seed: int = 0) -> list[tuple[str, Path]]:
    from lmtui.core.course import load_course
    from lmtui.core.progress import ProgressStore
    from lmtui.core.record import LearnerRecord

    course = load_course(None)
    rng = random.Random(seed)
    chapters = [c for c in course.chapters if c.quiz]
    out = []
    for i in range(n):
        name = f"learner{i:03d}"
        store = ProgressStore(root / name)
        record = LearnerRecord(course, store)
        for chapter in rng.sample(chapters, k=min(3, len(chapters))):
            record.mark_read(chapter.id)
            for q in chapter.quiz:
                if q.predict is None and q.choices:
                    record.answer(chapter, q, rng.randint(1, len(q.choices)))
                elif q.predict is not None and not q.choices:
                    value = rng.lognormvariate(0, 1)
                    if rng.random() < 0.5:
                        record.predict(chapter, q, value=value, low=value * 0.8, high=value * 1.2)
                    else:
                        record.predict(chapter, q, value=value)
            record.set_place(chapter.id, page=0, view=rng.choice(("text", "figure", "quiz")))
        store.close()
        out.append((name, root / name))
    return out


CHAPTERS: list[str] = []


def touch(folder: Path, rng: random.Random) -> None:
    """One learner's action as the app writes it: a move to a chapter and view (the room's pace
    panel shows it when the counts change)."""
    from lmtui.core.progress import ProgressStore

    if not CHAPTERS:
        from lmtui.core.course import load_course

        CHAPTERS.extend(c.id for c in load_course(None).chapters)
    store = ProgressStore(folder)
    chapter = rng.choice(CHAPTERS)
    store.set_state("last_chapter", chapter)
    store.set_state(f"view:{chapter}", rng.choice(("text", "figure", "quiz")))
    store.close()


def ms(values: list[float]) -> str:
    return f"{statistics.median(values) * 1000:.1f} ms"


def bench_model(root: Path, stores: list[tuple[str, Path]], repeat: int) -> dict[str, list[float]]:
    from lmtui.core.course import load_course
    from lmtui.core.room import Room

    course = load_course(None)
    rng = random.Random(1)
    out: dict[str, list[float]] = {"first read": [], "nothing changed": [], "10% changed": [], "all changed": []}
    for _ in range(repeat):
        room = Room(root, course, "builtin")
        t = time.perf_counter()
        room.refresh()
        out["first read"].append(time.perf_counter() - t)
        t = time.perf_counter()
        room.refresh()
        out["nothing changed"].append(time.perf_counter() - t)
        for share, key in ((0.1, "10% changed"), (1.0, "all changed")):
            for _, folder in rng.sample(stores, k=max(1, int(len(stores) * share))):
                touch(folder, rng)
            t = time.perf_counter()
            room.refresh()
            out[key].append(time.perf_counter() - t)
    assert len(room.seats) == len(stores), (len(room.seats), room.unreadable)
    return out


def bench_start(root: Path, n: int, starts: int) -> dict[str, list[float]]:
    """Seconds from launching `lmtui room` to its first frame (the pace panel drawn) and to the
    room filled (the pace panel counting all ``n`` learners), over ``starts`` launches."""
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
    from ptysession import PtySession, byte_compile, lmtui_argv

    byte_compile()
    out: dict[str, list[float]] = {"first frame": [], "room filled": []}
    for _ in range(starts):
        session = PtySession(lmtui_argv("room", str(root)), cols=80, rows=24)
        try:
            for key, needle in (("first frame", "Pace"), ("room filled", f"Pace: {n} learners")):
                if session.wait_for(needle, timeout=120) is None:
                    raise SystemExit(f"{needle!r} never showed:\n{session.text()}")
                out[key].append(time.perf_counter() - session.t0)
        finally:
            session.close()
    return out


def bench_process(root: Path, stores: list[tuple[str, Path]], seconds: float, interval: float,
                  keys: str = "", slices: int = 5) -> dict[str, dict[str, float]]:
    """CPU share of one core and bytes per second of `lmtui room` (medians over ``slices``
    slices of ``seconds``), idle and with learners working, with the machine's load meanwhile;
    ``keys`` are typed once the room is drawn (``ml``: the missed list and the roster shown)."""
    import psutil

    master, slave = os.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 80, 0, 0))
    env = {**os.environ, "TERM": "xterm-256color", "LANG": "C.UTF-8"}
    proc = subprocess.Popen([sys.executable, "-m", "lmtui", "room", str(root), "--interval", str(interval)],
                            stdin=slave, stdout=slave, stderr=slave, env=env, start_new_session=True)
    os.close(slave)
    received = [0]

    def drain() -> None:
        while True:
            try:
                data = os.read(master, 65536)
            except OSError:
                return
            if not data:
                return
            received[0] += len(data)

    threading.Thread(target=drain, daemon=True).start()
    ps = psutil.Process(proc.pid)
    try:
        time.sleep(8)  # started, every store read, first screen drawn
        if keys:
            os.write(master, keys.encode())
            time.sleep(2)

        def window(work, slices: int) -> dict[str, float]:
            """``work(seconds)`` in ``slices`` slices: the median slice's CPU share and bytes/s of
            the room's process, and what the whole machine was doing meanwhile."""
            cpus, rates = [], []
            psutil.cpu_percent()  # the machine's busy share from here
            for _ in range(slices):
                cpu0, bytes0, t0 = sum(ps.cpu_times()[:2]), received[0], time.monotonic()
                work(seconds / slices)
                dt = time.monotonic() - t0
                cpus.append((sum(ps.cpu_times()[:2]) - cpu0) / dt)
                rates.append((received[0] - bytes0) / dt)
            return {"cpu": statistics.median(cpus), "bytes/s": statistics.median(rates), "bytes": sum(rates) * seconds / slices,
                    "machine busy": psutil.cpu_percent() / 100, "load": os.getloadavg()[0]}

        idle = window(time.sleep, slices)
        rng = random.Random(2)

        def learners_working(span: float) -> None:  # 10% of the stores written each second
            end = time.monotonic() + span
            per_second = len(stores) / 10
            while time.monotonic() < end:
                tick = time.monotonic()
                for _, folder in rng.sample(stores, k=max(1, round(per_second))):
                    touch(folder, rng)
                time.sleep(max(0.0, min(1.0 - (time.monotonic() - tick), end - time.monotonic())))

        busy = window(learners_working, slices)
    finally:
        os.write(master, b"q")
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        os.close(master)
    return {"idle": idle, "busy": busy}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--learners", type=int, nargs="+", default=[30, 200, 1000])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--starts", type=int, default=5, help="launches of lmtui room timed to its first frame")
    parser.add_argument("--parts", nargs="+", choices=("model", "start", "process"), default=["model", "start", "process"],
                        help="what to measure (default: all)")
    parser.add_argument("--seconds", type=float, default=30.0, help="each process measuring window")
    parser.add_argument("--interval", type=float, default=3.0, help="the room's refresh interval")
    parser.add_argument("--slices", type=int, default=5, help="slices of each window; their median is quoted")
    parser.add_argument("--keys", default="", help="keys typed once the room is drawn (ml: the missed list and the roster)")
    args = parser.parse_args()
    print(f"cores: {os.cpu_count()}, load average: {os.getloadavg()[0]:.1f}")
    for n in args.learners:
        with tempfile.TemporaryDirectory(prefix="lmtui-bench-room-") as folder:
            root = Path(folder)
            stores = make_room(root, n)
            print(f"\n{n} stores:")
            if "model" in args.parts:
                model = bench_model(root, stores, args.repeat)
                print(f"  Room.refresh, median of {args.repeat}")
                for key, values in model.items():
                    print(f"    {key:<16} {ms(values)}")
            if "start" in args.parts:
                start = bench_start(root, n, args.starts)
                print(f"  lmtui room at 80x24, from launch, median of {args.starts}")
                for key, values in start.items():
                    print(f"    {key:<16} {ms(values)}")
            if "process" not in args.parts:
                continue
            proc = bench_process(root, stores, args.seconds, args.interval, args.keys, args.slices)
            typed = f", after typing {args.keys!r}" if args.keys else ""
            print(f"  lmtui room, refresh every {args.interval:g} s, {args.seconds:g} s windows, "
                  f"median of {args.slices} slices{typed}:")
            for key, label in (("idle", "idle"), ("busy", f"{n / 10:g} stores written/s")):
                w = proc[key]
                print(f"    {label + ':':<22} {w['cpu']:.1%} of a core, {w['bytes/s']:.0f} bytes/s "
                      f"({w['bytes']:.0f} bytes in all); machine {w['machine busy']:.0%} busy, load average {w['load']:.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
