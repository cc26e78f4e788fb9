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
- *answers-another*: the right choice restates a formula, number or phrase that another question's
  prompt or explanation gives (the learner sees every prompt of a quiz, and each explanation once
  that question is answered), while no wrong choice does: one question answers the other;
- *elaborated*, *symbols*, *prompt-words*, *convergence*: the choice with the most clauses (commas,
  semicolons, colons, "which", "while", ...), the most symbols and digits, the most words shared with
  the prompt, or the most words shared with the other choices (the one the wrong choices are
  variations of) is right too often (in more than ``MAX_CUE_SHARE`` of the four-choice questions
  where one choice has strictly the most).

Each surface cue is a function from a question to the choice it picks (or None where it picks
none): `CUES`, also used by ``scripts/testwise.py`` to play the test-wise learner. The
*answers-another* cue needs the rest of the quiz: `answered_elsewhere` builds its pick function.

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
    kind: str  # position | longest | duplicate | wording | equation | concedes | answers-another | elaborated | symbols | prompt-words | convergence
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


_MATH_CHARS = frozenset("=∝≈≤≥<>≡≪≫→∞∫∑∇∂/^()√·×−+*_²³⁴⁵⁶⁷⁸⁹⁰¹⁻ⁿᵢⱼ₀₁₂₃₄½⅓¼‖|%")
_EDGE_PUNCT = ",.;:!?'\"“”‘’"
MIN_EXPRESSION = 4  # characters of a formula or number worth matching (not "1/2" or "K_T")
PHRASE_WORDS = 4  # words of a run of prose worth matching


def _mathy(token: str) -> bool:
    return any(ch.isdigit() or ch in _MATH_CHARS for ch in token) or (
        len(token) == 1 and unicodedata.name(token, "").startswith("GREEK"))


def expressions(text: str) -> set[str]:
    """The formulas and numbers a text states, spaces dropped: maximal runs of words that hold a
    digit or a mathematical sign (or are an operator or a lone Greek letter), at least
    ``MIN_EXPRESSION`` characters (T/(k(1 − ηk/2)) becomes T/(k(1−ηk/2)))."""
    out: set[str] = set()
    run: list[str] = []
    for token in text.split() + [""]:
        core = token.strip(_EDGE_PUNCT)
        if core and _mathy(core):
            run.append(core)
            if token[-1:] in ",;:!?":  # the clause, and the formula, end here
                out.add("".join(run))
                run = []
        elif run:
            out.add("".join(run))
            run = []
    out = {e[:-1] if e.endswith(")") and e.count(")") > e.count("(") else e for e in out}
    return {e for e in out if len(e) >= MIN_EXPRESSION}


def phrases(text: str) -> set[str]:
    """Every run of ``PHRASE_WORDS`` words of prose (case and punctuation dropped; a run with a
    symbol in it, or with fewer than two content words, says too little to match)."""
    words = _WORD.findall(text.casefold())
    runs = (words[i:i + PHRASE_WORDS] for i in range(len(words) - PHRASE_WORDS + 1))
    return {" ".join(run) for run in runs
            if all(w.isalpha() for w in run) and sum(len(w) >= 4 and w not in _STOP for w in run) >= 2}


def _seen_text(q: Question) -> tuple[str, str]:
    """What a question shows a learner of others' answers: its prompt, and its explanation once
    answered; spaces dropped (for formulas) and as a word sequence (for phrases)."""
    text = f"{q.prompt}\n{q.explanation}"
    return "".join(text.split()), " " + " ".join(_WORD.findall(text.casefold())) + " "


@dataclass(frozen=True)
class Giveaway:
    """What ties a choice to another question: the formulas and phrases of it found there."""

    other: Question
    found: tuple[str, ...]


def giveaways(q: Question, others: list[Question]) -> list[Giveaway | None]:
    """For each choice of ``q``, the other question (prompt or explanation) that restates most of
    what this choice alone says among ``q``'s choices, or None. Formulas and phrases that two
    choices share, or that ``q``'s own prompt states, tell nothing and are left out."""
    items = [expressions(c) | phrases(c) for c in q.choices]
    own = expressions(q.prompt) | phrases(q.prompt)
    texts = [(o, *_seen_text(o)) for o in others if o is not q]
    out: list[Giveaway | None] = []
    for i, mine in enumerate(items):
        distinct = {x for x in mine - own if not any(x in other for j, other in enumerate(items) if j != i)}
        best: Giveaway | None = None
        for o, flat, words in texts:
            found = tuple(sorted(x for x in distinct if (f" {x} " in words if " " in x else x in flat)))
            if found and (best is None or len(found) > len(best.found)):
                best = Giveaway(o, found)
        out.append(best)
    return out


STRONG_EXPRESSION = 6  # a formula this long, or two phrases, restated elsewhere is no coincidence


def _strong(found: tuple[str, ...]) -> bool:
    return (any(" " not in x and len(x) >= STRONG_EXPRESSION for x in found)
            or sum(" " in x for x in found) >= 2)


def answered_elsewhere(questions: list[Question]) -> Callable[[Question], int | None]:
    """The *answers-another* cue over a quiz: the choice of a question that the other questions'
    prompts and explanations restate most (strictly), or None."""
    def pick(q: Question) -> int | None:
        return _unique_max([len(g.found) if g else 0 for g in giveaways(q, questions)])
    return pick


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
RATE_CUES = ("elaborated", "symbols", "prompt-words", "convergence")  # judged course-wide; the rest per question


@dataclass(frozen=True)
class CueRate:
    cue: str
    applies: int  # four-choice questions where the cue picks a choice
    hits: int  # ... and picks the right one

    @property
    def share(self) -> float:
        return self.hits / self.applies if self.applies else 0.0


def cue_picks(questions: list[Question]) -> dict[str, Callable[[Question], int | None]]:
    """Every cue's pick function for the questions of one quiz (or course): `CUES` and the
    *answers-another* cue over ``questions``."""
    return {**CUES, "answers-another": answered_elsewhere(questions)}


def cue_rates(questions: list[Question]) -> dict[str, CueRate]:
    """Each cue's hit rate over the four-choice questions among ``questions`` (the other questions
    of ``questions`` are what the *answers-another* cue reads)."""
    four = [q for q in questions if len(q.choices) == 4 and q.answer]
    out = {}
    for name, pick in cue_picks(questions).items():
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
    everything = [q for c in course.chapters for q in c.quiz]
    places = {id(q): c.path.with_name(c.path.name[: -len(".md")] + ".quiz.toml").name
              for c in course.chapters for q in c.quiz}
    for path, q in pairs:
        tells.extend(_question_tells(path, q))
        if len(q.choices) > 2:
            found = giveaways(q, everything)
            right = found[q.answer - 1]
            if right is not None and _strong(right.found) and not any(found[i] for i in range(len(found)) if i != q.answer - 1):
                what = ", ".join(repr(x) for x in right.found[:3])
                tells.append(Tell(path, q.line, "answers-another",
                                  f"question {q.id!r}: only the right choice restates another question's prompt or "
                                  f"explanation ({what}, in {places[id(right.other)]}:{right.other.line} "
                                  f"{right.other.id!r}): one question answers the other"))
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
