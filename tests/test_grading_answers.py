"""Which cell the grader takes as a learner's answer (``tools/grading/engine.answer_cells``).

The grader takes the definition an exercise's test cell sees when the notebook runs top to
bottom: the last copy of an answer cell above its test cell, or a new cell written below an
answer cell that was left as handed out, above its test cell. A new cell above the answer cell,
or below its test cell, is not what the test cell sees. (From a student-side review: the first
two scored 0.)
"""

from __future__ import annotations

from pathlib import Path

import nbformat

from tests.scripts import load_script

load_script(Path("tools/grade.py"))  # puts the grading engine's folder on the path

from engine import answer_cells  # noqa: E402

GID = "ch02_clip_by_norm_solution"
STUB = "def clip_by_norm(g, max_norm):\n    # YOUR CODE HERE\n    raise NotImplementedError()"
ANSWER = "def clip_by_norm(g, max_norm):\n    return g * min(1.0, max_norm / np.linalg.norm(g))"


TEST = 'check("ch02_clip_by_norm", clip_by_norm)'


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


def test_of_copied_answer_cells_the_last_above_the_test_cell_counts():
    wrong = "def clip_by_norm(g, max_norm):\n    return g"
    nb = _nb((STUB, True), (ANSWER, True), (TEST, None), (wrong, True))
    found, notes = answer_cells(nb, {GID: "clip_by_norm"})
    assert found == [(GID, ANSWER)]
    assert notes == [f"ignored a second answer cell {GID} (graded the one its test cell sees)"]
    found, _ = answer_cells(_nb((STUB, True), (ANSWER, True)), {GID: "clip_by_norm"})  # no test
    assert found == [(GID, ANSWER)]


def test_an_answer_written_in_a_new_cell_below_the_untouched_one_counts():
    nb = _nb((STUB, True), ("x = 1", False), (ANSWER, False), (TEST, None))
    found, notes = answer_cells(nb, {GID: "clip_by_norm"})
    assert found == [(GID, ANSWER)]
    assert "the definition its test cell sees" in notes[0]


def test_a_new_cell_above_the_answer_cell_or_below_its_test_is_not_the_answer():
    for cells in [
        ((ANSWER, False), (STUB, True), (TEST, None)),
        ((STUB, True), (TEST, None), (ANSWER, False)),
    ]:
        found, _ = answer_cells(_nb(*cells), {GID: "clip_by_norm"})
        assert found == [(GID, STUB)]


def test_an_answer_cell_whose_metadata_was_lost_is_found_by_its_definition():
    found, notes = answer_cells(_nb(("x = 1", False), (ANSWER, False)), {GID: "clip_by_norm"})
    assert found == [(GID, ANSWER)] and "took the cell that defines clip_by_norm" in notes[0]


def test_a_long_unknown_grade_id_is_cut_in_the_note():
    nb = _nb((ANSWER, True))
    nb.cells[0].metadata["nbgrader"]["grade_id"] = "x" * 20_000
    _, notes = answer_cells(nb, {GID: "clip_by_norm"})
    assert len(notes) == 1 and len(notes[0]) < 200
