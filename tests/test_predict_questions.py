"""The shipped course's "predict, then run" questions grade a correct reasoner right.

For every predict question: run its simulation at the question's parameters and seed, work out
the theory's value here from the formula the question's explanation derives (never from the
simulation's own ``prediction``), and check that the grading accepts it against the measurement:
within the tolerance for a typed number, the same bin for a choice question. The common
misconceptions each explanation names must be graded wrong. One run per question, cached.

Run times are printed (``pytest -s``), not asserted; ``scripts/predict_tolerances.py --questions``
measures the margins over seeds 0-4.
"""

from __future__ import annotations

import functools
import math
import time
from collections.abc import Callable
from typing import Any

import pytest

from lmtui.core.course import Question, load_course
from lmtui.core.review import REVIEW_SEEDS
from lmtui.sims.base import Result, run_to_end
from lmtui.sims.registry import NAMES, get

from conftest import REPO

COURSE = load_course(REPO / "content")
PREDICT = {q.id: (chapter, q) for chapter in COURSE.chapters for q in chapter.quiz if q.predict is not None}


def harmonic(k: int) -> float:
    return sum(1.0 / j for j in range(1, k + 1))


def silent_alignment(p: dict[str, Any]) -> float:
    """Depth 2, small random start, linear early flow: mode i's common part grows as e^(lambda_i t),
    starting at power u0/2 on average; the top mode reaches 10% of lambda_1 at
    t* = ln(0.1 lambda_1 / (u0/2)) / (2 lambda_1). A random overlap of about 1/d per mode times the
    power ratio e^(-2 (lambda_1 - lambda_j) t*) is what keeps W_1's top direction off v_1."""
    lam = sorted(p["target_sv"], reverse=True)
    t_star = math.log(0.1 * lam[0] / (p["init_scale"] / 2)) / (2 * lam[0])
    off = sum(math.exp(-2 * (lam[0] - lj) * t_star) for lj in lam[1:]) / len(lam)
    return 1.0 - off


def imbalanced_half_time(lam: float, u0: float, delta: float) -> float:
    """Time for du/dt = sqrt(delta^2 + 4u^2)(lam - u) to go from u0 to lam/2: with u = (delta/2) sinh(theta)
    and t = e^theta the integrand is 2 dt / (delta + 4 lam t - delta t^2), whose partial fractions give
    [G(lam/2) - G(u0)] / S with S = sqrt(4 lam^2 + delta^2), G(u) = ln((t(u) - t_-)/(t_+ - t(u)))."""
    S = math.sqrt(4 * lam**2 + delta**2)
    t_plus, t_minus = (2 * lam + S) / delta, (2 * lam - S) / delta

    def G(u: float) -> float:
        t = (2 * u + math.sqrt(delta**2 + 4 * u**2)) / delta
        return math.log((t - t_minus) / (t_plus - t))

    return (G(lam / 2) - G(u0)) / S


# question id -> the theory's value, from the resolved parameters (defaults filled in)
THEORY: dict[str, Callable[[dict[str, Any]], float]] = {
    # stationary variance of the discrete Langevin recursion: T / (k (1 - eta k / 2))
    "predict-langevin-near-edge": lambda p: p["temperature"] / (p["k"] * (1 - p["lr"] * p["k"] / 2)),
    # Saxe, depth N >= 3, leading order: u0^(-(N-2)/N) / ((N - 2) lambda_max)
    "predict-depth5-half-time": lambda p: (p["init_scale"] ** (-(p["depth"] - 2) / p["depth"])
                                           / ((p["depth"] - 2) * max(p["target_sv"]))),
    # Chizat et al.: |theta - theta0| ~ 1/alpha, and the kernel changes to first order in it
    "predict-kernel-change-slope": lambda p: -1.0,
    # spectrum i^-(1+a) -> loss exponent a
    "predict-scaling-exponent": lambda p: p["exponent"],
    # Cohen et al.: the sharpness hovers at 2/eta
    "predict-eos-plateau": lambda p: 2.0 / p["lr"],
    "predict-eos-which-side": lambda p: 1.0,
    # simplex ETF: -1/(C - 1)
    "predict-etf-eight": lambda p: -1.0 / (p["classes"] - 1),
    # the 1/width rule: log2(widest / narrowest) octaves
    "predict-sp-drift": lambda p: math.log2(max(p["widths"]) / min(p["widths"])),
    # Barrett & Dherin: global error O(h^2) against the modified flow
    "predict-modified-flow-order": lambda p: 2.0,
    # 1 - CKA = O(1/m)
    "predict-cka-slope": lambda p: -1.0,
    # interpolation threshold p = n
    "predict-dd-peak-place": lambda p: float(p["samples"]),
    # Belkin, Hsu & Xu, p <= n - 2: (1 - p/D + sigma^2)(1 + p/(n - p - 1)) at p = n/2
    "predict-dd-half-risk": lambda p: ((1 - (p["samples"] // 2) / p["max_features"] + p["noise"] ** 2)
                                       * (1 + (p["samples"] // 2) / (p["samples"] - p["samples"] // 2 - 1))),
    # Gromov: every neuron a single-frequency cosine, all its power in one frequency
    "predict-fourier-share": lambda p: 1.0,
    # eigenlearning, ridgeless: excess risk ~ n^-min(r, 2(1+a)), the target's exponent r
    "predict-kernel-target-exponent": lambda p: min(p["target_exponent"], 2 * (1 + p["exponent"])),
    # balanced layers (conserved W_{l+1}^T W_{l+1} - W_l W_l^T ~ 0) carry lambda^(1/L) each
    "predict-layer-norms": lambda p: sum(lam ** (2 / p["depth"]) for lam in p["target_sv"]),
    "predict-silent-alignment": lambda p: silent_alignment(p),
    # Kunin et al.: du/dt = sqrt(delta^2 + 4u^2)(lambda - u), half-times in closed form, weakest over strongest
    "predict-imbalance-spread": lambda p: (imbalanced_half_time(min(p["target_sv"]), p["init_scale"], p["imbalance"])
                                           / imbalanced_half_time(max(p["target_sv"]), p["init_scale"], p["imbalance"])),
    # Adam moves every entry by ~eta in a nearly rank-one sign pattern: eta*sqrt(fan_in*fan_out) = eta*n
    "predict-adam-update-norm": lambda p: 1.0,
}

# question id -> plausible wrong answers (the misconceptions its explanation names), each of
# which must be graded wrong
WRONG: dict[str, Callable[[dict[str, Any]], list[float]]] = {
    "predict-langevin-near-edge": lambda p: [
        p["temperature"] / p["k"],  # Boltzmann T/k, the small-step limit
        p["temperature"] / (p["k"] * (2 - p["lr"] * p["k"])),  # the factor 2 dropped
        p["temperature"],  # T
    ],
    "predict-depth5-half-time": lambda p: [
        math.log(max(p["target_sv"]) / p["init_scale"] - 1) / (2 * max(p["target_sv"])),  # depth ignored: depth 2
        p["init_scale"] ** (-1 / 2) / (2 * max(p["target_sv"])),  # depth 4's formula
        p["init_scale"] ** (-1 / 3) / (1 * max(p["target_sv"])),  # depth 3's formula
    ],
    "predict-kernel-change-slope": lambda p: [-2.0, -0.5, 1.0, 0.0],  # quadratic in the weight change; 1/sqrt; richer; none
    "predict-scaling-exponent": lambda p: [1 + p["exponent"], 1.0],  # the spectrum's exponent; the default a
    "predict-eos-plateau": lambda p: [2 / 0.4, 1 / p["lr"], 2 * p["lr"],  # the defaults' plateau; 1/eta; 2 eta
                                      (2 / 0.4) * p["lr"] / 0.4, (2 / 0.4) * p["width"] / 32],  # grows with eta; with width
    "predict-etf-eight": lambda p: [-1.0 / p["classes"], 0.0, -1.0],
    "predict-sp-drift": lambda p: [0.0, 0.5 * math.log2(max(p["widths"]) / min(p["widths"])), 1.0],  # muP; sqrt(width); one octave
    "predict-modified-flow-order": lambda p: [3.0, 1.0],  # the local order; the plain flow's
    "predict-cka-slope": lambda p: [-0.5],  # the size of the fluctuations
    "predict-dd-peak-place": lambda p: [p["max_features"] / 2, float(p["max_features"]), p["samples"] / 2, 1.0],  # 1: no noise, no peak
    "predict-dd-half-risk": lambda p: [
        p["noise"] ** 2 * (1 + (p["samples"] // 2) / (p["samples"] - p["samples"] // 2 - 1)),  # s^2 = sigma^2
        1 - (p["samples"] // 2) / p["max_features"] + p["noise"] ** 2,  # no variance factor
    ],
    "predict-fourier-share": lambda p: [harmonic((p["p"] - 1) // 2) / ((p["p"] - 1) // 2)],  # random weights: H_K/K
    "predict-layer-norms": lambda p: [
        *([sum(p["target_sv"])] if p["depth"] != 2 else []),  # the depth-2 split (right at depth 2)
        sum(lam**2 for lam in p["target_sv"]),  # the whole target in one layer
        sum(p["target_sv"]) / p["depth"],  # the product's strength split evenly
        sum(lam ** (1 / p["depth"]) for lam in p["target_sv"]),  # singular values, not their squares
    ],
    "predict-silent-alignment": lambda p: [0.3],  # "it aligns as the loss falls"
    "predict-imbalance-spread": lambda p: [  # the balanced staircase: logistic half-times
        (math.log(min(p["target_sv"]) / p["init_scale"] - 1) / (2 * min(p["target_sv"])))
        / (math.log(max(p["target_sv"]) / p["init_scale"] - 1) / (2 * max(p["target_sv"])))],
    "predict-adam-update-norm": lambda p: [0.5, 0.0, 2.0],  # a random +-eta matrix; the muP target; Frobenius^2
    "predict-kernel-target-exponent": lambda p: [
        p["exponent"],  # the spectrum's exponent (right only for the isotropic target)
        1 + p["target_exponent"],  # how fast the coefficients fall
        1 + p["exponent"],  # how fast the eigenvalues fall
        2 * (1 + p["exponent"]),  # the saturation
    ],
}


@functools.lru_cache(maxsize=None)
def measured(qid: str) -> tuple[Result, dict[str, Any], float]:
    """The question's run (once per question): the result, the resolved parameters, seconds."""
    _chapter, q = PREDICT[qid]
    sim = get(q.predict.sim)
    t0 = time.perf_counter()
    result = run_to_end(sim, q.predict.overrides, q.predict.seed)
    seconds = time.perf_counter() - t0
    print(f"{qid}: {q.predict.sim} ran in {seconds:.2f} s")
    return result, sim.resolve(q.predict.overrides), seconds


def metric_of(qid: str) -> float:
    result, _params, _s = measured(qid)
    q = PREDICT[qid][1]
    assert not result.diverged, f"{qid}: the run diverged at step {result.diverged_at}"
    value = result.metrics.get(q.predict.metric)
    assert value is not None and math.isfinite(value), f"{qid}: {q.predict.metric} = {value!r}"
    return float(value)


def graded_right(q: Question, guess: float, value: float) -> bool:
    p = q.predict
    return p.bin_of(guess) == p.bin_of(value) if q.choices else p.within(guess, value)


def test_every_simulation_has_a_predict_question_in_the_chapter_that_shows_it():
    for name in NAMES:
        showing = [c for c in COURSE.chapters if f"sim:{name}" in {str(f) for f in c.figures}]
        assert showing, f"no chapter shows {name}"
        assert any(q.predict.sim == name for c in showing for q in c.quiz if q.predict), \
            f"{name}: no predict question in {', '.join(c.id for c in showing)}"
    for qid, (chapter, q) in PREDICT.items():
        assert f"sim:{q.predict.sim}" in {str(f) for f in chapter.figures}, \
            f"{qid} asks about {q.predict.sim}, which chapter {chapter.id} does not show"


def test_every_predict_question_has_its_theory_here():
    assert set(THEORY) == set(PREDICT), "a predict question without a theory formula here (or a stale entry)"
    assert set(WRONG) <= set(PREDICT)


@pytest.mark.parametrize("qid", sorted(PREDICT))
def test_theory_is_graded_right(qid):
    q = PREDICT[qid][1]
    value = metric_of(qid)
    _result, params, _s = measured(qid)
    theory = THEORY[qid](params)
    if q.choices:
        assert q.predict.bin_of(theory) == q.predict.bin_of(value), (
            f"{qid}: theory {theory:.4g} picks choice {q.predict.bin_of(theory)}, the run ({value:.4g}) "
            f"choice {q.predict.bin_of(value)}")
    else:
        assert q.predict.within(theory, value), (
            f"{qid}: theory {theory:.4g} is not {q.predict.tolerance_text()} of the measured {value:.4g}")


@pytest.mark.parametrize("qid", sorted(WRONG))
def test_misconceptions_are_graded_wrong(qid):
    q = PREDICT[qid][1]
    value = metric_of(qid)
    _result, params, _s = measured(qid)
    for wrong in WRONG[qid](params):
        assert not graded_right(q, wrong, value), f"{qid}: the wrong answer {wrong:.4g} is graded right ({value:.4g})"


@pytest.mark.parametrize("qid", sorted(PREDICT))
def test_question_names_what_its_run_reports(qid):
    """The theory shown beside the measurement is the one the explanation derives."""
    q = PREDICT[qid][1]
    result, params, _s = measured(qid)
    if q.predict.theory:
        shown = result.prediction.get(q.predict.theory)
        assert shown is not None, f"{qid}: the run reports no {q.predict.theory}"
        assert graded_right(q, float(shown), THEORY[qid](params)), (
            f"{qid}: the theory shown ({shown:.4g}) disagrees with the explanation's ({THEORY[qid](params):.4g})")


# every question's own setting is also graded over seeds 0-4 (the seeds a review draws from): a key
# that flips with the seed would mark a correct reasoner wrong
OVER_SEEDS = sorted(PREDICT)


@pytest.mark.parametrize("qid", OVER_SEEDS)
@pytest.mark.parametrize("seed", range(5))
def test_theory_is_graded_right_over_seeds(qid, seed):
    q = PREDICT[qid][1]
    sim = get(q.predict.sim)
    result = run_to_end(sim, q.predict.overrides, seed)
    assert not result.diverged
    value = float(result.metrics[q.predict.metric])
    params = sim.resolve(q.predict.overrides)
    assert graded_right(q, THEORY[qid](params), value), f"{qid}, seed {seed}: theory vs measured {value:.4g}"
    for wrong in WRONG.get(qid, lambda p: [])(params):
        assert not graded_right(q, wrong, value), f"{qid}, seed {seed}: the wrong answer {wrong:.4g} is graded right"


# A review runs a predict question at another setting its ``vary`` allows, with a seed of 0-4
# (lmtui.core.review): the theory, worked out here at that setting, must be graded right there too,
# and the misconceptions wrong. One test per setting and seed (each one run of the simulation).
NO_VARY: set[str] = set()  # questions whose theory allows no other setting (none so far)
VARIED = [(qid, n) for qid in sorted(PREDICT) for n in range(len(PREDICT[qid][1].predict.settings()))]


def test_every_predict_question_varies_where_the_theory_allows():
    assert {qid for qid, (_c, q) in PREDICT.items() if not q.predict.settings()} == NO_VARY


@pytest.mark.parametrize("seed", REVIEW_SEEDS)
@pytest.mark.parametrize(("qid", "n"), VARIED)
def test_theory_is_graded_right_at_every_review_setting(qid, n, seed):
    q = PREDICT[qid][1]
    setting = q.predict.settings()[n]
    sim = get(q.predict.sim)
    result = run_to_end(sim, setting, seed)
    assert not result.diverged, f"{qid} at {setting}, seed {seed}: diverged"
    value = result.metrics.get(q.predict.metric)
    assert value is not None and math.isfinite(value), f"{qid} at {setting}, seed {seed}: {q.predict.metric} = {value!r}"
    params = sim.resolve(setting)
    theory = THEORY[qid](params)
    assert graded_right(q, theory, value), f"{qid} at {setting}, seed {seed}: theory {theory:.4g}, measured {value:.4g}"
    for wrong in WRONG.get(qid, lambda p: [])(params):
        assert not graded_right(q, wrong, value), f"{qid} at {setting}, seed {seed}: wrong {wrong:.4g} graded right"


PLACE = __import__("re").compile(r"\{\s*(?:[-\d.]+\s*\+\s*)?([A-Za-z_]\w*)")


@pytest.mark.parametrize("qid", sorted(PREDICT))
def test_a_review_setting_reads_right_in_the_prompt(qid):
    """Every parameter a review may vary is written in the prompt as its {place}, so the prompt a
    review shows states the drawn setting, never the chapter's numbers."""
    q = PREDICT[qid][1]
    named = set(PLACE.findall(q.predict.prompt_template))
    varied = {name for name, _values in q.predict.vary}
    assert varied <= named, f"{qid}: the prompt quotes {sorted(varied - named)} as fixed numbers"
    for setting in q.predict.settings():
        asked = q.at_setting(setting, 1)
        assert asked.prompt != q.prompt and "{" not in asked.prompt, (qid, setting)
        assert asked.fingerprint == q.fingerprint and asked.keys == q.keys
