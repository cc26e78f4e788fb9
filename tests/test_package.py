"""What a learner installs is what the tests test: the sdist and the wheel `pip install .` builds.

The rest of the suite runs on the editable install, which reads the checkout; a file the package
forgets (a data folder such as content/figures) is invisible there. These tests build the sdist and, from it, the
wheel, compare both with the checkout file by file, install the wheel on its own (no editable
install, nothing from the checkout on the path) and run it from an unrelated folder: `lmtui check`
passes, and in a real pty every chapter opens and every figure of every chapter loads.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path

import pytest

from lmtui.core.course import load_course

from conftest import REPO
from ptysession import PtySession

# checkout folder -> where its files go in the wheel
WHEEL_ROOTS = {"lmtui": "lmtui", "sims": "lmtui/sims", "content": "lmtui/content"}
SDIST_ROOTS = ("lmtui", "sims", "content", "tests", "scripts", "docs")
SDIST_FILES = ("README.md", "LICENSE", "CHANGELOG.md", "pyproject.toml", "setup.py", "MANIFEST.in")


def tracked(*folders: str) -> list[str]:
    """Files under ``folders`` that the repository holds (what a clean clone has)."""
    try:
        out = subprocess.run(["git", "ls-files", "--", *folders], cwd=REPO, capture_output=True, text=True, check=True).stdout
        return sorted(out.split("\n")[:-1]) if out else []
    except (OSError, subprocess.CalledProcessError):  # not a git checkout: every file on disk
        return sorted(str(p.relative_to(REPO)) for f in folders for p in (REPO / f).rglob("*")
                      if p.is_file() and "__pycache__" not in p.parts)


@pytest.fixture(scope="module")
def dist(tmp_path_factory) -> dict[str, Path]:
    """sdist, then the wheel built from that sdist (as pip and packagers build it)."""
    out = tmp_path_factory.mktemp("dist")
    subprocess.run([sys.executable, "-m", "build", "--outdir", str(out), str(REPO)],
                   check=True, capture_output=True, text=True, timeout=300)
    return {"sdist": next(out.glob("lmtui-*.tar.gz")), "wheel": next(out.glob("lmtui-*.whl"))}


def test_the_wheel_ships_every_file_of_the_course_and_the_app(dist):
    names = set(zipfile.ZipFile(dist["wheel"]).namelist())
    expected = {WHEEL_ROOTS[f.split("/", 1)[0]] + "/" + f.split("/", 1)[1] for f in tracked(*WHEEL_ROOTS)}
    missing = sorted(expected - names)
    assert missing == [], f"in the repository but not in the wheel: {missing}"
    assert any(n.endswith("/licenses/LICENSE") for n in names)
    assert "lmtui/content/figures/timeline.toml" in names and "lmtui/tui/app.tcss" in names  # data files, not modules: easy to leave out


def test_the_sdist_ships_the_sources_and_the_tests(dist):
    with tarfile.open(dist["sdist"]) as tar:
        top = tar.getnames()[0].split("/")[0]
        names = {n.split("/", 1)[1] for n in tar.getnames() if "/" in n}
    missing = sorted(set(tracked(*SDIST_ROOTS)) - names) + [f for f in SDIST_FILES if f not in names]
    assert missing == [], f"in the repository but not in the sdist: {missing}"
    assert top == f"lmtui-{__import__('lmtui').__version__}"


@pytest.fixture(scope="module")
def installed(dist, tmp_path_factory) -> dict[str, str]:
    """The wheel installed on its own; the environment that runs it (dependencies come from this
    Python, lmtui only from the wheel), and an unrelated working folder."""
    target = tmp_path_factory.mktemp("site")
    subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--no-compile", "--target", str(target),
                    str(dist["wheel"])], check=True, capture_output=True, text=True, timeout=300)
    elsewhere = tmp_path_factory.mktemp("elsewhere")
    env = {**os.environ, "PYTHONPATH": str(target), "LMTUI_HOME": str(tmp_path_factory.mktemp("home"))}
    env.pop("NO_COLOR", None)
    where = subprocess.run([sys.executable, "-c", "import lmtui, lmtui.sims.base; print(lmtui.__file__); print(lmtui.sims.base.__file__)"],
                           env=env, cwd=elsewhere, capture_output=True, text=True, check=True).stdout.split()
    assert all(Path(p).is_relative_to(target) for p in where), f"not the wheel's lmtui: {where}"
    return {"script": str(target / "bin" / "lmtui"), "cwd": str(elsewhere), **{k: env[k] for k in ("PYTHONPATH", "LMTUI_HOME")}}


def test_installed_course_passes_check(installed):
    run = subprocess.run([sys.executable, installed["script"], "check", "--strict"], cwd=installed["cwd"], capture_output=True, text=True,
                         env={**os.environ, "PYTHONPATH": installed["PYTHONPATH"]}, timeout=120)
    assert run.returncode == 0, run.stdout + run.stderr
    assert "ok: 10 chapters" in run.stdout
    assert re.search(r":\d+: ", run.stdout) is None  # no file:line: problem or tell at all


def test_installed_app_opens_every_chapter_and_every_figure(installed):
    course = load_course(REPO / "content")
    env = {"PYTHONPATH": installed["PYTHONPATH"], "LMTUI_HOME": installed["LMTUI_HOME"]}
    s = PtySession([sys.executable, installed["script"]], cols=120, rows=40, env=env, cwd=installed["cwd"])
    try:
        assert s.wait_for("t:Text", timeout=30) is not None, s.text()
        s.settle(0.5)
        seen = s.text()
        assert "content problem" not in seen and "could not be loaded" not in seen, seen
        for i, chapter in enumerate(course.chapters):
            if i:
                s.send("n")
            assert s.wait_for(f"{chapter.order} {chapter.title} |", timeout=10) is not None, s.text()
            for n, ref in enumerate(chapter.figures):
                s.send("f")
                if ref.kind == "explorer":
                    expect = course.explorers[ref.name].title[:30]
                else:
                    expect = "ready (s: run)"
                label = "Figure" if len(chapter.figures) == 1 else f"Figure {n + 1}/{len(chapter.figures)}"
                assert s.wait_for(f"[f:{label}]", timeout=10) is not None, s.text()
                assert s.wait_for(expect, timeout=30) is not None, f"{chapter.id} {ref}: {s.text()}"
                screen = s.text()
                assert "could not be loaded" not in screen and "failed" not in screen, screen
            s.send("t")
        assert not s.saw_traceback
        assert s.quit() == 0
    finally:
        s.close()
