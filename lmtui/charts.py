"""Render a chart description (:class:`lmtui.sims.base.Chart`) to terminal text with plotext 5.3.2.

No Textual here: the CLI prints the result directly, the app wraps it in ``Text.from_ansi``.
Every panel gets its own fresh plotext figure (``plotext._figure._figure_class``), so there is no
shared global figure. The output is always exactly ``height`` lines of ``width`` visible columns.

Conventions: measured lines are drawn as points (markers ``o x + * # @``), theory and reference
lines and ``hlines`` as joined lines (markers ``. - : ~``) drawn *under* the measurements. The
legend goes below the plot (plotext's own would cover the data), measured first, with the marker
(``o mean``, ``... theory``), so measured and theory stay distinguishable without colour.
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

from .asciitext import fold, fold_cells
from .sims.base import Chart, Line, Panel

WIDE_MIN = 100  # from this many columns on, panels go side by side
COLUMN_MIN = 50  # ... at least this wide each
PANEL_MIN_W, PANEL_MIN_H = 20, 6  # smaller than this: a one-line summary instead of a plot
GAP = 1  # blank columns between side-by-side panels
COMFORT_H = 11  # a panel shorter than this drops its axis-label line and keeps one legend line
CAPTION_LINES = 2

MEASURED_MARKERS = ("o", "x", "+", "*", "#", "@")
THEORY_MARKERS = (".", "-", ":", "~")
MEASURED_COLORS = ("cyan+", "green+", "magenta+", "blue+", "red+", "white")
THEORY_COLORS = ("orange+", "red+", "gray+", "orange")
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
) -> str:
    """The whole chart: panels in a grid, then the caption, then ``diverged_message`` (if any).

    When space is short the diverged message is kept first, then the caption, then the panels.
    ``panel`` renders only that panel (index modulo the count): see :func:`panels_fit`.
    """
    style = _Style(color, ascii_only)
    footer = _footer(chart.caption, diverged_message, width, style)[-height:] if height > 0 else []
    panels = chart.panels
    if panel is not None and panels:
        panels = [panels[panel % len(panels)]]
    body = _grid(panels, width, height - len(footer), style)
    return "\n".join(_fit_block(body + footer, width, height))


def panels_fit(chart: Chart, width: int, height: int, diverged_message: str | None = None) -> bool:
    """Whether every panel gets at least COMFORT_H rows when all are drawn at this size."""
    if len(chart.panels) <= 1:
        return True
    footer = len(_footer(chart.caption, diverged_message, width, _Style(False, False)))
    rows = math.ceil(len(chart.panels) / _columns(len(chart.panels), width))
    return (height - footer) // rows >= COMFORT_H


def render_panel(panel: Panel, width: int, height: int, *, color: bool = True, ascii_only: bool = False) -> str:
    """One panel as exactly ``height`` lines of ``width`` columns."""
    return "\n".join(_panel_lines(panel, width, height, _Style(color, ascii_only)))


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
        """plotext output with its box drawing made ASCII if asked."""
        return fold_cells(s) if self.ascii_only else s


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


def _grid(panels: Sequence[Panel], width: int, height: int, style: _Style) -> list[str]:
    if height <= 0:
        return []
    if not panels:
        return _waiting("", width, height, style)
    cols = _columns(len(panels), width)
    rows = math.ceil(len(panels) / cols)
    cell_w = (width - GAP * (cols - 1)) // cols
    out: list[str] = []
    for r, cell_h in enumerate(_split(height, rows)):
        cells = [_panel_lines(p, cell_w, cell_h, style) for p in panels[r * cols : (r + 1) * cols]]
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


# ---------------------------------------------------------------------------------------------
# One panel
# ---------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class _Series:
    label: str
    x: np.ndarray
    y: np.ndarray
    theory: bool


@dataclass(frozen=True)
class _Trace:
    label: str
    x: np.ndarray
    y: np.ndarray
    marker: str
    color: str
    theory: bool


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
    return _Series(line.label, x[keep], y[keep], line.kind != "measured")


def _summary(panel: Panel, series: list[_Series], style: _Style) -> str:
    latest = [f"{s.label} {s.y[-1]:.3g}" for s in series if not s.theory and len(s.y)]
    body = ", ".join(latest) if latest else "waiting for data…"
    return style.text(f"{panel.title}: {body}" if panel.title else body)


def _waiting(title: str, width: int, height: int, style: _Style) -> list[str]:
    lines = [""] * height
    lines[0] = style.text(title).center(width)
    lines[height // 2] = style.text("waiting for data…").center(width)
    return lines


def _panel_lines(panel: Panel, width: int, height: int, style: _Style) -> list[str]:
    series = [_clean(line, panel.xlog, panel.ylog) for line in panel.lines]
    if width < PANEL_MIN_W or height < PANEL_MIN_H:
        return _fit_block([_summary(panel, series, style)], width, height)
    series = [s for s in series if len(s.x)]
    if not series:
        return _fit_block(_waiting(panel.title, width, height, style), width, height)
    xs = np.concatenate([s.x for s in series])
    x_axis = _axis(float(xs.min()), float(xs.max()), panel.xlog, max(3, width // 12))
    traces = _traces(panel, series, (x_axis.lo, x_axis.hi))
    compact = height < COMFORT_H
    legend = _legend(traces, width, style)[: 1 if compact else height - PANEL_MIN_H]
    plot_h = height - len(legend)
    ys = np.concatenate([t.y for t in traces])
    y_axis = _y_axis(panel, ys, max(3, (plot_h - 5) // 2 + 1))
    canvas = _draw(panel, traces, x_axis, y_axis, width, plot_h, style, labels=not compact)
    return _fit_block(style.frame(canvas).split("\n")[:plot_h] + legend, width, height)


def _hlines(panel: Panel) -> list[tuple[float, str]]:
    return [(float(y), label) for y, label in panel.hlines if math.isfinite(y) and (y > 0 or not panel.ylog)]


def _traces(panel: Panel, series: list[_Series], x_span: tuple[float, float]) -> list[_Trace]:
    """Everything to draw, in drawing order: hlines, theory lines, then the measurements on top."""
    theory = [(label, np.array(x_span), np.array([y, y])) for y, label in _hlines(panel)]
    theory += [(s.label, s.x, s.y) for s in series if s.theory]
    measured = [(s.label, s.x, s.y) for s in series if not s.theory]
    return [
        _Trace(label, x, y, markers[i % len(markers)], colors[i % len(colors)], is_theory)
        for group, markers, colors, is_theory in (
            (theory, THEORY_MARKERS, THEORY_COLORS, True),
            (measured, MEASURED_MARKERS, MEASURED_COLORS, False),
        )
        for i, (label, x, y) in enumerate(group)
    ]


def _legend(traces: list[_Trace], width: int, style: _Style) -> list[str]:
    """Legend entries (measured first), packed into as few lines of ``width`` columns as fit."""
    lines: list[str] = []
    shown = 0
    for t in sorted((t for t in traces if t.label), key=lambda t: t.theory):
        key = t.marker * 3 if t.theory else t.marker
        text = f"{key} {style.text(t.label)}"
        painted = f"{colorize(key, t.color)} {style.text(t.label)}" if style.color else text
        if lines and shown + 3 + len(text) <= width:
            lines[-1] += "   " + painted
            shown += 3 + len(text)
        else:
            lines.append(painted)
            shown = len(text)
    return lines


def _thin(x: np.ndarray, y: np.ndarray, buckets: int) -> tuple[np.ndarray, np.ndarray]:
    """At most two points per bucket of consecutive points: its lowest and highest (spikes stay)."""
    n = len(x)
    if n <= 2 * buckets:
        return x, y
    bucket = np.arange(n) * buckets // n
    order = np.lexsort((y, bucket))  # by bucket, then by y within it
    starts = np.flatnonzero(np.diff(bucket[order], prepend=-1))
    ends = np.append(starts[1:] - 1, n - 1)
    idx = np.unique(np.concatenate([order[starts], order[ends]]))
    return x[idx], y[idx]


def _draw(
    panel: Panel, traces: list[_Trace], x_axis: _Axis, y_axis: _Axis, width: int, height: int, style: _Style,
    labels: bool = True,
) -> str:
    fig = _figure_class()
    fig.plotsize(width, height)
    fig._set_size(width, height)  # plotsize alone is capped at the terminal size
    fig.theme("clear")
    axis_labels = ((panel.xlabel, fig.xlabel), (panel.ylabel, fig.ylabel)) if labels else ()
    for label, set_label in ((panel.title, fig.title), *axis_labels):
        if label:
            set_label(style.text(label))
    for t in traces:
        draw = fig.plot if t.theory else fig.scatter
        x, y = _thin(t.x, t.y, width // 2 if t.theory else width)
        draw(x.tolist(), y.tolist(), marker=t.marker, color=t.color if style.color else None)
    _apply_axis(fig.xscale, fig.xlim, fig.xticks, x_axis)
    _apply_axis(fig.yscale, fig.ylim, fig.yticks, y_axis)
    return _build(fig, style.color)


def _build(fig: _figure_class, color: bool) -> str:
    """``fig.build()``, but the text is joined in runs of equal colour rather than plotext's
    per-cell loop: the same ANSI text in about 60% of the time, and plain text with no colour."""
    fig._set_sizes()
    fig._build_matrix()
    m = fig.monitor.matrix
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
    if axis.ticks:  # a flat range is left to plotext, which pads it
        lo, hi = (math.log10(axis.lo), math.log10(axis.hi)) if axis.log else (axis.lo, axis.hi)
        lim(lo, hi)  # plotext takes limits in axis space: log10 on a log axis
        ticks(axis.ticks, axis.labels)


# ---------------------------------------------------------------------------------------------
# Axes and ticks
# ---------------------------------------------------------------------------------------------
def _axis(lo: float, hi: float, log: bool, target: int) -> _Axis:
    """An axis over [lo, hi] with about ``target`` ticks; a linear range is widened to round ticks."""
    if not hi - lo > 1e-9 * max(abs(lo), abs(hi)):
        return _Axis(lo, hi, [], [], log)
    return _log_axis(lo, hi, target) if log else _linear_axis(lo, hi, target)


def _y_axis(panel: Panel, ys: np.ndarray, target: int) -> _Axis:
    """The y axis over the data, or exactly over ``panel.ylim`` when that is usable on this axis."""
    if panel.ylim is not None:
        lo, hi = (float(v) for v in panel.ylim)
        if lo < hi and (lo > 0 or not panel.ylog):
            axis = _axis(lo, hi, panel.ylog, target)
            inside = [i for i, t in enumerate(axis.ticks) if lo <= t <= hi]
            return _Axis(lo, hi, [axis.ticks[i] for i in inside], [axis.labels[i] for i in inside], panel.ylog)
    return _axis(float(ys.min()), float(ys.max()), panel.ylog, target)


def _linear_axis(lo: float, hi: float, target: int) -> _Axis:
    """[lo, hi] widened to multiples of a step of 1, 2 or 5 x 10^k giving about ``target`` ticks."""
    raw = (hi - lo) / (target - 1)
    mag = 10.0 ** math.floor(math.log10(raw))
    step = next(m * mag for m in (1, 2, 5, 10) if m * mag >= raw * (1 - 1e-9))
    first, last = math.floor(lo / step + 1e-9), math.ceil(hi / step - 1e-9)
    ticks = [k * step for k in range(first, last + 1)]
    if not 1e-3 <= max(abs(lo), abs(hi)) < 1e6:
        labels = [f"{t:.3g}" for t in ticks]
    else:
        decimals = max(0, -math.floor(math.log10(step) + 1e-9))
        labels = [f"{t:.{decimals}f}" for t in ticks]
    return _Axis(ticks[0], ticks[-1], ticks, labels, False)


def _log_axis(lo: float, hi: float, target: int) -> _Axis:
    """Decade ticks (about ``target``) inside [lo, hi]; lo, middle, hi if fewer than two decades fit."""
    first, last = math.ceil(math.log10(lo) - 1e-9), math.floor(math.log10(hi) + 1e-9)
    if last - first < 1:
        ticks = [lo, math.sqrt(lo * hi), hi]
        return _Axis(lo, hi, ticks, [f"{t:.3g}" for t in ticks], True)
    stride = math.ceil((last - first + 1) / target)
    exps = list(range(first, last + 1, stride))
    return _Axis(lo, hi, [10.0**e for e in exps], [_decade(e) for e in exps], True)


def _decade(e: int) -> str:
    return f"{10.0**e:g}" if -3 <= e <= 4 else f"1e{e}"
