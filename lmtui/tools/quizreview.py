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
  choices with absolute words ("always", "never", ...) are the wrong ones.

Course-wide rates mean little for a handful of questions, so they are judged only from
``MIN_QUESTIONS`` questions on; the per-question tells always apply.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from lmtui.core.course import Course, Question

MIN_POSITION_SHARE = 0.15
MAX_LONGEST_SHARE = 0.30
MIN_QUESTIONS = 8
ABSOLUTE_WORDS = ("always", "never", "only", "completely", "entirely", "guaranteed", "impossible", "all", "none", "every")
_WORD = re.compile(r"\w+")
_SPACE_PUNCT = re.compile(r"[\s.,;:!?'\"()\[\]-]+")


@dataclass(frozen=True)
class Tell:
    path: Path
    line: int
    kind: str  # position | longest | duplicate | wording
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
    right = len(q.choices[q.answer - 1])
    return all(right > len(c) for i, c in enumerate(q.choices) if i != q.answer - 1)


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
    for path, q in pairs:
        tells.extend(_question_tells(path, q))
    return tells


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
    return out
