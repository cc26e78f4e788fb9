"""The lmtui app: renders the course, the learner's record and the simulations; sends back actions.

One-way data flow: ``load_course`` gives the validated course model, ``LearnerRecord`` the
learner's record (over ``ProgressStore``), ``lmtui.sims`` the simulations. Widgets get what they
show as constructor attributes, and what they need from the app through ``services`` (the one
contract between the app and its views: lmtui.tui.services); they post messages up (a page was
shown, a question answered, the view changed). Only the app writes to the record, and each write
goes out as the ``record_changed`` signal the views that show the record subscribe to.

Start-up pays for the first frame only: the main screen composes the chapter the learner left
directly (no second mount pass), the table of contents fills in after the first frame on narrow
terminals, and the figure and quiz views are built the first time they are shown.
"""

from __future__ import annotations

import gc
import time
from pathlib import Path
from typing import TYPE_CHECKING, Iterable

from textual import events
from textual.app import ComposeResult, SystemCommand
from textual.binding import Binding
from textual.containers import Container, Horizontal
from textual.filter import LineFilter
from textual.screen import Screen
from textual.widget import Widget
from textual.widgets import Static

if TYPE_CHECKING:
    from textual.notifications import SeverityLevel

    from lmtui.tui.widgets.toc import TableOfContents

from lmtui.tui import textual_fixes
from lmtui.core.config import Config, load_config
from lmtui.core.course import Chapter, Course, load_course, page_links
from lmtui.core.progress import ProgressStore, StoreError
from lmtui.core.record import ChapterStatus, LearnerRecord, View, course_key
from lmtui.core.sanitize import clean, clean_path
from lmtui.tui.screens.small import TooSmallScreen
from lmtui.tui.services import RecordChange, Services, services
from lmtui.tui.widgets.chapter import ChapterView
from lmtui.tui.widgets.reader import PageReader

MIN_WIDTH, MIN_HEIGHT = 48, 14
# keys Textual shows as a glyph, spelled out under --ascii
ASCII_KEY_WORDS = {"enter": "enter", "escape": "esc", "up": "up", "down": "down", "left": "left", "right": "right",
                   "backspace": "backspace", "tab": "tab", "delete": "del"}
WIDE = 100  # at or above this many columns the table of contents stays open


class AsciiFilter(LineFilter):
    """Last line of defence for --ascii: whatever a widget draws (Rich's list bullets and rules,
    Textual's scrollbars and toasts) leaves as ASCII, one cell for one cell, and text cut to fit
    ends in ``...``. Text the app writes itself is spelled out before layout instead (``fold``),
    which reads better: eta, not ?."""

    def apply(self, segments, background):
        from rich.segment import Segment

        if all(seg.text.isascii() for seg in segments):
            return segments
        from lmtui.core.asciitext import fold_drawn

        out = []
        for seg in segments:
            if seg.control or seg.text.isascii():
                out.append(seg)
            else:
                text = fold_drawn(seg.text)
                if text:
                    out.append(Segment(text, seg.style, seg.control))
        return out


def _chapter_commands():
    from lmtui.tui.commands import ChapterCommands

    return ChapterCommands


class MainScreen(textual_fixes.QuietFocusScreen):
    HORIZONTAL_BREAKPOINTS = [(0, "-narrow"), (80, "-medium"), (WIDE, "-wide")]
    DEFAULT_CSS = """
    MainScreen #toc { display: none; }
    MainScreen.-wide #toc { display: block; }
    MainScreen.-show-toc #toc { display: block; }
    MainScreen.-wide.-hide-toc #toc { display: none; }
    MainScreen > Horizontal { layers: default toc; }
    /* narrower than WIDE the list is drawn over the chapter, which keeps its width (squeezed
       beside it, a figure's chart had 11 columns and an explorer wrapped its words letter by letter) */
    MainScreen.-narrow #toc, MainScreen.-medium #toc { dock: left; layer: toc; height: 1fr; background: $surface; }
    MainScreen #chapter-host { width: 1fr; height: 1fr; }
    MainScreen .broken { padding: 1 2; }
    """
    BINDINGS = [
        Binding("n", "app.next_chapter", "Next ch.", id="next-chapter", tooltip="next chapter, at the page where you left it"),
        Binding("p", "app.previous_chapter", "Prev ch.", show=False, id="previous-chapter", tooltip="previous chapter"),
        # t / f / z are shown in the chapter's title bar, not the footer
        Binding("t", "show_view('text')", "Text", show=False, id="view-text", tooltip="the chapter's text"),
        Binding("f", "show_view('figure')", "Figure", show=False, id="view-figure", tooltip="the chapter's figure (again: its next figure)"),
        Binding("z", "show_view('quiz')", "Quiz", show=False, id="view-quiz", tooltip="the chapter's quiz"),
        Binding("c", "toggle_toc", "TOC", id="toggle-toc", tooltip="table of contents (always shown from 100 columns)"),
        Binding("o", "links", "Links", show=False, id="links", tooltip="links on this page (chapter links open here; web links are only shown)"),
        Binding("backspace", "app.back", "Back", id="back", tooltip="back to where you were before following a chapter link"),
        Binding("escape", "close", "Close", show=False, id="close", tooltip="close what is open (the contents list, a search)"),
        Binding("R", "app.review", "Review", show=False, id="review", tooltip="the questions due for review, across chapters"),
        Binding("O", "app.overview", "Overview", show=False, id="overview", tooltip="where you stand: scores, predictions, cards due, what you missed"),
    ]

    def __init__(self, owner: LmtuiApp, start: tuple[Chapter, int, View] | None, width: int = 0) -> None:
        # the breakpoint class for the width the app starts at, set before the first styling pass:
        # Textual sets it on the first resize, which otherwise restyles the whole screen once more
        super().__init__(classes=self.breakpoint_class(width) if width else None)
        self.owner = owner  # the app this screen is the main screen of
        self.start = start
        self._toc: TableOfContents | None = None
        self._focus_before_toc: Widget | None = None  # where the keys go back to when it closes

    @classmethod
    def breakpoint_class(cls, width: int) -> str:
        return [name for at, name in cls.HORIZONTAL_BREAKPOINTS if width >= at][-1]

    def compose(self) -> ComposeResult:
        app = self.owner
        with Horizontal():
            if app.size.width >= WIDE:  # shown from the start; narrower, it is made after the first frame
                yield self._make_toc()
            with Container(id="chapter-host"):
                if self.start is not None:
                    chapter, page, view = self.start
                    yield ChapterView(chapter, app.course, app.record.answers(chapter.id), app.record.status(chapter.id),
                                      page=page, view=view, predictions=app.record.predictions(chapter.id),
                                      figure=app.record.figure(chapter.id), scroll=app.record.scroll(chapter.id, page))
                elif app.record is not None:  # (none yet: the learner is saying who they are)
                    yield Static(app.no_chapters_text(), classes="broken", markup=False)
        yield textual_fixes.LeanFooter(compact=True, show_command_palette=app.size.width >= WIDE)

    def on_resize(self, event: events.Resize) -> None:
        # The palette hint is docked over the right end of the footer: below WIDE columns it would
        # hide "q Quit ? Help" in the figure view, with a stray letter of them showing past its
        # edge. Narrower terminals find ctrl+p in the help (?).
        footer = self.query_one(textual_fixes.LeanFooter)
        show = event.size.width >= WIDE
        if footer.show_command_palette != show:
            footer.show_command_palette = show
            footer.refresh(recompose=True)  # not a recomposing reactive in Textual's Footer

    def on_mount(self) -> None:
        if services(self).ascii_only:
            self.add_class("-ascii")
        if self._toc is not None:
            self._toc.populate()
        else:
            self.set_timer(0.2, lambda: self.toc.populate())  # hidden at this width: after the first frame
        self.call_after_refresh(self.owner.after_first_frame)

    @property
    def active_bindings(self):
        """What the footer offers: the live bindings, less those that would do nothing useful here
        (n on the last chapter still answers, with a note, but is not offered)."""
        bindings = super().active_bindings
        app = self.owner
        hidden = {"app.next_chapter"} if app.at_last_chapter() else set()
        if not app.history:
            hidden.add("app.back")
        if not hidden:
            return bindings
        return {key: active for key, active in bindings.items() if active.binding.action not in hidden}

    # -- table of contents ----------------------------------------------------------------------
    def _make_toc(self) -> TableOfContents:
        from lmtui.tui.widgets.toc import TableOfContents

        app = self.owner
        self._toc = TableOfContents(app.course.chapters, app.statuses(), id="toc")
        self._toc.set_totals(app.due_count())
        self._toc.current = app.current
        return self._toc

    @property
    def toc(self) -> TableOfContents:
        """The contents list, made (and mounted) the first time it is needed on a narrow screen."""
        if self._toc is not None:
            return self._toc
        toc = self._make_toc()
        self.query_one(Horizontal).mount(toc, before=0)
        return toc

    def show_current_chapter(self, chapter_id: str) -> None:
        """Mark the open chapter in the contents (a list not made yet starts at the current chapter)."""
        if self._toc is not None:
            self._toc.show_current(chapter_id)

    def toc_overlay_shown(self) -> bool:
        return self.has_class("-show-toc") and not self.has_class("-wide")

    def action_toggle_toc(self) -> None:
        if self.has_class("-wide"):
            self.toggle_class("-hide-toc")
            self.remove_class("-show-toc")
            visible = not self.has_class("-hide-toc")
        else:
            self.toggle_class("-show-toc")
            visible = self.has_class("-show-toc")
        if visible:
            focused = self.focused
            if focused is not None and (self._toc is None or self._toc not in focused.ancestors_with_self):
                self._focus_before_toc = focused
            toc = self.toc
            toc.populate()
            self.app.update_styles(toc)  # apply the class now, so the list can take focus
            if toc.current is not None:
                toc.show_current(toc.current)  # the highlight waited while the list was hidden
            toc.focus()
        else:
            self.focus_chapter()

    def action_close(self) -> None:
        """escape: close what is open over the text (the contents overlay, a search)."""
        if self.toc_overlay_shown():
            self.action_toggle_toc()
            return
        view = self.chapter_view
        if view is not None:
            view.close_transient()

    def on_table_of_contents_chapter_chosen(self, event) -> None:
        self.remove_class("-show-toc")
        self.owner.open_chapter(event.chapter_id)

    # -- chapter ---------------------------------------------------------------------------------
    @property
    def chapter_view(self) -> ChapterView | None:
        views = [v for v in self.query(ChapterView) if not v._closing]
        return views[0] if views else None

    def focus_chapter(self) -> None:
        """Back to the chapter from the contents list: where the learner was, in the view shown."""
        view = self.chapter_view
        if view is not None:
            view.refocus(self._focus_before_toc)
        self._focus_before_toc = None

    def action_show_view(self, view: View) -> None:
        chapter_view = self.chapter_view
        if chapter_view is not None:
            self.remove_class("-show-toc")
            chapter_view.show(view)

    def action_links(self) -> None:
        from lmtui.tui.screens.links import LinksScreen

        view = self.chapter_view
        if view is None:
            return
        reader = view.reader
        links = page_links(reader.chapter.pages[reader.page].markdown)
        self.app.push_screen(LinksScreen(links), self._follow_link)

    def _follow_link(self, href: str | None) -> None:
        if href:
            self.owner.follow_link(href)

    def show_broken(self, message: str) -> None:
        host = self.query_one("#chapter-host")
        host.remove_children()
        host.mount(Static(message, classes="broken", markup=False))


class LmtuiApp(textual_fixes.GuardedApp):
    TITLE = "lmtui"
    CSS_PATH = "app.tcss"
    COMMANDS = textual_fixes.GuardedApp.COMMANDS | {lambda: _chapter_commands()}  # imported when the palette opens
    ENABLE_COMMAND_PALETTE = True
    BINDINGS = [
        Binding("q", "quit", "Quit", id="quit", tooltip="quit (progress is saved as you go)"),
        # escape then q, typed quickly over SSH or read late by a busy app, arrives as one chunk,
        # which terminals use for alt+q: it should still quit
        Binding("alt+q", "quit", "Quit", show=False, id="quit-alt", tooltip="quit (escape then q, typed fast)"),
        Binding("question_mark", "help", "Help", id="help", tooltip="this help"),
    ]

    def __init__(self, content_dir: str | Path | None = None, home: str | Path | None = None, ascii_only: bool = False,
                 color: bool = True, config: Config | None = None, learners: str | Path | None = None,
                 start: str | None = None) -> None:
        textual_fixes.apply_all()  # every upstream work-around checked and installed, at start
        super().__init__()
        self.course: Course = load_course(content_dir, cache=True)
        if ascii_only:  # spelled out once, before anything is laid out (eta, ~=, ^2)
            from lmtui.core.asciitext import fold_model

            self.course = fold_model(self.course)
        self._course_key = course_key(content_dir)
        # with learners, the store opens once the learner has said who they are (LearnerScreen)
        self.learners = Path(learners) if learners is not None else None
        self.learner: str | None = None
        self.store: ProgressStore | None = None
        self.config = config if config is not None else load_config()
        self.ascii_only = ascii_only
        self.services = Services(self, ascii_only=ascii_only, color=color and not self.no_color)
        self.services.last_chapter = self.course.chapters[-1].id if self.course.chapters else None
        if self.no_color:  # no colour codes at all, not greys
            self._filters = textual_fixes.without_grey(self._filters)
        self.current: str | None = None
        self.history: list[tuple[str, int, View]] = []  # where "back" returns to, after following links
        self.start_view = start  # "review": open on the Review view (`lmtui review`)
        self._theme_ready = False  # set once the saved theme is applied: later changes are the learner's
        if self.config.keymap:
            self.set_keymap(self.config.keymap)
        if self.learners is None:
            self.open_store(home)
        if ascii_only:
            self.set_class(True, "-ascii")
            self._filters.append(AsciiFilter())

    def get_key_display(self, binding: Binding) -> str:
        """The key as shown. Under --ascii, keys Textual draws as a glyph are spelled out (enter,
        esc, up, down, left, right, backspace): folded, ⏎ would become ?, which is the help key."""
        display = super().get_key_display(binding)
        if not self.ascii_only:
            return display
        if not binding.key_display:
            modifiers, key = binding.parse_key()
            word = ASCII_KEY_WORDS.get(key)
            if word is not None:
                return "+".join([*modifiers, word])
        folded = self.services.plain(display)
        if "?" in folded and "?" not in display:  # a glyph with no ASCII spelling: the key's name
            return binding.key.split(",")[0]
        return folded

    # -- progress --------------------------------------------------------------------------------
    @property
    def record(self) -> LearnerRecord | None:
        """The learner's record (None until the learner has said who they are)."""
        return self.services.record

    def status(self, chapter_id: str) -> ChapterStatus:
        if self.record is None:
            return ChapterStatus(False, 0, 0, 0)
        return self.record.status(chapter_id)

    def statuses(self) -> dict[str, ChapterStatus]:
        """For the table of contents: nothing read or answered while the learner is not known."""
        if self.record is None:
            return {c.id: ChapterStatus(False, 0, 0, 0) for c in self.course.chapters}
        return self.record.statuses()

    def due_count(self) -> int:
        """Review cards due now (none before the learner has answered anything)."""
        from lmtui.core.review import due_now

        return due_now(self.record)

    def open_store(self, home: str | Path | None) -> None:
        """The learner's store and record, and the theme they chose last time."""
        self.store = ProgressStore(home, course=self._course_key)
        self.services.record = LearnerRecord(self.course, self.store, self._course_key)
        self.services.home = self.store.home
        self._theme_ready = False
        theme = self.store.get_state("theme") or self.config.theme
        if theme and theme in self.available_themes:
            self.theme = theme
        elif theme and theme == self.config.theme:
            self.config.problems.append(f"{self.config.path}: unknown theme {theme!r}; "
                                        f"known: {', '.join(sorted(self.available_themes))}")
        self._theme_ready = True

    _notes_up: dict[tuple[str, str, str], float] | None = None

    def notify(self, message: str, *, title: str = "", severity: SeverityLevel = "information",
               timeout: float | None = None, markup: bool = False) -> None:
        """Textual's notify, less a repeat: the same note while its toast is still up is not
        shown again (a key pressed twice where it does nothing would pile up toasts). Every note
        is plain text, whatever ``markup`` says (a widget's notify passes True): notes quote
        paths, course links and stored values, where a bracket is text ("[/]" read as markup
        fails to draw and ends the app; "[@click=...]" would make an action)."""
        if timeout is None:
            timeout = self.NOTIFICATION_TIMEOUT
        now = time.monotonic()
        up = {k: until for k, until in (self._notes_up or {}).items() if until > now}
        key = (str(message), title, severity)
        if key in up:
            return
        up[key] = now + timeout
        self._notes_up = up
        super().notify(message, title=title, severity=severity, timeout=timeout, markup=False)

    def clear_notifications(self) -> None:
        self._notes_up = None
        super().clear_notifications()

    def _save(self, write, *args, **kwargs) -> None:
        try:
            write(*args, **kwargs)
        except StoreError as e:
            self.notify(str(e), severity="error", timeout=6)

    # -- lifecycle -------------------------------------------------------------------------------
    def get_default_screen(self) -> Screen:
        if self.record is None:  # one record per learner: the course opens once the name is known
            return MainScreen(self, None, self.size.width)
        chapter_id, page, view = self.record.place()
        chapter = self.course.by_id(chapter_id) if chapter_id else None
        self.current = chapter.id if chapter else None
        if chapter is not None:
            self.sub_title = chapter.title
        return MainScreen(self, (chapter, page, view) if chapter else None, self.size.width)

    def after_first_frame(self) -> None:
        """What the first frame does not need: warnings (as toasts), the size check; and the
        cyclic garbage collector, which ``cli.main`` pauses for the start-up."""
        gc.enable()
        if self.record is None:  # ask who is learning first (lmtui serve, --learners)
            from lmtui.tui.screens.learner import LearnerScreen

            self.push_screen(LearnerScreen(self.learners), self._learner_chosen)
            self.check_size()
            return
        for message in self._startup_warnings():
            self.notify(message, severity="warning", timeout=12)
        self.set_interval(2.0, self.save_scroll)  # the line of the page, should the app not end by q
        if self.start_view == "review":
            self.start_view = None
            self.action_review()
        else:
            self.tell_due()
        self.check_size()
        # The first page may have come from page_cache without Rich's Markdown; the next page needs
        # it. Imported now, in a thread, while the learner reads, not on their first page turn.
        self.set_timer(1.0, lambda: self.run_worker(_import_markdown, thread=True, group="warm-up", exit_on_error=False))

    def tell_due(self) -> None:
        """A learner who comes back is told, once at the start, that review cards are due and how
        to review them."""
        due = self.due_count()
        if due:
            from lmtui.tui.keys import hint

            message = (f"{due} review card{'s are' if due != 1 else ' is'} due: {hint(self, 'review')} reviews "
                       f"{'them' if due != 1 else 'it'}.")
            self.notify(message, timeout=8)
            self._due_note = message

    _due_note: str | None = None

    def _retire_due_note(self) -> None:
        """The learner took up the due note's advice: its toast leaves, unless another note is up
        beside it (Textual clears notes only all at once, and a warning must stay to be read)."""
        if self._due_note is None:
            return
        now = time.monotonic()
        up = [key for key, until in (self._notes_up or {}).items() if until > now]
        if up and all(key[0] == self._due_note for key in up):
            self.clear_notifications()
        self._due_note = None

    def _learner_chosen(self, chosen: tuple[str, Path] | None) -> None:
        """The learner said who they are: their own store, then the course where they left it."""
        if chosen is None or self.record is not None:
            return
        self.learner, home = chosen
        self.open_store(home)
        for chapter in self.course.chapters:
            self._update_status(chapter.id)
        chapter_id, page, view = self.record.place()
        if chapter_id is not None:
            self.open_chapter(chapter_id, page=page, view=view)
        else:
            self.main_screen.show_broken(self.no_chapters_text())
        self.after_first_frame()

    def _startup_warnings(self) -> list[str]:
        out = list(self.record.warnings())
        out += self.config.problems[:2]
        for broken in self.course.broken:
            out.append(f"Chapter file {broken.path.name} could not be loaded: {broken.reason}")
        other = len(self.course.problems) - len(self.course.broken)
        if other > 0:
            out.append(f"{other} content problem(s); run `lmtui check` for the list.")
        return [clean(message) for message in out[:6]]  # they quote paths and stored text

    def no_chapters_text(self) -> str:
        lines = [f"No chapter could be loaded from {clean_path(self.course.root)}.", ""]
        lines += [str(p) for p in self.course.problems[:12]]
        lines += ["", "Run `lmtui check DIR` for every problem. q quits."]
        return "\n".join(lines)

    @property
    def main_screen(self) -> MainScreen:
        for screen in self.screen_stack:
            if isinstance(screen, MainScreen):
                return screen
        raise LookupError("no main screen")

    async def on_event(self, event: events.Event) -> None:
        await super().on_event(event)
        if isinstance(event, events.Resize):
            # whatever screen is on top (the command palette included: its option list crashes
            # on page keys at 3-4 rows), a terminal below the minimum gets the too-small screen
            self.call_after_refresh(self.check_size)

    def check_size(self) -> None:
        w, h = self.size
        small = w < MIN_WIDTH or h < MIN_HEIGHT
        showing = isinstance(self.screen, TooSmallScreen)
        if small and not showing:
            self.push_screen(TooSmallScreen(MIN_WIDTH, MIN_HEIGHT))
        elif not small and showing:
            self.pop_screen()

    # -- navigation ------------------------------------------------------------------------------
    def open_chapter(self, chapter_id: str, page: int | None = None, view: View = "text", figure: int | None = None) -> None:
        """Show ``chapter_id`` at ``page`` (default: where the learner left it, and scrolled as it
        was) in ``view`` (with its figure number ``figure`` first; default: the one last shown)."""
        from lmtui.tui.screens.help import HelpScreen
        from lmtui.tui.screens.links import LinksScreen

        if self.record is None:  # the learner has not said who they are yet
            return
        chapter = self.course.by_id(chapter_id)
        if chapter is None:
            self.notify(f"No chapter {chapter_id!r} in this course.", severity="warning")
            return
        if isinstance(self.screen, (HelpScreen, LinksScreen)):
            self.pop_screen()
        screen = self.main_screen
        if page is None:
            page = self.record.page(chapter_id)
        host = screen.query_one("#chapter-host")
        if not host.is_attached:  # keys can arrive while the main screen is (re)attaching
            self.call_after_refresh(self.open_chapter, chapter_id, page, view, figure)
            return
        answers, status = self.record.answers(chapter_id), self.record.status(chapter_id)
        predictions = self.record.predictions(chapter_id)
        was_last = self.at_last_chapter()
        current = screen.chapter_view
        self.save_scroll()
        if figure is None:  # the figure last shown in the chapter (in an earlier session too)
            figure = self.record.figure(chapter_id)
        scroll = self.record.scroll(chapter_id, page)
        if current is not None and current.is_mounted and current.parent is host:
            current.load(chapter, answers, status, page=page, view=view, predictions=predictions, figure=figure,
                         scroll=scroll)
        else:
            host.remove_children()
            host.mount(ChapterView(chapter, self.course, answers, status, page=page, view=view, predictions=predictions,
                                   figure=figure, scroll=scroll))
        self.current = chapter_id
        self.sub_title = chapter.title
        screen.show_current_chapter(chapter_id)
        self._save(self.record.set_place, chapter_id, view=view)
        if self.at_last_chapter() != was_last:  # the footer offers n again, or stops offering it
            screen.refresh_bindings()

    def at_last_chapter(self) -> bool:
        return bool(self.course.chapters) and self.current == self.course.chapters[-1].id

    def _step_chapter(self, delta: int) -> None:
        if self.current is None:
            return
        index = self.course.index_of(self.current)
        if index is None:
            return
        target = index + delta
        if 0 <= target < len(self.course.chapters):
            self.open_chapter(self.course.chapters[target].id)
        else:
            self.notify("This is the last chapter: there is no next one." if delta > 0 else "This is the first chapter.",
                        timeout=3)

    def action_next_chapter(self) -> None:
        self._step_chapter(1)

    def action_previous_chapter(self) -> None:
        self._step_chapter(-1)

    def follow_link(self, href: str) -> None:
        if href.startswith("chapter:"):
            target = href[len("chapter:"):].split("#", 1)[0]
            if self.course.by_id(target) is None:
                self.notify(f"No chapter {target!r} in this course.", severity="warning")
                return
            view = self.main_screen.chapter_view
            if view is not None and self.current is not None:
                self.history.append((self.current, view.reader.page, view.view))
                del self.history[:-20]
            self.open_chapter(target, page=0)
        else:
            self.notify(f"Web link (not opened here): {href}", timeout=8)

    def action_back(self) -> None:
        """Back to where the learner was before following a chapter link."""
        if not self.history:
            self.notify("Nothing to go back to (back follows chapter links).", timeout=3)
            return
        chapter_id, page, view = self.history.pop()
        self.open_chapter(chapter_id, page=page, view=view)

    def action_command_palette(self) -> None:
        if isinstance(self.screen, TooSmallScreen):
            return  # none behind the too-small notice
        if self.record is None:
            return  # nothing to find before the learner has said who they are
        if self.use_command_palette:
            self.open_palette(id="--command-palette")

    def get_system_commands(self, screen: Screen) -> Iterable[SystemCommand]:
        """The palette is for finding your way in the course. Textual's defaults also offer Quit,
        Maximize, Keys and Screenshot, where a few stray letters and enter (keys typed ahead into
        a palette just opened) quit the app or write SVG files into the learner's folder. Kept:
        help and the theme."""
        yield SystemCommand("Help", "Keys and how the course works", self.action_help)
        yield SystemCommand("Theme", "Change the colour theme", self.action_change_theme)

    def watch_theme(self, theme: str) -> None:
        if self._theme_ready:  # the learner chose it: keep it for next time
            self._save(self.store.set_state, "theme", theme)

    def search_themes(self) -> None:
        """Textual's theme picker, in the palette that survives fast keys."""
        from textual.theme import ThemeProvider

        self.open_palette(providers=[ThemeProvider], placeholder="Search for themes...")

    def action_overview(self) -> None:
        """The Overview: per chapter and in all, what you did and what you missed."""
        from lmtui.tui.screens.overview import OverviewScreen

        if self.record is None or isinstance(self.screen, (OverviewScreen, TooSmallScreen)):
            return
        self.push_screen(OverviewScreen(), self._overview_closed)

    def _overview_closed(self, chosen: tuple[str, str] | None) -> None:
        """A missed question chosen in the Overview opens in its chapter's quiz."""
        if chosen is not None:
            self.open_question(*chosen)

    def open_question(self, chapter_id: str, question_id: str, tries: int = 8, settle: int = 2, first: bool = True) -> None:
        """Open ``chapter_id``'s quiz with the card of ``question_id`` focused. The quiz builds its
        cards when first shown and then focuses its first unanswered one: this waits a few
        refreshes for the cards, and focuses the asked one again once the quiz has settled."""
        if first:
            self.open_chapter(chapter_id, view="quiz")
        view = self.main_screen.chapter_view
        cards = view.quiz.cards() if view is not None and view.chapter.id == chapter_id else []
        target = next((c for c in cards if c.question.id == question_id), None)
        if target is not None:
            if self.focused is not target:
                target.focus()
                target.scroll_visible(animate=False, top=True)
            if settle > 0:
                self.call_after_refresh(self.open_question, chapter_id, question_id, tries, settle - 1, False)
        elif tries > 0:
            self.call_after_refresh(self.open_question, chapter_id, question_id, tries - 1, settle, False)

    def action_review(self) -> None:
        """The Review view: the questions due again, across chapters."""
        from lmtui.tui.screens.review import ReviewScreen

        if self.record is None or isinstance(self.screen, (ReviewScreen, TooSmallScreen)):
            return
        self._retire_due_note()
        self.push_screen(ReviewScreen())

    def action_help(self) -> None:
        from lmtui.tui.screens.help import HelpScreen

        if isinstance(self.screen, HelpScreen):
            self.pop_screen()
        elif not isinstance(self.screen, TooSmallScreen):
            self.push_screen(HelpScreen())

    # -- learner actions -------------------------------------------------------------------------
    def on_page_reader_page_shown(self, event: PageReader.PageShown) -> None:
        self._save(self.record.set_place, event.chapter_id, event.page)
        if event.page == event.pages - 1 and not self.record.is_read(event.chapter_id):
            self._save(self.record.mark_read, event.chapter_id)
            self._update_status(event.chapter_id)

    def on_chapter_view_view_changed(self, event: ChapterView.ViewChanged) -> None:
        self._save(self.record.set_place, event.chapter_id, view=event.view)

    def on_figure_deck_figure_shown(self, event) -> None:
        self._save(self.record.set_figure, event.chapter_id, event.index)

    def on_sim_pane_settings_changed(self, event) -> None:
        self._save(self.record.set_figure_settings, event.chapter_id, event.sim, event.params, event.seed)

    async def action_quit(self) -> None:
        self.save_scroll()
        await super().action_quit()

    def save_scroll(self) -> None:
        """Keep the line the text is scrolled to (when leaving the chapter, and at the end)."""
        try:
            view = self.main_screen.chapter_view
        except LookupError:
            return
        if view is not None and self.record is not None and view.reader.is_mounted:
            reader = view.reader
            self._save(self.record.set_scroll, view.chapter.id, reader.page, int(reader.scroll_y))

    def on_question_card_answered(self, event) -> None:
        chapter = self.course.by_id(event.chapter_id)
        if chapter is None:
            return
        outcome = None
        try:
            outcome = self.record.answer(chapter, event.question, event.choice)
        except StoreError as e:
            self.notify(str(e), severity="error", timeout=6)
        stored = self.record.answers(chapter.id).get(event.question.id)
        practice = None if outcome is None or outcome.counted else (event.choice, outcome.correct)
        if stored is not None:
            event.card.show(stored, practice)
        self._update_status(chapter.id, event.question.id)

    def on_predict_card_predicted(self, event) -> None:
        """The learner committed a prediction: record it (the first one counts), then the card runs."""
        chapter = self.course.by_id(event.chapter_id)
        if chapter is None:
            return
        try:
            made = self.record.predict(chapter, event.question, value=event.value, choice=event.choice,
                                       low=event.low, high=event.high)
        except StoreError as e:
            self.notify(str(e), severity="error", timeout=6)
            made = self.record.prediction(chapter.id, event.question)
        if event.card.in_view():  # a card removed since (a chapter switch) has nothing to show
            event.card.show_prediction(made)
        self._update_status(chapter.id, event.question.id)

    def on_predict_card_measured(self, event) -> None:
        """The run ended: grade the prediction against the measurement (once) and show it."""
        chapter = self.course.by_id(event.chapter_id)
        if chapter is None:
            return
        try:
            graded = self.record.grade(chapter, event.question, event.measured, event.theory)
        except StoreError as e:
            self.notify(str(e), severity="error", timeout=6)
            graded = self.record.prediction(chapter.id, event.question)
        if graded is not None and event.card.in_view():
            event.card.show_prediction(graded)
        self._update_status(chapter.id, event.question.id)

    def _update_status(self, chapter_id: str, question_id: str | None = None) -> None:
        """Tell the views what changed in the record (a list not made yet reads it when it is)."""
        if self.record is not None:
            self.services.record_changes(RecordChange(chapter_id, self.record.status(chapter_id), question_id))

    def on_unmount(self) -> None:
        self.save_scroll()
        self.services.close()
        if self.store is not None:
            self.store.close()


def _import_markdown() -> None:
    import importlib

    importlib.import_module("rich.markdown")


def run_app(content_dir: str | None = None, color: str = "auto", ascii_only: bool = False, learners: str | None = None,
            start: str | None = None) -> int:
    try:
        app = LmtuiApp(content_dir=content_dir, ascii_only=ascii_only, color=color != "none", learners=learners, start=start)
        app.run()
    finally:
        gc.enable()  # paused by cli.main for the start-up; on again however the app ended
    from lmtui.core import page_cache

    page_cache.save_start()  # the page on screen now is drawn without Markdown next start
    return app.return_code or 0
