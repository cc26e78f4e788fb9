"""The quiz review in `lmtui check`: the tells a test-wise learner could use, as warnings or
(--strict) errors, for any course."""

from __future__ import annotations

from lmtui.tools.checker import check_main
from lmtui.core.course import load_course
from lmtui.tools.quizreview import figures, review

from conftest import FIXTURES


def test_telltale_quiz_is_flagged(capsys):
    root = FIXTURES / "telltale"
    tells = review(load_course(root))
    kinds = sorted({t.kind for t in tells})
    assert kinds == ["duplicate", "longest", "position", "wording"]
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
