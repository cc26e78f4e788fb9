"""Play a test-wise learner who never read the course: surface rules only, no knowledge.

For each rule (the cues of lmtui.tools.quizreview: the only choice holding an equation, the most
elaborated choice, the most symbols and digits, the longest, the one that concedes a limit on
"honest reply" items, the most words shared with the prompt, the most words shared with the other
choices) it prints, over the four-choice questions, how often the rule picks a choice (n) and how
often that choice is right, then the score of a learner who follows the rule where it picks and
guesses elsewhere (expected 1/4), the score of one who avoids the rule's pick (guessing among the
other three: a cue right far below chance leaks too), the best such score, and the score of a
learner who lets all rules vote, and the best ordered combination of up to three rules (follow one
cue, else strike another's pick, ...), chosen on the quiz itself: an upper bound on what surface
rules can do there.

    python scripts/testwise.py [COURSE_DIR] [--list] [--null N]

--list prints, for each cue, the questions where it picks the right choice.
"""

from __future__ import annotations

import argparse
import collections
import dataclasses
import itertools
import random
import statistics
from pathlib import Path

from lmtui.core.course import builtin_content_dir, load_course
from lmtui.tools.quizreview import cue_picks, cue_rates


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("course", nargs="?", default=None)
    ap.add_argument("--list", action="store_true", help="name the questions each cue gets right")
    ap.add_argument("--null", type=int, default=0, metavar="N",
                    help="also run the combination search on N copies of the quiz with keys placed at random "
                         "(what the search finds where no cue can work)")
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
    everything = [q for c in course.chapters for q in c.quiz]  # what answers-another reads
    picks = cue_picks(everything)
    rates = {name: rate for name, rate in cue_rates(everything).items()}
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
                if picks[name](q) == q.answer - 1:
                    print(f"    {cid}/{q.id}")
    print(f"best single rule: {best[0]}, expected score {best[1]:.1%}")
    # every rule votes; the learner picks the most-voted choice, guessing among ties
    vote = 0.0
    for q in questions:
        counts = collections.Counter(p for p in (pick(q) for pick in picks.values()) if p is not None)
        if not counts:
            vote += 0.25
            continue
        top = max(counts.values())
        leaders = [c for c, n in counts.items() if n == top]
        vote += (q.answer - 1 in leaders) / len(leaders)
    print(f"all rules voting: expected score {vote / total:.1%}")
    rules, score = best_combination(questions, picks)
    print(f"best combination of up to {MAX_RULES} rules (chosen on this quiz, so an upper bound): "
          f"{' > '.join(rules)}, expected score {score:.1%}")
    if args.null:
        rng = random.Random(0)
        found = sorted(best_combination([dataclasses.replace(q, answer=rng.randint(1, 4)) for q in questions], picks)[1]
                       for _ in range(args.null))
        print(f"the same search on {args.null} quizzes with random keys: median {statistics.median(found):.1%}, "
              f"highest {found[-1]:.1%}")
    return 0


MAX_RULES = 3


def best_combination(questions, picks) -> tuple[tuple[str, ...], float]:
    """The best ordered list of up to ``MAX_RULES`` rules, each a cue ("follow its pick") or
    "avoid cue" ("strike its pick"): a question is answered by the first cue in the list that picks
    a choice still standing, else by a guess among the choices not struck."""
    table = [(q.answer - 1, {name: pick(q) for name, pick in picks.items()}) for q in questions]
    rules = [*picks, *(f"avoid {name}" for name in picks)]

    def expected(order: tuple[str, ...]) -> float:
        total = 0.0
        for right, chosen in table:
            standing = set(range(4))
            for rule in order:
                avoid = rule.startswith("avoid ")
                pick = chosen[rule[6:] if avoid else rule]
                if pick is None or pick not in standing:
                    continue
                if not avoid:
                    standing = {pick}
                    break
                if len(standing) > 1:
                    standing.discard(pick)
            total += (right in standing) / len(standing)
        return total / len(table)

    best: tuple[tuple[str, ...], float] = ((), 0.25)
    for order in (o for k in range(1, MAX_RULES + 1) for o in itertools.permutations(rules, k)):
        value = expected(order)
        if value > best[1] + 1e-12:
            best = (order, value)
    return best


if __name__ == "__main__":
    raise SystemExit(main())
