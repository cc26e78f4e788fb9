"""Command palette: jump to any chapter (or view) by typing part of its title."""

from __future__ import annotations

from functools import partial

from textual.command import DiscoveryHit, Hit, Hits, Provider


class ChapterCommands(Provider):
    def _commands(self) -> list[tuple[str, str, object]]:
        app = self.app
        out: list[tuple[str, str, object]] = []
        for chapter in app.course.chapters:  # type: ignore[attr-defined]
            out.append((f"Chapter {chapter.label}", chapter.summary or "Open this chapter", partial(app.open_chapter, chapter.id)))  # type: ignore[attr-defined]
            if chapter.quiz:
                out.append((f"Quiz: {chapter.label}", "Open this chapter's quiz", partial(app.open_chapter, chapter.id, view="quiz")))  # type: ignore[attr-defined]
            if chapter.figures:
                out.append((f"Figure: {chapter.label}", ", ".join(str(f) for f in chapter.figures), partial(app.open_chapter, chapter.id, view="figure")))  # type: ignore[attr-defined]
        return out

    async def discover(self) -> Hits:
        for name, help_text, callback in self._commands():
            if name.startswith("Chapter "):
                yield DiscoveryHit(name, callback, help=help_text)  # type: ignore[arg-type]

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for name, help_text, callback in self._commands():
            score = matcher.match(name)
            if score > 0:
                yield Hit(score, matcher.highlight(name), callback, help=help_text)  # type: ignore[arg-type]
