#!/usr/bin/env python3
"""Write lmtui/core/legacy/quiz-<version>.json: the built-in quizzes as a released version shipped them,
for migrating learners' schema-1 stores (answers kept by question and choice *position*).

    python scripts/legacy_quiz_snapshot.py 341d32b 0.1.0

Each old question i is mapped to the id of question i in today's quiz (the course keeps a question's
position when it is rewritten; new questions are appended). Run by hand when a release changes the
quizzes of a store schema that positions index; the output is package data.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tomllib
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))


def main(commit: str, version: str) -> None:
    from lmtui.core.course import load_course

    course = load_course(REPO / "content")
    out: dict[str, list[dict]] = {}
    for chapter in course.chapters:
        name = chapter.path.name[: -len(".md")] + ".quiz.toml"
        old = subprocess.run(["git", "show", f"{commit}:content/{name}"], cwd=REPO, capture_output=True, text=True, check=True).stdout
        questions = tomllib.loads(old)["question"]
        if len(questions) > len(chapter.quiz):
            raise SystemExit(f"{name}: {len(questions)} old questions, only {len(chapter.quiz)} now")
        out[chapter.id] = [
            {"id": chapter.quiz[i].id, "prompt": q["prompt"].strip(), "choices": [c.strip() for c in q["choices"]], "answer": q["answer"]}
            for i, q in enumerate(questions)
        ]
    target = REPO / "lmtui" / "legacy" / f"quiz-{version}.json"
    target.parent.mkdir(exist_ok=True)
    target.write_text(json.dumps(out, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    print(f"wrote {target.relative_to(REPO)}: {sum(len(v) for v in out.values())} questions")


if __name__ == "__main__":
    main(*sys.argv[1:3])
