#!/usr/bin/env python3
"""Regenerate the README screenshots with the app's own screenshot support (SVG, 80x24 and one
at 120x40). Run by hand after a UI change: python scripts/screenshots.py"""

from __future__ import annotations

import asyncio
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "tests"))

from figures_support import open_figure  # noqa: E402
from lmtui.tui.app import LmtuiApp  # noqa: E402

OUT = REPO / "docs" / "screenshots"

SHOTS = [
    # (file, size, keys before the shot, figure to open and run)
    ("chapter.svg", (80, 24), [], None),
    ("quiz.svg", (80, 24), ["n", "n", "z", "2"], None),
    ("simulation.svg", (80, 24), [], ("solvable-settings", "sim:deep_linear")),
    ("edge-of-stability-wide.svg", (120, 40), [], ("empirical-laws", "sim:edge_of_stability")),
    ("explorer.svg", (80, 24), [], ("seven-desiderata", "explorer:physics-parallels")),
    ("help.svg", (80, 24), ["question_mark"], None),
    ("double-descent-wide.svg", (120, 40), [], ("universality", "sim:double_descent")),
]


async def shoot_predict(name: str = "predict.svg", size: tuple[int, int] = (100, 34)) -> None:
    """A predict question answered: the learner's number, the theory, the run, the grade."""
    from lmtui.tui.widgets.predict import PredictCard

    app = LmtuiApp(home=tempfile.mkdtemp(prefix="lmtui-shot-"))
    async with app.run_test(size=size) as pilot:
        await pilot.pause()
        app.open_chapter("empirical-laws", view="quiz")
        await pilot.pause()
        await pilot.pause()
        card = next(c for c in app.screen.query(PredictCard) if c.question.id == "predict-eos-plateau")
        card.focus()
        await pilot.pause()
        await pilot.press("enter", *"4.2", "enter")
        await pilot.pause()
        await app.workers.wait_for_complete()
        await pilot.pause()
        await pilot.pause()
        card.parent.scroll_to_widget(card, top=True, animate=False)
        await pilot.pause()
        app.save_screenshot(filename=name, path=str(OUT))
    print(f"wrote {OUT / name}")


async def shoot(name: str, size: tuple[int, int], keys: list[str], figure: tuple[str, str] | None) -> None:
    app = LmtuiApp(home=tempfile.mkdtemp(prefix="lmtui-shot-"))
    async with app.run_test(size=size) as pilot:
        await pilot.pause()
        for key in keys:
            await pilot.press(key)
            await pilot.pause()
        if figure is not None:
            await open_figure(pilot, *figure)
            if figure[1].startswith("sim:"):
                await pilot.press("s")
                await app.workers.wait_for_complete()
                await pilot.pause()
        app.save_screenshot(filename=name, path=str(OUT))
    print(f"wrote {OUT / name}")


async def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    for shot in SHOTS:
        await shoot(*shot)
    await shoot_predict()


if __name__ == "__main__":
    asyncio.run(main())
