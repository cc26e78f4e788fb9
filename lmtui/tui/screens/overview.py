"""The Overview: where the learner stands, the same figures as `lmtui progress`.

Per chapter: read, the quiz's first-answer score, predictions within tolerance, review cards due;
the course's totals; how good the learner's predictions are (a sentence and a small chart: the
share of measurements inside the learner's ranges, and how far the point predictions were off);
and the questions missed, each one enter away (it opens the chapter's quiz at that question).
"""

from __future__ import annotations

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import Screen
from textual.widget import AwaitMount
from textual.widgets import Label, ListItem, ListView, Static

from lmtui.core.overview import Calibration, Missed, Overview, error_text, overview
from lmtui.tui import textual_fixes
from lmtui.tui.services import services

BAR = 20  # cells of a chart bar


def bar(share: float, ascii_only: bool, width: int = BAR) -> str:
    """A horizontal bar for ``share`` (0 to 1), in blocks, or # and . under --ascii."""
    full, empty = ("#", ".") if ascii_only else ("\u2588", "\u2591")
    n = max(0, min(width, round(share * width)))
    return full * n + empty * (width - n)


def chapter_table(view: Overview) -> Table:
    table = Table(box=None, padding=(0, 1), show_edge=False, expand=False)
    table.add_column("Ch", justify="right", no_wrap=True)
    table.add_column("Chapter", overflow="ellipsis", no_wrap=True, max_width=34)
    table.add_column("Read", no_wrap=True)
    table.add_column("Quiz right", justify="right", no_wrap=True)
    table.add_column("Predictions", justify="right", no_wrap=True)
    table.add_column("Due now", justify="right", no_wrap=True)
    for c in view.chapters:
        quiz = f"{c.quiz_right}/{c.quiz_answered} of {c.quiz_total}" if c.quiz_total else "-"
        pred = f"{c.predict_right}/{c.predict_graded} of {c.predict_total}" if c.predict_total else "-"
        table.add_row(str(c.order), c.title, "yes" if c.read else "no", quiz, pred, str(c.due) if c.due else "-")
    table.add_row("", Text("Total", style="bold"), f"{view.read}/{len(view.chapters)}",
                  f"{view.total('quiz_right')}/{view.total('quiz_answered')} of {view.total('quiz_total')}",
                  f"{view.total('predict_right')}/{view.total('predict_graded')} of {view.total('predict_total')}",
                  str(view.total("due")), style="bold")
    return table


def calibration_lines(view: Overview, ascii_only: bool) -> list[str]:
    """The small chart: per chapter with numeric predictions run, the share inside the learner's
    ranges and the median point error (a full bar: 100% inside; 50% or more off)."""
    rows: list[tuple[str, Calibration]] = [(f"{c.order} {c.title}", c.calibration)
                                           for c in view.chapters if c.calibration.errors]
    if not rows:
        return []
    rows.append(("All chapters", view.calibration))
    width = min(28, max(len(name) for name, _ in rows))
    out = [f"{'':<{width}}  {'inside your range':<{BAR + 11}}  point error (median)"]
    for name, cal in rows:
        name = name if len(name) <= width else name[: width - 3] + "..."
        if cal.ranges:
            inside = f"{bar(cal.inside / cal.ranges, ascii_only)} {cal.inside}/{cal.ranges}".ljust(BAR + 11)
        else:
            inside = "(no range given)".ljust(BAR + 11)
        err = cal.median_error or 0.0
        out.append(f"{name:<{width}}  {inside}  {bar(min(1.0, err / 0.5), ascii_only, 10)} {error_text(err)}")
    return out


class MissedItem(ListItem):
    DEFAULT_CSS = "MissedItem { height: auto; padding: 0 1; } MissedItem > Label { width: 1fr; }"

    def __init__(self, missed: Missed, label: str) -> None:
        super().__init__(Label(label, markup=False))
        self.missed = missed


class MissedList(ListView):
    """The missed questions: j and k move in it as in every list of the app."""

    BINDINGS = [
        Binding("j", "cursor_down", "Down", show=False, id="missed-down", tooltip="down the missed questions"),
        Binding("k", "cursor_up", "Up", show=False, id="missed-up", tooltip="up the missed questions"),
    ]


class OverviewScreen(Screen[tuple[str, str] | None]):
    """Dismissed with the (chapter, question) of the missed question chosen, or None."""

    DEFAULT_CSS = """
    OverviewScreen > .overview-title { height: 1; padding: 0 1; background: $primary-background; color: $text; text-style: bold; }
    OverviewScreen > VerticalScroll { height: 1fr; padding: 0 1; }
    OverviewScreen .overview-note { color: $text-muted; margin-bottom: 1; }
    OverviewScreen .overview-head { text-style: bold; margin-top: 1; }
    OverviewScreen .overview-due { margin-bottom: 1; }
    OverviewScreen ListView { height: auto; }
    """
    BINDINGS = [
        Binding("escape", "close", "Back", id="overview-close", tooltip="back to the course"),
        Binding("R", "app.review", "Review", id="overview-review", tooltip="review the questions due"),
    ]

    def __init__(self, at: float | None = None) -> None:
        super().__init__()
        self.at = at  # a fixed "now" (tests); None: the clock
        self.view: Overview | None = None
        self._title = Static("Overview: where you stand", classes="overview-title", markup=False)
        self._body = VerticalScroll()

    def compose(self) -> ComposeResult:
        yield self._title
        yield self._body
        yield textual_fixes.LeanFooter(compact=True, show_command_palette=False)

    async def on_mount(self) -> None:
        if services(self).ascii_only:
            self.add_class("-ascii")
        mounting = self.rebuild()
        if mounting is not None:
            # the list holds the focus before this screen reads a key: keys typed with O (O j
            # enter, read together) move in it and open the question, instead of being lost
            await mounting
            self._focus_list()

    def on_screen_suspend(self) -> None:
        self._left = True  # another screen over this one (a review, the help)

    def on_screen_resume(self) -> None:
        if getattr(self, "_left", False):  # back from a review: the figures may have moved
            self._left = False
            self.rebuild()

    def rebuild(self) -> AwaitMount | None:
        svc = services(self)
        plain, key = svc.plain, svc.key_hint
        if svc.record is None:
            return None
        self.view = view = overview(svc.record, self.at)
        self._body.remove_children()
        widgets = [
            Static(chapter_table(view), markup=False),
            Static(plain(f"Review: {view.due_text}"), classes="overview-due", markup=False),
            Static(plain("Quiz right: first answers right / answered, of the chapter's questions (review answers do not "
                         f"change it). Predictions: within tolerance / run. Due now: review cards to answer again now ({key('overview-review')} reviews them)."),
                   classes="overview-note", markup=False),
            Static("How good are your predictions", classes="overview-head", markup=False),
            Static(plain(view.calibration.sentence()), markup=False),
        ]
        chart = calibration_lines(view, svc.ascii_only)
        if chart:
            widgets.append(Static(plain("\n".join(chart)), markup=False))
        if view.missed:
            widgets.append(Static(f"Missed ({len(view.missed)}): enter opens the question in its chapter", classes="overview-head",
                                  markup=False))
            widgets.append(MissedList(*(MissedItem(m, plain(f"{view.where(m)}: {m.prompt}")) for m in view.missed)))
        else:
            widgets.append(Static("Nothing missed so far.", classes="overview-head", markup=False))
        mounting = self._body.mount_all(widgets)
        self._body.scroll_home(animate=False)
        self.call_after_refresh(self._focus_list)
        return mounting

    def _focus_list(self) -> None:
        lists = self.query(ListView)
        if lists:
            self.set_focus(lists.first(), scroll_visible=False)  # the table stays in view; down moves into the list
        else:
            self.set_focus(self._body)

    def on_list_view_highlighted(self, event: ListView.Highlighted) -> None:
        """The highlighted missed question is scrolled into view (the list is in the page's scroll,
        below the table, and may start off screen at 80x24)."""
        if event.item is not None and self.focused is event.list_view:
            event.item.scroll_visible(animate=False)

    def on_list_view_selected(self, event: ListView.Selected) -> None:
        event.stop()
        if isinstance(event.item, MissedItem):
            m = event.item.missed
            self.dismiss((m.chapter, m.question))  # whoever opened the Overview opens the question

    def action_close(self) -> None:
        self.dismiss()
