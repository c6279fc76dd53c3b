"""The checker's feedback on float32 copies and labels: a registered mistake is still named when
the learner also kept float32 on a float32 input, and the ch01 verdicts are listed in the book's
order when a label is misspelt."""

from __future__ import annotations

import numpy as np
import pytest

from dlnotes.exercises import CheckFailed, check
from tests.test_feedback_ch06_ch08_ch14_ch15 import _differences


def _one_sided_on_a_plain_copy(f, x, h):
    """A one-sided difference on ``x.copy()``: two slips, the copy keeps a float32 x float32."""
    x = x.copy()
    grad = np.zeros(x.shape, dtype=np.float64)
    for i in np.ndindex(x.shape):
        old = x[i]
        x[i] = old + h
        f_plus = f(x)
        x[i] = old
        grad[i] = (f_plus - f(x)) / h
    return grad


def _right_on_a_plain_copy(f, x, h):
    """The two-sided difference, right but on ``x.copy()`` (float32 stays float32)."""
    return _differences(x.copy(), f, h, np.zeros(x.shape, dtype=np.float64))


@pytest.mark.parametrize("suite", ["visible", "hidden"])
def test_a_mistake_made_on_a_float32_copy_is_still_named(suite):
    with pytest.raises(CheckFailed) as failed:
        check("ch08_numerical_gradient", _one_sided_on_a_plain_copy, suite=suite)
    message = str(failed.value)
    assert "Likely mistake: one-sided difference" in message, message
    assert "matches every check without a float32 input" in message, message


@pytest.mark.parametrize("suite", ["visible", "hidden"])
def test_a_right_answer_on_a_float32_copy_gets_no_float32_note_without_a_mistake(suite):
    """Only the float32 check fails: no other mistake is named and the note is not added."""
    with pytest.raises(CheckFailed) as failed:
        check("ch08_numerical_gradient", _right_on_a_plain_copy, suite=suite)
    message = str(failed.value)
    assert "matches every check without a float32 input" not in message, message
    assert "float32" in message and "one-sided" not in message, message


def test_a_misspelt_verdict_lists_the_four_in_the_books_order():
    def diagnose(train_err, dev_err, bayes_err, tol=0.02):
        bias, variance = train_err - bayes_err > tol, dev_err - train_err > tol
        if bias and variance:
            return "high bias and high variance"
        if bias:
            return "high bias"
        if variance:
            return "high varience"
        return "low bias and low variance"

    with pytest.raises(CheckFailed) as failed:
        check("ch01_diagnose", diagnose, suite="hidden")
    message = " ".join(str(failed.value).split())
    assert "'high variance'" in message, message
    positions = [
        message.find(f"'{v}'")
        for v in (
            "high bias",
            "high variance",
            "high bias and high variance",
            "low bias and low variance",
        )
    ]
    assert all(p >= 0 for p in positions) and positions == sorted(positions), message


def test_a_check_that_raises_names_the_earlier_checks_already_wrong():
    """check() stops at the first check that raises; a silently wrong result on an earlier
    check is still said, not hidden behind the error."""
    calls = []

    def logsumexp_backward(x, g):
        calls.append(x.shape)
        if len(calls) == 2:
            raise ValueError("operands could not be broadcast together")
        z = np.exp(x - x.max(axis=1, keepdims=True))
        return 2 * g[:, None] * z / z.sum(axis=1, keepdims=True)  # twice the gradient

    with pytest.raises(CheckFailed) as failed:
        check("ch15_logsumexp_backward", logsumexp_backward)
    message = " ".join(str(failed.value).split())
    assert "check 2 of" in message and "ValueError" in message, message
    assert "before it, check 1 (x of shape" in message, message
    assert "already returned a wrong result without raising: wrong values:" in message


def test_an_error_on_the_first_check_adds_no_earlier_line():
    def logsumexp_backward(x, g):
        raise ValueError("operands could not be broadcast together")

    with pytest.raises(CheckFailed) as failed:
        check("ch15_logsumexp_backward", logsumexp_backward)
    assert "before it" not in str(failed.value)


def test_no_float32_note_where_the_answer_itself_keeps_float32():
    """Dropout's backward keeps float32: a learner's float32 result is right there, so a
    registered mistake that upcasts is not named "with a note on the float32 checks"."""

    def dropout_backward(dout, cache):
        p, mask = cache  # the cache unpacked in the wrong order
        return (dout * mask / (1 - p)).astype(dout.dtype)

    with pytest.raises(CheckFailed) as failed:
        check("ch10_dropout_backward", dropout_backward)
    assert "matches every check without a float32 input" not in str(failed.value)


# -- a kept definition: only the notebook's own top-level def counts --------------------------

_RIGHT = (
    "def adagrad_step(x, grad_sum, g, lr, eps=1e-10):\n"
    "    grad_sum = grad_sum + g * g\n"
    "    return x - lr * g / (np.sqrt(grad_sum) + eps), grad_sum"
)
_CHECK = 'check("ch05_adagrad_step", adagrad_step)'


def _run_cells(*sources: str) -> list[str]:
    """Run the cells in a fresh kernel, as a learner does; what each shows."""
    import nbformat
    from nbclient import NotebookClient

    from tests.notebook_outputs import shown_text

    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(src) for src in sources]
    NotebookClient(nb, timeout=120, allow_errors=True, kernel_name="python3").execute()
    return [" ".join(shown_text(cell.outputs).split()) for cell in nb.cells]


@pytest.mark.slow
def test_a_same_named_function_elsewhere_does_not_make_the_definition_stale():
    """A nested def in a test cell that fails, a def in a string of a cell that raises, a
    decorated definition whose cell raises after it, and a cell that raises after its def:
    none of them left an older definition in place, so the check counts."""
    nested = (
        "def my_test():\n"
        "    def adagrad_step(x, grad_sum, g, lr, eps=1e-10):\n"
        "        return 0\n"
        "    assert False, 'my test failed'\n"
        "my_test()"
    )
    in_string = 'notes = """\ndef adagrad_step(x):\n"""\nraise ValueError("oops")'
    decorator = (
        "import functools\n\n\ndef logged(f):\n"
        "    @functools.wraps(f)\n"
        "    def inner(*a, **k):\n"
        "        return f(*a, **k)\n\n"
        "    return inner"
    )
    decorated = "@logged\n" + _RIGHT + "\n\n\nraise RuntimeError('after the def')"
    said = _run_cells(
        "import numpy as np\nfrom dlnotes.exercises import check",
        _RIGHT,  # In[2]
        nested,  # In[3]
        _CHECK,  # cell 3
        in_string,  # In[5]
        _CHECK,  # cell 5
        decorator,  # In[7]
        decorated,  # In[8]: raises after its def
        _CHECK,  # cell 8
    )
    for k in (3, 5, 8):
        assert said[k].startswith("✓") and "not counted" not in said[k], (k, said[k])
        assert "note:" not in said[k], (k, said[k])


@pytest.mark.slow
def test_a_top_level_def_after_the_error_still_makes_the_definition_stale():
    said = _run_cells(
        "import numpy as np\nfrom dlnotes.exercises import check",
        _RIGHT,  # In[2]
        "if True:\n    eps0 = np.sqrtt(1e-10)\n\n" + _RIGHT,  # In[3]: raises before its def
        _CHECK,
    )
    assert "not counted: cell [3] never reached `def adagrad_step`" in said[3], said[3]


# -- the wording of a few verdicts ---------------------------------------------------------------


def test_a_ratio_that_rounds_to_one_is_shown_as_a_difference():
    import math

    def dev_set_size(p, se):
        return math.ceil(p * (1 - p) / se**2) + 1

    with pytest.raises(CheckFailed) as failed:
        check("ch01_dev_set_size", dev_set_size)
    message = str(failed.value)
    assert "got / expected = 1)" not in message, message
    assert "got − expected = +1)" in message, message


@pytest.mark.parametrize(
    ("said", "meant"),
    [
        ("high bias and variance", "high bias and high variance"),
        ("highvariance", "high variance"),
        ("high_variance", "high variance"),
    ],
)
def test_a_label_with_the_same_words_or_other_separators_is_guessed(said, meant):
    from dlnotes.exercises.ch01 import VERDICTS
    from dlnotes.exercises.diagnose import near_label

    assert near_label(said, VERDICTS)[0] == meant
    assert near_label("bias", VERDICTS) is None  # part of three: no guess


def test_a_guess_that_is_not_what_the_check_expects_says_so():
    def diagnose(train_err, dev_err, bayes_err, tol=0.02):
        return "high bais"  # misspelt, and the same answer everywhere

    with pytest.raises(CheckFailed) as failed:
        check("ch01_diagnose", diagnose, suite="hidden")
    message = " ".join(str(failed.value).split())
    assert "did you mean 'high bias'?" in message, message
    assert "where you returned it, the checks expect" in message, message
    assert "look at the logic that picks the label too" in message, message


def test_only_a_tensor_of_one_number_is_told_to_take_it_out():
    torch = pytest.importorskip("torch")
    from dlnotes.exercises.core import _one_number_fix

    assert "t.item()" in _one_number_fix(0.5, torch.tensor([0.5]))
    assert _one_number_fix(0.5, torch.tensor([0.5, 1.0])) == ""
    assert _one_number_fix(0.5, torch.nn.Linear(2, 1)) == ""
    assert "int(r[0])" in _one_number_fix(3, np.array([3.0]))
    assert "r.item()" not in _one_number_fix(3, np.array([3.0]))
