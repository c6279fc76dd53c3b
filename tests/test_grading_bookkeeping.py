"""The instructor's bookkeeping around `tasks.py key`, `grade` and `feedback`: an existing key or
gradebook is not overwritten by accident, a student is graded again into the same gradebook
(``--update``), the assignment is chosen or inferred aloud, wrong inputs (one student's folder,
a whole class in one zip, the wrong key, an empty folder, a stray file) stop or are skipped with
a clear message instead of a gradebook of zeros, and an impossible hand edit is refused before
any feedback file is written."""

from __future__ import annotations

import csv
import linecache
import os
import subprocess
import sys
import warnings
import zipfile
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest

from tests.scripts import load_script
from tests.test_grading import FIXTURE, NOTEBOOK, ROOT, _grade_cmd, _gradebook, _submission

grade_tool = load_script(Path("tools/grade.py"))
MASTERS = ["02_x.ipynb", "03_y.ipynb"]


def _key_of(*exercises: tuple[str, str, dict[str, float]]) -> dict:
    """A key's shape: ``(notebook, exercise, points per suite)`` for each exercise."""
    books: dict = {}
    for notebook, name, points in exercises:
        spec = {"name": name, "var": name.split("_", 1)[1], "points": points}
        spec["solution_id"] = f"{name}_solution"
        books.setdefault(notebook, {"exercises": []})["exercises"].append(spec)
    return {"notebooks": books}


KEY = _key_of(
    ("02_x.ipynb", "ch02_a", {"visible": 1.0, "hidden": 1.0}),
    ("02_x.ipynb", "ch02_b", {"visible": 1.0}),
    ("03_y.ipynb", "ch03_c", {"visible": 2.0}),
)


# --------------------------------------------------------------------------------------------
# 1. An existing key or gradebook is kept; --update replaces only the students graded again
# --------------------------------------------------------------------------------------------


def test_the_key_command_refuses_to_replace_a_key_without_force(tmp_path, capsys):
    key = tmp_path / "key.pkl"
    key.write_bytes(b"the term's key")
    assert grade_tool.main(["--make-key", str(FIXTURE), "--out", str(key)]) == 2
    err = capsys.readouterr().err
    assert "a key exists" in err and "pass --force" in err
    assert key.read_bytes() == b"the term's key"
    assert grade_tool.main(["--make-key", str(FIXTURE), "--out", str(tmp_path)]) == 2
    assert "is a folder" in capsys.readouterr().err


def test_grade_refuses_an_existing_gradebook_before_grading(tmp_path, capsys):
    (tmp_path / "subs" / "ada").mkdir(parents=True)
    out = tmp_path / "gradebook.csv"
    out.write_text("student,reason\nada,hand corrected\n")
    argv = [str(tmp_path / "subs"), "--key", str(tmp_path / "no-key.pkl"), "--out", str(out)]
    assert grade_tool.main(argv) == 2
    err = capsys.readouterr().err
    assert "a gradebook exists" in err and "--update" in err and "--force" in err
    assert out.read_text() == "student,reason\nada,hand corrected\n"
    with pytest.raises(SystemExit):  # --update and --force exclude each other
        grade_tool.main([*argv, "--update", "--force"])


def test_an_update_replaces_the_regraded_rows_and_keeps_the_instructors_columns():
    fields = ["student", "student_id", "score", "max_score", "status", "ch02_a (2)"]
    fields += ["reason", "flagged", "notes"]
    columns = [*fields[:6], "ch02_essay (3)", "comment", *fields[6:]]
    old = [
        {"student": "ada", "score": "5", "max_score": "5", "ch02_a (2)": "2",
         "ch02_essay (3)": "3", "comment": "great", "reason": ""},
        {"student": "bob", "score": "1", "max_score": "5", "ch02_a (2)": "0",
         "ch02_essay (3)": "1", "comment": "see me", "reason": "ch02_a: wrong"},
    ]  # fmt: skip
    new = [
        {"student": "bob", "score": 2.0, "max_score": 2.0, "ch02_a (2)": 2.0, "reason": ""},
        {"student": "cy", "score": 0.0, "max_score": 2.0, "ch02_a (2)": 0.0, "reason": "x"},
    ]
    rows, out_columns = grade_tool.updated_gradebook((columns, old), new, fields)
    assert out_columns == columns
    assert rows[0] is old[0]  # untouched, hand corrections and all
    bob = rows[1]
    assert bob["comment"] == "see me" and bob["ch02_essay (3)"] == "1"
    assert (bob["score"], bob["max_score"], bob["reason"]) == (3.0, 5.0, "")
    assert rows[2]["student"] == "cy" and rows[2]["comment"] == "" and rows[2]["max_score"] == 5.0


def test_an_update_refuses_a_gradebook_of_another_assignment(tmp_path):
    fields = ["student", "student_id", "score", "max_score", "status", "ch02_a (2)"]
    fields += ["ch02_b (1)", "reason", "flagged", "notes"]
    for columns in (
        "student,score,ch03_c (2),reason",  # another assignment
        "student,score,ch02_a (2),ch02_b (1),ch03_c (2),reason",  # more of the key
        "student,score,ch02_a (3),ch02_b (1),reason",  # other points
    ):
        (tmp_path / "old.csv").write_text(columns + "\n")
        with pytest.raises(grade_tool.UsageError, match="not a gradebook of this assignment"):
            grade_tool._earlier_gradebook(tmp_path / "old.csv", fields, KEY)
    (tmp_path / "old.csv").write_text("student,score,ch02_a (2),ch02_b (1),ch99_own (4),reason\n")
    assert grade_tool._earlier_gradebook(tmp_path / "old.csv", fields, KEY)[1] == []
    with pytest.raises(grade_tool.UsageError, match="no gradebook at"):
        grade_tool._earlier_gradebook(tmp_path / "none.csv", fields, KEY)


def _read(path: Path) -> dict[str, dict]:
    with open(path, newline="", encoding="utf-8") as fh:
        return {row["student"]: row for row in csv.DictReader(fh)}


@pytest.mark.slow
def test_grading_one_student_again_with_update_keeps_the_gradebooks_other_rows(tmp_path):
    """The documented regrade: the student alone in a folder, `grade ... --update`."""
    source, subs, again = tmp_path / "source", tmp_path / "subs", tmp_path / "again"
    source.mkdir()
    (source / NOTEBOOK).write_bytes(FIXTURE.read_bytes())
    env = {**os.environ, "OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1"}
    make_key = [sys.executable, str(ROOT / "tools" / "grade.py"), "--make-key"]
    subprocess.run(
        [*make_key, str(source / NOTEBOOK), "--out", str(tmp_path / "key.pkl")], check=True, env=env
    )
    learner = load_script(Path("tools/learner_edition.py")).learner_text(FIXTURE)
    wrong = {"ch02_max_stable_lr": "def max_stable_lr(H):\n    return 0.0"}
    for folder, student, edits in ((subs, "ada", {}), (subs, "bob", wrong), (again, "bob", {})):
        (folder / student).mkdir(parents=True)
        (folder / student / NOTEBOOK).write_text(_submission(learner, edits))
    out = tmp_path / "gradebook.csv"

    def run(folder: Path, *extra: str) -> subprocess.CompletedProcess:
        cmd = _grade_cmd(tmp_path, folder, source, out, *extra)
        return subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=600)

    first = run(subs)
    assert first.returncode == 0, first.stderr[-2000:]
    assert "grading against: ch02_exercises.ipynb (4 exercises, 7 points)" in first.stdout
    rows = _read(out)
    assert float(rows["bob"]["score"]) == 5.0
    # the instructor's review: a hand-graded column (in score and max_score) and a comment
    with open(out, newline="", encoding="utf-8") as fh:
        reader = csv.DictReader(fh)
        columns = list(reader.fieldnames or [])
        edited = list(reader)
    at = columns.index("reason")
    columns[at:at] = ["ch02_essay (3)", "comment"]
    for row, essay in zip(edited, ("3", "1"), strict=True):
        row.update({"ch02_essay (3)": essay, "comment": f"{row['student']}: read"})
        row["score"] = str(float(row["score"]) + float(essay))
        row["max_score"] = "10"
    edited[0]["notes"] = "hand note"
    with open(out, "w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=columns)
        writer.writeheader()
        writer.writerows(edited)
    before = out.read_text(encoding="utf-8")

    refused = run(again)
    assert refused.returncode == 2 and "a gradebook exists" in refused.stderr
    assert out.read_text(encoding="utf-8") == before

    updated = run(again, "--update")
    assert updated.returncode == 0, updated.stderr[-2000:]
    rows = _read(out)
    assert list(rows) == ["ada", "bob"] and rows["ada"] == _read_rows(before)["ada"]
    bob = rows["bob"]
    assert float(bob["score"]) == 8.0 and float(bob["max_score"]) == 10.0, bob
    assert bob["ch02_essay (3)"] == "1" and bob["comment"] == "bob: read" and bob["reason"] == ""
    assert not (tmp_path / "gradebook.csv.partial").exists()
    assert grade_tool.main(["--make-feedback", str(out), "--out", str(tmp_path / "fb")]) == 0
    # the instructor's comment ends the student's feedback file, after the reasons and notes
    text = (tmp_path / "fb" / f"{bob['student_id']}.md").read_text(encoding="utf-8")
    assert text.endswith("## From your instructor\n\nbob: read\n"), text


def test_a_comment_column_ends_the_feedback_in_the_instructors_words():
    row = _row(score="7", max_score="10") | {"comment": "Good work on part 3.\nSee me.  "}
    text = grade_tool.feedback_text(row)
    # plain text (not Markdown), each line break kept: two spaces make it a hard break
    assert text.endswith("## From your instructor\n\nGood work on part 3.  \nSee me.\n")
    starred = grade_tool.feedback_text(row | {"comment": "w*(1 - lr*wd)\n\n# later"})
    assert starred.endswith("w\\*(1 - lr\\*wd)\n\n\\# later\n")
    assert "From your instructor" not in grade_tool.feedback_text(row | {"comment": " "})


def _read_rows(text: str) -> dict[str, dict]:
    return {row["student"]: row for row in csv.DictReader(text.splitlines())}


# --------------------------------------------------------------------------------------------
# 2. The assignment: chosen with --notebooks, or inferred with a warning
# --------------------------------------------------------------------------------------------


def _sub(student: str, *notebooks: str, data: bytes = b"{}") -> grade_tool.Submission:
    return grade_tool.Submission(student=student, notebooks=dict.fromkeys(notebooks, data))


def test_a_notebook_that_few_students_submitted_is_named_in_a_warning():
    subs = [_sub(s, "02_x.ipynb") for s in ("ada", "bob", "cy")] + [_sub("dee", "03_y.ipynb")]
    warned: list[str] = []
    assert grade_tool._inferred_masters(subs, MASTERS, warned) == MASTERS
    (message,) = warned
    assert "03_y.ipynb was submitted by only 1 of 4 students (dee)" in message
    assert "--notebooks 02_x.ipynb" in message
    warned.clear()
    assert grade_tool._inferred_masters(subs[:3], MASTERS, warned) == ["02_x.ipynb"]
    assert warned == []


def test_notebooks_choose_the_assignment_and_it_is_described_in_one_line():
    chosen = grade_tool._chosen_masters(["03_y", "02_x.ipynb"], MASTERS, Path("k.pkl"))
    assert chosen == MASTERS
    assert grade_tool._chosen_masters(["notebooks/03_y.ipynb"], MASTERS, Path("k")) == MASTERS[1:]
    with pytest.raises(grade_tool.UsageError, match="not a notebook of the key"):
        grade_tool._chosen_masters(["04_z"], MASTERS, Path("k.pkl"))
    assert grade_tool._assignment(KEY, ["02_x.ipynb"]) == "02_x.ipynb (2 exercises, 3 points)"


# --------------------------------------------------------------------------------------------
# 3. Wrong inputs stop, or are refused, instead of grading everyone 0
# --------------------------------------------------------------------------------------------


def test_submissions_without_any_answer_cell_of_the_key_stop_grading():
    capstone = b'{"cells": [{"metadata": {"nbgrader": {"grade_id": "ch16_x_solution"}}}]}'
    subs = [_sub("ada", "02_x.ipynb", data=capstone), _sub("bob", "02_x.ipynb", data=capstone)]
    for sub in subs:
        sub.sources["02_x.ipynb"] = "16_capstone.ipynb"
    with pytest.raises(grade_tool.UsageError) as err:
        grade_tool._check_answers_submitted(subs, KEY, ["02_x.ipynb"])
    assert "02_x.ipynb" in str(err.value) and "ch02_a_solution" in str(err.value)
    assert "found 16_capstone.ipynb (2 students)" in str(err.value)
    subs.append(_sub("cy", "02_x.ipynb", data=b'{"x": "def a(g):"}'))  # metadata lost: its def
    grade_tool._check_answers_submitted(subs, KEY, ["02_x.ipynb"])


def test_one_students_folder_passed_as_submissions_stops(tmp_path):
    (tmp_path / "Copy of 02_x.ipynb").write_text("{}")
    with pytest.raises(grade_tool.UsageError, match="looks like one student's folder"):
        grade_tool.collect(tmp_path, MASTERS)


def test_a_whole_class_in_one_zip_or_folder_is_refused_not_graded_as_one_student(tmp_path):
    with zipfile.ZipFile(tmp_path / "class download.zip", "w") as zf:
        zf.writestr("ada/02_x.ipynb", "a")
        zf.writestr("bob/Copy of 02_x.ipynb", "b")
        zf.writestr("cy/02_x.ipynb", "c")
    with zipfile.ZipFile(tmp_path / "wrapped.zip", "w") as zf:  # the download zipped again
        zf.writestr("lms/ada_1/02_x.ipynb", "a")
        zf.writestr("lms/bob_2/work/02_x.ipynb", "b")
        zf.writestr("lms/cy_3/02_x.ipynb", "c")
    for student in ("ada_1", "bob_2", "cy_3"):
        (tmp_path / "term" / student).mkdir(parents=True)
        (tmp_path / "term" / student / f"{student}_02_x.ipynb").write_text("c")
    (tmp_path / "cy" / "old").mkdir(parents=True)
    (tmp_path / "cy" / "old" / "02_x.ipynb").write_text("d")
    warned: list[str] = []
    subs = {s.student: s for s in grade_tool.collect(tmp_path, ["02_x.ipynb"], warned)}
    for student in ("class download", "term", "wrapped"):
        assert subs[student].notebooks == {}
        assert "looks like a whole class" in subs[student].problems[-1]
        assert "unzip it into SUBMISSIONS" in subs[student].problems[-1]
    assert subs["cy"].notebooks == {"02_x.ipynb": b"d"}
    assert len(warned) == 3 and all("NOT GRADED" in w for w in warned)


# --------------------------------------------------------------------------------------------
# 7. Stray entries are skipped; no students is an error, not an empty gradebook
# --------------------------------------------------------------------------------------------


def test_macosx_and_other_files_are_skipped_with_a_warning_not_made_students(tmp_path):
    (tmp_path / "__MACOSX" / "ada").mkdir(parents=True)
    (tmp_path / "__MACOSX" / "ada" / "._02_x.ipynb").write_text("junk")
    (tmp_path / "grades_export.csv").write_text("a,b\n")
    (tmp_path / "ada").mkdir()
    (tmp_path / "ada" / "02_x.ipynb").write_text("a")
    warned: list[str] = []
    assert [s.student for s in grade_tool.collect(tmp_path, MASTERS, warned)] == ["ada"]
    assert [w.split(":")[0] for w in warned] == ["skipped __MACOSX", "skipped grades_export.csv"]


def test_an_empty_submissions_folder_is_an_error_and_writes_no_gradebook(tmp_path, monkeypatch):
    (tmp_path / "source").mkdir()
    (tmp_path / "source" / "02_x.ipynb").write_text("{}")
    (tmp_path / "subs").mkdir()
    (tmp_path / "subs" / "grades_export.csv").write_text("a,b\n")
    monkeypatch.setattr(grade_tool, "load_key", lambda path: KEY)
    out = tmp_path / "gradebook.csv"
    with pytest.raises(grade_tool.UsageError, match="no submissions found"):
        grade_tool.grade(tmp_path / "subs", key_path=Path("k"), source=tmp_path / "source", out=out)
    assert not out.exists()


# --------------------------------------------------------------------------------------------
# 6. Common mistakes are one line and status 2, not a traceback
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("key", "out", "said"),
    [
        ("missing.pkl", "new.csv", "no key file at"),
        ("gradebook.csv", "new.csv", "is not a grading key made by tasks.py key"),
        ("gradebook.csv", "folder", "is a folder"),
    ],
)
def test_a_wrong_key_or_out_is_one_clear_line(tmp_path, capsys, key, out, said):
    (tmp_path / "subs" / "ada").mkdir(parents=True)
    (tmp_path / "folder").mkdir()
    (tmp_path / "gradebook.csv").write_text("student,score\nada,1\n")
    argv = [str(tmp_path / "subs"), "--key", str(tmp_path / key), "--out", str(tmp_path / out)]
    assert grade_tool.main(argv) == 2
    err = capsys.readouterr().err
    assert said in err and "Traceback" not in err and len(err.strip().splitlines()) == 1


def test_feedback_from_the_key_or_a_semicolon_csv_is_one_clear_line(tmp_path, capsys):
    (tmp_path / "key.pkl").write_bytes(b"\x80\x05\x95\xff\xfe binary")
    (tmp_path / "excel.csv").write_text("student;student_id;score;reason\nada;ada;1;\n")
    for name, said in (("key.pkl", "not text in UTF-8"), ("excel.csv", "with ';'")):
        argv = ["--make-feedback", str(tmp_path / name), "--out", str(tmp_path / "fb")]
        assert grade_tool.main(argv) == 2
        assert said in capsys.readouterr().err


# --------------------------------------------------------------------------------------------
# 4. A loose file and a folder of one student are candidates of one notebook
# --------------------------------------------------------------------------------------------


def test_a_loose_file_beside_the_students_folder_is_a_candidate_named_in_the_notes(tmp_path):
    (tmp_path / "alan").mkdir()
    (tmp_path / "alan" / "02_x.ipynb").write_text("folder")
    (tmp_path / "alan_02_x.ipynb").write_text("loose")
    (sub,) = grade_tool.collect(tmp_path, MASTERS)
    assert sub.notebooks == {"02_x.ipynb": b"folder"}
    (note,) = sub.problems
    assert "2 notebooks answer 02_x.ipynb (02_x.ipynb, alan_02_x.ipynb)" in note


def test_loose_files_renamed_by_a_download_keep_their_student(tmp_path):
    (tmp_path / "ada_02_x (1).ipynb").write_text("a")
    (tmp_path / "bea_Copy of 03_y.ipynb").write_text("b")
    (tmp_path / "c_d_02_x.ipynb").write_text("c")
    subs = {s.student: s for s in grade_tool.collect(tmp_path, MASTERS)}
    assert set(subs) == {"ada", "bea", "c_d"}
    assert subs["ada"].notebooks == {"02_x.ipynb": b"a"}
    assert subs["bea"].notebooks == {"03_y.ipynb": b"b"}
    assert subs["c_d"].notebooks == {"02_x.ipynb": b"c"} and subs["c_d"].problems == []


# --------------------------------------------------------------------------------------------
# 5. Feedback refuses an impossible hand edit
# --------------------------------------------------------------------------------------------


def _row(**values: str) -> dict:
    row = {"student": "ada", "student_id": "ada", "score": "3", "max_score": "4"}
    row |= {"status": "graded", "ch02_max_stable_lr (2)": "2", "ch02_clip_by_norm (2)": "1"}
    return row | {"reason": "", "flagged": "", "notes": ""} | values


@pytest.mark.parametrize(
    ("edit", "said"),
    [
        ({"ch02_clip_by_norm (2)": "3"}, "'ch02_clip_by_norm (2)' holds '3', not 0 to 2"),
        ({"ch02_clip_by_norm (2)": "-1", "score": "1"}, "holds '-1', not 0 to 2"),
        ({"ch02_clip_by_norm (2)": "two"}, "holds 'two', not a number"),
        ({"ch02_clip_by_norm (2)": "2"}, "score is 3 but the exercise columns add up to 4"),
    ],
)
def test_feedback_refuses_points_out_of_range_or_a_score_that_is_not_their_sum(
    tmp_path, edit, said
):
    gradebook = _gradebook(tmp_path, [_row(), _row(student="bob", student_id="bob", **edit)])
    with pytest.raises(grade_tool.UsageError, match="row 'bob'") as err:
        grade_tool.write_feedback(gradebook, tmp_path / "fb")
    assert said in str(err.value)
    assert not (tmp_path / "fb").exists()


def test_a_hand_graded_column_counts_in_the_score():
    row = _row(score="7", max_score="10") | {"ch16_writeup (6)": "4"}
    grade_tool.check_points(row)


# --------------------------------------------------------------------------------------------
# 8. Feedback in a student's words, each reason once
# --------------------------------------------------------------------------------------------


def test_feedback_words_a_missing_answer_cell_and_a_name_error_for_students():
    row = _row(score="0", **{"ch02_max_stable_lr (2)": "0", "ch02_clip_by_norm (2)": "0"})
    error = (
        "ch02_clip_by_norm visible (1 pt): visible check 1 of 4 (x): raised NameError: name "
        "'norm2' is not defined"
    )
    row["reason"] = f"ch02_max_stable_lr_solution: answer cell missing; 0/2 | {error}"
    row["notes"] = f"{error}; ignored an answer cell with unknown id 'ch03_ewa_solution'"
    text = grade_tool.feedback_text(row)
    assert "answer cell missing" not in text
    assert (
        "your notebook has no answer cell for max_stable_lr (ch02_max_stable_lr_solution): was it "
        "deleted, or is this another chapter's notebook? 0/2 points" in text
    )
    assert "define helpers inside the answer cell" in text
    assert text.count("'norm2' is not defined") == 1 and "unknown id" in text


# --------------------------------------------------------------------------------------------
# 9. The grader's own mistake matching warns nobody
# --------------------------------------------------------------------------------------------


def test_mistake_matching_does_not_print_numpy_warnings():
    sys.path.insert(0, str(ROOT / "tools" / "grading"))
    import engine
    import plain

    def wrong(g):
        return g / np.float64(0.0)  # a library mistake that divides by zero

    ex = SimpleNamespace(mistakes=[SimpleNamespace(name="over zero", wrong=wrong)])
    ex.rtol, ex.atol = 1e-7, 0.0
    case = SimpleNamespace(args=(np.ones(2),), kwargs={})
    rec = {
        "status": "ok",
        "result": plain.to_message(*plain.encode(np.full(2, np.inf))),
        "after": plain.to_message(*plain.encode_object(((np.ones(2),), {}))),
    }
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        assert engine._mistake(ex, [({"case": case}, rec)]) == "over zero"
    assert [str(w.message) for w in seen] == []


def test_the_summary_says_which_of_several_notebooks_was_graded():
    """A TA saw "joan 0/8" and had to open the gradebook to learn that the untouched hand-out
    (the exact name) was graded, not her worked "Copy of"."""
    note = (
        "note: 2 notebooks answer 02_conditioning.ipynb (02_conditioning.ipynb, Copy of "
        "02_conditioning.ipynb), graded 02_conditioning.ipynb (the exact name)"
    )
    rows = [
        {"student": "joan", "score": 0, "max_score": 8, "status": "graded", "reason": "x",
         "notes": f"something else; {note}"},
        {"student": "ada", "score": 8, "max_score": 8, "status": "graded", "reason": "",
         "notes": ""},
    ]  # fmt: skip
    lines = grade_tool.summary(rows).splitlines()
    assert len(lines) == 4 and lines[1].startswith("joan") and lines[2].strip() == note
    assert lines[3].startswith("ada")


def test_the_summary_keeps_its_columns_for_partial_credit():
    """A TA's table went out of line at 3.33333/24: scores are shown to 2 decimals and the
    score column is as wide as its widest entry, so the status column starts at one place."""
    rows = [
        {"student": "ann", "score": 12.26, "max_score": 24, "status": "graded", "reason": "",
         "notes": ""},
        {"student": "cy", "score": 10 / 3, "max_score": 24, "status": "partly graded",
         "reason": "x", "notes": ""},
        {"student": "bob", "score": 124.125, "max_score": 240, "status": "graded",
         "reason": "", "notes": ""},
    ]  # fmt: skip
    lines = grade_tool.summary(rows).splitlines()
    assert "3.33/24" in lines[2] and "124.12/240" in lines[3]
    starts = {line.index(status) for line, status in zip(lines[1:], ("graded", "partly", "graded"))}
    assert starts == {lines[0].index("status")}
    assert all(line == line.rstrip() for line in lines)


def test_a_syntax_error_names_the_cell_and_line_not_a_pseudo_file():
    """A TA saw ``invalid syntax (<ch02_a>, line 2)``: the grader's own name for the cell, in
    angle brackets, where every other error says ``(in CELL, line N: code)``."""
    sys.path.insert(0, str(ROOT / "tools" / "grading"))
    import harness

    with pytest.raises(SyntaxError) as info:
        compile("x = 1\nif x\n    y = 2\n", "<ch02_a>", "exec")
    said = harness._describe_error(info.value)
    assert said == "SyntaxError: expected ':' (in ch02_a, line 2: if x)"
    source = "x = 1\ny = x / 0\n"  # the harness puts each cell's lines in linecache
    linecache.cache["<ch02_b>"] = (len(source), None, source.splitlines(True), "<ch02_b>")
    with pytest.raises(ZeroDivisionError) as raised:
        exec(compile(source, "<ch02_b>", "exec"), {})
    assert harness._describe_error(raised.value) == (
        "ZeroDivisionError: division by zero (in ch02_b, line 2: y = x / 0)"
    )


def test_a_feedback_file_names_its_chapter():
    row = {"student": "ada", "status": "graded", "score": "3", "max_score": "8", "reason": "",
           "ch02_a (2)": "2", "ch02_b (6)": "1"}  # fmt: skip
    assert grade_tool.feedback_text(row).startswith("# Feedback for ada: chapter 02\n")
    row["ch16_writeup (6)"] = "6"
    assert grade_tool.feedback_text(row).startswith("# Feedback for ada: chapters 02, 16\n")


# --------------------------------------------------------------------------------------------
# 10. --update keeps each row's student_id; feedback never writes one student's file twice
# --------------------------------------------------------------------------------------------

FIELDS = ["student", "student_id", "score", "max_score", "status", "ch02_a (2)", "ch02_b (1)"]
FIELDS += ["reason", "flagged", "notes"]


def _csv(path: Path, rows: list[dict], columns: list[str] | None = None) -> Path:
    with open(path, "w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=columns or list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    return path


def _graded(student: str, sid: str, points: float = 3.0, **values: object) -> dict:
    row = {"student": student, "student_id": sid, "score": points, "max_score": 3.0}
    row |= {"status": "graded", "ch02_a (2)": min(points, 2.0), "ch02_b (1)": max(points - 2, 0)}
    return row | {"reason": "", "flagged": "", "notes": ""} | values


def test_an_update_keeps_each_rows_student_id_and_never_gives_one_twice():
    """A TA graded Zoe/, Zoë/ (Zoe, Zoe_2), Ann/ and ann/ (Ann, ann_2), then Zoë and ann again:
    the regraded rows took the ids Zoe and ann afresh, and Zoë's feedback file overwrote Zoe's.
    A folder named after a row's id is that row; one that differs by case is a new student."""
    old = [_graded(name, sid) for name, sid in (("Ann", "Ann"), ("Zoe", "Zoe"), ("Zoë", "Zoe_2"),
           ("ann", "ann_2"), ("bea", "bea"), ("dan smith", "dan_smith"))]  # fmt: skip
    new = [_graded("Bea", "Bea", 0.0), _graded("Zoë", "Zoe", 1.0), _graded("ann", "ann", 1.0)]
    new.append(_graded("dan_smith", "dan_smith", 1.0))
    warned: list[str] = []
    rows, _ = grade_tool.updated_gradebook((FIELDS, old), new, FIELDS, warned)
    ids = [row["student_id"] for row in rows]
    assert len({sid.casefold() for sid in ids}) == len(ids) == 7
    by = {row["student"]: row for row in rows}
    assert (by["Zoë"]["student_id"], by["Zoë"]["score"]) == ("Zoe_2", 1.0)
    assert (by["ann"]["student_id"], by["ann"]["score"]) == ("ann_2", 1.0)
    assert (by["dan smith"]["student_id"], by["dan smith"]["score"]) == ("dan_smith", 1.0)
    assert rows[-1] is by["Bea"] and by["Bea"]["student_id"] == "Bea_2" and by["bea"] is old[4]
    assert [w for w in warned if "regraded points differ" not in w] == [
        "dan_smith is the student_id of the row 'dan smith': graded as that row",
        "Bea is not in the gradebook: added as a new row (did you mean 'bea'?)",
    ]


def test_feedback_refuses_rows_that_share_a_student_id_even_by_case(tmp_path):
    for other in ("Zoe", "zoe"):
        rows = [_row(student="Zoe", student_id="Zoe"), _row(student="Zoë", student_id=other)]
        with pytest.raises(grade_tool.UsageError, match="share a student_id") as err:
            grade_tool.write_feedback(_gradebook(tmp_path, rows), tmp_path / "fb")
        assert f"'Zoe' (Zoe) and 'Zoë' ({other})" in str(err.value)
        assert not (tmp_path / "fb").exists()


def test_feedback_refuses_a_max_score_that_is_not_the_sum_of_the_columns_points(tmp_path):
    """Part 3 added by hand, its points in score but not in max_score: "Score: 9 / 4"."""
    row = _row(score="9", max_score="4") | {"ch16_writeup (6)": "6"}
    with pytest.raises(grade_tool.UsageError, match="row 'ada'") as err:
        grade_tool.write_feedback(_csv(tmp_path / "book.csv", [row]), tmp_path / "fb")
    assert "max_score is 4 but the exercise columns' points add up to 10 (2 + 2 + 6)" in str(
        err.value
    )
    assert not (tmp_path / "fb").exists()


def test_an_update_of_the_capstone_keeps_part_2s_reason_and_flags_and_part_3(tmp_path):
    """The documented order: part 1, part 2 merged, part 3 by hand, part 1 graded again."""
    sys.path.insert(0, str(ROOT / "tools"))
    import grade_capstone

    fields = ["student", "student_id", "score", "max_score", "status", "ch16_diagnose_runs (7)"]
    fields += ["reason", "flagged", "notes"]
    first = {"student": "ada", "student_id": "ada", "score": "0", "max_score": "7"}
    first |= {"status": "graded", "ch16_diagnose_runs (7)": "0", "flagged": "", "notes": ""}
    first["reason"] = "ch16_diagnose_runs visible (7 pt): wrong cause"
    book = _csv(tmp_path / "capstone.csv", [first], fields)
    part = {"student": "ada", "student_id": "ada", "points": 4.0, "max_points": 11.0}
    part |= {"run": "returned a model; REVIEW: slow epochs", "dev": "dev 80%", "score": "80.5%"}
    grade_capstone.merge(book, [part])
    columns, old = grade_tool.read_gradebook(book)
    columns.insert(columns.index("reason"), "ch16_writeup (6)")  # part 3, by hand
    old[0] |= {"ch16_writeup (6)": "5", "score": "9", "max_score": "24"}
    part2_reason = old[0]["reason"].split(" | ")[1]
    assert part2_reason.startswith("ch16_train_best_model: dev 80%")
    again = {"student": "ada", "student_id": "ada", "score": 7.0, "max_score": 7.0}
    again |= {"status": "graded", "ch16_diagnose_runs (7)": 7.0, "reason": "", "notes": ""}
    again["flagged"] = "ch16_diagnose_runs: copy: same as bo"
    (row,), _ = grade_tool.updated_gradebook((columns, old), [again], fields)
    assert (row["score"], row["max_score"], row["ch16_writeup (6)"]) == (16.0, 24.0, "5")
    assert row["reason"] == part2_reason
    assert row["flagged"] == (
        "ch16_diagnose_runs: copy: same as bo | ch16_train_best_model: returned a model; "
        "REVIEW: slow epochs"
    )
    grade_tool.check_points(row)
    assert "ch16_train_best_model: dev 80%" in grade_tool.feedback_text(row)


def test_an_update_of_another_notebooks_gradebook_says_notebooks_before_force(tmp_path):
    fields = [*FIELDS[:7], "ch03_c (2)", *FIELDS[7:]]  # this run: both notebooks of the key
    (tmp_path / "old.csv").write_text("student,score,ch02_a (2),ch02_b (1),reason\n")
    with pytest.raises(grade_tool.UsageError, match="not a gradebook of this assignment") as err:
        grade_tool._earlier_gradebook(tmp_path / "old.csv", fields, KEY)
    said = str(err.value)
    assert "pass --notebooks 02_x.ipynb to grade its assignment, or pass another --out" in said
    assert said.endswith("or --force, which replaces the gradebook and every hand correction in it")
    (tmp_path / "old.csv").write_text("student,score,ch02_a (2),reason\n")  # part of a notebook
    with pytest.raises(grade_tool.UsageError) as err:
        grade_tool._earlier_gradebook(tmp_path / "old.csv", fields, KEY)
    assert "--notebooks" not in str(err.value) and "every hand correction" in str(err.value)


def test_one_students_two_versions_are_candidates_not_a_whole_class(tmp_path):
    for version in ("draft", "final"):
        (tmp_path / "tom" / version).mkdir(parents=True)
        (tmp_path / "tom" / version / "02_x.ipynb").write_text(version)
    with zipfile.ZipFile(tmp_path / "vic.zip", "w") as zf:
        zf.writestr("vic/draft/02_x.ipynb", "draft")
        zf.writestr("vic/final/02_x.ipynb", "final")
    warned: list[str] = []
    subs = grade_tool.collect(tmp_path, ["02_x.ipynb"], warned)
    assert warned == [] and [s.student for s in subs] == ["tom", "vic"]
    for sub in subs:
        assert sub.notebooks == {"02_x.ipynb": b"draft"}
        (note,) = sub.problems
        assert note.startswith("note: 2 notebooks answer 02_x.ipynb (") and "final/" in note


def test_feedback_never_tells_a_student_they_look_like_a_whole_class(tmp_path):
    with zipfile.ZipFile(tmp_path / "ada.zip", "w") as zf:
        for student in ("bob", "cy", "dee"):
            zf.writestr(f"{student}/02_x.ipynb", student)
    (sub,) = grade_tool.collect(tmp_path, ["02_x.ipynb"], [])
    assert "looks like a whole class" in sub.problems[-1]
    zero = {"ch02_max_stable_lr (2)": "0", "ch02_clip_by_norm (2)": "0"}
    row = _row(score="0", status="not graded", reason=sub.problems[-1], **zero)
    text = grade_tool.feedback_text(row)
    assert "whole class" not in text and "bob" not in text and "SUBMISSIONS" not in text
    assert "ada.zip holds the assignment's notebook in 3 folders" in text


def test_apple_double_files_are_skipped_and_another_notebook_is_only_a_note(tmp_path, monkeypatch):
    """A Mac's ._02_x.ipynb made a student with full marks "partly graded", and an extra
    chapter's notebook gave "Where points were lost" beside full marks."""
    import engine

    subs, source = tmp_path / "subs", tmp_path / "source"
    (subs / "ada").mkdir(parents=True)
    source.mkdir()
    for folder in (subs / "ada", source):
        (folder / "02_x.ipynb").write_bytes(FIXTURE.read_bytes())
    (subs / "ada" / "._02_x.ipynb").write_bytes(b"\x00\x05\x16\x07 AppleDouble")
    (subs / "ada" / "03_y.ipynb").write_text("{}")
    with zipfile.ZipFile(subs / "bea.zip", "w") as zf:
        zf.writestr("bea/02_x.ipynb", "b")
        zf.writestr("bea/._02_x.ipynb", "\x00\x05\x16\x07")
    ada, bea = grade_tool.collect(subs, ["02_x.ipynb"])
    assert bea.problems == [] and list(bea.sources.values()) == ["bea/02_x.ipynb"]
    assert ada.problems == ["note: ignored 03_y.ipynb: not a notebook of this assignment"]
    full = [SimpleNamespace(name=n, score=p, reasons=[], notes=[], flags=[]) for n, p in
            (("ch02_a", 2.0), ("ch02_b", 1.0))]  # fmt: skip
    monkeypatch.setattr(engine, "grade_notebook", lambda *args: full)
    row = grade_tool.grade_submission(ada, ["02_x.ipynb"], source, None, 60.0, KEY)
    assert (row["score"], row["status"], row["reason"]) == (3.0, "graded", "")
    assert "ignored 03_y.ipynb: not a notebook of this assignment" in row["notes"]
    text = grade_tool.feedback_text(row)
    assert "Where points were lost" not in text and "- ignored 03_y.ipynb" in text


def test_feedback_out_that_is_a_file_is_one_clear_line(tmp_path, capsys):
    book = _gradebook(tmp_path, [_row()])
    (tmp_path / "fb.md").write_text("not a folder")
    assert grade_tool.main(["--make-feedback", str(book), "--out", str(tmp_path / "fb.md")]) == 2
    err = capsys.readouterr().err
    assert err.strip() == f"error: --out {tmp_path / 'fb.md'} is a file: give a folder"


def test_a_stray_notebook_named_like_the_master_beside_students_is_skipped(tmp_path):
    (tmp_path / "ada").mkdir()
    (tmp_path / "ada" / "02_x.ipynb").write_text("a")
    (tmp_path / "02_x.ipynb").write_text("stray")
    (tmp_path / "Copy of 02_x.ipynb").write_text("stray")
    warned: list[str] = []
    (sub,) = grade_tool.collect(tmp_path, MASTERS, warned)
    assert sub.student == "ada" and sub.problems == []
    assert [w.split(":")[0] for w in warned] == ["skipped 02_x.ipynb", "skipped Copy of 02_x.ipynb"]
    for entry in ("ada/02_x.ipynb", "ada"):  # a stray and no student: one student's folder
        (tmp_path / entry).unlink() if entry.endswith(".ipynb") else (tmp_path / entry).rmdir()
    (tmp_path / "grades_export.csv").write_text("a,b\n")
    with pytest.raises(grade_tool.UsageError, match="looks like one student's folder"):
        grade_tool.collect(tmp_path, MASTERS, [])


def test_an_update_prints_the_gradebooks_rows_and_counts_them_by_status(
    tmp_path, monkeypatch, capsys
):
    """After --update the TA read "alan: 8/8" while alan's row said 10/10, and "2 submissions
    graded" for one graded and one not."""
    import sandbox

    source, subs = tmp_path / "source", tmp_path / "subs"
    source.mkdir()
    (source / "02_x.ipynb").write_text("{}")
    for student in ("alan", "bob"):
        (subs / student).mkdir(parents=True)
        (subs / student / "02_x.ipynb").write_text("ch02_a_solution")
    out = _csv(tmp_path / "book.csv", [_graded("alan", "alan", 1.0, **{"ch02_essay (2)": "2"})])
    monkeypatch.setattr(grade_tool, "load_key", lambda path: KEY)
    monkeypatch.setattr(sandbox, "check", lambda: None)

    def graded(task: tuple, key: dict | None = None) -> dict:
        sub = task[0]
        if sub.student == "bob":
            return grade_tool._failed_row(sub, "grading failed (x)")
        return _graded(sub.student, sub.student_id)

    monkeypatch.setattr(grade_tool, "_grade_one", graded)
    argv = [str(subs), "--key", "k.pkl", "--source", str(source), "--out", str(out), "--update"]
    assert grade_tool.main(argv) == 0
    said = capsys.readouterr().out
    assert "[grade] alan: 5/5\n" in said and "[grade] bob: 0/5\n" in said
    table = {line.split()[0]: line.split()[1] for line in said.splitlines()[4:6]}
    assert table == {"alan": "5/5", "bob": "0/5"}
    assert f"[grade] 2 rows: 1 graded, 0 partly graded, 1 not graded; gradebook updated: {out}" in (
        said
    )
    assert [(r["score"], r["max_score"]) for r in _read(out).values()] == [
        ("5.0", "5.0"),
        ("0.0", "5.0"),
    ]


def test_an_update_names_the_points_it_changed():
    """A TA's hand correction (2 points back, with a comment) was replaced by the regrade's 0
    without a word."""
    fields = ["student", "student_id", "score", "max_score", "status", "ch02_a (2)", "ch02_b (2)"]
    fields += ["reason", "flagged", "notes"]
    old = [{"student": "dan", "score": "4", "max_score": "4", "ch02_a (2)": "2", "ch02_b (2)": "2"}]
    new = [{"student": "dan", "score": 2.0, "max_score": 4.0, "ch02_a (2)": 0.0, "ch02_b (2)": 2.0}]
    warnings: list[str] = []
    grade_tool.updated_gradebook((fields, old), new, fields, warnings)
    assert warnings == [
        "dan: regraded points differ from the gradebook's (ch02_a (2) 2 -> 0.0): if one was a "
        "hand correction, put it back (and in score)"
    ]
    same = [{**new[0], "ch02_a (2)": 2.0}]
    warnings.clear()
    grade_tool.updated_gradebook((fields, old), same, fields, warnings)
    assert warnings == []
