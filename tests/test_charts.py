"""lmtui.core.charts: chart descriptions rendered to fixed-size text."""

from __future__ import annotations

import math
import re

import numpy as np
import pytest
from rich.text import Text

from lmtui.core.charts import render_chart, render_panel, to_ascii, visible_width
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


# -- theory and measurement both visible where they coincide ------------------------------------
def plot_area(text: str) -> list[str]:
    """The rows between the plot frame's top and bottom lines, without the frame columns."""
    lines = text.split("\n")
    top = next(i for i, line in enumerate(lines) if "┌" in line or line.lstrip().startswith("+-"))
    frame = lines[top]
    left = frame.index("┌") if "┌" in frame else frame.index("+")
    right = frame.rindex("┐") if "┐" in frame else frame.rindex("+")
    bottom = next(i for i, line in enumerate(lines) if i > top and line[left] in "└+")
    return [line[left + 1 : right] for line in lines[top + 1 : bottom]]


def test_theory_stays_visible_under_a_measurement_that_agrees() -> None:
    x = np.linspace(0.0, 10.0, 400)
    y = 1.0 - np.exp(-x)
    panel = Panel("agree", lines=[Line("measured", x, y), Line("theory", x, y, kind="theory")])
    rows = plot_area(render_panel(panel, 60, 16, color=False))
    drawn = "".join(rows)
    assert drawn.count("o") >= 15 and drawn.count(".") >= 15
    # on the rows where the curve is flat, measurement and theory alternate along the same row
    flat = [row for row in rows if row.count("o") >= 5]
    assert flat and all("." in row for row in flat)
    assert any(re.search(r"o\.+o", row) for row in flat)


def test_an_hline_under_a_measurement_that_hovers_on_it_stays_visible() -> None:
    steps = np.arange(0, 800, 10.0)
    sharp = np.full_like(steps, 5.0)
    sharp[:10] = np.linspace(2.0, 5.0, 10)
    panel = Panel("eos", lines=[Line("sharpness", steps, sharp)], hlines=[(5.0, "2/eta")])
    rows = plot_area(render_panel(panel, 60, 14, color=False))
    edge = max(rows, key=lambda row: row.count("o"))
    assert edge.count("o") >= 10 and edge.count(".") >= 10


def test_coinciding_measurements_interleave_dense_and_dodge_sparse() -> None:
    x = np.linspace(0.0, 1.0, 300)
    dense = Panel("dense", lines=[Line("a", x, x), Line("b", x, x), Line("c", x, x)])
    drawn = "".join(plot_area(render_panel(dense, 60, 14, color=False)))
    assert min(drawn.count(m) for m in "ox*") >= 8
    widths = [16, 64, 256, 1024]
    sparse = Panel("sparse", lines=[Line(name, widths, [0.5, 0.8, 0.95, 1.0]) for name in ("a", "b", "c")]
                   + [Line("low", widths, [0.2, 0.3, 0.4, 0.5])], xlog=True)
    drawn = "".join(plot_area(render_panel(sparse, 60, 14, color=False)))
    assert [drawn.count(m) for m in "ox*#"] == [4, 4, 4, 4]  # every point of every series is drawn


def test_two_theory_lines_on_the_same_row_share_it() -> None:
    panel = Panel("two limits", lines=[Line("m", [1, 10], [0.2, 0.5])], hlines=[(0.97, "a"), (1.0, "b")])
    rows = plot_area(render_panel(panel, 50, 12, color=False))
    assert any("." in row and "-" in row for row in rows)


# -- titles and the panel hint -----------------------------------------------------------------
LONG = "sharpness (top Hessian eigenvalue) of the loss along training"


@pytest.mark.parametrize("ascii_only", [False, True])
@pytest.mark.parametrize("width", [30, 48, 72])
def test_a_long_title_is_shortened_and_the_hint_kept(width: int, ascii_only: bool) -> None:
    panel = Panel(LONG, "step", "sharpness", lines=[Line("s", [0, 1, 2], [1, 2, 3])])
    first = render_panel(panel, width, 12, color=False, ascii_only=ascii_only, hint="[v: panel 1/2]").split("\n")[0]
    assert first.rstrip().endswith("[v: panel 1/2]")
    assert ("..." if ascii_only else "…") in first and first.lstrip().startswith("sharpness")
    assert len(first) == width


def test_a_short_title_is_kept_whole_with_the_hint() -> None:
    chart = Chart([loss_panel(), slope_panel()])
    text = render_chart(chart, 80, 20, color=False, panel=1, hint="[v: panel 2/2]")
    assert "error vs n [v: panel 2/2]" in text.split("\n")[0]
    assert "…" not in text


def test_the_hint_is_kept_in_the_one_line_summary() -> None:
    text = render_panel(loss_panel(LONG), 30, 4, color=False, hint="[v: panel 1/2]")
    assert text.split("\n")[0].endswith("[v: panel 1/2]")


def test_axis_labels_are_never_dropped() -> None:
    panel = Panel("p", xlabel="t = lr*step", ylabel="a very long y axis label indeed", lines=[Line("s", [0, 1], [0, 1])])
    labels = render_panel(panel, 40, 12, color=False).split("\n")[-2]
    assert "t = lr*step" in labels and labels.startswith("a very") and "…" in labels


# -- axes fitted to the data -------------------------------------------------------------------
def x_tick_labels(text: str) -> list[float]:
    lines = text.split("\n")
    bottom = next(i for i, line in enumerate(lines) if "└" in line)
    return [float(t) for t in lines[bottom + 1].split()]


def y_tick_labels(text: str) -> list[float]:
    return [float(m.group(1)) for m in re.finditer(r"^\s*(-?[\d.e+-]+)┤", text, re.M)]


@pytest.mark.parametrize(("end", "bad"), [(800, 1000), (11.3, 15), (0.93, 1.0)])
def test_axes_end_at_the_data_with_ticks_inside(end: float, bad: float) -> None:
    x = np.linspace(0.0, end, 200)
    panel = Panel("fit", lines=[Line("s", x, 2 + np.sin(x / end * 6))])
    text = render_panel(panel, 70, 16, color=False)
    ticks = x_tick_labels(text)
    assert len(ticks) >= 3 and min(ticks) >= 0 and max(ticks) <= end and bad not in ticks
    ys = y_tick_labels(text)
    assert len(ys) >= 2 and min(ys) >= 1.0 - 1e-9 and max(ys) <= 3.0 + 1e-9
    # the data reach the frame: a marker in the last column and in the top and bottom rows
    rows = plot_area(text)
    assert any(row.endswith("o") for row in rows)
    assert "o" in rows[0] and "o" in rows[-1]


def test_log_axis_with_less_than_two_decades_gets_round_ticks() -> None:
    panel = Panel("narrow", lines=[Line("s", [0.0025, 0.005, 0.01, 0.02, 0.04], [1, 2, 3, 4, 5])], xlog=True)
    assert x_tick_labels(render_panel(panel, 60, 12, color=False)) == [0.005, 0.01, 0.02]


# -- ASCII: markers never look like the frame --------------------------------------------------
def test_no_measured_marker_is_a_tick_or_corner_in_ascii() -> None:
    from lmtui.core.charts import MEASURED_MARKERS

    assert "+" not in MEASURED_MARKERS and "|" not in MEASURED_MARKERS and "-" not in MEASURED_MARKERS
    x = np.arange(1.0, 41.0)
    panel = Panel("six", lines=[Line(f"s{i}", x, x * (i + 1)) for i in range(6)], vlines=[(20.0, "mark")])
    text = render_panel(panel, 70, 20, color=False, ascii_only=True)
    assert text.isascii()
    assert not any("+" in row for row in plot_area(text))  # ticks and corners stay on the frame
    assert "| mark" in text  # the vline's legend key in ASCII


# -- vlines, fixed markers, connected sweeps ---------------------------------------------------
def test_vline_is_a_dashed_column_under_the_data() -> None:
    panel = Panel("v", lines=[Line("m", [0, 10], [0, 1])], vlines=[(5.0, "p = n")])
    text = render_panel(panel, 41, 12, color=False)
    rows = plot_area(text)
    cols = {row.index("┆") for row in rows if "┆" in row}
    assert len(cols) == 1 and sum("┆" in row for row in rows) >= len(rows) - 1
    assert "┆ p = n" in text


def test_connected_measurement_joins_its_points_and_a_fixed_marker_is_used() -> None:
    panel = Panel("sweep", lines=[Line("w", [0, 1, 2], [0, 5, 0], connect=True), Line("best", [1], [5], marker="@"),
                                  Line("div", [2.5], [5], marker="^")])
    text = render_panel(panel, 50, 14, color=False)
    drawn = "".join(plot_area(text))
    assert drawn.count("o") > 10 and drawn.count("@") == 1 and drawn.count("^") == 1
    assert "@ best" in text and "^ div" in text and "o w" in text


# -- ChartView: the panel hint is a separate argument, always visible ---------------------------
async def test_chart_view_shows_the_hint_whole_with_a_long_title() -> None:
    from textual.app import App

    from lmtui.tui.services import Services
    from lmtui.tui.widgets.simpane import ChartView

    class ChartApp(App):
        def __init__(self) -> None:
            super().__init__()
            self.services = Services(self, color=False)

        def compose(self):
            yield ChartView()

    chart = Chart([loss_panel(LONG), slope_panel()], caption="")
    app = ChartApp()
    async with app.run_test(size=(44, 16)) as pilot:
        view = app.query_one(ChartView)
        view.show(chart)
        await pilot.pause()
        first = view.render().plain.split("\n")[0]
        assert view.single and first.rstrip().endswith("[v: panel 1/2]") and "…" in first
        view.next_panel()
        await pilot.pause()
        assert view.render().plain.split("\n")[0].strip() == "error vs n [v: panel 2/2]"


@pytest.mark.parametrize("top", [1, 3, 40])
def test_a_count_axis_has_whole_number_ticks(top):
    """A histogram of learners (the room's predictions) says 0, 1, 2 learners, never 0.1 or 0.5."""
    import re

    from lmtui.sims.base import Chart, Line, Panel

    panel = Panel("counts", "x", "learners", ycounts=True,
                  lines=[Line("predictions", [0, 1, 1, 2, 2, 3], [0, 0, top, top, 0, 0], marker="#", connect=True)])
    for rows in (12, 24, 40):
        text = render_chart(Chart([panel]), 60, rows, color=False)
        ticks = re.findall(r"^\s*(\S+)┤", text, re.M)
        assert len(ticks) >= 2 and all(float(t).is_integer() for t in ticks), (rows, ticks)


# -- every series of a panel distinguishable: its own colour while they last, always its own glyph --
KEY = re.compile(r"\x1b\[38;5;(\d+)m(\S+)\x1b\[0m (\S[^\x1b]*?)(?=   |$)")


def legend_keys(text: str) -> dict[str, tuple[str, str]]:
    """label -> (colour number, key glyphs), from a coloured panel's legend lines."""
    keys: dict[str, tuple[str, str]] = {}
    for line in text.split("\n"):
        for colour, glyph, label in KEY.findall(line):
            keys[label.strip()] = (colour, glyph)
    return keys


def crowded_panel(n_measured: int, n_theory: int, hline: bool = False, vline: bool = False) -> Panel:
    x = np.linspace(1, 10, 30)
    lines = [Line(f"m{i}", x, np.sin(x) + i) for i in range(n_measured)]
    lines += [Line(f"t{i}", x, np.cos(x) - i, kind="theory") for i in range(n_theory)]
    return Panel("crowded", lines=lines, hlines=[(0.5, "h")] if hline else [], vlines=[(5.0, "v")] if vline else [])


@pytest.mark.parametrize("n_measured, n_theory, hline, vline", [
    (1, 1, False, False), (3, 3, False, False), (5, 2, False, False), (2, 4, True, False), (6, 1, False, False),
    (1, 5, True, True), (6, 5, True, True), (12, 8, False, False),
])
def test_every_series_of_a_panel_has_its_own_colour_while_they_last_and_its_own_glyph(n_measured, n_theory, hline, vline):
    panel = crowded_panel(n_measured, n_theory, hline, vline)
    keys = legend_keys(render_panel(panel, 200, 60, color=True))
    n = n_measured + n_theory + hline + vline
    assert len(keys) == n, keys
    colours = [colour for colour, _ in keys.values()]
    assert len(set(colours)) == min(n, 7), keys  # seven colours, then they repeat
    glyphs = [glyph for label, (_, glyph) in keys.items() if label != "v"]  # the marked position is a dashed column
    assert len(set(glyphs)) == len(glyphs), keys
    assert len(set(keys.values())) == n  # colour and glyph together: never two alike


def as_shown(number: int, palette, depth):
    """A chart colour as the terminal gets it from the app: through the theme's ANSI palette, then
    down to the terminal's colour depth."""
    from rich.color import Color

    return Color.from_triplet(Color.from_ansi(number).get_truecolor(palette)).downgrade(depth)


def test_measured_and_theory_never_share_a_colour_in_16_colours():
    """The case that merged: three measured lines and two theory lines, in Textual's dark palette at
    16 colours (--color 16), where the third measured line and the first theory line were one red."""
    from rich.color import ColorSystem
    from textual._ansi_theme import MONOKAI

    keys = legend_keys(render_panel(crowded_panel(3, 2), 120, 30, color=True))
    shown = {label: as_shown(int(colour), MONOKAI, ColorSystem.STANDARD) for label, (colour, _) in keys.items()}
    assert len(set(shown.values())) == 5, shown


def test_the_series_palette_stays_distinct_through_textuals_palettes_at_every_depth():
    """The app turns the chart's terminal colours into its theme's (Textual's dark and light ANSI
    palettes) and then down to the terminal's depth: the seven series colours must stay seven."""
    from plotext._utility import colorize
    from rich.color import Color, ColorSystem
    from textual._ansi_theme import ALABASTER, MONOKAI

    from lmtui.core.charts import MEASURED_COLORS, THEORY_COLORS

    numbers = [int(re.search(r"38;5;(\d+)m", colorize("x", name)).group(1)) for name in MEASURED_COLORS + THEORY_COLORS]
    assert len(set(numbers)) == 7
    for palette in (MONOKAI, ALABASTER):
        for depth in (ColorSystem.TRUECOLOR, ColorSystem.EIGHT_BIT, ColorSystem.STANDARD):
            shown = {as_shown(n, palette, depth) for n in numbers}
            assert len(shown) == 7, (palette, depth, shown)
    # before: magenta (13) and red (9) were one colour in the dark palette at any depth
    assert Color.from_ansi(13).get_truecolor(MONOKAI) == Color.from_ansi(9).get_truecolor(MONOKAI)


# -- a legend that cannot show every series says how many it left out --
def legend_entries(line: str) -> list[str]:
    return [entry.strip() for entry in line.strip().split("   ") if entry.strip()]


@pytest.mark.parametrize("ascii_only", [False, True])
@pytest.mark.parametrize("width, height", [(40, 10), (30, 8), (20, 9), (60, 6)])
def test_a_legend_that_cannot_show_every_series_says_how_many_more(width, height, ascii_only):
    panel = crowded_panel(4, 3, hline=True, vline=True)  # nine entries
    text = render_panel(panel, width, height, color=False, ascii_only=ascii_only)
    assert_size(text, width, height)
    rows = text.split("\n")
    legend_rows = [r for r in rows if re.match(r"^(o|\+\d+ more)", r.strip())]
    legend = [e for row in rows[rows.index(legend_rows[0]):] for e in legend_entries(row)]
    more = [e for e in legend if re.fullmatch(r"\+\d+ more", e)]
    assert more, text
    assert legend[-1] == more[0]  # the count comes last
    assert len(legend) - 1 + int(more[0].split()[0][1:]) == 9, legend
    if ascii_only:
        assert text.isascii()


def test_a_legend_that_shows_every_series_adds_nothing():
    text = render_panel(crowded_panel(4, 3, hline=True, vline=True), 120, 30, color=False)
    assert "more" not in text
    assert all(label in text for label in ("m0", "m3", "t0", "t2", " h", " v"))


def test_a_label_too_long_for_the_legend_line_ends_in_an_ellipsis():
    panel = Panel("p", lines=[Line("a measurement with a very long name indeed", [1, 2, 3], [1, 3, 2])])
    legend = render_panel(panel, 30, 12, color=False).split("\n")[-1]
    assert legend.rstrip().endswith("…") and legend.startswith("o a measurement")
    legend = render_panel(panel, 30, 12, color=False, ascii_only=True).split("\n")[-1]
    assert legend.rstrip().endswith("...")


# -- runs compared (a sweep, pinned runs): the plot keeps its rows, the legend folds the runs --
def sweep_panel(values=(0.002, 0.004, 0.008, 0.016, 0.032), bases=("6 GD", "3 GD", "0.5 GD")) -> Panel:
    x = np.linspace(1, 10, 40)
    lines = [Line(f"{base} (lr {lr})", x, np.tanh(x * (j + 1) / 5) * (3 - b))
             for j, lr in enumerate(values) for b, base in enumerate(bases)]
    lines += [Line(base.replace("GD", "ODE"), x, np.tanh(x / 5) * (3 - b), kind="theory") for b, base in enumerate(bases)]
    return Panel("singular values", lines=lines, xlabel="t", ylabel="sigma")


def frame_rows(text: str) -> int:
    """Rows of the plot: from its top edge to its bottom edge."""
    rows = text.split("\n")
    top = next(i for i, r in enumerate(rows) if "┌" in r or r.lstrip().startswith("+-"))
    bottom = next(i for i, r in enumerate(rows) if "└" in r or (i > top and re.search(r"\+[-+]{5,}", r)))
    return bottom - top + 1


@pytest.mark.parametrize("ascii_only", [False, True])
def test_a_sweep_keeps_two_thirds_of_the_panel_for_the_plot_and_names_every_run(ascii_only):
    text = render_panel(sweep_panel(), 48, 19, color=False, ascii_only=ascii_only)  # the chart at 80x24
    assert_size(text, 48, 19)
    assert frame_rows(text) >= 11, text  # was 7: a 12-line legend left the plot four rows inside
    legend = "\n".join(text.split("\n")[-6:])
    assert "6 GD, 3 GD, 0.5 GD:" in legend
    for j, lr in enumerate(("0.002", "0.004", "0.008", "0.016", "0.032")):
        assert re.search(rf"(^|   )\S{{3}} lr {lr}", legend, re.M), legend  # three markers, then the run
    assert "more" not in legend and "6 ODE" in legend


def test_a_sweep_with_room_keeps_the_full_labels():
    text = render_panel(sweep_panel(values=(0.002, 0.004)), 100, 34, color=False)
    assert "o 6 GD (lr 0.002)" in text or "6 GD (lr 0.002)" in text
    assert ":" not in text.split("\n")[-4]  # no folded head


def test_runs_with_different_lines_are_not_folded():
    panel = sweep_panel()
    panel.lines = [ln for ln in panel.lines if ln.label != "3 GD (lr 0.004)"]
    text = render_panel(panel, 48, 19, color=False)
    assert "GD:" not in text
    assert re.search(r"\+\d+ more", text)  # the legend says what it left out instead


def test_panels_that_would_squeeze_the_sweep_are_shown_one_at_a_time():
    sweep = Chart([sweep_panel(), loss_panel(), slope_panel()])
    plain = Chart([loss_panel(), slope_panel(), loss_panel("again")])
    from lmtui.core.charts import panels_fit

    assert panels_fit(plain, 82, 37)  # three small legends: all three fit at 120x40's chart size
    assert not panels_fit(sweep, 82, 37)  # the sweep's legend would leave its plot three rows
    text = render_chart(sweep, 82, 37, color=False, panel=0)
    assert frame_rows(text) >= 20
