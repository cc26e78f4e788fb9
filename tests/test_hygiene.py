"""Import hygiene, as harlequin enforces it: the headless core never pulls in Textual, and the
app does not pay for numpy/scipy until a simulation is opened."""

from __future__ import annotations

import subprocess
import sys

from lmtui.sims.registry import NAMES

HEADLESS = ["lmtui.sims", "lmtui.sims.base", "lmtui.sims.registry", "lmtui.course", "lmtui.progress", "lmtui.record", "lmtui.quizreview", "lmtui.checker", "lmtui.charts", "lmtui.sim_cli"]


def modules_after_import(*modules: str) -> set[str]:
    code = "import sys\n" + "".join(f"import {m}\n" for m in modules) + "print('\\n'.join(sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    return set(out.split())


def test_headless_modules_do_not_import_textual():
    modules = HEADLESS + [f"lmtui.sims.{NAMES[n][0]}" for n in NAMES]
    loaded = modules_after_import(*modules)
    assert set(modules) <= loaded
    assert sorted(m for m in loaded if m == "textual" or m.startswith("textual.")) == []


def test_app_startup_does_not_import_numpy():
    loaded = modules_after_import("lmtui.app", "lmtui.cli")
    assert "numpy" not in loaded and "scipy" not in loaded
