"""Stochastic gradient descent with momentum, dampening, Nesterov and weight decay."""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np

from dlnotes.optim._hyper import check_bool, check_rate, check_unit
from dlnotes.optim.base import HyperparameterChecks, Optimizer, Params

__all__ = ["SGD"]


class SGD(Optimizer):
    r"""Gradient descent, optionally with (Nesterov) momentum; ``torch.optim.SGD``'s update.

    With ``g = grad + weight_decay * x`` at step ``t`` (``rho`` = momentum, ``tau`` = dampening)::

        velocity = g                                  # t = 1 (no dampening on the first step)
        velocity = rho * velocity + (1 - tau) * g     # t > 1
        d = g + rho * velocity   if nesterov  else  velocity     (d = g when momentum == 0)
        x = x - lr * d

    The velocity holds no learning rate, so changing ``lr`` between steps rescales only the
    current step (unlike the textbook ``v = rho*v - lr*g; x += v``, see
    :func:`dlnotes.optim.teaching.momentum_step_velocity`).

    Parameters
    ----------
    params : ndarray or list of ndarray
        Float arrays updated in place.
    lr : float, default 1e-3
        Learning rate alpha >= 0.
    momentum : float, default 0
        rho in [0, 1) (torch's documentation writes mu).
    dampening : float, default 0
        tau in [0, 1]; scales the gradient entering the velocity after the first step.
    weight_decay : float, default 0
        L2 coefficient added to the gradient (``g + weight_decay * x``).
    nesterov : bool, default False
        Nesterov's look-ahead form; needs ``momentum > 0`` and ``dampening == 0``.
    check_finite : bool, default True
        Raise :class:`~dlnotes._validate.NonFiniteError` on inf/NaN gradients or parameters.

    State: ``state[i]["velocity"]`` (torch's ``momentum_buffer``), shaped like ``params[i]``,
    present when ``momentum > 0``. Hyperparameters may be reassigned between steps (validated,
    with the constructor's rules); momentum switched on later starts its velocity at the next
    step's ``g``, as torch's does.

    Defined in chapter 04 (Momentum and Nesterov).
    """

    torch_state_names: ClassVar[dict[str, str]] = {"velocity": "momentum_buffer"}
    n_work = 2
    hyperparameter_checks: ClassVar[HyperparameterChecks] = {
        **Optimizer.hyperparameter_checks,
        "momentum": check_rate,
        "dampening": check_unit,
        "nesterov": check_bool,
    }

    def __init__(
        self,
        params: Params,
        lr: float = 1e-3,
        momentum: float = 0.0,
        dampening: float = 0.0,
        weight_decay: float = 0.0,
        nesterov: bool = False,
        *,
        check_finite: bool = True,
    ) -> None:
        # validated on assignment (hyperparameter_checks, _check_combination)
        self.momentum = momentum
        self.dampening = dampening
        self.nesterov = nesterov
        #: The step whose gradient starts the velocity (v = g): the first one, or the first
        #: after momentum was switched on (see _sync_state).
        self._velocity_start = 1
        super().__init__(params, lr=lr, weight_decay=weight_decay, check_finite=check_finite)

    def _check_combination(self, name: str, value: Any) -> None:
        """Nesterov's look-ahead needs momentum > 0 and no dampening (as torch requires)."""
        if name not in ("momentum", "dampening", "nesterov"):
            return
        current = {k: getattr(self, k, None) for k in ("momentum", "dampening", "nesterov")}
        current[name] = value
        if None in current.values():  # the constructor has not set all three yet
            return
        if current["nesterov"] and (current["momentum"] == 0.0 or current["dampening"] != 0.0):
            raise ValueError(
                "nesterov=True requires momentum > 0 and dampening == 0, got "
                f"momentum={current['momentum']!r} and dampening={current['dampening']!r}"
            )

    def _sync_state(self) -> None:
        had_velocity = "velocity" in self.state[0]
        super()._sync_state()
        if "velocity" in self.state[0] and not had_velocity:
            self._velocity_start = self.t + 1  # torch: a new momentum buffer starts as g

    def _init_state(self, x: np.ndarray) -> dict[str, np.ndarray]:
        return {"velocity": np.zeros(x.shape, dtype=x.dtype)} if self.momentum > 0 else {}

    def _update(
        self, x: np.ndarray, g: np.ndarray, state: dict[str, np.ndarray], work: list[np.ndarray]
    ) -> None:
        # Reference (whole arrays, same result):
        #   g = g + weight_decay * x
        #   v = g if t == 1 else rho * v + (1 - tau) * g
        #   d = g + rho * v if nesterov else v
        #   x -= lr * d
        tmp, g_decayed = work
        g = self._with_weight_decay(x, g, out=g_decayed)  # g + weight_decay * x
        direction = g
        if self.momentum > 0.0:
            v = state["velocity"]
            if self.t == 1 or self.t == self._velocity_start:
                np.copyto(v, g)  # first step (or first with momentum switched on): v = g
            else:
                v *= self.momentum  # v = rho * v + (1 - tau) * g
                if self.dampening != 0.0:
                    np.multiply(g, 1.0 - self.dampening, out=tmp)
                    v += tmp
                else:
                    v += g
            if self.nesterov:
                np.multiply(v, self.momentum, out=tmp)
                direction = np.add(g, tmp, out=tmp)  # d = g + rho * v
            else:
                direction = v
        np.multiply(direction, self.lr, out=tmp)
        x -= tmp  # x = x - lr * d
