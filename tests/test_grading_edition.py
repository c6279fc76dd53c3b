"""The graded-term edition (`tasks.py learner --graded`) contains no answer.

For every master: no solution code, no import of an exercise chapter module's helpers
(``from dlnotes.exercises.chNN import ...``: challenge verifiers, accepted bands), no call of a
graded function's reference through ``from dlnotes.exercises import chNN as X``, and no mention
of a challenge's verifier.
"""

from __future__ import annotations

import ast
import re
import sys
from pathlib import Path

import nbformat
import pytest

from dlnotes.exercises import exercises
from tests.scripts import load_script

ROOT = Path(__file__).resolve().parent.parent
MASTERS = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))


_tool = load_script(Path("tools/learner_edition.py"))
GRADED = {m.name: _tool.graded_notebook(nbformat.read(m, as_version=4)) for m in MASTERS}
BY_CHAPTER: dict[str, set[str]] = {}
for _ex in exercises():
    if _ex.kind == "function":
        BY_CHAPTER.setdefault(_ex.chapter, set()).add(_ex.solution.__name__)


def _code(nb) -> list[str]:
    return [c.source for c in nb.cells if c.cell_type == "code"]


def _solution_lines(master: Path) -> list[list[str]]:
    """The code lines of each answer (between the markers) of ``master``."""
    nb = nbformat.read(master, as_version=4)
    answers = []
    for cell in nb.cells:
        if not cell.metadata.get("nbgrader", {}).get("solution"):
            continue
        lines: list[str] = []
        answers.append(lines)
        inside = False
        for ln in cell.source.splitlines():
            if "### BEGIN SOLUTION" in ln:
                inside = True
            elif "### END SOLUTION" in ln:
                inside = False
            elif inside and ln.strip() and not ln.strip().startswith("#"):
                lines.append(ln.strip())
    return answers


@pytest.mark.parametrize("master", MASTERS, ids=lambda p: p.stem)
def test_no_solution_code(master):
    """No cell holds a whole answer (single lines such as an update rule are the book's math)."""
    cells = _code(GRADED[master.name])
    text = "\n".join(cells)
    assert "BEGIN SOLUTION" not in text and "BEGIN HIDDEN TESTS" not in text
    for answer in _solution_lines(master):
        for source in cells:
            stripped = {ln.strip() for ln in source.splitlines()}
            assert not (len(answer) > 1 and all(ln in stripped for ln in answer)), answer


@pytest.mark.parametrize("master", MASTERS, ids=lambda p: p.stem)
def test_no_exercise_helpers_or_challenge_verifiers(master):
    verifiers = {ex.verify.__name__ for ex in exercises() if ex.kind == "value" and ex.verify}
    for source in _code(GRADED[master.name]):
        for node in ast.walk(ast.parse(source)):
            if isinstance(node, ast.ImportFrom):
                assert not re.fullmatch(r"dlnotes\.exercises\.ch\d\d", node.module or ""), source
        assert not any(v in source for v in verifiers), source
        assert "challenge_band" not in source, source


@pytest.mark.parametrize("master", MASTERS, ids=lambda p: p.stem)
def test_no_reference_calls_of_graded_functions(master):
    calls = []
    sources = _code(GRADED[master.name])
    aliases = {}
    for source in sources:
        for node in ast.walk(ast.parse(source)):
            if isinstance(node, ast.ImportFrom) and node.module == "dlnotes.exercises":
                for a in node.names:
                    if re.fullmatch(r"ch\d\d", a.name):
                        aliases[a.asname or a.name] = a.name[2:]
    for source in sources:
        for node in ast.walk(ast.parse(source)):
            if (
                isinstance(node, ast.Attribute)
                and isinstance(node.value, ast.Name)
                and node.value.id in aliases
                and node.attr in BY_CHAPTER.get(aliases[node.value.id], set())
            ):
                calls.append(f"{node.value.id}.{node.attr}")
    assert calls == []


def test_neither_edition_of_02_asserts_the_challenge_band_but_the_master_does():
    master = (ROOT / "notebooks" / "02_conditioning.ipynb").read_text()
    assert "lr_challenge_band" in master  # the site's hidden claim cell proves the text
    learner = (ROOT / "learner" / "02_conditioning.ipynb").read_text()
    assert "lr_challenge_band" not in learner  # a notebook would show it: dropped (issue 25)
    assert "lr_challenge_band" not in "\n".join(_code(GRADED["02_conditioning.ipynb"]))


def test_the_graded_site_drops_answer_cells(monkeypatch):
    """The Sphinx hook removes myst-nb cell containers of answers, and only with the flag."""
    from docutils import nodes
    from docutils.utils import new_document

    sys.path.insert(0, str(ROOT / "_ext"))
    import dlnotes_site

    def page():
        doc = new_document("page")
        for meta in (
            {"nbgrader": {"solution": True, "grade_id": "x_solution"}, "tags": ["hide-input"]},
            {"nbgrader": {"grade": True, "grade_id": "x_test"}},
            {"tags": ["remove-cell", "answer"]},
            {},
        ):
            doc += nodes.container(nb_element="cell_code", cell_metadata=meta)
        return doc

    doc = page()
    dlnotes_site.drop_answers(None, doc)
    assert len(list(doc.findall(nodes.container))) == 4  # not a graded build: untouched
    monkeypatch.setenv("DLNOTES_GRADED_SITE", "1")
    doc = page()
    dlnotes_site.drop_answers(None, doc)
    left = [c["cell_metadata"] for c in doc.findall(nodes.container)]
    assert left == [{"nbgrader": {"grade": True, "grade_id": "x_test"}}, {}]


@pytest.mark.slow
@pytest.mark.parametrize(
    "name", ["01_learning_problem.ipynb", "02_conditioning.ipynb", "04_momentum.ipynb"]
)
def test_the_graded_edition_runs_failing_only_in_exercise_cells(name):
    """Dropping the answer cells breaks nothing the rest of the chapter needs."""
    from nbclient import NotebookClient

    nb = nbformat.from_dict(GRADED[name])
    NotebookClient(
        nb,
        timeout=120,
        kernel_name="python3",
        allow_errors=True,
        resources={"metadata": {"path": str(ROOT / "notebooks")}},
    ).execute()
    failing = [
        c.metadata.get("nbgrader", {}).get("grade_id")
        for c in nb.cells
        if c.cell_type == "code" and any(o.get("output_type") == "error" for o in c.outputs)
    ]
    assert failing and None not in failing, failing
