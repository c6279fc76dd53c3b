"""tools/new_chapter.py and the chapter template: the copy is a valid, clean chapter that
follows every chapter rule of tests/test_repository.py, converts to a learner edition, and runs.
"""

from __future__ import annotations

import json
from pathlib import Path

import nbformat
import pytest

from tests.scripts import load_script

ROOT = Path(__file__).resolve().parent.parent


new_chapter = load_script(Path("tools/new_chapter.py"))
rules = load_script(Path("tests/test_repository.py"), "repository_rules")

TITLE = "Weight averaging, a test chapter"


@pytest.fixture
def chapter(tmp_path) -> Path:
    return new_chapter.new_chapter("97", "weight_averaging", TITLE, dest=tmp_path)


def test_the_copy_is_a_valid_notebook_with_the_title_filled_in(chapter):
    assert chapter.name == "97_weight_averaging.ipynb"
    nb = nbformat.read(chapter, as_version=4)
    nbformat.validate(nb)
    assert nb.cells[0].source.startswith(f"# 97 · {TITLE}\n")
    text = chapter.read_text(encoding="utf-8")
    assert "{{" not in text and "}}" not in text
    ids = [c.id for c in nb.cells]
    assert len(set(ids)) == len(ids)
    template_ids = {c.id for c in nbformat.read(new_chapter.TEMPLATE, as_version=4).cells}
    assert not set(ids) & template_ids, "cell ids must be fresh, not the template's"
    # written exactly as nbformat writes it, so a first save in Jupyter changes nothing
    assert text == nbformat.writes(nb) + "\n"


def test_the_copy_has_no_outputs_and_follows_the_chapter_rules(chapter):
    nb = json.loads(chapter.read_text(encoding="utf-8"))
    assert rules.output_problems(nb) == []
    assert rules.chapter_problems(nb, rules.repository_url()) == []
    # ... but it is not finished: the markers make the repository tests fail until replaced
    assert rules.TEMPLATE_MARKER in chapter.read_text(encoding="utf-8")


def test_the_copy_has_an_nbgrader_exercise_and_a_learner_edition(chapter):
    learner_edition = load_script(Path("tools/learner_edition.py"))
    nb = nbformat.read(chapter, as_version=4)
    kinds = [
        ("solution" if m.get("solution") else "test" if m.get("grade") else "")
        for m in (c.metadata.get("nbgrader", {}) for c in nb.cells)
    ]
    assert kinds.count("solution") >= 1 and kinds.count("test") >= 2
    learner = learner_edition.learner_notebook(nb)
    text = nbformat.writes(learner)
    assert "### BEGIN SOLUTION" not in text and "BEGIN HIDDEN TESTS" not in text
    assert "raise NotImplementedError()" in text


def test_command_line_prints_the_next_steps(tmp_path, capsys):
    code = new_chapter.main(["98", "tuning", "Hyperparameter tuning", "--dest", str(tmp_path)])
    assert code == 0
    out = capsys.readouterr().out
    assert "- file: notebooks/98_tuning" in out
    assert "dlnotes/exercises/ch98.py" in out and "python3 tasks.py learner" in out
    assert (tmp_path / "98_tuning.ipynb").is_file()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["7", "init", "Initialization"], "two digits"),
        (["00", "init", "Initialization"], "two digits"),
        (["07", "Batch-Norm", "Batch normalization"], "slug"),
        (["07", "init", "  "], "title"),
        (["07", "init", "two\nlines"], "title"),
    ],
)
def test_bad_arguments_are_refused_with_a_reason(tmp_path, capsys, args, message):
    assert new_chapter.main([*args, "--dest", str(tmp_path)]) == 2
    assert message in capsys.readouterr().err
    assert not list(tmp_path.iterdir())


def test_an_existing_chapter_number_is_never_overwritten(tmp_path, capsys):
    existing = tmp_path / "07_init.ipynb"
    existing.write_text("{}", encoding="utf-8")
    assert new_chapter.main(["07", "other", "Other", "--dest", str(tmp_path)]) == 2
    assert "already exists" in capsys.readouterr().err
    assert existing.read_text(encoding="utf-8") == "{}"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["07_init.ipynb"]


def test_an_unknown_placeholder_in_the_template_is_an_error(tmp_path):
    template = tmp_path / "template.ipynb"
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell("# {{NN}} {{AUTHOR}}")])
    nbformat.write(nb, template)
    with pytest.raises(KeyError, match="AUTHOR"):
        new_chapter.new_chapter("05", "adaptive", "Adaptive", dest=tmp_path, template=template)


@pytest.mark.slow
def test_the_copy_executes_top_to_bottom(chapter):
    from nbclient import NotebookClient

    nb = nbformat.read(chapter, as_version=4)
    NotebookClient(
        nb,
        timeout=60,
        kernel_name="python3",
        resources={"metadata": {"path": str(chapter.parent)}},
    ).execute()  # raises CellExecutionError on the first failing cell
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert all(c.execution_count is not None for c in code)
    assert not [o for c in code for o in c.outputs if o.output_type == "error"]
    figure = next(c for c in code if "mystnb" in c.metadata)
    assert any("image/png" in o.get("data", {}) for o in figure.outputs), "no figure drawn"
