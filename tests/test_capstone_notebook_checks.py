"""The notebook's own checks of the capstone give no ✓ to what the graded run scores zero.

* A value answer (``check("ch16_diagnose_runs", diagnosis)``) kept from an older run, because
  the last run of the cell that assigns it stopped at a SyntaxError or raised before the
  assignment, is not checked or not counted, as a kept function is (every value exercise).
* Part 2's ``model_check`` fails when the notebook's ``train_best_model`` is such a kept
  function, or when its code loads the model zoo (the graded run has no zoo weights), and
  warns about the grader's flags it can compute (a layer too wide, code too long).
* Part 1's count of right runs says it earns no points unless all are right.

The fast tests stand in for IPython 7 (Colab's), which names each cell's file
``<ipython-input-N-hash>`` in linecache; one slow test runs a real kernel (IPython 8+)."""

from __future__ import annotations

import json
import linecache
import types
from pathlib import Path
from typing import Any

import pytest

from dlnotes.capstone import model_check
from dlnotes.exercises import ch16, check, core, exercises
from dlnotes.exercises.core import ValueExercise
from dlnotes.exercises.verdict import CheckFailed

ROOT = Path(__file__).resolve().parents[1]
GOOD = "diagnosis = " + repr(ch16._solution())
BAD_SYNTAX = GOOD[:-1] + ",, }"  # the learner's slip: a doubled comma
BAD_NAME = GOOD.replace("'lr_too_low'", "lr_too_low")  # a NameError on that line
CHECK = 'check("ch16_diagnose_runs", diagnosis)'


class Kernel:
    """A stand-in for IPython 7: each cell run is kept in linecache under its numbered file
    name, run in one namespace, and a cell that raises is recorded as the kernel's
    ``post_run_cell`` hook records it."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        import IPython

        self.ns: dict[str, Any] = {"check": check, "__name__": "__main__"}
        self.monkeypatch = monkeypatch
        shell = types.SimpleNamespace(
            compile=types.SimpleNamespace(cache=lambda *a: None), user_ns=self.ns
        )
        monkeypatch.setattr(IPython, "get_ipython", lambda: shell)
        self.count = 0
        self.files: dict[int, str] = {}

    def run(self, code: str) -> str:
        """Run ``code`` as the next cell; what a failure said (``""``: none)."""
        self.count += 1
        name = f"<ipython-input-{self.count}-{self.count:012x}>"
        lines = (code + "\n").splitlines(keepends=True)
        self.monkeypatch.setitem(linecache.cache, name, (len(code), None, lines, name))
        self.files[self.count] = name
        try:
            compiled = compile(code, name, "exec", dont_inherit=True)
        except SyntaxError as err:
            return f"SyntaxError: {err}"
        try:
            exec(compiled, self.ns)
        except Exception as err:
            self.monkeypatch.setitem(core._FAILED_CELLS, self.count, ("", None))
            core._record_failed_cell(
                types.SimpleNamespace(error_in_exec=err, execution_count=self.count)
            )
            return f"{type(err).__name__}: {err}"
        return ""


@pytest.fixture
def kernel(monkeypatch: pytest.MonkeyPatch) -> Kernel:
    return Kernel(monkeypatch)


# 1. a value answer kept by a cell that did not assign it


def test_a_value_kept_by_a_syntax_error_is_not_checked(kernel, capsys) -> None:
    assert kernel.run(GOOD) == ""
    assert kernel.run(CHECK) == ""
    assert capsys.readouterr().out.startswith("✓ ch16_diagnose_runs")
    assert kernel.run(BAD_SYNTAX).startswith("SyntaxError")
    for _ in range(2):  # every check until the cell runs again
        said = kernel.run(CHECK)
        assert "✓" not in said and "CheckFailed" in said, said
        assert (
            "ch16_diagnose_runs: not checked: cell [3] has a SyntaxError at line 1. None of that "
            "cell ran, so it assigned no new value to diagnosis:"
        ) in said, said
        assert "the cell that assigns diagnosis (cell [3]) stopped there" in said, said
        assert "diagnosis still holds its older value (from cell [1])" in said, said
        assert "Fix the syntax error, run that cell, then run this check again." in said
    assert kernel.run(GOOD) == "" and kernel.run(CHECK) == ""
    assert capsys.readouterr().out.startswith("✓ ch16_diagnose_runs")


def test_a_value_kept_by_an_error_in_its_assignment_is_not_counted(kernel, capsys) -> None:
    kernel.run(GOOD)
    kernel.run(CHECK)
    assert kernel.run(BAD_NAME).startswith("NameError")
    said = kernel.run(CHECK)
    assert "✓" not in said and "CheckFailed" in said, said
    assert (
        "note: your last run of the cell that assigns diagnosis (cell [3]) raised NameError "
        "(name 'lr_too_low' is not defined) before diagnosis was assigned, so diagnosis still "
        "holds its older value (from cell [1])"
    ) in said, said
    assert "run that cell again until it runs without error" in said, said
    assert "ch16_diagnose_runs: not counted: cell [3] never assigned `diagnosis`" in said, said
    assert "(all 7 runs diagnosed, causes and fixes right)" in said, said


def test_an_error_after_the_assignment_keeps_the_check(kernel, capsys) -> None:
    kernel.run(GOOD)
    assert kernel.run(GOOD + "\nprint(diagnosis['Z'])").startswith("KeyError")
    assert kernel.run(CHECK) == ""
    out = capsys.readouterr().out
    assert out.startswith("✓ ch16_diagnose_runs") and "note:" not in out, out


def test_a_cell_that_assigns_and_checks_is_checked_as_usual(kernel, capsys) -> None:
    kernel.run(GOOD)
    kernel.run(BAD_SYNTAX)
    assert kernel.run(GOOD + "\n" + CHECK) == ""
    assert capsys.readouterr().out.startswith("✓ ch16_diagnose_runs")


def test_only_a_plain_name_is_followed(kernel, capsys) -> None:
    kernel.run(GOOD)
    kernel.run(BAD_SYNTAX)
    assert kernel.run('check("ch16_diagnose_runs", dict(diagnosis))') == ""
    assert capsys.readouterr().out.startswith("✓ ch16_diagnose_runs")
    said = kernel.run('check(answer=diagnosis, exercise="ch16_diagnose_runs")')
    assert "not checked: cell [2] has a SyntaxError" in said, said


@pytest.mark.parametrize(
    "exercise", [e for e in exercises() if isinstance(e, ValueExercise)], ids=lambda e: e.name
)
def test_every_value_exercise_reads_the_cell_that_assigns_its_answer(kernel, exercise) -> None:
    name = core._answer_variable(exercise)
    kernel.run(f"{name} = None")
    kernel.run(f"{name} = (1,\n")
    said = kernel.run(f'check("{exercise.name}", {name})')
    assert f"{exercise.name}: not checked: cell [2] has a SyntaxError" in said, said
    assert f"so it assigned no new value to {name}" in said, said


@pytest.mark.slow  # a kernel
def test_a_real_kernel_keeps_no_pass_for_a_kept_value() -> None:
    from tests.test_feedback_labels_syntax_floats import run_cells

    said = run_cells(
        "from dlnotes.exercises import check", GOOD, CHECK, BAD_SYNTAX, CHECK, BAD_NAME, CHECK
    )
    assert said[2].startswith("✓ ch16_diagnose_runs"), said[2]
    assert "not checked: cell [4] has a SyntaxError at line 1" in said[4], said[4]
    assert "still holds its older value (from cell [2])" in said[4], said[4]
    assert "not counted: cell [6] never assigned" in said[6], said[6]


# 2. and 3. part 2: a kept train_best_model, the model zoo

TRAIN = """def train_best_model(data, budget):
    model = mlp([784, 64, 10], seed=0)
    fit(model, data["X_train"], data["y_train"], optimizer=AdamW(model.params, lr=2e-3),
        epochs=3, callbacks=[budget], progress=False)
    return model"""
IMPORTS = (
    "from dlnotes.model import mlp\nfrom dlnotes.optim import AdamW\nfrom dlnotes.train import fit"
)


@pytest.fixture(scope="module")
def trained() -> Any:
    """A model that beats the baseline on dev (the zoo's, as the notebook's check sees it)."""
    from dlnotes import zoo

    return zoo.load("fashion10_mlp")


def _model_check(model: Any, message: str = "returned a model after 1.0 s") -> str:
    try:
        model_check(model, message)
    except CheckFailed as err:
        return str(err)
    return ""


def test_a_model_trained_by_a_kept_function_is_not_counted(kernel, trained, capsys) -> None:
    kernel.run(IMPORTS)
    kernel.run(TRAIN)
    assert _model_check(trained) == ""
    assert capsys.readouterr().out.startswith("✓ ch16_train_best_model")
    assert kernel.run(TRAIN.replace("epochs=3,", "epochs=3,,")).startswith("SyntaxError")
    said = _model_check(trained)
    assert said.startswith(
        "ch16_train_best_model: not counted: the last run of your train_best_model cell "
        "(cell [3]) has a SyntaxError at line 4 (invalid syntax), so none of it ran. The model "
        "above was trained by the train_best_model kept from cell [2], which the graded run "
        "will not have"
    ), said
    assert "0 points" in said and "then run the training cell and this one again" in said
    assert kernel.run("x = not_defined\n" + TRAIN).startswith("NameError")
    said = _model_check(trained)
    assert "(cell [4]) raised NameError (name 'not_defined' is not defined) before it " in said
    assert "kept from cell [2]" in said, said
    kernel.run(TRAIN)
    assert _model_check(trained) == ""


def test_a_train_best_model_that_loads_the_zoo_is_not_counted(kernel, trained, capsys) -> None:
    kernel.run(IMPORTS)
    kernel.run("from dlnotes import zoo")
    kernel.run(TRAIN.replace("mlp([784, 64, 10], seed=0)", 'zoo.load("fashion10_mlp")'))
    said = _model_check(trained)
    assert said.startswith(
        "ch16_train_best_model: not counted: your train_best_model code uses the model zoo "
        "(calls zoo.load; names 'fashion10_mlp'). That works here, but the graded run "
        "withholds the zoo's weights, so loading one fails there and the run scores 0 points"
    ), said


def test_an_import_of_the_zoo_alone_is_a_review_warning(kernel, trained, capsys) -> None:
    kernel.run(IMPORTS + "\nfrom dlnotes.zoo import load")
    kernel.run(TRAIN)
    assert _model_check(trained) == ""
    out, err = capsys.readouterr()
    assert out.startswith("✓ ch16_train_best_model"), out
    assert "⚠ REVIEW: the grader will flag this run" in err, err
    assert "the part-2 code uses the model zoo (imports dlnotes.zoo.load)" in err, err


# 4. the grader's flags the notebook can compute


def test_code_over_the_size_limit_is_warned_about(kernel, trained, capsys) -> None:
    kernel.run(IMPORTS)
    kernel.run(TRAIN + "\n\nPIXELS = " + repr("0" * 120_000))
    assert _model_check(trained) == ""
    err = " ".join(capsys.readouterr().err.split())  # folded at 88 columns
    assert "⚠ REVIEW: the grader will flag this run for your instructor's review:" in err
    assert "the part-2 code (answer cell and import cells) is 120 kB, more than 100 kB" in err
    assert "These are the grader's own flags: change train_best_model" in err, err


def test_a_layer_too_wide_is_warned_about(capsys) -> None:
    from dlnotes.model import mlp

    said = _model_check(mlp([784, 6001, 10], seed=0))  # outside a notebook too
    assert "⚠ REVIEW: the grader will flag this run" in said, said
    assert "a layer 6001 units wide, more than the 6000 training and dev images" in said


def test_a_review_note_of_the_run_and_a_flag_are_both_warned_about(trained, capsys) -> None:
    from dlnotes.layers import Linear
    from dlnotes.model import Sequential

    wide = Sequential(Linear(784, 6001), Linear(6001, 10))
    said = _model_check(wide, "returned a model; REVIEW: an epoch began late.")
    assert "  an epoch began late.\n  a layer 6001 units wide" in said, said
    assert "As it stands the run breaks the budget rules above" in said, said


# 5. part 1's count earns no points


def test_a_partial_diagnosis_says_it_earns_no_points() -> None:
    answer = {**ch16._solution(), "B": ("lr_too_high", "lower_lr")}
    with pytest.raises(CheckFailed) as failed:
        check("ch16_diagnose_runs", answer)
    first = str(failed.value).splitlines()[0]
    assert first.startswith("ch16_diagnose_runs: 6 of 7 runs diagnosed right (cause and fix)")
    assert first.endswith(
        ". That earns 0 of 7 points: the points come only when all 7 runs are right"
    ), first
    with pytest.raises(CheckFailed) as failed:  # an answer not read as a diagnosis: no count
        check("ch16_diagnose_runs", {"A": 1})
    assert "points" not in str(failed.value).splitlines()[0]


def test_the_points_said_are_the_graded_cells() -> None:
    nb = json.loads((ROOT / "notebooks" / "16_capstone.ipynb").read_text(encoding="utf-8"))
    points = [
        c["metadata"]["nbgrader"]["points"]
        for c in nb["cells"]
        if c["metadata"].get("nbgrader", {}).get("grade_id", "").startswith("ch16_diagnose_runs")
        and c["metadata"]["nbgrader"].get("grade")
    ]
    assert sum(points) == ch16.POINTS == 7
