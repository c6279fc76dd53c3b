"""Exercises of chapter 09 (Regularization).

* ``ch09_l2_penalty_and_grad``: ``l2_penalty_and_grad(params, lam)``, the L2 penalty
  ``(λ/2) Σ ‖W‖_F²`` over the weight matrices of a parameter list and its gradients (zero for
  the biases);
* ``ch09_sgd_weight_decay_step``: ``sgd_weight_decay_step(w, g, lr, weight_decay)``, one SGD step
  with weight decay λ, ``w ← (1 − α λ) w − α g``;
* ``ch09_early_stopping_epoch``: ``early_stopping_epoch(dev_losses, patience)``, the epoch at
  which early stopping ends training and the epoch whose weights it keeps;
* ``ch09_l1_prox_step``: ``l1_prox_step(w, g, lr, lam)``, one proximal gradient step for the
  L1 penalty, ``w ← sign(z) max(|z| − α λ, 0)`` with ``z = w − α g`` (soft thresholding).

Each exercise is laid out the same way: the reference solution (the function a learner
writes), the common wrong versions (``_name_of_the_mistake``), the visible and hidden cases
(seeded, non-trivial inputs), then one :func:`register` call.

Defined in chapter 09 (Regularization).
"""

from __future__ import annotations

import itertools
import math
import operator
from collections.abc import Sequence

import numpy as np

from dlnotes.exercises.core import Case, FunctionExercise, Mistakes, register, seeded

# ============================================================================================
# ch09_l2_penalty_and_grad
# ============================================================================================


def l2_penalty_and_grad(params: Sequence[np.ndarray], lam: float) -> tuple[float, list[np.ndarray]]:
    """The L2 penalty of a network's parameters and its gradient with respect to each of them.

    ``params`` is a list like ``model.params``: 2-D weight matrices ``W`` and 1-D bias vectors
    ``b``. Only the weights are penalised::

        penalty = (lam / 2) * Σ_W ‖W‖_F²        (‖W‖_F² = sum of the squared entries)
        grad_W = lam * W,   grad_b = 0

    Returns ``(penalty as a float, grads)`` with ``grads`` a list aligned with ``params``
    (same shapes and dtypes). The inputs are left untouched.

    Defined in chapter 09 (Regularization).
    """
    penalty = 0.0
    grads = []
    for p in params:
        if p.ndim == 2:  # a weight matrix
            penalty += 0.5 * lam * float(np.sum(p.astype(np.float64) ** 2))
            grads.append(lam * p)
        else:  # a bias: not penalised
            grads.append(np.zeros_like(p))
    return penalty, grads


def _l2_where(params, lam, is_weight):
    """The reference's loop, but penalising each ``p = params[i]`` for which ``is_weight(i, p)``
    holds (the reference: ``p.ndim == 2``), and without its float64 cast of the squares."""
    penalty, grads = 0.0, []
    for i, p in enumerate(params):
        if is_weight(i, p):
            penalty += 0.5 * lam * float(np.sum(p**2))
            grads.append(lam * p)
        else:
            grads.append(np.zeros_like(p))
    return penalty, grads


#: The common mistakes of ``ch09_l2_penalty_and_grad``, each declared on its wrong code.
l2_penalty_and_grad_mistakes = Mistakes()


@l2_penalty_and_grad_mistakes.add(
    "missing ½",
    "your penalty is twice too large: it is (λ/2)·Σ‖W‖², and the ½ is what makes "
    "its gradient exactly λW. Your gradient is right, so penalty and gradient no "
    "longer match (a gradient check would catch it).",
)
def _l2_missing_half(params, lam):
    penalty = sum(lam * float(np.sum(p**2)) for p in params if p.ndim == 2)
    return penalty, [lam * p if p.ndim == 2 else np.zeros_like(p) for p in params]


@l2_penalty_and_grad_mistakes.add(
    "gradient 2λW",
    "the derivative of (λ/2)‖W‖² is λW: the 2 from the square cancels the ½. Your "
    "gradients are twice too large.",
)
def _l2_grad_two_lam(params, lam):
    penalty = sum(0.5 * lam * float(np.sum(p**2)) for p in params if p.ndim == 2)
    return penalty, [2 * lam * p if p.ndim == 2 else np.zeros_like(p) for p in params]


@l2_penalty_and_grad_mistakes.add(
    "biases penalised",
    "only the weight matrices (2-D arrays) are penalised; biases (1-D) get no penalty "
    "and a zero gradient.",
)
def _l2_biases_too(params, lam):
    penalty = sum(0.5 * lam * float(np.sum(p**2)) for p in params)
    return penalty, [lam * p for p in params]


@l2_penalty_and_grad_mistakes.add(
    "biases in the penalty",
    "your gradients leave the biases alone, but your penalty sums their squares too: only "
    "the 2-D weight matrices enter the penalty (the gradient of the penalty you computed "
    "would not be zero for the biases).",
)
def _l2_biases_in_penalty_only(params, lam):
    penalty = sum(0.5 * lam * float(np.sum(p**2)) for p in params)
    return penalty, [lam * p if p.ndim == 2 else np.zeros_like(p) for p in params]


@l2_penalty_and_grad_mistakes.add(
    "weights picked by position",
    "you took every other entry of params as a weight matrix (i % 2 == 0), but a parameter "
    "list need not alternate W, b (a normalization layer adds two 1-D arrays, gamma and "
    "beta): tell a weight matrix by its number of dimensions, p.ndim == 2, not by its "
    "position in the list.",
)
def _l2_by_position(params, lam):
    # W1, b1, W2, b2, ...: the even entries taken for the weights
    return _l2_where(params, lam, lambda i, p: i % 2 == 0)


@l2_penalty_and_grad_mistakes.add(
    "a one-column weight taken for a bias",
    "a layer with a single output has a weight matrix of shape (d, 1): one column, but still "
    "2-D and still penalised. Tell a weight from a bias by p.ndim == 2 alone, not by its "
    "number of columns (and its bias, of shape (1,), stays unpenalised).",
)
def _l2_single_column_skipped(params, lam):
    # a column vector looked like a bias
    return _l2_where(params, lam, lambda i, p: p.ndim == 2 and p.shape[1] > 1)


@l2_penalty_and_grad_mistakes.add(
    "a one-row weight taken for a bias",
    "a layer with a single input has a weight matrix of shape (1, d): one row, but still 2-D "
    "and still penalised (biases here are 1-D, shape (d,)). Tell a weight from a bias by "
    "p.ndim == 2 alone, not by its number of rows.",
)
def _l2_single_row_skipped(params, lam):
    # a (1, d) row looked like a bias stored as a row
    return _l2_where(params, lam, lambda i, p: p.ndim == 2 and p.shape[0] > 1)


@l2_penalty_and_grad_mistakes.add(
    "sum of absolute values",
    "‖W‖_F² is the sum of the *squared* entries, np.sum(W**2); the sum of |W| is the L1 norm.",
)
def _l2_sum_abs(params, lam):
    penalty = sum(0.5 * lam * float(np.sum(np.abs(p))) for p in params if p.ndim == 2)
    return penalty, [lam * p if p.ndim == 2 else np.zeros_like(p) for p in params]


@l2_penalty_and_grad_mistakes.add(
    "norm not squared",
    "np.linalg.norm(W) is ‖W‖_F, the square root of the sum of squares; the penalty "
    "uses its square, np.sum(W**2).",
)
def _l2_norm_not_squared(params, lam):
    penalty = sum(0.5 * lam * float(np.linalg.norm(p)) for p in params if p.ndim == 2)
    return penalty, [lam * p if p.ndim == 2 else np.zeros_like(p) for p in params]


@l2_penalty_and_grad_mistakes.add(
    "square of the sum, not sum of the squares",
    "np.sum(W)**2 squares the sum of the entries, in which positive and negative weights "
    "cancel: ‖W‖_F² is the sum of the *squared* entries, np.sum(W**2) (square first, then "
    "sum). Your gradient λW is right, so penalty and gradient no longer match.",
)
def _l2_square_of_sum(params, lam):
    penalty = sum(0.5 * lam * float(np.sum(p)) ** 2 for p in params if p.ndim == 2)
    return penalty, [lam * p if p.ndim == 2 else np.zeros_like(p) for p in params]


@l2_penalty_and_grad_mistakes.add(
    "λ divided by the number of weights",
    "your penalty and gradients are both 1/N of the right ones, N the number of weight "
    "entries: the L2 penalty is (λ/2)·Σ‖W‖², a sum over the squared weights, not their mean "
    "(a 1/N belongs to the data loss, which averages over examples).",
)
def _l2_divided_by_count(params, lam):
    n = sum(p.size for p in params if p.ndim == 2)
    penalty = sum(0.5 * lam / n * float(np.sum(p**2)) for p in params if p.ndim == 2)
    return penalty, [lam / n * p if p.ndim == 2 else np.zeros_like(p) for p in params]


@l2_penalty_and_grad_mistakes.add(
    "mean of the squares",
    "np.mean(W**2) divides each matrix's sum of squares by its number of entries: the L2 "
    "penalty is (λ/2)·Σ‖W‖², the *sum* of the squared weights, and its gradient λW (a mean "
    "belongs to the data loss, which averages over examples).",
)
def _l2_mean_of_squares(params, lam):
    penalty = sum(0.5 * lam * float(np.mean(p**2)) for p in params if p.ndim == 2)
    return penalty, [lam * p / p.size if p.ndim == 2 else np.zeros_like(p) for p in params]


@l2_penalty_and_grad_mistakes.add(
    "mean of the squares in the penalty",
    "your gradients are right but your penalty is too small: np.mean(W**2) divides each "
    "matrix's sum of squares by its number of entries. ‖W‖_F² is the *sum* of the squared "
    "entries (np.sum), so that the penalty (λ/2)·Σ‖W‖² has exactly the gradient λW you return.",
)
def _l2_mean_in_penalty_only(params, lam):
    penalty = sum(0.5 * lam * float(np.mean(p**2)) for p in params if p.ndim == 2)
    return penalty, [lam * p if p.ndim == 2 else np.zeros_like(p) for p in params]


@l2_penalty_and_grad_mistakes.add(
    "the biases penalised instead of the weights",
    "your test is the wrong way round: you penalised the 1-D arrays (biases, gamma, beta) and "
    "gave the weight matrices a zero gradient. The arrays to penalise are the 2-D ones "
    "(p.ndim == 2); the 1-D ones get no penalty and np.zeros_like(p).",
)
def _l2_biases_not_weights(params, lam):
    return _l2_where(params, lam, lambda i, p: p.ndim == 1)


@l2_penalty_and_grad_mistakes.add(
    "only the first weight matrix penalised",
    "you penalised params[0] alone, so the weight matrices of the later layers got no "
    "penalty and a zero gradient: loop over every array in params and penalise each one that "
    "is 2-D (p.ndim == 2), wherever it is in the list.",
)
def _l2_first_only(params, lam):
    # W = params[0]: the first layer's weights only
    return _l2_where(params, lam, lambda i, p: i == 0)


@l2_penalty_and_grad_mistakes.add(
    "len(p) taken for the number of dimensions",
    "len(p) is the length of p's first axis (the number of rows of a matrix, of entries of a "
    "vector), not its number of dimensions: len(p) == 2 picks the arrays with two rows or two "
    "entries, weights or biases alike. Use p.ndim == 2 (or len(p.shape) == 2).",
)
def _l2_len_for_ndim(params, lam):
    return _l2_where(params, lam, lambda i, p: len(p) == 2)


@l2_penalty_and_grad_mistakes.add(
    "a bias taken for a single number",
    "a bias is a vector with one entry per output unit, not a single number: testing "
    "p.size > 1 penalises every bias with more than one entry. Tell a weight matrix from a "
    "bias by its number of dimensions, p.ndim == 2, not by its size.",
)
def _l2_size_above_one(params, lam):
    return _l2_where(params, lam, lambda i, p: p.size > 1)


@l2_penalty_and_grad_mistakes.add(
    "no gradients for the biases",
    "grads must be aligned with params (one entry per parameter, as model.grads): "
    "append np.zeros_like(b) for each bias.",
)
def _l2_no_bias_grads(params, lam):
    penalty = sum(0.5 * lam * float(np.sum(p**2)) for p in params if p.ndim == 2)
    return penalty, [lam * p for p in params if p.ndim == 2]


def _network_params(
    rng: np.random.Generator, sizes: Sequence[int], dtype: type = np.float64
) -> list[np.ndarray]:
    """``[W1, b1, W2, b2, ...]`` of an MLP with layer sizes ``sizes``: random, non-trivial."""
    out: list[np.ndarray] = []
    for d_in, d_out in itertools.pairwise(sizes):
        out.append((rng.standard_normal((d_in, d_out)) / math.sqrt(d_in)).astype(dtype))
        out.append(rng.uniform(-0.5, 0.5, d_out).astype(dtype))
    return out


def _normalized_params(rng: np.random.Generator, d_in: int, d_hidden: int, d_out: int):
    """``[W1, gamma, beta, W2, b2]``: a layer without bias followed by a normalization layer's
    scale and shift (1-D, not penalised), then an output layer. Not alternating W, b: an
    answer that takes every other entry as a weight is wrong on it."""
    W1, _, W2, b2 = _network_params(rng, [d_in, d_hidden, d_out])
    gamma = rng.uniform(0.5, 1.5, d_hidden)
    beta = rng.uniform(-0.5, 0.5, d_hidden)
    return [W1, gamma, beta, W2, b2]


def _l2_cases(seed: int, hidden: bool) -> list[Case]:
    rng = np.random.default_rng(seed)
    if not hidden:
        return [
            Case("one layer 4→3: [W, b]", (_network_params(rng, [4, 3]), 0.1)),
            Case("an MLP 6→5→3: [W1, b1, W2, b2]", (_network_params(rng, [6, 5, 3]), 0.03)),
            Case("a strong penalty λ = 2.5, MLP 3→4→2", (_network_params(rng, [3, 4, 2]), 2.5)),
            Case(
                "float32 parameters, MLP 8→6→4",
                (_network_params(rng, [8, 6, 4], np.float32), 0.01),
            ),
            Case(
                "a single output, MLP 5→4→1: W2 of shape (4, 1), b2 of shape (1,)",
                (_network_params(rng, [5, 4, 1]), 0.3),
            ),
            Case(
                "[W1, gamma, beta, W2, b2]: a normalization layer's 1-D gamma and beta",
                (_normalized_params(rng, 6, 4, 3), 0.4),
            ),
            Case(
                "a single input, MLP 1→4→2: W1 of shape (1, 4)",
                (_network_params(rng, [1, 4, 2]), 0.5),
            ),
        ]
    return [
        Case("an MLP 10→7→5→3", (_network_params(rng, [10, 7, 5, 3]), 0.05)),
        Case("one layer 2→6", (_network_params(rng, [2, 6]), 0.7)),
        Case("λ = 1e-4, MLP 12→9→4", (_network_params(rng, [12, 9, 4]), 1e-4)),
        Case("float32, MLP 5→5→5", (_network_params(rng, [5, 5, 5], np.float32), 0.2)),
        Case("a single output, one layer 7→1", (_network_params(rng, [7, 1]), 0.6)),
        Case(
            "[W1, gamma, beta, W2, b2], normalization after a 5→6 layer",
            (_normalized_params(rng, 5, 6, 2), 0.15),
        ),
        Case("a single input, one layer 1→5", (_network_params(rng, [1, 5]), 0.9)),
    ]


register(
    FunctionExercise(
        name="ch09_l2_penalty_and_grad",
        chapter="09",
        title="The L2 penalty and its gradient",
        signature="l2_penalty_and_grad(params, lam) -> (penalty, grads)",
        hint=(
            "Loop over params: a 2-D array is a weight matrix W, adding (lam/2)·sum(W²) to the "
            "penalty and lam·W to the gradients; a 1-D array is a bias, not penalised, with "
            "gradient np.zeros_like(b). Tell them apart by p.ndim, not by their position in the "
            "list. Return (penalty, grads) with one gradient per parameter."
        ),
        solution=l2_penalty_and_grad,
        suites=seeded(_l2_cases, visible=9, hidden=90),
        mistakes=l2_penalty_and_grad_mistakes.all,
        references=("dlnotes.losses:l2_penalty", "dlnotes.losses:penalty"),
        rtol=1e-6,
        atol=1e-9,
        diagnoses={
            # a rule that recognises no weight matrix (len(p) > 10, p.size > 100) penalises
            # nothing; so does a loop that never adds to the penalty
            "zeros": "nothing was added to the penalty. Check that every 2-D array is taken "
            "for a weight matrix (p.ndim == 2, whatever its length, size or place in the "
            "list; the 1-D ones are the biases and a norm layer's gamma and beta), and that "
            "each one adds its (lam/2)·sum(W²) to the penalty (penalty += ..., not "
            "penalty + ...)"
        },
    )
)


# ============================================================================================
# ch09_sgd_weight_decay_step
# ============================================================================================


def sgd_weight_decay_step(
    w: np.ndarray, g: np.ndarray, lr: float, weight_decay: float
) -> np.ndarray:
    """One SGD step with weight decay on parameters ``w`` (any shape) with gradient ``g``.

    With ``λ = weight_decay`` (the name of ``dlnotes.optim.SGD`` and torch):
    ``w_new = w − lr·(g + λ·w) = (1 − lr·λ)·w − lr·g``, the step of plain SGD on the loss plus
    ``(λ/2)‖w‖²``. Returns a new array of ``w``'s shape and dtype; ``w`` and ``g`` are left
    untouched.

    Defined in chapter 09 (Regularization).
    """
    return (1 - lr * weight_decay) * w - lr * g


#: The common mistakes of ``ch09_sgd_weight_decay_step``, each declared on its wrong code.
sgd_weight_decay_step_mistakes = Mistakes()


@sgd_weight_decay_step_mistakes.add(
    "modifies w in place",
    "`w *= ...` / `w -= ...` changed the caller's parameters: compute the step into a new "
    "array (an expression such as `... * w - ...` makes one) and return that.",
)
def _wd_in_place(w, g, lr, weight_decay):
    w *= 1 - lr * weight_decay
    w -= lr * g
    return w


@sgd_weight_decay_step_mistakes.add(
    "decay without the learning rate",
    "the shrink factor is (1 − lr·weight_decay), not (1 − weight_decay): weight decay is part "
    "of the gradient step, so the learning rate scales it too.",
)
def _wd_without_lr(w, g, lr, weight_decay):
    return (1 - weight_decay) * w - lr * g


@sgd_weight_decay_step_mistakes.add(
    "decay after the step",
    "you shrank w − lr·g, so the gradient step was shrunk too; the decay multiplies "
    "the old w only: (1 − lr·weight_decay)·w − lr·g.",
)
def _wd_after_step(w, g, lr, weight_decay):
    return (1 - lr * weight_decay) * (w - lr * g)


@sgd_weight_decay_step_mistakes.add(
    "wrong sign",
    "weight decay pulls w towards 0: the factor is (1 − lr·weight_decay), smaller than 1.",
)
def _wd_wrong_sign(w, g, lr, weight_decay):
    return (1 + lr * weight_decay) * w - lr * g


@sgd_weight_decay_step_mistakes.add(
    "half the decay",
    "the gradient of (λ/2)‖w‖² is λ·w (the ½ cancels the 2 of the square), so with "
    "λ = weight_decay the factor is (1 − lr·weight_decay), not (1 − lr·weight_decay/2).",
)
def _wd_half(w, g, lr, weight_decay):
    return (1 - lr * weight_decay / 2) * w - lr * g


@sgd_weight_decay_step_mistakes.add(
    "twice the decay (2λw)",
    "the gradient of (λ/2)‖w‖² is λ·w: the ½ cancels the 2 of the square. Differentiating "
    "λ‖w‖² instead gives 2λ·w and decays twice as fast. The step is w − lr·(g + λ·w).",
)
def _wd_double(w, g, lr, weight_decay):
    return w - lr * (g + 2 * weight_decay * w)


@sgd_weight_decay_step_mistakes.add(
    "gradient without the learning rate",
    "the gradient is scaled by the learning rate too: (1 − lr·λ)·w − lr·g, not (1 − lr·λ)·w − g.",
)
def _wd_g_without_lr(w, g, lr, weight_decay):
    return (1 - lr * weight_decay) * w - g


@sgd_weight_decay_step_mistakes.add(
    "a step up the gradient",
    "you added lr·g: a descent step subtracts it, (1 − lr·λ)·w − lr·g.",
)
def _wd_ascent(w, g, lr, weight_decay):
    return (1 - lr * weight_decay) * w + lr * g


@sgd_weight_decay_step_mistakes.add(
    "returned the step, not the new w",
    "you return the change −lr·(g + weight_decay·w) alone: the function returns the new "
    "parameters, the old w plus that change.",
)
def _wd_step_only(w, g, lr, weight_decay):
    return -lr * (g + weight_decay * w)


@sgd_weight_decay_step_mistakes.add(
    "parentheses missing around (1 − lr·weight_decay)",
    "without parentheses, 1 - lr * weight_decay * w subtracts lr·weight_decay·w from the "
    "number 1, and w itself is gone from the result. The factor (1 − lr·weight_decay) "
    "multiplies w: put it in parentheses.",
)
def _wd_no_parentheses(w, g, lr, weight_decay):
    return 1 - lr * weight_decay * w - lr * g


@sgd_weight_decay_step_mistakes.add(
    "decay not multiplied by w",
    "the decay term is weight_decay·w, the gradient of (λ/2)‖w‖², not weight_decay alone: "
    "with g + weight_decay every entry moves by the same amount, whatever its size. The "
    "step is w − lr·(g + weight_decay·w).",
)
def _wd_decay_without_w(w, g, lr, weight_decay):
    return w - lr * (g + weight_decay)


@sgd_weight_decay_step_mistakes.add(
    "decay applied to g instead of w",
    "g + weight_decay·g scales the gradient by (1 + weight_decay), so w itself is never "
    "shrunk: the decay term is weight_decay·w, the gradient of (λ/2)‖w‖². The step is "
    "w − lr·(g + weight_decay·w) = (1 − lr·weight_decay)·w − lr·g.",
)
def _wd_decay_on_g(w, g, lr, weight_decay):
    return w - lr * (g + weight_decay * g)  # g where w belongs


def _wd_cases(seed: int, hidden: bool) -> list[Case]:
    rng = np.random.default_rng(seed)

    def pair(shape: tuple[int, ...], dtype: type = np.float64) -> tuple[np.ndarray, np.ndarray]:
        return (
            rng.normal(0.0, 1.5, shape).astype(dtype),
            rng.normal(0.0, 0.8, shape).astype(dtype),
        )

    settings = [((6,), 0.1, 0.05), ((3, 4), 0.5, 0.2), ((5,), 0.03, 1.5)]
    if hidden:
        settings = [((8,), 0.2, 0.01), ((2, 3, 2), 0.7, 0.3), ((4, 5), 0.05, 2.0)]
    cases = [
        Case(
            f"shape {shape}, lr = {lr}, weight_decay = {weight_decay}",
            (*pair(shape), lr, weight_decay),
        )
        for shape, lr, weight_decay in settings
    ]
    cases.append(
        Case("float32 parameters: the result stays float32", (*pair((7,), np.float32), 0.3, 0.1))
    )
    return cases


register(
    FunctionExercise(
        name="ch09_sgd_weight_decay_step",
        chapter="09",
        title="One SGD step with weight decay",
        signature="sgd_weight_decay_step(w, g, lr, weight_decay) -> array like w",
        hint=(
            "With λ = weight_decay, the gradient of loss + (λ/2)‖w‖² is g + λ·w, so the step is "
            "w − lr·(g + λ·w) = (1 − lr·λ)·w − lr·g. Build a new array; do not write into w."
        ),
        solution=sgd_weight_decay_step,
        suites=seeded(_wd_cases, visible=19, hidden=190),
        mistakes=sgd_weight_decay_step_mistakes.all,
        references=("dlnotes.optim:SGD",),
        rtol=1e-6,
        atol=1e-9,
    )
)


# ============================================================================================
# ch09_early_stopping_epoch
# ============================================================================================


def early_stopping_epoch(dev_losses: np.ndarray, patience: int) -> tuple[int, int]:
    """When early stopping ends training, and which epoch's weights it keeps.

    ``dev_losses[k]`` is the dev loss measured after epoch ``k + 1`` (epochs count from 1).
    An epoch *improves* if its loss is strictly below every earlier one. Training stops at the
    end of the first epoch that makes ``patience`` epochs in a row without improvement; if that
    never happens it runs all ``len(dev_losses)`` epochs. Returns ``(stop_epoch, best_epoch)``:
    the last epoch trained and the epoch with the lowest loss up to then (the weights that
    ``EarlyStopping(restore_best=True)`` puts back). Same rule as
    :class:`dlnotes.train.EarlyStopping` with ``min_delta=0``.

    Defined in chapter 09 (Regularization).
    """
    best = math.inf
    best_epoch = 0
    wait = 0  # epochs in a row without improvement
    for epoch, loss in enumerate(dev_losses, start=1):
        if loss < best:
            best, best_epoch, wait = loss, epoch, 0
        else:
            wait += 1
            if wait >= patience:
                return epoch, best_epoch
    return len(dev_losses), best_epoch


def _es_walk(
    dev_losses, patience, improves=operator.lt, best=math.inf, best_epoch=0, start=1, end=None
):
    """The reference's walk over the epochs, with the pieces a mistake changes: whether an
    epoch improves, ``improves(loss, best)`` (the reference: ``loss < best``), the ``(best,
    best_epoch)`` it starts from, ``start``, the epoch whose loss is ``dev_losses[0]``, and
    ``end``, the epoch returned when training never stops (default: the last one walked)."""
    wait = 0
    for epoch, loss in enumerate(dev_losses, start=start):
        if improves(loss, best):
            best, best_epoch, wait = loss, epoch, 0
        else:
            wait += 1
            if wait >= patience:
                return epoch, best_epoch
    return (start + len(dev_losses) - 1 if end is None else end), best_epoch


def _es_rule(dev_losses, patience):
    """The reference rule again (mistakes must not call the reference itself)."""
    return _es_walk(dev_losses, patience)


#: The common mistakes of ``ch09_early_stopping_epoch``, each declared on its wrong code.
early_stopping_epoch_mistakes = Mistakes()


@early_stopping_epoch_mistakes.add(
    "epochs counted from 0",
    "both numbers are one too small: epochs count from 1, so dev_losses[k] belongs "
    "to epoch k + 1 (enumerate(dev_losses, start=1)).",
)
def _es_zero_based(dev_losses, patience):
    return _es_walk(dev_losses, patience, start=0)  # enumerate(dev_losses): indices k, not k + 1


@early_stopping_epoch_mistakes.add(
    "epochs counted from 0 inside the loop",
    "the epochs your loop returns are one too small: enumerate(dev_losses) gives indices k "
    "from 0, but dev_losses[k] is the loss of epoch k + 1 (epochs count from 1). Only the "
    "len(dev_losses) you return when training never stops is an epoch; the stop and best "
    "epochs taken from the loop are indices. Count from 1: enumerate(dev_losses, start=1).",
)
def _es_zero_based_in_loop(dev_losses, patience):
    # enumerate(dev_losses): indices k, not epochs k + 1; `return len(dev_losses), ...` after
    # the loop is right when it never stops
    return _es_walk(dev_losses, patience, start=0, end=len(dev_losses))


@early_stopping_epoch_mistakes.add(
    "best epoch counted from 0",
    "your stop epoch is right but your best epoch is one too small: np.argmin gives an index "
    "k, and dev_losses[k] is the loss of epoch k + 1 (epochs count from 1).",
)
def _es_best_zero_based(dev_losses, patience):
    stop, _ = _es_rule(dev_losses, patience)  # the right stop epoch
    return stop, int(np.argmin(dev_losses[:stop]))  # an index, not an epoch


@early_stopping_epoch_mistakes.add(
    "last of equal losses",
    "when several epochs share the lowest loss, the best epoch is the earliest of them: a "
    "later equal loss is not an improvement (it is strictly lower that counts), so "
    "early stopping keeps the first epoch that reached the minimum.",
)
def _es_last_of_ties(dev_losses, patience):
    stop, _ = _es_rule(dev_losses, patience)  # the right stop epoch
    seen = np.asarray(dev_losses[:stop])
    return stop, int(len(seen) - np.argmin(seen[::-1]))  # the last epoch with the lowest loss


@early_stopping_epoch_mistakes.add(
    "returns the stop epoch as the best",
    "the weights early stopping keeps are those of the best epoch, not of the last "
    "one trained: remember the epoch of the lowest loss.",
)
def _es_returns_stop_epoch(dev_losses, patience):
    stop, _ = _es_rule(dev_losses, patience)
    return stop, stop


@early_stopping_epoch_mistakes.add(
    "best over the whole list",
    "np.argmin over all the losses looks into the future: epochs after the stop are "
    "never trained. Take the best epoch up to the stop.",
)
def _es_global_best(dev_losses, patience):
    stop, _ = _es_rule(dev_losses, patience)
    return stop, int(np.argmin(dev_losses)) + 1


@early_stopping_epoch_mistakes.add(
    "best epoch from np.argmin over the whole list, counted from 0",
    "your stop epoch is right, but best_epoch has two slips. np.argmin(dev_losses) gives an "
    "index k, and dev_losses[k] is the loss of epoch k + 1 (epochs count from 1); and it "
    "looks at every epoch, also those after the stop, which are never trained. Take the best "
    "up to the stop and count from 1: int(np.argmin(dev_losses[:stop_epoch])) + 1.",
)
def _es_global_best_zero_based(dev_losses, patience):
    stop, _ = _es_rule(dev_losses, patience)  # the right stop epoch
    return stop, int(np.argmin(dev_losses))  # an index, and over the epochs never trained


@early_stopping_epoch_mistakes.add(
    "epochs counted from 0, best from np.argmin over the whole list",
    "both numbers are off. enumerate(dev_losses) gives indices k from 0, but dev_losses[k] is "
    "the loss of epoch k + 1 (epochs count from 1), so the stop epoch your loop returns is "
    "one too small. And np.argmin(dev_losses) is an index too (one less than the epoch), "
    "taken over every epoch, also those after the stop, which are never trained. Count from "
    "1, enumerate(dev_losses, start=1), and keep the best epoch in the loop (or take "
    "np.argmin(dev_losses[:stop_epoch]) + 1).",
)
def _es_zero_based_global_best(dev_losses, patience):
    # enumerate(dev_losses): indices k, not epochs k + 1; len(dev_losses) when it never stops
    stop, _ = _es_walk(dev_losses, patience, start=0, end=len(dev_losses))
    return stop, int(np.argmin(dev_losses))  # an index, and over the epochs never trained


@early_stopping_epoch_mistakes.add(
    "patience off by one",
    "you stop one epoch late: training stops at the epoch that makes the count of "
    "non-improving epochs *equal* to patience (wait >= patience).",
)
def _es_patience_plus_one(dev_losses, patience):
    return _es_rule(dev_losses, patience + 1)


@early_stopping_epoch_mistakes.add(
    "count not reset",
    "the count is of epochs *in a row* without improvement: set it back to 0 whenever "
    "an epoch improves.",
)
def _es_wait_not_reset(dev_losses, patience):
    best, best_epoch, wait = math.inf, 0, 0
    for epoch, loss in enumerate(dev_losses, start=1):
        if loss < best:
            best, best_epoch = loss, epoch
        else:
            wait += 1
            if wait >= patience:
                return epoch, best_epoch
    return len(dev_losses), best_epoch


@early_stopping_epoch_mistakes.add(
    "ties count as improvements",
    "an epoch improves only if its loss is strictly lower than the best so far "
    "(loss < best); an equal loss is one more epoch without improvement.",
)
def _es_ties_improve(dev_losses, patience):
    return _es_walk(dev_losses, patience, lambda loss, best: loss <= best)  # <=, not <


@early_stopping_epoch_mistakes.add(
    "improvement measured against the previous epoch",
    "an epoch improves only if it beats the *best* loss so far, not the epoch just "
    "before it: a dev loss that zigzags above its best never resets the count.",
)
def _es_against_previous(dev_losses, patience):
    best, best_epoch, wait, previous = math.inf, 0, 0, math.inf
    for epoch, loss in enumerate(dev_losses, start=1):
        if loss < best:
            best, best_epoch = loss, epoch
        if loss < previous:  # better than the epoch before, not than the best
            wait = 0
        else:
            wait += 1
            if wait >= patience:
                return epoch, best_epoch
        previous = loss
    return len(dev_losses), best_epoch


@early_stopping_epoch_mistakes.add(
    "no best loss kept: each epoch compared with the previous one",
    "you count an epoch as an improvement when its loss is below the epoch just before it, so "
    "every dip resets the count and becomes your best epoch, even a dip that stays above the "
    "lowest loss so far. Keep the best loss so far (starting from inf): an epoch improves only "
    "if its loss is strictly below that best, and only then is it the new best epoch.",
)
def _es_previous_only(dev_losses, patience):
    # no best loss at all: "improves" means lower than the previous epoch
    best_epoch, wait, previous = 0, 0, math.inf
    for epoch, loss in enumerate(dev_losses, start=1):
        if loss < previous:
            best_epoch, wait = epoch, 0
        else:
            wait += 1
            if wait >= patience:
                return epoch, best_epoch
        previous = loss
    return len(dev_losses), best_epoch


@early_stopping_epoch_mistakes.add(
    "epoch 1 never the best",
    "starting from best = dev_losses[0] with best_epoch = 0 forgets that epoch 1 is the best "
    "so far: when no later epoch beats it, best_epoch must be 1. Start from best = inf and "
    "let epoch 1 improve on it, as every other epoch does.",
)
def _es_first_epoch_skipped(dev_losses, patience):
    # best = dev_losses[0] with best_epoch = 0, then the walk starts at epoch 2
    return _es_walk(dev_losses[1:], patience, best=dev_losses[0], best_epoch=0, start=2)


@early_stopping_epoch_mistakes.add(
    "epoch 1 counted as no improvement",
    "with best = dev_losses[0] before the loop, epoch 1 is compared with itself, is not "
    "strictly lower, and counts as an epoch without improvement, so you stop one epoch early "
    "when epoch 1 stays the best. Start from best = inf, or start the loop at epoch 2.",
)
def _es_first_epoch_waits(dev_losses, patience):
    # starts from best = dev_losses[0]: epoch 1, compared with itself, does not improve
    return _es_walk(dev_losses, patience, best=dev_losses[0], best_epoch=1)


@early_stopping_epoch_mistakes.add(
    "a tolerance on improvement",
    "an epoch improves when its loss is strictly below the best so far, by any amount "
    "(min_delta = 0): a tolerance such as loss < best - 0.01 ignores small real improvements "
    "and stops too early. Compare loss < best.",
)
def _es_tolerance(dev_losses, patience):
    return _es_walk(dev_losses, patience, lambda loss, best: loss < best - 0.01)  # min_delta


@early_stopping_epoch_mistakes.add(
    "the last epoch counted from 0 when training never stops",
    "when the count never reaches patience, training runs every epoch, and the last epoch "
    "trained is len(dev_losses) (epochs count from 1), not len(dev_losses) − 1, which is the "
    "index of its loss. Your stop epoch is right whenever training does stop.",
)
def _es_never_stops_zero_based(dev_losses, patience):
    return _es_walk(dev_losses, patience, end=len(dev_losses) - 1)


@early_stopping_epoch_mistakes.add(
    "stop epoch taken as best epoch + patience",
    "best_epoch + patience is the stop epoch only when training stops; when the count never "
    "reaches patience, training ends with the last epoch, len(dev_losses), and an epoch past "
    "it was never trained. Return the epoch where the loop stopped, or len(dev_losses) when "
    "it ran to the end.",
)
def _es_best_plus_patience(dev_losses, patience):
    _, best_epoch = _es_rule(dev_losses, patience)
    return best_epoch + patience, best_epoch


@early_stopping_epoch_mistakes.add(
    "both epochs from np.argmin over the whole list, counted from 0",
    "np.argmin(dev_losses) looks into the future: training stops at the first run of "
    "patience epochs without improvement, and a lower loss after that is never reached "
    "(nor does it move the stop). And it is an index k, while dev_losses[k] is the loss of "
    "epoch k + 1 (epochs count from 1). Walk through the losses with enumerate(dev_losses, "
    "start=1), keeping the best loss so far, its epoch and the count of epochs without "
    "improvement, and stop where that count reaches patience.",
)
def _es_from_global_argmin(dev_losses, patience):
    best_epoch = int(np.argmin(dev_losses))  # an index, over epochs never trained too
    return min(best_epoch + patience, len(dev_losses)), best_epoch


#: Shapes of dev-loss curves (before a seeded rescaling), each with the patience it is run with.
_ES_SHAPES: dict[str, tuple[list[float], int]] = {
    # falls, then rises for good: stops `patience` epochs after the minimum
    "a U-shaped dev loss": ([1.9, 1.2, 0.9, 0.8, 0.78, 0.81, 0.85, 0.9, 0.97, 1.05, 1.1], 3),
    # a new best arrives exactly `patience` epochs after the previous one, then a final rise
    "a late improvement, just in time": (
        [1.0, 0.8, 0.7, 0.72, 0.71, 0.69, 0.75, 0.76, 0.8, 0.9],
        3,
    ),
    # a plateau of exact ties: equal is not better
    "a plateau of equal losses": ([0.9, 0.6, 0.6, 0.6, 0.61, 0.7, 0.58, 0.8], 3),
    # keeps improving (noisily): never stops, and the best epoch is the last improvement
    "a loss that keeps falling": ([1.5, 1.1, 1.2, 0.9, 0.95, 0.7, 0.72, 0.6, 0.62], 3),
    # stops, although a lower loss would have come later
    "a lower loss after the stop": ([1.2, 0.9, 1.0, 1.05, 1.1, 0.5, 0.4], 2),
    # zigzags above the best: each dip beats the epoch before, never the best
    "a zigzag above the best": ([1.0, 0.6, 0.8, 0.7, 0.9, 0.75, 0.95, 0.85, 1.0], 3),
    # epoch 1 is the best: it counts as an improvement (on no earlier loss), the next do not
    "the first epoch is the best": ([0.5, 0.6, 0.7, 0.65, 0.8], 3),
    # improvements of 5e-4 are improvements (min_delta = 0); never stops, best = last epoch
    "tiny improvements still count": ([1.0, 0.9995, 0.999, 0.9985, 0.998, 0.9975], 2),
}
_ES_HIDDEN: dict[str, tuple[list[float], int]] = {
    "a long U-shaped curve": (
        [2.2, 1.6, 1.3, 1.1, 1.0, 0.95, 0.93, 0.94, 0.96, 0.99, 1.0, 1.04, 1.1, 1.2],
        5,
    ),
    "two late improvements": ([1.0, 0.9, 0.95, 0.93, 0.88, 0.9, 0.91, 0.85, 0.86, 0.87, 0.9], 3),
    "ties at the minimum": ([0.8, 0.5, 0.5, 0.52, 0.49, 0.6], 2),
    "the first bad epoch stops": ([1.0, 0.7, 0.75, 0.6, 0.5], 1),
    "never stops": ([1.3, 1.0, 1.1, 1.05, 0.98, 0.9, 0.95, 0.85], 4),
    "a dip after the stop": ([1.4, 1.0, 1.1, 1.2, 0.3], 2),
    "dips that never reach the best": ([0.9, 0.5, 0.7, 0.6, 0.8, 0.65, 0.9, 0.7, 0.75], 2),
    "the first epoch stays the best": ([0.6, 0.7, 0.65, 0.9, 0.4], 2),
    "tiny steps, then a rise": ([0.8, 0.7999, 0.7998, 0.7997, 0.85, 0.9, 0.95], 2),
    "never stops, the last epoch the best": ([1.2, 1.0, 1.05, 0.9, 0.95, 0.8], 3),
}


def _es_cases(seed: int, hidden: bool) -> list[Case]:
    rng = np.random.default_rng(seed)
    shapes = _ES_HIDDEN if hidden else _ES_SHAPES
    cases = []
    for label, (losses, patience) in shapes.items():
        scale, shift = rng.uniform(0.5, 2.0), rng.uniform(0.0, 0.3)
        curve = np.array(losses) * scale + shift  # equal entries stay exactly equal
        label = f"{label}, patience {patience}"
        if hidden:
            curve, label = _es_moved(rng, curve, patience, label)
        cases.append(Case(label, (curve, patience)))
    return cases


def _es_moved(
    rng: np.random.Generator, curve: np.ndarray, patience: int, label: str
) -> tuple[np.ndarray, str]:
    """``curve`` with the seed's own answers: 0-5 falling epochs before, 0-3 after the stop.

    Each epoch before the curve improves on the last, so both answers move by their number; the
    epochs after the stop change nothing but the length. Without them a hidden case's answer
    would be the same for every seed, and could be looked up by the curve's length. A curve
    whose best is its first epoch gets nothing before it: it is there to keep epoch 1 the best.
    """
    k = int(rng.integers(0, 6))
    stop, best_epoch = _es_rule(curve, patience)
    if best_epoch == 1:
        k = 0
    before = curve[0] + (curve.max() - curve.min()) * np.arange(k, 0, -1) / 6
    n_after = int(rng.integers(0, 4)) if stop < len(curve) else 0
    after = rng.uniform(curve.min(), curve.max(), n_after)
    if k:
        label += f", after {k} falling epoch{'s' * (k > 1)}"
    return np.concatenate([before, curve, after]), label


register(
    FunctionExercise(
        name="ch09_early_stopping_epoch",
        chapter="09",
        title="When does early stopping stop?",
        signature="early_stopping_epoch(dev_losses, patience) -> (stop_epoch, best_epoch)",
        hint=(
            "Walk through the losses with epochs counted from 1, keeping the best loss so far, "
            "its epoch, and how many epochs in a row did not beat it (reset to 0 on a strict "
            "improvement). Stop at the epoch where that count reaches patience; if it never "
            "does, the stop epoch is len(dev_losses)."
        ),
        solution=early_stopping_epoch,
        suites=seeded(_es_cases, visible=29, hidden=290),
        mistakes=early_stopping_epoch_mistakes.all,
        references=("dlnotes.train:EarlyStopping",),
    )
)


# ============================================================================================
# ch09_l1_prox_step
# ============================================================================================


def l1_prox_step(w: np.ndarray, g: np.ndarray, lr: float, lam: float) -> np.ndarray:
    """One proximal gradient step for the L1 penalty ``lam·Σ|w|`` (the soft-threshold step).

    First the ordinary gradient step on the loss, ``z = w − lr·g``; then every entry is moved
    ``lr·lam`` towards zero and stops at zero instead of crossing it::

        w_new = sign(z) · max(|z| − lr·lam, 0)

    Entries with ``|z| ≤ lr·lam`` become exactly 0, which is how the step makes weights sparse.
    Returns a new array of ``w``'s shape and dtype; ``w`` and ``g`` are left untouched.

    Defined in chapter 09 (Regularization).
    """
    z = w - lr * g
    return np.sign(z) * np.maximum(np.abs(z) - lr * lam, 0)


#: The common mistakes of ``ch09_l1_prox_step``, each declared on its wrong code.
l1_prox_step_mistakes = Mistakes()


@l1_prox_step_mistakes.add(
    "Python's max on an array",
    "the built-in max(a, 0) compares a with 0 as one truth value, which an array of several "
    'entries does not have (hence "ambiguous"). The entrywise maximum of an array and 0 is '
    "np.maximum(a, 0).",
)
def _prox_builtin_max(w, g, lr, lam):
    z = w - lr * g
    return np.sign(z) * max(np.abs(z) - lr * lam, 0)


@l1_prox_step_mistakes.add(
    "threshold λ instead of lr·λ",
    "the threshold is lr·lam, not lam: the penalty's pull is a step like any other, "
    "so the learning rate scales it (with lam alone, most weights are zeroed).",
)
def _prox_threshold_lam(w, g, lr, lam):
    z = w - lr * g
    return np.sign(z) * np.maximum(np.abs(z) - lam, 0)


@l1_prox_step_mistakes.add(
    "threshold λ / lr instead of lr·λ",
    "the threshold is lr·lam, the penalty's pull over one step of size lr: you divided lam "
    "by lr, which with lr < 1 makes it larger than lam, so most entries (often all) are "
    "zeroed. Multiply: np.maximum(np.abs(z) - lr * lam, 0).",
)
def _prox_threshold_lam_over_lr(w, g, lr, lam):
    z = w - lr * g
    return np.sign(z) * np.maximum(np.abs(z) - lam / lr, 0)


@l1_prox_step_mistakes.add(
    "half the threshold",
    "the threshold is lr·lam, not lr·lam/2: the penalty is lam·Σ|w| (no ½, unlike L2), and "
    "the derivative of lam·|w| away from 0 is ±lam, so each step moves an entry lr·lam "
    "towards zero.",
)
def _prox_half_threshold(w, g, lr, lam):
    z = w - lr * g
    return np.sign(z) * np.maximum(np.abs(z) - lr * lam / 2, 0)


@l1_prox_step_mistakes.add(
    "gradient step uphill",
    "you computed z = w + lr·g: the gradient step on the loss goes against the gradient, "
    "z = w − lr·g, and the soft threshold is applied to that z.",
)
def _prox_ascent(w, g, lr, lam):
    z = w + lr * g
    return np.sign(z) * np.maximum(np.abs(z) - lr * lam, 0)


@l1_prox_step_mistakes.add(
    "gradient step without the learning rate",
    "the gradient step is z = w − lr·g: you subtracted g itself, so the step on the loss is "
    "1/lr times too large (your threshold lr·lam is right).",
)
def _prox_step_without_lr(w, g, lr, lam):
    z = w - g
    return np.sign(z) * np.maximum(np.abs(z) - lr * lam, 0)


@l1_prox_step_mistakes.add(
    "size grown instead of shrunk",
    "you added lr·lam to |z|, so every entry moves away from zero and none is ever zeroed: "
    "the soft threshold *subtracts* lr·lam from the size |z| (and stops at 0).",
)
def _prox_size_grown(w, g, lr, lam):
    z = w - lr * g
    return np.sign(z) * np.maximum(np.abs(z) + lr * lam, 0)


@l1_prox_step_mistakes.add(
    "negative entries shrunk away from zero",
    "subtracting lr·lam from z moves a positive entry towards zero but a negative one away "
    "from it (−1 becomes −1 − lr·lam). Shrink the size |z| by lr·lam instead and give each "
    "entry its sign back, so negative entries move up towards 0.",
)
def _prox_minus_threshold_everywhere(w, g, lr, lam):
    z = w - lr * g
    return np.where(np.abs(z) > lr * lam, z - lr * lam, 0.0).astype(w.dtype)


@l1_prox_step_mistakes.add(
    "shrinks past zero",
    "z − lr·lam·sign(z) carries a small entry through zero to the other side; the "
    "soft threshold stops at zero: shrink the size |z| by lr·lam, but not below 0, then "
    "put the sign back.",
)
def _prox_past_zero(w, g, lr, lam):
    z = w - lr * g
    return z - lr * lam * np.sign(z)


@l1_prox_step_mistakes.add(
    "plain subgradient step",
    "w − lr·(g + lam·sign(w)) is the subgradient step: it uses sign(0) = 0 for a "
    "weight at zero, overshoots zero for the others, and never lands exactly on 0. "
    "The proximal step soft-thresholds z = w − lr·g instead.",
)
def _prox_subgradient_sign_w(w, g, lr, lam):
    return w - lr * (g + lam * np.sign(w))


@l1_prox_step_mistakes.add(
    "np.max instead of np.maximum",
    "np.max(a, 0) is not the entrywise max(a, 0): its second argument is an axis, so it "
    "reduces a to its largest entry (one per column for a matrix), and every entry of your "
    "result gets that one value times its sign. The entrywise maximum of an array and 0 is "
    "np.maximum(a, 0), which keeps a's shape.",
)
def _prox_np_max(w, g, lr, lam):
    z = w - lr * g
    return np.sign(z) * np.max(np.abs(z) - lr * lam, 0)  # np.max reduces: 0 is its axis


@l1_prox_step_mistakes.add(
    "hard threshold",
    "you zeroed the small entries but left the large ones unchanged; the soft "
    "threshold also moves every surviving entry lr·lam towards zero.",
)
def _prox_hard_threshold(w, g, lr, lam):
    z = w - lr * g
    return np.where(np.abs(z) > lr * lam, z, 0.0).astype(w.dtype)


@l1_prox_step_mistakes.add(
    "np.abs instead of np.maximum(·, 0)",
    "np.abs(|z| − lr·lam) turns a negative |z| − lr·lam into a positive size, so an entry "
    "within lr·lam of zero is reflected away from zero instead of set to 0. Stop at zero: "
    "np.maximum(np.abs(z) - lr * lam, 0), then give each entry its sign back.",
)
def _prox_abs_not_max(w, g, lr, lam):
    z = w - lr * g
    return np.sign(z) * np.abs(np.abs(z) - lr * lam)


@l1_prox_step_mistakes.add(
    "clipped into [−lr·λ, lr·λ] instead of shrunk",
    "np.clip(z, -lr*lam, lr*lam) caps the large entries at ±lr·lam and leaves the small ones "
    "as they are: the opposite of the soft threshold, which sets the entries within lr·lam "
    "of zero to 0 and moves every other entry lr·lam towards zero. z − np.clip(z, −lr·lam, "
    "lr·lam) is the soft threshold; or np.sign(z) * np.maximum(np.abs(z) - lr * lam, 0).",
)
def _prox_clip(w, g, lr, lam):
    z = w - lr * g
    return np.clip(z, -lr * lam, lr * lam)


@l1_prox_step_mistakes.add(
    "gradient step forgotten",
    "you soft-thresholded w itself, so the loss's gradient g plays no part: the proximal "
    "step first takes the gradient step on the loss, z = w − lr·g, then soft-thresholds z.",
)
def _prox_no_gradient_step(w, g, lr, lam):
    return np.sign(w) * np.maximum(np.abs(w) - lr * lam, 0)


@l1_prox_step_mistakes.add(
    "lr applied twice to the threshold",
    "your threshold is lr·lr·lam: the penalty's pull over one step is lr·lam, the learning "
    "rate once (as for the gradient, lr·g). np.maximum(np.abs(z) - lr * lam, 0).",
)
def _prox_lr_twice(w, g, lr, lam):
    z = w - lr * g
    return np.sign(z) * np.maximum(np.abs(z) - lr * lr * lam, 0)


@l1_prox_step_mistakes.add(
    "threshold before the gradient step",
    "you shrank w and then took the gradient step, so entries can end near, not at, "
    "zero. Step first (z = w − lr·g), then soft-threshold z.",
)
def _prox_threshold_before_step(w, g, lr, lam):
    shrunk = np.sign(w) * np.maximum(np.abs(w) - lr * lam, 0)
    return shrunk - lr * g


@l1_prox_step_mistakes.add(
    "sign dropped",
    "np.maximum(z − lr·lam, 0) sends every negative entry to 0: the soft threshold shrinks "
    "the size |z| of each entry towards zero and then gives it back its sign, so a negative "
    "entry stays negative until it reaches 0.",
)
def _prox_no_sign(w, g, lr, lam):
    z = w - lr * g
    return np.maximum(z - lr * lam, 0)


@l1_prox_step_mistakes.add(
    "sign never put back",
    "np.maximum(|z| − lr·lam, 0) is the shrunk size of each entry: multiply it by np.sign(z) "
    "to give each entry its sign back (your negative entries came out positive).",
)
def _prox_abs_no_sign(w, g, lr, lam):
    z = w - lr * g
    return np.maximum(np.abs(z) - lr * lam, 0)


@l1_prox_step_mistakes.add(
    "sign of w instead of z",
    "the sign to keep is that of z = w − lr·g, the point being thresholded; where the "
    "gradient step changed an entry's sign, sign(w) flips it back.",
)
def _prox_sign_of_w(w, g, lr, lam):
    z = w - lr * g
    return np.sign(w) * np.maximum(np.abs(z) - lr * lam, 0)


@l1_prox_step_mistakes.add(
    "z/|z| for the sign",
    "z / np.abs(z) is the sign of z only where z ≠ 0: where z = 0 it is 0/0 = NaN, and "
    "NaN times 0 is still NaN, so a weight that should stay at 0 becomes NaN. Use np.sign(z), "
    "which is 0 at 0.",
)
def _prox_sign_by_division(w, g, lr, lam):
    z = w - lr * g
    return z / np.abs(z) * np.maximum(np.abs(z) - lr * lam, 0)  # 0/0 = NaN where z == 0


@l1_prox_step_mistakes.add(
    "modifies w in place",
    "`w -= ...` changed the caller's parameters. Compute z = w − lr·g as a new array "
    "and return a new array.",
)
def _prox_in_place(w, g, lr, lam):
    w -= lr * g
    w[...] = np.sign(w) * np.maximum(np.abs(w) - lr * lam, 0)
    return w


def _prox_cases(seed: int, hidden: bool) -> list[Case]:
    rng = np.random.default_rng(seed)

    def pair(shape: tuple[int, ...], dtype: type = np.float64) -> tuple[np.ndarray, np.ndarray]:
        w = rng.normal(0.0, 1.0, shape)
        w.flat[0] = 0.0  # a weight already at zero, as L1 leaves many
        g = rng.normal(0.0, 1.0, shape)
        w.flat[-1] = g.flat[-1] = 0.0  # at zero with a zero gradient: z = 0 exactly
        return w.astype(dtype), g.astype(dtype)

    # lr·lam is comparable to the entries, so some are zeroed, some shrink, some cross zero
    settings = [((8,), 0.5, 0.8), ((4, 5), 0.3, 2.0), ((10,), 1.0, 0.4)]
    if hidden:
        settings = [((12,), 0.4, 1.5), ((3, 2, 4), 0.8, 0.6), ((6, 6), 0.2, 3.0)]
    cases = [
        Case(f"shape {shape}, lr = {lr}, lam = {lam}", (*pair(shape), lr, lam))
        for shape, lr, lam in settings
    ]
    cases.append(
        Case("float32 parameters: the result stays float32", (*pair((9,), np.float32), 0.5, 1.0))
    )
    return cases


register(
    FunctionExercise(
        name="ch09_l1_prox_step",
        chapter="09",
        title="The proximal (soft-threshold) step for L1",
        signature="l1_prox_step(w, g, lr, lam) -> array like w",
        hint=(
            "Take the gradient step on the loss first, z = w − lr·g; then soft-threshold: "
            "np.sign(z) * np.maximum(np.abs(z) − lr·lam, 0). Entries of z within lr·lam of "
            "zero become exactly 0, and the threshold never pushes an entry of z across zero "
            "(the gradient step may move w across it). Build a new array; do not write into w."
        ),
        solution=l1_prox_step,
        suites=seeded(_prox_cases, visible=39, hidden=390),
        mistakes=l1_prox_step_mistakes.all,
        references=("dlnotes.losses:l1_penalty",),
        rtol=1e-6,
        atol=1e-9,
        diagnoses={  # wording for generic diagnoses (dlnotes.exercises.diagnose)
            # a threshold far too large zeroes every entry: 10·lr·lam, lam / lr, ...
            "zeros": "every entry came out exactly 0, as a threshold larger than every |z| "
            "gives: is yours larger than lr·lam (lam / lr, or lam alone)? Each step moves an "
            "entry of z = w − lr·g exactly lr·lam towards zero; and return the result, not "
            "an array of zeros left as it was"
        },
    )
)
