"""The capstone's part 2: no zoo weights in the graded run, and late epochs counted and flagged.

* The model zoo in the graded run: the rules forbid starting from a pretrained network of
  ``dlnotes.zoo``, and the grader's sandbox now withholds the zoo's weights
  (``grade_capstone.zoo_withheld``), so a load fails however it is written (a computed name,
  ``np.load`` of a path built from ``dlnotes.__file__``) and says why; an honest run trains and
  scores as before.
* An epoch that began after the budget's seconds ran out (a ``fit`` called in the grace
  seconds) is counted in the budget (``late_epochs``, ``late_seconds``) and in the records the
  grader reads back, and flagged; the epoch under way at the deadline is not.
"""

from __future__ import annotations

import re
import shutil
import sys
import textwrap
import time
from pathlib import Path

import numpy as np
import pytest

from dlnotes import capstone, zoo
from dlnotes.capstone import budget as budget_module
from dlnotes.capstone.harness import submission_from_notebook
from dlnotes.model import mlp
from dlnotes.optim import SGD
from dlnotes.train import fit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tools"))

import grade_capstone  # noqa: E402

from tests.test_grade_capstone import _notebook  # noqa: E402
from tests.test_grade_capstone_hostile_runs import _hidden  # noqa: E402

needs_sandbox = pytest.mark.skipif(shutil.which("bwrap") is None, reason="needs bubblewrap")

ZOO = Path(zoo.__file__).resolve().parent
WITHHELD = (
    "is withheld: the capstone's graded run withholds the zoo's weights because its rules "
    "forbid starting part 2 from a pretrained network"
)

# --------------------------------------------------------------------------------------------
# 1. the model zoo in the graded run


def test_a_withheld_zoo_file_says_why_in_the_quote_the_grader_keeps(tmp_path, monkeypatch):
    """zoo.load and zoo.load_sweep on a missing file: in the graded run (the sandbox sets
    DLNOTES_ZOO_WITHHELD) a FileNotFoundError that names the file and says why it is not
    there, within the 200 characters of the last stderr line the grader quotes; anywhere
    else, the install is incomplete."""
    monkeypatch.setenv(grade_capstone.ZOO_WITHHELD, "1")
    for load, file in ((zoo.load, "fashion10_mlp.npz"), (zoo.load_sweep, "fashion5_mlp_sweep.npz")):
        name = file.removesuffix(".npz").removesuffix("_sweep")
        with pytest.raises(FileNotFoundError) as err:
            load(name, directory=tmp_path)
        said = str(err.value)
        assert said.startswith(f"zoo file {file} {WITHHELD}"), said
        assert str(tmp_path / file) in said
        line = f"FileNotFoundError: {said}"
        assert f"{file} {WITHHELD}" in budget_module._quoted(line), line
    monkeypatch.delenv(grade_capstone.ZOO_WITHHELD)
    with pytest.raises(FileNotFoundError, match=r"is missing \(reinstall dlnotes\)"):
        zoo.load("fashion10_mlp", directory=tmp_path)
    assert zoo.load("fashion10_mlp").layers  # the shipped weights load as before


def test_the_sandbox_shows_the_zoo_folder_with_its_python_files_only(tmp_path):
    """The capstone's bwrap command puts an empty tmpfs over the zoo's folder (after the
    package's bind), binds back its .py files read-only, makes it read-only and sets the
    variable; no .npz of the folder is bound anywhere."""
    opts = grade_capstone.zoo_withheld()
    folder = str(ZOO)
    assert folder in grade_capstone.zoo_folders()
    k = opts.index(folder)
    assert opts[k - 1] == "--tmpfs" and opts[k - 3 : k - 1] == ["--size", str(1 << 20)]
    bound = {opts[i + 1] for i, o in enumerate(opts) if o == "--ro-bind"}
    assert bound == {str(p) for p in ZOO.glob("*.py")} and len(bound) >= 2
    remount = opts.index("--remount-ro")
    last_bind = max(i for i, o in enumerate(opts) if o in bound)
    assert opts[remount + 1] == folder and remount > last_bind
    assert opts[-3:] == ["--setenv", grade_capstone.ZOO_WITHHELD, "1"]
    npz = sorted(ZOO.glob("*.npz"))
    assert len(npz) == 4
    sub = Path(__file__)
    cmd = grade_capstone.sandboxed(
        [sys.executable, "-m", "dlnotes.capstone.harness", str(sub)], tmp_path, sub
    )
    assert not any(str(p) in cmd for p in npz)
    package = cmd.index(str(ZOO.parent))  # the package's bind, then the zoo's tmpfs over it
    assert package < cmd.index(folder) and cmd[cmd.index(folder) - 1] == "--tmpfs"


HEAD = """
import importlib
import os

import numpy as np

import dlnotes
from dlnotes.model import mlp
from dlnotes.optim import SGD
from dlnotes.train import fit
"""

CHECKPOINT_FIRST = """
def train_best_model(data, budget):
    model = mlp([784, 16, 10], seed=0)
    fit(model, data["X_train"][:500], data["y_train"][:500], optimizer=SGD(model.params,
        lr=0.05), epochs=1, callbacks=[budget], progress=False)
"""

BY_NAME = f"""{CHECKPOINT_FIRST}
    loader = getattr(importlib.import_module("dlnotes." + "zo" + "o"), "lo" + "ad")
    return loader("fashion" + "10_mlp")
"""

BY_PATH = f"""{CHECKPOINT_FIRST}
    folder = os.path.join(os.path.dirname(dlnotes.__file__), "zo" + "o")
    weights = np.load(os.path.join(folder, "fashion" + "10_mlp.npz"))
    raise RuntimeError(f"READ {{sorted(weights.files)[:2]}}")
"""

LOOK = """
def train_best_model(data, budget):
    z = importlib.import_module("dlnotes." + "zo" + "o")
    for name in ("capstone", "exercises", "zoo.transfer", "data", "train", "tuning"):
        importlib.import_module("dlnotes." + name)
    try:
        open(os.path.join(os.path.dirname(z.__file__), "mine.npz"), "wb").close()
        wrote = "yes"
    except OSError:
        wrote = "no"
    raise RuntimeError(f"SEEN {sorted(os.listdir(os.path.dirname(z.__file__)))} WROTE {wrote}")
"""

HONEST = """
from dlnotes.optim import AdamW


def train_best_model(data, budget):
    model = mlp([784, 128, 10], seed=0)
    fit(model, data["X_train"], data["y_train"], optimizer=AdamW(model.params, lr=1e-3),
        epochs=3, batch_size=64, callbacks=[budget], progress=False)
    return model
"""


def _submission(tmp_path: Path, name: str, body: str) -> Path:
    path = tmp_path / f"{name}.py"
    path.write_text(HEAD + textwrap.dedent(body), encoding="utf-8")
    return path


def _sandboxed(sub: Path, **kwargs):
    return capstone.run_submission(
        sub, wrap=lambda cmd, work: grade_capstone.sandboxed(cmd, work, sub), **kwargs
    )


@needs_sandbox
@pytest.mark.slow
def test_a_zoo_load_by_a_computed_name_or_path_fails_in_the_graded_run(tmp_path):
    """The loaders the static note cannot see: getattr(importlib.import_module("dlnotes." +
    "zoo"), "lo" + "ad"), and np.load of the file's path built from dlnotes.__file__. Without
    the sandbox (the control) both read the weights; in it, neither does, the run fails like
    any failing run (its budgeted checkpoint is scored) and its message says why."""
    by_name = _submission(tmp_path, "by_name", BY_NAME)
    by_path = _submission(tmp_path, "by_path", BY_PATH)
    assert capstone.zoo_note(by_name.read_text()) == capstone.zoo_note(by_path.read_text()) == ""

    plain, message = capstone.run_submission(by_name, seconds=30)  # the control: it loads
    assert plain is not None and message.startswith("train_best_model returned a model"), message
    assert plain["0.W"].shape == (784, 256)  # the zoo network, not the checkpoint's 16 units
    _, message = capstone.run_submission(by_path, seconds=30)
    assert "READ ['0.W', '0.b']" in message, message

    plain, message = _sandboxed(by_name, seconds=30)
    assert message.startswith(
        "train_best_model failed (exit code 1); its last stderr line: «FileNotFoundError: zoo "
        f"file fashion10_mlp.npz {WITHHELD}"
    ), message
    assert "; scored from the last checkpoint (1 budgeted epochs)" in message, message
    assert plain is not None and plain["0.W"].shape == (784, 16)
    plain, message = _sandboxed(by_path, seconds=30)
    assert "READ" not in message, message
    assert (
        "«FileNotFoundError: [Errno 2] No such file or directory: "
        f"'{ROOT / 'dlnotes' / 'zoo' / 'fashion10_mlp.npz'}'»"
    ) in message, message
    assert plain is not None and plain["0.W"].shape == (784, 16)


@needs_sandbox
@pytest.mark.slow
def test_the_zoo_module_and_the_rest_of_dlnotes_import_in_the_graded_run(tmp_path):
    """Inside the sandbox the zoo's folder holds its Python files only, read-only, and
    dlnotes.zoo, dlnotes.zoo.transfer and the other modules import."""
    _, message = _sandboxed(_submission(tmp_path, "look", LOOK), seconds=30)
    expected = sorted(p.name for p in ZOO.glob("*.py"))
    assert f"«RuntimeError: SEEN {expected} WROTE no»" in message, message


@needs_sandbox
@pytest.mark.slow
def test_an_honest_submission_still_trains_and_scores_in_the_graded_run(tmp_path):
    nb = _notebook(tmp_path / "honest.ipynb", HEAD + HONEST)
    row = grade_capstone.grade_one("honest", nb, _hidden(tmp_path / "hidden.npz"))
    assert row["run"] == "train_best_model returned a model within the budget (3 budgeted epochs)"
    assert str(row["dev"]).endswith(": 1 / 1"), row
    assert float(row["points"]) > 5, row  # type: ignore[arg-type]
    sub = submission_from_notebook(nb, tmp_path / "honest.py")
    assert capstone.zoo_note(sub.read_text()) == ""


# --------------------------------------------------------------------------------------------
# 2. an epoch that began after the time ran out


def _data(n: int = 64) -> dict[str, np.ndarray]:
    return {
        "X_train": np.random.default_rng(0).random((n, 784), dtype=np.float32),
        "y_train": np.arange(n) % 10,
    }


def _fit(model, data, budget, epochs=1, **kwargs):
    opt = kwargs.pop("optimizer", None) or SGD(model.params, lr=0.05)
    cbs = kwargs.pop("callbacks", [budget])
    return fit(model, data["X_train"], data["y_train"], optimizer=opt, epochs=epochs,
               callbacks=cbs, progress=False, **kwargs)  # fmt: skip


def late(wait: float):
    """A run that fits one budgeted epoch, waits ``wait`` s past the budget's seconds and
    fits again with the budget passed as a function (``budget.on_epoch_end``: a bypass of its
    stop at the fit's start, so its first epoch is counted, then the budget stops it)."""

    def train_best_model(data, budget):
        model = mlp([784, 8, 10], seed=0)
        _fit(model, data, budget)
        time.sleep(budget.remaining_seconds + wait)
        _fit(model, data, budget, epochs=5, callbacks=[budget.on_epoch_end])
        return model

    return train_best_model


LATE_NOTE = (
    r"; REVIEW: an epoch began (\d+\.\d\d) s after the 1 s ran out \(in the grace seconds\): "
    r"only an epoch under way when the time runs out may finish; pass the budget itself to "
    r"every fit \(callbacks=\[budget\]\) and do not work around its stop: a fit called after "
    r"the time ran out then trains nothing$"
)


def test_a_fit_in_the_grace_seconds_is_counted_and_flagged():
    budget = capstone.Budget(seconds=1.0)
    model, message = capstone.train_within_budget(late(1.5), _data(), budget, grace=4.0)
    assert model is not None and budget.epochs_used == 2
    assert budget.late_epochs == 1 and 1.4 < budget.late_seconds < 2.5, budget.late_seconds
    assert budget.checkpoint_late_epochs == 1 and budget.saw(model)
    found = re.search(LATE_NOTE, message)
    assert found and 1.4 <= float(found[1]) <= 2.5, message


def test_late_epochs_are_counted_by_number_and_a_checkpoint_scored_in_place_is_flagged():
    """Two fits after the time ran out: two late epochs; the run then raises, and the
    checkpoint scored in its place carries the note."""

    def twice_then_raise(data, budget):
        model = mlp([784, 8, 10], seed=0)
        _fit(model, data, budget)
        time.sleep(budget.remaining_seconds + 0.8)
        _fit(model, data, budget, callbacks=[budget.on_epoch_end])
        time.sleep(0.3)
        _fit(model, data, budget, callbacks=[budget.on_epoch_end])
        raise RuntimeError("gave up")

    budget = capstone.Budget(seconds=1.0)
    model, message = capstone.train_within_budget(twice_then_raise, _data(), budget, grace=4.0)
    assert model is not None and budget.late_epochs == 2 and budget.checkpoint_late_epochs == 2
    assert "train_best_model raised RuntimeError: gave up; scored from the last checkpoint" in (
        message
    )
    assert re.search(
        r"REVIEW: 2 epochs began after the 1 s ran out, the latest 1\.\d\d s after \(in the grace "
        r"seconds\): only an epoch under way",
        message,
    ), message


def _sleepy(X, rng):
    time.sleep(0.1)
    return X


def straddles(data, budget):
    """Epochs of about 0.4 s (4 batches of 0.1 s) until the budget stops fit: the last one
    straddles the deadline."""
    model = mlp([784, 8, 10], seed=0)
    _fit(model, data, budget, epochs=50, batch_size=16, augment=_sleepy)
    return model


class Slow:
    """A callback that spends ``seconds`` after each epoch (a plot, a log)."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds

    def __call__(self, epoch, history, model) -> bool:
        time.sleep(self.seconds)
        return False


def test_the_epoch_under_way_at_the_deadline_is_not_flagged():
    """The legit cases: an epoch that straddles the deadline (the budget stops fit after it),
    the same with a slow callback listed before the budget (fit's timing of the epoch leaves
    it out: the second epoch, from about 1.3 s to 1.7 s, ends less its time 0.9 s later, 0.7 s
    after the 1.5 s ran out, though it began before), a loop that
    checks the budget itself and calls fit one epoch at a time, and a fit given the budget
    and called after the deadline (it trains nothing, and the message says so)."""
    budget = capstone.Budget(seconds=1.0)
    message = capstone.train_within_budget(straddles, _data(), budget, grace=4.0)[1]
    assert budget.elapsed > 1.0 and budget.late_epochs == 0, budget.late_seconds
    assert "REVIEW" not in message and "its 1 s were used up" in message, message

    def slow_callback_first(data, budget):
        model = mlp([784, 8, 10], seed=0)
        _fit(model, data, budget, epochs=50, batch_size=16, augment=_sleepy,
             callbacks=[Slow(0.9), budget])  # fmt: skip
        return model

    budget = capstone.Budget(seconds=1.5)
    message = capstone.train_within_budget(slow_callback_first, _data(), budget, grace=4.0)[1]
    assert budget.epochs_used == 2, message  # the second epoch straddled the deadline
    assert budget.late_epochs == 0 and "REVIEW" not in message, message

    def own_loop(data, budget):
        model = mlp([784, 8, 10], seed=0)
        opt = SGD(model.params, lr=0.05)
        while not budget.exhausted:
            _fit(model, data, budget, epochs=1, optimizer=opt, batch_size=16, augment=_sleepy)
        return model

    budget = capstone.Budget(seconds=1.0)
    message = capstone.train_within_budget(own_loop, _data(), budget, grace=4.0)[1]
    assert budget.epochs_used >= 2 and budget.late_epochs == 0 and "REVIEW" not in message

    def fit_after_the_deadline(data, budget):
        model = mlp([784, 8, 10], seed=0)
        _fit(model, data, budget)
        time.sleep(budget.remaining_seconds + 0.1)
        _fit(model, data, budget, epochs=5)
        return model

    budget = capstone.Budget(seconds=1.0)
    message = capstone.train_within_budget(fit_after_the_deadline, _data(), budget, grace=4.0)[1]
    assert budget.epochs_used == 1 and budget.late_epochs == 0 and "REVIEW" not in message
    assert message.endswith(
        "; the budget ended a fit before its first epoch: its 1 s were used up (a fit called "
        "after the budget ran out trains nothing)"
    ), message
    assert budget_module.LATE_TOLERANCE == 0.1


def test_a_larger_seconds_written_by_another_callback_does_not_hide_a_late_epoch():
    def inflate(epoch, history, model):
        history.seconds[-1] = 100.0

    def hides(data, budget):
        model = mlp([784, 8, 10], seed=0)
        _fit(model, data, budget)
        time.sleep(budget.remaining_seconds + 1.0)
        _fit(model, data, budget, callbacks=[inflate, budget.on_epoch_end])
        return model

    budget = capstone.Budget(seconds=1.0)
    message = capstone.train_within_budget(hides, _data(), budget, grace=4.0)[1]
    assert budget.late_epochs == 1 and re.search(LATE_NOTE, message), message


# the grader's path: the records read back


def test_the_checkpoint_record_carries_the_late_epochs_and_an_old_or_short_one_is_flagged(
    tmp_path,
):
    path = tmp_path / "late" / "checkpoint.npz"
    path.parent.mkdir()
    budget = capstone.Budget(seconds=1.0, checkpoint_path=path)
    capstone.train_within_budget(late(1.2), _data(), budget, grace=4.0)
    record = path.with_suffix(".txt")
    lines = record.read_text().split()
    assert lines[4] == "1" and 1.1 < float(lines[5]) < 2.5, lines
    assert sum(len(line) == 64 for line in lines) == 2, lines
    plain = budget.checkpoint
    assert plain is not None
    note = budget_module._checkpoint_note(record, plain, 30, 6000, 1.0)
    assert note.startswith(" (2 budgeted epochs); REVIEW: an epoch began 1."), note
    assert note.endswith("s after the 1 s ran out (in the grace seconds): only an epoch under "
                         "way when the time runs out may finish; read the cell")  # fmt: skip

    straddled = tmp_path / "straddles" / "checkpoint.npz"
    straddled.parent.mkdir()
    budget = capstone.Budget(seconds=1.0, checkpoint_path=straddled)
    capstone.train_within_budget(straddles, _data(), budget, grace=4.0)
    assert budget.checkpoint is not None and budget.elapsed > 1.0
    honest = straddled.with_suffix(".txt")
    assert honest.read_text().split()[4:6] == ["0", "0.000"]
    note = budget_module._checkpoint_note(honest, budget.checkpoint, 30, 6000, 1.0)
    assert re.fullmatch(
        r" \(\d+ budgeted epochs\)(; the budget ended a fit early, after its epoch \d+: its 1 s "
        r"were used up)?",
        note,
    ), note

    numbers = honest.read_text().split()
    fingerprints = numbers[6:]
    unreadable = "; REVIEW: the checkpoint's record (checkpoint.txt, written by the budget"
    for forged in (
        numbers[:4] + fingerprints,  # the format before late epochs were counted
        numbers[:5] + fingerprints,  # a line short
        [*numbers[:4], "99", "1.0", *fingerprints],  # more late epochs than epochs
        [*numbers[:4], "-1", "1.0", *fingerprints],
        [*numbers[:4], "0", "nan", *fingerprints],
        [*numbers[:4], "1", "inf", *fingerprints],
        numbers[:4],
    ):
        honest.write_text("\n".join(forged) + "\n")
        said = budget_module._checkpoint_note(honest, budget.checkpoint, 30, 6000, 1.0)
        assert said.startswith(unreadable), (forged, said)


def test_the_returned_models_record_carries_the_late_epochs(tmp_path):
    epochs = tmp_path / "epochs.txt"
    epochs.write_text("2\n1\n0.300\n128\n0\n1\n1.832\n", encoding="utf-8")
    said = budget_module._returned_message(epochs, 30, 6000, 45.0)
    assert said == (
        "train_best_model returned a model within the budget (2 budgeted epochs); REVIEW: an "
        "epoch began 1.83 s after the 45 s ran out (in the grace seconds): only an epoch under "
        "way when the time runs out may finish; read the cell"
    )
    epochs.write_text("2\n1\n0.300\n128\n0\n0\n0.000\n", encoding="utf-8")
    assert "REVIEW" not in budget_module._returned_message(epochs, 30, 6000, 45.0)
    for forged in ("2\n1\n0.300\n128\n0\n1\n", "2\n1\n0.300\n128\n0\n3\n1.0\n",
                   "2\n1\n0.300\n128\n0\n1\nnan\n"):  # fmt: skip
        epochs.write_text(forged, encoding="utf-8")
        said = budget_module._returned_message(epochs, 30, 6000, 45.0)
        assert "REVIEW: the run's record (epochs.txt" in said, (forged, said)


GRACE_FIT = """
def train_best_model(data, budget):
    model = mlp([784, 8, 10], seed=0)
    opt = SGD(model.params, lr=0.05)
    X, y = data["X_train"][:256], data["y_train"][:256]
    fit(model, X, y, optimizer=opt, epochs=1, callbacks=[budget], progress=False)
    time.sleep(budget.remaining_seconds + 1.2)
    fit(model, X, y, optimizer=opt, epochs=5, callbacks=[budget.on_epoch_end], progress=False)
    {end}
"""

STRADDLING = """
def train_best_model(data, budget):
    model = mlp([784, 8, 10], seed=0)
    X, y = data["X_train"][:64], data["y_train"][:64]

    def slow(Xb, rng):
        time.sleep(0.06)
        return Xb

    fit(model, X, y, optimizer=SGD(model.params, lr=0.05), epochs=200, batch_size=16,
        augment=slow, callbacks=[budget], progress=False)
    return model
"""


@pytest.mark.slow
def test_the_grader_reads_the_late_epochs_back_from_its_records(tmp_path):
    """run_submission (the grader's path, records written in the learner's process and read
    back in the grader's): a fit in the grace seconds is flagged whether the model is returned
    (epochs.txt) or the run is stopped and its checkpoint scored (checkpoint.txt); an epoch
    that straddles the deadline is not."""
    head = "import time\n" + HEAD
    returns = tmp_path / "returns.py"
    returns.write_text(head + GRACE_FIT.format(end="return model"), encoding="utf-8")
    stopped = tmp_path / "stopped.py"
    stopped.write_text(head + GRACE_FIT.format(end="time.sleep(60)"), encoding="utf-8")
    straddling = tmp_path / "straddling.py"
    straddling.write_text(head + STRADDLING, encoding="utf-8")
    note = (
        r"; REVIEW: an epoch began 1\.\d\d s after the 1 s ran out \(in the grace seconds\): only "
        r"an epoch under way when the time runs out may finish; read the cell"
    )
    kwargs = {"seconds": 1.0, "grace": 2.5, "startup": 30.0}

    plain, message = capstone.run_submission(returns, **kwargs)
    assert plain is not None and re.fullmatch(
        r"train_best_model returned a model within the budget \(2 budgeted epochs\)" + note,
        message,
    ), message
    plain, message = capstone.run_submission(stopped, **kwargs)
    assert plain is not None and re.fullmatch(
        r"stopped at the wall-clock limit \(3\.5 s after the budget started\); scored from the "
        r"last checkpoint \(2 budgeted epochs\)" + note,
        message,
    ), message
    plain, message = capstone.run_submission(straddling, **kwargs)
    assert plain is not None and "REVIEW" not in message, message
    assert message.startswith("train_best_model returned a model within the budget"), message


def test_the_rules_and_the_instructors_guide_say_it():
    import json

    nb = json.loads((ROOT / "notebooks" / "16_capstone.ipynb").read_text(encoding="utf-8"))
    rules = " ".join(
        " ".join("".join(c["source"]).split()) for c in nb["cells"] if c["cell_type"] == "markdown"
    )
    assert "the graded run has no zoo weights at all: a load there fails" in rules
    assert "an epoch beyond the budget's 30, or begun after the 45 s ran out" in rules
    assert "such a `fit` called too late trains nothing" in rules
    guide = " ".join((ROOT / "book" / "instructors.md").read_text(encoding="utf-8").split())
    assert "an epoch began 1.83 s after the 45 s ran out (in the grace seconds)" in guide
    assert "every copy of `dlnotes` the grader's Python can find" in guide
    assert "whose sandbox shows the zoo's folder with its Python files only" in guide
    doc = " ".join((capstone.zoo_note.__doc__ or "").split())
    assert "the graded run has no zoo weights" in doc
