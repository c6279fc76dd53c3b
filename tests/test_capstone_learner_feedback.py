"""The capstone's part-2 feedback on a learner review's answers (chapter 16, exercise 2).

1. A ``train_best_model`` that reads the notebook's ``data`` (or a helper or constant of another
   cell) passed the notebook's check but scores 0 when graded (only the answer cell and the
   import cells run there: NameError). ``model_check`` now fails it, naming the names; names the
   graded run does define (import cells, the answer cell itself, builtins, attributes) are not
   named.
2. A model copied before ``fit`` and returned (dev at chance) is said to be not the model
   trained, against the budget's last checkpoint; a run at chance otherwise is said to be at
   chance, with the learning rate and dead ReLUs, not the generic recipe.
3. Steps an optimizer took before the budget (a warm-up ``fit`` without it) are not steps inside
   a counted epoch: the run's note is the accurate first-loss one.
"""

from __future__ import annotations

from typing import Any

import pytest

from dlnotes import capstone
from dlnotes.capstone import model_check
from dlnotes.exercises.verdict import CheckFailed
from dlnotes.model import mlp
from dlnotes.optim import SGD, AdamW
from dlnotes.train import fit
from tests.test_capstone_notebook_checks import IMPORTS, TRAIN, Kernel

GLOBAL_DATA = (
    "the graded run executes only this cell and the import cells, so it would raise NameError"
)


@pytest.fixture(scope="module")
def data() -> dict[str, Any]:
    return capstone.capstone_data()


@pytest.fixture(scope="module")
def trained() -> Any:
    """A model that beats the baseline on dev."""
    from dlnotes import zoo

    return zoo.load("fashion10_mlp")


def _said(model: Any, message: str = "returned a model after 1.0 s", **kw: Any) -> str:
    try:
        model_check(model, message, **kw)
    except CheckFailed as err:
        return str(err)
    return ""


# 1. names defined outside the answer cell


def test_the_notebooks_data_read_by_train_best_model_is_not_counted(monkeypatch, trained):
    kernel = Kernel(monkeypatch)
    kernel.run(IMPORTS)
    kernel.run("data = {'X_train': None}")
    kernel.run(TRAIN.replace("(data, budget)", "(d, budget)"))
    said = _said(trained)
    assert "✓" not in said and said.startswith("ch16_train_best_model: not counted: "), said
    assert (
        "train_best_model uses `data`, defined outside its cell: " + GLOBAL_DATA + ": use the "
        "argument, or define it in this cell (your function calls its data argument `d`)"
    ) in said, said
    kernel.run(TRAIN)  # the argument: passes
    assert _said(trained) == ""


def test_a_helper_or_constant_of_another_cell_is_named(monkeypatch, trained):
    kernel = Kernel(monkeypatch)
    kernel.run(IMPORTS)
    kernel.run("SCALE = 1.0\n\ndef prep(X):\n    return X * SCALE")
    kernel.run("import math\nEPOCHS_USED = 3")  # a cell that mixes imports with code
    uses = TRAIN.replace('data["X_train"], data', 'prep(data["X_train"]) * math.pi, data')
    kernel.run(uses)
    said = _said(trained)
    assert "train_best_model uses `prep` and `math`, defined outside its cell" in said, said
    # a helper of the answer cell itself: what it reads is checked too
    kernel.run("def prep2(X):\n    return X * SCALE\n\n" + uses.replace("prep(", "prep2("))
    said = _said(trained)
    assert "train_best_model uses `math` and `SCALE`, defined outside its cell" in said, said


def test_names_the_graded_run_defines_are_not_named(monkeypatch, trained):
    kernel = Kernel(monkeypatch)
    kernel.run(IMPORTS + "\nimport math")
    kernel.run("data = {}\nSCALE = 2.0\nmodel = None")
    answer = (
        "SCALE = 1.0\n\n"
        "def prep(X):\n    return X * SCALE\n\n"
        + TRAIN.replace('data["X_train"], data', "prep(data['X_train']) * math.pi, data")
        .replace("    return model", "    print(len(data), budget.model, [data for _ in ()])\n"
                 "    return model")
    )  # fmt: skip
    assert kernel.run(answer) == ""
    assert _said(trained) == ""


# 2. a model at chance


def _copy_before_fit(data, budget):
    model = mlp([784, 64, 10], seed=0)
    best = model.copy()  # meant to keep the best, never updated
    fit(model, data["X_train"], data["y_train"], optimizer=AdamW(model.params, lr=2e-3),
        epochs=2, batch_size=128, callbacks=[budget], progress=False)  # fmt: skip
    return best


def _diverging(data, budget):
    model = mlp([784, 64, 10], seed=0)
    fit(model, data["X_train"], data["y_train"], optimizer=SGD(model.params, lr=5.0, momentum=0.9),
        epochs=3, batch_size=128, callbacks=[budget], progress=False)  # fmt: skip
    return model


def test_a_model_copied_before_fit_is_said_not_to_be_the_one_trained(monkeypatch, data):
    budget = capstone.Budget()
    model, message = capstone.train_within_budget(_copy_before_fit, data, budget)
    said = _said(model, message, data=data, budget=budget)
    assert "the model you returned is not the one you trained (a copy made before fit?)" in said
    assert "the budget's last checkpoint (after budgeted epoch 2) scores" in said, said
    assert "apply the recipe" not in said and "Folding or averaging" not in said, said
    assert "return the model you passed to fit and the flag goes" in said, said
    # in a notebook, its own budget is read
    kernel = Kernel(monkeypatch)
    kernel.ns["budget"] = budget
    said = _said(model, message, data=data)
    assert "the model you returned is not the one you trained" in said, said


def test_a_run_at_chance_points_to_the_learning_rate_not_the_recipe(data):
    budget = capstone.Budget()
    model, message = capstone.train_within_budget(_diverging, data, budget)
    said = _said(model, message, data=data, budget=budget)
    assert "The run is at chance:" in said and "learned nothing" in said, said
    assert "its training loss went" in said and "over 3 budgeted epochs" in said, said
    assert "a learning rate far too high" in said and "dead ReLUs" in said, said
    assert "apply the recipe" not in said and "not the one you trained" not in said, said


# 3. steps before the budget


def _warm_up_then_budget(data, budget):
    model = mlp([784, 64, 10], seed=0)
    opt = AdamW(model.params, lr=2e-3)
    fit(model, data["X_train"], data["y_train"], optimizer=opt, epochs=5, batch_size=128,
        progress=False)  # fmt: skip  # warm-up without the budget
    fit(model, data["X_train"], data["y_train"], optimizer=opt, epochs=2, batch_size=128,
        callbacks=[budget], progress=False)  # fmt: skip
    return model


def test_steps_before_the_budget_are_not_steps_inside_a_counted_epoch(data):
    budget = capstone.Budget()
    _, message = capstone.train_within_budget(_warm_up_then_budget, data, budget)
    assert budget.extra_steps == 0, message
    assert "steps more than fit made" not in message, message
    assert "; REVIEW: the first training steps' loss was " in message, message
    assert budget.first_loss < 1.0
