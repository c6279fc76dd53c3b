"""The capstone's late-epoch flag and zoo withholding hold against the ways around them.

* A ``fit`` given the budget and called after the time ran out trains nothing (``fit`` honours
  a stop from a callback's ``on_train_begin``), so an honest loop whose own work runs past the
  deadline is not flagged, and its message says why the fit trained nothing.
* The budget passed as a function (``callbacks=[budget.on_epoch_end]``) no longer hides a late
  epoch, even with a callback that inflates the epoch's recorded time.
* The late note prints 2 decimals below 10 s and tells the learner how to avoid it.
* ``zoo_folders`` also finds ``dist-packages`` copies and those ``site`` and
  ``importlib.metadata`` know of.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import numpy as np

from dlnotes import capstone
from dlnotes.capstone import budget as budget_module
from dlnotes.model import mlp
from dlnotes.optim import SGD
from dlnotes.train import Callback, fit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tools"))

import grade_capstone  # noqa: E402


def _data(n: int = 64) -> dict[str, np.ndarray]:
    return {
        "X_train": np.random.default_rng(0).random((n, 784), dtype=np.float32),
        "y_train": np.arange(n) % 10,
    }


def _fit(model, data, callbacks, epochs=1):
    return fit(model, data["X_train"], data["y_train"], optimizer=SGD(model.params, lr=0.05),
               epochs=epochs, callbacks=callbacks, progress=False)  # fmt: skip


def test_fit_trains_no_epoch_when_a_callback_stops_it_at_the_start():
    calls = []

    class Stops(Callback):
        def on_train_begin(self, history, model):
            calls.append("begin")
            return True

        def on_epoch_end(self, epoch, history, model):
            calls.append(epoch)

        def on_train_end(self, history, model):
            calls.append("end")

    class Other(Callback):
        def on_train_begin(self, history, model):
            calls.append("other begin")

    model = mlp([784, 8, 10], seed=0)
    before = [p.copy() for p in model.params]
    history = _fit(model, _data(), [Stops(), Other()], epochs=3)
    assert len(history) == 0 and history.stopped_epoch == 0
    assert calls == ["begin", "other begin", "end"]
    assert all(np.array_equal(a, b) for a, b in zip(before, model.params))


def test_an_honest_loop_whose_own_work_runs_past_the_deadline_is_not_flagged():
    """keep-best-then-fit: the loop checked the budget before the deadline, then its own work
    (evaluation, a deepcopy) took it past the deadline: the fit trains nothing, unflagged, and
    the message says why."""

    def keep_best_then_fit(data, budget):
        model = mlp([784, 8, 10], seed=0)
        while not budget.exhausted:
            time.sleep(max(0.0, budget.remaining_seconds - 0.05) if budget.epochs_used else 0)
            if budget.epochs_used:
                time.sleep(0.8)  # the learner's own work, past the deadline
            _fit(model, data, [budget])
        return model

    budget = capstone.Budget(seconds=1.0)
    model, message = capstone.train_within_budget(keep_best_then_fit, _data(), budget, grace=4.0)
    assert model is not None and budget.epochs_used == 1 and budget.late_epochs == 0
    assert "REVIEW" not in message, message
    assert message.endswith(
        "the budget ended a fit before its first epoch: its 1 s were used up (a fit called "
        "after the budget ran out trains nothing)"
    ), message


def test_the_budget_passed_as_a_function_does_not_hide_a_late_epoch():
    def inflate(epoch, history, model):
        history.seconds[-1] = 100.0

    for extra in ([], [inflate]):

        def bound_method(data, budget, extra=extra):
            model = mlp([784, 8, 10], seed=0)
            _fit(model, data, [budget])
            time.sleep(budget.remaining_seconds + 1.0)
            _fit(model, data, [*extra, budget.on_epoch_end])
            return model

        budget = capstone.Budget(seconds=1.0)
        message = capstone.train_within_budget(bound_method, _data(), budget, grace=4.0)[1]
        assert budget.late_epochs == 1 and budget.late_seconds > 0.9, (extra, message)
        assert "REVIEW: an epoch began" in message, message
        assert budget.unwatched_seconds > 0.9  # the inflated time is not counted as an epoch's


def test_a_wrapper_that_ignores_the_budgets_stop_is_flagged():
    class Ignores(Callback):
        def __init__(self, budget):
            self.budget = budget

        def on_train_begin(self, history, model):
            self.budget.on_train_begin(history, model)  # its True is dropped

        def on_epoch_end(self, epoch, history, model):
            return self.budget.on_epoch_end(epoch, history, model)

    def ignores(data, budget):
        model = mlp([784, 8, 10], seed=0)
        _fit(model, data, [budget])
        time.sleep(budget.remaining_seconds + 0.5)
        _fit(model, data, [Ignores(budget)])
        return model

    budget = capstone.Budget(seconds=1.0)
    message = capstone.train_within_budget(ignores, _data(), budget, grace=4.0)[1]
    assert budget.late_epochs == 1 and "REVIEW: an epoch began 0." in message, message


def test_the_late_note_shows_two_decimals_and_tells_the_learner_the_remedy():
    grader = budget_module._late_note(1, 0.52, 45)
    assert "an epoch began 0.52 s after the 45 s ran out" in grader
    assert grader.endswith("; read the cell")
    assert "the latest 12.3 s after" in budget_module._late_note(2, 12.34, 45)
    learner = budget_module._late_note(1, 0.52, 45, learner=True)
    assert "read the cell" not in learner
    assert learner.endswith(
        "pass the budget itself to every fit (callbacks=[budget]) and do not work around its "
        "stop: a fit called after the time ran out then trains nothing"
    )


def test_zoo_folders_finds_dist_packages_site_and_metadata_copies(tmp_path, monkeypatch):
    import importlib.metadata
    import site

    layouts = (
        "lib/python3.11/site-packages",
        "lib/python3.11/dist-packages",
        "local/lib/python3.11/dist-packages",
        "lib/python3/dist-packages",
    )
    expected = []
    for layout in layouts:
        zoo = tmp_path / "prefix" / layout / "dlnotes" / "zoo"
        zoo.mkdir(parents=True)
        expected.append(str(zoo))
    for name in ("sitepkgs", "usersite", "dist"):
        (tmp_path / name / "dlnotes" / "zoo").mkdir(parents=True)
        expected.append(str(tmp_path / name / "dlnotes" / "zoo"))

    class Dist:
        def locate_file(self, path):
            return tmp_path / "dist" / path

    monkeypatch.setattr(sys, "base_prefix", str(tmp_path / "prefix"))
    monkeypatch.setattr(site, "getsitepackages", lambda: [str(tmp_path / "sitepkgs")])
    monkeypatch.setattr(site, "getusersitepackages", lambda: str(tmp_path / "usersite"))
    monkeypatch.setattr(importlib.metadata, "distributions", lambda **kw: [Dist()])
    found = grade_capstone.zoo_folders()
    assert all(e in found for e in expected), (expected, found)
