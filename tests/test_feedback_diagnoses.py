"""Generic diagnoses in check()'s feedback: a wrong result that is the expected one under a simple
transformation is named ("Likely mistake: ..."), an exercise can word a diagnosis its own way,
and a registered mistake that matches wins over a generic diagnosis.

Wrong answers here are written as a learner would write them, not built from the reference.
"""

from __future__ import annotations

import re

import numpy as np
import pytest

from dlnotes.exercises import Case, FunctionExercise, Mistake, check, exercises, get, register
from dlnotes.exercises.diagnose import result_names


def feedback(exercise, answer) -> str:
    with pytest.raises(AssertionError) as info:
        check(exercise, answer)
    return str(info.value)


def diagnosis(message: str) -> str:
    lines = [ln.strip() for ln in message.splitlines() if "Likely mistake:" in ln]
    assert len(lines) == 1, message
    return lines[0]


# --------------------------------------------------------------------------------------------
# A toy exercise (never registered): an SGD-with-momentum step with a tuple result
# --------------------------------------------------------------------------------------------


def step(x, v, g, lr, rho=0.9):
    """v ← ρv + g; x ← x − lr·v; returns (x_new, v_new)."""
    v_new = rho * v + g
    return x - lr * v_new, v_new


def _cases(seed: int) -> list[Case]:
    rng = np.random.default_rng(seed)
    out = []
    for d, lr, rho in ((3, 0.1, 0.5), (5, 0.03, 0.8), (4, 0.2, 0.95)):
        x, v, g = (rng.normal(size=d) for _ in range(3))
        out.append(Case(f"d={d}", (x, v, g, lr), {"rho": rho}))
    return out


def toy(**changes) -> FunctionExercise:
    fields = dict(
        name="ch99_step",
        chapter="99",
        title="toy",
        signature="step(x, v, g, lr, rho=0.9) -> (x_new, v_new)",
        hint="",
        solution=step,
        suites={"visible": lambda: _cases(1), "hidden": lambda: _cases(2)},
        time_limit=1.0,
    )
    fields.update(changes)
    return FunctionExercise(**fields)


TOY = toy()


def test_result_names_come_from_the_signature():
    assert result_names("f(a) -> (x_new, v_new)") == ["x_new", "v_new"]
    assert result_names("f(x) -> (out, (x_hat, mean, var))") == []  # nested: indices are used
    assert result_names("f(x) -> float") == []


def test_a_constant_factor_is_reported_with_its_value():
    def half_step(x, v, g, lr, rho=0.9):
        v_new = rho * v + g
        return x - 0.5 * lr * v_new, v_new

    def offset(x, v, g, lr, rho=0.9):
        v_new = rho * v + g
        return x - lr * v_new + 0.05, v_new  # no transformation of the expected result

    def doubled(x, v, g, lr, rho=0.9):
        v_new = rho * v + g
        return 2 * (x - lr * v_new), v_new

    line = diagnosis(feedback(TOY, doubled))
    assert "off by a constant factor" in line and "x_new (result 0) is 2 ×" in line
    assert "your step (x_new − x) is 0.5 ×" in diagnosis(feedback(TOY, half_step))
    # a wrong answer that is no transformation of the expected one gets no diagnosis
    assert "Likely mistake" not in feedback(TOY, offset)


def test_a_rounding_level_difference_is_no_factor_of_one():
    """Off only in the last digits (a float32 computation graded at float64 precision): not
    "1 × the expected one"."""

    def float32_step(x, v, g, lr, rho=0.9):
        v_new = rho * v + g
        x_new = (x.astype(np.float32) - np.float32(lr) * v_new.astype(np.float32)).astype(float)
        return x_new, v_new

    text = feedback(toy(rtol=1e-12, atol=1e-15), float32_step)
    assert "1 ×" not in text and "wrong values" in text


def test_sign_transposed_and_zeros():
    def flipped(x, v, g, lr, rho=0.9):
        v_new = rho * v + g
        return lr * v_new - x, v_new

    def zeros(x, v, g, lr, rho=0.9):
        return np.zeros_like(x), rho * v + g

    assert "sign flipped" in diagnosis(feedback(TOY, flipped))
    assert "all zeros" in diagnosis(feedback(TOY, zeros))
    xavier = get("ch07_xavier_uniform")

    def transposed(fan_in, fan_out, rng):
        a = np.sqrt(6.0 / (fan_in + fan_out))
        W = rng.uniform(-a, a, size=(fan_in, fan_out))
        return W.T  # (fan_out, fan_in): the layout of torch.nn.Linear.weight

    assert "transposed" in diagnosis(feedback(xavier, transposed))


def test_input_returned_dtype_list_and_tuple_shape():
    def forgot_update(x, v, g, lr, rho=0.9):
        v_new = rho * v + g
        x_new = x.copy()
        x_new - lr * v_new  # the update is computed and dropped
        return x_new, v_new

    def in_float32(x, v, g, lr, rho=0.9):
        v_new = rho * v + g
        return (x - lr * v_new).astype(np.float32), v_new

    def as_list(x, v, g, lr, rho=0.9):
        v_new = rho * v + g
        return [xi - lr * vi for xi, vi in zip(x, v_new)], v_new

    def swapped(x, v, g, lr, rho=0.9):
        v_new = rho * v + g
        return v_new, x - lr * v_new

    def only_x(x, v, g, lr, rho=0.9):
        return x - lr * (rho * v + g)

    def as_list_not_tuple(x, v, g, lr, rho=0.9):
        v_new = rho * v + g
        return [x - lr * v_new, v_new]

    assert "returned the input x" in diagnosis(feedback(TOY, forgot_update))
    line = diagnosis(feedback(TOY, in_float32))
    assert "wrong dtype" in line and "float32" in line and "float64" in line
    assert "a list instead of an array" in diagnosis(feedback(TOY, as_list))
    assert "you returned (v_new, x_new)" in diagnosis(feedback(TOY, swapped))
    assert "only x_new returned" in diagnosis(feedback(TOY, only_x))
    assert "a list instead of a tuple" in diagnosis(feedback(TOY, as_list_not_tuple))


def test_hyperparameter_ignored_and_stale_state():
    def ignores_rho(x, v, g, lr, rho=0.9):
        v_new = 0.9 * v + g  # the default, whatever rho is
        return x - lr * v_new, v_new

    line = diagnosis(feedback(TOY, ignores_rho))
    assert "as if rho were 0.9" in line and "its default" in line

    memory = []

    def cached(x, v, g, lr, rho=0.9):
        if not memory:
            v_new = rho * v + g
            memory.append((x - lr * v_new, v_new))
        return memory[0]

    assert "a result from an earlier call" in diagnosis(feedback(TOY, cached))


def test_a_sequence_one_step_short_or_late():
    ex = get("ch02_gradient_descent")

    def one_short(grad, x0, lr, steps):
        xs = [np.array(x0, dtype=float)]
        for _ in range(steps - 1):  # one step too few
            xs.append(xs[-1] - lr * grad(xs[-1]))
        return np.array(xs)

    def stores_after(grad, x0, lr, steps):
        xs, x = [np.array(x0, dtype=float)], np.array(x0, dtype=float)
        for _ in range(steps):
            xs.append(x.copy())  # stores the previous iterate, then updates
            x = x - lr * grad(x)
        return np.array(xs)

    assert "off by one step" in diagnosis(feedback(ex, one_short))
    assert "one step late" in diagnosis(feedback(ex, stores_after))


def test_an_exercise_words_a_diagnosis_its_own_way():
    worded = toy(
        diagnoses={
            "hyperparameter rho": "ρ is the momentum coefficient: multiply the old v by rho.",
            "factor 1 - rho": "this is the EWA form v = ρv + (1 − ρ)g; the book uses v = ρv + g.",
        }
    )

    def ignores_rho(x, v, g, lr, rho=0.9):
        v_new = 0.9 * v + g
        return x - lr * v_new, v_new

    assert "multiply the old v by rho" in diagnosis(feedback(worded, ignores_rho))
    scaled = toy(
        diagnoses={"factor 1 - rho": "did you scale the whole step by (1 − ρ)?"},
    )

    def times_one_minus_rho(x, v, g, lr, rho=0.9):
        v_new = rho * v + g
        return (1 - rho) * (x - lr * v_new), v_new

    line = diagnosis(feedback(scaled, times_one_minus_rho))
    assert "(1 - rho) ×" in line and "scale the whole step by (1 − ρ)" in line


def test_a_registered_mistake_wins_over_a_generic_diagnosis():
    def doubled(x, v, g, lr, rho=0.9):
        v_new = rho * v + g
        return 2 * (x - lr * v_new), v_new

    with_mistake = toy(mistakes=(Mistake("doubled x", "no factor 2 in the update", doubled),))
    line = diagnosis(feedback(with_mistake, doubled))
    assert line == "Likely mistake: doubled x — no factor 2 in the update"


def test_no_diagnosis_for_an_input_modified_in_place_only():
    def in_place(x, v, g, lr, rho=0.9):
        v *= rho
        v += g
        return x - lr * v, v.copy()

    message = feedback(TOY, in_place)
    assert "modified its input v in place" in message and "Likely mistake" not in message


def test_a_constant_verdict_is_named_for_a_string_exercise():
    line = diagnosis(feedback("ch01_diagnose", lambda *a, **k: "high bias"))
    assert "the same result every time" in line


def test_an_update_step_off_by_a_factor_or_going_uphill():
    def lr_squared(x, v, g, lr, rho=0.9):
        v_new = rho * v + g
        return x - lr * lr * v_new, v_new

    def uphill(x, v, g, lr, rho=0.9):
        v_new = rho * v + g
        return x + lr * v_new, v_new

    line = diagnosis(feedback(TOY, lr_squared))
    assert "your step (x_new − x) is lr ×" in line
    assert "the step goes the wrong way" in diagnosis(feedback(TOY, uphill))


def test_chapter_wording_for_adam_and_momentum():
    def adam_no_m_correction(x, m, v, g, t, lr, beta1, beta2, eps):
        m = beta1 * m + (1 - beta1) * g
        v = beta2 * v + (1 - beta2) * g * g
        return x - lr * m / (np.sqrt(v / (1 - beta2**t)) + eps), m, v

    def gradient_step(x, v, g, lr, rho):
        return x - lr * g, rho * v + g

    line = diagnosis(feedback("ch05_adam_step", adam_no_m_correction))
    assert "(1 - beta1**t) ×" in line and "bias correction of m" in line
    line = diagnosis(feedback("ch04_momentum_step", gradient_step))
    assert "as if rho were 0" in line and "x_new = x − lr·v_new" in line


@pytest.mark.parametrize(
    ("key", "complaint"),
    [
        ("factr 2", "unknown diagnosis"),
        ("factor 1 - beta", "names ['beta']"),
        ("step factor (1 -", "is not an expression"),
        ("hyperparameter momentum", "'momentum' is not a parameter"),
    ],
)
def test_a_wording_key_that_can_never_match_is_refused(key, complaint):
    with pytest.raises(ValueError, match=re.escape(complaint)):
        register(toy(diagnoses={key: "a text"}))
    assert "ch99_step" not in {ex.name for ex in exercises()}


def test_two_arguments_swapped():
    def kaiming(fan_out, fan_in, rng):  # the parameters in the wrong order
        return rng.normal(0.0, np.sqrt(2.0 / fan_in), size=(fan_in, fan_out))

    line = diagnosis(feedback("ch07_kaiming_normal", kaiming))
    assert "fan_in and fan_out swapped" in line


def test_parameters_in_another_order_are_said_first_without_a_guess():
    """A learner's def took (..., momentum, n) for (..., n, momentum): the feedback led with
    "off by a factor (80 in check 1, ...)" and gave the real cause last."""

    def update_running_stats(running_mean, running_var, batch_mean, batch_var, momentum, n):
        unbiased = batch_var * n / (n - 1)
        new_mean = (1 - momentum) * running_mean + momentum * batch_mean
        return new_mean, (1 - momentum) * running_var + momentum * unbiased

    said = feedback("ch11_update_running_stats", update_running_stats).splitlines()
    assert said[1].startswith("  Note: your function takes (running_mean, running_var, "), said
    assert not any("Likely mistake" in line for line in said), said


def test_a_result_printed_instead_of_returned_is_named(capsys):
    """The classic beginner's slip: print where return belongs. A function with a return
    only in one branch of an if gives None on the other, and is named the same way."""

    def batchnorm_forward(X, gamma, beta, eps):
        mean = X.mean(axis=0)
        var = ((X - mean) ** 2).mean(axis=0)
        x_hat = (X - mean) / np.sqrt(var + eps)
        print(gamma * x_hat + beta, (x_hat, mean, var))

    line = diagnosis(feedback("ch11_batchnorm_forward", batchnorm_forward))
    assert "returned None: no return statement was reached" in line
    assert "print only shows a value" in line
    capsys.readouterr()

    def max_stable_lr(H):  # a single number: the few-observations path names it too
        L = np.linalg.eigvalsh(H).max()
        if L > 1e9:
            return 2.0 / L

    line = diagnosis(feedback("ch02_max_stable_lr", max_stable_lr))
    assert "returned None" in line and "each branch of an if ends in a return" in line


def test_an_argument_hard_coded_to_another_checks_value_is_named():
    RHO = 0.8  # a learner's variable from an earlier cell: check 2's value

    def answer(x, v, g, lr, rho=0.9):
        v_new = RHO * v + g
        return x - lr * v_new, v_new

    line = diagnosis(feedback(TOY, answer))
    assert "as if rho were 0.8" in line and "(the value of check 2)" in line, line
    assert "read from a variable outside the function" in line


def _notebook(source: str, name: str):
    """Run ``source`` as a notebook's cells would (its variables are globals) and return
    the function ``name`` it defines."""
    space: dict = {"np": np}
    exec(compile(source, "<cell>", "exec"), space)
    return space[name]


def test_a_variable_of_an_earlier_cell_read_for_an_argument_is_named():
    """A learner who defined keep = 0.5 in an earlier cell and reads it inside the function:
    0.5 is no check's value, and the feedback names the variable itself."""
    dropout_forward = _notebook(
        """
keep = 0.5
def dropout_forward(X, p, mode, u):
    if mode != "train":
        return X.copy()
    return X * (u >= keep) / (1 - keep)
""",
        "dropout_forward",
    )
    line = diagnosis(feedback("ch10_dropout_forward", dropout_forward))
    assert "as if p were 0.5" in line and "(the variable keep of an earlier cell)" in line
    assert "your function reads keep where the argument p belongs: use p" in line


def test_a_number_written_for_an_argument_is_named():
    def dropout_forward(X, p, mode, u):
        if mode != "train":
            return X.copy()
        return X * (u >= 0.3) / (1 - 0.3)

    line = diagnosis(feedback("ch10_dropout_forward", dropout_forward))
    assert "as if p were 0.3" in line and "(the number 0.3 written in your function)" in line
    assert line.endswith("instead of the given p = 0.2: write the argument p in its place"), (
        line
    )  # a learner read "the number 0.3" three times in one line
    assert line.count("0.3") == 3 and "has the number" not in line


def test_the_function_of_another_exercise_is_named():
    """A learner copied the check cell of the exercise above and passed l1_prox_step to the
    weight-decay check: four failed checks with wrong values, and nothing said why."""

    def l1_prox_step(w, g, lr, lam):
        z = w - lr * g
        return np.sign(z) * np.maximum(np.abs(z) - lr * lam, 0)

    said = feedback("ch09_sgd_weight_decay_step", l1_prox_step)
    assert said.startswith(
        "note: you passed l1_prox_step, the function of exercise ch09_l1_prox_step; "
        "ch09_sgd_weight_decay_step checks sgd_weight_decay_step.\n"
    ), said

    def sgd_weight_decay_step(w, g, lr, weight_decay):  # its own name, wrong: no note
        return w - lr * g

    assert "note: you passed" not in feedback("ch09_sgd_weight_decay_step", sgd_weight_decay_step)

    def my_step(w, g, lr, weight_decay):  # a name of its own: no note either
        return w - lr * g

    assert "note: you passed" not in feedback("ch09_sgd_weight_decay_step", my_step)


def test_numbers_of_a_callable_object_or_used_rightly_are_not_blamed():
    """Only a def or a lambda is read (an object's __code__ could be anything), and a number
    the function uses for something else is named only if it reproduces the results."""
    from dlnotes.exercises.core import _numbers_in

    class Step:
        __code__ = "not code"

        def __call__(self, *a):
            return 0.0

    assert _numbers_in(Step()) == []
    f = _notebook("eps = 1e-8\nscale = 2.5\nf = lambda x: (x + eps) * scale * 0.5 + 1\n", "f")
    assert [v for _, v in _numbers_in(f)] == [1e-8, 2.5, 0.5]

    def dropout_forward(X, p, mode, u):  # 0.5 is used, but not for p: no variable to blame
        if mode != "train":
            return X.copy()
        return X * (u >= p) / (1 - p) * 0.5

    assert "written in your function" not in feedback("ch10_dropout_forward", dropout_forward)


def _counts(xs, k):
    """(how many, how many above k)"""
    return len(xs), int(sum(x > k for x in xs))


def test_one_wrong_count_in_a_tuple_equal_to_an_input_is_no_evidence():
    cases = [
        Case("a", ([3.0, 0.5, 0.2], 2)),
        Case("b", ([5.0, 0.1], 1)),
        Case("c", ([4.0, 2.0, 0.5], 1)),  # two above k = 1: the answer's 1 equals k by chance
    ]
    ex = toy(
        name="ch99_counts",
        signature="counts(xs, k) -> (n, above)",
        solution=_counts,
        suites={"visible": lambda: cases, "hidden": lambda: cases},
    )

    def answer(xs, k):
        return len(xs), int(xs[0] > k)  # looks at the first entry only

    message = feedback(ex, answer)
    assert "2 of 3 checks passed. Check 3 (c) failed" in message, message
    assert "returned the input k" not in message, message


def test_the_callers_list_returned_is_named_as_a_list():
    def answer(avg_params, params, decay):
        for i, p in enumerate(params):
            avg_params[i] = decay * avg_params[i] + (1 - decay) * p
        return avg_params

    message = feedback("ch14_ema_update", answer)
    assert "returned its input avg_params itself (the caller's list)" in message, message
    assert "input array" not in message, message
    assert "`avg_params[i] = ...` into the caller's list" in diagnosis(message)


def test_a_wrong_element_of_a_named_result_is_named_by_the_signature():
    """``-> (penalty, grads)``: a wrong bias gradient is "grads[1] (result 1)", not the bare
    "result 1[1]"."""

    def l2_penalty_and_grad(params, lam):
        penalty = 0.5 * lam * sum(float(np.sum(w**2)) for w in params if w.ndim == 2)
        return penalty, [lam * w for w in params]  # the bias penalised too

    message = feedback("ch09_l2_penalty_and_grad", l2_penalty_and_grad)
    assert "\n  in grads[1] (result 1): wrong values" in message, message

    def penalty_off(params, lam):
        penalty = lam * sum(float(np.sum(w**2)) for w in params if w.ndim == 2)
        return penalty, [lam * w if w.ndim == 2 else np.zeros_like(w) for w in params]

    assert "\n  in penalty (result 0): wrong value" in feedback(
        "ch09_l2_penalty_and_grad", penalty_off
    )


def test_a_challenge_answer_in_the_wrong_order_is_named():
    message = feedback("ch04_momentum_challenge", (0.67, 3.3))
    assert "rho must be in [0, 1), got 3.3 (swapped? the order is (lr, rho))" in message
    assert "swapped" not in feedback("ch04_momentum_challenge", (1.5, 1.2))
