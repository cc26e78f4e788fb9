"""`lmtui check [DIR] [--strict] [--fingerprints]`: validate a course folder, one `file:line: message` per problem.

Three layers: what the loader finds (structure, headers, quiz tables), what needs the simulations
(a predict question's parameters are in range, its run is estimated at most CHECK_LIMIT_S, and its
metric is one the simulation reports), and the quiz review (tells a test-wise learner could use; warnings, errors with --strict).
"""

from __future__ import annotations

import os
import re
import sys
from pathlib import Path

from lmtui.core.course import Course, Problem, builtin_content_dir, load_course
from lmtui.core.runcost import CHECK_LIMIT_S, describe
from lmtui.core.sanitize import clean, clean_path
from lmtui.tools.quizreview import figures, review


def _shown(path: Path) -> str:
    """A path as printed: relative when under the working folder, control characters shown."""
    try:
        rel = os.path.relpath(path)
    except ValueError:  # another drive on Windows
        return clean_path(path)
    return clean_path(rel if not rel.startswith("..") else path)


def format_problem(problem: Problem) -> str:
    return f"{_shown(problem.path)}:{problem.line}: {clean(problem.message)}"


def _quiz_path(chapter) -> Path:
    return chapter.path.with_name(chapter.path.name[: -len(".md")] + ".quiz.toml")


def _param_line(path: Path, start: int, name: str) -> int:
    """The line of ``params`` (or of the parameter's own key) in the question starting at ``start``."""
    return _key_line(path, start, "params", name)


def _key_line(path: Path, start: int, *keys: str) -> int:
    """The first line setting one of ``keys`` (``key = ...``) in the question starting at
    ``start`` (else the question's own line)."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError):
        return start
    pattern = re.compile(rf"^\s*({'|'.join(re.escape(k) for k in keys)})\s*=")
    for i in range(start - 1, len(lines)):
        if i > start - 1 and lines[i].strip() == "[[question]]":
            break
        if pattern.match(lines[i]):
            return i + 1
    return start


def predict_problems(course: Course) -> list[Problem]:
    """Predict questions checked against the simulations they name (imports numpy)."""
    from lmtui.sims.base import ParamError
    from lmtui.sims.registry import get

    out: list[Problem] = []
    for chapter in course.chapters:
        path = _quiz_path(chapter)
        for q in chapter.quiz:
            p = q.predict
            if p is None:
                continue
            where = f"question {q.id!r}"
            try:
                sim = get(p.sim)
            except (KeyError, ImportError) as e:
                out.append(Problem(path, q.line, f"{where}: simulation {p.sim!r} is not available ({e})"))
                continue
            for key, _value in p.params:
                try:
                    sim.param(key)
                except ParamError as e:
                    out.append(Problem(path, _param_line(path, q.line, key), f"{where}: {e}"))
            try:
                resolved = sim.resolve(p.overrides)
            except ParamError as e:
                if "unknown parameter" not in str(e):
                    out.append(Problem(path, _param_line(path, q.line, "params"), f"{where}: {e}"))
            else:
                out += _cost_problems(path, q, sim, resolved)
            out += vary_problems(path, q, sim)
            reported = sim.reported_metrics()
            if p.metric not in reported:
                out.append(Problem(path, q.line, f"{where}: {p.sim} reports no metric {p.metric!r}; it reports: "
                                                 f"{', '.join(sorted(reported))}"))
            if p.theory and p.theory not in sim.reported_predictions():
                out.append(Problem(path, q.line, f"{where}: {p.sim} reports no prediction {p.theory!r}; it reports: "
                                                 f"{', '.join(sorted(sim.reported_predictions()))}"))
    return out


def _cost_problems(path: Path, q, sim, resolved: dict) -> list[Problem]:
    """The question's run, and each run its ``vary`` asks for, estimated at most CHECK_LIMIT_S."""
    from lmtui.sims.base import ParamError

    p = q.predict
    settings = [("its run", resolved)]
    for key, values in p.vary:
        for value in values:
            try:
                settings.append((f"its run with {key} = {value}", sim.resolve({**p.overrides, key: value})))
            except ParamError:
                pass  # vary_problems reports it
    out = []
    for what, params in settings:
        seconds = sim.estimate_seconds(params)
        if seconds > CHECK_LIMIT_S:
            out.append(Problem(path, _param_line(path, q.line, "params"),
                               f"question {q.id!r}: {what} would take {describe(seconds)}; a predict question's run "
                               f"must take at most {CHECK_LIMIT_S:g} s (the learner waits for it)"))
    return out


def vary_problems(path: Path, q, sim) -> list[Problem]:
    """A predict question's ``vary``: each parameter is the simulation's, each value in its range
    (with the question's other parameters), a setting other than the question's own, and one where
    the theory is defined (the simulation's first frame reports the theory's value, when it does)."""
    from lmtui.sims.base import ParamError

    p = q.predict
    out: list[Problem] = []
    where = f"question {q.id!r}"
    line = _key_line(path, q.line, "vary")
    try:
        own = sim.resolve(p.overrides)
    except ParamError:
        return out  # reported above
    for key, values in p.vary:
        try:
            sim.param(key)
        except ParamError as e:
            out.append(Problem(path, line, f"{where}: vary: {e}"))
            continue
        for value in values:
            plain = list(value) if isinstance(value, tuple) else value
            shown = ",".join(str(v) for v in value) if isinstance(value, tuple) else str(value)
            try:
                setting = sim.resolve({**p.overrides, key: plain})
            except ParamError as e:
                out.append(Problem(path, line, f"{where}: vary.{key} = {shown}: {e}"))
                continue
            if setting == own:
                out.append(Problem(path, line, f"{where}: vary.{key} = {shown} is the question's own setting "
                                               f"(a review must run another one)"))
                continue
            theory = _first_theory(sim, setting, p.theory or p.metric)
            if theory is not None and not theory:
                out.append(Problem(path, line, f"{where}: vary.{key} = {shown}: the theory ({p.theory or p.metric}) "
                                               f"is not defined there"))
    if p.vary and not p.settings():
        out.append(Problem(path, line, f"{where}: vary allows no setting other than the question's own"))
    return out


def _first_theory(sim, params: dict, key: str) -> bool | None:
    """Whether the theory's value is a finite number in the run's first frame at ``params`` (None:
    the first frame does not report it, or the run fails to start)."""
    import math

    try:
        runner = sim.start(params, 0)
        try:
            frame = next(iter(runner))
        finally:
            runner.close()
    except Exception:  # a run that cannot start is a problem `lmtui sim run` reports in full
        return False
    prediction = getattr(frame, "prediction", None) or {}
    if key not in prediction or prediction[key] is None:
        return None
    try:
        return math.isfinite(float(prediction[key]))
    except (TypeError, ValueError):
        return None


def check_main(directory: str | None, strict: bool = False, fingerprints: bool = False) -> int:
    root = Path(directory) if directory else builtin_content_dir()
    course = load_course(root)
    problems = list(course.problems)
    if any(q.predict for c in course.chapters for q in c.quiz):
        problems += predict_problems(course)
    for problem in problems:
        print(format_problem(problem))
    tells = review(course)
    label = "error" if strict else "warning"
    for tell in tells:
        print(f"{_shown(tell.path)}:{tell.line}: {label}: {clean(tell.message)}")
    failed = len(problems) + (len(tells) if strict else 0)
    if failed:
        print(f"{failed} problem(s) in {_shown(root)}", file=sys.stderr)
        return 1
    if fingerprints:  # what a reworded question's `formerly` lists, to keep the answers given before
        for chapter in course.chapters:
            for q in chapter.quiz:
                print(f"{clean(chapter.id)}/{clean(q.id)} {q.fingerprint}")
    questions = sum(len(c.quiz) for c in course.chapters)
    predicts = sum(1 for c in course.chapters for q in c.quiz if q.predict)
    pages = sum(len(c.pages) for c in course.chapters)
    print(f"ok: {len(course.chapters)} chapters, {pages} pages, {questions} questions ({predicts} predict), "
          f"{len(course.explorers)} explorer figures in {_shown(root)}")
    if course.chapters:
        print(f"quiz: {figures(course).text()}")
    if tells and not strict:
        print(f"{len(tells)} warning(s); --strict makes them errors", file=sys.stderr)
    return 0
