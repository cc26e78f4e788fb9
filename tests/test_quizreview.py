"""The quiz review in `lmtui check`: the tells a test-wise learner could use, as warnings or
(--strict) errors, for any course."""

from __future__ import annotations

import dataclasses
import importlib.util
import re
import shutil
import tomllib

from lmtui.tools.checker import check_main
from lmtui.core.course import load_course
from lmtui.tools.quizreview import answered_elsewhere, cue_rates, expressions, figures, giveaways, phrases, review

from conftest import FIXTURES, REPO


def test_telltale_quiz_is_flagged(capsys):
    root = FIXTURES / "telltale"
    tells = review(load_course(root))
    kinds = sorted({t.kind for t in tells})
    assert kinds == ["duplicate", "elaborated", "longest", "position", "wording"]
    fig = figures(load_course(root))
    assert fig.positions == (9, 0, 0, 0) and fig.longest_right == 9 and fig.choice_questions == 10
    assert check_main(str(root)) == 0  # warnings only
    out = capsys.readouterr().out
    assert "warning: answer positions are unbalanced: position 2, 3, 4" in out
    assert "warning: the right choice is the longest in 9 of 10 questions (90%" in out
    assert "01-tells.quiz.toml:64: warning: question 'dup': choices 1 and 2 say the same thing" in out
    assert "warning: question 'q1': only the right choice says 'because'" in out
    assert check_main(str(root), strict=True) == 1
    assert "error: answer positions are unbalanced" in capsys.readouterr().out


def test_small_quiz_is_not_judged_by_rates(mini_course):
    # three questions say nothing about a course's answer positions
    assert [t.kind for t in review(load_course(mini_course))] == []
    assert check_main(str(mini_course), strict=True) == 0


def test_different_formulas_are_not_duplicates(mini_course):
    (mini_course / "02-second.quiz.toml").write_text(
        '[[question]]\nid = "eta"\nprompt = "When does GD diverge?"\n'
        'choices = ["ηk > 1", "ηk > 2", "ηk < 2"]\nanswer = 2\nexplanation = "|1 - ηk| > 1"\n', encoding="utf-8")
    assert review(load_course(mini_course)) == []


def test_surface_cues_are_flagged(capsys):
    """Each right choice of the fixture gives itself away by a surface rule of a test-wise learner."""
    root = FIXTURES / "surfacecues"
    kinds = sorted({t.kind for t in review(load_course(root))})
    assert kinds == ["answers-another", "concedes", "convergence", "elaborated", "equation", "prompt-words", "symbols"]
    assert check_main(str(root)) == 0  # warnings only
    out = capsys.readouterr().out
    assert "warning: the choice with the most clauses (commas, semicolons, 'which', 'while', ...) is right in 9 of the 9" in out
    assert "warning: the choice with the most symbols and digits is right in 9 of the 9" in out
    assert "warning: the choice with the most words shared with the prompt is right in 8 of the 9" in out
    assert "warning: the choice with the most words shared with the other choices is right in 8 of the 8" in out
    assert "01-cues.quiz.toml:57: warning: question 'only-equation': only the right choice holds an equation" in out
    assert "01-cues.quiz.toml:64: warning: question 'honest': asks for an honest reply and only the right choice concedes" in out
    assert ("01-cues.quiz.toml:134: warning: question 'takes': only the right choice restates another question's prompt or "
            "explanation ('halves its stride after', 'it halves its stride', in 01-cues.quiz.toml:127 'gives')") in out
    assert check_main(str(root), strict=True) == 1


def test_surface_cues_at_chance_are_not_flagged(tmp_path):
    """The same quiz with each right answer moved to a plain choice or to one of the variations (and
    the equation and the concession shared with a wrong choice) trips none of the cues."""
    root = tmp_path / "course"
    shutil.copytree(FIXTURES / "surfacecues", root)
    quiz = root / "01-cues.quiz.toml"
    text = quiz.read_text(encoding="utf-8")
    moved = []
    for block in text.split("[[question]]")[1:]:
        choices = tomllib.loads("[[question]]" + block)["question"][0]["choices"]
        plain = [i for i, c in enumerate(choices) if c.startswith("Another plain reply")]
        if plain:
            block = re.sub(r"answer = \d", f"answer = {plain[0] + 1}", block)
        elif 'id = "takes"' in block:  # a choice the other question's explanation does not restate
            block = block.replace("answer = 2", "answer = 3")
        elif "palette" in block:  # a variation, not the choice the others vary
            hub = int(re.search(r"answer = (\d)", block).group(1))
            block = re.sub(r"answer = \d", f"answer = {hub % 4 + 1}", block)
        moved.append(block)
    text = "[[question]]".join([""] + moved)
    text = text.replace('"Somewhere to the left"', '"Somewhere with x < 0"')
    text = text.replace('"The skeptic has misread the evidence"', '"The skeptic has a point, but not yet about large models"')
    quiz.write_text(text, encoding="utf-8")
    kinds = {t.kind for t in review(load_course(root))}
    assert not kinds & {"answers-another", "concedes", "convergence", "elaborated", "equation", "prompt-words", "symbols"}, kinds


def test_cue_rates_count_only_where_a_cue_picks():
    rates = cue_rates([q for c in load_course(FIXTURES / "surfacecues").chapters for q in c.quiz])
    assert (rates["equation"].applies, rates["equation"].hits) == (1, 1)
    assert (rates["longest"].applies, rates["longest"].hits) == (10, 0)
    assert (rates["concedes"].applies, rates["concedes"].hits) == (1, 1)
    assert (rates["answers-another"].applies, rates["answers-another"].hits) == (1, 1)


def test_answers_another_reads_formulas_and_phrases():
    """A formula is matched with its spaces dropped, a phrase by its words; what two choices share
    or the question's own prompt states ties nothing to another question."""
    # T/k and η → 0 are too short to tie two questions together
    assert expressions("T/(k(1 − ηk/2)), which tends to T/k as η → 0") == {"T/(k(1−ηk/2))"}
    assert expressions("ε_opt(B) = ε_max/(1 + B_noise/B) at any B") == {"ε_opt(B)=ε_max/(1+B_noise/B)"}
    assert "the noise scale grows" in phrases("as training goes on the noise scale grows")
    course = load_course(FIXTURES / "surfacecues")
    quiz = {q.id: q for c in course.chapters for q in c.quiz}
    found = giveaways(quiz["takes"], list(quiz.values()))
    assert [g.other.id if g else None for g in found] == [None, "gives", None, None]
    # the same phrase in a wrong choice too: nothing tells the right one apart
    shared = dataclasses.replace(quiz["takes"], choices=[*quiz["takes"].choices[:2], "It halves its stride after every step",
                                                         quiz["takes"].choices[3]])
    assert answered_elsewhere(list(quiz.values()))(shared) is None


def test_testwise_script_scores_the_fixture(capsys):
    """scripts/testwise.py plays the cues on a course: the fixture falls to every rule it was built for."""
    spec = importlib.util.spec_from_file_location("testwise", REPO / "scripts" / "testwise.py")
    testwise = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(testwise)
    assert testwise.main([str(FIXTURES / "surfacecues")]) == 0
    out = capsys.readouterr().out
    rows = {line.split()[0]: line.split()[1:4] for line in out.splitlines()[2:10]}
    assert rows["elaborated"] == ["9", "9", "100%"] and rows["convergence"] == ["8", "8", "100%"]
    assert rows["longest"] == ["10", "0", "0%"] and rows["answers-another"] == ["1", "1", "100%"]
    best = next(line for line in out.splitlines() if line.startswith("best combination"))
    assert float(best.rsplit(" ", 1)[1].rstrip("%")) > 90  # the fixture falls to a combination of its cues
