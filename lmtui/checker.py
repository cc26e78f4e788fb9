"""`lmtui check [DIR]`: validate a course folder, one `file:line: message` per problem."""

from __future__ import annotations

import os
import sys
from pathlib import Path

from .course import Problem, builtin_content_dir, load_course


def _shown(path: Path) -> str:
    try:
        rel = os.path.relpath(path)
    except ValueError:  # another drive on Windows
        return str(path)
    return rel if not rel.startswith("..") else str(path)


def format_problem(problem: Problem) -> str:
    return f"{_shown(problem.path)}:{problem.line}: {problem.message}"


def check_main(directory: str | None) -> int:
    root = Path(directory) if directory else builtin_content_dir()
    course = load_course(root)
    for problem in course.problems:
        print(format_problem(problem))
    if course.problems:
        print(f"{len(course.problems)} problem(s) in {_shown(root)}", file=sys.stderr)
        return 1
    questions = sum(len(c.quiz) for c in course.chapters)
    pages = sum(len(c.pages) for c in course.chapters)
    print(f"ok: {len(course.chapters)} chapters, {pages} pages, {questions} questions, "
          f"{len(course.explorers)} explorer figures in {_shown(root)}")
    return 0
