"""``lmtui sim``: list, describe and run the simulations from the command line (no Textual).

Exit status: 0 on success (a run that diverges is a result, not an error); 2 for a usage error
(unknown simulation, unknown parameter, malformed ``--set``, value out of range), with one line
on stderr and nothing on stdout; 1 if a simulation's module cannot be imported.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import shutil
import sys
import textwrap
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from lmtui.sims import registry  # names only: no numpy

if TYPE_CHECKING:
    from lmtui.sims.base import Frame, Result, Simulation

# numpy, plotext and the simulations are imported when a command runs, not when the parser is
# built: `lmtui --help` and the app's start must not pay for them.

PLOT_WIDTH = 80
PLOT_HEIGHT = 22

CSV_HELP = """\
--csv writes the measurement and the theory as one tidy (long) table: one row per
point, with the columns
  series  the series' name (e.g. loss, sharpness)
  source  measured (what the run computed) or theory (the prediction drawn beside it)
  x_name  what x is for that series (e.g. step, t, width; "index" for a position)
  x, y    the point
and, for a nested series, one more column per level, named for what it indexes (e.g. mode for
the singular values of deep_linear, param and width for mup_transfer's learning-rate sweeps);
empty where it does not apply. Series of different lengths never share a row, so pandas
(pd.read_csv, then df[df.series == "loss"]) or a spreadsheet reads it as it is. A scalar series
has an empty x; NaN and infinities are empty cells. df[df.source == "theory"] is the
prediction, e.g. the closed-form curve under the measured points."""


def add_arguments(sim: argparse.ArgumentParser) -> None:
    """Give the ``sim`` command its subcommands ``list``, ``show`` and ``run``."""
    sub = sim.add_subparsers(dest="sim_command", metavar="SUBCOMMAND", required=True)
    sub.add_parser("list", help="every simulation with its chapter and a one-line description")
    show = sub.add_parser("show", help="a simulation's reference and parameters")
    show.add_argument("name", metavar="NAME")
    run = sub.add_parser(
        "run", help="run a simulation to the end and print the result",
        epilog=CSV_HELP, formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    run.add_argument("name", metavar="NAME")
    run.add_argument(
        "--set", dest="overrides", action="append", default=[], metavar="KEY=VALUE",
        help="override a parameter (repeatable); lists are comma lists: --set alphas=1,4,16",
    )
    run.add_argument("--seed", type=_int_at_least(0), default=0, help="random seed (default 0)")
    run.add_argument("--no-limit", action="store_true",
                     help="run even if the run is estimated to take longer than the limit (120 s)")
    mode = run.add_mutually_exclusive_group()
    for flag, what in (("json", "the result as one JSON object"), ("csv", "the series as a tidy CSV table (see below)"),
                       ("plot", "the chart as text, then the verdict")):
        mode.add_argument(f"--{flag}", dest="mode", action="store_const", const=flag, help=what)
    run.add_argument(
        "--width", type=_int_at_least(1), default=None,
        help=f"--plot width (default: the terminal's, up to {PLOT_WIDTH})",
    )
    run.add_argument(
        "--height", type=_int_at_least(1), default=None,
        help=f"--plot height (default {PLOT_HEIGHT}, taller when a chart's panels need the room for their axis titles)",
    )


def run(args: argparse.Namespace) -> int:
    """Carry out ``lmtui sim ...``; returns the exit status."""
    from lmtui.sims.base import ParamError

    commands: dict[str, Callable[[argparse.Namespace], None]] = {"list": _list, "show": _show, "run": _run}
    try:
        commands[args.sim_command](args)
    except (registry.UnknownSimulation, ParamError) as exc:
        print(f"lmtui sim {args.sim_command}: {exc}", file=sys.stderr)
        return 2
    except ImportError as exc:
        name = getattr(args, "name", "")
        print(f"lmtui sim {args.sim_command}: simulation {name!r} is not available ({exc})", file=sys.stderr)
        return 1
    except MemoryError as exc:  # past this process's memory (a served room's limit, a small machine)
        print(f"lmtui sim {args.sim_command}: out of memory ({exc or 'no detail'}): choose smaller settings",
              file=sys.stderr)
        return 1
    except BrokenPipeError:  # e.g. `| head`: stop quietly, and keep Python from complaining at exit
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1
    return 0


def _int_at_least(minimum: int) -> Callable[[str], int]:
    """An argparse ``type`` accepting integers >= ``minimum``."""

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            value = minimum - 1
        if value < minimum:
            raise argparse.ArgumentTypeError(f"{text!r} is not an integer >= {minimum}")
        return value

    return parse


# ---------------------------------------------------------------------------------------------
# list and show
# ---------------------------------------------------------------------------------------------
def _table(rows: list[list[str]]) -> list[str]:
    """Rows of cells as lines with every column but the last padded to its widest cell."""
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]) - 1)]
    return ["  ".join([c.ljust(w) for c, w in zip(row, widths, strict=False)] + [row[-1]]).rstrip() for row in rows]


def _list(_args: argparse.Namespace) -> None:
    rows = []
    for name, (_module, _cls, chapter) in registry.NAMES.items():
        try:
            description = registry.get(name).description
        except ImportError as exc:
            description = f"(not available: {exc})"
        rows.append([name, f"ch {chapter}", description])
    print("\n".join(_table(rows)))


def _show(args: argparse.Namespace) -> None:
    sim = registry.get(args.name)
    print(f"{sim.title}  ({sim.name}, chapter {sim.chapter})")
    print(sim.citation)
    print()
    print(textwrap.fill(sim.description, width=PLOT_WIDTH))
    print()
    rows = [["parameter", "default", "range", "help"]]
    rows += [[p.name, p.format(p.default), p.range_text(), p.help] for p in sim.params]
    print("\n".join(_table(rows)))
    if sim.predictable:
        print()
        print("to predict (measured in the result's metrics, theory in its prediction, same key):")
        print("\n".join(_table([[key, what] for key, what in sim.predictable.items()])))
    for what, keys in (("metrics", sim.reported_metrics()), ("predictions", sim.reported_predictions())):
        others = sorted(keys - set(sim.predictable))
        if others:
            print()
            print(textwrap.fill(f"other scalar {what}: {', '.join(others)}", width=PLOT_WIDTH))


# ---------------------------------------------------------------------------------------------
# run
# ---------------------------------------------------------------------------------------------
def _overrides(pairs: list[str]) -> dict[str, str]:
    from lmtui.sims.base import ParamError

    out: dict[str, str] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            raise ParamError(f"--set {pair!r}: expected KEY=VALUE, e.g. --set lr=0.1 or --set alphas=1,4,16")
        out[key.strip()] = value
    return out


def _run(args: argparse.Namespace) -> None:
    sim = registry.get(args.name)
    params = sim.resolve(_overrides(args.overrides))
    _within_limit(sim, params, getattr(args, "no_limit", False))
    result = _execute(sim, params, args.seed)
    printers: dict[str | None, Callable[[Simulation, dict[str, Any], Result, argparse.Namespace], None]] = {
        None: _print_summary, "json": _print_json, "csv": _print_csv, "plot": _print_plot,
    }
    printers[args.mode](sim, params, result, args)


def _within_limit(sim: Simulation, params: dict[str, Any], no_limit: bool) -> None:
    """ParamError if the run is estimated over the limit (``LMTUI_RUN_LIMIT`` if lower), unless
    ``no_limit`` (which the limit of a served room does not give way to)."""
    from lmtui.core.runcost import CLI_LIMIT_S, describe, run_limit
    from lmtui.sims.base import ParamError

    seconds = sim.estimate_seconds(params)
    room = run_limit()
    limit = CLI_LIMIT_S if room is None else min(room, CLI_LIMIT_S)
    if seconds > limit and (not no_limit or room is not None):
        hint = "" if room is not None else ", or --no-limit to run it anyway"
        raise ParamError(f"this run would take {describe(seconds)}, over the limit of {limit:g} s: choose "
                         f"smaller settings{hint}")


def _execute(sim: Simulation, params: dict[str, Any], seed: int) -> Result:
    """Run to the end, with a progress line on stderr when stderr is a terminal."""
    from lmtui.sims.base import Runner

    runner = Runner(sim, params, seed)
    if not sys.stderr.isatty():
        result = runner.run()
    else:
        result = runner.run(on_frame=_progress(sim.name))
        print("\r\x1b[K", end="", file=sys.stderr, flush=True)
    assert result is not None  # never cancelled
    return result


def _progress(name: str) -> Callable[[Frame], None]:
    from lmtui.sims.base import Throttle

    due = Throttle(0.2)

    def show(frame: Frame) -> None:
        if due():
            line = f"\r{name}: step {frame.step}/{frame.total} {frame.message}"[:PLOT_WIDTH]
            print(line, end="", file=sys.stderr, flush=True)

    return show


def _diverged(result: Result) -> str:
    return f"diverged at step {result.diverged_at}"


def _note_divergence(result: Result) -> None:
    """Machine-readable modes keep stdout clean; the divergence is in the data and noted on stderr."""
    if result.diverged:
        print(f"lmtui sim run: {_diverged(result)}", file=sys.stderr)


# -- default: a human summary -----------------------------------------------------------------
def _fmt(value: Any) -> str:
    from lmtui.sims.base import to_plain

    value = to_plain(value)
    if value is None:
        return "n/a"
    if isinstance(value, float):
        return f"{value:.4g}"
    if isinstance(value, list):
        head = ", ".join(_fmt(v) for v in value[:6])
        return f"[{head}]" if len(value) <= 6 else f"[{head}, ...] ({len(value)} values)"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}: {_fmt(v)}" for k, v in value.items()) + "}"
    return str(value)


def _pairs(values: Mapping[str, Any]) -> str:
    return ", ".join(f"{k}={_fmt(v)}" for k, v in values.items()) or "-"


def _print_summary(sim: Simulation, params: dict[str, Any], result: Result, _args: argparse.Namespace) -> None:
    shown = ", ".join(f"{p.name}={p.format(params[p.name])}" for p in sim.params)
    rows = [
        ["simulation", f"{sim.name}: {sim.title}"],
        ["params", shown or "-"],
        ["seed", str(result.seed)],
        ["metrics", _pairs(result.metrics)],
        ["prediction", _pairs(result.prediction)],
        ["verdict", result.verdict or "-"],
    ]
    if result.diverged:
        rows.append(["status", _diverged(result)])
    rows.append(["elapsed", f"{result.elapsed_s:.2f} s"])
    print("\n".join(_table([[f"{label}:", text] for label, text in rows])))


# -- --json -------------------------------------------------------------------------------------
def _print_json(_sim: Simulation, _params: dict[str, Any], result: Result, _args: argparse.Namespace) -> None:
    print(json.dumps(result.to_json(), allow_nan=False))
    _note_divergence(result)


# -- --csv --------------------------------------------------------------------------------------
CSV_FIRST = ("series", "source", "x_name", "x", "y")


def tidy_table(sim: Simulation, result: Result) -> tuple[list[str], list[dict[str, Any]]]:
    """The header (fixed columns, then every index column in order of appearance) and the rows,
    measured and theory."""
    rows = sim.result_table(result)
    extra = dict.fromkeys(k for row in rows for k in row if k not in CSV_FIRST)
    return [*CSV_FIRST, *extra], rows


def _cell(value: Any) -> str:
    from lmtui.sims.base import to_plain

    value = to_plain(value)
    return "" if value is None else str(value)


def _print_csv(sim: Simulation, _params: dict[str, Any], result: Result, _args: argparse.Namespace) -> None:
    header, rows = tidy_table(sim, result)
    writer = csv.writer(sys.stdout, lineterminator="\n")
    writer.writerow(header)
    for row in rows:
        writer.writerow(_cell(row.get(k)) for k in header)
    _note_divergence(result)


# -- --plot -------------------------------------------------------------------------------------
def _use_color(args: argparse.Namespace) -> bool:
    choice = getattr(args, "color", "auto")
    if choice == "auto":
        return sys.stdout.isatty() and "NO_COLOR" not in os.environ
    return choice != "none"


def _print_plot(sim: Simulation, params: dict[str, Any], result: Result, args: argparse.Namespace) -> None:
    from lmtui.core.charts import comfortable_height, render_chart, to_ascii

    width = args.width or min(shutil.get_terminal_size((PLOT_WIDTH, 24)).columns, PLOT_WIDTH)
    chart = sim.chart(result, params)
    diverged = f"DIVERGED at step {result.diverged_at}" if result.diverged else None
    print(render_chart(
        chart, width, args.height or comfortable_height(chart, width, PLOT_HEIGHT, diverged),
        color=_use_color(args),
        ascii_only=getattr(args, "ascii", False),
        diverged_message=diverged,
    ))
    if result.verdict and result.verdict != chart.caption:
        verdict = to_ascii(result.verdict) if getattr(args, "ascii", False) else result.verdict
        print(textwrap.fill(verdict, width=width))
