"""Pilot-driven tests of the course app: keys, quizzes, persistence, bad input, small terminals."""

from __future__ import annotations

from pathlib import Path

from textual.widgets import Static

from lmtui.tui.app import LmtuiApp, MainScreen
from lmtui.core.course import load_course
from lmtui.core.progress import DB_NAME, ProgressStore
from lmtui.tui.screens.help import HelpScreen
from lmtui.tui.screens.links import LinksScreen
from lmtui.tui.screens.small import TooSmallScreen
from lmtui.tui.widgets.chapter import ChapterView
from lmtui.tui.widgets.explorer import ExplorerView
from lmtui.tui.widgets.quiz import QuestionCard
from lmtui.tui.widgets.reader import PageReader

from conftest import REPO, wait_for_workers


def title_text(app: LmtuiApp) -> str:
    return str(app.screen.query_one(".chapter-title", Static).content)


def chapter_view(app: LmtuiApp) -> ChapterView:
    return app.screen.query_one(ChapterView)


async def test_walk_all_chapters_answer_quizzes_and_resume(_isolated_home):
    course = load_course(REPO / "content")
    assert len(course.chapters) == 10
    expected: dict[str, dict[str, str]] = {}
    app = LmtuiApp()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        for i, chapter in enumerate(course.chapters):
            assert app.current == chapter.id
            assert chapter.title in title_text(app)
            reader = app.screen.query_one(PageReader)
            for _ in range(len(chapter.pages) - 1):
                await pilot.press("j", "k", "right_square_bracket")
                await pilot.pause()
            assert reader.page == len(chapter.pages) - 1
            await pilot.press("z")
            await pilot.pause()
            assert chapter_view(app).view == "quiz"
            right = chapter.quiz[0].answer
            wrong = 1 if chapter.quiz[1].answer != 1 else 2
            await pilot.press(str(right), "tab", str(wrong))
            await pilot.pause()
            cards = list(app.screen.query(QuestionCard))
            assert cards[0].answer.correct and not cards[1].answer.correct
            q0, q1 = chapter.quiz[0], chapter.quiz[1]
            expected[chapter.id] = {q0.id: q0.choices[right - 1], q1.id: q1.choices[wrong - 1]}
            if i < len(course.chapters) - 1:
                await pilot.press("n")
                await pilot.pause()
        await pilot.press("n")  # past the last chapter: stays, says so
        await pilot.pause()
        assert app.current == course.chapters[-1].id
        await pilot.press("p")
        await pilot.pause()
        assert app.current == course.chapters[-2].id
    # restart on the same LMTUI_HOME: everything is still there
    app = LmtuiApp()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        assert app.current == course.chapters[-2].id
        toc = app.main_screen.toc
        assert toc is not None
        for chapter in course.chapters:
            status = app.status(chapter.id)
            assert status.read and status.answered == 2 and status.correct == 1, chapter.id
        await pilot.press("z")
        await pilot.pause()
        cards = list(app.screen.query(QuestionCard))
        first = cards[0].question.id
        assert cards[0].answer is not None and cards[0].answer.choice == expected[app.current][first]
    stored = ProgressStore(_isolated_home).all_answers()
    assert {ch: {q: a.choice for q, a in qs.items()} for ch, qs in stored.items()} == expected


async def test_resumes_last_page(mini_course):
    app = LmtuiApp(content_dir=mini_course)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        await pilot.press("right_square_bracket")
        await pilot.pause()
        assert app.screen.query_one(PageReader).page == 1
    app = LmtuiApp(content_dir=mini_course)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        assert app.screen.query_one(PageReader).page == 1
        assert "p.2/2" in title_text(app)


async def test_views_and_figure_explorer(mini_course):
    app = LmtuiApp(content_dir=mini_course)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("f")
        await pilot.pause()
        assert chapter_view(app).view == "figure"
        await pilot.press("down")
        await pilot.pause()
        assert "Carnot 1824" in app.screen.query_one(ExplorerView).detail_source
        await pilot.press("t")
        await pilot.pause()
        assert chapter_view(app).view == "text" and isinstance(app.focused, PageReader)


async def test_command_palette_jumps_to_a_chapter():
    app = LmtuiApp()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        await pilot.press("ctrl+p")
        await pilot.pause()
        await pilot.press(*"Universality")
        await pilot.pause(0.3)
        await pilot.press("enter")
        await pilot.pause()
        assert app.current == "universality"
        assert "Universality" in title_text(app)


async def test_palette_offers_course_commands_and_the_chosen_theme_is_kept(mini_course):
    app = LmtuiApp(content_dir=mini_course)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        names = {command.title for command in app.get_system_commands(app.screen)}
        assert names == {"Help", "Theme"}  # no Quit, Screenshot or Maximize a stray enter can pick
        await pilot.press("ctrl+p")
        await pilot.pause()
        await pilot.press(*"Theme")
        await pilot.pause(0.3)
        await pilot.press("enter")
        await pilot.pause(0.3)
        assert "themes" in str(app.screen.query_one("CommandInput").placeholder)
        await pilot.press(*"nord")
        await pilot.pause(0.3)
        await pilot.press("enter")
        await pilot.pause()
        assert app.theme == "nord" and app.screen is app.main_screen
    app = LmtuiApp(content_dir=mini_course)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        assert app.theme == "nord"


async def test_help_screen_opens_and_closes():
    app = LmtuiApp()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("question_mark")
        await pilot.pause()
        assert isinstance(app.screen, HelpScreen)
        from lmtui.tui.screens.help import help_text

        text = help_text(app)
        assert "ctrl+p" in text and "1 2 3 4" in text and "[next-chapter]" in text
        scroll = app.screen.query_one("VerticalScroll")
        for key, where in [("G", scroll.max_scroll_y), ("g", 0), ("space", scroll.scrollable_content_region.height)]:
            await pilot.press(key)  # the help pages as the chapters do
            await pilot.pause()
            assert scroll.scroll_y == where, key
        await pilot.press("b")
        await pilot.pause()
        assert scroll.scroll_y == 0 < scroll.max_scroll_y
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, MainScreen)


async def test_chapter_links_work_and_web_links_are_only_shown(mini_course):
    app = LmtuiApp(content_dir=mini_course)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("o")
        await pilot.pause()
        assert isinstance(app.screen, LinksScreen)
        await pilot.press("down", "enter")  # the web link
        await pilot.pause()
        assert app.current == "first"
        assert any("not opened here" in str(n.message) for n in app._notifications)
        await pilot.press("o")
        await pilot.pause()
        await pilot.press("enter")  # the chapter link
        await pilot.pause()
        assert app.current == "second"
        await pilot.press("backspace")  # back where the link was followed
        await pilot.pause()
        assert app.current == "first" and not app.history


async def test_too_small_terminal_shows_a_message_then_recovers():
    app = LmtuiApp()
    async with app.run_test(size=(40, 10)) as pilot:
        await pilot.pause()
        assert isinstance(app.screen, TooSmallScreen)
        assert "too small" in str(app.screen.query_one(Static).content)
        await pilot.resize_terminal(80, 24)
        await pilot.pause()
        assert isinstance(app.screen, MainScreen)
        assert app.current is not None


async def test_the_contents_list_is_drawn_over_a_narrow_chapter_which_keeps_its_width(mini_course):
    """Below 100 columns the list covers the chapter's left side instead of squeezing it: a figure
    behind it keeps its layout (squeezed, its chart had 11 columns), and closing the list lays out
    nothing again."""
    app = LmtuiApp(content_dir=mini_course)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("f")
        await pilot.pause()
        host = app.main_screen.query_one("#chapter-host")
        before = host.region
        await pilot.press("c")
        await pilot.pause()
        toc = app.main_screen.toc
        assert toc.display and toc.region.width > 20
        assert host.region == before and before.width == 80


async def test_toc_toggle_and_choose(mini_course):
    app = LmtuiApp(content_dir=mini_course)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        toc = app.main_screen.toc
        assert not toc.display  # narrow: hidden until asked for
        await pilot.press("c")
        await pilot.pause()
        assert toc.display and app.focused is toc
        await pilot.press("down", "enter")
        await pilot.pause()
        assert app.current == "second" and not toc.display
        await pilot.press("p")  # switched while the list is hidden: the highlight follows when shown
        await pilot.pause()
        await pilot.press("c")
        await pilot.pause()
        assert toc.display and toc.highlighted_child.chapter.id == app.current == app.course.chapters[0].id
        assert toc.highlighted_child.has_class("-current")
        await pilot.press("c")  # hide it again
        await pilot.pause()
        assert not toc.display
        await pilot.press("n")  # another switch while hidden
        await pilot.pause()
        await pilot.resize_terminal(120, 40)  # wide: the list appears by itself, highlight in place
        await pilot.pause()
        await pilot.pause()
        assert toc.display and toc.highlighted_child.chapter.id == app.current == "second"
    app = LmtuiApp(content_dir=mini_course)
    async with app.run_test(size=(120, 40)) as pilot:
        assert app.main_screen.toc.display  # wide: always there


async def test_bindings_can_be_rebound_by_id(mini_course):
    app = LmtuiApp(content_dir=mini_course)
    async with app.run_test(size=(80, 24)) as pilot:
        app.update_keymap({"next-chapter": "x"})
        await pilot.press("x")
        await pilot.pause()
        assert app.current == "second"


async def test_corrupt_store_keeps_app_usable_and_old_file(_isolated_home, mini_course):
    _isolated_home.mkdir(parents=True, exist_ok=True)
    junk = b"\x00garbage, not sqlite" * 64
    (_isolated_home / DB_NAME).write_bytes(junk)
    app = LmtuiApp(content_dir=mini_course)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        assert any("kept as" in str(n.message) for n in app._notifications)
        await pilot.press("z", "2")
        await pilot.pause()
    kept = list(_isolated_home.glob(f"{DB_NAME}.corrupt-*"))
    assert len(kept) == 1 and kept[0].read_bytes() == junk
    assert ProgressStore(_isolated_home, course=str(Path(mini_course).resolve())).answers("first")["q1"].correct


async def test_broken_chapter_is_reported_and_others_load(mini_course):
    (mini_course / "03-broken.md").write_text("+++\nid = 'oops'\ntitle = \n+++\n", encoding="utf-8")
    app = LmtuiApp(content_dir=mini_course)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        messages = [str(n.message) for n in app._notifications]
        assert any("03-broken.md" in m and "line 3" in m for m in messages), messages
        assert [c.id for c in app.course.chapters] == ["first", "second"]


async def test_course_with_no_loadable_chapter_still_starts(tmp_path):
    (tmp_path / "01-bad.md").write_text("nothing\n", encoding="utf-8")
    app = LmtuiApp(content_dir=tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        text = str(app.screen.query_one(".broken", Static).content)
        assert "No chapter could be loaded" in text and "01-bad.md:1" in text
        await pilot.press("n", "f", "z", "question_mark", "escape")
        await pilot.pause()


async def test_tiny_terminal_with_palette_open_does_not_crash():
    """Textual 8.2.8's OptionList raises KeyError on page keys at 3-4 rows (lmtui.tui.textual_fixes,
    "option-list-page-keys"): the palette open on a tiny terminal survives them."""
    from textual.command import CommandPalette

    app = LmtuiApp()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        await pilot.press("ctrl+p")
        await pilot.pause()
        assert isinstance(app.screen, CommandPalette)
        await pilot.resize_terminal(80, 3)
        await pilot.pause()
        assert isinstance(app.screen, TooSmallScreen)
        await pilot.press("pageup", "pagedown", "pageup")
        await pilot.resize_terminal(80, 24)
        await pilot.pause()
        assert isinstance(app.screen, CommandPalette)
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, MainScreen)


async def test_page_keys_in_an_empty_command_palette_do_not_crash():
    from textual.command import CommandPalette

    app = LmtuiApp()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        await pilot.press("ctrl+p", *"zzzzqqq", "pagedown", "pageup", "pagedown")
        await pilot.pause()
        assert isinstance(app.screen, CommandPalette) and app.is_running


async def test_footer_keys_fit_at_80_columns_and_the_palette_hint_shows_when_wide():
    """The palette hint is docked over the footer's right end; at 80 columns it would cover
    q Quit and ? Help in the figure view, so it shows only when wide. Every key shown must fit the
    width."""
    from lmtui.tui.textual_fixes import LeanFooter

    app = LmtuiApp()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        app.open_chapter("solvable-settings", view="figure")
        await wait_for_workers(app)
        await pilot.pause()
        await pilot.pause()
        footer = app.screen.query_one(LeanFooter)
        keys = [k for k in footer.children if k.display]
        descriptions = [k.description for k in keys]
        assert "Quit" in descriptions and "Help" in descriptions and "Step" in descriptions
        assert not footer.show_command_palette
        assert max(k.region.right for k in keys) <= 80
        await pilot.resize_terminal(120, 40)
        await pilot.pause()
        await pilot.pause()
        assert footer.show_command_palette
        assert any(k.has_class("-command-palette") for k in footer.children)


async def test_the_help_keeps_one_set_of_columns_across_its_sections():
    """Keys, what they do and binding ids start at the same columns in every section (each section
    had columns of its own width, so the review's ids sat twenty columns left of the quiz's)."""
    import io

    from rich.console import Console

    from lmtui.tui.keys import bindings
    from lmtui.tui.screens.help import help_renderable

    app = LmtuiApp()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        console = Console(width=76, record=True, color_system=None, file=io.StringIO())
        console.print(help_renderable(app))
        lines = console.export_text().splitlines()
        ids = [b.id for _, group in bindings() for b in group]
        rows = [line.rstrip() for line in lines if "  " in line.strip() and not line.startswith(" ")
                and (line.rstrip().split(" ")[-1] in ids or line.rstrip().endswith(("..4", " -")))]
        id_columns = {line.rindex(" ") + 1 for line in rows}
        assert len(id_columns) == 1, id_columns
        what_columns = set()
        for line in rows:
            rest = line[line.index("  "):]
            what_columns.add(line.index("  ") + len(rest) - len(rest.lstrip()))
        assert len(what_columns) == 1, what_columns
