"""Keys a less or vim reader expects, and navigation that keeps its place: keys a learner can read
and trust."""

from __future__ import annotations

from lmtui.tui.app import LmtuiApp
from lmtui.core.config import load_config
from lmtui.tui.screens.help import help_text
from lmtui.tui.textual_fixes import LeanFooter
from lmtui.tui.widgets.explorer import ExplorerView
from lmtui.tui.widgets.reader import MAX_WIDTH, PageReader
from lmtui.tui.widgets.toc import TocItem

from conftest import screen_lines, screen_text


def reader(app) -> PageReader:
    return app.main_screen.chapter_view.reader


def footer_descriptions(app) -> list[str]:
    return [k.description for k in app.screen.query_one(LeanFooter).children if getattr(k, "description", None)]


async def test_space_and_b_continue_across_pages_g_and_G_and_half_pages():
    app = LmtuiApp()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        r = reader(app)
        assert r.page == 0 and r.max_scroll_y > 0  # a page longer than the screen
        await pilot.press("ctrl+d")
        await pilot.pause()
        assert 0 < r.scroll_y <= r.scrollable_content_region.height // 2 + 1
        await pilot.press("ctrl+u", "G")
        await pilot.pause()
        assert r.scroll_y == r.max_scroll_y and r.page == 0
        await pilot.press("space")  # at the bottom: on to the next page, at its top
        await pilot.pause()
        assert r.page == 1 and r.scroll_y == 0
        await pilot.press("b")  # at the top: back to the end of the previous page
        await pilot.pause()
        await pilot.pause()
        assert r.page == 0 and r.scroll_y == r.max_scroll_y
        await pilot.press("g")
        await pilot.pause()
        assert r.scroll_y == 0


async def test_find_in_the_chapter_across_pages():
    app = LmtuiApp()
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        chapter = app.course.chapters[0]
        needle = "Carnot"
        pages_with = [i for i, p in enumerate(chapter.pages) if needle.lower() in p.markdown.lower()]
        assert len(pages_with) >= 2  # the test needs matches on more than one page
        await pilot.press("slash", *needle, "enter")
        await pilot.pause()
        await pilot.pause()
        view = app.main_screen.chapter_view
        assert len(view.hits) >= 2 and reader(app).page == pages_with[0]
        assert "match 1/" in str(view.search._info.content)
        assert "Next match" in footer_descriptions(app) and "Next ch." not in footer_descriptions(app)
        seen = {reader(app).page}
        for _ in range(len(view.hits)):
            await pilot.press("n")
            await pilot.pause()
            seen.add(reader(app).page)
        assert seen == set(pages_with) and view.hit == 0  # round the chapter and back to the first
        await pilot.press("N")
        await pilot.pause()
        assert view.hit == len(view.hits) - 1
        marked = reader(app).marked
        assert marked is not None and marked.match_lines  # the matches are marked on the page
        await pilot.press("escape")
        await pilot.pause()
        assert not reader(app).needle and "Next ch." in footer_descriptions(app)
        await pilot.press("n")  # n is the next chapter again
        await pilot.pause()
        assert app.current == app.course.chapters[1].id


async def test_last_chapter_says_so_and_the_footer_stops_offering_next():
    app = LmtuiApp()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        app.open_chapter(app.course.chapters[-1].id)
        await pilot.pause()
        await pilot.pause()
        assert "Next ch." not in footer_descriptions(app)
        await pilot.press("n")
        await pilot.pause()
        assert app.current == app.course.chapters[-1].id
        assert any("last chapter" in str(n.message) for n in app._notifications)
        await pilot.press("p")
        await pilot.pause()
        await pilot.pause()
        assert "Next ch." in footer_descriptions(app)


async def test_every_way_of_opening_a_chapter_keeps_its_page_and_a_restart_keeps_the_view():
    app = LmtuiApp()
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        await pilot.press("n", "right_square_bracket", "right_square_bracket")  # chapter 1, page 3
        await pilot.pause()
        ch1 = app.course.chapters[1].id
        assert app.current == ch1 and reader(app).page == 2
        await pilot.press("p", "n")  # n/p
        await pilot.pause()
        assert reader(app).page == 2
        await pilot.press("p")
        await pilot.pause()
        app.main_screen.toc.focus()
        await pilot.pause()
        await pilot.press("down", "enter")  # the table of contents
        await pilot.pause()
        assert app.current == ch1 and reader(app).page == 2
        await pilot.press("p", "ctrl+p", *"Seven Desiderata")
        await pilot.pause(0.3)
        await pilot.press("enter")  # the palette
        await pilot.pause()
        assert app.current == ch1 and reader(app).page == 2
        await pilot.press("z")
        await pilot.pause()
    app = LmtuiApp()
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        view = app.main_screen.chapter_view
        assert app.current == ch1 and view.view == "quiz" and view.reader.page == 2


async def test_the_palette_finds_figures_by_name_and_shows_titles():
    from textual.command import CommandPalette

    app = LmtuiApp()
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        for query, title in (("edge", "Edge of stability"), ("grok", "Grokking"), ("mup", "muP vs SP")):
            await pilot.press("ctrl+p", *query)
            await pilot.pause(0.4)
            palette = app.screen
            assert isinstance(palette, CommandPalette)
            shown = [str(o.prompt) for o in palette.query_one("CommandList").options]
            assert any(title in s for s in shown), (query, shown)
            assert not any("sim:" in s for s in shown)  # titles, not ids
            await pilot.press("escape")
            await pilot.pause()
        await pilot.press("ctrl+p", *"grok")
        await pilot.pause(0.4)
        await pilot.press("enter")
        await pilot.pause()
        await pilot.pause()
        view = app.main_screen.chapter_view
        assert view.view == "figure" and view.chapter.id == "lm-mech-interp"
        assert view.chapter.figures[view.deck.index].name == "grokking"


async def test_contents_titles_fit_and_reading_width_is_capped():
    app = LmtuiApp()
    async with app.run_test(size=(200, 50)) as pilot:
        await pilot.pause()
        await pilot.pause()
        toc = app.main_screen.toc
        for item in toc.query(TocItem):
            title, marks = item.children
            assert title.region.width >= len(item.chapter.label), item.chapter.label  # not cut
            assert marks.region.x > title.region.x + len(item.chapter.label)  # a gap before the marks
        body = reader(app)._body
        assert body.region.width <= MAX_WIDTH
        longest = max(len(line.rstrip()) for line in screen_lines(app)[1:-1])
        assert longest <= toc.region.width + MAX_WIDTH + 4


async def test_explorer_panes_are_marked_and_j_k_scroll_the_detail():
    app = LmtuiApp()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        await pilot.press("f")
        await pilot.pause()
        explorer = app.screen.query_one(ExplorerView)
        assert app.focused is explorer._list
        assert explorer._list.styles.border_left[0] not in ("", "none", "blank")  # marked without colour
        assert explorer._detail_pane.styles.border_left[0] in ("blank",)
        await pilot.press("tab")
        await pilot.pause()
        detail = explorer._detail_pane
        assert app.focused is detail and detail.styles.border_left[0] not in ("", "none", "blank")
        if detail.max_scroll_y:
            await pilot.press("j", "j")
            await pilot.pause()
            assert detail.scroll_y > 0
        await pilot.press("tab", "j")
        await pilot.pause()
        assert app.focused is explorer._list and explorer.selected == 1


async def test_escape_closes_the_contents_overlay():
    app = LmtuiApp()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        await pilot.press("c")
        await pilot.pause()
        assert app.main_screen.toc_overlay_shown()
        await pilot.press("escape")
        await pilot.pause()
        assert not app.main_screen.toc_overlay_shown() and isinstance(app.focused, PageReader)


async def test_a_keymap_in_the_settings_file_shows_everywhere(tmp_path, monkeypatch):
    path = tmp_path / "config.toml"
    path.write_text('[keymap]\nview-quiz = "x"\nnext-page = "full_stop"\nnext-chapter = "N,right_curly_bracket"\n', encoding="utf-8")
    monkeypatch.setenv("LMTUI_CONFIG", str(path))
    app = LmtuiApp(config=load_config())
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        text = screen_text(app)
        assert "x:Quiz" in text and "z:Quiz" not in text  # the title bar
        assert ". next page:" in str(reader(app)._nav.content)  # the page's own hint
        assert "x" in help_text(app).split("[view-quiz]")[0].splitlines()[-1]
        await pilot.press("x")
        await pilot.pause()
        assert app.main_screen.chapter_view.view == "quiz"
        await pilot.press("right_curly_bracket")
        await pilot.pause()
        assert app.current == app.course.chapters[1].id
