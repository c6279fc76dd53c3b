"""The seed formulations quoted in the chapters, as small pure functions.

Each function takes the current values and returns the new ones (nothing is modified in place),
in the book's notation (``book/notation.md``): ``x`` the parameters, ``g`` the gradient, ``v`` a
velocity, ``lr`` the learning rate, ``rho`` the momentum, ``alpha`` RMSProp's decay (torch's name;
the text writes β), ``grad_sum`` AdaGrad's running sum of squared gradients and ``grad_squared``
RMSProp's running average of them (the names of the library's state and of the exercises). They
are meant to be read next to the library classes of :mod:`dlnotes.optim`; the table says when the
two give the same iterates (``tests/test_optim_teaching.py`` checks every line):

=========================  ===========================================  ==========================
seed formula               library form                                 same iterates when
=========================  ===========================================  ==========================
momentum_step_add          ``SGD(momentum=rho)``                        always (v starts at 0)
momentum_step_velocity     ``SGD(momentum=rho)``                        lr constant (v = -lr * b)
nesterov_step              ``SGD(momentum=rho, nesterov=True)``         lr constant
adagrad_step               ``Adagrad(eps=eps)``                         always (eps outside root)
rmsprop_step               ``RMSprop(alpha=alpha, eps=eps)``            always (eps outside root)
adam_step                  ``Adam(betas=(beta1, beta2), eps=eps)``      always, with bias correction
=========================  ===========================================  ==========================

The velocity form folds the learning rate into ``v``: after a change of ``lr`` it keeps
moving with the momentum of the old rate, while torch's buffer (which holds no ``lr``) is
rescaled at once. ``eps_inside_sqrt=True`` gives the ``sqrt(G + eps)`` (or ``sqrt(v + eps)``)
placement some libraries use; with the classic ``eps = 1e-7`` the two differ visibly only when
the gradients are tiny.

For ``adagrad_step`` and ``rmsprop_step``, "always" means with the same ``eps`` passed to
both: the seed formulas default to the classic course value ``eps = 1e-7``, the library to
torch's (``Adagrad`` 1e-10, ``RMSprop`` 1e-8), so with both defaults the coordinates with tiny
gradients move differently.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from dlnotes._validate import as_float_array, check_scalar
from dlnotes.optim._hyper import check_bool, check_rate

__all__ = [
    "adagrad_step",
    "adam_step",
    "momentum_step_add",
    "momentum_step_velocity",
    "nesterov_step",
    "rmsprop_step",
    "sgd_step",
]


def _arrays(**named: Any) -> list[np.ndarray]:
    """Validate equally shaped real arrays (first one sets the shape)."""
    out = []
    shape: tuple[int, ...] | None = None
    first = ""
    for name, value in named.items():
        arr = as_float_array(name, value)
        if shape is None:
            shape, first = arr.shape, name
        elif arr.shape != shape:
            raise ValueError(f"{name} must have the shape of {first}, {shape}, got {arr.shape}")
        out.append(arr)
    return out


def sgd_step(x: np.ndarray, g: np.ndarray, lr: float) -> np.ndarray:
    """Vanilla gradient descent: ``x - lr * g`` (arrays of one shape).

    Defined in chapter 02 (Conditioning and the loss landscape).
    """
    x, g = _arrays(x=x, g=g)
    lr = check_scalar("lr", lr, low=0.0)
    return x - lr * g


def momentum_step_add(
    x: np.ndarray, v: np.ndarray, g: np.ndarray, lr: float, rho: float = 0.9
) -> tuple[np.ndarray, np.ndarray]:
    """Momentum with the velocity as a running sum of gradients; returns ``(x, v)``::

        v = rho * v + g
        x = x - lr * v

    ``v`` starts at zeros. Same iterates as ``SGD(momentum=rho)`` for any learning-rate
    sequence (torch's buffer is this ``v``).

    Defined in chapter 04 (Momentum and Nesterov).
    """
    x, v, g = _arrays(x=x, v=v, g=g)
    lr = check_scalar("lr", lr, low=0.0)
    rho = check_rate("rho", rho)
    v = rho * v + g
    return x - lr * v, v


def momentum_step_velocity(
    x: np.ndarray, v: np.ndarray, g: np.ndarray, lr: float, rho: float = 0.9
) -> tuple[np.ndarray, np.ndarray]:
    """Momentum with the velocity as a step (lr folded in); returns ``(x, v)``::

        v = rho * v - lr * g
        x = x + v

    ``v`` starts at zeros. Equals ``SGD(momentum=rho)`` while ``lr`` is constant
    (then ``v = -lr * velocity``); after a change of ``lr`` the two differ.

    Defined in chapter 04 (Momentum and Nesterov).
    """
    x, v, g = _arrays(x=x, v=v, g=g)
    lr = check_scalar("lr", lr, low=0.0)
    rho = check_rate("rho", rho)
    v = rho * v - lr * g
    return x + v, v


def nesterov_step(
    x: np.ndarray, v: np.ndarray, g: np.ndarray, lr: float, rho: float = 0.9
) -> tuple[np.ndarray, np.ndarray]:
    """Nesterov momentum in the look-ahead variables; returns ``(x, v)``::

        v_prev = v
        v = rho * v - lr * g
        x = x - rho * v_prev + (1 + rho) * v

    ``g`` is the gradient at ``x`` (which plays the role of the look-ahead point
    ``x_true + rho * v``). Equals ``SGD(momentum=rho, nesterov=True)`` while ``lr`` is constant.

    Defined in chapter 04 (Momentum and Nesterov).
    """
    x, v, g = _arrays(x=x, v=v, g=g)
    lr = check_scalar("lr", lr, low=0.0)
    rho = check_rate("rho", rho)
    v_prev = v
    v = rho * v - lr * g
    return x - rho * v_prev + (1 + rho) * v, v


def _root(squares: np.ndarray, eps: float, eps_inside_sqrt: bool) -> np.ndarray:
    """The denominator from the accumulated squared gradients ``squares``: AdaGrad's sum ``G``
    (``grad_sum``) or RMSProp's average ``v`` (``grad_squared``)."""
    return np.sqrt(squares + eps) if eps_inside_sqrt else np.sqrt(squares) + eps


def adagrad_step(
    x: np.ndarray,
    grad_sum: np.ndarray,
    g: np.ndarray,
    lr: float,
    eps: float = 1e-7,
    eps_inside_sqrt: bool = False,
) -> tuple[np.ndarray, np.ndarray]:
    """AdaGrad; returns ``(x, grad_sum)``::

        grad_sum = grad_sum + g * g
        x = x - lr * g / (sqrt(grad_sum) + eps)

    ``grad_sum`` starts at zeros. Equals ``Adagrad(lr=lr, eps=eps)`` with the same ``eps``
    passed to both (torch also puts eps outside the root), whatever the learning-rate
    sequence. The defaults differ: 1e-7 here (the classic course value), 1e-10 in
    ``Adagrad`` (torch's).

    Defined in chapter 05 (Adaptive methods).
    """
    x, grad_sum, g = _arrays(x=x, grad_sum=grad_sum, g=g)
    lr = check_scalar("lr", lr, low=0.0)
    eps = check_scalar("eps", eps, low=0.0)
    check_bool("eps_inside_sqrt", eps_inside_sqrt)
    grad_sum = grad_sum + g * g
    return x - lr * g / _root(grad_sum, eps, eps_inside_sqrt), grad_sum


def rmsprop_step(
    x: np.ndarray,
    grad_squared: np.ndarray,
    g: np.ndarray,
    lr: float,
    alpha: float = 0.99,
    eps: float = 1e-7,
    eps_inside_sqrt: bool = False,
) -> tuple[np.ndarray, np.ndarray]:
    """RMSProp; returns ``(x, grad_squared)``::

        grad_squared = alpha * grad_squared + (1 - alpha) * g * g
        x = x - lr * g / (sqrt(grad_squared) + eps)

    ``grad_squared`` starts at zeros. Equals ``RMSprop(lr=lr, alpha=alpha, eps=eps)`` with the
    same ``eps`` passed to both. The defaults differ: 1e-7 here (the classic course value),
    1e-8 in ``RMSprop`` (torch's).

    Defined in chapter 05 (Adaptive methods).
    """
    x, grad_squared, g = _arrays(x=x, grad_squared=grad_squared, g=g)
    lr = check_scalar("lr", lr, low=0.0)
    alpha = check_rate("alpha", alpha)
    eps = check_scalar("eps", eps, low=0.0)
    check_bool("eps_inside_sqrt", eps_inside_sqrt)
    grad_squared = alpha * grad_squared + (1 - alpha) * g * g
    return x - lr * g / _root(grad_squared, eps, eps_inside_sqrt), grad_squared


def adam_step(
    x: np.ndarray,
    m: np.ndarray,
    v: np.ndarray,
    g: np.ndarray,
    t: int,
    lr: float = 1e-3,
    beta1: float = 0.9,
    beta2: float = 0.999,
    eps: float = 1e-8,
    bias_correction: bool = True,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Adam with explicit bias correction; returns ``(x, m, v)``. ``t`` counts from 1::

        m = beta1 * m + (1 - beta1) * g
        v = beta2 * v + (1 - beta2) * g * g
        m_hat = m / (1 - beta1**t)          (m_hat = m without bias correction)
        v_hat = v / (1 - beta2**t)          (v_hat = v without bias correction)
        x = x - lr * m_hat / (sqrt(v_hat) + eps)

    ``m`` and ``v`` start at zeros. With bias correction this is ``Adam(lr, (beta1, beta2), eps)``
    for any learning-rate sequence; without it the first steps are too *large*: at ``t = 1``
    the step is ``(1 - beta1) / sqrt(1 - beta2)`` times the corrected one, about 3.16 with the
    defaults (``m`` is 10 times too small, but ``sqrt(v)`` is 31.6 times too small).

    Defined in chapter 05 (Adaptive methods).
    """
    x, m, v, g = _arrays(x=x, m=m, v=v, g=g)
    t = int(check_scalar("t", t, low=1, integer=True))
    lr = check_scalar("lr", lr, low=0.0)
    beta1 = check_rate("beta1", beta1)
    beta2 = check_rate("beta2", beta2)
    eps = check_scalar("eps", eps, low=0.0)
    check_bool("bias_correction", bias_correction)
    m = beta1 * m + (1 - beta1) * g
    v = beta2 * v + (1 - beta2) * g * g
    m_hat = m / (1 - beta1**t) if bias_correction else m
    v_hat = v / (1 - beta2**t) if bias_correction else v
    return x - lr * m_hat / (np.sqrt(v_hat) + eps), m, v
