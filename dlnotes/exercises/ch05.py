"""Exercises of chapter 05 (Adaptive methods).

* ``ch05_adam_step``: ``adam_step(x, m, v, g, t, lr, beta1, beta2, eps)``, one Adam step with
  bias correction, returning the new ``(x, m, v)``;
* ``ch05_rmsprop_step``: ``rmsprop_step(x, grad_squared, g, lr, alpha, eps)``, one RMSProp step,
  returning the new ``(x, grad_squared)``;
* ``ch05_adagrad_step``: ``adagrad_step(x, grad_sum, g, lr, eps)``, one AdaGrad step;
* ``ch05_adamw_step``: ``adamw_step(x, m, v, g, t, lr, beta1, beta2, eps, weight_decay)``, one
  AdamW step with torch's decoupled decay.

Each exercise is laid out as in chapter 02: the reference solution, the common wrong versions
(``_name_of_the_mistake``), the visible and hidden cases (seeded, non-trivial inputs), then one
:func:`register` call. Both follow ``torch.optim``: ``ε`` is added *outside* the square root.

Defined in chapter 05 (Adaptive methods).
"""

from __future__ import annotations

import numpy as np

from dlnotes.exercises.core import Case, FunctionExercise, Mistakes, register, seeded

# ============================================================================================
# ch05_adam_step
# ============================================================================================


def adam_step(
    x: np.ndarray,
    m: np.ndarray,
    v: np.ndarray,
    g: np.ndarray,
    t: int,
    lr: float,
    beta1: float,
    beta2: float,
    eps: float,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """One Adam step with bias correction; all arrays share one shape, ``t`` counts from 1::

        m = β1 m + (1 − β1) g               v = β2 v + (1 − β2) g²
        m̂ = m / (1 − β1^t)                  v̂ = v / (1 − β2^t)
        x = x − lr · m̂ / (√v̂ + ε)

    Returns new arrays ``(x, m, v)``; the inputs are left untouched. Same result as
    ``torch.optim.Adam`` at its step ``t``.

    Defined in chapter 05 (Adaptive methods).
    """
    m = beta1 * m + (1 - beta1) * g
    v = beta2 * v + (1 - beta2) * g * g
    m_hat = m / (1 - beta1**t)
    v_hat = v / (1 - beta2**t)
    x = x - lr * m_hat / (np.sqrt(v_hat) + eps)
    return x, m, v


def _adam_moments(m, v, g, beta1, beta2):
    """The new moving averages ``(m, v)`` of ``g`` and ``g²``, as :func:`adam_step` updates them."""
    return beta1 * m + (1 - beta1) * g, beta2 * v + (1 - beta2) * g * g


#: The common mistakes of ``ch05_adam_step``, each declared on its wrong code.
adam_step_mistakes = Mistakes()


@adam_step_mistakes.add(
    "no bias correction",
    "you used m and v directly. Both start at 0, so early on they are too small by "
    "the factors 1 − β1**t and 1 − β2**t; divide by them. Without the correction the "
    "first step is (1 − β1)/√(1 − β2) ≈ 3.2 times *larger* than Adam's.",
)
def _adam_no_bias_correction(x, m, v, g, t, lr, beta1, beta2, eps):
    m, v = _adam_moments(m, v, g, beta1, beta2)
    return x - lr * m / (np.sqrt(v) + eps), m, v


@adam_step_mistakes.add(
    "eps inside the square root",
    "you computed √(v̂ + ε); Adam (and torch.optim) use √v̂ + ε. Inside the root ε "
    "acts like √ε = 1e-4 outside it, which damps small gradients up to 10 000 times more "
    "(ten times at |g| = 1e-5).",
)
def _adam_eps_inside_sqrt(x, m, v, g, t, lr, beta1, beta2, eps):
    m, v = _adam_moments(m, v, g, beta1, beta2)
    m_hat, v_hat = m / (1 - beta1**t), v / (1 - beta2**t)
    return x - lr * m_hat / np.sqrt(v_hat + eps), m, v


@adam_step_mistakes.add(
    "step counter off by one",
    "you corrected with 1 − β**(t + 1): t is already the step number and the first "
    "step is t = 1 (so at t = 1 the correction divides m by 1 − β1 = 0.1).",
)
def _adam_t_from_zero(x, m, v, g, t, lr, beta1, beta2, eps):
    m, v = _adam_moments(m, v, g, beta1, beta2)
    m_hat, v_hat = m / (1 - beta1 ** (t + 1)), v / (1 - beta2 ** (t + 1))
    return x - lr * m_hat / (np.sqrt(v_hat) + eps), m, v


@adam_step_mistakes.add(
    "β instead of β**t",
    "the correction divides by 1 − β1**t and 1 − β2**t, powers of the step number; "
    "1 − β1 and 1 − β2 are right only at t = 1.",
)
def _adam_beta_not_power(x, m, v, g, t, lr, beta1, beta2, eps):
    m, v = _adam_moments(m, v, g, beta1, beta2)
    m_hat, v_hat = m / (1 - beta1), v / (1 - beta2)
    return x - lr * m_hat / (np.sqrt(v_hat) + eps), m, v


@adam_step_mistakes.add(
    "(1 − β)**t instead of 1 − β**t",
    "the correction divides by 1 minus β1**t (and 1 minus β2**t): ** binds tighter than −, "
    "so β is raised to the power t first and the result taken from 1. (1 − β)**t agrees at "
    "t = 1 only, then shrinks towards 0 and makes m̂ and v̂ far too large.",
)
def _adam_power_of_one_minus_beta(x, m, v, g, t, lr, beta1, beta2, eps):
    m, v = _adam_moments(m, v, g, beta1, beta2)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):  # (1 − β2)**t → 0
        m_hat, v_hat = m / (1 - beta1) ** t, v / (1 - beta2) ** t
        return x - lr * m_hat / (np.sqrt(v_hat) + eps), m, v


@adam_step_mistakes.add(
    "β and 1 − β swapped",
    "the old average keeps the large weight and the new gradient gets the small one: "
    "β1 multiplies the old m and 1 − β1 the new g (β2 and 1 − β2 likewise in v). Yours "
    "gives the new gradient the weight β, so m and v forget their past almost at once (as "
    "the swapped average of chapter 03 does).",
)
def _adam_betas_swapped(x, m, v, g, t, lr, beta1, beta2, eps):
    m = (1 - beta1) * m + beta1 * g
    v = (1 - beta2) * v + beta2 * g * g
    m_hat, v_hat = m / (1 - beta1**t), v / (1 - beta2**t)
    return x - lr * m_hat / (np.sqrt(v_hat) + eps), m, v


@adam_step_mistakes.add(
    "moments reset at t = 1",
    "m and v are the state the caller hands in: the step updates them as they are, at "
    "every t. Setting them to 0 at t = 1 throws away the moments given (here warm-started, "
    "not zero); starting from zero is the caller's job, and bias correction makes up for it.",
)
def _adam_reset_at_first_step(x, m, v, g, t, lr, beta1, beta2, eps):
    if t == 1:
        m, v = np.zeros_like(m), np.zeros_like(v)  # the moments passed in are thrown away
    m, v = _adam_moments(m, v, g, beta1, beta2)
    m_hat, v_hat = m / (1 - beta1**t), v / (1 - beta2**t)
    return x - lr * m_hat / (np.sqrt(v_hat) + eps), m, v


@adam_step_mistakes.add(
    "only m corrected",
    "you corrected m but not v. Both need it: v̂ = v / (1 − β2**t). Correcting only "
    "m makes the first step 1/√(1 − β2) ≈ 32 times too large.",
)
def _adam_only_m_corrected(x, m, v, g, t, lr, beta1, beta2, eps):
    m, v = _adam_moments(m, v, g, beta1, beta2)
    return x - lr * (m / (1 - beta1**t)) / (np.sqrt(v) + eps), m, v


@adam_step_mistakes.add(
    "returned the corrected moments",
    "return the raw m and v (the state the next step builds on), not m̂ and v̂; "
    "the corrected values are only used for this step's update of x.",
)
def _adam_corrected_moments_returned(x, m, v, g, t, lr, beta1, beta2, eps):
    m, v = _adam_moments(m, v, g, beta1, beta2)
    m, v = m / (1 - beta1**t), v / (1 - beta2**t)  # the corrected values leak into the state
    return x - lr * m / (np.sqrt(v) + eps), m, v


@adam_step_mistakes.add(
    "updates the inputs in place",
    "`m *= β1` (and `x -= ...`) changed the caller's arrays. Build new ones: "
    "`m = beta1 * m + (1 - beta1) * g`.",
)
def _adam_in_place(x, m, v, g, t, lr, beta1, beta2, eps):
    m *= beta1
    m += (1 - beta1) * g
    v *= beta2
    v += (1 - beta2) * g * g
    x -= lr * (m / (1 - beta1**t)) / (np.sqrt(v / (1 - beta2**t)) + eps)
    return x, m, v


@adam_step_mistakes.add(
    "|g| instead of g² in v",
    "v is the moving average of the *squared* gradient, v = β2·v + (1 − β2)·g², so "
    "that √v̂ has the scale of g; averaging |g| and then taking the root does not.",
)
def _adam_abs_not_square(x, m, v, g, t, lr, beta1, beta2, eps):
    m = beta1 * m + (1 - beta1) * g
    v = beta2 * v + (1 - beta2) * np.abs(g)
    m_hat, v_hat = m / (1 - beta1**t), v / (1 - beta2**t)
    return x - lr * m_hat / (np.sqrt(v_hat) + eps), m, v


@adam_step_mistakes.add(
    "β1 used for v",
    "v averages g² with its own rate β2: v = β2·v + (1 − β2)·g². With β1 (0.9) it forgets "
    "the squared gradients ten times faster than Adam's 0.999 does.",
)
def _adam_beta1_for_v(x, m, v, g, t, lr, beta1, beta2, eps):
    m = beta1 * m + (1 - beta1) * g
    v = beta1 * v + (1 - beta1) * g * g
    m_hat, v_hat = m / (1 - beta1**t), v / (1 - beta2**t)
    return x - lr * m_hat / (np.sqrt(v_hat) + eps), m, v


@adam_step_mistakes.add(
    "β1 used for v and its correction",
    "v averages g² with its own rate β2, and is corrected by its own 1 − β2**t: "
    "v = β2·v + (1 − β2)·g², v̂ = v/(1 − β2**t). You used β1 (0.9) in both places.",
)
def _adam_beta1_for_v_everywhere(x, m, v, g, t, lr, beta1, beta2, eps):
    m = beta1 * m + (1 - beta1) * g
    v = beta1 * v + (1 - beta1) * g * g
    m_hat, v_hat = m / (1 - beta1**t), v / (1 - beta1**t)
    return x - lr * m_hat / (np.sqrt(v_hat) + eps), m, v


@adam_step_mistakes.add(
    "g not squared in v",
    "v is the moving average of the *squared* gradient, v = β2·v + (1 − β2)·g²; averaging g "
    "itself can make v negative, and √v̂ is then nan.",
)
def _adam_g_not_squared(x, m, v, g, t, lr, beta1, beta2, eps):
    m = beta1 * m + (1 - beta1) * g
    v = beta2 * v + (1 - beta2) * g
    m_hat, v_hat = m / (1 - beta1**t), v / (1 - beta2**t)
    with np.errstate(invalid="ignore"):
        return x - lr * m_hat / (np.sqrt(v_hat) + eps), m, v


@adam_step_mistakes.add(
    "returned the step, not the new x",
    "your first result is lr·m̂/(√v̂ + ε), the step itself; the task asks for the new "
    "parameters, x minus that step.",
)
def _adam_returned_step(x, m, v, g, t, lr, beta1, beta2, eps):
    m, v = _adam_moments(m, v, g, beta1, beta2)
    m_hat, v_hat = m / (1 - beta1**t), v / (1 - beta2**t)
    return lr * m_hat / (np.sqrt(v_hat) + eps), m, v


@adam_step_mistakes.add(
    "ε added before the bias correction",
    "folding the corrections into the step, lr·√(1 − β2**t)/(1 − β1**t)·m/(√v + ε), "
    "adds ε to the *uncorrected* √v, so ε weighs 1/√(1 − β2**t) times more than in "
    "Adam. Correct m and v first, then lr·m̂/(√v̂ + ε).",
)
def _adam_eps_hat(x, m, v, g, t, lr, beta1, beta2, eps):
    m, v = _adam_moments(m, v, g, beta1, beta2)
    step = lr * np.sqrt(1 - beta2**t) / (1 - beta1**t)  # the corrections folded into lr
    return x - step * m / (np.sqrt(v) + eps), m, v


@adam_step_mistakes.add(
    "step counter one behind",
    "you corrected with 1 − β**(t − 1), which is 0 at the first step (t = 1) and "
    "divides by zero. t is already the step number: use 1 − β1**t and 1 − β2**t.",
)
def _adam_t_minus_one(x, m, v, g, t, lr, beta1, beta2, eps):
    m, v = _adam_moments(m, v, g, beta1, beta2)
    with np.errstate(divide="ignore", invalid="ignore"):  # 1 − β**0 = 0 at t = 1
        m_hat, v_hat = m / (1 - beta1 ** (t - 1)), v / (1 - beta2 ** (t - 1))
        return x - lr * m_hat / (np.sqrt(v_hat) + eps), m, v


def _adam_state(
    rng: np.random.Generator, shape: tuple[int, ...], t: int, scale: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """``(x, m, v, g)`` as after ``t - 1`` steps: m and v from ``t - 1`` random past gradients.

    At ``t = 1`` the moments are those of a warm start (3 earlier gradients), so that no input
    array is constant.
    """
    x = rng.uniform(-2.0, 2.0, shape)
    m, v = np.zeros(shape), np.zeros(shape)
    for _ in range(max(t - 1, 3)):
        past = scale * rng.standard_normal(shape)
        m = 0.9 * m + 0.1 * past
        v = 0.999 * v + 0.001 * past * past
    g = scale * rng.standard_normal(shape)
    return x, m, v, g


def _adam_cases(seed: int, hidden: bool) -> list[Case]:
    rng = np.random.default_rng(seed)
    # (label, shape, t, lr, (beta1, beta2), eps, gradient scale); one case with other betas, so
    # that torch's defaults written into the code fail
    specs = [
        ("t=1, warm-started moments", (5,), 1, 1e-3, (0.9, 0.999), 1e-8, 1.0),
        ("t=2, beta1 = 0.8, beta2 = 0.99", (4,), 2, 1e-2, (0.8, 0.99), 1e-8, 0.5),
        ("t=7, a (2, 3) parameter", (2, 3), 7, 3e-3, (0.9, 0.999), 1e-8, 2.0),
        ("t=40, tiny gradients (~1e-5): eps matters", (6,), 40, 1e-2, (0.9, 0.999), 1e-8, 1e-5),
        ("t=3, large eps = 1e-3", (5,), 3, 0.1, (0.9, 0.999), 1e-3, 0.05),
    ]
    if hidden:
        specs = [
            ("t=1, warm-started moments, d=8", (8,), 1, 0.05, (0.9, 0.999), 1e-8, 3.0),
            ("t=5, a (3, 2) parameter, beta1 = 0.5", (3, 2), 5, 1e-3, (0.5, 0.999), 1e-8, 0.2),
            ("t=120, small gradients (~1e-4)", (7,), 120, 1e-3, (0.9, 0.999), 1e-7, 1e-4),
            ("t=2, eps = 1e-4, beta2 = 0.9", (4,), 2, 0.2, (0.9, 0.9), 1e-4, 0.01),
            ("t=15, d=10", (10,), 15, 2e-3, (0.95, 0.98), 1e-8, 1.5),
        ]
    cases = []
    for label, shape, t, lr, (beta1, beta2), eps, scale in specs:
        x, m, v, g = _adam_state(rng, shape, t, scale)
        cases.append(Case(label, (x, m, v, g, t, lr, beta1, beta2, eps)))
    return cases


@adam_step_mistakes.add(
    "torch's default betas written in",
    "β1 = 0.9 and β2 = 0.999 are only torch's defaults: the step must use the arguments "
    "beta1 and beta2, whatever they are.",
)
def _adam_default_betas(x, m, v, g, t, lr, beta1, beta2, eps):
    m = 0.9 * m + 0.1 * g
    v = 0.999 * v + 0.001 * g * g
    m_hat, v_hat = m / (1 - 0.9**t), v / (1 - 0.999**t)
    return x - lr * m_hat / (np.sqrt(v_hat) + eps), m, v


@adam_step_mistakes.add(
    "no square root",
    "v̂ estimates the mean of g², so it has the scale of g²; √v̂ has the scale of |g|. "
    "Divide by √v̂ + ε, not by v̂ + ε.",
)
def _adam_no_sqrt(x, m, v, g, t, lr, beta1, beta2, eps):
    m, v = _adam_moments(m, v, g, beta1, beta2)
    m_hat, v_hat = m / (1 - beta1**t), v / (1 - beta2**t)
    return x - lr * m_hat / (v_hat + eps), m, v


@adam_step_mistakes.add(
    "ε added to the step",
    "lr * m_hat / np.sqrt(v_hat) + eps adds ε to the step (operator precedence); ε belongs "
    "in the denominator: lr * m_hat / (np.sqrt(v_hat) + eps).",
)
def _adam_eps_outside(x, m, v, g, t, lr, beta1, beta2, eps):
    m, v = _adam_moments(m, v, g, beta1, beta2)
    m_hat, v_hat = m / (1 - beta1**t), v / (1 - beta2**t)
    return x - (lr * m_hat / np.sqrt(v_hat) + eps), m, v


register(
    FunctionExercise(
        name="ch05_adam_step",
        diagnoses={  # wording for generic diagnoses (dlnotes.exercises.diagnose)
            "step factor 1 - beta1**t": "did you drop the bias correction of m? Divide m by "
            "1 − β1**t before the step.",
        },
        chapter="05",
        title="One Adam step with bias correction",
        signature=("adam_step(x, m, v, g, t, lr, beta1, beta2, eps) -> (x_new, m_new, v_new)"),
        hint=(
            "Update the two moving averages, m = β1·m + (1−β1)·g and v = β2·v + (1−β2)·g², "
            "divide them by 1 − β1**t and 1 − β2**t (t is the step number, 1 for the first "
            "step), then x − lr·m̂/(√v̂ + ε). Return the *uncorrected* m and v: they are the "
            "state of the next step."
        ),
        solution=adam_step,
        suites=seeded(_adam_cases, visible=5, hidden=50),
        mistakes=adam_step_mistakes.all,
        references=(
            "dlnotes.optim.teaching:adam_step",
            "dlnotes.optim:Adam",
            "dlnotes.landscapes.runners:lr_sweep",
        ),
    )
)


# ============================================================================================
# ch05_rmsprop_step
# ============================================================================================


def rmsprop_step(
    x: np.ndarray, grad_squared: np.ndarray, g: np.ndarray, lr: float, alpha: float, eps: float
) -> tuple[np.ndarray, np.ndarray]:
    """One RMSProp step (``torch.optim.RMSprop`` without momentum); arrays of one shape::

        grad_squared = α · grad_squared + (1 − α) · g²
        x = x − lr · g / (√grad_squared + ε)

    Returns new arrays ``(x, grad_squared)``; the inputs are left untouched.

    Defined in chapter 05 (Adaptive methods).
    """
    grad_squared = alpha * grad_squared + (1 - alpha) * g * g
    x = x - lr * g / (np.sqrt(grad_squared) + eps)
    return x, grad_squared


#: The common mistakes of ``ch05_rmsprop_step``, each declared on its wrong code.
rmsprop_step_mistakes = Mistakes()


@rmsprop_step_mistakes.add(
    "alpha used as the learning rate",
    "alpha is the decay of the running average (torch.optim.RMSprop's name for it), not the "
    "learning rate: the step is lr·g/(√grad_squared + ε). The book writes the learning rate "
    "α elsewhere; here it is the argument lr.",
)
def _rms_alpha_as_lr(x, grad_squared, g, lr, alpha, eps):
    grad_squared = alpha * grad_squared + (1 - alpha) * g * g
    return x - alpha * g / (np.sqrt(grad_squared) + eps), grad_squared


@rmsprop_step_mistakes.add(
    "eps inside the square root",
    "you computed √(grad_squared + ε); torch.optim and this book use "
    "√grad_squared + ε. The two differ a lot when gradients are as small as √ε.",
)
def _rms_eps_inside_sqrt(x, grad_squared, g, lr, alpha, eps):
    grad_squared = alpha * grad_squared + (1 - alpha) * g * g
    return x - lr * g / np.sqrt(grad_squared + eps), grad_squared


@rmsprop_step_mistakes.add(
    "no square root",
    "divide by the root mean square, √grad_squared + ε, not by grad_squared itself "
    "(which has the units of g², so the step would not be scale-free).",
)
def _rms_no_sqrt(x, grad_squared, g, lr, alpha, eps):
    grad_squared = alpha * grad_squared + (1 - alpha) * g * g
    return x - lr * g / (grad_squared + eps), grad_squared


@rmsprop_step_mistakes.add(
    "stale average",
    "you stepped with the old grad_squared and updated it afterwards: update the "
    "average with the current g first, then divide by its root.",
)
def _rms_stale_average(x, grad_squared, g, lr, alpha, eps):
    x = x - lr * g / (np.sqrt(grad_squared) + eps)
    return x, alpha * grad_squared + (1 - alpha) * g * g


@rmsprop_step_mistakes.add(
    "AdaGrad's sum",
    "grad_squared + g² is AdaGrad's ever-growing sum; RMSProp keeps a moving "
    "average, α·grad_squared + (1−α)·g².",
)
def _rms_adagrad_sum(x, grad_squared, g, lr, alpha, eps):
    grad_squared = grad_squared + g * g
    return x - lr * g / (np.sqrt(grad_squared) + eps), grad_squared


@rmsprop_step_mistakes.add(
    "α and 1 − α swapped",
    "α (e.g. 0.99) multiplies the old average and 1 − α the new g²: the average forgets slowly.",
)
def _rms_alpha_swapped(x, grad_squared, g, lr, alpha, eps):
    grad_squared = (1 - alpha) * grad_squared + alpha * g * g
    return x - lr * g / (np.sqrt(grad_squared) + eps), grad_squared


@rmsprop_step_mistakes.add(
    "Adam's bias correction carried over",
    "RMSProp (as torch.optim.RMSprop) has no bias correction, and no step count to make "
    "one: step with the running average as it is. Dividing it by 1 − α is Adam's "
    "correction of a first step, and here it shrinks every step by the factor √(1 − α).",
)
def _rms_bias_corrected(x, grad_squared, g, lr, alpha, eps):
    grad_squared = alpha * grad_squared + (1 - alpha) * g * g
    corrected = grad_squared / (1 - alpha)  # Adam's v̂ at t = 1, borrowed
    return x - lr * g / (np.sqrt(corrected) + eps), grad_squared


@rmsprop_step_mistakes.add(
    "returned the step, not the new x",
    "your first result is lr·g/(√grad_squared + ε), the step itself; the task asks for the "
    "new parameters, x minus that step.",
)
def _rms_returned_step(x, grad_squared, g, lr, alpha, eps):
    grad_squared = alpha * grad_squared + (1 - alpha) * g * g
    return lr * g / (np.sqrt(grad_squared) + eps), grad_squared


@rmsprop_step_mistakes.add(
    "updates the inputs in place",
    "`grad_squared *= alpha` (and `x -= ...`) changed the caller's arrays. Build new "
    "ones: `grad_squared = alpha * grad_squared + (1 - alpha) * g * g`.",
)
def _rms_in_place(x, grad_squared, g, lr, alpha, eps):
    grad_squared *= alpha
    grad_squared += (1 - alpha) * g * g
    x -= lr * g / (np.sqrt(grad_squared) + eps)
    return x, grad_squared


@rmsprop_step_mistakes.add(
    "divided by the current |g| only",
    "you divided by |g| + ε, the size of this step's gradient alone: every "
    "coordinate then moves by about lr (a sign step). Divide by the root of the "
    "running average you just updated: √grad_squared + ε.",
)
def _rms_current_gradient_only(x, grad_squared, g, lr, alpha, eps):
    grad_squared = alpha * grad_squared + (1 - alpha) * g * g
    return x - lr * g / (np.abs(g) + eps), grad_squared


@rmsprop_step_mistakes.add(
    "ε left out",
    "without ε a coordinate whose average is (near) zero divides by (near) zero; "
    "torch adds ε outside the root: lr·g/(√grad_squared + ε).",
)
def _rms_no_eps(x, grad_squared, g, lr, alpha, eps):
    grad_squared = alpha * grad_squared + (1 - alpha) * g * g
    return x - lr * g / np.sqrt(grad_squared), grad_squared


def _rms_cases(seed: int, hidden: bool) -> list[Case]:
    rng = np.random.default_rng(seed)
    # (label, shape, lr, alpha, eps, gradient scale)
    specs = [
        ("d=5, alpha=0.99", (5,), 1e-2, 0.99, 1e-8, 1.0),
        ("a (3, 2) parameter, alpha=0.9", (3, 2), 0.05, 0.9, 1e-8, 3.0),
        ("tiny gradients (~1e-5): eps matters", (6,), 1e-3, 0.99, 1e-8, 1e-5),
        ("large eps = 1e-2, alpha=0.8", (4,), 0.1, 0.8, 1e-2, 0.3),
    ]
    if hidden:
        specs = [
            ("d=9, alpha=0.95", (9,), 3e-3, 0.95, 1e-8, 0.7),
            ("a (2, 2, 2) parameter, alpha=0.5", (2, 2, 2), 0.2, 0.5, 1e-6, 4.0),
            ("small gradients (~1e-4), eps = 1e-7", (5,), 1e-2, 0.99, 1e-7, 1e-4),
            ("eps = 1e-3, alpha=0.99", (7,), 0.01, 0.99, 1e-3, 0.02),
        ]
    cases = []
    for label, shape, lr, alpha, eps, scale in specs:
        x = rng.uniform(-2.0, 2.0, shape)
        grad_squared = (scale * rng.uniform(0.3, 1.5, shape)) ** 2  # a running average of g²
        g = scale * rng.standard_normal(shape)
        cases.append(Case(label, (x, grad_squared, g, lr, alpha, eps)))
    return cases


@rmsprop_step_mistakes.add(
    "stored the root instead of the average",
    "the state to return is the running average of g², not its square root: the next step "
    "averages squared gradients into it again.",
)
def _rms_root_stored(x, grad_squared, g, lr, alpha, eps):
    grad_squared = alpha * grad_squared + (1 - alpha) * g * g
    root = np.sqrt(grad_squared)
    return x - lr * g / (root + eps), root


@rmsprop_step_mistakes.add(
    "g averaged, not g²",
    "RMSProp averages the *squared* gradient, grad_squared = α·grad_squared + (1 − α)·g², "
    "so that its root has the scale of |g|.",
)
def _rms_not_squared(x, grad_squared, g, lr, alpha, eps):
    grad_squared = alpha * grad_squared + (1 - alpha) * g
    with np.errstate(invalid="ignore"):
        return x - lr * g / (np.sqrt(grad_squared) + eps), grad_squared


register(
    FunctionExercise(
        name="ch05_rmsprop_step",
        chapter="05",
        title="One RMSProp step",
        signature="rmsprop_step(x, grad_squared, g, lr, alpha, eps) -> (x_new, grad_squared_new)",
        hint=(
            "First update the running average of squared gradients, "
            "grad_squared = α·grad_squared + (1−α)·g², then step with the *new* average: "
            "x − lr·g/(√grad_squared + ε), ε outside the root. Return new arrays."
        ),
        solution=rmsprop_step,
        suites=seeded(_rms_cases, visible=6, hidden=60),
        mistakes=rmsprop_step_mistakes.all,
        references=(
            "dlnotes.optim.teaching:rmsprop_step",
            "dlnotes.optim:RMSprop",
            "dlnotes.landscapes.runners:lr_sweep",
        ),
    )
)


# ============================================================================================
# ch05_adagrad_step
# ============================================================================================


def adagrad_step(
    x: np.ndarray, grad_sum: np.ndarray, g: np.ndarray, lr: float, eps: float
) -> tuple[np.ndarray, np.ndarray]:
    """One AdaGrad step (``torch.optim.Adagrad`` with its defaults ``lr_decay=0``,
    ``initial_accumulator_value=0``); arrays of one shape::

        grad_sum = grad_sum + g²
        x = x − lr · g / (√grad_sum + ε)

    Returns new arrays ``(x, grad_sum)``; the inputs are left untouched.

    Defined in chapter 05 (Adaptive methods).
    """
    grad_sum = grad_sum + g * g
    x = x - lr * g / (np.sqrt(grad_sum) + eps)
    return x, grad_sum


#: The common mistakes of ``ch05_adagrad_step``, each declared on its wrong code.
adagrad_step_mistakes = Mistakes()


@adagrad_step_mistakes.add(
    "eps inside the square root",
    "you computed √(grad_sum + ε); torch.optim.Adagrad uses √grad_sum + ε. The two "
    "differ a lot when the gradients are as small as √ε.",
)
def _ada_eps_inside_sqrt(x, grad_sum, g, lr, eps):
    grad_sum = grad_sum + g * g
    return x - lr * g / np.sqrt(grad_sum + eps), grad_sum


@adagrad_step_mistakes.add(
    "no square root",
    "divide by √grad_sum + ε, not by grad_sum: the sum has the units of g², so "
    "without the root the step would not be scale-free (and would shrink like 1/t, "
    "not 1/√t).",
)
def _ada_no_sqrt(x, grad_sum, g, lr, eps):
    grad_sum = grad_sum + g * g
    return x - lr * g / (grad_sum + eps), grad_sum


@adagrad_step_mistakes.add(
    "stale sum",
    "you stepped with the old sum and added g² afterwards; at the first step that "
    "divides by ε alone. Add the current g² first, then divide by the root.",
)
def _ada_stale_sum(x, grad_sum, g, lr, eps):
    x = x - lr * g / (np.sqrt(grad_sum) + eps)
    return x, grad_sum + g * g


@adagrad_step_mistakes.add(
    "stored the root instead of the sum",
    "return grad_sum itself (the sum of squares) as the new state; you returned its "
    "square root, so the next step would add g² to a root.",
)
def _ada_stored_the_root(x, grad_sum, g, lr, eps):
    root = np.sqrt(grad_sum + g * g)
    return x - lr * g / (root + eps), root


@adagrad_step_mistakes.add(
    "only the current gradient",
    "dividing g by |g| gives a step of lr in every coordinate forever (sign descent); "
    "AdaGrad divides by the root of the sum of *all* squared gradients so far.",
)
def _ada_current_gradient_only(x, grad_sum, g, lr, eps):
    return x - lr * g / (np.abs(g) + eps), grad_sum + g * g


@adagrad_step_mistakes.add(
    "returned the step, not the new x",
    "your first result is lr·g/(√grad_sum + ε), the step itself; the task asks for the new "
    "parameters, x minus that step.",
)
def _ada_returned_step(x, grad_sum, g, lr, eps):
    grad_sum = grad_sum + g * g
    return lr * g / (np.sqrt(grad_sum) + eps), grad_sum


@adagrad_step_mistakes.add(
    "updates the inputs in place",
    "`grad_sum += g * g` (and `x -= ...`) changed the caller's arrays. Build new ones: "
    "`grad_sum = grad_sum + g * g`.",
)
def _ada_in_place(x, grad_sum, g, lr, eps):
    grad_sum += g * g
    x -= lr * g / (np.sqrt(grad_sum) + eps)
    return x, grad_sum


@adagrad_step_mistakes.add(
    "ε left out",
    "without ε a coordinate whose gradients have all been (near) zero divides by "
    "(near) zero; torch adds ε outside the root: lr·g/(√grad_sum + ε).",
)
def _ada_no_eps(x, grad_sum, g, lr, eps):
    grad_sum = grad_sum + g * g
    return x - lr * g / np.sqrt(grad_sum), grad_sum


def _adagrad_cases(seed: int, hidden: bool) -> list[Case]:
    rng = np.random.default_rng(seed)
    # (label, shape, lr, eps, gradient scale, past steps)
    specs = [
        ("d=5 after 10 steps", (5,), 0.1, 1e-10, 1.0, 10),
        ("a (2, 3) parameter after 3 steps", (2, 3), 0.5, 1e-10, 2.0, 3),
        ("tiny gradients (~1e-5) after 4 steps, eps = 1e-7", (6,), 0.01, 1e-7, 1e-5, 4),
        ("after a single step", (4,), 0.05, 1e-10, 0.7, 1),
    ]
    if hidden:
        specs = [
            ("d=8 after 50 steps", (8,), 0.2, 1e-10, 0.5, 50),
            ("a (3, 2) parameter after one step", (3, 2), 0.1, 1e-10, 3.0, 1),
            ("small gradients (~1e-4), eps = 1e-7", (5,), 0.01, 1e-7, 1e-4, 6),
            ("eps = 1e-3 after 2 steps", (7,), 1.0, 1e-3, 0.02, 2),
        ]
    cases = []
    for label, shape, lr, eps, scale, past in specs:
        x = rng.uniform(-2.0, 2.0, shape)
        grad_sum = sum(
            ((scale * rng.standard_normal(shape)) ** 2 for _ in range(past)), np.zeros(shape)
        )
        g = scale * rng.standard_normal(shape)
        cases.append(Case(label, (x, grad_sum, g, lr, eps)))
    # a coordinate whose gradient has always been 0 (a unit that never fired): its step is
    # 0 / (0 + ε) = 0; without ε it is 0/0, NaN
    x, grad_sum, g = rng.uniform(-2.0, 2.0, 4), rng.uniform(0.5, 2.0, 4), rng.standard_normal(4)
    grad_sum[1], g[1] = 0.0, 0.0
    label = "a coordinate whose gradient has always been 0: it does not move"
    cases.append(Case(label, (x, grad_sum, g, 0.1, 1e-10)))
    return cases


@adagrad_step_mistakes.add(
    "g summed, not g²",
    "AdaGrad sums the *squared* gradients, grad_sum = grad_sum + g², so that its root has "
    "the scale of |g| (and only grows).",
)
def _ada_not_squared(x, grad_sum, g, lr, eps):
    grad_sum = grad_sum + g
    with np.errstate(invalid="ignore"):
        return x - lr * g / (np.sqrt(grad_sum) + eps), grad_sum


register(
    FunctionExercise(
        name="ch05_adagrad_step",
        chapter="05",
        title="One AdaGrad step",
        signature="adagrad_step(x, grad_sum, g, lr, eps) -> (x_new, grad_sum_new)",
        hint=(
            "Add the squared gradient to the running sum first, grad_sum = grad_sum + g², then "
            "step with the new sum: x − lr·g/(√grad_sum + ε), ε outside the root. Return new "
            "arrays; the sum (not its root) is the state of the next step."
        ),
        solution=adagrad_step,
        suites=seeded(_adagrad_cases, visible=7, hidden=70),
        mistakes=adagrad_step_mistakes.all,
        references=("dlnotes.optim.teaching:adagrad_step", "dlnotes.optim:Adagrad"),
    )
)


# ============================================================================================
# ch05_adamw_step
# ============================================================================================


def adamw_step(
    x: np.ndarray,
    m: np.ndarray,
    v: np.ndarray,
    g: np.ndarray,
    t: int,
    lr: float,
    beta1: float,
    beta2: float,
    eps: float,
    weight_decay: float,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """One AdamW step in ``torch.optim.AdamW``'s form: decay first, then an Adam step whose
    moments see only the gradient of the loss::

        x = (1 − lr · weight_decay) · x
        m = β1 m + (1 − β1) g          v = β2 v + (1 − β2) g²
        x = x − lr · m̂ / (√v̂ + ε)       (m̂, v̂ bias-corrected with t, counted from 1)

    ``weight_decay`` is torch's: the shrink factor per step is ``lr · weight_decay`` (the paper's
    λ is ``lr · weight_decay``). Returns new arrays ``(x, m, v)``.

    Defined in chapter 05 (Adaptive methods).
    """
    x = (1 - lr * weight_decay) * x
    m = beta1 * m + (1 - beta1) * g
    v = beta2 * v + (1 - beta2) * g * g
    m_hat = m / (1 - beta1**t)
    v_hat = v / (1 - beta2**t)
    return x - lr * m_hat / (np.sqrt(v_hat) + eps), m, v


#: The common mistakes of ``ch05_adamw_step``, each declared on its wrong code.
adamw_step_mistakes = Mistakes()


@adamw_step_mistakes.add(
    "L2 instead of decoupled decay",
    "you added weight_decay·x to the gradient: that is Adam with L2, where the decay "
    "is averaged into m, v and divided by √v̂ like everything else. AdamW shrinks x "
    "directly, x = (1 − lr·weight_decay)·x, and the moments see only g.",
)
def _adamw_l2(x, m, v, g, t, lr, beta1, beta2, eps, weight_decay):
    g = g + weight_decay * x  # L2: the decay goes through the moments and the division
    return adam_step(x, m, v, g, t, lr, beta1, beta2, eps)


@adamw_step_mistakes.add(
    "decayed after the step",
    "torch.optim.AdamW shrinks x first and then subtracts the Adam step; shrinking "
    "afterwards also shrinks the step, by the factor 1 − lr·weight_decay.",
)
def _adamw_decay_after_step(x, m, v, g, t, lr, beta1, beta2, eps, weight_decay):
    x, m, v = adam_step(x, m, v, g, t, lr, beta1, beta2, eps)
    return (1 - lr * weight_decay) * x, m, v


@adamw_step_mistakes.add(
    "decay without the learning rate",
    "in torch's convention the factor is 1 − lr·weight_decay: weight_decay is "
    "multiplied by the learning rate (the paper's λ is lr·weight_decay).",
)
def _adamw_decay_without_lr(x, m, v, g, t, lr, beta1, beta2, eps, weight_decay):
    return adam_step((1 - weight_decay) * x, m, v, g, t, lr, beta1, beta2, eps)


@adamw_step_mistakes.add(
    "weight decay with the wrong sign",
    "decay shrinks the weights: multiply by 1 − lr·weight_decay, not 1 + ...",
)
def _adamw_sign(x, m, v, g, t, lr, beta1, beta2, eps, weight_decay):
    return adam_step((1 + lr * weight_decay) * x, m, v, g, t, lr, beta1, beta2, eps)


@adamw_step_mistakes.add(
    "no bias correction",
    "the Adam part still divides m and v by 1 − β1**t and 1 − β2**t.",
)
def _adamw_no_bias_correction(x, m, v, g, t, lr, beta1, beta2, eps, weight_decay):
    x = (1 - lr * weight_decay) * x
    return _adam_no_bias_correction(x, m, v, g, t, lr, beta1, beta2, eps)  # m, v uncorrected


@adamw_step_mistakes.add(
    "moments reset at t = 1",
    "m and v arrive from earlier steps (here warm-started, not zero), and the Adam part "
    "updates them as they are, whatever t is. Zeroing them at t = 1 throws that state away; "
    "bias correction, not a reset, accounts for a start from zero.",
)
def _adamw_reset_at_first_step(x, m, v, g, t, lr, beta1, beta2, eps, weight_decay):
    x = (1 - lr * weight_decay) * x
    return _adam_reset_at_first_step(x, m, v, g, t, lr, beta1, beta2, eps)  # zeroed at t = 1


@adamw_step_mistakes.add(
    "updates the inputs in place",
    "`x *= ...` and `m *= β1` changed the caller's arrays. Build new ones: "
    "`x = (1 - lr * weight_decay) * x`.",
)
def _adamw_in_place(x, m, v, g, t, lr, beta1, beta2, eps, weight_decay):
    x *= 1 - lr * weight_decay
    return _adam_in_place(x, m, v, g, t, lr, beta1, beta2, eps)  # m and v in place too


@adamw_step_mistakes.add(
    "eps inside the square root",
    "you computed √(v̂ + ε); AdamW (and torch.optim) use √v̂ + ε, as Adam does. Inside the "
    "root ε acts like √ε outside it (1e-4 for ε = 1e-8), which damps small gradients up to "
    "10 000 times more (ten times at |g| = 1e-5).",
)
def _adamw_eps_inside_sqrt(x, m, v, g, t, lr, beta1, beta2, eps, weight_decay):
    x = (1 - lr * weight_decay) * x
    return _adam_eps_inside_sqrt(x, m, v, g, t, lr, beta1, beta2, eps)  # √(v̂ + ε)


@adamw_step_mistakes.add(
    "returned the corrected moments",
    "return the raw m and v (the state the next step builds on), not m̂ and v̂; "
    "the corrected values are only used for this step's update of x.",
)
def _adamw_corrected_moments_returned(x, m, v, g, t, lr, beta1, beta2, eps, weight_decay):
    x = (1 - lr * weight_decay) * x
    return _adam_corrected_moments_returned(x, m, v, g, t, lr, beta1, beta2, eps)  # m̂, v̂ back


def _adamw_cases(seed: int, hidden: bool) -> list[Case]:
    rng = np.random.default_rng(seed)
    # (label, shape, t, lr, weight_decay, gradient scale); lr · weight_decay large enough that
    # decaying before or after the step differs visibly
    # (beta1, beta2, eps) are torch's defaults but in one case, so that defaults written into
    # the code fail
    other = (0.8, 0.99, 1e-3)
    specs = [
        ("t=1, weight_decay=0.5", (5,), 1, 0.1, 0.5, 1.0),
        ("t=4, a (2, 3) parameter, weight_decay=0.1", (2, 3), 4, 0.05, 0.1, 0.3),
        ("t=30, weight_decay=1.0 (tiny gradients)", (6,), 30, 0.02, 1.0, 1e-3),
        ("t=2, torch's default weight_decay=0.01", (4,), 2, 0.3, 0.01, 2.0),
        ("t=3, beta1 = 0.8, beta2 = 0.99, eps = 1e-3", (4,), 3, 0.1, 0.2, 0.05),
    ]
    if hidden:
        specs = [
            ("t=3, weight_decay=0.2, d=8", (8,), 3, 0.2, 0.2, 0.5),
            ("t=1, a (3, 2) parameter", (3, 2), 1, 0.01, 2.0, 1.5),
            ("t=60, weight_decay=0.05", (7,), 60, 0.1, 0.05, 0.05),
            ("t=10, weight_decay=0.3", (5,), 10, 0.04, 0.3, 4.0),
            ("t=6, beta1 = 0.8, beta2 = 0.99, eps = 1e-3", (5,), 6, 0.05, 0.5, 0.02),
        ]
    cases = []
    for label, shape, t, lr, wd, scale in specs:
        x, m, v, g = _adam_state(rng, shape, t, scale)
        beta1, beta2, eps = other if "beta1" in label else (0.9, 0.999, 1e-8)
        cases.append(Case(label, (x, m, v, g, t, lr, beta1, beta2, eps, wd)))
    return cases


@adamw_step_mistakes.add(
    "torch's defaults written in",
    "β1 = 0.9, β2 = 0.999 and ε = 1e-8 are only torch's defaults: use the arguments beta1, "
    "beta2 and eps, whatever they are.",
)
def _adamw_defaults(x, m, v, g, t, lr, beta1, beta2, eps, weight_decay):
    x = (1 - lr * weight_decay) * x
    # Adam with β1 = 0.9 and β2 = 0.999 written in, and ε = 1e-8 too
    return _adam_default_betas(x, m, v, g, t, lr, beta1, beta2, 1e-8)


register(
    FunctionExercise(
        name="ch05_adamw_step",
        chapter="05",
        title="One AdamW step: decoupled weight decay",
        signature=(
            "adamw_step(x, m, v, g, t, lr, beta1, beta2, eps, weight_decay)"
            " -> (x_new, m_new, v_new)"
        ),
        hint=(
            "First shrink the weights, x = (1 − lr·weight_decay)·x, then take an ordinary Adam "
            "step with the loss gradient g alone (the decay never enters m or v), bias correction "
            "with t counted from 1, ε outside the root. Return new arrays and the raw m, v."
        ),
        solution=adamw_step,
        suites=seeded(_adamw_cases, visible=8, hidden=80),
        mistakes=adamw_step_mistakes.all,
        references=("dlnotes.optim:AdamW", "dlnotes.optim.teaching:adam_step"),
    )
)
