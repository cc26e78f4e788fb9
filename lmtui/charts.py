"""Render a chart description (:class:`lmtui.sims.base.Chart`) to terminal text with plotext 5.3.2.

No Textual here: the CLI prints the result directly, the app wraps it in ``Text.from_ansi``.
Every panel gets its own fresh plotext figure (``plotext._figure._figure_class``), so there is no
shared global figure. The output is always exactly ``height`` lines of ``width`` visible columns.

Conventions: measured lines are drawn as points (markers ``o x + * # @``), theory and reference
lines and ``hlines`` as joined lines (markers ``. - : ~``) drawn *under* the measurements; the
legend shows the marker, so measured and theory stay distinguishable without colour.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from plotext._figure import _figure_class  # the per-figure object of plotext 5 (pinned <6)

from .sims.base import Chart, Line, Panel

WIDE_MIN = 100  # from this many columns on, panels go side by side
COLUMN_MIN = 50  # ... at least this wide each
PANEL_MIN_W, PANEL_MIN_H = 20, 6  # smaller than this: a one-line summary instead of a plot
GAP = 1  # blank columns between side-by-side panels

MEASURED_MARKERS = ("o", "x", "+", "*", "#", "@")
THEORY_MARKERS = (".", "-", ":", "~")
MEASURED_COLORS = ("cyan+", "green+", "magenta+", "blue+", "red+", "white")
THEORY_COLORS = ("orange+", "red+", "gray+", "orange")
DIVERGED_STYLE = "\x1b[1;31m"
RESET = "\x1b[0m"

_ANSI = re.compile(r"\x1b\[[0-9;]*m")
_BOX_ASCII = str.maketrans(
    {
        **dict.fromkeys("─━┄┈╌═", "-"),
        **dict.fromkeys("│┃┆┊╎║", "|"),
        **dict.fromkeys("┌┐└┘├┤┬┴┼╔╗╚╝╠╣╦╩╬╭╮╯╰", "+"),
    }
)
_TEXT_ASCII = {
    "…": "...", "α": "alpha", "β": "beta", "γ": "gamma", "δ": "delta", "ε": "eps", "η": "eta",
    "θ": "theta", "κ": "kappa", "λ": "lambda", "μ": "mu", "ν": "nu", "π": "pi", "ρ": "rho",
    "σ": "sigma", "τ": "tau", "φ": "phi", "χ": "chi", "ψ": "psi", "ω": "omega", "Δ": "Delta",
    "Σ": "Sigma", "Λ": "Lambda", "≈": "~", "≤": "<=", "≥": ">=", "≠": "!=", "×": "x", "·": "*",
    "−": "-", "–": "-", "—": "-", "→": "->", "²": "^2", "³": "^3", "√": "sqrt", "∞": "inf",
    "∝": "~", "±": "+/-", "ˣ": "^x", "⁻": "^-", "¹": "^1", "½": "1/2", "∥": "||", "‖": "||",
}


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
) -> str:
    """The whole chart: panels in a grid, then the caption, then ``diverged_message`` (if any).

    When space is short the diverged message is kept first, then the caption, then the panels.
    """
    style = _Style(color, ascii_only)
    footer = _footer(chart.caption, diverged_message, style)[-height:] if height > 0 else []
    body = _grid(chart.panels, width, height - len(footer), style)
    return "\n".join(_fit_block(body + footer, width, height))


def render_panel(panel: Panel, width: int, height: int, *, color: bool = True, ascii_only: bool = False) -> str:
    """One panel as exactly ``height`` lines of ``width`` columns."""
    return "\n".join(_panel_lines(panel, width, height, _Style(color, ascii_only)))


def to_ascii(text: str) -> str:
    """``text`` with Greek letters and common math signs spelled out, anything else non-ASCII as ``?``."""
    text = "".join(_TEXT_ASCII.get(ch, ch) for ch in text)
    return text.encode("ascii", "replace").decode("ascii")


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

    def output(self, s: str) -> str:
        """plotext output: colours stripped unless wanted, box drawing made ASCII if asked."""
        if not self.color:
            s = _ANSI.sub("", s)
        if self.ascii_only:
            s = s.translate(_BOX_ASCII).encode("ascii", "replace").decode("ascii")
        return s


def _footer(caption: str, diverged_message: str | None, style: _Style) -> list[str]:
    lines = [style.text(caption)] if caption else []
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
        out.extend((" " * GAP).join(row) for row in zip(*cells))
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


def _floats(values: Sequence[float | None]) -> np.ndarray:
    return np.asarray(values, dtype=float).ravel()  # None becomes NaN


def _clean(line: Line, xlog: bool, ylog: bool) -> _Series:
    """Drop NaN/None/inf points, and non-positive ones on a log axis."""
    x, y = _floats(line.x), _floats(line.y)
    n = min(len(x), len(y))
    x, y = x[:n], y[:n]
    keep = np.isfinite(x) & np.isfinite(y)
    if xlog:
        keep &= x > 0
    if ylog:
        keep &= y > 0
    return _Series(line.label, x[keep], y[keep], line.kind != "measured")


def _thin(x: np.ndarray, y: np.ndarray, max_points: int) -> tuple[np.ndarray, np.ndarray]:
    """At most ``max_points`` points, keeping each bucket's min and max (spikes stay visible)."""
    if len(x) <= max_points:
        return x, y
    edges = np.linspace(0, len(x), max_points // 2 + 1).astype(int)
    keep = {a + int(f(y[a:b])) for a, b in zip(edges[:-1], edges[1:]) if b > a for f in (np.argmin, np.argmax)}
    idx = np.fromiter(sorted(keep), dtype=int)
    return x[idx], y[idx]


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
    canvas = _draw(panel, series, width, height, style)
    return _fit_block(style.output(canvas).split("\n"), width, height)


def _draw(panel: Panel, series: list[_Series], width: int, height: int, style: _Style) -> str:
    fig = _figure_class()
    fig.plotsize(width, height)
    fig._set_size(width, height)  # plotsize alone is capped at the terminal size
    fig.theme("clear")
    _labels(fig, panel, style)
    xs = np.concatenate([s.x for s in series])
    x_lim = _x_axis(fig, (float(xs.min()), float(xs.max())), panel.xlog, max(3, width // 12))
    hlines = _hlines(panel)
    ys = np.concatenate([s.y for s in series] + [np.array([y for y, _ in hlines])])
    _y_axis(fig, *_y_range(panel, ys), panel.ylog, max(3, (height - 5) // 2 + 1))
    for i, (y, label) in enumerate(hlines):
        _line(fig, np.array(x_lim), np.array([y, y]), label, i, theory=True, style=style)
    theory = [s for s in series if s.theory]
    for i, s in enumerate(theory, start=len(hlines)):
        _line(fig, *_thin(s.x, s.y, width), s.label, i, theory=True, style=style)
    measured = [s for s in series if not s.theory]  # drawn last: on top of the theory
    for i, s in enumerate(measured):
        _line(fig, *_thin(s.x, s.y, 2 * width), s.label, i, theory=False, style=style)
    return fig.build()


def _labels(fig: _figure_class, panel: Panel, style: _Style) -> None:
    if panel.title:
        fig.title(style.text(panel.title))
    if panel.xlabel:
        fig.xlabel(style.text(panel.xlabel))
    if panel.ylabel:
        fig.ylabel(style.text(panel.ylabel))


def _hlines(panel: Panel) -> list[tuple[float, str]]:
    return [(float(y), label) for y, label in panel.hlines if math.isfinite(y) and (y > 0 or not panel.ylog)]


def _line(fig: _figure_class, x: np.ndarray, y: np.ndarray, label: str, i: int, *, theory: bool, style: _Style) -> None:
    markers, colors = (THEORY_MARKERS, THEORY_COLORS) if theory else (MEASURED_MARKERS, MEASURED_COLORS)
    draw = fig.plot if theory else fig.scatter
    color = colors[i % len(colors)] if style.color else None
    draw(x.tolist(), y.tolist(), marker=markers[i % len(markers)], color=color, label=style.text(label) or None)


def _y_range(panel: Panel, ys: np.ndarray) -> tuple[tuple[float, float], bool]:
    """The y range to show, and whether it is fixed (a ``panel.ylim`` usable on this axis)."""
    if panel.ylim is not None:
        lo, hi = (float(v) for v in panel.ylim)
        if lo < hi and (lo > 0 or not panel.ylog):
            return (lo, hi), True
    return (float(ys.min()), float(ys.max())), False


def _spans(lo: float, hi: float) -> bool:
    """Whether [lo, hi] is wide enough for ticks of its own (else plotext pads a flat range)."""
    return hi - lo > 1e-9 * max(abs(lo), abs(hi))


def _axis_space(lim: tuple[float, float], log: bool) -> tuple[float, float]:
    """plotext takes limits in axis space: log10 of the values on a log axis."""
    return (math.log10(lim[0]), math.log10(lim[1])) if log else lim


def _x_axis(fig: _figure_class, lim: tuple[float, float], log: bool, target: int) -> tuple[float, float]:
    """Scale, limits and ticks of the x axis; returns the limits (a linear range is widened to round ticks)."""
    if log:
        fig.xscale("log")
    if not _spans(*lim):
        return lim
    lo, hi, ticks, labels = _log_ticks(*lim, target) if log else _linear_axis(*lim, target)
    fig.xlim(*_axis_space((lo, hi), log))
    fig.xticks(ticks, labels)
    return lo, hi


def _y_axis(fig: _figure_class, lim: tuple[float, float], fixed: bool, log: bool, target: int) -> None:
    """Like the x axis, but a ``fixed`` range is kept exactly instead of widened."""
    if log:
        fig.yscale("log")
    if not _spans(*lim):
        return
    lo, hi, ticks, labels = _log_ticks(*lim, target) if log else _linear_axis(*lim, target)
    if fixed:
        lo, hi = lim
        inside = [i for i, t in enumerate(ticks) if lo <= t <= hi]
        ticks, labels = [ticks[i] for i in inside], [labels[i] for i in inside]
    fig.ylim(*_axis_space((lo, hi), log))
    fig.yticks(ticks, labels)


def _linear_axis(lo: float, hi: float, target: int) -> tuple[float, float, list[float], list[str]]:
    """[lo, hi] widened to round numbers, with about ``target`` ticks at steps of 1, 2 or 5 x 10^k."""
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
    return ticks[0], ticks[-1], ticks, labels


def _log_ticks(lo: float, hi: float, target: int) -> tuple[float, float, list[float], list[str]]:
    """Decade ticks (about ``target``) inside [lo, hi]; lo, middle, hi if fewer than two decades fit."""
    first, last = math.ceil(math.log10(lo) - 1e-9), math.floor(math.log10(hi) + 1e-9)
    if last - first < 1:
        ticks = [lo, math.sqrt(lo * hi), hi]
        return lo, hi, ticks, [f"{t:.3g}" for t in ticks]
    stride = math.ceil((last - first + 1) / target)
    exps = list(range(first, last + 1, stride))
    return lo, hi, [10.0**e for e in exps], [_decade(e) for e in exps]


def _decade(e: int) -> str:
    return f"{10.0**e:g}" if -3 <= e <= 4 else f"1e{e}"
