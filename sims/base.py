"""The simulation contract: typed parameters, streamed frames, a result with theory beside measurement.

Nothing here imports Textual. A simulation is a class with declared parameters and a ``run``
generator. The generator yields :class:`Frame` objects while it computes (so a caller can draw
progress and stop at any frame by simply not asking for the next one) and *returns* a
:class:`Result` (delivered as ``StopIteration.value``; use :func:`run_to_end` or :class:`Runner`).

Charts are described as plain data (:class:`Chart` / :class:`Panel` / :class:`Line`): the app and
the CLI render them; simulations never draw.
"""

from __future__ import annotations

import math
import time
from abc import ABC, abstractmethod
from collections.abc import Callable, Generator, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar, Literal

import numpy as np

ParamKind = Literal["int", "float", "choice", "int_list", "float_list"]


class ParamError(ValueError):
    """A parameter name or value the simulation does not accept. The message names the range."""


def _fmt_num(x: float) -> str:
    if isinstance(x, (int, np.integer)) or (isinstance(x, float) and x.is_integer() and abs(x) < 1e6):
        return str(int(x))
    return f"{x:.6g}"


@dataclass(frozen=True)
class Param:
    """One typed, range-checked parameter.

    ``step`` is the increment used by the UI's -/+ keys; with ``log=True`` the value is multiplied
    or divided by ``step`` instead. List kinds take comma-separated text (``1,4,16``); every element
    must be within [min, max], and the list length within [1, max_len].
    """

    name: str
    kind: ParamKind
    default: Any
    help: str
    min: float | None = None
    max: float | None = None
    step: float | None = None
    choices: tuple[str, ...] = ()
    log: bool = False
    max_len: int = 8

    # -- describing -------------------------------------------------------------------------
    def range_text(self) -> str:
        if self.kind == "choice":
            return "one of " + ", ".join(self.choices)
        lo = _fmt_num(self.min) if self.min is not None else "-inf"
        hi = _fmt_num(self.max) if self.max is not None else "inf"
        if self.kind in ("int_list", "float_list"):
            what = "integers" if self.kind == "int_list" else "numbers"
            return f"comma list of 1-{self.max_len} {what} in [{lo}, {hi}]"
        return f"{'integer' if self.kind == 'int' else 'number'} in [{lo}, {hi}]"

    def format(self, value: Any) -> str:
        if self.kind in ("int_list", "float_list"):
            return ",".join(_fmt_num(v) for v in value)
        if self.kind == "choice":
            return str(value)
        return _fmt_num(value)

    # -- checking ---------------------------------------------------------------------------
    def _scalar(self, raw: Any, integer: bool) -> int | float:
        if isinstance(raw, bool):
            raise ParamError(f"{self.name}: expected a number, got {raw!r}")
        if isinstance(raw, str):
            text = raw.strip()
            try:
                num = float(text)
            except ValueError:
                raise ParamError(
                    f"{self.name}: {raw!r} is not a number; expected {self.range_text()}"
                ) from None
        elif isinstance(raw, (int, float, np.integer, np.floating)):
            num = float(raw)
        else:
            raise ParamError(f"{self.name}: expected {self.range_text()}, got {raw!r}")
        if not math.isfinite(num):
            raise ParamError(f"{self.name}: {raw!r} is not finite; expected {self.range_text()}")
        if integer:
            if not num.is_integer():
                raise ParamError(f"{self.name}: {raw!r} is not an integer; expected {self.range_text()}")
            num = int(num)
        if (self.min is not None and num < self.min) or (self.max is not None and num > self.max):
            raise ParamError(f"{self.name}: {_fmt_num(num)} is out of range; expected {self.range_text()}")
        return num

    def validate(self, raw: Any) -> Any:
        """Coerce ``raw`` (text or a Python value) to this parameter's type, or raise ParamError."""
        if self.kind == "choice":
            text = str(raw).strip()
            if text not in self.choices:
                raise ParamError(f"{self.name}: {raw!r} is not allowed; expected {self.range_text()}")
            return text
        if self.kind in ("int", "float"):
            return self._scalar(raw, self.kind == "int")
        # lists
        if isinstance(raw, str):
            parts = [p.strip() for p in raw.split(",")]
            for i, part in enumerate(parts, start=1):
                if part == "":
                    raise ParamError(f"{self.name}: item {i} of {raw!r} is empty; expected {self.range_text()}")
        elif isinstance(raw, Iterable):
            parts = list(raw)
        else:
            parts = [raw]
        if not 1 <= len(parts) <= self.max_len:
            raise ParamError(f"{self.name}: got {len(parts)} values; expected {self.range_text()}")
        return tuple(self._scalar(p, self.kind == "int_list") for p in parts)

    def nudge(self, value: Any, direction: int) -> Any:
        """The value one step up (direction > 0) or down, clamped to the range."""
        if self.kind == "choice":
            i = self.choices.index(value) if value in self.choices else 0
            return self.choices[(i + (1 if direction > 0 else -1)) % len(self.choices)]
        if self.kind in ("int_list", "float_list"):
            return value  # lists are typed, not stepped
        step = self.step or (1 if self.kind == "int" else 0.1)
        new = value * step if (self.log and direction > 0) else value / step if self.log else value + step * direction
        if self.kind == "int":
            new = int(round(new))
            if new == value:
                new = value + (1 if direction > 0 else -1)
        else:
            new = float(f"{new:.6g}")
        if self.min is not None:
            new = max(new, self.min if self.kind == "float" else int(math.ceil(self.min)))
        if self.max is not None:
            new = min(new, self.max if self.kind == "float" else int(math.floor(self.max)))
        return new


# ---------------------------------------------------------------------------------------------
# Charts as data
# ---------------------------------------------------------------------------------------------
LineKind = Literal["measured", "theory", "reference"]


@dataclass
class Line:
    """One series. ``measured`` lines are drawn as markers (sparse where dense, so the theory
    beneath shows through), ``theory`` and ``reference`` lines as joined lines under them.

    ``marker`` fixes the marker (e.g. ``"^"`` for diverged runs; default: by kind and order).
    ``connect`` joins a measured line's points (a sweep), drawn with its marker.
    ``faded`` draws a measured line beneath the others in a dim colour: an earlier run kept for
    comparison (its marker still tells it apart without colour).
    """

    label: str
    x: Sequence[float]
    y: Sequence[float]
    kind: LineKind = "measured"
    marker: str | None = None
    connect: bool = False
    faded: bool = False


@dataclass
class Panel:
    title: str
    xlabel: str = ""
    ylabel: str = ""
    lines: list[Line] = field(default_factory=list)
    hlines: list[tuple[float, str]] = field(default_factory=list)  # (y, label), drawn as theory
    vlines: list[tuple[float, str]] = field(default_factory=list)  # (x, label): a marked position
    xlog: bool = False
    ylog: bool = False
    ylim: tuple[float, float] | None = None
    ycounts: bool = False  # y is a count (learners, runs): ticks at whole numbers only


@dataclass
class Chart:
    panels: list[Panel]
    caption: str = ""  # one line under the chart: e.g. the verdict


# ---------------------------------------------------------------------------------------------
# Frames and results
# ---------------------------------------------------------------------------------------------
@dataclass
class Frame:
    """A snapshot while running. ``series`` holds what has been measured so far (copied lists)."""

    step: int
    total: int
    series: dict[str, Any]
    prediction: dict[str, Any] = field(default_factory=dict)
    metrics: dict[str, Any] = field(default_factory=dict)
    message: str = ""


@dataclass
class Result:
    sim: str
    params: dict[str, Any]
    seed: int
    series: dict[str, Any]
    metrics: dict[str, Any]
    prediction: dict[str, Any]
    elapsed_s: float = 0.0
    diverged_at: int | None = None  # the step at which the run blew up, if it did
    verdict: str = ""  # one line: does the measurement agree with the theory, with the number
    agrees: bool | None = None

    @property
    def diverged(self) -> bool:
        return self.diverged_at is not None

    def to_json(self) -> dict[str, Any]:
        return {
            "sim": self.sim,
            "params": {k: list(v) if isinstance(v, tuple) else v for k, v in self.params.items()},
            "seed": self.seed,
            "series": to_plain(self.series),
            "metrics": to_plain(self.metrics),
            "prediction": to_plain(self.prediction),
            "elapsed_s": round(self.elapsed_s, 4),
            "diverged_at": self.diverged_at,
            "verdict": self.verdict,
            "agrees": self.agrees,
        }


def to_plain(obj: Any) -> Any:
    """numpy arrays/scalars -> lists/floats; NaN and inf -> None (JSON has no NaN). Numeric arrays
    and rectangular numeric lists are converted whole (a run's series are tens of thousands of
    numbers, converted as the run finishes, in the interface)."""
    if isinstance(obj, Mapping):
        return {str(k): to_plain(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)) and obj and isinstance(obj[0], (float, list, tuple, np.floating)):
        try:
            whole = np.asarray(obj)
        except ValueError:  # ragged
            whole = None
        if whole is not None and whole.dtype.kind in "f":
            return _plain_array(whole)
    if isinstance(obj, np.ndarray):
        return _plain_array(obj) if obj.dtype.kind in "biuf" else to_plain(obj.tolist())
    if isinstance(obj, (list, tuple)):
        return [to_plain(v) for v in obj]
    if isinstance(obj, (bool, np.bool_)):
        return bool(obj)
    if isinstance(obj, (int, np.integer)):
        return int(obj)
    if isinstance(obj, (float, np.floating)):
        f = float(obj)
        return f if math.isfinite(f) else None
    return obj



def _plain_array(array: np.ndarray) -> list:
    """A numeric array as nested lists of Python numbers, its NaN and inf as None."""
    if array.dtype.kind != "f":
        return array.tolist()
    finite = np.isfinite(array)
    if finite.all():
        return array.tolist()
    out = array.astype(object)
    out[~finite] = None
    return out.tolist()

# ---------------------------------------------------------------------------------------------
# The simulation base class
# ---------------------------------------------------------------------------------------------
class Simulation(ABC):
    name: ClassVar[str]
    title: ClassVar[str]
    chapter: ClassVar[int]
    description: ClassVar[str]  # one line for `lmtui sim list`
    citation: ClassVar[str]  # "Author et al. Year (arXiv id)"
    params: ClassVar[tuple[Param, ...]]
    # Scalars a learner can work out from the chapter's formula before a run: key -> what it is.
    # After a run that did not diverge, ``result.metrics[key]`` is the measured value and
    # ``result.prediction[key]`` the theory's (a float; None only where the theory is undefined).
    predictable: ClassVar[dict[str, str]] = {}
    # The tidy table (``table``, ``lmtui sim run --csv``): series key -> the key of its x values,
    # and, for a nested series (vectors per x, or a mapping), the name of its index column.
    series_x: ClassVar[dict[str, str]] = {}
    series_index: ClassVar[dict[str, str]] = {}
    # The scalar keys every finished run reports in ``Result.metrics`` and ``Result.prediction``:
    # what a predict question may name (`lmtui check` reads these without running anything; a test
    # runs each simulation and holds the declarations to what it really reports).
    metric_keys: ClassVar[tuple[str, ...]] = ()
    prediction_keys: ClassVar[tuple[str, ...]] = ()

    @classmethod
    def reported_metrics(cls) -> set[str]:
        return set(cls.metric_keys) | set(cls.predictable)

    @classmethod
    def reported_predictions(cls) -> set[str]:
        return set(cls.prediction_keys) | set(cls.predictable)

    # -- parameters -------------------------------------------------------------------------
    @classmethod
    def param(cls, name: str) -> Param:
        for p in cls.params:
            if p.name == name:
                return p
        raise ParamError(f"unknown parameter {name!r} for {cls.name}; known: {', '.join(p.name for p in cls.params)}")

    @classmethod
    def defaults(cls) -> dict[str, Any]:
        return {p.name: p.default for p in cls.params}

    @classmethod
    def resolve(cls, overrides: Mapping[str, Any] | None = None) -> dict[str, Any]:
        """Defaults updated with ``overrides`` (text or values), every value validated."""
        values = cls.defaults()
        for key, raw in (overrides or {}).items():
            values[key] = cls.param(key).validate(raw)
        cls.check(values)
        return values

    @classmethod
    def check(cls, values: dict[str, Any]) -> None:
        """Cross-parameter checks (e.g. n_min < n_max). Raise ParamError. Override as needed."""

    # -- cost -------------------------------------------------------------------------------
    # What a run costs, before it starts: seconds = base + per_iteration * iterations + per_flop *
    # flops, with (iterations, flops) counted from the run's loops by ``cost_terms`` and the three
    # coefficients fitted to measured runs of this simulation (CPU seconds of one core of a 2020s
    # laptop; scripts/cost_model.py measures and fits them, tests/sims/test_cost.py holds them to
    # measured time).
    cost_coefficients: ClassVar[tuple[float, float, float]] = (0.05, 2e-6, 1e-9)

    @classmethod
    def cost_terms(cls, params: dict[str, Any]) -> tuple[float, float]:
        """(iterations, flops) of a run at ``params`` (resolved): the Python-level iterations of its
        loops and the arithmetic of its array operations, counted from the loops' sizes. A run that
        diverges stops early: this counts the whole run."""
        return 0.0, 0.0

    @classmethod
    def estimate_seconds(cls, params: dict[str, Any]) -> float:
        """The run's expected duration in seconds at ``params`` (resolved), from :meth:`cost_terms`."""
        iterations, flops = cls.cost_terms(params)
        base, per_iteration, per_flop = cls.cost_coefficients
        return base + per_iteration * iterations + per_flop * flops

    # -- running ----------------------------------------------------------------------------
    @abstractmethod
    def run(self, params: dict[str, Any], seed: int = 0) -> Generator[Frame, None, Result]:
        """Yield frames while computing; return the Result. ``params`` are already resolved."""

    @abstractmethod
    def chart(self, data: Frame | Result, params: dict[str, Any]) -> Chart:
        """Describe the chart for a frame (partial) or a finished result, measurement and theory."""

    def start(self, overrides: Mapping[str, Any] | None = None, seed: int = 0) -> Runner:
        return Runner(self, self.resolve(overrides), seed)

    def table(self, series: Mapping[str, Any]) -> list[dict[str, Any]]:
        """The series as a tidy (long) table: one row per point, ``{"series", "x_name", "x", "y"}``
        plus an index column per nesting level (e.g. ``mode`` or ``width``). See :func:`tidy`."""
        return tidy(series, self.series_x, self.series_index)

    def result_table(self, result: Result) -> list[dict[str, Any]]:
        """Measured and theory in one tidy table: the rows of :meth:`table` for ``result.series`` and
        for the numeric entries of ``result.prediction``, each with ``source`` = ``measured`` or
        ``theory`` after ``y``. A theory series whose x values are only measured takes them from the
        measurement; text and yes/no entries of the prediction (labels, flags) are not data."""
        measured = to_plain(result.series)
        theory = _numeric(to_plain(result.prediction))
        for x_key in set(self.series_x.values()) - set(self.series_x):  # x columns only, never rows
            if x_key not in theory and x_key in measured:
                theory[x_key] = measured[x_key]
        rows = []
        for source, data, keys in (("measured", measured, result.series), ("theory", theory, result.prediction)):
            part = self.table(data)
            # a simulation's own table may leave some entries out (they index its rows): those come
            # as plain rows of their own, so that every entry of the result is in the table
            seen = {row["series"] for row in part} | {row["x_name"] for row in part}
            rest = {k: v for k, v in data.items() if k in keys and k not in seen}
            xs = {k: x for k, x in self.series_x.items() if k in rest}
            part += tidy({**{x: data[x] for x in xs.values() if x in data}, **rest}, xs, self.series_index)
            rows += [{**row, "source": source} for row in part]
        return rows


class Runner:
    """Drives a simulation generator; records elapsed time; can be stopped between frames."""

    def __init__(self, sim: Simulation, params: dict[str, Any], seed: int) -> None:
        self.sim = sim
        self.params = params
        self.seed = seed
        self.result: Result | None = None
        self._gen = sim.run(params, seed)
        self._t0 = time.perf_counter()

    def __iter__(self) -> Runner:
        return self

    def __next__(self) -> Frame:
        try:
            return next(self._gen)
        except StopIteration as stop:
            result: Result = stop.value
            result.elapsed_s = time.perf_counter() - self._t0
            self.result = result
            raise

    def close(self) -> None:
        self._gen.close()

    def run(self, on_frame: Callable[[Frame], None] | None = None, cancelled: Callable[[], bool] | None = None) -> Result | None:
        """Run to the end (None if ``cancelled()`` became true between frames)."""
        for frame in self:
            if cancelled is not None and cancelled():
                self.close()
                return None
            if on_frame is not None:
                on_frame(frame)
        return self.result


def run_to_end(sim: Simulation, overrides: Mapping[str, Any] | None = None, seed: int = 0) -> Result:
    result = sim.start(overrides, seed).run()
    assert result is not None
    return result


# ---------------------------------------------------------------------------------------------
# Helpers shared by simulations
# ---------------------------------------------------------------------------------------------
def shown(x: float, fmt: str) -> float:
    """``x`` as a verdict prints it with ``fmt`` (".2f", ".2g", ".0f"). A verdict judges the numbers
    it shows, so that its words never contradict them: a share of 0.8996, shown as 0.90, is within
    0.1 of 1; a risk 10.04% off, shown as 10%, is within a 10% limit."""
    return float(format(x, fmt))


def at_most(value: float, limit: float) -> bool:
    """``value <= limit`` for numbers as shown, forgiving the last bits of binary rounding
    (``abs(0.95 - 1)`` is 0.050000000000000044, which a limit of 5% must accept)."""
    return value <= limit + 1e-9 * max(1.0, abs(limit))


def loglog_slope(x: Sequence[float], y: Sequence[float]) -> float:
    """Least-squares slope of log y against log x."""
    lx, ly = np.log(np.asarray(x, float)), np.log(np.asarray(y, float))
    return float(np.polyfit(lx, ly, 1)[0])


def _numeric(value: Any) -> Any:
    """``value`` without its text and yes/no leaves (None where a leaf is dropped at the top)."""
    if isinstance(value, dict):
        kept = {k: _numeric(v) for k, v in value.items() if not isinstance(v, (str, bool))}
        return {k: v for k, v in kept.items() if v != {}}
    if isinstance(value, list):
        return [_numeric(v) for v in value if not isinstance(v, (str, bool))]
    return value


def tidy_row(series: str, x_name: str, x: Any, y: Any, **index: Any) -> dict[str, Any]:
    return {"series": series, "x_name": x_name, "x": x, "y": y, **index}


def tidy(series: Mapping[str, Any], series_x: Mapping[str, str], series_index: Mapping[str, str]) -> list[dict[str, Any]]:
    """Rows ``{"series", "x_name", "x", "y", **index}`` for every point of every series.

    A key listed in ``series_x`` takes its x values from the named key (which is not a series of
    its own unless listed too); a list of vectors gives one row per vector element, indexed
    ``series_index[key]`` (default ``index``) from 1; a mapping gives one level of index per key
    (``series_index[key]``, default ``key``). Unlisted lists are indexed by position (``x_name``
    ``index``), scalars get an empty x. NaN and infinities become None.
    """
    plain = to_plain(series)
    x_keys = set(series_x.values()) - set(series_x)
    rows: list[dict[str, Any]] = []
    for key, value in plain.items():
        if key in x_keys:
            continue
        x_name = series_x.get(key, "")
        xs = plain.get(x_name) if x_name else None
        _tidy_value(rows, key, x_name, xs, value, series_index.get(key), {})
    return rows


def _tidy_value(rows: list[dict[str, Any]], key: str, x_name: str, xs: Any, value: Any, index_name: str | None,
                index: dict[str, Any]) -> None:
    if isinstance(value, dict):
        for k, v in value.items():
            _tidy_value(rows, key, x_name, xs, v, None, {**index, (index_name or "key"): k})
        return
    if not isinstance(value, list):
        rows.append(tidy_row(key, "", None, value, **index))
        return
    if not (isinstance(xs, list) and len(xs) == len(value)):
        xs, x_name = list(range(len(value))), "index"
    for x, v in zip(xs, value):
        if isinstance(v, list):
            for j, vj in enumerate(v, start=1):
                rows.append(tidy_row(key, x_name, x, vj, **index, **{(index_name or "index"): j}))
        else:
            rows.append(tidy_row(key, x_name, x, v, **index))


def sample_indices(n: int, most: int = 200) -> list[int]:
    """At most ``most`` evenly spaced indices into a series of length ``n``, ends included: what a
    chart line needs (a terminal is ~80 columns wide)."""
    if n <= most:
        return list(range(n))
    return np.unique(np.linspace(0, n - 1, most).round().astype(int)).tolist()


def downsample(x: Sequence[Any], y: Sequence[Any], most: int = 200) -> tuple[list[Any], list[Any]]:
    idx = sample_indices(len(x), most)
    return [x[i] for i in idx], [y[i] for i in idx]


def finite(*arrays: Any) -> bool:
    return all(np.all(np.isfinite(a)) for a in arrays)


class Throttle:
    """True at most every ``interval`` seconds (and always on the first call): when to yield a frame."""

    def __init__(self, interval: float = 0.05) -> None:
        self.interval = interval
        self._last = -math.inf

    def __call__(self) -> bool:
        now = time.perf_counter()
        if now - self._last >= self.interval:
            self._last = now
            return True
        return False


def _limit_blas_threads() -> None:
    """Pin BLAS to one thread even when numpy was imported before lmtui.sims set the env vars."""
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:  # pragma: no cover - threadpoolctl is a dependency
        return
    threadpool_limits(1)


_limit_blas_threads()
