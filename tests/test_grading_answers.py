"""Which cell the grader takes as a learner's answer (``tools/grading/engine.answer_cells``).

The grader takes the code an exercise's test cell has seen when the notebook runs top to
bottom: every code cell from the answer cell down to the test cell (the parts of a split answer
cell, an answer written in a new cell below the handed-out one, a helper cell between them),
not copies below the test cell or new cells above the answer cell. (From two student-side
reviews: each of these layouts scored 0 at some point.)
"""

from __future__ import annotations

from pathlib import Path

import nbformat
import numpy as np
import pytest

from tests.scripts import load_script

load_script(Path("tools/grade.py"))  # puts the grading engine's folder on the path

from engine import answer_cells  # noqa: E402

GID = "ch02_clip_by_norm_solution"
STUB = "def clip_by_norm(g, max_norm):\n    # YOUR CODE HERE\n    raise NotImplementedError()"
ANSWER = "def clip_by_norm(g, max_norm):\n    return g * min(1.0, max_norm / np.linalg.norm(g))"


TEST = 'check("ch02_clip_by_norm", clip_by_norm)'
ANSWERS = {GID: "clip_by_norm"}


def _nb(*cells: tuple[str, bool | None]) -> nbformat.NotebookNode:
    """Code cells: an answer cell (True), a plain cell (False) or the test cell (None)."""
    nb = nbformat.v4.new_notebook()
    for source, tagged in cells:
        cell = nbformat.v4.new_code_cell(source)
        if tagged:
            cell.metadata["nbgrader"] = {"grade_id": GID, "solution": True}
        elif tagged is None:
            test_id = GID.replace("_solution", "_test")
            cell.metadata["nbgrader"] = {"grade_id": test_id, "grade": True, "locked": True}
        nb.cells.append(cell)
    return nb


def _sees(found: list[tuple[str, str]]):
    """What ``clip_by_norm(g, 1)`` gives for ``g = (3, 4)`` after the graded cells ran in order."""
    ns: dict = {"np": np}
    for _, source in found:
        exec(source, ns)
    return ns["clip_by_norm"](np.array([3.0, 4.0]), 1.0)


def test_the_parts_of_a_split_answer_cell_all_count():
    """JupyterLab's Split Cell copies the grade id to both parts: both run, in order."""
    head = "from numpy.linalg import norm"
    tail = "def clip_by_norm(g, max_norm):\n    return g * min(1.0, max_norm / norm(g))"
    found, notes = answer_cells(_nb((head, True), (tail, True), (TEST, None)), ANSWERS)
    assert found == [(GID, head), (GID, tail)]
    assert np.allclose(_sees(found), [0.6, 0.8])
    assert notes == [f"graded 2 cells as the answer {GID} (the code its test cell sees)"]


def test_a_new_cell_below_the_answer_cell_counts_with_it():
    """The answer written below the untouched cell; a wrapper below a filled cell, using its
    helper; a helper cell of its own between the answer cell and the test: what the test sees."""
    wrapper = "_orig = clip_by_norm\ndef clip_by_norm(g, max_norm):\n    return _orig(g, max_norm)"
    helper = "def _scale(g, m):\n    return min(1.0, m / np.linalg.norm(g))"
    uses = "def clip_by_norm(g, max_norm):\n    return g * _scale(g, max_norm)"
    for cells in [
        ((STUB, True), ("x = 1", False), (ANSWER, False), (TEST, None)),
        ((ANSWER, True), (wrapper, False), (TEST, None)),
        ((STUB, True), (helper, False), (uses, False), (TEST, None)),
    ]:
        found, _ = answer_cells(_nb(*cells), ANSWERS)
        assert [src for _, src in found] == [src for src, tagged in cells if tagged is not None]
        assert np.allclose(_sees(found), [0.6, 0.8])


def test_copies_below_the_test_cell_and_new_cells_around_it_are_not_the_answer():
    wrong = "def clip_by_norm(g, max_norm):\n    return g"
    found, notes = answer_cells(_nb((ANSWER, True), (TEST, None), (wrong, True)), ANSWERS)
    assert found == [(GID, ANSWER)]
    assert "ignored 1 copies of it below its test cell" in notes[0]
    for cells in [
        ((ANSWER, False), (STUB, True), (TEST, None)),
        ((STUB, True), (TEST, None), (ANSWER, False)),
    ]:
        found, _ = answer_cells(_nb(*cells), ANSWERS)
        assert found == [(GID, STUB)]
        with pytest.raises(NotImplementedError):
            _sees(found)


def test_answer_cells_whose_metadata_was_lost_are_found_by_what_they_define():
    """The last cell defining the name; one cell may answer two exercises; tuple targets and
    definitions inside an if count."""
    found, notes = answer_cells(_nb((STUB, False), ("x = 1", False), (ANSWER, False)), ANSWERS)
    assert found == [(GID, ANSWER)] and "took the cell that defines clip_by_norm" in notes[0]
    both = ANSWER + "\nif True:\n    def max_stable_lr(H):\n        return 1.0\nlr, steps = 1.8, 60"
    answers = {GID: "clip_by_norm", "b_solution": "max_stable_lr", "c_solution": "lr"}
    found, _ = answer_cells(_nb((both, False)), answers)
    assert sorted(gid for gid, _ in found) == sorted(answers)


def test_a_long_unknown_grade_id_is_cut_in_the_note():
    nb = _nb((ANSWER, True))
    nb.cells[0].metadata["nbgrader"]["grade_id"] = "x" * 20_000
    _, notes = answer_cells(nb, ANSWERS)
    assert len(notes) == 1 and len(notes[0]) < 200
