"""An exercise asks for numpy: an answer that lets a framework compute it scores nothing.

torch's softmax is a softmax, its autograd writes a backward rule, ``torch.optim.Adam`` takes an
Adam step. The library's own answers are withheld while grading; a framework was not, so an
answer calling torch scored full marks for chapter 02's clipping or chapter 11's batch-norm
backward. Now ``check`` refuses a function that calls a framework (``FunctionExercise.
frameworks_allowed``: only chapter 15's port to PyTorch may), and the grader's sandbox shows
every installed framework as a package of stand-ins (``tools/grading/framework_stub.py``):
importing works, using raises. An answer that merely imports torch keeps its points.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import nbformat
import numpy as np
import pytest

from dlnotes.exercises import check
from dlnotes.exercises.verdict import CheckFailed

ROOT = Path(__file__).resolve().parent.parent
MASTER = ROOT / "notebooks" / "02_conditioning.ipynb"

pytest.importorskip("torch")

CLIP_WITH_TORCH = """
def clip_by_norm(g, max_norm):
    import torch
    t = torch.tensor(g)
    norm = float(torch.linalg.vector_norm(t))
    return (t * min(1.0, max_norm / norm)).numpy() if norm > 0 else g.copy()
"""
CLIP_IMPORTING_TORCH = """
import torch  # imported, never used: the answer is numpy's
import torch.nn.functional as F
from torch.optim import Adam

def clip_by_norm(g, max_norm):
    norm = float(np.linalg.norm(g))
    return g * min(1.0, max_norm / norm) if norm > 0 else g.copy()
"""
CLIP_WITH_AUTOGRAD_NORM = """
def clip_by_norm(g, max_norm):
    from torch import tensor
    norm = tensor(g).norm().item()  # only the norm from torch
    return g * min(1.0, max_norm / norm) if norm > 0 else g.copy()
"""


def _define(source: str):
    namespace: dict = {"np": np}
    exec(textwrap.dedent(source), namespace)
    return namespace["clip_by_norm"]


@pytest.mark.slow
@pytest.mark.parametrize(
    "source, called",
    [(CLIP_WITH_TORCH, "torch.tensor"), (CLIP_WITH_AUTOGRAD_NORM, "torch.tensor")],
)
def test_check_refuses_an_answer_that_calls_torch(source, called):
    with pytest.raises(CheckFailed) as failed:
        check("ch02_clip_by_norm", _define(source))
    message = str(failed.value)
    assert f"your function calls torch ({called})" in message
    assert "asks you to write it with numpy" in message
    assert "the grader withholds torch" in message


@pytest.mark.slow
def test_check_passes_an_answer_that_only_imports_torch():
    check("ch02_clip_by_norm", _define(CLIP_IMPORTING_TORCH))


def test_an_import_inside_the_checked_call_is_not_a_use(tmp_path):
    """A framework first imported inside the checked call runs its own code (here a stand-in
    ``torch`` whose import calls its functions); that is not a use of it. (The real torch
    takes seconds to import under the profiler, close to the time limit.)"""
    package = tmp_path / "torch"
    package.mkdir()
    (package / "__init__.py").write_text(
        "def _register(n):\n    return [n] * 3\n\nTABLE = [_register(k) for k in range(5)]\n"
        "def tensor(x):\n    return list(x)\n"
    )
    code = textwrap.dedent(
        f"""
        import sys
        sys.path.insert(0, {str(tmp_path)!r})
        import numpy as np
        from dlnotes.exercises import check
        from dlnotes.exercises.verdict import CheckFailed

        def clip_by_norm(g, max_norm):
            import torch  # first imported here: its module code runs inside the call
            norm = float(np.linalg.norm(g))
            return g * min(1.0, max_norm / norm) if norm > 0 else g.copy()

        check("ch02_clip_by_norm", clip_by_norm)
        sys.modules.pop("torch")

        def clip_with_stand_in(g, max_norm):
            import torch
            norm = float(np.linalg.norm(np.array(torch.tensor(g))))  # a use
            return g * min(1.0, max_norm / norm) if norm > 0 else g.copy()

        try:
            check("ch02_clip_by_norm", clip_with_stand_in)
        except CheckFailed as err:
            print("REFUSED", err)
        """
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=120
    )
    assert out.returncode == 0, out.stdout + out.stderr
    assert "all 5 checks passed" in out.stdout, out.stdout
    assert "REFUSED ch02_clip_by_norm: your function calls torch (torch.tensor)" in out.stdout


CLIP_WITH_TORCH_IN_EXEC = """
def clip_by_norm(g, max_norm):
    scope = {"g": g}
    # run as a module's top level: not an import, whatever its code object is called
    exec(compile("import torch\\nn = float(torch.tensor(g).norm())", "x", "exec"), scope)
    norm = scope["n"]
    return g * min(1.0, max_norm / norm) if norm > 0 else g.copy()
"""
CLIP_WITH_TORCH_IN_EVAL = """
import torch

def clip_by_norm(g, max_norm):
    norm = eval(compile("float(torch.tensor(g).norm())", "x", "eval"))
    return g * min(1.0, max_norm / norm) if norm > 0 else g.copy()
"""


@pytest.mark.parametrize("source", [CLIP_WITH_TORCH_IN_EXEC, CLIP_WITH_TORCH_IN_EVAL])
def test_torch_run_by_an_exec_of_the_answers_is_a_use_not_an_import(source):
    """Only a module that an import runs (importlib's loader executes it) is exempt: code that
    the answer compiles in ``exec`` mode is a ``<module>`` too, and hid its torch calls."""
    with pytest.raises(CheckFailed) as failed:
        check("ch02_clip_by_norm", _define(source))
    assert "your function calls torch (torch.tensor)" in str(failed.value)


def test_only_chapter_15s_port_may_use_a_framework():
    from dlnotes.exercises import exercises

    allowed = {ex.name for ex in exercises() if getattr(ex, "frameworks_allowed", False)}
    assert allowed == {"ch15_torch_port"}  # tests/test_ch15.py checks an honest port passes


# --- the grader: torch is a package of stand-ins in the sandbox --------------------------------


def _graded(answer: str):
    sys.path.insert(0, str(ROOT / "tools" / "grading"))
    try:
        import engine
        import keys
        import sandbox
    finally:
        sys.path.remove(str(ROOT / "tools" / "grading"))
    try:
        sandbox.bwrap()
    except sandbox.SandboxUnavailable as err:
        pytest.skip(f"no sandbox here: {err}")
    book = keys.build([MASTER], seed=1)["notebooks"][MASTER.name]
    (spec,) = [s for s in book["exercises"] if s["name"] == "ch02_clip_by_norm"]
    nb = nbformat.v4.new_notebook()
    answer_cell = nbformat.v4.new_code_cell(textwrap.dedent(answer))
    answer_cell.metadata["nbgrader"] = {"grade_id": spec["solution_id"], "solution": True}
    test_cell = nbformat.v4.new_code_cell("check('ch02_clip_by_norm', clip_by_norm)")
    test_cell.metadata["nbgrader"] = {"grade_id": "ch02_clip_by_norm_test", "grade": True}
    nb.cells = [answer_cell, test_cell]
    (grade,) = engine.grade_notebook(
        nb, {"exercises": [spec], "preamble": book["preamble"]}, sandbox.Limits(), 1e18
    )
    return grade


@pytest.mark.slow
def test_the_grader_gives_nothing_for_an_answer_computed_by_torch():
    grade = _graded(CLIP_WITH_TORCH)
    assert grade.score == 0.0, grade.reasons
    text = " ".join(grade.reasons)
    assert "your function uses torch.tensor: this exercise asks for numpy" in text, text
    assert "withheld while grading" in text


@pytest.mark.slow
def test_the_grader_keeps_the_points_of_an_answer_that_only_imports_torch():
    grade = _graded(CLIP_IMPORTING_TORCH)
    assert grade.score == grade.max_score, grade.reasons


def test_the_stand_in_package_imports_and_refuses_every_use(tmp_path):
    """The stub as the sandbox shows it: ``torch/__init__.py`` in an otherwise empty folder."""
    package = tmp_path / "torch"
    package.mkdir()
    stub = ROOT / "tools" / "grading" / "framework_stub.py"
    (package / "__init__.py").write_text(stub.read_text())
    code = textwrap.dedent(
        """
        import types

        import torch
        import torch.nn.functional as F
        from torch.optim import Adam
        from torch import nn
        uses = {
            "call": lambda: torch.tensor([1.0]),
            "chained": lambda: F.softmax([1.0], 0),
            "class": lambda: Adam([], lr=0.1),
            "subclass": lambda: types.new_class("Net", (nn.Module,)),
            "arithmetic": lambda: torch.pi * 2,
        }
        for name, use in uses.items():
            try:
                use()
            except RuntimeError as err:
                print(name, "refused:", err)
            else:
                print(name, "ran")
        print(hasattr(torch, "__version__"), torch.__path__)
        """
    )
    out = subprocess.run(
        [sys.executable, "-I", "-c", f"import sys; sys.path.insert(0, {str(tmp_path)!r})\n" + code],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert out.returncode == 0, out.stderr
    lines = out.stdout.splitlines()
    assert len(lines) == 6, out.stdout
    for line in lines[:5]:
        assert " refused: " in line and "withheld while grading" in line, line
    assert lines[0].startswith("call refused: torch.tensor: withheld while grading")
    assert lines[1].startswith("chained refused: torch.nn.functional.softmax:")
    assert lines[-1] == "False []"


def test_a_hidden_checks_reason_does_not_show_the_framework_name_the_answer_chose():
    """The name comes from the learner's code (getattr(torch, anything) after seeing the hidden
    inputs), so a hidden check's reason says only that a framework was used."""
    from tests.scripts import load_script

    grade = load_script(Path("tools/grade.py"))
    rest = (
        "(a long gradient): your function uses torch.secret_0_7071: this exercise asks for "
        "numpy, and the frameworks are withheld while grading"
    )
    assert grade._hidden_cause(rest) == (
        ": your function uses a framework: this exercise asks for numpy"
    )
    timed_out = "(x): did not return within 5 s: is there a loop that never ends?"
    assert grade._hidden_cause(timed_out) == (
        ": did not return within 5 s: is there a loop that never ends?"
    )
