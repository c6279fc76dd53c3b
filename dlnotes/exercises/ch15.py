"""Exercises of chapter 15 (From numpy to a framework).

* ``ch15_logsumexp_backward``: ``logsumexp_backward(x, g)``, the backward rule of a
  ``logsumexp`` node over the class axis, with the upstream gradient broadcast back;
* ``ch15_torch_port``: ``torch_train(params, batches, lr, momentum)``, a dlnotes training loop
  ported to PyTorch, graded by equality of the trained weights with the dlnotes run.

Each exercise is laid out the same way: the reference solution (the function a learner
writes), the common wrong versions (``_name_of_the_mistake``), the visible and hidden cases
(seeded, non-trivial inputs), then one :func:`register` call. The reference of the PyTorch
exercise is the dlnotes run itself (numpy), so this module never imports torch.

Defined in chapter 15 (From numpy to a framework).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from dlnotes.exercises.core import Case, FunctionExercise, Mistakes, register, seeded

# ============================================================================================
# ch15_logsumexp_backward
# ============================================================================================


def logsumexp_backward(x: np.ndarray, g: np.ndarray) -> np.ndarray:
    """Backward rule of ``l[n] = log sum_c exp(x[n, c])`` (a logsumexp over axis 1).

    ``x`` has shape ``(N, C)``, ``g = dL/dl`` shape ``(N,)``; returns ``dL/dx`` of shape
    ``(N, C)``::

        dL/dx[n, c] = g[n] * exp(x[n, c]) / sum_k exp(x[n, k]) = g[n] * softmax(x[n])[c]

    computed with each row's maximum subtracted (no overflow for large ``x``).

    Defined in chapter 15 (From numpy to a framework).
    """
    shifted = np.exp(x - x.max(axis=1, keepdims=True))
    softmax = shifted / shifted.sum(axis=1, keepdims=True)
    return g[:, None] * softmax


#: The common mistakes of ``ch15_logsumexp_backward``, each declared on its wrong code.
logsumexp_backward_mistakes = Mistakes()


@logsumexp_backward_mistakes.add(
    "a vector of one value per example against the classes",
    "a row's max or sum taken without keepdims=True, or g itself, has shape (N,), and numpy "
    "matches shapes from the right: (N,) lines up with the C classes of the (N, C) array, "
    "so it fails (or, when N = C, silently pairs example n with class n). Keep one value per "
    "example as a column: keepdims=True on the max and the sum, g[:, None] for g. The line "
    "below is the one that failed.",
)
def _lse_no_keepdims(x, g):
    e = np.exp(x - x.max(axis=1))
    return g[:, None] * e / e.sum(axis=1)


@logsumexp_backward_mistakes.add(
    "g in front, against the classes",
    "g has one value per example, shape (N,), and numpy matches it against the last axis "
    "of the (N, C) softmax, the classes: it fails (or, when N = C, scales class n by g[n]). "
    "Make it a column first: g[:, None] * softmax.",
)
def _lse_g_as_row(x, g):
    e = np.exp(x - x.max(axis=1, keepdims=True))
    return g * (e / e.sum(axis=1, keepdims=True))


@logsumexp_backward_mistakes.add(
    "softmax over the wrong axis",
    "each row of your gradient does not sum to g[n]: the logsumexp runs over the "
    "classes of one example, so the max and the sum take axis=1 (keepdims=True).",
)
def _lse_wrong_axis(x, g):
    e = np.exp(x - x.max(axis=0, keepdims=True))
    return g[:, None] * e / e.sum(axis=0, keepdims=True)


@logsumexp_backward_mistakes.add(
    "upstream gradient ignored",
    "you returned dl/dx, not dL/dx: the chain rule multiplies the local derivative "
    "(the softmax) by the gradient arriving from above, g.",
)
def _lse_no_upstream(x, g):
    e = np.exp(x - x.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


@logsumexp_backward_mistakes.add(
    "g summed into one number",
    "g.sum() adds the upstream gradients of all the examples into one number and scales "
    "every row by it; row n of dL/dx gets only its own g[n]. Keep g's N values and make them "
    "a column: g[:, None] * softmax.",
)
def _lse_g_summed(x, g):
    e = np.exp(x - x.max(axis=1, keepdims=True))
    return g.sum() * e / e.sum(axis=1, keepdims=True)


@logsumexp_backward_mistakes.add(
    "summed over the classes",
    "your gradient has one entry per example, shape (N,): the sum over the classes of "
    "g[n] · softmax(x[n]) is g[n] again. dL/dx has the shape of x, (N, C), one entry per "
    "logit: do not reduce over axis 1.",
)
def _lse_summed(x, g):
    e = np.exp(x - x.max(axis=1, keepdims=True))
    return (g[:, None] * e / e.sum(axis=1, keepdims=True)).sum(axis=1)


@logsumexp_backward_mistakes.add(
    "log-softmax instead of softmax",
    "the derivative of log Σ exp(x) is softmax(x) = exp(x - logsumexp(x)), not its "
    "logarithm x - logsumexp(x): take the exp.",
)
def _lse_log_softmax(x, g):
    m = x.max(axis=1, keepdims=True)
    lse = m + np.log(np.exp(x - m).sum(axis=1, keepdims=True))
    return g[:, None] * (x - lse)


@logsumexp_backward_mistakes.add(
    "overflow in exp",
    "exp(800) is inf in float64, and inf/inf is nan. Subtract each row's maximum "
    "first: softmax(x) = softmax(x - max) exactly.",
)
def _lse_overflow(x, g):
    e = np.exp(x)
    with np.errstate(over="ignore", invalid="ignore"):
        return g[:, None] * e / e.sum(axis=1, keepdims=True)


@logsumexp_backward_mistakes.add(
    "softmax times (1 − softmax)",
    "s(1 − s) is the diagonal of the softmax's own Jacobian (or the sigmoid's "
    "derivative); here the node is log Σ exp(x), whose gradient is the softmax itself: "
    "d/dx_c log Σ_k exp(x_k) = exp(x_c) / Σ_k exp(x_k).",
)
def _lse_sigmoid_like(x, g):
    e = np.exp(x - x.max(axis=1, keepdims=True))
    s = e / e.sum(axis=1, keepdims=True)
    return g[:, None] * s * (1 - s)


@logsumexp_backward_mistakes.add(
    "exp not divided by the sum",
    "the derivative of log(S) is (1/S)·dS/dx: you kept dS/dx = exp(x) but dropped the "
    "1/S from the log, so your rows do not sum to g[n]. Divide by each row's "
    "Σ_k exp(x[n, k]) (with the same max subtracted).",
)
def _lse_unnormalized(x, g):
    return g[:, None] * np.exp(x - x.max(axis=1, keepdims=True))


@logsumexp_backward_mistakes.add(
    "one max for the whole array",
    "x − x.max() subtracts the largest logit of the whole batch: a row far below it "
    "(a row near −5 when another is near 1000) underflows to exp(−1000) = 0 and gives "
    "0/0 = nan. Subtract each row's own max: x.max(axis=1, keepdims=True).",
)
def _lse_global_max(x, g):
    e = np.exp(x - x.max())
    with np.errstate(invalid="ignore"):
        return g[:, None] * e / e.sum(axis=1, keepdims=True)


@logsumexp_backward_mistakes.add(
    "divided by the batch size",
    "your gradient is 1/N times the expected one, N = x.shape[0] (the number of rows): "
    "the 1/N of a loss averaged over the batch belongs to the mean node further up, and it "
    "reaches this node already inside g. The logsumexp of row n has no 1/N: dL/dx[n] is "
    "g[n] · softmax(x[n]), with no division by N.",
)
def _lse_mean_over_batch(x, g):
    e = np.exp(x - x.max(axis=1, keepdims=True))
    return g[:, None] * e / e.sum(axis=1, keepdims=True) / x.shape[0]


#: What a float32 answer is told.
_LSE_FLOAT32_HINT = (
    "your result is float32 (an .astype(np.float32), or np.float32 arrays), which keeps only "
    "about 7 digits, while the checks compare with a float64 result. Compute in float64: "
    "the inputs are float64 already, so leave them as they are."
)


@logsumexp_backward_mistakes.add("computed in float32", _LSE_FLOAT32_HINT)
def _lse_float32(x, g):
    # the rule exp(x − lse), with x and g cast to float32 first
    x32, g32 = x.astype(np.float32), g.astype(np.float32)
    m = x32.max(axis=1, keepdims=True)
    lse = m + np.log(np.exp(x32 - m).sum(axis=1, keepdims=True))
    return g32[:, None] * np.exp(x32 - lse)


@logsumexp_backward_mistakes.add("softmax computed in float32", _LSE_FLOAT32_HINT)
def _lse_softmax_float32(x, g):
    # g[:, None] * softmax(x), with x and g cast to float32 first
    x32, g32 = x.astype(np.float32), g.astype(np.float32)
    e = np.exp(x32 - x32.max(axis=1, keepdims=True))
    return g32[:, None] * e / e.sum(axis=1, keepdims=True)


def _lse_cases(seed: int, hidden: bool) -> list[Case]:
    rng = np.random.default_rng(seed)
    sizes = [(4, 4), (5, 3), (2, 6)] if not hidden else [(3, 3), (7, 4), (1, 5), (6, 6)]
    plain: list[Case] = []
    square: list[Case] = []
    for N, C in sizes:
        x = rng.normal(0.0, 2.0, (N, C))
        g = rng.uniform(0.5, 2.0, N) * rng.choice([-1.0, 1.0], N)
        (square if N == C else plain).append(
            Case(f"x of shape ({N}, {C}), g of shape ({N},)", (x, g))
        )
    # N = C after N != C: a vector of one value per example, shape (N,), against the classes
    # raises when N != C but gives wrong values silently when N = C, and check() stops at the
    # first check that raises: drawn first, the square case's wrong values went unreported
    cases = plain + square
    big = rng.normal(0.0, 1.0, (3, 4)) + np.array([[800.0], [-5.0], [1000.0]])
    cases.append(Case("large logits (rows near 800 and 1000)", (big, rng.uniform(0.5, 1.5, 3))))
    # a confident prediction: one large logit among small ones, so that only the row's max
    # (not its min, mean or first entry) keeps exp from overflowing
    wide = rng.normal(0.0, 1.0, (2, 5))
    wide[0, rng.integers(5)] = 1000.0
    wide[1, rng.integers(5)] = 700.0 + rng.uniform(0, 50)
    cases.append(
        Case("confident rows: one logit near 1000 or 700", (wide, rng.uniform(0.5, 1.5, 2)))
    )
    return cases


@logsumexp_backward_mistakes.add(
    "shifted by the row's min, not its max",
    "subtracting a row's min (or its mean, or its first entry) keeps the result exact in "
    "theory, but a confident row, one logit near 1000 among small ones, still overflows: "
    "exp(1000 − min) is inf and inf/inf is nan. Subtract the row's max, so every exponent "
    "is at most 0.",
)
def _lse_min_shift(x, g):
    with np.errstate(over="ignore", invalid="ignore"):
        e = np.exp(x - x.min(axis=1, keepdims=True))
        return g[:, None] * e / e.sum(axis=1, keepdims=True)


register(
    FunctionExercise(
        name="ch15_logsumexp_backward",
        chapter="15",
        title="The backward rule of a logsumexp node",
        signature="logsumexp_backward(x, g) -> array of shape (N, C)",
        hint=(
            "d/dx[n,c] of log Σ_k exp(x[n,k]) is the softmax of row n. Multiply by the upstream "
            "g[n], broadcast along the class axis: g[:, None] * softmax. Subtract each row's "
            "max before exp so large logits do not overflow."
        ),
        solution=logsumexp_backward,
        suites=seeded(_lse_cases, visible=15, hidden=150),
        mistakes=logsumexp_backward_mistakes.all,
        # an ε of one's own in the denominator changes each entry by ε / Σ_k exp(x[n, k] − max)
        # relative, and that sum is at least 1 after the max shift: no case can make it larger,
        # so only an ε of about rtol (1e-7) or more fails, and the wording says so
        diagnoses={
            "precision": "is a part computed in float32 (np.float32, .astype(np.float32)) and "
            "converted back, or is a small term added where none belongs? An ε of your own in "
            "the denominator (e.sum(...) + eps) guards against nothing here: after the max shift "
            "each row's Σ exp is at least 1. Take it out: it changes each entry by up to ε "
            "relative, so one of about 1e-7 or more fails this check (a smaller one is within "
            "its tolerance, but no part of the rule either)."
        },
        # the rule dlnotes.autograd's logsumexp node records: backpropagating through it is
        # calling dlnotes' own solution (torch's autograd is refused as a framework: the
        # exercise is not frameworks_allowed)
        references=(
            "dlnotes.autograd.reductions:logsumexp",
            "dlnotes.autograd.losses:softmax_cross_entropy",
            "dlnotes.autograd.tensor:Tensor.backward",  # autograd would write the rule
            "dlnotes.losses:softmax",  # the rule's answer: dL/dx = g · softmax(x)
            "dlnotes.losses:log_softmax",
            "dlnotes.losses:softmax_cross_entropy",  # its gradient is (softmax - onehot) / N
        ),
    )
)


# ============================================================================================
# ch15_torch_port
# ============================================================================================


# The reference and every mistake are built from the same four parts, so each mistake below
# shows only the part it gets wrong: the forward pass, the gradient of the mean cross-entropy
# with respect to the logits, the backward pass and torch's momentum update.


def _forward(
    params: list[np.ndarray], X: np.ndarray, relu: bool = True
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``Z1 = X W1 + b1``, ``H = relu(Z1)`` and the logits ``Z = H W2 + b2``."""
    W1, b1, W2, b2 = params
    Z1 = X @ W1 + b1
    H = np.maximum(Z1, 0) if relu else Z1
    return Z1, H, H @ W2 + b2


def _softmax(Z: np.ndarray) -> np.ndarray:
    e = np.exp(Z - Z.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def _cross_entropy_dZ(Z: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Gradient of the mean cross-entropy with respect to the logits: ``(softmax(Z) − Y) / N``."""
    dZ = _softmax(Z)
    dZ[np.arange(len(y)), y] -= 1
    return dZ / len(y)


def _backward(
    params: list[np.ndarray],
    X: np.ndarray,
    Z1: np.ndarray,
    H: np.ndarray,
    dZ: np.ndarray,
    relu: bool = True,
) -> list[np.ndarray]:
    """``[dW1, db1, dW2, db2]`` from the logits' gradient ``dZ``."""
    W2 = params[2]
    dZ1 = dZ @ W2.T
    if relu:
        dZ1 = dZ1 * (Z1 > 0)
    return [X.T @ dZ1, dZ1.sum(axis=0), H.T @ dZ, dZ.sum(axis=0)]


def _batch_grads(params: list[np.ndarray], X: np.ndarray, y: np.ndarray) -> list[np.ndarray]:
    """The right gradients of one batch's mean cross-entropy, ``[dW1, db1, dW2, db2]``."""
    Z1, H, Z = _forward(params, X)
    return _backward(params, X, Z1, H, _cross_entropy_dZ(Z, y))


def _sgd_momentum(
    params: list[np.ndarray],
    velocity: list[np.ndarray] | None,
    grads: list[np.ndarray],
    lr: float,
    momentum: float,
) -> list[np.ndarray]:
    """torch.optim.SGD's step in place: ``v = g`` at the first step, then ``v = ρv + g``;
    ``p −= lr·v``. Returns the new velocity."""
    if momentum == 0:
        velocity = grads  # plain SGD: the step direction is the gradient
    elif velocity is None:
        velocity = [g.copy() for g in grads]  # torch: the first buffer is the gradient
    else:
        velocity = [momentum * v + g for v, g in zip(velocity, grads)]
    for p, v in zip(params, velocity):
        p -= lr * v
    return velocity


def _train(params: list[np.ndarray], batches: list[tuple[np.ndarray, np.ndarray]], step: Any):
    """Copies of ``params`` trained by ``step(params, velocity, X, y) -> velocity`` per batch."""
    current = [p.copy() for p in params]
    velocity = None
    for X, y in batches:
        velocity = step(current, velocity, X, y)
    return current


def torch_train(
    params: list[np.ndarray],
    batches: list[tuple[np.ndarray, np.ndarray]],
    lr: float,
    momentum: float,
) -> list[np.ndarray]:
    """Train ``Linear -> ReLU -> Linear`` by SGD with momentum; return the trained weights.

    ``params = [W1 (D, H), b1 (H,), W2 (H, C), b2 (C,)]`` in dlnotes' layout (float64, not
    modified); ``batches`` a list of ``(X (N, D) float64, y (N,) int)``; one step per batch of
    mean softmax cross-entropy, ``torch.optim.SGD(lr=lr, momentum=momentum)``'s update. Returns
    a list of new arrays in dlnotes' layout, ``[W1, b1, W2, b2]``.

    The learner writes this with PyTorch (``nn.Linear`` weights are ``W.T``); the reference is
    the same loop in numpy, so the two must agree to rounding error.

    Defined in chapter 15 (From numpy to a framework).
    """

    return _train(params, batches, _right_step(lr, momentum))


def _right_step(lr: float, momentum: float) -> Any:
    """One right step of :func:`torch_train` (shared with the mistakes that are right but for
    what happens around the training loop)."""

    def step(params, velocity, X, y):
        grads = _batch_grads(params, X, y)
        return _sgd_momentum(params, velocity, grads, lr, momentum)

    return step


def _train_backprop(
    params: list[np.ndarray],
    batches: list[tuple[np.ndarray, np.ndarray]],
    lr: float,
    momentum: float,
    logits_grad: Callable[[np.ndarray, np.ndarray], np.ndarray] = _cross_entropy_dZ,
    relu: bool = True,
) -> list[np.ndarray]:
    """:func:`torch_train`'s loop with the logits' gradient ``logits_grad(Z, y)`` (by default
    the mean cross-entropy's) and the ReLU on or off (shared by the mistakes in the loss or the
    network)."""

    def step(params, velocity, X, y):
        Z1, H, Z = _forward(params, X, relu=relu)
        grads = _backward(params, X, Z1, H, logits_grad(Z, y), relu=relu)
        return _sgd_momentum(params, velocity, grads, lr, momentum)

    return _train(params, batches, step)


def _train_by_buffer(
    params: list[np.ndarray],
    batches: list[tuple[np.ndarray, np.ndarray]],
    lr: float,
    momentum: float,
    update: Callable[[np.ndarray, np.ndarray], np.ndarray],
    from_zero: bool = False,
    nesterov: bool = False,
) -> list[np.ndarray]:
    """:func:`torch_train`'s loop with the momentum buffer updated by ``v = update(v, g)``:
    from torch's first buffer ``v = g`` (with ``from_zero``, from ``v = 0``), each step
    ``p −= lr·v`` (with ``nesterov``, ``p −= lr·(g + ρ·v)``). Shared by the mistakes in the
    momentum rule."""

    def step(params, velocity, X, y):
        grads = _batch_grads(params, X, y)
        if velocity is None and not from_zero:
            velocity = [g.copy() for g in grads]  # torch: the first buffer is the gradient
        else:
            if velocity is None:  # from_zero: the buffer is 0 before the first step
                velocity = [np.zeros_like(g) for g in grads]
            velocity = [update(v, g) for v, g in zip(velocity, grads)]
        for p, v, g in zip(params, velocity, grads):
            p -= lr * ((g + momentum * v) if nesterov else v)
        return velocity

    return _train(params, batches, step)


#: The common mistakes of ``ch15_torch_port``, each declared on its wrong code.
torch_port_mistakes = Mistakes()


@torch_port_mistakes.add(
    "weights returned in torch's layout",
    "nn.Linear stores weight with shape (out, in) (it computes X @ weight.T): return "
    "weight.T, shape (in, out), as dlnotes' W.",
)
def _port_torch_layout_out(params, batches, lr, momentum):
    # trained correctly, but returned net[k].weight.detach().numpy() without the .T
    trained = _train(params, batches, _right_step(lr, momentum))
    return [p.T.copy() if p.ndim == 2 else p for p in trained]


@torch_port_mistakes.add(
    "gradients never zeroed",
    "torch adds each backward() into .grad: call optimizer.zero_grad() before every "
    "loss.backward(), or step k uses the sum of the first k gradients.",
)
def _port_no_zero_grad(params, batches, lr, momentum):
    dot_grad = [np.zeros_like(p) for p in params]  # what .grad holds, never reset

    def step(params, velocity, X, y):
        for acc, g in zip(dot_grad, _batch_grads(params, X, y)):
            acc += g
        return _sgd_momentum(params, velocity, [g.copy() for g in dot_grad], lr, momentum)

    return _train(params, batches, step)


@torch_port_mistakes.add(
    "softmax before cross_entropy",
    "F.cross_entropy takes logits and applies log-softmax itself; applying softmax "
    "first squashes the logits into [0, 1] and shrinks every gradient.",
)
def _port_softmax_first(params, batches, lr, momentum):
    def logits_grad(Z, y):
        P = _softmax(Z)
        dP = _cross_entropy_dZ(P, y)  # F.cross_entropy(F.softmax(Z), y)
        return P * (dP - (dP * P).sum(axis=1, keepdims=True))  # back through the softmax

    return _train_backprop(params, batches, lr, momentum, logits_grad)


@torch_port_mistakes.add(
    "torch.from_numpy shares the caller's arrays",
    "torch.from_numpy(p) is a tensor over p's own memory: the optimizer's in-place updates "
    "wrote into the caller's params, and .numpy() of the trained tensors gives views of them. "
    "Start from copies: torch.tensor(p), or torch.from_numpy(p.copy()).",
)
def _port_from_numpy(params, batches, lr, momentum):
    # w = torch.from_numpy(W1).requires_grad_() ...: every step writes into params themselves
    step, velocity = _right_step(lr, momentum), None
    for X, y in batches:
        velocity = step(params, velocity, X, y)
    return [p.view() for p in params]  # t.detach().numpy(): the same memory again


#: What reshape in place of a transpose is told (both ways, or one of them).
_RESHAPE_HINT = (
    "W.reshape(out, in) keeps the numbers in memory order and cuts them into rows of "
    "another length: it is not W.T, and for a non-square layer it mixes up which input "
    "feeds which unit."
)


@torch_port_mistakes.add(
    "reshape instead of transpose",
    _RESHAPE_HINT + " Copy weight <- W.T and return weight.T.",
)
def _port_reshape(params, batches, lr, momentum):
    # weight.copy_(torch.from_numpy(W).reshape(out, in)), ..., weight.numpy().reshape(in, out)
    W1, b1, W2, b2 = params
    D, H = W1.shape
    C = W2.shape[1]
    as_torch = [W1.reshape(H, D).T, b1, W2.reshape(C, H).T, b2]  # what the net computes with
    V1, c1, V2, c2 = _train(as_torch, batches, _right_step(lr, momentum))
    return [V1.T.reshape(D, H), c1, V2.T.reshape(H, C), c2]


@torch_port_mistakes.add(
    "reshape instead of transpose, copying in",
    _RESHAPE_HINT + " Your weights go back with .T, but they came in with a reshape: copy "
    "weight <- W.T as well (torch.from_numpy(W.T)), not W.reshape(out, in).",
)
def _port_reshape_in(params, batches, lr, momentum):
    # weight.copy_(torch.from_numpy(W).reshape(out, in)), ..., weight.numpy().T
    W1, b1, W2, b2 = params
    D, H = W1.shape
    C = W2.shape[1]
    as_torch = [W1.reshape(H, D).T, b1, W2.reshape(C, H).T, b2]  # what the net computes with
    return _train(as_torch, batches, _right_step(lr, momentum))  # weight.T: as trained


@torch_port_mistakes.add(
    "reshape instead of transpose, returning",
    _RESHAPE_HINT + " Your weights go in with .T, but they come back with a reshape: return "
    "weight.T as well, not weight.reshape(in, out).",
)
def _port_reshape_out(params, batches, lr, momentum):
    # weight.copy_(torch.from_numpy(W.T)), ..., weight.numpy().reshape(in, out)
    W1, W2 = params[0], params[2]
    V1, c1, V2, c2 = _train(params, batches, _right_step(lr, momentum))  # trained right
    return [V1.T.reshape(W1.shape), c1, V2.T.reshape(W2.shape), c2]


def _copied_without_T(W: np.ndarray) -> np.ndarray:
    """What ``nn.Linear`` computes with, in dlnotes' layout, after
    ``weight.copy_(torch.from_numpy(W))`` with ``W`` of shape ``(in, out)``: for a square ``W``
    the copy works and the layer computes with ``W.T``; for any other, ``copy_`` raises, and
    this raises what torch raises (its words: check() names a mistake from an error by its
    type and message, and this module never imports torch)."""
    n_in, n_out = W.shape
    if n_in != n_out:
        raise RuntimeError(
            f"The size of tensor a ({n_in}) must match the size of tensor b ({n_out}) at "
            "non-singleton dimension 1"
        )
    return W.T


#: What a weight copied without its transpose is told (the chapter's Common mistakes, 2nd).
_NO_TRANSPOSE_HINT = (
    "nn.Linear(in, out).weight has shape (out, in), the transpose of dlnotes' W of shape "
    "(in, out). weight.copy_(W) fails when in ≠ out (torch's \"The size of tensor a (in) must "
    'match the size of tensor b (out)"), and for a square layer it works but computes with '
    "W.T, silently. Copy the transpose, weight.copy_(torch.from_numpy(W.T)), and return "
    "weight.T."
)


@torch_port_mistakes.add("copied W into weight without .T", _NO_TRANSPOSE_HINT)
def _port_copied_without_T(params, batches, lr, momentum):
    # net[0].weight.copy_(torch.from_numpy(W1)), the same for W2; weight.T returned
    W1, b1, W2, b2 = params
    as_torch = [_copied_without_T(W1), b1, _copied_without_T(W2), b2]
    return _train(as_torch, batches, _right_step(lr, momentum))  # weight.T: as trained


@torch_port_mistakes.add("second layer's W copied into weight without .T", _NO_TRANSPOSE_HINT)
def _port_second_copied_without_T(params, batches, lr, momentum):
    # net[0].weight.copy_(torch.from_numpy(W1.T)), but net[2].weight.copy_(torch.from_numpy(W2))
    W1, b1, W2, b2 = params
    as_torch = [W1, b1, _copied_without_T(W2), b2]
    return _train(as_torch, batches, _right_step(lr, momentum))


@torch_port_mistakes.add(
    "summed loss instead of the mean",
    "F.cross_entropy averages over the batch (reduction='mean'), and so does the "
    "dlnotes loss: a summed loss (reduction='sum', or a hand-written −log p[y] "
    ".sum()) makes every gradient N times larger, as if lr were N·lr.",
)
def _port_summed_loss(params, batches, lr, momentum):
    def logits_grad(Z, y):
        return _cross_entropy_dZ(Z, y) * len(y)  # reduction="sum"

    return _train_backprop(params, batches, lr, momentum, logits_grad)


@torch_port_mistakes.add(
    "mean loss divided by the batch size again",
    "F.cross_entropy (reduction='mean') already divides the summed loss by N: dividing "
    "it by len(y) once more (or scaling lr by 1/N) makes every gradient N times smaller "
    "than torch's and dlnotes' mean loss. Use F.cross_entropy(logits, y) as it is.",
)
def _port_mean_twice(params, batches, lr, momentum):
    def logits_grad(Z, y):
        return _cross_entropy_dZ(Z, y) / len(y)  # F.cross_entropy(Z, y) / len(y)

    return _train_backprop(params, batches, lr, momentum, logits_grad)


@torch_port_mistakes.add(
    "no ReLU between the layers",
    "nn.Sequential(nn.Linear(D, H), nn.Linear(H, C)) is one linear map: the network "
    "is Linear -> ReLU -> Linear, nn.Sequential(nn.Linear(D, H), nn.ReLU(), "
    "nn.Linear(H, C)).",
)
def _port_no_relu(params, batches, lr, momentum):
    return _train_backprop(params, batches, lr, momentum, relu=False)  # Linear -> Linear


@torch_port_mistakes.add(
    "steps without momentum",
    "every step is a plain SGD step: is momentum=momentum passed to torch.optim.SGD, and is "
    "the optimizer created once, before the loop over batches? It keeps the momentum buffer, "
    "so one created inside the loop starts with no buffer at every batch.",
)
def _port_optimizer_per_batch(params, batches, lr, momentum):
    def step(params, velocity, X, y):  # the velocity of the last batch is never used
        return _sgd_momentum(params, None, _batch_grads(params, X, y), lr, momentum)

    return _train(params, batches, step)


@torch_port_mistakes.add(
    "momentum as a moving average",
    "v = ρ·v + (1 − ρ)·g (from v = 0) is the moving-average form of momentum: its "
    "steps are (1 − ρ) times smaller. torch.optim.SGD keeps v = ρ·v + g, starting "
    "from v = g: use the optimizer (or that rule) as it is.",
)
def _port_ema_momentum(params, batches, lr, momentum):
    def moving_average(v, g):
        return momentum * v + (1 - momentum) * g  # not v = ρ·v + g

    # and from v = 0, not from torch's v = g
    return _train_by_buffer(params, batches, lr, momentum, moving_average, from_zero=True)


@torch_port_mistakes.add(
    "dampening set to the momentum",
    "SGD(..., momentum=ρ, dampening=ρ) keeps v = ρ·v + (1 − ρ)·g after its first step "
    "(which stores v = g): every gradient after the first enters v (1 − ρ) times smaller "
    "than with the default dampening=0. Leave dampening out: "
    "torch.optim.SGD(params, lr=lr, momentum=momentum).",
)
def _port_dampening(params, batches, lr, momentum):
    def dampened(v, g):
        return momentum * v + (1 - momentum) * g  # dampening=ρ: g enters (1 − ρ) times smaller

    return _train_by_buffer(params, batches, lr, momentum, dampened)


@torch_port_mistakes.add(
    "Nesterov momentum",
    "nesterov=True steps along g + ρ·v, not v: the look-ahead variant of chapter 04. "
    "The loop to port is plain heavy ball, "
    "torch.optim.SGD(params, lr=lr, momentum=momentum) with nesterov left False.",
)
def _port_nesterov(params, batches, lr, momentum):
    def heavy_ball(v, g):
        return momentum * v + g

    # the right buffer, but each step looks ahead: p −= lr·(g + ρ·v)
    return _train_by_buffer(params, batches, lr, momentum, heavy_ball, nesterov=True)


@torch_port_mistakes.add(
    "trained in float32",
    "your weights are float32: nn.Linear's default dtype, kept by .float() or "
    "torch.tensor(X, dtype=torch.float32). float32 keeps about 7 digits, and the checks "
    "compare with the float64 dlnotes run to 1e-9. Train in float64: "
    "nn.Sequential(...).double() (or dtype=torch.float64), inputs torch.from_numpy(X) "
    "(float64 already), and return float64 arrays.",
)
def _port_float32(params, batches, lr, momentum):
    params32 = [p.astype(np.float32) for p in params]
    batches32 = [(X.astype(np.float32), y) for X, y in batches]
    return _train(params32, batches32, _right_step(lr, momentum))


@torch_port_mistakes.add(
    "one step after the loop",
    "opt.step() sits after the loop over batches (indented one level too little): the "
    "weights move once, by the last batch's gradient. Call zero_grad, backward and step "
    "inside the loop, once per batch.",
)
def _port_step_after_loop(params, batches, lr, momentum):
    return _train(params, batches[-1:], _right_step(lr, momentum))


@torch_port_mistakes.add(
    "step before backward",
    "opt.step() comes before loss.backward() in your loop (step, zero_grad, backward): each "
    "step applies the gradients still in .grad, those of the previous batch. The first step "
    "finds none and does nothing, and the last batch's gradients are never applied. Per "
    "batch: opt.zero_grad(), loss.backward(), then opt.step().",
)
def _port_step_before_backward(params, batches, lr, momentum):
    current = [p.copy() for p in params]
    velocity, pending = None, None  # pending: what .grad holds when the next step comes
    for X, y in batches:
        if pending is not None:  # the first opt.step() finds no .grad and skips
            velocity = _sgd_momentum(current, velocity, pending, lr, momentum)
        pending = _batch_grads(current, X, y)  # zero_grad, then backward at the new weights
    return current


#: What weight decay added by mistake is told (whatever its value).
_WEIGHT_DECAY_HINT = (
    "your weights are those of a run with weight decay: "
    "torch.optim.SGD(..., weight_decay=λ) adds λ·w to every gradient. The loop to port has "
    "none: torch.optim.SGD(params, lr=lr, momentum=momentum), with weight_decay left out "
    "(its default is 0)."
)


def _train_weight_decay(params, batches, lr, momentum, decay):
    def step(params, velocity, X, y):
        grads = [g + decay * p for g, p in zip(_batch_grads(params, X, y), params)]
        return _sgd_momentum(params, velocity, grads, lr, momentum)

    return _train(params, batches, step)


# one mistake per usual value: a mistake is named when its weights are the learner's
@torch_port_mistakes.add("weight decay added (1e-4)", _WEIGHT_DECAY_HINT)
def _port_weight_decay(params, batches, lr, momentum):
    return _train_weight_decay(params, batches, lr, momentum, 1e-4)  # weight_decay=1e-4


@torch_port_mistakes.add("weight decay added (1e-3)", _WEIGHT_DECAY_HINT)
def _port_weight_decay_1e3(params, batches, lr, momentum):
    return _train_weight_decay(params, batches, lr, momentum, 1e-3)  # weight_decay=1e-3


@torch_port_mistakes.add("weight decay added (5e-4)", _WEIGHT_DECAY_HINT)
def _port_weight_decay_5e4(params, batches, lr, momentum):
    return _train_weight_decay(params, batches, lr, momentum, 5e-4)  # weight_decay=5e-4


@torch_port_mistakes.add("weight decay added (1e-2)", _WEIGHT_DECAY_HINT)
def _port_weight_decay_1e2(params, batches, lr, momentum):
    return _train_weight_decay(params, batches, lr, momentum, 1e-2)  # weight_decay=1e-2


@torch_port_mistakes.add(
    "nll_loss on the logits",
    "F.nll_loss takes log-probabilities (the output of log_softmax) and only picks −z[y]; "
    "given raw logits it never sees the other classes. Use F.cross_entropy(logits, y), or "
    "F.nll_loss(F.log_softmax(logits, dim=1), y).",
)
def _port_nll_on_logits(params, batches, lr, momentum):
    def logits_grad(Z, y):
        dZ = np.zeros_like(Z)
        dZ[np.arange(len(y)), y] = -1.0 / len(y)  # the gradient of −mean(Z[n, y_n])
        return dZ

    return _train_backprop(params, batches, lr, momentum, logits_grad)


def _port_cases(seed: int, hidden: bool) -> list[Case]:
    rng = np.random.default_rng(seed)
    shapes = [(4, 4, 4), (6, 5, 3), (3, 5, 2)] if not hidden else [(3, 3, 3), (7, 6, 4), (5, 8, 2)]
    cases: list[Case] = []
    for D, H, C in shapes:
        params: list[Any] = [
            rng.normal(0, 1 / np.sqrt(D), (D, H)),
            rng.normal(0, 0.1, H),
            rng.normal(0, 1 / np.sqrt(H), (H, C)),
            rng.normal(0, 0.1, C),
        ]
        batches = []
        for _ in range(3):
            X = rng.normal(0, 1, (8, D))
            batches.append((X, rng.integers(0, C, 8)))
        lr, momentum = (0.5, 0.9) if len(cases) % 2 == 0 else (0.3, 0.5)
        label = f"{D}-{H}-{C} network, 3 batches of 8, lr={lr}, momentum={momentum}"
        cases.append(Case(label, (params, batches, lr, momentum)))
    # inputs of scale 8: pre-activations above 6 and gradient norms above 5, so a loop with
    # ReLU6 or gradient clipping slipped in gives other weights
    D, H, C = (5, 6, 3) if not hidden else (4, 7, 3)
    params = [
        rng.normal(0, 1 / np.sqrt(D), (D, H)),
        rng.normal(0, 0.1, H),
        rng.normal(0, 1 / np.sqrt(H), (H, C)),
        rng.normal(0, 0.1, C),
    ]
    batches = [(rng.normal(0, 8, (8, D)), rng.integers(0, C, 8)) for _ in range(3)]
    label = f"{D}-{H}-{C} network, inputs of scale 8 (large activations), lr=0.02, momentum=0.9"
    cases.append(Case(label, (params, batches, 0.02, 0.9)))
    return cases


register(
    FunctionExercise(
        name="ch15_torch_port",
        diagnoses={  # wording for generic diagnoses (dlnotes.exercises.diagnose)
            "hyperparameter lr=0": "your weights came back unchanged, as if nothing was "
            "trained: per batch call opt.zero_grad(), loss.backward(), opt.step(), in that "
            "order, and read the weights after the loop. A step that comes right after "
            "zero_grad, with no backward in between (zero_grad, step, backward; or backward, "
            "zero_grad, step), finds no gradients and updates nothing.",
            # an answer that draws random numbers here is one that trains from torch's own
            # initial values: which of the four arrays it left is not in its results (training
            # mixes them), and numpy cannot draw torch's numbers to name it as a mistake
            "repeat": "nn.Linear starts with random weights and biases, drawn from torch's "
            "generator at every call, so a weight or a bias never overwritten gives each call "
            "other starting values: copy all four arrays of params into the layers, weight <- "
            "W.T and bias <- b for both Linear layers, under torch.no_grad(), before training",
        },
        chapter="15",
        title="Port a dlnotes training loop to PyTorch",
        signature="torch_train(params, batches, lr, momentum) -> list of 4 new arrays",
        hint=(
            "Build nn.Sequential(nn.Linear(D, H), nn.ReLU(), nn.Linear(H, C)).double(); copy "
            "weight <- W.T and bias <- b under torch.no_grad(); per batch: zero_grad, "
            "F.cross_entropy(net(X), y) on the logits, backward, step; return a list of new numpy "
            "arrays, [W1, b1, W2, b2] (weight.T and bias of each layer)."
        ),
        solution=torch_train,
        suites=seeded(_port_cases, visible=15, hidden=151),
        mistakes=torch_port_mistakes.all,
        references=("dlnotes.optim.base:Optimizer", "dlnotes.model:Sequential"),
        required="dlnotes.exercises.requirements:sgd_trained",
        required_says=(
            "the weights you return must be those of a torch.optim.SGD optimizer that took one "
            "step per batch: this exercise asks for the loop in PyTorch, trained by "
            "torch.optim.SGD, not for the same numbers computed another way"
        ),
        rtol=1e-9,
        atol=1e-11,
        time_limit=60.0,  # importing torch and its first call take seconds on a cold kernel
        frameworks_allowed=True,  # the port is written in PyTorch
    )
)
