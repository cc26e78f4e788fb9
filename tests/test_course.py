"""The content loader and `lmtui check`: every problem reported as file:line: message."""

from __future__ import annotations

from pathlib import Path

import pytest

from lmtui.tools.checker import check_main
from lmtui.core.course import builtin_content_dir, count_blocks, load_course, page_links, split_pages

from conftest import REPO

OUTLINE_TITLES = [
    "The Problem", "Seven Desiderata", "Solvable Settings", "Simplifying Limits", "Empirical Laws",
    "Hyperparameters", "Universality", "LM ⇄ Mech Interp", "Skepticism", "Connections",
]


def problems_of(root: Path) -> list[str]:
    return [f"{p.path.name}:{p.line}: {p.message}" for p in load_course(root).problems]


def test_builtin_course_is_valid_and_complete():
    course = load_course(REPO / "content")
    assert [str(p) for p in course.problems] == []
    assert [c.title for c in course.chapters] == OUTLINE_TITLES
    assert [c.order for c in course.chapters] == list(range(10))
    for chapter in course.chapters:
        assert len(chapter.quiz) >= 3, chapter.id
        assert chapter.figures, f"{chapter.id} has no figure"
        for page in chapter.pages:
            assert count_blocks(page.markdown) <= 100, (chapter.id, page.title)
        text = "\n".join(p.markdown for p in chapter.pages)
        assert "Try this" in text, f"{chapter.id} has no 'Try this in the simulation' prompt"


def test_builtin_course_passes_the_strict_quiz_review(capsys):
    """No tells a test-wise learner could use: answers spread over positions, the longest choice
    rarely right, no repeated choices (lmtui check --strict, as an instructor would run it)."""
    assert check_main(str(REPO / "content"), strict=True) == 0
    out = capsys.readouterr().out
    assert "error:" not in out and "ok: 10 chapters" in out


def test_builtin_dir_resolves_from_package():
    assert (builtin_content_dir() / "FORMAT.md").exists()


def test_fixture_course_loads(mini_course):
    course = load_course(mini_course)
    assert course.problems == []
    first = course.by_id("first")
    assert [p.title for p in first.pages] == ["Introduction", "Second page"]
    assert first.quiz[0].answer == 2
    assert course.explorers["eras"].items[1].label == "Theory"


def test_check_exit_codes(mini_course, capsys):
    assert check_main(str(mini_course)) == 0
    assert "ok: 2 chapters" in capsys.readouterr().out
    (mini_course / "02-second.quiz.toml").write_text("[[question]]\nprompt = 'x'\nchoices = ['a', 'b']\nanswer = 3\nexplanation = ''\n")
    assert check_main(str(mini_course)) == 1
    out = capsys.readouterr().out
    assert "02-second.quiz.toml:4: question 1: answer 3 is out of range; expected 1 to 2" in out


@pytest.mark.parametrize(
    "filename, text, expected",
    [
        ("03-x.md", "no header here\n", "03-x.md:1: missing header"),
        ("03-x.md", "+++\nid = 'x'\ntitle = 'X'\norder = 3\n", "03-x.md:1: header not closed"),
        ("03-x.md", "+++\nid = 'x'\ntitle = 'X'\norder = = 3\n+++\nBody\n", "03-x.md:4: bad header"),
        ("03-x.md", "+++\nid = 'x'\norder = 3\n+++\nBody\n", "03-x.md:1: header: missing required key 'title'"),
        ("03-x.md", "+++\nid = 'Bad Id'\ntitle = 'X'\norder = 3\n+++\nBody\n", "03-x.md:2: header: id 'Bad Id'"),
        ("03-x.md", "+++\nid = 'x'\ntitle = 'X'\norder = 'three'\n+++\nBody\n", "03-x.md:4: header: order must be an integer"),
        ("03-x.md", "+++\nid = 'x'\ntitle = 'X'\norder = 3\nfigures = ['sim:nope']\n+++\nBody\n", "03-x.md:5: figures: unknown simulation 'nope'"),
        ("03-x.md", "+++\nid = 'x'\ntitle = 'X'\norder = 3\nfigures = ['explorer:missing']\n+++\nBody\n", "03-x.md:5: figures: no file figures/missing.toml"),
        ("03-x.md", "+++\nid = 'first'\ntitle = 'X'\norder = 3\n+++\nBody\n", "03-x.md:2: duplicate id 'first'"),
        ("03-x.md", "+++\nid = 'x'\ntitle = 'X'\norder = 3\ntitel = 'typo'\n+++\nBody\n", "03-x.md:5: header: unknown key 'titel'"),
        ("03-x.md", "+++\nid = 'x'\ntitle = 'X'\norder = 3\n+++\nSee [y](chapter:nowhere).\n", "03-x.md:6: link to unknown chapter 'nowhere'"),
        ("03-x.md", "+++\nid = 'x'\ntitle = 'X'\norder = 3\n+++\n", "03-x.md:6: the chapter has no text"),
        ("99-orphan.quiz.toml", "[[question]]\n", "99-orphan.quiz.toml:1: quiz without a chapter"),
    ],
)
def test_broken_files_are_reported_with_line(mini_course, filename, text, expected):
    (mini_course / filename).write_text(text, encoding="utf-8")
    found = problems_of(mini_course)
    assert any(p.startswith(expected) for p in found), found


@pytest.mark.parametrize(
    "quiz, expected",
    [
        ("[[question]]\nprompt = 'p'\nchoices = ['a', 'b']\nexplanation = 'e'\n", "01-first.quiz.toml:1: question 1: missing 'answer'"),
        ("[[question]]\nprompt = 'p'\nchoices = ['a','b','c','d','e']\nanswer = 1\nexplanation = 'e'\n", "01-first.quiz.toml:3: question 1: 5 choices"),
        ("[[question]]\nprompt = 'p'\nchoices = ['a', 'b']\nanswer = true\nexplanation = 'e'\n", "01-first.quiz.toml:4: question 1: answer must be an integer"),
        ("question = 3\n", "01-first.quiz.toml:1: no questions"),
        ("[[question]\n", "01-first.quiz.toml:1: bad TOML"),
    ],
)
def test_broken_quizzes_are_reported_with_line(mini_course, quiz, expected):
    (mini_course / "01-first.quiz.toml").write_text(quiz, encoding="utf-8")
    found = problems_of(mini_course)
    assert any(p.startswith(expected) for p in found), found


def test_broken_chapter_does_not_stop_the_others(mini_course):
    (mini_course / "03-broken.md").write_text("+++\nid = 'broken'\n", encoding="utf-8")
    (mini_course / "04-latin1.md").write_bytes("+++\nid = 'l'\ntitle = 'caf\xe9'\norder = 4\n+++\n".encode("latin-1"))
    course = load_course(mini_course)
    assert [c.id for c in course.chapters] == ["first", "second"]
    assert {b.path.name for b in course.broken} == {"03-broken.md", "04-latin1.md"}
    assert any("not UTF-8" in b.reason for b in course.broken)


def test_missing_folder_is_a_problem_not_a_crash(tmp_path):
    course = load_course(tmp_path / "nope")
    assert course.chapters == [] and "not a folder" in course.problems[0].message


def test_pages_split_on_level_two_headings_outside_code():
    pages = split_pages("Intro\n\n## A\ntext\n```\n## not a page\n```\n## B\nmore\n")
    assert [p.title for p in pages] == ["Introduction", "A", "B"]
    assert "## not a page" in pages[1].markdown


def test_page_links_in_order_without_duplicates():
    md = "[a](chapter:x) and [b](https://e.org) and [a again](chapter:x)"
    assert page_links(md) == [("a", "chapter:x"), ("b", "https://e.org")]


# -- question ids and predict questions ------------------------------------------------------------
PREDICT = '''[[question]]
id = "plateau"
kind = "predict"
prompt = "Where does the sharpness settle at lr = 0.25?"
sim = "edge_of_stability"
params = { lr = 0.25 }
metric = "sharpness_plateau"
theory = "two_over_lr"
tolerance = { relative = 0.1 }
explanation = "2/eta = 8."

[[question]]
id = "side"
kind = "predict"
prompt = "Above, at or below 2/eta?"
sim = "edge_of_stability"
choices = ["below", "at", "above"]
bins = [0.95, 1.05]
metric = "plateau_ratio"
explanation = "It settles at 2/eta."
'''


def test_predict_questions_load(mini_course):
    (mini_course / "02-second.quiz.toml").write_text(PREDICT, encoding="utf-8")
    course = load_course(mini_course)
    assert course.problems == []
    number, side = course.by_id("second").quiz
    assert number.kind == "predict" and number.answer == 0 and number.predict.overrides == {"lr": 0.25}
    assert number.predict.within(7.5, 8.0) and not number.predict.within(7.0, 8.0)
    assert side.choices == ("below", "at", "above") and side.predict.bins == (0.95, 1.05)
    assert [side.predict.bin_of(x) for x in (0.5, 0.95, 1.0, 1.05, 3.0)] == [1, 2, 2, 3, 3]


@pytest.mark.parametrize(
    "text, expected",
    [
        ('[[question]]\nprompt = "p"\nchoices = ["a", "b"]\nanswer = 1\nexplanation = ""\n', "01-first.quiz.toml:1: question 1: missing 'id'"),
        ('[[question]]\nid = "Bad Id"\nprompt = "p"\nchoices = ["a", "b"]\nanswer = 1\nexplanation = ""\n', "01-first.quiz.toml:2: question 1: id 'Bad Id' must be"),
        ('[[question]]\nid = "a"\nprompt = "p"\nchoices = ["a", "b"]\nanswer = 1\nexplanation = ""\n'
         '[[question]]\nid = "a"\nprompt = "q"\nchoices = ["a", "b"]\nanswer = 1\nexplanation = ""\n', "01-first.quiz.toml:7: question 2: duplicate id 'a'"),
        ('[[question]]\nid = "a"\nprompt = "p"\nchoices = ["x", "X"]\nanswer = 1\nexplanation = ""\n', "01-first.quiz.toml:4: question 1: two choices are the same text"),
        ('[[question]]\nid = "a"\nkind = "essay"\nprompt = "p"\n', "01-first.quiz.toml:3: question 1: kind 'essay' is not one of choice, predict"),
        (PREDICT.replace('tolerance = { relative = 0.1 }\n', ''), "01-first.quiz.toml:7: question 1: tolerance must be { relative = 0.1 } or { absolute = 0.05 }"),
        (PREDICT.replace('relative = 0.1', 'relative = -1'), "01-first.quiz.toml:9: question 1: tolerance must be positive"),
        (PREDICT.replace('sim = "edge_of_stability"\nparams', 'sim = "nope"\nparams'), "01-first.quiz.toml:5: question 1: unknown simulation 'nope'"),
        (PREDICT.replace('bins = [0.95, 1.05]', 'bins = [1.0]'), "01-first.quiz.toml:18: question 2: 3 choices need 2 bins, got 1"),
        (PREDICT.replace('bins = [0.95, 1.05]', 'bins = [1.05, 0.95]'), "01-first.quiz.toml:18: question 2: bins must increase"),
        (PREDICT.replace('bins = [0.95, 1.05]\n', ''), "01-first.quiz.toml:17: question 2: a predict question with choices needs bins"),
        (PREDICT.replace('params = { lr = 0.25 }', 'params = { lr = { x = 1 } }'), "01-first.quiz.toml:6: question 1: params must be a table"),
    ],
)
def test_quiz_question_problems(mini_course, text, expected):
    (mini_course / "01-first.quiz.toml").write_text(text, encoding="utf-8")
    found = problems_of(mini_course)
    assert any(p.startswith(expected) for p in found), found


def test_fingerprint_ignores_order_not_edits():
    from lmtui.core.course import Question

    q = Question("a", "Which?", ("x", "y", "z"), 2, "because y")
    assert q.fingerprint == Question("a", "Which?", ("z", "y", "x"), 2, "").fingerprint  # y is still right; explanations may change
    assert q.fingerprint != Question("a", "Which?", ("x", "y", "z"), 1, "because y").fingerprint  # x now right
    assert q.fingerprint != Question("a", "Which one?", ("x", "y", "z"), 2, "because y").fingerprint


@pytest.mark.parametrize(
    "change, expected",
    [
        (("", ""), None),
        (('metric = "sharpness_plateau"', 'metric = "sharpnes"'),
         "01-first.quiz.toml:1: question 'plateau': edge_of_stability reports no metric 'sharpnes'"),
        (('params = { lr = 0.25 }', 'params = { lr = 99 }'),
         "01-first.quiz.toml:6: question 'plateau': lr: 99 is out of range"),
        (('params = { lr = 0.25 }', 'params = { eta = 0.25 }'),
         "01-first.quiz.toml:6: question 'plateau': unknown parameter 'eta' for edge_of_stability"),
        (('theory = "two_over_lr"', 'theory = "nope"'),
         "01-first.quiz.toml:1: question 'plateau': edge_of_stability reports no prediction 'nope'"),
    ],
)
def test_check_validates_predict_questions_against_their_simulation(mini_course, capsys, change, expected):
    (mini_course / "01-first.quiz.toml").write_text(PREDICT.replace(*change), encoding="utf-8")
    status = check_main(str(mini_course))
    out = capsys.readouterr().out
    if expected is None:
        assert status == 0 and "(2 predict)" in out
    else:
        assert status == 1 and expected in out, out


def test_a_predict_prompt_is_filled_at_its_setting_and_a_bad_place_is_reported(mini_course):
    from lmtui.core.course import fill

    assert fill("a = {1 + a}, h = {h}, from {w[0]} to {w[-1]} {{x}}", {"a": 0.75, "h": [0.01, 0.02, 0.04], "w": [32, 512]}) \
        == "a = 1.75, h = 0.01, 0.02 and 0.04, from 32 to 512 {x}"
    good = '''[[question]]
id = "p"
kind = "predict"
prompt = "At lr = {lr}, where is the sharpness?"
choices = ["Below 2/{lr}", "Above"]
bins = [1.0]
sim = "edge_of_stability"
params = { lr = 0.25 }
vary = { lr = [0.3] }
metric = "plateau_ratio"
explanation = "At the edge."
'''
    (mini_course / "01-first.quiz.toml").write_text(good, encoding="utf-8")
    course = load_course(mini_course)
    q = course.chapters[0].quiz[0]
    assert not course.problems and q.prompt == "At lr = 0.25, where is the sharpness?" and q.choices[0] == "Below 2/0.25"
    review = q.at_setting({"lr": 0.3}, 2)
    assert review.prompt == "At lr = 0.3, where is the sharpness?" and review.choices[0] == "Below 2/0.3"
    assert review.keys == q.keys and review.fingerprint == q.fingerprint and review.predict.seed == 2
    for bad, message in (('"At lr = {rate}', "01-first.quiz.toml:4: question 1: prompt: {rate} names 'rate', which is not in params"),
                         ('"At lr = {lr[0]}', "01-first.quiz.toml:4: question 1: prompt: {lr[0]}: lr = 0.25 has no element 0"),
                         ('"At lr = {lr!r}', "01-first.quiz.toml:4: question 1: prompt: {lr!r} is not {parameter}")):
        (mini_course / "01-first.quiz.toml").write_text(good.replace('"At lr = {lr}', bad), encoding="utf-8")
        course = load_course(mini_course)
        assert not course.chapters[0].quiz and any(message in str(p) for p in course.problems), course.problems
