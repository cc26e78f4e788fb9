"""lmtui.charts: chart descriptions rendered to fixed-size text."""

from __future__ import annotations

import math
import re

import numpy as np
import pytest
from rich.text import Text

from lmtui.charts import render_chart, render_panel, to_ascii, visible_width
from lmtui.sims.base import Chart, Line, Panel

STEPS = np.arange(1.0, 201.0)


def loss_panel(title: str = "loss vs step") -> Panel:
    return Panel(
        title, "step η", "loss",
        lines=[
            Line("train", STEPS, np.exp(-STEPS / 50) + 0.05),
            Line("theory e^-t/50", STEPS, np.exp(-STEPS / 50), kind="theory"),
        ],
        hlines=[(0.5, "floor η/2")],
    )


def slope_panel(title: str = "error vs n") -> Panel:
    return Panel(
        title, "n", "err",
        lines=[Line("measured", STEPS, STEPS**-0.5 * 1.1), Line("n^-1/2", STEPS, STEPS**-0.5, kind="theory")],
        xlog=True, ylog=True,
    )


def two_panels() -> Chart:
    return Chart([loss_panel(), slope_panel()], caption="slope -0.49 vs -0.5: agrees")


def assert_size(text: str, width: int, height: int) -> None:
    lines = text.split("\n") if height else []
    assert len(lines) == height
    assert [visible_width(line) for line in lines] == [width] * height
    assert [Text.from_ansi(line).cell_len for line in lines] == [width] * height


@pytest.mark.parametrize("color", [True, False])
@pytest.mark.parametrize(
    ("width", "height"),
    [(80, 22), (76, 12), (120, 30), (100, 24), (40, 10), (19, 5), (30, 3), (200, 1), (5, 2), (1, 1), (0, 0)],
)
def test_chart_is_exactly_width_by_height(width: int, height: int, color: bool) -> None:
    text = render_chart(two_panels(), width, height, color=color, diverged_message="DIVERGED at step 7")
    assert_size(text, width, height)


@pytest.mark.parametrize(("width", "height"), [(76, 12), (20, 6), (19, 6), (20, 5), (60, 1)])
def test_panel_is_exactly_width_by_height(width: int, height: int) -> None:
    assert_size(render_panel(loss_panel(), width, height), width, height)


def test_no_escape_sequences_without_color() -> None:
    text = render_chart(two_panels(), 120, 30, color=False, diverged_message="DIVERGED at step 7")
    assert "\x1b" not in text
    assert "train" in text


@pytest.mark.parametrize(("width", "height"), [(80, 22), (120, 30)])
def test_color_output_is_the_plain_output_plus_escapes(width: int, height: int) -> None:
    colored = render_chart(two_panels(), width, height, color=True, diverged_message="DIVERGED at step 7")
    assert "\x1b[" in colored
    plain = render_chart(two_panels(), width, height, color=False, diverged_message="DIVERGED at step 7")
    assert re.sub(r"\x1b\[[0-9;]*m", "", colored) == plain


@pytest.mark.parametrize("color", [True, False])
def test_ascii_only_output_is_pure_ascii(color: bool) -> None:
    chart = Chart([loss_panel("σ² ≈ η·T…"), Panel("empty θ")], caption="ratio ≈ 1.0 — agrees")
    text = render_chart(chart, 80, 30, color=color, ascii_only=True, diverged_message="DIVERGED at step 3 → ∞")
    assert text.isascii()
    assert "+--" in text and "|" in text  # the frame is still drawn, in ASCII
    assert "eta/2" in text  # the hline label, transliterated
    assert "waiting for data..." in text


def test_unicode_frame_without_ascii_only() -> None:
    assert not render_chart(two_panels(), 80, 22, color=False).isascii()


def test_to_ascii_spells_out_greek_and_replaces_the_rest() -> None:
    assert to_ascii("η ≤ 2/λ…") == "eta <= 2/lambda..."
    assert to_ascii("日本").isascii()


@pytest.mark.parametrize("height", [30, 22, 3, 1])
def test_diverged_message_is_always_shown(height: int) -> None:
    text = render_chart(two_panels(), 80, height, color=False, diverged_message="DIVERGED at step 42")
    assert "DIVERGED at step 42" in text
    assert text.split("\n")[-1].startswith("DIVERGED at step 42")


def test_caption_is_shown_and_wrapped() -> None:
    caption = "stationary variance 0.5291 vs predicted 0.5263, ratio 1.005 with Boltzmann T/k = 0.5: agrees"
    text = render_chart(Chart([loss_panel()], caption=caption), 60, 20, color=False)
    joined = " ".join(line.strip() for line in text.split("\n")[-2:])
    assert joined == caption


def test_log_axes_with_zeros_nans_and_none() -> None:
    panel = Panel(
        "log", lines=[
            Line("a", [0, 1, 2, 3, None, 10], [0, math.nan, 1e-3, 1e3, 5, -1]),
            Line("t", [0, 1, 10], [0, 1, 10], kind="theory"),
        ],
        hlines=[(0.0, "zero: dropped"), (1.0, "one")], xlog=True, ylog=True,
    )
    text = render_panel(panel, 50, 12, color=False)
    assert_size(text, 50, 12)
    assert "1000" in text and "0.001" in text  # decade ticks cover the data
    assert "zero: dropped" not in text and "one" in text


def test_log_axis_without_positive_values_waits() -> None:
    panel = Panel("neg", lines=[Line("a", [1, 2], [-1, 0])], ylog=True)
    assert "waiting for data" in render_panel(panel, 40, 10, color=False)


@pytest.mark.parametrize(
    "lines", [[], [Line("a", [], [])], [Line("a", [1, 2], [math.nan, None])], [Line("a", [None], [1.0])]]
)
def test_empty_panel_says_waiting(lines: list[Line]) -> None:
    text = render_panel(Panel("nothing yet", lines=lines), 40, 10, color=False)
    assert "nothing yet" in text
    assert "waiting for data…" in text


def test_chart_without_panels_says_waiting() -> None:
    assert "waiting for data" in render_chart(Chart([]), 40, 10, color=False)


def test_single_point_and_flat_lines_render() -> None:
    panel = Panel("flat", lines=[Line("one", [3], [2]), Line("flat", [1, 2, 3], [2, 2, 2], kind="theory")])
    text = render_panel(panel, 40, 10, color=False)
    assert_size(text, 40, 10)
    assert "o one" in text


def test_legend_tells_measured_from_theory_without_color() -> None:
    text = render_panel(loss_panel(), 76, 14, color=False)
    legend = text.split("\n")[-1]
    assert "o train" in legend
    assert "... floor η/2" in legend and "--- theory e^-t/50" in legend
    assert legend.index("o train") < legend.index("... floor")  # measured first


def test_measured_points_and_theory_lines_are_drawn() -> None:
    panel = Panel("p", lines=[Line("m", [1, 2, 3], [1, 3, 2]), Line("t", [1, 3], [2, 2], kind="theory")])
    plot = "\n".join(render_panel(panel, 40, 12, color=False).split("\n")[:-1])  # without the legend
    assert plot.count("o") == 3
    assert "......" in plot


def test_ylim_is_kept_when_data_runs_away() -> None:
    panel = Panel("ylim", lines=[Line("a", [1, 2, 3], [1, 2, 1e30])], ylim=(0, 5))
    plot = render_panel(panel, 40, 12, color=False).split("\n")[:-1]  # without the legend
    assert "e+30" not in "".join(plot)
    assert any(line.startswith("4┤") for line in plot) and any(line.startswith("0┤") for line in plot)
    assert "".join(plot).count("o") == 2  # the runaway point is off the chart


def test_spikes_survive_thinning() -> None:
    y = np.zeros(5000)
    y[2345] = 100.0
    text = render_panel(Panel("spike", lines=[Line("s", np.arange(5000), y)]), 60, 12, color=False)
    assert "100" in text


def test_small_panel_becomes_a_one_line_summary() -> None:
    text = render_panel(loss_panel(), 19, 8, color=False)
    first, *rest = text.split("\n")
    assert first.startswith("loss vs step: ")
    assert all(not line.strip() for line in rest)
    assert "┌" not in text
    wide = render_panel(loss_panel(), 70, 5, color=False).split("\n")[0]
    assert wide.startswith("loss vs step: train 0.0")


def title_rows(text: str) -> list[int]:
    lines = text.split("\n")
    return [next(i for i, line in enumerate(lines) if title in line) for title in ("loss vs step", "error vs n")]


def test_two_panels_side_by_side_when_wide() -> None:
    loss_row, err_row = title_rows(render_chart(two_panels(), 120, 24, color=False))
    assert loss_row == err_row


def test_two_panels_stacked_when_narrow() -> None:
    loss_row, err_row = title_rows(render_chart(two_panels(), 80, 24, color=False))
    assert loss_row < err_row
