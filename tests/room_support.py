"""A room of learners made through the app itself: each learner starts ``lmtui --learners DIR``
(the pilot), gives a name, goes to the second chapter's quiz by keys, answers its choice question
and types a prediction for its first predict question, which then runs and is graded."""

from __future__ import annotations

import shutil
from pathlib import Path

from lmtui.tui.app import LmtuiApp

from conftest import FIXTURES, wait_for_workers
from test_predict_card import PREDICT  # a number to predict (slope), then the same with choices


def room_course(base: Path) -> Path:
    """The two-chapter fixture course with two predict questions after the second chapter's quiz."""
    course = base / "course"
    shutil.copytree(FIXTURES / "mini", course)
    quiz = course / "02-second.quiz.toml"
    quiz.write_text(quiz.read_text(encoding="utf-8") + PREDICT, encoding="utf-8")
    return course


async def learner_session(course: Path, learners: Path, name: str, answer: str | None, prediction: str | None,
                          side: str | None = None) -> None:
    """One learner's session by keys: the name, the second chapter (n), its quiz (z), ``answer``
    (a choice key) for its first question, then down to the predict question, enter, the number,
    enter; the run is waited for, so the prediction is graded as in class. ``side``: the choice key
for the next question (a prediction with choices)."""
    app = LmtuiApp(content_dir=course, learners=learners)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        await pilot.press(*name, "enter")
        await pilot.pause()
        while app.course.index_of(app.current) != 1:
            await pilot.press("n")
            await pilot.pause()
        await pilot.press("z")
        await pilot.pause()
        await pilot.pause()
        if answer is not None:
            await pilot.press(answer)
            await pilot.pause()
        if prediction is not None:
            await pilot.press("j")
            await pilot.pause()
            await pilot.press("enter", *prediction, "enter")
            await pilot.pause()
            await wait_for_workers(app)
            await pilot.pause()
            await pilot.pause()
        if side is not None:  # the predict question with choices, after it
            await pilot.press("j", side)
            await pilot.pause()
            await wait_for_workers(app)
            await pilot.pause()


def slope_question(course: Path):
    """The number-to-predict question of :func:`room_course`, as loaded now."""
    from lmtui.core.course import load_course

    return next(q for q in load_course(course).chapters[1].quiz if q.id == "slope")


async def room_read(pilot, timeout: float = 30.0) -> None:
    """Wait until `lmtui room` has read its stores (a thread reads them after the first frame) and
    shown them; fails if it has not within ``timeout`` seconds."""
    from lmtui.tui.screens.room import RoomScreen

    from conftest import until

    screen = pilot.app.screen_stack[0]
    assert isinstance(screen, RoomScreen)
    assert await until(pilot, lambda: screen.stores_read, timeout), "the room never read its stores"
    await pilot.pause()
