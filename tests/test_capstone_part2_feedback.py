"""The capstone's part 2 feedback in the notebook (chapter 16): the graded cell's
:func:`dlnotes.capstone.model_check` (check-style verdicts, REVIEW notes repeated, the
standardization hint), the write-up plot's reason for having no curves, the width of the run
table, and the exercise's text in both editions."""

from __future__ import annotations

import contextlib
import io
import sys
from pathlib import Path

import nbformat
import numpy as np
import pytest

from dlnotes import capstone
from dlnotes.capstone import model_check
from dlnotes.exercises import CheckFailed
from dlnotes.layers import DropConnect, Linear
from dlnotes.model import Sequential, mlp
from dlnotes.optim import AdamW
from dlnotes.train import fit

ROOT = Path(__file__).resolve().parent.parent
MASTER = ROOT / "notebooks" / "16_capstone.ipynb"


@pytest.fixture(scope="module")
def data():
    return capstone.capstone_data()


def _trained(data, *, standardize: bool = False) -> Sequential:
    X = data["X_train"]
    if standardize:  # inside the function, but the plain mlp returned expects it
        X = (X - X.mean(axis=0)) / (X.std(axis=0) + 1e-8)
    model = mlp([784, 128, 10], init="kaiming_normal", seed=0)
    fit(
        model,
        X,
        data["y_train"],
        optimizer=AdamW(model.params, lr=2e-3),
        epochs=5,
        batch_size=128,
        seed=0,
        progress=False,
    )
    return model


@pytest.fixture(scope="module")
def good(data):
    return _trained(data)


def _run(model, message, data):
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        model_check(model, message, data)
    return out.getvalue(), err.getvalue()


def _failure(model, message, data) -> str:
    with pytest.raises(CheckFailed) as info:
        model_check(model, message, data)
    rendered = info.value._render_traceback_()  # what IPython shows: no traceback frames
    assert len(rendered) == 2 and "CheckFailed" in rendered[0]
    return str(info.value)


def test_no_model_says_why_and_what_to_write(data):
    message = (
        "train_best_model is not written yet (it raised NotImplementedError); "
        "no checkpoint was handed to the budget: zero points"
    )
    text = _failure(None, message, data)
    assert "not written yet" in text and "NotImplementedError" in text
    assert "Write train_best_model above" in text and "callbacks=[budget]" in text


def test_a_good_model_passes_with_its_dev_accuracy(good, data):
    out, err = _run(good, "returned a model after 1.0 s and 5 budgeted epochs", data)
    assert out.startswith("✓ ch16_train_best_model") and "beats the baseline 77.9%" in out
    assert err == ""


@pytest.mark.parametrize(
    "note",
    [
        "the budget counted 1354 epochs, more than its 30 (fit called again after it said "
        "stop, or its limit changed)",
        "no epoch went through the budget (fit without callbacks=[budget], or a loop of its "
        "own), so the 30-epoch limit was not enforced",
    ],
)
def test_a_run_flagged_for_review_passes_with_the_note_repeated(good, data, note):
    """The grader gives a REVIEW run its points and flags it (book/instructors.md): the cell
    passes, and says on stderr that the run breaks the rules and will be reviewed."""
    message = (
        "stopped at the wall-clock limit (50 s); scored from the last checkpoint (after "
        f"budgeted epoch 1354); REVIEW: {note}"
    )
    out, err = _run(good, message, data)
    assert out.startswith("✓") and "last checkpoint" in out
    assert err.startswith("⚠ REVIEW: the grader will flag this run for your instructor's review")
    flat = " ".join(err.split())
    assert note.split(" (")[0] in flat
    assert "breaks the budget rules" in flat and "train_best_model cell" in flat


def test_weights_changed_after_the_budget_are_not_called_a_breach(good, data):
    message = (
        "returned a model after 3.0 s and 20 budgeted epochs; REVIEW: the returned weights "
        "differ from the model at the end of every epoch the budget counted (changed after "
        "its last epoch, or trained without it: folding or averaging weights is fine, "
        "training on is not)"
    )
    _, err = _run(good, message, data)
    flat = " ".join(err.split())
    assert "Folding or averaging weights after the last epoch is allowed" in flat
    assert "breaks the budget rules" not in flat


def test_a_model_that_expects_standardized_inputs_is_named(data):
    model = _trained(data, standardize=True)
    text = _failure(model, "returned a model after 1.0 s and 5 budgeted epochs", data)
    first = text.splitlines()[0]
    assert first.startswith("ch16_train_best_model: dev accuracy")
    assert "does not beat the baseline 77.9%" in first
    assert "(its hidden-test accuracy; on dev it scores 77.5%)" in first
    assert "Likely mistake: your model expects standardized inputs" in text
    assert "raw pixels in [0, 1]" in text and "BatchNorm(784) first" in text
    assert "fold" in text and "flagged for review" in text


def test_a_weak_model_gets_no_standardization_hint(data):
    model = Sequential(Linear(784, 10, init=np.zeros((784, 10), dtype=np.float32)))
    text = _failure(model, "returned a model after 0.1 s and 1 budgeted epochs", data)
    assert "does not beat the baseline" in text and "standardized" not in text
    assert "bias first" in text


def test_a_failure_repeats_the_review_note(data):
    model = Sequential(Linear(784, 10, init=np.zeros((784, 10), dtype=np.float32)))
    message = (
        "returned a model after 0.3 s and 0 budgeted epochs; REVIEW: no epoch went through "
        "the budget (fit without callbacks=[budget], or a loop of its own), so the 30-epoch "
        "limit was not enforced"
    )
    text = _failure(model, message, data)
    assert "⚠ REVIEW" in text and "no epoch went through the budget" in text


def test_a_model_the_grader_cannot_rebuild_is_refused_with_a_reason(data):
    model = Sequential(DropConnect(784, 10, p=0.1, seed=0))
    text = _failure(model, "returned a model after 0.1 s and 1 budgeted epochs", data)
    assert "cannot rebuild your model from plain data" in text and "Linear" in text


def test_a_model_of_the_wrong_shape_is_refused_with_a_reason(data):
    model = Sequential(Linear(784, 5, seed=0))
    text = _failure(model, "returned a model after 0.1 s and 1 budgeted epochs", data)
    assert "cannot classify the dev images" in text


def test_the_check_uses_fresh_data_like_the_grader(good, data):
    changed = dict(data, X_dev=np.zeros_like(data["X_dev"]))  # as if changed in place
    out, _ = _run(good, "returned a model after 1.0 s and 5 budgeted epochs", None)
    assert out.startswith("✓")
    with pytest.raises(CheckFailed):
        model_check(good, "returned a model after 1.0 s and 5 budgeted epochs", changed)


def test_in_colab_a_failure_is_printed_not_raised(data, monkeypatch):
    monkeypatch.setitem(sys.modules, "google.colab", type(sys)("google.colab"))
    out, err = _run(None, "train_best_model is not written yet", data)
    assert out == "" and err.startswith("✗ ch16_train_best_model: no model came back")


# --------------------------------------------------------------------------------------------
# the notebook's cells


def _cell(cell_id: str) -> nbformat.NotebookNode:
    nb = nbformat.read(MASTER, as_version=4)
    (cell,) = [c for c in nb.cells if c.get("id") == cell_id]
    return cell


def test_the_graded_cell_gives_check_style_feedback():
    source = _cell("868426d2").source
    assert "model_check(model, message)" in source and "assert" not in source


class _NoCurves:
    def __init__(self) -> None:
        self.histories: list = []


@pytest.mark.parametrize(
    ("message", "said"),
    [
        (
            "train_best_model is not written yet (it raised NotImplementedError); no "
            "checkpoint was handed to the budget: zero points",
            "no curves: train_best_model is not written yet (it raised NotImplementedError)",
        ),
        (
            "train_best_model raised NameError: name 'optimiser' is not defined; no checkpoint "
            "was handed to the budget: zero points",
            "no curves: train_best_model raised NameError: name 'optimiser' is not defined",
        ),
        (
            "stopped at the wall-clock limit (50 s); no checkpoint was handed to the budget: "
            "zero points",
            "no curves: stopped at the wall-clock limit (50 s)",
        ),
        (
            "returned a model after 0.3 s and 0 budgeted epochs; REVIEW: no epoch went through "
            "the budget (...)",
            "no curves: train_best_model did not pass the budget to fit (callbacks=[budget])",
        ),
    ],
)
def test_the_plot_cell_says_why_there_are_no_curves(message, said):
    source = _cell("9f0f1c6e").source
    out = io.StringIO()
    model = None if "returned a model" not in message else object()
    with contextlib.redirect_stdout(out):
        exec(source, {"budget": _NoCurves(), "message": message, "model": model})
    assert out.getvalue().strip() == said


def test_the_run_tables_fit_the_notebook_and_line_up():
    import matplotlib

    matplotlib.use("Agg")
    namespace: dict = {}
    imports = _cell("73d47c6e").source
    exec(imports, namespace)
    exec("runs = load_runs()", namespace)
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(_cell("e6c88718").source, namespace)
    lines = out.getvalue().splitlines()
    assert max(len(line) for line in lines) <= 56, max(lines, key=len)  # JupyterLab's 468 px
    blank = lines.index("")
    header, rows = lines[0], lines[1:9]
    accuracy_header, accuracies = lines[blank + 1], lines[blank + 2 : blank + 10]
    assert all(len(row) == len(header) for row in rows)  # the columns line up
    assert all(len(row) == len(accuracy_header) for row in accuracies)
    assert "2.310→0.047" in rows[0] and "13.3%→73.0%" in accuracies[0]  # nothing rounded away


def test_the_reference_solution_is_described_truly_in_both_editions():
    sys.path.insert(0, str(ROOT / "tools"))
    try:
        from learner_edition import learner_notebook
    finally:
        sys.path.remove(str(ROOT / "tools"))
    master = nbformat.read(MASTER, as_version=4)
    learner = learner_notebook(master)
    for nb in (master, learner):
        (text,) = [c.source for c in nb.cells if c.get("id") == "f190ab24"]
        assert "behind the toggle," not in text
        flat = " ".join(text.split())
        assert "the book's website shows it behind a toggle" in flat
        assert "the learner edition of this notebook leaves it out" in flat
