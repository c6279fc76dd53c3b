"""L-BFGS: a quasi-Newton method built from the last few steps and gradient changes."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any, ClassVar

import numpy as np

from dlnotes._validate import NonFiniteError, cast_finite, check_array, check_float_array
from dlnotes.optim._hyper import check_count, check_line_search, check_nonneg
from dlnotes.optim.base import (
    HyperparameterChecks,
    Optimizer,
    Params,
    check_finite_array,
)

__all__ = ["LBFGS", "cubic_interpolate", "strong_wolfe", "two_loop_direction"]

#: ``closure()`` returns the loss and the gradients at the current (in-place) parameters.
Closure = Callable[[], tuple[float, Any]]


def two_loop_direction(
    g: np.ndarray,
    s_history: Sequence[np.ndarray],
    y_history: Sequence[np.ndarray],
    rho_history: Sequence[float],
    H_diag: float,
) -> np.ndarray:
    r"""The L-BFGS search direction ``d = -H^{-1} g`` by the two-loop recursion (Nocedal 1980).

    ``H^{-1}`` is the BFGS approximation of the inverse Hessian built from the stored pairs (``H``
    is the Hessian, as in the book). The gradient ``g`` and every ``s_k = x_{k+1} - x_k``,
    ``y_k = g_{k+1} - g_k`` are flat vectors of length n, oldest first; ``rho_k = 1 / (y_k . s_k)``;
    ``H_diag`` is the book's ``gamma``, the scale of the initial inverse Hessian
    ``H_0^{-1} = H_diag * I`` (L-BFGS uses ``s.y / y.y`` of the newest pair)::

        q = -g
        for k = newest ... oldest:  a_k = rho_k * s_k.q;   q -= a_k * y_k
        r = H_diag * q
        for k = oldest ... newest:  b_k = rho_k * y_k.r;   r += (a_k - b_k) * s_k
        return r

    ``g`` must be a 1-D float array, the three histories of one length, and every ``s_k`` and
    ``y_k`` an array of ``g``'s shape: anything else raises an error naming the argument (and
    ``k``). The checks are ``O(m)``, next to the ``O(m n)`` recursion.

    Defined in chapter 06 (Learning-rate schedules and second-order methods).
    """
    _check_history(g, s_history, y_history, rho_history)
    q = -g
    alphas = [0.0] * len(s_history)
    for k in range(len(s_history) - 1, -1, -1):
        alphas[k] = float(s_history[k] @ q) * rho_history[k]
        q -= alphas[k] * y_history[k]
    r = q * H_diag
    for k in range(len(s_history)):
        beta = float(y_history[k] @ r) * rho_history[k]
        r += (alphas[k] - beta) * s_history[k]
    return r


def _check_history(
    g: np.ndarray,
    s_history: Sequence[np.ndarray],
    y_history: Sequence[np.ndarray],
    rho_history: Sequence[float],
) -> None:
    """Refuse what :func:`two_loop_direction` cannot combine: a ``g`` that is not a flat float
    vector, histories of different lengths, or a pair ``s_k, y_k`` of another shape than ``g``."""
    where = "two_loop_direction"
    check_float_array("g", g, where=where)
    if g.ndim != 1:
        raise ValueError(f"{where}: g must be a flat (1-D) vector, got shape {g.shape}")
    lengths = {
        "s_history": len(s_history),
        "y_history": len(y_history),
        "rho_history": len(rho_history),
    }
    if len(set(lengths.values())) > 1:
        raise ValueError(
            f"{where}: s_history, y_history and rho_history must have one entry per stored pair, "
            f"got lengths {lengths}"
        )
    for name, history in (("s_history", s_history), ("y_history", y_history)):
        for k, v in enumerate(history):
            check_array(f"{name}[{k}]", v, where=where)
            if v.shape != g.shape:
                raise ValueError(
                    f"{where}: {name}[{k}] must have the shape of g {g.shape}, got {v.shape}"
                )


def cubic_interpolate(
    x1: float,
    f1: float,
    g1: float,
    x2: float,
    f2: float,
    g2: float,
    bounds: tuple[float, float] | None = None,
) -> float:
    """Minimiser of the cubic through ``(x1, f1, f1'=g1)`` and ``(x2, f2, f2'=g2)``, clipped.

    Clipped to ``bounds`` (default: the interval between x1 and x2); the midpoint of the bounds
    when the cubic has no minimiser (or is undefined: ``x1 == x2``, or 0/0). A degenerate cubic
    whose minimiser is at infinity (a straight line) gives the bound on that side, as torch's
    L-BFGS does. As in minFunc's ``polyinterp`` and torch's L-BFGS.

    Defined in chapter 06 (Learning-rate schedules and second-order methods).
    """
    lo, hi = bounds if bounds is not None else ((x1, x2) if x1 <= x2 else (x2, x1))
    if x1 == x2:  # no interval to fit a cubic on (torch's tensors would give NaN): bisect
        return (lo + hi) / 2.0
    d1 = g1 + g2 - 3 * (f1 - f2) / (x1 - x2)
    d2_square = d1**2 - g1 * g2
    if d2_square >= 0:
        d2 = math.sqrt(d2_square)
        if x1 <= x2:
            min_pos = x2 - (x2 - x1) * _ieee_divide(g2 + d2 - d1, g2 - g1 + 2 * d2)
        else:
            min_pos = x1 - (x1 - x2) * _ieee_divide(g1 + d2 - d1, g1 - g2 + 2 * d2)
        if math.isnan(min_pos):  # 0/0: the cubic says nothing; bisect
            return (lo + hi) / 2.0
        return min(max(min_pos, lo), hi)
    return (lo + hi) / 2.0


def _ieee_divide(num: float, den: float) -> float:
    """``num / den`` with IEEE semantics (``±inf`` or NaN for a zero ``den``), as torch's tensor
    arithmetic gives: a straight line (``f`` linear along the search direction, so the cubic
    degenerates) then extrapolates to the bound instead of raising ZeroDivisionError."""
    if den != 0:
        return num / den
    if num == 0 or math.isnan(num):
        return math.nan
    return math.copysign(math.inf, num) * math.copysign(1.0, den)


def strong_wolfe(
    obj: Callable[[float], tuple[float, np.ndarray]],
    step_length: float,
    d: np.ndarray,
    f: float,
    g: np.ndarray,
    gtd: float,
    c1: float = 1e-4,
    c2: float = 0.9,
    tolerance_change: float = 1e-9,
    max_ls: int = 25,
) -> tuple[float, np.ndarray, float, int]:
    """Line search for a step length ``eta`` along ``d`` satisfying the strong Wolfe conditions,
    starting from ``eta = step_length``.

    ``obj(eta)`` returns ``(f(x + eta d), grad f(x + eta d))``; ``f``, ``g``, ``gtd = g.d < 0`` are
    the values at ``eta = 0``. The conditions are sufficient decrease
    ``f(x + eta d) <= f + c1 eta gtd`` and curvature ``|grad f(x + eta d).d| <= c2 |gtd|``.
    First brackets an interval (growing ``eta`` by cubic extrapolation), then zooms into it by
    cubic interpolation (Nocedal & Wright, Algorithms 3.5-3.6; the same steps as torch's
    ``_strong_wolfe``). Returns ``(f_new, g_new, eta, n_evaluations)``.

    A trial point whose loss or slope ``grad.d`` is inf or NaN is a failed step, too long: its
    loss counts as ``+inf``, so it ends the bracketing and becomes the bracket's high end, and
    the zoom bisects (a cubic through an infinite end has no minimiser). The point returned
    always has a finite loss (``eta = 0``, the start, when no trial point had one).

    Defined in chapter 06 (Learning-rate schedules and second-order methods).
    """
    # over 80 lines: the bracketing and zoom phases follow torch's _strong_wolfe step by step, so
    # that the two can be compared line by line (their iterates agree to rounding).
    eta = step_length
    d_norm = float(np.max(np.abs(d)))
    g = g.copy()
    f_new, g_new = obj(eta)
    evals = 1
    gtd_new = float(g_new @ d)
    f_new = _failed_as_inf(f_new, gtd_new)

    # Bracketing phase: find an interval containing a point satisfying the conditions.
    eta_prev, f_prev, g_prev, gtd_prev = 0.0, f, g, gtd
    done = False
    ls_iter = 0
    bracket: list[float] = []
    bracket_f: list[float] = []
    bracket_g: list[np.ndarray] = []
    bracket_gtd: list[float] = []
    while ls_iter < max_ls:
        if f_new > f + c1 * eta * gtd or (ls_iter > 1 and f_new >= f_prev):
            bracket, bracket_f = [eta_prev, eta], [f_prev, f_new]
            bracket_g, bracket_gtd = [g_prev, g_new.copy()], [gtd_prev, gtd_new]
            break
        if abs(gtd_new) <= -c2 * gtd:  # strong Wolfe holds at eta: done
            bracket, bracket_f, bracket_g = [eta], [f_new], [g_new]
            done = True
            break
        if gtd_new >= 0:  # slope turned positive: minimum is behind
            bracket, bracket_f = [eta_prev, eta], [f_prev, f_new]
            bracket_g, bracket_gtd = [g_prev, g_new.copy()], [gtd_prev, gtd_new]
            break
        # still going down: extrapolate a longer step within [eta + 0.01 (eta - eta_prev), 10 eta]
        min_step = eta + 0.01 * (eta - eta_prev)
        max_step = eta * 10
        eta_old = eta
        eta = cubic_interpolate(
            eta_prev, f_prev, gtd_prev, eta, f_new, gtd_new, bounds=(min_step, max_step)
        )
        eta_prev, f_prev, g_prev, gtd_prev = eta_old, f_new, g_new.copy(), gtd_new
        f_new, g_new = obj(eta)
        evals += 1
        gtd_new = float(g_new @ d)
        f_new = _failed_as_inf(f_new, gtd_new)
        ls_iter += 1
    if ls_iter == max_ls:  # out of evaluations while bracketing
        bracket, bracket_f = [0.0, eta], [f, f_new]
        bracket_g, bracket_gtd = [g, g_new], [gtd, gtd_new]

    # Zoom phase: shrink the bracket until a point satisfies the conditions.
    insufficient_progress = False
    low, high = (0, 1) if bracket_f[0] <= bracket_f[-1] else (1, 0)
    while not done and ls_iter < max_ls:
        if abs(bracket[1] - bracket[0]) * d_norm < tolerance_change:
            break
        if math.isinf(bracket_f[high]):  # a failed trial point (inf or NaN): bisect
            eta = (bracket[0] + bracket[1]) / 2.0
        else:
            eta = cubic_interpolate(
                bracket[0], bracket_f[0], bracket_gtd[0], bracket[1], bracket_f[1], bracket_gtd[1]
            )
        # Keep eta at least 10% of the bracket away from its ends when progress stalls.
        b_min, b_max = min(bracket), max(bracket)
        margin = 0.1 * (b_max - b_min)
        if min(b_max - eta, eta - b_min) < margin:
            if insufficient_progress or eta >= b_max or eta <= b_min:
                eta = b_max - margin if abs(eta - b_max) < abs(eta - b_min) else b_min + margin
                insufficient_progress = False
            else:
                insufficient_progress = True
        else:
            insufficient_progress = False
        f_new, g_new = obj(eta)
        evals += 1
        gtd_new = float(g_new @ d)
        f_new = _failed_as_inf(f_new, gtd_new)
        ls_iter += 1
        if f_new > f + c1 * eta * gtd or f_new >= bracket_f[low]:
            # not a sufficient decrease, or not below the low end: eta becomes the high end
            bracket[high], bracket_f[high] = eta, f_new
            bracket_g[high], bracket_gtd[high] = g_new.copy(), gtd_new
            low, high = (0, 1) if bracket_f[0] <= bracket_f[1] else (1, 0)
        else:
            if abs(gtd_new) <= -c2 * gtd:
                done = True
            elif gtd_new * (bracket[high] - bracket[low]) >= 0:
                # the old low end becomes the high end
                bracket[high], bracket_f[high] = bracket[low], bracket_f[low]
                bracket_g[high], bracket_gtd[high] = bracket_g[low], bracket_gtd[low]
            bracket[low], bracket_f[low] = eta, f_new
            bracket_g[low], bracket_gtd[low] = g_new.copy(), gtd_new
    return bracket_f[low], bracket_g[low], bracket[low], evals


def _failed_as_inf(f_new: float, gtd_new: float) -> float:
    """The loss of a trial point, ``+inf`` when its loss or slope is inf or NaN (a failed step).

    NaN compares False with everything, so a NaN loss would pass for an acceptable one.
    """
    if math.isfinite(f_new) and math.isfinite(gtd_new):
        return f_new
    return math.inf


class LBFGS(Optimizer):
    r"""Limited-memory BFGS (Liu & Nocedal 1989); ``torch.optim.LBFGS``'s algorithm.

    ``opt.step(closure)`` runs up to ``max_iter`` iterations, where ``closure()`` returns
    ``(loss, grads)`` for the *current* parameters (which the optimizer changes in place;
    ``grads`` is aligned with ``params``, or a bare array for a single parameter). Each
    iteration: update the memory with ``s = x_new - x``, ``y = g_new - g`` if ``y.s > 1e-10``
    (at most ``history_size`` pairs), get ``d`` from :func:`two_loop_direction`, then step
    ``x += eta d`` with the step length ``eta = lr`` (the first iteration ever uses
    ``min(1, 1/|g|_1) lr``), or with the ``eta`` of a :func:`strong_wolfe` line search when
    ``line_search_fn="strong_wolfe"``. (torch calls the step length ``t``; here ``t`` is the
    optimizer's step count, as in every optimizer.)
    It stops when ``max|g| <= tolerance_grad``, when the step or the loss change drops below
    ``tolerance_change``, or after ``max_iter`` iterations / ``max_eval`` closure calls.
    The memory persists between calls to :meth:`step`. Returns the loss at the start.

    Parameters
    ----------
    params : ndarray or list of ndarray
        Float arrays updated in place.
    lr : float, default 1
    max_iter : int, default 20
        Iterations per :meth:`step`.
    max_eval : int, optional
        Closure calls per :meth:`step` (default ``max_iter * 5 // 4``).
    tolerance_grad : float, default 1e-7
    tolerance_change : float, default 1e-9
    history_size : int, default 100
    line_search_fn : None or "strong_wolfe"
    check_finite : bool, default True
        The loss and gradients at the start of each step, and the parameters after it, must be
        finite (trial points inside the line search may be inf or NaN: it backs off from them).

    State (attributes): ``n_iter`` and ``func_evals`` (totals), ``s_history``, ``y_history``,
    ``rho_history`` (torch's ``old_stps``, ``old_dirs``, ``ro``), ``H_diag``, ``direction`` (``d``),
    ``step_length`` (``eta``), ``prev_flat_grad``, ``prev_loss``. Computations use one flat
    vector of all parameters (in their common dtype).

    Defined in chapter 06 (Learning-rate schedules and second-order methods).
    """

    supports_state_dict = False  # a curvature history, not per-parameter buffers
    hyperparameter_checks: ClassVar[HyperparameterChecks] = {
        **Optimizer.hyperparameter_checks,
        "max_iter": check_count,
        "max_eval": check_count,
        "tolerance_grad": check_nonneg,
        "tolerance_change": check_nonneg,
        "history_size": check_count,
        "line_search_fn": check_line_search,
    }

    def __init__(
        self,
        params: Params,
        lr: float = 1.0,
        max_iter: int = 20,
        max_eval: int | None = None,
        tolerance_grad: float = 1e-7,
        tolerance_change: float = 1e-9,
        history_size: int = 100,
        line_search_fn: str | None = None,
        *,
        check_finite: bool = True,
    ) -> None:
        # validated on assignment (hyperparameter_checks), now and when reassigned later
        self.max_iter = max_iter
        self.max_eval = self.max_iter * 5 // 4 if max_eval is None else max_eval
        self.tolerance_grad = tolerance_grad
        self.tolerance_change = tolerance_change
        self.history_size = history_size
        self.line_search_fn = line_search_fn
        super().__init__(params, lr=lr, check_finite=check_finite)  # no weight decay
        self.dtype = np.result_type(*self.params)
        self.n_iter = 0
        self.func_evals = 0
        self.s_history: list[np.ndarray] = []
        self.y_history: list[np.ndarray] = []
        self.rho_history: list[float] = []
        self.H_diag = 1.0
        self.direction: np.ndarray | None = None
        self.step_length: float | None = None
        self.prev_flat_grad: np.ndarray | None = None
        self.prev_loss: float | None = None

    # -------------------------------------------------------------- flat-vector helpers
    def _flat_params(self) -> np.ndarray:
        return np.concatenate([x.reshape(-1) for x in self.params]).astype(self.dtype, copy=False)

    def _set_params(self, flat: np.ndarray) -> None:
        offset = 0
        for x in self.params:
            x[...] = flat[offset : offset + x.size].reshape(x.shape)
            offset += x.size

    def _evaluate(
        self, closure: Closure, *, check: bool, step: int = 0
    ) -> tuple[float, np.ndarray]:
        """``(loss, flat gradient)`` from ``closure``; with ``check`` (and ``check_finite``)
        an inf/NaN loss or gradient raises, naming the step ``step``."""
        out = closure()
        if not isinstance(out, tuple) or len(out) != 2:
            raise TypeError(
                "closure must return a pair (loss, grads) for the current params, got "
                f"{type(out).__name__}"
            )
        loss_value, grads = out
        loss = _loss_value(loss_value)
        checked = self._check_grads(grads)
        if check and self.check_finite:
            if not math.isfinite(loss):
                _raise_nonfinite_loss(loss, step)
            for i, g in enumerate(checked):
                check_finite_array(self._grad_name(i), g, where=f"at step {step}")
                # a finite float64 gradient of 1e40 is inf in float32 parameters' dtype
                where = f"{self._grad_name(i)} at step {step} (cast to the parameters' dtype)"
                checked[i] = cast_finite(where, g, self.dtype)
        flat = np.concatenate([g.reshape(-1) for g in checked]).astype(self.dtype, copy=False)
        return loss, flat

    def _along(
        self, closure: Closure, x_init: np.ndarray, d: np.ndarray
    ) -> Callable[[float], tuple[float, np.ndarray]]:
        """``eta -> (f, grad)`` at ``x_init + eta * d``; the parameters are restored after."""

        def along(eta: float) -> tuple[float, np.ndarray]:
            self._set_params(x_init + eta * d)
            value = self._evaluate(closure, check=False)
            self._set_params(x_init)
            return value

        return along

    # -------------------------------------------------------------- the algorithm
    def step(self, closure: Closure) -> float:  # type: ignore[override]
        """Run up to ``max_iter`` L-BFGS iterations; return the loss at the starting point."""
        # over 80 lines: the iterations as torch.optim.LBFGS.step writes them, step by step, so
        # that the two can be compared line by line.
        if not callable(closure):
            raise TypeError(
                "LBFGS.step needs closure, a function returning (loss, grads) at the current "
                f"params, got {type(closure).__name__}"
            )
        # a start refused (inf/NaN loss or gradient) is not a step: t changes only after it
        loss, flat_grad = self._evaluate(closure, check=True, step=self.t + 1)
        self.t += 1
        orig_loss = loss
        current_evals = 1
        self.func_evals += 1
        if np.max(np.abs(flat_grad)) <= self.tolerance_grad:
            return orig_loss

        d, eta = self.direction, self.step_length
        prev_flat_grad, prev_loss = self.prev_flat_grad, self.prev_loss
        n_iter = 0
        while n_iter < self.max_iter:
            n_iter += 1
            self.n_iter += 1

            # 1. Search direction.
            if self.n_iter == 1:
                d = -flat_grad
                self.s_history, self.y_history, self.rho_history = [], [], []
                self.H_diag = 1.0
            else:
                assert d is not None and eta is not None and prev_flat_grad is not None
                y = flat_grad - prev_flat_grad
                s = d * eta
                ys = float(y @ s)
                if ys > 1e-10:  # keep the pair only if curvature is positive
                    while len(self.s_history) >= self.history_size:  # history_size may shrink
                        self.s_history.pop(0)
                        self.y_history.pop(0)
                        self.rho_history.pop(0)
                    self.s_history.append(s)
                    self.y_history.append(y)
                    self.rho_history.append(1.0 / ys)
                    self.H_diag = ys / float(y @ y)
                d = two_loop_direction(
                    flat_grad, self.s_history, self.y_history, self.rho_history, self.H_diag
                )
            prev_flat_grad = flat_grad.copy()
            prev_loss = loss

            # 2. Step length.
            if self.n_iter == 1:
                eta = min(1.0, 1.0 / float(np.sum(np.abs(flat_grad)))) * self.lr
            else:
                eta = self.lr
            gtd = float(flat_grad @ d)  # directional derivative
            if gtd > -self.tolerance_change:
                break

            evals = 0
            if self.line_search_fn == "strong_wolfe":
                x_init = self._flat_params()
                loss, flat_grad, eta, evals = strong_wolfe(
                    self._along(closure, x_init, d),
                    eta,
                    d,
                    loss,
                    flat_grad,
                    gtd,
                    tolerance_change=1e-9,
                    max_ls=self.max_eval - current_evals,
                )
                self._set_params(x_init + eta * d)
                opt_cond = np.max(np.abs(flat_grad)) <= self.tolerance_grad
            else:
                self._set_params(self._flat_params() + eta * d)
                opt_cond = False
                if n_iter != self.max_iter:  # no evaluation after the last iteration
                    loss, flat_grad = self._evaluate(closure, check=False)
                    opt_cond = np.max(np.abs(flat_grad)) <= self.tolerance_grad
                    evals = 1
            current_evals += evals
            self.func_evals += evals

            # 3. Stopping tests.
            if n_iter == self.max_iter or current_evals >= self.max_eval or opt_cond:
                break
            if np.max(np.abs(d * eta)) <= self.tolerance_change:
                break
            if abs(loss - prev_loss) < self.tolerance_change:
                break

        self.direction, self.step_length = d, eta
        self.prev_flat_grad, self.prev_loss = prev_flat_grad, prev_loss
        if self.check_finite:
            for i, x in enumerate(self.params):
                check_finite_array(self._param_name(i), x, where=f"after step {self.t}")
        return orig_loss


def _loss_value(value: Any) -> float:
    """The closure's loss as a float (a 0-d or size-1 array is accepted)."""
    arr = np.asarray(value)
    if arr.size != 1 or arr.dtype.kind not in "biuf":
        raise TypeError(f"closure's loss must be a real number, got {value!r}")
    return float(arr.reshape(()))


def _raise_nonfinite_loss(loss: float, step: int) -> None:
    """Report a diverged objective."""
    raise NonFiniteError(f"loss returned by closure is not finite at step {step}: {loss}")
