from __future__ import annotations

import os
import shutil
from contextlib import suppress
from pathlib import Path

import pytest

FIXTURES = Path(__file__).parent / "fixtures"
REPO = Path(__file__).parent.parent


# Textual's own switches a developer may have set for their terminal (a theme, filters, keys to
# press at start). The snapshot plugin imports Textual before this file, so its constants and the
# theme's default are put back to Textual's defaults as well as removed for the subprocesses.
TEXTUAL_DEFAULTS = {"TEXTUAL_THEME": ("DEFAULT_THEME", "textual-dark"), "TEXTUAL_FILTERS": ("FILTERS", ""),
                    "TEXTUAL_PRESS": ("PRESS", ""), "TEXTUAL_COLOR_SYSTEM": ("COLOR_SYSTEM", "auto")}


def _forget_the_developers_textual_settings() -> None:
    import textual.constants
    from textual.app import App

    for var, (constant, default) in TEXTUAL_DEFAULTS.items():
        os.environ.pop(var, None)
        setattr(textual.constants, constant, default)
    App.theme._default = "textual-dark"


_forget_the_developers_textual_settings()


@pytest.fixture(autouse=True)
def _isolated_home(tmp_path, monkeypatch):
    """Every test gets its own LMTUI_HOME, settings file and config/data/cache folders: no test
    touches the learner's real progress, and the developer's own theme or keymap changes no
    snapshot or key hint."""
    home = tmp_path / "lmtui-home"
    monkeypatch.setenv("LMTUI_HOME", str(home))
    monkeypatch.setenv("LMTUI_CACHE", str(tmp_path / "lmtui-cache"))  # the parsed-course cache too
    monkeypatch.setenv("LMTUI_CONFIG", str(tmp_path / "lmtui-config.toml"))  # absent: the defaults
    for var in ("XDG_CONFIG_HOME", "XDG_DATA_HOME", "XDG_CACHE_HOME", "XDG_STATE_HOME"):
        monkeypatch.setenv(var, str(tmp_path / "xdg" / var.split("_")[1].lower()))
    monkeypatch.delenv("NO_COLOR", raising=False)
    return home


@pytest.fixture
def mini_course(tmp_path) -> Path:
    """A writable copy of the two-chapter fixture course."""
    dst = tmp_path / "mini"
    shutil.copytree(FIXTURES / "mini", dst)
    return dst


async def wait_for_workers(app, timeout: float = 60.0) -> None:
    """Until the app's thread workers are done and its simulation process has no run going."""
    import asyncio
    import time

    from textual.worker import WorkerCancelled

    with suppress(WorkerCancelled):
        await app.workers.wait_for_complete()
    def running() -> bool:
        simulations = getattr(getattr(app, "services", None), "_simulations", None)
        if simulations is not None and simulations.busy:
            return True
        return any(getattr(getattr(w, "runner", None), "running", False) for s in app.screen_stack for w in s.walk_children())

    await asyncio.sleep(0.1)  # a run asked for by the messages in flight has started
    deadline = time.monotonic() + timeout
    while running() and time.monotonic() < deadline:
        await asyncio.sleep(0.02)
    await asyncio.sleep(0.05)  # the last messages reach their widgets


async def until(pilot, condition, timeout: float = 60.0) -> bool:
    """Let the app run until ``condition()`` holds (or ``timeout`` seconds pass); whether it held.
    For what arrives after a run in the simulation process, whose start and end no fixed number of
    pauses can foresee on a loaded machine."""
    import time

    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            return False
        await pilot.pause(0.05)
    return True


def screen_lines(app) -> list[str]:
    """What the terminal shows now, one string per row (from Textual's own screenshot)."""
    import html
    import re

    svg = app.export_screenshot()
    rows: dict[int, list[tuple[float, str]]] = {}
    for m in re.finditer(r'<text[^>]*x="([\d.]+)"[^>]*clip-path="url\(#terminal-\d+-line-(\d+)\)"[^>]*>(.*?)</text>', svg):
        rows.setdefault(int(m.group(2)), []).append((float(m.group(1)), html.unescape(m.group(3)).replace("\xa0", " ")))
    out = []
    for r in range(app.size.height):
        line = ""
        for x, text in sorted(rows.get(r, [])):
            line = line.ljust(round(x / 12.2)) + text
        out.append(line.rstrip())
    return out


def screen_text(app) -> str:
    return "\n".join(screen_lines(app))
