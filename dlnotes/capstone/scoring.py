"""Part 2's score: accuracy on the instructor's hidden test set, scaled between a baseline and a
target; and the reference solution that sets the target.

* **Baseline** (:data:`BASELINE`): chapter 01's softmax classifier (one ``Linear(784, 10)``
  from zero, SGD ``lr=0.1``, 10 epochs, batches of 64) trained on :func:`capstone_data`'s 5000
  training images: 77.9% on the hidden set (76.7% on the shipped test split). Matching it
  earns nothing.
* **Target** (:data:`TARGET`): 84.0%, about a point below what
  :func:`reference_train_best_model` (the notebook's worked example of the recipe) reaches in
  about 3 s of its 45 s budget on one core (20 epochs): 85.1% on the hidden set (84.4% on the
  shipped test split), with OpenBLAS's default kernels and with ``OPENBLAS_CORETYPE=Sandybridge``
  alike.

Both were measured with ``tools/measure_capstone_scale.py`` (numpy 2.4, OpenBLAS 0.3.31, one
thread); the slow tests re-measure them, with both kernel sets.

Defined in chapter 16 (Capstone project).
"""

from __future__ import annotations

import math
import os
from collections.abc import Mapping
from typing import Any

import numpy as np

from dlnotes._validate import check_scalar
from dlnotes.capstone.budget import Budget
from dlnotes.capstone.data import load_hidden_test
from dlnotes.capstone.plain import model_from_plain
from dlnotes.layers import Linear
from dlnotes.model import Sequential, mlp
from dlnotes.optim import SGD, AdamW
from dlnotes.schedules import cosine
from dlnotes.train import fit

__all__ = [
    "BASELINE",
    "POINTS",
    "TARGET",
    "baseline_model",
    "evaluate_submission",
    "reference_train_best_model",
    "score_accuracy",
]

#: Hidden-set accuracy of chapter 01's softmax classifier (measured): zero points.
BASELINE = 0.779
#: Hidden-set accuracy that earns full points (the reference solution clears it with margin).
TARGET = 0.840
#: Points of part 2.
POINTS = 10.0


def score_accuracy(
    acc: float, baseline: float = BASELINE, target: float = TARGET, *, points: float = POINTS
) -> float:
    """Points for accuracy ``acc``: ``points * clip((acc - baseline) / (target - baseline), 0, 1)``.

    Zero at or below the baseline, ``points`` at or above the target, linear in between.

    Defined in chapter 16 (Capstone project).
    """
    acc = check_scalar("acc", acc, low=0.0, high=1.0)
    baseline = check_scalar("baseline", baseline, low=0.0, high=1.0)
    target = check_scalar("target", target, low=0.0, high=1.0)
    points = check_scalar("points", points, low=0.0, low_inclusive=False)
    if not target > baseline:
        raise ValueError(f"target must be above baseline, got target {target} <= {baseline}")
    fraction = (acc - baseline) / (target - baseline)
    return points * min(1.0, max(0.0, fraction))


def evaluate_submission(
    plain_model: Mapping[str, Any] | None, hidden_path: str | os.PathLike[str]
) -> tuple[float, str]:
    """``(points, message)`` for a submitted model, in the grader's process.

    ``plain_model`` is what :func:`dlnotes.capstone.run_submission` returned (a plain-data model,
    or None when the learner's function produced nothing); ``hidden_path`` is the hidden test
    file of ``tools/prepare_capstone_test.py``. A missing or malformed model scores zero with a
    message saying why; otherwise the model's accuracy on the hidden images (raw pixels in
    ``[0, 1]``, shape ``(N, 784)``) is scored by :func:`score_accuracy`.

    Defined in chapter 16 (Capstone project).
    """
    X, y = load_hidden_test(hidden_path)
    if plain_model is None:
        return 0.0, "no model to score: 0 points"
    try:
        model = model_from_plain(plain_model)
        logits = model.predict(X)
    except (TypeError, ValueError) as err:
        return 0.0, f"the submitted model cannot be used ({err}): 0 points"
    if logits.shape != (len(X), 10) or not np.all(np.isfinite(logits)):
        return 0.0, f"the model's output has shape {logits.shape} or non-finite values: 0 points"
    acc = float(np.mean(logits.argmax(axis=1) == y))
    points = score_accuracy(acc)
    return points, (
        f"hidden-test accuracy {acc:.2%} ({len(y)} images): {points:.1f} / {POINTS:g} points "
        f"(baseline {BASELINE:.2%} = 0, target {TARGET:.2%} = {POINTS:g})"
    )


def baseline_model(data: Mapping[str, np.ndarray]) -> Sequential:
    """Chapter 01's softmax classifier trained on ``data["X_train"]``: the scoring baseline.

    Defined in chapter 16 (Capstone project).
    """
    model = Sequential(Linear(784, 10, init=np.zeros((784, 10), dtype=np.float32)))
    fit(
        model,
        data["X_train"],
        data["y_train"],
        optimizer=SGD(model.params, lr=0.1),
        epochs=10,
        batch_size=64,
        seed=0,
        progress=False,
    )
    return model


def reference_train_best_model(data: Mapping[str, np.ndarray], budget: Budget) -> Sequential:
    """The reference solution of part 2, the recipe applied (the notebook shows it):

    1. bias first: a 784-256-128-10 ReLU MLP with Kaiming initialization has the capacity to
       fit the 5000 training images (chapter 07);
    2. optimizer and schedule: AdamW (chapter 05) with a cosine decay of the learning rate
       from 2e-3 over the whole budget (chapter 06);
    3. variance next: decoupled weight decay, dropout 0.2 and early stopping on the dev loss
       with the best epoch restored (chapters 09, 10);
    4. the budget is a callback of ``fit`` and the epochs follow from it.

    Defined in chapter 16 (Capstone project).
    """
    model = mlp([784, 256, 128, 10], init="kaiming_normal", dropout=0.2, seed=0)
    epochs = min(20, budget.remaining_epochs)
    steps = epochs * math.ceil(len(data["X_train"]) / 128)
    optimizer = AdamW(model.params, lr=2e-3, weight_decay=0.05)
    fit(
        model,
        data["X_train"],
        data["y_train"],
        optimizer=optimizer,
        epochs=epochs,
        batch_size=128,
        dev=(data["X_dev"], data["y_dev"]),
        schedule=cosine(2e-3, steps),
        early_stopping=6,
        callbacks=[budget],
        seed=0,
        progress=False,
    )
    return model
