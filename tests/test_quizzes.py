"""Quizzes live in dlnotes/quizzes/chNN.json: one per chapter, well formed, and the notebooks load
them by name so that no answer is in a cell's source."""

from __future__ import annotations

import json
from pathlib import Path

import nbformat
import pytest

from dlnotes.quizzes import MATHJAX_GUARD, load_quiz, quiz_names, show_quiz

ROOT = Path(__file__).resolve().parent.parent
MASTERS = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))


#: Notebooks without a quiz: the capstone is a project, graded on what the learner builds.
NO_QUIZ = {"16_capstone.ipynb"}
QUIZZED = [p for p in MASTERS if p.name not in NO_QUIZ]


def test_one_quiz_per_chapter():
    assert quiz_names() == [f"ch{p.name[:2]}" for p in QUIZZED]


@pytest.mark.parametrize("name", quiz_names())
def test_quiz_is_well_formed(name):
    quiz = load_quiz(name)
    assert len(quiz) >= 3
    for q in quiz:
        assert q["question"].strip() and q["type"] in {"multiple_choice", "many_choice", "numeric"}
        correct = [a for a in q["answers"] if a.get("correct")]
        assert correct, f"{name}: no correct answer for {q['question']!r}"
        if q["type"] == "multiple_choice":
            assert len(correct) == 1 and len(q["answers"]) >= 2
        for a in q["answers"]:
            assert a.get("feedback", "").strip(), f"{name}: an answer without feedback"
            if a.get("type") == "range":  # jupyterquiz accepts lo <= x < hi: [2, 2] takes nothing
                lo, hi = a["range"]
                assert lo < hi, f"{name}: the range {a['range']} accepts no number"
    assert load_quiz(name) is not quiz  # a fresh copy each time
    json.dumps(quiz)


@pytest.mark.parametrize("master", QUIZZED, ids=lambda p: p.name)
def test_notebooks_load_their_quiz_and_show_no_answers(master):
    for path in (master, ROOT / "learner" / master.name):
        nb = nbformat.read(path, as_version=4)
        quiz_cells = [c for c in nb.cells if "quiz(" in c.source]
        assert len(quiz_cells) == 1
        assert f'show_quiz("ch{master.name[:2]}")' in quiz_cells[0].source
        for cell in nb.cells:
            assert '"correct"' not in cell.source and "'correct'" not in cell.source


def test_bad_quiz_names_are_clear_errors():
    with pytest.raises(TypeError, match="name"):
        load_quiz(4)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="ch04"):
        load_quiz("chapter4")
    with pytest.raises(ValueError, match="no quiz named 'ch99'"):
        load_quiz("ch99")


def test_show_quiz_displays_the_mathjax_guard_then_the_quiz(capsys):
    show_quiz("ch04")
    out = capsys.readouterr().out
    assert out.count("<IPython.core.display.HTML object>") >= 1
    assert 'typeof mj.typeset !== "function"' in MATHJAX_GUARD
    with pytest.raises(ValueError, match="ch99"):
        show_quiz("ch99")
