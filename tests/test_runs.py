"""Runs kept for comparison (lmtui.core.runs): overlays that say what differs, sweeps with the
chapter's scalar against the swept value, and exports whose command lines reproduce each run."""

from __future__ import annotations

import csv
import json
import shlex
from dataclasses import replace

import pytest

from lmtui.cli import main
from lmtui.core.charts import render_chart
from lmtui.core.runs import (
    MAX_PINS,
    Run,
    RunBook,
    Sweep,
    command_line,
    compare_text,
    export_runs,
    overlay_chart,
    parse_sweep,
)
from lmtui.sims import ParamError, get, run_to_end

from figures_support import TINY

DD = get("double_descent")


def run(sim, **overrides) -> Run:
    return Run.of(sim, run_to_end(sim, {**TINY[sim.name], **overrides}))


@pytest.fixture(scope="module")
def ridge0():
    return run(DD)


@pytest.fixture(scope="module")
def ridge05():
    return run(DD, ridge="0.5")


def test_compare_text_names_what_differs(ridge0, ridge05):
    assert compare_text(DD, ridge05, [ridge0]) == "ridge 0 vs 0.5"
    other_seed = Run.of(DD, run_to_end(DD, {**TINY["double_descent"], "ridge": "0.5"}, seed=2))
    assert compare_text(DD, other_seed, [ridge0]) == "ridge 0 vs 0.5; seed 0 vs 2"
    assert compare_text(DD, ridge0, [ridge0]) == "same parameters and seed"


@pytest.mark.parametrize("ascii_only", [False, True])
@pytest.mark.parametrize("color", [False, True])
def test_overlay_draws_the_pinned_run_beneath_with_a_legend_naming_the_difference(ridge0, ridge05, color, ascii_only):
    chart = overlay_chart(DD, ridge05, [ridge0])
    panel = chart.panels[0]
    measured = [ln for ln in panel.lines if ln.kind == "measured"]
    pinned = [ln for ln in measured if ln.faded]
    assert [ln.label for ln in pinned][0] == "measured (ridge 0)" and all("(ridge 0)" in ln.label for ln in pinned)
    assert [ln.label for ln in measured if not ln.faded] == ["measured (ridge 0.5)"]
    assert {ln.marker for ln in pinned}.isdisjoint({"o", None})  # the current run keeps its own marker
    # the pinned run's own numbers, not the current one's
    assert list(pinned[0].y) == [y for y in ridge0.result.series["risk"] if y in pinned[0].y]
    assert chart.caption == ridge05.result.verdict  # the verdict is the current run's
    text = render_chart(chart, 80, 22, color=color, ascii_only=ascii_only)
    plain = text if not color else __import__("re").sub(r"\x1b\[[0-9;]*m", "", text)
    assert "measured (ridge 0.5)" in plain and "measured (ridge 0)" in plain
    if ascii_only:
        assert all(ord(c) < 128 for c in plain)
    if color:
        assert "\x1b[" in text
    # without anything kept the chart is the run's own
    assert overlay_chart(DD, ridge05, []) is ridge05.chart
    assert overlay_chart(DD, ridge05, [ridge05]) is ridge05.chart


def test_run_book_pins_once_keeps_a_few_and_clears(ridge0, ridge05):
    book = RunBook(keep=2)
    for r in (ridge0, ridge05, ridge0):
        book.finished(r)
    assert len(book.history) == 2
    assert book.pin(ridge0) and not book.pin(ridge0)
    assert book.kept_for(ridge0) == [] and book.kept_for(ridge05) == [ridge0]
    assert book.chart(DD, ridge05).panels[0].lines[0].faded
    for seed in range(1, MAX_PINS + 2):
        book.pin(Run(dict(ridge0.params), seed, ridge0.result, ridge0.chart))
    assert len(book.pinned) == MAX_PINS and ridge0 not in book.pinned  # the oldest gave way
    assert book.clear() == MAX_PINS and not book.pinned
    assert book.chart(DD, ridge05) is ridge05.chart


def test_parse_sweep():
    ridge = DD.param("ridge")
    assert parse_sweep(ridge, "0, 0.1, 0.5") == [0.0, 0.1, 0.5]
    assert parse_sweep(ridge, "0.5") is None
    assert parse_sweep(DD.param("samples"), "10,20") == [10, 20]
    with pytest.raises(ParamError, match="item 2 of '0,,1' is empty"):
        parse_sweep(ridge, "0,,1")
    with pytest.raises(ParamError, match="out of range"):
        parse_sweep(ridge, "0, -1")
    with pytest.raises(ParamError, match="2 to 6 values"):
        parse_sweep(ridge, "0,1,2,3,4,5,6")
    assert parse_sweep(get("deep_linear").param("target_sv"), "6,3") is None  # a list is not a sweep


def test_sweep_draws_every_run_and_the_chapters_scalar_against_the_swept_value(tmp_path):
    base = DD.resolve(TINY["double_descent"])
    sweep = Sweep("ridge", [0.0, 0.5, 5.0], base, 0)
    while (params := sweep.next_params()) is not None:
        sweep.runs.append(Run.of(DD, run_to_end(DD, params)))
    assert sweep.done and [r.params["ridge"] for r in sweep.runs] == [0.0, 0.5, 5.0]
    chart = sweep.chart(DD)
    first = chart.panels[0]
    labels = [ln.label for ln in first.lines if ln.kind == "measured"]
    for value in ("0", "0.5", "5"):
        assert f"measured (ridge {value})" in labels
    assert not any(ln.faded for ln in first.lines)  # a sweep's runs are drawn alike
    scalar = chart.panels[-1]
    assert scalar.xlabel == "ridge" and scalar.ylabel == "peak_features"
    measured = next(ln for ln in scalar.lines if ln.kind == "measured")
    assert list(measured.x) == [0.0, 0.5, 5.0]
    assert list(measured.y) == [r.result.metrics["peak_features"] for r in sweep.runs]
    theory = next(ln for ln in scalar.lines if ln.kind == "theory")
    assert list(theory.y) == [r.result.prediction["peak_features"] for r in sweep.runs]
    assert chart.caption.startswith("sweep ridge over 0, 0.5, 5: 3/3 done")
    # exported, the text chart keeps both panels with their axis titles
    import re

    out = export_runs(tmp_path, DD, sweep.runs, chart)
    text = (out / "chart.txt").read_text()
    for panel in chart.panels:
        assert panel.title[:30] in text
        assert re.search(rf"(^|  ){re.escape(panel.ylabel)} +{re.escape(panel.xlabel)}\b", text, re.M), panel.title
    assert sorted({r["ridge"] for r in csv.DictReader(open(out / "data.csv"))}) == ["0", "0.5", "5"]


def test_command_line_names_what_is_not_default():
    g = get("grokking")
    assert command_line(g, g.defaults(), 0) == "lmtui sim run grokking --seed 0"
    line = command_line(DD, DD.resolve({"ridge": "0.5", "samples": "20"}), 3)
    assert line == "lmtui sim run double_descent --set samples=20 --set ridge=0.5 --seed 3"
    # a value typed with more digits than the figure shows is given whole: the command runs it again
    for typed in ({"ridge": "0.1234567"}, {"noise": "0.30000000000000004"}, {"ridge": "1e-7"}):
        params = DD.resolve(typed)
        sets = shlex.split(command_line(DD, params, 0))[5:-2:2]
        assert DD.resolve(dict(kv.split("=", 1) for kv in sets)) == params, sets
    dl = get("deep_linear")
    params = dl.resolve({"target_sv": "6.0000001,3"})
    assert command_line(dl, params, 0) == "lmtui sim run deep_linear --set target_sv=6.0000001,3.0 --seed 0"
    assert command_line(dl, dl.resolve({"target_sv": "6,3"}), 0).endswith("--set target_sv=6,3 --seed 0")


def test_export_writes_chart_data_and_commands_that_reproduce_each_run_exactly(tmp_path, ridge0, ridge05, capsys):
    chart = overlay_chart(DD, ridge05, [ridge0])
    out = export_runs(tmp_path / "exports", DD, [ridge0, ridge05], chart)
    assert out.parent == tmp_path / "exports" and out.name.startswith("double_descent-")
    assert {p.name for p in out.iterdir()} == {"chart.txt", "chart.svg", "data.csv", "runs.json", "commands.txt"}
    text = (out / "chart.txt").read_text()
    assert "measured (ridge 0)" in text and "\x1b" not in text
    svg = (out / "chart.svg").read_text()
    assert svg.startswith("<svg") and "measured (ridge 0.5)" in svg
    # a well-formed picture in colour: the pinned run's mark grey, the current run's bright
    import re
    import xml.etree.ElementTree as ET

    from rich.color import Color
    from rich.terminal_theme import MONOKAI

    ET.fromstring(svg)
    mark = {label: re.search(rf'<tspan fill="(#[0-9a-f]{{6}})">\S</tspan> measured \(ridge {label}\)', svg)
            for label in ("0", "0.5")}
    assert mark["0"] and mark["0.5"] and mark["0"].group(1) != mark["0.5"].group(1)
    assert mark["0"].group(1) in {Color.parse(c).get_truecolor(MONOKAI).hex for c in ("color(7)", "color(8)")}
    rows = list(csv.DictReader(open(out / "data.csv")))
    assert {r["run"] for r in rows} == {"1", "2"} and {r["source"] for r in rows} == {"measured", "theory"}
    # each row says which run it is of and the value that differs, ready to group by
    assert list(rows[0])[:3] == ["run", "ridge", "series"]
    assert {(r["run"], r["ridge"]) for r in rows} == {("1", "0"), ("2", "0.5")}
    for r, run in zip(("1", "2"), (ridge0, ridge05)):
        measured = [float(x["y"]) for x in rows if x["run"] == r and x["series"] == "risk" and x["source"] == "measured"]
        assert measured == run.result.series["risk"]
    records = json.loads((out / "runs.json").read_text())
    commands = (out / "commands.txt").read_text().splitlines()
    assert [r["command"] for r in records] == commands and len(commands) == 2
    for record, command in zip(records, commands):
        argv = shlex.split(command)
        assert argv[:3] == ["lmtui", "sim", "run"]
        assert main(argv[1:] + ["--json"]) == 0
        again = json.loads(capsys.readouterr().out)
        assert again["series"] == record["series"]  # exactly: same numbers, same seed
        assert again["metrics"] == record["metrics"] and again["verdict"] == record["verdict"]
    # a second export in the same second gets its own folder
    assert export_runs(tmp_path / "exports", DD, [ridge05], ridge05.chart, now=0) != \
        export_runs(tmp_path / "exports", DD, [ridge05], ridge05.chart, now=0)


def test_export_of_nothing_is_refused(tmp_path, ridge0):
    with pytest.raises(ValueError):
        export_runs(tmp_path, DD, [Run(ridge0.params, 0)], ridge0.chart)


def test_the_last_run_is_kept_for_the_next_session(tmp_path, ridge05):
    from lmtui.core.runs import LAST_DIR, load_last, save_last

    assert load_last(tmp_path, DD) is None
    assert save_last(tmp_path, DD, ridge05.result)
    back = load_last(tmp_path, DD)
    assert back is not None and back.to_json()["series"] == ridge05.result.to_json()["series"]
    assert back.params == ridge05.result.params and back.verdict == ridge05.result.verdict
    assert DD.chart(back, back.params).caption == ridge05.result.verdict
    path = tmp_path / LAST_DIR / "double_descent.json"
    good = path.read_text()
    data = json.loads(good)
    bad_series = json.dumps({**data, "series": {**data["series"], "risk": "oops"}})
    for damaged in ("{", "[]", good.replace('"double_descent"', '"grokking"', 1),
                    good.replace('"ridge": 0.5', '"ridge": -3'), good.replace('"seed": 0', '"seed": "x"'), bad_series):
        path.write_text(damaged, encoding="utf-8")
        assert damaged != good and load_last(tmp_path, DD) is None, damaged[:40]
    path.write_bytes(b"\xff\xfe{not text")
    assert load_last(tmp_path, DD) is None
    assert load_last(tmp_path, get("grokking")) is None
    (tmp_path / LAST_DIR).chmod(0o500)
    try:
        assert save_last(tmp_path, DD, ridge05.result) in (False, True)  # never raises (root may write anyway)
    finally:
        (tmp_path / LAST_DIR).chmod(0o700)


def test_the_swept_scalar_is_one_the_sweep_moves():
    from lmtui.core.runs import focus_key

    g = get("grokking")
    setting = {"p": "17", "steps": "1500", "train_frac": "0.6", "hidden": "128"}  # groks with weight decay
    runs = [run(g, **setting, weight_decay=wd) for wd in ("0", "1")]
    # the share at initialization is the same for every weight decay: the next key is plotted
    assert runs[0].result.metrics["initial_fourier_share"] == runs[1].result.metrics["initial_fourier_share"]
    assert focus_key(g, runs) == "final_test_acc"
    assert focus_key(g, runs[:1]) == next(iter(g.predictable))


def test_previous_is_the_latest_other_run(ridge0, ridge05):
    book = RunBook()
    assert book.previous(ridge05) is None
    book.finished(ridge0)
    book.finished(ridge05)
    assert book.previous(ridge05) is ridge0 and book.previous(ridge0) is ridge05


@pytest.mark.parametrize("kept", [1, 2])
def test_every_measured_line_of_a_comparison_has_its_own_marker(kept):
    """Without colour the marker is all that tells the lines apart: in every panel, each of the
    current run's lines (one per alpha; weights, kernel and |f - f_lin|) and each kept run's get a
    marker of its own."""
    import re

    sim = get("lazy_rich")
    runs = [run(sim, alphas="0.5,1,4,16", steps=str(steps)) for steps in (200, 300, 400)[: kept + 1]]
    chart = overlay_chart(sim, runs[-1], runs[:-1])
    for panel in chart.panels:
        measured = [ln for ln in panel.lines if ln.kind == "measured"]
        text = render_chart(replace(chart, panels=[panel]), 120, 60, color=False, ascii_only=True)
        entries = re.findall(r"(?:^|   )(\S) (\S[^()\n]*? \(steps \d+\))", text, re.M)
        assert len(entries) == len(measured) >= 3 * (kept + 1), text
        assert len({marker for marker, _ in entries}) == len(entries), entries


@pytest.mark.parametrize("name", sorted(TINY))
def test_every_simulations_last_run_comes_back_whole(tmp_path, name):
    """Each simulation's last run is kept for the next session with every number it had, and draws
    the same chart under the same verdict."""
    from lmtui.core.runs import load_last, save_last

    sim = get(name)
    result = run_to_end(sim, TINY[name])
    assert save_last(tmp_path, sim, result)
    back = load_last(tmp_path, sim)
    assert back is not None and back.to_json() == json.loads(json.dumps(result.to_json()))
    assert sim.chart(back, back.params) == sim.chart(result, result.params)
