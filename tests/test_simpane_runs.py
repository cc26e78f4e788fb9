"""The figure keeps runs to compare: pin a run, rerun with a parameter changed and both are drawn
with a legend naming the difference (in colour and in ASCII); a comma list typed into a number's
field sweeps it; the runs shown export to a folder with the command lines that reproduce them."""

from __future__ import annotations

import json
import shlex

import pytest

from lmtui.cli import main
from lmtui.tui.app import LmtuiApp

from conftest import screen_lines, screen_text, wait_for_workers
from figures_support import current_pane, finish, focus_param, open_figure, open_tiny, set_param


async def double_descent(pilot):
    """double_descent's figure at its tiny settings (each run well under a second)."""
    return await open_tiny(pilot, "universality", "double_descent")


async def pinned_pair(pilot):
    """double_descent at its tiny settings, pinned, then rerun with ridge 0.5 (typed)."""
    pane = await double_descent(pilot)
    await pilot.press("s")
    await finish(pilot)
    await pilot.press("m")
    await pilot.pause()
    await set_param(pilot, pane, "ridge", "0.5")
    await pilot.press("s")
    await finish(pilot)
    return pane


def legend_marks(pane) -> dict[str, tuple[str, str]]:
    """Each measured line's legend entry as drawn: label -> (its mark, the mark's colour)."""
    text = pane._chart._text
    console = pane.app.console
    out = {}
    for label in ("measured (ridge 0)", "measured (ridge 0.5)"):
        at = text.plain.index(f" {label}")
        style = text.get_style_at_offset(console, at - 1)
        out[label] = (text.plain[at - 1], str(style.color.name if style.color else None))
    return out


@pytest.mark.parametrize(("color", "ascii_only"), [(True, False), (False, True)], ids=["colour", "NO_COLOR-ascii"])
async def test_pin_then_rerun_draws_both_with_the_difference_named(color, ascii_only):
    app = LmtuiApp(color=color, ascii_only=ascii_only)
    async with app.run_test(size=(80, 24)) as pilot:
        pane = await pinned_pair(pilot)
        text = screen_text(app)
        assert "pinned: ridge 0 vs 0.5" in text
        assert "measured (ridge 0.5)" in text and "measured (ridge 0)" in text  # the legend
        # the verdict line is the current run's
        assert pane.state.result.params["ridge"] == 0.5 and "ridge 0.5:" in text
        drawn = pane._chart.chart.panels[0].lines
        assert any(ln.faded and "(ridge 0)" in ln.label for ln in drawn)
        if ascii_only:
            assert all(ord(c) < 128 for c in text)
        # the two runs are told apart by their marks, and in colour the pinned one is faded
        marks = legend_marks(pane)
        (pinned, pinned_colour), (now, now_colour) = marks["measured (ridge 0)"], marks["measured (ridge 0.5)"]
        assert pinned != now
        if color:
            assert pinned_colour != now_colour and pinned_colour in ("color(7)", "color(8)")  # grey: faded
        else:
            assert pinned_colour == now_colour == "None"
        # x clears the overlay: the current run alone
        await pilot.press("x")
        await pilot.pause()
        assert not any(ln.faded for ln in pane._chart.chart.panels[0].lines)
        assert "pinned:" not in screen_text(app) and "measured (ridge 0)" not in screen_text(app)


async def test_pin_before_any_run_says_so():
    app = LmtuiApp()
    async with app.run_test(size=(80, 24)) as pilot:
        pane = await double_descent(pilot)
        await pilot.press("m")
        await pilot.pause()
        assert pane.state.book is None or not pane.state.book.pinned
        assert any("Nothing to pin" in str(n.message) for n in app._notifications)


@pytest.mark.parametrize(("name", "typed", "values"), [("ridge", "0, 0.5, 5", [0.0, 0.5, 5.0]), ("seed", "0, 1, 2", [0, 1, 2])])
async def test_a_comma_list_in_a_number_field_sweeps_it(name, typed, values):
    app = LmtuiApp()
    async with app.run_test(size=(120, 40)) as pilot:
        pane = await double_descent(pilot)
        await set_param(pilot, pane, name, typed, expect_ok=False)
        for _ in range(100):
            await finish(pilot)
            sweep = pane.state.book.sweep
            if sweep is not None and sweep.done and not pane.running:
                break
        assert [sweep.value_of(r) for r in sweep.runs] == values
        others = [r.params if name == "seed" else ({**r.params, name: None}, r.seed) for r in sweep.runs]
        assert all(o == others[0] for o in others)  # only the swept value changed
        now = pane.state.seed if name == "seed" else pane.state.params[name]
        assert now == values[-1] and sweep.value_of(pane._current_run()) == values[-1]
        text = screen_text(app)
        assert f"sweep {name} over {typed}: 3/3 done" in text
        labels = {ln.label for ln in pane._chart.chart.panels[0].lines}
        for value in typed.split(", "):
            assert f"measured ({name} {value})" in labels and f"{name} {value}" in text  # the legend
        scalar = pane._chart.chart.panels[-1]
        key = scalar.ylabel
        assert scalar.xlabel == name and f"{key} vs {name}" in text  # the chapter's scalar against the swept value
        assert list(scalar.lines[-1].x) == values
        assert list(scalar.lines[-1].y) == [r.result.metrics[key] for r in sweep.runs]


async def test_a_bad_sweep_is_refused_with_the_position():
    app = LmtuiApp()
    async with app.run_test(size=(80, 24)) as pilot:
        pane = await double_descent(pilot)

        def shown() -> str:
            return " ".join(ln[pane._help.region.x: pane._help.region.right].strip()
                            for ln in screen_lines(app)[pane._help.region.y: pane._help.region.bottom])

        # typing a number, the learner is told that a list sweeps it; leaving the field, the help is back
        await focus_param(pilot, pane, "ridge")
        await pilot.press("enter")
        await pilot.pause()
        assert "or 2 to 6 values such as 0, 5, 10 to run each in turn" in shown()
        await pilot.press("escape")
        await pilot.pause()
        assert "ridge penalty" in shown() and "such as" not in shown()
        await set_param(pilot, pane, "ridge", "0,,5", expect_ok=False)
        assert "item 2 of '0,,5' is empty" in shown()
        assert not pane.running and (pane.state.book is None or pane.state.book.sweep is None)


async def test_export_writes_the_runs_and_the_command_reproduces_them(tmp_path, capsys):
    app = LmtuiApp()
    async with app.run_test(size=(80, 24)) as pilot:
        await pinned_pair(pilot)
        # the runs kept belong to the session: another chapter read, the comparison is still there
        app.open_chapter("the-problem", page=0)
        await pilot.pause()
        await open_figure(pilot, "universality", "sim:double_descent")
        pane = current_pane(app)
        assert "pinned: ridge 0 vs 0.5" in screen_text(app)
        await pilot.press("y")
        await pilot.pause()
        assert pane.command == "lmtui sim run double_descent --set samples=20 --set max_features=40 " \
                               "--set ridge=0.5 --set trials=50 --seed 0"
        shown = " ".join(ln[pane._help.region.x: pane._help.region.right].strip()
                         for ln in screen_lines(app)[pane._help.region.y: pane._help.region.bottom])
        assert pane.command in shown  # on screen, whole (wrapped under the parameters)
        await pilot.press("e")
        await pilot.pause()
        folder = pane.exported
        assert any(str(folder) in str(n.message) for n in app._notifications)  # the learner is told
        assert sorted(p.name for p in folder.iterdir()) == ["chart.svg", "chart.txt", "commands.txt", "data.csv",
                                                           "runs.json"]
        records = json.loads((folder / "runs.json").read_text())
        assert [r["params"]["ridge"] for r in records] == [0.0, 0.5]
        assert records[1]["command"] == pane.command
        assert "measured (ridge 0)" in (folder / "chart.txt").read_text()
    capsys.readouterr()  # (the app holds stdout while it runs)
    assert main(["locate"]) == 0  # lmtui locate shows the folder the exports go to
    located = dict(line.split(":", 1) for line in capsys.readouterr().out.splitlines())
    assert located["exports"].split(" (")[0].strip() == str(folder.parent)
    for record in records:
        assert main(shlex.split(record["command"])[1:] + ["--json"]) == 0
        again = json.loads(capsys.readouterr().out)
        assert again["series"] == record["series"] and again["prediction"] == record["prediction"]
        assert again["metrics"] == record["metrics"] and again["verdict"] == record["verdict"]


async def test_the_last_run_comes_back_in_the_next_session():
    app = LmtuiApp()
    async with app.run_test(size=(80, 24)) as pilot:
        pane = await pinned_pair(pilot)
        series = pane.state.result.to_json()["series"]
    again = LmtuiApp()
    async with again.run_test(size=(80, 24)) as pilot:
        await open_figure(pilot, "universality", "sim:double_descent")
        pane = current_pane(again)
        assert pane.state.result is not None and pane.state.result.to_json()["series"] == series
        assert pane.state.params["ridge"] == 0.5 and pane.state.result_is_current()
        text = screen_text(again)
        assert "(last session)" in text and "ridge 0.5:" in text
        await pilot.press("s")
        await finish(pilot)
        assert "(last session)" not in screen_text(again)


async def test_a_sweep_over_the_servers_limit_ends_instead_of_waiting(monkeypatch):
    from lmtui.core.runcost import LIMIT_ENV

    app = LmtuiApp()
    async with app.run_test(size=(80, 24)) as pilot:
        pane = await double_descent(pilot)
        monkeypatch.setenv(LIMIT_ENV, "1e-9")  # every run is over it
        await set_param(pilot, pane, "ridge", "0, 0.5", expect_ok=False)
        await finish(pilot)
        assert not pane.running and pane.state.book.sweep is None
        assert "sweep" not in screen_text(app).splitlines()[1]


async def test_the_run_before_can_be_pinned_afterwards():
    app = LmtuiApp()
    async with app.run_test(size=(80, 24)) as pilot:
        pane = await double_descent(pilot)
        await pilot.press("M")  # nothing earlier yet
        await pilot.pause()
        assert pane.state.book is None or not pane.state.book.pinned
        await pilot.press("s")
        await finish(pilot)
        await set_param(pilot, pane, "ridge", "5")
        await pilot.press("s")
        await finish(pilot)
        await pilot.press("M")  # forgot to pin the first: the figure kept it
        await pilot.pause()
        assert "pinned: ridge 0 vs 5" in screen_text(app)


async def test_an_export_that_cannot_be_written_says_why_and_the_figure_goes_on():
    app = LmtuiApp()
    async with app.run_test(size=(80, 24)) as pilot:
        pane = await double_descent(pilot)
        await pilot.press("s")
        await finish(pilot)
        blocker = app.services.home / "exports"
        blocker.parent.mkdir(parents=True, exist_ok=True)
        blocker.write_text("a file where the exports folder goes\n")
        await pilot.press("e")
        await pilot.pause()
        errors = [str(n.message) for n in app._notifications if n.severity == "error"]
        assert len(errors) == 1 and "Could not export" in errors[0] and str(blocker) in errors[0], errors
        assert pane.exported is None and blocker.read_text().startswith("a file")
        await pilot.press("m")  # the figure goes on
        await pilot.pause()
        assert len(pane.state.book.pinned) == 1



async def test_after_a_sweep_the_next_session_has_the_parameters_the_rows_showed():
    """The rows show the sweep's last value; the next session opens with it and its last run as
    current (it opened with the value before the sweep, its last run marked as of other parameters)."""
    app = LmtuiApp()
    async with app.run_test(size=(120, 40)) as pilot:
        pane = await double_descent(pilot)
        await set_param(pilot, pane, "ridge", "5")  # kept for the next session
        await set_param(pilot, pane, "ridge", "0, 0.5", expect_ok=False)
        for _ in range(100):
            await finish(pilot)
            sweep = pane.state.book.sweep
            if sweep is not None and sweep.done and not pane.running:
                break
        assert pane.state.params["ridge"] == 0.5
    again = LmtuiApp()
    async with again.run_test(size=(120, 40)) as pilot:
        await open_figure(pilot, "universality", "sim:double_descent")
        pane = current_pane(again)
        assert pane.state.params["ridge"] == 0.5 and pane.state.result_is_current()
        assert "(last session)" in screen_text(again)
