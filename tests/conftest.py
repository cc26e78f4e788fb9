from __future__ import annotations

import shutil
from contextlib import suppress
from pathlib import Path

import pytest

FIXTURES = Path(__file__).parent / "fixtures"
REPO = Path(__file__).parent.parent


@pytest.fixture(autouse=True)
def _isolated_home(tmp_path, monkeypatch):
    """Every test gets its own LMTUI_HOME: no test touches the learner's real progress."""
    home = tmp_path / "lmtui-home"
    monkeypatch.setenv("LMTUI_HOME", str(home))
    monkeypatch.setenv("LMTUI_CACHE", str(tmp_path / "lmtui-cache"))  # the parsed-course cache too
    monkeypatch.delenv("NO_COLOR", raising=False)
    return home


@pytest.fixture
def mini_course(tmp_path) -> Path:
    """A writable copy of the two-chapter fixture course."""
    dst = tmp_path / "mini"
    shutil.copytree(FIXTURES / "mini", dst)
    return dst


async def wait_for_workers(app) -> None:
    from textual.worker import WorkerCancelled

    with suppress(WorkerCancelled):
        await app.workers.wait_for_complete()


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
