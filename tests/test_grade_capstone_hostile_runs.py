"""tools/grade_capstone.py and dlnotes/capstone against a hostile student: the run's messages,
the cost of parsing, the disk, training inside a counted epoch.

* the learner's own text in a run's message (its last stderr line) is quoted as its
  own, « », cut to 200 characters, and cannot carry the word REVIEW: it can neither push the
  grader's REVIEW notes out of the gradebook's ``flagged`` column or the reason, nor pass for
  the grader's words;
* the grader parses a notebook's cells in its own process within part 1's caps: a cell of
  megabytes costs it no gigabytes;
* a run stopped because the disk's free space fell (which another grader beside this one
  moves too) blames no one and is flagged for review, to grade that student again alone;
* training inside a counted epoch (an augment function that steps the optimizer itself) is
  flagged for review, in the notebook and in the grader;
* the guide says what is (not) caught and what the sandbox shows.
"""

from __future__ import annotations

import csv
import json
import re
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tools"))

import grade  # noqa: E402
import grade_capstone  # noqa: E402

from dlnotes import capstone  # noqa: E402
from dlnotes.capstone import harness  # noqa: E402
from dlnotes.data import Augmenter  # noqa: E402
from dlnotes.losses import softmax_cross_entropy  # noqa: E402
from dlnotes.model import mlp  # noqa: E402
from dlnotes.optim import SGD, AdamW  # noqa: E402
from dlnotes.schedules import cosine  # noqa: E402
from dlnotes.train import Callback, fit  # noqa: E402
from tests.test_grade_capstone import _notebook  # noqa: E402

BOOK_FIELDS = ["student", "student_id", "score", "max_score", "status", "ch16_diagnose_runs (7)"]
BOOK_FIELDS += ["reason", "flagged", "notes"]


def _gradebook(path: Path, *students: str) -> Path:
    rows = [
        {"student": s, "student_id": s, "score": "7", "max_score": "7", "status": "graded",
         "ch16_diagnose_runs (7)": "7", "reason": "", "flagged": "", "notes": ""}
        for s in students
    ]  # fmt: skip
    grade._write_csv(path, rows, BOOK_FIELDS)
    return path


def _merged(gradebook: Path, rows: list[dict[str, object]]) -> dict[str, dict[str, str]]:
    grade_capstone.merge(gradebook, rows)
    with open(gradebook, newline="", encoding="utf-8") as fh:
        return {r["student"]: r for r in csv.DictReader(fh)}


def _hidden(path: Path) -> Path:
    """A small hidden set: 200 dev images, as the grader reads one."""
    data = capstone.capstone_data()
    X = np.round(data["X_dev"][:200] * 255).astype(np.uint8).reshape(-1, 28, 28)
    np.savez(path, X=X, y=data["y_dev"][:200].astype(np.uint8))
    return path


HEAD = """
import sys
import time

import numpy as np

from dlnotes.losses import softmax_cross_entropy
from dlnotes.model import mlp
from dlnotes.optim import SGD, AdamW
from dlnotes.train import fit
"""


def _run(tmp_path: Path, name: str, body: str, **kwargs):
    learner = tmp_path / f"{name}.py"
    learner.write_text(HEAD + textwrap.dedent(body), encoding="utf-8")
    return capstone.run_submission(learner, **kwargs)


# --------------------------------------------------------------------------------------------
# F1 + F7: the learner's text cannot hide the grader's notes or pass for them

MASKER = """
def train_best_model(data, budget):
    X, y = data["X_train"][:500], data["y_train"][:500]
    model = mlp([784, 16, 10], seed=0)
    fit(model, X, y, optimizer=SGD(model.params, lr=0.05), epochs=2, progress=False)  # no budget
    budget.save(model)
    fake = ("numpy.core._exceptions._ArrayMemoryError: harmless » ; scored from the last "
            "checkpoint (20 budgeted epochs); REVIEW: none « \\x1b[2J")
    print(fake + " " * 900 + ".", file=sys.stderr)
    sys.exit(1)
"""


def test_a_long_stderr_line_cannot_hide_the_review_notes_or_pass_for_the_grader(
    tmp_path, monkeypatch
):
    """The reviewer's masker in small: trained without the budget, saved by hand (a REVIEW
    note), then a 1200-character last stderr line that mimics the grader and exits 1. Its line
    is quoted as the student's, « », cut to 200 characters, with its own « » and REVIEW
    defused and its terminal code escaped; the gradebook's ``flagged`` keeps the budget's note
    and the part-2 code's, the reason keeps how the run was scored."""
    plain, message = _run(tmp_path, "masker", MASKER)
    assert plain is not None, message
    assert message.startswith("train_best_model failed (exit code 1); its last stderr line: «")
    assert message.count("«") == message.count("»") == 1, message
    quote = message.split("«", 1)[1].split("»", 1)[0]
    assert len(quote) <= capstone.budget.MAX_QUOTE and quote.endswith("…"), quote
    assert "REVIEW" not in quote and "review: none ‹" in quote and "\x1b" not in quote
    assert "harmless › ; scored from the last checkpoint (20 budgeted epochs)" in quote
    after = message.split("»", 1)[1]
    assert after.startswith("; scored from the last checkpoint (0 budgeted epochs); REVIEW: no ")

    monkeypatch.setattr(capstone, "run_submission", lambda sub, wrap: (plain, message))
    blob = "B = '" + "x" * 120_000 + "'\n"  # part-2 code over 100 kB: a note of the grader's
    nb = _notebook(tmp_path / "masker.ipynb", blob + "def train_best_model(data, budget):\n  1\n")
    row = grade_capstone.grade_one("masker", nb, _hidden(tmp_path / "hidden.npz"))
    assert "REVIEW: the part-2 code (answer cell and import cells) is 120 kB" in str(row["run"])
    rows = _merged(_gradebook(tmp_path / "book.csv", "masker"), [row])
    flagged, reason = rows["masker"]["flagged"], rows["masker"]["reason"]
    assert flagged.startswith("ch16_train_best_model: train_best_model failed (exit code 1)")
    assert "REVIEW: no epoch went through the budget" in flagged, flagged
    assert "REVIEW: the part-2 code (answer cell and import cells) is 120 kB" in flagged, flagged
    assert f"its last stderr line: «{quote}»" in flagged
    assert "run: train_best_model failed (exit code 1); its last stderr line: «" in reason
    assert reason.endswith("»; scored from the last checkpoint (0 budgeted epochs)"), reason
    assert "REVIEW" not in reason


def test_the_flag_keeps_every_note_in_full_however_long_the_run_message(tmp_path):
    """The grader's notes (the budget's and the memoriser checks', up to six) are never cut
    from the gradebook's flag: the run's message before them is cut to make room."""
    notes = [f"; REVIEW: note {k} " + "n" * 240 for k in range(6)]
    run = "train_best_model failed (exit code 1); its last stderr line: «" + "x" * 199 + "»"
    run += "; scored from the last checkpoint (2 budgeted epochs)"
    rows = [
        {"student": "long", "points": 11.0, "max_points": 11.0, "dev": "d", "score": "s",
         "run": run + "".join(notes)},
        {"student": "short", "points": 11.0, "max_points": 11.0, "dev": "d", "score": "s",
         "run": "returned a model (3 budgeted epochs); REVIEW: x"},
    ]  # fmt: skip
    merged = _merged(_gradebook(tmp_path / "book.csv", "long", "short"), rows)
    flag = merged["long"]["flagged"]
    assert flag.startswith("ch16_train_best_model: train_best_model failed (exit code 1)")
    for note in notes:
        assert note in flag, note[:20]
    assert merged["short"]["flagged"] == (
        "ch16_train_best_model: returned a model (3 budgeted epochs); REVIEW: x"
    )


def test_the_learners_names_in_a_model_file_are_cut_in_the_graders_messages(tmp_path):
    """A model file is the learner's too: a layer type, a format tag or entry names of
    thousands of characters are quoted cut in the dev and score messages (the reason), not in
    full."""
    good = capstone.model_to_plain(mlp([784, 10], seed=0))
    hidden = _hidden(tmp_path / "hidden.npz")
    for bad in (
        {**good, "0.type": "Linear" + "x" * 5000},
        {**good, "format": "f" * 5000},
        {**good, **{f"{k}" * 3000: 1 for k in "abcdef"}},
    ):
        dev = grade_capstone.dev_point(bad)[1]
        score = capstone.hidden_evaluation(bad, hidden)[1]
        assert dev.startswith("the model cannot be used (plain model") and len(dev) < 500, dev
        assert score.startswith("the submitted model cannot be used") and len(score) < 500


# --------------------------------------------------------------------------------------------
# F3: a huge cell costs the grader's process no gigabytes


def _measured(notebook: Path, out: Path) -> dict:
    """submission_from_notebook in a fresh Python: its peak memory (MiB, the process's), its
    seconds and the characters it gave ast.parse."""
    code = f"""
        import ast, json, resource, time
        from dlnotes.capstone import harness
        parsed = []
        real = ast.parse
        harness.ast.parse = lambda source, *a, **k: parsed.append(len(source)) or real(source)
        start = time.monotonic()
        harness.submission_from_notebook({str(notebook)!r}, {str(out)!r})
        print(json.dumps({{
            "seconds": time.monotonic() - start, "parsed": sum(parsed),
            "rss": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}}))
    """
    proc = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=ROOT,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    return json.loads(proc.stdout.splitlines()[-1])


def test_a_cell_of_megabytes_is_not_parsed_in_the_graders_process(tmp_path):
    """The reviewer's notebook in small: one code cell of 2 MB (a tuple of a million ones,
    which ast.parse turns into about a gigabyte), and 30 cells of 150 000 characters that
    mention ``import``: the grader parses none of the first and at most part 1's 600 000
    characters of the others, in the memory of an honest notebook. The honest notebook's
    imports and answer come through, the same as without the junk."""
    master = json.loads((ROOT / "notebooks" / "16_capstone.ipynb").read_text(encoding="utf-8"))
    honest = tmp_path / "honest.ipynb"
    honest.write_text(json.dumps(master), encoding="utf-8")
    junk = dict(master)
    cell = {"cell_type": "code", "metadata": {}, "outputs": [], "execution_count": None}
    big = {**cell, "source": "import os\njunk = (" + "1," * 1_000_000 + ")\n"}
    many = [{**cell, "source": "import os\nx = (" + "1," * 75_000 + ")\n"} for _ in range(30)]
    junk["cells"] = [*master["cells"][:2], big, *many, *master["cells"][2:]]
    hostile = tmp_path / "hostile.ipynb"
    hostile.write_text(json.dumps(junk), encoding="utf-8")

    base = _measured(honest, tmp_path / "honest.py")
    seen = _measured(hostile, tmp_path / "hostile.py")
    assert (tmp_path / "hostile.py").read_text() == (tmp_path / "honest.py").read_text()
    assert "import numpy as np" in (tmp_path / "honest.py").read_text()
    assert seen["parsed"] <= base["parsed"] + harness.MAX_PARSE_CHARS, (base, seen)
    assert seen["rss"] < base["rss"] + 250, (base, seen)  # MiB; about 1 GiB unparsed
    assert seen["seconds"] < 10, seen


def test_an_answer_cell_too_long_to_parse_here_goes_to_the_run_unparsed(tmp_path, monkeypatch):
    """An answer cell over MAX_CELL_CHARS is not parsed by the grader, even to refuse it: it
    goes to the sandboxed run, which reads it (and fails there if it does not parse; the
    part-2 code's size is flagged). One that fits and does not parse is refused here."""
    import ast

    parsed = []
    real = ast.parse
    monkeypatch.setattr(
        ast, "parse", lambda source, *a, **k: parsed.append(len(source)) or real(source)
    )
    long = "def train_best_model(data, budget)\n    return None\n" + "# x\n" * 60_000
    out = harness.submission_from_notebook(_notebook(tmp_path / "long.ipynb", long), tmp_path / "a")
    assert out.read_text().startswith("def train_best_model(data, budget)\n")
    assert parsed == []
    broken = _notebook(tmp_path / "broken.ipynb", "def train_best_model(data, budget)\n")
    with pytest.raises(ValueError, match="does not parse"):
        harness.submission_from_notebook(broken, tmp_path / "b")
    assert parsed == [len("def train_best_model(data, budget)\n")]


# --------------------------------------------------------------------------------------------
# F2: the disk's free space is the whole machine's, not the run's

SLEEPER = """
def train_best_model(data, budget):
    X, y = data["X_train"][:500], data["y_train"][:500]
    model = mlp([784, 16, 10], seed=0)
    fit(model, X, y, optimizer=SGD(model.params, lr=0.05), epochs=1, callbacks=[budget],
        progress=False)
    time.sleep(60)
"""


def test_a_stop_for_the_disks_free_space_blames_no_one_and_is_flagged(tmp_path, monkeypatch):
    """An honest run whose disk loses space to someone else (another grader's run beside it,
    simulated: the free space drops once the run has a checkpoint) is stopped with what was
    measured, not blamed for it, and flagged for review to be graded again alone; the merge
    puts that note in ``flagged``."""
    real = shutil.disk_usage
    max_bytes = 20 << 20

    def disk_usage(path):
        usage = real(path)
        if (Path(path) / "out" / "checkpoint.npz").exists():  # someone else wrote 60 MiB
            return usage._replace(free=usage.free - 3 * max_bytes)
        return usage

    monkeypatch.setattr(shutil, "disk_usage", disk_usage)
    plain, message = _run(tmp_path, "honest", SLEEPER, max_bytes=max_bytes)
    assert plain is not None, message
    said = (
        r"stopped: the disk's free space fell by \d+ MiB while it ran \(the limit is 40 MiB\), "
        r"not necessarily by this run: its work folder held 0 MiB; scored from the last "
        r"checkpoint \(1 budgeted epochs\); REVIEW: the disk's free space fell by more than "
        r"this run's work folder holds; "
    )
    assert re.match(said, message), message
    assert message.endswith("grade this student again alone"), message
    rows = _merged(
        _gradebook(tmp_path / "book.csv", "honest"),
        [{"student": "honest", "points": 11.0, "max_points": 11.0, "dev": "d", "score": "s",
          "run": message}],
    )  # fmt: skip
    assert "REVIEW: the disk's free space fell" in rows["honest"]["flagged"]
    assert rows["honest"]["reason"] == ""  # full points: the stop cost nothing here


# --------------------------------------------------------------------------------------------
# F4: training inside a counted epoch


def _augment_trainer(extra: int, *, then_raise: bool = False):
    """The reviewer's augment trainer: each batch ``fit`` draws, its augment function takes
    ``extra`` optimizer steps of its own on random batches and returns the batch unchanged."""

    def train_best_model(data, budget):
        X, y = data["X_train"], data["y_train"]
        model = mlp([784, 16, 10], seed=0)
        opt = AdamW(model.params, lr=1e-3)
        rng = np.random.default_rng(1)

        def augment(Xb, _rng):
            for _ in range(extra):
                idx = rng.integers(0, len(X), len(Xb))
                _, dout = softmax_cross_entropy(model.forward(X[idx]), y[idx])
                model.backward(dout, input_grad=False)
                opt.step(model.grads)
            return Xb

        fit(model, X, y, optimizer=opt, epochs=2, batch_size=500, augment=augment,
            callbacks=[budget], progress=False)  # fmt: skip
        if then_raise:
            raise ValueError("after training")
        return model

    return train_best_model


def test_optimizer_steps_inside_a_counted_epoch_are_flagged_in_the_notebook():
    """An augment function that steps fit's optimizer itself trains more than one pass in a
    counted epoch, within the epoch's time: flagged, for the returned model and for a
    checkpoint scored in its place; so is a callback that steps it. Flips as augmentation, a
    schedule, early stopping and two fits that share an optimizer are not."""
    data = capstone.capstone_data()
    flag = "; REVIEW: in a counted epoch fit's optimizer took 40 steps more than fit made"
    budget = capstone.Budget(20)
    message = capstone.train_within_budget(_augment_trainer(4), data, budget)[1]
    assert flag in message and budget.extra_steps == 40, message
    message = capstone.train_within_budget(_augment_trainer(4, then_raise=True), data)[1]
    assert "scored from the last checkpoint (after budgeted epoch 2)" + flag in message, message

    class Steps(Callback):  # a callback after the budget: counted in the next epoch
        def __init__(self, opt):
            self.opt = opt

        def on_epoch_end(self, epoch, history, model):
            for _ in range(3):
                self.opt.step([np.zeros_like(p) for p in model.params])

    def callback_steps(data, budget):
        model = mlp([784, 16, 10], seed=0)
        opt = SGD(model.params, lr=0.05)
        fit(model, data["X_train"], data["y_train"], optimizer=opt, epochs=2, batch_size=500,
            callbacks=[budget, Steps(opt)], progress=False)  # fmt: skip
        return model

    message = capstone.train_within_budget(callback_steps, data, capstone.Budget(20))[1]
    assert "fit's optimizer took 3 steps more than fit made" in message, message

    def one_epoch_fits(data, budget):  # a reviewer's sidestep: the count restarted every fit
        model = mlp([784, 16, 10], seed=0)
        opt = SGD(model.params, lr=0.05)
        for _ in range(3):
            fit(model, data["X_train"], data["y_train"], optimizer=opt, epochs=1,
                batch_size=500, callbacks=[Steps(opt), budget], progress=False)  # fmt: skip
        return model

    message = capstone.train_within_budget(one_epoch_fits, data, capstone.Budget(20))[1]
    assert "fit's optimizer took 3 steps more than fit made" in message, message

    def honest(data, budget):
        X, y, dev = data["X_train"], data["y_train"], (data["X_dev"], data["y_dev"])
        model = mlp([784, 16, 10], seed=0)
        opt = AdamW(model.params, lr=2e-3)
        fit(model, X, y, optimizer=opt, epochs=2, batch_size=128, dev=dev, early_stopping=2,
            augment=Augmenter((28, 28), flip=True), schedule=cosine(2e-3, 80),
            callbacks=[budget], progress=False)  # fmt: skip
        fit(model, X, y, optimizer=opt, epochs=1, batch_size=128, callbacks=[budget],
            progress=False)  # fmt: skip
        return model

    budget = capstone.Budget(20)
    message = capstone.train_within_budget(honest, data, budget)[1]
    assert "REVIEW" not in message and budget.extra_steps == 0, message
    # fit's record, which the budget reads: the optimizer counted exactly fit's own steps
    assert [h.steps for h in budget.histories] == [[40, 40], [40]]
    assert [h.optimizer_t for h in budget.histories] == [[40, 80], [120]]


AUGMENTER = """
def train_best_model(data, budget):
    X, y = data["X_train"], data["y_train"]
    model = mlp([784, 16, 10], seed=0)
    opt = AdamW(model.params, lr=1e-3)
    rng = np.random.default_rng(1)

    def augment(Xb, _rng):
        for _ in range(4):
            idx = rng.integers(0, len(X), len(Xb))
            _, dout = softmax_cross_entropy(model.forward(X[idx]), y[idx])
            model.backward(dout, input_grad=False)
            opt.step(model.grads)
        return Xb

    fit(model, X, y, optimizer=opt, epochs=2, batch_size=500, augment=augment,
        callbacks=[budget], progress=False)
    RAISE
    return model
"""


def test_optimizer_steps_inside_a_counted_epoch_are_flagged_by_the_grader(tmp_path):
    """The same in the grader's run: the returned model's record (epochs.txt) and a
    checkpoint's (checkpoint.txt) carry the extra steps; an honest run's carry 0."""
    flag = "; REVIEW: in a counted epoch fit's optimizer took 40 steps more than fit made"
    plain, message = _run(tmp_path, "returns", AUGMENTER.replace("RAISE", ""))
    assert plain is not None and message.startswith("train_best_model returned a model")
    assert message.endswith(flag + ": the learner's own code (an augment function, the schedule, "
                            "the loss or another callback) trained inside the epoch, more than "
                            "one pass counted as one"), message  # fmt: skip
    raises = AUGMENTER.replace("RAISE", "raise ValueError('after training')")
    plain, message = _run(tmp_path, "raises", raises)
    assert plain is not None and "scored from the last checkpoint (2 budgeted epochs)" + flag in (
        message
    ), message
    honest = AUGMENTER.replace("range(4)", "range(0)").replace("RAISE", "")
    plain, message = _run(tmp_path, "honest", honest)
    assert plain is not None and "REVIEW" not in message, message


# --------------------------------------------------------------------------------------------
# The guide


def test_the_guide_says_what_is_not_caught_and_what_the_sandbox_shows():
    """The instructors' guide names the training a budget cannot see (a second optimizer,
    updates written by hand, a forged record of the watched time), says that a stop for the
    disk's free space is flagged to grade again alone, and no longer says the learner's
    process gets none of the grader's paths (the sandbox shows the Python environment and the
    dlnotes package at their places)."""
    page = " ".join((ROOT / "book" / "instructors.md").read_text(encoding="utf-8").split())
    assert "none of the grader's paths" not in page
    assert "/proc/self/mountinfo" in page
    assert "a second optimizer" in page and "updates written by hand" in page
    assert "`budget._watched = 1e9`" in page
    assert "the disk's free space fell" in page and "grade that student again alone" in page
