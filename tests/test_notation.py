"""One name per concept: the code's argument names follow ``book/notation.md``.

The teaching forms (``dlnotes.optim.teaching``), the library optimizers and runners, and the
exercises' reference solutions are read side by side in the chapters; a learner who meets
``dx`` in one place and ``g`` in the next, or ``decay_rate`` beside ``alpha``, has to wonder
whether they are the same thing. These tests read the signatures and fail on a retired alias.
"""

from __future__ import annotations

import ast
import importlib
import inspect
import re
from pathlib import Path

import numpy as np
import pytest

from dlnotes import averages, landscapes, layers, optim, schedules
from dlnotes.exercises import exercises
from dlnotes.optim import SGD, teaching
from dlnotes.optim.lbfgs import LBFGS, strong_wolfe

ROOT = Path(__file__).resolve().parent.parent

#: Names the book no longer uses for a concept, and the name it uses instead.
RETIRED = {
    "dx": "g (the gradient; dx is a layer's upstream gradient only in backward passes)",
    "grad_squared_sum": "grad_sum (AdaGrad's running sum of squared gradients)",
    "decay_rate": "alpha (RMSProp's decay, torch's name; the text writes β)",
    "mu": "rho or momentum (μ is the smallest curvature)",
    "wd": "weight_decay (λ; the name of dlnotes.optim and torch)",
    "train": 'mode ("train" or "eval", as the layers take it)',
    "training": 'mode ("train" or "eval", as the layers take it)',
    "hessian": "H (the Hessian, as the text writes it and ch02_max_stable_lr takes it)",
}
#: Where a retired name is still right: ``mu`` is the smallest curvature on a landscape;
#: chapter 15's functional batch norm takes torch.nn.functional.batch_norm's ``training``.
ALLOWED = {("dlnotes.landscapes", "mu"), ("dlnotes.autograd", "training")}

#: Every module of the library whose public functions a chapter calls.
_MORE = (
    "losses",
    "gradcheck",
    "train",
    "tuning",
    "init",
    "model",
    "autograd",
    "data",
    "bayesopt",
    "zoo",
)
MODULES = (
    teaching, landscapes, optim, schedules, layers, averages,
    *(importlib.import_module(f"dlnotes.{name}") for name in _MORE),
)  # fmt: skip


def _public_callables():
    out = []
    for module in MODULES:
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
    for code_name in ("grad_sum", "grad_squared", "alpha", "rho", "g", "t", "step", "step_length"):
        assert re.search(rf"`{code_name}`", page), code_name


def test_a_layer_says_which_params_are_penalized():
    """``Layer.penalized`` (formerly ``decay``) says what it means: the weights L1/L2 apply to."""
    from dlnotes.model import mlp

    model = mlp([4, 3, 2], seed=0)
    assert model.penalized == [True, False, True, False]
    assert not hasattr(model, "decay") and not hasattr(model.layers[0], "decay")


# --------------------------------------------------------------------------------------------
# three counters, three names: the optimizer's step t, a schedule's index step, L-BFGS's eta
# --------------------------------------------------------------------------------------------

#: Where ``t`` may be an argument: the optimizer's step count, 1 for the first update (Adam's
#: bias correction ``1 - beta**t``). A schedule's index from 0 is ``step``; L-BFGS's step length
#: along its direction is ``step_length`` (``eta`` in the code, torch's ``t``).
T_IS_THE_OPTIMIZER_STEP = {
    ("dlnotes.optim.teaching", "adam_step"),
    ("exercise ch05_adam_step", "adam_step"),
    ("exercise ch05_adamw_step", "adamw_step"),
}


def test_t_is_only_the_optimizers_step_count():
    calls = [*CALLABLES, ("dlnotes.schedules", "Schedule.__call__", schedules.Schedule.__call__)]
    found = {(where, name) for where, name, obj in calls if "t" in _safe_params(obj)}
    assert found == T_IS_THE_OPTIMIZER_STEP, found ^ T_IS_THE_OPTIMIZER_STEP


def _safe_params(obj) -> list[str]:
    try:
        return list(inspect.signature(obj).parameters)
    except (TypeError, ValueError):
        return []


def test_a_schedule_is_indexed_by_step_from_zero():
    assert _params(schedules.Schedule.__call__) == ["self", "step"]
    assert _params(schedules.apply_schedule)[-1] == "step"
    assert schedules.step_decay(1.0, 2, 0.5)(step=2) == 0.5
    for name in ("ch06_step_decay", "ch06_cosine_lr"):
        solution = next(ex.solution for ex in exercises() if ex.name == name)
        assert _params(solution)[0] == "step", name
    opt = SGD(np.zeros(1), lr=1.0)
    for step in range(3):
        assert opt.t == step  # the schedule's index before the update is the count so far
        opt.step(np.ones(1))
    assert opt.t == 3


def _bare_names(path: Path) -> set[str]:
    """Every variable and argument name of a module (attributes such as ``self.t`` excluded)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names = {node.id for node in ast.walk(tree) if isinstance(node, ast.Name)}
    return names | {node.arg for node in ast.walk(tree) if isinstance(node, ast.arg)}


@pytest.mark.parametrize("module", ["dlnotes/schedules.py", "dlnotes/optim/lbfgs.py"])
def test_no_bare_t_where_it_is_not_the_optimizer_step(module):
    """The schedules count ``step`` from 0 and L-BFGS moves by ``eta``: neither is ``t``."""
    assert "t" not in _bare_names(ROOT / module)


def test_lbfgs_names_its_step_length():
    assert _params(strong_wolfe)[:2] == ["obj", "step_length"]
    assert "step_length" in (LBFGS.__doc__ or "")


# --------------------------------------------------------------------------------------------
# an exercise and the library function it is a simple version of
# --------------------------------------------------------------------------------------------

#: Pairs whose shared arguments may come in a different order, and why.
ORDER_EXEMPT = {
    ("ch06_cosine_lr", "dlnotes.schedules:cosine"): (
        "one function for warm-up + cosine, written with the chapter's α_max and α_min; "
        "lr_min before total_steps as in triangular(lr_min, lr_max, ...)"
    ),
}


def _resolve(dotted: str):
    module, _, attr = dotted.partition(":")
    obj = importlib.import_module(module)
    for part in attr.split("."):
        obj = getattr(obj, part)
    return obj


def _exercise_library_pairs():
    pairs = []
    for ex in exercises():
        if ex.kind != "function":
            continue
        for dotted in ex.references:
            theirs = _safe_params(_resolve(dotted))
            if theirs:
                pairs.append((ex.name, dotted, _params(ex.solution), theirs))
    return pairs


PAIRS = _exercise_library_pairs()


@pytest.mark.parametrize(
    ("exercise", "library", "ours", "theirs"), PAIRS, ids=[f"{e}~{d}" for e, d, _, _ in PAIRS]
)
def test_an_exercise_uses_its_library_counterparts_argument_names(exercise, library, ours, theirs):
    """The learner's arguments are the library's: the same spelling (``X`` for a batch, not
    ``x``) and, for the arguments both have, the same order."""
    by_lower = {name.lower(): name for name in theirs}
    clashes = [
        (name, by_lower[name.lower()])
        for name in ours
        if name.lower() in by_lower and by_lower[name.lower()] != name
    ]
    assert not clashes, f"{exercise} spells {library}'s arguments differently: {clashes}"
    shared = [name for name in ours if name in theirs]
    if (exercise, library) not in ORDER_EXEMPT:
        assert shared == [name for name in theirs if name in ours], (exercise, ours, theirs)


def test_the_dropout_exercise_takes_the_librarys_arguments_first():
    forward = next(ex.solution for ex in exercises() if ex.name == "ch10_dropout_forward")
    backward = next(ex.solution for ex in exercises() if ex.name == "ch10_dropout_backward")
    assert _params(forward) == [*_params(layers.dropout_forward)[:3], "u"]
    assert _params(backward) == _params(layers.dropout_backward)
