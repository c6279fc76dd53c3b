"""The capstone's graded run says what the budget cut short .

* The grader's message (``run_submission``: the returned model's ``epochs.txt``, or the scored
  checkpoint's ``checkpoint.txt``) says which fit the budget ended early or stopped before its
  first epoch, in the words the notebook's ``train_within_budget`` uses, so that a learner
  reading the grader's message learns why a fit trained nothing.
* The line is rebuilt by the grader from a short code (``e12``, ``s0``, ``-``), never text of
  the learner's process; a record of before it (seven lines, or a checkpoint's record whose
  seventh line is a fingerprint) reads as it did, and a forged code is flagged.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import numpy as np
import pytest

from dlnotes import capstone
from dlnotes.capstone import budget as budget_module
from dlnotes.capstone.plain import model_to_plain
from dlnotes.model import mlp
from dlnotes.optim import SGD
from dlnotes.train import fit

HEAD = """
import time

from dlnotes.model import mlp
from dlnotes.optim import SGD
from dlnotes.train import fit
"""

#: A loop that fits once, does its own work past the deadline, then fits again: the second fit
#: trains nothing (the budget stops it at its start). ``{end}`` returns or raises.
TOO_LATE = """
def train_best_model(data, budget):
    model = mlp([784, 8, 10], seed=0)
    opt = SGD(model.params, lr=0.05)
    X, y = data["X_train"][:256], data["y_train"][:256]
    fit(model, X, y, optimizer=opt, epochs=1, callbacks=[budget], progress=False)
    time.sleep(budget.remaining_seconds + 0.3)
    fit(model, X, y, optimizer=opt, epochs=3, callbacks=[budget], progress=False)
    {end}
"""

#: A fit asked for more epochs than the budget has: the budget ends it after its epoch 2.
TOO_MANY = """
def train_best_model(data, budget):
    model = mlp([784, 8, 10], seed=0)
    X, y = data["X_train"][:256], data["y_train"][:256]
    fit(model, X, y, optimizer=SGD(model.params, lr=0.05), epochs=5, callbacks=[budget],
        progress=False)
    {end}
"""

NOTHING = (
    "; the budget ended a fit before its first epoch: its 1 s were used up (a fit called after "
    "the budget ran out trains nothing)"
)


def _submission(tmp_path: Path, name: str, body: str) -> Path:
    path = tmp_path / f"{name}.py"
    path.write_text(HEAD + body, encoding="utf-8")
    return path


@pytest.mark.slow
def test_the_graders_message_says_a_fit_called_too_late_trained_nothing(tmp_path):
    """Returned or scored from its checkpoint, the graded run says what the notebook's run
    says: the second fit trained nothing, and why; no REVIEW (an honest loop)."""
    kwargs = {"seconds": 1.0, "grace": 3.0, "startup": 30.0}
    returns = _submission(tmp_path, "returns", TOO_LATE.format(end="return model"))
    plain, message = capstone.run_submission(returns, **kwargs)
    assert plain is not None and message == (
        "train_best_model returned a model within the budget (1 budgeted epochs)" + NOTHING
    ), message
    raises = _submission(tmp_path, "raises", TOO_LATE.format(end="raise ValueError('late')"))
    plain, message = capstone.run_submission(raises, **kwargs)
    assert plain is not None and message.endswith(
        "; scored from the last checkpoint (1 budgeted epochs)" + NOTHING
    ), message

    # the notebook's run, both paths, in the same words
    data = {
        "X_train": np.random.default_rng(0).random((256, 784), dtype=np.float32),
        "y_train": np.arange(256) % 10,
    }
    namespace: dict = {}
    exec(HEAD + TOO_LATE.format(end="return model"), namespace)
    model, said = capstone.train_within_budget(
        namespace["train_best_model"], data, capstone.Budget(seconds=1.0), grace=3.0
    )
    assert model is not None and said.endswith(NOTHING) and "REVIEW" not in said, said
    namespace = {}
    exec(HEAD + TOO_LATE.format(end="raise ValueError('late')"), namespace)
    model, said = capstone.train_within_budget(
        namespace["train_best_model"], data, capstone.Budget(seconds=1.0), grace=3.0
    )
    assert model is not None and said.endswith(
        "; scored from the last checkpoint (after budgeted epoch 1)" + NOTHING
    ), said


@pytest.mark.slow
def test_the_graders_message_says_a_fit_was_ended_by_the_epoch_limit(tmp_path):
    plain, message = capstone.run_submission(
        _submission(tmp_path, "many", TOO_MANY.format(end="return model")), epochs=2, seconds=20
    )
    assert plain is not None and message == (
        "train_best_model returned a model within the budget (2 budgeted epochs); the budget "
        "ended a fit early, after its epoch 2: its 2 epochs were used up"
    ), message


def test_the_cut_is_recorded_as_a_code_the_grader_words_itself(tmp_path):
    """The budget records a fit cut short as ``e``/``s`` and its stopped epoch (``-`` for
    none), in ``cut_record`` and in its checkpoint's record, rewritten when the fit ends."""
    budget = capstone.Budget(seconds=30, epochs=2, checkpoint_path=tmp_path / "checkpoint.npz")
    assert budget.cut_record == "-"
    model = mlp([784, 8, 10], seed=0)
    X = np.random.default_rng(0).random((64, 784), dtype=np.float32)
    fit(model, X, np.arange(64) % 10, optimizer=SGD(model.params, lr=0.05), epochs=5,
        callbacks=[budget], progress=False)  # fmt: skip
    assert budget.cut_record == "e2"
    assert (tmp_path / "checkpoint.txt").read_text().split()[6] == "e2"
    plain = budget.checkpoint
    assert plain is not None
    note = budget_module._checkpoint_note(tmp_path / "checkpoint.txt", plain, 2, None, 30)
    assert note == " (2 budgeted epochs); the budget ended a fit early, after its epoch 2: its 2 " \
        "epochs were used up"  # fmt: skip
    budget._cut = ("<b>REVIEW</b>", True)  # type: ignore[assignment]  # not a stopped epoch
    assert budget.cut_record == "-"


def test_records_of_before_the_cut_line_read_as_they_did_and_a_forged_line_is_flagged(tmp_path):
    epochs = tmp_path / "epochs.txt"
    epochs.write_text("2\n1\n0.300\n5000\n0\n0\n0.000\n")  # seven lines: as today
    said = budget_module._returned_message(epochs, 30, None)
    assert said == "train_best_model returned a model within the budget (2 budgeted epochs)", said
    epochs.write_text("2\n1\n0.300\n5000\n0\n0\n0.000\ns0\n")
    assert budget_module._returned_message(epochs, 30, None, 45).endswith(
        "; the budget ended a fit before its first epoch: its 45 s were used up (a fit called "
        "after the budget ran out trains nothing)"
    )
    for forged in ("REVIEW", "x2", "e", "s1234567890"):
        epochs.write_text(f"2\n1\n0.300\n5000\n0\n0\n0.000\n{forged}\n")
        said = budget_module._returned_message(epochs, 30, None)
        assert "REVIEW: the run's record (epochs.txt" in said, (forged, said)

    # a checkpoint's record of before: its seventh line is the first fingerprint, which may
    # begin with e (hex), and is still read as one
    plain = model_to_plain(mlp([784, 8, 10], seed=0))
    fingerprint = budget_module._fingerprint(plain)
    record = tmp_path / "checkpoint.txt"
    for first in ("e" + "0" * 63, fingerprint):
        record.write_text(f"1\n0.300\n5000\n0\n0\n0.000\n{first}\n{fingerprint}\n")
        note = budget_module._checkpoint_note(record, plain, 30, None)
        assert note == " (1 budgeted epochs)", (first, note)
    record.write_text(f"1\n0.300\n5000\n0\n0\n0.000\ns0\n{fingerprint}\n")
    note = budget_module._checkpoint_note(record, plain, 30, None, 45)
    assert note.startswith(" (1 budgeted epochs); the budget ended a fit before its first epoch")
    assert "REVIEW" not in note, note


def test_the_cut_note_is_not_given_for_a_fit_the_budget_did_not_cut(tmp_path):
    """A fit that ends on its own epochs leaves no cut, even when the budget is then used up,
    and its checkpoint's record has no cut line: the first loss (``L``) and the fingerprints
    follow the six numbers."""
    budget = capstone.Budget(seconds=30, epochs=2, checkpoint_path=tmp_path / "checkpoint.npz")
    model = mlp([784, 8, 10], seed=0)
    X = np.random.default_rng(0).random((64, 784), dtype=np.float32)
    fit(model, X, np.arange(64) % 10, optimizer=SGD(model.params, lr=0.05), epochs=2,
        callbacks=[budget], progress=False)  # fmt: skip
    assert budget.cut_record == "-" and budget.cut_short is None
    lines = (tmp_path / "checkpoint.txt").read_text().split()
    assert lines[6].startswith("L2.") and len(lines) == 6 + 1 + 2, lines
    assert all(len(line) == 64 for line in lines[7:]), lines


def _rules_and_guide() -> tuple[str, str]:
    """The capstone notebook's markdown (its rules) and ``book/instructors.md`` (the guide),
    each with its whitespace collapsed, so that a sentence matches however it is wrapped."""
    root = Path(__file__).resolve().parent.parent
    nb = json.loads((root / "notebooks" / "16_capstone.ipynb").read_text(encoding="utf-8"))
    rules = " ".join(
        " ".join("".join(c["source"]).split()) for c in nb["cells"] if c["cell_type"] == "markdown"
    )
    guide = " ".join((root / "book" / "instructors.md").read_text(encoding="utf-8").split())
    return rules, guide


def test_the_rules_and_the_guide_say_the_graders_message_tells_it():
    rules, guide = _rules_and_guide()
    assert "(the training cell's note says so, and so does the grader's message)" in rules
    assert "the run's message says so, in the notebook and in the grader's run" in guide
    assert "never from text of the learner's process" in guide


# --------------------------------------------------------------------------------------------
# 2. a network trained before the budget: the first counted steps' loss

PRETRAINED = """
from dlnotes.optim import AdamW


def train_best_model(data, budget):
    X, y = data["X_train"], data["y_train"]
    model = mlp([784, 32, 10], seed=0)
    # trained before the budget saw it (as weights carried in the cell would be), briefly
    fit(model, X, y, optimizer=AdamW(model.params, lr=3e-3), epochs=4, batch_size=64,
        progress=False)
    fit(model, X, y, optimizer=SGD(model.params, lr=0.0), epochs=1, batch_size=500,
        callbacks=[budget], progress=False)
    {end}
"""

FIRST_NOTE = (
    r"; REVIEW: the first training steps' loss was 0\.\d\d \(their mean over the first counted "
    r"epoch's first 64 examples or more\); an untrained 10-class network starts near 2\.3: "
)


def _tiny(n: int = 256) -> dict[str, np.ndarray]:
    from dlnotes.capstone import capstone_data

    data = capstone_data()
    return {"X_train": data["X_train"][:n], "y_train": data["y_train"][:n]}


@pytest.mark.slow
def test_a_network_trained_before_the_budget_is_flagged_by_the_grader(tmp_path):
    """Returned (epochs.txt) or scored from its checkpoint (checkpoint.txt), in the grader's
    run; and in the notebook's, with what to do instead."""
    import re

    kwargs = {"seconds": 20.0, "grace": 3.0, "startup": 30.0}
    returns = _submission(tmp_path, "pre", PRETRAINED.format(end="return model"))
    plain, message = capstone.run_submission(returns, **kwargs)
    assert plain is not None and re.fullmatch(
        r"train_best_model returned a model within the budget \(1 budgeted epochs\)"
        + FIRST_NOTE
        + r"was it trained before the budget\? read the cell",
        message,
    ), message
    raises = _submission(tmp_path, "pre_raises", PRETRAINED.format(end="raise ValueError()"))
    plain, message = capstone.run_submission(raises, **kwargs)
    assert plain is not None and re.search(
        r"scored from the last checkpoint \(1 budgeted epochs\)" + FIRST_NOTE, message
    ), message

    namespace: dict = {}
    exec(HEAD + PRETRAINED.format(end="return model"), namespace)
    data = capstone.capstone_data()
    model, said = capstone.train_within_budget(
        namespace["train_best_model"], data, capstone.Budget(seconds=20.0)
    )
    assert model is not None and re.search(FIRST_NOTE + "start train_best_model from a", said)


def test_honest_starts_are_not_flagged():
    """An untrained network of any usual kind starts near 2.3 (the reference too); a second
    fit continuing the model is not the first counted step; a fit that trains nothing records
    no loss; a single first example that a large init gets right by chance (loss ~0 alone)
    is averaged with the first 64 examples."""
    data = _tiny()
    X, y = data["X_train"], data["y_train"]
    budget = capstone.Budget(seconds=30)
    model = mlp([784, 64, 10], norm="batchnorm", seed=0)
    fit(model, X, y, optimizer=SGD(model.params, lr=0.1), epochs=3, callbacks=[budget],
        progress=False)  # fmt: skip
    first = budget.first_loss
    assert 1.8 < first < 2.8, first
    fit(model, X, y, optimizer=SGD(model.params, lr=0.1), epochs=2, callbacks=[budget],
        progress=False)  # fmt: skip
    assert budget.first_loss == first and budget.epochs_used == 5

    nothing = capstone.Budget(seconds=0.01)
    time.sleep(0.02)
    fit(model, X, y, optimizer=SGD(model.params, lr=0.1), epochs=1, callbacks=[nothing],
        progress=False)  # fmt: skip
    assert np.isnan(nothing.first_loss) and nothing.epochs_used == 0

    lucky = mlp([784, 256, 10], seed=0)
    for p in lucky.params:
        p *= 30
    budget = capstone.Budget(seconds=30)
    h = fit(lucky, X, y, optimizer=SGD(lucky.params, lr=0.05), epochs=1, batch_size=1,
            callbacks=[budget], progress=False, seed=0)  # fmt: skip
    assert budget.first_loss > budget_module.FIRST_LOSS, (h.step_loss[:3], budget.first_loss)

    ref = capstone.Budget(seconds=45, epochs=2)
    capstone.reference_train_best_model(capstone.capstone_data(), ref)
    assert ref.first_loss > 2.0, ref.first_loss
    note = budget_module._review_note(2, 30, True, 0.5, (5000, 6000), first_loss=ref.first_loss)
    assert note == ""


def test_records_without_the_first_loss_read_as_before_and_a_low_one_is_flagged(tmp_path):
    epochs = tmp_path / "epochs.txt"
    for old in ("2\n1\n0.300\n5000\n0\n0\n0.000\n-\n", "2\n1\n0.300\n5000\n0\n0\n0.000\n-\nnan\n"):
        epochs.write_text(old)
        said = budget_module._returned_message(epochs, 30, None)
        assert said == "train_best_model returned a model within the budget (2 budgeted epochs)"
    epochs.write_text("2\n1\n0.300\n5000\n0\n0\n0.000\n-\n0.312\n")
    assert budget_module._returned_message(epochs, 30, None).endswith(
        "; REVIEW: the first training steps' loss was 0.31 (their mean over the first counted "
        "epoch's first 64 examples or more); an untrained 10-class network starts near 2.3: was "
        "it trained before the budget? read the cell"
    )
    epochs.write_text("2\n1\n0.300\n5000\n0\n0\n0.000\n-\nlow\n")
    assert "REVIEW: the run's record (epochs.txt" in budget_module._returned_message(epochs, 30, 1)

    plain = model_to_plain(mlp([784, 8, 10], seed=0))
    fingerprint = budget_module._fingerprint(plain)
    record = tmp_path / "checkpoint.txt"
    for extra in ("", "s3\n", "L2.301\n", "e2\nL2.301\n"):
        record.write_text(f"1\n0.300\n5000\n0\n0\n0.000\n{extra}{fingerprint}\n")
        note = budget_module._checkpoint_note(record, plain, 30, None)
        assert "REVIEW" not in note, (extra, note)
    record.write_text(f"1\n0.300\n5000\n0\n0\n0.000\ns3\nL0.190\n{fingerprint}\n")
    note = budget_module._checkpoint_note(record, plain, 30, None)
    assert "; REVIEW: the first training steps' loss was 0.19" in note, note
    assert "the budget ended a fit early, after its epoch 3" in note, note


def test_the_rules_and_the_guide_name_the_first_loss_flag():
    rules, guide = _rules_and_guide()
    assert "a first counted training step with a loss far below the 2.3" in rules
    assert "**A network trained before the budget**" in guide
    assert "(`FIRST_LOSS`)" in guide and budget_module.FIRST_LOSS == 1.0
