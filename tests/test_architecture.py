"""The layout's import rules (pyproject.toml's [tool.importlinter]), checked with import-linter.

The core (`lmtui.core`), the headless commands (`lmtui.tools`) and the simulations never import
Textual or the interface; the simulations import nothing of lmtui. The second test proves the
contracts are live: the same check over a copy of the tree with one forbidden import fails.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def lint_imports(root: Path) -> subprocess.CompletedProcess[str]:
    # the console script's own entry, run by this interpreter (a virtualenv may not have the script)
    command = [sys.executable, "-c", "import sys; from importlinter.cli import lint_imports_command; "
               "sys.argv[0] = 'lint-imports'; sys.exit(lint_imports_command())"]
    return subprocess.run([*command, "--no-cache"], cwd=root, capture_output=True, text=True, timeout=120,
                          env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(root), "HOME": str(root)})


def test_the_import_contracts_are_kept():
    run = lint_imports(REPO)
    assert run.returncode == 0, run.stdout + run.stderr
    assert "0 broken" in run.stdout


def copy_tree(to: Path) -> None:
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
    for name in ("lmtui", "sims"):
        shutil.copytree(REPO / name, to / name, ignore=ignore)
    shutil.copy(REPO / "pyproject.toml", to / "pyproject.toml")


def test_a_core_module_importing_textual_breaks_the_contract(tmp_path):
    copy_tree(tmp_path)
    record = tmp_path / "lmtui" / "core" / "record.py"
    record.write_text(record.read_text(encoding="utf-8") + "\nfrom textual.widget import Widget\n", encoding="utf-8")
    run = lint_imports(tmp_path)
    assert run.returncode != 0
    assert "lmtui.core.record -> textual" in run.stdout, run.stdout


def test_a_simulation_importing_the_core_breaks_the_contract(tmp_path):
    copy_tree(tmp_path)
    base = tmp_path / "sims" / "base.py"
    base.write_text(base.read_text(encoding="utf-8") + "\nimport lmtui.core.record\n", encoding="utf-8")
    run = lint_imports(tmp_path)
    assert run.returncode != 0
    assert "sims.base -> lmtui.core.record" in run.stdout, run.stdout
