"""Chapters 02 and 04: every challenge number, verdict and run measure has one home.

The challenges' settings, loss, band and verdict live in :mod:`dlnotes.landscapes` (the explorers
and the exercises read them there, and no longer keep copies); notebooks 02 and 04 measure their
runs with the library's :func:`~dlnotes.landscapes.steps_to_shrink` and
:func:`~dlnotes.landscapes.first_below` instead of two pairs of helpers of their own; the runners
name the schedule index ``step``, not ``t``; and two silent answers became clear errors
(``ill_conditioned_quadratic(kappa, dim=1)``, ``gd_steps_to_target`` from the minimizer).
"""

from __future__ import annotations

import ast
import inspect
import json
import math
import re
from pathlib import Path

import numpy as np
import pytest

from dlnotes import landscapes as ls
from dlnotes.exercises import ch02 as ex02
from dlnotes.exercises import ch04 as ex04
from dlnotes.exercises import get
from dlnotes.explorers import ch02 as xp02
from dlnotes.explorers import ch04 as xp04

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = {n: ROOT / "notebooks" / f"{n}.ipynb" for n in ("02_conditioning", "04_momentum")}


def _code_cells(name: str) -> list[str]:
    nb = json.loads(NOTEBOOKS[name].read_text(encoding="utf-8"))
    return ["".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "code"]


def _calls(path: Path) -> set[str]:
    """The names every call in a module calls (``f(...)`` and ``x.f(...)`` give ``f``)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    out = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            func = node.func
            out.add(func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", ""))
    return out


# --- 1, 16: the challenges' numbers live in landscapes, under the Challenge's field names -------


def test_the_challenge_loss_and_band_are_library_functions_of_a_challenge():
    challenge = ls.LR_CHALLENGE
    assert abs(ls.challenge_loss(challenge, 2.0) - 2.0) < 1e-9  # the steep direction flips
    assert ls.challenge_loss(challenge, 0.5) > 100 * challenge.target
    assert ls.challenge_loss(challenge, 2.5) == math.inf  # blew up
    lo, hi = ls.lr_challenge_band(challenge)
    assert 0.96 < lo < 0.97 < 1.88 < hi < 1.89
    for lr in (lo, (lo + hi) / 2, hi):
        assert ls.challenge_loss(challenge, lr) < challenge.target
    for lr in (lo * 0.999, hi * 1.001):
        assert ls.challenge_loss(challenge, lr) >= challenge.target
    with pytest.raises(TypeError, match="challenge must be a Challenge"):
        ls.challenge_loss((10.0, (2.0, 2.0), 60, 1e-6), 1.0)


def test_each_challenge_bowl_is_the_challenges_own():
    for challenge in (ls.LR_CHALLENGE, ls.MOMENTUM_CHALLENGE):
        bowl = challenge.bowl()
        assert bowl.kappa == pytest.approx(challenge.kappa) and bowl.L == 1.0


@pytest.mark.parametrize(
    ("module", "names"),
    [
        (ex02, ("challenge_bowl", "challenge_loss", "lr_challenge_band", "CHALLENGE_STEPS")),
        (ex02, ("CHALLENGE_KAPPA", "CHALLENGE_X0", "CHALLENGE_TARGET")),
        (ex04, ("challenge_bowl", "CHALLENGE_KAPPA", "CHALLENGE_X0", "CHALLENGE_STEPS")),
        (ex04, ("CHALLENGE_TARGET", "CHALLENGE_TAIL")),
        (xp02, ("STEPS", "TARGET")),
        (xp04, ("STEPS", "TARGET", "TAIL", "X0", "_stays_from")),
    ],
)
def test_no_second_name_for_a_challenge_setting(module, names):
    """Each setting has one name, the Challenge's field (``LR_CHALLENGE.steps``, ...), and each
    function one home, the library (importing it from there is fine)."""
    tree = ast.parse(inspect.getsource(module))
    defined = {n.name for n in tree.body if isinstance(n, ast.FunctionDef)}
    for node in tree.body:
        if isinstance(node, (ast.Assign, ast.AnnAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            defined |= {t.id for t in targets if isinstance(t, ast.Name)}
    assert defined & set(names) == set()


def test_the_explorers_default_to_their_challenge():
    for factory, challenge in (
        (xp02.gd_quadratic, ls.LR_CHALLENGE),
        (xp04.heavy_ball_quadratic, ls.MOMENTUM_CHALLENGE),
    ):
        assert inspect.signature(factory).parameters["steps"].default == challenge.steps
    frame = xp04.heavy_ball_quadratic().compute(lr=1.0, rho=0.9, kappa=100)
    assert tuple(frame["run"].xs[0]) == ls.MOMENTUM_CHALLENGE.x0


def test_the_notebooks_read_the_challenges_from_the_library():
    for name in NOTEBOOKS:
        code = "\n".join(_code_cells(name))
        assert not re.search(r"from dlnotes\.exercises\.ch0\d import", code), name
        assert "challenge_bowl" not in code, name
    chapter04 = "\n".join(_code_cells("04_momentum"))
    assert "(2.0, 2.0)" not in chapter04  # the challenge's x0 is MOMENTUM_CHALLENGE.x0
    chapter02 = "\n".join(_code_cells("02_conditioning"))
    assert "lr_challenge_band(LR_CHALLENGE)" in chapter02


# --- 2: one verdict for the momentum challenge ---------------------------------------------------


def _run(fs, diverged=False):
    fs = np.asarray(fs, dtype=float)
    return ls.Run(np.zeros((len(fs), 2)), fs, diverged)


SMALL = ls.Challenge(kappa=10.0, x0=(2.0, 2.0), steps=3, target=1.0, tail=2)


@pytest.mark.parametrize(
    ("fs", "diverged", "expected"),
    [
        ([4.0, 2.0, 0.5, 0.4, 0.3, 0.2], False, (2, 2, -1)),  # reaches and stays
        ([4.0, 0.5, 2.0, 3.0, 3.0, 3.0], False, (-1, 1, -1)),  # dipped, then back above
        ([4.0, 2.0, 2.0, 0.5, 3.0, 0.5], False, (-1, 3, 4)),  # below at step 3 by luck
        ([4.0, 2.0, 2.0, 2.0, 2.0, 2.0], False, (-1, -1, -1)),  # never
        ([4.0, 2.0, 0.5, 0.4, 0.3], True, (-1, 2, 5)),  # blew up while below: one past the end
        ([4.0, 2.0], True, (-1, -1, -1)),  # blew up before the last counted step
    ],
)
def test_challenge_outcome_tells_staying_from_a_dip_and_from_luck(fs, diverged, expected):
    outcome = ls.challenge_outcome(SMALL, _run(fs, diverged))
    assert isinstance(outcome, ls.ChallengeOutcome) and tuple(outcome) == expected


def test_challenge_outcome_counts_to_the_steps_it_is_given():
    run = _run([4.0, 2.0, 2.0, 2.0, 0.5, 0.4, 0.3])
    assert ls.challenge_outcome(SMALL, run).stay == -1  # from step 4: too late for 3
    assert ls.challenge_outcome(SMALL, run, steps=4).stay == 4
    with pytest.raises(TypeError, match="run must be a Run"):
        ls.challenge_outcome(SMALL, np.ones(6))
    with pytest.raises(ValueError, match="steps"):
        ls.challenge_outcome(SMALL, run, steps=-1)


@pytest.mark.parametrize(
    "path", ["dlnotes/exercises/ch04.py", "dlnotes/explorers/ch04.py"], ids=lambda p: p
)
def test_the_exercise_and_the_explorer_take_the_verdict_from_challenge_outcome(path):
    calls = _calls(ROOT / path)
    assert "challenge_outcome" in calls
    assert not calls & {"steps_to_stay", "steps_to_target", "flatnonzero"}, path


def test_the_exercise_and_the_explorer_agree_with_challenge_outcome():
    verify = get("ch04_momentum_challenge").verify
    explorer = xp04.heavy_ball_quadratic()
    challenge = ls.MOMENTUM_CHALLENGE
    for pair in [(3.3, 0.67), (0.75, 0.9), (3.5, 0.8975), (1.0, 0.9), (1.0, 0.0)]:
        run = ls.heavy_ball(challenge.bowl(), challenge.x0, *pair, challenge.steps + challenge.tail)
        outcome = ls.challenge_outcome(challenge, run)
        verdict = verify(pair)
        status = explorer.compute(lr=pair[0], rho=pair[1], kappa=challenge.kappa)["status"]
        assert verdict.passed == (outcome.stay >= 0), pair
        if outcome.stay >= 0:
            assert f"from step {outcome.stay} on" in verdict.summary
            assert status.startswith(f"heavy ball: {outcome.stay} steps;")
        elif outcome.back >= 0:
            assert f"climbs back above it at step {outcome.back}" in verdict.summary
            assert f"(climbs back at {outcome.back})" in status
        elif outcome.hit >= 0:
            assert f"dipped below the target 1e-06 at step {outcome.hit}" in verdict.summary
            assert f"(below the target at step {outcome.hit}, then back above)" in status


# --- 3: the update rules written twice in runners say why, and which tests tie them --------------


@pytest.mark.parametrize(
    ("function", "test_file"),
    [
        (ls.lr_sweep, "tests/test_explorers_ch05.py"),
        (ls.runners._heavy_ball_walk, "tests/test_landscapes.py"),
    ],
    ids=["lr_sweep", "_heavy_ball_walk"],
)
def test_a_second_implementation_names_the_tests_that_tie_it_to_optim(function, test_file):
    doc = inspect.getdoc(function) or ""
    named = re.findall(r"``(test_\w+)``", doc)
    assert named, f"{function.__name__} must name the tests that tie it to dlnotes.optim"
    defined = set()
    for path in (ROOT / "tests").glob("test_*.py"):
        defined |= set(re.findall(r"^def (test_\w+)", path.read_text(encoding="utf-8"), re.M))
    assert set(named) <= defined
    assert test_file in doc and "dlnotes.optim" in doc


def test_gradient_descent_and_heavy_ball_share_one_loop():
    bowl = ls.ill_conditioned_quadratic(30.0, theta=0.3)
    gd = ls.gradient_descent(bowl, (1.0, -2.0), 0.5, 80)
    hb = ls.heavy_ball(bowl, (1.0, -2.0), 0.5, 0.0, 80)
    np.testing.assert_array_equal(gd.xs, hb.xs)
    assert {"_heavy_ball_walk"} <= _calls(ROOT / "dlnotes/landscapes/runners.py")


# --- 4: the schedule index is `step`, the optimizer's step from 1 is `t` -----------------------


def _functions_binding_bare_t(path: Path) -> dict[str, list[ast.AST]]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found: dict[str, list[ast.AST]] = {}
    for fn in ast.walk(tree):
        if isinstance(fn, ast.FunctionDef):
            for node in ast.walk(fn):
                if (isinstance(node, ast.Name) and node.id == "t") or (
                    isinstance(node, ast.arg) and node.arg == "t"
                ):
                    found.setdefault(fn.name, []).append(node)
    return found


def test_runners_has_no_bare_t_as_a_schedule_index():
    """Only :func:`lr_sweep` names a variable ``t``: Adam's step count from 1 (``1 − β^t``)."""
    path = ROOT / "dlnotes/landscapes/runners.py"
    found = _functions_binding_bare_t(path)
    assert set(found) <= {"lr_sweep"}, sorted(found)
    tree = ast.parse(path.read_text(encoding="utf-8"))
    sweep = next(
        n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef) and n.name == "lr_sweep"
    )
    loops = [
        n for n in ast.walk(sweep) if isinstance(n, ast.For) and getattr(n.target, "id", "") == "t"
    ]
    assert len(loops) == 1
    start = loops[0].iter.args[0]  # range(1, steps + 1): counted from 1
    assert isinstance(start, ast.Constant) and start.value == 1


def test_a_schedule_error_names_the_step_index():
    with pytest.raises(ValueError, match=r"the schedule lr\(step\) at step = 3: lr must be >= 0"):
        ls.gradient_descent(ls.Rosenbrock(), [0.0, 0.0], lambda step: 0.1 if step < 3 else -1, 5)
    with pytest.raises(ValueError, match=r"a schedule lr\(step\) or one rate per step"):
        ls.gradient_descent(ls.Rosenbrock(), [0.0, 0.0], np.full(4, 0.1), 5)


# --- 8: a 1-D bowl has one curvature --------------------------------------------------------


def test_ill_conditioned_quadratic_refuses_a_kappa_one_dimension_cannot_have():
    with pytest.raises(ValueError, match="kappa > 1 needs dim >= 2"):
        ls.ill_conditioned_quadratic(10.0, dim=1)
    one = ls.ill_conditioned_quadratic(1.0, dim=1, L=3.0)
    assert one.dim == 1 and one.kappa == 1.0 and one.L == 3.0


# --- 15: one helper for "steps to shrink" and one for "first step below a level" ---------------


def test_steps_to_shrink_is_the_closed_form_of_chapter_02():
    """With α* = 2/(L + μ) every direction shrinks by r* = (κ − 1)/(κ + 1) per step."""
    for kappa in (1.5, 10.0, 100.0):
        bowl = ls.ill_conditioned_quadratic(kappa, theta=0.4)
        run = ls.gradient_descent(bowl, (-3.0, 1.5), 2 / (bowl.L + bowl.mu), 2000)
        r_star = (kappa - 1) / (kappa + 1)
        predicted = math.ceil(math.log(1e-6) / math.log(r_star))
        assert ls.steps_to_shrink(run.xs, bowl.minimizer, 1e-6) == predicted
    short = ls.gradient_descent(bowl, (-3.0, 1.5), 2 / (bowl.L + bowl.mu), 10)
    assert ls.steps_to_shrink(short.xs, bowl.minimizer) == -1  # not within the run
    shifted = ls.Quadratic(np.diag([1.0, 4.0]), b=[1.0, 4.0])  # x* = (1, 1)
    xs = np.array([[3.0, 1.0], [2.0, 1.0], [1.5, 1.0], [1.0, 1.0]])
    assert ls.steps_to_shrink(xs, shifted.minimizer, 0.5) == 2  # distances 2, 1, 0.5, 0


@pytest.mark.parametrize(
    ("args", "error", "match"),
    [
        ((np.zeros((3, 2)), [0.0, 0.0]), ValueError, "must not be the minimizer"),
        ((np.ones((3, 2)), [0.0, 0.0], 0.0), ValueError, "factor"),
        ((np.ones((3, 2)), [0.0, 0.0], 1.5), ValueError, "factor"),
        ((np.ones((3, 2)), [0.0, 0.0, 0.0]), ValueError, "minimizer must have shape"),
        ((np.ones(3), [0.0]), ValueError, "xs must be 2-dimensional"),
        ((np.ones((0, 2)), [0.0, 0.0]), ValueError, "at least the start"),
        ((np.ones((3, 2)), [np.nan, 0.0]), ValueError, "minimizer must be finite"),
    ],
)
def test_steps_to_shrink_validates_its_inputs(args, error, match):
    with pytest.raises(error, match=match):
        ls.steps_to_shrink(*args)


def test_first_below_times_the_escape_from_the_saddle():
    saddle = ls.Saddle()
    assert ls.first_below([0.3, 0.0, -0.1, -0.21, -0.25], -0.2) == 3
    assert ls.first_below([0.3, np.nan, -0.25], -0.2) == 2  # NaN never counts
    assert ls.first_below([0.3, 0.1], -0.2) is None  # never: None, "never" in a table
    ridge = ls.gradient_descent(saddle, [1.5, 0.0], 0.1, 300)  # converges to the saddle
    assert ls.first_below(ridge.fs, -0.2) is None
    near = ls.gradient_descent(saddle, [1.5, 1e-6], 0.1, 300)
    step = ls.first_below(near.fs, -0.2)
    assert step is not None and near.fs[step] < -0.2 <= near.fs[step - 1]
    with pytest.raises(ValueError, match="at least one loss"):
        ls.first_below([], 0.0)
    with pytest.raises(ValueError, match="fs must be 1-dimensional"):
        ls.first_below(np.ones((2, 2)), 0.0)
    with pytest.raises(ValueError, match="level must be finite"):
        ls.first_below([1.0], math.nan)


def test_the_notebooks_measure_with_the_library_helpers():
    for name in NOTEBOOKS:
        code = "\n".join(_code_cells(name))
        defined = {
            node.name
            for cell in _code_cells(name)
            for node in ast.walk(ast.parse(_python(cell)))
            if isinstance(node, ast.FunctionDef)
        }
        assert not defined & {"steps_to_shrink", "escape_step", "_first_below"}, name
        assert "ls.steps_to_shrink(" in code and "ls.first_below(" in code, name


def _python(cell: str) -> str:
    return "\n".join("" if ln.lstrip().startswith(("%", "!")) else ln for ln in cell.splitlines())


# --- 24: gd_steps_to_target from any start, and never a silent 0 -------------------------------


def test_gd_steps_to_target_refuses_to_count_from_the_minimizer():
    bowl = ls.ill_conditioned_quadratic(10.0)
    with pytest.raises(ValueError, match=r"the origin \(the default x0\) is the minimizer"):
        ls.gd_steps_to_target(bowl, 100.0)
    with pytest.raises(ValueError, match="is the minimizer of quad"):
        ls.gd_steps_to_target(bowl, 0.5, x0=[0.0, 0.0])


def test_gd_steps_to_target_counts_from_x0():
    bowl = ls.ill_conditioned_quadratic(10.0)
    x0 = (2.0, 2.0)
    assert ls.gd_steps_to_target(bowl, 100.0, x0=x0, max_steps=500) == 500  # unstable
    for lr in (0.5, 1.0, 1.6):
        steps = ls.gd_steps_to_target(bowl, lr, x0=x0)
        fs = ls.gradient_descent(bowl, x0, lr, steps).fs
        assert fs[-1] <= 1e-6 * fs[0] < fs[-2], lr
    with pytest.raises(ValueError, match="x0 must have shape"):
        ls.gd_steps_to_target(bowl, 0.5, x0=[1.0])
    with pytest.raises(ValueError, match="x0 must be finite"):
        ls.gd_steps_to_target(bowl, 0.5, x0=[1.0, math.inf])


def test_gd_steps_to_target_still_starts_at_the_origin_by_default():
    """Chapter 01 calls ``gd_steps_to_target(quad, lr)`` on a bowl whose minimum is elsewhere."""
    quad = ls.Quadratic(np.array([[2.0, 0.5], [0.5, 1.0]]), b=[1.0, -0.5])
    for lr in (0.2, 0.5):
        assert ls.gd_steps_to_target(quad, lr) == ls.gd_steps_to_target(quad, lr, x0=[0.0, 0.0])
        assert ls.gd_steps_to_target(quad, lr) > 0
