"""The user's settings file: keys and theme, read once at start. No Textual import here.

``config.toml`` in the platformdirs user config folder (``~/.config/lmtui`` on Linux), or the file
``$LMTUI_CONFIG`` names::

    theme = "nord"                  # a Textual theme name (the palette's Theme command lists them)

    [keymap]                        # binding id = keys (comma-separated), as Textual's keymaps
    next-chapter = "right_curly_bracket,n"
    sim-run = "s,x"

A missing file is no problem; a broken one is reported (file:line: message) and ignored, so the
app always starts. Binding ids are listed by the help screen (``?``) and in the README.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path

CONFIG_NAME = "config.toml"
KEY_RE = re.compile(r"^[A-Za-z0-9_+\-]+$")
TOP_KEYS = {"theme", "keymap"}


def config_path() -> Path:
    env = os.environ.get("LMTUI_CONFIG")
    if env:
        return Path(env).expanduser()
    from platformdirs import user_config_dir

    return Path(user_config_dir("lmtui", appauthor=False)) / CONFIG_NAME


@dataclass
class Config:
    path: Path
    theme: str | None = None
    keymap: dict[str, str] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)

    @property
    def exists(self) -> bool:
        return self.path.is_file()


def _line_of(text: str, key: str) -> int:
    for i, line in enumerate(text.splitlines(), start=1):
        if re.match(rf"^\s*{re.escape(key)}\s*=", line) or re.match(rf"^\s*\"{re.escape(key)}\"\s*=", line):
            return i
    return 1


def load_config(path: Path | None = None) -> Config:
    """The settings, with every problem described; never raises."""
    path = path or config_path()
    config = Config(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return config
    except (OSError, UnicodeDecodeError) as e:
        config.problems.append(f"{path}:1: cannot read the settings file ({e}); using the defaults")
        return config
    import tomllib  # most learners have no settings file: a start without one does not load it

    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        line = re.search(r"line (\d+)", str(e))
        config.problems.append(f"{path}:{line.group(1) if line else 1}: not valid TOML ({e}); using the defaults")
        return config
    for key in sorted(data.keys() - TOP_KEYS):
        config.problems.append(f"{path}:{_line_of(text, key)}: unknown setting {key!r} (known: {', '.join(sorted(TOP_KEYS))})")
    theme = data.get("theme")
    if theme is not None:
        if isinstance(theme, str) and theme.strip():
            config.theme = theme.strip()
        else:
            config.problems.append(f"{path}:{_line_of(text, 'theme')}: theme must be a theme name")
    keymap = data.get("keymap", {})
    if not isinstance(keymap, dict):
        config.problems.append(f"{path}:{_line_of(text, 'keymap')}: keymap must be a table: [keymap] then id = \"keys\"")
        keymap = {}
    for binding_id, keys in keymap.items():
        parts = [k.strip() for k in keys.split(",")] if isinstance(keys, str) else []
        if not parts or not all(KEY_RE.match(k) for k in parts):
            config.problems.append(f"{path}:{_line_of(text, binding_id)}: keymap {binding_id}: expected keys like \"n\" or "
                                   f"\"ctrl+d,pagedown\", got {keys!r}")
            continue
        config.keymap[binding_id] = ",".join(parts)
    return config
