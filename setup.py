"""Which folders ship: every folder under the three package roots, data-only ones included
(content/figures, lmtui/core/legacy, ...), so a new folder can never be left out of the wheel.
Everything else about the package is in pyproject.toml; which files ship is MANIFEST.in's
`graft` of each root (tests/test_package.py compares the built wheel and sdist with the checkout)."""

import os

from setuptools import setup

ROOTS = {"lmtui": "lmtui", "lmtui.sims": "sims", "lmtui.content": "content"}


def package_dirs() -> dict[str, str]:
    out: dict[str, str] = {}
    for package, root in ROOTS.items():
        for folder, subfolders, _files in os.walk(root):
            subfolders[:] = sorted(d for d in subfolders if d != "__pycache__" and not d.startswith("."))
            rel = os.path.relpath(folder, root)
            out[package if rel == "." else f"{package}.{rel.replace(os.sep, '.')}"] = folder
    return out


dirs = package_dirs()
setup(packages=sorted(dirs), package_dir=dirs)
