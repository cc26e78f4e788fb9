"""`lmtui report DIR`: how a room is doing, for its instructor.

DIR holds one folder per learner, each laid out like an LMTUI_HOME: ``DIR/<name>/progress.db``
(what ``lmtui serve --learners DIR`` writes, or a shared folder where each hub user's
``LMTUI_HOME`` is ``DIR/$USER``). A folder that is a user's home (``DIR/<user>/.local/share/lmtui``,
the default data folder on Linux) is found too, so ``lmtui report /home`` works where the reader
may read the homes.

Every store is opened read-only through lmtui.core.stores (one snapshot per store), so a report is safe
while learners are writing; a store that cannot be read (damaged, not a database, written by
another schema, holding values that are not what the app writes) is listed with the reason and
skipped, never changed; a report never stops at one store. Everything printed from a store or a
folder name is safe for a terminal (lmtui.core.sanitize). Counted as the app counts:
a learner's first answer to a question as it is now (an answer to a question edited since is not
counted), predictions as committed and graded by their run.

No Textual import here.
"""

from __future__ import annotations

import sys
import time
from argparse import ArgumentParser, Namespace
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from lmtui.core.clock import now as clock_now
from lmtui.core.sanitize import clean, clean_block, clean_path, json_safe

if TYPE_CHECKING:  # the parser is built on every start: the rest is imported when a report runs
    from lmtui.core.course import Course, Question

DB_NAME = "progress.db"  # as lmtui.core.progress names it (a test checks they agree)


def add_report_arguments(parser: ArgumentParser) -> None:
    parser.add_argument("dir", metavar="DIR", help="the learners' folder: one DIR/<name>/ per learner")
    out = parser.add_mutually_exclusive_group()
    out.add_argument("--csv", action="store_true", help="CSV, one row per learner (or per question with --by-question)")
    out.add_argument("--json", action="store_true", help="JSON: learners, questions and unreadable stores")
    parser.add_argument("--by-question", action="store_true",
                        help="with --csv: one row per question (how many answered, right, wrong), most missed first")


# -- the room -------------------------------------------------------------------------------------
@dataclass
class ChapterScore:
    correct: int
    answered: int
    total: int

    def text(self) -> str:
        return f"{self.correct}/{self.total}" if self.answered else "-"


@dataclass
class LearnerRow:
    learner: str
    chapters_read: int
    scores: dict[str, ChapterScore]  # chapter id -> first answers to questions as they are now
    predictions: int  # committed, to predict questions as they are now
    within_tolerance: int  # of those, graded right by their run
    last_activity: float | None
    last_chapter: str | None
    cards_due: int = 0  # review cards due now, for questions the course has
    reviewed: int = 0  # questions reviewed at least once
    reviews: int = 0  # review answers
    retained: int = 0  # of those, right

    def retained_text(self) -> str:
        return f"{self.retained / self.reviews:.0%}" if self.reviews else "-"


@dataclass
class QuestionRow:
    chapter: str
    question: str
    prompt: str
    predict: bool
    answered: int = 0  # learners with a counted answer (or a graded prediction)
    right: int = 0
    committed: list[dict] = field(default_factory=list)  # predict: each learner's committed prediction

    @property
    def wrong(self) -> int:
        return self.answered - self.right

    @property
    def wrong_share(self) -> float:
        return self.wrong / self.answered if self.answered else 0.0


@dataclass
class Report:
    course: Course
    learners: list[LearnerRow]
    questions: list[QuestionRow]  # most missed first
    unreadable: list[tuple[str, Path, str]]  # learner, store, why


def build_report(root: Path, course: Course, course_key: str) -> Report:
    from lmtui.core.stores import Unreadable, find_stores, read_store

    questions: dict[tuple[str, str], tuple[Question, QuestionRow]] = {}
    for chapter in course.chapters:
        for q in chapter.quiz:
            questions[(chapter.id, q.id)] = (q, QuestionRow(chapter.id, q.id, q.prompt, q.predict is not None))
    learners, unreadable = [], []
    for name, path in find_stores(root):
        name = clean_path(name)
        try:
            data = read_store(path, course_key)
        except Unreadable as e:
            unreadable.append((name, path, clean(str(e))))
            continue
        except Exception as e:  # whatever else a hostile store provokes is this store's, never the report's
            unreadable.append((name, path, clean(f"could not be read ({type(e).__name__}: {e})")))
            continue
        scores = {}
        for chapter in course.chapters:
            mc = [q for q in chapter.quiz if q.predict is None]
            answers = [(q, data.answers.get((chapter.id, q.id))) for q in mc]
            counted = [a for q, a in answers if a is not None and q.asked_as(a[2], a[0])]  # (choice, correct, fingerprint, ...)
            scores[chapter.id] = ChapterScore(sum(a[1] for a in counted), len(counted), len(mc))
        made = within = 0
        for key, (q, row) in questions.items():
            if q.predict is None:
                answer = data.answers.get(key)
                if answer is not None and q.asked_as(answer[2], answer[0]):
                    row.answered += 1
                    row.right += answer[1]
            else:
                prediction = data.predictions.get(key)
                if prediction is not None and q.asked_as(prediction[0], data.predicted[key].choice):
                    made += 1
                    p = data.predicted[key]
                    row.committed.append({"learner": name, "value": p.value, "choice": p.choice, "low": p.low,
                                          "high": p.high, "measured": p.measured, "within": p.correct})
                    if prediction[1] is not None:  # graded by its run
                        row.answered += 1
                        row.right += prediction[1]
                        within += prediction[1]
        times = [*data.read.values(), *(a[3] for a in data.answers.values()), *(a[4] for a in data.answers.values() if a[4]),
                 *(p[2] for p in data.predictions.values()), *(p[3] for p in data.predictions.values() if p[3])]
        known = {c.id for c in course.chapters}
        now = clock_now()
        reviews = [r for r in data.reviews if (r[0], r[1]) in questions]
        learners.append(LearnerRow(name, len(set(data.read) & known), scores, made, within,
                                   max(times) if times else None, data.last_chapter,
                                   sum(1 for key, due in data.cards.items() if key in questions and due <= now),
                                   len({(r[0], r[1]) for r in reviews}), len(reviews), sum(r[2] for r in reviews)))
    rows = sorted((row for _, row in questions.values()), key=lambda r: (-r.wrong_share, -r.wrong, r.chapter, r.question))
    return Report(course, learners, rows, unreadable)


# -- output ---------------------------------------------------------------------------------------
def _when(t: float | None, form: str = "%Y-%m-%d %H:%M", none: str = "-") -> str:
    if not t:
        return none
    try:
        return time.strftime(form, time.localtime(t))
    except (OverflowError, OSError, ValueError):
        return "?"


def _chapter_number(course: Course, chapter_id: str) -> str:
    index = course.index_of(chapter_id)
    return str(index) if index is not None else chapter_id


def _table(headers: list[str], rows: list[list[str]], right: set[int]) -> list[str]:
    widths = [max(len(h), *(len(r[i]) for r in rows)) if rows else len(h) for i, h in enumerate(headers)]

    def line(cells: list[str]) -> str:
        return "  ".join(c.rjust(w) if i in right else c.ljust(w) for i, (c, w) in enumerate(zip(cells, widths))).rstrip()

    return [line(headers), line(["-" * w for w in widths]), *(line(r) for r in rows)]


def render_text(report: Report) -> str:
    course = report.course
    chapters = course.chapters
    total_mc = sum(1 for c in chapters for q in c.quiz if q.predict is None)
    total_predict = sum(1 for c in chapters for q in c.quiz if q.predict is not None)
    out = [f"{len(report.learners)} learner(s); {len(chapters)} chapters, {total_mc} quiz questions"
           + (f", {total_predict} predictions" if total_predict else "")]
    headers = ["learner", "read"] + [str(i) for i in range(len(chapters))] + ["quiz", "predicted", "within", "due", "reviewed", "retained",
                                                                          "last activity"]
    rows = []
    for r in report.learners:
        right = sum(s.correct for s in r.scores.values())
        rows.append([r.learner, f"{r.chapters_read}/{len(chapters)}", *(r.scores[c.id].text() for c in chapters),
                     f"{right}/{total_mc}", str(r.predictions), str(r.within_tolerance), str(r.cards_due), str(r.reviewed),
                     r.retained_text(), _when(r.last_activity)])
    out += [""] + _table(headers, rows, right=set(range(1, len(headers) - 1)))
    import textwrap

    legend = ("quiz score per chapter: first answers right / questions (- none answered). Chapters: "
              + ", ".join(f"{i} {c.title}" for i, c in enumerate(chapters)) + ".")
    legend += (" due: review cards due now; reviewed: questions reviewed at least once; retained: review answers "
               "right.")
    out += textwrap.wrap(legend, 100)
    answered = [q for q in report.questions if q.answered]
    if answered:
        out += ["", "Questions, most missed first (first answers; predictions as graded by their run):", ""]
        qrows = [[f"{_chapter_number(course, q.chapter)}/{q.question}", str(q.answered), str(q.right), str(q.wrong),
                  f"{q.wrong_share:.0%}", _short(q.prompt, 56)] for q in answered]
        out += _table(["question", "answered", "right", "wrong", "wrong %", "prompt"], qrows, right={1, 2, 3, 4})
    if report.unreadable:
        out += ["", f"{len(report.unreadable)} store(s) could not be read (left as they are):"]
        out += [f"  {name}: {clean_path(path)}: {why}" for name, path, why in report.unreadable]
    return clean_block("\n".join(out) + "\n")


def _short(text: str, width: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= width else text[: width - 3] + "..."


def render_csv(report: Report, by_question: bool = False) -> str:
    import csv
    import io

    buffer = io.StringIO()
    writer = csv.writer(buffer)

    def row(values: list) -> None:  # every cell safe for a terminal (a CSV is often looked at with cat)
        writer.writerow([clean(str(v)) for v in values])

    if by_question:
        row(["chapter", "question", "kind", "answered", "right", "wrong", "wrong_share", "prompt"])
        for q in report.questions:
            row([q.chapter, q.question, "predict" if q.predict else "choice", q.answered, q.right, q.wrong,
                 f"{q.wrong_share:.3f}", q.prompt])
        return buffer.getvalue()
    chapters = report.course.chapters
    row(["learner", "chapters_read", *(f"quiz_{c.id}" for c in chapters), "quiz_right", "quiz_answered",
         "predictions", "within_tolerance", "cards_due", "reviewed", "reviews", "retained", "last_activity"])
    for r in report.learners:
        row([r.learner, r.chapters_read, *(f"{r.scores[c.id].correct}/{r.scores[c.id].total}"
                                           if r.scores[c.id].answered else "" for c in chapters),
             sum(s.correct for s in r.scores.values()), sum(s.answered for s in r.scores.values()),
             r.predictions, r.within_tolerance, r.cards_due, r.reviewed, r.reviews, r.retained,
             _when(r.last_activity, "%Y-%m-%dT%H:%M:%S", none="")])
    return buffer.getvalue()


def render_json(report: Report) -> str:
    import json

    chapters = report.course.chapters
    text = json.dumps({
        "chapters": [{"id": c.id, "title": c.title, "questions": sum(q.predict is None for q in c.quiz)} for c in chapters],
        "learners": [{
            "learner": r.learner, "chapters_read": r.chapters_read,
            "quiz": {cid: {"right": s.correct, "answered": s.answered, "total": s.total} for cid, s in r.scores.items()},
            "predictions": r.predictions, "within_tolerance": r.within_tolerance,
            "review": {"cards_due": r.cards_due, "reviewed": r.reviewed, "reviews": r.reviews, "retained": r.retained},
            "last_activity": r.last_activity, "last_chapter": r.last_chapter,
        } for r in report.learners],
        "questions": [{"chapter": q.chapter, "question": q.question, "kind": "predict" if q.predict else "choice",
                       "answered": q.answered, "right": q.right, "wrong": q.wrong, "prompt": q.prompt,
                       **({"predictions": q.committed} if q.predict else {})}
                      for q in report.questions],
        "unreadable": [{"learner": n, "store": clean_path(p), "why": w} for n, p, w in report.unreadable],
    }, indent=2, ensure_ascii=False) + "\n"
    return json_safe(text)


def report_main(args: Namespace) -> int:
    root = Path(args.dir)
    if not root.is_dir():
        print(f"lmtui report: {clean_path(root)} is not a folder (give the learners' folder: lmtui serve --learners DIR)", file=sys.stderr)
        return 2
    from lmtui.core.course import load_course

    content = getattr(args, "content", None)
    course = load_course(content)
    course_key = "builtin" if content is None else str(Path(content).resolve())
    try:
        report = build_report(root, course, course_key)
    except OSError as e:
        print(f"lmtui report: cannot read {clean_path(root)} ({e.strerror or e})", file=sys.stderr)
        return 2
    if args.json:
        sys.stdout.write(render_json(report))
    elif args.csv:
        sys.stdout.write(render_csv(report, by_question=args.by_question))
    else:
        sys.stdout.write(render_text(report))
    if not report.learners and not report.unreadable:
        print(f"lmtui report: no learner stores under {clean_path(root)} (each learner is a folder with {DB_NAME})", file=sys.stderr)
    elif report.unreadable and (args.json or args.csv):
        print(f"lmtui report: {len(report.unreadable)} store(s) could not be read: "
              + "; ".join(f"{n}: {w}" for n, _, w in report.unreadable), file=sys.stderr)
    return 0
