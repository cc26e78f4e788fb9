"""Import hygiene, as harlequin enforces it: the headless core never pulls in Textual, and the
real entry point pays only for what it shows: `lmtui --help` and the app up to its first frame
load none of numpy, scipy, plotext or threadpoolctl (a simulation loads them when it is opened)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
from pathlib import Path

from lmtui.sims.registry import NAMES

from ptysession import PtySession

HEADLESS = ["lmtui.sims", "lmtui.sims.base", "lmtui.sims.registry", "lmtui.course", "lmtui.progress", "lmtui.record",
            "lmtui.quizreview", "lmtui.checker", "lmtui.charts", "lmtui.sim_cli"]
HEAVY = ("numpy", "scipy", "plotext", "threadpoolctl")


def entry_point() -> Path:
    """The `lmtui` console script installed beside this Python (what a learner runs)."""
    script = Path(sys.executable).with_name("lmtui")
    assert script.exists(), f"no lmtui console script beside {sys.executable}: is the package installed?"
    return script


def heavy(modules: set[str]) -> list[str]:
    return sorted(m for m in modules if m.split(".")[0] in HEAVY)


def modules_after_import(*modules: str) -> set[str]:
    code = "import sys\n" + "".join(f"import {m}\n" for m in modules) + "print('\\n'.join(sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    return set(out.split())


def test_headless_modules_do_not_import_textual():
    modules = HEADLESS + [f"lmtui.sims.{NAMES[n][0]}" for n in NAMES]
    loaded = modules_after_import(*modules)
    assert set(modules) <= loaded
    assert sorted(m for m in loaded if m == "textual" or m.startswith("textual.")) == []


def test_help_loads_nothing_heavy():
    """`lmtui --help`, through the console script, with Python's own import log."""
    run = subprocess.run([sys.executable, "-X", "importtime", str(entry_point()), "--help"],
                         capture_output=True, text=True, timeout=60, cwd=tempfile.gettempdir())
    assert run.returncode == 0 and "usage: lmtui" in run.stdout
    loaded = {line.split("|")[-1].strip() for line in run.stderr.splitlines() if line.startswith("import time:")}
    assert "lmtui.cli" in loaded  # the log is real
    assert heavy(loaded) == []
    assert sorted(m for m in loaded if m.split(".")[0] == "textual") == []  # help needs no TUI either


# The console script runs `from lmtui.__main__ import main; sys.exit(main())`; this does the same,
# with a signal handler that writes what is loaded when asked (after the first frame is on screen).
FIRST_FRAME = """
import signal, sys
target = sys.argv[1]
def dump(*_):
    with open(target, "w") as f:
        f.write("\\n".join(sorted(sys.modules)))
signal.signal(signal.SIGUSR1, dump)
sys.argv = ["lmtui"]
from lmtui.__main__ import main
main()
"""


def test_first_frame_loads_nothing_heavy(tmp_path):
    out = tmp_path / "modules.txt"
    env = {"LMTUI_HOME": str(tmp_path / "home")}
    s = PtySession([sys.executable, "-c", FIRST_FRAME, str(out)], env=env)
    try:
        assert s.wait_for("t:Text", timeout=30) is not None, s.text()
        s.settle(0.5)
        os.kill(s.proc.pid, signal.SIGUSR1)
        for _ in range(100):
            s.pump(0.05)
            if out.exists() and out.stat().st_size:
                break
        loaded = set(out.read_text().split())
        assert "lmtui.app" in loaded and "textual.app" in loaded  # the app is up
        assert heavy(loaded) == []
        assert s.quit() == 0
    finally:
        s.close()
