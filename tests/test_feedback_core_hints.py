"""Feedback fixes in the checker's core from a careless learner's run of chapters 02, 03, 05.

1. a misspelt parameter (``def ewa(series, b, ...)`` reading the notebook's ``beta``) is told
   to use its own parameter, not the name it already reads;
2. a list of a varying number of items where a tuple is expected: ``tuple(...)`` of it, not
   ``return a, b``;
3. items of a collection (batches) one element short or long: the slice's end, not a loop's
   iterates;
4. a transposed result: the expected shape as the signature writes it, no guess at
   "examples or fan_in";
5. a misspelt exercise name: shown as its message alone, no dlnotes traceback frames;
6. a value exercise answered with a string: the number without quotes, in the variable the
   notebook asks for;
7. inf or nan among ordinary values: a division by zero, not "the values blew up";
8. what the learner's function prints is cut to its first lines above the verdict;
9. a function calling the learner's own answer of another exercise that fails its check is
   told so;
11. a stub checked while the answer was written under another name: that name is suggested.
"""

from __future__ import annotations

import re
import threading

import nbformat
import numpy as np
import pytest
from verdicts import likely, notebook

from dlnotes.exercises import Case, CheckFailed, FunctionExercise, check, get, hint
from dlnotes.exercises.core import PRINTED_LINES, _compare
from tests.notebook_outputs import shown_text


def feedback(name, answer, **kwargs) -> str:
    """The feedback of a failing check, unfolded."""
    with pytest.raises(CheckFailed) as info:
        check(name, answer, **kwargs)
    return str(info.value)


# -- 1. a misspelt parameter -----------------------------------------------------------------

EWA_B = """
def ewa(series, b, bias_correction):
    out = np.zeros(len(series))
    v = 0.0
    for t in range(1, len(series) + 1):
        v = beta * v + (1 - beta) * series[t - 1]
        out[t - 1] = v / (1 - beta**t) if bias_correction else v
    return out
"""


def test_a_misspelt_parameter_is_told_to_use_its_own_name():
    ewa = notebook(EWA_B, "ewa", beta=0.98)  # beta = 0.98 left by an earlier cell
    line = likely(feedback("ch03_ewa", ewa))
    assert "as if beta were 0.98" in line, line
    assert (
        "your parameter at that place is b, but your function reads beta, a variable of your "
        "notebook: use b (or rename it beta)"
    ) in line, line
    assert "use beta" not in line, line  # what the learner already does


def test_a_renamed_parameter_reading_the_notebooks_variable_is_named():
    gradient_descent = notebook(
        """
def gradient_descent(grad, x0, learning_rate, steps):
    x = np.array(x0, dtype=float)
    xs = [x]
    for _ in range(steps):
        x = x - lr * grad(x)
        xs.append(x)
    return np.array(xs)
""",
        "gradient_descent",
        lr=1.0,
    )
    line = likely(feedback("ch02_gradient_descent", gradient_descent))
    assert "as if lr were 1" in line, line
    assert "your parameter at that place is learning_rate, but your function reads lr" in line
    assert "use learning_rate (or rename it lr)" in line, line
    assert "is lr used at all" not in line, line


def test_a_renamed_parameter_left_unused_is_named_by_its_own_name():
    def gradient_descent(grad, x0, learning_rate, steps):
        x = np.array(x0, dtype=float)
        xs = [x]
        for _ in range(steps):
            x = x - grad(x)  # the learning rate is left out
            xs.append(x)
        return np.array(xs)

    line = likely(feedback("ch02_gradient_descent", gradient_descent))
    assert "as if lr were 1" in line, line
    assert "is your parameter learning_rate (the argument lr) used at all" in line, line


# -- 2. a list of batches where a tuple is expected ------------------------------------------


def test_a_list_of_a_varying_number_of_items_is_told_tuple_of_it():
    def minibatches(X, y, batch_size, seed):
        order = np.random.default_rng(seed).permutation(len(X))
        batches = []
        for start in range(0, len(X), batch_size):
            idx = order[start : start + batch_size]
            batches.append((X[idx], y[idx]))
        return batches  # a list

    line = likely(feedback("ch03_minibatches", minibatches))
    assert "a list instead of a tuple" in line, line
    assert "return a tuple: tuple(...) of the list you built, e.g. return tuple(pairs)" in line
    assert "return a, b" not in line and "[a, b]" not in line, line


def test_a_list_of_a_fixed_pair_is_still_told_return_a_b():
    def adagrad_step(x, grad_sum, g, lr, eps):
        grad_sum = grad_sum + g * g
        return [x - lr * g / (np.sqrt(grad_sum) + eps), grad_sum]

    line = likely(feedback("ch05_adagrad_step", adagrad_step))
    assert "return a, b (or (a, b)), not [a, b]" in line, line


# -- 3. slices one element short or long -----------------------------------------------------


def chunks(a, size):
    """Consecutive slices of ``size`` entries of ``a`` (the last one shorter)."""
    return tuple(a[start : start + size] for start in range(0, len(a), size))


def _chunk_cases() -> list[Case]:
    rng = np.random.default_rng(5)
    return [
        Case(f"n = {n}, size = {k}", (np.round(rng.normal(size=n), 3), k))
        for n, k in ((10, 4), (12, 3), (17, 5))
    ]


CHUNKS = FunctionExercise(
    name="ch99_chunks",
    chapter="99",
    title="toy",
    signature="chunks(a, size) -> tuple of arrays",
    hint="",
    solution=chunks,
    suites={"visible": _chunk_cases, "hidden": _chunk_cases},
    time_limit=1.0,
)


@pytest.mark.parametrize(
    ("end", "said", "how", "fix"),
    [
        (-1, "one element short", "without its last entry", "no − 1"),
        (1, "one element too many", "with one entry more at its end", "no + 1"),
    ],
)
def test_slices_off_by_one_are_told_the_slices_end(end, said, how, fix):
    def wrong(a, size):
        return tuple(a[start : start + size + end] for start in range(0, len(a), size))

    line = likely(feedback(CHUNKS, wrong))
    assert f"each item {said} — each wrong item of your result is the expected one {how}" in (
        line
    ), line
    assert "check the slice's end: a[start:start + size] holds size elements" in line, line
    assert fix in line, line
    assert "store the value before or after the update" not in line, line


def test_iterates_one_step_short_keep_the_loops_wording():
    def iterates(x0, steps):
        xs = [x0]
        for _ in range(steps):
            xs.append(xs[-1] * 0.5 + 1.0)
        return np.array(xs)

    def one_short(x0, steps):
        xs = [x0]
        for _ in range(steps - 1):  # one step short
            xs.append(xs[-1] * 0.5 + 1.0)
        return np.array(xs)

    ex = FunctionExercise(
        name="ch99_iterates",
        chapter="99",
        title="toy",
        signature="iterates(x0, steps) -> array of shape (steps + 1,)",
        hint="",
        solution=iterates,
        suites={
            "visible": lambda: [Case("x0 = 3", (3.0, 6)), Case("x0 = -2", (-2.0, 4))],
            "hidden": lambda: [Case("x0 = 1", (1.0, 5))],
        },
        time_limit=1.0,
    )
    line = likely(feedback(ex, one_short))
    assert "off by one step (one step short)" in line, line
    assert "check where the loop starts and ends" in line, line


# -- 4. transposed: worded from the signature ------------------------------------------------


def test_a_transposed_result_is_told_the_expected_shape_from_the_signature():
    def gradient_descent(grad, x0, lr, steps):
        x = np.array(x0, dtype=float)
        xs = [x]
        for _ in range(steps):
            x = x - lr * grad(x)
            xs.append(x)
        return np.array(xs).T

    line = likely(feedback("ch02_gradient_descent", gradient_descent))
    assert "the expected 13×2 matrix transposed" in line, line
    assert "the expected shape is (steps + 1, d), here (13, 2)" in line, line
    assert "examples or fan_in" not in line, line


# -- 5. a misspelt exercise name -------------------------------------------------------------


def test_a_misspelt_exercise_name_is_shown_without_dlnotes_frames():
    with pytest.raises(ValueError, match="did you mean 'ch05_rmsprop_step'") as info:
        check("ch05_rmsprop", print)
    shown = "\n".join(info.value._render_traceback_())  # what IPython shows
    assert "there is no exercise named 'ch05_rmsprop'" in shown, shown
    assert "dlnotes" not in shown and "core.py" not in shown, shown
    # a plain Python traceback starts at check(): get()'s lines are not in it
    frames = [code.co_name for code in _frames(info.value.__traceback__)]
    assert "get" not in frames, frames


def _frames(tb):
    while tb is not None:
        yield tb.tb_frame.f_code
        tb = tb.tb_next


def test_get_and_hint_with_a_misspelt_name_are_shown_alone_too():
    for call in (get, hint):
        with pytest.raises(ValueError, match="did you mean") as info:
            call("ch05_rmsprop")
        assert hasattr(info.value, "_render_traceback_")


# -- 6. a value exercise answered with a string ----------------------------------------------


def test_a_quoted_number_is_told_to_drop_the_quotes_in_the_notebooks_variable():
    message = feedback("ch02_lr_challenge", "1.8")
    assert "your answer must be a number, not a string: write lr_challenge = 1.8 " in message
    assert "(without quotes)" in message, message
    assert "lr must" not in message and "lr = 0.5" not in message, message


def test_a_string_that_is_no_number_is_told_so():
    message = feedback("ch02_lr_challenge", "about 1.8")
    assert "not the string 'about 1.8'" in message, message
    assert "write a number after lr_challenge =, without quotes" in message, message


def test_quoted_numbers_in_a_pair_are_told_to_drop_the_quotes():
    message = feedback("ch04_momentum_challenge", ("3.3", "0.67"))
    assert "write momentum_challenge = (3.3, 0.67) (without quotes)" in message, message


def test_a_number_still_goes_to_the_experiment():
    with pytest.raises(CheckFailed, match="diverged"):
        check("ch02_lr_challenge", 2.5)


# -- 7. inf or nan: a division by zero, or a blow-up -----------------------------------------


def test_inf_among_ordinary_values_is_a_division_by_zero():
    def ewa(series, beta, bias_correction):
        out = np.zeros(len(series))
        v = 0.0
        for t in range(len(series)):  # t from 0: 1 − β**0 = 0
            v = beta * v + (1 - beta) * series[t]
            out[t] = v / (1 - beta**t) if bias_correction else v
        return out

    message = feedback("ch03_ewa", ewa)
    assert "got -inf" in message or "got inf" in message, message
    assert "1 − β**0 = 0" in message, message
    assert "your result holds inf or nan" not in message, message
    assert "blew up" not in message, message


def test_inf_after_huge_values_is_a_blow_up():
    expected = np.array([1.0, 0.5, 0.25, 0.125])
    grown = np.array([1.0, -3e12, 8e150, np.inf])
    _, lines = _compare(expected, grown, 1e-7, 1e-10)
    assert any("the values blew up" in ln for ln in lines), lines
    _, lines = _compare(expected, np.array([1.0, 0.5, np.nan, 0.2]), 1e-7, 1e-10)
    assert any("a division by zero" in ln for ln in lines), lines
    assert not any("blew up" in ln for ln in lines), lines


# -- 8. what the learner's function prints ---------------------------------------------------

EWA_PRINTS = """
def ewa(series, beta, bias_correction):
    out = np.zeros(len(series))
    v = 0.0
    for t in range(1, len(series) + 1):
        v = beta * v + (1 - beta) * series[t - 1]
        print(t, v)
        out[t - 1] = v / (1 - beta**t) if bias_correction else v + 1
    return out
"""


def test_only_the_first_printed_lines_are_shown_above_the_verdict(capsys):
    ewa = notebook(EWA_PRINTS, "ewa")
    message = feedback("ch03_ewa", ewa)
    out = capsys.readouterr().out.splitlines()
    assert all(out[k].startswith(f"{k + 1} ") for k in range(PRINTED_LINES)), out
    found = re.fullmatch(r"… (\d+) more lines printed by your function during the checks", out[-1])
    assert found and len(out) == PRINTED_LINES + 1, out
    assert int(found[1]) > 150  # every check's lines, counted
    assert message.startswith("ch03_ewa: ")  # the verdict itself is unchanged


def test_what_a_function_prints_before_it_raises_is_shown(capsys):
    def ewa(series, beta, bias_correction):
        print("starting", len(series))
        return series[len(series)]  # IndexError

    message = feedback("ch03_ewa", ewa)
    assert "your function raised IndexError" in message
    assert capsys.readouterr().out.splitlines() == ["starting 25"]


def test_a_passing_function_prints_its_first_lines_then_the_tick(capsys):
    def ewa(series, beta, bias_correction):
        print("n =", len(series))
        out = np.zeros(len(series))
        v = 0.0
        for t in range(1, len(series) + 1):
            v = beta * v + (1 - beta) * series[t - 1]
            out[t - 1] = v / (1 - beta**t) if bias_correction else v
        return out

    check("ch03_ewa", ewa)
    out = capsys.readouterr().out.splitlines()
    assert out[:-1] == [f"n = {len(c.args[0])}" for c in get("ch03_ewa").cases()], out
    assert out[-1].startswith("✓ ch03_ewa"), out  # six lines: all shown, no count


def test_printing_under_the_watchdog_thread_and_a_time_out(capsys):
    """From a thread the time limit is a watchdog thread: the prints of a function stopped
    there are kept and cut too."""

    def loops(series, beta, bias_correction):
        k = 0
        while True:
            k += 1
            if k % 200_000 == 0:
                print("still going", k)

    said: list[str] = []

    def run() -> None:
        try:
            check("ch03_ewa", loops, time_limit=0.5)
        except CheckFailed as err:
            said.append(str(err))

    worker = threading.Thread(target=run)
    worker.start()
    worker.join(30)
    assert said and "did not return within 0.5 s" in said[0], said
    out = capsys.readouterr().out.splitlines()
    assert 1 <= len(out) <= PRINTED_LINES + 1, out
    assert all(ln.startswith(("still going", "… ")) for ln in out), out


# -- 9. a helper that is another exercise's answer -------------------------------------------

ADAM_RIGHT = """
def adam_step(x, m, v, g, t, lr, beta1, beta2, eps):
    m = beta1 * m + (1 - beta1) * g
    v = beta2 * v + (1 - beta2) * g * g
    m_hat, v_hat = m / (1 - beta1**t), v / (1 - beta2**t)
    return x - lr * m_hat / (np.sqrt(v_hat) + eps), m, v
"""
ADAM = (
    ADAM_RIGHT
    + """
def adamw_step(x, m, v, g, t, lr, beta1, beta2, eps, weight_decay):
    x = (1 - lr * weight_decay) * x
    return adam_step(x, m, v, g, t, lr, beta1, beta2, eps)
"""
)


def test_a_call_of_the_learners_failing_answer_to_another_exercise_is_named():
    broken = ADAM.replace("np.sqrt(v_hat) + eps", "np.sqrt(v_hat + eps)")  # ε inside the root
    adamw_step = notebook(broken, "adamw_step")
    message = feedback("ch05_adamw_step", adamw_step)
    assert (
        "note: your adamw_step uses your adam_step, which fails its own check "
        "(ch05_adam_step; its checks just ran your adam_step again): fix that one first."
    ) in message, message


def test_a_call_of_a_right_answer_to_another_exercise_gets_no_note(capsys):
    check("ch05_adamw_step", notebook(ADAM, "adamw_step"))
    assert capsys.readouterr().out.startswith("✓ ch05_adamw_step")
    grows = ADAM.replace("(1 - lr * weight_decay) * x", "(1 + lr * weight_decay) * x")
    wrong = notebook(grows, "adamw_step")
    assert "fails its own check" not in feedback("ch05_adamw_step", wrong)


# -- 11. a stub checked while the answer has another name ------------------------------------

STUB = """
def adagrad_step(x, grad_sum, g, lr, eps):
    # YOUR CODE HERE
    raise NotImplementedError()
"""
ANSWER = """
def {name}(x, grad_sum, g, lr, eps):
    grad_sum = grad_sum + g * g
    return x - lr * g / (np.sqrt(grad_sum) + eps), grad_sum
"""


@pytest.mark.parametrize("name", ["adagrad_stp", "step_adagrad", "my_adagrad_step"])
def test_a_stub_checked_beside_a_renamed_answer_suggests_that_name(name):
    stub = notebook(STUB + ANSWER.format(name=name), "adagrad_step")
    message = feedback("ch05_adagrad_step", stub)
    assert (
        f"adagrad_step is not written yet: it still raises NotImplementedError. You defined "
        f"{name}: is that it? The check looks for adagrad_step"
    ) in message, message
    assert "Done that?" not in message


def test_a_stub_with_no_near_name_keeps_the_not_written_message():
    stub = notebook(STUB + ANSWER.format(name="solve"), "adagrad_step")
    message = feedback("ch05_adagrad_step", stub)
    assert "You defined" not in message and "Done that?" in message, message


# -- in a kernel, as a learner runs it -------------------------------------------------------


def run_cells(*sources: str) -> list[tuple[str, list]]:
    """Run the cells in a fresh kernel: what each shows (whitespace collapsed) and its
    outputs."""
    from nbclient import NotebookClient

    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(src) for src in sources]
    NotebookClient(nb, timeout=120, allow_errors=True, kernel_name="python3").execute()
    return [(shown_text(cell.outputs), cell.outputs) for cell in nb.cells]


def test_in_a_kernel():
    said = run_cells(
        "import numpy as np\nfrom dlnotes.exercises import check",
        STUB,
        ANSWER.format(name="adagrad_cool"),  # the same parameters, a later cell
        'check("ch05_adagrad_step", adagrad_step)',
        'check("ch05_rmsprop", adagrad_step)',
        EWA_PRINTS,
        'check("ch03_ewa", ewa)',
    )
    text, _ = said[3]
    assert "You defined adagrad_cool: is that it? The check looks for adagrad_step" in text
    text, outputs = said[4]
    assert "there is no exercise named 'ch05_rmsprop'; did you mean 'ch05_rmsprop_step'" in text
    frames = " ".join(" ".join(o.get("traceback", [])) for o in outputs)
    assert "dlnotes/exercises" not in frames and "core.py" not in frames, frames
    text, outputs = said[6]
    streams = "".join(o.get("text", "") for o in outputs if o.get("output_type") == "stream")
    assert streams.count("\n") == PRINTED_LINES + 1, streams
    assert "more lines printed by your function during the checks" in streams, streams
    assert "ch03_ewa: " in text and "CheckFailed" in text, text
