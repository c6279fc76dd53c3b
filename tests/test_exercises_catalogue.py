"""Every catalogued exercise accepts its reference solution and rejects each of its known
mistakes with the mistake's name, on both suites.

Parametrised over the registry, so the exercises of every chapter module added later are
covered without touching this file.
"""

from __future__ import annotations

import inspect
import re
import sys
import textwrap

import numpy as np
import pytest

from dlnotes.exercises import FunctionExercise, check, exercises
from dlnotes.exercises.core import _arrays, _plain

EXERCISES = exercises()
FUNCTION_EXERCISES = [ex for ex in EXERCISES if isinstance(ex, FunctionExercise)]
MISTAKES = [(ex, m) for ex in EXERCISES for m in ex.mistakes]
SUITES = ("visible", "hidden")


def solution_copy(ex):
    """The reference solution as a learner who typed the same code would pass it: its source
    compiled afresh in its module's namespace (not the reference object, so the integrity check
    that rejects calls of the reference lets it through); for a value exercise, the value.
    Test-only: the package does not ship a way to get a callable copy of an answer."""
    if not isinstance(ex, FunctionExercise):
        return ex.solution
    source = textwrap.dedent(inspect.getsource(ex.solution))
    namespace = dict(vars(sys.modules[ex.solution.__module__]))
    exec(compile(source, f"<copy of {ex.solution.__qualname__}>", "exec"), namespace)
    return namespace[ex.solution.__name__]


def _id(obj) -> str:
    if isinstance(obj, tuple):
        return f"{obj[0].name}-{obj[1].name}"
    return obj.name


@pytest.mark.parametrize("suite", SUITES)
@pytest.mark.parametrize("ex", EXERCISES, ids=_id)
def test_the_reference_solution_passes(ex, suite, capsys):
    if getattr(ex, "required", ()):  # a numpy reference of an answer that must use torch (ch15)
        with pytest.raises(AssertionError, match=f"^{ex.name}: not counted: "):
            check(ex.name, solution_copy(ex), suite=suite)
        return
    check(ex.name, solution_copy(ex), suite=suite)
    assert capsys.readouterr().out.startswith(f"✓ {ex.name}: ")


@pytest.mark.parametrize("suite", SUITES)
@pytest.mark.parametrize(("ex", "mistake"), MISTAKES, ids=[_id(p) for p in MISTAKES])
def test_each_known_mistake_is_rejected_and_named(ex, mistake, suite):
    with pytest.raises(AssertionError) as info:
        check(ex.name, mistake.wrong, suite=suite)
    msg = str(info.value)
    claimed = re.findall(r"Likely mistake: (.+?) — ", msg)
    assert claimed == [mistake.name], msg
    assert _plain(mistake.hint) in msg  # as printed: Markdown emphasis removed


@pytest.mark.parametrize("ex", FUNCTION_EXERCISES, ids=_id)
def test_the_reference_object_itself_is_refused(ex):
    with pytest.raises(AssertionError, match="calls dlnotes' own solution"):
        check(ex.name, ex.solution)


@pytest.mark.parametrize("ex", EXERCISES, ids=_id)
def test_every_exercise_is_fully_described(ex):
    assert ex.title and ex.hint and ex.signature
    assert len(ex.mistakes) >= 2, "list the common wrong answers"
    assert all(m.name and m.hint for m in ex.mistakes)
    if isinstance(ex, FunctionExercise):
        for dotted, obj in ex.reference_callables():  # every named reference resolves
            assert callable(obj), dotted


@pytest.mark.parametrize("ex", FUNCTION_EXERCISES, ids=_id)
def test_cases_are_seeded_nontrivial_and_hidden_differs(ex):
    visible, hidden = ex.cases("visible"), ex.cases("hidden")
    assert len(visible) >= 3 and len(hidden) >= 3
    for case in visible + hidden:
        if "zero" in case.label:  # a case about a zero input (a dead unit's gradient) says so
            continue
        for arr in _arrays((case.args, dict(case.kwargs))):
            if arr.dtype.kind == "f" and arr.size > 1:
                assert not np.all(arr == arr.flat[0]), f"{case.label}: a constant input array"
    again = ex.cases("visible")  # seeded: the same inputs every time
    for a, b in zip(visible, again):
        assert all(
            np.array_equal(x, y, equal_nan=x.dtype.kind in "fc")  # NaN marks a failed run
            for x, y in zip(_arrays(a.args), _arrays(b.args))
        )
    labels_and_inputs = {(c.label, repr(list(_arrays(c.args)))) for c in visible}
    assert not any((c.label, repr(list(_arrays(c.args)))) in labels_and_inputs for c in hidden)


@pytest.mark.parametrize(
    ("ex", "mistake"),
    [p for p in MISTAKES if isinstance(p[0], FunctionExercise)],
    ids=[_id(p) for p in MISTAKES if isinstance(p[0], FunctionExercise)],
)
def test_each_mistake_is_wrong_on_some_visible_case(ex, mistake):
    """A mistake the visible checks cannot see would let wrong code pass (a right result with
    another number of draws from a random generator argument counts as wrong)."""
    from dlnotes.exercises.core import (
        _behaviour,
        _call,
        _compare,
        _generator_states,
        _param_names,
        _same_state,
    )

    cases = ex.cases("visible")
    names = _param_names(ex.solution, max(len(c.args) for c in cases))
    differs = []
    for case in cases:
        run = _call(mistake.wrong, case, 5.0, {})
        expected = ex.solution(*case.args, **case.kwargs)  # draws from the case's own generators
        modified, aliased = _behaviour(run, case, names)
        drew_otherwise = not _same_state(
            _generator_states((case.args, dict(case.kwargs))),
            _generator_states((run.args, run.kwargs)),
        )
        differs.append(
            _compare(expected, run.output, ex.rtol, ex.atol) is not None
            or modified
            or aliased
            or drew_otherwise
        )
    assert any(differs)


# --- chapter 02 specifics ----------------------------------------------------------------------


def test_lr_challenge_band_matches_the_closed_form():
    """On diag(1, 0.1) from (2, 2): f_60(lr) = 2 (1 - lr)^120 + 0.2 (1 - 0.1 lr)^120."""
    from dlnotes.landscapes import LR_CHALLENGE, lr_challenge_band

    def f60(lr):
        return 2 * (1 - lr) ** 120 + 0.2 * (1 - 0.1 * lr) ** 120

    lo, hi = lr_challenge_band(LR_CHALLENGE)
    assert 0.9 < lo < 1.0 and 1.85 < hi < 1.9
    assert f60(lo) == pytest.approx(1e-6, rel=1e-6)
    assert f60(hi) == pytest.approx(1e-6, rel=1e-6)
    for lr in np.linspace(lo, hi, 7)[1:-1]:
        check("ch02_lr_challenge", float(lr))
    for lr in (lo * 0.98, hi * 1.01):
        with pytest.raises(AssertionError, match="not below 1e-06"):
            check("ch02_lr_challenge", lr)


def test_max_stable_lr_golden_value():
    from dlnotes.exercises.ch02 import max_stable_lr

    c, s = np.cos(0.4), np.sin(0.4)
    R = np.array([[c, -s], [s, c]])
    H = R @ np.diag([5.0, 0.5]) @ R.T
    assert max_stable_lr(H) == pytest.approx(0.4, rel=1e-12)


def test_clip_by_norm_golden_values():
    from dlnotes.exercises.ch02 import clip_by_norm

    g = np.array([3.0, -4.0], dtype=np.float32)
    out = clip_by_norm(g, 2.5)
    assert out.dtype == np.float32
    np.testing.assert_allclose(out, [1.5, -2.0], rtol=1e-7)
    np.testing.assert_array_equal(clip_by_norm(g, 7.0), g)
    np.testing.assert_array_equal(g, [3.0, -4.0])
