"""Exercises of chapter 10 (Dropout).

* ``ch10_dropout_forward``: ``dropout_forward(X, p, mode, u)``, inverted dropout with drop
  probability ``p`` in ``mode`` ``"train"`` or ``"eval"`` (the library's names and order,
  :func:`dlnotes.layers.dropout_forward`) and the keep mask ``u >= p`` read from a given
  uniform array ``u``;
* ``ch10_dropout_backward``: ``dropout_backward(dout, cache)`` with ``cache = (mask, p)``.

Masks come from an explicit array ``u`` of uniform draws in ``[0, 1)`` (not from a generator the
learner would call in another order), so every answer is reproducible and comparable.

Defined in chapter 10 (Dropout).
"""

from __future__ import annotations

import sys

import numpy as np

from dlnotes.exercises.core import Case, FunctionExercise, Mistakes, register, seeded

# ============================================================================================
# ch10_dropout_forward
# ============================================================================================


def dropout_forward(X: np.ndarray, p: float, mode: str, u: np.ndarray) -> np.ndarray:
    """Inverted dropout with **drop** probability ``p`` (keep probability ``1 - p``).

    ``mode`` is ``"train"`` or ``"eval"``, as in :func:`dlnotes.layers.dropout_forward`. ``u``
    holds uniform draws in ``[0, 1)`` of ``X``'s shape; the keep mask is ``m = (u >= p)`` (each
    entry kept with probability ``1 - p``). Train mode: ``out = X ⊙ m / (1 - p)``; eval mode:
    ``out = X`` (a new array; ``u`` is ignored). ``E[out_train] = out_eval``. Returns ``out``
    only (not the mask), of ``X``'s shape and dtype (float32 in, float32 out).

    Defined in chapter 10 (Dropout).
    """
    if mode != "train":
        return X.copy()
    mask = u >= p
    return X * mask / (1.0 - p)


#: The common mistakes of ``ch10_dropout_forward``, each declared on its wrong code.
dropout_forward_mistakes = Mistakes()


@dropout_forward_mistakes.add(
    "divides by p",
    "p is the drop probability; the kept fraction is 1 − p, so divide by (1 − p) to "
    "keep E[out] = X. Dividing by p is right only when p = 0.5.",
)
def _fwd_divide_by_p(X, p, mode, u):
    if mode != "train":
        return X.copy()
    return X * (u >= p) / p


@dropout_forward_mistakes.add(
    "vanilla instead of inverted",
    "you wrote the original (vanilla) dropout: no scaling at train time and ×(1 − p) "
    "at test time. Inverted dropout divides by (1 − p) at train time and leaves eval "
    "mode untouched.",
)
def _fwd_vanilla(X, p, mode, u):
    if mode != "train":
        return X * (1.0 - p)
    return X * (u >= p)


@dropout_forward_mistakes.add(
    "scales at test time",
    "your train mode is right, but inverted dropout already corrected the scale "
    "during training: in eval mode return a copy of X unchanged (X.copy()), without "
    "×(1 − p).",
)
def _fwd_scales_at_test(X, p, mode, u):
    if mode != "train":
        return X * (1.0 - p)
    return X * (u >= p) / (1.0 - p)


@dropout_forward_mistakes.add(
    "drops in eval mode",
    'in eval mode (mode="eval") dropout is switched off: no mask, return a copy of X '
    "(X.copy(), a new array like every result).",
)
def _fwd_drops_in_eval(X, p, mode, u):
    return X * (u >= p) / (1.0 - p)


@dropout_forward_mistakes.add(
    "never drops in train mode",
    "in train mode you returned X unchanged: dropout never ran. Is mode compared with exactly "
    '"train" (a test of mode == "training" or "Train" is never true)?',
)
def _fwd_never_drops(X, p, mode, u):
    if mode == "training":  # the mistake: the string is "train"
        return X * (u >= p) / (1.0 - p)
    return X.copy()


@dropout_forward_mistakes.add(
    "mode compared with is",
    'compare strings with ==, not is: `mode is "train"` asks whether mode is the very object '
    'Python made for that literal, which a "train" built at run time (read from a file or '
    'joined from parts) is not. Write `mode == "train"`.',
)
def _fwd_mode_is(X, p, mode, u):
    if mode is sys.intern("train"):  # `mode is "train"`: an identity test, not equality
        return X * (u >= p) / (1.0 - p)
    return X.copy()


@dropout_forward_mistakes.add(
    "keeps with probability p",
    "the keep mask is u >= p (kept with probability 1 − p); u < p keeps the entries "
    "that should be dropped.",
)
def _fwd_keeps_with_p(X, p, mode, u):
    if mode != "train":
        return X.copy()
    return X * (u < p) / (1.0 - p)


@dropout_forward_mistakes.add(
    "u <= p instead of u >= p",
    "the keep mask is u >= p (kept with probability 1 − p); u <= p keeps the entries that "
    "should be dropped (and the draws exactly at p).",
)
def _fwd_keeps_at_most_p(X, p, mode, u):
    if mode != "train":
        return X.copy()
    return X * (u <= p) / (1.0 - p)


@dropout_forward_mistakes.add(
    "p taken as the keep probability",
    "p is the DROP probability: keep the entries where u >= p (each kept with probability "
    "1 − p) and divide by 1 − p. Keeping u < p and dividing by p treats p as the keep "
    "probability.",
)
def _fwd_p_as_keep(X, p, mode, u):
    if mode != "train":
        return X.copy()
    return X * (u < p) / p


@dropout_forward_mistakes.add(
    "the scale in eval mode instead of train",
    "inverted dropout scales in TRAIN mode, X ⊙ m / (1 − p), and leaves eval mode untouched "
    "(return X): you dropped without scaling in train mode and divided by (1 − p) in eval.",
)
def _fwd_scale_in_eval(X, p, mode, u):
    if mode != "train":
        return X / (1.0 - p)
    return X * (u >= p)


@dropout_forward_mistakes.add(
    "u > p instead of u >= p",
    "u > p drops the units where u == p exactly; the exercise fixes the rule as u >= p, so a "
    "draw exactly at p is kept (and every answer keeps the same units).",
)
def _fwd_strict_mask(X, p, mode, u):
    if mode != "train":
        return X.copy()
    return X * (u > p) / (1.0 - p)


@dropout_forward_mistakes.add(
    "mask from the keep probability",
    "u < 1 − p keeps the same fraction of units, but other ones: the exercise fixes the "
    "mask as u >= p (the units with the largest u are kept), so that every answer keeps the "
    "same units. Keep the entries where u >= p.",
)
def _fwd_keep_prob_mask(X, p, mode, u):
    if mode != "train":
        return X.copy()
    keep = 1.0 - p
    return X * (u < keep) / keep


@dropout_forward_mistakes.add(
    "multiplied by 1 − p",
    "you multiplied the kept units by (1 − p): inverted dropout DIVIDES them by the keep "
    "probability, X * (u >= p) / (1 − p), so that the expected output stays X.",
)
def _fwd_times_keep(X, p, mode, u):
    if mode != "train":
        return X.copy()
    return X * (u >= p) * (1.0 - p)


@dropout_forward_mistakes.add(
    "missing the 1/(1 − p) scale",
    "without dividing by (1 − p) the expected output in train mode is (1 − p)·X, "
    "smaller than the eval-mode output X.",
)
def _fwd_no_scale(X, p, mode, u):
    if mode != "train":
        return X.copy()
    return X * (u >= p)


@dropout_forward_mistakes.add(
    "modifies X in place",
    "`X *= mask` changed the caller's activations: build the result as a new array (an "
    "expression such as `X * ...` makes one) and return that.",
)
def _fwd_in_place(X, p, mode, u):
    if mode == "train":
        X *= (u >= p) / (1.0 - p)
    return X.copy()


#: What a learner who returns the mask with the output is told (three ways of writing it).
_RETURNS_MASK_HINT = (
    "return only the output array, of X's shape: return out, not (out, mask). The library's "
    "dropout_forward also returns a cache, but this exercise does not: the caller already has "
    "u, and builds dropout_backward's cache (u >= p, p) from it."
)


@dropout_forward_mistakes.add("returns (out, mask)", _RETURNS_MASK_HINT)
def _fwd_returns_mask(X, p, mode, u):
    mask = u >= p
    if mode != "train":
        return X.copy(), mask
    return X * mask / (1.0 - p), mask


@dropout_forward_mistakes.add("returns (out, mask), no mask in eval mode", _RETURNS_MASK_HINT)
def _fwd_returns_mask_or_none(X, p, mode, u):
    if mode != "train":
        return X.copy(), None
    mask = u >= p
    return X * mask / (1.0 - p), mask


@dropout_forward_mistakes.add("returns (out, cache) as the library does", _RETURNS_MASK_HINT)
def _fwd_returns_cache(X, p, mode, u):
    if mode != "train":
        return X.copy(), 1.0
    multiplier = (u >= p).astype(X.dtype) / (1.0 - p)
    return X * multiplier, multiplier


def _forward_cases(seed: int, hidden: bool) -> list[Case]:
    rng = np.random.default_rng(seed)

    def case(label: str, shape: tuple[int, ...], p: float, mode: str, dtype=np.float64) -> Case:
        X = np.round(rng.standard_normal(shape) * 1.5, 3).astype(dtype)
        u = rng.random(shape)
        u.flat[1::4] = p  # draws exactly at the threshold: kept, since u >= p
        X[(u == p) & (X == 0)] = 0.5  # kept units that are not zero: a dropped one shows
        return Case(label, (X, p, mode, u))

    def built(mode: str) -> str:
        """``mode`` as a new string object, as one read from a file or a config would be."""
        return "".join(list(mode))

    if not hidden:
        return [
            case("train mode, p = 0.2, a batch of 4 examples × 6 features", (4, 6), 0.2, "train"),
            case("train mode, p = 0.7 (most units dropped)", (3, 8), 0.7, "train"),
            case("eval mode, p = 0.3: no mask, no scaling", (5, 4), 0.3, "eval"),
            case("train mode, p = 0.35, one vector of 10 activations", (10,), 0.35, "train"),
            case("train mode, p = 0.3, mode read from a config file", (3, 4), 0.3, built("train")),
            case(
                "train mode, p = 0.4, float32 activations: the result stays float32",
                (3, 5),
                0.4,
                "train",
                np.float32,
            ),
            case(
                "eval mode, p = 0.5, float32: returned as they are", (2, 6), 0.5, "eval", np.float32
            ),
        ]
    return [
        case("train mode, p = 0.1, shape (6, 5)", (6, 5), 0.1, "train"),
        case("train mode, p = 0.6, shape (2, 3, 4)", (2, 3, 4), 0.6, "train"),
        case("eval mode, p = 0.8", (4, 7), 0.8, "eval"),
        case("train mode, p = 0.45, shape (8, 3)", (8, 3), 0.45, "train"),
        case("train mode, p = 0.55, mode built at run time", (5, 2), 0.55, built("train")),
        case("eval mode, p = 0.2, mode built at run time", (3, 2), 0.2, built("eval")),
        case("eval mode, p = 0.15, one vector", (9,), 0.15, "eval"),
        case("train mode, p = 0.25, float32, shape (4, 6)", (4, 6), 0.25, "train", np.float32),
        case("eval mode, p = 0.5, float32, shape (3, 3)", (3, 3), 0.5, "eval", np.float32),
    ]


register(
    FunctionExercise(
        name="ch10_dropout_forward",
        chapter="10",
        title="Inverted dropout, forward",
        signature='dropout_forward(X, p, mode, u) -> array like X, mode "train" or "eval"',
        hint=(
            "p is the DROP probability. In train mode keep the entries where u >= p and divide "
            "by the keep probability: X * (u >= p) / (1 - p). In eval mode return X unchanged "
            "(a copy): inverted dropout puts all of its scaling at train time."
        ),
        solution=dropout_forward,
        suites=seeded(_forward_cases, visible=10, hidden=100),
        mistakes=dropout_forward_mistakes.all,
        references=("dlnotes.layers:dropout_forward", "dlnotes.autograd.nn:dropout"),
        diagnoses={
            "repeat": "draw no random numbers of your own (np.random.rand, a new Generator): "
            "the keep mask is u >= p, from the u the function is given"
        },
    )
)


# ============================================================================================
# ch10_dropout_backward
# ============================================================================================


def dropout_backward(dout: np.ndarray, cache: tuple[np.ndarray, float]) -> np.ndarray:
    """Gradient of inverted dropout: ``dX = dout ⊙ m / (1 - p)`` with ``cache = (m, p)``.

    ``m`` is the boolean keep mask of the forward pass (``u >= p``), same shape as ``dout``;
    ``p`` the drop probability. The forward pass is linear in ``X`` with the fixed multiplier
    ``m / (1 - p)``, so the backward pass multiplies by the same thing. Returns a new array of
    ``dout``'s shape and dtype (float32 in, float32 out).

    Defined in chapter 10 (Dropout).
    """
    mask, p = cache
    return dout * mask / (1.0 - p)


#: The common mistakes of ``ch10_dropout_backward``, each declared on its wrong code.
dropout_backward_mistakes = Mistakes()


@dropout_backward_mistakes.add(
    "missing the 1/(1 − p) scale",
    "the forward pass divided the kept units by the keep probability, so its derivative "
    "carries the same factor.",
)
def _bwd_no_scale(dout, cache):
    mask, _ = cache
    return dout * mask


@dropout_backward_mistakes.add(
    "uses the dropped units' mask",
    "gradient flows through the units that were KEPT (mask True), and is zero for "
    "the dropped ones; ~mask sends it through the wrong ones.",
)
def _bwd_dropped_mask(dout, cache):
    mask, p = cache
    return dout * ~mask / (1.0 - p)


@dropout_backward_mistakes.add(
    "divides by p",
    "p is the drop probability; the forward scale was 1/(1 − p), not 1/p.",
)
def _bwd_divide_by_p(dout, cache):
    mask, p = cache
    return dout * mask / p


@dropout_backward_mistakes.add(
    "ignores the mask",
    "a dropped unit had no effect on the output, so its gradient is zero: multiply "
    "by the mask as well as by 1/(1 − p).",
)
def _bwd_no_mask(dout, cache):
    _, p = cache
    return dout / (1.0 - p)


@dropout_backward_mistakes.add(
    "multiplied by 1 − p",
    "the forward pass divided the kept units by (1 − p), so the gradient is divided by it "
    "too: dout * mask / (1 − p), not dout * mask * (1 − p).",
)
def _bwd_times_keep(dout, cache):
    mask, p = cache
    return dout * mask * (1.0 - p)


@dropout_backward_mistakes.add(
    "cache unpacked in the wrong order",
    "cache = (mask, p): the mask comes first. `p, mask = cache` names the boolean mask p and "
    "the drop probability mask, so 1 − p is 0 wherever a unit was kept, and your gradient is "
    "inf or NaN there. Unpack it as `mask, p = cache`.",
)
def _bwd_cache_swapped(dout, cache):
    p, mask = cache  # the mistake: cache is (mask, p)
    return dout * mask / (1.0 - p)


@dropout_backward_mistakes.add(
    "modifies dout in place",
    "`dout *= ...` changed the upstream gradient. Return a new array.",
)
def _bwd_in_place(dout, cache):
    mask, p = cache
    dout *= mask / (1.0 - p)
    return dout.copy()


def _backward_cases(seed: int, hidden: bool) -> list[Case]:
    rng = np.random.default_rng(seed)

    def case(label: str, shape: tuple[int, ...], p: float, dtype: type = np.float64) -> Case:
        dout: np.ndarray = np.round(rng.standard_normal(shape), 3).astype(dtype)
        mask = rng.random(shape) >= p
        return Case(label, (dout, (mask, p)))

    if not hidden:
        return [
            case("p = 0.25, dout of shape (4, 5)", (4, 5), 0.25),
            case("p = 0.6, dout of shape (3, 7)", (3, 7), 0.6),
            case("p = 0.1, one vector of 12 gradients", (12,), 0.1),
            case("p = 0.5, float32 gradients: the result stays float32", (3, 4), 0.5, np.float32),
        ]
    return [
        case("p = 0.4, dout of shape (6, 3)", (6, 3), 0.4),
        case("p = 0.75, dout of shape (2, 4, 3)", (2, 4, 3), 0.75),
        case("p = 0.05, dout of shape (5, 5)", (5, 5), 0.05),
        case("p = 0.3, one vector", (9,), 0.3),
        case("p = 0.35, float32, dout of shape (4, 6)", (4, 6), 0.35, np.float32),
    ]


register(
    FunctionExercise(
        name="ch10_dropout_backward",
        chapter="10",
        title="Inverted dropout, backward",
        signature=(
            "dropout_backward(dout, cache) -> array like dout (its shape and dtype), where "
            "cache = (mask, p)"
        ),
        hint=(
            "The forward pass multiplied X by mask / (1 − p), a constant once the mask is drawn, "
            "so the gradient is dout * mask / (1 − p), with the same (keep) mask."
        ),
        solution=dropout_backward,
        suites=seeded(_backward_cases, visible=11, hidden=110),
        mistakes=dropout_backward_mistakes.all,
        references=(
            "dlnotes.layers:dropout_backward",
            "dlnotes.autograd.nn:dropout",
            "dlnotes.autograd.tensor:Tensor.backward",  # autograd would write the rule
        ),
        diagnoses={
            "repeat": "the backward pass draws no mask of its own: a new draw (np.random.rand, a "
            "Generator) drops other units than the forward pass did, so the gradient flows "
            "through the wrong ones. Use the mask the forward pass stored in the cache: "
            "mask, p = cache, then dout * mask / (1 − p)"
        },
    )
)
