"""Exercises of chapter 11 (Batch normalization).

* ``ch11_batchnorm_forward``: ``batchnorm_forward(X, gamma, beta, eps)`` in train mode returns
  ``(out, cache)`` with the documented cache ``(x_hat, mean, var)``;
* ``ch11_batchnorm_backward``: ``batchnorm_backward(dout, X, gamma, eps)`` returns
  ``(dX, dgamma, dbeta)``, recomputing the batch statistics from ``X`` (no cache to agree on);
* ``ch11_update_running_stats``: ``update_running_stats(running_mean, running_var, batch_mean,
  batch_var, n, momentum)``, torch's momentum convention with the unbiased variance.

Each exercise is laid out the same way: the reference solution, the common wrong versions
(``_name_of_the_mistake``), the visible and hidden cases (seeded, non-trivial inputs), then one
:func:`register` call.

Defined in chapter 11 (Batch normalization).
"""

from __future__ import annotations

import numpy as np

from dlnotes.exercises.core import Case, FunctionExercise, Mistakes, register, seeded

# ============================================================================================
# ch11_batchnorm_forward
# ============================================================================================


def batchnorm_forward(
    X: np.ndarray, gamma: np.ndarray, beta: np.ndarray, eps: float
) -> tuple[np.ndarray, tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """Batch normalization in train mode of ``X`` of shape ``(N, D)``; ``gamma, beta`` ``(D,)``.

    ``mean = (1/N) Σ_n x_n``, ``var = (1/N) Σ_n (x_n − mean)²`` (biased), ``x_hat = (X − mean) /
    sqrt(var + eps)``, ``out = gamma · x_hat + beta``. Returns ``(out, (x_hat, mean, var))`` with
    ``out`` and ``x_hat`` of shape ``(N, D)`` and ``mean``, ``var`` of shape ``(D,)``.

    Defined in chapter 11 (Batch normalization).
    """
    mean = X.mean(axis=0)  # one mean per feature: average over the batch axis
    var = ((X - mean) ** 2).mean(axis=0)  # biased: divide by N
    x_hat = (X - mean) / np.sqrt(var + eps)
    out = gamma * x_hat + beta
    return out, (x_hat, mean, var)


def _fwd_parts(X, eps, ddof=0):
    """``mean``, ``var`` (with ``ddof``) and ``x_hat`` of the forward pass, for its mistakes."""
    mean = X.mean(axis=0)
    var = X.var(axis=0, ddof=ddof)
    x_hat = (X - mean) / np.sqrt(var + eps)
    return mean, var, x_hat


#: The common mistakes of ``ch11_batchnorm_forward``, each declared on its wrong code.
batchnorm_forward_mistakes = Mistakes()


@batchnorm_forward_mistakes.add(
    "statistics over axis=1, which cannot broadcast",
    "X.mean(axis=1) is one mean per example, of shape (N,), and numpy cannot subtract it from "
    "the (N, D) batch: shapes are matched from the right, D against N. Batch normalization "
    "averages each feature over the batch: axis=0, giving mean and var of shape (D,).",
)
def _bn_axis1_raises(X, gamma, beta, eps):
    mean = X.mean(axis=1)
    var = ((X - mean) ** 2).mean(axis=1)
    x_hat = (X - mean) / np.sqrt(var + eps)
    return gamma * x_hat + beta, (x_hat, mean, var)


@batchnorm_forward_mistakes.add(
    "normalising over the wrong axis",
    "you averaged each example over its features (axis=1): that is layer "
    "normalization. Batch normalization averages each feature over the batch, "
    "axis=0, so mean and var have shape (D,).",
)
def _fwd_wrong_axis(X, gamma, beta, eps):
    mean = X.mean(axis=1)
    var = X.var(axis=1)
    x_hat = (X - mean[:, None]) / np.sqrt(var[:, None] + eps)
    return gamma * x_hat + beta, (x_hat, mean, var)


@batchnorm_forward_mistakes.add(
    "normalising over the wrong axis, with keepdims",
    "you averaged each example over its features (axis=1, keepdims=True): that is layer "
    "normalization. Batch normalization averages each feature over the batch, axis=0, so "
    "mean and var have shape (D,) (no keepdims needed: (X - mean) broadcasts).",
)
def _fwd_wrong_axis_keepdims(X, gamma, beta, eps):
    mean = X.mean(axis=1, keepdims=True)
    var = X.var(axis=1, keepdims=True)
    x_hat = (X - mean) / np.sqrt(var + eps)
    return gamma * x_hat + beta, (x_hat, mean, var)


@batchnorm_forward_mistakes.add(
    "eps outside the square root",
    "the formula is (X - mean) / sqrt(var + eps): eps goes inside the square root "
    "(yours divides by sqrt(var) + eps).",
)
def _fwd_eps_outside(X, gamma, beta, eps):
    mean, var, _ = _fwd_parts(X, eps)
    x_hat = (X - mean) / (np.sqrt(var) + eps)  # eps added after the square root
    return gamma * x_hat + beta, (x_hat, mean, var)


@batchnorm_forward_mistakes.add(
    "unbiased variance",
    "the batch statistics use the biased variance, dividing by N "
    "(np.var's default, ddof=0); the unbiased N - 1 version is only for the running "
    "estimate.",
)
def _fwd_unbiased(X, gamma, beta, eps):
    mean, var, x_hat = _fwd_parts(X, eps, ddof=1)  # divides by N - 1
    return gamma * x_hat + beta, (x_hat, mean, var)


@batchnorm_forward_mistakes.add(
    "forgot gamma and beta",
    "out is gamma * x_hat + beta: the learned scale and shift let the layer undo the "
    "normalization if that helps.",
)
def _fwd_no_affine(X, gamma, beta, eps):
    mean, var, x_hat = _fwd_parts(X, eps)
    return x_hat.copy(), (x_hat, mean, var)  # x_hat itself: no gamma, no beta


@batchnorm_forward_mistakes.add(
    "forgot to subtract the mean",
    "x_hat = (X - mean) / sqrt(var + eps): centre first, then scale. Dividing X alone "
    "leaves each feature's offset in x_hat, so its mean is not 0.",
)
def _fwd_not_centred(X, gamma, beta, eps):
    mean, var, _ = _fwd_parts(X, eps)
    x_hat = X / np.sqrt(var + eps)  # X, not X - mean
    return gamma * x_hat + beta, (x_hat, mean, var)


@batchnorm_forward_mistakes.add(
    "divided by the variance, not the standard deviation",
    "x_hat = (X - mean) / sqrt(var + eps): the square root makes x_hat's variance 1. "
    "Dividing by var + eps itself gives each feature a variance of about 1 / var.",
)
def _fwd_no_sqrt(X, gamma, beta, eps):
    mean, var, _ = _fwd_parts(X, eps)
    x_hat = (X - mean) / (var + eps)  # no square root
    return gamma * x_hat + beta, (x_hat, mean, var)


@batchnorm_forward_mistakes.add(
    "var + eps in the cache",
    "the cache's third entry is the batch variance var itself; eps is added only "
    "inside the square root, sqrt(var + eps), not stored with it.",
)
def _fwd_eps_in_cache(X, gamma, beta, eps):
    mean, var, x_hat = _fwd_parts(X, eps)
    return gamma * x_hat + beta, (x_hat, mean, var + eps)  # eps stored with var


@batchnorm_forward_mistakes.add(
    "standard deviation in the cache",
    "the cache's third entry is the variance var, not its square root.",
)
def _fwd_std_in_cache(X, gamma, beta, eps):
    mean, var, x_hat = _fwd_parts(X, eps)
    return gamma * x_hat + beta, (x_hat, mean, np.sqrt(var))  # the std, not var


@batchnorm_forward_mistakes.add(
    "σ = sqrt(var + eps) in the cache",
    "the cache's third entry is the batch variance var, not σ = sqrt(var + eps), the standard "
    "deviation you divided by: the cache is (x_hat, mean, var), each of mean and var of shape "
    "(D,). Keep σ as a local variable and store var itself.",
)
def _fwd_sigma_in_cache(X, gamma, beta, eps):
    mean, var, _ = _fwd_parts(X, eps)
    std = np.sqrt(var + eps)
    x_hat = (X - mean) / std
    return gamma * x_hat + beta, (x_hat, mean, std)  # σ, not var


@batchnorm_forward_mistakes.add(
    "mean and var of shape (1, D) in the cache",
    "your mean and var are right but have shape (1, D): keepdims=True keeps the averaged batch "
    "axis with length 1. The cache's mean and var have one entry per feature, shape (D,), like "
    "gamma and beta; (X - mean) broadcasts without keepdims.",
)
def _fwd_keepdims(X, gamma, beta, eps):
    mean = X.mean(axis=0, keepdims=True)  # (1, D)
    var = X.var(axis=0, keepdims=True)
    x_hat = (X - mean) / np.sqrt(var + eps)
    return gamma * x_hat + beta, (x_hat, mean, var)


_CACHE = ("x_hat", "mean", "var")


def _cache_order_hint(*order: str) -> str:
    """The hint of a cache holding the right arrays in ``order``: what unpacking it by position
    would put in each name."""
    moved = [f"{got} in {name}" for name, got in zip(_CACHE, order) if got != name]
    return (
        f"your cache holds the right three arrays, but in the order ({', '.join(order)}). A "
        "cache is read by position (a backward pass unpacks it as x_hat, mean, var = cache), "
        f"so yours would put {', '.join(moved[:-1])} and {moved[-1]}. Return the cache in the "
        "order the exercise gives: the normalized input (N, D) first, then the batch mean and "
        "the biased variance, both (D,)."
    )


@batchnorm_forward_mistakes.add(
    "cache in the order (mean, var, x_hat)", _cache_order_hint("mean", "var", "x_hat")
)
def _fwd_cache_computation_order(X, gamma, beta, eps):
    mean, var, x_hat = _fwd_parts(X, eps)
    return gamma * x_hat + beta, (mean, var, x_hat)  # the order they were computed in


@batchnorm_forward_mistakes.add(
    "cache in the order (x_hat, var, mean)", _cache_order_hint("x_hat", "var", "mean")
)
def _fwd_cache_mean_var_swapped(X, gamma, beta, eps):
    mean, var, x_hat = _fwd_parts(X, eps)
    return gamma * x_hat + beta, (x_hat, var, mean)  # mean and var swapped


@batchnorm_forward_mistakes.add(
    "cache in the order (mean, x_hat, var)", _cache_order_hint("mean", "x_hat", "var")
)
def _fwd_cache_mean_first(X, gamma, beta, eps):
    mean, var, x_hat = _fwd_parts(X, eps)
    return gamma * x_hat + beta, (mean, x_hat, var)  # x_hat and mean swapped


@batchnorm_forward_mistakes.add(
    "cache in the order (var, mean, x_hat)", _cache_order_hint("var", "mean", "x_hat")
)
def _fwd_cache_reversed(X, gamma, beta, eps):
    mean, var, x_hat = _fwd_parts(X, eps)
    return gamma * x_hat + beta, (var, mean, x_hat)  # reversed


@batchnorm_forward_mistakes.add(
    "cache in the order (var, x_hat, mean)", _cache_order_hint("var", "x_hat", "mean")
)
def _fwd_cache_var_first(X, gamma, beta, eps):
    mean, var, x_hat = _fwd_parts(X, eps)
    return gamma * x_hat + beta, (var, x_hat, mean)  # every entry moved


@batchnorm_forward_mistakes.add(
    "statistics over the whole batch",
    "X.mean() and X.var() with no axis average over every entry of X: one mean and one "
    "variance for the whole batch (scalars), so features with different scales share them. "
    "Batch normalization normalizes each feature on its own, over the examples: axis=0, which "
    "gives mean and var of shape (D,).",
)
def _fwd_no_axis(X, gamma, beta, eps):
    mean, var = X.mean(), X.var()  # no axis: one number each
    x_hat = (X - mean) / np.sqrt(var + eps)
    return gamma * x_hat + beta, (x_hat, mean, var)


def _batch(rng: np.random.Generator, n: int, d: int) -> np.ndarray:
    """Features with different offsets and scales, as pre-activations have."""
    offset = rng.uniform(-3.0, 3.0, d)
    scale = rng.uniform(0.05, 4.0, d)
    return offset + scale * rng.standard_normal((n, d))


def _affine(rng: np.random.Generator, d: int) -> tuple[np.ndarray, np.ndarray]:
    return rng.uniform(0.5, 2.0, d) * rng.choice([-1.0, 1.0], d), rng.uniform(-1.5, 1.5, d)


def _fwd_cases(seed: int, hidden: bool) -> list[Case]:
    rng = np.random.default_rng(seed)
    shapes = [(16, 4, 0.1), (8, 3, 1e-5), (5, 6, 1e-3), (3, 2, 1e-5)]
    if hidden:
        shapes = [(12, 5, 1e-5), (4, 7, 0.05), (32, 3, 1e-4), (2, 4, 1e-5), (9, 9, 0.01)]
    cases = []
    for n, d, eps in shapes:
        gamma, beta = _affine(rng, d)
        cases.append(
            Case(f"X of shape ({n}, {d}), eps = {eps:g}", (_batch(rng, n, d), gamma, beta, eps))
        )
    return cases


@batchnorm_forward_mistakes.add(
    "beta forgotten",
    "the output is γ·x̂ + β: add the learned shift β after scaling by γ.",
)
def _bnf_no_beta(X, gamma, beta, eps):
    mean, var, x_hat = _fwd_parts(X, eps)
    return gamma * x_hat, (x_hat, mean, var)  # + beta missing


register(
    FunctionExercise(
        name="ch11_batchnorm_forward",
        chapter="11",
        title="Batch normalization, forward pass (train mode)",
        signature="batchnorm_forward(X, gamma, beta, eps) -> (out, (x_hat, mean, var))",
        hint=(
            "Statistics are per feature, over the batch: X.mean(axis=0) and the biased variance "
            "((X - mean)**2).mean(axis=0), both of shape (D,). Then x_hat = (X - mean) / "
            "np.sqrt(var + eps) and out = gamma * x_hat + beta."
        ),
        solution=batchnorm_forward,
        suites=seeded(_fwd_cases, visible=11, hidden=110),
        mistakes=batchnorm_forward_mistakes.all,
        references=(
            "dlnotes.layers.normalization:batchnorm_forward",
            "dlnotes.layers.normalization:layernorm_forward",  # on X.T it is batch norm
            "dlnotes.autograd.nn:batch_norm",  # chapter 15's form, from primitives
        ),
        diagnoses={
            "precision": "is a part computed in float32 (np.float32, torch's default dtype, "
            ".float()) and converted back, is a small term added where none belongs (an ε of "
            "your own), or is the variance computed as E[x²] − E[x]², less exact than the "
            "mean of (x − mean)²?",
        },
    )
)


# ============================================================================================
# ch11_batchnorm_backward
# ============================================================================================


def batchnorm_backward(
    dout: np.ndarray, X: np.ndarray, gamma: np.ndarray, eps: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Gradients of train-mode batch normalization ``out = gamma · x_hat + beta``.

    ``dout``, ``X`` have shape ``(N, D)``, ``gamma`` ``(D,)``. With the batch statistics
    recomputed from ``X``, ``σ = sqrt(var + eps)`` and ``dx_hat = dout · gamma``:

        dgamma = Σ_n dout · x_hat        dbeta = Σ_n dout
        dX = (1/N) (1/σ) (N dx_hat − Σ_n dx_hat − x_hat Σ_n (dx_hat · x_hat))

    Returns ``(dX, dgamma, dbeta)`` of shapes ``(N, D)``, ``(D,)``, ``(D,)``.

    Defined in chapter 11 (Batch normalization).
    """
    N = X.shape[0]
    mean = X.mean(axis=0)
    sigma = np.sqrt(((X - mean) ** 2).mean(axis=0) + eps)
    x_hat = (X - mean) / sigma
    dgamma = (dout * x_hat).sum(axis=0)
    dbeta = dout.sum(axis=0)
    dx_hat = dout * gamma
    dX = (N * dx_hat - dx_hat.sum(axis=0) - x_hat * (dx_hat * x_hat).sum(axis=0)) / (N * sigma)
    return dX, dgamma, dbeta


def _bwd_parts(dout, X, gamma, eps, ddof=0):
    mean = X.mean(axis=0)
    sigma = np.sqrt(X.var(axis=0, ddof=ddof) + eps)
    x_hat = (X - mean) / sigma
    return X.shape[0], sigma, x_hat, dout * gamma


def _bwd_dx(N, sigma, x_hat, dx_hat):
    """The reference dX from its pieces; a mistake passes the piece it gets wrong."""
    return (N * dx_hat - dx_hat.sum(axis=0) - x_hat * (dx_hat * x_hat).sum(axis=0)) / (N * sigma)


#: The common mistakes of ``ch11_batchnorm_backward``, each declared on its wrong code.
batchnorm_backward_mistakes = Mistakes()


@batchnorm_backward_mistakes.add(
    "dropped the mean and variance terms",
    "you treated the mean and variance as constants (dX = dx_hat / σ). They depend on "
    "every x_n of the batch, which adds the two sums: "
    "dX = (N dx_hat − Σ dx_hat − x_hat Σ dx_hat·x_hat) / (N σ).",
)
def _bwd_no_mean_terms(dout, X, gamma, eps):
    _, sigma, x_hat, dx_hat = _bwd_parts(dout, X, gamma, eps)
    return dx_hat / sigma, (dout * x_hat).sum(axis=0), dout.sum(axis=0)


@batchnorm_backward_mistakes.add(
    "dropped the variance term",
    "the term − x_hat · Σ_n (dx_hat · x_hat) is missing: it comes from the path "
    "through the batch variance.",
)
def _bwd_no_variance_term(dout, X, gamma, eps):
    N, sigma, x_hat, dx_hat = _bwd_parts(dout, X, gamma, eps)
    dX = (N * dx_hat - dx_hat.sum(axis=0)) / (N * sigma)
    return dX, (dout * x_hat).sum(axis=0), dout.sum(axis=0)


@batchnorm_backward_mistakes.add(
    "plus sign on the variance term",
    "the variance term is subtracted: dX = (N·dx̂ − Σ dx̂ − x̂·Σ(dx̂·x̂)) / (N·σ). It removes "
    "the part of dx̂ along x̂, which would only stretch the batch (normalization undoes "
    "that); with + that part is doubled instead.",
)
def _bwd_plus_variance_term(dout, X, gamma, eps):
    N, sigma, x_hat, dx_hat = _bwd_parts(dout, X, gamma, eps)
    dX = (N * dx_hat - dx_hat.sum(axis=0) + x_hat * (dx_hat * x_hat).sum(axis=0)) / (N * sigma)
    return dX, (dout * x_hat).sum(axis=0), dout.sum(axis=0)


@batchnorm_backward_mistakes.add(
    "dgamma/dbeta summed over the wrong axis",
    "your dgamma and dbeta sum over axis=1, each example's features, which leaves one number "
    "per example: shape (N,). gamma and beta have one entry per feature, shared by every "
    "example, so each of their gradients adds up the N examples' contributions: a sum over the "
    "batch axis, axis=0, of shape (D,) like the parameter itself.",
)
def _bwd_wrong_axis_params(dout, X, gamma, eps):
    N, sigma, x_hat, dx_hat = _bwd_parts(dout, X, gamma, eps)
    dX = _bwd_dx(N, sigma, x_hat, dx_hat)
    return dX, (dout * x_hat).sum(axis=1), dout.sum(axis=1)  # axis=1: per example


@batchnorm_backward_mistakes.add(
    "dgamma summed over the wrong axis",
    "your dgamma sums dout · x_hat over axis=1, each example's features, which leaves one "
    "number per example: shape (N,). gamma has one entry per feature, shared by every example, "
    "so dgamma adds up the N examples' contributions: a sum over the batch axis, axis=0, of "
    "shape (D,) like gamma (your dbeta does this already).",
)
def _bwd_wrong_axis_dgamma(dout, X, gamma, eps):
    N, sigma, x_hat, dx_hat = _bwd_parts(dout, X, gamma, eps)
    dX = _bwd_dx(N, sigma, x_hat, dx_hat)
    return dX, (dout * x_hat).sum(axis=1), dout.sum(axis=0)  # dgamma per example


@batchnorm_backward_mistakes.add(
    "dbeta summed over the wrong axis",
    "your dbeta sums dout over axis=1, each example's features, which leaves one number per "
    "example: shape (N,). beta has one entry per feature, added to every example, so dbeta "
    "adds up the N examples' dout: a sum over the batch axis, axis=0, of shape (D,) like beta "
    "(your dgamma does this already).",
)
def _bwd_wrong_axis_dbeta(dout, X, gamma, eps):
    N, sigma, x_hat, dx_hat = _bwd_parts(dout, X, gamma, eps)
    dX = _bwd_dx(N, sigma, x_hat, dx_hat)
    return dX, (dout * x_hat).sum(axis=0), dout.sum(axis=1)  # dbeta per example


@batchnorm_backward_mistakes.add(
    "dgamma and dbeta not summed over the batch",
    "your dgamma and dbeta have shape (N, D): one contribution per example (dout · x_hat and "
    "dout), not yet added up. gamma and beta are shared by all N examples of the batch, so "
    "each of their gradients is the sum of those contributions over the batch axis, axis=0, "
    "which leaves shape (D,), one entry per feature like the parameters.",
)
def _bwd_params_not_summed(dout, X, gamma, eps):
    N, sigma, x_hat, dx_hat = _bwd_parts(dout, X, gamma, eps)
    dX = _bwd_dx(N, sigma, x_hat, dx_hat)
    return dX, dout * x_hat, dout.copy()  # per example: the sums over the batch missing


@batchnorm_backward_mistakes.add(
    "dgamma not summed over the batch",
    "your dgamma has shape (N, D): dout · x_hat, one contribution per example, not yet added "
    "up. gamma is shared by all N examples of the batch, so dgamma is the sum of those "
    "contributions over the batch axis, axis=0, which leaves shape (D,) like gamma (your dbeta "
    "is summed already).",
)
def _bwd_dgamma_not_summed(dout, X, gamma, eps):
    N, sigma, x_hat, dx_hat = _bwd_parts(dout, X, gamma, eps)
    dX = _bwd_dx(N, sigma, x_hat, dx_hat)
    return dX, dout * x_hat, dout.sum(axis=0)  # dgamma per example: no sum


@batchnorm_backward_mistakes.add(
    "dbeta not summed over the batch",
    "your dbeta has shape (N, D): it is dout itself, one contribution per example. beta is "
    "added to all N examples of the batch, so dbeta is the sum of dout over the batch axis, "
    "axis=0, which leaves shape (D,) like beta (your dgamma is summed already).",
)
def _bwd_dbeta_not_summed(dout, X, gamma, eps):
    N, sigma, x_hat, dx_hat = _bwd_parts(dout, X, gamma, eps)
    dX = _bwd_dx(N, sigma, x_hat, dx_hat)
    return dX, (dout * x_hat).sum(axis=0), dout.copy()  # dbeta per example: no sum


@batchnorm_backward_mistakes.add(
    "dgamma and dbeta summed over every entry",
    "your dgamma and dbeta are single numbers: .sum() with no axis adds up all N · D entries, "
    "every feature's together. gamma and beta have one entry per feature, so each feature's "
    "gradient sums only over the examples: the batch axis, axis=0, shape (D,).",
)
def _bwd_params_sum_all(dout, X, gamma, eps):
    N, sigma, x_hat, dx_hat = _bwd_parts(dout, X, gamma, eps)
    dX = _bwd_dx(N, sigma, x_hat, dx_hat)
    return dX, (dout * x_hat).sum(), dout.sum()  # no axis: one number each


@batchnorm_backward_mistakes.add(
    "dgamma and dbeta of shape (1, D)",
    "your dgamma and dbeta hold the right sums but have shape (1, D): keepdims=True keeps the "
    "summed batch axis with length 1. A parameter's gradient has the parameter's shape, (D,): "
    "sum over axis=0 without keepdims.",
)
def _bwd_params_keepdims(dout, X, gamma, eps):
    N, sigma, x_hat, dx_hat = _bwd_parts(dout, X, gamma, eps)
    dX = _bwd_dx(N, sigma, x_hat, dx_hat)
    return dX, (dout * x_hat).sum(axis=0, keepdims=True), dout.sum(axis=0, keepdims=True)


@batchnorm_backward_mistakes.add(
    "a sum or mean over axis=1, which cannot broadcast",
    "a sum or mean of an (N, D) array over axis=1 gives one number per example, shape (N,), "
    "and numpy cannot combine it with an (N, D) array: shapes are matched from the right, D "
    "against N. Every sum and mean of batch norm, forward and backward, runs over the batch, "
    "axis=0, one per feature: the line below uses such an (N,) array; give the sum or mean "
    "that made it axis=0.",
)
def _bwd_dx_sums_axis1_raises(dout, X, gamma, eps):
    N, sigma, x_hat, dx_hat = _bwd_parts(dout, X, gamma, eps)
    dX = (N * dx_hat - dx_hat.sum(axis=1) - x_hat * (dx_hat * x_hat).sum(axis=1)) / (N * sigma)
    return dX, (dout * x_hat).sum(axis=0), dout.sum(axis=0)


@batchnorm_backward_mistakes.add(
    "the sums in dX over the wrong axis",
    "the two sums in dX, Σ dx_hat and Σ dx_hat · x_hat, run over the batch, axis=0, one per "
    "feature: they come from the batch mean and variance, each a statistic of one feature over "
    "the N examples. Yours sum over axis=1 (with keepdims), each example's features.",
)
def _bwd_dx_sums_axis1(dout, X, gamma, eps):
    N, sigma, x_hat, dx_hat = _bwd_parts(dout, X, gamma, eps)
    sum_dx_hat = dx_hat.sum(axis=1, keepdims=True)  # per example, not per feature
    sum_dx_hat_x_hat = (dx_hat * x_hat).sum(axis=1, keepdims=True)
    dX = (N * dx_hat - sum_dx_hat - x_hat * sum_dx_hat_x_hat) / (N * sigma)
    return dX, (dout * x_hat).sum(axis=0), dout.sum(axis=0)


@batchnorm_backward_mistakes.add(
    "statistics recomputed over the wrong axis",
    "you recomputed the mean and variance of each example over its features (axis=1, with "
    "keepdims): those are layer normalization's statistics, so x_hat, dX and dgamma come out "
    "wrong. Recompute them as the forward pass does, each feature over the batch: axis=0, "
    "shape (D,).",
)
def _bwd_stats_axis1(dout, X, gamma, eps):
    N = X.shape[0]
    mean = X.mean(axis=1, keepdims=True)  # per example: layer norm's statistics
    sigma = np.sqrt(X.var(axis=1, keepdims=True) + eps)
    x_hat = (X - mean) / sigma
    dX = _bwd_dx(N, sigma, x_hat, dout * gamma)
    return dX, (dout * x_hat).sum(axis=0), dout.sum(axis=0)


@batchnorm_backward_mistakes.add(
    "dgamma uses X instead of x_hat",
    "out = gamma · x_hat + beta, so dgamma = Σ_n dout · x_hat (the normalized "
    "input), not Σ_n dout · X.",
)
def _bwd_dgamma_uses_x(dout, X, gamma, eps):
    N, sigma, x_hat, dx_hat = _bwd_parts(dout, X, gamma, eps)
    dX = _bwd_dx(N, sigma, x_hat, dx_hat)
    return dX, (dout * X).sum(axis=0), dout.sum(axis=0)  # X where x_hat belongs


@batchnorm_backward_mistakes.add(
    "forgot gamma in dX",
    "the gradient reaching x_hat is dx_hat = dout * gamma: the scale multiplies "
    "everything that flows back to X.",
)
def _bwd_forgot_gamma(dout, X, gamma, eps):
    N, sigma, x_hat, _ = _bwd_parts(dout, X, gamma, eps)
    dX = _bwd_dx(N, sigma, x_hat, dout)  # dout where dx_hat = dout * gamma belongs
    return dX, (dout * x_hat).sum(axis=0), dout.sum(axis=0)


def _bwd_cases(seed: int, hidden: bool) -> list[Case]:
    rng = np.random.default_rng(seed)
    shapes = [(6, 3, 1e-5), (10, 4, 1e-3), (4, 7, 0.05)]
    if hidden:
        shapes = [(8, 5, 1e-5), (3, 3, 1e-2), (20, 2, 1e-4), (5, 9, 1e-5)]
    cases = []
    for n, d, eps in shapes:
        gamma, _ = _affine(rng, d)
        X = _batch(rng, n, d)
        dout = rng.standard_normal((n, d)) + rng.uniform(-1.0, 1.0, d)
        cases.append(Case(f"X and dout of shape ({n}, {d}), eps = {eps:g}", (dout, X, gamma, eps)))
    return cases


@batchnorm_backward_mistakes.add(
    "unbiased variance (ddof=1)",
    "batch normalization divides by the *biased* batch variance, the mean of the squared "
    "deviations (ddof=0, numpy's default): recompute σ the way the forward pass did.",
)
def _bnb_ddof1(dout, X, gamma, eps):
    N, sigma, x_hat, dx_hat = _bwd_parts(dout, X, gamma, eps, ddof=1)  # σ from N - 1
    dX = _bwd_dx(N, sigma, x_hat, dx_hat)
    return dX, (dout * x_hat).sum(axis=0), dout.sum(axis=0)


@batchnorm_backward_mistakes.add(
    "dropped only the Σ dx̂ term",
    "dX = (N·dx̂ − Σ dx̂ − x̂·Σ(dx̂·x̂)) / (N·σ) has three terms: the middle one removes the "
    "part of the gradient that would shift the batch mean.",
)
def _bnb_no_sum_term(dout, X, gamma, eps):
    N, sigma, x_hat, dx_hat = _bwd_parts(dout, X, gamma, eps)
    dX = (N * dx_hat - x_hat * (dx_hat * x_hat).sum(axis=0)) / (N * sigma)
    return dX, (dout * x_hat).sum(axis=0), dout.sum(axis=0)


@batchnorm_backward_mistakes.add(
    "σ left out of dX",
    "x̂ = (x − μ)/σ, so every path back to x carries a factor 1/σ: "
    "dX = (N·dx̂ − Σ dx̂ − x̂·Σ(dx̂·x̂)) / (N·σ).",
)
def _bnb_no_sigma(dout, X, gamma, eps):
    N, _, x_hat, dx_hat = _bwd_parts(dout, X, gamma, eps)
    dX = (N * dx_hat - dx_hat.sum(axis=0) - x_hat * (dx_hat * x_hat).sum(axis=0)) / N
    return dX, (dout * x_hat).sum(axis=0), dout.sum(axis=0)


@batchnorm_backward_mistakes.add(
    "N taken from the feature axis",
    "N is the batch size, X.shape[0] (the axis the statistics average over); X.shape[1] is the "
    "number of features D.",
)
def _bnb_n_features(dout, X, gamma, eps):
    _, sigma, x_hat, dx_hat = _bwd_parts(dout, X, gamma, eps)
    N = X.shape[1]  # D, the number of features
    dX = _bwd_dx(N, sigma, x_hat, dx_hat)
    return dX, (dout * x_hat).sum(axis=0), dout.sum(axis=0)


register(
    FunctionExercise(
        name="ch11_batchnorm_backward",
        chapter="11",
        title="Batch normalization, backward pass",
        signature="batchnorm_backward(dout, X, gamma, eps) -> (dX, dgamma, dbeta)",
        hint=(
            "Recompute mean, σ = sqrt(var + eps) and x_hat from X. dbeta = dout.sum(axis=0), "
            "dgamma = (dout * x_hat).sum(axis=0); with dx_hat = dout * gamma, "
            "dX = (N*dx_hat - dx_hat.sum(0) - x_hat * (dx_hat*x_hat).sum(0)) / (N*σ)."
        ),
        solution=batchnorm_backward,
        suites=seeded(_bwd_cases, visible=12, hidden=120),
        mistakes=batchnorm_backward_mistakes.all,
        references=(
            "dlnotes.layers.normalization:batchnorm_backward",
            "dlnotes.layers.normalization:_normalized_backward",
            "dlnotes.autograd.nn:batch_norm",
            "dlnotes.autograd.tensor:Tensor.backward",  # autograd would write the rule
        ),
        rtol=1e-6,
        atol=1e-9,
    )
)


# ============================================================================================
# ch11_update_running_stats
# ============================================================================================


def update_running_stats(
    running_mean: np.ndarray,
    running_var: np.ndarray,
    batch_mean: np.ndarray,
    batch_var: np.ndarray,
    n: int,
    momentum: float,
) -> tuple[np.ndarray, np.ndarray]:
    """One update of batch normalization's running statistics, torch's convention.

    ``batch_var`` is the biased variance of a batch of ``n`` examples (what normalization used);
    the running variance tracks the unbiased one. All arrays have shape ``(D,)``:

        running_mean ← (1 − momentum) · running_mean + momentum · batch_mean
        running_var  ← (1 − momentum) · running_var  + momentum · batch_var · n / (n − 1)

    Returns new arrays ``(running_mean, running_var)``; the inputs are not modified.

    Defined in chapter 11 (Batch normalization).
    """
    new_mean = (1 - momentum) * running_mean + momentum * batch_mean
    new_var = (1 - momentum) * running_var + momentum * batch_var * n / (n - 1)
    return new_mean, new_var


#: The common mistakes of ``ch11_update_running_stats``, each declared on its wrong code.
update_running_stats_mistakes = Mistakes()


@update_running_stats_mistakes.add(
    "momentum reversed",
    "in torch's convention momentum is the weight of the *new* batch statistic: "
    "(1 - momentum) * old + momentum * batch (Keras writes the complement, 0.99 * old "
    "+ 0.01 * batch).",
)
def _run_reversed(running_mean, running_var, batch_mean, batch_var, n, momentum):
    new_mean = momentum * running_mean + (1 - momentum) * batch_mean
    new_var = momentum * running_var + (1 - momentum) * batch_var * n / (n - 1)
    return new_mean, new_var


@update_running_stats_mistakes.add(
    "biased variance",
    "the running variance estimates the population variance, so it gets the "
    "unbiased batch variance batch_var * n / (n - 1). (With integer division, n // (n - 1) "
    "is 1 for every n > 2: divide with /.)",
)
def _run_biased(running_mean, running_var, batch_mean, batch_var, n, momentum):
    new_mean = (1 - momentum) * running_mean + momentum * batch_mean
    new_var = (1 - momentum) * running_var + momentum * batch_var
    return new_mean, new_var


@update_running_stats_mistakes.add(
    "modified the inputs in place",
    "`running_mean *= ...` changed the caller's arrays; return new arrays.",
)
def _run_in_place(running_mean, running_var, batch_mean, batch_var, n, momentum):
    running_mean *= 1 - momentum
    running_mean += momentum * batch_mean
    running_var *= 1 - momentum
    running_var += momentum * batch_var * n / (n - 1)
    return running_mean, running_var


@update_running_stats_mistakes.add(
    "n/(n-1) on the mean too",
    "only the variance needs Bessel's correction; the sample mean is already unbiased.",
)
def _run_unbiased_everything(running_mean, running_var, batch_mean, batch_var, n, momentum):
    new_mean = (1 - momentum) * running_mean + momentum * batch_mean * n / (n - 1)
    new_var = (1 - momentum) * running_var + momentum * batch_var * n / (n - 1)
    return new_mean, new_var


@update_running_stats_mistakes.add(
    "Bessel's factor upside down",
    "batch_var divides by n, so it is a little too *small* for the population variance: "
    "the unbiased version is larger, batch_var · n / (n − 1). Yours multiplies by "
    "(n − 1) / n and shrinks it further.",
)
def _run_bessel_inverted(running_mean, running_var, batch_mean, batch_var, n, momentum):
    new_mean = (1 - momentum) * running_mean + momentum * batch_mean
    new_var = (1 - momentum) * running_var + momentum * batch_var * (n - 1) / n
    return new_mean, new_var


@update_running_stats_mistakes.add(
    "forgot the (1 − momentum) factor",
    "old + momentum · batch gives the old estimate the full weight 1, so the running "
    "statistics grow with every batch instead of settling: the two weights of an "
    "average add up to 1, (1 − momentum) for the old estimate and momentum for the batch.",
)
def _run_no_one_minus(running_mean, running_var, batch_mean, batch_var, n, momentum):
    new_mean = running_mean + momentum * batch_mean
    new_var = running_var + momentum * batch_var * n / (n - 1)
    return new_mean, new_var


@update_running_stats_mistakes.add(
    "the running variance returned as it was",
    "your running_mean moves towards the batch, but the running_var you return is the "
    "one you were given, unchanged (the very same array): both statistics are updated "
    "on every batch, each with its own batch statistic.",
)
def _run_var_not_updated(running_mean, running_var, batch_mean, batch_var, n, momentum):
    new_mean = (1 - momentum) * running_mean + momentum * batch_mean
    return new_mean, running_var  # the variance's update never written (or never returned)


def _running_cases(seed: int, hidden: bool) -> list[Case]:
    rng = np.random.default_rng(seed)
    settings = [(3, 8, 0.1), (5, 4, 0.2), (2, 32, 0.05)]
    if hidden:
        settings = [(4, 16, 0.1), (6, 3, 0.3), (3, 64, 0.01), (2, 5, 0.5)]
    cases = []
    for d, n, momentum in settings:
        args = (
            rng.uniform(-1.0, 1.0, d),
            rng.uniform(0.5, 2.0, d),
            rng.uniform(-3.0, 3.0, d),
            rng.uniform(0.1, 5.0, d),
            n,
            momentum,
        )
        cases.append(Case(f"D = {d} features, batch of n = {n}, momentum = {momentum:g}", args))
    return cases


@update_running_stats_mistakes.add(
    "an equal-weight average",
    "(old + batch) / 2 gives the new batch weight ½ whatever momentum is; in torch's "
    "convention the new batch gets weight momentum: (1 − momentum)·old + momentum·batch.",
)
def _urs_half(running_mean, running_var, batch_mean, batch_var, n, momentum):
    return (running_mean + batch_mean) / 2, (running_var + batch_var * n / (n - 1)) / 2


register(
    FunctionExercise(
        name="ch11_update_running_stats",
        chapter="11",
        title="Running statistics for test time",
        signature=(
            "update_running_stats(running_mean, running_var, batch_mean, batch_var, n, momentum) "
            "-> (running_mean, running_var)"
        ),
        hint=(
            "torch's convention: new = (1 - momentum) * old + momentum * batch. The running "
            "variance gets the unbiased batch variance, batch_var * n / (n - 1). Return new "
            "arrays."
        ),
        solution=update_running_stats,
        suites=seeded(_running_cases, visible=13, hidden=130),
        mistakes=update_running_stats_mistakes.all,
        references=(
            "dlnotes.layers.normalization:update_running_stats_in_place",
            "dlnotes.layers.normalization:_update_running_stats",
            "dlnotes.autograd.nn:batch_norm",  # updates them too, in train mode
        ),
    )
)
