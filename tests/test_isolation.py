"""The suite runs the same on every developer's machine: their own settings file, config folders
and Textual switches change no theme, key hint or snapshot."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

INNER = '''
from lmtui.core.config import load_config
from lmtui.tui.app import LmtuiApp
from conftest import screen_text


async def test_the_app_has_the_defaults():
    assert load_config().keymap == {} and load_config().theme is None
    app = LmtuiApp()
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        assert app.theme == "textual-dark"
        text = screen_text(app)
        assert "z:Quiz" in text and "x:Quiz" not in text
'''


def test_a_developers_own_theme_and_keymap_do_not_reach_the_tests(tmp_path):
    """A run of the suite's conftest under a developer's environment: a settings file in their
    config folder, another named by LMTUI_CONFIG, and a Textual theme in the environment."""
    settings = 'theme = "nord"\n[keymap]\nview-quiz = "x"\n'
    (tmp_path / "home" / ".config" / "lmtui").mkdir(parents=True)
    (tmp_path / "home" / ".config" / "lmtui" / "config.toml").write_text(settings, encoding="utf-8")
    (tmp_path / "mine.toml").write_text(settings, encoding="utf-8")
    suite = tmp_path / "suite"
    suite.mkdir()
    shutil.copy(Path(__file__).parent / "conftest.py", suite / "conftest.py")
    (suite / "test_inner.py").write_text(INNER, encoding="utf-8")
    (suite / "pytest.ini").write_text("[pytest]\nasyncio_mode = auto\n", encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("LMTUI_", "XDG_", "TEXTUAL_"))}
    env.update(HOME=str(tmp_path / "home"), XDG_CONFIG_HOME=str(tmp_path / "home" / ".config"),
               LMTUI_CONFIG=str(tmp_path / "mine.toml"), TEXTUAL_THEME="dracula")
    done = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-c", str(suite / "pytest.ini"),
                           str(suite)], cwd=suite, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-2000:]
    assert "1 passed" in done.stdout
