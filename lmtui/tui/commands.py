"""Command palette: jump to any chapter, quiz or figure by typing part of its name.

Figures are found by their title and by their name (``edge``, ``grok`` and ``mup`` find the
simulations), and shown by title with the chapter they belong to. Simulation titles come from the
registry (no numpy import while searching).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial
from typing import Any, Callable

from textual.command import DiscoveryHit, Hit, Hits, Provider
from textual.markup import escape

from lmtui.tui.services import services


@dataclass(frozen=True)
class Entry:
    title: str  # what is shown
    terms: str  # what is matched (the title and the names behind it)
    help: str
    callback: Callable[[], Any]


class ChapterCommands(Provider):
    def _entries(self) -> list[Entry]:
        from lmtui.sims.registry import TITLES
        from lmtui.tui.app import LmtuiApp

        app = self.app
        if not isinstance(app, LmtuiApp):  # the palette of the course app only
            return []
        course, plain = app.course, services(app).plain
        out: list[Entry] = [
            Entry("Review: questions due", "review due spaced repetition cards again", "The questions due again, across chapters",
                  app.action_review),
            Entry("Overview: where you stand", "overview progress score missed predictions calibration",
                  "Per chapter: read, quiz, predictions, cards due; what you missed", app.action_overview),
        ]
        for chapter in course.chapters:
            label = plain(chapter.label)
            out.append(Entry(f"Chapter {label}", f"chapter {label} {chapter.id}", plain(chapter.summary) or "Open this chapter",
                             partial(app.open_chapter, chapter.id)))
            if chapter.quiz:
                out.append(Entry(f"Quiz: {label}", f"quiz {label}", f"{len(chapter.quiz)} questions",
                                 partial(app.open_chapter, chapter.id, view="quiz")))
            for n, ref in enumerate(chapter.figures):
                if ref.kind == "sim":
                    title, kind = TITLES.get(ref.name, ref.name), "simulation"
                else:
                    explorer = course.explorers.get(ref.name)
                    title, kind = (explorer.title if explorer else ref.name), "explorable figure"
                out.append(Entry(f"Figure: {plain(title)}", f"figure {plain(title)} {ref.name} {ref.name.replace('_', ' ')}",
                                 f"{kind} in chapter {label}", partial(app.open_chapter, chapter.id, view="figure", figure=n)))
        return out

    # The palette reads a hit's text and help as markup: titles and summaries come from the course,
    # where a bracket is text (a title holding "[/]" would fail to draw and end the app).
    async def discover(self) -> Hits:
        for entry in self._entries():
            if entry.title.startswith(("Chapter ", "Review:", "Overview:")):
                yield DiscoveryHit(escape(entry.title), entry.callback, help=escape(entry.help))

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for entry in self._entries():
            score = max(matcher.match(entry.title), matcher.match(entry.terms) * 0.9)
            if score > 0:
                yield Hit(score, matcher.highlight(escape(entry.title)), entry.callback, help=escape(entry.help))
