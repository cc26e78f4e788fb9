"""The course model and its loader: a content folder -> a validated :class:`Course`.

Nothing here imports Textual (a test enforces it) and nothing in a content folder is executed:
chapters are Markdown with a ``+++`` TOML header, quizzes and figures are TOML. Loading never
raises for bad content: every problem is collected as a :class:`Problem` (``file:line: message``)
and a broken chapter is left out while the others load. See ``content/FORMAT.md``.

Every text of the model is safe for a terminal (:mod:`lmtui.core.sanitize`): a control character
in a course file, raw or as a TOML escape, is reported as a problem and shown visibly (``^[``), so
the views never hold text that could drive the learner's terminal.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from lmtui.core.sanitize import clean, clean_block, clean_path, controls_in, describe

if TYPE_CHECKING:
    import tomllib

HEADER_FENCE = "+++"
ID_RE = re.compile(r"^[a-z0-9][a-z0-9-]*$")
CHAPTER_LINK_RE = re.compile(r"\]\(chapter:([^)\s#]*)(?:#[^)]*)?\)")
LINK_RE = re.compile(r"\[([^\]]+)\]\(([^)\s]+)\)")
MAX_CHOICES = 4
MAX_PAGE_BLOCKS = 100
HEADER_KEYS = {"id", "title", "order", "figures", "summary"}
CHOICE_KEYS = {"id", "kind", "prompt", "choices", "answer", "explanation", "formerly"}
PREDICT_KEYS = {"id", "kind", "prompt", "choices", "explanation", "sim", "params", "seed", "metric", "theory",
                "tolerance", "bins", "unit", "vary", "formerly"}
FINGERPRINT_RE = re.compile(r"^[0-9a-f]{16}$")
MAX_FORMERLY = 20
MAX_VARY_VALUES = 50
QUESTION_KINDS = ("choice", "predict")
MAX_ID_LEN = 48


def builtin_content_dir() -> Path:
    """The course shipped with lmtui: package data when installed, ``content/`` in a checkout."""
    package = Path(__file__).resolve().parent.parent
    installed = package / "content"
    return installed if installed.is_dir() else package.parent / "content"


PLACE_RE = re.compile(r"\{\{|\}\}|\{([^{}]*)\}")
PLACE_FIELD_RE = re.compile(r"^\s*(?:(?P<add>-?\d+(?:\.\d+)?)\s*\+\s*)?(?P<name>[A-Za-z_][A-Za-z0-9_]*)"
                            r"\s*(?:\[\s*(?P<index>-?\d+)\s*\])?\s*$")


def shown_value(value: Any) -> str:
    """A parameter's value as a prompt says it: 0.45, 8, a list as "1, 3, 10 and 30"."""
    if isinstance(value, (list, tuple)):
        parts = [shown_value(v) for v in value]
        return parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def fill(text: str, params: dict[str, Any]) -> str:
    """A predict question's prompt or choice at a setting: each ``{name}`` is the value of the
    parameter ``name`` in ``params`` (a list as "1, 3 and 10"), ``{name[0]}`` or ``{name[-1]}`` one
    element of a list, ``{1 + name}`` a number plus the value (an exponent written as i^(-(1+a)));
    ``{{`` and ``}}`` are braces. ValueError, saying which place, for anything else."""

    def one(match: re.Match) -> str:
        if match.group(0) in ("{{", "}}"):
            return match.group(0)[0]
        spec = PLACE_FIELD_RE.match(match.group(1))
        if spec is None:
            raise ValueError(f"{match.group(0)} is not {{parameter}}, {{parameter[index]}} or {{number + parameter}}")
        name = spec.group("name")
        if name not in params:
            raise ValueError(f"{match.group(0)} names {name!r}, which is not in params")
        value = params[name]
        if spec.group("index") is not None:
            if not isinstance(value, (list, tuple)) or not -len(value) <= int(spec.group("index")) < len(value):
                raise ValueError(f"{match.group(0)}: {name} = {shown_value(value)} has no element {spec.group('index')}")
            value = value[int(spec.group("index"))]
        if spec.group("add") is not None:
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                raise ValueError(f"{match.group(0)}: {name} = {shown_value(value)} is not a number")
            value = float(spec.group("add")) + value
        return shown_value(value)

    return PLACE_RE.sub(one, text)


# ---------------------------------------------------------------------------------------------
# The model
# ---------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Problem:
    path: Path
    line: int
    message: str

    def __str__(self) -> str:
        return f"{clean_path(self.path)}:{self.line}: {clean(self.message)}"


@dataclass(frozen=True)
class Predict:
    """What a predict question runs and how it grades. The right value is never in the file: it is
    what the simulation measures (``result.metrics[metric]``) when it runs at ``params``.

    Numeric form (no choices): the learner types a number; it is right when it is within
    ``tolerance`` of the measurement (``relative``: a fraction of the measured value). Choice form:
    ``bins`` cut the metric's line into len(bins) + 1 intervals, one per choice in order; the right
    choice is the interval the measurement falls in."""

    sim: str
    params: tuple[tuple[str, Any], ...]  # (name, value) pairs, as written in the file
    seed: int
    metric: str
    theory: str  # key of result.prediction shown as the theory's value ("" if none)
    tolerance: float
    relative: bool
    bins: tuple[float, ...] = ()
    unit: str = ""
    # What a review may change: (parameter, the values it may take). A review runs a new setting
    # drawn from these (and a new seed), so the learner recalls the principle, not the number.
    # Not part of the question's fingerprint: adding or widening it keeps the learner's answers.
    vary: tuple[tuple[str, tuple[Any, ...]], ...] = ()
    # The prompt and choices as written, with their {parameter} places (see ``fill``): the
    # question's own text is them filled at ``params``; a review fills them at the drawn setting.
    prompt_template: str = ""
    choice_templates: tuple[str, ...] = ()

    @property
    def overrides(self) -> dict[str, Any]:
        return {k: (list(v) if isinstance(v, tuple) else v) for k, v in self.params}

    def settings(self) -> list[dict[str, Any]]:
        """Every setting ``vary`` allows other than the question's own: the question's parameters
        with one varying parameter changed to one of its values (one at a time, so the learner can
        tell what changed)."""
        base = self.overrides
        out: list[dict[str, Any]] = []
        for name, values in self.vary:
            for value in values:
                plain = list(value) if isinstance(value, tuple) else value
                if name in base and base[name] == plain:
                    continue
                out.append({**base, name: plain})
        return out

    def within(self, guess: float, measured: float) -> bool:
        """Whether a numeric prediction is graded right against ``measured``."""
        allowed = self.tolerance * abs(measured) if self.relative else self.tolerance
        return abs(guess - measured) <= allowed + 1e-12

    def bin_of(self, measured: float) -> int:
        """1-based index of the choice whose interval holds ``measured``."""
        return 1 + sum(measured >= edge for edge in self.bins)

    def tolerance_text(self) -> str:
        return f"within {self.tolerance:.0%}" if self.relative else f"within +-{self.tolerance:g}"


KEEP = {"fold": False}  # fields that are identities, not text to show: --ascii leaves them alone
MARKDOWN = {"fold": "markdown"}  # fields holding Markdown: --ascii folds them as Markdown


@dataclass(frozen=True)
class Question:
    id: str
    prompt: str
    choices: tuple[str, ...]
    answer: int  # 1-based index of the right choice; 0 for predict questions (the run decides)
    explanation: str
    line: int = 1  # where the question starts in its quiz file
    predict: Predict | None = None
    # Identity, fixed at load time from the file's own text (ASCII mode folds what is shown, never
    # these): each choice is known by its text, and the fingerprint changes with any edit of what
    # is asked or what is right, but not with the order of the choices (or of the questions).
    keys: tuple[str, ...] = field(default=(), metadata=KEEP)
    fingerprint: str = field(default="", metadata=KEEP)
    # The fingerprints this question had in earlier editions that asked the same thing in other
    # words (``formerly`` in the quiz file): answers given then still count (LearnerRecord).
    formerly: tuple[str, ...] = field(default=(), metadata=KEEP)

    def __post_init__(self) -> None:
        if not self.keys:
            object.__setattr__(self, "keys", tuple(self.choices))
        if not self.fingerprint:
            object.__setattr__(self, "fingerprint", self._fingerprint())

    @property
    def kind(self) -> str:
        return "predict" if self.predict is not None else "choice"

    def asked_as(self, fingerprint: str, choice: str | None = None) -> bool:
        """Whether an answer given to the question with ``fingerprint`` (``choice``: the chosen
        choice's text, None for a number) counts for this one: this edition, or an earlier one it
        lists in ``formerly`` if the choice is still offered."""
        if fingerprint == self.fingerprint:
            return True
        return fingerprint in self.formerly and (choice is None or choice in self.keys)

    def key_of(self, choice: int) -> str:
        """The identity of choice ``choice`` (1-based)."""
        return self.keys[choice - 1]

    def number_of(self, key: str | None) -> int | None:
        """The 1-based position the choice known as ``key`` has now (None if it is gone)."""
        return self.keys.index(key) + 1 if key in self.keys else None

    def at_setting(self, params: dict[str, Any], seed: int) -> Question:
        """This predict question as asked at another setting (a review's new experiment): its run
        at ``params`` and ``seed``, its prompt and choices filled at ``params``; its identity (the
        choices' keys, the fingerprint) that of the question as the chapter asks it."""
        spec = self.predict
        assert spec is not None, "only a predict question has a setting"
        drawn = replace(spec, params=tuple((k, tuple(v) if isinstance(v, list) else v) for k, v in params.items()),
                        seed=seed)
        prompt = fill(spec.prompt_template, params) if spec.prompt_template else self.prompt
        choices = tuple(fill(c, params) for c in spec.choice_templates) if spec.choice_templates else self.choices
        return replace(self, prompt=prompt, choices=choices, predict=drawn)

    def _fingerprint(self) -> str:
        right = self.keys[self.answer - 1] if self.answer else None
        spec: dict[str, Any] = {"prompt": self.prompt, "choices": sorted(self.keys), "right": right}
        if self.predict is not None:
            p = self.predict
            spec["predict"] = [p.sim, sorted((k, str(v)) for k, v in p.params), p.seed, p.metric,
                               p.tolerance, p.relative, list(p.bins), list(self.keys)]
        raw = json.dumps(spec, sort_keys=True, ensure_ascii=False, default=str)
        return hashlib.sha256(raw.encode("utf-8")).hexdigest()[:16]


@dataclass(frozen=True)
class Page:
    title: str
    markdown: str = field(metadata=MARKDOWN)


@dataclass(frozen=True)
class FigureRef:
    kind: Literal["sim", "explorer"]
    name: str

    def __str__(self) -> str:
        return f"{self.kind}:{self.name}"


@dataclass(frozen=True)
class ExplorerItem:
    label: str
    detail: str = field(metadata=MARKDOWN)
    summary: str = ""


@dataclass(frozen=True)
class Explorer:
    name: str
    title: str
    hint: str
    items: tuple[ExplorerItem, ...]


@dataclass(frozen=True)
class Chapter:
    id: str
    title: str
    order: int
    summary: str
    figures: tuple[FigureRef, ...]
    pages: tuple[Page, ...]
    quiz: tuple[Question, ...]
    path: Path

    @property
    def label(self) -> str:
        return f"{self.order} {self.title}"


@dataclass(frozen=True)
class BrokenFile:
    """A chapter that could not be loaded, shown in the app with the reason."""

    path: Path
    reason: str


@dataclass
class Course:
    root: Path
    chapters: list[Chapter] = field(default_factory=list)
    explorers: dict[str, Explorer] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)
    broken: list[BrokenFile] = field(default_factory=list)

    def by_id(self, chapter_id: str) -> Chapter | None:
        return next((c for c in self.chapters if c.id == chapter_id), None)

    def question_place(self, chapter_id: str, question_id: str) -> str:
        """A question as the learner's views name it: "1 Seven Desiderata, Q3" (its chapter's
        number and title, its place in the quiz); the ids for one no longer in the course."""
        chapter = self.by_id(chapter_id)
        number = next((i for i, q in enumerate(chapter.quiz, 1) if q.id == question_id), None) if chapter else None
        if chapter is None or number is None:
            return f"{chapter.label if chapter else chapter_id}, {question_id}"
        return f"{chapter.label}, Q{number}"

    def index_of(self, chapter_id: str) -> int | None:
        return next((i for i, c in enumerate(self.chapters) if c.id == chapter_id), None)


# ---------------------------------------------------------------------------------------------
# Loading
# ---------------------------------------------------------------------------------------------
class _Report:
    def __init__(self, course: Course, path: Path) -> None:
        self.course, self.path, self.count = course, path, 0

    def __call__(self, line: int, message: str) -> None:
        self.course.problems.append(Problem(self.path, max(line, 1), message))
        self.count += 1


def _key_line(lines: list[str], key: str, start: int = 0, stop: int | None = None, offset: int = 0) -> int:
    """1-based line of ``key = ...`` within lines[start:stop] (plus offset), or the block start."""
    pattern = re.compile(rf"^\s*{re.escape(key)}\s*=")
    for i in range(start, len(lines) if stop is None else stop):
        if pattern.match(lines[i]):
            return i + 1 + offset
    return start + 1 + offset


def _toml_error_line(error: tomllib.TOMLDecodeError, text: str) -> int:
    m = re.search(r"line (\d+)", str(error))
    if m:
        return int(m.group(1))
    return max(1, len(text.splitlines())) if "end of document" in str(error) else 1


CONTROL_MESSAGE = "control character(s) {}: course text must not drive the terminal (the app shows them as ^[ etc.)"
# A TOML escape that makes a control character: \u0000-\u001f but tab/newline/CR, \u007f-\u009f, the
# same as \U, bidi overrides, and \b \f \e; after an even number of backslashes (an odd one escapes the backslash).
_CONTROL_HEX = "(?:0[0-8bBcCeEfF]|1[0-9a-fA-F]|7[fF]|[89][0-9a-fA-F])"
_TOML_CONTROL_ESCAPE = re.compile(
    rf"(?<!\\)(?:\\\\)*(\\(?:u00{_CONTROL_HEX}|U000000{_CONTROL_HEX}|u202[a-eA-E]|u206[6-9]|[bfe]))")


def _read_text(path: Path, report: _Report) -> str | None:
    """The file's text with each line holding a control character reported, and those characters
    shown visibly (so the TOML and Markdown parsers only ever see clean text)."""
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as e:
        report(1, f"not UTF-8 text ({e.reason} at byte {e.start})")
        return None
    except OSError as e:
        report(1, f"cannot read: {e.strerror or e}")
        return None
    for n, line in enumerate(text.split("\n")):
        found = controls_in(line)
        if found:
            report(n + 1, CONTROL_MESSAGE.format(describe(found)))
    return clean_block(text)


def _toml_strings(data: Any) -> Any:
    """``data`` (parsed TOML) with every string, key or value, made safe for a terminal."""
    if isinstance(data, str):
        return clean_block(data)
    if isinstance(data, dict):
        return {clean_block(k): _toml_strings(v) for k, v in data.items()}
    if isinstance(data, list):
        return [_toml_strings(v) for v in data]
    return data


def _clean_toml(data: dict, lines: list[str], report: _Report, offset: int = 0) -> dict:
    """Parsed TOML made safe; if it held control characters (written as escapes), each line that
    writes one is reported."""
    cleaned = _toml_strings(data)
    if cleaned != data:
        hits = [(i, m) for i, line in enumerate(lines) for m in [_TOML_CONTROL_ESCAPE.findall(line)] if m]
        for i, escapes in hits:
            report(i + 1 + offset, CONTROL_MESSAGE.format(", ".join(escapes)))
        if not hits:
            report(1 + offset, CONTROL_MESSAGE.format("in a string"))
    return cleaned


def split_pages(body: str) -> tuple[Page, ...]:
    """Every level-2 heading starts a page; text before the first one is the opening page."""
    pages: list[Page] = []
    title, buf = "Introduction", []
    in_fence = False
    for line in body.splitlines():
        if line.lstrip().startswith(("```", "~~~")):
            in_fence = not in_fence
        if not in_fence and line.startswith("## "):
            if "".join(buf).strip():
                pages.append(Page(title, "\n".join(buf).strip() + "\n"))
            title, buf = line[3:].strip(), [line]
            continue
        buf.append(line)
    if "".join(buf).strip():
        pages.append(Page(title, "\n".join(buf).strip() + "\n"))
    return tuple(pages)


def count_blocks(markdown: str) -> int:
    """A rough count of rendered Markdown blocks (paragraphs, list items, table rows, headings)."""
    blocks, in_par = 0, False
    for line in markdown.splitlines():
        s = line.strip()
        if not s:
            in_par = False
        elif s.startswith(("#", "-", "*", "+", "|", ">")) or re.match(r"\d+[.)]\s", s):
            blocks += 1
            in_par = False
        elif not in_par:
            blocks += 1
            in_par = True
    return blocks


def _parse_figures(raw: Any, lines: list[str], report: _Report, known_sims: set[str]) -> tuple[FigureRef, ...]:
    line = _key_line(lines, "figures", offset=1)
    if not isinstance(raw, list) or not all(isinstance(x, str) for x in raw):
        report(line, 'figures: expected a list of strings like "sim:deep_linear" or "explorer:timeline"')
        return ()
    refs: list[FigureRef] = []
    for item in raw:
        kind, _, name = item.partition(":")
        if kind == "sim":
            if name not in known_sims:
                report(line, f"figures: unknown simulation {name!r}; known: {', '.join(sorted(known_sims))}")
                continue
        elif kind == "explorer":
            if not ID_RE.match(name):
                report(line, f"figures: bad explorer name {name!r} (lowercase letters, digits, dashes)")
                continue
        else:
            report(line, f'figures: {item!r} must start with "sim:" or "explorer:"')
            continue
        refs.append(FigureRef(kind, name))  # type: ignore[arg-type]
    return tuple(refs)


def _load_chapter(path: Path, course: Course, known_sims: set[str]) -> Chapter | None:
    report = _Report(course, path)
    text = _read_text(path, report)
    if text is None:
        course.broken.append(BrokenFile(path, course.problems[-1].message))
        return None
    lines = text.splitlines()

    def broken(line: int, message: str) -> None:
        report(line, message)
        course.broken.append(BrokenFile(path, f"line {line}: {message}"))

    if not lines or lines[0].strip() != HEADER_FENCE:
        broken(1, f"missing header: the file must start with a line '{HEADER_FENCE}'")
        return None
    try:
        end = next(i for i in range(1, len(lines)) if lines[i].strip() == HEADER_FENCE)
    except StopIteration:
        broken(1, f"header not closed: no second '{HEADER_FENCE}' line")
        return None
    header_lines = lines[1:end]
    import tomllib  # parsing only: a start from the cache has no TOML to read

    try:
        header = tomllib.loads("\n".join(header_lines))
    except tomllib.TOMLDecodeError as e:
        broken(_toml_error_line(e, "\n".join(header_lines)) + 1, f"bad header: {e}")
        return None
    header = _clean_toml(header, header_lines, report, offset=1)

    before = report.count
    for key in ("id", "title", "order"):
        if key not in header:
            report(1, f"header: missing required key {key!r}")
    for key in header.keys() - HEADER_KEYS:
        report(_key_line(header_lines, key, offset=1), f"header: unknown key {key!r} (known: {', '.join(sorted(HEADER_KEYS))})")
    chapter_id, title, order = header.get("id"), header.get("title"), header.get("order")
    if "id" in header and (not isinstance(chapter_id, str) or not ID_RE.match(chapter_id)):
        report(_key_line(header_lines, "id", offset=1), f"header: id {chapter_id!r} must be lowercase letters, digits and dashes")
    if "title" in header and (not isinstance(title, str) or not title.strip()):
        report(_key_line(header_lines, "title", offset=1), "header: title must be a non-empty string")
    if "order" in header and (not isinstance(order, int) or isinstance(order, bool)):
        report(_key_line(header_lines, "order", offset=1), f"header: order must be an integer, got {order!r}")
    summary = header.get("summary", "")
    if not isinstance(summary, str):
        report(_key_line(header_lines, "summary", offset=1), "header: summary must be a string")
        summary = ""
    if report.count > before:
        course.broken.append(BrokenFile(path, course.problems[-1].message))
        return None
    figures = _parse_figures(header.get("figures", []), header_lines, report, known_sims)

    body = "\n".join(lines[end + 1 :])
    pages = split_pages(body)
    if not pages:
        broken(end + 2, "the chapter has no text after its header")
        return None
    for page in pages:
        n = count_blocks(page.markdown)
        if n > MAX_PAGE_BLOCKS:
            first = page.markdown.splitlines()[0]
            line = next((i + 1 for i, ln in enumerate(lines) if ln == first), end + 2)
            report(line, f"page {page.title!r} has ~{n} blocks; split it with '## ' headings (at most {MAX_PAGE_BLOCKS})")
    quiz = _load_quiz(path.with_name(path.name[: -len(".md")] + ".quiz.toml"), course, known_sims)
    return Chapter(str(chapter_id), clean(title).strip(), int(order), clean(summary).strip(), figures, pages, quiz, path)


def _load_quiz(path: Path, course: Course, known_sims: set[str]) -> tuple[Question, ...]:
    report = _Report(course, path)
    if not path.exists():
        report(1, "missing quiz file (every chapter needs at least one question)")
        return ()
    text = _read_text(path, report)
    if text is None:
        return ()
    import tomllib  # parsing only: a start from the cache has no TOML to read

    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        report(_toml_error_line(e, text), f"bad TOML: {e}")
        return ()
    lines = text.splitlines()
    data = _clean_toml(data, lines, report)
    starts = [i for i, ln in enumerate(lines) if ln.strip() == "[[question]]"]
    raw = data.get("question")
    for key in data.keys() - {"question"}:
        report(_key_line(lines, key), f"unknown key {key!r}; questions are [[question]] tables")
    if not isinstance(raw, list) or not raw:
        report(1, "no questions: add [[question]] tables with id, prompt, choices, answer, explanation")
        return ()
    questions: list[Question] = []
    seen: dict[str, int] = {}
    for n, q in enumerate(raw):
        start = starts[n] if n < len(starts) else 0
        stop = starts[n + 1] if n + 1 < len(starts) else None
        question = _parse_question(q, n, lines, start, stop, report, known_sims)
        if question is None:
            continue
        if question.id in seen:
            report(question.line, f"question {n + 1}: duplicate id {question.id!r} (also question {seen[question.id]})")
            continue
        seen[question.id] = n + 1
        questions.append(question)
    return tuple(questions)


def _parse_question(q: dict, n: int, lines: list[str], start: int, stop: int | None, report: _Report,
                    known_sims: set[str]) -> Question | None:
    """One [[question]] table, or None (with its problems reported)."""

    def at(key: str) -> int:
        return _key_line(lines, key, start, stop)

    before = report.count
    name = f"question {n + 1}"
    kind = q.get("kind", "choice")
    if kind not in QUESTION_KINDS:
        report(at("kind"), f"{name}: kind {kind!r} is not one of {', '.join(QUESTION_KINDS)}")
        return None
    required = ("id", "prompt", "choices", "answer", "explanation") if kind == "choice" else ("id", "prompt", "sim", "metric", "explanation")
    for key in required:
        if key not in q:
            report(start + 1, f"{name}: missing {key!r}")
    allowed = CHOICE_KEYS if kind == "choice" else PREDICT_KEYS
    for key in q.keys() - allowed:
        report(at(key), f"{name}: unknown key {key!r} for a {kind} question (known: {', '.join(sorted(allowed))})")
    qid, prompt, explanation = q.get("id"), q.get("prompt"), q.get("explanation")
    if "id" in q and (not isinstance(qid, str) or not ID_RE.match(qid) or len(qid) > MAX_ID_LEN):
        report(at("id"), f"{name}: id {qid!r} must be lowercase letters, digits and dashes (at most {MAX_ID_LEN})")
    if "prompt" in q and (not isinstance(prompt, str) or not prompt.strip()):
        report(at("prompt"), f"{name}: prompt must be a non-empty string")
    if "explanation" in q and not isinstance(explanation, str):
        report(at("explanation"), f"{name}: explanation must be a string")
    choices = _parse_choices(q, name, at, report, required=kind == "choice")
    answer = 0
    predict = None
    if kind == "choice":
        raw_answer = q.get("answer")
        if "answer" in q:
            if not isinstance(raw_answer, int) or isinstance(raw_answer, bool):
                report(at("answer"), f"{name}: answer must be an integer (1-based), got {raw_answer!r}")
            elif choices and not 1 <= raw_answer <= len(choices):
                report(at("answer"), f"{name}: answer {raw_answer} is out of range; expected 1 to {len(choices)}")
            else:
                answer = raw_answer
        if choices and len(set(c.casefold() for c in choices)) < len(choices):
            report(at("choices"), f"{name}: two choices are the same text (a choice is known by its text)")
    else:
        predict = _parse_predict(q, name, at, report, choices, known_sims)
    formerly = _parse_formerly(q, name, at, report)
    if report.count > before or choices is None:
        return None
    if predict is not None:
        predict, prompt, choices = _fill_predict(predict, prompt.strip(), choices, at, name, report)
        if predict is None:
            return None
    question = Question(qid, prompt.strip(), choices, answer, explanation.strip(), start + 1, predict, formerly=formerly)
    if question.fingerprint in formerly:
        report(at("formerly"), f"{name}: formerly lists the question's own fingerprint {question.fingerprint}")
        return None
    return question


def _parse_formerly(q: dict, name: str, at, report: _Report) -> tuple[str, ...]:
    """``formerly = ["5fe404181edde540"]``: fingerprints (16 hex digits) of earlier editions of the question."""
    raw = q.get("formerly", [])
    if (not isinstance(raw, list) or len(raw) > MAX_FORMERLY
            or not all(isinstance(f, str) and FINGERPRINT_RE.match(f) for f in raw)):
        report(at("formerly"), f"{name}: formerly must be a list of at most {MAX_FORMERLY} fingerprints "
                               "(16 hex digits each, as `lmtui check --fingerprints` prints them)")
        return ()
    return tuple(raw)


def _fill_predict(predict: Predict, prompt: str, choices: tuple[str, ...], at, name: str,
                  report: _Report) -> tuple[Predict | None, str, tuple[str, ...]]:
    """The predict question's prompt and choices filled at its own setting, and its spec keeping
    them as written; every setting its ``vary`` allows must fill them too."""
    own = predict.overrides
    for key, texts in (("prompt", (prompt,)), ("choices", choices)):
        for setting in (own, *predict.settings()):
            try:
                for text in texts:
                    fill(text, setting)
            except ValueError as e:
                report(at(key), f"{name}: {key}: {e}")
                return None, prompt, choices
    templated = replace(predict, prompt_template=prompt, choice_templates=tuple(choices))
    return templated, fill(prompt, own), tuple(fill(c, own) for c in choices)


def _parse_choices(q: dict, name: str, at, report: _Report, required: bool) -> tuple[str, ...] | None:
    if "choices" not in q:
        return None if required else ()
    choices = q["choices"]
    if not isinstance(choices, list) or not all(isinstance(c, str) and c.strip() for c in choices):
        report(at("choices"), f"{name}: choices must be a list of non-empty strings")
        return None
    if not 2 <= len(choices) <= MAX_CHOICES:
        report(at("choices"), f"{name}: {len(choices)} choices; expected 2 to {MAX_CHOICES} (answered with keys 1-{MAX_CHOICES})")
        return None
    return tuple(clean(c).strip() for c in choices)


def _number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _parse_predict(q: dict, name: str, at, report: _Report, choices: tuple[str, ...] | None,
                   known_sims: set[str]) -> Predict | None:
    """The run and grading of a predict question. Whether its parameters are in range and its metric
    is one the simulation reports is checked by `lmtui check` (that imports the simulations)."""
    before = report.count
    sim, metric, theory = q.get("sim"), q.get("metric"), q.get("theory", "")
    params, seed, unit = q.get("params", {}), q.get("seed", 0), q.get("unit", "")
    for key, value in (("sim", sim), ("metric", metric)):
        if key in q and (not isinstance(value, str) or not value.strip()):
            report(at(key), f"{name}: {key} must be a non-empty string")
    if isinstance(sim, str) and sim.strip() and sim.strip() not in known_sims:
        report(at("sim"), f"{name}: unknown simulation {sim!r}; known: {', '.join(sorted(known_sims))}")
    if not isinstance(theory, str):
        report(at("theory"), f"{name}: theory must be the name of a prediction the simulation reports")
    if not isinstance(unit, str):
        report(at("unit"), f"{name}: unit must be a string")
    if not isinstance(params, dict) or not all(
        _number(v) or isinstance(v, str) or (isinstance(v, list) and all(_number(x) for x in v)) for v in params.values()
    ):
        report(at("params"), f"{name}: params must be a table of parameter = number, text or list of numbers")
        params = {}
    if not isinstance(seed, int) or isinstance(seed, bool) or seed < 0:
        report(at("seed"), f"{name}: seed must be a non-negative integer")
    tolerance, relative = 0.0, False
    bins: tuple[float, ...] = ()
    if choices:
        raw_bins = q.get("bins")
        if not isinstance(raw_bins, list) or not all(_number(b) for b in raw_bins):
            report(at("bins" if "bins" in q else "choices"),
                   f"{name}: a predict question with choices needs bins = [...], the metric's values between the choices")
        elif len(raw_bins) != len(choices) - 1:
            report(at("bins"), f"{name}: {len(choices)} choices need {len(choices) - 1} bins, got {len(raw_bins)}")
        elif any(b >= c for b, c in zip(raw_bins, raw_bins[1:])):
            report(at("bins"), f"{name}: bins must increase")
        else:
            bins = tuple(float(b) for b in raw_bins)
        if "tolerance" in q:
            report(at("tolerance"), f"{name}: a predict question with choices is graded by bins, not a tolerance")
    else:
        if "bins" in q:
            report(at("bins"), f"{name}: bins need choices (without choices the learner types a number)")
        raw_tol = q.get("tolerance")
        if not isinstance(raw_tol, dict) or len(raw_tol) != 1 or not raw_tol.keys() <= {"relative", "absolute"}:
            report(at("tolerance") if "tolerance" in q else at("metric"),
                   f"{name}: tolerance must be {{ relative = 0.1 }} or {{ absolute = 0.05 }}")
        else:
            (how, value), = raw_tol.items()
            if not _number(value) or not value > 0:
                report(at("tolerance"), f"{name}: tolerance must be positive, got {value!r}")
            else:
                tolerance, relative = float(value), how == "relative"
    vary = _parse_vary(q, name, at, report)
    if report.count > before:
        return None
    return Predict(sim.strip(), tuple((str(k), tuple(v) if isinstance(v, list) else v) for k, v in params.items()),
                   seed, metric.strip(), theory.strip(), tolerance, relative, bins, unit.strip(), vary)


def _parse_vary(q: dict, name: str, at, report: _Report) -> tuple[tuple[str, tuple[Any, ...]], ...]:
    """``vary = { lr = [0.3, 0.4], widths = [[32, 512], [64, 1024]] }``: each parameter a review may
    change, with the values it may take (numbers, text, or lists of numbers). Whether the simulation
    has the parameter and takes the values is checked by `lmtui check`."""
    raw = q.get("vary", {})
    if not isinstance(raw, dict):
        report(at("vary"), f"{name}: vary must be a table of parameter = [values]")
        return ()
    out = []
    for key, values in raw.items():
        if not isinstance(values, list) or not values or len(values) > MAX_VARY_VALUES or not all(
                _number(v) or isinstance(v, str) or (isinstance(v, list) and v and all(_number(x) for x in v))
                for v in values):
            report(at("vary"), f"{name}: vary.{key} must be a list of 1 to {MAX_VARY_VALUES} values "
                               f"(numbers, text, or lists of numbers)")
            continue
        out.append((str(key), tuple(tuple(v) if isinstance(v, list) else v for v in values)))
    return tuple(out)


def _load_explorer(path: Path, name: str, course: Course) -> Explorer | None:
    report = _Report(course, path)
    text = _read_text(path, report)
    if text is None:
        return None
    import tomllib  # parsing only: a start from the cache has no TOML to read

    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        report(_toml_error_line(e, text), f"bad TOML: {e}")
        return None
    lines = text.splitlines()
    data = _clean_toml(data, lines, report)
    before = report.count
    title, hint, items = data.get("title"), data.get("hint", ""), data.get("item")
    if not isinstance(title, str) or not title.strip():
        report(_key_line(lines, "title"), "title: missing or not a string")
    if not isinstance(hint, str):
        report(_key_line(lines, "hint"), "hint must be a string")
    if not isinstance(items, list) or not items:
        report(1, "no items: add [[item]] tables with label and detail")
        return None
    starts = [i for i, ln in enumerate(lines) if ln.strip() == "[[item]]"]
    parsed: list[ExplorerItem] = []
    for n, it in enumerate(items):
        start = starts[n] if n < len(starts) else 0
        label, detail, summary = it.get("label"), it.get("detail"), it.get("summary", "")
        if not isinstance(label, str) or not label.strip():
            report(start + 1, f"item {n + 1}: label missing or not a string")
        elif not isinstance(detail, str) or not detail.strip():
            report(start + 1, f"item {n + 1}: detail missing or not a string")
        elif not isinstance(summary, str):
            report(start + 1, f"item {n + 1}: summary must be a string")
        else:
            parsed.append(ExplorerItem(clean(label).strip(), detail.strip(), clean(summary).strip()))
    if report.count > before:
        return None
    return Explorer(name, clean(title).strip(), clean(hint).strip(), tuple(parsed))


def load_course(root: str | Path | None = None, known_sims: set[str] | None = None, cache: bool = False) -> Course:
    """Load and validate a course folder. Never raises for content problems.

    With ``cache``, a course parsed before from exactly these files (same names, sizes and
    modification times, same lmtui) is read back from the user's cache folder instead of parsed
    again: TOML parsing is most of an app start's own work, and every visitor of `lmtui serve`
    starts an app. `lmtui check` never uses the cache."""
    if known_sims is None:
        from lmtui.sims.registry import NAMES  # names only: no numpy import

        known_sims = set(NAMES)
    root = Path(root) if root is not None else builtin_content_dir()
    if cache:
        from lmtui.core import course_cache

        return course_cache.load(root, known_sims, _parse_course)
    return _parse_course(root, known_sims)


def _parse_course(root: Path, known_sims: set[str]) -> Course:
    course = Course(root)
    if not root.is_dir():
        course.problems.append(Problem(root, 1, "not a folder"))
        return course
    chapter_files = sorted(p for p in root.glob("[0-9]*.md") if p.is_file())
    if not chapter_files:
        course.problems.append(Problem(root, 1, "no chapter files (NN-slug.md) in this folder"))
    for quiz in sorted(root.glob("*.quiz.toml")):
        if not quiz.with_name(quiz.name[: -len(".quiz.toml")] + ".md").exists():
            course.problems.append(Problem(quiz, 1, "quiz without a chapter file of the same name"))
    for path in (*chapter_files, *sorted(root.glob("*.quiz.toml"))):
        found = controls_in(path.name, keep_breaks=False)
        if found:
            course.problems.append(Problem(path, 1, f"file name holds control character(s) {describe(found)}; rename it"))
    seen_ids: dict[str, Path] = {}
    seen_orders: dict[int, Path] = {}
    for path in chapter_files:
        chapter = _load_chapter(path, course, known_sims)
        if chapter is None:
            continue
        if chapter.id in seen_ids:
            course.problems.append(Problem(path, 2, f"duplicate id {chapter.id!r} (also in {seen_ids[chapter.id].name})"))
            course.broken.append(BrokenFile(path, f"duplicate id {chapter.id!r}"))
            continue
        if chapter.order in seen_orders:
            course.problems.append(Problem(path, 2, f"duplicate order {chapter.order} (also in {seen_orders[chapter.order].name})"))
        seen_ids[chapter.id] = path
        seen_orders[chapter.order] = path
        course.chapters.append(chapter)
    course.chapters.sort(key=lambda c: (c.order, c.id))
    # explorers referenced by chapters, and chapter links
    for chapter in course.chapters:
        for ref in chapter.figures:
            if ref.kind == "explorer" and ref.name not in course.explorers:
                fig_path = root / "figures" / f"{ref.name}.toml"
                if not fig_path.exists():
                    line = _line_of(chapter.path, f"explorer:{ref.name}")
                    course.problems.append(Problem(chapter.path, line, f"figures: no file figures/{ref.name}.toml"))
                    continue
                explorer = _load_explorer(fig_path, ref.name, course)
                if explorer is not None:
                    course.explorers[ref.name] = explorer
        for page in chapter.pages:
            for target in CHAPTER_LINK_RE.findall(page.markdown):
                if target not in seen_ids:
                    line = _line_of(chapter.path, f"chapter:{target}")
                    course.problems.append(Problem(chapter.path, line, f"link to unknown chapter {target!r}"))
    return course


def _line_of(path: Path, needle: str) -> int:
    try:
        for i, line in enumerate(path.read_text(encoding="utf-8").splitlines()):
            if needle in line:
                return i + 1
    except (OSError, UnicodeDecodeError):
        pass
    return 1


def page_links(markdown: str) -> list[tuple[str, str]]:
    """(text, target) for every Markdown link on a page, in order, without duplicates."""
    seen: set[str] = set()
    out: list[tuple[str, str]] = []
    for text, target in LINK_RE.findall(markdown):
        if target not in seen:
            seen.add(target)
            out.append((text, target))
    return out
