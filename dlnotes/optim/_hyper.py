"""Validation of hyperparameters shared by the optimizers (messages name the argument)."""

from __future__ import annotations

from typing import Any

from dlnotes._validate import check_bool, check_scalar

__all__ = [
    "check_betas",
    "check_bool",
    "check_count",
    "check_line_search",
    "check_nonneg",
    "check_rate",
    "check_unit",
]


def check_rate(name: str, value: Any) -> float:
    """A decay rate / momentum coefficient in [0, 1)."""
    return check_scalar(name, value, low=0.0, high=1.0, high_inclusive=False)


def check_nonneg(name: str, value: Any) -> float:
    """A non-negative real (weight decay, epsilon, lr decay...)."""
    return check_scalar(name, value, low=0.0)


def check_betas(value: Any) -> tuple[float, float]:
    """Adam's ``betas=(beta1, beta2)``, each in [0, 1)."""
    if not isinstance(value, (tuple, list)) or len(value) != 2:
        raise TypeError(f"betas must be a pair (beta1, beta2) such as (0.9, 0.999), got {value!r}")
    return check_rate("betas[0] (beta1)", value[0]), check_rate("betas[1] (beta2)", value[1])


def check_unit(name: str, value: Any) -> float:
    """A coefficient in the closed interval [0, 1] (SGD's dampening)."""
    return check_scalar(name, value, low=0.0, high=1.0)


def check_count(name: str, value: Any) -> int:
    """A number of iterations or evaluations, an integer >= 1 (L-BFGS's ``max_iter``...)."""
    return int(check_scalar(name, value, low=1, integer=True))


def check_line_search(name: str, value: Any) -> str | None:
    """L-BFGS's ``line_search_fn``: None or ``"strong_wolfe"``."""
    if value not in (None, "strong_wolfe"):
        raise ValueError(f"{name} must be None or 'strong_wolfe', got {value!r}")
    return value
