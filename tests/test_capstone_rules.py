"""Chapter 16 checked against the code: the rules the notebook states are the
rules the code enforces (what runs when graded, what the budget flags, what only the grader
flags, no zoo start), the master notebook's own submission runs as the grader runs it, and
the write-up's numbers hold."""

from __future__ import annotations

import json
import math
import re
import sys
import time
from pathlib import Path

import nbformat
import numpy as np
import pytest

from dlnotes import capstone
from dlnotes.capstone import budget as budget_module
from dlnotes.capstone import scoring
from dlnotes.capstone.harness import submission_from_notebook
from dlnotes.layers import Linear, ReLU
from dlnotes.model import Sequential, mlp
from dlnotes.optim import SGD
from dlnotes.train import evaluate, fit

ROOT = Path(__file__).resolve().parent.parent
MASTER = ROOT / "notebooks" / "16_capstone.ipynb"


def _cells(nb: dict | nbformat.NotebookNode) -> list:
    return list(nb["cells"])


def _text(cell) -> str:
    src = cell["source"]
    return "".join(src) if isinstance(src, list) else src


def _flat(text: str) -> str:
    return " ".join(text.split())


def _master() -> dict:
    return json.loads(MASTER.read_text(encoding="utf-8"))


def _markdown(nb) -> str:
    return _flat(" ".join(_text(c) for c in _cells(nb) if c["cell_type"] == "markdown"))


def _cell(nb, starts: str):
    (cell,) = [c for c in _cells(nb) if _text(c).startswith(starts)]
    return cell


def _learner() -> nbformat.NotebookNode:
    sys.path.insert(0, str(ROOT / "tools"))
    try:
        from learner_edition import learner_notebook
    finally:
        sys.path.remove(str(ROOT / "tools"))
    return learner_notebook(nbformat.read(MASTER, as_version=4))


# --------------------------------------------------------------------------------------------
# what runs when graded: the import cells and the answer cell, nothing else

IMPORT_RULE = (
    "only the cell that defines `train_best_model` (all of it) and every code cell made of "
    "nothing but `import` and `from ... import` statements (comments allowed)"
)


@pytest.mark.parametrize("edition", ["master", "learner"])
def test_both_editions_state_the_import_cells_rule(edition):
    nb = _master() if edition == "master" else _learner()
    text = _markdown(nb)
    assert IMPORT_RULE in text
    assert "a cell that mixes imports with other code" in text
    assert "contains the text `pip` anywhere (even in a comment)" in text
    assert "define every helper, constant and augment function inside the" in text
    assert "use the `data` argument, not the notebook's `data`" in text
    assert "or your own code." not in text  # "any ... or your own code": not all of it runs
    # and the training cell's text no longer says it runs the function as the grader will
    assert "under the budget as the grader will" not in text
    assert "restart the kernel and run only the import cells" in text


def test_the_import_cells_rule_is_the_one_submission_from_notebook_applies(tmp_path):
    """Each kind of cell the rule names: kept, or dropped whole."""
    kept = "# my imports\nimport math\nfrom dlnotes.optim import AdamW  # the optimizer\n"
    dropped = {
        "mixed": "import math\nSCALE = 2.0\n",
        "magic": "%matplotlib inline\nimport math\n",
        "shell": "!ls\nimport math\n",
        "pip in a comment": "import math  # pip install nothing\n",
        "a helper": "def helper():\n    import math\n    return math.pi\n",
    }
    answer = "def train_best_model(data, budget):\n    return helper()\n"
    cells = [{"cell_type": "code", "source": s} for s in [kept, *dropped.values(), answer]]
    notebook = tmp_path / "nb.ipynb"
    notebook.write_text(json.dumps({"cells": cells}), encoding="utf-8")
    source = submission_from_notebook(notebook, tmp_path / "s.py").read_text(encoding="utf-8")
    assert source == kept + "\n\n" + answer + "\n"
    for name, cell in dropped.items():
        assert cell not in source, name


# --------------------------------------------------------------------------------------------
# the master notebook's own part 2, run as the grader runs it


def _writeup_epochs() -> int:
    writeup = _text(_cell(_master(), "**Recipe.**"))
    (used,) = re.findall(rf"It used (\d+) of the {capstone.EPOCHS} epochs", _flat(writeup))
    return int(used)


@pytest.mark.slow
def test_the_master_submission_runs_within_the_budget_as_its_write_up_says(tmp_path):
    submission = submission_from_notebook(MASTER, tmp_path / "submission.py")
    plain, message = capstone.run_submission(submission)
    assert plain is not None, message
    assert "REVIEW" not in message, message
    (epochs,) = re.findall(r"\((\d+) budgeted epochs\)", message)
    assert int(epochs) == _writeup_epochs() == 20, message
    assert message.startswith("train_best_model returned a model within the budget"), message


# --------------------------------------------------------------------------------------------
# the reworded rules


def test_a_fit_after_the_epochs_is_flagged_and_after_the_time_is_not():
    """The rule says what is flagged: a fit after the 30 epochs were used up. A counted epoch
    past the seconds is not flagged by the epochs' rule (one that *began* after them is, by the
    late-epoch rule: tests/test_capstone_zoo_and_late_epochs.py)."""
    text = _flat(_markdown(_master()))
    assert "an epoch beyond the budget's 30, or begun after the 45 s ran out" in text
    assert "such a `fit` called too late trains nothing" in text
    assert "after the budget said stop" not in text
    assert "(the checks catch its plain forms" in text
    assert "- a model trained without the budget;" not in text
    assert capstone.EPOCHS == 30
    review = budget_module._review_note(31, 30, True, 0.5, (5000, 6000))
    assert "more than its 30" in review
    # a counted epoch past the seconds, within the epochs: no note
    assert budget_module._review_note(12, 30, True, 0.5, (5000, 6000)) == ""
    instructors = _flat((ROOT / "book" / "instructors.md").read_text(encoding="utf-8"))
    assert "and called after the 45 s (or the 30 epochs) ran out trains nothing" in instructors
    assert capstone.GRACE == 5.0


def test_a_fit_called_just_after_the_time_ran_out_trains_nothing_and_says_so():
    """A fit that begins 0.05 s after the seconds ran out, with the budget as its callback,
    trains no epoch (the budget stops it at its start): nothing to flag, and the message says
    why the fit did nothing (tests/test_capstone_late_epoch_bypasses.py covers the bypasses)."""
    data = {
        "X_train": np.random.default_rng(0).random((64, 784), dtype=np.float32),
        "y_train": np.arange(64) % 10,
    }

    def late(data, budget):
        model = mlp([784, 8, 10], seed=0)
        opt = SGD(model.params, lr=0.05)
        X, y = data["X_train"], data["y_train"]
        fit(model, X, y, optimizer=opt, epochs=1, callbacks=[budget], progress=False)
        time.sleep(max(0.0, budget.remaining_seconds) + 0.05)
        fit(model, X, y, optimizer=opt, epochs=5, callbacks=[budget], progress=False)
        return model

    budget = capstone.Budget(seconds=0.3)
    model, message = capstone.train_within_budget(late, data, budget, grace=5.0)
    assert model is not None and "REVIEW" not in message, message
    assert budget.epochs_used == 1 and budget.elapsed > budget.seconds
    assert "trains nothing" in message, message


def test_the_memorisation_flags_are_the_graders_only():
    """The notebook says which checks run in it: a layer wider than 6000 units is flagged by
    the grader (review_notes), not by the training cell's run."""
    text = _markdown(_master())
    assert "Flagged only when graded, by the instructor's grader" in text
    assert "checked only when graded, by the instructor's grader: no cell here reports them" in (
        text
    )
    assert "part-2 code over 100 kB (the bytes of the `train_best_model` cell and the import" in (
        text
    )
    assert scoring.MAX_SOURCE_BYTES == 100_000 and scoring.MAX_WIDTH == 6000
    data = {
        "X_train": np.random.default_rng(0).random((32, 784), dtype=np.float32),
        "y_train": np.arange(32) % 10,
    }

    def wide(data, budget):
        model = Sequential(Linear(784, 6001), ReLU(), Linear(6001, 10))
        fit(
            model,
            data["X_train"],
            data["y_train"],
            optimizer=SGD(model.params, lr=0.01),
            epochs=1,
            callbacks=[budget],
            progress=False,
        )
        return model

    model, message = capstone.train_within_budget(wide, data)
    assert model is not None and "REVIEW" not in message, message
    assert any("6001 units wide" in note for note in scoring.review_notes(model))


def test_the_zoo_is_ruled_out_and_no_longer_recommended():
    from dlnotes import zoo

    master = _master()
    recipe = _flat(_text(_cell(master, "## The recipe on one page")))
    assert "pretrained start" not in recipe
    rules = _flat(_text(_cell(master, "## Part 2")))
    assert "Not allowed: the pretrained networks of `dlnotes.zoo`" in rules
    assert "trained on these same 6000 images, dev included, outside any budget" in rules
    assert "grader flags code that loads one (`zoo.load`, a zoo network's name)" in rules
    # what the rule says of the zoo: trained on the 6000 training and dev images
    assert zoo.info("fashion10_mlp")["source_train_examples"] == 6000 == capstone.EXAMPLES
    instructors = _flat((ROOT / "book" / "instructors.md").read_text(encoding="utf-8"))
    assert "a start from a pretrained network of `dlnotes.zoo`" in instructors


def test_the_other_sentences_say_what_the_code_does():
    master = _master()
    text = _markdown(master)
    # part 1 is all or nothing, 7 points
    (graded,) = [
        c
        for c in _cells(master)
        if c["metadata"].get("nbgrader", {}).get("grade_id") == "ch16_diagnose_runs_test"
    ]
    assert graded["metadata"]["nbgrader"]["points"] == 7
    assert "The 7 points need all seven (cause, fix) pairs right" in text
    # the diagnostics are the last mini-batch's
    assert "two diagnostics of the last epoch's last mini-batch" in text
    assert "(part 1 shows it)" not in text
    assert "part 1's healthy run stays inside it" in text
    # the hidden set is out of the function's reach
    assert "is given only train and dev and cannot reach the hidden set" in text
    assert "sees only train and dev" not in text
    # the self-study split runs about a point low
    assert "this split has run about a point below the hidden set" in text
    # the graded check compares dev with the hidden-set baseline, and says so
    check = _text(_cell(master, "# Graded: a model came back"))
    assert "the baseline's accuracy on the hidden test set" in check
    assert "beats the baseline on dev" not in check
    assert capstone.BASELINE == 0.779
    # the write-up does not read a 0.7-point dev change as evidence
    writeup = _flat(_text(_cell(master, "**Recipe.**")))
    assert "raised dev to 86.3 %" not in writeup
    assert "narrowed the gap between train and dev from 7.9 to 5.5 points" in writeup
    assert "disagree on 37 of the 1000 dev images" in writeup  # the paired standard error
    assert "no evidence of a better model on its own" in writeup
    assert "high bias, so capacity came first" not in writeup
    assert abs(math.sqrt(0.863 * 0.137 / 1000) - 0.011) < 5e-4


# --------------------------------------------------------------------------------------------
# the write-up's gap: 7.9 points without dropout and weight decay, 5.5 with them


@pytest.mark.slow
def test_the_write_ups_train_dev_gaps():
    from dlnotes.optim import AdamW
    from dlnotes.schedules import cosine

    data = capstone.capstone_data()

    def gap(dropout, weight_decay):
        model = mlp([784, 256, 128, 10], init="kaiming_normal", dropout=dropout, seed=0)
        steps = 20 * math.ceil(len(data["X_train"]) / 128)
        fit(
            model,
            data["X_train"],
            data["y_train"],
            optimizer=AdamW(model.params, lr=2e-3, weight_decay=weight_decay),
            epochs=20,
            batch_size=128,
            schedule=cosine(2e-3, steps),
            seed=0,
            progress=False,
        )
        train = evaluate(model, data["X_train"], data["y_train"])[1]
        dev = evaluate(model, data["X_dev"], data["y_dev"])[1]
        return train - dev

    plain, regularized = gap(0.0, 0.0), gap(0.2, 0.05)
    assert abs(plain - 0.079) < 0.01 and abs(regularized - 0.055) < 0.01
    assert plain - regularized > 0.015
