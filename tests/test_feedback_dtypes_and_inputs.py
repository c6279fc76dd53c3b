"""The checker's feedback on dtypes, parameter order and inputs (met in chapters 06 to 10).

1. a dtype diagnosis reads the arrays inside a list argument (float32 parameters set the
   dtype), and never calls float32 numpy's default;
2. parameters in another order are noted on a wrong value too, not only on an exception;
3. the note about a definition kept by a SyntaxError stays on every check, not the first only;
4. small inputs are shown whole, and a wrong entry with the inputs' entries at its index;
5. the largest difference is called finite when some differing entries are inf or nan;
11. a negative zero prints as 0, and strings among the inputs are quoted.
"""

from __future__ import annotations

import re

import nbformat
import numpy as np
import pytest

from dlnotes.exercises import CheckFailed, check
from dlnotes.exercises.core import _describe, _fmt, _fmt_pair
from dlnotes.exercises.verdict import FEEDBACK_WIDTH, fold
from tests.notebook_outputs import shown_text


def feedback(name: str, answer: object) -> str:
    """The feedback of a failing check, unfolded (``str`` of the CheckFailed)."""
    with pytest.raises(CheckFailed) as info:
        check(name, answer)
    return str(info.value)


def shown(name: str, answer: object) -> str:
    """The feedback of a failing check as IPython shows it: folded to the page's width."""
    with pytest.raises(CheckFailed) as info:
        check(name, answer)
    return info.value._render_traceback_()[1]


# -- 1. the dtype of arrays inside a list ------------------------------------------------------


def test_float32_parameters_in_a_list_set_the_dtype_of_the_gradients():
    def l2_penalty_and_grad(params, lam):
        pen = sum(0.5 * lam * np.sum(p**2) for p in params if p.ndim == 2)
        return pen, [lam * p if p.ndim == 2 else np.zeros(p.shape) for p in params]

    message = feedback("ch09_l2_penalty_and_grad", l2_penalty_and_grad)
    assert "right values, wrong dtype" in message, message
    assert "keep the inputs' dtype float32" in message and "np.zeros_like" in message, message
    assert "no input array sets the dtype" not in message
    assert "default np.float32" not in message


@pytest.mark.parametrize("expected", ["float16", "float32", "float64", "int64"])
@pytest.mark.parametrize("inputs", [set(), {"float32"}, {"float64"}])
def test_dtype_advice_never_calls_another_dtype_numpys_default(expected, inputs):
    from dlnotes.exercises.diagnose import _dtype_advice

    advice = _dtype_advice(np.dtype(expected), np.dtype("float64"), {np.dtype(d) for d in inputs})
    assert not re.search(r"default (?!(np\.)?float64)", advice), advice  # float64 it is
    assert f"np.{expected}" in advice or f"dtype {expected}" in advice, advice
    if expected in inputs:
        assert "keep the inputs' dtype" in advice
    else:
        assert "keep the inputs' dtype" not in advice


# -- 2. arguments in another order, on a wrong value ------------------------------------------


def test_parameters_in_another_order_are_noted_on_a_wrong_value():
    def step_decay(lr0, step, step_size, gamma):
        return lr0 * gamma ** (step // step_size)

    message = feedback("ch06_step_decay", step_decay)
    assert "wrong value: expected 0.507, got 0" in message, message
    assert (
        "Note: your function takes (lr0, step, step_size, gamma), but the checks pass the "
        "arguments in the order (step, lr0, step_size, gamma)"
    ) in message, message


def test_other_parameter_names_alone_get_no_order_note():
    def step_decay(s, lr, size, g):
        return lr * g ** (s / size)

    def step_decay_one_renamed(step, lr, step_size, gamma):  # 'lr' for lr0: not a permutation
        return lr * gamma ** (step / step_size)

    for answer in (step_decay, step_decay_one_renamed):
        message = feedback("ch06_step_decay", answer)
        assert "wrong value" in message and "Note:" not in message, message


# -- 3. the SyntaxError note, on every check ---------------------------------------------------


def test_the_syntax_error_note_stays_until_the_function_is_defined_again():
    """The first failed check replaces sys.last_exc (the SyntaxError) with its CheckFailed: the
    note must not depend on it, and must go once the cell is run again without the error."""
    from nbclient import NotebookClient

    wrong = (
        "def step_decay(step, lr0, step_size, gamma):\n    return lr0 * gamma ** (step / step_size)"
    )
    right = wrong.replace("(step / step_size)", "(step // step_size)")
    check_cell = 'check("ch06_step_decay", step_decay)'
    nb = nbformat.v4.new_notebook()
    nb.cells = [
        nbformat.v4.new_code_cell("from dlnotes.exercises import check"),
        nbformat.v4.new_code_cell(wrong),  # In[2]
        nbformat.v4.new_code_cell(check_cell),
        nbformat.v4.new_code_cell(right.replace("// step_size)", "// step_size")),  # In[4]
        nbformat.v4.new_code_cell(check_cell),
        nbformat.v4.new_code_cell(check_cell),
        nbformat.v4.new_code_cell("1 + 1"),
        nbformat.v4.new_code_cell(check_cell),
        nbformat.v4.new_code_cell(right),
        nbformat.v4.new_code_cell(check_cell),
    ]
    NotebookClient(nb, timeout=120, allow_errors=True, kernel_name="python3").execute()

    def said(k: int) -> str:
        return shown_text(nb.cells[k].outputs)

    assert "note:" not in said(2) and "CheckFailed" in said(2)
    assert "SyntaxError" in said(3)
    for k in (4, 5, 7):  # the second and third checks keep the note
        note = "note: your last run of the cell that defines step_decay (cell [4])"
        assert note in said(k), said(k)
        assert "kept the step_decay defined before it (cell [2])" in said(k), said(k)
    assert said(9).startswith("✓") and "note:" not in said(9)


# -- 4. inputs shown whole, and at a wrong entry's index ---------------------------------------


def test_a_small_input_array_is_shown_whole():
    def early_stopping_epoch(dev_losses, patience):
        best, best_epoch, wait = np.inf, 0, 0
        for epoch, loss in enumerate(dev_losses, start=1):
            if loss <= best:
                best, best_epoch, wait = loss, epoch, 0
            else:
                wait += 1
                if wait >= patience:
                    return epoch, best_epoch
        return len(dev_losses), best_epoch

    message = feedback("ch09_early_stopping_epoch", early_stopping_epoch)
    assert (
        "dev_losses = [0.6307, 0.4225, 0.4225, 0.4225, 0.4295, 0.4919, 0.4086, 0.5613] "
        "(float64, shape (8,))"
    ) in message, message
    assert "..." not in message


def test_inputs_are_whole_up_to_a_size_and_summarized_beyond():
    assert "..." not in _describe(np.arange(20.0))
    assert "..." in _describe(np.arange(21.0))
    assert "..." not in _describe(np.arange(40.0).reshape(4, 10))
    assert "\n" not in _describe(np.arange(40.0).reshape(4, 10))
    assert "..." in _describe(np.arange(42.0).reshape(6, 7))
    assert _describe([0.5, 0.25, 0.125, 1.0, 2.0, 3.0, 4.0, 5.0]) == (
        "[0.5, 0.25, 0.125, 1, 2, 3, 4, 5]"
    )


def test_a_wrong_entry_is_shown_with_the_inputs_entries_at_its_index():
    def l1_prox_step(w, g, lr, lam):
        z = w - lr * g
        return np.sign(z) * np.maximum(np.abs(z) - lam, 0)

    message = feedback("ch09_l1_prox_step", l1_prox_step)
    assert "at (3,): expected -0.360865, got 0, where w = -0.869712, g = -0.217694" in message
    rows = shown("ch09_l1_prox_step", l1_prox_step).splitlines()
    assert max(len(row) for row in rows) <= FEEDBACK_WIDTH, rows


def test_an_entry_of_a_2d_result_names_the_inputs_of_its_shape_only():
    def dropout_forward(X, p, mode, u):
        if mode == "train":
            return X * (u >= p) / p
        return X.copy()

    message = feedback("ch10_dropout_forward", dropout_forward)
    assert "at (0, 0): expected -2.06875, got -8.275, where X = -1.655, u = 0.517834" in message
    at = [row for row in message.splitlines() if row.strip().startswith("at (")]
    assert len(at) == 3 and all("p =" not in row for row in at)  # a scalar has no entries


# -- 5. the largest finite difference ----------------------------------------------------------


def test_the_largest_difference_is_called_finite_beside_inf_entries():
    def dropout_forward(X, p, mode, u):
        out = X * (u >= p) / (1 - p) if mode == "train" else X.copy()
        out = out * 1.5
        out.flat[:2] = np.inf
        return out

    message = feedback("ch10_dropout_forward", dropout_forward)
    assert (
        "20 of 24 entries differ, the first at index (0, 0); 2 of them are inf or nan, the "
        "largest finite |difference| is 1.74 at (2, 5)"
    ) in message, message
    assert "got inf" in message


# -- 11. negative zero, quoted strings ---------------------------------------------------------


def test_a_negative_zero_is_printed_as_zero():
    assert _fmt(-0.0) == "0" and _fmt(np.float32(-0.0)) == "0"
    assert _fmt_pair(-0.36, -0.0) == ("-0.36", "0")
    assert "-0." not in _describe(np.array([-0.0, 1.5]))
    assert "-0," not in fold("x = " + _describe(np.array([0.0, -0.0])))


def test_string_inputs_are_quoted():
    def dropout_forward(X, p, mode, u):
        if mode == "train":
            return X * (u >= p) / p
        return X.copy()

    message = feedback("ch10_dropout_forward", dropout_forward)
    assert "mode = 'train'" in message and "mode = train" not in message
    assert _describe(("a", 1)) == "('a', 1)"
