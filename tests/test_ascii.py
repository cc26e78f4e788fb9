"""ASCII mode: spelled-out text, one-cell substitutes, the folded course, locale detection."""

from __future__ import annotations

import pytest

from rich.cells import cell_len

from lmtui.core.asciitext import cell, fold, fold_cells, fold_model
from lmtui.cli import locale_is_utf8
from lmtui.core.course import load_course

from conftest import REPO


@pytest.mark.parametrize(
    "text,expected",
    [
        ("η ≤ 2/λ…", "eta <= 2/lambda..."),
        ("du/dt ≈ Lλu^(2 − 2/L)", "du/dt ~= L lambda u^(2 - 2/L)"),  # Greek against letters gets spaces
        ("u₀ = 10⁻³", "u_0 = 10^-3"),  # one mark per run of sub- or superscripts
        ("‖Wᵀ‖²", "||W^T||^2"),
        ("the Hessian ∇²L", "the Hessian grad^2 L"),
        ("µP transfer", "muP transfer"),
        ("t½ ≈ 0.72", "t_1/2 ~= 0.72"),
        ("ẍ + γẋ", "x'' + gamma x'"),
        ("naïve x̃", "naive x"),
        ("日本", "??"),
        # a root sign keeps its argument apart from the next word
        ("fluctuations of order 1/√m.", "fluctuations of order 1/sqrt(m)."),
        ("√(2ηT)·ξ", "sqrt(2 eta T)*xi"),
        ("η·√width", "eta*sqrt(width)"),
        ("x₁√2.5", "x_1 sqrt(2.5)"),
        ("‖h‖ = √fan_in, ‖δ‖ = 1/√fan_out", "||h|| = sqrt(fan_in), ||delta|| = 1/sqrt(fan_out)"),
        # a Greek letter takes its own sub- or superscript without a space
        ("θ₀ and λ₁", "theta_0 and lambda_1"),
        ("σ² = λᵢ", "sigma^2 = lambda_i"),
        ("ηλ₁ < 2", "eta lambda_1 < 2"),
        ("x₁λ", "x_1 lambda"),
        # an index ends before the letter after it, and a gradient takes its subscript at once
        ("e^(λᵢt)", "e^(lambda_i t)"),
        ("W₂W₁x and (XᵀX)⁻¹Xᵀy", "W_2 W_1 x and (X^T X)^-1 X^T y"),
        ("vᵢᵀ", "v_i^T"),
        ("∇_θf(x; θ₀)ᵀ(θ − θ₀)", "grad_theta f(x; theta_0)^T(theta - theta_0)"),
        ("∇ᵢL and ∇L", "grad_i L and grad L"),
        ("plain", "plain"),
    ],
)
def test_fold(text: str, expected: str) -> None:
    assert fold(text) == expected


def test_cell_keeps_every_width() -> None:
    drawn = "╭──•──╮ │▌ η ▂▄█ ✓ 日 x̃"
    out = fold_cells(drawn)
    assert out.isascii()
    assert cell_len(out) == cell_len(drawn)
    assert out.startswith("+--*--+ ||")
    assert cell("日") == "??" and cell("η") == "?"


def test_products_in_markdown_keep_their_signs() -> None:
    """Two middle dots on a line of a page fold to signs Markdown shows, not to emphasis markers;
    inside code, and in plain text such as a quiz prompt, a middle dot folds to a bare *."""
    from rich.console import Console

    from lmtui.core.course import Page
    from lmtui.tui.widgets.reader import render_markdown

    page = fold_model(Page("Split", "So αA·N^(−α) = βB·D^(−β) at the optimum, `a·b` in code."))
    console = Console(width=80, color_system=None, legacy_windows=False)
    with console.capture() as shown:
        console.print(render_markdown(page.markdown))
    assert "alpha A*N^(-alpha) = beta B*D^(-beta) at the optimum, a*b in code." in shown.get()
    assert fold_model("αA·N = βB·D") == "alpha A*N = beta B*D"


def test_the_whole_course_folds_to_ascii() -> None:
    course = load_course(REPO / "content")
    folded = fold_model(course)
    assert folded.chapters[0].path == course.chapters[0].path  # paths untouched
    assert [c.id for c in folded.chapters] == [c.id for c in course.chapters]
    for chapter in folded.chapters:
        texts = [chapter.title, chapter.summary, *(p.title + p.markdown for p in chapter.pages)]
        for q in chapter.quiz:
            texts += [q.prompt, q.explanation, *q.choices]
        assert all(t.isascii() for t in texts), chapter.id
    for explorer in folded.explorers.values():
        assert all((i.label + i.detail + i.summary).isascii() for i in explorer.items)
    # the source had plenty to fold
    assert not all(p.markdown.isascii() for c in course.chapters for p in c.pages)


@pytest.mark.parametrize(
    "env,utf8",
    [
        ({}, False),  # no locale at all: the C library's default, the C locale
        ({"LANG": "C"}, False),
        ({"LANG": "POSIX"}, False),
        ({"LANG": "en_US.ISO-8859-1"}, False),
        ({"LANG": "en_US.UTF-8"}, True),
        ({"LANG": "C.utf8"}, True),
        ({"LC_ALL": "C", "LANG": "en_US.UTF-8"}, False),  # LC_ALL wins
        ({"LC_CTYPE": "C.UTF-8"}, False),  # what Python's C-locale coercion leaves behind
        ({"LC_CTYPE": "C.UTF-8", "LANG": "de_DE.UTF-8"}, True),
    ],
)
def test_locale_detection(env: dict[str, str], utf8: bool) -> None:
    assert locale_is_utf8(env) is utf8


async def test_the_palette_is_ascii_too():
    """Textual's palette shows an emoji search icon, ?? on a terminal without UTF-8."""
    from textual.command import SearchIcon

    from lmtui.tui.app import LmtuiApp

    from conftest import screen_text

    app = LmtuiApp(ascii_only=True)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        await pilot.press("ctrl+p", *"edge")
        await pilot.pause(0.4)
        assert app.screen.query_one(SearchIcon).icon == ">"
        shown = screen_text(app)
        assert "Edge of stability" in shown and shown.isascii()
