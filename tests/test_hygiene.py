"""Import hygiene, as harlequin enforces it: the headless core never pulls in Textual, and the
real entry point pays only for what it shows: `lmtui --help` and the app up to its first frame
load none of numpy, scipy, plotext or threadpoolctl (a simulation loads them when it is opened).
And the project speaks of itself alone: no tracked file names a private working file."""

from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path

from lmtui.sims.registry import NAMES

from ptysession import first_frame

HEADLESS = ["lmtui.sims", "lmtui.sims.base", "lmtui.sims.registry", "lmtui.core.course", "lmtui.core.progress", "lmtui.core.record", "lmtui.core.review",
            "lmtui.tools.quizreview", "lmtui.tools.checker", "lmtui.core.charts", "lmtui.tools.sim_cli"]
HEAVY = ("numpy", "scipy", "plotext", "threadpoolctl", "fsrs")


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


def test_first_frame_loads_nothing_heavy(tmp_path):
    _screen, loaded = first_frame(tmp_path / "modules.txt", {"LMTUI_HOME": str(tmp_path / "home")})
    assert "lmtui.tui.app" in loaded and "textual.app" in loaded  # the app is up
    assert heavy(loaded) == []


# Names of private working files outside the project; the project never refers to them. Split so
# that this file does not name them itself.
PRIVATE_NAMES = ("science" ".md", "science" " notes", "textual" "-notes", "key" "storm", "pty" "probe",
                 ".." "/shared", "/work" "/shared")


ROOT = Path(__file__).resolve().parents[1]


def tracked_files() -> list[Path]:
    root = ROOT
    run = subprocess.run(["git", "ls-files", "-z"], cwd=root, capture_output=True, timeout=30)
    assert run.returncode == 0, run.stderr.decode(errors="replace")
    files = [root / name for name in run.stdout.decode().split("\0") if name]
    assert root / "pyproject.toml" in files  # the listing is real
    return files


def test_no_tracked_file_names_private_files():
    """Every tracked file stands on its own: none names a private notes file or tool."""
    found = []
    for path in tracked_files():
        if not path.is_file():
            continue
        text = path.read_bytes().lower()
        for name in PRIVATE_NAMES:
            for lineno, line in enumerate(text.splitlines(), 1):
                if name.encode() in line:
                    found.append(f"{path.relative_to(ROOT)}:{lineno}: {name}")
    assert found == []
