"""Shared by the figure tests and snapshots: tiny settings per simulation, and keyboard drivers."""

from __future__ import annotations

from lmtui.tui.widgets.chapter import FigureDeck
from lmtui.tui.widgets.simpane import ParamRow, SimPane

from conftest import wait_for_workers

# small enough that every run takes well under a second
TINY: dict[str, dict[str, str]] = {
    "langevin_well": {"walkers": "200", "steps": "100"},
    "deep_linear": {"target_sv": "6,3"},
    "lazy_rich": {"alphas": "1,16", "width": "64", "steps": "200"},
    "scaling_law": {"n_max": "64", "trials": "1"},
    "kernel_curves": {"n_max": "64", "trials": "2"},
    "edge_of_stability": {"steps": "150"},
    "neural_collapse": {"steps": "300"},
    "mup_transfer": {"widths": "32,64", "log2_lrs": "-2,-1,0", "steps": "20", "coord_widths": "64,128"},
    "implicit_regularization": {"step_sizes": "0.01,0.04"},
    "universality": {"widths": "16,64", "samples": "100", "seeds_per_width": "2"},
    "grokking": {"p": "11", "steps": "200", "hidden": "32"},
    "double_descent": {"samples": "20", "max_features": "40", "trials": "50"},
}


def current_pane(app) -> SimPane:
    """The simulation pane on screen. Not screen.query_one: Textual caches query_one by the base
    node's direct children, so after a chapter switch it can hand back a removed pane."""
    panes = [p for p in app.screen.query(SimPane) if p.is_attached]
    assert panes, "no simulation pane on screen"
    return panes[-1]


async def open_figure(pilot, chapter_id: str, figure: str):
    """Open ``chapter_id`` and press f until ``figure`` ("sim:NAME" or "explorer:NAME") shows."""
    app = pilot.app
    app.open_chapter(chapter_id, page=0)
    await pilot.pause()
    chapter = app.course.by_id(chapter_id)
    target = [str(f) for f in chapter.figures].index(figure)
    await pilot.press("f")  # the figure shown last in this chapter (resumed), or the first
    await pilot.pause()
    for _ in range(len(chapter.figures)):
        deck = [d for d in app.screen.query(FigureDeck) if d.is_attached][-1]
        if deck.index == target:
            break
        await pilot.press("f")
        await pilot.pause()
    await wait_for_workers(app)  # the simulation module loads in a worker
    await pilot.pause()
    deck = [d for d in app.screen.query(FigureDeck) if d.is_attached][-1]
    assert deck.index == target
    return deck


async def focus_param(pilot, pane: SimPane, name: str) -> ParamRow:
    """The parameter's row, focused (as the learner's tab or j/k would leave it)."""
    row = next(r for r in pane.query(ParamRow) if r.param.name == name)
    row.focus()
    await pilot.pause()
    return row


async def set_param(pilot, pane: SimPane, name: str, value: str, expect_ok: bool = True) -> None:
    """Type a value into a parameter the way a learner does: focus, enter, type, enter."""
    await focus_param(pilot, pane, name)
    await pilot.press("enter")
    await pilot.pause()
    await pilot.press(*value)
    await pilot.press("enter")
    await pilot.pause()
    if expect_ok:
        assert pane.sim.param(name).format(pane.state.params[name]) == value, f"{name}={value} was not accepted"


def preset(pane: SimPane) -> None:
    """The tiny settings, set as the rows would set them (typing them is tested elsewhere)."""
    for row in pane.query(ParamRow):
        if row.param.name in TINY[pane.sim.name]:
            value = row.param.validate(TINY[pane.sim.name][row.param.name])
            row.set_value(value)
            pane.state.params[row.param.name] = value


async def open_tiny(pilot, chapter_id: str, sim_name: str, typed: bool = False) -> SimPane:
    """The figure of ``sim_name`` in ``chapter_id``, at its tiny settings (typed, or set as the
    rows would set them)."""
    await open_figure(pilot, chapter_id, f"sim:{sim_name}")
    pane = current_pane(pilot.app)
    if typed:
        for name, value in TINY[sim_name].items():
            await set_param(pilot, pane, name, value)
    else:
        preset(pane)
    return pane


async def finish(pilot) -> None:
    """Until the run started (or the sweep's next run) has finished and been shown."""
    await pilot.pause()
    await wait_for_workers(pilot.app)
    await pilot.pause()
    await pilot.pause()


async def run_tiny(pilot, pane: SimPane) -> None:
    for name, value in TINY[pane.sim.name].items():
        await set_param(pilot, pane, name, value)
    await pilot.press("s")
    await pilot.pause()
    await wait_for_workers(pilot.app)
    await pilot.pause()
