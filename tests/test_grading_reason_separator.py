"""A ``|`` in a learner's text (an exception's message, the line that raised it) inside the
gradebook's ``reason`` cell, whose reasons are joined by " | ".

The grader writes an item's ``|`` as ``¦`` so that one reason stays one item when the cell is split
again; the feedback file (``tasks.py feedback``) must show the learner's text as written, not
``¦``, and must not show a reason a second time as a note. The end-to-end case runs the real
grader on a submission whose answers raise ``ValueError("x | y; z")``.
"""

from __future__ import annotations

import csv
import os
import random
import subprocess
import sys
from pathlib import Path

import pytest

from tests.scripts import load_script
from tests.test_grading import FIXTURE, NOTEBOOK, _grade_cmd, _solutions, _submission

ROOT = Path(__file__).resolve().parent.parent
grade_tool = load_script(Path("tools/grade.py"))

HEAD = "ch02_clip_by_norm visible (1 pt): visible check 4 of 5 (a (3, 4) gradient matrix)"
RAISED = (
    'raised ValueError: a | b (in ch02_clip_by_norm_solution, line 3: raise ValueError("a | b"))'
)


def _row(reasons: list[str], notes: list[str] = ()) -> dict:
    row = {"student": "ada", "status": "graded", "score": "0", "max_score": "2"}
    row |= {"ch02_clip_by_norm (2)": "0", "flagged": ""}
    row["reason"] = grade_tool._joined(reasons, " | ")
    row["notes"] = grade_tool._joined(list(notes), "; ")
    return row


def test_a_pipe_in_a_learners_message_reads_as_written_in_the_feedback():
    reasons = [
        f"{HEAD}: {RAISED}",
        "ch02_clip_by_norm hidden (1 pt): hidden check 2 of 6 (x): raised ValueError: n/a | LEAK",
    ]
    row = _row(reasons)
    assert len(row["reason"].split(" | ")) == 2  # one reason stays one item
    text = grade_tool.feedback_text(row)
    assert f"{HEAD}: {RAISED}" in text
    assert "¦" not in text
    assert "check 2 of 6 failed: raised ValueError (hidden inputs are not shown)" in text
    assert "LEAK" not in text


def test_the_spreadsheet_shows_a_pipe_as_a_broken_bar():
    """What an instructor reads in the gradebook: ``¦`` where the learner wrote ``|``."""
    cell = grade_tool._joined([f"{HEAD}: {RAISED}", "ch02_x: wrong value"], " | ")
    assert cell == (
        f"{HEAD}: raised ValueError: a ¦ b (in ch02_clip_by_norm_solution, line 3: raise "
        'ValueError("a ¦ b")) | ch02_x: wrong value'
    )


def test_every_item_comes_back_as_it_was():
    """Bars, broken bars, backslashes before them and separators side by side: each item of a
    cell is given back exactly (a learner's own ``¦`` too), and no item is split."""
    rng = random.Random(0)
    for _ in range(3000):
        items = [
            "".join(rng.choice("ab |¦\\;") for _ in range(rng.randint(1, 12)))
            for _ in range(rng.randint(1, 4))
        ]
        items = [i.strip() for i in items if i.strip()]
        cell = grade_tool._joined(items, " | ")
        assert len(cell.split(" | ")) == len(items) or not items, (items, cell)
        assert grade_tool._items(cell) == items, (items, cell)


@pytest.mark.parametrize(
    "message", ["a | b", "a ¦ b", "a || b", r"a \| b", r"a \¦ b", "| a |", "a | | b"]
)
def test_the_feedback_shows_the_message_whatever_bars_it_holds(message):
    reason = f"{HEAD}: raised ValueError: {message} (in ch02_clip_by_norm_solution, line 3: x)"
    text = grade_tool.feedback_text(_row([reason, "ch02_clip_by_norm hidden (1 pt): late"]))
    shown = grade_tool._markdown_text(reason)
    assert f"- {shown}\n" in text
    assert "- ch02_clip_by_norm hidden (1 pt): late\n" in text


def test_a_cells_error_is_said_once_though_its_message_holds_a_pipe():
    """An error at the top of an answer cell is the exercise's reason and, seen by each later
    exercise, a note: the feedback says it once (the note, whose "; " is written ", ", is the
    reason's)."""
    error = (
        'ch02_clip_by_norm_solution: ValueError: t | u; v (in line 1: raise ValueError("t | u; v"))'
    )
    row = _row([f"ch02_clip_by_norm: {error}; 0/2"], notes=[error])
    text = grade_tool.feedback_text(row)
    assert text.count("t | u") == 2, text  # the message and the line, once
    assert "## Notes" not in text
    assert f"- ch02_clip_by_norm: {error}; 0/2\n" in text


def test_an_older_gradebooks_broken_bar_reads_as_a_pipe():
    """A gradebook of the grader before this one wrote a reason's " | " as " ¦ "."""
    row = _row([])
    row["reason"] = f'{HEAD}: raised ValueError: a ¦ b (in x, line 3: raise ValueError("a ¦ b"))'
    text = grade_tool.feedback_text(row)
    assert 'raised ValueError: a | b (in x, line 3: raise ValueError("a | b"))' in text


@pytest.mark.slow
def test_the_real_grader_keeps_a_learners_pipe_for_the_feedback(tmp_path):
    """Grade a submission whose answers raise ``ValueError`` with a ``|`` in the message on a
    visible and a hidden case, and at the top of an answer cell; write its feedback."""
    subs, source = tmp_path / "submissions", tmp_path / "source"
    (subs / "ada").mkdir(parents=True)
    source.mkdir()
    (source / NOTEBOOK).write_bytes(FIXTURE.read_bytes())
    learner = load_script(Path("tools/learner_edition.py")).learner_text(FIXTURE)
    edits = {
        "ch02_max_stable_lr": 'def max_stable_lr(H):\n    raise ValueError("x | y; z")',
        "ch02_clip_by_norm": 'raise ValueError("t | u; v")\n\n' + _solutions()["ch02_clip_by_norm"],
    }
    (subs / "ada" / NOTEBOOK).write_text(_submission(learner, edits))
    env = {**os.environ, "OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1"}
    env.pop("MPLBACKEND", None)
    grade = [sys.executable, str(ROOT / "tools" / "grade.py")]
    proc = subprocess.run(
        [*grade, "--make-key", str(source / NOTEBOOK), "--out", str(tmp_path / "key.pkl")],
        capture_output=True, text=True, env=env, cwd=tmp_path,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr[-3000:]
    cmd = _grade_cmd(tmp_path, subs, source, tmp_path / "gradebook.csv", "--jobs", "1")
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=600, cwd=tmp_path)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    with open(tmp_path / "gradebook.csv", newline="", encoding="utf-8") as fh:
        (row,) = csv.DictReader(fh)
    reasons = row["reason"].split(" | ")
    assert [r.split(":")[0] for r in reasons] == [
        "ch02_max_stable_lr visible (1 pt)",
        "ch02_max_stable_lr hidden (1 pt)",
        "ch02_clip_by_norm",
    ], reasons
    assert "x ¦ y; z" in reasons[0]  # what a spreadsheet shows
    out = tmp_path / "feedback"
    assert (
        grade_tool.main(["--make-feedback", str(tmp_path / "gradebook.csv"), "--out", str(out)])
        == 0
    )
    text = (out / "ada.md").read_text(encoding="utf-8")
    assert (
        "raised ValueError: x | y; z (in ch02_max_stable_lr_solution, line 2: raise "
        'ValueError("x | y; z"))' in text
    )
    assert "hidden check 1 of 4 failed: raised ValueError (hidden inputs are not shown)" in text
    assert "ch02_clip_by_norm: ch02_clip_by_norm_solution: ValueError: t | u; v" in text
    assert text.count("t | u") == 2 and "t | u, v" not in text, text  # said once, as written
    assert "¦" not in text
