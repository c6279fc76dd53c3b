"""One name per concept: the code's argument names follow ``book/notation.md``.

The teaching forms (``dlnotes.optim.teaching``), the library optimizers and runners, and the
exercises' reference solutions are read side by side in the chapters; a learner who meets
``dx`` in one place and ``g`` in the next, or ``decay_rate`` beside ``alpha``, has to wonder
whether they are the same thing. These tests read the signatures and fail on a retired alias.
"""

from __future__ import annotations

import inspect
import re
from pathlib import Path

import pytest

from dlnotes import landscapes, optim
from dlnotes.exercises import exercises
from dlnotes.optim import teaching

ROOT = Path(__file__).resolve().parent.parent

#: Names the book no longer uses for a concept, and the name it uses instead.
RETIRED = {
    "dx": "g (the gradient; dx is a layer's upstream gradient only in backward passes)",
    "grad_squared_sum": "grad_sum (AdaGrad's running sum of squared gradients)",
    "decay_rate": "alpha (RMSProp's decay, torch's name; the text writes β)",
    "mu": "rho or momentum (μ is the smallest curvature)",
}
#: Where a retired name is still right: ``mu`` is the smallest curvature on a landscape.
ALLOWED = {("dlnotes.landscapes", "mu")}


def _public_callables():
    out = []
    for module in (teaching, landscapes, optim):
        for name in getattr(module, "__all__", []):
            obj = getattr(module, name)
            if callable(obj):
                out.append((module.__name__, name, obj))
    for ex in exercises():
        if ex.kind == "function":
            out.append((f"exercise {ex.name}", ex.solution.__name__, ex.solution))
    return out


CALLABLES = _public_callables()


@pytest.mark.parametrize(
    ("where", "name", "obj"), CALLABLES, ids=[f"{where}:{name}" for where, name, _ in CALLABLES]
)
def test_no_retired_argument_names(where, name, obj):
    try:
        params = inspect.signature(obj).parameters
    except (TypeError, ValueError):
        return
    bad = {p: RETIRED[p] for p in params if p in RETIRED and (where, p) not in ALLOWED}
    assert not bad, f"{where}.{name}: rename {bad}"


def _params(fn) -> list[str]:
    return list(inspect.signature(fn).parameters)


@pytest.mark.parametrize(
    ("exercise", "teaching_form"),
    [
        ("ch04_momentum_step", teaching.momentum_step_add),
        ("ch05_adam_step", teaching.adam_step),
        ("ch05_rmsprop_step", teaching.rmsprop_step),
        ("ch05_adagrad_step", teaching.adagrad_step),
    ],
)
def test_an_exercise_and_its_teaching_form_share_argument_names(exercise, teaching_form):
    """The learner writes what the chapter shows: the same arguments, in the same order."""
    solution = next(ex.solution for ex in exercises() if ex.name == exercise)
    ours, theirs = _params(solution), _params(teaching_form)
    assert theirs[: len(ours)] == ours, (ours, theirs)


def test_the_notation_page_lists_the_accumulators_and_rmsprops_decay():
    page = (ROOT / "book" / "notation.md").read_text(encoding="utf-8")
    for code_name in ("grad_sum", "grad_squared", "alpha", "rho", "g"):
        assert re.search(rf"`{code_name}`", page), code_name


def test_a_layer_says_which_params_are_penalized():
    """``Layer.penalized`` (formerly ``decay``) says what it means: the weights L1/L2 apply to."""
    from dlnotes.model import mlp

    model = mlp([4, 3, 2], seed=0)
    assert model.penalized == [True, False, True, False]
    assert not hasattr(model, "decay") and not hasattr(model.layers[0], "decay")
