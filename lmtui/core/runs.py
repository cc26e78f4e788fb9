"""Runs kept for comparison: the figure's history, pinned runs drawn beneath the current one,
sweeps over one parameter, and export to a folder. Headless: the figure view keeps a
:class:`RunBook` per simulation and asks here for the chart to draw.

* :func:`overlay_chart` draws kept runs' measurements beneath the current run's (faded, each with
  its own marker) and labels every measured line with what differs between the runs
  (``measured (ridge 0.5)`` beside ``measured (ridge 0)``); :func:`compare_text` says it in one
  line (``ridge 0 vs 0.5``). The caption stays the current run's verdict.
* :class:`Sweep` runs one parameter over a short list (``0, 0.1, 0.5``); its chart draws every
  run and adds a panel of the chapter's scalar (the simulation's first predictable key), measured
  and predicted, against the swept value.
* :func:`export_runs` writes the chart (text and SVG), the data (tidy CSV with a ``run`` column
  and the parameters that differ, and JSON) and one ``lmtui sim run`` command line per run that reproduces it exactly.
"""

from __future__ import annotations

import csv
import itertools
import json
import math
import shlex
import time
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

from lmtui.sims.base import Chart, Line, Panel, Param, ParamError, Result, Simulation

KEEP = 5  # finished runs kept per simulation in a session
MAX_PINS = 3  # pinned runs drawn at once (the oldest gives way)
SWEEP_MAX = 6  # values in one sweep
EXPORT_DIR = "exports"  # under the learner's home (beside the progress store)
EXPORT_SIZE = (100, 32)  # the text chart's columns and rows (more rows when its panels need them)


@dataclass
class Run:
    """One run of a simulation: what it was started with, and (once finished) its result and chart."""

    params: dict[str, Any]
    seed: int
    result: Result | None = None
    chart: Chart | None = None

    def same_as(self, other: Run) -> bool:
        return self.seed == other.seed and self.params == other.params

    @classmethod
    def of(cls, sim: Simulation, result: Result, chart: Chart | None = None) -> Run:
        return cls(dict(result.params), result.seed, result, chart or sim.chart(result, result.params))


# ---------------------------------------------------------------------------------------------
# What differs
# ---------------------------------------------------------------------------------------------
def _shown(sim: Simulation, name: str, value: Any) -> str:
    if name == "seed":
        return str(value)
    try:
        return sim.param(name).format(value)
    except ParamError:
        return str(value)


def differences(sim: Simulation, runs: Sequence[Run]) -> list[str]:
    """The parameters (and ``seed``) whose values are not the same in every run, in the
    simulation's order."""
    names = [p.name for p in sim.params]
    out = [n for n in names if len({_shown(sim, n, r.params.get(n)) for r in runs}) > 1]
    if len({r.seed for r in runs}) > 1:
        out.append("seed")
    return out


def describe(sim: Simulation, run: Run, names: Sequence[str]) -> str:
    """``ridge 0.5`` (or ``ridge 0.5, seed 1``): the run's values of ``names``."""
    return ", ".join(f"{n} {_shown(sim, n, run.seed if n == 'seed' else run.params.get(n))}" for n in names)


def compare_text(sim: Simulation, current: Run, kept: Sequence[Run]) -> str:
    """One line saying what differs: ``ridge 0 vs 0.5`` (kept runs first, the current run last);
    ``same parameters and seed`` when nothing does."""
    runs = [*kept, current]
    names = differences(sim, runs)
    if not names:
        return "same parameters and seed"
    parts = []
    for n in names:
        values = [_shown(sim, n, r.seed if n == "seed" else r.params.get(n)) for r in runs]
        parts.append(f"{n} {', '.join(values[:-1])} vs {values[-1]}")
    return "; ".join(parts)


# ---------------------------------------------------------------------------------------------
# Charts
# ---------------------------------------------------------------------------------------------
def _labelled(line: Line, note: str, **changes: Any) -> Line:
    return replace(line, label=f"{line.label} ({note})" if note else line.label, **changes)


def _merge_ylim(a: tuple[float, float] | None, b: tuple[float, float] | None) -> tuple[float, float] | None:
    if a is None or b is None:
        return a or b
    return (min(a[0], b[0]), max(a[1], b[1]))


def overlay_chart(sim: Simulation, current: Run, kept: Sequence[Run], *, faded: bool = True) -> Chart:
    """The current run's chart with the kept runs' measurements drawn beneath it (``faded``) or
    beside it (a sweep: ``faded=False``), every measured line labelled with what differs."""
    from lmtui.core.charts import MEASURED_MARKERS

    assert current.chart is not None
    kept = [k for k in kept if k.chart is not None and not k.same_as(current)]
    if not kept:
        return current.chart
    names = differences(sim, [*kept, current])
    now = describe(sim, current, names) if names else "now"
    panels = []
    for i, panel in enumerate(current.chart.panels):
        lines = []  # the kept runs' measurements first (drawn beneath), oldest first
        ylim = panel.ylim
        # kept runs' lines take markers after o and x (the current run's first two), skipping
        # those the simulation fixes (best, diverged); the current run's lines then take the
        # first ones left, so no two lines share one
        fixed = {ln.marker for ln in panel.lines if ln.marker}
        markers = itertools.cycle([m for m in MEASURED_MARKERS[2:] if m not in fixed])
        for j, run in enumerate(kept):
            theirs = run.chart.panels[i] if i < len(run.chart.panels) else None  # type: ignore[union-attr]
            if theirs is None or theirs.title != panel.title:
                continue
            note = describe(sim, run, names) if names else f"pinned {j + 1}"
            for ln in theirs.lines:
                if ln.kind == "measured" and len(ln.x):
                    lines.append(_labelled(ln, note, marker=ln.marker or next(markers), faded=faded))
            if panel.ylim is not None or theirs.ylim is not None:
                ylim = _merge_ylim(ylim, theirs.ylim) if ylim is not None else theirs.ylim
        lines += [_labelled(ln, now) if ln.kind == "measured" else ln for ln in panel.lines]
        panels.append(replace(panel, lines=lines, ylim=ylim))
    return replace(current.chart, panels=panels)


def focus_key(sim: Simulation, runs: Sequence[Run] = ()) -> str | None:
    """The scalar the chapter cares about: the first of the simulation's predictable keys whose
    measured value changes over ``runs`` (a key the swept parameter cannot move, such as a value at
    initialization, says nothing about the sweep), else the first."""
    keys = list(sim.predictable)
    for key in keys:
        values = {_number(r.result.metrics.get(key)) for r in runs if r.result is not None}
        if len({v for v in values if math.isfinite(v)}) > 1:
            return key
    return keys[0] if keys else None


def _number(value: Any) -> float:
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else math.nan


@dataclass
class Sweep:
    """One parameter (or the seed) run over a short list of values, in turn."""

    name: str
    values: list[Any]
    base: dict[str, Any]
    seed: int
    runs: list[Run] = field(default_factory=list)

    @property
    def done(self) -> bool:
        return len(self.runs) >= len(self.values)

    def next_params(self) -> dict[str, Any] | None:
        """The parameters of the next run, or None when every value has run."""
        if self.done:
            return None
        if self.name == "seed":
            return dict(self.base)
        return dict(self.base, **{self.name: self.values[len(self.runs)]})

    def next_seed(self) -> int:
        """The seed of the next run: the swept value in a sweep over seeds, else the sweep's seed."""
        return self.values[len(self.runs)] if self.name == "seed" and not self.done else self.seed

    def value_of(self, run: Run) -> Any:
        """The swept value ``run`` was made with."""
        return run.seed if self.name == "seed" else run.params[self.name]

    def progress(self, sim: Simulation) -> str:
        shown = ", ".join(_shown(sim, self.name, v) for v in self.values)
        return f"sweep {self.name} over {shown}: {len(self.runs)}/{len(self.values)} done"

    def scalar_panel(self, sim: Simulation) -> Panel | None:
        """The chapter's scalar, measured and predicted, against the swept value."""
        finished = [r for r in self.runs if r.result is not None]
        key = focus_key(sim, finished)
        if key is None or not finished:
            return None
        xs = [float(self.value_of(r)) for r in finished]
        measured = [_number(r.result.metrics.get(key)) for r in finished]  # type: ignore[union-attr]
        theory = [_number(r.result.prediction.get(key)) for r in finished]  # type: ignore[union-attr]
        panel = Panel(f"{key} vs {self.name}", xlabel=self.name, ylabel=key)
        if any(math.isfinite(t) for t in theory):
            panel.lines.append(Line("theory", xs, theory, "theory"))
        panel.lines.append(Line("measured", xs, measured, "measured"))
        return panel

    def chart(self, sim: Simulation) -> Chart | None:
        """Every run of the sweep drawn together (the last on top), and the scalar panel."""
        finished = [r for r in self.runs if r.chart is not None]
        if not finished:
            return None
        chart = overlay_chart(sim, finished[-1], finished[:-1], faded=False)
        scalar = self.scalar_panel(sim)
        panels = [*chart.panels, scalar] if scalar is not None else list(chart.panels)
        caption = f"{self.progress(sim)}; last run: {chart.caption}" if chart.caption else self.progress(sim)
        return replace(chart, panels=panels, caption=caption)


def parse_sweep(param: Param, text: str) -> list[Any] | None:
    """The values of a sweep typed into a number's field (``0, 0.1, 0.5``), or None when ``text``
    is one value. Raises ParamError for a bad or empty item (named by its position), for fewer
    than two values or more than SWEEP_MAX."""
    if param.kind not in ("int", "float") or "," not in text:
        return None
    parts = [p.strip() for p in text.split(",")]
    values = []
    for i, part in enumerate(parts, start=1):
        if not part:
            raise ParamError(f"{param.name}: item {i} of {text!r} is empty; a sweep is a comma list like 0, 0.1, 0.5")
        values.append(param.validate(part))
    if not 2 <= len(values) <= SWEEP_MAX:
        raise ParamError(f"{param.name}: a sweep takes 2 to {SWEEP_MAX} values, got {len(values)}")
    return values


# ---------------------------------------------------------------------------------------------
# The figure's book of runs
# ---------------------------------------------------------------------------------------------
class RunBook:
    """A simulation's runs in this session: the last KEEP finished, the pinned ones, a sweep."""

    def __init__(self, keep: int = KEEP) -> None:
        self.history: deque[Run] = deque(maxlen=keep)
        self.pinned: list[Run] = []
        self.sweep: Sweep | None = None

    def finished(self, run: Run) -> None:
        self.history.append(run)

    def pin(self, run: Run) -> bool:
        """Keep ``run`` drawn beneath the next ones; False if it is pinned already."""
        if any(p.same_as(run) for p in self.pinned):
            return False
        self.pinned.append(run)
        del self.pinned[:-MAX_PINS]
        return True

    def previous(self, current: Run) -> Run | None:
        """The latest kept run that is not ``current`` (other parameters or seed)."""
        return next((r for r in reversed(self.history) if not r.same_as(current)), None)

    def clear(self) -> int:
        """Forget the pinned runs and any sweep; how many overlays went."""
        n = len(self.pinned) + (len(self.sweep.runs) if self.sweep else 0)
        self.pinned.clear()
        self.sweep = None
        return n

    def kept_for(self, current: Run) -> list[Run]:
        return [p for p in self.pinned if not p.same_as(current)]

    def chart(self, sim: Simulation, current: Run) -> Chart | None:
        """What the figure draws for ``current`` (a finished run or a frame): the sweep's chart
        while a sweep is shown, else the current run over the pinned ones."""
        if current.chart is None:
            return None
        if self.sweep is not None and self.sweep.runs:
            if self.sweep.done:
                return self.sweep.chart(sim)
            runs = [r for r in self.sweep.runs if r.chart is not None]
            return overlay_chart(sim, current, runs, faded=False)
        return overlay_chart(sim, current, self.kept_for(current))

    def shown_runs(self, current: Run | None) -> list[Run]:
        """The finished runs in the figure, oldest first: a sweep's, or the pinned and the current."""
        if self.sweep is not None and self.sweep.runs:
            return [r for r in self.sweep.runs if r.result is not None]
        runs = self.kept_for(current) if current is not None else list(self.pinned)
        return [r for r in [*runs, current] if r is not None and r.result is not None]


# ---------------------------------------------------------------------------------------------
# Reproducing and exporting
# ---------------------------------------------------------------------------------------------
def _exact(param: Param, value: Any) -> str:
    """``value`` as ``--set`` reads it back unchanged: as shown (six digits) when that is the same
    number, else with every digit it has (a typed 0.1234567 is not run again as 0.123457)."""
    text = param.format(value)
    try:
        if param.validate(text) == value:
            return text
    except ParamError:
        pass

    def number(v: Any) -> str:
        return str(v) if isinstance(v, int) else repr(float(v))

    return ",".join(number(v) for v in value) if isinstance(value, (list, tuple)) else number(value)


def command_line(sim: Simulation, params: dict[str, Any], seed: int) -> str:
    """``lmtui sim run NAME --set K=V ... --seed N``: every parameter that is not its default,
    each exactly as run."""
    parts = ["lmtui", "sim", "run", sim.name]
    for p in sim.params:
        value = params.get(p.name, p.default)
        if value != p.default:
            parts += ["--set", f"{p.name}={_exact(p, value)}"]
    parts += ["--seed", str(seed)]
    return " ".join(shlex.quote(x) for x in parts)


def export_dir(home: Path) -> Path:
    return Path(home) / EXPORT_DIR


# ---------------------------------------------------------------------------------------------
# The last run of each simulation, kept across restarts
# ---------------------------------------------------------------------------------------------
LAST_DIR = "last-runs"  # under the learner's home: one JSON file per simulation
LAST_MAX_BYTES = 4_000_000  # a bigger result is not kept (and a bigger file is not read)


def _last_path(home: Path, sim: Simulation) -> Path:
    return Path(home) / LAST_DIR / f"{sim.name}.json"


def save_last(home: Path, sim: Simulation, result: Result) -> bool:
    """Keep ``result`` as the simulation's last run for the next session; False if it could not
    be written (a read-only home, a full disk) or is too big: nothing else depends on it."""
    import os

    try:
        text = json.dumps(result.to_json(), allow_nan=False)
        if len(text) > LAST_MAX_BYTES:
            return False
        path = _last_path(home, sim)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        tmp.write_text(text, encoding="utf-8")
        os.replace(tmp, path)
        return True
    except (OSError, ValueError, TypeError):
        return False


def load_last(home: Path, sim: Simulation) -> Result | None:
    """The simulation's last run from an earlier session, or None (none kept, or a file that is
    damaged, too big, from another simulation or with parameters this version refuses)."""
    path = _last_path(home, sim)
    try:
        if not path.is_file() or path.stat().st_size > LAST_MAX_BYTES:
            return None
        data = json.loads(path.read_text(encoding="utf-8"))
        if not isinstance(data, dict) or data.get("sim") != sim.name:
            return None
        params = sim.resolve(data["params"])
        seed = data["seed"]
        if not isinstance(seed, int) or isinstance(seed, bool) or seed < 0:
            return None
        fields = {k: data.get(k) for k in ("series", "metrics", "prediction")}
        if not all(isinstance(v, dict) for v in fields.values()):
            return None
        verdict, agrees, diverged_at = data.get("verdict", ""), data.get("agrees"), data.get("diverged_at")
        if not isinstance(verdict, str) or agrees not in (True, False, None) or \
                not (diverged_at is None or (isinstance(diverged_at, int) and not isinstance(diverged_at, bool))):
            return None
        result = Result(sim=sim.name, params=params, seed=seed, elapsed_s=float(data.get("elapsed_s") or 0.0),
                        diverged_at=diverged_at, verdict=verdict, agrees=agrees, **fields)
        sim.chart(result, params)  # a result the chart cannot draw is not shown
        return result
    except Exception:  # an outside file: whatever is wrong with it, the figure starts fresh
        return None


def text_to_svg(text: str, title: str = "") -> str:
    """Terminal text as an SVG picture, light on dark as in a terminal: one <text> per line, spaces
    kept, the colours of its escape codes (a chart drawn with colour: the current run bright, the
    pinned ones grey) as <tspan> fills. Plain text comes out in the text colour alone."""
    from rich.terminal_theme import MONOKAI
    from rich.text import Text

    lines = [Text.from_ansi(line, no_wrap=True) for line in text.split("\n")]
    cw, lh, pad = 8.4, 17, 10
    width = int(max((len(x.plain) for x in lines), default=0) * cw + 2 * pad)
    height = int(len(lines) * lh + 2 * pad)
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
           f'viewBox="0 0 {width} {height}">']
    if title:
        out.append(f"<title>{escape(title)}</title>")
    out.append(f'<rect width="{width}" height="{height}" fill="{MONOKAI.background_color.hex}"/>')
    out.append('<g font-family="DejaVu Sans Mono, Menlo, Consolas, monospace" font-size="14" '
               f'fill="{MONOKAI.foreground_color.hex}" xml:space="preserve">')
    for i, line in enumerate(lines):
        if not line.plain.strip():
            continue
        fills: list[str | None] = [None] * len(line.plain)
        for span in line.spans:
            color = getattr(span.style, "color", None)
            if color is not None and not color.is_default:
                fills[span.start:span.end] = [color.get_truecolor(MONOKAI).hex] * (span.end - span.start)
        parts = []
        for fill, run in itertools.groupby(zip(fills, line.plain), key=lambda pair: pair[0]):
            chunk = escape("".join(c for _, c in run))
            parts.append(f'<tspan fill="{fill}">{chunk}</tspan>' if fill else chunk)
        out.append(f'<text x="{pad}" y="{pad + (i + 1) * lh - 4}">{"".join(parts)}</text>')
    out.append("</g></svg>")
    return "\n".join(out) + "\n"


def _fresh(folder: Path, stem: str) -> Path:
    path = folder / stem
    n = 2
    while path.exists():
        path = folder / f"{stem}-{n}"
        n += 1
    return path


def export_runs(folder: Path, sim: Simulation, runs: Sequence[Run], chart: Chart, *, ascii_only: bool = False,
                now: float | None = None) -> Path:
    """Write the figure's runs to a new folder under ``folder``; returns it.

    ``chart.txt`` and ``chart.svg``: the chart as drawn (with the verdict), the picture in colour; ``data.csv``: every
    run's measurement and theory as one tidy table with a ``run`` column (1 = oldest) and one
    column per parameter that differs between the runs;
    ``runs.json``: each run's command, parameters, seed and result; ``commands.txt``: one
    ``lmtui sim run`` line per run, which reproduces it exactly."""
    from lmtui.core.charts import comfortable_height, render_chart

    finished = [r for r in runs if r.result is not None]
    if not finished:
        raise ValueError("no finished run to export")
    stamp = time.strftime("%Y%m%d-%H%M%S", time.localtime(now))
    out = _fresh(Path(folder), f"{sim.name}-{stamp}")
    out.mkdir(parents=True)
    width, height = EXPORT_SIZE
    height = comfortable_height(chart, width, height)
    text = render_chart(chart, width, height, color=False, ascii_only=ascii_only)
    (out / "chart.txt").write_text(text + "\n", encoding="utf-8")
    coloured = render_chart(chart, width, height, color=True, ascii_only=ascii_only)
    (out / "chart.svg").write_text(text_to_svg(coloured, sim.title), encoding="utf-8")
    commands = [command_line(sim, r.params, r.seed) for r in finished]
    (out / "commands.txt").write_text("\n".join(commands) + "\n", encoding="utf-8")
    records = [{"run": i, "command": cmd, **r.result.to_json()}  # type: ignore[union-attr]
               for i, (r, cmd) in enumerate(zip(finished, commands), start=1)]
    (out / "runs.json").write_text(json.dumps(records, allow_nan=False, indent=1) + "\n", encoding="utf-8")
    # beside the run's number, the value of each parameter that differs between the runs (ridge,
    # seed): a table a learner can replot grouped by it without looking up runs.json
    tables = [sim.result_table(r.result) for r in finished]  # type: ignore[arg-type]
    taken = {"run", "series", "source", "x_name", "x", "y"} | {k for table in tables for row in table for k in row}
    varied = {(f"set_{n}" if n in taken else n): n for n in differences(sim, finished)}
    rows = [{"run": i, **{col: _shown(sim, n, r.seed if n == "seed" else r.params.get(n)) for col, n in varied.items()},
             **row} for i, (r, table) in enumerate(zip(finished, tables), start=1) for row in table]
    first = ["run", *varied, "series", "source", "x_name", "x", "y"]
    header = [*first, *dict.fromkeys(k for row in rows for k in row if k not in first)]
    with open(out / "data.csv", "w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f, lineterminator="\n")
        writer.writerow(header)
        for row in rows:
            writer.writerow("" if row.get(k) is None else row.get(k) for k in header)
    return out
