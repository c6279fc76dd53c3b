"""tools/grade_capstone.py and dlnotes/capstone against a hostile student: the files the grader
reads, failures while grading, the run's folder, memorised hidden sets.

* the run's record ``out/epochs.txt`` (and every file the grader reads from the work
  folder) is read without following a link, waiting on a FIFO or reading more than a few
  bytes, and the harness replaces the file rather than writing through a learner's link;
* a lone surrogate in a notebook, or any failure while grading one student, gives that
  student a flagged row and never stops the class; the CSV holds no lone surrogate;
* each run's work folder lies in a private folder of the grader's, and the learner's
  process gets neither the grader's HOME, TMPDIR nor PYTHONPATH;
* a memorised hidden set (the public Fashion-MNIST test images) is flagged for review:
  an accuracy no honest run reaches, a layer wider than the data (a lookup table), too many
  parameters, part-2 code that carries data.
"""

from __future__ import annotations

import csv
import json
import os
import resource
import shutil
import stat
import subprocess
import sys
import tempfile
import textwrap
import threading
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tools"))

import grade_capstone  # noqa: E402

from dlnotes import capstone  # noqa: E402
from dlnotes.capstone import budget as budget_module  # noqa: E402
from dlnotes.capstone import harness  # noqa: E402
from dlnotes.layers import LayerNorm, Linear, ReLU  # noqa: E402
from dlnotes.model import Sequential, mlp  # noqa: E402


def _notebook(path: Path, source: str, *, markdown: str | None = None) -> Path:
    cells = [
        {
            "cell_type": "code",
            "metadata": {
                "nbgrader": {"grade_id": "ch16_train_best_model_solution", "solution": True}
            },
            "source": source,
            "outputs": [],
            "execution_count": None,
        }
    ]
    if markdown is not None:
        cells.insert(0, {"cell_type": "markdown", "metadata": {}, "source": markdown})
    nb = {"cells": cells, "metadata": {}, "nbformat": 4, "nbformat_minor": 5}
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(nb), encoding="utf-8")  # a lone surrogate as JSON's \ud800
    return path


def _limited(code: str, timeout: float = 60) -> subprocess.CompletedProcess:
    """``code`` in a fresh Python with 2 GiB of address space and a time limit: a read of
    /dev/zero or a wait on a FIFO fails it instead of the test run."""

    def limit() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (2 << 30, 2 << 30))

    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        capture_output=True,
        text=True,
        timeout=timeout,
        preexec_fn=limit,
        env={**os.environ, "OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1"},
        cwd=ROOT,
    )


# --------------------------------------------------------------------------------------------
# F4: what the grader reads from the learner's work folder


def test_the_runs_record_is_no_link_no_fifo_and_no_flood(tmp_path):
    """``epochs.txt`` as a link to /dev/zero, a FIFO, or a file of a megabyte: each is a
    record that cannot be read (flagged), answered at once, in bounded memory."""
    links = tmp_path / "zero"
    links.mkdir()
    os.symlink("/dev/zero", links / "epochs.txt")
    fifo = tmp_path / "fifo"
    fifo.mkdir()
    os.mkfifo(fifo / "epochs.txt")
    flood = tmp_path / "flood"
    flood.mkdir()
    (flood / "epochs.txt").write_text("2\n1\n0.300\n5000\n" + "0" * (1 << 20))
    fine = tmp_path / "fine"
    fine.mkdir()
    (fine / "epochs.txt").write_text("2\n1\n0.300\n5000\n")
    proc = _limited(
        f"""
        from pathlib import Path
        from dlnotes.capstone.budget import _returned_message
        for name in ("zero", "fifo", "flood", "fine"):
            print(name, "|", _returned_message(Path({str(tmp_path)!r}) / name / "epochs.txt",
                                              30, 6000))
        """,
        timeout=60,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    said = dict(line.split(" | ", 1) for line in proc.stdout.splitlines())
    for name in ("zero", "fifo", "flood"):
        assert "REVIEW: the run's record (epochs.txt" in said[name], said
    assert said["fine"] == "train_best_model returned a model within the budget (2 budgeted epochs)"


def test_a_fifo_or_link_at_the_checkpoint_or_model_is_refused_without_waiting(tmp_path):
    """The checkpoint's record and the model files are opened once, without following a link
    or waiting on a FIFO, and read through that one descriptor."""
    os.mkfifo(tmp_path / "checkpoint.txt")
    os.mkfifo(tmp_path / "model.npz")
    os.symlink("/dev/zero", tmp_path / "checkpoint.npz")
    proc = _limited(
        f"""
        from pathlib import Path
        from dlnotes.capstone.budget import _checkpoint_note, _read_plain
        out = Path({str(tmp_path)!r})
        print(_checkpoint_note(out / "checkpoint.txt", {{}}, 30, 6000))
        print(_read_plain(out / "model.npz")[1])
        print(_read_plain(out / "checkpoint.npz")[1])
        """,
        timeout=60,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    lines = proc.stdout.splitlines()
    assert "REVIEW: the checkpoint's record (checkpoint.txt" in lines[0]
    assert lines[1:] == ["model.npz is not a plain file", "checkpoint.npz is not a plain file"]


def test_a_model_file_read_through_its_descriptor_still_loads(tmp_path):
    plain = capstone.model_to_plain(mlp([784, 8, 10], seed=0))
    budget_module.replace_file(tmp_path / "model.npz", lambda fh: np.savez(fh, **plain))
    back, problem = budget_module._read_plain(tmp_path / "model.npz")
    assert problem == "" and back is not None
    assert budget_module._fingerprint(back) == budget_module._fingerprint(plain)


def test_the_harness_replaces_a_link_at_its_files_and_never_writes_through_it(tmp_path):
    """A link the learner's code leaves at ``out/epochs.txt`` or ``out/model.npz`` (to
    /dev/zero, which the grader would read forever, or to a file of the grader's) is replaced
    by the harness's own file; the file it pointed to is untouched."""
    victim = tmp_path / "victim.txt"
    victim.write_text("untouched")
    out = tmp_path / "out"
    out.mkdir()
    sub = tmp_path / "sub.py"
    sub.write_text(
        "import os\n"
        "from dlnotes.layers import Linear\n"
        "from dlnotes.model import Sequential\n"
        "def train_best_model(data, budget):\n"
        f"    os.symlink({str(victim)!r}, {str(out / 'epochs.txt')!r})\n"
        f"    os.symlink({str(victim)!r}, {str(out / 'model.npz')!r})\n"
        "    return Sequential(Linear(784, 10, seed=0))\n"
    )
    assert harness.main([str(sub), str(out), "30.0", "30", "6000"]) == 0
    assert victim.read_text() == "untouched"
    for name in ("epochs.txt", "model.npz"):
        assert not (out / name).is_symlink() and (out / name).is_file()
    assert (out / "epochs.txt").read_text().split()[:2] == ["0", "0"]
    assert budget_module._read_plain(out / "model.npz")[0] is not None
    assert sorted(p.name for p in out.iterdir()) == ["epochs.txt", "model.npz"]  # no temp left


def test_a_link_to_dev_zero_or_a_late_fifo_neither_fills_nor_hangs_the_grader(tmp_path):
    """The reviewer's two runs, end to end in a plain subprocess (the grader's side in 2 GiB
    and a time limit): a link to /dev/zero at epochs.txt is replaced by the harness's record
    (no flag), a FIFO a thread puts there after the model is written is a record that cannot
    be read (flagged); both models score."""
    body = textwrap.dedent(
        """
        def train_best_model(data, budget):
            from dlnotes.model import mlp
            from dlnotes.optim import SGD
            from dlnotes.train import fit
            model = mlp([784, 16, 10], seed=0)
            fit(model, data["X_train"][:500], data["y_train"][:500],
                optimizer=SGD(model.params, lr=0.1), epochs=1, batch_size=100,
                callbacks=[budget], progress=False)
            TRICK
            return model
        """
    )
    zero = 'import os; os.symlink("/dev/zero", "out/epochs.txt")'
    fifo = textwrap.indent(
        textwrap.dedent(
            """
            import os, threading, time
            def later():
                while not os.path.exists("out/model.npz"):
                    time.sleep(0.01)
                os.remove("out/epochs.txt")
                os.mkfifo("out/epochs.txt")
            threading.Thread(target=later).start()
            """
        ),
        "    ",
    ).strip()
    for name, trick in (("zero", zero), ("fifo", fifo)):
        (tmp_path / f"{name}.py").write_text(body.replace("TRICK", trick))
    proc = _limited(
        f"""
        from pathlib import Path
        from dlnotes import capstone
        for name in ("zero", "fifo"):
            plain, message = capstone.run_submission(Path({str(tmp_path)!r}) / (name + ".py"),
                                                     seconds=20)
            print(name, "|", plain is not None, "|", message)
        """,
        timeout=240,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    said = {k: (m, rest) for k, m, rest in (ln.split(" | ", 2) for ln in proc.stdout.splitlines())}
    assert said["zero"] == ("True", "train_best_model returned a model within the budget (1 "
                            "budgeted epochs)"), said  # fmt: skip
    assert said["fifo"][0] == "True" and "REVIEW: the run's record (epochs.txt" in said["fifo"][1]


def test_a_fifo_or_link_at_a_cpu_slot_lock_is_skipped_not_waited_on(tmp_path, monkeypatch):
    """The CPU slots' lock files live in the shared temporary folder: another user's FIFO or
    link there is skipped (no slot), never opened for writing."""
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: {0, 1, 2, 3})
    os.mkfifo(tmp_path / "dlnotes-cpu-slot-2-0.lock")
    target = tmp_path / "grader-file"
    target.write_text("mine")
    os.symlink(target, tmp_path / "dlnotes-cpu-slot-2-1.lock")
    got: list = []

    def claim() -> None:
        with budget_module._cpus(2) as cpus:
            got.append(cpus)

    worker = threading.Thread(target=claim, daemon=True)
    worker.start()
    worker.join(timeout=20)
    assert not worker.is_alive(), "waited on a FIFO in the shared temporary folder"
    assert got == [None] and target.read_text() == "mine"


# --------------------------------------------------------------------------------------------
# F3: one student never stops the class


def _fake_grade_one(student, notebook, hidden):
    text = notebook.read_text(encoding="utf-8")
    nb = json.loads(text)  # the notebook reads back as the student wrote it
    return {"student": student, "points": 1.0, "max_points": 11.0, "dev": "", "score": "",
            "run": "ran " + "".join(nb["cells"][0]["source"])[:20]}  # fmt: skip


def test_a_lone_surrogate_in_a_markdown_cell_grades_that_student_and_the_next(
    tmp_path, monkeypatch
):
    subs = tmp_path / "subs"
    _notebook(subs / "aaa_mallory" / "16_capstone.ipynb", "def train_best_model(d, b): 1\n",
              markdown="hello \ud800")  # fmt: skip
    _notebook(subs / "bob" / "16_capstone.ipynb", "def train_best_model(d, b): 2\n")
    assert "\\ud800" in (subs / "aaa_mallory" / "16_capstone.ipynb").read_text()
    monkeypatch.setattr(grade_capstone, "grade_one", _fake_grade_one)
    rows = {r["student"]: r for r in grade_capstone.grade_folder(subs, tmp_path / "h.npz")}
    assert set(rows) == {"aaa_mallory", "bob"}
    assert rows["aaa_mallory"]["run"] == "ran hello \ud800"
    assert rows["bob"]["run"] == "ran def train_best_model"


def test_a_lone_surrogate_in_the_answer_cell_is_run_as_its_escape(tmp_path):
    nb = _notebook(tmp_path / "s.ipynb", "def train_best_model(data, budget):\n    '\ud800'\n")
    sub = harness.submission_from_notebook(nb, tmp_path / "s.py")
    assert "'\\ud800'" in sub.read_text(encoding="utf-8")


def test_any_failure_grading_one_student_gives_a_flagged_row_and_the_class_goes_on(
    tmp_path, monkeypatch
):
    subs = tmp_path / "subs"
    for name in ("ada", "bob", "cy"):
        _notebook(subs / name / "16_capstone.ipynb", "def train_best_model(d, b): 1\n")

    def flaky(student, notebook, hidden):
        if student == "bob":
            raise RuntimeError("boom \ud800")
        return _fake_grade_one(student, notebook, hidden)

    monkeypatch.setattr(grade_capstone, "grade_one", flaky)
    rows = {r["student"]: r for r in grade_capstone.grade_folder(subs, tmp_path / "h.npz")}
    assert set(rows) == {"ada", "bob", "cy"}
    assert rows["bob"]["points"] == 0.0 and rows["bob"]["student_id"] == "bob"
    assert rows["bob"]["run"].startswith("grading failed (RuntimeError: ")
    assert "REVIEW" in rows["bob"]["run"]
    monkeypatch.undo()

    # inside grade_one: the scoring and the dev point are guarded too
    plain = capstone.model_to_plain(mlp([784, 8, 10], seed=0))
    monkeypatch.setattr(capstone, "run_submission", lambda sub, wrap: (plain, "returned"))
    nb = _notebook(tmp_path / "one.ipynb", "def train_best_model(d, b): 1\n")
    for target in ("hidden_evaluation", "dev_point"):
        owner = capstone if target == "hidden_evaluation" else grade_capstone

        def broken(*args, **kwargs):
            raise KeyError("X")

        with monkeypatch.context() as m:
            m.setattr(owner, target, broken)
            row = grade_capstone.grade_one("ada", nb, tmp_path / "h.npz")
        assert row["points"] == 0.0 and row["run"].startswith("grading failed (KeyError"), row
        assert "REVIEW" in row["run"]


def test_the_part_2_csv_and_the_terminal_never_get_a_lone_surrogate(tmp_path, monkeypatch, capsys):
    rows = [
        {"student": "ann\udcff", "student_id": "ann", "points": 0.0, "max_points": 11.0,
         "run": "cannot read the notebook: \ud800", "dev": "", "score": ""},
        {"student": "bob", "student_id": "bob", "points": 11.0, "max_points": 11.0,
         "run": "=ok", "dev": "", "score": ""},
    ]  # fmt: skip
    monkeypatch.setattr(grade_capstone, "grade_folder", lambda folder, hidden: iter(rows))
    monkeypatch.setattr(grade_capstone.sandbox, "bwrap", lambda: "bwrap")
    hidden = tmp_path / "h.npz"
    hidden.write_bytes(b"")
    out = tmp_path / "part2.csv"
    assert grade_capstone.main([str(tmp_path), "--hidden", str(hidden), "--out", str(out)]) == 0
    text = out.read_bytes().decode("utf-8")  # strict: no lone surrogate was written
    got = list(csv.DictReader(text.splitlines()))
    assert [r["student"] for r in got] == ["ann\\udcff", "bob"]
    assert got[0]["run"] == "cannot read the notebook: \\ud800" and got[1]["run"] == "'=ok"
    assert "ann\\udcff" in capsys.readouterr().out


# --------------------------------------------------------------------------------------------
# F14: the grading host's other users and the grader's paths


def test_each_run_works_in_a_private_folder_with_its_own_home_and_no_grader_paths(
    tmp_path, monkeypatch
):
    base = tmp_path / "shared-tmp"
    base.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(base))
    monkeypatch.setenv("HOME", "/home/instructor-secret")
    monkeypatch.setenv("TMPDIR", "/home/instructor-secret/tmp")
    monkeypatch.setenv("PYTHONPATH", "/home/instructor-secret/lib")
    seen = {}
    report = tmp_path / "env.json"

    def wrap(cmd, work):
        parent = work.parent
        seen["work"], seen["parent"] = work, parent
        seen["mode"] = stat.S_IMODE(parent.stat().st_mode)
        seen["owner"] = parent.stat().st_uid
        dump = f"import json, os; json.dump(dict(os.environ), open({str(report)!r}, 'w'))"
        return [sys.executable, "-c", dump + "; raise SystemExit('no budget')"]

    sub = tmp_path / "sub.py"
    sub.write_text("def train_best_model(data, budget):\n    return None\n")
    plain, message = capstone.run_submission(sub, wrap=wrap)
    assert plain is None and "failed before the budget started" in message
    assert seen["parent"].parent == base and seen["parent"].name.startswith("dlnotes-capstone-")
    assert seen["mode"] == 0o700 and seen["owner"] == os.geteuid()
    assert list(base.iterdir()) == []  # removed with the run
    env = json.loads(report.read_text())
    assert env["HOME"] == env["TMPDIR"] == str(seen["work"])
    import dlnotes

    assert env["PYTHONPATH"] == os.path.dirname(os.path.dirname(os.path.abspath(dlnotes.__file__)))
    assert not any("instructor-secret" in v for v in env.values()), env


# --------------------------------------------------------------------------------------------
# F1: a memorised hidden set is flagged for review


def _lookup(prototypes: np.ndarray, labels: np.ndarray) -> Sequential:
    """The reviewer's memoriser: LayerNorm, one ReLU unit per stored image that fires only on
    that image, and its label."""
    n = len(prototypes)
    U = LayerNorm(784).forward(prototypes.astype(np.float32))
    model = Sequential(LayerNorm(784), Linear(784, n), ReLU(), Linear(n, 10))
    lin1, lin2 = model.layers[1], model.layers[3]
    lin1.W[...] = U.T
    lin1.b[...] = -(np.sum(U.astype(np.float64) ** 2, axis=1) - 1.0)
    lin2.W[...] = 0.0
    lin2.W[np.arange(n), labels] = 1.0
    lin2.b[...] = 0.0
    return model


def test_honest_models_are_not_flagged_and_lookup_tables_are():
    reference = mlp([784, 256, 128, 10], init="kaiming_normal", dropout=0.2, seed=0)
    assert capstone.review_notes(reference, 0.851) == []
    assert capstone.review_notes(mlp([784, 2048, 1024, 10], seed=0), 0.88) == []  # a big one
    assert capstone.review_notes(mlp([784, 256, 256, 10], seed=0), None) == []
    notes = capstone.review_notes(reference, 0.95)
    assert len(notes) == 1 and "accuracy 95.0%, at or above 92%" in notes[0]
    wide = Sequential(LayerNorm(784), Linear(784, 16000), ReLU(), Linear(16000, 10))
    notes = capstone.review_notes(wide, None)
    assert "a layer 16000 units wide, more than the 6000 training and dev images" in notes[0]
    assert "12,721,578 parameters, more than 5,000,000" in notes[1]
    assert capstone.source_note(3000) == ""
    assert "5,800 kB, more than 100 kB" in capstone.source_note(5_800_000)


def test_a_memoriser_keeps_its_points_and_is_flagged_in_its_run(tmp_path, monkeypatch):
    """The reviewer's attack in small: a hidden set stored in the answer cell and in a lookup
    layer keeps its 11 points, and the run says REVIEW for the accuracy, the layer's
    width and the cell's size (the merge puts the run's REVIEW notes in the gradebook's flagged
    column)."""
    rng = np.random.default_rng(0)
    X = rng.integers(0, 256, size=(200, 28, 28), dtype=np.uint8)
    y = rng.integers(0, 10, size=200).astype(np.uint8)
    hidden = tmp_path / "hidden.npz"
    np.savez(hidden, X=X, y=y)
    data = capstone.capstone_data()
    fill = 6001 - len(X)  # the rest of the table: training and dev images, as the reviewer's
    pool_X = np.concatenate([data["X_train"], data["X_dev"]])[:fill]
    pool_y = np.concatenate([data["y_train"], data["y_dev"]])[:fill]
    prototypes = np.concatenate([X.reshape(-1, 784) / np.float32(255), pool_X])
    labels = np.concatenate([y.astype(np.int64), pool_y])
    plain = capstone.model_to_plain(_lookup(prototypes, labels))
    monkeypatch.setattr(capstone, "run_submission", lambda sub, wrap: (plain, "returned (1)"))
    blob = "B = '" + "x" * 120_000 + "'\n"
    nb = _notebook(tmp_path / "memo.ipynb", blob + "def train_best_model(data, budget):\n    1\n")
    row = grade_capstone.grade_one("memo", nb, hidden)
    assert "hidden-test accuracy 100.00%" in row["score"] and row["points"] == 11.0, row
    run = str(row["run"])
    assert run.startswith("returned (1); REVIEW: hidden-test accuracy 100.0%, at or above 92%")
    assert "REVIEW: a layer 6001 units wide" in run, run
    assert "REVIEW: the part-2 code (answer cell and import cells) is 120 kB" in run

    honest = capstone.model_to_plain(mlp([784, 16, 10], seed=0))
    monkeypatch.setattr(capstone, "run_submission", lambda sub, wrap: (honest, "returned (1)"))
    nb = _notebook(tmp_path / "honest.ipynb", "def train_best_model(data, budget):\n    1\n")
    assert grade_capstone.grade_one("honest", nb, hidden)["run"] == "returned (1)"


def _shifted_hidden(path: Path, model: Sequential, gain: int) -> tuple[float, float]:
    """A hidden set of the 1000 dev images on which ``model`` scores ``gain`` images (of 1000)
    more than on dev (labels changed to its answer where it was wrong); its dev and hidden
    accuracies."""
    data = capstone.capstone_data()
    X = np.round(data["X_dev"] * 255).astype(np.uint8).reshape(-1, 28, 28)
    y = data["y_dev"].astype(np.int64).copy()
    np.savez(path, X=X, y=y)
    X_hidden, _ = capstone.load_hidden_test(path)
    said = model.predict(X_hidden).argmax(axis=1)
    wrong = np.flatnonzero(said != y)[:gain]
    y[wrong] = said[wrong]
    np.savez(path, X=X, y=y.astype(np.uint8))
    dev = float(np.mean(model.predict(data["X_dev"]).argmax(axis=1) == data["y_dev"]))
    return dev, float(np.mean(said == y))


def test_a_hidden_accuracy_far_above_dev_is_flagged_and_an_honest_gap_is_not(tmp_path, monkeypatch):
    """The reviewer's memoriser under every other flag (88.5 % hidden, 59.9 % dev, a 5999-wide
    layer, 85 kB of code, 92 % not reached): a model knows the hidden images, not the task, so
    it scores far above its dev accuracy there. In small: chapter 01's baseline scored on a
    hidden set where it is right 8 points more often than on dev is flagged (its points stand);
    1 point more, as honest models do, is not."""
    model = capstone.baseline_model(capstone.capstone_data())
    plain = capstone.model_to_plain(model)
    monkeypatch.setattr(capstone, "run_submission", lambda sub, wrap: (plain, "returned (1)"))
    nb = _notebook(tmp_path / "memo.ipynb", "def train_best_model(data, budget):\n    1\n")
    for gain, flagged in ((80, True), (10, False)):
        hidden = tmp_path / f"hidden{gain}.npz"
        dev, acc = _shifted_hidden(hidden, model, gain)
        assert round(acc - dev, 3) == gain / 1000, (acc, dev)
        row = grade_capstone.grade_one("memo", nb, hidden)
        assert row["dev"].startswith(f"dev accuracy {dev:.1%} not above the baseline"), row
        assert row["points"] == round(capstone.score_accuracy(acc), 2), row  # it stands
        run = str(row["run"])
        if flagged:
            assert run == (
                f"returned (1); REVIEW: hidden-test accuracy {acc:.1%}, 8.0 points above the "
                f"model's dev accuracy {dev:.1%} (more than 5; honest models score about their "
                "dev accuracy on the hidden set): the hidden images are public Fashion-MNIST "
                "test images, so read the cell for images or labels it carries"
            ), run
        else:
            assert run == "returned (1)", run
    # the reference's own numbers (86.3 % dev, 85.1 % hidden) and a model trained on dev
    # (higher on dev) are not flagged
    reference = mlp([784, 256, 128, 10], seed=0)
    assert capstone.review_notes(reference, 0.851, 0.863) == []
    assert capstone.review_notes(reference, 0.84, 0.97) == []
    (note,) = capstone.review_notes(reference, 0.885, 0.599)
    assert "28.6 points above the model's dev accuracy 59.9%" in note


# --------------------------------------------------------------------------------------------
# The run's output folder replaced by a link


@pytest.mark.skipif(shutil.which("bwrap") is None, reason="needs bubblewrap")
@pytest.mark.slow
def test_an_out_folder_replaced_by_a_link_to_a_planted_model_scores_nothing(tmp_path):
    """The reviewer's run, end to end through the grader and its sandbox: the learner's code
    renames ``out`` and puts a link to a folder of its choosing there (a model that knows the
    hidden set, and a record of 20 budgeted epochs), then exits. The grader, outside the sandbox,
    would follow the link and score that model (11 points); it reads nothing and flags the run."""
    data = capstone.capstone_data()
    hidden = tmp_path / "hidden.npz"
    X = np.round(data["X_dev"][:200] * 255).astype(np.uint8).reshape(-1, 28, 28)
    np.savez(hidden, X=X, y=data["y_dev"][:200].astype(np.uint8))
    planted = tmp_path / "planted"
    planted.mkdir()
    lookup = _lookup(np.concatenate([data["X_train"], data["X_dev"]]),
                     np.concatenate([data["y_train"], data["y_dev"]]))  # fmt: skip
    plain = capstone.model_to_plain(lookup)
    budget_module.replace_file(planted / "model.npz", lambda fh: np.savez(fh, **plain))
    budget_module.replace_file(planted / "epochs.txt", b"20\n1\n0.0\n5000\n")
    code = (
        "def train_best_model(data, budget):\n"
        "    import os\n"
        '    os.rename("out", "out_orig")\n'
        f'    os.symlink({str(planted)!r}, "out")\n'
        "    os._exit(0)\n"
    )
    nb = _notebook(tmp_path / "subs" / "mallory" / "16_capstone.ipynb", code)
    row = grade_capstone.grade_one("mallory", nb, hidden)
    assert row["points"] == 0.0, row
    assert row["run"] == (
        "the run replaced its output folder (out) with a link or a file, so nothing in it was "
        "read: zero points; REVIEW: read the student's part 2 cell"
    ), row
    assert row["dev"] == "no model: 0 / 1" and row["score"] == "no model to score: 0 points"
    assert (planted / "model.npz").exists() and sorted(os.listdir(planted)) == [
        "epochs.txt", "model.npz"]  # fmt: skip


def test_part_2_points_have_2_decimals_so_a_hand_total_adds_up(tmp_path, capsys):
    """A part-2 CSV of an older grader (``10.262295082``) merges as 10.26: the gradebook's total
    with 2 decimals, a TA's corrected total with 2 decimals passes ``feedback``'s sum check, and
    the feedback shows the same number as the reason."""
    import grade

    fields = ["student", "student_id", "points", "max_points", "run", "dev", "score"]
    part2 = tmp_path / "part2.csv"
    row = ["ada", "ada", "10.262295082", "11", "returned a model", "dev accuracy 84.0%: 1 / 1",
           "hidden-test accuracy 82.00% (5000 images): 9.26 / 10 points"]  # fmt: skip
    grade._write_csv(part2, [dict(zip(fields, row))], fields)
    gradebook = tmp_path / "book.csv"
    book_fields = ["student", "student_id", "score", "max_score", "status",
                   "ch16_diagnose_runs (7)", "reason", "flagged", "notes"]  # fmt: skip
    grade._write_csv(gradebook, [{"student": "ada", "student_id": "ada", "score": "2",
                                  "max_score": "7", "status": "graded",
                                  "ch16_diagnose_runs (7)": "2", "reason": "", "flagged": "",
                                  "notes": ""}], book_fields)  # fmt: skip
    assert grade_capstone.main(["--merge-only", str(part2), "--gradebook", str(gradebook)]) == 0
    (ada,) = csv.DictReader(gradebook.open())
    assert (ada["ch16_train_best_model (11)"], ada["score"]) == ("10.26", "12.26")
    ada.update({"ch16_diagnose_runs (7)": "3", "score": "13.26"})  # a TA's review, by hand
    merged = [*book_fields[:6], "ch16_train_best_model (11)", *book_fields[6:]]
    grade._write_csv(gradebook, [ada], merged)
    grade.write_feedback(gradebook, tmp_path / "fb")
    text = (tmp_path / "fb" / "ada.md").read_text()
    assert "**Score: 13.26 / 18**" in text and "| ch16_train_best_model | 10.26 / 11 |" in text
