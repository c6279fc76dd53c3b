"""What the grading sandbox is shown of the package (``tools/grading/withheld.py``) and how an
answer cell's IPython syntax is run (``tools/grading/magics.py``). The attacks these stop, and
the honest answers they keep, are graded end to end in ``tests/test_grading_integrity.py``."""

from __future__ import annotations

import ast
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tools" / "grading"))

import magics  # noqa: E402
import withheld  # noqa: E402


def _bodies(source: str) -> dict[str, list[str]]:
    """``{qualname: [statement kinds of its body]}`` of every function in ``source``."""
    out: dict[str, list[str]] = {}

    def walk(node: ast.AST, prefix: str) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                name = prefix + child.name
                if not isinstance(child, ast.ClassDef):
                    out[name] = [type(s).__name__ for s in child.body]
                walk(child, name + ".")

    walk(ast.parse(source), "")
    return out


def test_every_function_of_a_chapter_module_is_withheld_but_those_its_import_runs():
    path = ROOT / "dlnotes" / "exercises" / "ch16.py"
    shown = withheld.withheld_source(path.read_text())
    bodies = _bodies(shown)
    kept = {name for name, body in bodies.items() if body != ["Raise"]}
    assert kept == {"_f", "_solution", "_swap"}  # called while the module is imported
    assert withheld.MESSAGE in shown and "#" not in shown.split('"""')[0]
    ch05 = withheld.withheld_source((ROOT / "dlnotes" / "exercises" / "ch05.py").read_text())
    assert all(body == ["Raise"] for body in _bodies(ch05).values())
    assert "lambda" not in ch05 or "_dlnotes_withheld()" in ch05


def test_a_library_reference_is_withheld_alone():
    """For ch05_adam_step: dlnotes.optim.teaching.adam_step, the Adam class (every method) and
    lr_sweep; their neighbours stay whole."""
    from dlnotes.exercises import get

    bench = withheld.Withheld()
    try:
        pairs = {real: shown for shown, real in bench.binds(get("ch05_adam_step").references)}
        shown_teaching = Path(pairs[str(ROOT / "dlnotes/optim/teaching.py")]).read_text()
        shown_adam = Path(pairs[str(ROOT / "dlnotes/optim/adam.py")]).read_text()
        emptied = [Path(pairs[real]).read_bytes() for real in pairs if real.endswith(".pyc")]
    finally:
        bench.close()
    assert emptied and set(emptied) == {b""}
    teaching = _bodies(shown_teaching)
    assert teaching["adam_step"] == ["Raise"]
    assert teaching["sgd_step"] != ["Raise"]
    adam = _bodies(shown_adam)
    assert all(body == ["Raise"] for name, body in adam.items() if name.startswith("Adam."))
    for module in withheld.exercise_modules():
        assert str(module) in pairs
    assert not bench.folder.exists()


def test_the_package_imports_with_every_chapter_withheld(tmp_path):
    """Every chapter module withheld, the catalogue still lists every exercise (its import runs
    no withheld function) and a withheld solution raises the message."""
    copy = tmp_path / "dlnotes"
    shutil.copytree(ROOT / "dlnotes", copy, ignore=shutil.ignore_patterns("__pycache__"))
    for module in withheld.exercise_modules():
        shown = withheld.withheld_source(module.read_text())
        (copy / "exercises" / module.name).write_text(shown)
    from dlnotes.exercises import exercises

    program = (
        f"import sys; sys.path.insert(0, {str(tmp_path)!r})\n"
        "import dlnotes.exercises as e\n"
        f"assert e.__file__.startswith({str(tmp_path)!r}), e.__file__\n"
        "print(len(e.exercises()))\n"
        "try:\n"
        "    e.get('ch05_adam_step').solution(*range(9))\n"
        "except RuntimeError as err:\n"
        "    print(err)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", program], capture_output=True, text=True, check=True, cwd=tmp_path
    ).stdout.splitlines()
    assert out == [str(len(exercises())), withheld.MESSAGE]


@pytest.mark.parametrize(
    ("cell", "code", "note"),
    [
        (
            "%%time\ndef f(x):\n    return x\n",
            "def f(x):\n    return x\n",
            "%%time: the cell's code ran once",
        ),
        ("def f(x):\n    return x\n%timeit f(3)\n", "def f(x):\n    return x\npass\n", "%timeit"),
        ("!pip install -q numpy\nx = 1\n", "pass\nx = 1\n", "!pip: shell commands"),
        ("x = !ls\n", "x = []\n", "!: shell commands are not run when graded (their output"),
        ("%time y = abs(-2)\n", "y = abs(-2)\n", "%time: the statement ran"),
        ("y = %time abs(-2)\n", "y = abs(-2)\n", "%time: the statement ran"),
        ("%%bash\necho hi\n", "pass\n", "%%bash: a cell magic's code is not run"),
        ("if True:\n    %matplotlib inline\n", "if True:\n    pass\n", "%matplotlib"),
    ],
)
def test_ipython_syntax_becomes_python_with_a_note(cell, code, note):
    got, notes = magics.plain_python(cell)
    assert got == code
    assert any(n.startswith(note) for n in notes), notes
    namespace: dict = {}
    exec(compile(got, "<cell>", "exec"), namespace)


@pytest.mark.parametrize(
    "cell",
    [
        'text = """\n!not a command\n%not a magic\n"""\n',
        "a = 5 % 3\nb = not a\n",
        "def f(:\n    %time 1\n",  # a SyntaxError stays the learner's to see
    ],
)
def test_python_and_broken_cells_are_left_as_written(cell):
    assert magics.plain_python(cell) == (cell, [])


def test_many_shell_lines_are_not_transformed_beyond_a_cell_and_a_notebook_budget(monkeypatch):
    """IPython's transformer re-reads a cell once per magic line: 3000 ``!ls`` lines took 12 s
    in the grader's own process (two minutes for 100 KB). Such a cell is run as written, with
    a note, and a notebook of many cheaper ones stops being transformed at its own budget."""
    import engine
    import nbformat

    cell = "!ls\n" * 3000 + "x = 1\n"
    assert magics.magic_work(cell) > magics.MAX_MAGIC_WORK
    got, notes = magics.plain_python(cell)  # returns before IPython is asked
    assert got == cell and len(notes) == 1
    assert "with 3000 magic or shell lines" in notes[0] and "run as plain Python" in notes[0]
    assert magics.plain_python("!ls\n" * 5 + "x = 1\n")[0] == "pass\n" * 5 + "x = 1\n"

    cheap = "!ls\n" * 100 + "# padding\n" * 2500  # just within one cell's work
    assert 0.8 * magics.MAX_MAGIC_WORK < magics.magic_work(cheap) <= magics.MAX_MAGIC_WORK
    transformed = []
    monkeypatch.setattr(magics, "plain_python", lambda s: transformed.append(s) or (s, []))
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(cheap + f"x{k} = {k}\n") for k in range(40)]
    engine.answer_cells(nb, {"ch02_lr_challenge_solution": "x39"})
    budget = engine.MAX_MAGIC_WORK // magics.magic_work(cheap) + 1
    assert len(transformed) == budget < 40  # each cell once, then none past the budget


def test_a_sibling_exercises_reference_is_withheld_too():
    """Adam with beta1 = 0 is RMSprop: chapter 05's RMSprop sandbox withholds Adam's references
    as well, and every chapter's sandbox withholds all of that chapter's references."""
    import engine

    from dlnotes.exercises import exercises, get

    shown = engine._chapter_references(get("ch05_rmsprop_step"))
    assert "dlnotes.optim.teaching:adam_step" in shown
    assert "dlnotes.optim:Adam" in shown
    for ex in exercises():
        if ex.kind == "function":
            assert set(engine._references(ex)) <= set(engine._chapter_references(ex)), ex.name


def test_a_forked_grading_process_makes_and_removes_its_own_withheld_files():
    """With ``--jobs``, each student is graded in a forked process, which exits without running
    ``atexit``: it removes its withheld folder itself (every student left 276 KB in /tmp), and
    never the folder of the process it was forked from."""
    import multiprocessing as mp

    import engine

    parent = engine._withheld().folder
    ctx = mp.get_context("fork")
    queue = ctx.SimpleQueue()

    def child() -> None:
        queue.put(str(engine._withheld().folder))
        engine.close_withheld()

    proc = ctx.Process(target=child)
    proc.start()
    proc.join()
    folder = Path(queue.get())
    assert proc.exitcode == 0 and folder != parent
    assert not folder.exists() and parent.exists()
