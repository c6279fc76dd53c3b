"""The learner editions: in sync with the masters, solutions and hidden tests removed, and an
unmodified learner notebook fails only in its exercise cells (the rest of the chapter runs).
"""

from __future__ import annotations

import re
from pathlib import Path

import nbformat
import pytest

from tests.scripts import load_script

ROOT = Path(__file__).resolve().parent.parent
FIXTURE = ROOT / "tests" / "fixtures" / "ch02_exercises.ipynb"

learner_edition = load_script(Path("tools/learner_edition.py"))


def nbgrader(cell) -> dict:
    return cell.metadata.get("nbgrader", {})


def is_exercise_cell(cell) -> bool:
    meta = nbgrader(cell)
    return bool(meta.get("solution") or meta.get("grade"))


def test_committed_learner_editions_are_up_to_date(capsys):
    code = learner_edition.main(["--check"])
    out = capsys.readouterr().out
    assert code == 0, f"run `python3 tasks.py learner` and commit learner/:\n{out}"


def test_check_mode_lists_outdated_missing_and_stale_files(tmp_path, capsys):
    masters, dest = tmp_path / "notebooks", tmp_path / "learner"
    masters.mkdir()
    (masters / "02_landscape.ipynb").write_bytes(FIXTURE.read_bytes())
    assert learner_edition.main(["--check", "--source", str(masters), "--dest", str(dest)]) == 1
    assert "02_landscape.ipynb (missing)" in capsys.readouterr().out
    assert learner_edition.main(["--source", str(masters), "--dest", str(dest)]) == 0
    assert learner_edition.main(["--check", "--source", str(masters), "--dest", str(dest)]) == 0
    written = (dest / "02_landscape.ipynb").read_text()
    (dest / "02_landscape.ipynb").write_text(written.replace("YOUR CODE HERE", "my code"))
    (dest / "03_old.ipynb").write_text(written)
    capsys.readouterr()
    assert learner_edition.main(["--check", "--source", str(masters), "--dest", str(dest)]) == 1
    out = capsys.readouterr().out
    assert "out of date:" in out and "02_landscape.ipynb" in out
    assert "stale (its master is gone):" in out and "03_old.ipynb" in out
    learner_edition.main(["--source", str(masters), "--dest", str(dest)])
    assert (dest / "02_landscape.ipynb").read_text() == written
    assert not (dest / "03_old.ipynb").exists()


def test_learner_edition_of_the_fixture():
    master = nbformat.read(FIXTURE, as_version=4)
    before = nbformat.writes(master)
    text = learner_edition.learner_text(FIXTURE)
    assert text == learner_edition.learner_text(FIXTURE)  # deterministic
    assert nbformat.writes(master) == before  # the master is not touched
    nb = nbformat.reads(text, as_version=4)
    assert [c.get("id") for c in nb.cells] == [c.get("id") for c in master.cells]
    assert "BEGIN SOLUTION" not in text and "BEGIN HIDDEN TESTS" not in text
    assert 'suite=\\"hidden\\"' not in text and "eigvalsh" not in text
    solutions = [c for c in nb.cells if nbgrader(c).get("solution")]
    assert len(solutions) == 4
    for cell in solutions:
        assert "# YOUR CODE HERE\n" in cell.source and "raise NotImplementedError()" in cell.source
    gd = solutions[0].source.splitlines()
    assert gd[0] == "def gradient_descent(grad, x0, lr, steps):"  # the signature stays
    assert gd[-2:] == ["    # YOUR CODE HERE", "    raise NotImplementedError()"]
    for cell in nb.cells:
        assert cell.get("outputs", []) == [] and cell.get("execution_count") is None
        if nbgrader(cell).get("grade"):  # test cells are read-only in Jupyter
            assert cell.metadata["editable"] is False and cell.metadata["deletable"] is False
    hidden = [c for c in nb.cells if nbgrader(c).get("grade_id", "").endswith("_hidden")]
    assert [c.source for c in hidden] == [
        "# Hidden tests: run with other inputs when your notebook is graded."
    ] * 3


def _masters() -> list[Path]:
    return sorted((ROOT / "notebooks").glob(learner_edition.PATTERN))


@pytest.mark.parametrize("master", [FIXTURE, *_masters()], ids=lambda p: p.name)
def test_master_checks_name_catalogued_exercises(master):
    from dlnotes.exercises import exercises

    names = {ex.name for ex in exercises()}
    nb = nbformat.read(master, as_version=4)
    called = set()
    for cell in nb.cells:
        called |= set(re.findall(r"check\(\s*[\"'](\w+)[\"']", cell.source))
        if nbgrader(cell).get("solution"):
            assert "hide-input" in cell.metadata.get("tags", []), nbgrader(cell)["grade_id"]
        if nbgrader(cell).get("grade_id", "").endswith("_hidden"):
            assert "remove-cell" in cell.metadata.get("tags", []), nbgrader(cell)["grade_id"]
            assert "BEGIN HIDDEN TESTS" in cell.source
    assert called <= names, f"unknown exercises: {called - names}"


def _execute(nb, cwd: Path):
    from nbclient import NotebookClient

    client = NotebookClient(
        nb,
        timeout=120,
        allow_errors=True,
        kernel_name="python3",
        resources={"metadata": {"path": str(cwd)}},
    )
    client.execute()
    return nb


def _learner_notebooks() -> list[tuple[str, Path]]:
    return [("fixture", FIXTURE)] + [
        (p.name, ROOT / "learner" / p.name)
        for p in _masters()
        if (ROOT / "learner" / p.name).exists()
    ]


LEARNER_NOTEBOOKS = _learner_notebooks()


@pytest.mark.slow
@pytest.mark.parametrize(("name", "path"), LEARNER_NOTEBOOKS, ids=[n for n, _ in LEARNER_NOTEBOOKS])
def test_unmodified_learner_notebook_fails_only_in_exercise_cells(name, path, tmp_path):
    if name == "fixture":
        nb = nbformat.reads(learner_edition.learner_text(path), as_version=4)
    else:
        nb = nbformat.read(path, as_version=4)
    _execute(nb, path.parent)
    errors = [
        c
        for c in nb.cells
        if c.cell_type == "code"
        and any(o.get("output_type") == "error" for o in c.get("outputs", []))
    ]
    outside = [c.source[:80] for c in errors if not is_exercise_cell(c)]
    assert not outside, f"cells outside the exercises failed: {outside}"
    visible_tests = [c for c in nb.cells if nbgrader(c).get("grade_id", "").endswith("_test")]
    assert visible_tests and all(c in errors for c in visible_tests), "an unsolved exercise passed"
    if name != "fixture":  # the guidance, not a NameError or a bare NotImplementedError
        for cell in visible_tests:
            (error,) = [o for o in cell.outputs if o.get("output_type") == "error"]
            assert "raises-exception" in cell.metadata.get("tags", [])
            if "check(" not in cell.source:  # the capstone's model check: a plain assert
                assert error.ename == "AssertionError", (cell.source, error.ename)
                assert "NotImplementedError" in error.evalue, error.evalue
                continue
            assert error.ename == "CheckFailed", (cell.source, error.ename, error.evalue)
            assert "not written yet" in error.evalue or "not answered yet" in error.evalue
    last = [c for c in nb.cells if c.cell_type == "code"][-1]
    assert last.get("execution_count") is not None, "the notebook did not run to the end"


@pytest.mark.parametrize("master", _masters(), ids=lambda p: p.name)
def test_learner_edition_hides_what_the_site_hides(master):
    nb = nbformat.read(ROOT / "learner" / master.name, as_version=4)
    for cell in nb.cells:
        tags = set(cell.metadata.get("tags", []))
        jupyter = cell.metadata.get("jupyter", {})
        if nbgrader(cell).get("solution"):
            assert not jupyter.get("source_hidden"), "the learner must see the exercise cell"
        elif cell.cell_type == "code" and tags & {"remove-cell", "remove-input", "hide-input"}:
            assert jupyter.get("source_hidden") is True, cell.source[:80]
        if cell.cell_type == "code" and "remove-cell" in tags:
            assert jupyter.get("outputs_hidden") is True and cell.metadata.get("collapsed") is True
        assert "_verify_challenge" not in cell.source and "challenge_band" not in cell.source


def test_hidden_cells_that_check_a_challenge_answer_are_dropped():
    claim = nbformat.v4.new_code_cell(
        "assert _verify_challenge((3.3, 0.67)).passed", metadata={"tags": ["remove-cell"]}
    )
    figure = nbformat.v4.new_code_cell("plot(challenge_bowl)", metadata={"tags": ["hide-input"]})
    nb = nbformat.v4.new_notebook(cells=[claim, figure])
    learner_edition.drop_challenge_answers(nb)
    learner_edition.hide_as_the_site_does(nb)
    assert [c.source for c in nb.cells] == ["plot(challenge_bowl)"]
    assert nb.cells[0].metadata["jupyter"] == {"source_hidden": True}
