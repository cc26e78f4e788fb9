"""The table of contents: chapters with read marks and quiz scores (following the record's
``record_changed`` signal), a legend over them and the course's totals under them (in the list's
top and bottom borders)."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.message import Message
from textual.widgets import Label, ListItem, ListView

from lmtui.core.course import Chapter
from lmtui.core.record import ChapterStatus
from lmtui.core.review import due_now
from lmtui.tui.services import RecordChange, services


class TocItem(ListItem):
    DEFAULT_CSS = """
    TocItem { height: 1; padding: 0 1; layout: horizontal; }
    TocItem > .toc-title { width: 1fr; height: 1; text-wrap: nowrap; text-overflow: ellipsis; }
    TocItem > .toc-status { width: auto; margin-left: 1; color: $text-muted; }
    """

    def __init__(self, chapter: Chapter, status: ChapterStatus) -> None:
        super().__init__()
        self.chapter = chapter
        self.status = status
        # kept, not queried: a status can change before the row is composed (a chapter read as the
        # list fills in after the first frame)
        self._title = Label(chapter.label, classes="toc-title", markup=False)
        self._marks = Label(status.line(), classes="toc-status", markup=False)

    def compose(self) -> ComposeResult:
        yield self._title
        yield self._marks

    def set_status(self, status: ChapterStatus) -> None:
        self.status = status
        self._marks.update(status.line())


MAX_WIDTH = 44  # columns at most; a longer title is cut with an ellipsis


class TableOfContents(ListView):
    """Chapter list. Posts :class:`TableOfContents.ChapterChosen` when the learner picks one."""

    DEFAULT_CSS = """
    TableOfContents { height: 1fr; border-right: solid $primary-darken-2; border-top: solid $primary-darken-2;
        border-bottom: solid $primary-darken-2; border-title-color: $text-muted; border-subtitle-color: $text-muted;
        border-title-align: right; border-subtitle-align: right; }
    """
    LEGEND = "read quiz-right p:predicted-right"
    BINDINGS = [
        Binding("j", "cursor_down", "Down", show=False, id="list-down", tooltip="down the table of contents"),
        Binding("k", "cursor_up", "Up", show=False, id="list-up", tooltip="up the table of contents"),
    ]

    class ChapterChosen(Message):
        def __init__(self, chapter_id: str) -> None:
            super().__init__()
            self.chapter_id = chapter_id

    def __init__(self, chapters: list[Chapter], statuses: dict[str, ChapterStatus], **kwargs) -> None:
        super().__init__(**kwargs)
        self.chapters, self.statuses = chapters, dict(statuses)
        # wide enough for every title and its marks (item padding 2, gap 1, border 1), within limits
        widest = max((len(c.label) + 1 + len(statuses[c.id].line()) for c in chapters), default=20)
        self.styles.width = max(24, min(MAX_WIDTH, widest + 4))
        self.current: str | None = None
        self.populated = False
        self._stale = False
        self.border_title = self.LEGEND
        self.set_totals()

    _populate_on_mount = False
    _shown: str | None = None  # the chapter the rows mark as open (and the highlight was put on)

    def on_mount(self) -> None:
        services(self).record_changed.subscribe(self, self._record_changed)
        if self._populate_on_mount:  # asked to fill in before it was mounted
            self.populate()

    def on_show(self) -> None:
        if self._stale and self.current is not None:
            self.show_current(self.current)

    def populate(self) -> None:
        """Add the chapter rows. Deferred until after the first frame on narrow terminals, where
        the list is hidden: two thirds of the widgets on screen at start-up are these rows."""
        if self.populated:
            return
        if not self.is_mounted:
            self._populate_on_mount = True
            return
        self.populated = True
        self.extend(TocItem(c, self.statuses[c.id]) for c in self.chapters)
        if self.current is not None:
            self.call_after_refresh(self._show_latest)

    def _show_latest(self) -> None:
        """Mark the chapter open now: another may have been opened since the rows were added. Not
        again if it is marked already: keys read with c (c j j enter) have moved the highlight."""
        if self.current is not None and self.current != self._shown:
            self.show_current(self.current)

    def on_list_view_selected(self, event: ListView.Selected) -> None:
        event.stop()
        if isinstance(event.item, TocItem):
            self.post_message(self.ChapterChosen(event.item.chapter.id))

    def show_current(self, chapter_id: str) -> None:
        """Mark ``chapter_id`` as the open chapter. While the list is hidden (narrow terminals)
        this waits until it is shown: moving the highlight restyles rows and scrolls, work a
        chapter switch would otherwise do for rows nobody sees."""
        self.current = chapter_id
        if self.styles.display == "none":
            self._stale = True
            return
        self._stale = False
        for i, item in enumerate(self.query(TocItem)):
            item.set_class(item.chapter.id == chapter_id, "-current")
            if item.chapter.id == chapter_id:
                self.index = i
                self._shown = chapter_id

    def _record_changed(self, change: RecordChange) -> None:
        self.update_status(change.chapter_id, change.status, due_now(services(self).record))

    def update_status(self, chapter_id: str, status: ChapterStatus, due: int | None = None) -> None:
        self.statuses[chapter_id] = status
        for item in self.query(TocItem):
            if item.chapter.id == chapter_id:
                item.set_status(status)
        self.set_totals(due)

    def set_totals(self, due: int | None = None) -> None:
        """The course's totals under the list: chapters read, first answers right, predictions
        right, and the review cards due (when known)."""
        s = list(self.statuses.values())
        read = sum(x.read for x in s)
        text = f"all: {read}/{len(s)} {sum(x.correct for x in s)}/{sum(x.total for x in s)}"
        if any(x.predict_total for x in s):
            text += f" p{sum(x.predicted_right for x in s)}/{sum(x.predict_total for x in s)}"
        if due is not None:
            self.due = due
        if getattr(self, "due", 0):
            text += f", {self.due} due"
        self.border_subtitle = text
