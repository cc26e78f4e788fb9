"""Read a course's quiz the way a test-wise learner would: the tells that let a reader pass it
without knowing the material. No Textual, no numpy; `lmtui check` reports these as warnings (errors
with ``--strict``), so an instructor's quiz gets the same review as the built-in one.

The tells:

- *position*: the right answers bunch in one position (among four-choice questions, every position
  should be right in at least ``MIN_POSITION_SHARE`` of them);
- *longest*: the right choice is the strictly longest one too often (more than ``MAX_LONGEST_SHARE``);
- *duplicate*: two choices of one question say the same thing (equal once case, spaces and
  punctuation are ignored);
- *wording*: the right choice is the only one that explains itself ("because ..."), or the only
  choices with absolute words ("always", "never", ...) are the wrong ones;
- *equation*: the right choice is the only one holding an equation or a relation (=, ∝, ≈, <, ...);
- *concedes*: on an "honest reply" question, the right choice is the only one that concedes a limit
  ("not yet", "but", "only", ...);
- *elaborated*, *symbols*, *prompt-words*, *convergence*: the choice with the most clauses (commas,
  semicolons, colons, "which", "while", ...), the most symbols and digits, the most words shared with
  the prompt, or the most words shared with the other choices (the one the wrong choices are
  variations of) is right too often (in more than ``MAX_CUE_SHARE`` of the four-choice questions
  where one choice has strictly the most).

Each surface cue is a function from a question to the choice it picks (or None where it picks
none): `CUES`, also used by ``scripts/testwise.py`` to play the test-wise learner.

Course-wide rates mean little for a handful of questions, so they are judged only from
``MIN_QUESTIONS`` questions on; the per-question tells always apply.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from lmtui.core.course import Course, Question

MIN_POSITION_SHARE = 0.15
MAX_LONGEST_SHARE = 0.30
MIN_QUESTIONS = 8
ABSOLUTE_WORDS = ("always", "never", "only", "completely", "entirely", "guaranteed", "impossible", "all", "none", "every")
MAX_CUE_SHARE = 0.40  # chance is 0.25 on four choices
MIN_CUE_QUESTIONS = 8
_WORD = re.compile(r"\w+")
_RELATION = re.compile(r"[=∝≈≤≥<>≡≪≫]")
_CLAUSE_WORDS = frozenset(("which", "where", "while", "whose", "because", "since", "but", "although", "though",
                           "whereas", "unless", "so", "yet", "when"))
_CLAUSE_MARKS = ",;:—"
_CONCEDE = re.compile(r"\b(not yet|yet|but|only|limit\w*|open|partly|partial\w*|concede\w*|cannot|can't|"
                      r"although|though|caveat\w*|unknown|unsolved|approximate\w*|so far|no one|nobody|remain\w*)\b")
_STOP = frozenset(("this", "that", "with", "what", "which", "from", "they", "them", "their", "there", "these",
                   "those", "have", "does", "will", "would", "could", "should", "into", "than", "then", "when",
                   "where", "while", "about", "most", "more", "each", "only", "also", "such", "some", "other",
                   "over", "under", "after", "before", "same", "just", "like", "best", "your", "you"))
_SPACE_PUNCT = re.compile(r"[\s.,;:!?'\"()\[\]-]+")


@dataclass(frozen=True)
class Tell:
    path: Path
    line: int
    kind: str  # position | longest | duplicate | wording | equation | concedes | elaborated | symbols | prompt-words | convergence
    message: str


@dataclass(frozen=True)
class QuizFigures:
    """The figures behind the course-wide tells, for reports."""

    four_choice: int
    positions: tuple[int, ...]  # right-answer counts by position 1-4, four-choice questions only
    choice_questions: int
    longest_right: int

    @property
    def longest_share(self) -> float:
        return self.longest_right / self.choice_questions if self.choice_questions else 0.0

    def text(self) -> str:
        share = ", ".join(f"{i + 1}: {n}" for i, n in enumerate(self.positions))
        return (f"right answer by position (4-choice questions, {self.four_choice}): {share}; "
                f"longest choice is right in {self.longest_right}/{self.choice_questions} "
                f"({self.longest_share:.0%})")


def _normal(text: str) -> str:
    """Case, spacing and punctuation dropped; words, numbers and math signs kept (ηk > 1 and ηk < 2
    are different choices)."""
    return _SPACE_PUNCT.sub(" ", text.casefold()).strip()


def _words(text: str) -> set[str]:
    return set(_WORD.findall(text.casefold()))


def longest_is_right(q: Question) -> bool:
    return pick_longest(q) == q.answer - 1


def _unique_max(scores: list[int]) -> int | None:
    """The 0-based index of the strictly highest positive score, or None (a tie or nothing scores)."""
    top = max(scores, default=0)
    return scores.index(top) if top > 0 and scores.count(top) == 1 else None


def has_relation(text: str) -> bool:
    """An equation or relation: =, ∝, ≈, <, >, ≤, ≥, ≡."""
    return bool(_RELATION.search(text))


def clause_count(text: str) -> int:
    """How elaborated a choice reads: punctuation that joins clauses plus subordinating words."""
    return sum(text.count(m) for m in _CLAUSE_MARKS) + sum(w in _CLAUSE_WORDS for w in _WORD.findall(text.casefold()))


def symbol_count(text: str) -> int:
    """Digits and mathematical symbols (operators, Greek letters, sub- and superscripts)."""
    n = 0
    for ch in text:
        if ch.isdigit() or ch in "=+*/^<>|":
            n += 1
        elif ord(ch) > 127 and (unicodedata.category(ch) in ("Sm", "No", "Nd", "Lm")
                                or unicodedata.name(ch, "").startswith("GREEK")):
            n += 1
    return n


def concessions(text: str) -> int:
    return len(_CONCEDE.findall(text.casefold()))


def is_honest_item(q: Question) -> bool:
    return "honest" in q.prompt.casefold()


def _content_words(text: str) -> set[str]:
    return {w for w in _WORD.findall(text.casefold()) if len(w) >= 4 and w not in _STOP}


def pick_equation(q: Question) -> int | None:
    having = [i for i, c in enumerate(q.choices) if has_relation(c)]
    return having[0] if len(having) == 1 else None


def pick_elaborated(q: Question) -> int | None:
    return _unique_max([clause_count(c) for c in q.choices])


def pick_symbols(q: Question) -> int | None:
    return _unique_max([symbol_count(c) for c in q.choices])


def pick_longest(q: Question) -> int | None:
    return _unique_max([len(c) for c in q.choices])


def pick_concedes(q: Question) -> int | None:
    return _unique_max([concessions(c) for c in q.choices]) if is_honest_item(q) else None


def pick_prompt_words(q: Question) -> int | None:
    asked = _content_words(q.prompt)
    return _unique_max([len(_content_words(c) & asked) for c in q.choices])


def pick_convergence(q: Question) -> int | None:
    """The choice the others are variations of: most words shared with the other choices."""
    words = [_content_words(c) for c in q.choices]
    return _unique_max([sum(len(w & other) for j, other in enumerate(words) if j != i) for i, w in enumerate(words)])


# cue name -> the choice (0-based) a test-wise reader picks by it, or None where it picks none
CUES: dict[str, Callable[[Question], int | None]] = {
    "equation": pick_equation,
    "elaborated": pick_elaborated,
    "symbols": pick_symbols,
    "longest": pick_longest,
    "concedes": pick_concedes,
    "prompt-words": pick_prompt_words,
    "convergence": pick_convergence,
}
RATE_CUES = ("elaborated", "symbols", "prompt-words", "convergence")  # judged course-wide; equation and concedes per question


@dataclass(frozen=True)
class CueRate:
    cue: str
    applies: int  # four-choice questions where the cue picks a choice
    hits: int  # ... and picks the right one

    @property
    def share(self) -> float:
        return self.hits / self.applies if self.applies else 0.0


def cue_rates(questions: list[Question]) -> dict[str, CueRate]:
    """Each cue's hit rate over the four-choice questions among ``questions``."""
    four = [q for q in questions if len(q.choices) == 4 and q.answer]
    out = {}
    for name, pick in CUES.items():
        picks = [(pick(q), q.answer - 1) for q in four]
        applied = [(p, a) for p, a in picks if p is not None]
        out[name] = CueRate(name, len(applied), sum(p == a for p, a in applied))
    return out


def _choice_questions(course: Course) -> list[tuple[Path, Question]]:
    return [(c.path.with_name(c.path.name[: -len(".md")] + ".quiz.toml"), q)
            for c in course.chapters for q in c.quiz if q.kind == "choice" and q.answer]


def figures(course: Course) -> QuizFigures:
    questions = [q for _, q in _choice_questions(course)]
    four = [q for q in questions if len(q.choices) == 4]
    positions = tuple(sum(q.answer == i for q in four) for i in range(1, 5))
    return QuizFigures(len(four), positions, len(questions), sum(longest_is_right(q) for q in questions))


def review(course: Course) -> list[Tell]:
    """Every tell in the course's quizzes, in file order, course-wide ones first."""
    tells: list[Tell] = []
    pairs = _choice_questions(course)
    if not pairs:
        return tells
    fig = figures(course)
    first_path = pairs[0][0]
    if fig.four_choice >= MIN_QUESTIONS:
        low = [i + 1 for i, n in enumerate(fig.positions) if n < MIN_POSITION_SHARE * fig.four_choice]
        if low:
            tells.append(Tell(first_path, 1, "position",
                              f"answer positions are unbalanced: position {', '.join(map(str, low))} is right in fewer than "
                              f"{MIN_POSITION_SHARE:.0%} of the four-choice questions ({fig.text()})"))
    if fig.choice_questions >= MIN_QUESTIONS and fig.longest_share > MAX_LONGEST_SHARE:
        hits = [f"{p.name}:{q.line}" for p, q in pairs if longest_is_right(q)]
        which = ", ".join(hits[:6]) + (f" and {len(hits) - 6} more" if len(hits) > 6 else "")
        tells.append(Tell(first_path, 1, "longest",
                          f"the right choice is the longest in {fig.longest_right} of {fig.choice_questions} questions "
                          f"({fig.longest_share:.0%}; at most {MAX_LONGEST_SHARE:.0%} keeps 'pick the longest' from working): {which}"))
    rates = cue_rates([q for _, q in pairs])
    for name in RATE_CUES:
        rate = rates[name]
        if rate.applies >= MIN_CUE_QUESTIONS and rate.share > MAX_CUE_SHARE:
            pick = CUES[name]
            hits = [f"{p.name}:{q.line}" for p, q in pairs
                    if len(q.choices) == 4 and pick(q) is not None and pick(q) == q.answer - 1]
            which = ", ".join(hits[:6]) + (f" and {len(hits) - 6} more" if len(hits) > 6 else "")
            tells.append(Tell(first_path, 1, name,
                              f"the choice with {_CUE_TEXT[name]} is right in {rate.hits} of the {rate.applies} "
                              f"four-choice questions where one has the most ({rate.share:.0%}; at most "
                              f"{MAX_CUE_SHARE:.0%}, chance is 25%): {which}"))
    for path, q in pairs:
        tells.extend(_question_tells(path, q))
    return tells


_CUE_TEXT = {
    "elaborated": "the most clauses (commas, semicolons, 'which', 'while', ...)",
    "symbols": "the most symbols and digits",
    "prompt-words": "the most words shared with the prompt",
    "convergence": "the most words shared with the other choices",
}


def _question_tells(path: Path, q: Question) -> list[Tell]:
    out: list[Tell] = []
    normal = [_normal(c) for c in q.choices]
    for i in range(len(normal)):
        for j in range(i + 1, len(normal)):
            if normal[i] == normal[j]:
                out.append(Tell(path, q.line, "duplicate", f"question {q.id!r}: choices {i + 1} and {j + 1} say the same thing"))
    right = q.answer - 1
    words = [_words(c) for c in q.choices]
    because = [i for i, w in enumerate(words) if "because" in w]
    if because == [right] and len(q.choices) > 2:
        out.append(Tell(path, q.line, "wording", f"question {q.id!r}: only the right choice says 'because'"))
    absolute = [i for i, w in enumerate(words) if w & set(ABSOLUTE_WORDS)]
    if absolute and right not in absolute and len(absolute) == len(q.choices) - 1:
        out.append(Tell(path, q.line, "wording",
                        f"question {q.id!r}: every wrong choice has an absolute word ({', '.join(ABSOLUTE_WORDS[:4])}, ...) and the right one none"))
    if len(q.choices) > 2 and pick_equation(q) == right:
        out.append(Tell(path, q.line, "equation",
                        f"question {q.id!r}: only the right choice holds an equation or relation (=, ∝, ≈, <, ...)"))
    conceding = [i for i, c in enumerate(q.choices) if concessions(c)]
    if is_honest_item(q) and conceding == [right] and len(q.choices) > 2:
        out.append(Tell(path, q.line, "concedes",
                        f"question {q.id!r}: asks for an honest reply and only the right choice concedes a limit "
                        f"('not yet', 'but', 'only', ...)"))
    return out
