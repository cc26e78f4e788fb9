"""A parsed course, kept between starts: read back when its files have not changed.

The cache is one pickle per course folder in the user's cache folder (``~/.cache/lmtui`` on Linux,
or ``$LMTUI_CACHE``; ``LMTUI_CACHE=off`` turns it off). It holds the parsed model with a key made
of every file of the folder (name, size, modification time), the loader's own source files, the
lmtui version and the simulations known, so any edit, added or removed file, or upgrade parses the
folder afresh. The cache is only lmtui's own output, written by the user's own processes; a file
that cannot be read back is ignored and replaced. Anything going wrong here falls back to parsing.
"""

from __future__ import annotations

import hashlib
import os
import pickle
from collections.abc import Callable
from pathlib import Path

from lmtui import __version__

FORMAT = 4  # the pickled model's layout: raise it when the model's fields change


def cache_dir() -> Path | None:
    env = os.environ.get("LMTUI_CACHE")
    if env is not None:
        return None if env.strip().lower() in ("", "off", "0", "no") else Path(env).expanduser()
    from platformdirs import user_cache_dir

    return Path(user_cache_dir("lmtui", appauthor=False))


def _key(root: Path, known_sims: set[str]) -> str:
    parts: list[str] = [f"format {FORMAT}", __version__, ",".join(sorted(known_sims))]
    loaders = [Path(__file__).with_name(name) for name in ("course.py", "sanitize.py")]
    for path in (*loaders, *sorted(p for p in root.rglob("*") if p.is_file())):
        st = path.stat()
        parts.append(f"{path.relative_to(root) if path.is_relative_to(root) else path}|{st.st_size}|{st.st_mtime_ns}")
    return hashlib.sha256("\n".join(parts).encode("utf-8", "surrogateescape")).hexdigest()


def load(root: Path, known_sims: set[str], parse: Callable[[Path, set[str]], object]):
    folder = cache_dir()
    if folder is None or not root.is_dir():
        return parse(root, known_sims)
    try:
        root = root.resolve()
        key = _key(root, known_sims)
        target = folder / f"course-{hashlib.sha256(str(root).encode('utf-8', 'surrogateescape')).hexdigest()[:16]}.pickle"
    except OSError:
        return parse(root, known_sims)
    try:
        with open(target, "rb") as f:
            stored_key, course = pickle.load(f)
        if stored_key == key:
            return course
    except Exception:  # missing, unreadable, or from another version: parse and replace it
        pass
    course = parse(root, known_sims)
    _store(folder, target, key, course)
    return course


def _store(folder: Path, target: Path, key: str, course: object) -> None:
    import tempfile

    tmp = None
    try:
        folder.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=folder, prefix=".course-", suffix=".tmp")
        with os.fdopen(fd, "wb") as f:
            pickle.dump((key, course), f, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(tmp, target)  # atomic: another copy of the app reads the old file or the new
        tmp = None
    except (OSError, pickle.PicklingError):
        pass
    finally:
        if tmp is not None:
            try:
                os.unlink(tmp)
            except OSError:
                pass
