"""tools/grade_capstone.py: part 2 of the capstone graded in the grading engine's sandbox.

A submission searching the whole file system for the hidden test set finds it in a plain
subprocess (the control) and not in the sandbox; a weak model and an unsolved notebook score
zero with a reason; rows are written per student.
"""

from __future__ import annotations

import csv
import json
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "tests" / "fixtures" / "capstone"
sys.path.insert(0, str(ROOT / "tools"))

import grade_capstone  # noqa: E402

from dlnotes import capstone  # noqa: E402

needs_sandbox = pytest.mark.skipif(shutil.which("bwrap") is None, reason="needs bubblewrap")

SEARCHER = """
import os

from dlnotes.layers import Linear
from dlnotes.model import Sequential


def train_best_model(data, budget):
    for top in ("/tmp", "/root", "/work", "/srv", "/home", "/var/tmp"):
        for folder, _, files in os.walk(top):
            if "capstone_hidden_test.npz" in files:
                raise RuntimeError("FOUND " + os.path.join(folder, "capstone_hidden_test.npz"))
    return Sequential(Linear(784, 10, seed=0))
"""


def _notebook(path: Path, source: str) -> Path:
    cell = {
        "cell_type": "code",
        "metadata": {"nbgrader": {"grade_id": "ch16_train_best_model_solution", "solution": True}},
        "source": source,
        "outputs": [],
        "execution_count": None,
    }
    path.write_text(
        json.dumps({"cells": [cell], "metadata": {}, "nbformat": 4, "nbformat_minor": 5})
    )
    return path


@pytest.fixture(scope="module")
def hidden(tmp_path_factory):
    if not Path("/usr/share/datasets/fashion-mnist").exists():
        pytest.skip("needs the full Fashion-MNIST (apt-get install dataset-fashion-mnist)")
    out = tmp_path_factory.mktemp("grader") / "capstone_hidden_test.npz"
    subprocess.run(
        [sys.executable, str(ROOT / "tools" / "prepare_capstone_test.py"), "--out", str(out)],
        check=True,
        capture_output=True,
        timeout=300,
    )
    assert out.stat().st_mode & 0o777 == 0o600  # the instructor's only, like the key
    return out


@needs_sandbox
def test_the_hidden_set_is_out_of_reach_in_the_sandbox_and_not_without_it(tmp_path, hidden):
    sub = _notebook(tmp_path / "searcher.ipynb", SEARCHER)
    row = grade_capstone.grade_one("searcher", sub, hidden)
    assert "FOUND" not in str(row["run"]), row
    assert row["points"] == 0.0 and "hidden-test accuracy" in str(row["score"])
    # the control: the same code in a plain subprocess does find the file
    from dlnotes.capstone.harness import submission_from_notebook

    script = submission_from_notebook(sub, tmp_path / "plain.py")
    plain, message = capstone.run_submission(script)
    assert plain is None and "FOUND" in message and "capstone_hidden_test.npz" in message


@needs_sandbox
def test_gradebook_rows_for_a_weak_model_an_unsolved_notebook_and_no_notebook(tmp_path, hidden):
    subs = tmp_path / "subs"
    subs.mkdir()
    _notebook(subs / "weak.ipynb", (FIXTURES / "weak.py").read_text())
    (subs / "ana").mkdir()
    shutil.copy(ROOT / "learner" / "16_capstone.ipynb", subs / "ana" / "16_capstone.ipynb")
    (subs / "bo").mkdir()  # submitted nothing
    out = tmp_path / "part2.csv"
    assert grade_capstone.main([str(subs), "--hidden", str(hidden), "--out", str(out)]) == 0
    rows = {r["student"]: r for r in csv.DictReader(out.open())}
    assert set(rows) == {"weak", "ana", "bo"}
    assert float(rows["weak"]["points"]) == 0.0 and "returned a model" in rows["weak"]["run"]
    assert "hidden-test accuracy" in rows["weak"]["score"]
    assert "not above the baseline" in rows["weak"]["dev"] and "0 / 1" in rows["weak"]["dev"]
    assert float(rows["weak"]["max_points"]) == 11.0
    assert float(rows["ana"]["points"]) == 0.0 and "NotImplementedError" in rows["ana"]["run"]
    assert rows["bo"]["run"] == "no 16_capstone notebook graded (no notebook submitted)"


FORKER = """
import os
import time


def train_best_model(data, budget):
    children, refused = [], "never refused"
    try:
        while len(children) < 400:
            pid = os.fork()
            if pid == 0:
                time.sleep(60)
                os._exit(0)
            children.append(pid)
    except OSError as err:
        refused = type(err).__name__
    for pid in children:
        os.kill(pid, 9)
        os.waitpid(pid, 0)
    raise RuntimeError(f"FORKED {len(children)} {refused}")
"""


@needs_sandbox
def test_a_fork_bomb_stops_at_the_sandbox_process_limit(tmp_path):
    """The capstone's run has the grading engine's process limit: a submission that forks until
    refused is refused below it (the harness and bwrap's init count too), and the same code in
    a plain subprocess forks all 400 children (the control)."""
    from dlnotes.capstone.harness import submission_from_notebook

    sub = submission_from_notebook(_notebook(tmp_path / "forker.ipynb", FORKER), tmp_path / "f.py")
    _, message = capstone.run_submission(
        sub, seconds=30, wrap=lambda cmd, work: grade_capstone.sandboxed(cmd, work, sub)
    )
    forked = re.search(r"FORKED (\d+) (\w+)", message)
    assert forked, message
    assert int(forked[1]) < grade_capstone.sandbox.Limits.processes
    assert forked[2] in {"BlockingIOError", "OSError"}, message
    _, plain = capstone.run_submission(sub, seconds=30)
    assert "FORKED 400 never" in plain, plain


PEEKER = """
import ctypes
import os
import resource

from dlnotes.layers import Linear
from dlnotes.model import Sequential


def train_best_model(data, budget):
    seen = []
    for folder in ("/usr/share/datasets", "/usr/share/datasets/fashion-mnist"):
        if os.path.isdir(folder):
            seen += os.listdir(folder)
    kinds = (resource.RLIMIT_AS, resource.RLIMIT_CPU, resource.RLIMIT_FSIZE, resource.RLIMIT_NOFILE)
    limits = [resource.getrlimit(r)[0] for r in kinds]
    libc = ctypes.CDLL(None, use_errno=True)
    shm = libc.shmget(0, 1 << 20, 0o1000 | 0o600)  # IPC_PRIVATE, IPC_CREAT
    refused = ctypes.get_errno() if shm == -1 else 0
    if shm != -1:
        libc.shmctl(shm, 0, None)  # IPC_RMID
    raise RuntimeError(f"SEEN {sorted(seen)} LIMITS {limits} SHM {refused}")
"""


@needs_sandbox
def test_the_original_test_images_and_unlimited_resources_are_out_of_reach(tmp_path, hidden):
    """The hidden set is made of Fashion-MNIST's test images, which Debian's package installs
    under /usr: the sandbox shows that folder empty (the control, a plain subprocess, lists its
    files), and the run has limits on its address space, CPU time, file size and open files,
    and no System V shared memory (memory that no limit counts)."""
    from dlnotes.capstone.harness import submission_from_notebook

    sub = submission_from_notebook(_notebook(tmp_path / "peek.ipynb", PEEKER), tmp_path / "p.py")
    _, message = capstone.run_submission(
        sub, seconds=30, wrap=lambda cmd, work: grade_capstone.sandboxed(cmd, work, sub)
    )
    seen = re.search(r"SEEN (\[.*?\]) LIMITS \[(-?\d+), (-?\d+), (-?\d+), (-?\d+)\]", message)
    assert seen, message
    assert seen[1] == "[]", message
    limits = [int(seen[k]) for k in range(2, 6)]
    assert limits == [grade_capstone.RESOURCES[r] for r in ("as", "cpu", "fsize", "nofile")]
    assert "SHM 1" in message, message  # shared memory refused (EPERM): syscalls.py
    _, plain = capstone.run_submission(sub, seconds=30)
    assert "t10k-images" in plain and "SHM 0" in plain, plain


OVERTIME = """
import time


def train_best_model(data, budget):
    time.sleep(60)
"""


def test_the_wall_clock_counts_from_the_budgets_start(tmp_path):
    """The run is stopped seconds + grace after the budget starts (the harness prints when),
    not startup + seconds + grace after the process started: with startup = 30 s, a
    submission that sleeps is stopped about 3 s after its budget began."""
    import time

    from dlnotes.capstone.harness import submission_from_notebook

    sub = submission_from_notebook(_notebook(tmp_path / "o.ipynb", OVERTIME), tmp_path / "o.py")
    began = time.monotonic()
    plain, message = capstone.run_submission(sub, seconds=2.0, grace=1.0, startup=30.0)
    took = time.monotonic() - began
    assert plain is None
    assert "stopped at the wall-clock limit (3 s after the budget started)" in message, message
    assert took < 25.0, took  # the data loading before the budget takes a few seconds


FILLER = """
import time


def train_best_model(data, budget):
    chunk = b"x" * (1 << 20)
    with open("fill.bin", "wb") as fh:
        for _ in range(64):  # 64 MiB at most, paced so that the 0.1 s check sees it grow
            fh.write(chunk)
            fh.flush()
            time.sleep(0.005)
    time.sleep(60)
"""


def test_a_run_that_fills_its_folder_is_stopped(tmp_path):
    """Files written past max_bytes stop the run (here 20 MiB of the 64 it would write)."""
    from dlnotes.capstone.harness import submission_from_notebook

    sub = submission_from_notebook(_notebook(tmp_path / "f.ipynb", FILLER), tmp_path / "f.py")
    plain, message = capstone.run_submission(sub, seconds=30, max_bytes=20 << 20)
    assert plain is None
    assert "stopped: its files grew past 20 MiB" in message, message


def _run(tmp_path, source: str, **kwargs):
    """Run ``source`` as a submission, from a folder of its own (a file rewritten in the same
    second with the same size would be run from its stale bytecode)."""
    from dlnotes.capstone.harness import submission_from_notebook

    folder = Path(tempfile.mkdtemp(dir=tmp_path))
    nb = _notebook(folder / "s.ipynb", source)
    return capstone.run_submission(submission_from_notebook(nb, folder / "s.py"), **kwargs)


def test_deep_or_crowded_folders_stop_the_run_without_crashing_the_grader(tmp_path, monkeypatch):
    """100 nested folders (the check walks without recursion, to any depth) and 10 050 empty files
    each stop the run with their own reason, and the work folder is removed."""
    base = tmp_path / "work"  # where run_submission makes its work folders, for this test
    base.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(base))
    deep = "import os, time\ndef train_best_model(data, budget):\n"
    deep += "    for _ in range(100):\n        os.mkdir('a'); os.chdir('a')\n    time.sleep(60)\n"
    plain, message = _run(tmp_path, deep, seconds=30)
    assert plain is None and "nested more than 64 deep" in message, message
    many = "import time\ndef train_best_model(data, budget):\n"
    many += "    for k in range(10_050):\n        open(f'f{k}', 'w').close()\n    time.sleep(60)\n"
    plain, message = _run(tmp_path, many, seconds=30)
    assert plain is None and "more than 10 000 files and folders" in message, message
    assert list(base.iterdir()) == []


JUNK = """
import os
import zipfile

import numpy as np


def train_best_model(data, budget):
    out = os.path.dirname(budget.checkpoint_path)
    if KIND == "junk":
        open(os.path.join(out, "model.npz"), "wb").write(b"not an npz")
    else:  # a small file whose member would expand to 64 MiB
        with zipfile.ZipFile(os.path.join(out, "model.npz"), "w", zipfile.ZIP_DEFLATED) as z:
            with z.open("W.npy", "w", force_zip64=True) as fh:
                np.lib.format.write_array(fh, np.zeros(8 << 20))
    os._exit(0)
"""


def test_a_model_file_that_cannot_be_read_safely_scores_like_no_model(tmp_path):
    """A junk file and a compressed ("bomb") member are refused with a reason, not read."""
    for kind, why in [("junk", "model.npz cannot be read"), ("bomb", "compressed members")]:
        plain, message = _run(tmp_path, JUNK.replace("KIND", repr(kind)), seconds=30)
        assert plain is None, message
        assert "the returned model could not be read" in message and why in message, message


def test_a_harness_that_fails_before_the_budget_is_not_blamed_on_the_function(tmp_path):
    plain, message = _run(
        tmp_path,
        "def train_best_model(data, budget):\n    return None\n",
        wrap=lambda cmd, work: [sys.executable, "-c", "import sys; sys.exit('no data here')"],
    )
    assert plain is None
    assert "the grading harness failed before the budget started (exit code 1): no data here" in (
        message
    ), message


LINGERER = """
import subprocess

from dlnotes.layers import Linear
from dlnotes.model import Sequential


def train_best_model(data, budget):
    child = subprocess.Popen(["sleep", "60"])
    with open(PIDFILE, "w") as fh:
        fh.write(str(child.pid))
    return Sequential(Linear(784, 10, seed=0))
"""


def test_what_a_submission_leaves_running_is_killed(tmp_path):
    """A process the function starts and leaves behind dies with the run (its process group)."""
    import os

    from dlnotes.capstone.harness import submission_from_notebook

    pidfile = tmp_path / "pid"
    source = LINGERER.replace("PIDFILE", repr(str(pidfile)))
    sub = submission_from_notebook(_notebook(tmp_path / "l.ipynb", source), tmp_path / "l.py")
    plain, message = capstone.run_submission(sub, seconds=30)
    assert plain is not None, message
    pid = int(pidfile.read_text())
    if not Path("/proc/self").exists():
        pytest.skip("needs /proc to see whether a process is alive")
    try:
        os.kill(pid, 0)
        alive = open(f"/proc/{pid}/stat").read().split()[2] != "Z"
    except (ProcessLookupError, FileNotFoundError):
        alive = False
    assert not alive


def test_part_2_merges_into_the_exercise_gradebook_and_its_feedback(tmp_path):
    """``--gradebook``: the capstone's points join part 1's row as one more exercise column, so
    one feedback file per student covers both; the REVIEW note goes to ``flagged`` (the
    instructor's), a student missing from either side gets a reason, and merging twice changes
    nothing."""
    import grade

    gradebook = tmp_path / "gradebook.csv"
    fields = ["student", "student_id", "score", "max_score", "status", "ch16_diagnose_runs (7)"]
    fields += ["reason", "flagged", "notes"]
    part1 = [
        {"student": "ada", "student_id": "ada", "score": "7", "max_score": "7", "status": "graded",
         "ch16_diagnose_runs (7)": "7", "reason": "", "flagged": "", "notes": ""},
        {"student": "bo", "student_id": "bo", "score": "0", "max_score": "7", "status": "graded",
         "ch16_diagnose_runs (7)": "0", "reason": "ch16_diagnose_runs: run C is wrong; 0/7",
         "flagged": "", "notes": ""},
        {"student": "cy", "student_id": "cy", "score": "7", "max_score": "7", "status": "graded",
         "ch16_diagnose_runs (7)": "7", "reason": "", "flagged": "", "notes": ""},
    ]  # fmt: skip
    grade._write_csv(gradebook, part1, fields)
    part2 = [
        {"student": "ada", "points": 11.0, "max_points": 11, "dev": "dev accuracy 84.0 %: 1 / 1",
         "score": "hidden-test accuracy 85.1 %: 10 / 10", "run": "returned a model"},
        {"student": "bo", "points": 1.0, "max_points": 11, "dev": "dev accuracy 80.2 %: 1 / 1",
         "score": "hidden-test accuracy 77.0 %: 0 / 10",
         "run": "returned a model (0 budgeted epochs); REVIEW: no epoch went through the budget"},
        {"student": "dee", "points": 0.0, "max_points": 11, "dev": "no model: 0 / 1", "score": "",
         "run": "train_best_model raised ValueError: x"},
    ]  # fmt: skip
    for _ in range(2):
        grade_capstone.merge(gradebook, part2)
        with open(gradebook, newline="", encoding="utf-8") as fh:
            rows = {r["student"]: r for r in csv.DictReader(fh)}
        assert list(rows["ada"])[5:7] == ["ch16_diagnose_runs (7)", "ch16_train_best_model (11)"]
        assert (rows["ada"]["score"], rows["ada"]["max_score"], rows["ada"]["reason"]) == (
            "18", "18", "")  # fmt: skip
        assert (rows["bo"]["score"], rows["bo"]["ch16_train_best_model (11)"]) == ("1", "1")
        bo_reasons = rows["bo"]["reason"].split(" | ")
        assert bo_reasons[0] == "ch16_diagnose_runs: run C is wrong; 0/7" and len(bo_reasons) == 2
        assert "77.0 %" in bo_reasons[1] and "REVIEW" not in bo_reasons[1]
        assert rows["bo"]["flagged"].startswith("ch16_train_best_model: returned a model")
        assert (rows["cy"]["score"], rows["cy"]["max_score"]) == ("7", "18")
        assert "no part-2 result merged" in rows["cy"]["reason"]
        assert rows["dee"]["max_score"] == "18"  # part 1 counts 0 of its 7, not nothing
        # one of the statuses the guide lists, the reason in the student's words, the
        # instructor's flag apart
        assert rows["dee"]["status"] == "partly graded" and "REVIEW" in rows["dee"]["flagged"]
        dee_reasons = rows["dee"]["reason"].split(" | ")
        assert dee_reasons[0] == (
            "ch16_diagnose_runs: no graded notebook for part 1 was found: 0 / 7 points "
            "(ask your instructor)"
        )
        assert dee_reasons[1].startswith("ch16_train_best_model: no model: 0 / 1")
        assert len(dee_reasons) == 2
    text = grade.feedback_text(rows["bo"])
    assert "| ch16_train_best_model | 1 / 11 |" in text and "hidden-test accuracy 77.0 %" in text
    assert "REVIEW" not in text
    text = grade.feedback_text(rows["dee"])
    assert "**Score: 0 / 18** (partly graded)" in text and "REVIEW" not in text
    assert "no graded notebook for part 1 was found: 0 / 7 points (ask your instructor)" in text


def test_part_2_finds_the_students_and_notebooks_that_part_1_grades(tmp_path, monkeypatch):
    """``capstone-grade`` reads SUBMISSIONS with ``tasks.py grade``'s collector: a loose
    ``<student>_16_capstone.ipynb``, a zip, a "Copy of" name and a name starting with ``-``
    give one row per student, under the name part 1 uses; checkpoints are not a student."""
    import zipfile

    import grade

    subs = tmp_path / "subs"
    (subs / "bo" / ".ipynb_checkpoints").mkdir(parents=True)
    _notebook(subs / "alan_16_capstone.ipynb", "def train_best_model(data, budget):\n    1\n")
    _notebook(subs / "-eve.ipynb", "def train_best_model(data, budget):\n    2\n")
    _notebook(subs / "bo" / "Copy of 16_capstone.ipynb", "def train_best_model(d, b):\n    3\n")
    _notebook(subs / "bo" / ".ipynb_checkpoints" / "16_capstone-checkpoint.ipynb", "x = 0\n")
    _notebook(tmp_path / "16_capstone.ipynb", "def train_best_model(data, budget):\n    4\n")
    with zipfile.ZipFile(subs / "cy.zip", "w") as zf:
        zf.write(tmp_path / "16_capstone.ipynb", "cy/16_capstone.ipynb")
    (subs / "dee").mkdir()  # nothing submitted

    def fake_grade_one(student, notebook, hidden):
        source = "".join(json.loads(notebook.read_text())["cells"][0]["source"])
        return {"student": student, "points": 1.0, "max_points": 11.0, "dev": "", "score": "",
                "run": source.split()[-1]}  # fmt: skip

    monkeypatch.setattr(grade_capstone, "grade_one", fake_grade_one)
    rows = {r["student"]: r for r in grade_capstone.grade_folder(subs, tmp_path / "h.npz")}
    assert {s: r["run"] for s, r in rows.items() if r["points"]} == {
        "alan": "1", "-eve": "2", "bo": "3", "cy": "4"}  # fmt: skip
    assert rows["dee"]["run"] == "no 16_capstone notebook graded (no notebook submitted)"
    part1 = {s.student for s in grade.collect(subs, [grade_capstone.MASTER])}
    assert set(rows) == part1


def _capstone_gradebook(path: Path, rows: list[dict]) -> Path:
    import grade

    fields = ["student", "student_id", "score", "max_score", "status", "ch16_diagnose_runs (7)"]
    grade._write_csv(path, rows, [*fields, "reason", "flagged", "notes"])
    return path


def test_merge_matches_the_names_the_gradebook_wrote_keeps_exact_points_and_stays_private(
    tmp_path,
):
    """A student named ``-eve`` is stored as ``'-eve`` (no spreadsheet formula): part 2 joins
    that row, not a new one. Merging twice over a score with many digits keeps them, and the
    gradebook stays readable by its owner only."""
    import grade

    row = {"student": "'-eve", "student_id": "eve", "score": "6.123456789", "max_score": "7",
           "status": "graded", "ch16_diagnose_runs (7)": "6.123456789", "reason": "x: y",
           "flagged": "", "notes": ""}  # fmt: skip
    gradebook = _capstone_gradebook(tmp_path / "book.csv", [row])
    gradebook.chmod(0o644)
    part2 = [{"student": "-eve", "points": 10.0, "max_points": 11.0, "run": "returned a model",
              "dev": "dev accuracy 84.0 %: 1 / 1", "score": "hidden: 9 / 10"}]  # fmt: skip
    for _ in range(2):
        grade_capstone.merge(gradebook, part2)
    rows = list(csv.DictReader(gradebook.open()))
    assert len(rows) == 1 and rows[0]["student"] == "'-eve"
    assert (rows[0]["score"], rows[0]["max_score"]) == ("16.123456789", "18")
    assert gradebook.stat().st_mode & 0o777 == 0o600
    assert grade._student_id("-eve", set()) == "eve"
    out = tmp_path / "feedback"
    grade.write_feedback(gradebook, out)
    assert (out / "eve.md").stat().st_mode & 0o777 == 0o600
    assert "**Score: 16.1235 / 18**" in (out / "eve.md").read_text()


def test_merge_refuses_another_assignments_gradebook_and_a_cell_that_is_no_number(tmp_path):
    """Nothing is written when the gradebook is not the capstone's or a hand-edited cell is not
    a number; the error names the row and the column."""
    import grade

    other = tmp_path / "ch02.csv"
    fields = ["student", "student_id", "score", "max_score", "ch02_clip_by_norm (2)", "reason"]
    grade._write_csv(other, [dict(zip(fields, ["ada", "ada", "2", "2", "2", ""]))], fields)
    before = other.read_text()
    part2 = [{"student": "ada", "points": 11.0, "max_points": 11.0, "run": "", "dev": "",
              "score": ""}]  # fmt: skip
    with pytest.raises(SystemExit, match="no ch16_ exercise column"):
        grade_capstone.merge(other, part2)
    assert other.read_text() == before
    row = {"student": "ada", "student_id": "ada", "score": "seven", "max_score": "7",
           "status": "graded", "ch16_diagnose_runs (7)": "7", "reason": "", "flagged": "",
           "notes": ""}  # fmt: skip
    gradebook = _capstone_gradebook(tmp_path / "book.csv", [row])
    before = gradebook.read_text()
    with pytest.raises(SystemExit, match=r"row 'ada': the column 'score' holds 'seven'"):
        grade_capstone.merge(gradebook, part2)
    assert gradebook.read_text() == before
    with pytest.raises(SystemExit, match=r"book.csv: row 'ada': the column 'score'"):
        grade.write_feedback(gradebook, tmp_path / "out")


def test_a_notebook_of_any_shape_or_encoding_is_graded_like_part_1(tmp_path, monkeypatch):
    """A file that is no notebook, or a notebook whose cells are not cells, gets a row and a
    reason (the students after it are still graded); a byte-order mark or Windows-1252 text is
    read as ``tasks.py grade`` reads it, not scored 0."""
    subs = tmp_path / "subs"
    subs.mkdir()
    (subs / "alist.ipynb").write_text("[1, 2, 3]")
    good = _notebook(tmp_path / "good.ipynb", "def train_best_model(data, budget):\n    'é'\n")
    (subs / "bom.ipynb").write_bytes(b"\xef\xbb\xbf" + good.read_bytes())
    cp = good.read_text(encoding="utf-8").replace("\\u00e9", "é")
    (subs / "cp1252.ipynb").write_bytes(cp.encode("cp1252"))
    seen = {}

    def fake_grade_one(student, notebook, hidden):
        cell = json.loads(notebook.read_text(encoding="utf-8"))["cells"][0]
        seen[student] = "".join(cell["source"])
        return {"student": student, "points": 1.0, "max_points": 11.0, "dev": "", "score": "",
                "run": "ran"}  # fmt: skip

    monkeypatch.setattr(grade_capstone, "grade_one", fake_grade_one)
    rows = {r["student"]: r for r in grade_capstone.grade_folder(subs, tmp_path / "h.npz")}
    assert rows["alist"]["run"].startswith("cannot read the notebook: not a valid notebook")
    assert seen == {s: "def train_best_model(data, budget):\n    'é'\n" for s in ("bom", "cp1252")}
    monkeypatch.undo()
    odd = _notebook(tmp_path / "odd.ipynb", "x = 1\n")
    odd.write_text(odd.read_text().replace('"cells": [{', '"cells": ["text", {'))
    row = grade_capstone.grade_one("odd", odd, tmp_path / "h.npz")
    assert row["points"] == 0.0 and row["run"].startswith("cannot read the notebook: ")


def test_a_second_merge_of_one_student_keeps_the_others_part_2(tmp_path):
    """Grading one student again (a late or a noisy run) and merging it changes that student's
    row only; the merge says who had no result."""
    rows = [{"student": s, "student_id": s, "score": "7", "max_score": "7", "status": "graded",
             "ch16_diagnose_runs (7)": "7", "reason": "", "flagged": "", "notes": ""}
            for s in ("ada", "bo", "cy")]  # fmt: skip
    gradebook = _capstone_gradebook(tmp_path / "book.csv", rows)
    part = {"points": 11.0, "max_points": 11.0, "run": "returned a model", "dev": "", "score": ""}
    first = grade_capstone.merge(gradebook, [{**part, "student": "ada"}, {**part, "student": "bo"}])
    assert first == ["1 without a part-2 result, 0 points: cy"]
    again = grade_capstone.merge(gradebook, [{**part, "student": "bo", "points": 5.0}])
    assert again == ["2 without a new part-2 result kept their earlier one"]
    book = {r["student"]: r for r in csv.DictReader(gradebook.open())}
    assert [(book[s]["score"], book[s]["max_score"]) for s in ("ada", "bo", "cy")] == [
        ("18", "18"), ("12", "18"), ("7", "18")]  # fmt: skip


def test_a_gradebook_saved_by_a_spreadsheet_merges_and_gives_feedback(tmp_path):
    """Excel's "CSV UTF-8" (a byte-order mark), a trailing empty row, a name the spreadsheet
    changed (0042 read as 42: matched by student_id) and a cleared part-2 cell (not counted
    twice in max_score)."""
    import grade

    rows = [{"student": "42", "student_id": "0042", "score": "7", "max_score": "18",
             "status": "graded", "ch16_diagnose_runs (7)": "7", "ch16_train_best_model (11)": "",
             "reason": "", "flagged": "", "notes": ""}]  # fmt: skip
    fields = list(rows[0])
    gradebook = tmp_path / "book.csv"
    grade._write_csv(gradebook, rows, fields)
    gradebook.write_bytes(b"\xef\xbb\xbf" + gradebook.read_bytes() + b",,,,,,,,,\r\n")
    part = {"student": "0042", "student_id": "0042", "points": 11.0, "max_points": 11.0,
            "run": "returned a model", "dev": "", "score": ""}  # fmt: skip
    assert grade_capstone.merge(gradebook, [part]) == []
    (row,) = list(csv.DictReader(gradebook.open(encoding="utf-8-sig")))
    assert (row["student"], row["score"], row["max_score"]) == ("42", "18", "18")
    assert grade.write_feedback(gradebook, tmp_path / "out") == [tmp_path / "out" / "0042.md"]


def test_merge_matches_a_number_both_columns_lost_and_not_names_the_guard_merged(tmp_path):
    """A spreadsheet that rewrote name and id (``0042`` → ``42``) still matches part 2's
    ``0042``; ``=x`` and ``'=x``, both written ``'=x``, are matched by their ids, one each."""
    rows = [{"student": s, "student_id": i, "score": "7", "max_score": "7", "status": "graded",
             "ch16_diagnose_runs (7)": "7", "reason": "", "flagged": "", "notes": ""}
            for s, i in (("42", "42"), ("'=x", "x"), ("'=x", "x_2"))]  # fmt: skip
    gradebook = _capstone_gradebook(tmp_path / "book.csv", rows)
    part = {"max_points": 11.0, "run": "returned a model", "dev": "", "score": ""}
    parts = [{**part, "student": "0042", "student_id": "0042", "points": 11.0},
             {**part, "student": "=x", "student_id": "x", "points": 3.0},
             {**part, "student": "'=x", "student_id": "x_2", "points": 5.0}]  # fmt: skip
    assert grade_capstone.merge(gradebook, parts) == []
    book = {r["student_id"]: r["score"] for r in csv.DictReader(gradebook.open())}
    assert book == {"42": "18", "x": "10", "x_2": "12"}


def test_a_student_number_never_gives_one_student_another_students_part_2(tmp_path):
    """Numbers match only rows still unmatched, one gradebook row to one part-2 row: 7 and 007
    are two students, Ann (42) without part 2 does not get Bob's (0042), ² and ٤٢ are no
    numbers (² crashed the merge)."""
    rows = [{"student": s, "student_id": i, "score": "7", "max_score": "7", "status": "graded",
             "ch16_diagnose_runs (7)": "7", "reason": "", "flagged": "", "notes": ""}
            for s, i in (("7", "7"), ("007", "007"), ("Ann", "42"), ("Bob", "0042"),
                         ("²", "²"), ("٤٢", "٤٢"))]  # fmt: skip
    gradebook = _capstone_gradebook(tmp_path / "book.csv", rows)
    part = {"max_points": 11.0, "run": "returned a model", "dev": "", "score": ""}
    parts = [{**part, "student": "007", "student_id": "007", "points": 11.0},
             {**part, "student": "Bob", "student_id": "0042", "points": 11.0}]  # fmt: skip
    report = grade_capstone.merge(gradebook, parts)
    book = {r["student_id"]: r["score"] for r in csv.DictReader(gradebook.open())}
    assert book == {"7": "7", "007": "18", "42": "7", "0042": "18", "²": "7", "٤٢": "7"}
    assert report == ["4 without a part-2 result, 0 points: 7, Ann, ², ٤٢"]


def test_student_ids_keep_every_script_and_differ_by_more_than_case(tmp_path):
    """``Zoë`` is ``Zoe`` (it was ``Zo_``; ASCII survives a spreadsheet's wrong encoding), other
    scripts keep their letters and vowel signs (``निखिल`` was ``न_ख_ल``), ``ann`` beside ``Ann``
    gets a suffix (a case-insensitive disk would give both one feedback file), and so does an id
    that only looks like another (a Cyrillic or Greek letter, 0 for O); a gradebook with
    an id no tool made writes no feedback file at all."""
    import grade

    used: set[str] = set()
    names = ("Zoë", "Ann", "ann", "Ye\u0308", "日本 太郎", "निखिल", "José  Núñez")
    ids = [grade._student_id(n, used) for n in names]
    assert ids == ["Zoe", "Ann", "ann_2", "Ye", "日本_太郎", "निखिल", "Jose_Nunez"]
    # look-alikes get a suffix too: a Cyrillic А or ӏ (palochka), a Greek Ι, 0 for O; names that
    # differ in letters of another shape (Ian, Lan; Ella, Elia) or wholly in another script
    # (Анна) keep their own ids
    names = ("Anna", "\u0410nna", "Ian", "\u0399an", "lola", "\u04cfola", "Анна", "Olga",
             "0lga", "Lan", "Ella", "Elia", "Ali", "All")  # fmt: skip
    ids = [grade._student_id(n, used) for n in names]
    assert ids == ["Anna", "\u0410nna_2", "Ian", "\u0399an_2", "lola", "\u04cfola_2", "Анна",
                   "Olga", "0lga_2", "Lan", "Ella", "Elia", "Ali", "All"]  # fmt: skip
    assert all(grade.safe_id(i) for i in ids)
    assert not any(grade.safe_id(i) for i in ("", ".x", "-x", "a/b", "YÃ««"))
    rows = [{"student": n, "student_id": i, "score": "1", "max_score": "2", "status": "graded",
             "reason": "", "flagged": "", "notes": ""}
            for n, i in (("Ann", "Ann"), ("Yë", "YÃ««"))]  # fmt: skip
    gradebook = tmp_path / "book.csv"
    grade._write_csv(gradebook, rows, list(rows[0]))
    with pytest.raises(SystemExit, match=r"no safe student_id .*CSV UTF-8"):
        grade.write_feedback(gradebook, tmp_path / "out")
    assert not (tmp_path / "out").exists()


def test_two_notebooks_for_one_master_are_both_named_and_the_exact_name_graded(tmp_path):
    import grade

    subs = tmp_path / "subs"
    (subs / "bo").mkdir(parents=True)
    for name in ("Copy of 16_capstone.ipynb", "16_capstone.ipynb", "16_capstone (1).ipynb"):
        _notebook(subs / "bo" / name, f"# {name}\n")
    (sub,) = grade.collect(subs, ["16_capstone.ipynb"])
    assert b"# 16_capstone.ipynb" in sub.notebooks["16_capstone.ipynb"]
    (note,) = sub.problems
    assert note.startswith("note: 3 notebooks answer 16_capstone.ipynb (")
    assert note.endswith(", graded 16_capstone.ipynb (the exact name)") and "; " not in note
    assert "not a notebook of this assignment" not in note


def test_feedback_names_the_student_without_the_spreadsheet_guard():
    import grade

    row = {"student": "'-eve", "status": "graded", "score": "1", "max_score": "2", "reason": ""}
    assert grade.feedback_text(row).startswith("# Feedback for -eve\n")


def test_merge_only_puts_a_saved_part_2_back_after_part_1_is_graded_again(tmp_path, capsys):
    """Part 1 graded again writes a gradebook without part 2; ``--merge-only`` merges the
    part-2 CSV of the earlier run (nothing runs again), with the same points."""
    import grade

    fields = ["student", "student_id", "points", "max_points", "run", "dev", "score"]
    part2 = tmp_path / "part2.csv"
    values = [["ada", "ada", "9.5", "11", "ran", "", ""], ["bo", "bo", "11", "11", "ran", "", ""]]
    grade._write_csv(part2, [dict(zip(fields, v)) for v in values], fields)
    rows = [{"student": s, "student_id": s, "score": "7", "max_score": "7", "status": "graded",
             "ch16_diagnose_runs (7)": "7", "reason": "", "flagged": "", "notes": ""}
            for s in ("ada", "bo")]  # fmt: skip
    gradebook = _capstone_gradebook(tmp_path / "book.csv", rows)
    assert grade_capstone.main(["--merge-only", str(part2), "--gradebook", str(gradebook)]) == 0
    book = {r["student"]: r for r in csv.DictReader(gradebook.open())}
    assert [(book[s]["score"], book[s]["max_score"]) for s in ("ada", "bo")] == [
        ("16.5", "18"), ("18", "18")]  # fmt: skip
    assert "merged into" in capsys.readouterr().out
    with pytest.raises(SystemExit):
        grade_capstone.main(["--merge-only", str(part2)])  # no gradebook to merge into


def test_a_student_without_a_part_1_row_gets_everyone_s_maximum(tmp_path, capsys):
    """A part-2 result for a name the part-1 gradebook lacks is added as a row whose part 1
    counts 0 out of its full points, flagged REVIEW: with part 2's 11 out of 11 alone, a
    spreadsheet would read the row as 100 %."""
    import grade

    fields = ["student", "student_id", "points", "max_points", "run", "dev", "score"]
    part2 = tmp_path / "part2.csv"
    values = [["ada", "ada", "9.5", "11", "ran", "", ""], ["cy", "cy", "11", "11", "ran", "", ""]]
    grade._write_csv(part2, [dict(zip(fields, v)) for v in values], fields)
    rows = [{"student": "ada", "student_id": "ada", "score": "7", "max_score": "7",
             "status": "graded", "ch16_diagnose_runs (7)": "7", "reason": "", "flagged": "",
             "notes": ""}]  # fmt: skip
    gradebook = _capstone_gradebook(tmp_path / "book.csv", rows)
    assert grade_capstone.main(["--merge-only", str(part2), "--gradebook", str(gradebook)]) == 0
    assert "not in the gradebook, added as rows: cy" in capsys.readouterr().out
    book = {r["student"]: r for r in csv.DictReader(gradebook.open())}
    assert (book["ada"]["score"], book["ada"]["max_score"]) == ("16.5", "18")
    cy = book["cy"]
    assert (cy["score"], cy["max_score"], cy["ch16_diagnose_runs (7)"]) == ("11", "18", "0")
    assert cy["status"] == "partly graded" and "REVIEW" in cy["flagged"]
    assert cy["reason"].startswith("ch16_diagnose_runs: no graded notebook for part 1")
    assert grade_capstone.main(["--merge-only", str(part2), "--gradebook", str(gradebook)]) == 0
    again = {r["student"]: r for r in csv.DictReader(gradebook.open())}
    assert again == book  # merging the same part 2 again changes nothing


@pytest.mark.parametrize(
    ("argv", "said"),
    [
        ([], "give the submissions folder (or --merge-only"),
        (["{tmp}"], "--hidden is required"),
        (["{tmp}", "--hidden", "{tmp}/none.npz"], "write it with tasks.py capstone-test"),
    ],
)
def test_the_command_line_says_what_is_missing(tmp_path, capsys, argv, said):
    with pytest.raises(SystemExit):
        grade_capstone.main([a.format(tmp=tmp_path) for a in argv])
    assert said in capsys.readouterr().err
