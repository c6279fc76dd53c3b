"""The instructor pipeline: `tasks.py key` then `tasks.py grade` on a folder of submissions.

The submissions are made here from the learner edition of ``tests/fixtures/ch02_exercises.ipynb``
(seven points: three function exercises with a visible and a hidden test, one challenge): correct,
untouched, a syntax error, endless loops inside a function and at the top level of a cell, an
exception, inputs modified in place, a call of the reference, partly correct, an edited test
cell, a notebook whose nbgrader metadata an editor dropped, a corrupt file, an empty folder.
Each must get its expected score, and none may be lost. The hostile class is in
``tests/test_grading_integrity.py``.
"""

from __future__ import annotations

import csv
import io
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import nbformat
import pytest

from tests.scripts import load_script

ROOT = Path(__file__).resolve().parent.parent
FIXTURE = ROOT / "tests" / "fixtures" / "ch02_exercises.ipynb"
NOTEBOOK = FIXTURE.name


grade_tool = load_script(Path("tools/grade.py"))

# --------------------------------------------------------------------------------------------
# Fast: how submissions are collected
# --------------------------------------------------------------------------------------------


def test_canonical_names_undo_download_renames():
    assert grade_tool._canonical("Copy of 02_x.ipynb") == "02_x.ipynb"
    assert grade_tool._canonical("sub/02_x (2).ipynb") == "02_x.ipynb"
    assert grade_tool._canonical("Copy of Copy of 02_x (1).IPYNB") == "02_x.ipynb"


def test_collect_accepts_folders_zips_and_flat_files(tmp_path, capsys):
    masters = ["02_x.ipynb", "03_y.ipynb"]
    (tmp_path / "ann" / "deep").mkdir(parents=True)
    (tmp_path / "ann" / "deep" / "02_x.ipynb").write_text("a")
    (tmp_path / "ann" / ".ipynb_checkpoints").mkdir()
    (tmp_path / "ann" / ".ipynb_checkpoints" / "02_x.ipynb").write_text("old")
    with zipfile.ZipFile(tmp_path / "bo b.zip", "w") as zf:
        zf.writestr("work/Copy of 03_y.ipynb", "b")
        zf.writestr("__MACOSX/work/._03_y.ipynb", "junk")
    (tmp_path / "cy_03_y.ipynb").write_text("c")
    (tmp_path / "notes.txt").write_text("?")
    (tmp_path / "stray.ipynb").write_text("?")
    (tmp_path / "dee").mkdir()
    (tmp_path / "broken.zip").write_bytes(b"not a zip")
    subs = {s.student: s for s in grade_tool.collect(tmp_path, masters)}
    assert set(subs) == {"ann", "bo b", "cy", "stray", "dee", "broken"}
    assert subs["ann"].notebooks == {"02_x.ipynb": b"a"}
    assert subs["bo b"].notebooks == {"03_y.ipynb": b"b"} and subs["bo b"].student_id == "bo_b"
    assert subs["cy"].notebooks == {"03_y.ipynb": b"c"}
    assert subs["dee"].problems == ["no notebook submitted"]
    assert "skipped notes.txt: not a folder, .zip or .ipynb" in capsys.readouterr().err
    assert "loose notebook" in subs["stray"].problems[0]
    assert "could not open broken.zip" in subs["broken"].problems[0]


def test_a_single_notebook_with_any_name_answers_a_single_notebook_assignment(tmp_path):
    (tmp_path / "ann").mkdir()
    (tmp_path / "ann" / "my homework.ipynb").write_text("a")
    (sub,) = grade_tool.collect(tmp_path, ["02_x.ipynb"])
    assert sub.notebooks == {"02_x.ipynb": b"a"}
    assert sub.problems == ["note: my homework.ipynb graded as 02_x.ipynb"]


def test_a_notebook_under_its_own_name_in_a_subfolder_gets_no_note(tmp_path):
    """``ann/work/02_x.ipynb`` (or the same path in a zip) is the notebook asked for: grading
    it "as 02_x.ipynb" is no news to the student."""
    import zipfile

    (tmp_path / "ann" / "work").mkdir(parents=True)
    (tmp_path / "ann" / "work" / "02_x.ipynb").write_text("a")
    with zipfile.ZipFile(tmp_path / "bo.zip", "w") as z:
        z.writestr("bo/term 1/02_x.ipynb", "b")
    subs = {s.student: s for s in grade_tool.collect(tmp_path, ["02_x.ipynb"])}
    assert subs["ann"].notebooks == {"02_x.ipynb": b"a"} and subs["ann"].problems == []
    assert subs["bo"].notebooks == {"02_x.ipynb": b"b"} and subs["bo"].problems == []


def test_a_loose_notebook_named_for_the_student_answers_a_single_notebook_assignment(tmp_path):
    """``<student>.ipynb``, as the capstone's grader takes it: one layout for both graders."""
    (tmp_path / "ada.ipynb").write_text("a")
    (tmp_path / "bo_16_capstone.ipynb").write_text("b")
    subs = {s.student: s for s in grade_tool.collect(tmp_path, ["16_capstone.ipynb"])}
    assert subs["ada"].notebooks == {"16_capstone.ipynb": b"a"}
    assert subs["ada"].problems == ["note: ada.ipynb graded as 16_capstone.ipynb"]
    assert subs["bo"].notebooks == {"16_capstone.ipynb": b"b"} and subs["bo"].problems == []


def test_the_instructor_commands_take_paths_from_the_callers_folder(tmp_path):
    """`python3 tasks.py key ... --out private/key.pkl` run from the instructor's own folder
    writes there, not into the repository (which every other command works in)."""
    master = ROOT / "notebooks" / "02_conditioning.ipynb"
    proc = subprocess.run(
        [sys.executable, str(ROOT / "tasks.py"), "key", str(master), "--out", "private/k.pkl"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    assert (tmp_path / "private" / "k.pkl").is_file()
    assert not (ROOT / "private").exists()


# --------------------------------------------------------------------------------------------
# Slow: the whole pipeline with nbgrader
# --------------------------------------------------------------------------------------------

GD_LOOP = """def gradient_descent(grad, x0, lr, steps):
    x = np.array(x0, dtype=float)
    xs = [x]
    t = 0
    while t < steps:  # t never grows
        x = x - lr * grad(x)
    return np.array(xs)"""

GD_SYNTAX = """def gradient_descent(grad, x0, lr, steps)
    return x0"""

GD_CALLS_REFERENCE = """from dlnotes import landscapes

def gradient_descent(grad, x0, lr, steps):
    return _run(grad, x0, lr, steps)

def _run(grad, x0, lr, steps):
    class Bowl(landscapes.Landscape):
        dim = len(x0)
        def _grad(self, x):
            return grad(x)
        def _f(self, x):
            return np.zeros(x.shape[:-1])
    return landscapes.gradient_descent(Bowl(), x0, lr, steps).xs"""

GD_ALIASING = """def gradient_descent(grad, x0, lr, steps):
    x = np.array(x0, dtype=float)
    xs = [x]
    for _ in range(steps):
        x -= lr * grad(x)
        xs.append(x)
    return np.array(xs)"""

GD_DEFAULT_STEPS = """def gradient_descent(grad, x0, lr, steps=10):
    x = np.array(x0, dtype=float)
    xs = [x]
    for _ in range(steps):
        x = x - lr * grad(x)
        xs.append(x)
    return np.array(xs)"""

TOP_LEVEL_LOOP = """while True:
    pass"""

MAX_LR_WRONG = """def max_stable_lr(H):
    return 1.0 / np.linalg.eigvalsh(H)[-1]"""

CLIP_RAISES = """def clip_by_norm(g, max_norm):
    return g * min(1.0, max_norm / np.linalg.norm(g, axis=2))"""

CLIP_IN_PLACE = """def clip_by_norm(g, max_norm):
    g *= min(1.0, max_norm / np.linalg.norm(g))
    return g"""

# student -> (edits to a correct notebook {exercise or grade_id: source}, layout,
#             expected score, expected status, words expected in the CSV row)
STUDENTS = {
    "correct": ({}, "folder", 7, "graded", []),
    "untouched": ("untouched", "folder", 0, "graded", ["is not written yet"]),
    "syntax_error": (
        {"ch02_gradient_descent": GD_SYNTAX},
        "folder",
        5,
        "graded",
        ["ch02_gradient_descent_solution: SyntaxError"],
    ),
    "loop_in_function": (
        {"ch02_gradient_descent": GD_LOOP},
        "folder",
        5,
        "graded",
        ["did not return within 5 s"],
    ),
    "loop_at_top_level": (
        {"ch02_max_stable_lr": TOP_LEVEL_LOOP},
        "folder",
        5,
        "graded",
        ["ch02_max_stable_lr_solution: the cell ran longer than 3 s and was stopped"],
    ),
    "raises": ({"ch02_clip_by_norm": CLIP_RAISES}, "folder", 5, "graded", ["raised AxisError"]),
    "flat_modifies_inputs": (
        {"ch02_clip_by_norm": CLIP_IN_PLACE},
        "flat",
        5,
        "graded",
        ["Likely mistake: modifies g in place"],
    ),
    "calls_reference": (
        {"ch02_gradient_descent": GD_CALLS_REFERENCE},
        "folder",
        5,
        "graded",
        ["calls dlnotes' own solution", "circumvention: calls the reference .gradient_descent"],
    ),
    "renamed_partly_correct": (
        {"ch02_max_stable_lr": MAX_LR_WRONG, "ch02_lr_challenge": "lr = 0.5"},
        "renamed",
        4,
        "graded",
        ["Likely mistake: 1/λ_max", "Likely mistake: too small", "graded as ch02_exercises"],
    ),
    "zipped_edited_test": (
        {"ch02_gradient_descent": GD_ALIASING, "ch02_gradient_descent_test": "pass"},
        "zip",
        5,
        "graded",
        ["Likely mistake: aliasing"],
    ),
    # the deleted test cell costs nothing: tests are the key's, never the submission's
    "metadata_stripped": (
        {"ch02_gradient_descent": GD_DEFAULT_STEPS},
        "stripped",
        7,
        "graded",
        ["restored nbgrader metadata", "took the cell that defines lr as the answer"],
    ),
    "corrupt": (None, "folder", 0, "not graded", ["not a valid notebook"]),
    "empty": (None, "empty", 0, "not graded", ["no notebook submitted"]),
}


def _solutions() -> dict[str, str]:
    """``{exercise: solution source}`` from the master, without nbgrader's markers."""
    master = nbformat.read(FIXTURE, as_version=4)
    out = {}
    for cell in master.cells:
        meta = cell.metadata.get("nbgrader", {})
        if meta.get("solution"):
            lines = [ln for ln in cell.source.splitlines() if "### " not in ln]
            out[meta["grade_id"].removesuffix("_solution")] = "\n".join(lines)
    return out


def _submission(learner: str, edits: dict[str, str] | str) -> str:
    """The learner edition with the master's solutions, then ``edits`` (by exercise or cell)."""
    nb = nbformat.reads(learner, as_version=4)
    if edits == "untouched":
        return nbformat.writes(nb)
    assert isinstance(edits, dict)
    sources = {**_solutions(), **edits}
    for cell in nb.cells:
        grade_id = cell.metadata.get("nbgrader", {}).get("grade_id", "")
        key = grade_id.removesuffix("_solution")
        if grade_id in sources:  # an edited test cell
            cell.source = sources[grade_id]
        elif grade_id.endswith("_solution") and key in sources:
            cell.source = sources[key]
    return nbformat.writes(nb)


def _strip_metadata(text: str) -> str:
    """What a careless editor does: drop every cell's metadata, renumber the cells, and lose
    the visible test of gradient descent (whose answer cell no longer matches by its def line)."""
    nb = nbformat.reads(text, as_version=4)
    for k, cell in enumerate(nb.cells):
        cell.metadata = {}
        cell.id = f"edited{k:02d}"
    gd_test = 'check("ch02_gradient_descent", gradient_descent)'
    nb.cells = [c for c in nb.cells if c.source != gd_test]
    return nbformat.writes(nb)


def _make_submissions(folder: Path) -> None:
    learner = load_script(Path("tools/learner_edition.py")).learner_text(FIXTURE)
    for student, (edits, layout, *_rest) in STUDENTS.items():
        text = "{not json" if edits is None else _submission(learner, edits)
        if layout == "folder":
            (folder / student).mkdir()
            (folder / student / NOTEBOOK).write_text(text)
        elif layout == "renamed":
            (folder / student).mkdir()
            (folder / student / f"Copy of {Path(NOTEBOOK).stem} (1).ipynb").write_text(text)
        elif layout == "flat":
            (folder / f"{student}_{NOTEBOOK}").write_text(text)
        elif layout == "zip":
            buf = io.BytesIO()
            with zipfile.ZipFile(buf, "w") as zf:
                zf.writestr(f"{student}/{NOTEBOOK}", text)
            (folder / f"{student}.zip").write_bytes(buf.getvalue())
        elif layout == "stripped":
            (folder / student).mkdir()
            (folder / student / NOTEBOOK).write_text(_strip_metadata(text))
        elif layout == "empty":
            (folder / student).mkdir()


def _grade_cmd(tmp: Path, subs: Path, source: Path, out: Path, *extra: str) -> list[str]:
    return [
        sys.executable,
        str(ROOT / "tools" / "grade.py"),
        str(subs),
        "--key",
        str(tmp / "key.pkl"),
        "--source",
        str(source),
        "--out",
        str(out),
        "--timeout",
        "30",
        "--cell-timeout",
        "3",
        *extra,
    ]


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("grading")
    subs, source = tmp / "submissions", tmp / "source"
    subs.mkdir()
    source.mkdir()
    (source / NOTEBOOK).write_bytes(FIXTURE.read_bytes())
    _make_submissions(subs)
    env = {**os.environ, "OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1"}
    env.pop("MPLBACKEND", None)
    key = [sys.executable, str(ROOT / "tools" / "grade.py"), "--make-key", str(source / NOTEBOOK)]
    proc = subprocess.run(
        [*key, "--out", str(tmp / "key.pkl")], capture_output=True, text=True, env=env, cwd=tmp
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    cmd = _grade_cmd(tmp, subs, source, tmp / "gradebook.csv", "--jobs", "2")
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=900, cwd=tmp)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    with open(tmp / "gradebook.csv", newline="", encoding="utf-8") as fh:
        rows = {row["student"]: row for row in csv.DictReader(fh)}
    return tmp, proc.stdout, rows


@pytest.mark.slow
def test_no_submission_is_lost(graded):
    _, stdout, rows = graded
    assert set(rows) == set(STUDENTS)
    for student in STUDENTS:
        assert student in stdout  # the summary table lists everyone


@pytest.mark.slow
@pytest.mark.parametrize("student", list(STUDENTS))
def test_each_submission_gets_its_expected_score(graded, student):
    _, _, rows = graded
    _, _, score, status, words = STUDENTS[student]
    row = rows[student]
    assert float(row["max_score"]) == 7.0
    assert float(row["score"]) == score, row
    assert row["status"] == status, row
    text = " ".join(row.values())
    for word in words:
        assert word in text, (word, row)
    assert ";  " not in row["reason"], row["reason"]  # feedback's lines joined, not their indents
    if status == "graded":  # every lost point has its reason
        lost = [k for k in row if k.startswith("ch02_") and float(row[k]) < float(k[-2:-1])]
        for column in lost:
            assert column.split(" (")[0] in row["reason"], (column, row)


@pytest.mark.slow
def test_per_exercise_columns(graded):
    _, _, rows = graded
    partly = rows["renamed_partly_correct"]
    assert float(partly["ch02_gradient_descent (2)"]) == 2.0
    assert float(partly["ch02_max_stable_lr (2)"]) == 0.0
    assert float(partly["ch02_clip_by_norm (2)"]) == 2.0
    assert float(partly["ch02_lr_challenge (1)"]) == 0.0
    assert rows["correct"]["reason"] == ""


@pytest.mark.slow
def test_graded_cases_come_from_the_key_not_the_package(graded):
    """A function that is right only on the package's inputs (a table of the visible cases'
    and the practice suite's answers) loses both points: the key draws the graded visible
    cases from its private seed too (before, the table kept the visible point)."""
    tmp, _, _ = graded
    from dlnotes.exercises import get

    practice = get("ch02_max_stable_lr").cases("hidden")
    table = {
        round(float(c.args[0][0, 0]), 12): float(
            2 / __import__("numpy").linalg.eigvalsh(c.args[0])[-1]
        )
        for c in practice
    }
    visible = get("ch02_max_stable_lr").cases("visible")
    table.update(
        {
            round(float(c.args[0][0, 0]), 12): float(
                2 / __import__("numpy").linalg.eigvalsh(c.args[0])[-1]
            )
            for c in visible
        }
    )
    # The same answers again by the matrix's size: the practice suite's hidden answers are
    # 2/λ_max of its own spectra, and a key with the same spectra would give these points away.
    by_size = {
        c.args[0].shape[0]: float(2 / __import__("numpy").linalg.eigvalsh(c.args[0])[-1])
        for c in practice
    }
    lookup = (
        f"TABLE = {table!r}\n"
        f"BY_SIZE = {by_size!r}\n\n"
        "def max_stable_lr(H):\n"
        "    return TABLE.get(round(float(H[0, 0]), 12)) or BY_SIZE.get(H.shape[0], 1.0)\n"
    )
    subs = tmp / "lookup"
    (subs / "memo").mkdir(parents=True)
    learner = load_script(Path("tools/learner_edition.py")).learner_text(FIXTURE)
    (subs / "memo" / NOTEBOOK).write_text(_submission(learner, {"ch02_max_stable_lr": lookup}))
    env = {**os.environ, "OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1"}
    out = tmp / "lookup.csv"
    proc = subprocess.run(
        _grade_cmd(tmp, subs, tmp / "source", out), capture_output=True, text=True, env=env
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    with open(out, newline="", encoding="utf-8") as fh:
        (row,) = list(csv.DictReader(fh))
    assert float(row["ch02_max_stable_lr (2)"]) == 0.0, row
    assert "ch02_max_stable_lr visible" in row["reason"]
    assert "ch02_max_stable_lr hidden" in row["reason"]


# --------------------------------------------------------------------------------------------
# The process limit of a sandbox (a fork bomb in a cell)
# --------------------------------------------------------------------------------------------

FORK_UNTIL_REFUSED = """import os, time
children = []
while True:
    try:
        pid = os.fork()
    except OSError:
        break
    if pid == 0:
        time.sleep(2)
        os._exit(0)
    children.append(pid)
n = len(children)
for pid in children:
    os.waitpid(pid, 0)
"""


def _forks_allowed(limit: int) -> int:
    """How many children a cell could fork in a fresh sandbox whose process limit is ``limit``."""
    sys.path.insert(0, str(ROOT / "tools" / "grading"))
    import cloudpickle
    import plain
    import sandbox

    job = {
        "exercise": "fork", "kind": "value", "var": "n", "preamble": [],
        "cells": [("fork_cell", FORK_UNTIL_REFUSED)], "references": [], "cases": [],
        "cell_limit": 10.0, "time_limit": 5.0, "process_limit": limit,
    }  # fmt: skip
    result = sandbox.run(cloudpickle.dumps(job), sandbox.Limits(wall=30, processes=limit))
    values = [r for r in result.records if r.get("event") == "value"]
    assert result.status == "ok" and len(values) == 1, (result.status, result.records)
    return plain.from_message(values[0]["result"])


def test_a_sandbox_cannot_fork_past_its_process_limit_and_sandboxes_do_not_share_it():
    """The limit holds even for a grader running as root (the kernel exempts uid 0 from
    RLIMIT_NPROC, so the sandbox runs as nobody), and it is per sandbox: three sandboxes side by
    side (as with --jobs) each fork as many children as one alone."""
    from concurrent.futures import ThreadPoolExecutor

    alone = _forks_allowed(16)
    assert 8 <= alone < 16  # the harness counts too (and bwrap's init when not root)
    with ThreadPoolExecutor(3) as pool:
        side_by_side = list(pool.map(_forks_allowed, [16, 16, 16]))
    assert side_by_side == [alone] * 3
    assert _forks_allowed(40) - alone == 24  # the limit, not something else, stops the forks


# --------------------------------------------------------------------------------------------
# Per-student feedback files from a (reviewed) gradebook
# --------------------------------------------------------------------------------------------


def _gradebook(tmp_path: Path, rows: list[dict]) -> Path:
    fields = ["student", "student_id", "score", "max_score", "status"]
    fields += ["ch02_max_stable_lr (2)", "ch02_clip_by_norm (2)", "reason", "flagged", "notes"]
    path = tmp_path / "gradebook.csv"
    with open(path, "w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=fields)
        writer.writeheader()
        writer.writerows(rows)
    return path


def test_feedback_files_say_why_without_the_key_or_the_flags(tmp_path):
    rows = [
        {
            "student": "Ada L.", "student_id": "ada_l", "score": "1", "max_score": "4",
            "status": "graded", "ch02_max_stable_lr (2)": "1", "ch02_clip_by_norm (2)": "0",
            "reason": (
                "ch02_max_stable_lr hidden (1 pt): hidden check 3 of 4 (a 5x5 Hessian): wrong "
                "value: expected 0.606, got 0.303 [Likely mistake: 1/λ_max]"
                " | ch02_clip_by_norm: scored 0 pending review (inspect.getsource)"
            ),
            "flagged": "ch02_clip_by_norm: circumvention: inspect.getsource",
            "notes": "skipped cell ch02_clip_by_norm_solution (timed out in it)",
        },
        {
            "student": "Grace", "student_id": "grace", "score": "4", "max_score": "4",
            "status": "graded", "ch02_max_stable_lr (2)": "2", "ch02_clip_by_norm (2)": "2",
            "reason": "", "flagged": "", "notes": "",
        },
    ]  # fmt: skip
    out = tmp_path / "feedback"
    code = grade_tool.main(["--make-feedback", str(_gradebook(tmp_path, rows)), "--out", str(out)])
    assert code == 0
    assert sorted(p.name for p in out.iterdir()) == ["ada_l.md", "grace.md"]
    ada = (out / "ada_l.md").read_text(encoding="utf-8")
    assert "**Score: 1 / 4**" in ada and "| ch02_max_stable_lr | 1 / 2 |" in ada
    assert "hidden check 3 of 4 failed" in ada and "[Likely mistake: 1/λ_max]" in ada
    assert "0.606" not in ada and "5x5 Hessian" not in ada  # the key's case and answer
    assert "circumvention" not in ada and "getsource" not in ada  # the flags are the instructor's
    assert "pending the instructor's review" in ada and "skipped cell" in ada
    grace = (out / "grace.md").read_text(encoding="utf-8")
    assert "**Score: 4 / 4**" in grace and "Where points were lost" not in grace


def test_feedback_says_what_kind_of_failure_a_hidden_check_was_and_not_its_inputs():
    """A time-out, a common exception's type, or inputs changed in place; never what the
    learner's code chose after seeing the hidden inputs: an exception's message, a class name
    made up at run time, the line it raised on."""
    head = "ch02_clip_by_norm hidden (1 pt): hidden check"
    reasons = [
        f"{head} 2 of 5 (a (3, 4, 2) array): raised ValueError: bad (3, 4, 2) input (in "
        "ch02_clip_by_norm_solution, line 2: return g / np.linalg.norm(g, axis=2))",
        f"{head} 3 of 5 (max_norm 0): did not return within 5 s",
        f"{head} 4 of 5 (a 1x7 row): raised RuntimeError: [0.25 0.75] [Likely mistake: foo]",
        f"{head} 5 of 5 (a 1x7 row): your function modified its inputs in place",
        f"{head} 1 of 5 (a 1x7 row): wrong value: expected 0.5, got 0.7",
        f"{head} 6 of 6 (a 1x7 row): raised X0_25: 1 (in ch02_clip_by_norm_solution, line 1037: x)",
        f"{head} 7 of 7 (a 1x7 row): raised numpy.linalg.LinAlgError: Singular matrix",
        f"{head} 8 of 8 (a (2, 2) array): wrong value: expected 1, got 'did not return within "
        "2.770781500144 s'",
        f"{head} 9 of 9 (x): raised ValueError: did not return within 2.7707 s",
    ]
    row = {"student": "ada", "status": "graded", "score": "0", "max_score": "2"}
    row |= {"ch02_clip_by_norm (2)": "0", "reason": " | ".join(reasons), "notes": ""}
    text = grade_tool.feedback_text(row)
    assert "check 2 of 5 failed: raised ValueError (hidden inputs are not shown)" in text
    assert "check 3 of 5 failed: did not return within 5 s (" in text
    # a "[Likely mistake: ...]" in an exception's message is the learner's text: not shown
    assert "check 4 of 5 failed: raised RuntimeError (hidden inputs are not shown)\n" in text
    assert "check 5 of 5 failed: your function modified its inputs in place (" in text
    assert "check 1 of 5 failed (hidden inputs are not shown)" in text
    assert "check 6 of 6 failed: raised an exception (" in text
    assert "check 7 of 7 failed: raised LinAlgError (" in text
    assert (
        "check 8 of 8 failed (hidden" in text and "check 9 of 9 failed: raised ValueError (" in text
    )
    for secret in (
        "(3, 4, 2)",
        "bad",
        "0.25",
        "max_norm 0",
        "1x7",
        "0.5",
        "axis=2",
        "X0_25",
        "2.77",
    ):
        assert secret not in text, secret
    assert "line" not in text


def test_an_exception_message_holding_the_separator_stays_in_its_hidden_reason():
    """The gradebook joins reasons with " | ": a hidden check's exception message holding one
    (written by code that saw the hidden inputs) split the reason, and the feedback file showed
    its second half in full."""
    head = "ch02_clip_by_norm hidden (1 pt): hidden check"
    reasons = [f"{head} 5 of 5 (x): raised ValueError: n/a | LEAK H[0]=1.25; 0/1"]
    row = {"student": "eve", "status": "graded", "score": "0", "max_score": "2", "notes": ""}
    row |= {"ch02_clip_by_norm (2)": "0"}
    row["reason"] = " | ".join(grade_tool._one(r, " | ") for r in reasons)
    text = grade_tool.feedback_text(row)
    assert "check 5 of 5 failed: raised ValueError (hidden inputs are not shown)" in text
    assert "LEAK" not in text and "1.25" not in text
    assert grade_tool._one("a; b", "; ") == "a, b"


def test_feedback_leaves_out_the_reasons_of_points_restored_after_review():
    """The instructor restores a flagged exercise's points in its column: its 'pending review'
    reasons are no longer where points were lost."""
    row = {"student": "ada", "status": "graded", "score": "8", "max_score": "8"}
    row |= {"ch02_clip_by_norm (2)": "2", "ch02_max_stable_lr (2)": "1", "notes": ""}
    row["reason"] = (
        "ch02_clip_by_norm visible (1 pt): scored 0 pending review (circumvention: inspect)"
        " | ch02_clip_by_norm hidden (1 pt): scored 0 pending review (circumvention: inspect)"
        " | ch02_max_stable_lr hidden (1 pt): hidden check 1 of 3 (x): wrong value"
    )
    text = grade_tool.feedback_text(row)
    assert "pending" not in text and "ch02_clip_by_norm visible" not in text
    assert "ch02_max_stable_lr hidden (1 pt): hidden check 1 of 3 failed" in text


def test_feedback_refuses_an_unsafe_student_id(tmp_path):
    row = {"student": "x", "student_id": "../../etc/passwd", "score": "0", "max_score": "4"}
    row |= {"status": "not graded", "reason": "", "flagged": "", "notes": ""}
    with pytest.raises(SystemExit, match="no safe student_id"):
        grade_tool.write_feedback(_gradebook(tmp_path, [row]), tmp_path / "out")
    assert not (tmp_path / "out").exists() or not any((tmp_path / "out").iterdir())


@pytest.mark.slow
def test_feedback_from_a_real_gradebook_hides_every_hidden_case(graded):
    """Every student of the graded class gets a file; no failed hidden check shows a case."""
    tmp, _, rows = graded
    out = tmp / "feedback"
    assert grade_tool.main(["--make-feedback", str(tmp / "gradebook.csv"), "--out", str(out)]) == 0
    for row in rows.values():
        text = (out / f"{row['student_id']}.md").read_text(encoding="utf-8")
        assert f"{float(row['score']):g} / {float(row['max_score']):g}" in text
        for reason in row["reason"].split(" | "):
            if " hidden (" in reason and "hidden check" in reason:
                detail = reason.split("hidden check", 1)[1].split(" of ", 1)[1].split(" ", 1)[1]
                assert detail.split(" [Likely")[0] not in text, (detail, text)
    assert any("hidden check" in r["reason"] for r in rows.values())  # the test tests something
