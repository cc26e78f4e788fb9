"""`lmtui sim list | show | run`, driven through lmtui.cli.main against a fake simulation."""

from __future__ import annotations

import csv
import importlib
import io
import json
import math
import sys
from collections.abc import Generator
from typing import Any

import pytest

from figures_support import TINY
from lmtui.cli import main
from lmtui.sims import registry
from lmtui.sims.registry import NAMES
from lmtui.sims.base import Chart, Frame, Line, Panel, Param, Result, Simulation

STEPS = 12
DIVERGE_AT = 5


class Toy(Simulation):
    """Exponential decay; ``mode=blowup`` grows instead and diverges at step 5."""

    name = "toy"
    title = "Toy decay"
    chapter = 1
    description = "a toy: loss decays as exp(-rate t)"
    citation = "Nobody 2024 (arXiv:0000.00000)"
    params = (
        Param("rate", "float", 0.5, "decay rate", min=0.0, max=3.0, step=0.1),
        Param("sizes", "int_list", (1, 2, 4), "widths to try", min=1, max=64),
        Param("mode", "choice", "decay", "decay or blow up", choices=("decay", "blowup")),
    )
    series_x = {"loss": "step", "sv": "step", "fits": "step"}
    predictable = {"final": "the loss at the last step (theory: exp(-rate (steps - 1)))"}
    series_index = {"sv": "component", "fits": "alpha"}

    def run(self, params: dict[str, Any], seed: int = 0) -> Generator[Frame, None, Result]:
        steps: list[int] = []
        loss: list[float] = []
        diverged_at = None
        for t in range(STEPS):
            growth = 10.0**t if t < DIVERGE_AT else math.inf
            value = math.exp(-params["rate"] * t) if params["mode"] == "decay" else growth
            if not math.isfinite(value):
                diverged_at = t
                break
            steps.append(t)
            loss.append(value)
            yield Frame(step=t, total=STEPS, series={"step": list(steps), "loss": list(loss)})
        series = {
            "step": steps,
            "loss": loss,
            "sv": [[v, v / 2] for v in loss],
            "fits": {a: [a * v for v in loss] for a in params["sizes"]},
            "late": [math.nan, 2.0],  # shorter than step, and not indexed by it
            "rate": params["rate"],
        }
        return Result(
            sim=self.name, params=params, seed=seed, series=series,
            metrics={"final": loss[-1], "undefined": math.nan},
            prediction={"final": math.exp(-params["rate"] * (STEPS - 1))},
            diverged_at=diverged_at, verdict="final loss matches exp(-rate t): agrees", agrees=True,
        )

    def chart(self, data: Frame | Result, params: dict[str, Any]) -> Chart:
        theory = [math.exp(-params["rate"] * t) for t in data.series["step"]]
        panel = Panel("loss", "step", "loss", [
            Line("loss", data.series["step"], data.series["loss"]),
            Line("exp(-rate t)", data.series["step"], theory, kind="theory"),
        ], ylog=True)
        return Chart([panel], caption="a caption")


@pytest.fixture
def toy(monkeypatch: pytest.MonkeyPatch) -> Toy:
    sim = Toy()
    monkeypatch.setattr(registry, "NAMES", {"toy": ("toy", "Toy", 1), "ghost": ("no_such_module", "Ghost", 9)})
    monkeypatch.setattr(registry, "_cache", {"toy": sim})
    return sim


def run_cli(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


# -- list and show --------------------------------------------------------------------------------
def test_list_shows_name_chapter_and_description(toy: Toy, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run_cli(capsys, "sim", "list")
    assert code == 0
    toy_line, ghost_line = out.splitlines()
    assert toy_line.split(None, 2) == ["toy", "ch", "1  a toy: loss decays as exp(-rate t)"]
    assert ghost_line.startswith("ghost") and "not available" in ghost_line
    assert toy_line.index("ch 1") == ghost_line.index("ch 9")  # aligned columns


def test_list_shows_every_real_simulation_that_imports(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run_cli(capsys, "sim", "list")
    assert code == 0
    names = [line.split()[0] for line in out.splitlines()]
    assert names == list(registry.NAMES)
    for line in out.splitlines():
        name = line.split()[0]
        module = registry.NAMES[name][0]
        try:
            importlib.import_module(f"lmtui.sims.{module}")
        except ImportError:
            continue
        assert registry.get(name).description in line


def test_show_lists_every_parameter(toy: Toy, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run_cli(capsys, "sim", "show", "toy")
    assert code == 0
    assert "Toy decay" in out and toy.citation in out and toy.description in out
    for p in toy.params:
        line = next(line for line in out.splitlines() if line.startswith(p.name + " "))
        assert p.format(p.default) in line and p.range_text() in line and p.help in line
    assert "to predict" in out
    assert next(line for line in out.splitlines() if line.startswith("final ")).endswith(toy.predictable["final"])


# -- run --------------------------------------------------------------------------------------------
def test_run_prints_a_summary(toy: Toy, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run_cli(capsys, "sim", "run", "toy", "--set", "rate=1", "--set", "sizes=3,5")
    assert code == 0
    assert "rate=1" in out and "sizes=3,5" in out and "mode=decay" in out
    assert "final=" in out and "undefined=n/a" in out
    assert "verdict:" in out and "agrees" in out
    assert "elapsed:" in out
    assert "diverged" not in out
    assert err == ""  # stderr is not a terminal: no progress


def test_run_json_is_one_plain_object(toy: Toy, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run_cli(capsys, "sim", "run", "toy", "--json", "--seed", "3", "--set", "sizes=8")
    assert code == 0
    data = json.loads(out, parse_constant=lambda c: pytest.fail(f"{c} in JSON"))
    expected = {"sim", "params", "seed", "series", "metrics", "prediction", "elapsed_s", "diverged_at", "verdict"}
    assert expected <= set(data)
    assert data["sim"] == "toy" and data["seed"] == 3
    assert data["params"] == {"rate": 0.5, "sizes": [8], "mode": "decay"}
    assert data["metrics"]["undefined"] is None
    assert len(data["series"]["loss"]) == STEPS
    assert out.count("\n") == 1


def test_run_csv_is_a_tidy_table(toy: Toy, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run_cli(capsys, "sim", "run", "toy", "--csv", "--set", "sizes=1,4", "--set", "rate=0.5")
    assert code == 0
    reader = csv.reader(io.StringIO(out))
    header = next(reader)
    assert header[:7] == ["series", "source", "x_name", "x", "y", "component", "alpha"]
    rows = [dict(zip(header, r, strict=True)) for r in reader]
    by = lambda name: [r for r in rows if r["series"] == name and r["source"] == "measured"]  # noqa: E731
    # every point of a series is its own row, with that series' own x
    loss = by("loss")
    assert [int(r["x"]) for r in loss] == list(range(STEPS)) and {r["x_name"] for r in loss} == {"step"}
    for r in loss:
        assert float(r["y"]) == pytest.approx(math.exp(-0.5 * int(r["x"])))
        assert r["component"] == r["alpha"] == ""
    sv = by("sv")
    assert len(sv) == 2 * STEPS and {r["component"] for r in sv} == {"1", "2"}
    for r in sv:
        assert float(r["y"]) == pytest.approx(math.exp(-0.5 * int(r["x"])) / int(r["component"]))
    fits = by("fits")
    assert len(fits) == 2 * STEPS and {r["alpha"] for r in fits} == {"1", "4"}
    for r in fits:
        assert float(r["y"]) == pytest.approx(int(r["alpha"]) * math.exp(-0.5 * int(r["x"])))
    # a series of another length is indexed by position, not lined up with the steps; NaN is empty
    assert [(r["x_name"], r["x"], r["y"]) for r in by("late")] == [("index", "0", ""), ("index", "1", "2.0")]
    assert [(r["x"], r["y"]) for r in by("rate")] == [("", "0.5")]
    assert not by("step")  # an x is not a series of its own


def test_csv_help_describes_the_tidy_table(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["sim", "run", "--help"])
    out = capsys.readouterr().out
    assert "tidy" in out and "series, x_name" not in out  # the columns are described one by one
    for column in ("series", "source", "measured", "theory", "x_name", "x, y"):
        assert column in out


def test_run_plot_fits_80_columns(toy: Toy, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run_cli(capsys, "sim", "run", "toy", "--plot")
    assert code == 0
    lines = out.splitlines()
    assert max(len(line) for line in lines) <= 80
    assert "\x1b" not in out  # stdout is not a terminal
    assert "a caption" in out and "agrees" in out
    assert "o loss" in out


def test_run_plot_honours_width_height_and_ascii(toy: Toy, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run_cli(capsys, "--ascii", "sim", "run", "toy", "--plot", "--width", "50", "--height", "15")
    assert code == 0
    lines = out.splitlines()
    assert [len(line) for line in lines[:15]] == [50] * 15
    assert out.isascii()


@pytest.mark.parametrize(
    ("tty", "no_color", "colored"), [(True, False, True), (True, True, False), (False, False, False)]
)
def test_plot_colors_only_on_a_terminal_without_no_color(
    toy: Toy, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch,
    tty: bool, no_color: bool, colored: bool,
) -> None:
    monkeypatch.setattr(sys.stdout, "isatty", lambda: tty)
    if no_color:
        monkeypatch.setenv("NO_COLOR", "1")
    else:
        monkeypatch.delenv("NO_COLOR", raising=False)
    code, out, _ = run_cli(capsys, "sim", "run", "toy", "--plot")
    assert code == 0
    assert ("\x1b[" in out) is colored


@pytest.mark.parametrize("mode", [[], ["--plot"]])
def test_divergence_is_reported_not_an_error(toy: Toy, capsys: pytest.CaptureFixture[str], mode: list[str]) -> None:
    code, out, _ = run_cli(capsys, "sim", "run", "toy", "--set", "mode=blowup", *mode)
    assert code == 0
    assert f"diverged at step {DIVERGE_AT}" in out.lower()


def test_divergence_in_json(toy: Toy, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run_cli(capsys, "sim", "run", "toy", "--json", "--set", "mode=blowup")
    assert code == 0
    assert json.loads(out)["diverged_at"] == DIVERGE_AT
    assert f"diverged at step {DIVERGE_AT}" in err


# -- errors: status 2, one line on stderr, nothing on stdout ----------------------------------------
@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        (["sim", "run", "nope"], "unknown simulation 'nope'"),
        (["sim", "show", "nope"], "unknown simulation 'nope'"),
        (["sim", "run", "toy", "--json", "--set", "speed=2"], "unknown parameter 'speed'"),
        (["sim", "run", "toy", "--set", "rate=7"], "number in [0, 3]"),
        (["sim", "run", "toy", "--csv", "--set", "rate=fast"], "number in [0, 3]"),
        (["sim", "run", "toy", "--set", "sizes=1,100"], "integers in [1, 64]"),
        (["sim", "run", "toy", "--set", "sizes=1.5"], "integers in [1, 64]"),
        (["sim", "run", "toy", "--set", "mode=wild"], "one of decay, blowup"),
        (["sim", "run", "toy", "--plot", "--set", "rate"], "KEY=VALUE"),
        (["sim", "run", "toy", "--set", "=3"], "KEY=VALUE"),
    ],
)
def test_errors_exit_2_with_one_line_and_empty_stdout(
    toy: Toy, capsys: pytest.CaptureFixture[str], argv: list[str], expected: str
) -> None:
    code, out, err = run_cli(capsys, *argv)
    assert code == 2
    assert out == ""
    assert expected in err
    assert err.count("\n") == 1


@pytest.mark.parametrize(
    "option", [["--seed", "-1"], ["--seed", "x"], ["--width", "0"], ["--json", "--csv"]]
)
def test_bad_options_are_argparse_errors(toy: Toy, capsys: pytest.CaptureFixture[str], option: list[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["sim", "run", "toy", *option])
    assert exit_info.value.code == 2
    assert capsys.readouterr().out == ""


def test_unimportable_simulation_is_reported(toy: Toy, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run_cli(capsys, "sim", "run", "ghost")
    assert code == 1 and out == ""
    assert "not available" in err


# -- one real simulation --------------------------------------------------------------------------
def test_real_implicit_regularization_json(capsys: pytest.CaptureFixture[str]) -> None:
    pytest.importorskip("lmtui.sims.implicit_regularization")
    code, out, _ = run_cli(capsys, "sim", "run", "implicit_regularization", "--json")
    assert code == 0
    data = json.loads(out)
    assert {"sim", "params", "seed", "series", "metrics", "prediction", "elapsed_s"} <= set(data)
    assert data["sim"] == "implicit_regularization"
    defaults = registry.get("implicit_regularization").resolve()
    assert data["params"] == {k: list(v) if isinstance(v, tuple) else v for k, v in defaults.items()}


def _csv_rows(out: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(out)))


def test_real_edge_of_stability_csv_keeps_each_series_on_its_own_x(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run_cli(capsys, "sim", "run", "edge_of_stability", "--csv", "--set", "steps=60")
    assert code == 0
    rows = _csv_rows(out)
    code, out, _ = run_cli(capsys, "sim", "run", "edge_of_stability", "--json", "--set", "steps=60")
    series = json.loads(out)["series"]
    sharp = [r for r in rows if r["series"] == "sharpness"]
    assert {r["x_name"] for r in sharp} == {"sharpness_step"}
    assert [int(r["x"]) for r in sharp] == series["sharpness_step"]
    assert [float(r["y"]) for r in sharp] == pytest.approx(series["sharpness"])
    loss = [r for r in rows if r["series"] == "loss"]
    assert [int(r["x"]) for r in loss] == series["step"] and len(loss) == 61
    assert [float(r["y"]) for r in loss] == pytest.approx(series["loss"])


def test_real_mup_transfer_csv_indexes_the_sweeps_by_width(capsys: pytest.CaptureFixture[str]) -> None:
    args = ["--set", "widths=32,64", "--set", "log2_lrs=-2,-1,0", "--set", "steps=10", "--set", "coord_widths=64,128"]
    code, out, _ = run_cli(capsys, "sim", "run", "mup_transfer", "--csv", *args)
    assert code == 0
    rows = _csv_rows(out)
    code, out, _ = run_cli(capsys, "sim", "run", "mup_transfer", "--json", *args)
    series = json.loads(out)["series"]
    loss = [r for r in rows if r["series"] == "loss"]
    assert len(loss) == 2 * 2 * 3  # param x width x learning rate
    for r in loss:
        i, j = series["widths"].index(int(r["width"])), series["log2_lrs"].index(float(r["x"]))
        expected = series["loss"][r["param"]][i][j]
        assert r["x_name"] == "log2_lr"
        assert (r["y"] == "") if expected is None else (float(r["y"]) == pytest.approx(expected))
    coord = [r for r in rows if r["series"] == "coord_change"]
    assert {(r["param"], r["layer"]) for r in coord} == {(p, lay) for p in ("sp", "mup") for lay in ("input", "hidden", "output")}
    assert {int(r["x"]) for r in coord} == {64, 128}


def _json_keys(value: dict) -> set[str]:
    """The entries of a --json series or prediction object that are data (not labels or flags)."""
    return {k for k, v in value.items() if not isinstance(v, (str, bool))}


@pytest.mark.parametrize("name", sorted(NAMES))
def test_csv_holds_every_series_of_json_measured_and_theory(name: str, capsys: pytest.CaptureFixture[str]) -> None:
    """The contract: every series --json reports, measured and theory, is in --csv under its source,
    as rows of its own or as the x column of another series; and the theory's points are its values."""
    args = [a for k, v in TINY[name].items() for a in ("--set", f"{k}={v}")]
    code, out, _ = run_cli(capsys, "sim", "run", name, "--json", *args)
    assert code == 0
    data = json.loads(out)
    code, out, _ = run_cli(capsys, "sim", "run", name, "--csv", *args)
    assert code == 0
    rows = _csv_rows(out)
    for source, block in (("measured", data["series"]), ("theory", data["prediction"])):
        here = [r for r in rows if r["source"] == source]
        names, x_names = {r["series"] for r in here}, {r["x_name"] for r in here}
        for key in _json_keys(block):
            assert key in names or key in x_names, (source, key)
            value = block[key]
            if isinstance(value, list) and value and all(isinstance(v, (int, float)) for v in value):
                ys = [r["y"] for r in here if r["series"] == key]
                if ys:
                    assert [float(y) if y else None for y in ys] == pytest.approx(value), (source, key)
    assert {r["source"] for r in rows} <= {"measured", "theory"}


def test_double_descent_csv_has_the_belkin_hsu_xu_curve(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run_cli(capsys, "sim", "run", "double_descent", "--csv", "--set", "samples=20",
                           "--set", "max_features=40", "--set", "trials=5")
    assert code == 0
    theory = [r for r in _csv_rows(out) if r["series"] == "risk" and r["source"] == "theory"]
    assert [int(r["x"]) for r in theory] == list(range(1, 41)) and {r["x_name"] for r in theory} == {"features"}
    # undefined next to p = n: empty cells, not a made-up number
    assert [r["x"] for r in theory if r["y"] == ""] == ["19", "20", "21"]


@pytest.mark.parametrize(("value", "position"), [("6,,4", 2), (",6", 1), ("6,4,", 3), ("6, ,4", 2)])
def test_list_parameter_rejects_an_empty_item(value: str, position: int, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run_cli(capsys, "sim", "run", "deep_linear", "--set", f"target_sv={value}")
    assert code == 2 and out == ""
    assert f"item {position} of {value!r} is empty" in err and "target_sv" in err


@pytest.mark.parametrize("name", sorted(NAMES))
def test_plot_has_axis_titles(name: str, capsys: pytest.CaptureFixture[str]) -> None:
    """Every panel of every simulation's --plot (at the default size) has its axis titles: the y
    title, then the x title, on the line under its axis (two panels stacked get the rows for it)."""
    import re

    from lmtui.sims import get, run_to_end

    args = [a for k, v in TINY[name].items() for a in ("--set", f"{k}={v}")]
    code, out, _ = run_cli(capsys, "sim", "run", name, "--plot", "--width", "80", *args)
    assert code == 0
    result = run_to_end(get(name), TINY[name])
    panels = get(name).chart(result, result.params).panels
    for panel in panels:
        assert panel.xlabel and panel.ylabel, panel.title
        titles = [ln for ln in out.splitlines()
                  if re.match(rf"{re.escape(panel.ylabel)} +{re.escape(panel.xlabel)}( |$)", ln.strip())]
        assert len(titles) >= sum(p.xlabel == panel.xlabel and p.ylabel == panel.ylabel for p in panels), (panel.title, out)


def test_a_run_past_the_memory_limit_is_one_line_not_a_traceback(tmp_path) -> None:
    """Under a data-memory limit (what `lmtui serve --visitor-memory` sets), kernel_curves' largest
    setting (about 255 MB unlimited) cannot allocate: one line on stderr, exit status 1."""
    import subprocess

    out = subprocess.run(["bash", "-c", f"ulimit -d {250 * 1024} && exec {sys.executable} -m lmtui sim run kernel_curves "
                                        "--set n_max=1024 --set trials=1"], capture_output=True, text=True, timeout=60)
    assert out.returncode == 1 and "Traceback" not in out.stderr, out.stderr
    assert out.stderr.startswith("lmtui sim run: out of memory (Unable to allocate") and out.stdout == ""
