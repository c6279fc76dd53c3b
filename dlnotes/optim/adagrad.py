"""AdaGrad: per-coordinate steps shrinking with the accumulated squared gradients."""

from __future__ import annotations

from typing import ClassVar

import numpy as np

from dlnotes.optim._hyper import check_nonneg
from dlnotes.optim.base import HyperparameterChecks, Optimizer, Params

__all__ = ["Adagrad"]


class Adagrad(Optimizer):
    r"""AdaGrad (Duchi et al. 2011); ``torch.optim.Adagrad``'s update.

    With ``g = grad + weight_decay * x`` at step ``t``::

        grad_sum = grad_sum + g * g         # starts at initial_accumulator_value
        clr = lr / (1 + (t - 1) * lr_decay)
        x = x - clr * g / (sqrt(grad_sum) + eps)    # eps outside the square root

    Parameters
    ----------
    params : ndarray or list of ndarray
        Float arrays updated in place.
    lr : float, default 1e-2
    lr_decay : float, default 0
        Divides the step by ``1 + (t - 1) * lr_decay``.
    weight_decay : float, default 0
        L2 coefficient added to the gradient.
    initial_accumulator_value : float, default 0
        Starting value of ``grad_sum``.
    eps : float, default 1e-10
        Added to the root (outside it).
    check_finite : bool, default True

    State: ``state[i]["grad_sum"]`` (torch's ``sum``). Hyperparameters may be reassigned between
    steps (validated with the constructor's rules; ``initial_accumulator_value`` only matters
    when the optimizer is built).

    Defined in chapter 05 (Adaptive methods).
    """

    torch_state_names: ClassVar[dict[str, str]] = {"grad_sum": "sum"}
    nonnegative_state = frozenset({"grad_sum"})
    n_work = 2
    hyperparameter_checks: ClassVar[HyperparameterChecks] = {
        **Optimizer.hyperparameter_checks,
        "lr_decay": check_nonneg,
        "initial_accumulator_value": check_nonneg,
        "eps": check_nonneg,
    }

    def __init__(
        self,
        params: Params,
        lr: float = 1e-2,
        lr_decay: float = 0.0,
        weight_decay: float = 0.0,
        initial_accumulator_value: float = 0.0,
        eps: float = 1e-10,
        *,
        check_finite: bool = True,
    ) -> None:
        self.lr_decay = lr_decay  # validated on assignment (hyperparameter_checks)
        self.initial_accumulator_value = initial_accumulator_value
        self.eps = eps
        super().__init__(params, lr=lr, weight_decay=weight_decay, check_finite=check_finite)

    def _init_state(self, x: np.ndarray) -> dict[str, np.ndarray]:
        return {"grad_sum": np.full(x.shape, self.initial_accumulator_value, dtype=x.dtype)}

    def _update(
        self, x: np.ndarray, g: np.ndarray, state: dict[str, np.ndarray], work: list[np.ndarray]
    ) -> None:
        # Reference (whole arrays, same result):
        #   g = g + weight_decay * x
        #   grad_sum += g * g
        #   x -= lr / (1 + (t - 1) * lr_decay) * g / (np.sqrt(grad_sum) + eps)
        tmp, g_decayed = work
        g = self._with_weight_decay(x, g, out=g_decayed)
        clr = self.lr / (1.0 + (self.t - 1) * self.lr_decay)
        grad_sum = state["grad_sum"]
        np.multiply(g, g, out=tmp)
        grad_sum += tmp
        np.sqrt(grad_sum, out=tmp)
        tmp += self.eps
        np.divide(g, tmp, out=tmp)
        tmp *= clr
        x -= tmp
