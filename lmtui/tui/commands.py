"""Command palette: jump to any chapter, quiz or figure by typing part of its name.

Figures are found by their title and by their name (``edge``, ``grok`` and ``mup`` find the
simulations), and shown by title with the chapter they belong to. Simulation titles come from the
registry (no numpy import while searching).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial

from textual.command import DiscoveryHit, Hit, Hits, Provider


@dataclass(frozen=True)
class Entry:
    title: str  # what is shown
    terms: str  # what is matched (the title and the names behind it)
    help: str
    callback: object


class ChapterCommands(Provider):
    def _entries(self) -> list[Entry]:
        from lmtui.sims.registry import TITLES

        app = self.app
        course = app.course  # type: ignore[attr-defined]
        plain = app.plain  # type: ignore[attr-defined]
        out: list[Entry] = [
            Entry("Review: questions due", "review due spaced repetition cards again", "The questions due again, across chapters",
                  app.action_review),  # type: ignore[attr-defined]
        ]
        for chapter in course.chapters:
            label = plain(chapter.label)
            out.append(Entry(f"Chapter {label}", f"chapter {label} {chapter.id}", plain(chapter.summary) or "Open this chapter",
                             partial(app.open_chapter, chapter.id)))  # type: ignore[attr-defined]
            if chapter.quiz:
                out.append(Entry(f"Quiz: {label}", f"quiz {label}", f"{len(chapter.quiz)} questions",
                                 partial(app.open_chapter, chapter.id, view="quiz")))  # type: ignore[attr-defined]
            for n, ref in enumerate(chapter.figures):
                if ref.kind == "sim":
                    title, kind = TITLES.get(ref.name, ref.name), "simulation"
                else:
                    explorer = course.explorers.get(ref.name)
                    title, kind = (explorer.title if explorer else ref.name), "explorable figure"
                out.append(Entry(f"Figure: {plain(title)}", f"figure {plain(title)} {ref.name} {ref.name.replace('_', ' ')}",
                                 f"{kind} in chapter {label}", partial(self._open_figure, chapter.id, n)))
        return out

    def _open_figure(self, chapter_id: str, index: int) -> None:
        self.app.open_chapter(chapter_id, view="figure", figure=index)  # type: ignore[attr-defined]

    async def discover(self) -> Hits:
        for entry in self._entries():
            if entry.title.startswith(("Chapter ", "Review:", "Overview:")):
                yield DiscoveryHit(entry.title, entry.callback, help=entry.help)  # type: ignore[arg-type]

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for entry in self._entries():
            score = max(matcher.match(entry.title), matcher.match(entry.terms) * 0.9)
            if score > 0:
                yield Hit(score, matcher.highlight(entry.title), entry.callback, help=entry.help)  # type: ignore[arg-type]
