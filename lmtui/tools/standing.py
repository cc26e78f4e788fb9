"""`lmtui review --due` and `lmtui progress`: the learner's review queue and overview, printed.

Both read the learner's own store (``LMTUI_HOME``) for the course given by ``--content`` (default:
the built-in one), as the app would open it, and print plain text, or JSON with ``--json`` (for
scripts). ``--at`` asks as of another time (an ISO date-time; without a zone, local time).
"""

from __future__ import annotations

import argparse
import json
import sys
from datetime import datetime, timezone

from lmtui.core.sanitize import clean, clean_path


def at_time(text: str | None) -> float:
    """Seconds since the epoch for ``--at`` (an ISO 8601 date or date-time), or now."""
    from lmtui.core.clock import now, parse_moment

    if not text:
        return now()
    try:
        return parse_moment(text)  # without a zone: local time, as the learner writes it
    except (ValueError, OverflowError, OSError):
        raise SystemExit(f"lmtui: --at {text!r} is not an ISO date-time (e.g. 2026-12-05T09:00 or 2026-12-05T09:00Z)")


def stamp(t: float) -> str:
    return datetime.fromtimestamp(round(t), tz=timezone.utc).strftime("%Y-%m-%d %H:%M UTC")


def iso(t: float | None) -> str | None:
    return None if t is None else datetime.fromtimestamp(t, tz=timezone.utc).isoformat(timespec="seconds")


def add_review_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--due", action="store_true", help="print the cards due (instead of opening the Review view)")
    parser.add_argument("--json", action="store_true", help="with --due: as JSON")
    parser.add_argument("--at", metavar="ISO-DATETIME", help="with --due: due as of this time (default: now)")


def add_progress_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--json", action="store_true", help="as JSON")
    parser.add_argument("--at", metavar="ISO-DATETIME", help="cards due as of this time (default: now)")


def open_record(content: str | None):
    """The learner's record for the course, as the app opens it (warnings go to stderr)."""
    from lmtui.core.course import load_course
    from lmtui.core.progress import ProgressStore
    from lmtui.core.record import LearnerRecord, course_key

    course = load_course(content)
    if not course.chapters:
        raise SystemExit(f"lmtui: no chapter could be loaded from {clean_path(course.root)}; run `lmtui check` for the list")
    record = LearnerRecord(course, ProgressStore(course=course_key(content)), course_key(content))
    for warning in record.warnings():
        print(f"lmtui: {clean(warning)}", file=sys.stderr)
    return record


def review_due_main(args: argparse.Namespace) -> int:
    from lmtui.core.review import due_cards, due_summary, next_due, schedule, when

    at = at_time(args.at)
    record = open_record(args.content)
    cards = record.cards()
    held = len(schedule(record.course, cards))  # the cards of questions the course still asks
    due = due_cards(record.course, cards, at)
    later = next_due(record.course, cards, at)
    if args.json:
        print(json.dumps({
            "at": iso(at), "cards": held, "next_due": iso(later),
            "due": [{"chapter": d.card.chapter, "question": d.card.question, "kind": d.kind, "due": iso(d.card.due),
                     "prompt": d.question.prompt if d.question else None, "reviews": d.card.reps - 1,
                     "lapses": d.card.lapses} for d in due],
        }, indent=2, ensure_ascii=False))
        return 0
    if not cards:
        print(due_summary(record.course, cards, at))
        return 0
    print(f"{len(due)} card{'s' if len(due) != 1 else ''} due at {stamp(at)} (of {held}):")
    for d in due:
        prompt = clean(d.question.prompt) if d.question else d.card.question
        if len(prompt) > 60:
            prompt = prompt[:57] + "..."
        place = clean(record.course.question_place(d.card.chapter, d.card.question))
        print(f"  {when(d.card.due, at):>16}  {d.kind:<7}  {place}: {prompt}")
    print(due_summary(record.course, cards, at))
    return 0


def progress_main(args: argparse.Namespace) -> int:
    from lmtui.core.overview import overview

    at = at_time(args.at)
    record = open_record(args.content)
    view = overview(record, at)
    if args.json:
        print(json.dumps(view.to_json(), indent=2, ensure_ascii=False))
        return 0
    for line in progress_lines(view):
        print(line)
    return 0


def progress_lines(view) -> list[str]:
    """The overview as a table, the calibration sentence and the missed questions."""
    width = max([len(clean(c.title)) for c in view.chapters] + [12])
    width = min(width, 40)
    head = f"{'Ch':>3} {'Chapter':<{width}}  {'Read':<4}  {'Quiz right':>12}  {'Predictions':>12}  {'Due now':>7}"
    lines = [head, "-" * len(head)]
    for c in view.chapters:
        title = clean(c.title)
        title = title if len(title) <= width else title[: width - 3] + "..."
        quiz = f"{c.quiz_right}/{c.quiz_answered} of {c.quiz_total}" if c.quiz_total else "-"
        pred = f"{c.predict_right}/{c.predict_graded} of {c.predict_total}" if c.predict_total else "-"
        lines.append(f"{c.order:>3} {title:<{width}}  {'yes' if c.read else 'no':<4}  {quiz:>12}  {pred:>12}  {c.due or '-':>7}")
    lines.append("-" * len(head))
    quiz = f"{view.total('quiz_right')}/{view.total('quiz_answered')} of {view.total('quiz_total')}"
    pred = f"{view.total('predict_right')}/{view.total('predict_graded')} of {view.total('predict_total')}"
    read = f"{view.read}/{len(view.chapters)}"
    lines.append(f"{'':>3} {'Total':<{width}}  {read:<4}  {quiz:>12}  {pred:>12}  {view.total('due'):>7}")
    lines.append("Quiz right: first answers right / answered, of the chapter's questions. Predictions: within "
                 "tolerance / run. Due now: review cards to answer again now.")
    lines.append(f"Review: {view.due_text}")
    lines.append("")
    lines.append(f"Predictions: {view.calibration.sentence()}")
    if view.missed:
        lines.append("")
        lines.append(f"Missed ({len(view.missed)}): first answer wrong, or prediction out of tolerance")
        for m in view.missed:
            prompt = clean(m.prompt)
            prompt = prompt if len(prompt) <= 60 else prompt[:57] + "..."
            lines.append(f"  {clean(view.where(m))}: {prompt}")
    return lines
