"""The capstone project (chapter 16): diagnose recorded runs, then train your best model.

Part 1, **Diagnose these runs**: :func:`load_runs` gives seven small recorded training runs (train
and dev curves, ``fit``'s diagnostics), each with one thing wrong, and a healthy one;
:func:`plot_run` draws one; the learner names cause and fix (exercise ``ch16_diagnose_runs``).

Part 2, **Train your best model**: the learner writes ``train_best_model(data, budget) -> model``
for :func:`capstone_data` (train and dev only) within a :class:`Budget` (45 s, 30 epochs).
:func:`train_within_budget` (in process) and :func:`run_submission` (a separate process) enforce
the wall clock and fall back to the last checkpoint; models cross processes as plain data
(:func:`model_to_plain`, :func:`model_from_plain`); :func:`evaluate_submission` scores a plain
model on the instructor's hidden test set (``tools/prepare_capstone_test.py``) with
:func:`score_accuracy`; :func:`model_check` is the notebook's graded check of the returned model
(on dev, with the run's REVIEW note, if any, repeated for the learner).

This package is a teaching face on the top floor: it imports ``train``, ``model``, ``data``, the
numerics, ``exercises.ch16`` (the causes and fixes the runs are named by) and, to draw a run,
matplotlib; nothing in ``dlnotes`` imports it.

Defined in chapter 16 (Capstone project).
"""

from dlnotes.capstone.budget import (
    EPOCHS,
    EXAMPLES,
    GRACE,
    SECONDS,
    Budget,
    BudgetExceeded,
    run_submission,
    train_within_budget,
)
from dlnotes.capstone.data import (
    capstone_data,
    image_hashes,
    load_hidden_test,
    prepare_hidden_test,
    self_study_test,
)
from dlnotes.capstone.plain import LAYER_TYPES, model_from_plain, model_to_plain
from dlnotes.capstone.runs import (
    CAUSES,
    FIXES,
    HEALTHY,
    LABELS,
    Run,
    diagnosis_data,
    load_runs,
    make_runs,
    plot_run,
    save_runs,
)
from dlnotes.capstone.scoring import (
    BASELINE,
    BASELINE_DEV,
    POINTS,
    TARGET,
    baseline_model,
    evaluate_submission,
    hidden_evaluation,
    model_check,
    reference_train_best_model,
    review_notes,
    score_accuracy,
    source_note,
    zoo_note,
)

__all__ = [
    "BASELINE",
    "BASELINE_DEV",
    "CAUSES",
    "EPOCHS",
    "EXAMPLES",
    "FIXES",
    "GRACE",
    "HEALTHY",
    "LABELS",
    "LAYER_TYPES",
    "POINTS",
    "SECONDS",
    "TARGET",
    "Budget",
    "BudgetExceeded",
    "Run",
    "baseline_model",
    "capstone_data",
    "diagnosis_data",
    "evaluate_submission",
    "hidden_evaluation",
    "image_hashes",
    "load_hidden_test",
    "load_runs",
    "make_runs",
    "model_check",
    "model_from_plain",
    "model_to_plain",
    "plot_run",
    "prepare_hidden_test",
    "reference_train_best_model",
    "review_notes",
    "run_submission",
    "save_runs",
    "score_accuracy",
    "self_study_test",
    "source_note",
    "train_within_budget",
    "zoo_note",
]
