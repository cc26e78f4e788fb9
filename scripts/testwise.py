"""Play a test-wise learner who never read the course: surface rules only, no knowledge.

For each rule (the cues of lmtui.tools.quizreview: the only choice holding an equation, the most
elaborated choice, the most symbols and digits, the longest, the one that concedes a limit on
"honest reply" items, the most words shared with the prompt, the most words shared with the other
choices) it prints, over the four-choice questions, how often the rule picks a choice (n) and how
often that choice is right, then the score of a learner who follows the rule where it picks and
guesses elsewhere (expected 1/4), the score of one who avoids the rule's pick (guessing among the
other three: a cue right far below chance leaks too), the best such score, and the score of a
learner who lets all rules vote.

    python scripts/testwise.py [COURSE_DIR] [--list]

--list prints, for each cue, the questions where it picks the right choice.
"""

from __future__ import annotations

import argparse
import collections
from pathlib import Path

from lmtui.core.course import builtin_content_dir, load_course
from lmtui.tools.quizreview import CUES, cue_rates


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("course", nargs="?", default=None)
    ap.add_argument("--list", action="store_true", help="name the questions each cue gets right")
    args = ap.parse_args(argv)
    root = Path(args.course) if args.course else builtin_content_dir()
    course = load_course(root)
    four = [(c.id, q) for c in course.chapters for q in c.quiz
            if q.kind == "choice" and q.answer and len(q.choices) == 4]
    total = len(four)
    if not total:
        print("no four-choice questions")
        return 1
    questions = [q for _, q in four]
    rates = cue_rates(questions)
    print(f"{total} four-choice questions in {root} (chance 25%)")
    print(f"{'cue':<14}{'n':>4}{'right':>7}{'hit rate':>10}{'score':>8}{'avoid':>8}")
    best = ("", 0.0)
    for name, rate in rates.items():
        score = (rate.hits + 0.25 * (total - rate.applies)) / total
        avoid = ((rate.applies - rate.hits) / 3 + 0.25 * (total - rate.applies)) / total
        for rule, value in ((name, score), (f"avoid {name}", avoid)):
            if value > best[1]:
                best = (rule, value)
        print(f"{name:<14}{rate.applies:>4}{rate.hits:>7}{rate.share:>10.0%}{score:>8.1%}{avoid:>8.1%}")
        if args.list:
            for cid, q in four:
                if CUES[name](q) == q.answer - 1:
                    print(f"    {cid}/{q.id}")
    print(f"best single rule: {best[0]}, expected score {best[1]:.1%}")
    # every rule votes; the learner picks the most-voted choice, guessing among ties
    vote = 0.0
    for q in questions:
        counts = collections.Counter(p for p in (pick(q) for pick in CUES.values()) if p is not None)
        if not counts:
            vote += 0.25
            continue
        top = max(counts.values())
        leaders = [c for c, n in counts.items() if n == top]
        vote += (q.answer - 1 in leaders) / len(leaders)
    print(f"all rules voting: expected score {vote / total:.1%}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
