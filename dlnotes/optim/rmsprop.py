"""RMSProp: steps divided by a running root-mean-square of the gradients."""

from __future__ import annotations

from typing import ClassVar

import numpy as np

from dlnotes.optim._hyper import check_bool, check_nonneg, check_rate
from dlnotes.optim.base import HyperparameterChecks, Optimizer, Params

__all__ = ["RMSprop"]


class RMSprop(Optimizer):
    r"""RMSProp (Tieleman & Hinton 2012), optionally centered and with momentum; torch's update.

    With ``g = grad + weight_decay * x`` (``a`` = alpha, ``rho`` = momentum)::

        grad_squared = a * grad_squared + (1 - a) * g * g
        avg = sqrt(grad_squared) + eps                           # eps outside the root
        # centered: grad_avg = a * grad_avg + (1 - a) * g
        #           avg = sqrt(grad_squared - grad_avg**2) + eps   (a variance, not a 2nd moment)
        if rho > 0: velocity = rho * velocity + g / avg;  x = x - lr * velocity
        else:       x = x - lr * g / avg

    The velocity holds ``g / avg`` without the learning rate, as in torch. Rounding can make
    ``grad_squared - grad_avg**2`` a hair negative when the gradient is constant; it is clipped
    at 0 (torch would return NaN there).

    Parameters
    ----------
    params : ndarray or list of ndarray
        Float arrays updated in place.
    lr : float, default 1e-2
    alpha : float, default 0.99
        Decay rate of the averages, in [0, 1).
    eps : float, default 1e-8
    weight_decay : float, default 0
    momentum : float, default 0
        In [0, 1).
    centered : bool, default False
        Normalise by an estimate of the gradient's standard deviation.
    check_finite : bool, default True

    State: ``grad_squared`` (torch's ``square_avg``), ``grad_avg`` (centered only) and
    ``velocity`` (torch's ``momentum_buffer``, when momentum > 0). Hyperparameters may be
    reassigned between steps (validated with the constructor's rules); ``centered`` or momentum
    switched on later starts its buffer at zero.

    Defined in chapter 05 (Adaptive methods).
    """

    torch_state_names: ClassVar[dict[str, str]] = {
        "grad_squared": "square_avg",
        "grad_avg": "grad_avg",
        "velocity": "momentum_buffer",
    }
    nonnegative_state = frozenset({"grad_squared"})
    n_work = 2
    hyperparameter_checks: ClassVar[HyperparameterChecks] = {
        **Optimizer.hyperparameter_checks,
        "alpha": check_rate,
        "eps": check_nonneg,
        "momentum": check_rate,
        "centered": check_bool,
    }

    def __init__(
        self,
        params: Params,
        lr: float = 1e-2,
        alpha: float = 0.99,
        eps: float = 1e-8,
        weight_decay: float = 0.0,
        momentum: float = 0.0,
        centered: bool = False,
        *,
        check_finite: bool = True,
    ) -> None:
        self.alpha = alpha  # validated on assignment (hyperparameter_checks)
        self.eps = eps
        self.momentum = momentum
        self.centered = centered
        super().__init__(params, lr=lr, weight_decay=weight_decay, check_finite=check_finite)

    def _init_state(self, x: np.ndarray) -> dict[str, np.ndarray]:
        state = {"grad_squared": np.zeros(x.shape, dtype=x.dtype)}
        if self.centered:
            state["grad_avg"] = np.zeros(x.shape, dtype=x.dtype)
        if self.momentum > 0:
            state["velocity"] = np.zeros(x.shape, dtype=x.dtype)
        return state

    def _update(
        self, x: np.ndarray, g: np.ndarray, state: dict[str, np.ndarray], work: list[np.ndarray]
    ) -> None:
        # Reference (whole arrays, same result):
        #   g = g + weight_decay * x
        #   grad_squared = alpha * grad_squared + (1 - alpha) * g**2
        #   avg = np.sqrt(grad_squared) + eps         (centered: subtract grad_avg**2 first)
        #   velocity = rho * velocity + g / avg;  x -= lr * velocity     (or x -= lr * g / avg)
        tmp, g_decayed = work
        g = self._with_weight_decay(x, g, out=g_decayed)
        a = self.alpha
        grad_squared = state["grad_squared"]
        grad_squared *= a
        np.multiply(g, g, out=tmp)
        tmp *= 1.0 - a
        grad_squared += tmp
        if self.centered:
            grad_avg = state["grad_avg"]
            grad_avg *= a
            np.multiply(g, 1.0 - a, out=tmp)
            grad_avg += tmp
            np.multiply(grad_avg, grad_avg, out=tmp)
            np.subtract(grad_squared, tmp, out=tmp)
            np.maximum(tmp, 0.0, out=tmp)
            np.sqrt(tmp, out=tmp)
        else:
            np.sqrt(grad_squared, out=tmp)
        tmp += self.eps  # tmp = avg
        np.divide(g, tmp, out=tmp)  # tmp = g / avg
        if self.momentum > 0.0:
            velocity = state["velocity"]
            velocity *= self.momentum
            velocity += tmp
            np.multiply(velocity, self.lr, out=tmp)
        else:
            tmp *= self.lr
        x -= tmp
