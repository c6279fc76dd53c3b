"""Feedback fixes from a learner's run of chapters 08, 11, 14 and 15 with wrong answers.

1. ch15_torch_port, biases left at torch's random initial values: the "not repeatable"
   diagnosis speaks of nn.Linear's random start, not of np.random;
2. ch15_torch_port, W copied into nn.Linear's weight without .T: named (torch's RuntimeError on
   a non-square layer points at the (out, in) layout), for both layers or the second alone;
3. ch15_torch_port, a reshape one way and a .T the other: named;
4. a number written in the function where a float argument belongs (m = 0.1 for momentum):
   "as if momentum were 0.1", not a factor that changes with the inputs;
5. ch11_batchnorm_forward computed in float32: the float32 cache is said, results are named
   by the signature, and chapter 08's examples stay in chapter 08;
6. ch08_numerical_gradient on the caller's float32 x itself (no copy): told so;
7. ch14_ema_update returning np.array of arrays of different shapes: return the list;
8. ch14_ensemble_predict returning the averaged probabilities: take the argmax; the refusal
   of dlnotes' softmax says what the prompt says;
9. the error line under the HTML feedback wraps between words, in rows JupyterLab shows whole;
10. chapter 08's explorer labels its threshold with the verdict's own word.
"""

from __future__ import annotations

import re

import numpy as np
import pytest
from verdicts import likely, notebook

from dlnotes.exercises import CheckFailed, check
from dlnotes.exercises.verdict import summary


def feedback(name: str, answer, suite: str = "visible") -> str:
    """The feedback of a failing check, unfolded."""
    with pytest.raises(CheckFailed) as info:
        check(name, answer, suite=suite)
    return str(info.value)


# -- 1-3. chapter 15's port to PyTorch -------------------------------------------------------

PORT = """
def torch_train(params, batches, lr, momentum):
    W1, b1, W2, b2 = params
    D, H = W1.shape; C = W2.shape[1]
    net = torch.nn.Sequential(
        torch.nn.Linear(D, H), torch.nn.ReLU(), torch.nn.Linear(H, C)).double()
    with torch.no_grad():
        net[0].weight.copy_(IN1); net[0].bias.copy_(torch.from_numpy(b1))
        net[2].weight.copy_(IN2); net[2].bias.copy_(torch.from_numpy(b2))
    opt = torch.optim.SGD(net.parameters(), lr=lr, momentum=momentum)
    for X, y in batches:
        opt.zero_grad()
        F.cross_entropy(net(torch.from_numpy(X)), torch.from_numpy(y)).backward()
        opt.step()
    return [OUT1, net[0].bias.detach().numpy().copy(),
            OUT2, net[2].bias.detach().numpy().copy()]
"""

RIGHT_PARTS = {
    "IN1": "torch.from_numpy(W1.T)",
    "IN2": "torch.from_numpy(W2.T)",
    "OUT1": "net[0].weight.detach().numpy().T.copy()",
    "OUT2": "net[2].weight.detach().numpy().T.copy()",
}


def port(*edits: tuple[str, str], **parts: str):
    """The notebook's torch_train with some of its parts (``IN1``, ``OUT2``, ...) replaced,
    then each ``(old, new)`` of ``edits``."""
    torch = pytest.importorskip("torch")
    source = PORT
    for key, part in {**RIGHT_PARTS, **parts}.items():
        source = source.replace(key, part)
    for old, new in edits:
        assert old in source, old
        source = source.replace(old, new)
    return notebook(source, "torch_train", torch=torch, F=torch.nn.functional)


def test_the_port_written_here_is_right():
    check("ch15_torch_port", port())


@pytest.mark.parametrize("suite", ["visible", "hidden"])
def test_biases_left_at_torch_s_random_start_are_told_to_copy_all_four_arrays(suite):
    answer = port(
        ("net[0].bias.copy_(torch.from_numpy(b1))", "pass"),
        ("net[2].bias.copy_(torch.from_numpy(b2))", "pass"),
    )
    said = likely(feedback("ch15_torch_port", answer, suite))
    assert said.startswith("Likely mistake: not repeatable"), said
    assert "nn.Linear starts with random weights and biases" in said, said
    assert "copy all four arrays of params into the layers" in said, said
    assert "np.random" not in said, said


@pytest.mark.parametrize("suite", ["visible", "hidden"])
@pytest.mark.parametrize(
    ("parts", "mistake"),
    [
        ({"IN1": "torch.from_numpy(W1)", "IN2": "torch.from_numpy(W2)"}, "copied W into weight"),
        ({"IN1": "torch.from_numpy(W1)"}, "copied W into weight"),
        ({"IN2": "torch.from_numpy(W2)"}, "second layer's W copied into weight"),
    ],
    ids=["both", "first", "second"],
)
def test_a_weight_copied_without_its_transpose_is_named_with_the_layout(parts, mistake, suite):
    said = feedback("ch15_torch_port", port(**parts), suite)
    assert "your function raised RuntimeError: The size of tensor a" in said, said
    hint = likely(said)
    assert hint.startswith(f"Likely mistake: {mistake} without .T — "), hint
    assert "shape (out, in)" in hint and "W of shape (in, out)" in hint, hint
    assert "weight.copy_(torch.from_numpy(W.T))" in hint, hint


@pytest.mark.parametrize("suite", ["visible", "hidden"])
@pytest.mark.parametrize(
    ("parts", "mistake"),
    [
        (
            {
                "IN1": "torch.from_numpy(W1.reshape(H, D))",
                "IN2": "torch.from_numpy(W2.reshape(C, H))",
            },
            "reshape instead of transpose, copying in",
        ),
        (
            {
                "OUT1": "net[0].weight.detach().numpy().reshape(D, H).copy()",
                "OUT2": "net[2].weight.detach().numpy().reshape(H, C).copy()",
            },
            "reshape instead of transpose, returning",
        ),
    ],
    ids=["in", "out"],
)
def test_a_reshape_one_way_is_named(parts, mistake, suite):
    hint = likely(feedback("ch15_torch_port", port(**parts), suite))
    assert hint.startswith(f"Likely mistake: {mistake} — "), hint


# -- 4. a number written where a float argument belongs ---------------------------------------

RUNNING_STATS_M = """
def update_running_stats(running_mean, running_var, batch_mean, batch_var, n, momentum):
    m = 0.1
    return ((1 - m) * running_mean + m * batch_mean,
            (1 - m) * running_var + m * batch_var * n / (n - 1))
"""


@pytest.mark.parametrize("suite", ["visible", "hidden"])
def test_momentum_written_as_a_number_is_told_like_eps_and_h(suite):
    answer = notebook(RUNNING_STATS_M, "update_running_stats")
    said = likely(feedback("ch11_update_running_stats", answer, suite))
    assert "as if momentum were 0.1" in said, said
    assert "(the number 0.1 written in your function)" in said, said
    assert "write the argument momentum in its place" in said, said
    assert "the factor changes with the inputs" not in said, said


def test_a_factor_that_changes_with_the_inputs_is_still_said_when_nothing_else_fits():
    answer = notebook(
        """
        def update_running_stats(running_mean, running_var, batch_mean, batch_var, n, momentum):
            m = momentum * n / 4
            return ((1 - m) * running_mean + m * batch_mean,
                    (1 - m) * running_var + m * batch_var * n / (n - 1))
        """,
        "update_running_stats",
    )
    said = likely(feedback("ch11_update_running_stats", answer))
    assert "off by a factor" in said and "the factor changes with the inputs" in said, said


# -- 5. batch norm's forward pass in float32 ----------------------------------------------------

BN_FLOAT32 = """
def batchnorm_forward(X, gamma, beta, eps):
    X = X.astype(np.float32)
    mean = X.mean(0); var = X.var(0)
    x_hat = (X - mean) / np.sqrt(var + eps)
    return gamma * x_hat + beta, (x_hat, mean, var)
"""


def test_a_float32_batchnorm_is_told_its_cache_is_float32_by_the_signature_s_names():
    said = feedback("ch11_batchnorm_forward", notebook(BN_FLOAT32, "batchnorm_forward"))
    hint = likely(said)
    assert hint.startswith("Likely mistake: computed in float32 — your out (result 0) agrees"), hint
    assert "your x_hat, mean and var are float32 where float64 is expected" in hint, hint
    assert "compute in float64 throughout" in hint, hint
    assert "element [0]" not in said and "h/2" not in said, said
    assert (
        "the other results: x_hat, mean, var (result 1) are wrong too (wrong dtype: expected "
        "float64, got float32)" in said
    ), said


def test_the_precision_guess_keeps_chapter_08_s_examples_in_chapter_08():
    def logsumexp_backward(x, g):  # computed in float32, handed back as float64
        x32 = x.astype(np.float32)
        e = np.exp(x32 - x32.max(axis=1, keepdims=True))
        return (g.astype(np.float32)[:, None] * e / e.sum(axis=1, keepdims=True)).astype(float)

    hint = likely(feedback("ch15_logsumexp_backward", logsumexp_backward))
    assert hint.startswith("Likely mistake: right to 4 to 7 digits only"), hint
    assert "h/2" not in hint and "E[x²]" not in hint, hint

    def numerical_gradient(f, x, h):  # a step of h/2: right to about 5 digits on this f
        x = np.array(x, dtype=np.float64)
        grad = np.zeros_like(x)
        for i in np.ndindex(x.shape):
            old = x[i]
            x[i] = old + h / 2
            f_plus = f(x)
            x[i] = old - h / 2
            f_minus = f(x)
            x[i] = old
            grad[i] = (f_plus - f_minus) / h
        return grad

    hint = likely(feedback("ch08_numerical_gradient", numerical_gradient))
    assert hint.startswith("Likely mistake: right to 4 to 7 digits only"), hint
    assert "a step of h/2 instead of h" in hint, hint  # chapter 08's own example


# -- 6. a float32 x differenced in place ---------------------------------------------------------

NG_IN_PLACE = """
def numerical_gradient(f, x, h):
    grad = np.zeros(x.shape)
    it = np.nditer(x, flags=["multi_index"], op_flags=["readwrite"])
    while not it.finished:
        i = it.multi_index
        old = x[i]
        x[i] = old + h; fp = f(x)
        x[i] = old - h; fm = f(x)
        x[i] = old
        grad[i] = (fp - fm) / (2 * h)
        it.iternext()
    return grad
"""


@pytest.mark.parametrize("suite", ["visible", "hidden"])
def test_the_caller_s_float32_x_differenced_in_place_is_told_to_make_a_float64_copy(suite):
    hint = likely(
        feedback("ch08_numerical_gradient", notebook(NG_IN_PLACE, "numerical_gradient"), suite)
    )
    assert hint.startswith("Likely mistake: the caller's float32 x differenced in place — "), hint
    assert "makes no copy of x" in hint and "np.array(x, dtype=np.float64)" in hint, hint
    assert "your copy kept that dtype" not in hint, hint


def test_a_float32_copy_is_still_told_its_copy_kept_float32():
    source = NG_IN_PLACE.replace("    grad = np.zeros", "    x = x.copy()\n    grad = np.zeros")
    hint = likely(feedback("ch08_numerical_gradient", notebook(source, "numerical_gradient")))
    assert hint.startswith(
        "Likely mistake: a float32 x differenced in float32, stored in float64 — "
    ), hint
    assert "your copy kept that dtype" in hint, hint


# -- 7-8. chapter 14 ---------------------------------------------------------------------------


def test_np_array_of_a_weight_and_its_bias_is_told_to_return_the_list():
    def ema_update(avg_params, params, decay):
        return np.array([decay * a + (1 - decay) * p for a, p in zip(avg_params, params)])

    said = feedback("ch14_ema_update", ema_update)
    assert "your function raised ValueError: setting an array element with a sequence" in said
    assert "arrays of different shapes, which cannot form one array" in said, said
    assert "The signature asks for a list of new arrays" in said, said
    assert "return the list itself, not np.array of it" in said, said


def test_an_unrelated_value_error_gets_no_note_about_np_array():
    def ema_update(avg_params, params, decay):
        raise ValueError("setting an array element with a sequence.")

    assert "cannot form one array" not in feedback("ch14_ema_update", ema_update)


@pytest.mark.parametrize("suite", ["visible", "hidden"])
def test_averaged_probabilities_are_told_to_take_the_argmax(suite):
    def ensemble_predict(logit_list):
        ps = []
        for z in logit_list:
            e = np.exp(z - z.max(axis=1, keepdims=True))
            ps.append(e / e.sum(axis=1, keepdims=True))
        return np.mean(ps, axis=0)

    said = feedback("ch14_ensemble_predict", ensemble_predict, suite)
    hint = likely(said)
    assert hint.startswith("Likely mistake: averaged probabilities returned, not classes"), hint
    assert "take the argmax over the classes (axis=1)" in hint, hint
    assert re.search(r"wrong shape: expected \(\d+,\), got \(\d+, \d+\)", said), said


def test_dlnotes_softmax_is_refused_in_the_words_of_the_prompt():
    from dlnotes.losses import softmax

    def ensemble_predict(logit_list):
        return np.mean([softmax(z) for z in logit_list], axis=0).argmax(axis=1)

    said = " ".join(feedback("ch14_ensemble_predict", ensemble_predict).split())
    assert "write the softmax yourself, in numpy, as its prompt says" in said, said
    assert "the check refuses a library's softmax code (dlnotes' or SciPy's)" in said, said


# -- 9. the error line under the HTML feedback ------------------------------------------------

LEARNER_SUMMARIES = [
    "ch08_numerical_gradient: 0 of 6 checks passed. Check 1 (f) failed:",
    "ch11_update_running_stats: 1 of 3 checks passed. Check 2 (D = 5) failed:",
    "ch11_batchnorm_forward: 0 of 4 checks passed. Check 1 (X) failed:",
    "ch14_ema_update: check 1 of 3 (a weight matrix (4, 3) and a bias (3,), decay 0.9): your "
    "function raised ValueError: setting an array element with a sequence. The requested",
    "ch04_momentum_step: not counted: cell [12] never reached `def momentum_step`. The rest",
    "a note that starts with no exercise name and goes on for a good many words, longer than "
    "one row",
]


@pytest.mark.parametrize("message", LEARNER_SUMMARIES)
def test_the_error_line_breaks_between_words_in_rows_jupyterlab_shows_whole(message):
    """JupyterLab breaks error text anywhere and shows 58 characters a row at 900 px: each row
    of the error line is at most ERROR_ROW_WIDTH (56) characters and ends at a word's end."""
    from dlnotes.exercises.verdict import ERROR_ROW_WIDTH
    from dlnotes.exercises.verdict import CheckFailed as Failed

    error = Failed(message)
    error.displayed = True  # as under the HTML feedback, in a notebook
    rendered = error._render_traceback_()
    shown = [re.sub(r"\x1b\[[0-9;]*m", "", row) for row in "\n".join(rendered).splitlines()]
    assert ERROR_ROW_WIDTH <= 58 and all(len(row) <= ERROR_ROW_WIDTH for row in shown), shown
    said = summary(message, 72)
    assert " ".join(" ".join(shown[:-1]).split()) == f"✗ CheckFailed: {said}", shown
    assert shown[-1] == "  (the feedback is above)" and len(rendered) == 2, rendered


def test_a_short_error_line_stays_one_row():
    from dlnotes.exercises.verdict import error_rows

    assert error_rows("✗ CheckFailed: ", "ch04_momentum_step: 1 of 4 checks passed") == [
        "✗ CheckFailed: ch04_momentum_step: 1 of 4 checks passed"
    ]
    assert error_rows("✗ CheckFailed: ", "ch11_update_running_stats: 1 of 3 checks passed") == [
        "✗ CheckFailed: ch11_update_running_stats:",
        "  1 of 3 checks passed",
    ]


# -- 10. chapter 08's explorer ---------------------------------------------------------------


def test_the_explorer_labels_its_thresholds_with_the_verdicts_words():
    import matplotlib.pyplot as plt

    from dlnotes.explorers.ch08 import _difference_setup
    from dlnotes.gradcheck import WORRY, verdict

    fig, state = _difference_setup()
    try:
        labels = [t.get_text() for t in state["ax"].texts]
    finally:
        plt.close(fig)
    assert "1e-3: bug?" in labels and not any("worry" in t for t in labels), labels
    assert WORRY == 1e-3 and verdict(WORRY) == "bug?" and verdict(0.99 * WORRY) == "suspicious"
