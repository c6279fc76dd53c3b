"""Adam and AdamW: bias-corrected moment estimates, L2 or decoupled weight decay."""

from __future__ import annotations

import math
from typing import ClassVar

import numpy as np

from dlnotes.optim._hyper import check_betas, check_bool, check_nonneg, check_rate
from dlnotes.optim.base import HyperparameterChecks, Optimizer, Params

__all__ = ["Adam", "AdamW"]


class Adam(Optimizer):
    r"""Adam (Kingma & Ba 2015) with optional AMSGrad; ``torch.optim.Adam``'s update.

    With ``g = grad + weight_decay * x`` (L2, coupled) at step ``t``::

        m = beta1 * m + (1 - beta1) * g                         # first moment
        v = beta2 * v + (1 - beta2) * g * g                     # second moment
        v_max = max(v_max, v)                                   # amsgrad only: max of the raw v
        denom = sqrt(v [or v_max]) / sqrt(1 - beta2**t) + eps
        x = x - lr / (1 - beta1**t) * m / denom

    which is ``x -= lr * m_hat / (sqrt(v_hat) + eps)`` with the bias-corrected
    ``m_hat = m / (1 - beta1**t)`` and ``v_hat = v / (1 - beta2**t)``. With AMSGrad, the
    running maximum is taken over the *uncorrected* ``v`` and then divided by the current
    ``1 - beta2**t``.

    Parameters
    ----------
    params : ndarray or list of ndarray
        Float arrays updated in place.
    lr : float, default 1e-3
    betas : (float, float), default (0.9, 0.999)
        ``(beta1, beta2)``, each in [0, 1).
    eps : float, default 1e-8
    weight_decay : float or None, default None: 0 (:class:`AdamW`: 1e-2)
        L2 coefficient λ added to the gradient (see :class:`AdamW` for the decoupled form).
        ``None`` stands for the class's default, :attr:`default_weight_decay`, so that AdamW
        shares this signature with its own default (a value assigned later must be a number).
    amsgrad : bool, default False
    check_finite : bool, default True

    State: ``first_moment`` (torch's ``exp_avg``), ``second_moment`` (``exp_avg_sq``),
    ``max_second_moment`` (``max_exp_avg_sq``, amsgrad only). Hyperparameters may be reassigned
    between steps (``opt.betas = (0.8, 0.99)``, ``opt.beta1``, ``opt.eps``, ...; validated with
    the constructor's rules); amsgrad switched on later starts its maximum at zero.

    Defined in chapter 05 (Adaptive methods).
    """

    torch_state_names: ClassVar[dict[str, str]] = {
        "first_moment": "exp_avg",
        "second_moment": "exp_avg_sq",
        "max_second_moment": "max_exp_avg_sq",
    }
    nonnegative_state = frozenset({"second_moment", "max_second_moment"})
    n_work = 2
    hyperparameter_checks: ClassVar[HyperparameterChecks] = {
        **Optimizer.hyperparameter_checks,
        "beta1": check_rate,
        "beta2": check_rate,
        "eps": check_nonneg,
        "amsgrad": check_bool,
    }
    _decoupled: ClassVar[bool] = False
    #: ``weight_decay`` when none is given: 0 for Adam, 1e-2 for AdamW (torch's defaults).
    default_weight_decay: ClassVar[float] = 0.0

    def __init__(
        self,
        params: Params,
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float | None = None,
        amsgrad: bool = False,
        *,
        check_finite: bool = True,
    ) -> None:
        if weight_decay is None:
            weight_decay = self.default_weight_decay
        self.betas = betas
        self.eps = eps  # validated on assignment (hyperparameter_checks)
        self.amsgrad = amsgrad
        super().__init__(params, lr=lr, weight_decay=weight_decay, check_finite=check_finite)

    @property
    def betas(self) -> tuple[float, float]:
        """``(beta1, beta2)``, each in [0, 1); assigning a pair validates both before either
        changes."""
        return (self.beta1, self.beta2)

    @betas.setter
    def betas(self, value: tuple[float, float]) -> None:
        self.beta1, self.beta2 = check_betas(value)

    def _init_state(self, x: np.ndarray) -> dict[str, np.ndarray]:
        state = {
            "first_moment": np.zeros(x.shape, dtype=x.dtype),
            "second_moment": np.zeros(x.shape, dtype=x.dtype),
        }
        if self.amsgrad:
            state["max_second_moment"] = np.zeros(x.shape, dtype=x.dtype)
        return state

    def _update(
        self, x: np.ndarray, g: np.ndarray, state: dict[str, np.ndarray], work: list[np.ndarray]
    ) -> None:
        # Reference (whole arrays, same result; the plain form is teaching.adam_step):
        #   g = g + weight_decay * x   (Adam)   |   x *= 1 - lr * weight_decay   (AdamW)
        #   m = beta1 * m + (1 - beta1) * g
        #   v = beta2 * v + (1 - beta2) * g**2
        #   x -= lr / (1 - beta1**t) * m / (np.sqrt(v) / np.sqrt(1 - beta2**t) + eps)
        tmp, g_decayed = work
        beta1, beta2 = self.beta1, self.beta2
        if not self._decoupled:
            g = self._with_weight_decay(x, g, out=g_decayed)  # Adam: the L2 term joins the gradient
        elif self.weight_decay != 0.0:
            x *= 1.0 - self.lr * self.weight_decay  # AdamW: shrink x first
        m, v = state["first_moment"], state["second_moment"]
        m *= beta1  # m = beta1*m + (1-beta1)*g
        np.multiply(g, 1.0 - beta1, out=tmp)
        m += tmp
        v *= beta2  # v = beta2*v + (1-beta2)*g^2
        np.multiply(g, g, out=tmp)
        tmp *= 1.0 - beta2
        v += tmp
        if self.amsgrad:
            v_max = state["max_second_moment"]
            np.maximum(v_max, v, out=v_max)
            v = v_max
        # x -= lr/(1-beta1^t) * m / (sqrt(v)/sqrt(1-beta2^t) + eps), with both bias corrections
        # moved onto the scalars (Kingma & Ba, end of section 2), which saves one array pass:
        # x -= [lr sqrt(1-beta2^t)/(1-beta1^t)] * m / (sqrt(v) + eps sqrt(1-beta2^t))
        bias_correction2_sqrt = math.sqrt(1.0 - beta2**self.t)
        step_size = self.lr * bias_correction2_sqrt / (1.0 - beta1**self.t)
        np.sqrt(v, out=tmp)
        tmp += self.eps * bias_correction2_sqrt
        np.divide(m, tmp, out=tmp)
        tmp *= step_size
        x -= tmp


class AdamW(Adam):
    r"""AdamW (Loshchilov & Hutter 2019): Adam with decoupled weight decay; torch's update.

    Each step first shrinks the parameters, then takes a plain Adam step (no L2 term in g)::

        x = x * (1 - lr * weight_decay)
        (Adam update of x with the raw gradient)

    torch's ``weight_decay`` is the paper's decay rate divided by the base learning rate; in
    both, a learning-rate schedule scales the decay along with the step. Same parameters and
    state as :class:`Adam`, but ``weight_decay`` defaults to 1e-2.

    Defined in chapter 05 (Adaptive methods).
    """

    _decoupled: ClassVar[bool] = True
    default_weight_decay: ClassVar[float] = 1e-2
