#!/usr/bin/env python3
"""Every way lmtui was found open to an outsider, tried now: a course folder from someone else, a
learner's store, a browser visitor, a storm of keys. Each attack is tried several times (other
payloads, other seeds) and each try either survives (what lmtui promises holds) or fails with what
was seen. Prints one table, ``attack | tries | survived``, and the figures measured on the way
(a visitor's peak memory, a store's opening time, a run's estimate).

Needs pyte and psutil (the test extra); takes a few minutes on two cores. Run by hand:

    python scripts/attacks.py [--only WORD]... [--storms N] [--keys N]
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import json
import os
import random
import re
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
import traceback
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(REPO), str(REPO / "tests")]

from lmtui.core.progress import DB_NAME, ProgressStore  # noqa: E402

# What a terminal would act on: C0 but tab and newline, DEL, C1, bidi overrides and isolates.
CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
PAYLOADS = ["\x1b]52;c;aGFja2Vk\x1b\\", "\x1b]0;pwned\x07", "\x1b[2J\x1b[H", "\x1bP1$qm\x1b\\", "\x9b31m",
            "\x1b[6n", "\u202eevil", "\x07\x08\x7f"]


def lmtui(*args: str, env: dict[str, str] | None = None, cwd: Path | None = None, timeout: float = 120):
    return subprocess.run([sys.executable, "-m", "lmtui", *args], capture_output=True, text=True, timeout=timeout,
                          stdin=subprocess.DEVNULL, env={**os.environ, **(env or {})}, cwd=cwd)


def digest(folder: Path) -> dict[str, tuple[int, str]]:
    """Every entry under ``folder`` with its modification time and content hash."""
    out = {}
    for p in sorted(folder.rglob("*")):
        data = hashlib.sha256(p.read_bytes()).hexdigest() if p.is_file() else "dir"
        out[str(p.relative_to(folder))] = (p.stat().st_mtime_ns, data)
    return out


# -- a course folder from someone else -------------------------------------------------------------

def check_hostile(tmp: Path, tries: int) -> list[tuple[bool, str]]:
    """`lmtui check` (and --strict) on the hostile course, each try with the payloads in other fields."""
    import hostile_course as hc

    raw, toml = list(hc.RAW), list(hc.TOML)
    results = []
    for i in range(tries):
        hc.RAW, hc.TOML = raw[i:] + raw[:i], toml[i:] + toml[:i]
        root = hc.write_hostile_course(tmp / f"course{i}")
        for flags in ((), ("--strict",)):
            out = lmtui("check", *flags, root.name, cwd=tmp)
            said = out.stdout + out.stderr
            lines = [ln for ln in out.stdout.splitlines() if "control character" in ln]
            places = {ln.split(": ")[0] for ln in lines}
            ok = (out.returncode == 1 and len(lines) == hc.PLACES and len(places) == hc.PLACES
                  and not CONTROL.search(said) and f"{root.name}/02-second^[]0;pwned^G.md:1" in places)
            results.append((ok, f"rc {out.returncode}, {len(lines)} control errors at {len(places)} places"))
    hc.RAW, hc.TOML = raw, toml
    return results


def pty_hostile(tmp: Path, tries: int) -> list[tuple[bool, str]]:
    """The app on the hostile course in a real pty, every view visited; the raw bytes scanned for any
    OSC and any CSI the app does not write itself (tests/test_sanitize.py's test)."""
    from test_sanitize import test_the_app_writes_no_escape_from_a_hostile_course as run

    results = []
    for i in range(tries):
        folder = tmp / f"pty{i}"
        folder.mkdir()
        results.append(_attempt(lambda: run(folder)))
    return results


def _attempt(fn) -> tuple[bool, str]:
    try:
        detail = fn()
        return True, detail or ""
    except Exception as e:  # a failed try is reported, and the next one runs
        return False, f"{type(e).__name__}: {str(e)[:300]}"


def cli_hostile_names(tmp: Path) -> list[tuple[bool, str]]:
    """Commands that quote a folder name (a course or learners folder with escapes in its name)."""
    results = []
    for payload in PAYLOADS:
        hostile = tmp / f"dir{payload}"
        hostile.mkdir()
        for argv in (["room", f"{hostile}/none"], ["--content", str(hostile), "progress"],
                     ["--content", str(hostile), "check"], ["report", str(hostile)], ["--content", str(hostile), "locate"],
                     ["check", str(hostile)]):
            out = lmtui(*argv)
            said = out.stdout + out.stderr
            results.append((not CONTROL.search(said.replace("\n", "")) and "Traceback" not in said,
                            f"{argv[0]} rc {out.returncode}"))
    return results


# -- a learner's store -----------------------------------------------------------------------------

def _learner_store(home: Path, chapters: int = 2) -> None:
    from lmtui.core.course import load_course

    course = load_course(None)
    store = ProgressStore(home, course="builtin")
    for chapter in course.chapters[:chapters]:
        store.mark_read(chapter.id)
        for q in chapter.quiz:
            if q.predict is None:
                store.record_answer(chapter.id, q.id, q.choices[0], q.answer == 0, q.fingerprint)
    store.close()


def report_wal_without_shm(tmp: Path, tries: int) -> list[tuple[bool, str]]:
    """A store with a -wal and no -shm (a killed app, a copied folder): `lmtui report` in each
    format leaves the room's folder byte for byte as it was, and still counts what the WAL holds."""
    results = []
    for i in range(tries):
        source = tmp / f"src{i}"
        store = ProgressStore(source, course="builtin")
        from lmtui.core.course import load_course

        for chapter in load_course(None).chapters[: i + 1]:
            store.mark_read(chapter.id)  # in the WAL: no checkpoint after a few writes
        wal = source / (DB_NAME + "-wal")
        room = tmp / f"room{i}"
        (room / "Dee").mkdir(parents=True)
        shutil.copyfile(store.path, room / "Dee" / DB_NAME)
        shutil.copyfile(wal, room / "Dee" / (DB_NAME + "-wal"))
        store.close()
        before = digest(room)
        outs = [lmtui("report", str(room), *flags) for flags in ((), ("--csv",), ("--json",))]
        read = json.loads(outs[2].stdout)["learners"][0]["chapters_read"] if outs[2].returncode == 0 else None
        ok = digest(room) == before and all(o.returncode == 0 for o in outs) and read == i + 1
        results.append((ok, f"{len(before)} entries unchanged={digest(room) == before}, chapters read {read}"))
    return results


BAD_VALUES = [
    ("chapter_read", "read_at", 1e300), ("answer", "answered_at", "notatime"), ("answer", "correct", "yes"),
    ("answer", "choice", b"\xff\xfe"), ("chapter_read", "read_at", -1e300), ("answer", "answered_at", 2**62),
    ("answer", "tries", "many"), ("state", "value", b"\x00\x01"),
]


READ = {"read_at", "answered_at", "correct", "choice", "value"}  # the columns the report reads and checks


def report_bad_values(tmp: Path) -> list[tuple[bool, str]]:
    """One learner's store holds a value of the wrong kind: listed as damaged with the reason, the
    other learners reported, in text, CSV and JSON, exit status 0."""
    good = tmp / "good"
    _learner_store(good / "Ada")
    _learner_store(good / "Bob", chapters=1)
    results = []
    for i, (table, column, value) in enumerate(BAD_VALUES):
        room = tmp / f"bad{i}"
        shutil.copytree(good, room)
        shutil.copytree(good / "Ada", room / "Eve")
        conn = sqlite3.connect(room / "Eve" / DB_NAME)
        if table == "state":
            conn.execute("INSERT OR REPLACE INTO state(course, key, value) VALUES ('builtin', 'last_chapter', ?)", (value,))
        else:
            conn.execute(f"UPDATE {table} SET {column} = ? WHERE course = 'builtin'", (value,))
        conn.commit()
        conn.close()
        outs = [lmtui("report", str(room), *flags) for flags in ((), ("--csv",), ("--json",))]
        text = outs[0].stdout
        eve = next((ln for ln in text.splitlines() if ln.strip().startswith("Eve: ")), "")
        row = next((ln for ln in text.splitlines() if ln.startswith("Eve ")), "")
        ok = (all(o.returncode == 0 and "Traceback" not in o.stderr for o in outs)
              and all("Ada" in o.stdout and "Bob" in o.stdout for o in outs)
              and ("damaged (" in eve if column in READ else bool(row)))  # a value the report does not read: a row
        shown = eve.split(": ", 2)[-1] if eve else f"reported as a row: {' '.join(row.split()[:3])}"
        results.append((ok, f"{table}.{column}={value!r}: {shown[:100]}"))
    return results


def report_sanitised(tmp: Path) -> list[tuple[bool, str]]:
    """Folder names and store fields with escapes: no control character in text, CSV or JSON."""
    results = []
    for i, payload in enumerate(PAYLOADS):
        room = tmp / f"san{i}"
        _learner_store(room / f"Ev{payload}e")
        conn = sqlite3.connect(room / f"Ev{payload}e" / DB_NAME)
        conn.execute("INSERT OR REPLACE INTO state(course, key, value) VALUES ('builtin', 'last_chapter', ?)", (payload,))
        conn.execute("UPDATE answer SET choice = ?", (f"choice{payload}",))
        conn.commit()
        conn.close()
        (room / f"Mal{payload}").mkdir()
        (room / f"Mal{payload}" / DB_NAME).write_bytes(payload.encode() * 200)
        for flags in ((), ("--csv",), ("--csv", "--by-question"), ("--json",)):
            out = lmtui("report", str(room), *flags)
            said = out.stdout.replace("\r\n", "\n") + out.stderr
            results.append((out.returncode == 0 and not CONTROL.search(said.replace("\n", "")),
                            f"{payload!r} {' '.join(flags) or 'text'}"))
    return results


STORES = {
    "foreign tables": lambda p: _sql(p, "CREATE TABLE users(id INTEGER, name TEXT); INSERT INTO users VALUES (1, 'x');"),
    "meta with wrong columns": lambda p: _sql(p, "CREATE TABLE meta(a, b); INSERT INTO meta VALUES (1, 2);"),
    "schema_version not a number": lambda p: _sql(p, "CREATE TABLE meta(key TEXT PRIMARY KEY, value TEXT);"
                                                     "INSERT INTO meta VALUES ('schema_version', 'x');"),
    "lmtui's tables without their columns": lambda p: _sql(p, "CREATE TABLE meta(key TEXT PRIMARY KEY, value TEXT);"
                                                              "INSERT INTO meta VALUES ('schema_version', '3');"
                                                              "CREATE TABLE answer(course TEXT);"),
    "not a database": lambda p: p.write_bytes(b"\x1b]0;x\x07 not sqlite" * 100),
    "empty file": lambda p: p.write_bytes(b""),
    "truncated database": lambda p: (_sql(p, "CREATE TABLE t(x); " + "INSERT INTO t VALUES (randomblob(4000));" * 20),
                                     p.write_bytes(p.read_bytes()[:6000])),
    "a folder named progress.db": lambda p: p.mkdir(),
}


def _sql(path: Path, script: str) -> None:
    conn = sqlite3.connect(path)
    conn.executescript(script)
    conn.close()


def store_recovery(tmp: Path, tries: int) -> tuple[list[tuple[bool, str]], dict[str, float]]:
    """Each unusable store: opened within a second (no wait for a lock nobody holds), moved aside
    (kept) or said, and a store that works afterwards; a busy store (another connection holding a
    write lock) is waited for briefly, then shown read-only."""
    results, times = [], {}
    for kind, make in STORES.items():
        spans = []
        for t in range(tries):
            home = tmp / f"{kind.replace(' ', '_')}{t}"
            home.mkdir()
            make(home / DB_NAME)
            t0 = time.perf_counter()
            store = ProgressStore(home, course="builtin")
            spans.append(time.perf_counter() - t0)
            try:
                store.mark_read("x")
                saved = store.persistent and "x" in ProgressStore(home, course="builtin").read_chapters()
            except sqlite3.Error as e:
                saved = f"save failed: {e}"
            kept = [p.name for p in home.iterdir() if p.name.startswith(DB_NAME + ".")]
            folder = kind.startswith("a folder")
            if kind == "empty file":  # SQLite's own new file: used as it is
                ok = spans[-1] < 1.0 and saved is True
            else:
                ok = spans[-1] < 1.0 and bool(store.warning) and (saved is True or folder) and (bool(kept) or folder)
            results.append((ok, f"{kind}: {spans[-1] * 1000:.0f} ms, kept {kept[:1]}, saved {saved}"))
        times[kind] = statistics.median(spans)
    # a real lock: another connection in a write transaction
    home = tmp / "busy"
    _learner_store(home)
    holder = sqlite3.connect(home / DB_NAME, isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")
    t0 = time.perf_counter()
    store = ProgressStore(home, course="builtin")
    span = time.perf_counter() - t0
    holder.execute("ROLLBACK")
    holder.close()
    ok = store.read_only and len(store.read_chapters()) == 2 and span < 5 and "not be saved" in (store.warning or "")
    results.append((ok, f"busy: waited {span:.1f} s, shown read-only with {len(store.read_chapters())} chapters read"))
    times["busy (a lock held)"] = span
    return results, times


def store_read_only(tmp: Path) -> list[tuple[bool, str]]:
    """A store on a read-only file system (a read-only bind mount when this runs as root, where file
    modes do not stop writes; else a read-only file and folder): opened read-only, the learner's
    progress shown, the warning says new answers are not saved, and the file is unchanged."""
    home = tmp / "ro"
    _learner_store(home)
    before = digest(home)
    mounted = False
    if os.geteuid() == 0 and shutil.which("mount"):
        mounted = subprocess.run(["mount", "--bind", "-o", "ro", str(home), str(home)], capture_output=True).returncode == 0
        if mounted:
            subprocess.run(["mount", "-o", "remount,bind,ro", str(home)], capture_output=True)
    if not mounted:
        (home / DB_NAME).chmod(0o444)
        home.chmod(0o555)
    try:
        t0 = time.perf_counter()
        store = ProgressStore(home, course="builtin")
        span = time.perf_counter() - t0
        read = len(store.read_chapters())
        ok = store.read_only and read == 2 and "not be saved" in (store.warning or "") and span < 1.0
        detail = f"{'read-only mount' if mounted else 'modes 444/555'}: {span * 1000:.0f} ms, {read} chapters shown; {store.warning}"
        store.close()
        return [(ok and digest(home) == before, detail)]
    finally:
        if mounted:
            subprocess.run(["umount", str(home)], capture_output=True)
        home.chmod(0o755)


def startup_with_a_malformed_store(tmp: Path, tries: int) -> dict[str, float]:
    """Seconds from start to the first chapter on screen in a pty, with a clean store and with a
    malformed one (a meta table with the wrong columns): medians."""
    from ptysession import PtySession, lmtui_argv

    out = {}
    for label, make in (("clean store", None), ("meta with wrong columns", STORES["meta with wrong columns"])):
        spans = []
        for t in range(tries):
            home = tmp / f"start-{label.replace(' ', '_')}{t}"
            home.mkdir()
            if make:
                make(home / DB_NAME)
            session = PtySession(lmtui_argv(), cols=100, rows=30, env={"LMTUI_HOME": str(home)})
            try:
                spans.append(session.wait_for("t:Text", timeout=30) or float("nan"))
                session.quit(timeout=10)
            finally:
                session.close()
        out[label] = statistics.median(spans)
    return out


def markup_in_notes_and_palette(tmp: Path) -> list[tuple[bool, str]]:
    """Brackets from outside where Textual reads markup: a stored value quoted in the start-up note
    (the app starts, shows it and quits cleanly), and a course's chapter title in the palette (it
    lists, finds and opens the chapter), in a real pty."""
    from ptysession import PtySession, lmtui_argv
    from conftest import FIXTURES

    results = []
    for value in ("[/]", "[@click=app.quit]x[/]", "[red]x[/red]"):
        home = tmp / f"note{len(results)}"
        _learner_store(home)
        conn = sqlite3.connect(home / DB_NAME)
        conn.execute("UPDATE answer SET answered_at = ?", (value,))
        conn.execute("DELETE FROM card")
        conn.commit()
        conn.close()
        session = PtySession(lmtui_argv(), cols=120, rows=40, env={"LMTUI_HOME": str(home)})
        try:
            shown = session.wait_for(value, timeout=30) is not None
            code = session.quit(timeout=20)
        finally:
            session.close()
        results.append((shown and code == 0 and not session.saw_traceback, f"store value {value!r}: shown {shown}, exit {code}"))
        course = tmp / f"course{len(results)}"
        shutil.copytree(FIXTURES / "mini", course)
        chapter = course / "01-first.md"
        chapter.write_text(chapter.read_text(encoding="utf-8").replace("First Steps", f"First {value} Steps"), encoding="utf-8")
        session = PtySession(lmtui_argv("--content", str(course)), cols=120, rows=40, env={"LMTUI_HOME": str(home / "c")})
        try:
            session.wait_for("t:Text", timeout=30)
            session.send("\x10")  # ctrl+p
            listed = session.wait_for(f"First {value} Steps", timeout=10) is not None
            session.send("Steps")
            session.settle(0.3)
            session.send("\r")
            session.settle(0.3)
            code = session.quit(timeout=20)
        finally:
            session.close()
        results.append((listed and code == 0 and not session.saw_traceback, f"chapter title {value!r} in the palette: "
                                                                          f"listed {listed}, exit {code}"))
    return results


# -- names -----------------------------------------------------------------------------------------

NAMES = [
    ("Ａlice", "alice"), ("ALICE", "alice"), ("ａｌｉｃｅ", "alice"), ("Alice\u0301", None),
    ("ali\u0441e", "refused"), ("\u0430lice", "refused"), ("αlice", "refused"), ("Al\u200dice", "refused"),
    ("Al\u202eice", "refused"), ("Al\x1b[2Jice", "refused"), ("../alice", "refused"), (".alice", "refused"),
    ("ｱﾘｽ", "アリス"), ("Ⅻ", "xii"), ("ﬁona", "fiona"), ("Straße", "strasse"),
]


def names(_tmp: Path) -> list[tuple[bool, str]]:
    """Names that look like another or would drive the terminal: one folder per person, or refused
    with a reason."""
    from lmtui.tui.screens.learner import name_key, name_problem, normalize_name

    results = []
    for raw, expect in NAMES:
        name = normalize_name(raw)
        problem = name_problem(name)
        if expect == "refused":
            ok = problem is not None and not CONTROL.search(problem)
            got = problem
        elif expect is None:  # a letter with a combining mark: its own name, allowed
            ok, got = problem is None, name_key(name)
        else:
            ok, got = problem is None and name_key(name) == expect, problem or name_key(name)
        results.append((ok, f"{raw!r} -> {got!r}"))
    return results


# -- a browser visitor ------------------------------------------------------------------------------

RESIZES = [(100000, 100000), (2**31, 2**31), ("1e9", "9" * 400), (1e308, -1e308), (-5, 10**9)]


def serve_hostile_resize(tmp: Path, tries: int) -> tuple[list[tuple[bool, str]], list[int]]:
    """A visitor sends a hostile resize (each try another): its process stays under the memory
    limit, and a second visitor gets the course while the first stays up."""
    return asyncio.run(_serve_hostile_resize(tmp, tries))


async def _serve_hostile_resize(tmp: Path, tries: int):
    import psutil
    from serve_support import Served, Visitor, alive, wait_async

    limit_mb = 300
    results, peaks = [], []
    with Served(tmp, "--visitor-memory", str(limit_mb)) as served:
        for i in range(tries):
            width, height = RESIZES[i % len(RESIZES)]
            async with Visitor(served.url) as hostile:
                await hostile.wait_for("who is learning?")
                await hostile.keys(f"Res{i}\r")
                await hostile.wait_for("t:Text")
                [pid] = served.app_pids()
                received = hostile.received
                await hostile.ws.send_str(json.dumps(["resize", {"width": width, "height": height}]))
                await wait_async(lambda: hostile.received > received, 20)
                peak = 0
                for _ in range(30):
                    with_children = psutil.Process(pid)
                    rss = with_children.memory_info().rss + sum(c.memory_info().rss for c in with_children.children(True))
                    peak = max(peak, rss)
                    await hostile.keys("]")  # keep it drawing
                    await asyncio.sleep(0.1)
                async with Visitor(served.url) as other:
                    await other.wait_for("who is learning?")
                    await other.keys(f"Other{i}\r")
                    await other.wait_for("t:Text")
                ok = alive([pid]) == [pid] and peak < limit_mb * 2**20 and served.proc.poll() is None
                peaks.append(peak // 2**20)
                results.append((ok, f"resize {str(width)[:12]}x{str(height)[:12]}: peak {peak / 2**20:.0f} MB"))
    return results, peaks


def serve_over_cpu(tmp: Path, tries: int) -> list[tuple[bool, str]]:
    """A visitor that computes past its CPU-time limit (a simulation run, --visitor-cpu small) is
    stopped with a message; the server and a second visitor carry on."""
    return asyncio.run(_serve_over_cpu(tmp, tries))


async def _serve_over_cpu(tmp: Path, tries: int):
    from serve_support import Served, Visitor

    signs = ("session ended", "simulation process ended")
    results = []
    for i in range(tries):
        (tmp / f"cpu{i}").mkdir()
        with Served(tmp / f"cpu{i}", "--visitor-cpu", "6") as served:
            async with Visitor(served.url) as greedy:
                await greedy.wait_for("who is learning?")
                await greedy.keys("Greedy\r")
                await greedy.wait_for("t:Text")
                await greedy.keys("nff")  # chapter 1's second figure: a simulation
                await greedy.wait_for("2/2", timeout=30)
                ended, runs, t0 = None, 0, time.perf_counter()
                while ended is None and time.perf_counter() - t0 < 120:  # run after run until a limit stops it
                    await greedy.keys("s")
                    runs += 1
                    for _ in range(50):
                        await asyncio.sleep(0.2)
                        ended = next((sign for sign in signs if sign in greedy.term.text), None)
                        if ended or "done in" in greedy.term.text:
                            break
                async with Visitor(served.url) as other:
                    await other.wait_for("who is learning?")
                    await other.keys("Other\r")
                    await other.wait_for("t:Text")
                results.append((bool(ended) and served.proc.poll() is None,
                                f"greedy visitor after {runs} runs ({time.perf_counter() - t0:.0f} s): {ended}; "
                                f"a second visitor got the course"))
    return results


OVER_MEMORY = """
import asyncio, sys
sys.path[:0] = [{tests!r}]
from figures_support import current_pane, open_figure, set_param
from conftest import until
from lmtui.tui.app import LmtuiApp

async def main():
    app = LmtuiApp()
    async with app.run_test(size=(100, 30)) as pilot:
        await open_figure(pilot, "empirical-laws", "sim:kernel_curves")
        pane = current_pane(app)
        await set_param(pilot, pane, "n_max", "1024")
        await set_param(pilot, pane, "trials", "1")
        await pilot.press("s")
        await until(pilot, lambda: not pane.running and "running" not in pane._verdict.text, 60)
        said = " ".join(n.message for n in app._notifications) + " " + str(pane._verdict.text)
        await pilot.press("t")
        await pilot.pause()
        print("ALIVE", app.is_running and app._exception is None, "|", said.replace(chr(10), " ")[:300])

asyncio.run(main())
"""


def over_memory(tmp: Path, tries: int) -> list[tuple[bool, str]]:
    """The app under a served visitor's data-memory limit (``ulimit -d``, as `lmtui serve
    --visitor-memory` sets it, here 250 MB), running the figure whose largest setting allocates
    past it (kernel_curves, n_max 1024: 255 MB unlimited): the run fails with a message, the app
    lives. (The server and the other visitors are other processes: see the CPU attack.)"""
    results = []
    for i in range(tries):
        home = tmp / f"mem{i}"
        home.mkdir()
        script = OVER_MEMORY.format(tests=str(REPO / "tests"))
        out = subprocess.run(["bash", "-c", f"ulimit -d {250 * 1024} && exec {sys.executable} -c \"$0\"", script],
                             capture_output=True, text=True, timeout=180, env={**os.environ, "LMTUI_HOME": str(home)})
        line = next((ln for ln in out.stdout.splitlines() if ln.startswith("ALIVE")), out.stderr[-300:])
        ok = line.startswith("ALIVE True") and ("memory" in line.lower() or "ended" in line)
        results.append((ok, line[:250]))
    return results


# -- the cost bound --------------------------------------------------------------------------------

LONG_RUNS = [("deep_linear", {"steps": 1_000_000, "depth": 6}),
             ("double_descent", {"trials": 4000, "max_features": 400, "samples": 200}),
             ("lazy_rich", {"width": 4096, "steps": 50_000})]


def cost_check(tmp: Path) -> list[tuple[bool, str]]:
    """`lmtui check` on a predict question at each setting that ran for minutes: refused."""
    from conftest import FIXTURES

    results = []
    for name, params in LONG_RUNS:
        course = tmp / f"cost-{name}"
        shutil.copytree(FIXTURES / "mini", course)
        from lmtui.sims.registry import get

        sim = get(name)
        metric = next(iter(sim.predictable))
        setting = ", ".join(f"{k} = {v}" for k, v in params.items())
        with open(course / "02-second.quiz.toml", "a", encoding="utf-8") as f:
            f.write(f'\n[[question]]\nid = "long"\nkind = "predict"\nprompt = "How much?"\nsim = "{name}"\n'
                    f'params = {{ {setting} }}\nmetric = "{metric}"\ntolerance = {{ relative = 0.2 }}\nexplanation = "."\n')
        out = lmtui("check", str(course))
        said = [ln for ln in out.stdout.splitlines() if "would take" in ln]
        results.append((out.returncode == 1 and len(said) == 1, said[0].split(": ", 1)[-1][:100] if said else out.stdout[-200:]))
    return results


def cost_sim_run(_tmp: Path) -> list[tuple[bool, str]]:
    """`lmtui sim run` over its limit (120 s, or a served room's 30 s, which --no-limit does not
    lift): refused at once. Runs under the limit are not started here."""
    from lmtui.sims.registry import get

    results = []
    for name, params in LONG_RUNS:
        sim = get(name)
        estimate = sim.estimate_seconds(sim.resolve(params))
        sets = [a for k, v in params.items() for a in ("--set", f"{k}={v}")]
        for env, flags, limit in (({}, (), 120.0), ({"LMTUI_RUN_LIMIT": "30"}, ("--no-limit",), 30.0)):
            if estimate <= limit:
                continue
            t0 = time.perf_counter()
            out = lmtui("sim", "run", name, *sets, *flags, env=env, timeout=60)
            span = time.perf_counter() - t0
            ok = out.returncode == 2 and "limit" in out.stderr and span < 10
            results.append((ok, f"{name} est {estimate:.0f} s, limit {limit:g} s{' --no-limit' if flags else ''}: "
                                f"rc {out.returncode} in {span:.1f} s"))
    return results


def cost_app(_tmp: Path) -> list[tuple[bool, str]]:
    """The app asks before a run over 30 s, and a served visitor cannot start one over the room's
    limit (tests/test_runcost.py's pilot tests)."""
    import test_runcost

    class Env:
        def delenv(self, key, raising=False):
            os.environ.pop(key, None)

        def setenv(self, key, value):
            os.environ[key] = value

    out = []
    for test in (test_runcost.test_a_long_run_is_asked_about_first_with_its_estimate,
                 test_runcost.test_a_served_visitor_cannot_start_a_run_over_the_rooms_limit):
        saved = os.environ.get("LMTUI_RUN_LIMIT")
        out.append(_attempt(lambda: asyncio.run(test(Env())) or test.__name__))
        os.environ.pop("LMTUI_RUN_LIMIT", None)
        if saved is not None:
            os.environ["LMTUI_RUN_LIMIT"] = saved
    return out


# -- storms of keys that start simulations ----------------------------------------------------------

STORM_KEYS = list("zzznpjkfts123.5e-2\r\r\t") + ["\x1b[A", "\x1b[B", "\x1b", "\x7f", "\x1b[Z", "0.7\r", "2\r"]


def _episode(rng: random.Random) -> list[str]:
    """Two bursts, each written at once, a moment apart: to a chapter and its quiz; then down to a
    card, a prediction typed and committed (or a choice) and a run started."""
    move = rng.choice("np") * rng.randint(0, 3)
    answer = rng.choice(["\r2.5\r", "\r1e-2\r", "\r0.5 +- 0.1\r", "1", "2", "\r\x1b", "\rx\r"])
    return [move + "z", "j" * rng.randint(0, 7) + answer + rng.choice(["s", "", "ss", "sf", "st", "sn"])]


def predict_storms(tmp: Path, seeds: int, keys: int) -> list[tuple[bool, str]]:
    """Random keys and bursts aimed at the quiz's predict cards (a chapter, its quiz, a card, a
    prediction committed, a run started, in one write) in a real pty with resizes: the app lives
    through each, shows no traceback and quits; the predictions committed and runs measured are
    counted from the store."""
    from ptysession import PtySession, lmtui_argv

    results = []
    for seed in range(1, seeds + 1):
        rng = random.Random(seed)
        home = tmp / f"storm{seed}"
        home.mkdir()
        session = PtySession(lmtui_argv(), cols=100, rows=30, env={"LMTUI_HOME": str(home)})
        tail = bytearray()
        feed = session.stream.feed
        session.stream.feed = lambda data: (tail.extend(data), feed(data))
        try:
            if session.wait_for("t:Text", timeout=30) is None:
                results.append((False, f"seed {seed}: no first frame"))
                continue
            for _ in range(keys):
                if rng.random() < 0.01:
                    session.resize(rng.randint(40, 200), rng.randint(12, 60))
                if rng.random() < 0.1:
                    for burst in _episode(rng):
                        session.send(burst)
                        session.pump(rng.uniform(0.05, 0.8))
                else:
                    session.send(rng.choice(STORM_KEYS))
                session.pump(0.004 if rng.random() < 0.9 else 0.08)
                if not session.alive():
                    break
            session.resize(100, 30)
            lived = session.alive()
            code = session.quit(timeout=20) if lived else session.proc.poll()
            conn = sqlite3.connect(home / DB_NAME)
            predictions = conn.execute("SELECT count(*), count(measured) FROM prediction").fetchone()
            conn.close()
            where = bytes(tail).rfind(b"Traceback")
            error = bytes(tail)[where: where + 4000].decode("utf-8", "replace") if where >= 0 else ""
            error = re.sub(r"\x1b\[[0-9;?]*[a-zA-Z]", " ", error)
            ok = lived and code == 0 and not session.saw_traceback
            results.append((ok, f"seed {seed}: {predictions[0]} predictions, {predictions[1]} runs measured, exit {code}"
                                + (f"\n{error[-1500:]}" if error else "")))
        finally:
            session.close()
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--only", action="append", default=None, help="run only the attacks whose title holds this (repeatable)")
    parser.add_argument("--storms", type=int, default=6, help="seeds of each key storm")
    parser.add_argument("--keys", type=int, default=800, help="keys per storm (a tenth of them start a burst aimed at a predict card)")
    parser.add_argument("-v", "--verbose", action="store_true", help="print each try")
    args = parser.parse_args()
    from ptysession import byte_compile

    byte_compile()
    tmp = Path(tempfile.mkdtemp(prefix="lmtui-attacks-"))
    figures: dict[str, object] = {}

    def with_figures(key, fn):
        def run(folder):
            results, extra = fn(folder)
            figures[key] = extra
            return results
        return run

    attacks = [
        ("course: escapes in every field and a file name, lmtui check (and --strict)", lambda d: check_hostile(d, 5)),
        ("course: the app on it in a real pty, raw output scanned for OSC/CSI", lambda d: pty_hostile(d, 2)),
        ("folder names with escapes quoted by commands", cli_hostile_names),
        ("store: -wal without -shm, lmtui report (text, CSV, JSON)", lambda d: report_wal_without_shm(d, 3)),
        ("store: a bad value, lmtui report", report_bad_values),
        ("store and folder names with escapes, lmtui report output", report_sanitised),
        ("store: unusable (foreign, malformed, not a database, busy...)", with_figures("store open", lambda d: store_recovery(d, 3))),
        ("store: on a read-only file system", store_read_only),
        ("markup in a stored value's note and a course title in the palette", markup_in_notes_and_palette),
        ("learner names: lookalikes, mixed scripts, controls", names),
        ("serve: hostile websocket resize, a second visitor", with_figures("resize peaks", lambda d: serve_hostile_resize(d, 5))),
        ("serve: a visitor over its CPU-time limit", lambda d: serve_over_cpu(d, 2)),
        ("serve: a run past a visitor's memory limit", lambda d: over_memory(d, 2)),
        ("cost: lmtui check on predict questions that ran minutes", cost_check),
        ("cost: lmtui sim run over the limit", cost_sim_run),
        ("cost: the app asks over 30 s; a served visitor is refused", cost_app),
        ("key storms weighted to predict cards and runs", lambda d: predict_storms(d, args.storms, args.keys)),
    ]
    rows = []
    for title, fn in attacks:
        if args.only and not any(word in title for word in args.only):
            continue
        folder = tmp / f"a{len(rows)}"
        folder.mkdir()
        t0 = time.perf_counter()
        try:
            results = fn(folder)
        except Exception:
            results = [(False, traceback.format_exc()[-1500:])]
        rows.append((title, results, time.perf_counter() - t0))
        survived = sum(ok for ok, _ in results)
        print(f"{title}: {survived}/{len(results)} survived ({rows[-1][2]:.0f} s)", file=sys.stderr, flush=True)
        for ok, detail in results:
            if args.verbose or not ok:
                print(f"    {'ok ' if ok else 'FAILED'} {detail}", file=sys.stderr)
    if "startup" in " ".join(args.only or ["startup"]):
        figures["start-up to first chapter, median of 3"] = startup_with_a_malformed_store(tmp, 3)
    print("\n| attack | tries | survived |\n|---|---|---|")
    for title, results, _ in rows:
        print(f"| {title} | {len(results)} | {sum(ok for ok, _ in results)} |")
    print()
    for key, value in figures.items():
        print(f"{key}: {value}")
    shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
