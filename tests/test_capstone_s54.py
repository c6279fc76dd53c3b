"""The first-loss flag measures every new network a budget trains, not only its first epoch's
(session 54): a dummy budgeted fit of a fresh network first no longer hides a network trained
before the budget, while a network continued across fits, or changed only in its settings, is
measured once."""

from __future__ import annotations

import numpy as np
import pytest

from dlnotes import capstone
from dlnotes.capstone import budget as budget_module
from dlnotes.layers import Dropout
from dlnotes.model import mlp
from dlnotes.optim import SGD, AdamW
from dlnotes.train import fit


@pytest.fixture(scope="module")
def data() -> tuple[np.ndarray, np.ndarray]:
    full = capstone.capstone_data()
    return full["X_train"][:512], full["y_train"][:512]


def _pretrained(X: np.ndarray, y: np.ndarray):
    """A network trained without the budget (as weights carried in the cell would be)."""
    model = mlp([784, 32, 10], seed=0)
    fit(model, X, y, optimizer=AdamW(model.params, lr=3e-3), epochs=6, batch_size=64,
        progress=False, seed=0)  # fmt: skip
    return model


def _budgeted(model, X, y, budget, epochs=1, lr=0.0, as_function=False):
    callback = budget.on_epoch_end if as_function else budget
    fit(model, X, y, optimizer=SGD(model.params, lr=lr), epochs=epochs, batch_size=64,
        callbacks=[callback], progress=False, seed=1)  # fmt: skip


@pytest.mark.parametrize("as_function", [False, True])
def test_a_dummy_fit_first_does_not_hide_a_network_trained_before_the_budget(data, as_function):
    X, y = data
    trained = _pretrained(X, y)
    budget = capstone.Budget(seconds=30)
    _budgeted(mlp([784, 16, 10], seed=3), X, y, budget)  # the dummy: a fresh network, ~2.3
    assert budget.first_loss > 2.0, budget.first_loss
    _budgeted(trained, X, y, budget, epochs=2, as_function=as_function)
    assert budget.first_loss < budget_module.FIRST_LOSS, budget.first_loss
    assert budget.checkpoint_first_loss == budget.first_loss
    note = budget_module._review_note(3, 30, True, 0.5, (512, 6000), first_loss=budget.first_loss)
    assert "was it trained before the budget? read the cell" in note, note
    assert "of a network the budget had not seen trained" in note, note


def test_weights_replaced_between_fits_are_a_new_network(data):
    X, y = data
    trained = _pretrained(X, y)
    budget = capstone.Budget(seconds=30)
    model = mlp([784, 32, 10], seed=3)
    _budgeted(model, X, y, budget, lr=0.05)
    for p, q in zip(model.params, trained.params, strict=True):
        p[...] = q  # the trained weights written into the model the budget saw
    _budgeted(model, X, y, budget)
    assert budget.first_loss < budget_module.FIRST_LOSS, budget.first_loss


def test_honest_networks_are_measured_once_each_and_not_flagged(data):
    """Two fresh networks in one budget (the lower first loss is kept, both near 2.3); one
    network continued over three fits, its dropout rate changed between them (a setting, not a
    weight): measured at its first fit only, though it ends far below 1.0."""
    X, y = data
    budget = capstone.Budget(seconds=30)
    _budgeted(mlp([784, 32, 10], seed=0), X, y, budget, epochs=2, lr=0.05)
    first = budget.first_loss
    _budgeted(mlp([784, 64, 10], seed=1), X, y, budget, lr=0.05)
    assert 2.0 < budget.first_loss <= first

    budget = capstone.Budget(seconds=30)
    model = mlp([784, 64, 10], seed=2, dropout=0.2)
    _budgeted(model, X, y, budget, epochs=3, lr=0.1)
    first = budget.first_loss
    (drop,) = [layer for layer in model.layers if isinstance(layer, Dropout)]
    drop.p = 0.0
    _budgeted(model, X, y, budget, epochs=3, lr=0.1)
    _budgeted(model, X, y, budget, epochs=3, lr=0.1)
    last = budget.histories[-1].step_loss[-1]
    assert last < budget_module.FIRST_LOSS < 2.0 < first == budget.first_loss, (last, first)
