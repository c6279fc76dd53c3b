"""Feedback fixes in the checker's core from learners who ran the chapters in JupyterLab.

1. a string that is none of the labels a function returns ("high varience" for diagnose's
   "high variance") is told the labels exactly, and the one it probably means; never accepted;
2. a check after the cell that defines the function stopped at a SyntaxError reports that
   error (cell, line, code) and checks nothing: the definition Python kept is not the code the
   learner sees, and must never be called right; one kept by a cell that raised before its
   ``def`` is not counted when it passes;
3. a number expected, an array of shape (1,) or a one-item list got: the message says how to
   return the float (``float(r[0])`` or ``r.item()``); a Python float, ``np.float64``,
   ``np.float32`` and 0-d arrays are all "a float", a float32 one right to float32's precision
   only is told so, and a known mistake is still named through the float32 cast.
"""

from __future__ import annotations

import nbformat
import numpy as np
import pytest

from dlnotes.exercises import CheckFailed, check, exercises, get
from dlnotes.exercises.core import Case, FunctionExercise, _check_function, _compare
from tests.notebook_outputs import shown_text

VERDICTS = (
    "high bias",
    "high variance",
    "high bias and high variance",
    "low bias and low variance",
)


def feedback(name: str | FunctionExercise, answer: object, suite: str = "visible") -> str:
    """The feedback of a failing check, unfolded."""
    with pytest.raises(CheckFailed) as info:
        check(name, answer, suite=suite)
    return str(info.value)


def diagnose_returning(label: str, bias_label: str = "high bias"):
    """A right diagnose but for the string it returns for high variance alone (and, with
    ``bias_label``, for high bias alone)."""

    def diagnose(train_err, dev_err, bayes_err, tol=0.02):
        high_bias = train_err - bayes_err > tol
        high_variance = dev_err - train_err > tol
        if high_bias and high_variance:
            return "high bias and high variance"
        if high_bias:
            return bias_label
        if high_variance:
            return label
        return "low bias and low variance"

    return diagnose


# -- 1. a label that is none of the answers ----------------------------------------------------


@pytest.mark.parametrize("suite", ["visible", "hidden"])
@pytest.mark.parametrize(
    ("label", "how"),
    [
        ("high varience", "Yours has one letter wrong"),
        ("High Variance ", "Yours differs only in capitals and spaces"),
        ("high variance ", "Yours differs only in the spaces around it"),
        ("high  variance", "Yours differs only in its spaces"),
        ("High Variance", "Yours differs only in capitals"),
        ("high varance", "Yours misses a letter"),
        ("high vairance", "Yours has two letters swapped"),
        ("High Varience", "Yours has one letter wrong, and in capitals or spaces"),
    ],
)
def test_a_misspelt_label_is_told_the_labels_and_the_one_it_means(label, how, suite):
    message = feedback("ch01_diagnose", diagnose_returning(label), suite)
    assert f"Likely mistake: a misspelt answer — your function returned {label!r}" in message
    assert "which is not one of the 4 strings diagnose returns" in message, message
    assert all(repr(v) in message for v in VERDICTS), message  # each label, exactly
    assert f"did you mean 'high variance'? {how}: return it exactly as written" in message
    assert f"expected 'high variance', got {label!r}" in message  # the check's own line stays


def test_a_label_near_none_of_the_answers_gets_the_list_without_a_guess():
    message = feedback("ch01_diagnose", diagnose_returning("large gap"))
    assert "Likely mistake: not one of the answers — your function returned 'large gap'" in (
        message
    )
    assert all(repr(v) in message for v in VERDICTS), message
    assert "return one of them exactly as written" in message and "did you mean" not in message


def test_a_label_that_is_a_part_of_one_is_not_guessed():
    """ "bias" is part of three labels: no guess, the list."""
    message = feedback("ch01_diagnose", diagnose_returning("bias"))
    assert "your function returned 'bias', which is not one of the 4 strings" in message
    assert "did you mean" not in message


def test_two_misspelt_labels_are_both_named():
    message = feedback("ch01_diagnose", diagnose_returning("high varience", "High Bias"))
    assert "are not among the 4 strings diagnose returns" in message, message
    assert "returned 'high varience' and 'High Bias'" in message or (
        "returned 'High Bias' and 'high varience'" in message
    ), message
    assert "'high variance' for 'high varience' (yours has one letter wrong)" in message
    assert "'high bias' for 'High Bias' (yours differs only in capitals)" in message


def test_a_wrong_label_that_is_one_of_them_gets_no_label_note():
    """A wrong verdict that is one of the labels is a wrong verdict, nothing else."""
    message = feedback("ch01_diagnose", diagnose_returning("high bias"))
    assert "expected 'high variance', got 'high bias'" in message
    assert "not one of the" not in message and "misspelt" not in message


def test_a_misspelt_label_is_never_accepted():
    for label in ("high varience", "High Variance", "high variance "):
        ok, _ = _check_function(get("ch01_diagnose"), diagnose_returning(label), "hidden", 5.0)
        assert not ok


def test_declared_labels_are_listed_in_their_order():
    """An exercise may declare its labels (then every one is listed, even one no check of
    the suite expects); they must be strings."""

    def verdict(x):
        return "small" if x < 1 else "large"

    ex = FunctionExercise(
        name="ch99_verdict",
        chapter="99",
        title="A verdict",
        signature="verdict(x) -> str",
        hint="",
        solution=verdict,
        suites={
            "visible": lambda: [Case("x = 0.5", (0.5,)), Case("x = 2", (2.0,))],
            "hidden": lambda: [Case("x = 3", (3.0,))],
        },
        labels=("small", "medium", "large"),
    )

    def mine(x):
        return "Small" if x < 1 else "large"

    message = feedback(ex, mine)
    assert "the 3 strings verdict returns ('small', 'medium' or 'large')" in message, message
    assert "did you mean 'small'? Yours differs only in capitals" in message
    with pytest.raises(ValueError, match="labels must be strings"):
        FunctionExercise(**{**ex.__dict__, "labels": ("small", 1)})


def test_declared_labels_hold_every_answer_of_the_reference():
    for ex in exercises():
        if ex.kind == "function" and ex.labels:
            for suite in ("visible", "hidden"):
                for case in ex.cases(suite):
                    assert ex.solution(*case.args, **dict(case.kwargs)) in ex.labels, ex.name


def test_a_near_miss_is_guessed_only_when_one_label_is_that_near():
    from dlnotes.exercises.diagnose import near_label

    assert near_label("high varience", VERDICTS) == ("high variance", "has one letter wrong")
    assert near_label("A ", ("A", "B")) == ("A", "differs only in the spaces around it")
    assert near_label("C", ("A", "B")) is None  # one letter from both, and too short to guess
    assert near_label("cat", ("bat", "dog")) is None  # too short to guess a letter
    assert near_label("cat", ("cats", "dog")) == ("cats", "misses a letter")
    assert near_label("lr_too_hig", ("lr_too_high", "lr_too_low")) == (
        "lr_too_high",
        "misses a letter",
    )
    assert near_label("lr_too_lo", ("lr_too_low", "lr_too_lot")) is None  # two as near


# -- 2. a definition kept by a SyntaxError is not checked --------------------------------------

RIGHT = (
    "def adagrad_step(x, grad_sum, g, lr, eps=1e-10):\n"
    "    grad_sum = grad_sum + g * g\n"
    "    return x - lr * g / (np.sqrt(grad_sum) + eps), grad_sum"
)
CHECK = 'check("ch05_adagrad_step", adagrad_step)'


def run_cells(*sources: str) -> list[str]:
    """Run the cells in a fresh kernel, as a learner does; what each shows, whitespace
    collapsed."""
    from nbclient import NotebookClient

    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(src) for src in sources]
    NotebookClient(nb, timeout=120, allow_errors=True, kernel_name="python3").execute()
    return [shown_text(cell.outputs) for cell in nb.cells]


def test_a_right_definition_kept_by_a_syntax_error_is_not_checked():
    broken = RIGHT.replace("return x - lr * g / (np.sqrt(grad_sum) + eps), grad_sum", "return (x")
    said = run_cells(
        "import numpy as np\nfrom dlnotes.exercises import check",
        RIGHT,  # In[2]: right
        CHECK,
        broken,  # In[4]: a SyntaxError on line 3
        CHECK,
        CHECK,
        RIGHT,
        CHECK,
    )
    assert said[2].startswith("✓") and "note:" not in said[2]
    assert "SyntaxError" in said[3]
    for k in (4, 5):  # every check until the cell is run again
        assert "✓" not in said[k] and "CheckFailed" in said[k], said[k]
        assert (
            "ch05_adagrad_step: not checked: cell [4] has a SyntaxError at line 3. None of that "
            "cell ran, so it defined no new adagrad_step:"
        ) in said[k], said[k]
        assert "line 3: `return (x`" in said[k], said[k]
        assert "SyntaxError: '(' was never closed" in said[k], said[k]
        assert "kept the adagrad_step defined before it (cell [2])" in said[k]
        assert "checking that one again would tell you nothing new" in said[k]
        assert "checks passed" not in said[k]  # nothing was run
    assert said[7].startswith("✓") and "note:" not in said[7], said[7]


def test_a_right_definition_kept_by_an_error_before_the_def_is_not_counted():
    said = run_cells(
        "import numpy as np\nfrom dlnotes.exercises import check",
        RIGHT,  # In[2]
        "eps0 = np.sqrtt(1e-10)\n\n" + RIGHT,  # In[3]: raises before its def
        CHECK,
    )
    assert "✓" not in said[3] and "CheckFailed" in said[3], said[3]
    assert "raised AttributeError" in said[3] and "kept the adagrad_step" in said[3]
    assert (
        "ch05_adagrad_step: not counted: cell [3] never reached `def adagrad_step`. The "
        "adagrad_step kept from cell [2] passed (all 5 checks passed), but the code in "
        "cell [3] has not been checked yet."
    ) in said[3], said[3]


# -- 3. one number: which float, and how to return it ------------------------------------------

FLOAT_EXERCISES = [
    e.name for e in exercises() if e.kind == "function" and e.signature.endswith("-> float")
]


def as_learner(ex_name: str, wrap):
    """The reference's result through ``wrap`` (checked without the integrity check, which
    refuses a call of the reference)."""
    solution = get(ex_name).solution

    def answer(*args, **kwargs):
        return wrap(solution(*args, **kwargs))

    answer.__name__ = solution.__name__
    return answer


def verdict(ex_name: str, wrap) -> tuple[bool, str]:
    ok, message = _check_function(get(ex_name), as_learner(ex_name, wrap), "visible", 5.0, False)
    return ok, " ".join(message.split())


def test_the_float_exercises_are_found():
    assert {"ch02_max_stable_lr", "ch06_step_decay", "ch06_cosine_lr"} <= set(FLOAT_EXERCISES)


@pytest.mark.parametrize("name", FLOAT_EXERCISES)
@pytest.mark.parametrize(
    "wrap",
    [float, np.float64, lambda v: np.array(v), lambda v: np.array(v, dtype=np.float64)],
    ids=["float", "np.float64", "0-d array", "0-d float64 array"],
)
def test_every_float64_number_is_a_float(name, wrap):
    ok, message = verdict(name, wrap)
    assert ok, message


@pytest.mark.parametrize("name", FLOAT_EXERCISES)
@pytest.mark.parametrize(
    "wrap", [np.float32, lambda v: np.array(v, dtype=np.float32)], ids=["np.float32", "0-d"]
)
def test_a_float32_number_passes_or_is_told_its_precision(name, wrap):
    """np.float32 and its 0-d array are the same number: both pass where the exercise's
    tolerance allows float32's 7 digits, else both are told that, not "wrong value"."""
    ok, message = verdict(name, wrap)
    if name == "ch08_relative_error":  # rtol 1e-9: float32's 7 digits are too few
        assert not ok
    if not ok:
        assert "right to float32 precision only" in message, message
        assert "Compute in float64, numpy's default" in message
        assert "wrong value" not in message


def test_a_known_mistake_is_named_through_a_float32_cast():
    ex = get("ch08_relative_error")
    squared = ex.mistake("squared norms").wrong

    def relative_error(a, b):
        return np.float32(squared(a, b))

    ok, message = _check_function(ex, relative_error, "visible", 5.0)
    assert not ok and "Likely mistake: squared norms" in message, message


@pytest.mark.parametrize("name", ["ch02_max_stable_lr", "ch06_cosine_lr", "ch08_relative_error"])
def test_an_array_of_one_number_is_told_how_to_return_the_float(name):
    ok, message = verdict(name, lambda v: np.array([v]))
    assert not ok
    assert (
        "expected a single number, got an array of shape (1,) holding one: return a float, "
        "e.g. float(r[0]) or r.item(), where r is that array"
    ) in message, message
    ok, message = verdict(name, lambda v: np.array([[v]]))
    assert "got an array of shape (1, 1) holding one: return a float, e.g. r.item()" in message


@pytest.mark.parametrize("box", [list, tuple])
def test_a_list_of_one_number_is_told_how_to_return_the_float(box):
    ok, message = verdict("ch02_max_stable_lr", lambda v: box([v]))
    what = box.__name__
    assert not ok
    assert (
        f"a {what} holding one: return a float, e.g. float(r[0]), where r is that {what}"
    ) in message, message


def test_an_integer_expected_is_told_to_return_an_integer():
    problem = _compare(3, np.array([3]), 1e-7, 1e-10)
    assert problem is not None
    assert "return an integer, e.g. int(r[0]) or r.item()" in problem[1][0]


def test_what_fails_still_fails_for_the_grader():
    """The grader compares with the same function: new wording, the same verdicts."""
    for expected, got in [
        (0.5, np.array([0.5])),
        (0.5, [0.5]),
        (0.5, (0.5,)),
        (0.1 + 1e-9, np.float32(0.1 + 1e-9) * np.float32(1.0000001)),
    ]:
        assert _compare(expected, got, 1e-9, 1e-15) is not None
    for got in (0.5, np.float64(0.5), np.float32(0.5), np.array(0.5), np.array(0.5, np.float32)):
        assert _compare(0.5, got, 1e-9, 1e-15) is None
