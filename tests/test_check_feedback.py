"""How a failing check() meets the learner: a CheckFailed (an AssertionError) whose feedback shows
without dlnotes' traceback frames in a kernel, no Markdown asterisks, guidance for an unanswered
challenge, and in Colab a printed verdict so that "Run all" goes on."""

from __future__ import annotations

import re
import sys

import nbformat
import numpy as np
import pytest

from dlnotes.exercises import CheckFailed, check, exercises, get, hint
from dlnotes.exercises.ch05 import _adam_no_bias_correction
from dlnotes.exercises.core import _plain
from dlnotes.exercises.verdict import FEEDBACK_WIDTH, fold
from tests.notebook_outputs import shown_text

EMPHASIS = re.compile(r"(?<![\w*])(\*{1,2})(?=\S)([^*\n]+?)(?<=\S)\1(?![\w*])")


def test_plain_removes_emphasis_but_not_powers_or_products():
    assert _plain("3.2 times *larger* and **not** this") == "3.2 times larger and not this"
    assert _plain("1 − β1**t, beta**t, a * b * c, x*y*z") == "1 − β1**t, beta**t, a * b * c, x*y*z"


def test_feedback_prints_no_markdown_asterisks():
    with pytest.raises(CheckFailed) as info:
        check("ch05_adam_step", _adam_no_bias_correction)
    message = str(info.value)
    assert "3.2 times larger than Adam's" in message and "no bias correction" in message
    assert not EMPHASIS.search(message), message
    for ex in exercises():
        assert not EMPHASIS.search(hint(ex.name)), ex.name


def test_failure_is_an_assertion_error_without_context():
    with pytest.raises(AssertionError) as info:
        check("ch05_adam_step", _adam_no_bias_correction)
    assert isinstance(info.value, CheckFailed)
    assert info.value.__cause__ is None and info.value.__suppress_context__


@pytest.mark.parametrize("name", ["ch02_lr_challenge", "ch04_momentum_challenge"])
def test_unanswered_challenge_gets_guidance(name):
    with pytest.raises(CheckFailed, match="not answered yet") as info:
        check(name, None)
    assert "replace None by your answer" in str(info.value)
    assert get(name).signature in str(info.value)


def test_in_colab_a_failure_is_printed_not_raised(monkeypatch, capsys):
    monkeypatch.setitem(sys.modules, "google.colab", type(sys)("google.colab"))
    check("ch04_momentum_challenge", None)  # does not raise
    err = capsys.readouterr().err
    assert err.startswith("✗ ch04_momentum_challenge: not answered yet")
    check("ch04_momentum_challenge", (3.3, 0.67))
    assert capsys.readouterr().out.startswith("✓ ch04_momentum_challenge")


@pytest.mark.slow
def test_in_a_kernel_the_feedback_shows_without_dlnotes_frames():
    from nbclient import NotebookClient

    nb = nbformat.v4.new_notebook(
        cells=[
            nbformat.v4.new_code_cell(
                "from dlnotes.exercises import check\n"
                "from dlnotes.exercises.ch05 import _adam_no_bias_correction as mine"
            ),
            nbformat.v4.new_code_cell('check("ch05_adam_step", mine)'),
            nbformat.v4.new_code_cell("assert 1 == 2, 'an ordinary failure keeps its traceback'"),
        ]
    )
    NotebookClient(nb, timeout=120, allow_errors=True, kernel_name="python3").execute()
    shown, error = nb.cells[1].outputs  # the feedback as HTML (and text), then the error
    text = shown.data["text/plain"]
    assert error.ename == "CheckFailed"
    flowing = " ".join(text.split())  # the feedback's text is folded to the page width
    assert "no bias correction" in flowing and "3.2 times larger" in flowing
    assert "no bias correction" in shown.data["text/html"]
    assert max(len(row) for row in text.splitlines()) <= FEEDBACK_WIDTH
    said = text + re.sub(r"\x1b\[[0-9;]*m", "", "\n".join(error.traceback))
    assert "core.py" not in said and "dlnotes/exercises" not in said and "File " not in said
    (other,) = [o for o in nb.cells[2].outputs if o.output_type == "error"]
    assert other.ename == "AssertionError" and len(other.traceback) > 1


def test_a_raising_answer_with_its_arguments_in_another_order_is_told_the_order():
    # chapter 10's stub before 0.2.0 was dropout_forward(x, p, u, train); the checks pass
    # (X, p, mode, u), so `if not train` meets an array and raises
    def dropout_forward(x, p, u, train):
        if not train:
            return x.copy()
        return x * (u >= p) / (1 - p)

    with pytest.raises(CheckFailed) as info:
        check("ch10_dropout_forward", dropout_forward)
    message = str(info.value)
    assert "your function raised ValueError" in message
    assert "takes (x, p, u, train), but the checks pass the arguments in the order" in message
    assert "(X, p, mode, u): 'u' is not where your function expects it" in message


def test_a_raising_answer_whose_arguments_are_only_renamed_gets_no_order_note():
    def dropout_forward(inputs, drop, phase, draws):
        raise ZeroDivisionError("a bug of its own")

    with pytest.raises(CheckFailed) as info:
        check("ch10_dropout_forward", dropout_forward)
    message = str(info.value)
    assert "your function raised ZeroDivisionError: a bug of its own" in message
    assert "Note: your function takes" not in message


def _feedback(name, answer):
    with pytest.raises(CheckFailed) as info:
        check(name, answer)
    return str(info.value)


def test_an_ndarray_subclass_is_refused_as_the_grader_refuses_it():
    import numpy as np

    class AlwaysEqual(np.ndarray):
        def __eq__(self, other):
            return np.ones(np.broadcast(self, other).shape, dtype=bool)

    def zeros_that_claim_equality(grad, x0, lr, steps):
        return np.zeros((steps + 1, len(x0))).view(AlwaysEqual)

    def right_values_in_a_masked_array(grad, x0, lr, steps):
        xs = [np.array(x0, dtype=float)]
        for _ in range(steps):
            xs.append(xs[-1] - lr * grad(xs[-1]))
        return np.ma.asarray(np.array(xs))

    message = _feedback("ch02_gradient_descent", zeros_that_claim_equality)
    assert "0 of 7 checks passed" in message and "got a AlwaysEqual" in message
    message = _feedback("ch02_gradient_descent", right_values_in_a_masked_array)
    assert "a subclass of np.ndarray" in message and "np.asarray" in message


def test_one_wrong_string_answer_is_not_blamed_on_state_or_swapped_arguments():
    # variance tested first: only the "both high" check fails, and its answer ('high
    # variance') is also the answer of check 1 and of a call with arguments swapped
    def diagnose(train_err, dev_err, bayes_err, tol=0.02):
        if dev_err - train_err > tol:
            return "high variance"
        if train_err - bayes_err > tol:
            return "high bias"
        return "low bias and low variance"

    message = _feedback("ch01_diagnose", diagnose)
    assert "11 of 13 checks passed" in message  # the two "both high" checks fail
    assert "earlier call" not in message and "swapped" not in message
    assert "Likely mistake: both never reported" in message


def test_a_list_of_batches_in_order_is_named_a_list_not_a_reordering():
    import numpy as np

    def minibatches(X, y, batch_size, seed):
        order = np.random.default_rng(seed).permutation(len(X))
        return [
            (X[order[s : s + batch_size]], y[order[s : s + batch_size]])
            for s in range(0, len(X), batch_size)
        ]

    message = _feedback("ch03_minibatches", minibatches)
    assert "another order" not in message
    assert "Likely mistake: a list instead of a tuple" in message


def test_a_missing_keyword_parameter_is_named_before_any_check_runs():
    def diagnose(train_err, dev_err, bayes_err):  # no tol: only checks 8 and 9 pass one
        return "high bias"

    message = _feedback("ch01_diagnose", diagnose)
    assert message.startswith("ch01_diagnose: your function has the signature diagnose(")
    assert "unexpected keyword argument 'tol'" in message


def test_numbers_that_differ_past_the_sixth_digit_are_shown_apart():
    def max_stable_lr(H):
        import numpy as np

        return 2 / np.linalg.eigvalsh(H)[-1] * (1 + 3e-7)

    message = _feedback("ch02_max_stable_lr", max_stable_lr)
    shown = re.search(r"wrong value: expected (\S+), got (\S+?),? ", message)
    assert shown and shown.group(1) != shown.group(2), message


@pytest.mark.parametrize("how", ["global np.random", "transposed draw", "an extra draw first"])
def test_the_right_distribution_from_other_draws_is_named(how):
    import math

    import numpy as np

    def xavier_uniform(fan_in, fan_out, rng):
        a = math.sqrt(6 / (fan_in + fan_out))
        if how == "global np.random":
            return np.random.default_rng().uniform(-a, a, size=(fan_in, fan_out))
        if how == "transposed draw":
            return rng.uniform(-a, a, size=(fan_out, fan_in)).T.copy()
        rng.random()
        return rng.uniform(-a, a, size=(fan_in, fan_out))

    message = _feedback("ch07_xavier_uniform", xavier_uniform)
    assert "Likely mistake: other random draws" in message, message
    assert "expected shape and spread" in message


def test_a_wrong_spread_is_not_called_other_draws():
    import numpy as np

    def xavier_uniform(fan_in, fan_out, rng):  # the bound of a normal's std: too narrow
        return rng.uniform(-1, 1, size=(fan_in, fan_out)) / np.sqrt(fan_in)

    assert "other random draws" not in _feedback("ch07_xavier_uniform", xavier_uniform)


def test_two_results_in_one_array_are_told_to_return_a_tuple():
    def early_stopping_epoch(dev_losses, patience):
        best, best_epoch, wait = float("inf"), 0, 0
        for epoch, loss in enumerate(dev_losses, start=1):
            if loss < best:
                best, best_epoch, wait = loss, epoch, 0
            else:
                wait += 1
                if wait >= patience:
                    return np.array([epoch, best_epoch])
        return np.array([len(dev_losses), best_epoch])

    with pytest.raises(CheckFailed) as failed:
        check("ch09_early_stopping_epoch", early_stopping_epoch)
    message = str(failed.value)
    assert "Likely mistake: an array instead of a tuple" in message
    assert "return a, b, not np.array([a, b])" in message


def test_a_cache_with_extra_items_is_named_and_not_blamed_for_holding_its_input():
    # the cache of other courses: the input and the parameters too
    def batchnorm_forward(X, gamma, beta, eps):
        mean, var = X.mean(axis=0), X.var(axis=0)
        x_hat = (X - mean) / np.sqrt(var + eps)
        return gamma * x_hat + beta, (X, x_hat, mean, var, gamma, beta, eps)

    with pytest.raises(CheckFailed) as failed:
        check("ch11_batchnorm_forward", batchnorm_forward)
    message = str(failed.value)
    assert "Likely mistake: extra items" in message
    assert "holds the 3 expected items, in order, and 4 more: 1 before them and 3 after" in message
    assert "return exactly (out, (x_hat, mean, var))" in message
    assert "a view of) its input" not in message


def test_an_answer_that_draws_its_own_mask_is_told_it_is_not_repeatable():
    def dropout_forward(X, p, mode, u):
        if mode == "train":
            return X * (np.random.rand(*X.shape) >= p) / (1 - p)  # noqa: NPY002 (ignores u)
        return X.copy()

    with pytest.raises(CheckFailed) as failed:
        check("ch10_dropout_forward", dropout_forward)
    message = str(failed.value)
    assert "Likely mistake: not repeatable" in message
    assert "the keep mask is u >= p" in message


def test_an_object_array_is_not_called_unrepeatable():
    """An object array cannot be compared with itself; a deterministic answer returning one
    was told it "draws random numbers of its own" (from a careless-learner review)."""

    def polyak_average(iterates, start):
        return np.mean(iterates[start:], axis=0).astype(object)

    with pytest.raises(CheckFailed) as failed:
        check("ch14_polyak_average", polyak_average)
    message = str(failed.value)
    assert "not repeatable" not in message and "expected float64, got object" in message


def test_a_repeatable_wrong_answer_is_not_called_unrepeatable():
    def dropout_forward(X, p, mode, u):
        return X * (u < p) / (1 - p) if mode == "train" else X.copy()  # the drop mask kept

    with pytest.raises(CheckFailed) as failed:
        check("ch10_dropout_forward", dropout_forward)
    assert "not repeatable" not in str(failed.value)


def test_float64_results_right_to_float32_precision_only_are_named():
    def logsumexp_backward(x, g):  # computed in float32, handed back as float64
        x32 = x.astype(np.float32)
        e = np.exp(x32 - x32.max(axis=1, keepdims=True))
        return (g.astype(np.float32)[:, None] * e / e.sum(axis=1, keepdims=True)).astype(float)

    with pytest.raises(CheckFailed) as failed:
        check("ch15_logsumexp_backward", logsumexp_backward)
    assert "Likely mistake: right to 4 to 7 digits only" in str(failed.value)
    assert "float32" in str(failed.value)


def test_a_small_but_real_error_is_not_called_a_precision_loss():
    def logsumexp_backward(x, g):  # the softmax of the rows, one entry nudged by 1 %
        e = np.exp(x - x.max(axis=1, keepdims=True))
        out = g[:, None] * e / e.sum(axis=1, keepdims=True)
        out[0, 0] *= 1.01
        return out

    with pytest.raises(CheckFailed) as failed:
        check("ch15_logsumexp_backward", logsumexp_backward)
    assert "4 to 7 digits" not in str(failed.value)


# --------------------------------------------------------------------------------------------
# Feedback is shown folded to the book's width
# --------------------------------------------------------------------------------------------


def _words(text: str) -> list[str]:
    return text.split()


@pytest.mark.parametrize("name", [ex.name for ex in exercises() if ex.kind == "value"])
def test_value_verdicts_are_shown_within_the_page_width(name, capsys):
    """The ✓ line and every wrong answer's feedback fit 88 columns on screen (the website
    scrolls wider outputs sideways), and folding loses or reorders no word."""
    ex = get(name)
    check(name, ex.solution)
    shown = capsys.readouterr().out
    assert max(len(row) for row in shown.splitlines()) <= FEEDBACK_WIDTH
    for mistake in ex.mistakes:
        with pytest.raises(CheckFailed) as info:
            check(name, mistake.wrong)
        body = info.value._render_traceback_()[1]
        rows = body.splitlines()
        assert max(len(row) for row in rows) <= FEEDBACK_WIDTH, body
        assert _words(body) == _words(str(info.value))  # str() keeps the lines unfolded


def test_folding_keeps_short_lines_and_indents_what_it_folds():
    text = "short line\n  " + "word " * 30 + "\n  inputs: x = 1; y = [1, 2]; " + "z = 3; " * 12
    rows = fold(text, width=40).splitlines()
    assert rows[0] == "short line"
    assert rows[1].startswith("  word") and all(r.startswith("      ") for r in rows[2:5])
    assert max(len(r) for r in rows) <= 40
    inputs = next(r for r in rows if "inputs:" in r)
    assert inputs == "  inputs: x = 1; y = [1, 2]; z = 3;"  # broken between arguments
    assert _words("\n".join(rows)) == _words(text)
    assert fold("x" * 50, width=40) == "x" * 50  # one word longer than the line stays whole
    assert fold(" " * 50, width=40) == " " * 50


@pytest.mark.parametrize("name", [ex.name for ex in exercises() if ex.kind == "function"])
def test_function_feedback_is_shown_within_the_page_width(name):
    ex = get(name)
    for mistake in ex.mistakes:
        with pytest.raises(CheckFailed) as info:
            check(name, mistake.wrong)
        body = info.value._render_traceback_()[1]
        wide = [row for row in body.splitlines() if len(row) > FEEDBACK_WIDTH]
        assert all(len(row.split()) == 1 for row in wide), wide  # only a word that cannot break
        assert _words(body) == _words(str(info.value))


def test_the_catalogue_and_hints_are_shown_within_the_page_width():
    from dlnotes.exercises import catalogue

    for shown in (repr(catalogue()), *(repr(hint(ex.name)) for ex in exercises())):
        wide = [row for row in shown.splitlines() if len(row) > FEEDBACK_WIDTH]
        assert all(len(row.split()) == 1 for row in wide), wide
    assert "\n" not in str(hint("ch05_adam_step"))  # the text itself stays on one line


def test_one_array_where_several_results_are_expected_is_told_to_return_them_all():
    """Returning x_new alone from adagrad_step: the advice matches the hint (return both), not
    "tuple(...) of the array", which would be wrong here."""

    def adagrad_step(x, grad_sum, g, lr, eps=1e-10):
        grad_sum = grad_sum + g * g
        return x - lr * g / (np.sqrt(grad_sum) + eps)

    with pytest.raises(CheckFailed) as info:
        check("ch05_adagrad_step", adagrad_step)
    message = str(info.value)
    assert "return both results together, as a tuple, not one array" in message
    assert "tuple(...)" not in message and "only x_new returned" in message


def test_a_definition_kept_by_a_syntax_error_is_named(tmp_path):
    """The learner's new attempt stopped at a SyntaxError, so Python kept the previous
    function: check() shows the syntax error and says why, and checks nothing (a ✓ for the
    old code would be given for a cell that does not even compile)."""
    from nbclient import NotebookClient

    from tests.notebook_outputs import shown_text

    right = (
        "def adagrad_step(x, grad_sum, g, lr, eps=1e-10):\n"
        "    grad_sum = grad_sum + g * g\n"
        "    return x - lr * g / (np.sqrt(grad_sum) + eps), grad_sum"
    )
    nb = nbformat.v4.new_notebook()
    nb.cells = [
        nbformat.v4.new_code_cell("import numpy as np\nfrom dlnotes.exercises import check"),
        nbformat.v4.new_code_cell(right),
        nbformat.v4.new_code_cell('check("ch05_adagrad_step", adagrad_step)'),
        nbformat.v4.new_code_cell(right.replace("(x, grad_sum", "(x, grad_sum:")),
        nbformat.v4.new_code_cell('check("ch05_adagrad_step", adagrad_step)'),
        nbformat.v4.new_code_cell(right),
        nbformat.v4.new_code_cell('check("ch05_adagrad_step", adagrad_step)'),
    ]
    NotebookClient(nb, timeout=120, allow_errors=True, kernel_name="python3").execute()
    shown = [shown_text(c.outputs) for c in nb.cells]
    assert shown[2].startswith("✓") and "note:" not in shown[2]
    assert "SyntaxError" in str(nb.cells[3].outputs)
    stale = " ".join(shown[4].split())
    assert "ch05_adagrad_step: not checked: cell [4] has a SyntaxError at line 1" in stale, stale
    assert "note: your last run of the cell that defines adagrad_step (cell [4])" in stale, stale
    assert "kept the adagrad_step defined before it (cell [2])" in stale and "✓" not in stale
    assert shown[6].startswith("✓") and "note:" not in shown[6]  # fixed: no note


def test_a_definition_kept_by_an_error_before_the_def_is_named():
    """The learner's new attempt raised before its def ran (a typo above it), so Python kept
    the previous function: check() says which error stopped the cell, on every check, and no
    note once the cell runs. A cell that raised after its def, or a failed check, gives none."""
    from nbclient import NotebookClient

    right = (
        "def adagrad_step(x, grad_sum, g, lr, eps=1e-10):\n"
        "    grad_sum = grad_sum + g * g\n"
        "    return x - lr * g / (np.sqrt(grad_sum) + eps), grad_sum"
    )
    wrong = right.replace("np.sqrt(grad_sum) + eps", "np.sqrt(grad_sum + eps)")
    check_cell = 'check("ch05_adagrad_step", adagrad_step)'
    nb = nbformat.v4.new_notebook()
    nb.cells = [
        nbformat.v4.new_code_cell("import numpy as np\nfrom dlnotes.exercises import check"),
        nbformat.v4.new_code_cell(wrong),  # In[2]
        nbformat.v4.new_code_cell(check_cell),  # fails: no note
        nbformat.v4.new_code_cell("eps0 = np.sqrtt(1e-10)\n\n" + right),  # In[4] raises
        nbformat.v4.new_code_cell(check_cell),
        nbformat.v4.new_code_cell(check_cell),
        nbformat.v4.new_code_cell(right + "\n\nraise ValueError('after the def')"),  # In[7]
        nbformat.v4.new_code_cell(check_cell),
    ]
    NotebookClient(nb, timeout=120, allow_errors=True, kernel_name="python3").execute()

    def said(k: int) -> str:
        return shown_text(nb.cells[k].outputs)

    assert "note:" not in said(2) and "eps inside the square root" in said(2), said(2)
    assert "AttributeError" in said(3)
    for k in (4, 5):  # the first failed check does not hide the cell's error from the second
        assert (
            "note: your last run of the cell that defines adagrad_step (cell [4]) raised "
            "AttributeError (module 'numpy' has no attribute 'sqrtt') before it reached "
            "`def adagrad_step`, so Python kept the adagrad_step defined before it (cell [2])"
        ) in said(k), said(k)
        assert "eps inside the square root" in said(k), said(k)
    assert "ValueError" in said(6)
    assert said(7).startswith("✓") and "note:" not in said(7), said(7)


def test_the_parts_of_a_nested_result_are_named():
    """batchnorm_forward returns (out, (x_hat, mean, var)): a wrong mean is "mean", not
    "result 1[1]" (the learner reads names, the backward pass already showed them)."""

    def batchnorm_forward(X, gamma, beta, eps):
        mean, var = X.mean(axis=0, keepdims=True), X.var(axis=0, keepdims=True)
        x_hat = (X - mean) / np.sqrt(var + eps)
        return gamma * x_hat + beta, (x_hat, mean, var)

    with pytest.raises(CheckFailed, match=r"in mean \(result 1\[1\]\): wrong shape"):
        check("ch11_batchnorm_forward", batchnorm_forward)


def test_a_wrong_result_says_which_other_results_are_right():
    """A compound mistake in Adam's x update (no bias correction, eps inside the root) matches
    no single known mistake; the feedback still places it: the moments are right."""

    def adam_step(x, m, v, g, t, lr, beta1, beta2, eps):
        m = beta1 * m + (1 - beta1) * g
        v = beta2 * v + (1 - beta2) * g * g
        return x - lr * m / np.sqrt(v + eps), m, v

    text = " ".join(_feedback("ch05_adam_step", adam_step).split())
    assert "in x_new (result 0): wrong values" in text
    assert "the other results: m_new (result 1) and v_new (result 2) are right" in text


def test_a_wrong_result_says_which_other_results_are_wrong_too():
    def rmsprop_step(x, grad_squared, g, lr, alpha, eps):
        grad_squared = alpha * grad_squared + (1 - alpha) * g  # g, not g², and a plus sign:
        return x + lr * g / (np.sqrt(grad_squared) + eps), grad_squared

    text = " ".join(_feedback("ch05_rmsprop_step", rmsprop_step).split())
    assert "the other results: grad_squared_new (result 1) is wrong too" in text


def test_a_single_result_has_no_other_results_line():
    def clip_by_norm(g, max_norm):
        return g * 0.5

    assert "the other results" not in _feedback("ch02_clip_by_norm", clip_by_norm)


def test_a_nested_other_result_is_named_by_its_parts():
    def batchnorm_forward(X, gamma, beta, eps):
        mean, var = X.mean(axis=0), X.var(axis=0)
        x_hat = (X - mean) / np.sqrt(var + eps)
        return gamma * x_hat - beta, (x_hat, mean, var)  # - beta: only out is wrong

    text = " ".join(_feedback("ch11_batchnorm_forward", batchnorm_forward).split())
    assert "the other results: x_hat, mean, var (result 1) are right" in text


def test_a_helper_that_is_not_written_yet_is_named_not_the_answer():
    """Chapter 05's AdamW is Adam's step after a shrink: an answer that calls the learner's
    unfinished ``adam_step`` was told that ``adamw_step`` itself was not written yet."""

    def adam_step(x, m, v, g, t, lr, beta1, beta2, eps):
        raise NotImplementedError()

    def adamw_step(x, m, v, g, t, lr, beta1, beta2, eps, weight_decay):
        return adam_step(x * (1 - lr * weight_decay), m, v, g, t, lr, beta1, beta2, eps)

    with pytest.raises(CheckFailed) as info:
        check("ch05_adamw_step", adamw_step)
    message = str(info.value)
    assert "your adamw_step calls adam_step, which is not written yet" in message
    assert "Write adam_step first" in message and "adamw_step is not written" not in message

    def adamw_step(x, m, v, g, t, lr, beta1, beta2, eps, weight_decay):
        raise NotImplementedError()

    with pytest.raises(CheckFailed, match="adamw_step is not written yet"):
        check("ch05_adamw_step", adamw_step)


def test_a_result_count_says_what_came_back():
    """ "got 4" read as if the function returned the number 4."""

    def momentum_step(x, v, g, lr, rho):
        v_new = rho * v + g
        return x - lr * v_new, v_new, x, v

    with pytest.raises(CheckFailed) as info:
        check("ch04_momentum_step", momentum_step)
    assert "expected a tuple of 2 results, got a tuple of 4" in str(info.value)
