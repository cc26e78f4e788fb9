"""The room, live: every learner's store under one folder, followed while a workshop runs.

:class:`Room` finds the stores as ``lmtui report`` does (:mod:`lmtui.core.stores`), reads each one
read-only, and on :meth:`Room.refresh` reads again only the stores whose files changed (size and
modification time of the database and of its WAL), so following a room costs a few ``stat`` calls
per learner while nothing happens. A store that cannot be read is listed with the reason and
skipped, never changed.

From what was read it answers what an instructor asks during a session:

* :meth:`Room.pace`: how many learners are in each chapter and view now, and who has been idle;
* :meth:`Room.choice_spread`: for a quiz question, the room's first answers per choice;
* :meth:`Room.predict_spread`: for a predict question, every learner's committed prediction (and
  range, when the store keeps one), and once the run measured, the share within tolerance.

No Textual import here: the instructor's view (``lmtui room``) renders it.
"""

from __future__ import annotations

import math
import statistics
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from lmtui.core import clock as course_clock
from lmtui.core.course import Course, Question
from lmtui.core.progress import Prediction
from lmtui.core.record import VIEWS, grade
from lmtui.core.sanitize import clean_path
from lmtui.core.stores import StoreData, Unreadable, find_stores, read_store, signature

if TYPE_CHECKING:
    from lmtui.sims.base import Chart

IDLE_AFTER = 300.0  # seconds without a write to their store before a learner counts as idle


@dataclass(frozen=True)
class Seat:
    """One learner as last read: what the store held, and when it was last written."""

    name: str  # the learner's folder name, made safe for a terminal
    path: Path
    data: StoreData
    written_at: float  # the newest modification time of the store's files, on the room's clock

    @property
    def place(self) -> tuple[str | None, str]:
        """(chapter id, view) the learner was last in."""
        chapter = self.data.last_chapter
        view = self.data.views.get(chapter, "text") if chapter else "text"
        return chapter, view if view in VIEWS else "text"


@dataclass(frozen=True)
class Learner:
    """One row of the roster: where a learner is, since when, and how they have done."""

    name: str
    chapter: str | None  # chapter id, None if their store names no chapter of this course
    view: str
    written_at: float
    idle: bool
    answered: int  # first answers and graded predictions, over the course
    right: int
    missed_here: int  # of those, missed in the chapter they are in


@dataclass(frozen=True)
class ChapterPace:
    chapter: str
    title: str
    learners: int
    views: dict[str, int]  # view -> learners in it


@dataclass(frozen=True)
class Pace:
    chapters: list[ChapterPace]  # every chapter of the course, in order
    nowhere: int  # learners whose store names no chapter of this course yet
    idle: list[tuple[str, float]]  # (learner, seconds since their last write), most idle first
    learners: int


@dataclass(frozen=True)
class ChoiceSpread:
    question: Question
    counts: list[int]  # first answers per choice, in the order shown now
    answered: int
    learners: int

    @property
    def right(self) -> int:
        """1-based position of the right choice."""
        return self.question.answer


@dataclass(frozen=True)
class Guess:
    learner: str
    value: float | None
    choice: int | None  # 1-based position now, for a predict question with choices
    low: float | None = None
    high: float | None = None


@dataclass(frozen=True)
class PredictSpread:
    question: Question
    guesses: list[Guess]  # one per learner who committed a prediction to the question as it is now
    learners: int

    @property
    def predicted(self) -> int:
        return len(self.guesses)

    @property
    def values(self) -> list[float]:
        return [g.value for g in self.guesses if g.value is not None]

    @property
    def ranged(self) -> int:
        """How many gave a range with their number."""
        return sum(g.low is not None and g.high is not None for g in self.guesses)

    def ranges_holding(self, measured: float | None) -> int:
        """How many ranges hold ``measured``."""
        return 0 if measured is None else sum(
            g.low is not None and g.high is not None and g.low <= measured <= g.high for g in self.guesses)

    def choice_counts(self) -> list[int]:
        counts = [0] * len(self.question.choices)
        for g in self.guesses:
            if g.choice is not None and 1 <= g.choice <= len(counts):
                counts[g.choice - 1] += 1
        return counts

    def within(self, measured: float | None) -> int:
        """How many predictions the run's ``measured`` value grades right (as the app grades)."""
        q = self.question
        return sum(grade(q, Prediction(g.value, q.key_of(g.choice) if g.choice else None, q.fingerprint, 0.0), measured)
                   for g in self.guesses)

    def sides(self, measured: float) -> tuple[int, int]:
        """(too low, too high): how many numbers missed ``measured`` on each side of its tolerance."""
        spec = self.question.predict
        missed = [g.value for g in self.guesses
                  if g.value is not None and spec is not None and not spec.within(g.value, measured)]
        return sum(v < measured for v in missed), sum(v > measured for v in missed)


@dataclass(frozen=True)
class Score:
    """How the room did on one question: the learners whose answer counts, and how many were right."""

    answered: int
    right: int

    @property
    def missed(self) -> int:
        return self.answered - self.right

    def text(self) -> str:
        return f"{self.right}/{self.answered}" if self.answered else "-"


def most_missed_first(scores: dict[tuple[str, str], Score]) -> list[tuple[str, str]]:
    """The questions in ``scores`` (in course order), the most missed first: by the share of the
    room that missed it, then by how many; those nobody answered last, in course order."""
    rank = {key: i for i, key in enumerate(scores)}
    return sorted(scores, key=lambda k: (scores[k].answered == 0, -scores[k].missed / max(1, scores[k].answered),
                                         -scores[k].missed, rank[k]))


@dataclass
class Room:
    root: Path
    course: Course
    course_key: str
    clock: Callable[[], float] = course_clock.now  # the course clock (LMTUI_NOW moves it)
    shift: float = field(default_factory=course_clock.offset)  # added to the stores' modification
    # times, which the system clock stamps, to put them on the room's clock
    seats: dict[str, Seat] = field(default_factory=dict)
    unreadable: dict[str, tuple[Path, str]] = field(default_factory=dict)  # folder name -> (store, why)
    error: str | None = None  # the folder itself cannot be listed
    reads: int = 0  # stores read so far (a refresh with nothing changed reads none)
    version: int = 0  # counts the refreshes that changed anything
    looks: int = 0  # counts the refreshes completed (0: the stores have not been read yet)
    _signatures: dict[str, tuple[Path, tuple | None]] = field(default_factory=dict)

    def refresh(self, progress: Callable[[int, int], None] | None = None, stop: threading.Event | None = None) -> bool:
        """Follow the folder: read new stores and those whose files changed, forget those gone.
        True if anything the room shows may have changed. The new state is put in place at the
        end, whole: a view reading ``seats`` from another thread meanwhile sees the old one.

        ``progress(done, total)`` is called before each store is looked at and once at the end
        (``total`` stores found); ``stop``, once set, ends the look between two stores with
        nothing changed (a room closed while it reads a slow shared folder)."""
        try:
            found = find_stores(self.root)
        except OSError as e:
            error = f"cannot read {self.root} ({e.strerror or e})"
            changed, self.error = error != self.error, error
            self.version += changed
            self.looks += 1
            return changed
        changed = self.error is not None
        seats, unreadable, signatures = dict(self.seats), dict(self.unreadable), dict(self._signatures)
        names = {name for name, _ in found}
        for gone in [n for n in signatures if n not in names]:
            del signatures[gone]
            seats.pop(gone, None)
            unreadable.pop(gone, None)
            changed = True
        for done, (name, path) in enumerate(found):
            if stop is not None and stop.is_set():
                return False
            if progress is not None:
                progress(done, len(found))
            sig = signature(path)  # before reading: a write meanwhile shows at the next refresh
            if signatures.get(name) == (path, sig):
                continue
            signatures[name] = (path, sig)
            changed = True
            self.reads += 1
            try:
                data = read_store(path, self.course_key)
            except Unreadable as e:
                seats.pop(name, None)
                unreadable[name] = (path, str(e))
                continue
            unreadable.pop(name, None)
            written = max(sig[0], sig[2]) / 1e9 + self.shift if sig else 0.0
            seats[name] = Seat(clean_path(name), path, data, written)  # the folder's name, safe to show
        if changed:
            self.version += 1
            self.seats = dict(sorted(seats.items(), key=lambda kv: kv[0].casefold()))
            self.unreadable = dict(sorted(unreadable.items(), key=lambda kv: kv[0].casefold()))
            self._signatures = signatures
        self.error = None
        self.looks += 1
        if progress is not None:
            progress(len(found), len(found))
        return changed

    # -- what the room shows ---------------------------------------------------------------------
    def scores(self, measured: dict[tuple[str, str], float] | None = None) -> dict[tuple[str, str], Score]:
        """Every question's score, in course order: a quiz question by the room's first answers; a
        predict question by the learners' own runs (a prediction not graded yet does not count),
        or, where ``measured`` has the room's own run of it, every prediction against that."""
        out = {}
        for chapter_id, q in self.questions():
            key = (chapter_id, q.id)
            if q.predict is None:
                spread = self.choice_spread(chapter_id, q)
                out[key] = Score(spread.answered, spread.counts[q.answer - 1] if 1 <= q.answer <= len(spread.counts) else 0)
            elif measured and measured.get(key) is not None:
                predicted = self.predict_spread(chapter_id, q)
                out[key] = Score(predicted.predicted, predicted.within(measured[key]))
            else:
                graded = [p.correct for seat in self.seats.values()
                          if (p := seat.data.predicted.get(key)) is not None and q.asked_as(p.fingerprint, p.choice)
                          and p.correct is not None]
                out[key] = Score(len(graded), sum(graded))
        return out

    def roster(self, idle_after: float = IDLE_AFTER) -> list[Learner]:
        """Every learner, in course order of where they are (those not started first), then by name."""
        now = self.clock()
        asked = {(c, q.id): q for c, q in self.questions()}
        order = {c.id: i for i, c in enumerate(self.course.chapters)}
        rows = []
        for seat in self.seats.values():
            chapter, view = seat.place
            chapter = chapter if chapter in order else None
            graded = [(key, answer[1]) for key, answer in seat.data.answers.items()
                      if key in asked and asked[key].asked_as(answer[2], answer[0])]
            graded += [(key, p.correct) for key, p in seat.data.predicted.items()
                       if key in asked and asked[key].asked_as(p.fingerprint, p.choice) and p.correct is not None]
            rows.append(Learner(seat.name, chapter, view, seat.written_at, now - seat.written_at >= idle_after,
                                len(graded), sum(right for _, right in graded),
                                sum(not right for key, right in graded if key[0] == chapter)))
        rows.sort(key=lambda r: (-1 if r.chapter is None else order[r.chapter], r.name.casefold()))
        return rows

    def pace(self, idle_after: float = IDLE_AFTER) -> Pace:
        now = self.clock()
        per: dict[str, dict[str, int]] = {c.id: {} for c in self.course.chapters}
        nowhere = 0
        idle = []
        for seat in self.seats.values():
            chapter, view = seat.place
            if chapter in per:
                per[chapter][view] = per[chapter].get(view, 0) + 1
            else:
                nowhere += 1
            quiet = now - seat.written_at
            if quiet >= idle_after:
                idle.append((seat.name, quiet))
        idle.sort(key=lambda t: -t[1])
        chapters = [ChapterPace(c.id, c.title, sum(per[c.id].values()), per[c.id]) for c in self.course.chapters]
        return Pace(chapters, nowhere, idle, len(self.seats))

    def questions(self) -> list[tuple[str, Question]]:
        """(chapter id, question) for every quiz and predict question, in course order."""
        return [(c.id, q) for c in self.course.chapters for q in c.quiz]

    def choice_spread(self, chapter: str, question: Question) -> ChoiceSpread:
        counts = [0] * len(question.choices)
        answered = 0
        for seat in self.seats.values():
            answer = seat.data.answers.get((chapter, question.id))
            if answer is None or not question.asked_as(answer[2], answer[0]):
                continue  # unanswered, or answered before the question was edited
            n = question.number_of(answer[0])
            if n is not None:
                counts[n - 1] += 1
                answered += 1
        return ChoiceSpread(question, counts, answered, len(self.seats))

    def predict_spread(self, chapter: str, question: Question) -> PredictSpread:
        guesses = []
        for seat in self.seats.values():
            p = seat.data.predicted.get((chapter, question.id))
            if p is None or not question.asked_as(p.fingerprint, p.choice):
                continue
            choice = question.number_of(p.choice) if p.choice is not None else None
            if p.value is None and choice is None:
                continue
            ranged = p.low is not None and p.high is not None and p.low <= p.high  # else no range (a damaged store)
            guesses.append(Guess(seat.name, p.value, choice, p.low if ranged else None, p.high if ranged else None))
        return PredictSpread(question, guesses, len(self.seats))


# -- a histogram of predictions -------------------------------------------------------------------
LOG_SPAN = 100.0  # values all positive and spanning at least this ratio: binned on a log axis
LOG_SHARE = 0.8  # a log axis holds the positive values when at least this share of them are positive
HUGE = 1e100  # no question measures anything this large; chart arithmetic overflows near 1e308
FENCE = 3.0  # values further than this many interquartile ranges outside the middle half are off the chart
FENCE_FROM = 5  # fewer predictions than this: every value the chart can hold is on it


@dataclass(frozen=True)
class Histogram:
    edges: list[float]
    counts: list[int]
    log: bool
    below: int = 0  # values left off the chart, below and above its axis (typos, jokes, hostile stores)
    above: int = 0

    @property
    def off(self) -> int:
        return self.below + self.above


def _fenced(xs: list[float], floor: float) -> tuple[float, float] | None:
    """The far fences (quartiles -/+ FENCE interquartile ranges, at least ``floor`` wide) of
    ``xs``; None when there are too few values to tell an outlier."""
    if len(xs) < FENCE_FROM:
        return None
    q1, _, q3 = statistics.quantiles(xs, n=4, method="inclusive")
    spread = max(q3 - q1, floor)
    if spread <= 0:
        return None
    return q1 - FENCE * spread, q3 + FENCE * spread


def _axis_span(values: list[float], extra: list[float]) -> tuple[bool, float, float]:
    """(log axis?, lowest, highest value the axis holds). Positive values spanning two decades go
    on a log axis (the few zero or negative ones then left off); values far outside the room's
    middle half are left off, so one typo (2e12 for 2) does not squash every other prediction
    into one bin."""
    positive = [v for v in values if v >= 1 / HUGE]  # nor can a chart's log axis go down to 1e-300
    if positive and len(positive) >= LOG_SHARE * len(values) and all(v >= 1 / HUGE for v in extra):
        logs = [math.log10(v) for v in positive]
        fences = _fenced(logs, 0.25)
        kept = [v for v, t in zip(positive, logs) if fences is None or fences[0] <= t <= fences[1]]
        span = kept + extra
        if kept and max(span) / min(span) >= LOG_SPAN:
            return True, min(kept), max(kept)
    fences = _fenced(values, 0.05 * abs(statistics.median(values)))
    kept = [v for v in values if fences is None or fences[0] <= v <= fences[1]]
    return False, min(kept), max(kept)


def histogram(values: list[float], extra: list[float] | None = None, bins: int = 12) -> Histogram | None:
    """Bins for ``values`` (with the axis stretched to hold ``extra`` too, e.g. the measurement);
    on a log axis where the values are positive and span two decades or more. Values the axis
    does not hold (see :func:`_axis_span`; beyond +-HUGE, never) are counted as below or above it."""
    finite = [v for v in values if math.isfinite(v)]
    sane = [v for v in finite if abs(v) <= HUGE]
    if not sane:
        return None
    shown = [v for v in (extra or []) if v is not None and math.isfinite(v) and abs(v) <= HUGE]
    log, first, last = _axis_span(sane, shown)
    kept = [v for v in sane if first <= v <= last]
    lo, hi = min(kept + shown), max(kept + shown)
    if log:
        a, b = math.log10(lo), math.log10(hi)
    else:
        a, b = lo, hi
    if b - a <= 0:
        pad = abs(a) * 0.1 or 1.0
        a, b = a - pad, b + pad
    step = (b - a) / bins
    edges = [a + i * step for i in range(bins + 1)]
    counts = [0] * bins
    for v in kept:
        x = math.log10(v) if log else v
        counts[min(bins - 1, max(0, int((x - a) / step)))] += 1
    if log:
        edges = [10 ** e for e in edges]
    below = sum(1 for v in finite if v < first)
    return Histogram(edges, counts, log, below, sum(1 for v in finite if v > last))


def coverage(ranges: list[tuple[float, float]], lo: float, hi: float) -> list[tuple[list[float], list[int]]]:
    """How many of ``ranges`` hold each x between ``lo`` and ``hi``, as step lines (xs, counts):
    one for each stretch held by at least one range, rising from 0 and back to 0 at its ends (so
    nothing runs along the axis). Each range is cut to [lo, hi]; one whose low is above its high
    is no range."""
    events: dict[float, int] = {}
    for low, high in ranges:
        if not low <= high or high < lo or low > hi:
            continue
        a, b = max(low, lo), min(high, hi)
        events[a] = events.get(a, 0) + 1
        events[b] = events.get(b, 0) - 1  # a range of width 0 holds no stretch
    out: list[tuple[list[float], list[int]]] = []
    level = 0
    for x in sorted(events):
        if level == 0:
            out.append(([x], [0]))
        xs, ys = out[-1]
        xs.append(x)
        ys.append(level)
        level += events[x]
        xs.append(x)
        ys.append(level)
    return [(xs, ys) for xs, ys in out if max(ys) > 0]


def summary(values: list[float], unit: str = "") -> str:
    """The middle of the room's numbers: its median and the range its middle half falls in."""
    if not values:
        return ""
    unit = f" {unit}" if unit else ""
    median = statistics.median(values)
    if len(values) < 4:
        return f"median {median:.3g}{unit}"
    q1, _, q3 = statistics.quantiles(values, n=4, method="inclusive")
    return f"median {median:.3g}{unit}, middle half {q1:.3g} to {q3:.3g}"


def spread_chart(spread: PredictSpread, measured: float | None = None, theory: float | None = None,
                 revealed: bool = False) -> Chart | None:
    """The room's numeric predictions as a histogram (its outline, ``#``), with the ranges the
    learners gave as a step line (``=``: how many ranges hold each value), for
    :func:`lmtui.core.charts.render_chart`. Its legend says how many predictions are off the
    chart. Revealed: the run's measurement (``o``) and
    the theory's value (a theory line) drawn across it, and the tolerance band's edges as dashed
    columns. None if nobody typed a number."""
    from lmtui.sims.base import Chart, Line, Panel

    spec = spread.question.predict
    shown = [v for v in (measured, theory) if revealed and v is not None]
    hist = histogram(spread.values, extra=shown)
    if hist is None or spec is None:
        return None
    xs, ys = [hist.edges[0]], [0]
    for i, count in enumerate(hist.counts):
        xs += [hist.edges[i], hist.edges[i + 1]]
        ys += [count, count]
    xs.append(hist.edges[-1])
    ys.append(0)
    label = f"{spec.metric} ({spec.unit})" if spec.unit else spec.metric
    lines = []
    held = [(g.low, g.high) for g in spread.guesses if g.low is not None and g.high is not None]
    stretches = coverage(held, hist.edges[0], hist.edges[-1])
    for i, (rx, ry) in enumerate(stretches):  # first: the histogram's outline is drawn over them where they meet
        lines.append(Line(f"ranges ({len(held)})" if i == 0 else "", rx, ry, marker="=", connect=True))
    off = f", {hist.off} off the chart" if hist.off else ""
    lines.append(Line(f"predictions{off}", xs, ys, marker="#", connect=True))
    top = max([*hist.counts, *(max(ry) for _, ry in stretches)])
    panel = Panel("the room's predictions", label, "learners", xlog=hist.log, ycounts=True, lines=lines)
    if revealed and measured is not None:
        panel.lines.append(Line(f"measured {measured:.4g}", [measured, measured], [0, top], marker="o", connect=True))
        allowed = spec.tolerance * abs(measured) if spec.relative else spec.tolerance
        panel.vlines += [(measured - allowed, spec.tolerance_text()), (measured + allowed, "")]
    if revealed and theory is not None:
        panel.lines.append(Line(f"theory {theory:.4g}", [theory, theory], [0, top], kind="theory"))
    return Chart([panel])
