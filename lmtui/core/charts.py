"""Render a chart description (:class:`lmtui.sims.base.Chart`) to terminal text.

No Textual here: the CLI prints the result directly, the app wraps it in ``Text.from_ansi``.
plotext 5.3.2 lays out each panel's frame and tick labels (a fresh ``_figure_class`` per panel, so
there is no shared global figure); the data are then drawn onto plotext's cell matrix by this
module, which is what lets theory and measurement stay visible together:

* theory and reference lines and ``hlines`` are joined lines (markers ``. - : ~ ^ ' ; "``); where
  two of them run through the same cells they alternate, so both show. ``vlines`` are dashed columns.
* measured lines are markers (``o x * # @ %``, then ``& = $ < > v w z s n`` when a comparison
  draws more lines; never ``+``, which is what the frame's ticks become in ASCII) drawn on top, and *sparse* where they are dense: with k measured lines and a theory
  beneath, each keeps one marker in every k + 1 columns, the lines offset from each other, so
  where a measurement lies on its theory (or on another measurement) the result reads
  ``o.x.o.x`` and every glyph is there. Spikes survive (a column's extremes are kept). Where two
  sparse measurements land on the same cell, the later one moves a column or two aside.

The title (shortened with an ellipsis when it does not fit; an optional ``hint`` such as the app's
``[v: panel 1/2]`` is always kept whole), the axis labels and the legend (measured first, with
markers, so measured and theory stay distinguishable without colour) are composed here, so plotext
never silently drops them. Axes span the data exactly, with round ticks inside. The output is
always exactly ``height`` lines of ``width`` visible columns.
"""

from __future__ import annotations

import itertools
import math
import re
import textwrap
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
from plotext._figure import _figure_class  # the per-figure object of plotext 5 (pinned <6)
from plotext._utility import ansi_end, colorize, colors_to_ansi

from lmtui.core.asciitext import fold, fold_cells
from lmtui.sims.base import Chart, Line, Panel

WIDE_MIN = 100  # from this many columns on, panels go side by side
COLUMN_MIN = 50  # ... at least this wide each
PANEL_MIN_W, PANEL_MIN_H = 20, 6  # smaller than this: a one-line summary instead of a plot
GAP = 1  # blank columns between side-by-side panels
COMFORT_H = 11  # a panel shorter than this drops its axis-label line and keeps one legend line
LEGEND_SHARE = 3  # the legend takes at most a third of a panel's rows: the plot keeps the rest
PLOT_MIN_H = 9  # rows of plot (with its frame and ticks) each panel keeps when all are drawn together
CAPTION_LINES = 2
MAX_STRIDE = 5  # a dense measured line keeps at least one marker in this many columns

# one per measured line: a comparison of four runs of four lines each still tells every line apart
# without colour
MEASURED_MARKERS = ("o", "x", "*", "#", "@", "%", "&", "=", "$", "<", ">", "v", "w", "z", "s", "n")
THEORY_MARKERS = (".", "-", ":", "~", "^", "'", ";", '"')
VLINE_MARKER = "┆"  # a dashed column; "|" in ASCII
# Series colours (plotext names of terminal colours 14, 10, 9, 4, 15 and 11, 3). The app passes them
# through its theme's ANSI palette and then down to the terminal's depth, where many merge: in
# Textual's dark palette 1, 5, 9 and 13 are one red and 12 is 4, and at 16 colours its orange (3)
# becomes bright red. These seven stay distinct through Textual's dark and light palettes at every
# depth, and on a terminal's own palette. Every series of a panel gets its own while they last
# (measured lines from the first list, theory lines from the second, then from what the other left).
MEASURED_COLORS = ("cyan+", "green+", "red+", "blue", "white")
THEORY_COLORS = ("orange+", "orange")
FADED_COLORS = ("gray", "gray+")  # earlier runs drawn beneath the current one
DIVERGED_STYLE = "\x1b[1;31m"
RESET = "\x1b[0m"

_ANSI = re.compile(r"\x1b\[[0-9;]*m")


# ---------------------------------------------------------------------------------------------
# Public API
# ---------------------------------------------------------------------------------------------
def render_chart(
    chart: Chart,
    width: int,
    height: int,
    *,
    color: bool = True,
    ascii_only: bool = False,
    diverged_message: str | None = None,
    panel: int | None = None,
    hint: str | None = None,
) -> str:
    """The whole chart: panels in a grid, then the caption, then ``diverged_message`` (if any).

    When space is short the diverged message is kept first, then the caption, then the panels.
    ``panel`` renders only that panel (index modulo the count): see :func:`panels_fit`. ``hint``
    (e.g. ``"[v: panel 1/2]"``) is shown whole at the end of the first drawn panel's title line;
    the title gives way to it.
    """
    style = _Style(color, ascii_only)
    footer = _footer(chart.caption, diverged_message, width, style)[-height:] if height > 0 else []
    panels = chart.panels
    if panel is not None and panels:
        panels = [panels[panel % len(panels)]]
    body = _grid(panels, width, height - len(footer), style, hint)
    return "\n".join(_fit_block(body + footer, width, height))


def panels_fit(chart: Chart, width: int, height: int, diverged_message: str | None = None) -> bool:
    """Whether every panel, when all are drawn at this size, gets at least COMFORT_H rows and keeps
    a plot of at least PLOT_MIN_H rows beside its legend (a sweep's legend is long)."""
    if len(chart.panels) <= 1:
        return True
    style = _Style(False, False)
    footer = len(_footer(chart.caption, diverged_message, width, style))
    cols = _columns(len(chart.panels), width)
    rows = math.ceil(len(chart.panels) / cols)
    cell_h = min(_split(height - footer, rows))
    if cell_h < COMFORT_H:
        return False
    cell_w = (width - GAP * (cols - 1)) // cols
    for panel in chart.panels:
        layout = _layout(panel, cell_w, cell_h, style)
        if layout is not None and layout[-1] < PLOT_MIN_H:
            return False
    return True


def comfortable_height(chart: Chart, width: int, height: int, diverged_message: str | None = None) -> int:
    """``height``, or taller (up to three times) until every panel has the rows to keep its axis
    titles and a plot beside its legend: for output that scrolls (``sim run --plot``, an export),
    where a chart of panels stacked need not be squeezed into one screen."""
    tallest = 3 * height
    while height < tallest and not panels_fit(chart, width, height, diverged_message):
        height += 1
    return height


def render_panel(
    panel: Panel, width: int, height: int, *, color: bool = True, ascii_only: bool = False, hint: str | None = None
) -> str:
    """One panel as exactly ``height`` lines of ``width`` columns."""
    return "\n".join(_panel_lines(panel, width, height, _Style(color, ascii_only), hint))


def to_ascii(text: str) -> str:
    """``text`` with Greek letters and common math signs spelled out, anything else non-ASCII as ``?``."""
    return fold(text)


def visible_width(text: str) -> int:
    """Columns ``text`` occupies on screen (escape sequences take none)."""
    return len(_ANSI.sub("", text))


# ---------------------------------------------------------------------------------------------
# Layout
# ---------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class _Style:
    color: bool
    ascii_only: bool

    def text(self, s: str) -> str:
        """Label text as given, or transliterated to ASCII."""
        return to_ascii(s) if self.ascii_only else s

    def frame(self, s: str) -> str:
        """Drawn cells (box drawing, markers) made ASCII if asked, one cell for one cell."""
        return fold_cells(s) if self.ascii_only else s

    @property
    def ellipsis(self) -> str:
        return "..." if self.ascii_only else "…"


def _footer(caption: str, diverged_message: str | None, width: int, style: _Style) -> list[str]:
    """The caption (wrapped to at most two lines) and the diverged message."""
    lines = textwrap.wrap(style.text(caption), max(width, 1))[:CAPTION_LINES]
    if diverged_message:
        text = style.text(diverged_message)
        lines.append(f"{DIVERGED_STYLE}{text}{RESET}" if style.color else text)
    return lines


def _columns(n_panels: int, width: int) -> int:
    if width < WIDE_MIN:
        return 1
    return max(1, min(n_panels, width // COLUMN_MIN))


def _split(total: int, parts: int) -> list[int]:
    """``total`` cut into ``parts`` near-equal non-negative sizes, larger ones first."""
    base, extra = divmod(max(total, 0), parts)
    return [base + (1 if i < extra else 0) for i in range(parts)]


def _grid(panels: Sequence[Panel], width: int, height: int, style: _Style, hint: str | None = None) -> list[str]:
    if height <= 0:
        return []
    if not panels:
        return _waiting("", width, height, style, hint)
    cols = _columns(len(panels), width)
    rows = math.ceil(len(panels) / cols)
    cell_w = (width - GAP * (cols - 1)) // cols
    out: list[str] = []
    for r, cell_h in enumerate(_split(height, rows)):
        cells = [_panel_lines(p, cell_w, cell_h, style, hint if r == 0 and i == 0 else None)
                 for i, p in enumerate(panels[r * cols : (r + 1) * cols])]
        out.extend((" " * GAP).join(row) for row in zip(*cells, strict=True))
    return out


def _fit_line(line: str, width: int) -> str:
    """Pad or crop ``line`` to exactly ``width`` visible columns, keeping its escapes intact."""
    shown = visible_width(line)
    if shown <= width:
        return line + " " * (width - shown)
    out, used, pos = [], 0, 0
    for m in _ANSI.finditer(line):
        chunk = line[pos : m.start()][: width - used]
        out.append(chunk)
        used += len(chunk)
        out.append(m.group())
        pos = m.end()
    out.append(line[pos:][: width - used])
    return "".join(out) + (RESET if "\x1b" in line else "")


def _fit_block(lines: list[str], width: int, height: int) -> list[str]:
    lines = lines[:height] + [""] * (height - len(lines))
    return [_fit_line(line, width) for line in lines]


def _shorten(text: str, room: int, style: _Style) -> str:
    """``text`` cut to ``room`` columns, ending in an ellipsis when cut."""
    if len(text) <= room:
        return text
    ell = style.ellipsis if room > len(style.ellipsis) else ""
    return text[: max(room - len(ell), 0)].rstrip() + ell


def _wrapped(text: str, width: int, lines: int, style: _Style) -> list[str]:
    """``text`` wrapped in at most ``lines`` lines of ``width`` columns, the lines after the first
    indented by two; the last cut with an ellipsis when the text goes on."""
    wrapped = textwrap.wrap(text, width, subsequent_indent="  ") or [""]
    if len(wrapped) <= lines:
        return wrapped
    rest = " ".join(line.strip() for line in wrapped[lines - 1:])
    indent = "  " if lines > 1 else ""
    return wrapped[: lines - 1] + [indent + _shorten(rest, width - len(indent), style)]


def _with_hint(text: str, hint: str | None, width: int, style: _Style) -> str:
    """``text`` shortened so that `` hint`` fits after it in ``width`` columns (the hint whole)."""
    if not hint:
        return _shorten(text, width, style)
    hint = style.text(hint)
    if len(hint) >= width:
        return hint[:width]
    room = width - len(hint) - 1
    head = _shorten(text, room, style) if text else ""
    return f"{head} {hint}" if head else hint


def _title_row(title: str, hint: str | None, width: int, style: _Style) -> str:
    return _with_hint(style.text(title), hint, width, style).center(width)


def _labels_row(xlabel: str, ylabel: str, width: int, style: _Style) -> str:
    """The y label at the left, the x label centred, neither dropped (the y label gives way)."""
    x = _shorten(style.text(xlabel), max(width - 2, 0), style)
    start = max((width - len(x)) // 2, 0)
    room = start - 1 if x else width
    y = _shorten(style.text(ylabel), room, style) if room > 0 else ""
    row = y.ljust(start) + x if x else y
    return row[:width]


# ---------------------------------------------------------------------------------------------
# One panel
# ---------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class _Series:
    label: str
    x: np.ndarray
    y: np.ndarray
    kind: str
    marker: str | None
    connect: bool
    faded: bool = False


@dataclass(frozen=True)
class _Trace:
    label: str
    x: np.ndarray
    y: np.ndarray
    marker: str
    color: str
    layer: str  # "vline", "theory" (also reference lines and hlines) or "measured"
    connect: bool = False
    faded: bool = False


@dataclass(frozen=True)
class _Axis:
    lo: float
    hi: float
    ticks: list[float]
    labels: list[str]
    log: bool


def _clean(line: Line, xlog: bool, ylog: bool) -> _Series:
    """Drop NaN/None/inf points, and non-positive ones on a log axis."""
    x = np.asarray(line.x, dtype=float).ravel()  # None becomes NaN
    y = np.asarray(line.y, dtype=float).ravel()
    n = min(len(x), len(y))
    x, y = x[:n], y[:n]
    keep = np.isfinite(x) & np.isfinite(y)
    if xlog:
        keep &= x > 0
    if ylog:
        keep &= y > 0
    return _Series(line.label, x[keep], y[keep], line.kind, line.marker, line.connect, line.faded)


def _summary(panel: Panel, series: list[_Series], style: _Style, hint: str | None, width: int) -> str:
    latest = [f"{s.label} {s.y[-1]:.3g}" for s in series if s.kind == "measured" and len(s.y)]
    body = ", ".join(latest) if latest else "waiting for data…"
    return _with_hint(style.text(f"{panel.title}: {body}" if panel.title else body), hint, width, style)


def _waiting(title: str, width: int, height: int, style: _Style, hint: str | None = None) -> list[str]:
    lines = [""] * height
    lines[0] = _title_row(title, hint, width, style)
    lines[height // 2] = style.text("waiting for data…").center(width)
    return lines


def _vlines(panel: Panel) -> list[tuple[float, str]]:
    return [(float(x), label) for x, label in panel.vlines if math.isfinite(x) and (x > 0 or not panel.xlog)]


def _hlines(panel: Panel) -> list[tuple[float, str]]:
    return [(float(y), label) for y, label in panel.hlines if math.isfinite(y) and (y > 0 or not panel.ylog)]


def _panel_lines(panel: Panel, width: int, height: int, style: _Style, hint: str | None = None) -> list[str]:
    series = [_clean(line, panel.xlog, panel.ylog) for line in panel.lines]
    if width < PANEL_MIN_W or height < PANEL_MIN_H:
        return _fit_block([_summary(panel, series, style, hint, width)], width, height)
    layout = _layout(panel, width, height, style)
    if layout is None:
        return _fit_block(_waiting(panel.title, width, height, style, hint), width, height)
    traces, x_axis, legend, labels, plot_h = layout
    ys = np.concatenate([t.y for t in traces if t.layer != "vline"])
    y_axis = _y_axis(panel, ys, max(3, (plot_h - 4) // 2 + 1))
    canvas = _draw(traces, x_axis, y_axis, width, plot_h, style)
    title = _title_row(panel.title, hint, width, style)
    return _fit_block([title, *canvas.split("\n")[:plot_h], *labels, *legend], width, height)


def _layout(panel: Panel, width: int, height: int, style: _Style):
    """What a panel of this size draws: (traces, x axis, legend lines, label lines, plot rows), or
    None when it has no data yet."""
    series = [s for s in (_clean(line, panel.xlog, panel.ylog) for line in panel.lines) if len(s.x)]
    if not series:
        return None
    vlines = _vlines(panel)
    xs = np.concatenate([s.x for s in series] + [np.array([v for v, _ in vlines])])
    x_axis = _axis(float(xs.min()), float(xs.max()), panel.xlog, max(3, width // 12))
    traces = _traces(panel, series, vlines, (x_axis.lo, x_axis.hi))
    compact = height < COMFORT_H
    legend = _legend(traces, width, style, 1 if compact else max(2, min(height - PANEL_MIN_H, height // LEGEND_SHARE)))
    labels = [] if compact or not (panel.xlabel or panel.ylabel) else [_labels_row(panel.xlabel, panel.ylabel, width, style)]
    return traces, x_axis, legend, labels, height - 1 - len(labels) - len(legend)


def _traces(panel: Panel, series: list[_Series], vlines: list[tuple[float, str]], x_span: tuple[float, float]) -> list[_Trace]:
    """Everything to draw, in drawing order: vlines, hlines, theory lines, then the measurements."""
    theory = [(label, np.array(x_span), np.array([y, y]), None) for y, label in _hlines(panel)]
    theory += [(s.label, s.x, s.y, s.marker) for s in series if s.kind != "measured"]
    measured = [s for s in series if s.kind == "measured"]
    # faded lines (earlier runs) are drawn first, so the current run is on top where they meet
    measured = [s for s in measured if s.faded] + [s for s in measured if not s.faded]
    fixed = {s.marker for s in measured if s.marker}
    auto = itertools.cycle([m for m in MEASURED_MARKERS if m not in fixed] or MEASURED_MARKERS)
    fixed_theory = {marker for *_, marker in theory if marker}
    auto_theory = itertools.cycle([m for m in THEORY_MARKERS if m not in fixed_theory] or THEORY_MARKERS)
    current = [s for s in measured if not s.faded]
    theory_colors, measured_colors = _series_colors(len(theory) + len(vlines), len(current))
    out = [_Trace(label, x, y, marker or next(auto_theory), color, "theory")
           for (label, x, y, marker), color in zip(theory, theory_colors)]
    out[:0] = [_Trace(label, np.array([x, x]), np.array([math.nan, math.nan]), VLINE_MARKER, color, "vline")
               for (x, label), color in zip(vlines, theory_colors[len(theory):])]
    bright = iter(measured_colors)
    out += [_Trace(s.label, s.x, s.y, s.marker or next(auto),
                   FADED_COLORS[i % len(FADED_COLORS)] if s.faded else next(bright), "measured", s.connect, s.faded)
            for i, s in enumerate(measured)]
    return out


def _series_colors(n_theory: int, n_measured: int) -> tuple[list[str], list[str]]:
    """Colours for the theory lines (and marked positions) and the current measured lines of one
    panel: all different while the palette lasts, then repeating (the glyphs still tell them apart)."""
    theory = list(THEORY_COLORS[:n_theory])
    measured = list(MEASURED_COLORS[:n_measured])
    spare = [c for c in THEORY_COLORS + MEASURED_COLORS if c not in theory and c not in measured]
    while len(measured) < n_measured and spare:
        measured.append(spare.pop(0))  # unused theory colours first
    while len(theory) < n_theory and spare:
        theory.append(spare.pop(0))  # unused measured colours, white (the text's own colour) last
    palette = MEASURED_COLORS + THEORY_COLORS
    measured += [palette[i % len(palette)] for i in range(n_measured - len(measured))]
    theory += [palette[-1 - i % len(palette)] for i in range(n_theory - len(theory))]
    return theory, measured


def _legend(traces: list[_Trace], width: int, style: _Style, max_lines: int) -> list[str]:
    """Legend entries (measured first), packed into at most ``max_lines`` lines of ``width``
    columns. When they do not fit and the measured lines are runs compared (labels ``line (what
    differs)``, the same lines in every run), each run becomes one entry of its markers in order,
    after a head naming the lines: ``6 GD, 3 GD:  ox lr 0.002   *# lr 0.004``. When still not all
    fit, the last entries give way to ``+N more``, so none goes unmentioned; a label too long for a
    line is shortened with an ellipsis."""
    order = {"measured": 0, "theory": 1, "vline": 2}
    ordered = sorted((t for t in traces if t.label), key=lambda t: (order[t.layer], t.faded))
    entries = [_entry([t], t.label, width, style) for t in ordered]
    lines = _pack(entries, width)
    budget = max(max_lines, 1)
    if len(lines) > budget:
        grid = _grid_entries(ordered, width, style)
        if grid is not None and len(grid) < len(entries):
            entries, lines = grid, _pack(grid, width)
    keep = len(entries)
    while len(lines) > budget and keep > 0:
        keep -= 1
        more = f"+{len(entries) - keep} more"
        lines = _pack([*entries[:keep], (more, more)], width)
    return lines[:budget]


def _entry(traces: list[_Trace], label: str, width: int, style: _Style) -> tuple[str, str]:
    """One legend entry (plain, painted): the traces' keys, then the label."""
    keys = [style.frame(t.marker * 3 if t.layer == "theory" else t.marker) for t in traces]
    plain_keys = "".join(keys)
    painted_keys = "".join(colorize(k, t.color) for k, t in zip(keys, traces)) if style.color else plain_keys
    label = _shorten(style.text(label), max(width - len(plain_keys) - 1, 1), style)
    return f"{plain_keys} {label}", f"{painted_keys} {label}"


_COMPARED = re.compile(r"^(.*\S) \((.+)\)$")  # "6 GD (lr 0.002)": a line of one of the runs compared


def _grid_entries(ordered: list[_Trace], width: int, style: _Style) -> list[tuple[str, str]] | None:
    """The legend with the runs compared folded: a head naming the lines in order, then one entry
    per run (its markers in that order, then what differs). None when the labels are not of
    compared runs (two or more, each with the same lines)."""
    runs: dict[str, list[tuple[str, _Trace]]] = {}
    for t in ordered:
        m = _COMPARED.match(t.label) if t.layer == "measured" else None
        if m:
            runs.setdefault(m.group(2), []).append((m.group(1), t))
    names = [[name for name, _ in lines] for lines in runs.values()]
    if len(runs) < 2 or any(n != names[0] for n in names):
        return None
    folded = {id(t) for lines in runs.values() for _, t in lines}
    head = style.text(", ".join(names[0]) + ":")
    out = [(head, head)]
    out += [_entry([t for _, t in lines], note, width, style) for note, lines in runs.items()]
    out += [_entry([t], t.label, width, style) for t in ordered if id(t) not in folded]
    return out


def _pack(entries: list[tuple[str, str]], width: int) -> list[str]:
    """Entries three spaces apart, as many to a line of ``width`` columns as fit."""
    lines: list[str] = []
    shown = 0
    for text, painted in entries:
        if lines and shown + 3 + len(text) <= width:
            lines[-1] += "   " + painted
            shown += 3 + len(text)
        else:
            lines.append(painted)
            shown = len(text)
    return lines


# ---------------------------------------------------------------------------------------------
# Drawing the data onto plotext's cell matrix
# ---------------------------------------------------------------------------------------------
class _Canvas:
    """The data area of a built plotext matrix: cells addressed (column, row from the bottom)."""

    def __init__(self, matrix, x_axis: _Axis, y_axis: _Axis, color: bool) -> None:
        self.m = matrix
        self.c0, self.r0 = matrix.Cols_canvas.start, matrix.Rows_canvas.start
        self.w, self.h = len(matrix.Cols_canvas), len(matrix.Rows_canvas)
        self.x_axis, self.y_axis = x_axis, y_axis
        self.color = color
        self.owner: dict[tuple[int, int], tuple[str, int]] = {}  # cell -> (layer, trace index)

    def _scale(self, v: np.ndarray, axis: _Axis, n: int) -> np.ndarray:
        """Fractional cell coordinates: the cell is floor(), as plotext maps its ticks."""
        lo, hi = (math.log10(axis.lo), math.log10(axis.hi)) if axis.log else (axis.lo, axis.hi)
        with np.errstate(all="ignore"):
            v = np.log10(v) if axis.log else np.asarray(v, float)
            return np.round(0.5 + (n - 1) * (v - lo) / (hi - lo), 8)

    def coords(self, x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        return self._scale(x, self.x_axis, self.w), self._scale(y, self.y_axis, self.h)

    def cells(self, x: np.ndarray, y: np.ndarray) -> list[tuple[int, int]]:
        """The cells of points inside the canvas, in order."""
        fx, fy = self.coords(x, y)
        out = []
        for a, b in zip(fx, fy):
            if 0 <= a < self.w and 0 <= b < self.h:
                out.append((int(a), int(b)))
        return out

    def path(self, x: np.ndarray, y: np.ndarray) -> list[tuple[int, int]]:
        """The cells of the polyline through the points, clipped to the canvas."""
        fx, fy = self.coords(x, y)
        out: list[tuple[int, int]] = []
        if len(fx) == 1:
            return self.cells(x, y)
        for i in range(len(fx) - 1):
            seg = _clip(fx[i], fy[i], fx[i + 1], fy[i + 1], self.w, self.h)
            if seg is None:
                continue
            a0, b0, a1, b1 = seg
            n = int(math.ceil(max(abs(a1 - a0), abs(b1 - b0)) * 2)) + 1
            for t in np.linspace(0.0, 1.0, n + 1):
                c, r = int(a0 + (a1 - a0) * t), int(b0 + (b1 - b0) * t)
                if 0 <= c < self.w and 0 <= r < self.h and (not out or out[-1] != (c, r)):
                    out.append((c, r))
        return out

    def put(self, cell: tuple[int, int], marker: str, color: str, owner: tuple[str, int]) -> None:
        c, r = cell
        self.m.marker[self.r0 + r][self.c0 + c] = marker
        if self.color:
            self.m.fullground[self.r0 + r][self.c0 + c] = color
        self.owner[cell] = owner


def _clip(x0: float, y0: float, x1: float, y1: float, w: int, h: int) -> tuple[float, float, float, float] | None:
    """The segment clipped to [0, w) x [0, h) (Liang-Barsky), or None when it misses."""
    if not all(map(math.isfinite, (x0, y0, x1, y1))):
        return None
    t0, t1 = 0.0, 1.0
    dx, dy = x1 - x0, y1 - y0
    top_x, top_y = w - 1e-9, h - 1e-9
    for p, q in ((-dx, x0), (dx, top_x - x0), (-dy, y0), (dy, top_y - y0)):
        if p == 0:
            if q < 0:
                return None
            continue
        t = q / p
        if p < 0:
            t0 = max(t0, t)
        else:
            t1 = min(t1, t)
        if t0 > t1:
            return None
    return x0 + t0 * dx, y0 + t0 * dy, x0 + t1 * dx, y0 + t1 * dy


def _sparse(cells: list[tuple[int, int]], stride: int, phase: int) -> list[tuple[int, int]]:
    """One cell per ``stride`` columns (the buckets shifted by ``phase``), plus a bucket's lowest and
    highest cells when they are two or more rows from it (spikes and steep rises stay visible)."""
    if stride <= 1 and len(cells) == len(set(cells)):
        return cells
    buckets: dict[int, list[tuple[int, int]]] = {}
    for c, r in cells:
        buckets.setdefault((c + phase) // stride, []).append((c, r))
    out: list[tuple[int, int]] = []
    for b, group in buckets.items():
        anchor = b * stride - phase + stride // 2
        rep = min(group, key=lambda cr: abs(cr[0] - anchor))
        out.append(rep)
        low, high = min(group, key=lambda cr: cr[1]), max(group, key=lambda cr: cr[1])
        for extreme in (low, high):
            if abs(extreme[1] - rep[1]) >= 2 and extreme not in out:
                out.append(extreme)
    return out


def _draw(traces: list[_Trace], x_axis: _Axis, y_axis: _Axis, width: int, height: int, style: _Style) -> str:
    fig = _figure_class()
    fig.plotsize(width, height)
    fig._set_size(width, height)  # plotsize alone is capped at the terminal size
    fig.theme("clear")
    # an invisible signal at the corners: plotext draws the axes and ticks only of used sides
    fig.scatter([x_axis.lo, x_axis.hi], [y_axis.lo, y_axis.hi], marker=" ")
    _apply_axis(fig.xscale, fig.xlim, fig.xticks, x_axis)
    _apply_axis(fig.yscale, fig.ylim, fig.yticks, y_axis)
    fig._set_sizes()
    fig._build_matrix()
    matrix = fig.monitor.matrix
    canvas = _Canvas(matrix, x_axis, y_axis, style.color)
    if canvas.w > 0 and canvas.h > 0:
        _draw_data(canvas, traces)
    return style.frame(_join(matrix, style.color))


def _draw_data(canvas: _Canvas, traces: list[_Trace]) -> None:
    # 1. marked positions: dashed columns, under everything
    for i, t in enumerate(traces):
        if t.layer == "vline":
            fx = canvas._scale(t.x[:1], canvas.x_axis, canvas.w)[0]
            if 0 <= fx < canvas.w:
                for r in range(canvas.h):
                    canvas.put((int(fx), r), t.marker, t.color, ("vline", i))
    # 2. theory lines; a later one shares the cells it runs through with an earlier one
    n_theory = 0
    for i, t in enumerate(traces):
        if t.layer != "theory":
            continue
        for cell in canvas.path(t.x, t.y):
            held = canvas.owner.get(cell)
            if held is None or held[0] != "theory" or cell[0] % (n_theory + 1) == n_theory:
                canvas.put(cell, t.marker, t.color, ("theory", i))
        n_theory += 1
    # 3. measurements: connected sweeps first, then the (sparse) markers on top
    measured = [(i, t) for i, t in enumerate(traces) if t.layer == "measured"]
    for i, t in measured:
        if t.connect:
            for cell in canvas.path(t.x, t.y):
                held = canvas.owner.get(cell)
                if held is None or held[0] != "point":
                    canvas.put(cell, t.marker, t.color, ("path", i))
    stride = min(MAX_STRIDE, len(measured) + (1 if len(measured) < len(traces) else 0))
    for phase, (i, t) in enumerate(measured):
        cells = canvas.cells(t.x, t.y)
        if len({c for c, _ in cells}) > canvas.w / max(stride, 1) and not t.connect:
            cells = _sparse(cells, stride, phase % max(stride, 1))
        elif len(cells) != len(set(cells)):
            cells = list(dict.fromkeys(cells))
        for c, r in cells:
            cell = (c, r)
            held = canvas.owner.get(cell)
            if held is not None and held[0] == "point" and held[1] != i:
                for alt in ((c + 1, r), (c - 1, r), (c + 2, r), (c - 2, r)):
                    if 0 <= alt[0] < canvas.w and canvas.owner.get(alt, ("", -1))[0] != "point":
                        cell = alt
                        break
            canvas.put(cell, t.marker, t.color, ("point", i))


def _join(matrix, color: bool) -> str:
    """The matrix as text, joined in runs of equal colour rather than plotext's per-cell loop
    (the same ANSI text, its colour codes worked out once per run instead of once per cell), and
    plain text with no colour."""
    m = matrix
    if not color:
        return "\n".join("".join(m.marker[row]) for row in m.Rows[::-1])
    lines = []
    for row in m.Rows[::-1]:
        cells = zip(m.marker[row], m.fullground[row], m.style[row], m.background[row], strict=True)
        runs = itertools.groupby(cells, key=lambda cell: cell[1:])
        lines.append("".join(colors_to_ansi(*look) + "".join(c[0] for c in run) + ansi_end for look, run in runs))
    return "\n".join(lines)


def _apply_axis(
    scale: Callable[[str], None],
    lim: Callable[[float, float], None],
    ticks: Callable[[list[float], list[str]], None],
    axis: _Axis,
) -> None:
    if axis.log:
        scale("log")
    lo, hi = (math.log10(axis.lo), math.log10(axis.hi)) if axis.log else (axis.lo, axis.hi)
    lim(lo, hi)  # plotext takes limits in axis space: log10 on a log axis
    ticks(axis.ticks, axis.labels)


# ---------------------------------------------------------------------------------------------
# Axes and ticks: the axis spans the data; the ticks are round numbers inside it
# ---------------------------------------------------------------------------------------------
def _axis(lo: float, hi: float, log: bool, target: int) -> _Axis:
    """An axis over exactly [lo, hi] with about ``target`` round ticks inside (a flat range is padded)."""
    if not hi - lo > 1e-9 * max(abs(lo), abs(hi), 1e-300):
        if log:
            lo, hi = lo / 1.5, hi * 1.5
        else:
            pad = 0.1 * abs(lo) if lo != 0 else 1.0
            lo, hi = lo - pad, hi + pad
        mid = math.sqrt(lo * hi) if log else 0.5 * (lo + hi)
        return _Axis(lo, hi, [mid], [f"{mid:.3g}"], log)
    return _log_axis(lo, hi, target) if log else _linear_axis(lo, hi, target)


def _y_axis(panel: Panel, ys: np.ndarray, target: int) -> _Axis:
    """The y axis over the data, or exactly over ``panel.ylim`` when that is usable on this axis."""
    lo = hi = math.nan
    if panel.ylim is not None:
        lo, hi = (float(v) for v in panel.ylim)
    if not (lo < hi and (lo > 0 or not panel.ylog)):
        ys = ys[np.isfinite(ys)]
        lo, hi = float(ys.min()), float(ys.max())
    if panel.ycounts and not panel.ylog and hi - lo > 1e-9:
        return _linear_axis(lo, hi, target, min_step=1.0)
    return _axis(lo, hi, panel.ylog, target)


_NICE = (1.0, 2.0, 5.0)


def _nice_steps(raw: float):
    """Round steps (1, 2, 5 x 10^k) from the first >= raw downwards."""
    k = math.floor(math.log10(raw))
    i = next((j for j, m in enumerate(_NICE) if m * 10.0**k >= raw * (1 - 1e-9)), None)
    if i is None:
        k, i = k + 1, 0
    while True:
        yield _NICE[i] * 10.0**k
        i -= 1
        if i < 0:
            k, i = k - 1, len(_NICE) - 1


def _linear_axis(lo: float, hi: float, target: int, min_step: float = 0.0) -> _Axis:
    """Ticks at multiples of a 1, 2 or 5 x 10^k step (at least ``min_step``) inside [lo, hi]:
    about ``target``, at least 2."""
    need = min(3, target)
    for step in _nice_steps(max((hi - lo) / max(target - 1, 1), min_step)):
        first, last = math.ceil(lo / step - 1e-9), math.floor(hi / step + 1e-9)
        if last - first + 1 >= need or step < (hi - lo) * 1e-6 or step / 2 < min_step:
            break
    ticks = [k * step + 0.0 for k in range(first, last + 1)]
    if not 1e-3 <= max(abs(lo), abs(hi)) < 1e6:
        labels = [f"{t:.3g}" for t in ticks]
    else:
        decimals = max(0, -math.floor(math.log10(step) + 1e-9))
        labels = [f"{t:.{decimals}f}" for t in ticks]
    labels = ["0" if float(s) == 0 else s for s in labels]
    return _Axis(lo, hi, ticks, labels, False)


def _log_axis(lo: float, hi: float, target: int) -> _Axis:
    """Decade ticks inside [lo, hi] (about ``target``); 1-2-5 or 1..9 multiples where fewer than two
    decades fit; the ends themselves as a last resort."""
    e_lo, e_hi = math.floor(math.log10(lo)), math.ceil(math.log10(hi))
    for mults in ((1,), (1, 2, 5), tuple(range(1, 10))):
        ticks = [m * 10.0**e for e in range(e_lo, e_hi + 1) for m in mults
                 if lo * (1 - 1e-9) <= m * 10.0**e <= hi * (1 + 1e-9)]
        if len(ticks) >= 2:
            stride = math.ceil(len(ticks) / max(target, 2))
            ticks = ticks[::stride]
            return _Axis(lo, hi, ticks, [_log_label(t) for t in ticks], True)
    return _Axis(lo, hi, [lo, hi], [f"{lo:.3g}", f"{hi:.3g}"], True)


def _log_label(v: float) -> str:
    e = math.floor(math.log10(v) + 1e-9)
    m = round(v / 10.0**e, 6)
    if -3 <= e <= 4:
        return f"{v:.{max(0, -e)}f}"
    return f"{m:g}e{e}"


# ---------------------------------------------------------------------------------------------
# Bars: counts per category (a room's answers per choice)
# ---------------------------------------------------------------------------------------------
def render_bars(rows: Sequence[tuple[str, int]], width: int, *, mark: int | None = None, color: bool = True,
                ascii_only: bool = False, height: int | None = None) -> str:
    """One bar per (label, count), as long as its share of the largest count, then the count and
    its share; row ``mark`` (0-based) ends in ``<- right`` (a word, so it reads without colour).
    Labels that fit in a third of the width go before their bar, longer ones on lines of their
    own above it: as many lines (up to three) as ``height`` rows leave each, the last cut with an
    ellipsis if the label goes on. Every line is at most ``width`` columns."""
    style = _Style(color, ascii_only)
    labels = [style.text(label) for label, _ in rows]
    total = sum(c for _, c in rows) or 1
    tail = max((len(f" {c} ({c / total:.0%})") for _, c in rows), default=0) + (len(" <- right") if mark is not None else 0)
    above = any(len(label) > width // 3 for label in labels)
    label_w = 2 if above else max((len(label) for label in labels), default=0)
    bar_w = max(1, width - label_w - 1 - tail)
    top = max((c for _, c in rows), default=0) or 1
    glyph = "#" if ascii_only else "\u2588"
    label_lines = max(1, min(3, height // max(1, len(rows)) - 1)) if above and height else 1
    out = []
    for i, (label, (_, count)) in enumerate(zip(labels, rows)):
        if above:
            out += _wrapped(label, width, label_lines, style)
        n = round(bar_w * count / top)
        bar = glyph * n
        if color and n:
            bar = colorize(bar, MEASURED_COLORS[1] if i == mark else MEASURED_COLORS[0])
        head = " " * label_w if above else label.ljust(label_w)
        out.append(f"{head} {bar}{' ' * (bar_w - n)} {count} ({count / total:.0%})" + (" <- right" if i == mark else ""))
    return "\n".join(out)
